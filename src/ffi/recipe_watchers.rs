//! DataWatch and ChildrenWatch in C: zk_data_watch and zk_children_watch, a callback told
//! of a node's data or children at once and after every change, on the watcher's own
//! thread.

use std::ffi::{c_char, c_void, CString};

use super::client::zk_client;
use super::convert::*;
use super::types::*;
use super::zk_result;
use crate::client::{EventType, WatchedEvent};
use crate::recipe::watchers::{ChildrenWatch, DataWatch};

/// A data watch's callback: told of the node's data (data, len) and stat, or, while the
/// node does not exist, data NULL, len 0 and stat NULL; and event, the type of the watch
/// event that led to this read (ZK_EVENT_TYPE_CREATED, CHANGED or DELETED), or
/// ZK_EVENT_TYPE_NONE for the first call and for a read made after a reconnect or a
/// session expiry. The pointers are valid during the call only. Returning false stops the
/// watch (this call is the last).
///
/// It runs on the watcher's own thread, never two calls at once for one watcher, in the
/// order of the changes. It may call the library freely: blocking calls, zk_data_watch_stop
/// or zk_data_watch_free of its own watcher (they return at once; this call is the last and
/// the finalizer runs when it returns), and zk_client_free (the watch then ends with
/// ZK_RESULT_CLOSED). Stopping or freeing another watcher waits for that one's callback in
/// progress, so two callbacks must not stop each other's watchers.
pub type zk_data_watch_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        data: *const u8,
        len: usize,
        stat: *const zk_stat,
        event: zk_event_type,
    ) -> bool,
>;

/// A children watch's callback: told of the node's children (an array of count names,
/// NUL-terminated, in the server's order) and event, the type of the watch event that led
/// to this read (ZK_EVENT_TYPE_CHILD), or ZK_EVENT_TYPE_NONE for the first call and for a
/// read made after a reconnect or a session expiry. Valid during the call only. Returning
/// false stops the watch. Runs as zk_data_watch_fn says, with zk_children_watch_stop and
/// zk_children_watch_free.
pub type zk_children_watch_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        children: *const *const c_char,
        count: usize,
        event: zk_event_type,
    ) -> bool,
>;

/// A data watch (opaque): kazoo's DataWatch. Thread-safe. Free it with zk_data_watch_free.
pub struct zk_data_watch {
    inner: DataWatch,
}

/// A children watch (opaque): kazoo's ChildrenWatch. Thread-safe. Free it with
/// zk_children_watch_free.
pub struct zk_children_watch {
    inner: ChildrenWatch,
}

fn event_arg(ev: Option<&WatchedEvent>) -> zk_event_type {
    ev.map_or(EventType::None, |e| e.event_type).into()
}

/// Why a watch ended, as a result: OK while it runs or when it was stopped.
fn failure(r: Option<crate::error::Result<()>>) -> zk_result {
    match r {
        Some(Err(e)) => e,
        _ => crate::error::Error::Ok,
    }
}

/// Reads path and watches it: callback(userdata, ...) gets the data and stat (or "no node":
/// the node need not exist) at once, on the watcher's own thread, and again after every
/// change of the node (a set, its creation, its deletion), re-arming the one-shot watch
/// each time. After a reconnect it reads again (a change made while away is reported
/// then), and after a session expiry it reads again on the new session. Returns once the
/// first read is done; its error if it failed (then nothing is watched, the finalizer has
/// run, and *out is untouched). finalizer(userdata) (optional) runs once, when no call of
/// the callback can follow: after the watch ended and its last call returned. The watch
/// holds the client weakly: after zk_client_free it ends with ZK_RESULT_CLOSED and must
/// still be freed.
#[no_mangle]
pub unsafe extern "C" fn zk_data_watch_new(
    client: *mut zk_client,
    path: *const c_char,
    callback: zk_data_watch_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
    out: *mut *mut zk_data_watch,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    guard(move || {
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client_arg(client)?, str_arg(path)?) };
        out_arg(out)?;
        let cb = callback.ok_or(crate::error::Error::NullArgument)?;
        let inner = DataWatch::new(
            c,
            path,
            Box::new(move |d, ev| {
                let (ptr, len, stat) = match d {
                    Some((b, s)) => (b.as_ptr(), b.len(), Some(zk_stat::from(*s))),
                    None => (std::ptr::null(), 0, None),
                };
                // SAFETY: a C function pointer and the userdata it came with; the
                // pointers live for the call.
                unsafe { cb(ud.ptr(), ptr, len, stat_ptr(&stat), event_arg(ev)) }
            }),
        )?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, to_handle(zk_data_watch { inner })) };
        Ok(())
    })
}

/// Reads path's children and watches them: callback(userdata, ...) gets them at once, on
/// the watcher's own thread, and again whenever they change (a list equal to the last one
/// reported is not reported again), re-arming the one-shot watch each time; after a
/// reconnect or an expiry it reads again as zk_data_watch_new does. The node must exist:
/// ZK_RESULT_NO_NODE if not (nothing is watched). When the node is deleted the watch ends
/// (zk_children_watch_get_failure gives ZK_RESULT_NO_NODE), as kazoo's does. Otherwise as
/// zk_data_watch_new.
#[no_mangle]
pub unsafe extern "C" fn zk_children_watch_new(
    client: *mut zk_client,
    path: *const c_char,
    callback: zk_children_watch_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
    out: *mut *mut zk_children_watch,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    guard(move || {
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client_arg(client)?, str_arg(path)?) };
        out_arg(out)?;
        let cb = callback.ok_or(crate::error::Error::NullArgument)?;
        let inner = ChildrenWatch::new(
            c,
            path,
            Box::new(move |kids, ev| {
                // Node names hold no NUL (the server refuses them).
                let owned: Vec<CString> = kids
                    .iter()
                    .map(|k| CString::new(k.as_str()).unwrap_or_default())
                    .collect();
                let ptrs: Vec<*const c_char> = owned.iter().map(|k| k.as_ptr()).collect();
                // SAFETY: a C function pointer and the userdata it came with; the
                // strings live for the call.
                unsafe { cb(ud.ptr(), ptrs.as_ptr(), ptrs.len(), event_arg(ev)) }
            }),
        )?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, to_handle(zk_children_watch { inner })) };
        Ok(())
    })
}

/// Stops the watch: once this returns the callback is not running and will not be called
/// again (the finalizer has run), unless called from the callback itself, where it
/// returns at once and the call in progress is the last. Idempotent; any thread.
#[no_mangle]
pub unsafe extern "C" fn zk_data_watch_stop(watch: *mut zk_data_watch) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(watch) }?.inner.stop();
        Ok(())
    })
}

/// As zk_data_watch_stop.
#[no_mangle]
pub unsafe extern "C" fn zk_children_watch_stop(watch: *mut zk_children_watch) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(watch) }?.inner.stop();
        Ok(())
    })
}

/// Whether the watch still runs: false once stopped, once the callback returned false, or
/// once it ended on a failure (zk_data_watch_get_failure). False for NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_data_watch_is_running(watch: *const zk_data_watch) -> bool {
    guard_value(false, || {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(watch) }.is_ok_and(|w| w.inner.result().is_none())
    })
}

/// As zk_data_watch_is_running.
#[no_mangle]
pub unsafe extern "C" fn zk_children_watch_is_running(watch: *const zk_children_watch) -> bool {
    guard_value(false, || {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(watch) }.is_ok_and(|w| w.inner.result().is_none())
    })
}

/// Why the watch ended, when a failure that reading again cannot mend ended it
/// (ZK_RESULT_CLOSED after zk_client_free, ZK_RESULT_NO_AUTH, ...). ZK_RESULT_OK while it
/// runs or when it was stopped.
#[no_mangle]
pub unsafe extern "C" fn zk_data_watch_get_failure(watch: *const zk_data_watch) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        match failure(unsafe { ref_arg(watch) }?.inner.result()) {
            crate::error::Error::Ok => Ok(()),
            e => Err(e),
        }
    })
}

/// As zk_data_watch_get_failure; ZK_RESULT_NO_NODE once the node was deleted.
#[no_mangle]
pub unsafe extern "C" fn zk_children_watch_get_failure(
    watch: *const zk_children_watch,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        match failure(unsafe { ref_arg(watch) }?.inner.result()) {
            crate::error::Error::Ok => Ok(()),
            e => Err(e),
        }
    })
}

/// Stops the watch (as zk_data_watch_stop) and frees it. NULL is a no-op. May be called
/// from the watch's own callback (the call in progress is the last, and the finalizer
/// runs after it returns); no other thread may be using the handle.
#[no_mangle]
pub unsafe extern "C" fn zk_data_watch_free(watch: *mut zk_data_watch) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(watch) }
}

/// As zk_data_watch_free.
#[no_mangle]
pub unsafe extern "C" fn zk_children_watch_free(watch: *mut zk_children_watch) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(watch) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    unsafe extern "C" fn keep(
        _: *mut c_void,
        _: *const u8,
        _: usize,
        _: *const zk_stat,
        _: zk_event_type,
    ) -> bool {
        true
    }

    #[test]
    fn bad_arguments_get_a_code_and_null_is_harmless() {
        let mut out = std::ptr::null_mut();
        // SAFETY: NULL pointers, which the functions must refuse.
        unsafe {
            assert_eq!(
                zk_data_watch_new(
                    std::ptr::null_mut(),
                    c"/p".as_ptr(),
                    Some(keep),
                    std::ptr::null_mut(),
                    None,
                    &mut out
                ),
                Error::NullArgument
            );
            assert!(!zk_data_watch_is_running(std::ptr::null()));
            assert!(!zk_children_watch_is_running(std::ptr::null()));
            assert_eq!(
                zk_data_watch_stop(std::ptr::null_mut()),
                Error::NullArgument
            );
            assert_eq!(
                zk_children_watch_get_failure(std::ptr::null()),
                Error::NullArgument
            );
            zk_data_watch_free(std::ptr::null_mut());
            zk_children_watch_free(std::ptr::null_mut());
        }
        assert!(out.is_null());
    }
}
