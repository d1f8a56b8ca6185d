//! The set partitioner in C: zk_partitioner, a member of kazoo's SetPartitioner on the same
//! znodes (a shallow party and a lock per item), with its state and its state callback.

use std::ffi::{c_char, c_void};
use std::sync::Arc;
use std::time::Duration;

use super::client::zk_client;
use super::convert::*;
use super::types::*;
use super::zk_result;
use crate::recipe::partitioner::{
    PartitionState, PartitionStateFn, PartitionerOptions, SetPartitioner,
};

/// The state enum as C sees it (the Rust API's `PartitionState`).
/// cbindgen:ignore
pub type zk_partition_state = PartitionState;

/// A partitioner's state callback: told of every change of its state, on the thread that
/// made it (the client's event thread for a change of the party or of the connection, the
/// partitioner's own thread for ZK_PARTITION_STATE_ACQUIRED, the caller's for
/// zk_partitioner_release_set and zk_partitioner_finish). It may read the partitioner
/// (zk_partitioner_get_state, zk_partitioner_items) but must not call
/// zk_partitioner_release_set or zk_partitioner_finish, nor free it: they wait for threads
/// that may be waiting for the callback.
pub type zk_partition_state_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, state: zk_partition_state)>;

/// A member of a set partition (opaque): kazoo's SetPartitioner, sharing the split with
/// kazoo programs on the same path. Thread-safe: one thread may wait in
/// zk_partitioner_wait_for_acquire while another cancels it or reads the state. Free it
/// with zk_partitioner_free, which finishes it.
pub struct zk_partitioner {
    inner: SetPartitioner,
}

/// A C duration in milliseconds, or `dflt` when negative.
fn millis_or(ms: i64, dflt: Duration) -> Duration {
    u64::try_from(ms).map_or(dflt, Duration::from_millis)
}

/// Makes a member of the partition of items (an array of items_len strings; NULL is fine
/// when items_len is 0; duplicates count once) at path, and writes it to *out. It starts
/// allocating at once, on a thread of its own (this call sends nothing): it joins the shallow
/// party "<path>/party" as identifier (NULL or "": "<host name>-<pid>"), waits until the party
/// has not changed for time_boundary_ms (negative: kazoo's 30000), computes its share
/// (kazoo's split: the sorted items from its place among the sorted identifiers, every
/// n-th) and takes a lock "<path>/locks/<item>" for each item of it, waiting at most
/// max_reaction_time_ms (negative: kazoo's 1000) at a time before it looks whether the
/// party changed. ZK_RESULT_INVALID_ARGUMENT when identifier cannot be part of a node name
/// (a '/') or an item cannot be part of a lock's path (empty, "." or "..", a '/' at either
/// end). The partitioner holds the client weakly: after zk_client_free it fails
/// (ZK_PARTITION_STATE_FAILURE), and it must still be freed.
#[no_mangle]
pub unsafe extern "C" fn zk_partitioner_new(
    client: *mut zk_client,
    path: *const c_char,
    items: *const *const c_char,
    items_len: usize,
    identifier: *const c_char,
    time_boundary_ms: i64,
    max_reaction_time_ms: i64,
    out: *mut *mut zk_partitioner,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, path, items, identifier) = unsafe {
            (
                client_arg(client)?,
                str_arg(path)?,
                str_list_arg(items, items_len)?,
                opt_str_arg(identifier)?,
            )
        };
        out_arg(out)?;
        let dflt = PartitionerOptions::default();
        let opts = PartitionerOptions {
            identifier: identifier.map(str::to_string),
            time_boundary: millis_or(time_boundary_ms, dflt.time_boundary),
            max_reaction_time: millis_or(max_reaction_time_ms, dflt.max_reaction_time),
            partition_func: None,
        };
        let inner = SetPartitioner::new(c, path, items, opts)?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, to_handle(zk_partitioner { inner })) };
        Ok(())
    })
}

/// Waits until the partitioner is no longer allocating, at most timeout_ms (negative: no
/// deadline; 0: one look), and writes the state it is in to *state_out (optional):
/// ZK_PARTITION_STATE_ACQUIRED, or RELEASE or FAILURE if that came first.
/// ZK_RESULT_TIMED_OUT while still allocating at the deadline, ZK_RESULT_CANCELLED when
/// zk_partitioner_cancel was called. The allocation goes on either way.
#[no_mangle]
pub unsafe extern "C" fn zk_partitioner_wait_for_acquire(
    partitioner: *mut zk_partitioner,
    timeout_ms: i64,
    state_out: *mut zk_partition_state,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let p = unsafe { ref_arg(partitioner) }?;
        let s = p.inner.wait_for_acquire(recipe_timeout(timeout_ms))?;
        // SAFETY: NULL or writable by the caller's contract.
        unsafe { write_opt(state_out, s) };
        Ok(())
    })
}

/// Makes every zk_partitioner_wait_for_acquire in progress on other threads return
/// ZK_RESULT_CANCELLED promptly; with none in progress, the next one returns it at once.
/// Any thread. The allocation goes on.
#[no_mangle]
pub unsafe extern "C" fn zk_partitioner_cancel(partitioner: *mut zk_partitioner) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(partitioner) }?.inner.cancel();
        Ok(())
    })
}

/// Forgets a zk_partitioner_cancel that no wait has consumed: for a caller that cancels one
/// wait of its own and may have called zk_partitioner_cancel just after it returned.
#[no_mangle]
pub unsafe extern "C" fn zk_partitioner_clear_cancel(
    partitioner: *mut zk_partitioner,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(partitioner) }?.inner.clear_cancel();
        Ok(())
    })
}

/// The partitioner's state; ZK_PARTITION_STATE_FAILURE for NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_partitioner_get_state(
    partitioner: *const zk_partitioner,
) -> zk_partition_state {
    guard_value(PartitionState::Failure, || {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(partitioner) }.map_or(PartitionState::Failure, |p| p.inner.state())
    })
}

/// Writes our share to *out (free with zk_string_list_free), sorted: the items whose locks
/// we hold, while ZK_PARTITION_STATE_ACQUIRED and in the RELEASE that follows until
/// zk_partitioner_release_set; an empty list otherwise.
#[no_mangle]
pub unsafe extern "C" fn zk_partitioner_items(
    partitioner: *const zk_partitioner,
    out: *mut *mut zk_string_list,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let p = unsafe { ref_arg(partitioner) }?;
        out_arg(out)?;
        let list = zk_string_list::new(p.inner.items())?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, list) };
        Ok(())
    })
}

/// Releases our share (every lock we hold) and allocates again: the call to make on
/// ZK_PARTITION_STATE_RELEASE. In ZK_PARTITION_STATE_FAILURE it releases what is left and
/// changes nothing. A lock that cannot be released fails the partitioner and is returned.
#[no_mangle]
pub unsafe extern "C" fn zk_partitioner_release_set(partitioner: *mut zk_partitioner) -> zk_result {
    // SAFETY: the caller's contract.
    guard(|| unsafe { ref_arg(partitioner) }?.inner.release_set())
}

/// Releases our share, leaves the party and goes to ZK_PARTITION_STATE_FAILURE for good.
/// Idempotent. Returns the first error of a release or of the leave (the session's end
/// removes what is left).
#[no_mangle]
pub unsafe extern "C" fn zk_partitioner_finish(partitioner: *mut zk_partitioner) -> zk_result {
    // SAFETY: the caller's contract.
    guard(|| unsafe { ref_arg(partitioner) }?.inner.finish())
}

/// Why the partitioner failed, when a request it made failed (or the thread it allocates
/// on could not be made): that result. ZK_RESULT_OK while it has not failed, or when it
/// failed because its session ended, its client was freed, or it was finished.
#[no_mangle]
pub unsafe extern "C" fn zk_partitioner_get_failure(
    partitioner: *const zk_partitioner,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        match unsafe { ref_arg(partitioner) }?.inner.failure() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    })
}

/// Sets the state callback (NULL clears it): callback(userdata, state) runs on the thread
/// that made the change (see zk_partition_state_fn). finalizer(userdata) runs once when
/// the callback is replaced or cleared, or the partitioner freed, once no call of it is
/// running; or before this returns if it fails.
#[no_mangle]
pub unsafe extern "C" fn zk_partitioner_set_state_callback(
    partitioner: *mut zk_partitioner,
    callback: zk_partition_state_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    guard(move || {
        // SAFETY: the caller's contract.
        let p = unsafe { ref_arg(partitioner) }?;
        let f: Option<PartitionStateFn> = match callback {
            None => None,
            Some(cb) => Some(Arc::new(move |s: PartitionState| {
                // SAFETY: a C function pointer and the userdata it came with.
                unsafe { cb(ud.ptr(), s) }
            })),
        };
        p.inner.set_state_callback(f);
        Ok(())
    })
}

/// Finishes the partitioner (releases our share and leaves the party: blocking deletes, up
/// to the operation timeout each) and frees it; the state callback's finalizer runs. NULL is
/// a no-op. No other thread may be using it (cancel and wait for a wait first), and it must
/// not be freed from its own state callback.
#[no_mangle]
pub unsafe extern "C" fn zk_partitioner_free(partitioner: *mut zk_partitioner) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(partitioner) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn a_negative_duration_is_kazoos_default() {
        let d = Duration::from_secs(30);
        assert_eq!(millis_or(-1, d), d);
        assert_eq!(millis_or(0, d), Duration::ZERO);
        assert_eq!(millis_or(250, d), Duration::from_millis(250));
    }

    #[test]
    fn bad_arguments_get_a_code_and_null_is_harmless() {
        let mut out = std::ptr::null_mut();
        // SAFETY: NULL pointers, which the functions must refuse.
        unsafe {
            assert_eq!(
                zk_partitioner_new(
                    std::ptr::null_mut(),
                    c"/p".as_ptr(),
                    std::ptr::null(),
                    0,
                    std::ptr::null(),
                    -1,
                    -1,
                    &mut out
                ),
                Error::NullArgument
            );
            assert_eq!(
                zk_partitioner_get_state(std::ptr::null()),
                PartitionState::Failure
            );
            assert_eq!(
                zk_partitioner_wait_for_acquire(std::ptr::null_mut(), 0, std::ptr::null_mut()),
                Error::NullArgument
            );
            zk_partitioner_free(std::ptr::null_mut());
        }
        assert!(out.is_null());
    }
}
