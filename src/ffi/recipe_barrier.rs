//! The barrier recipes in C: zk_barrier (up while its node exists) and zk_double_barrier
//! (enter until num_clients have entered, leave until all have left), on kazoo's znodes.

use std::ffi::c_char;

use super::client::zk_client;
use super::convert::*;
use super::zk_result;
use crate::error::Error;
use crate::recipe::barrier::{Barrier, DoubleBarrier};

/// A barrier (opaque): up while the node at its path exists, as kazoo's Barrier and
/// Curator's DistributedBarrier. Thread-safe: one thread may wait while another cancels.
/// It keeps its own reference to the client's session: after zk_client_free its calls
/// return ZK_RESULT_CLOSED, and it must still be freed with zk_barrier_free.
pub struct zk_barrier {
    inner: Barrier,
}

/// Makes a barrier at path and writes it to *out (free with zk_barrier_free). Nothing is
/// sent. ZK_RESULT_INVALID_PATH if the server would refuse path.
#[no_mangle]
pub unsafe extern "C" fn zk_barrier_new(
    client: *mut zk_client,
    path: *const c_char,
    out: *mut *mut zk_barrier,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client_arg(client)?, str_arg(path)?) };
        out_arg(out)?;
        let b = Barrier::new(c, path)?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, to_handle(zk_barrier { inner: b })) };
        Ok(())
    })
}

/// Puts the barrier up: creates its node, and missing parents, unless it exists.
#[no_mangle]
pub unsafe extern "C" fn zk_barrier_create(barrier: *mut zk_barrier, timeout_ms: u32) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let b = unsafe { ref_arg(barrier) }?;
        b.inner.create(timeout(timeout_ms))
    })
}

/// Takes the barrier down (deletes its node). *removed_out (optional) says whether this
/// call removed it (false: it was not there). ZK_RESULT_NOT_EMPTY if the node has children.
#[no_mangle]
pub unsafe extern "C" fn zk_barrier_remove(
    barrier: *mut zk_barrier,
    timeout_ms: u32,
    removed_out: *mut bool,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let b = unsafe { ref_arg(barrier) }?;
        let removed = b.inner.remove(timeout(timeout_ms))?;
        // SAFETY: NULL or writable by the caller's contract.
        unsafe { write_opt(removed_out, removed) };
        Ok(())
    })
}

/// Waits until the barrier is down (its node does not exist), which may be at once. A
/// recipe wait: timeout_ms negative waits with no deadline, 0 looks once, more is the
/// deadline; ZK_RESULT_TIMED_OUT if it is still up then, ZK_RESULT_CANCELLED when
/// zk_barrier_cancel is called. Repeated timed waits share one watch.
#[no_mangle]
pub unsafe extern "C" fn zk_barrier_wait(barrier: *mut zk_barrier, timeout_ms: i64) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let b = unsafe { ref_arg(barrier) }?;
        b.inner.wait(recipe_timeout(timeout_ms))
    })
}

/// Ends the zk_barrier_wait calls in progress on this barrier, on any thread, with
/// ZK_RESULT_CANCELLED; with none in progress, the next one (as zk_lock_cancel).
#[no_mangle]
pub unsafe extern "C" fn zk_barrier_cancel(barrier: *mut zk_barrier) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(barrier) }?.inner.cancel();
        Ok(())
    })
}

/// Forgets a zk_barrier_cancel that no wait has ended with: for a caller that cancels a
/// wait of its own and may have called zk_barrier_cancel just after it returned.
#[no_mangle]
pub unsafe extern "C" fn zk_barrier_clear_cancel(barrier: *mut zk_barrier) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(barrier) }?.inner.clear_cancel();
        Ok(())
    })
}

/// Frees a barrier; its node stays as it is. NULL is a no-op. No call on it may be in
/// progress.
#[no_mangle]
pub unsafe extern "C" fn zk_barrier_free(barrier: *mut zk_barrier) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(barrier) }
}

/// A member of a double barrier (opaque), as kazoo's DoubleBarrier: an ephemeral
/// path/<uuid4 hex> holding the identifier, and path/ready made by the member that
/// completes the set. Thread-safe: one thread may enter or leave while another cancels.
/// Like zk_barrier, it outlives its client safely.
pub struct zk_double_barrier {
    inner: DoubleBarrier,
}

/// Makes a member of the double barrier at path that opens once num_clients (at least 1)
/// have entered, and writes it to *out (free with zk_double_barrier_free). identifier
/// (optional) is the member node's data; NULL gives kazoo's default, "<host name>-<pid>".
/// Nothing is sent. ZK_RESULT_INVALID_ARGUMENT for num_clients 0.
#[no_mangle]
pub unsafe extern "C" fn zk_double_barrier_new(
    client: *mut zk_client,
    path: *const c_char,
    num_clients: u32,
    identifier: *const c_char,
    out: *mut *mut zk_double_barrier,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, path, ident) = unsafe {
            (
                client_arg(client)?,
                str_arg(path)?,
                opt_str_arg(identifier)?,
            )
        };
        out_arg(out)?;
        let n = usize::try_from(num_clients).map_err(|_| Error::InvalidArgument)?;
        let d = DoubleBarrier::new(c, path, n, ident)?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, to_handle(zk_double_barrier { inner: d })) };
        Ok(())
    })
}

/// Enters: adds our member node (and path, if missing) and waits until num_clients
/// members have entered. A recipe wait (timeout_ms negative: no deadline). On any
/// failure, ZK_RESULT_TIMED_OUT at the deadline or ZK_RESULT_CANCELLED by
/// zk_double_barrier_cancel included, our node is removed before the call returns, so a
/// member that gave up is not counted.
#[no_mangle]
pub unsafe extern "C" fn zk_double_barrier_enter(
    barrier: *mut zk_double_barrier,
    timeout_ms: i64,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(barrier) }?
            .inner
            .enter(recipe_timeout(timeout_ms))
    })
}

/// Leaves: removes path/ready and our node, and waits until every member has left. A
/// recipe wait (timeout_ms negative: no deadline). On any failure (the deadline or a
/// cancel included) our node is removed before the call returns.
#[no_mangle]
pub unsafe extern "C" fn zk_double_barrier_leave(
    barrier: *mut zk_double_barrier,
    timeout_ms: i64,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(barrier) }?
            .inner
            .leave(recipe_timeout(timeout_ms))
    })
}

/// Ends the enter and leave calls in progress on this member, on any thread, with
/// ZK_RESULT_CANCELLED (they remove our node first); with none in progress, the next one.
#[no_mangle]
pub unsafe extern "C" fn zk_double_barrier_cancel(barrier: *mut zk_double_barrier) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(barrier) }?.inner.cancel();
        Ok(())
    })
}

/// Forgets a zk_double_barrier_cancel that no call has ended with.
#[no_mangle]
pub unsafe extern "C" fn zk_double_barrier_clear_cancel(
    barrier: *mut zk_double_barrier,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(barrier) }?.inner.clear_cancel();
        Ok(())
    })
}

/// Writes our member node's path, "<path>/<uuid4 hex>", to *out (free with
/// zk_string_free).
#[no_mangle]
pub unsafe extern "C" fn zk_double_barrier_node_path(
    barrier: *const zk_double_barrier,
    out: *mut *mut c_char,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let b = unsafe { ref_arg(barrier) }?;
        out_arg(out)?;
        let p = to_cstring(b.inner.node_path())?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, p.into_raw()) };
        Ok(())
    })
}

/// True between a zk_double_barrier_enter that returned ZK_RESULT_OK and the next leave;
/// false for NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_double_barrier_participating(
    barrier: *const zk_double_barrier,
) -> bool {
    guard_value(false, || {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(barrier) }.is_ok_and(|b| b.inner.participating())
    })
}

/// Frees a member. One that has entered and not left has its node removed first (a
/// blocking delete, up to the operation timeout), so the others are not held by a member
/// that is gone. NULL is a no-op. No call on it may be in progress.
#[no_mangle]
pub unsafe extern "C" fn zk_double_barrier_free(barrier: *mut zk_double_barrier) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(barrier) }
}
