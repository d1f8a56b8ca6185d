//! The lease recipes in C: zk_lease_obtain (kazoo's NonBlockingLease) and
//! zk_multi_lease_obtain (its MultiNonBlockingLease). A lease is an attempt, not a handle:
//! each call tries once and says whether this identifier holds the lease now.

use std::ffi::c_char;
use std::time::Duration;

use super::client::zk_client;
use super::convert::*;
use super::zk_result;
use crate::recipe::lease::{obtain, obtain_one_of, LeaseOptions};

fn lease_options(identifier: Option<&str>, lock_timeout_ms: u32) -> LeaseOptions {
    LeaseOptions {
        identifier: identifier.map(str::to_string),
        lock_timeout: timeout(lock_timeout_ms),
    }
}

/// Tries once to obtain (or, with the same identifier, renew) the lease at path for
/// duration_ms, and writes to *obtained whether this identifier holds it now (false:
/// another identifier's lease has not ended). identifier NULL: the host name, as kazoo's.
/// The lease's lock is waited for at most lock_timeout_ms (0: the operation timeout).
/// Written as kazoo writes it (path/lease_holder, a JSON record), so kazoo's and ours
/// compete for one lease. A lease ends at its end time, not with the session: renew it
/// well before, and stop the leased work when a renewal fails.
#[no_mangle]
pub unsafe extern "C" fn zk_lease_obtain(
    client: *mut zk_client,
    path: *const c_char,
    duration_ms: u64,
    identifier: *const c_char,
    lock_timeout_ms: u32,
    obtained: *mut bool,
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
        out_arg(obtained)?;
        let got = obtain(
            c,
            path,
            Duration::from_millis(duration_ms),
            &lease_options(ident, lock_timeout_ms),
        )?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(obtained, got) };
        Ok(())
    })
}

/// Tries the leases path/0 .. path/<count-1> in order, as zk_lease_obtain each, and writes
/// to *slot the index of the one obtained (or renewed), or -1 when every one is held by
/// another identifier. ZK_RESULT_INVALID_ARGUMENT for a count of 0.
#[no_mangle]
pub unsafe extern "C" fn zk_multi_lease_obtain(
    client: *mut zk_client,
    count: u32,
    path: *const c_char,
    duration_ms: u64,
    identifier: *const c_char,
    lock_timeout_ms: u32,
    slot: *mut i64,
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
        out_arg(slot)?;
        let got = obtain_one_of(
            c,
            count,
            path,
            Duration::from_millis(duration_ms),
            &lease_options(ident, lock_timeout_ms),
        )?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(slot, got.map_or(-1, i64::from)) };
        Ok(())
    })
}
