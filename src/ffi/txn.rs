//! Transactions: a zk_txn built with zk_txn_create/_delete/_set/_check, committed with
//! zk_txn_commit, and the per-op results it gives back.

use std::ffi::{c_char, CString};

use super::client::zk_client;
use super::convert::*;
use super::types::{zk_acl, zk_stat};
use super::zk_result;
use crate::client::multi::{Op, OpResult};
use crate::error::Error;

/// A transaction being built (opaque). Not thread-safe. Free with zk_txn_free.
pub struct zk_txn {
    ops: Vec<Op>,
}

/// The per-op results of zk_txn_commit (opaque). Free with zk_txn_results_free.
pub struct zk_txn_results {
    items: Vec<(zk_result, Option<CString>, Option<zk_stat>)>,
}

/// A new, empty transaction; never NULL. Free it with zk_txn_free.
#[no_mangle]
pub extern "C" fn zk_txn_new() -> *mut zk_txn {
    guard_value(std::ptr::null_mut(), || {
        to_handle(zk_txn { ops: Vec::new() })
    })
}

/// Frees a transaction. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn zk_txn_free(txn: *mut zk_txn) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(txn) }
}

/// Adds a create, with arguments as zk_create's (ZK_CREATE_FLAG_MAKEPATH is refused). The
/// data and ACL are copied. Paths are checked when the transaction is committed.
#[no_mangle]
pub unsafe extern "C" fn zk_txn_create(
    txn: *mut zk_txn,
    path: *const c_char,
    data: *const u8,
    len: usize,
    acl: *const zk_acl,
    acl_len: usize,
    flags: u32,
    ttl_ms: i64,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract, for every argument below.
        let (t, path, data, acl) = unsafe {
            (
                mut_arg(txn)?,
                str_arg(path)?,
                bytes_arg(data, len)?,
                acl_list_arg(acl, acl_len)?,
            )
        };
        let o = create_options(flags, ttl_ms, None)?;
        if o.makepath {
            return Err(Error::InvalidArgument);
        }
        // Refuse a bad combination now, as zk_create does, not at commit.
        crate::client::create_mode(&o)?;
        t.ops.push(Op::Create {
            path: path.to_string(),
            data: data.to_vec(),
            acl,
            ephemeral: o.ephemeral,
            sequence: o.sequence,
            container: o.container,
            ttl: o.ttl,
        });
        Ok(())
    })
}

/// Adds a delete of path if its version is version (-1: any).
#[no_mangle]
pub unsafe extern "C" fn zk_txn_delete(
    txn: *mut zk_txn,
    path: *const c_char,
    version: i32,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (t, path) = unsafe { (mut_arg(txn)?, str_arg(path)?) };
        t.ops.push(Op::Delete {
            path: path.to_string(),
            version,
        });
        Ok(())
    })
}

/// Adds a set of path's data (copied) if its version is version (-1: any).
#[no_mangle]
pub unsafe extern "C" fn zk_txn_set(
    txn: *mut zk_txn,
    path: *const c_char,
    data: *const u8,
    len: usize,
    version: i32,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (t, path, data) = unsafe { (mut_arg(txn)?, str_arg(path)?, bytes_arg(data, len)?) };
        t.ops.push(Op::Set {
            path: path.to_string(),
            data: data.to_vec(),
            version,
        });
        Ok(())
    })
}

/// Adds a check: the transaction fails unless path's version is version.
#[no_mangle]
pub unsafe extern "C" fn zk_txn_check(
    txn: *mut zk_txn,
    path: *const c_char,
    version: i32,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (t, path) = unsafe { (mut_arg(txn)?, str_arg(path)?) };
        t.ops.push(Op::Check {
            path: path.to_string(),
            version,
        });
        Ok(())
    })
}

/// Commits txn atomically: ZK_RESULT_OK when every op was applied. When the server refused
/// it, nothing was applied and the result is the failing op's error; unlike every other
/// call, *out (optional) is written then too, so each op's outcome can be read with
/// zk_txn_results_get. Free *out with zk_txn_results_free. txn is not changed: commit it
/// again or free it. An empty txn sends nothing: ZK_RESULT_OK with no results, or
/// ZK_RESULT_CLOSED before zk_start and after zk_close, as any call would get.
#[no_mangle]
pub unsafe extern "C" fn zk_txn_commit(
    client: *mut zk_client,
    txn: *const zk_txn,
    timeout_ms: u32,
    out: *mut *mut zk_txn_results,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, t) = unsafe { (client_arg(client)?, ref_arg(txn)?) };
        let results = c.multi(&t.ops, timeout(timeout_ms))?;
        let mut first_error = None;
        let mut items = Vec::with_capacity(results.len());
        for r in results {
            let item = match r {
                OpResult::Created { path, stat } => {
                    (Error::Ok, Some(to_cstring(path)?), stat.map(zk_stat::from))
                }
                OpResult::Set(s) => (Error::Ok, None, Some(zk_stat::from(s))),
                OpResult::Deleted | OpResult::Checked => (Error::Ok, None, None),
                OpResult::RolledBack => (Error::RuntimeInconsistency, None, None),
                OpResult::Failed(e) => {
                    if e != Error::RuntimeInconsistency {
                        first_error.get_or_insert(e);
                    }
                    (e, None, None)
                }
            };
            items.push(item);
        }
        if !out.is_null() {
            // SAFETY: non-null, writable by the caller's contract.
            unsafe { write_opt(out, to_handle(zk_txn_results { items })) };
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    })
}

/// The number of per-op results; 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_txn_results_len(r: *const zk_txn_results) -> usize {
    // SAFETY: the caller's contract.
    guard_value(0, || {
        unsafe { ref_arg(r) }.map(|r| r.items.len()).unwrap_or(0)
    })
}

/// Reads the outcome of op index (ZK_RESULT_INVALID_ARGUMENT if out of range). *rc gets
/// ZK_RESULT_OK for an applied op, the op's error for the failing one, and
/// ZK_RESULT_RUNTIME_INCONSISTENCY for ops not applied because another failed. *path gets
/// a create's path (borrowed from r, valid until it is freed) or NULL. *stat gets the op's
/// Stat: a set's new one, and a create's where the server sends it (ZooKeeper 3.9 for every
/// create; 3.8 only for container and TTL nodes); it is zero-filled when the op has none
/// (a node's czxid is never 0, so czxid == 0 means "no Stat"). Each out-parameter is
/// optional.
#[no_mangle]
pub unsafe extern "C" fn zk_txn_results_get(
    r: *const zk_txn_results,
    index: usize,
    rc: *mut zk_result,
    path: *mut *const c_char,
    stat: *mut zk_stat,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let r = unsafe { ref_arg(r) }?;
        let (code, p, s) = r.items.get(index).ok_or(Error::InvalidArgument)?;
        // SAFETY: the caller's contract.
        unsafe {
            write_opt(rc, *code);
            write_opt(path, p.as_ref().map_or(std::ptr::null(), |p| p.as_ptr()));
            write_opt(stat, s.unwrap_or_default());
        }
        Ok(())
    })
}

/// Frees results. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn zk_txn_results_free(r: *mut zk_txn_results) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(r) }
}
