//! Transactions: several writes that the server applies all or nothing (ZooKeeper's multi,
//! op 14; kazoo's `transaction()`, the C client's `zoo_multi`). A failed transaction is not
//! an `Err`: every op gets its own result — the failing op its error, the others
//! `RolledBack` (before it) or `Failed(RuntimeInconsistency)` (after it) — as the server
//! reports them. `Err` means the request itself failed (connection loss, bad argument).

use std::time::Duration;

use super::{decode_body, Client, CreateOptions, CreateReq};
use crate::error::{Error, Result};
use crate::proto::consts::OpCode;
use crate::proto::*;

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
    /// The created path (sequence suffix included, chroot stripped).
    Created(String),
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
        let mut req = MultiRequest {
            ops: Vec::with_capacity(ops.len()),
        };
        for op in ops {
            req.ops.push(self.multi_op(op)?);
        }
        let rep = self.request(OpCode::Multi, &req, None, &mut None, self.deadline(timeout))?;
        let resp: MultiResponse = decode_body(&rep, self.session.max_frame())?;
        if resp.results.len() != ops.len() {
            return Err(Error::Protocol);
        }
        let chroot = self.session.chroot();
        Ok(resp
            .results
            .into_iter()
            .map(|r| match r {
                MultiResult::Create { path } | MultiResult::Create2 { path, .. } => {
                    OpResult::Created(chroot.strip(&path).to_string())
                }
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
                    CreateReq::Plain(_, r) => MultiOp::Create(r),
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
