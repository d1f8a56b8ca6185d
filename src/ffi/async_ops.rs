//! The async C API: `zk_<op>_async`. Each checks its arguments and returns at once. When it
//! returns `ZK_RESULT_OK`, `callback` runs exactly once, later, on the client's event thread,
//! in reply order (after any watch event the server sent before that reply); otherwise it
//! never runs. Either way `finalizer(userdata)`, if given, runs exactly once: after the
//! callback, or before the function returns. Pointers handed to a callback are borrowed for
//! the duration of the call. Callbacks may call back into the library.

use std::ffi::{c_char, c_void, CString};
use std::time::Duration;

use super::client::{acl_list_arg, client, create_options, watch_arg, zk_client};
use super::types::*;
use super::{bytes_arg, guard, str_arg, zk_result, UserData};
use crate::client::async_ops::Callback;
use crate::error::{Error, Result};
use crate::proto::Stat;

/// Completion of an operation with no value: `rc` only.
pub type zk_void_completion = Option<unsafe extern "C" fn(userdata: *mut c_void, rc: zk_result)>;
/// Completion with a Stat (NULL unless `rc` is OK).
pub type zk_stat_completion =
    Option<unsafe extern "C" fn(userdata: *mut c_void, rc: zk_result, stat: *const zk_stat)>;
/// Completion with data and Stat (NULL/0 unless `rc` is OK).
pub type zk_data_completion = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        rc: zk_result,
        data: *const u8,
        len: usize,
        stat: *const zk_stat,
    ),
>;
/// Completion with a child list and the parent's Stat (NULL unless `rc` is OK).
pub type zk_children_completion = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        rc: zk_result,
        children: *const zk_string_list,
        stat: *const zk_stat,
    ),
>;
/// Completion with a string (a created or synced path) and, for create, the Stat.
pub type zk_string_completion = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        rc: zk_result,
        value: *const c_char,
        stat: *const zk_stat,
    ),
>;
/// Completion with an ACL list and Stat (NULL unless `rc` is OK).
pub type zk_acl_completion = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        rc: zk_result,
        acl: *const zk_acl_list,
        stat: *const zk_stat,
    ),
>;

/// Wraps a C callback as a Rust completion that owns the userdata: the finalizer runs right
/// after the callback, or when the completion is dropped unrun (a call that failed).
fn completion<T: 'static, F>(
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

fn rc<T>(r: &Result<T>) -> zk_result {
    match r {
        Ok(_) => Error::Ok,
        Err(e) => *e,
    }
}

fn timeout(ms: u32) -> Option<Duration> {
    (ms != 0).then(|| Duration::from_millis(ms as u64))
}

fn stat_ptr(s: &Option<zk_stat>) -> *const zk_stat {
    s.as_ref().map_or(std::ptr::null(), |s| s as *const zk_stat)
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

/// Async `zk_create`: the callback gets the created path (chroot stripped) and its Stat.
/// `ZK_CREATE_FLAG_MAKEPATH` is refused (`ZK_RESULT_INVALID_ARGUMENT`): it takes several
/// round trips; use `zk_ensure_path` or the blocking `zk_create`.
///
/// # Safety
/// As `zk_create`; `callback` and `userdata` as the module says.
#[no_mangle]
pub unsafe extern "C" fn zk_create_async(
    c: *mut zk_client,
    path: *const c_char,
    data: *const u8,
    len: usize,
    acl: *const zk_acl,
    acl_len: usize,
    flags: u32,
    ttl_ms: i64,
    timeout_ms: u32,
    callback: zk_string_completion,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    guard(move || {
        let done = completion(callback, ud, |cb, ud, r: Result<crate::client::Created>| {
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
                client(c)?,
                str_arg(path)?,
                bytes_arg(data, len)?,
                acl_list_arg(acl, acl_len)?,
            )
        };
        let opts = create_options(flags, ttl_ms, acl.as_deref())?;
        c.create_async(path, data, &opts, true, timeout(timeout_ms), done)
    })
}

/// Async `zk_delete` (not recursive).
///
/// # Safety
/// As `zk_delete`; `callback` and `userdata` as the module says.
#[no_mangle]
pub unsafe extern "C" fn zk_delete_async(
    c: *mut zk_client,
    path: *const c_char,
    version: i32,
    timeout_ms: u32,
    callback: zk_void_completion,
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
        let (c, path) = unsafe { (client(c)?, str_arg(path)?) };
        c.delete_async(path, version, timeout(timeout_ms), done)
    })
}

/// Async `zk_exists`: `rc` is OK with the Stat, or `ZK_RESULT_NO_NODE` with NULL (a watch
/// is set in both cases).
///
/// # Safety
/// As `zk_exists`; `callback` and `userdata` as the module says.
#[no_mangle]
pub unsafe extern "C" fn zk_exists_async(
    c: *mut zk_client,
    path: *const c_char,
    watcher: *const zk_watcher,
    timeout_ms: u32,
    callback: zk_stat_completion,
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
        let (c, path) = unsafe { (client(c)?, str_arg(path)?) };
        c.exists_async(path, w, timeout(timeout_ms), done)
    })
}

/// Async `zk_get`.
///
/// # Safety
/// As `zk_get`; `callback` and `userdata` as the module says.
#[no_mangle]
pub unsafe extern "C" fn zk_get_async(
    c: *mut zk_client,
    path: *const c_char,
    watcher: *const zk_watcher,
    timeout_ms: u32,
    callback: zk_data_completion,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    // SAFETY: the caller's contract.
    let w = unsafe { watch_arg(watcher) };
    guard(move || {
        let done = completion(callback, ud, |cb, ud, r: Result<(Vec<u8>, Stat)>| {
            let (d, l, s) = match &r {
                Ok((d, s)) => (d.as_ptr(), d.len(), Some(zk_stat::from(*s))),
                Err(_) => (std::ptr::null(), 0, None),
            };
            // SAFETY: a C function pointer and its userdata; the data lives for the call.
            unsafe { cb(ud, rc(&r), d, l, stat_ptr(&s)) }
        })?;
        let w = w?;
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client(c)?, str_arg(path)?) };
        c.get_async(path, w, timeout(timeout_ms), done)
    })
}

/// Async `zk_get_children`: the callback gets the children (unsorted) and the Stat.
///
/// # Safety
/// As `zk_get_children`; `callback` and `userdata` as the module says.
#[no_mangle]
pub unsafe extern "C" fn zk_get_children_async(
    c: *mut zk_client,
    path: *const c_char,
    watcher: *const zk_watcher,
    timeout_ms: u32,
    callback: zk_children_completion,
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
        let (c, path) = unsafe { (client(c)?, str_arg(path)?) };
        c.get_children_async(path, w, true, timeout(timeout_ms), done)
    })
}

/// Async `zk_set`.
///
/// # Safety
/// As `zk_set`; `callback` and `userdata` as the module says.
#[no_mangle]
pub unsafe extern "C" fn zk_set_async(
    c: *mut zk_client,
    path: *const c_char,
    data: *const u8,
    len: usize,
    version: i32,
    timeout_ms: u32,
    callback: zk_stat_completion,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    guard(move || {
        let done = completion(callback, ud, call_stat)?;
        // SAFETY: the caller's contract.
        let (c, path, data) = unsafe { (client(c)?, str_arg(path)?, bytes_arg(data, len)?) };
        c.set_async(path, data, version, timeout(timeout_ms), done)
    })
}

/// Async `zk_sync`: the callback gets the path (stat NULL).
///
/// # Safety
/// As `zk_sync`; `callback` and `userdata` as the module says.
#[no_mangle]
pub unsafe extern "C" fn zk_sync_async(
    c: *mut zk_client,
    path: *const c_char,
    timeout_ms: u32,
    callback: zk_string_completion,
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
        let (c, path) = unsafe { (client(c)?, str_arg(path)?) };
        c.sync_async(path, timeout(timeout_ms), done)
    })
}

/// Async `zk_get_acl`.
///
/// # Safety
/// As `zk_get_acl`; `callback` and `userdata` as the module says.
#[no_mangle]
pub unsafe extern "C" fn zk_get_acl_async(
    c: *mut zk_client,
    path: *const c_char,
    timeout_ms: u32,
    callback: zk_acl_completion,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    guard(move || {
        let done = completion(
            callback,
            ud,
            |cb, ud, r: Result<(Vec<crate::proto::Acl>, Stat)>| {
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
            },
        )?;
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client(c)?, str_arg(path)?) };
        c.get_acl_async(path, timeout(timeout_ms), done)
    })
}

/// Async `zk_set_acl`.
///
/// # Safety
/// As `zk_set_acl`; `callback` and `userdata` as the module says.
#[no_mangle]
pub unsafe extern "C" fn zk_set_acl_async(
    c: *mut zk_client,
    path: *const c_char,
    acl: *const zk_acl,
    acl_len: usize,
    version: i32,
    timeout_ms: u32,
    callback: zk_stat_completion,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    guard(move || {
        let done = completion(callback, ud, call_stat)?;
        // SAFETY: the caller's contract.
        let (c, path, acl) = unsafe { (client(c)?, str_arg(path)?, acl_list_arg(acl, acl_len)?) };
        let acl = acl.ok_or(Error::InvalidAcl)?;
        c.set_acl_async(path, &acl, version, timeout(timeout_ms), done)
    })
}
