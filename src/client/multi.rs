//! Batches of operations in one request:
//! - transactions: several writes that the server applies all or nothing (ZooKeeper's
//!   multi, op 14; kazoo's `transaction()`, the C client's `zoo_multi`). A failed
//!   transaction is not an `Err`: every op gets its own result — the failing op its error,
//!   the others `RolledBack` (before it) or `Failed(RuntimeInconsistency)` (after it) — as
//!   the server reports them.
//! - read batches: several gets and child listings answered together (multiRead, op 22,
//!   ZooKeeper 3.6+; Curator's and the Java client's `multi` of reads). Each read succeeds or
//!   fails on its own; nothing is atomic about them beyond being answered in one reply.
//!
//! In both, `Err` means the request itself failed (connection loss, bad argument).

use std::time::Duration;

use super::async_ops::{ok_reply, Callback};
use super::{decode_body, Client, CreateOptions, CreateReq};
use crate::error::{Error, Result};
use crate::proto::consts::OpCode;
use crate::proto::*;
use crate::session::Reply;

/// One write of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Create a node (no `makepath` inside a transaction).
    Create {
        path: String,
        data: Vec<u8>,
        /// None = the client's default ACL.
        acl: Option<Vec<Acl>>,
        ephemeral: bool,
        sequence: bool,
        container: bool,
        ttl: Option<Duration>,
    },
    /// Delete a node if its version matches (-1 = any).
    Delete { path: String, version: i32 },
    /// Set a node's data if its version matches (-1 = any).
    Set {
        path: String,
        data: Vec<u8>,
        version: i32,
    },
    /// Fail the transaction unless the node's version matches.
    Check { path: String, version: i32 },
}

impl Op {
    /// A plain persistent create.
    pub fn create(path: impl Into<String>, data: impl Into<Vec<u8>>) -> Op {
        Op::Create {
            path: path.into(),
            data: data.into(),
            acl: None,
            ephemeral: false,
            sequence: false,
            container: false,
            ttl: None,
        }
    }
}

/// What one op of a transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpResult {
    /// The created path (sequence suffix included, chroot stripped) and the new node's
    /// Stat when the server sends it: ZooKeeper 3.9 does for every create in a transaction,
    /// 3.8 only for containers and TTL nodes (it answers a plain create with the path
    /// alone, ZOOKEEPER-4026).
    Created {
        path: String,
        stat: Option<Stat>,
    },
    Deleted,
    Set(Stat),
    Checked,
    /// This op was fine but the transaction failed elsewhere, so it was not applied.
    RolledBack,
    /// This op failed (or, with RuntimeInconsistency, was not tried).
    Failed(Error),
}

impl Client {
    /// Applies `ops` atomically. See the module docs for how failures are reported.
    pub fn multi(&self, ops: &[Op], timeout: Option<Duration>) -> Result<Vec<OpResult>> {
        if ops.is_empty() {
            // Nothing to send, but the answer is the one any request would get: CLOSED
            // before start and after close.
            self.session.terminal_error()?;
            return Ok(Vec::new());
        }
        let req = self.multi_request(ops)?;
        let rep = self.request(OpCode::Multi, &req, None, &mut None, self.deadline(timeout))?;
        op_results_from(
            &rep,
            ops.len(),
            self.session.chroot(),
            self.session.max_frame(),
        )
    }

    /// `multi` without blocking: `cb` runs on the event thread (see `async_ops`); an empty
    /// batch's too.
    pub fn multi_async(
        &self,
        ops: &[Op],
        timeout: Option<Duration>,
        cb: Callback<Vec<OpResult>>,
    ) -> Result<()> {
        if ops.is_empty() {
            self.session.terminal_error()?;
            self.defer(Box::new(move || cb(Ok(Vec::new()))));
            return Ok(());
        }
        let req = self.multi_request(ops)?;
        let (n, max) = (ops.len(), self.session.max_frame());
        let chroot = self.session.chroot().clone();
        self.submit(
            OpCode::Multi,
            &req,
            None,
            None,
            timeout,
            Box::new(move |r| {
                cb(ok_reply(r).and_then(|rep| op_results_from(&rep, n, &chroot, max)))
            }),
        );
        Ok(())
    }

    fn multi_request(&self, ops: &[Op]) -> Result<MultiRequest> {
        let mut req = MultiRequest {
            ops: Vec::with_capacity(ops.len()),
        };
        for op in ops {
            req.ops.push(self.multi_op(op)?);
        }
        Ok(req)
    }

    fn multi_op(&self, op: &Op) -> Result<MultiOp> {
        Ok(match op {
            Op::Create {
                path,
                data,
                acl,
                ephemeral,
                sequence,
                container,
                ttl,
            } => {
                let o = CreateOptions {
                    acl: acl.as_deref(),
                    ephemeral: *ephemeral,
                    sequence: *sequence,
                    container: *container,
                    ttl: *ttl,
                    makepath: false,
                };
                match self.create_parts(path, data, &o, false)? {
                    CreateReq::Plain(OpCode::CreateContainer, r) => MultiOp::CreateContainer(r),
                    // create2 rather than create: a server that can answers with the
                    // Stat (3.9), one that cannot answers as for create (3.6-3.8).
                    CreateReq::Plain(_, r) => MultiOp::Create2(r),
                    CreateReq::Ttl(r) => MultiOp::CreateTtl(r),
                }
            }
            Op::Delete { path, version } => MultiOp::Delete(DeleteRequest {
                path: self.server_path(path, false)?.into_owned(),
                version: *version,
            }),
            Op::Set {
                path,
                data,
                version,
            } => {
                self.check_data(data)?;
                MultiOp::SetData(SetDataRequest {
                    path: self.server_path(path, false)?.into_owned(),
                    data: data.clone(),
                    version: *version,
                })
            }
            Op::Check { path, version } => MultiOp::Check(CheckVersionRequest {
                path: self.server_path(path, false)?.into_owned(),
                version: *version,
            }),
        })
    }
}

/// One read of a read batch (`Client::multi_read`). No watches: the server sets none from
/// a multiRead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadOp {
    /// A node's data and Stat, as `get`.
    GetData { path: String },
    /// A node's children, as `get_children`.
    GetChildren { path: String },
}

impl ReadOp {
    pub fn get_data(path: impl Into<String>) -> ReadOp {
        ReadOp::GetData { path: path.into() }
    }

    pub fn get_children(path: impl Into<String>) -> ReadOp {
        ReadOp::GetChildren { path: path.into() }
    }
}

/// What one read of a read batch gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadResult {
    Data {
        data: Vec<u8>,
        stat: Stat,
    },
    /// Child names, unsorted, as the server sent them.
    Children(Vec<String>),
    /// This read failed (NO_NODE, NO_AUTH, ...); the others are unaffected.
    Failed(Error),
}

impl Client {
    /// Reads `ops` in one request and round trip (multiRead, ZooKeeper 3.6+), each with its
    /// own result in the order given. Retried as the single reads are (command retry
    /// policy); an empty batch sends nothing.
    pub fn multi_read(&self, ops: &[ReadOp], timeout: Option<Duration>) -> Result<Vec<ReadResult>> {
        if ops.is_empty() {
            self.session.terminal_error()?;
            return Ok(Vec::new());
        }
        let req = self.read_request(ops)?;
        let deadline = self.deadline(timeout);
        let max = self.session.max_frame();
        self.retrying(deadline, || {
            let rep = self.request(OpCode::MultiRead, &req, None, &mut None, deadline)?;
            read_results_from(&rep, ops.len(), max)
        })
    }

    /// `multi_read` without blocking: `cb` runs on the event thread (see `async_ops`).
    pub fn multi_read_async(
        &self,
        ops: &[ReadOp],
        timeout: Option<Duration>,
        cb: Callback<Vec<ReadResult>>,
    ) -> Result<()> {
        if ops.is_empty() {
            // Nothing to send; the callback still runs where every completion does.
            self.session.terminal_error()?;
            self.defer(Box::new(move || cb(Ok(Vec::new()))));
            return Ok(());
        }
        let req = self.read_request(ops)?;
        let (n, max) = (ops.len(), self.session.max_frame());
        self.submit(
            OpCode::MultiRead,
            &req,
            None,
            None,
            timeout,
            Box::new(move |r| cb(ok_reply(r).and_then(|rep| read_results_from(&rep, n, max)))),
        );
        Ok(())
    }

    fn read_request(&self, ops: &[ReadOp]) -> Result<MultiRequest> {
        let mut req = MultiRequest {
            ops: Vec::with_capacity(ops.len()),
        };
        for op in ops {
            req.ops.push(match op {
                ReadOp::GetData { path } => MultiOp::GetData(GetDataRequest {
                    path: self.server_path(path, false)?.into_owned(),
                    watch: false,
                }),
                ReadOp::GetChildren { path } => MultiOp::GetChildren(GetChildrenRequest {
                    path: self.server_path(path, false)?.into_owned(),
                    watch: false,
                }),
            });
        }
        Ok(req)
    }
}

/// A transaction's results from its reply: one per op.
fn op_results_from(
    rep: &Reply,
    n: usize,
    chroot: &crate::proto::path::Chroot,
    max_frame: usize,
) -> Result<Vec<OpResult>> {
    let resp: MultiResponse = decode_body(rep, max_frame)?;
    if resp.results.len() != n {
        return Err(Error::Protocol);
    }
    Ok(resp
        .results
        .into_iter()
        .map(|r| match r {
            MultiResult::Create { path } => OpResult::Created {
                path: chroot.strip(&path).to_string(),
                stat: None,
            },
            MultiResult::Create2 { path, stat } => OpResult::Created {
                path: chroot.strip(&path).to_string(),
                stat: Some(stat),
            },
            MultiResult::Delete => OpResult::Deleted,
            MultiResult::SetData { stat } => OpResult::Set(stat),
            MultiResult::Check => OpResult::Checked,
            MultiResult::Error { err: 0 } => OpResult::RolledBack,
            MultiResult::Error { err } => OpResult::Failed(Error::from_code(err)),
            // Read results cannot answer a write transaction.
            _ => OpResult::Failed(Error::Protocol),
        })
        .collect())
}

/// A read batch's results from its reply: one per op, each a read's answer or its error.
fn read_results_from(rep: &Reply, n: usize, max_frame: usize) -> Result<Vec<ReadResult>> {
    let resp: MultiResponse = decode_body(rep, max_frame)?;
    if resp.results.len() != n {
        return Err(Error::Protocol);
    }
    resp.results
        .into_iter()
        .map(|r| match r {
            MultiResult::GetData { data, stat } => Ok(ReadResult::Data { data, stat }),
            MultiResult::GetChildren { children } => Ok(ReadResult::Children(children)),
            MultiResult::Error { err } if err != 0 => Ok(ReadResult::Failed(Error::from_code(err))),
            // A write's result, or an error result without an error, cannot answer reads.
            _ => Err(Error::Protocol),
        })
        .collect()
}
