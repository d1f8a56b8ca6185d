//! Transactions as zookeeper.h has them: `zoo_op_t` (made by the `zoo_*_op_init`
//! functions), `zoo_multi` and `zoo_amulti`, each op's result written into the caller's
//! `zoo_op_result_t` (a create's path into the op's own buffer, a set's Stat into the op's
//! Stat) before the call returns or its completion runs.

use std::ffi::{c_char, c_int, c_void};
use std::ptr;
use std::time::Duration;

use zkclient::multi::{Op, OpResult};
use zkclient::Error;

use crate::errors::*;
use crate::handle::{as_callback, handle, ZHandle};
use crate::jute::{acls_of, str_of, AclVector, Stat};
use crate::ops::{code_in_callback, guarded, Ptr, VoidCompletion};

const ZOO_CREATE_OP: c_int = 1;
const ZOO_DELETE_OP: c_int = 2;
const ZOO_SETDATA_OP: c_int = 5;
const ZOO_CHECK_OP: c_int = 13;
const ZOO_CREATE2_OP: c_int = 15;
const ZOO_CREATE_CONTAINER_OP: c_int = 19;
const ZOO_CREATE_TTL_OP: c_int = 21;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CreateOp {
    pub path: *const c_char,
    pub data: *const c_char,
    pub datalen: c_int,
    pub buf: *mut c_char,
    pub buflen: c_int,
    pub acl: *const AclVector,
    pub flags: c_int,
    pub ttl: i64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct DeleteOp {
    pub path: *const c_char,
    pub version: c_int,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct SetOp {
    pub path: *const c_char,
    pub data: *const c_char,
    pub datalen: c_int,
    pub version: c_int,
    pub stat: *mut Stat,
}

#[repr(C)]
pub union OpUnion {
    pub create_op: CreateOp,
    pub delete_op: DeleteOp,
    pub set_op: SetOp,
    pub check_op: DeleteOp,
}

/// `zoo_op_t`.
#[repr(C)]
pub struct ZooOp {
    pub type_: c_int,
    pub u: OpUnion,
}

/// `zoo_op_result_t`.
#[repr(C)]
pub struct ZooOpResult {
    pub err: c_int,
    pub value: *mut c_char,
    pub valuelen: c_int,
    pub stat: *mut Stat,
}

fn create_type(mode: c_int, default: c_int) -> c_int {
    match mode {
        4 => ZOO_CREATE_CONTAINER_OP,
        5 | 6 => ZOO_CREATE_TTL_OP,
        _ => default,
    }
}

#[allow(clippy::too_many_arguments)]
unsafe fn create_init(
    op: *mut ZooOp,
    default: c_int,
    path: *const c_char,
    value: *const c_char,
    valuelen: c_int,
    acl: *const AclVector,
    mode: c_int,
    path_buffer: *mut c_char,
    path_buffer_len: c_int,
) {
    if op.is_null() {
        return;
    }
    (*op).type_ = create_type(mode, default);
    (*op).u.create_op = CreateOp {
        path,
        data: value,
        datalen: valuelen,
        buf: path_buffer,
        buflen: path_buffer_len,
        acl,
        flags: mode,
        ttl: 0,
    };
}

/// # Safety
/// `op` NULL or writable; the other pointers are kept in it, not read.
#[no_mangle]
pub unsafe extern "C" fn zoo_create_op_init(
    op: *mut ZooOp,
    path: *const c_char,
    value: *const c_char,
    valuelen: c_int,
    acl: *const AclVector,
    mode: c_int,
    path_buffer: *mut c_char,
    path_buffer_len: c_int,
) {
    create_init(
        op,
        ZOO_CREATE_OP,
        path,
        value,
        valuelen,
        acl,
        mode,
        path_buffer,
        path_buffer_len,
    )
}

/// # Safety
/// As `zoo_create_op_init`.
#[no_mangle]
pub unsafe extern "C" fn zoo_create2_op_init(
    op: *mut ZooOp,
    path: *const c_char,
    value: *const c_char,
    valuelen: c_int,
    acl: *const AclVector,
    mode: c_int,
    path_buffer: *mut c_char,
    path_buffer_len: c_int,
) {
    create_init(
        op,
        ZOO_CREATE2_OP,
        path,
        value,
        valuelen,
        acl,
        mode,
        path_buffer,
        path_buffer_len,
    )
}

/// # Safety
/// `op` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn zoo_delete_op_init(op: *mut ZooOp, path: *const c_char, version: c_int) {
    if !op.is_null() {
        (*op).type_ = ZOO_DELETE_OP;
        (*op).u.delete_op = DeleteOp { path, version };
    }
}

/// # Safety
/// `op` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn zoo_set_op_init(
    op: *mut ZooOp,
    path: *const c_char,
    buffer: *const c_char,
    buflen: c_int,
    version: c_int,
    stat: *mut Stat,
) {
    if !op.is_null() {
        (*op).type_ = ZOO_SETDATA_OP;
        (*op).u.set_op = SetOp {
            path,
            data: buffer,
            datalen: buflen,
            version,
            stat,
        };
    }
}

/// # Safety
/// `op` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn zoo_check_op_init(op: *mut ZooOp, path: *const c_char, version: c_int) {
    if !op.is_null() {
        (*op).type_ = ZOO_CHECK_OP;
        (*op).u.check_op = DeleteOp { path, version };
    }
}

unsafe fn bytes(p: *const c_char, len: c_int) -> Result<Vec<u8>, c_int> {
    if p.is_null() || len <= 0 {
        return Ok(Vec::new());
    }
    if len as usize > 1 << 30 {
        return Err(ZBADARGUMENTS);
    }
    Ok(std::slice::from_raw_parts(p as *const u8, len as usize).to_vec())
}

/// The caller's ops as the crate's.
unsafe fn ops_of(ops: &[ZooOp]) -> Result<Vec<Op>, c_int> {
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        let path = |p: *const c_char| str_of(p).map(str::to_string).ok_or(ZBADARGUMENTS);
        out.push(match op.type_ {
            ZOO_CREATE_OP | ZOO_CREATE2_OP | ZOO_CREATE_CONTAINER_OP | ZOO_CREATE_TTL_OP => {
                let c = op.u.create_op;
                let (ephemeral, sequence) = match c.flags {
                    0 | 4 | 5 => (false, false),
                    1 => (true, false),
                    2 | 6 => (false, true),
                    3 => (true, true),
                    _ => return Err(ZBADARGUMENTS),
                };
                let ttl = match c.flags {
                    5 | 6 if c.ttl > 0 => Some(Duration::from_millis(c.ttl as u64)),
                    5 | 6 => return Err(ZBADARGUMENTS),
                    _ => None,
                };
                Op::Create {
                    path: path(c.path)?,
                    data: bytes(c.data, c.datalen)?,
                    acl: Some(acls_of(c.acl)?),
                    ephemeral,
                    sequence,
                    container: c.flags == 4,
                    ttl,
                }
            }
            ZOO_DELETE_OP => Op::Delete {
                path: path(op.u.delete_op.path)?,
                version: op.u.delete_op.version,
            },
            ZOO_SETDATA_OP => {
                let s = op.u.set_op;
                Op::Set {
                    path: path(s.path)?,
                    data: bytes(s.data, s.datalen)?,
                    version: s.version,
                }
            }
            ZOO_CHECK_OP => Op::Check {
                path: path(op.u.check_op.path)?,
                version: op.u.check_op.version,
            },
            _ => return Err(ZUNIMPLEMENTED),
        });
    }
    Ok(out)
}

/// Where a multi's results go: the caller's ops and results arrays.
#[derive(Clone, Copy)]
struct Out {
    ops: *const ZooOp,
    results: *mut ZooOpResult,
    n: usize,
}
// SAFETY: the caller keeps both arrays alive until the call returns or its completion ran.
unsafe impl Send for Out {}

/// Writes the results; returns the transaction's code: the first op error that is not
/// RUNTIMEINCONSISTENCY, as the official client reports it.
unsafe fn write_results(out: Out, r: Result<Vec<OpResult>, c_int>) -> c_int {
    let ops = std::slice::from_raw_parts(out.ops, out.n);
    let results = std::slice::from_raw_parts_mut(out.results, out.n);
    let list = match r {
        Ok(l) => l,
        Err(rc) => {
            for res in results.iter_mut() {
                res.err = rc;
                res.value = ptr::null_mut();
                res.stat = ptr::null_mut();
            }
            return rc;
        }
    };
    let mut rc = ZOK;
    for ((op, res), r) in ops.iter().zip(results.iter_mut()).zip(list) {
        res.err = ZOK;
        res.value = ptr::null_mut();
        res.valuelen = 0;
        res.stat = ptr::null_mut();
        match r {
            OpResult::Created { path, .. } => {
                let c = op.u.create_op;
                res.value = c.buf;
                res.valuelen = c.buflen;
                if !c.buf.is_null() && c.buflen > 0 {
                    let n = path.len().min(c.buflen as usize - 1);
                    ptr::copy_nonoverlapping(path.as_ptr() as *const c_char, c.buf, n);
                    *c.buf.add(n) = 0;
                } else {
                    res.value = ptr::null_mut();
                }
            }
            OpResult::Set(s) => {
                let dst = op.u.set_op.stat;
                if !dst.is_null() {
                    *dst = Stat::from(&s);
                    res.stat = dst;
                }
            }
            OpResult::Deleted | OpResult::Checked | OpResult::RolledBack => {}
            OpResult::Failed(e) => {
                let code = code_of(e, true);
                res.err = code;
                if rc == ZOK && code != ZRUNTIMEINCONSISTENCY {
                    rc = code;
                }
            }
        }
    }
    rc
}

unsafe fn checked<'a>(
    zh: *mut ZHandle,
    count: c_int,
    ops: *const ZooOp,
    results: *mut ZooOpResult,
) -> Result<(&'a ZHandle, Vec<Op>, Out), c_int> {
    let h = handle(zh).ok_or(ZBADARGUMENTS)?;
    if count < 0 || (count > 0 && (ops.is_null() || results.is_null())) {
        return Err(ZBADARGUMENTS);
    }
    if h.unrecoverable() {
        return Err(ZINVALIDSTATE);
    }
    let n = count as usize;
    let list = if n == 0 {
        Vec::new()
    } else {
        ops_of(std::slice::from_raw_parts(ops, n))?
    };
    Ok((h, list, Out { ops, results, n }))
}

/// # Safety
/// zookeeper.h's contract: `count` ops and results.
#[no_mangle]
pub unsafe extern "C" fn zoo_multi(
    zh: *mut ZHandle,
    count: c_int,
    ops: *const ZooOp,
    results: *mut ZooOpResult,
) -> c_int {
    guarded(|| {
        let (h, list, out) = match checked(zh, count, ops, results) {
            Ok(x) => x,
            Err(c) => return c,
        };
        let r = h.client.multi(&list, None).map_err(|e| h.code(e));
        write_results(out, r)
    })
}

/// # Safety
/// zookeeper.h's contract: `count` ops and results, alive until the completion ran.
#[no_mangle]
pub unsafe extern "C" fn zoo_amulti(
    zh: *mut ZHandle,
    count: c_int,
    ops: *const ZooOp,
    results: *mut ZooOpResult,
    completion: Option<VoidCompletion>,
    data: *const c_void,
) -> c_int {
    let data = Ptr(data);
    guarded(|| {
        let (h, list, out) = match checked(zh, count, ops, results) {
            Ok(x) => x,
            Err(c) => return c,
        };
        let shared = h.shared.clone();
        let cb = Box::new(move |r: Result<Vec<OpResult>, Error>| {
            as_callback(|| {
                if shared.handle().is_none() {
                    return;
                }
                let r = r.map_err(|e| code_in_callback(&shared, e));
                // SAFETY: the caller keeps the arrays alive until this runs.
                let rc = unsafe { write_results(out, r) };
                if let Some(f) = completion {
                    // SAFETY: the caller's completion.
                    unsafe { f(rc, data.get()) }
                }
            })
        });
        match h.client.multi_async(&list, None, cb) {
            Ok(()) => ZOK,
            Err(e) => h.code(e),
        }
    })
}
