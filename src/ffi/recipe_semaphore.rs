//! The semaphore handle (`zk_semaphore`: kazoo's Semaphore on the same znodes).

use std::ffi::{c_char, c_void};

use super::client::zk_client;
use super::convert::*;
use super::recipe_lock::{zk_lock_state, zk_recipe_state_fn};
use super::types::*;
use super::zk_result;
use crate::recipe::lock::LockState;
use crate::recipe::semaphore::{Semaphore, SemaphoreOptions};

/// A semaphore of at most max_leases leases on a path (opaque), shared with kazoo programs
/// on the same path. Thread-safe, as zk_lock. Free it with zk_semaphore_free, which
/// releases its lease.
pub struct zk_semaphore {
    inner: Semaphore,
}

/// Makes a semaphore on path and writes it to *out. identifier (NULL: "") is our lease's
/// data, which zk_semaphore_lease_holders lists. Every user of the path must give the same
/// max_leases (at least 1): the path records it, and another number makes acquiring fail
/// with ZK_RESULT_MISMATCH. Nothing is sent yet; the client is held as zk_lock_new holds
/// it.
#[no_mangle]
pub unsafe extern "C" fn zk_semaphore_new(
    client: *mut zk_client,
    path: *const c_char,
    identifier: *const c_char,
    max_leases: u32,
    out: *mut *mut zk_semaphore,
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
        let opts = SemaphoreOptions {
            identifier,
            max_leases,
        };
        let inner = Semaphore::new(c, path, opts)?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, to_handle(zk_semaphore { inner })) };
        Ok(())
    })
}

/// Takes a lease, waiting at most timeout_ms (negative: no deadline; 0: one look), as
/// zk_lock_acquire; ZK_RESULT_MISMATCH when the path records another max_leases.
#[no_mangle]
pub unsafe extern "C" fn zk_semaphore_acquire(
    sem: *mut zk_semaphore,
    timeout_ms: i64,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { ref_arg(sem) }?;
        s.inner.acquire(recipe_timeout(timeout_ms))
    })
}

/// Takes a lease if one is free now: *acquired says whether it did.
#[no_mangle]
pub unsafe extern "C" fn zk_semaphore_try_acquire(
    sem: *mut zk_semaphore,
    acquired: *mut bool,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { ref_arg(sem) }?;
        out_arg(acquired)?;
        let got = s.inner.try_acquire()?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(acquired, got) };
        Ok(())
    })
}

/// As zk_lock_cancel, for zk_semaphore_acquire. Any thread.
#[no_mangle]
pub unsafe extern "C" fn zk_semaphore_cancel(sem: *mut zk_semaphore) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(sem) }?.inner.cancel();
        Ok(())
    })
}

/// As zk_lock_clear_cancel, for zk_semaphore_cancel.
#[no_mangle]
pub unsafe extern "C" fn zk_semaphore_clear_cancel(sem: *mut zk_semaphore) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(sem) }?.inner.clear_cancel();
        Ok(())
    })
}

/// Releases our lease; OK when we hold none. As zk_lock_release.
#[no_mangle]
pub unsafe extern "C" fn zk_semaphore_release(sem: *mut zk_semaphore) -> zk_result {
    // SAFETY: the caller's contract.
    guard(|| unsafe { ref_arg(sem) }?.inner.release())
}

/// The lease's state; ZK_LOCK_STATE_NOT_HELD for NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_semaphore_get_state(sem: *const zk_semaphore) -> zk_lock_state {
    guard_value(LockState::NotHeld, || {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(sem) }.map_or(LockState::NotHeld, |s| s.inner.state())
    })
}

/// As zk_lock_set_state_callback, for our lease.
#[no_mangle]
pub unsafe extern "C" fn zk_semaphore_set_state_callback(
    sem: *mut zk_semaphore,
    callback: zk_recipe_state_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    guard(move || {
        // SAFETY: the caller's contract.
        let s = unsafe { ref_arg(sem) }?;
        s.inner.set_state_callback(recipe_state_fn(callback, ud));
        Ok(())
    })
}

/// Writes to *out the identifiers of the lease holders, in no order (free with
/// zk_string_list_free).
#[no_mangle]
pub unsafe extern "C" fn zk_semaphore_lease_holders(
    sem: *const zk_semaphore,
    out: *mut *mut zk_string_list,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { ref_arg(sem) }?;
        out_arg(out)?;
        let list = zk_string_list::new(s.inner.lease_holders()?)?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, list) };
        Ok(())
    })
}

/// Releases our lease if held and frees the semaphore, as zk_lock_free.
#[no_mangle]
pub unsafe extern "C" fn zk_semaphore_free(sem: *mut zk_semaphore) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(sem) }
}
