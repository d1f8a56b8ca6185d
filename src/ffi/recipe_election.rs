//! The election handle (`zk_election`: kazoo's Election, or Curator's LeaderLatch names).

use std::ffi::{c_char, c_void};

use super::client::zk_client;
use super::convert::*;
use super::recipe_lock::{zk_lock_state, zk_recipe_state_fn};
use super::types::*;
use super::zk_result;
use crate::error::Error;
use crate::recipe::election::{Election, ElectionOptions};
use crate::recipe::lock::LockState;

/// A contender in the election on a path (opaque), with kazoo (and Curator) programs on
/// the same path. Thread-safe, as zk_lock. Free it with zk_election_free, which resigns.
pub struct zk_election {
    inner: Election,
}

/// The leader function of zk_election_run: runs on the thread that called
/// zk_election_run while we lead, and should return when zk_election_should_stop says so
/// (zk_election_wait sleeps until then). It must not free the election.
pub type zk_lead_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, election: *mut zk_election)>;

/// Makes a contender on path and writes it to *out. identifier (NULL: "") is our node's
/// data, which zk_election_contenders lists; layout a zk_layout. Nothing is sent yet; the
/// client is held as zk_lock_new holds it.
#[no_mangle]
pub unsafe extern "C" fn zk_election_new(
    client: *mut zk_client,
    path: *const c_char,
    identifier: *const c_char,
    layout: u32,
    out: *mut *mut zk_election,
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
        let opts = ElectionOptions {
            identifier,
            layout: layout_arg(layout)?,
        };
        let inner = Election::new(c, path, opts)?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, to_handle(zk_election { inner })) };
        Ok(())
    })
}

/// Waits to be elected, at most timeout_ms (negative: no deadline; 0: one look), then
/// calls lead(userdata, election) on this thread and resigns when it returns. OK once
/// lead has run; ZK_RESULT_TIMED_OUT or ZK_RESULT_CANCELLED if never elected.
#[no_mangle]
pub unsafe extern "C" fn zk_election_run(
    election: *mut zk_election,
    timeout_ms: i64,
    lead: zk_lead_fn,
    userdata: *mut c_void,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let e = unsafe { ref_arg(election) }?;
        let lead = lead.ok_or(Error::NullArgument)?;
        e.inner.run(recipe_timeout(timeout_ms), |_| {
            // SAFETY: a C function pointer, its userdata, and the live handle it ran on.
            unsafe { lead(userdata, election) }
        })
    })
}

/// Waits to be elected, as zk_election_run, and returns leading; zk_election_resign ends
/// it. OK at once if already leading.
#[no_mangle]
pub unsafe extern "C" fn zk_election_campaign(
    election: *mut zk_election,
    timeout_ms: i64,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let e = unsafe { ref_arg(election) }?;
        e.inner.campaign(recipe_timeout(timeout_ms))
    })
}

/// Stops leading (deletes our node), or forgets a lost leadership; OK when not leading.
#[no_mangle]
pub unsafe extern "C" fn zk_election_resign(election: *mut zk_election) -> zk_result {
    // SAFETY: the caller's contract.
    guard(|| unsafe { ref_arg(election) }?.inner.resign())
}

/// Makes a wait to be elected return ZK_RESULT_CANCELLED promptly (with none in progress,
/// the next one), and tells a leader to stop: zk_election_should_stop is true until it
/// resigns. Any thread.
#[no_mangle]
pub unsafe extern "C" fn zk_election_cancel(election: *mut zk_election) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(election) }?.inner.cancel();
        Ok(())
    })
}

/// As zk_lock_clear_cancel, for zk_election_cancel; a leader's stop request goes too.
#[no_mangle]
pub unsafe extern "C" fn zk_election_clear_cancel(election: *mut zk_election) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(election) }?.inner.clear_cancel();
        Ok(())
    })
}

/// ZK_LOCK_STATE_HELD while we lead; SUSPENDED, LOST as a lock's; NOT_HELD otherwise and
/// for NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_election_get_state(election: *const zk_election) -> zk_lock_state {
    guard_value(LockState::NotHeld, || {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(election) }.map_or(LockState::NotHeld, |e| e.inner.state())
    })
}

/// Whether a leader should return: zk_election_cancel was called, or leadership is lost.
/// True for NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_election_should_stop(election: *const zk_election) -> bool {
    guard_value(true, || {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(election) }.map_or(true, |e| e.inner.should_stop())
    })
}

/// Sleeps until the leader should stop, the state changes, or timeout_ms passes
/// (negative: no limit); returns zk_election_should_stop. True for NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_election_wait(election: *const zk_election, timeout_ms: i64) -> bool {
    guard_value(true, || {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(election) }.map_or(true, |e| e.inner.wait(recipe_timeout(timeout_ms)))
    })
}

/// As zk_lock_set_state_callback, for our leadership: SUSPENDED (may no longer lead),
/// HELD again, LOST (no longer leads).
#[no_mangle]
pub unsafe extern "C" fn zk_election_set_state_callback(
    election: *mut zk_election,
    callback: zk_recipe_state_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    guard(move || {
        // SAFETY: the caller's contract.
        let e = unsafe { ref_arg(election) }?;
        e.inner.set_state_callback(recipe_state_fn(callback, ud));
        Ok(())
    })
}

/// Writes to *out the identifiers of the contenders, the leader first (free with
/// zk_string_list_free).
#[no_mangle]
pub unsafe extern "C" fn zk_election_contenders(
    election: *const zk_election,
    out: *mut *mut zk_string_list,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let e = unsafe { ref_arg(election) }?;
        out_arg(out)?;
        let list = zk_string_list::new(e.inner.contenders()?)?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, list) };
        Ok(())
    })
}

/// Resigns if leading and frees the election, as zk_lock_free.
#[no_mangle]
pub unsafe extern "C" fn zk_election_free(election: *mut zk_election) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(election) }
}
