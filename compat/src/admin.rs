//! The rest of zookeeper.h's calls: the ensemble's configuration (`zoo_getconfig`,
//! `zoo_reconfig` and their async and watching forms), watch removal
//! (`zoo_remove_watches`, `zoo_remove_all_watches` and async forms), and the small helpers
//! the official library exports (`zoo_htonll`, `zoo_lock_auth`, `zoo_unlock_auth`).

use std::ffi::{c_char, c_int, c_void};

use zkclient::{Error, Reconfig, Stat as RStat, WatcherType};

use crate::errors::*;
use crate::handle::{as_callback, handle, WatcherFn, ZHandle};
use crate::jute::{str_of, Stat};
use crate::ops::{self, data_deliver, guarded, DataCompletion, Ptr, VoidCompletion, Watch};
use crate::watch;

const CONFIG_NODE: &str = "/zookeeper/config";

// ---------------------------------------------------------------- getconfig

unsafe fn getconfig_sync(
    zh: *mut ZHandle,
    w: impl FnOnce(&ZHandle) -> Watch,
    buffer: *mut c_char,
    buffer_len: *mut c_int,
    stat: *mut Stat,
) -> c_int {
    guarded(|| {
        let Some(h) = handle(zh) else {
            return ZBADARGUMENTS;
        };
        if h.unrecoverable() {
            return ZINVALIDSTATE;
        }
        if buffer_len.is_null() || *buffer_len < 0 {
            return ZBADARGUMENTS;
        }
        let w = w(h);
        let r = ops::watched(
            h,
            CONFIG_NODE,
            w,
            ops::data_class,
            |t| h.client.get_config(t, None),
            |t, cb| h.client.get_config_async(t, None, cb),
        );
        match r {
            Ok((data, s)) => {
                put(buffer, buffer_len, &data, stat, &s);
                ZOK
            }
            Err(e) => h.code(e),
        }
    })
}

unsafe fn put(
    buffer: *mut c_char,
    buffer_len: *mut c_int,
    data: &[u8],
    stat: *mut Stat,
    s: &RStat,
) {
    let room = if buffer.is_null() {
        0
    } else {
        (*buffer_len).max(0) as usize
    };
    let n = data.len().min(room);
    if n > 0 {
        std::ptr::copy_nonoverlapping(data.as_ptr() as *const c_char, buffer, n);
    }
    *buffer_len = n as c_int;
    if !stat.is_null() {
        *stat = Stat::from(s);
    }
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_getconfig(
    zh: *mut ZHandle,
    watch: c_int,
    buffer: *mut c_char,
    buffer_len: *mut c_int,
    stat: *mut Stat,
) -> c_int {
    getconfig_sync(zh, |h| Watch::global(h, watch), buffer, buffer_len, stat)
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_wgetconfig(
    zh: *mut ZHandle,
    watcher: Option<WatcherFn>,
    watcher_ctx: *mut c_void,
    buffer: *mut c_char,
    buffer_len: *mut c_int,
    stat: *mut Stat,
) -> c_int {
    getconfig_sync(
        zh,
        |_| Watch::with(watcher, watcher_ctx),
        buffer,
        buffer_len,
        stat,
    )
}

unsafe fn getconfig_async(
    zh: *mut ZHandle,
    w: impl FnOnce(&ZHandle) -> Watch,
    completion: Option<DataCompletion>,
    data: Ptr,
) -> c_int {
    guarded(|| {
        let Some(h) = handle(zh) else {
            return ZBADARGUMENTS;
        };
        if h.unrecoverable() {
            return ZINVALIDSTATE;
        }
        let w = w(h);
        let trigger = matches!(w, Watch::Yes(_)).then(|| watch::trigger(&h.shared));
        let deliver = data_deliver(completion, data);
        let cb = ops::completion(&h.shared, CONFIG_NODE, w, ops::data_class, deliver);
        match h.client.get_config_async(trigger, None, cb) {
            Ok(()) => ZOK,
            Err(e) => h.code(e),
        }
    })
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_agetconfig(
    zh: *mut ZHandle,
    watch: c_int,
    completion: Option<DataCompletion>,
    data: *const c_void,
) -> c_int {
    getconfig_async(zh, |h| Watch::global(h, watch), completion, Ptr(data))
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_awgetconfig(
    zh: *mut ZHandle,
    watcher: Option<WatcherFn>,
    watcher_ctx: *mut c_void,
    completion: Option<DataCompletion>,
    data: *const c_void,
) -> c_int {
    getconfig_async(
        zh,
        |_| Watch::with(watcher, watcher_ctx),
        completion,
        Ptr(data),
    )
}

// ---------------------------------------------------------------- reconfig

/// The membership change of zookeeper.h's three comma-separated strings: `members` (a new
/// membership) or `joining` and `leaving` (server ids). Empty strings count as none.
unsafe fn change_of(
    joining: *const c_char,
    leaving: *const c_char,
    members: *const c_char,
) -> Result<(Vec<String>, Vec<u64>, bool), c_int> {
    let list = |p: *const c_char| -> Result<Vec<String>, c_int> {
        if p.is_null() {
            return Ok(Vec::new());
        }
        let s = str_of(p).ok_or(ZBADARGUMENTS)?;
        Ok(s.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect())
    };
    let members = list(members)?;
    if !members.is_empty() {
        return Ok((members, Vec::new(), true));
    }
    let joining = list(joining)?;
    let leaving = list(leaving)?
        .iter()
        .map(|id| id.parse::<u64>().map_err(|_| ZBADARGUMENTS))
        .collect::<Result<Vec<u64>, c_int>>()?;
    if joining.is_empty() && leaving.is_empty() {
        return Err(ZBADARGUMENTS);
    }
    Ok((joining, leaving, false))
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_reconfig(
    zh: *mut ZHandle,
    joining: *const c_char,
    leaving: *const c_char,
    members: *const c_char,
    version: i64,
    buffer: *mut c_char,
    buffer_len: *mut c_int,
    stat: *mut Stat,
) -> c_int {
    guarded(|| {
        let Some(h) = handle(zh) else {
            return ZBADARGUMENTS;
        };
        if h.unrecoverable() {
            return ZINVALIDSTATE;
        }
        if buffer_len.is_null() || *buffer_len < 0 {
            return ZBADARGUMENTS;
        }
        let (lines, ids, whole) = match change_of(joining, leaving, members) {
            Ok(x) => x,
            Err(c) => return c,
        };
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let change = if whole {
            Reconfig::Members(&refs)
        } else {
            Reconfig::Incremental {
                joining: &refs,
                leaving: &ids,
            }
        };
        match h.client.reconfig(&change, version, None) {
            Ok((data, s)) => {
                put(buffer, buffer_len, &data, stat, &s);
                ZOK
            }
            Err(e) => h.code(e),
        }
    })
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_areconfig(
    zh: *mut ZHandle,
    joining: *const c_char,
    leaving: *const c_char,
    members: *const c_char,
    version: i64,
    completion: Option<DataCompletion>,
    data: *const c_void,
) -> c_int {
    let data = Ptr(data);
    guarded(|| {
        let Some(h) = handle(zh) else {
            return ZBADARGUMENTS;
        };
        if h.unrecoverable() {
            return ZINVALIDSTATE;
        }
        let (lines, ids, whole) = match change_of(joining, leaving, members) {
            Ok(x) => x,
            Err(c) => return c,
        };
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let change = if whole {
            Reconfig::Members(&refs)
        } else {
            Reconfig::Incremental {
                joining: &refs,
                leaving: &ids,
            }
        };
        let shared = h.shared.clone();
        let deliver = data_deliver(completion, data);
        let cb = Box::new(move |r: Result<(Vec<u8>, RStat), Error>| {
            as_callback(|| {
                if shared.handle().is_some() {
                    deliver(&shared, r);
                }
            })
        });
        match h.client.reconfig_async(&change, version, None, cb) {
            Ok(()) => ZOK,
            Err(e) => h.code(e),
        }
    })
}

// ---------------------------------------------------------------- remove watches

/// Removes `watcher` (every watcher, when None) of the `wtype` classes from `path`: from the
/// tables, and from the server when no watcher is left there for those classes (unless
/// `local`). ZNOWATCHER when there is none to remove.
unsafe fn remove(
    zh: *mut ZHandle,
    path: *const c_char,
    wtype: c_int,
    watcher: Option<WatcherFn>,
    ctx: *mut c_void,
    local: c_int,
) -> c_int {
    let (h, path) = match ops::prolog(zh, path) {
        Ok(x) => x,
        Err(ZINVALIDSTATE) if local != 0 => match (handle(zh), str_of(path)) {
            (Some(h), Some(p)) => (h, p),
            _ => return ZBADARGUMENTS,
        },
        Err(c) => return c,
    };
    let ty = match wtype {
        1 => WatcherType::Children,
        2 => WatcherType::Data,
        3 => WatcherType::Any,
        _ => return ZBADARGUMENTS,
    };
    let pair = watcher.map(|w| (w, ctx));
    {
        let t = h.shared.tables.lock();
        if !t.has(wtype, path, pair) {
            return ZNOWATCHER;
        }
    }
    if local != 0 {
        h.shared.tables.lock().remove(wtype, path, pair);
        return ZOK;
    }
    // Others left in these classes keep the server's watch.
    let others_left = pair.is_some() && h.shared.tables.lock().others_than(wtype, path, pair);
    if !others_left {
        match h.client.remove_watches(path, ty, false, None) {
            Ok(()) | Err(Error::NoWatcher) => {}
            Err(e) => return h.code(e),
        }
    }
    h.shared.tables.lock().remove(wtype, path, pair);
    ZOK
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_remove_watches(
    zh: *mut ZHandle,
    path: *const c_char,
    wtype: c_int,
    watcher: Option<WatcherFn>,
    watcher_ctx: *mut c_void,
    local: c_int,
) -> c_int {
    guarded(|| remove(zh, path, wtype, watcher, watcher_ctx, local))
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_remove_all_watches(
    zh: *mut ZHandle,
    path: *const c_char,
    wtype: c_int,
    local: c_int,
) -> c_int {
    guarded(|| remove(zh, path, wtype, None, std::ptr::null_mut(), local))
}

/// The removal is made at once; its completion (zookeeper.h declares the parameter a
/// pointer to a completion, which the official client calls as the completion itself; so
/// does this one) runs on the event thread.
#[allow(clippy::too_many_arguments)]
unsafe fn remove_async(
    zh: *mut ZHandle,
    path: *const c_char,
    wtype: c_int,
    watcher: Option<WatcherFn>,
    ctx: *mut c_void,
    local: c_int,
    completion: Option<VoidCompletion>,
    data: Ptr,
) -> c_int {
    guarded(|| {
        let rc = remove(zh, path, wtype, watcher, ctx, local);
        if rc != ZOK {
            return rc;
        }
        if let (Some(h), Some(f)) = (handle(zh), completion) {
            let shared = h.shared.clone();
            h.client.defer(Box::new(move || {
                as_callback(|| {
                    if shared.handle().is_some() {
                        // SAFETY: the caller's completion.
                        unsafe { f(ZOK, data.get()) }
                    }
                })
            }));
        }
        ZOK
    })
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_aremove_watches(
    zh: *mut ZHandle,
    path: *const c_char,
    wtype: c_int,
    watcher: Option<WatcherFn>,
    watcher_ctx: *mut c_void,
    local: c_int,
    completion: Option<VoidCompletion>,
    data: *const c_void,
) -> c_int {
    remove_async(
        zh,
        path,
        wtype,
        watcher,
        watcher_ctx,
        local,
        completion,
        Ptr(data),
    )
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_aremove_all_watches(
    zh: *mut ZHandle,
    path: *const c_char,
    wtype: c_int,
    local: c_int,
    completion: Option<VoidCompletion>,
    data: *const c_void,
) -> c_int {
    remove_async(
        zh,
        path,
        wtype,
        None,
        std::ptr::null_mut(),
        local,
        completion,
        Ptr(data),
    )
}

// ---------------------------------------------------------------- helpers

/// A 64-bit value in network byte order.
#[no_mangle]
pub extern "C" fn zoo_htonll(v: i64) -> i64 {
    v.to_be()
}

/// The official client's lock of its credential list, exported by its library though its
/// header does not declare it; this library keeps credentials elsewhere: a no-op, 0.
#[no_mangle]
pub extern "C" fn zoo_lock_auth(_zh: *mut ZHandle) -> c_int {
    0
}

/// See `zoo_lock_auth`.
#[no_mangle]
pub extern "C" fn zoo_unlock_auth(_zh: *mut ZHandle) -> c_int {
    0
}
