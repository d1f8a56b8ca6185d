//! The send path: xids, the pending queue, one flushing writer at a time, requests queued
//! while disconnected and the callbacks' batched requests.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use parking_lot::MutexGuard;

use crate::error::Error;
use crate::proto::consts::{xid, OpCode};
use crate::proto::wire::{Encode, Writer};
use crate::proto::RequestHeader;

use super::inner::{complete, Pending};
use super::{transport, Completion, Inner, LogLevel, PendingWatch, Queued};

/// Callback requests held back while at least `HOLD_DEPTH` async requests are at the server
/// leave once `HOLD_BATCH` of them wait (`Inner::after_batch`).
pub(super) const HOLD_BATCH: usize = 16;
pub(super) const HOLD_DEPTH: usize = 32;

/// The largest allocation `SendSide::spare` keeps.
const SPARE_MAX: usize = 64 * 1024;

/// The writing side of the current connection. Every byte for the socket goes through
/// `out` in xid order; one thread at a time (`flushing`) writes it out with the lock
/// released, so writers that arrive meanwhile only append and go wait for their replies,
/// and many queued requests leave in one write.
pub(super) struct SendSide {
    pub(super) stream: Option<Arc<transport::Conn>>,
    pub(super) next_xid: i32,
    /// Guarded by the send lock like the stream, so a request is either written or queued,
    /// never lost between a disconnect and a flush.
    pub(super) waiting: VecDeque<Queued>,
    /// Frames not yet written.
    pub(super) out: Vec<u8>,
    /// The other of the two buffers `out` alternates with: while one is being written,
    /// writers append to the other. Both keep their allocations, so appending allocates
    /// only to grow; a fresh buffer per flush was allocated by whichever thread appended
    /// first and freed by the flushing one, and with many calling threads glibc's
    /// per-thread arenas crept.
    pub(super) spare: Vec<u8>,
    /// A thread is writing `out` now.
    pub(super) flushing: bool,
    /// How many requests made by callbacks `out` holds: sent when the callback batch ends,
    /// or held for a later batch (see `after_batch`).
    pub(super) deferred: usize,
}

impl SendSide {
    pub(super) fn next_xid(&mut self) -> i32 {
        // Positive xids only; wrap to 1 so we never send a reserved negative xid.
        let x = self.next_xid;
        self.next_xid = if x == i32::MAX { 1 } else { x + 1 };
        x
    }
}

impl Inner {
    /// Under the send lock: takes the next xid, queues the pending entry and appends the
    /// frame to the output, so xid order is socket order. Then flushes, unless `defer`
    /// (a callback's request, sent when the callback batch ends).
    pub(super) fn write_locked(
        &self,
        s: &mut MutexGuard<'_, SendSide>,
        frame: &mut [u8],
        op: OpCode,
        watch: Option<PendingWatch>,
        done: Completion,
        defer: bool,
    ) {
        // Auth goes as xid::AUTH, as Java's client sends it: the server answers it out
        // of turn, as soon as it reads it (`frames::pop_user_auth`).
        let xid = if op == OpCode::Auth {
            xid::AUTH
        } else {
            s.next_xid()
        };
        frame[4..8].copy_from_slice(&xid.to_be_bytes());
        let is_async = matches!(done, Completion::Callback(_));
        if is_async {
            self.role.async_sent();
        }
        let sent_ms = self.now_ms();
        self.pending.lock().push_back(Pending {
            xid,
            sent_ms,
            op,
            watch,
            done,
        });
        if is_async {
            self.role.after_async_sent(self.events.is_event_thread());
        }
        s.out.extend_from_slice(frame);
        if defer {
            s.deferred += 1;
        } else {
            self.flush_locked(s);
        }
    }

    /// Writes `out` to the socket unless another thread is doing so already (it will take
    /// our bytes too). The lock is released while writing. A failed write shuts the socket
    /// down; the reader then fails everything pending.
    pub(super) fn flush_locked(&self, s: &mut MutexGuard<'_, SendSide>) {
        if s.flushing {
            return;
        }
        s.deferred = 0;
        s.flushing = true;
        while !s.out.is_empty() {
            let Some(conn) = s.stream.clone() else {
                s.out.clear();
                break;
            };
            let spare = std::mem::take(&mut s.spare);
            let mut buf = std::mem::replace(&mut s.out, spare);
            let r = MutexGuard::unlocked(s, || conn.write_all(&buf));
            buf.clear();
            if s.out.is_empty() && s.out.capacity() < buf.capacity() {
                // Nothing came meanwhile: write into the larger one next.
                std::mem::swap(&mut s.out, &mut buf);
            }
            // A big frame's buffer (a large set) is not kept twice.
            s.spare = if buf.capacity() <= SPARE_MAX {
                buf
            } else {
                Vec::new()
            };
            if let Err(e) = r {
                conn.shutdown();
                self.log(LogLevel::Warn, format_args!("write failed: {e}"));
                break;
            }
        }
        s.flushing = false;
    }

    /// Runs on the event thread after each batch (and every 100 ms while async requests
    /// wait for a connection): sends the requests callbacks made, together, and fails the
    /// queued ones whose deadline passed, however long a connect attempt takes.
    ///
    /// While the server has a deep queue of our async requests, the callbacks' requests
    /// are held until `HOLD_BATCH` of them wait: the server reads them in one go instead of
    /// a few per read, and the requests ahead of them keep it busy meanwhile, so they are
    /// not answered later for it. Every reply ends a batch and comes back here, so held
    /// requests leave at the latest when the queue at the server runs down to
    /// `HOLD_DEPTH`.
    pub(super) fn after_batch(&self) {
        let mut s = self.send.lock();
        if s.deferred > 0 {
            let at_server = self.role.async_pending().saturating_sub(s.deferred);
            if s.deferred >= HOLD_BATCH || at_server < HOLD_DEPTH {
                self.flush_locked(&mut s);
            }
        }
        if s.waiting.is_empty() {
            // The common case after a batch: one lock, nothing queued.
            drop(s);
            self.events.set_ticking(false);
            return;
        }
        drop(s);
        self.expire_waiting();
        self.events
            .set_ticking(!self.send.lock().waiting.is_empty());
    }

    /// Appends a frame that carries its own xid (pings) and flushes.
    pub(super) fn write_raw(&self, frame: &[u8]) -> bool {
        let mut s = self.send.lock();
        if s.stream.is_none() {
            return false;
        }
        s.out.extend_from_slice(frame);
        self.flush_locked(&mut s);
        true
    }

    /// Writes a request now if there is a connection; `Err` hands everything back if not.
    pub(super) fn send_frame(
        &self,
        frame: &mut [u8],
        op: OpCode,
        watch: Option<PendingWatch>,
        done: Completion,
    ) -> std::result::Result<(), (Option<PendingWatch>, Completion)> {
        let mut s = self.send.lock();
        if s.stream.is_none() {
            return Err((watch, done));
        }
        self.write_locked(&mut s, frame, op, watch, done, false);
        Ok(())
    }

    /// Sends what async callers queued while disconnected, in one write. Called by the I/O
    /// thread with the send lock held, right after publishing a new connection.
    pub(super) fn flush_waiting_locked(&self, s: &mut MutexGuard<'_, SendSide>) {
        let now = Instant::now();
        for mut q in std::mem::take(&mut s.waiting) {
            if q.deadline <= now {
                complete(&self.events, q.done, Err(Error::TimedOut));
            } else {
                self.write_locked(s, &mut q.frame, q.op, q.watch, q.done, true);
            }
        }
        self.flush_locked(s);
    }

    /// Fails queued async requests whose deadline has passed.
    pub(super) fn expire_waiting(&self) {
        let now = Instant::now();
        let mut s = self.send.lock();
        if s.waiting.iter().all(|q| q.deadline > now) {
            return;
        }
        let (late, keep): (VecDeque<_>, VecDeque<_>) = std::mem::take(&mut s.waiting)
            .into_iter()
            .partition(|q| q.deadline <= now);
        s.waiting = keep;
        drop(s);
        for q in late {
            complete(&self.events, q.done, Err(Error::TimedOut));
        }
    }

    /// Fails every queued async request: the session ended for good (or for now, expiry).
    pub(super) fn fail_waiting(&self, err: Error) {
        let queued = std::mem::take(&mut self.send.lock().waiting);
        for q in queued {
            complete(&self.events, q.done, Err(err));
        }
    }
}

/// Builds a request frame: length prefix, header with a placeholder xid (patched when the
/// frame is sent), then the body, in one buffer.
pub fn encode_request(op: OpCode, body: Option<&dyn Encode>) -> Vec<u8> {
    encode_request_into(Vec::with_capacity(64), op, body)
}

/// `encode_request` into `buf`'s allocation.
pub(super) fn encode_request_into(buf: Vec<u8>, op: OpCode, body: Option<&dyn Encode>) -> Vec<u8> {
    let mut w = Writer::reusing(buf);
    let start = w.begin_frame();
    RequestHeader {
        xid: 0,
        op: op as i32,
    }
    .encode(&mut w);
    if let Some(b) = body {
        b.encode(&mut w);
    }
    w.finish_frame(start);
    w.into_inner()
}
