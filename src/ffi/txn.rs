//! Transactions in C: build a `zk_txn` with `zk_txn_create`/`_delete`/`_set`/`_check`,
//! apply it with `zk_multi`, read per-op results from `zk_txn_results`.

use std::ffi::{c_char, CString};
use std::time::Duration;

use super::client::{acl_list_arg, client, create_options, zk_client};
use super::types::{zk_acl, zk_stat};
use super::{
    bytes_arg, from_handle, guard, guard_value, mut_arg, ref_arg, str_arg, to_handle, write_opt,
    zk_result,
};
use crate::client::multi::{Op, OpResult};
use crate::error::Error;

/// A transaction under construction (opaque). Free with `zk_txn_free`.
pub struct zk_txn {
    ops: Vec<Op>,
}

/// The per-op results of `zk_multi` (opaque). Free with `zk_txn_results_free`.
pub struct zk_txn_results {
    items: Vec<(zk_result, Option<CString>, Option<zk_stat>)>,
}

/// A new, empty transaction. Never NULL.
#[no_mangle]
pub extern "C" fn zk_txn_new() -> *mut zk_txn {
    guard_value(std::ptr::null_mut(), || {
        to_handle(zk_txn { ops: Vec::new() })
    })
}

/// Frees a transaction. NULL is fine.
///
/// # Safety
/// `txn` is NULL or from `zk_txn_new`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn zk_txn_free(txn: *mut zk_txn) {
    // SAFETY: the caller's contract.
    guard_value((), || drop(unsafe { from_handle(txn) }))
}

/// Adds a create (flags as `zk_create`, except `ZK_CREATE_FLAG_MAKEPATH`). Paths are
/// checked when the transaction is applied.
///
/// # Safety
/// `txn` is a live zk_txn; the rest as `zk_create`.
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
        // Refuse a bad combination now, as zk_create does, not at zk_multi.
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

/// Adds a delete if the version matches (-1 = any).
///
/// # Safety
/// `txn` is a live zk_txn; `path` NUL-terminated.
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

/// Adds a set of data if the version matches (-1 = any).
///
/// # Safety
/// `txn` is a live zk_txn; `path` NUL-terminated; `data` `len` bytes.
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

/// Adds a version check: the transaction fails unless the node's version is `version`.
///
/// # Safety
/// `txn` is a live zk_txn; `path` NUL-terminated.
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

/// Applies a transaction atomically. `ZK_RESULT_OK` when every op was applied. When the
/// server refused it, the result is the failing op's error and — unlike other calls —
/// `out` is written too, so each op's outcome can be read (see `zk_txn_results_get`); a
/// failed transaction applied nothing. Free `out` with
/// `zk_txn_results_free`. The transaction can be applied again or freed.
///
/// # Safety
/// `c` is a live client; `txn` a live zk_txn; `out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn zk_multi(
    c: *mut zk_client,
    txn: *const zk_txn,
    timeout_ms: u32,
    out: *mut *mut zk_txn_results,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, t) = unsafe { (client(c)?, ref_arg(txn)?) };
        let timeout = (timeout_ms != 0).then(|| Duration::from_millis(timeout_ms as u64));
        let results = c.multi(&t.ops, timeout)?;
        let mut first_error = None;
        let mut items = Vec::with_capacity(results.len());
        for r in results {
            let item = match r {
                OpResult::Created(p) => (Error::Ok, Some(super::types::to_cstring(p)?), None),
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

/// Number of per-op results; 0 for NULL.
///
/// # Safety
/// `r` is NULL or live results from `zk_multi`.
#[no_mangle]
pub unsafe extern "C" fn zk_txn_results_len(r: *const zk_txn_results) -> usize {
    // SAFETY: the caller's contract.
    guard_value(0, || {
        unsafe { ref_arg(r) }.map(|r| r.items.len()).unwrap_or(0)
    })
}

/// Reads the outcome of op `index`: `rc` is `ZK_RESULT_OK` for an applied op, the op's
/// error for the failing one, `ZK_RESULT_RUNTIME_INCONSISTENCY` for ops not applied because
/// another failed. For a create, `path` gets the created path (borrowed from the results);
/// for a set, `stat` gets the new Stat. Each out-parameter may be NULL; `path` gets NULL and
/// `stat` is left alone when the op has none.
///
/// # Safety
/// `r` is live results from `zk_multi`; the out-parameters NULL or writable.
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
            if let Some(s) = s {
                write_opt(stat, *s);
            }
        }
        Ok(())
    })
}

/// Frees results. NULL is fine.
///
/// # Safety
/// `r` is NULL or results from `zk_multi`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn zk_txn_results_free(r: *mut zk_txn_results) {
    // SAFETY: the caller's contract.
    guard_value((), || drop(unsafe { from_handle(r) }))
}
