//! Async operations, zk_<op>_async, and their completion typedefs. Each checks its
//! arguments, sends the request and returns; the completion runs later on the event thread.

use std::ffi::{c_char, c_void, CString};

use super::client::zk_client;
use super::convert::*;
use super::types::*;
use super::zk_result;
use crate::client::async_ops::Callback;
use crate::client::{Acl, ClientInfo, Created, Stat};
use crate::error::{Error, Result};

/// The completion of an async call with no value. It runs on the event thread and may
/// call back into the library; every pointer it gets is borrowed for the call only.
pub type zk_void_completion_fn = Option<unsafe extern "C" fn(userdata: *mut c_void, rc: zk_result)>;
/// A completion with a Stat: NULL unless rc is ZK_RESULT_OK.
pub type zk_stat_completion_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, rc: zk_result, stat: *const zk_stat)>;
/// A completion with a node's data and Stat: NULL and 0 unless rc is ZK_RESULT_OK.
pub type zk_data_completion_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        rc: zk_result,
        data: *const u8,
        len: usize,
        stat: *const zk_stat,
    ),
>;
/// A completion with a child list (freed by the library after the call) and the node's
/// Stat: NULL unless rc is ZK_RESULT_OK.
pub type zk_children_completion_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        rc: zk_result,
        children: *const zk_string_list,
        stat: *const zk_stat,
    ),
>;
/// A completion with a path (created or synced) and, for a create, the node's Stat: NULL
/// unless rc is ZK_RESULT_OK.
pub type zk_string_completion_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        rc: zk_result,
        value: *const c_char,
        stat: *const zk_stat,
    ),
>;
/// A completion with a connection's identities (freed by the library after the call):
/// NULL unless rc is ZK_RESULT_OK.
pub type zk_identity_completion_fn = Option<
    unsafe extern "C" fn(userdata: *mut c_void, rc: zk_result, list: *const zk_identity_list),
>;
/// A completion with a count: 0 unless rc is ZK_RESULT_OK.
pub type zk_count_completion_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, rc: zk_result, count: u32)>;
/// A completion with an ACL list (freed by the library after the call) and the node's
/// Stat: NULL unless rc is ZK_RESULT_OK.
pub type zk_acl_completion_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        rc: zk_result,
        acl: *const zk_acl_list,
        stat: *const zk_stat,
    ),
>;

/// Wraps a C callback as a Rust completion that owns the userdata: the finalizer runs right
/// after the callback, or when the completion is dropped unrun (a call that failed).
pub(super) fn completion<T: 'static, F>(
    callback: Option<F>,
    ud: UserData,
    call: fn(F, *mut c_void, Result<T>),
) -> Result<Callback<T>>
where
    F: Copy + Send + 'static,
{
    let Some(cb) = callback else {
        return Err(Error::NullArgument);
    };
    Ok(Box::new(move |r| {
        call(cb, ud.ptr(), r);
        drop(ud);
    }))
}

pub(super) fn rc<T>(r: &Result<T>) -> zk_result {
    match r {
        Ok(_) => Error::Ok,
        Err(e) => *e,
    }
}

/// Hands bytes and their Stat (a node's data, a config) to a data completion.
fn call_data(
    cb: unsafe extern "C" fn(*mut c_void, zk_result, *const u8, usize, *const zk_stat),
    ud: *mut c_void,
    r: Result<(Vec<u8>, Stat)>,
) {
    let (d, l, s) = match &r {
        Ok((d, s)) => (d.as_ptr(), d.len(), Some(zk_stat::from(*s))),
        Err(_) => (std::ptr::null(), 0, None),
    };
    // SAFETY: a C function pointer and its userdata; the data lives for the call.
    unsafe { cb(ud, rc(&r), d, l, stat_ptr(&s)) }
}

fn call_stat(
    cb: unsafe extern "C" fn(*mut c_void, zk_result, *const zk_stat),
    ud: *mut c_void,
    r: Result<Stat>,
) {
    let s = r.as_ref().ok().map(|s| zk_stat::from(*s));
    // SAFETY: a C function pointer and its userdata; `s` lives for the call.
    unsafe { cb(ud, rc(&r), stat_ptr(&s)) }
}

/// zk_create, async: the callback gets the created path and its Stat.
/// ZK_CREATE_FLAG_MAKEPATH is refused (ZK_RESULT_INVALID_ARGUMENT): use zk_ensure_path.
/// Returns at once. On ZK_RESULT_OK, callback(userdata, rc, ...) runs exactly once, later,
/// on the event thread, in reply order; a stop or close before the reply gives it
/// ZK_RESULT_CLOSED. On any other result it never runs. finalizer(userdata) (optional)
/// runs exactly once: after the callback, or before this returns if it fails.
#[no_mangle]
pub unsafe extern "C" fn zk_create_async(
    client: *mut zk_client,
    path: *const c_char,
    data: *const u8,
    len: usize,
    acl: *const zk_acl,
    acl_len: usize,
    flags: u32,
    ttl_ms: i64,
    timeout_ms: u32,
    callback: zk_string_completion_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    guard(move || {
        let done = completion(callback, ud, |cb, ud, r: Result<Created>| {
            let (p, s) = match &r {
                Ok(c) => (CString::new(c.path.clone()).ok(), c.stat.map(zk_stat::from)),
                Err(_) => (None, None),
            };
            let pp = p.as_ref().map_or(std::ptr::null(), |p| p.as_ptr());
            // SAFETY: a C function pointer and its userdata; `p` and `s` live for the call.
            unsafe { cb(ud, rc(&r), pp, stat_ptr(&s)) }
        })?;
        // SAFETY: the caller's contract, for every argument below.
        let (c, path, data, acl) = unsafe {
            (
                client_arg(client)?,
                str_arg(path)?,
                bytes_arg(data, len)?,
                acl_list_arg(acl, acl_len)?,
            )
        };
        let opts = create_options(flags, ttl_ms, acl.as_deref())?;
        c.create_async(path, data, &opts, true, timeout(timeout_ms), done)
    })
}

/// zk_delete, async and not recursive.
/// Returns at once. On ZK_RESULT_OK, callback(userdata, rc, ...) runs exactly once, later,
/// on the event thread, in reply order; a stop or close before the reply gives it
/// ZK_RESULT_CLOSED. On any other result it never runs. finalizer(userdata) (optional)
/// runs exactly once: after the callback, or before this returns if it fails.
#[no_mangle]
pub unsafe extern "C" fn zk_delete_async(
    client: *mut zk_client,
    path: *const c_char,
    version: i32,
    timeout_ms: u32,
    callback: zk_void_completion_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    guard(move || {
        let done = completion(callback, ud, |cb, ud, r: Result<()>| {
            // SAFETY: a C function pointer and its userdata.
            unsafe { cb(ud, rc(&r)) }
        })?;
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client_arg(client)?, str_arg(path)?) };
        c.delete_async(path, version, timeout(timeout_ms), done)
    })
}

/// zk_exists, async: rc is ZK_RESULT_OK with the Stat, or ZK_RESULT_NO_NODE with NULL.
/// watcher (optional) is taken as zk_exists takes it.
/// Returns at once. On ZK_RESULT_OK, callback(userdata, rc, ...) runs exactly once, later,
/// on the event thread, in reply order; a stop or close before the reply gives it
/// ZK_RESULT_CLOSED. On any other result it never runs. finalizer(userdata) (optional)
/// runs exactly once: after the callback, or before this returns if it fails.
#[no_mangle]
pub unsafe extern "C" fn zk_exists_async(
    client: *mut zk_client,
    path: *const c_char,
    watcher: *const zk_watcher,
    timeout_ms: u32,
    callback: zk_stat_completion_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    // SAFETY: the caller's contract.
    let w = unsafe { watch_arg(watcher) };
    guard(move || {
        let done = completion(callback, ud, |cb, ud, r: Result<Option<Stat>>| {
            let r = r.and_then(|s| s.ok_or(Error::NoNode));
            call_stat(cb, ud, r)
        })?;
        let w = w?;
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client_arg(client)?, str_arg(path)?) };
        c.exists_async(path, w, timeout(timeout_ms), done)
    })
}

/// zk_get, async: the callback gets the data (borrowed for the call) and the Stat.
/// watcher (optional) is taken as zk_get takes it.
/// Returns at once. On ZK_RESULT_OK, callback(userdata, rc, ...) runs exactly once, later,
/// on the event thread, in reply order; a stop or close before the reply gives it
/// ZK_RESULT_CLOSED. On any other result it never runs. finalizer(userdata) (optional)
/// runs exactly once: after the callback, or before this returns if it fails.
#[no_mangle]
pub unsafe extern "C" fn zk_get_async(
    client: *mut zk_client,
    path: *const c_char,
    watcher: *const zk_watcher,
    timeout_ms: u32,
    callback: zk_data_completion_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    // SAFETY: the caller's contract.
    let w = unsafe { watch_arg(watcher) };
    guard(move || {
        let done = completion(callback, ud, call_data)?;
        let w = w?;
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client_arg(client)?, str_arg(path)?) };
        c.get_async(path, w, timeout(timeout_ms), done)
    })
}

/// zk_get_children, async: the callback gets the children (unsorted) and the Stat.
/// watcher (optional) is taken as zk_get_children takes it.
/// Returns at once. On ZK_RESULT_OK, callback(userdata, rc, ...) runs exactly once, later,
/// on the event thread, in reply order; a stop or close before the reply gives it
/// ZK_RESULT_CLOSED. On any other result it never runs. finalizer(userdata) (optional)
/// runs exactly once: after the callback, or before this returns if it fails.
#[no_mangle]
pub unsafe extern "C" fn zk_get_children_async(
    client: *mut zk_client,
    path: *const c_char,
    watcher: *const zk_watcher,
    timeout_ms: u32,
    callback: zk_children_completion_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    // SAFETY: the caller's contract.
    let w = unsafe { watch_arg(watcher) };
    guard(move || {
        let done = completion(
            callback,
            ud,
            |cb, ud, r: Result<(Vec<String>, Option<Stat>)>| {
                let (list, s) = match r {
                    Ok((children, stat)) => match zk_string_list::new(children) {
                        Ok(l) => (Ok(l), stat.map(zk_stat::from)),
                        Err(e) => (Err(e), None),
                    },
                    Err(e) => (Err(e), None),
                };
                let lp = list.as_ref().map_or(std::ptr::null_mut(), |l| *l);
                // SAFETY: a C function pointer and its userdata; the list lives for the call.
                unsafe {
                    cb(ud, rc(&list), lp, stat_ptr(&s));
                    zk_string_list_free(lp);
                }
            },
        )?;
        let w = w?;
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client_arg(client)?, str_arg(path)?) };
        c.get_children_async(path, w, true, timeout(timeout_ms), done)
    })
}

/// zk_get_ephemerals, async: the callback gets the paths, and NULL for the Stat.
/// Returns at once. On ZK_RESULT_OK, callback(userdata, rc, ...) runs exactly once, later,
/// on the event thread, in reply order; a stop or close before the reply gives it
/// ZK_RESULT_CLOSED. On any other result it never runs. finalizer(userdata) (optional)
/// runs exactly once: after the callback, or before this returns if it fails.
#[no_mangle]
pub unsafe extern "C" fn zk_get_ephemerals_async(
    client: *mut zk_client,
    prefix: *const c_char,
    timeout_ms: u32,
    callback: zk_children_completion_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    guard(move || {
        let done = completion(callback, ud, |cb, ud, r: Result<Vec<String>>| {
            let list = r.and_then(zk_string_list::new);
            let lp = list.as_ref().map_or(std::ptr::null_mut(), |l| *l);
            // SAFETY: a C function pointer and its userdata; the list lives for the call.
            unsafe {
                cb(ud, rc(&list), lp, std::ptr::null());
                zk_string_list_free(lp);
            }
        })?;
        // SAFETY: the caller's contract.
        let (c, prefix) = unsafe { (client_arg(client)?, str_arg(prefix)?) };
        c.get_ephemerals_async(prefix, timeout(timeout_ms), done)
    })
}

/// zk_who_am_i, async: the callback gets the identities.
/// Returns at once. On ZK_RESULT_OK, callback(userdata, rc, ...) runs exactly once, later,
/// on the event thread, in reply order; a stop or close before the reply gives it
/// ZK_RESULT_CLOSED. On any other result it never runs. finalizer(userdata) (optional)
/// runs exactly once: after the callback, or before this returns if it fails.
#[no_mangle]
pub unsafe extern "C" fn zk_who_am_i_async(
    client: *mut zk_client,
    timeout_ms: u32,
    callback: zk_identity_completion_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    guard(move || {
        let done = completion(callback, ud, |cb, ud, r: Result<Vec<ClientInfo>>| {
            let list = r.and_then(zk_identity_list::new);
            let lp = list.as_ref().map_or(std::ptr::null_mut(), |l| *l);
            // SAFETY: a C function pointer and its userdata; the list lives for the call.
            unsafe {
                cb(ud, rc(&list), lp);
                zk_identity_list_free(lp);
            }
        })?;
        // SAFETY: the caller's contract.
        let c = unsafe { client_arg(client)? };
        c.who_am_i_async(timeout(timeout_ms), done)
    })
}

/// zk_get_all_children_number, async: the callback gets the count.
/// Returns at once. On ZK_RESULT_OK, callback(userdata, rc, ...) runs exactly once, later,
/// on the event thread, in reply order; a stop or close before the reply gives it
/// ZK_RESULT_CLOSED. On any other result it never runs. finalizer(userdata) (optional)
/// runs exactly once: after the callback, or before this returns if it fails.
#[no_mangle]
pub unsafe extern "C" fn zk_get_all_children_number_async(
    client: *mut zk_client,
    path: *const c_char,
    timeout_ms: u32,
    callback: zk_count_completion_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    guard(move || {
        let done = completion(callback, ud, |cb, ud, r: Result<u32>| {
            let n = *r.as_ref().unwrap_or(&0);
            // SAFETY: a C function pointer and its userdata.
            unsafe { cb(ud, rc(&r), n) }
        })?;
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client_arg(client)?, str_arg(path)?) };
        c.get_all_children_number_async(path, timeout(timeout_ms), done)
    })
}

/// zk_set, async: the callback gets the new Stat.
/// Returns at once. On ZK_RESULT_OK, callback(userdata, rc, ...) runs exactly once, later,
/// on the event thread, in reply order; a stop or close before the reply gives it
/// ZK_RESULT_CLOSED. On any other result it never runs. finalizer(userdata) (optional)
/// runs exactly once: after the callback, or before this returns if it fails.
#[no_mangle]
pub unsafe extern "C" fn zk_set_async(
    client: *mut zk_client,
    path: *const c_char,
    data: *const u8,
    len: usize,
    version: i32,
    timeout_ms: u32,
    callback: zk_stat_completion_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    guard(move || {
        let done = completion(callback, ud, call_stat)?;
        // SAFETY: the caller's contract.
        let (c, path, data) =
            unsafe { (client_arg(client)?, str_arg(path)?, bytes_arg(data, len)?) };
        c.set_async(path, data, version, timeout(timeout_ms), done)
    })
}

/// zk_sync, async: the callback gets the path, and NULL for the Stat.
/// Returns at once. On ZK_RESULT_OK, callback(userdata, rc, ...) runs exactly once, later,
/// on the event thread, in reply order; a stop or close before the reply gives it
/// ZK_RESULT_CLOSED. On any other result it never runs. finalizer(userdata) (optional)
/// runs exactly once: after the callback, or before this returns if it fails.
#[no_mangle]
pub unsafe extern "C" fn zk_sync_async(
    client: *mut zk_client,
    path: *const c_char,
    timeout_ms: u32,
    callback: zk_string_completion_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    guard(move || {
        let done = completion(callback, ud, |cb, ud, r: Result<String>| {
            let p = r.as_ref().ok().and_then(|p| CString::new(p.clone()).ok());
            let pp = p.as_ref().map_or(std::ptr::null(), |p| p.as_ptr());
            // SAFETY: a C function pointer and its userdata; `p` lives for the call.
            unsafe { cb(ud, rc(&r), pp, std::ptr::null()) }
        })?;
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client_arg(client)?, str_arg(path)?) };
        c.sync_async(path, timeout(timeout_ms), done)
    })
}

/// zk_get_acl, async: the callback gets the ACL and the Stat.
/// Returns at once. On ZK_RESULT_OK, callback(userdata, rc, ...) runs exactly once, later,
/// on the event thread, in reply order; a stop or close before the reply gives it
/// ZK_RESULT_CLOSED. On any other result it never runs. finalizer(userdata) (optional)
/// runs exactly once: after the callback, or before this returns if it fails.
#[no_mangle]
pub unsafe extern "C" fn zk_get_acl_async(
    client: *mut zk_client,
    path: *const c_char,
    timeout_ms: u32,
    callback: zk_acl_completion_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    guard(move || {
        let done = completion(callback, ud, |cb, ud, r: Result<(Vec<Acl>, Stat)>| {
            let (list, s) = match r {
                Ok((acl, stat)) => (zk_acl_list::new(acl), Some(zk_stat::from(stat))),
                Err(e) => (Err(e), None),
            };
            let s = if list.is_ok() { s } else { None };
            let lp = list.as_ref().map_or(std::ptr::null_mut(), |l| *l);
            // SAFETY: a C function pointer and its userdata; the list lives for the call.
            unsafe {
                cb(ud, rc(&list), lp, stat_ptr(&s));
                zk_acl_list_free(lp);
            }
        })?;
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client_arg(client)?, str_arg(path)?) };
        c.get_acl_async(path, timeout(timeout_ms), done)
    })
}

/// zk_set_acl, async: the callback gets the new Stat.
/// Returns at once. On ZK_RESULT_OK, callback(userdata, rc, ...) runs exactly once, later,
/// on the event thread, in reply order; a stop or close before the reply gives it
/// ZK_RESULT_CLOSED. On any other result it never runs. finalizer(userdata) (optional)
/// runs exactly once: after the callback, or before this returns if it fails.
#[no_mangle]
pub unsafe extern "C" fn zk_set_acl_async(
    client: *mut zk_client,
    path: *const c_char,
    acl: *const zk_acl,
    acl_len: usize,
    version: i32,
    timeout_ms: u32,
    callback: zk_stat_completion_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    guard(move || {
        let done = completion(callback, ud, call_stat)?;
        // SAFETY: the caller's contract.
        let (c, path, acl) = unsafe {
            (
                client_arg(client)?,
                str_arg(path)?,
                acl_list_arg(acl, acl_len)?,
            )
        };
        let acl = acl.ok_or(Error::InvalidAcl)?;
        c.set_acl_async(path, &acl, version, timeout(timeout_ms), done)
    })
}

/// zk_get_config, async: the callback gets the config (borrowed for the call) and its
/// Stat. watcher (optional) is taken as zk_get_config takes it.
/// Returns at once. On ZK_RESULT_OK, callback(userdata, rc, ...) runs exactly once, later,
/// on the event thread, in reply order; a stop or close before the reply gives it
/// ZK_RESULT_CLOSED. On any other result it never runs. finalizer(userdata) (optional)
/// runs exactly once: after the callback, or before this returns if it fails.
#[no_mangle]
pub unsafe extern "C" fn zk_get_config_async(
    client: *mut zk_client,
    watcher: *const zk_watcher,
    timeout_ms: u32,
    callback: zk_data_completion_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    // SAFETY: the caller's contract.
    let w = unsafe { watch_arg(watcher) };
    guard(move || {
        let done = completion(callback, ud, call_data)?;
        let w = w?;
        // SAFETY: the caller's contract.
        let c = unsafe { client_arg(client) }?;
        c.get_config_async(w, timeout(timeout_ms), done)
    })
}

/// zk_reconfig, async: the callback gets the new config (borrowed for the call) and its
/// Stat.
/// Returns at once. On ZK_RESULT_OK, callback(userdata, rc, ...) runs exactly once, later,
/// on the event thread, in reply order; a stop or close before the reply gives it
/// ZK_RESULT_CLOSED. On any other result it never runs. finalizer(userdata) (optional)
/// runs exactly once: after the callback, or before this returns if it fails.
#[no_mangle]
pub unsafe extern "C" fn zk_reconfig_async(
    client: *mut zk_client,
    joining: *const *const c_char,
    joining_len: usize,
    leaving: *const u64,
    leaving_len: usize,
    members: *const *const c_char,
    members_len: usize,
    from_config: i64,
    timeout_ms: u32,
    callback: zk_data_completion_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    guard(move || {
        let done = completion(callback, ud, call_data)?;
        // SAFETY: the caller's contract, for every argument below.
        let (c, lists) = unsafe {
            (
                client_arg(client)?,
                reconfig_lists(
                    joining,
                    joining_len,
                    leaving,
                    leaving_len,
                    members,
                    members_len,
                )?,
            )
        };
        let change = lists.change()?;
        c.reconfig_async(&change, from_config, timeout(timeout_ms), done)
    })
}
