//! The lock handle (`zk_lock`: kazoo's Lock, ReadLock and WriteLock, or Curator's) and what
//! the recipe handles share: the layout, the state enum and the state callback.

use std::ffi::{c_char, c_void};

use super::client::zk_client;
use super::convert::*;
use super::types::*;
use super::zk_result;
use crate::error::Error;
use crate::recipe::lock::{Lock, LockKind, LockOptions, LockState};

/// Whose znode names a recipe writes.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum zk_layout {
    /// kazoo's: `<uuid4 hex>__lock__<seq>` (`__rlock__` for a reader).
    Kazoo = 0,
    /// Curator's protected names: `_c_<uuid>-lock-<seq>` (InterProcessMutex),
    /// `-__READ__` / `-__WRIT__` (InterProcessReadWriteLock), `-latch-` (LeaderLatch).
    Curator = 1,
}

/// Which lock of a path zk_lock_new makes.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum zk_lock_kind {
    /// One holder (kazoo's Lock, Curator's InterProcessMutex).
    Exclusive = 0,
    /// Held with other readers, never with a writer before it (kazoo's ReadLock).
    Read = 1,
    /// Held alone, after every reader and writer before it (kazoo's WriteLock).
    Write = 2,
}

/// A recipe's state callback: told, on the client's event thread, of each change the
/// session makes to a held lock, lease or leadership (ZK_LOCK_STATE_SUSPENDED,
/// ZK_LOCK_STATE_HELD again, ZK_LOCK_STATE_LOST); never of the caller's own acquire or
/// release. It may call back into the library, but must not free the recipe.
pub type zk_recipe_state_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, state: zk_lock_state)>;

/// The state enum as C sees it (the Rust API's `LockState`).
/// cbindgen:ignore
pub type zk_lock_state = LockState;

/// A distributed lock on a path (opaque), shared with kazoo (and Curator) programs on the
/// same path. Thread-safe: one thread may block in zk_lock_acquire while another calls
/// zk_lock_cancel. Free it with zk_lock_free, which releases it.
pub struct zk_lock {
    inner: Lock,
}

/// Makes a lock on path (made, with its parents, on first use) and writes it to *out.
/// identifier (NULL: "") is our node's data, which zk_lock_contenders lists; kind is a
/// zk_lock_kind, layout a zk_layout (ZK_RESULT_INVALID_ARGUMENT otherwise). Nothing is sent
/// yet. The lock holds the client weakly: after zk_client_free its calls return
/// ZK_RESULT_CLOSED, and it must still be freed.
#[no_mangle]
pub unsafe extern "C" fn zk_lock_new(
    client: *mut zk_client,
    path: *const c_char,
    identifier: *const c_char,
    kind: u32,
    layout: u32,
    out: *mut *mut zk_lock,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, path, identifier) = unsafe {
            (
                client_arg(client)?,
                str_arg(path)?,
                identifier_arg(identifier)?,
            )
        };
        out_arg(out)?;
        let kind = match kind {
            0 => LockKind::Exclusive,
            1 => LockKind::Read,
            2 => LockKind::Write,
            _ => return Err(Error::InvalidArgument),
        };
        let opts = LockOptions {
            identifier,
            layout: layout_arg(layout)?,
            kind,
        };
        let inner = Lock::new(c, path, opts)?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, to_handle(zk_lock { inner })) };
        Ok(())
    })
}

/// Acquires the lock, waiting at most timeout_ms (negative: no deadline; 0: one look).
/// ZK_RESULT_TIMED_OUT when the deadline passed, ZK_RESULT_CANCELLED when zk_lock_cancel
/// was called; either way our node is gone (or, with the connection down, goes as soon as
/// it is back). OK at once if already held (not re-entrant: one release releases).
#[no_mangle]
pub unsafe extern "C" fn zk_lock_acquire(lock: *mut zk_lock, timeout_ms: i64) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let l = unsafe { ref_arg(lock) }?;
        l.inner.acquire(recipe_timeout(timeout_ms))
    })
}

/// Acquires the lock if nobody holds it or waits before us: *acquired says whether it
/// did. Takes a few round trips, bounded by the client's operation timeout.
#[no_mangle]
pub unsafe extern "C" fn zk_lock_try_acquire(lock: *mut zk_lock, acquired: *mut bool) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let l = unsafe { ref_arg(lock) }?;
        out_arg(acquired)?;
        let got = l.inner.try_acquire()?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(acquired, got) };
        Ok(())
    })
}

/// Makes a zk_lock_acquire in progress on another thread return ZK_RESULT_CANCELLED
/// promptly; with none in progress, the next one returns it at once. Any thread.
#[no_mangle]
pub unsafe extern "C" fn zk_lock_cancel(lock: *mut zk_lock) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(lock) }?.inner.cancel();
        Ok(())
    })
}

/// Forgets a zk_lock_cancel that no acquire has consumed: for a caller that cancels one
/// acquire of its own and may have called zk_lock_cancel just after it returned.
#[no_mangle]
pub unsafe extern "C" fn zk_lock_clear_cancel(lock: *mut zk_lock) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(lock) }?.inner.clear_cancel();
        Ok(())
    })
}

/// Releases the lock: deletes our node (with the connection down, as soon as it is back).
/// OK when not held; after ZK_LOCK_STATE_LOST it forgets the lost lock.
#[no_mangle]
pub unsafe extern "C" fn zk_lock_release(lock: *mut zk_lock) -> zk_result {
    // SAFETY: the caller's contract.
    guard(|| unsafe { ref_arg(lock) }?.inner.release())
}

/// The lock's state; ZK_LOCK_STATE_NOT_HELD for NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_lock_get_state(lock: *const zk_lock) -> zk_lock_state {
    guard_value(LockState::NotHeld, || {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(lock) }.map_or(LockState::NotHeld, |l| l.inner.state())
    })
}

/// Sets the state callback (NULL clears it): callback(userdata, state) runs on the
/// client's event thread. finalizer(userdata) runs once when the callback is replaced or
/// cleared, or the lock freed, once no call of it is running (so perhaps a moment later,
/// on the event thread); or before this returns if it fails.
#[no_mangle]
pub unsafe extern "C" fn zk_lock_set_state_callback(
    lock: *mut zk_lock,
    callback: zk_recipe_state_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    guard(move || {
        // SAFETY: the caller's contract.
        let l = unsafe { ref_arg(lock) }?;
        l.inner.set_state_callback(recipe_state_fn(callback, ud));
        Ok(())
    })
}

/// Writes to *out the path of our node while the lock is acquired (free with
/// zk_string_free), NULL otherwise.
#[no_mangle]
pub unsafe extern "C" fn zk_lock_node(lock: *const zk_lock, out: *mut *mut c_char) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let l = unsafe { ref_arg(lock) }?;
        out_arg(out)?;
        let node = match l.inner.node() {
            Some(n) => to_cstring(n)?.into_raw(),
            None => std::ptr::null_mut(),
        };
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, node) };
        Ok(())
    })
}

/// Writes to *out the identifiers of the holder and the waiters, in order (free with
/// zk_string_list_free).
#[no_mangle]
pub unsafe extern "C" fn zk_lock_contenders(
    lock: *const zk_lock,
    out: *mut *mut zk_string_list,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let l = unsafe { ref_arg(lock) }?;
        out_arg(out)?;
        let list = zk_string_list::new(l.inner.contenders()?)?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, list) };
        Ok(())
    })
}

/// Releases the lock if held and frees it; the state callback's finalizer runs. NULL is a
/// no-op. No other thread may be using the lock (cancel and wait for an acquire first).
#[no_mangle]
pub unsafe extern "C" fn zk_lock_free(lock: *mut zk_lock) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(lock) }
}
