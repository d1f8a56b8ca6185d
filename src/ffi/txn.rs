//! Batches: a transaction (zk_txn built with zk_txn_create/_delete/_set/_check, committed
//! with zk_txn_commit) and a read batch (zk_read_batch, read with zk_multi_read), and the
//! per-op results each gives back.

use std::ffi::{c_char, c_void, CString};

use super::async_ops::{completion, rc};
use super::client::zk_client;
use super::convert::*;
use super::types::{zk_acl, zk_finalizer_fn, zk_stat, zk_string_list};
use super::zk_result;
use crate::client::multi::{Op, OpResult, ReadOp, ReadResult};
use crate::error::{Error, Result};

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

/// A read batch being built (opaque): gets and child listings that zk_multi_read sends in
/// one request. Not thread-safe. Free with zk_read_batch_free.
pub struct zk_read_batch {
    ops: Vec<ReadOp>,
}

/// The per-read results of zk_multi_read (opaque). Free with zk_read_results_free.
pub struct zk_read_results {
    items: Vec<ReadItem>,
}

enum ReadItem {
    Data(Vec<u8>, zk_stat),
    Children(zk_string_list),
    Failed(zk_result),
}

impl zk_read_results {
    fn new(results: Vec<ReadResult>) -> Result<zk_read_results> {
        let items = results
            .into_iter()
            .map(|r| {
                Ok(match r {
                    ReadResult::Data { data, stat } => ReadItem::Data(data, stat.into()),
                    ReadResult::Children(c) => ReadItem::Children(zk_string_list::from_strings(c)?),
                    ReadResult::Failed(e) => ReadItem::Failed(e),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(zk_read_results { items })
    }
}

/// A new, empty read batch; never NULL. Free it with zk_read_batch_free.
#[no_mangle]
pub extern "C" fn zk_read_batch_new() -> *mut zk_read_batch {
    guard_value(std::ptr::null_mut(), || {
        to_handle(zk_read_batch { ops: Vec::new() })
    })
}

/// Frees a read batch. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn zk_read_batch_free(batch: *mut zk_read_batch) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(batch) }
}

/// Adds a read of path's data and Stat, as zk_get (without a watch). Paths are checked
/// when the batch is read.
#[no_mangle]
pub unsafe extern "C" fn zk_read_batch_get(
    batch: *mut zk_read_batch,
    path: *const c_char,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (b, path) = unsafe { (mut_arg(batch)?, str_arg(path)?) };
        b.ops.push(ReadOp::get_data(path));
        Ok(())
    })
}

/// Adds a listing of path's children, as zk_get_children (without a watch).
#[no_mangle]
pub unsafe extern "C" fn zk_read_batch_get_children(
    batch: *mut zk_read_batch,
    path: *const c_char,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (b, path) = unsafe { (mut_arg(batch)?, str_arg(path)?) };
        b.ops.push(ReadOp::get_children(path));
        Ok(())
    })
}

/// Reads batch in one request and round trip (multiRead, ZooKeeper 3.6+) and writes each
/// read's result to *out (free with zk_read_results_free), in the order the reads were
/// added. ZK_RESULT_OK means the server answered: each read then has its own result, and
/// one failing (ZK_RESULT_NO_NODE, ...) does not fail the others. batch is not changed.
/// An empty batch sends nothing: ZK_RESULT_OK with no results, or ZK_RESULT_CLOSED before
/// zk_start and after zk_close.
#[no_mangle]
pub unsafe extern "C" fn zk_multi_read(
    client: *mut zk_client,
    batch: *const zk_read_batch,
    timeout_ms: u32,
    out: *mut *mut zk_read_results,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, b) = unsafe { (client_arg(client)?, ref_arg(batch)?) };
        out_arg(out)?;
        let results = zk_read_results::new(c.multi_read(&b.ops, timeout(timeout_ms))?)?;
        // SAFETY: the caller's contract.
        unsafe { write_opt(out, to_handle(results)) };
        Ok(())
    })
}

/// A completion with a read batch's results (freed by the library after the call): NULL
/// unless rc is ZK_RESULT_OK.
pub type zk_read_completion_fn = Option<
    unsafe extern "C" fn(userdata: *mut c_void, rc: zk_result, results: *const zk_read_results),
>;

/// zk_multi_read, async: the callback gets the results.
/// Returns at once. On ZK_RESULT_OK, callback(userdata, rc, ...) runs exactly once, later,
/// on the event thread, in reply order; a stop or close before the reply gives it
/// ZK_RESULT_CLOSED. On any other result it never runs. finalizer(userdata) (optional)
/// runs exactly once: after the callback, or before this returns if it fails.
#[no_mangle]
pub unsafe extern "C" fn zk_multi_read_async(
    client: *mut zk_client,
    batch: *const zk_read_batch,
    timeout_ms: u32,
    callback: zk_read_completion_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    guard(move || {
        let done = completion(callback, ud, |cb, ud, r: Result<Vec<ReadResult>>| {
            let results = r.and_then(zk_read_results::new);
            let rp = results
                .as_ref()
                .map_or(std::ptr::null(), |r| r as *const zk_read_results);
            // SAFETY: a C function pointer and its userdata; the results live for the call.
            unsafe { cb(ud, rc(&results), rp) };
        })?;
        // SAFETY: the caller's contract.
        let (c, b) = unsafe { (client_arg(client)?, ref_arg(batch)?) };
        c.multi_read_async(&b.ops, timeout(timeout_ms), done)
    })
}

/// The number of per-read results; 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_read_results_len(r: *const zk_read_results) -> usize {
    // SAFETY: the caller's contract.
    guard_value(0, || {
        unsafe { ref_arg(r) }.map(|r| r.items.len()).unwrap_or(0)
    })
}

/// Reads the result of read index (ZK_RESULT_INVALID_ARGUMENT if out of range). *rc gets
/// ZK_RESULT_OK or that read's error. For a get that succeeded, *data and *len get the
/// node's data (borrowed from r, valid until it is freed; len 0 for an empty node) and
/// *stat its Stat; for a child listing, *children gets the list (borrowed from r: do not
/// free it). What a read did not give is written as NULL, 0 and a zero-filled Stat. Each
/// out-parameter is optional.
#[no_mangle]
pub unsafe extern "C" fn zk_read_results_get(
    r: *const zk_read_results,
    index: usize,
    rc: *mut zk_result,
    data: *mut *const u8,
    len: *mut usize,
    stat: *mut zk_stat,
    children: *mut *const zk_string_list,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let r = unsafe { ref_arg(r) }?;
        let item = r.items.get(index).ok_or(Error::InvalidArgument)?;
        let (code, d, n, s, c) = match item {
            ReadItem::Data(d, s) => (Error::Ok, d.as_ptr(), d.len(), *s, std::ptr::null()),
            ReadItem::Children(l) => (
                Error::Ok,
                std::ptr::null(),
                0,
                zk_stat::default(),
                l as *const zk_string_list,
            ),
            ReadItem::Failed(e) => (
                *e,
                std::ptr::null(),
                0,
                zk_stat::default(),
                std::ptr::null(),
            ),
        };
        // SAFETY: the caller's contract.
        unsafe {
            write_opt(rc, code);
            write_opt(data, d);
            write_opt(len, n);
            write_opt(stat, s);
            write_opt(children, c);
        }
        Ok(())
    })
}

/// Frees results, their data and child lists. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn zk_read_results_free(r: *mut zk_read_results) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(r) }
}
