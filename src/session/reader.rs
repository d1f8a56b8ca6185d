//! The reading role: who reads the socket, how the role passes between threads, and what
//! wakes whom. The code here is generic over the session around it (`Host`) and the
//! connection's reading side (`Side`), and its primitives come from `sync`, so the model
//! check (`model`, under `--cfg loom`) runs this very code over a fake wire.
//!
//! # Who may read
//!
//! Whoever holds `Role::side`, the lock around the current connection's reading side, and
//! nobody else: reading is a role, not a thread. It is only ever taken with `try_lock`
//! (the I/O thread also locks it to publish a new side and to retire the old one). Holders:
//!
//! - **IO**: the I/O thread in `read_loop`: reads, pings, notices a dead connection.
//! - **C**: a blocked caller in `await_reply`: reads until its own reply is in (and hands
//!   out whatever comes before it), so its reply wakes it and no other thread.
//! - **E**: the event thread in `event_thread_read`, idle with async replies due: one
//!   wait and one read, so the completions it cuts run on it without another wake-up.
//! - nobody.
//!
//! # State
//!
//! - `lend` (SeqCst): the I/O thread is away from the socket, or about to be.
//! - `io_called` (its mutex, `io_cv`): a call for the parked I/O thread to come back now.
//! - `async_pending` (SeqCst): async requests in flight. While any is, or a watch is live
//!   (`Host::watches_live`), the socket must always have a reader: IO keeps it, or E
//!   reads when idle; a blocked caller's read is a bonus, never the only reader.
//! - `caller_reads` (Relaxed, a hint): turns C and E took; a parked IO stays away while it
//!   grows.
//! - each blocked caller's reply slot (`oneshot`): its reply, and a `nudged` flag.
//!
//! # Transitions
//!
//! 1. IO reads and hands a blocked caller its reply: it sets `lend`, then looks at
//!    `async_pending` and the watches; if either needs it, it clears `lend` and stays.
//!    Otherwise it leaves the socket, `hand_on` nudges the first other waiting caller,
//!    and IO parks.
//! 2. IO reads and queues async completions, and E reads when idle (plain TCP): IO sets
//!    `lend`, leaves and parks; E takes over after running the completions. Unless those
//!    were the last async replies due and a watch is live: then IO stays (E would have
//!    nothing to read, and its hand-back could miss IO still at the socket).
//! 3. IO finds the side taken: sets `lend` and parks.
//! 4. A parked IO wakes on `call_io` or after its park (1 ms, doubling to 8 ms while
//!    `caller_reads` keeps growing and nobody called): it comes back unless C or E read
//!    meanwhile and nobody called.
//! 5. C: takes its reply if it is in; else, if it gets the side, it reads until its
//!    reply is in (or too little time is left for one more read), leaves, and `hand_on`:
//!    calls IO if async requests or watches need it, else nudges the first other waiting
//!    caller. If it gets the side but cannot read (the connection ended, or its deadline
//!    is too near), it calls IO. If it does not get the side, it sleeps on its slot until
//!    its reply is delivered or it is nudged, then starts over.
//! 6. E: with async replies due, takes the side if free, reads once, leaves, and nudges
//!    the first waiting caller. It waits for the socket in that read, for at most `QUICK`,
//!    while the connection's replies come that fast (`Side::quick`; so something another
//!    thread queues for E waits at most that long); after a read that found nothing in
//!    that time it waits on the socket or its eventfd first (poll), until a reply comes
//!    within `QUICK` of such a wait. With none due and nobody at the socket, it hands
//!    the socket on (`hand_on`): IO for a live watch, else the first waiting caller, who
//!    may have gone to sleep while IO read E's replies (2).
//! 7. An async submitter (any thread but E) counts itself in `async_pending`, queues its
//!    request, then looks at `lend` and calls IO if it is set. With (1) this is a Dekker
//!    pair on SeqCst: IO sets `lend` then reads the count, the submitter raises the count
//!    then reads `lend`, so at least one sees the other: IO stays, or is called back.
//!    E's own requests need no call: E reads their replies itself.
//! 8. A reader (C or E) whose read ends the connection (end of stream, error,
//!    closeSession's reply, auth failure) marks the side ended and calls IO; IO returns
//!    the end from `read_loop` on its next turn. An ended side is never read again.
//! 9. stop and every disconnect shut the socket down and call IO (`drop_connection`);
//!    the host loop then retires the side and fails what is pending.
//!
//! # What wakes whom
//!
//! A delivered reply or a nudge wakes one caller (its slot's condvar); `call_io` wakes the
//! parked I/O thread (`io_cv`); a completion queued for the event thread wakes it (its
//! queue, or its eventfd while it polls the socket, or the end of its `QUICK` read);
//! bytes on the socket wake whoever holds the side and blocks in a read or a poll.
//!
//! # Lock order
//!
//! Of `Inner`'s locks, outer before inner: `io` → `st` → the event queue; `send` →
//! `pending`, `auth`, `watches`, `io_called`, the event queue; `side` → `pending`,
//! `watches`, `st`, `send` (a reply that fails authentication drops the connection), a
//! reply slot, `io_called`, the event queue; `pending` → a reply slot. `cfg`,
//! `connecting`, `preferred`, `io_called` and the reply slots are leaves. `send` → `side`
//! happens only when the I/O thread publishes a new side, when there is no side anyone
//! could be reading (the old one was retired). No thread waits for `side` while it holds
//! another lock: readers take the role with `try_lock`.

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::hostloop::End;
use super::oneshot;
use super::sync::{AtomicBool, AtomicU64, AtomicUsize, Condvar, Mutex};
use super::timing::Timing;
use super::Reply;

#[cfg(all(test, loom))]
mod model;

/// How long the I/O thread stays away from the socket after it lent the reading role to
/// blocked callers or the event thread, before it looks whether they still read
/// (`read_loop`); doubled, up to `LEND_MAX`, each time it finds them still reading. What
/// cannot wait that long calls it back at once (an async request from another thread, a
/// watch, a lost connection, stop), so what can arrive unread meanwhile is the end of the
/// connection, noticed within about twice this.
pub(super) const LEND: Duration = Duration::from_millis(1);
pub(super) const LEND_MAX: Duration = Duration::from_millis(8);

/// How long the idle event thread waits for an async reply in the read itself, with no
/// poll(2) first (transition 6): one system call where poll and read would take two (the
/// poll, with its timer and two wait queues, costs about a sixth of an async get's CPU at
/// one in flight). Longer than a reply takes on a healthy connection in one data centre,
/// short enough that what another thread queues for the event thread meanwhile (a local
/// completion, `defer`) waits at most this long, rounded up to the kernel's clock tick (1
/// to 4 ms), as long as the I/O thread's first park (`LEND`).
pub(super) const QUICK: Duration = Duration::from_millis(1);

/// The reading role of one session: the side of the current connection and the flags of
/// its hand-off (see the module doc).
pub(super) struct Role<S> {
    side: Mutex<Option<S>>,
    caller_reads: AtomicU64,
    lend: AtomicBool,
    io_called: Mutex<bool>,
    io_cv: Condvar,
    async_pending: AtomicUsize,
}

/// What the hand-off needs from the session around it.
pub(super) trait Host: Sized {
    type Side: Side<Self>;
    fn role(&self) -> &Role<Self::Side>;
    /// Whether a watch is registered (its event must not wait for a blocking call).
    fn watches_live(&self) -> bool;
    /// Nudges the first blocked caller (not this thread) still waiting for its reply
    /// (`nudge_first` over the pending queue). Returns whether there was one.
    fn nudge_waiting_caller(&self) -> bool;
    /// The I/O thread's turn between reads: pings when due; `Err` when nothing has
    /// provably reached the server for too long for a session of `negotiated` timeout
    /// (`timing`).
    fn keepalive(&self, negotiated: Duration) -> Result<(), End>;
    /// Whether the event thread reads async replies itself when idle.
    fn event_thread_reads(&self) -> bool;
    fn warn(&self, msg: std::fmt::Arguments<'_>);
}

/// The reading side of a connection, as the hand-off uses it.
pub(super) trait Side<H> {
    /// One read, and every frame it completed handed out.
    fn step(&mut self, host: &H) -> Result<Stepped, End>;
    /// `step`, blocking at most `timeout` (at most `tick`).
    fn step_within(&mut self, host: &H, timeout: Duration) -> Result<Stepped, End>;
    /// Whether the event thread waits for replies in the read itself (`QUICK`); true on a
    /// new connection.
    fn quick(&self) -> bool;
    fn set_quick(&mut self, quick: bool);
    /// Whether the connection ended under a reader other than the I/O thread.
    fn is_ended(&self) -> bool;
    /// Marks the connection ended, for the I/O thread to take (`take_end`).
    fn set_end(&mut self, end: End);
    fn take_end(&mut self) -> Option<End>;
    /// The longest one read blocks.
    fn tick(&self) -> Duration;
    /// Whether `wait_readable` tells the truth (with TLS, plaintext may be buffered).
    fn pollable(&self) -> bool;
    /// Waits until the socket is readable (`Ok(true)`), or `wake_fd` is poked or `timeout`
    /// passes (`Ok(false)`).
    fn wait_readable(&self, wake_fd: RawFd, timeout: Duration) -> io::Result<bool>;
    fn shutdown(&self);
}

/// What one read handed out.
#[derive(Default, Clone, Copy)]
pub(super) struct Stepped {
    /// A blocked caller got its reply.
    pub(super) woke_caller: bool,
    /// An async completion went to the event thread.
    pub(super) queued: bool,
    /// The read's timeout passed with nothing to read.
    pub(super) idle: bool,
}

impl<S> Role<S> {
    pub(super) fn new() -> Role<S> {
        Role {
            side: Mutex::new(None),
            caller_reads: AtomicU64::new(0),
            lend: AtomicBool::new(false),
            io_called: Mutex::new(false),
            io_cv: Condvar::new(),
            async_pending: AtomicUsize::new(0),
        }
    }

    /// Puts the reading side of a new connection where readers find it.
    pub(super) fn publish(&self, side: S) {
        *self.side.lock() = Some(side);
    }

    /// Takes the side of a connection that ended away from every reader.
    pub(super) fn retire(&self) -> Option<S> {
        self.side.lock().take()
    }

    /// Async requests in flight.
    pub(super) fn async_pending(&self) -> usize {
        self.async_pending.load(Ordering::SeqCst)
    }

    /// Counts an async request, before it is queued and written (transition 7).
    pub(super) fn async_sent(&self) {
        self.async_pending.fetch_add(1, Ordering::SeqCst);
    }

    /// After an async request was counted and queued: its reply needs a reader even if
    /// every blocked caller stops reading, so a lending I/O thread is called back. Not
    /// for the event thread's own requests: it reads their replies when it is idle.
    pub(super) fn after_async_sent(&self, on_event_thread: bool) {
        if self.lend.load(Ordering::SeqCst) && !on_event_thread {
            self.call_io();
        }
    }

    /// An async request left the pending queue.
    pub(super) fn async_done(&self) {
        self.async_pending.fetch_sub(1, Ordering::SeqCst);
    }

    /// Counts the times a blocked caller or the event thread took the reading role.
    pub(super) fn caller_reads(&self) -> u64 {
        self.caller_reads.load(Ordering::Relaxed)
    }

    /// The I/O thread, lending the socket: sleeps up to `d` or until `call_io`. Returns
    /// whether it was called.
    fn park_io(&self, d: Duration) -> bool {
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
}

/// Whether the socket must have a reader at all times: an async reply or a watch event
/// must not wait for the next blocking call to be read.
fn needs_io_reader<H: Host>(h: &H) -> bool {
    h.role().async_pending() > 0 || h.watches_live()
}

/// Called by a reader that just left the socket: whoever needs a reader next gets the
/// role. Async requests in flight or live watches need the I/O thread; otherwise the first
/// blocked caller still waiting (not this thread) is nudged to read its own reply. With
/// nobody waiting, the I/O thread comes back on its own when callers stop calling.
fn hand_on<H: Host>(h: &H) {
    if needs_io_reader(h) {
        h.role().call_io();
        return;
    }
    h.nudge_waiting_caller();
}

/// Nudges the first of `waiters` (in queue order) that is not this thread's and still
/// waits. Returns whether there was one.
pub(super) fn nudge_first<'a>(mut waiters: impl Iterator<Item = &'a oneshot::Waiter>) -> bool {
    waiters.any(|w| !w.is_mine() && w.nudge())
}

/// The I/O thread's part while connected: reads when nobody else does, pings when idle,
/// and notices a silent server. After it hands a blocked caller its reply (and no async
/// request waits), it lends the socket to callers: it stays off it while they keep reading
/// their own replies, and comes back when they stop or when something needs it (an async
/// request, a connection that ended under a caller, stop).
pub(super) fn read_loop<H: Host>(h: &H, negotiated: Duration) -> End {
    let role = h.role();
    // While lent, keepalive still runs at least every tick, as when reading.
    let tick = Timing::of(negotiated).tick;
    let mut lent = false;
    let mut lend_for = LEND;
    loop {
        if let Err(end) = h.keepalive(negotiated) {
            return end;
        }
        if lent {
            let reads = role.caller_reads();
            let called = role.park_io(lend_for.min(tick));
            // Stay away while callers keep reading, unless someone asked for us.
            lent = !called && role.caller_reads() != reads;
            lend_for = if lent {
                (lend_for * 2).min(LEND_MAX)
            } else {
                LEND
            };
            continue;
        }
        let Some(mut guard) = role.side.try_lock() else {
            // A caller or the event thread reads; we come back when it is done.
            role.lend.store(true, Ordering::SeqCst);
            lent = true;
            continue;
        };
        role.lend.store(false, Ordering::SeqCst);
        let Some(rd) = guard.as_mut() else {
            return End::Lost;
        };
        if let Some(end) = rd.take_end() {
            return end;
        }
        let stepped = match rd.step(h) {
            Err(end) => return end,
            Ok(s) => s,
        };
        if stepped.queued
            && rd.pollable()
            && h.event_thread_reads()
            && (role.async_pending() > 0 || !h.watches_live())
        {
            // The event thread runs those completions, then reads the next replies itself
            // (`event_thread_read`) instead of being woken by us for each read. Its own
            // async requests need nobody else; another thread's call us back (`lend`).
            // With every async reply in (we took the last ones: no one else can) and a
            // watch live, we stay: the event thread, with nothing due, would only hand
            // the socket back to us, and if it looked while we still held it, a watch
            // event would wait for our park to end.
            role.lend.store(true, Ordering::SeqCst);
            drop(guard);
            lent = true;
        } else if stepped.woke_caller {
            // A blocked caller is likely to call again: let it read its own reply. An
            // async request in flight or a live watch keeps us here (transition 7: one of
            // us sees the other; a watch is registered by whoever reads, and a caller that
            // registered one calls us back when it leaves the socket).
            role.lend.store(true, Ordering::SeqCst);
            if needs_io_reader(h) {
                role.lend.store(false, Ordering::SeqCst);
            } else {
                drop(guard);
                hand_on(h);
                lent = true;
            }
        }
    }
}

/// The event thread's turn at the socket, when it has nothing to run and async replies are
/// due: it reads, so the completions it cuts run on it with no other thread woken — one
/// wake-up per read instead of two. While replies come within `QUICK` it waits for them
/// in the read itself; otherwise it waits on the socket or on `wake_fd` (poked when
/// something is queued for it), then reads. Returns false when it cannot (nothing due,
/// TLS, someone else reads); it then sleeps as usual.
pub(super) fn event_thread_read<H: Host>(h: &H, wake_fd: RawFd, timeout: Duration) -> bool {
    let role = h.role();
    if role.async_pending() == 0 {
        // Async replies are all in. If nobody reads, hand the socket on as a reader
        // leaving it would: a watch must not wait for the I/O thread to notice, nor a
        // blocked caller that went to sleep while the I/O thread read our replies.
        if role.side.try_lock().is_some_and(|g| g.is_some()) {
            hand_on(h);
        }
        return false;
    }
    let Some(mut guard) = role.side.try_lock() else {
        return false;
    };
    let Some(rd) = guard.as_mut().filter(|rd| !rd.is_ended() && rd.pollable()) else {
        return false;
    };
    role.caller_reads.fetch_add(1, Ordering::Relaxed);
    let ended = if rd.quick() {
        // Replies have been coming within QUICK: wait for the next one in the read. If it
        // does not come, poll from now on, where a push from another thread wakes us.
        match rd.step_within(h, QUICK) {
            Ok(s) => {
                if s.idle {
                    rd.set_quick(false);
                }
                None
            }
            Err(end) => Some(end),
        }
    } else {
        let waited = Instant::now();
        match rd.wait_readable(wake_fd, timeout) {
            Ok(true) => {
                if waited.elapsed() < QUICK {
                    rd.set_quick(true);
                }
                rd.step(h).err()
            }
            Ok(false) => None,
            Err(e) => {
                h.warn(format_args!("poll failed: {e}"));
                drop(guard);
                role.call_io();
                return false;
            }
        }
    };
    if let Some(end) = ended {
        if let End::Lost = end {
            rd.shutdown();
        }
        rd.set_end(end);
        role.call_io();
    }
    drop(guard);
    // A blocked caller waiting meanwhile reads its own reply while we run callbacks.
    h.nudge_waiting_caller();
    true
}

/// How a blocked caller gets its reply: it reads the socket itself when nobody else does
/// (so the reply wakes this thread directly: one wake-up per request), and otherwise
/// sleeps until the reader hands it the reply, or nudges it to take over the reading.
pub(super) fn await_reply<H: Host>(
    h: &H,
    seq: u64,
    deadline: Instant,
) -> crate::error::Result<Reply> {
    let role = h.role();
    loop {
        if let Some(r) = oneshot::try_take(seq) {
            return r;
        }
        let now = Instant::now();
        if now >= deadline {
            return oneshot::take_or_give_up(seq);
        }
        if let Some(mut guard) = role.side.try_lock() {
            // One read may block for `tick`: only a caller with that much time left reads.
            let usable = guard
                .as_mut()
                .filter(|rd| !rd.is_ended() && deadline - now >= rd.tick());
            if let Some(rd) = usable {
                role.caller_reads.fetch_add(1, Ordering::Relaxed);
                loop {
                    if let Err(end) = rd.step(h) {
                        if let End::Lost = end {
                            rd.shutdown();
                        }
                        rd.set_end(end);
                        role.call_io();
                        break;
                    }
                    if oneshot::has_reply(seq)
                        || deadline.saturating_duration_since(Instant::now()) < rd.tick()
                    {
                        break;
                    }
                }
                drop(guard);
                hand_on(h);
                continue;
            }
            // Nobody reads and we cannot: the I/O thread must.
            drop(guard);
            role.call_io();
        }
        // Someone else reads (or the I/O thread will): sleep until it hands us the reply
        // or asks us to read.
        if let Some(r) = oneshot::wait(seq, deadline) {
            return r;
        }
    }
}
