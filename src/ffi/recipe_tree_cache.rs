//! The tree cache in C: zk_tree_cache, a local copy of a subtree (kazoo's TreeCache,
//! Curator's CuratorCache), its event callback, and reads from memory that copy out.

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

use super::client::zk_client;
use super::convert::*;
use super::types::*;
use super::zk_result;
use crate::error::Error;
use crate::recipe::tree_cache::{
    TreeCache, TreeCacheOptions, TreeEvent, TreeEventFn, TreeEventKind,
};

/// The event kinds as C sees them (the Rust API's `TreeEventKind`).
/// cbindgen:ignore
pub type zk_tree_event_kind = TreeEventKind;

/// One event of a tree cache, valid for the duration of the callback only (copy what you
/// keep). For the node events (NODE_ADDED, NODE_UPDATED: the new data and Stat;
/// NODE_REMOVED: the last ones the cache had) path, data and stat are set; for the others
/// (INITIALIZED, SUSPENDED, RECONNECTED, LOST) path is "", data NULL and stat NULL.
#[repr(C)]
pub struct zk_tree_event {
    pub kind: zk_tree_event_kind,
    pub path: *const c_char,
    pub data: *const u8,
    pub data_len: usize,
    pub stat: *const zk_stat,
}

/// A tree cache's event callback: called on the cache's own thread, one event at a time,
/// in order. It may read the cache (zk_tree_cache_get, ...) and call the client, and may
/// call zk_tree_cache_close; it must not free the cache, nor wait for the cache's later
/// events (the cache's next full load waits for it to return).
pub type zk_tree_event_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, event: *const zk_tree_event)>;

/// A local copy of the subtree at a path (opaque), kept true by watches: one persistent
/// recursive watch on ZooKeeper 3.6+, one-shot watches per node otherwise or when asked.
/// After every reconnect and on a new session after an expiry it reads the tree again and
/// reports exactly what changed meanwhile. Thread-safe. Free it with zk_tree_cache_free.
pub struct zk_tree_cache {
    inner: TreeCache,
}

/// Makes a cache of the subtree at path and writes it to *out; nothing is sent before
/// zk_tree_cache_start. one_shot_watches: use one-shot watches per node (kazoo's way) even
/// if the server has addWatch. callback (optional) gets every event with userdata;
/// finalizer(userdata) runs once when the cache is freed, after the last call of
/// callback, or before this returns if it fails. The cache holds the client weakly: after
/// zk_client_free it follows nothing more, and it must still be freed.
#[no_mangle]
pub unsafe extern "C" fn zk_tree_cache_new(
    client: *mut zk_client,
    path: *const c_char,
    one_shot_watches: bool,
    callback: zk_tree_event_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
    out: *mut *mut zk_tree_cache,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    guard(move || {
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client_arg(client)?, str_arg(path)?) };
        out_arg(out)?;
        let f: Option<TreeEventFn> = callback.map(|cb| {
            let f: TreeEventFn = Arc::new(move |e: &TreeEvent| deliver(cb, ud.ptr(), e));
            f
        });
        let opts = TreeCacheOptions { one_shot_watches };
        let inner = TreeCache::new(c, path, opts, f)?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, to_handle(zk_tree_cache { inner })) };
        Ok(())
    })
}

fn deliver(
    cb: unsafe extern "C" fn(*mut c_void, *const zk_tree_event),
    ud: *mut c_void,
    e: &TreeEvent,
) {
    // A path never holds a NUL (the server refuses one): "" if it did.
    let path = CString::new(e.path.as_str()).unwrap_or_default();
    let stat: Option<zk_stat> = e.stat.map(Into::into);
    let ev = zk_tree_event {
        kind: e.kind,
        path: path.as_ptr(),
        data: if e.stat.is_some() {
            e.data.as_ptr()
        } else {
            std::ptr::null()
        },
        data_len: e.data.len(),
        stat: stat_ptr(&stat),
    };
    // SAFETY: a C function pointer and the userdata it came with; ev lives for the call.
    unsafe { cb(ud, &ev) }
}

/// Starts following the tree: the first full load starts now if the client is connected,
/// or at its connection; ZK_TREE_EVENT_KIND_INITIALIZED follows its NODE_ADDED events.
/// Starting again is a no-op; ZK_RESULT_CLOSED after zk_tree_cache_close.
#[no_mangle]
pub unsafe extern "C" fn zk_tree_cache_start(cache: *mut zk_tree_cache) -> zk_result {
    // SAFETY: the caller's contract.
    guard(|| unsafe { ref_arg(cache) }?.inner.start())
}

/// Stops following the tree: no callback after this returns (called from the callback,
/// the events queued after the current one are dropped). The content stays readable.
/// Idempotent.
#[no_mangle]
pub unsafe extern "C" fn zk_tree_cache_close(cache: *mut zk_tree_cache) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(cache) }?.inner.close();
        Ok(())
    })
}

/// Copies the cached data of path to *data_out (free with zk_buffer_free) and its Stat to
/// *stat_out (optional). ZK_RESULT_NO_NODE if path is not in the cache. The Stat is the one
/// of the node's last data read: its child fields may lag (zk_tree_cache_children is what
/// the cache knows of the children).
#[no_mangle]
pub unsafe extern "C" fn zk_tree_cache_get(
    cache: *const zk_tree_cache,
    path: *const c_char,
    data_out: *mut zk_buffer,
    stat_out: *mut zk_stat,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (t, path) = unsafe { (ref_arg(cache)?, str_arg(path)?) };
        out_arg(data_out)?;
        let n = t.inner.get(path).ok_or(Error::NoNode)?;
        // SAFETY: the caller's contract.
        unsafe {
            write_opt(data_out, zk_buffer::from_vec(n.data));
            write_opt(stat_out, n.stat.into());
        }
        Ok(())
    })
}

/// Writes the cached children's names of path, sorted, to *out (free with
/// zk_string_list_free). ZK_RESULT_NO_NODE if path is not in the cache.
#[no_mangle]
pub unsafe extern "C" fn zk_tree_cache_children(
    cache: *const zk_tree_cache,
    path: *const c_char,
    out: *mut *mut zk_string_list,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (t, path) = unsafe { (ref_arg(cache)?, str_arg(path)?) };
        out_arg(out)?;
        let kids = t.inner.children(path).ok_or(Error::NoNode)?;
        let list = zk_string_list::new(kids)?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, list) };
        Ok(())
    })
}

/// Writes every cached path, sorted, to *out (free with zk_string_list_free): with
/// zk_tree_cache_get, the whole map. A path may leave the cache between the two calls
/// (then zk_tree_cache_get says ZK_RESULT_NO_NODE).
#[no_mangle]
pub unsafe extern "C" fn zk_tree_cache_paths(
    cache: *const zk_tree_cache,
    out: *mut *mut zk_string_list,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let t = unsafe { ref_arg(cache) }?;
        out_arg(out)?;
        let list = zk_string_list::new(t.inner.snapshot().into_keys().collect())?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, list) };
        Ok(())
    })
}

/// How many nodes the cache holds; 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_tree_cache_len(cache: *const zk_tree_cache) -> usize {
    guard_value(0, || {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(cache) }.map_or(0, |t| t.inner.len())
    })
}

/// Whether the first full load is done (INITIALIZED was queued); false for NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_tree_cache_initialized(cache: *const zk_tree_cache) -> bool {
    guard_value(false, || {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(cache) }.is_ok_and(|t| t.inner.initialized())
    })
}

/// Whether the cache follows the tree with one persistent recursive watch (true) or
/// one-shot watches per node (asked for, or the server has no addWatch); false for NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_tree_cache_persistent_watch(cache: *const zk_tree_cache) -> bool {
    guard_value(false, || {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(cache) }.is_ok_and(|t| t.inner.persistent_watch())
    })
}

/// Closes the cache and frees it; the callback's finalizer runs before this returns. NULL
/// is a no-op. Not from the cache's own callback.
#[no_mangle]
pub unsafe extern "C" fn zk_tree_cache_free(cache: *mut zk_tree_cache) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(cache) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_arguments_get_a_code_and_null_is_harmless() {
        let mut out = std::ptr::null_mut();
        // SAFETY: NULL pointers, which the functions must refuse.
        unsafe {
            assert_eq!(
                zk_tree_cache_new(
                    std::ptr::null_mut(),
                    c"/p".as_ptr(),
                    false,
                    None,
                    std::ptr::null_mut(),
                    None,
                    &mut out
                ),
                Error::NullArgument
            );
            assert_eq!(
                zk_tree_cache_start(std::ptr::null_mut()),
                Error::NullArgument
            );
            assert_eq!(zk_tree_cache_len(std::ptr::null()), 0);
            assert!(!zk_tree_cache_initialized(std::ptr::null()));
            zk_tree_cache_free(std::ptr::null_mut());
        }
        assert!(out.is_null());
    }
}
