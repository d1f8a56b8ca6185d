//! The state one session's threads share (`Inner`), what a request in flight is, and how
//! a result reaches whoever waits for it; state changes and the fail-all paths.

use std::collections::VecDeque;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::error::{Error, Result};
use crate::proto::consts::OpCode;
use crate::proto::path::Chroot;

use super::events::{self, Event, Events};
use super::frames::ReadSide;
use super::hostloop::{send_ping, ConnectFailures, End};
use super::oneshot;
use super::reader::{self, Host, Role};
use super::state::{KeeperState, State};
use super::timing::Timing;
use super::watches::{WatchKind, WatchTable, Watcher};
use super::{ClientId, LogLevel, Reply, SendSide, SessionConfig, WatchRequest};

type WatchSlot = Arc<Mutex<Option<Watcher>>>;

/// `Inner::ping_sent_ms` when no ping is in flight.
pub(super) const NO_PING: u64 = u64::MAX;

pub(crate) struct PendingWatch {
    pub(super) kind: WatchKind,
    pub(super) kind_on_nonode: Option<WatchKind>,
    pub(super) server_path: String,
    pub(super) slot: WatchSlot,
}

impl PendingWatch {
    /// The watch as the I/O thread registers it, and the slot the caller keeps to take it
    /// back if it was not registered.
    pub(super) fn new(w: WatchRequest, server_path: &str) -> (PendingWatch, WatchSlot) {
        let slot: WatchSlot = Arc::new(Mutex::new(Some(w.f)));
        let pw = PendingWatch {
            kind: w.kind,
            kind_on_nonode: w.kind_on_nonode,
            server_path: server_path.to_string(),
            slot: slot.clone(),
        };
        (pw, slot)
    }
}

/// How a reply reaches whoever asked.
pub(crate) enum Completion {
    /// A blocked caller.
    Wait(oneshot::Waiter),
    /// An async callback, run on the event thread in reply order.
    Callback(Box<dyn FnOnce(Result<Reply>) + Send + 'static>),
}

pub(crate) struct Pending {
    pub(super) xid: i32,
    /// When it was queued for the socket (milliseconds since `Inner::epoch`): its reply
    /// proves the server heard from us at that time or later.
    pub(super) sent_ms: u64,
    pub(super) op: OpCode,
    pub(super) watch: Option<PendingWatch>,
    pub(super) done: Completion,
}

/// State guarded by one lock and announced through one condvar.
pub(crate) struct Shared {
    pub(super) keeper: KeeperState,
    pub(super) coarse: State,
    pub(super) session: Option<ClientId>,
    pub(super) negotiated: Duration,
    /// Java's `seenRwServerBefore`: a session id is offered again only after a read-write
    /// server has known it (3.8 read-only servers refuse to re-attach global sessions).
    pub(super) seen_rw: bool,
    /// The I/O thread should end.
    pub(super) stopping: bool,
    /// Why a CLOSED client closed, for calls that come after.
    pub(super) closed_reason: Option<Error>,
    /// The server of the current connection, and the host name it was reached by.
    pub(super) server: Option<(SocketAddr, String)>,
    /// Counts expiries: a request that waited for a reconnect across one belongs to a
    /// session that is gone, and fails with SESSIONEXPIRED instead of going to the new one.
    pub(super) expiries: u64,
    /// Why connecting failed, per address (`Session::connect_error`).
    pub(super) failures: ConnectFailures,
}

/// An async request made while there was no connection: sent by the I/O thread right after
/// the next handshake's auth and SetWatches replay, or failed when its deadline passes.
pub(crate) struct Queued {
    pub(super) frame: Vec<u8>,
    pub(super) op: OpCode,
    pub(super) watch: Option<PendingWatch>,
    pub(super) done: Completion,
    pub(super) deadline: Instant,
}

impl Shared {
    /// The error of a state no request can leave: auth failed, closed, or expired for good.
    pub(super) fn terminal(&self) -> Option<Error> {
        match self.keeper {
            KeeperState::AuthFailed => Some(Error::AuthFailed),
            KeeperState::Closed => Some(self.closed_reason.unwrap_or(Error::Closed)),
            KeeperState::ExpiredSession if self.closed_reason == Some(Error::SessionExpired) => {
                Some(Error::SessionExpired)
            }
            _ => None,
        }
    }
}

pub(crate) struct Inner {
    pub(super) cfg: Mutex<SessionConfig>,
    pub(super) chroot: Chroot,
    pub(super) max_frame: usize,
    pub(super) events: Arc<Events>,
    pub(super) st: Mutex<Shared>,
    pub(super) cv: Condvar,
    pub(super) send: Mutex<SendSide>,
    /// The socket of a handshake under way, so stop() can cut it short.
    pub(super) connecting: Mutex<Option<TcpStream>>,
    /// Counts connections; a read-only prober stops when it changes.
    pub(super) conn_gen: AtomicU64,
    /// A read-write server a prober found while we were read-only: tried first next pass.
    pub(super) preferred: Mutex<Option<SocketAddr>>,
    pub(super) pending: Mutex<VecDeque<Pending>>,
    /// Who reads the current connection, and the hand-off of that role (`reader`).
    pub(super) role: Role<ReadSide>,
    pub(super) watches: Mutex<WatchTable>,
    pub(super) auth: Mutex<Vec<(String, Vec<u8>)>>,
    /// Replies to the credentials replayed on this connection still to come; they arrive
    /// before any user auth request's (all go as xid::AUTH, answered in the order sent).
    pub(super) replay_auths: AtomicUsize,
    pub(super) last_zxid: AtomicI64,
    /// Milliseconds since `epoch` at which the server last provably heard from us: the
    /// sending of the newest request, ping or handshake whose reply came back. The
    /// server's session timer restarts on what it receives, so ours (`timing`) runs from
    /// here and never ends after the server's.
    pub(super) heard_ms: AtomicU64,
    /// When the ping in flight was sent (`NO_PING`: none in flight).
    pub(super) ping_sent_ms: AtomicU64,
    /// The current connection has answered a request (a reply or a ping's): its session
    /// was usable, so the connection back-off starts over when it ends (`hostloop`).
    pub(super) answered: AtomicBool,
    pub(super) epoch: Instant,
    pub(super) io: Mutex<Option<JoinHandle<()>>>,
}

impl Inner {
    pub(crate) fn log(&self, level: LogLevel, msg: std::fmt::Arguments<'_>) {
        let logger = self.cfg.lock().logger.clone();
        if let Some((f, max)) = logger {
            if level <= max {
                f(level, &msg.to_string());
            }
        }
    }

    pub(super) fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// A reply proves the server received what we sent at `sent_ms` (or later).
    pub(super) fn heard_at(&self, sent_ms: u64) {
        if sent_ms > self.heard_ms.load(Ordering::Relaxed) {
            self.heard_ms.fetch_max(sent_ms, Ordering::Relaxed);
        }
    }

    /// How long since the server last provably heard from us.
    pub(super) fn since_heard(&self) -> Duration {
        Duration::from_millis(
            self.now_ms()
                .saturating_sub(self.heard_ms.load(Ordering::Relaxed)),
        )
    }

    /// When the session ends by our own clock, whether or not a server says so: the
    /// negotiated timeout after the server last provably heard from us, which is before
    /// the server ends it. None without a session (or before the first one was granted).
    pub(super) fn expires_at(&self) -> Option<Instant> {
        let st = self.st.lock();
        if st.session.is_none() || st.negotiated.is_zero() {
            return None;
        }
        let heard = Duration::from_millis(self.heard_ms.load(Ordering::Relaxed));
        Some(self.epoch + heard + st.negotiated)
    }

    /// A reply came in on the current connection (cheap when already noted: one load).
    pub(super) fn note_answered(&self) {
        if !self.answered.load(Ordering::Relaxed) {
            self.answered.store(true, Ordering::Relaxed);
        }
    }

    /// Bookkeeping for a request leaving `pending`.
    pub(super) fn popped(&self, p: &Pending) {
        if let Completion::Callback(_) = p.done {
            self.role.async_done();
        }
    }

    /// Moves to a new detailed state, tells listeners (on the event thread) and wakes
    /// everyone waiting for a state. Call without holding `st`.
    pub(super) fn set_state(&self, keeper: KeeperState) {
        let mut st = self.st.lock();
        self.set_state_locked(&mut st, keeper);
    }

    pub(super) fn set_state_locked(&self, st: &mut Shared, keeper: KeeperState) {
        if st.keeper == keeper {
            return;
        }
        let coarse = keeper.coarse(st.coarse);
        st.keeper = keeper;
        st.coarse = coarse;
        // Queued under the state lock so listeners see changes in the order they happened,
        // each change going to the listeners registered when it happened.
        self.events.push_state(coarse, keeper);
        self.cv.notify_all();
    }

    /// Fails every in-flight request with `err`. Their watches were never registered.
    pub(super) fn fail_pending(&self, err: Error) {
        let pend = std::mem::take(&mut *self.pending.lock());
        for p in pend {
            self.popped(&p);
            complete(&self.events, p.done, Err(err));
        }
    }

    /// Ends every watch registration with one session event of the given state.
    pub(super) fn end_watches(&self, keeper: KeeperState) {
        // The whole table goes to the event thread as one event: ending 10,000 watches
        // used to queue 10,000 events (and their list), a transient megabyte.
        let table = std::mem::take(&mut *self.watches.lock());
        if !table.is_empty() {
            self.events.push(events::Event::EndWatches(table, keeper));
        }
    }

    /// Closes the current connection's socket, so the I/O thread's read returns and
    /// callers stop writing to it.
    pub(super) fn drop_connection(&self) {
        let mut s = self.send.lock();
        // Unsent bytes were for this connection; their requests fail with it.
        s.out.clear();
        s.deferred = 0;
        if let Some(c) = s.stream.take() {
            c.shutdown();
        }
        drop(s);
        if let Some(s) = self.connecting.lock().take() {
            let _ = s.shutdown(Shutdown::Both);
        }
        // A lending I/O thread sees the end now, not when it next looks.
        self.role.call_io();
    }
}

/// Whom `complete` handed a result to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Completed {
    /// A blocked caller, woken.
    Caller,
    /// An async callback, queued for the event thread.
    Queued,
}

/// Hands a result to whoever waits for it.
/// Completes a request with a reply frame the reading thread still holds: a blocked
/// caller gets it by copy into its slot (`oneshot::Waiter::deliver_frame`), so that its
/// reply is allocated on its own thread; a callback gets it as an allocation of its own.
pub(super) fn complete_frame(
    events: &Events,
    done: Completion,
    err: i32,
    frame: &[u8],
    body_at: usize,
) -> Completed {
    match done {
        Completion::Wait(w) if frame.len() <= oneshot::COPY_MAX => {
            w.deliver_frame(err, frame, body_at);
            Completed::Caller
        }
        done => complete(
            events,
            done,
            Ok(Reply {
                err,
                frame: frame.to_vec(),
                body_at,
            }),
        ),
    }
}

pub(super) fn complete(events: &Events, done: Completion, r: Result<Reply>) -> Completed {
    match done {
        Completion::Wait(w) => {
            w.deliver(r);
            Completed::Caller
        }
        Completion::Callback(f) => {
            events.push(Event::Call(Box::new(move || f(r))));
            Completed::Queued
        }
    }
}

impl Host for Inner {
    type Side = ReadSide;

    fn role(&self) -> &Role<ReadSide> {
        &self.role
    }

    fn watches_live(&self) -> bool {
        !self.watches.lock().is_empty()
    }

    fn nudge_waiting_caller(&self) -> bool {
        let q = self.pending.lock();
        reader::nudge_first(q.iter().filter_map(|p| match &p.done {
            Completion::Wait(w) => Some(w),
            Completion::Callback(_) => None,
        }))
    }

    fn keepalive(&self, negotiated: Duration) -> std::result::Result<(), End> {
        let t = Timing::of(negotiated);
        let quiet = self.since_heard();
        if quiet >= t.dead_after {
            self.log(
                LogLevel::Warn,
                format_args!(
                    "nothing heard from the server for {} ms: connection dead",
                    quiet.as_millis()
                ),
            );
            return Err(End::Lost);
        }
        // One ping in flight at a time: over TCP a second would tell us nothing more.
        if quiet >= t.ping_after
            && self.ping_sent_ms.load(Ordering::Relaxed) == NO_PING
            && !send_ping(self)
        {
            return Err(End::Lost);
        }
        Ok(())
    }

    fn event_thread_reads(&self) -> bool {
        self.events.reads_when_idle()
    }

    fn warn(&self, msg: std::fmt::Arguments<'_>) {
        self.log(LogLevel::Warn, msg)
    }
}
