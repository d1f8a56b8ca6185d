//! The reading side of a connection: one read, the frames it completes, and what each
//! frame is (a reply to match in xid order, a watch event, a ping, auth, SetWatches).

use std::io::ErrorKind;
use std::os::fd::RawFd;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::error::Error;
use crate::proto::consts::{err, xid, EventType, OpCode, REPLY_ROOM};
use crate::proto::frame::{frame_len, FrameError};
use crate::proto::wire::{Decode, Reader};
use crate::proto::{ReplyHeader, WatcherEvent};

use super::hostloop::{enter_auth_failed, End};
use super::inner::{complete, complete_frame, Completed, Inner, Pending, NO_PING};
use super::reader::{Side, Stepped};
use super::state::WatchedEvent;
use super::timing::Timing;
use super::transport::ReadHalf;
use super::LogLevel;

/// Largest oversized reply we skip over to fail just that request; past this the length
/// is garbage and the connection is dropped.
pub(super) const MAX_SKIP: usize = 256 << 20;

/// A read buffer that frames are cut from without moving bytes on every read.
pub(super) struct ReadBuf {
    pub(super) buf: Vec<u8>,
    pub(super) start: usize,
    pub(super) end: usize,
}

impl ReadBuf {
    pub(super) fn avail(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }
    pub(super) fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }
    /// Makes room for at least `want` more bytes after `end`.
    pub(super) fn reserve(&mut self, want: usize) {
        if self.buf.len() - self.end >= want {
            return;
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.end < want {
            self.buf.resize(self.end + want, 0);
        }
    }
}

/// The reading side of one connection and what has been read of it. Whoever holds it
/// (`reader::Role`) reads the socket: the I/O thread, a blocked caller whose reply is due,
/// or the idle event thread.
pub(super) struct ReadSide {
    pub(super) read: ReadHalf,
    pub(super) rb: ReadBuf,
    /// An oversized reply being skipped: its header and the bytes still to skip.
    pub(super) skip: Option<(ReplyHeader, usize)>,
    /// How many more bytes the next frame needs.
    pub(super) want: usize,
    /// The connection ended while a caller was reading; the I/O thread takes it from here.
    pub(super) end: Option<End>,
    /// The longest one read blocks (`step`): the I/O thread looks at least this often.
    pub(super) tick: Duration,
    /// The socket's read timeout now: `tick`, or the event thread's shorter wait
    /// (`step_within`), set again only when the next read wants the other.
    pub(super) timeout: Duration,
    /// The event thread waits for replies in the read itself (`reader::QUICK`).
    pub(super) quick: bool,
}

impl Stepped {
    pub(super) fn add(&mut self, c: Completed) {
        match c {
            Completed::Caller => self.woke_caller = true,
            Completed::Queued => self.queued = true,
        }
    }
}

impl ReadSide {
    /// One read of the socket that blocks at most `timeout`, then every frame it completed.
    fn read_once(&mut self, inner: &Inner, timeout: Duration) -> Result<Stepped, End> {
        if self.timeout != timeout {
            if let Err(e) = self.read.set_read_timeout(Some(timeout)) {
                inner.log(
                    LogLevel::Info,
                    format_args!("setting the read timeout failed: {e}"),
                );
                return Err(End::Lost);
            }
            self.timeout = timeout;
        }
        self.rb.reserve(self.want.max(4 * 1024));
        let end = self.rb.end;
        match self.read.read(&mut self.rb.buf[end..]) {
            Ok(0) => {
                inner.log(LogLevel::Info, format_args!("server closed the connection"));
                return Err(End::Lost);
            }
            Ok(n) => self.rb.end += n,
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) =>
            {
                return Ok(Stepped {
                    idle: true,
                    ..Stepped::default()
                })
            }
            Err(e) => {
                inner.log(LogLevel::Info, format_args!("read failed: {e}"));
                return Err(End::Lost);
            }
        }
        // Everything this read completes goes to the event thread in one go.
        inner.events.hold(|| cut_frames(inner, self))
    }
}

impl Side<Inner> for ReadSide {
    fn step(&mut self, inner: &Inner) -> Result<Stepped, End> {
        self.read_once(inner, self.tick)
    }

    fn step_within(&mut self, inner: &Inner, timeout: Duration) -> Result<Stepped, End> {
        self.read_once(inner, timeout.min(self.tick))
    }

    fn quick(&self) -> bool {
        self.quick
    }

    fn set_quick(&mut self, quick: bool) {
        self.quick = quick;
    }

    fn is_ended(&self) -> bool {
        self.end.is_some()
    }

    fn set_end(&mut self, end: End) {
        self.end = Some(end);
    }

    fn take_end(&mut self) -> Option<End> {
        self.end.take()
    }

    fn tick(&self) -> Duration {
        self.tick
    }

    fn pollable(&self) -> bool {
        self.read.pollable()
    }

    fn wait_readable(&self, wake_fd: RawFd, timeout: Duration) -> std::io::Result<bool> {
        self.read.wait_readable(wake_fd, timeout)
    }

    fn shutdown(&self) {
        self.read.shutdown();
    }
}

/// Puts the reading side of a new connection where readers find it.
pub(super) fn publish_reader(inner: &Inner, read: ReadHalf, negotiated: Duration) -> bool {
    // One fixed socket timeout, so a reader wakes often enough to ping and to notice a
    // silent server without a setsockopt per read.
    let tick = Timing::of(negotiated).tick;
    if read.set_read_timeout(Some(tick)).is_err() {
        return false;
    }
    inner.role.publish(ReadSide {
        read,
        // Small to start (a client's resident memory); grows to fit the largest frame seen.
        rb: ReadBuf {
            buf: vec![0; 8 * 1024],
            start: 0,
            end: 0,
        },
        skip: None,
        want: 4,
        end: None,
        tick,
        timeout: tick,
        quick: true,
    });
    true
}

/// Cuts every whole frame out of what has been read and handles it; `Err` when the
/// connection must end.
pub(super) fn cut_frames(inner: &Inner, rd: &mut ReadSide) -> Result<Stepped, End> {
    let mut woke = Stepped::default();
    loop {
        if let Some((_, rem)) = rd.skip.as_mut() {
            let n = (*rem).min(rd.rb.avail().len());
            rd.rb.consume(n);
            *rem -= n;
            if *rem > 0 {
                rd.want = 1;
                return Ok(woke);
            }
            let hdr = rd.skip.take().expect("set above").0;
            if let Some(c) = fail_oversized(inner, hdr)? {
                woke.add(c);
            }
            continue;
        }
        let avail = rd.rb.avail();
        match frame_len(avail, inner.max_frame + REPLY_ROOM) {
            Ok(None) => {
                rd.want = 4;
                return Ok(woke);
            }
            Ok(Some(len)) => {
                if avail.len() < 4 + len {
                    rd.want = 4 + len - avail.len();
                    return Ok(woke);
                }
                // Handled where it lies: a reply is copied once, to whoever gets it.
                let handled = handle_frame(inner, &avail[4..4 + len]);
                rd.rb.consume(4 + len);
                if let Some(c) = handled? {
                    woke.add(c);
                }
            }
            Err(FrameError::TooLarge(len)) if len <= MAX_SKIP => {
                if avail.len() < 4 + 16 {
                    rd.want = 20 - avail.len();
                    return Ok(woke);
                }
                let hdr = ReplyHeader::decode(&mut Reader::new(&avail[4..20]))
                    .map_err(|_| protocol_error(inner, "bad header"))?;
                rd.rb.consume(20);
                rd.skip = Some((hdr, len - 16));
            }
            Err(e) => return Err(protocol_error(inner, &format!("{e:?}"))),
        }
    }
}

#[cold]
#[inline(never)]
pub(super) fn protocol_error(inner: &Inner, what: &str) -> End {
    inner.log(
        LogLevel::Error,
        format_args!("protocol error from the server: {what}"),
    );
    End::Lost
}

/// A reply over the frame limit: only its own request fails (TooLarge); the connection
/// and every other request carry on.
#[cold]
#[inline(never)]
pub(super) fn fail_oversized(inner: &Inner, hdr: ReplyHeader) -> Result<Option<Completed>, End> {
    inner.log(
        LogLevel::Warn,
        format_args!("reply for xid {} exceeds the frame limit", hdr.xid),
    );
    if hdr.xid < 0 {
        return Ok(None);
    }
    let p = pop_matching(inner, hdr.xid)?;
    inner.heard_at(p.sent_ms);
    Ok(Some(complete(&inner.events, p.done, Err(Error::TooLarge))))
}

pub(super) fn pop_matching(inner: &Inner, xid: i32) -> Result<Pending, End> {
    let mut q = inner.pending.lock();
    match q.pop_front() {
        Some(p) if p.xid == xid => {
            inner.popped(&p);
            Ok(p)
        }
        Some(p) => {
            q.push_front(p);
            // A user's auth request (xid::AUTH) is answered out of turn, never after a
            // request sent behind it; skip those still waiting at the front.
            let at = q.iter().position(|p| p.xid != xid::AUTH);
            match at {
                Some(i) if q[i].xid == xid => {
                    let p = q.remove(i).expect("index from position");
                    inner.popped(&p);
                    Ok(p)
                }
                _ => {
                    let want = at.map(|i| q[i].xid);
                    drop(q);
                    Err(protocol_error(
                        inner,
                        &format!("reply xid {xid} out of order (expected {want:?})"),
                    ))
                }
            }
        }
        None => {
            drop(q);
            Err(protocol_error(inner, &format!("stray reply xid {xid}")))
        }
    }
}

/// The oldest user auth request waiting for its verdict (auth goes as xid::AUTH, which
/// the server answers as soon as it reads it, ahead of requests still in its pipeline).
fn pop_user_auth(inner: &Inner) -> Option<Pending> {
    let mut q = inner.pending.lock();
    let i = q.iter().position(|p| p.xid == xid::AUTH)?;
    let p = q.remove(i)?;
    inner.popped(&p);
    Some(p)
}

/// Handles one frame; says whom a reply went to.
pub(super) fn handle_frame(inner: &Inner, frame: &[u8]) -> Result<Option<Completed>, End> {
    let mut r = Reader::new(frame);
    let hdr =
        ReplyHeader::decode(&mut r).map_err(|_| protocol_error(inner, "short reply header"))?;
    let body_at = frame.len() - r.remaining();
    match hdr.xid {
        xid::NOTIFICATION => handle_notification(inner, &hdr, &mut r),
        xid::PING => {
            let sent = inner.ping_sent_ms.swap(NO_PING, Ordering::Relaxed);
            if sent != NO_PING {
                inner.heard_at(sent);
            }
            inner.note_answered();
            Ok(None)
        }
        xid::AUTH => handle_auth(inner, hdr, frame, body_at),
        xid::SET_WATCHES => {
            if hdr.err != 0 {
                set_watches_failed(inner, hdr.err);
            }
            Ok(None)
        }
        x => {
            let p = pop_matching(inner, x)?;
            finish_reply(inner, p, hdr, frame, body_at)
        }
    }
}

// The frames other than replies are handled out of line, so that the reading thread's
// stack frame for the reply path (`handle_frame`, inlined into the read) stays small: a
// blocked caller that reads and hands another caller its reply runs this deepest, and each
// page of it is one more page resident per thread of the program.

/// A watch notification: the watches it fires go to the event thread.
#[inline(never)]
fn handle_notification(
    inner: &Inner,
    hdr: &ReplyHeader,
    r: &mut Reader<'_>,
) -> Result<Option<Completed>, End> {
    // The frame is intact, so the stream stays in step: a notification we cannot decode
    // (a path that is not UTF-8, a body cut short; a real server sends neither) matches
    // no watch of ours. Skipped, and the connection and the calls in flight carry on.
    let ev = match WatcherEvent::decode(r) {
        Ok(ev) => ev,
        Err(e) => {
            inner.log(
                LogLevel::Warn,
                format_args!("skipped a watch notification that does not decode: {e}"),
            );
            return Ok(None);
        }
    };
    let Some(ty) = EventType::from_i32(ev.event_type) else {
        inner.log(
            LogLevel::Warn,
            format_args!("unknown event type {}", ev.event_type),
        );
        return Ok(None);
    };
    let fs = inner.watches.lock().trigger(ty, &ev.path);
    if fs.is_empty() {
        return Ok(None);
    }
    let path = inner.chroot.strip(&ev.path).to_string();
    let keeper = inner.st.lock().keeper;
    for f in fs {
        inner.events.deliver(
            f,
            WatchedEvent {
                event_type: ty,
                keeper_state: keeper,
                path: path.clone(),
                zxid: hdr.zxid,
            },
        );
    }
    Ok(None)
}

/// An auth verdict: a user's `add_auth` gets it, or a replayed credential's refusal ends
/// the session (AUTH_FAILED).
#[cold]
#[inline(never)]
fn handle_auth(
    inner: &Inner,
    hdr: ReplyHeader,
    frame: &[u8],
    body_at: usize,
) -> Result<Option<Completed>, End> {
    // The credentials replayed at connect are answered first, then users' in order.
    let replayed = inner
        .replay_auths
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
        .is_ok();
    if !replayed {
        if let Some(p) = pop_user_auth(inner) {
            return finish_reply(inner, p, hdr, frame, body_at);
        }
    }
    if hdr.err != 0 {
        inner.log(
            LogLevel::Error,
            format_args!("authentication failed ({})", hdr.err),
        );
        enter_auth_failed(inner);
        return Err(End::Terminal);
    }
    Ok(None)
}

#[cold]
#[inline(never)]
fn set_watches_failed(inner: &Inner, err: i32) {
    inner.log(LogLevel::Warn, format_args!("SetWatches failed ({err})"));
}

/// Completes a request with its reply: the watch it asked for, the zxid, and what an auth
/// refusal or a close ends.
fn finish_reply(
    inner: &Inner,
    p: Pending,
    hdr: ReplyHeader,
    frame: &[u8],
    body_at: usize,
) -> Result<Option<Completed>, End> {
    inner.heard_at(p.sent_ms);
    inner.note_answered();
    if hdr.zxid > 0 {
        inner.last_zxid.fetch_max(hdr.zxid, Ordering::Relaxed);
    }
    if let Some(w) = p.watch {
        let kind = if hdr.err == err::OK {
            Some(w.kind)
        } else if hdr.err == err::NONODE {
            w.kind_on_nonode
        } else {
            None
        };
        if let Some(kind) = kind {
            // The caller may have given up (deadline) and taken it back already.
            if let Some(f) = w.slot.lock().take() {
                inner.watches.lock().register(kind, &w.server_path, f);
            }
        }
    }
    let auth_failed = p.op == OpCode::Auth && hdr.err == err::AUTHFAILED;
    let closed = p.op == OpCode::CloseSession;
    // The state changes before the caller wakes, so it sees AUTH_FAILED at once.
    if auth_failed {
        enter_auth_failed(inner);
    }
    let woke = complete_frame(&inner.events, p.done, hdr.err, frame, body_at);
    if auth_failed {
        return Err(End::Terminal);
    }
    if closed {
        return Err(End::Stop);
    }
    Ok(Some(woke))
}
