//! The reading role and its hand-off: who reads the socket (the I/O thread, a blocked
//! caller, the idle event thread), how it passes on, and what wakes whom.

use std::os::fd::RawFd;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::hostloop::{send_ping, End};
use super::oneshot;
use super::{Completion, Inner, LogLevel, Reply};

/// How long the I/O thread stays away from the socket after it lent the reading role to
/// blocked callers or the event thread, before it looks whether they still read
/// (`read_loop`); doubled, up to `LEND_MAX`, each time it finds them still reading. What
/// cannot wait that long calls it back at once (an async request from another thread, a
/// watch, a lost connection, stop), so what can arrive unread meanwhile is the end of the
/// connection, noticed within about twice this.
pub(super) const LEND: Duration = Duration::from_millis(1);
pub(super) const LEND_MAX: Duration = Duration::from_millis(8);

impl Inner {
    /// The I/O thread, lending the socket: sleeps up to `d` or until `call_io`. Returns
    /// whether it was called.
    pub(super) fn park_io(&self, d: Duration) -> bool {
        let mut called = self.io_called.lock();
        if !*called {
            let _ = self.io_cv.wait_for(&mut called, d);
        }
        std::mem::take(&mut *called)
    }

    /// Brings a lending I/O thread back to the socket now.
    pub(super) fn call_io(&self) {
        *self.io_called.lock() = true;
        self.io_cv.notify_one();
    }

    /// Whether the socket must have a reader at all times: an async reply or a watch
    /// event must not wait for the next blocking call to be read.
    pub(super) fn needs_io_reader(&self) -> bool {
        self.async_pending.load(Ordering::SeqCst) > 0 || !self.watches.lock().is_empty()
    }

    /// Called by a reader that just left the socket: whoever needs a reader next gets the
    /// role. Async requests in flight or live watches need the I/O thread; otherwise the
    /// first blocked caller still waiting (not this thread) is nudged to read its own
    /// reply. With nobody waiting, the I/O thread comes back on its own when callers stop
    /// calling.
    pub(super) fn hand_on(&self) {
        if self.needs_io_reader() {
            self.call_io();
            return;
        }
        self.nudge_waiting_caller();
    }

    /// Nudges the first blocked caller (not this thread) still waiting for a reply to read
    /// it itself. Returns whether there was one.
    pub(super) fn nudge_waiting_caller(&self) -> bool {
        let q = self.pending.lock();
        for p in q.iter() {
            if let Completion::Wait(w) = &p.done {
                if !w.is_mine() && w.nudge() {
                    return true;
                }
            }
        }
        false
    }
}

/// The I/O thread's part while connected: reads when nobody else does, pings when idle,
/// and notices a silent server. After it hands a blocked caller its reply (and no async
/// request waits), it lends the socket to callers: it stays off it while they keep reading
/// their own replies, and comes back when they stop or when something needs it (an async
/// request, a connection that ended under a caller, stop).
pub(super) fn read_loop(inner: &Arc<Inner>, negotiated: Duration) -> End {
    let read_timeout = negotiated * 2 / 3;
    let ping_every = negotiated / 3;
    let mut lent = false;
    let mut lend_for = LEND;
    loop {
        if inner.since_last_send() >= ping_every && !send_ping(inner) {
            return End::Lost;
        }
        if inner.since_last_recv() >= read_timeout {
            inner.log(
                LogLevel::Warn,
                format_args!(
                    "no reply within {} ms: connection dead",
                    read_timeout.as_millis()
                ),
            );
            return End::Lost;
        }
        if lent {
            let reads = inner.caller_reads.load(Ordering::Relaxed);
            let called = inner.park_io(lend_for.min(ping_every));
            // Stay away while callers keep reading, unless someone asked for us.
            lent = !called && inner.caller_reads.load(Ordering::Relaxed) != reads;
            lend_for = if lent {
                (lend_for * 2).min(LEND_MAX)
            } else {
                LEND
            };
            continue;
        }
        let Some(mut guard) = inner.reader.try_lock() else {
            // A caller or the event thread reads; we come back when it is done.
            inner.lend.store(true, Ordering::SeqCst);
            lent = true;
            continue;
        };
        inner.lend.store(false, Ordering::SeqCst);
        let Some(rd) = guard.as_mut() else {
            return End::Lost;
        };
        if let Some(end) = rd.end.take() {
            return end;
        }
        let stepped = match rd.step(inner) {
            Err(end) => return end,
            Ok(s) => s,
        };
        if stepped.queued && rd.read.pollable() && inner.events.reads_when_idle() {
            // The event thread runs those completions, then reads the next replies itself
            // (`event_thread_read`) instead of being woken by us for each read. Its own
            // async requests need nobody else; another thread's call us back (`lend`).
            inner.lend.store(true, Ordering::SeqCst);
            drop(guard);
            lent = true;
        } else if stepped.woke_caller {
            // A blocked caller is likely to call again: let it read its own reply. An
            // async request in flight or a live watch keeps us here (an async submitter
            // checks `lend` after counting itself, we count after setting it: one of us
            // sees the other; a watch is registered by whoever reads, and a caller that
            // registered one calls us back when it leaves the socket).
            inner.lend.store(true, Ordering::SeqCst);
            if inner.needs_io_reader() {
                inner.lend.store(false, Ordering::SeqCst);
            } else {
                drop(guard);
                inner.hand_on();
                lent = true;
            }
        }
    }
}

/// The event thread's turn at the socket, when it has nothing to run and async replies are
/// due: it waits on the socket (or on `wake_fd`, poked when something is queued for it) and
/// reads, so the completions it cuts run on it with no other thread woken — one wake-up per
/// read instead of two. Returns false when it cannot (nothing due, TLS, someone else
/// reads); it then sleeps as usual.
pub(super) fn event_thread_read(inner: &Arc<Inner>, wake_fd: RawFd, timeout: Duration) -> bool {
    if inner.async_pending.load(Ordering::SeqCst) == 0 {
        // Async replies are all in: a watch must not wait for the I/O thread to notice
        // that nobody reads.
        if inner.reader.try_lock().is_some_and(|g| g.is_some()) && inner.needs_io_reader() {
            inner.call_io();
        }
        return false;
    }
    let Some(mut guard) = inner.reader.try_lock() else {
        return false;
    };
    let Some(rd) = guard
        .as_mut()
        .filter(|rd| rd.end.is_none() && rd.read.pollable())
    else {
        return false;
    };
    inner.caller_reads.fetch_add(1, Ordering::Relaxed);
    let ended = match rd.read.wait_readable(wake_fd, timeout) {
        Ok(true) => rd.step(inner).err(),
        Ok(false) => None,
        Err(e) => {
            inner.log(LogLevel::Warn, format_args!("poll failed: {e}"));
            drop(guard);
            inner.call_io();
            return false;
        }
    };
    if let Some(end) = ended {
        if let End::Lost = end {
            rd.read.shutdown();
        }
        rd.end = Some(end);
        inner.call_io();
    }
    drop(guard);
    // A blocked caller waiting meanwhile reads its own reply while we run callbacks.
    inner.nudge_waiting_caller();
    true
}

/// How a blocked caller gets its reply: it reads the socket itself when nobody else does
/// (so the reply wakes this thread directly: one wake-up per request), and otherwise
/// sleeps until the reader hands it the reply, or nudges it to take over the reading.
pub(super) fn await_reply(
    inner: &Arc<Inner>,
    seq: u64,
    deadline: Instant,
) -> crate::error::Result<Reply> {
    loop {
        if let Some(r) = oneshot::try_take(seq) {
            return r;
        }
        let now = Instant::now();
        if now >= deadline {
            return oneshot::take_or_give_up(seq);
        }
        if let Some(mut guard) = inner.reader.try_lock() {
            // One read may block for `tick`: only a caller with that much time left reads.
            let usable = guard
                .as_mut()
                .filter(|rd| rd.end.is_none() && deadline - now >= rd.tick);
            if let Some(rd) = usable {
                inner.caller_reads.fetch_add(1, Ordering::Relaxed);
                loop {
                    if let Err(end) = rd.step(inner) {
                        if let End::Lost = end {
                            rd.read.shutdown();
                        }
                        rd.end = Some(end);
                        inner.call_io();
                        break;
                    }
                    if oneshot::has_reply(seq)
                        || deadline.saturating_duration_since(Instant::now()) < rd.tick
                    {
                        break;
                    }
                }
                drop(guard);
                inner.hand_on();
                continue;
            }
            // Nobody reads and we cannot: the I/O thread must.
            drop(guard);
            inner.call_io();
        }
        // Someone else reads (or the I/O thread will): sleep until it hands us the reply
        // or asks us to read.
        if let Some(r) = oneshot::wait(seq, deadline) {
            return r;
        }
    }
}
