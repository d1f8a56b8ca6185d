//! The state one session's threads share (`Inner`), what a request in flight is, and how
//! a result reaches whoever waits for it; state changes and the fail-all paths.

use std::collections::VecDeque;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
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
use super::watches::{WatchKind, WatchTable, Watcher};
use super::{ClientId, LogLevel, Reply, SendSide, SessionConfig, WatchRequest};

type WatchSlot = Arc<Mutex<Option<Watcher>>>;

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
    pub(super) last_zxid: AtomicI64,
    /// Milliseconds since `epoch` of the last write, for the ping timer.
    pub(super) last_send_ms: AtomicU64,
    /// Milliseconds since `epoch` of the last read that returned bytes.
    pub(super) last_recv_ms: AtomicU64,
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

    pub(super) fn touch_send(&self) {
        self.stamp(&self.last_send_ms);
    }

    pub(super) fn since_last_send(&self) -> Duration {
        self.since(&self.last_send_ms)
    }

    pub(super) fn touch_recv(&self) {
        self.stamp(&self.last_recv_ms);
    }

    /// A reply came in on the current connection (cheap when already noted: one load).
    pub(super) fn note_answered(&self) {
        if !self.answered.load(Ordering::Relaxed) {
            self.answered.store(true, Ordering::Relaxed);
        }
    }

    pub(super) fn since_last_recv(&self) -> Duration {
        self.since(&self.last_recv_ms)
    }

    /// Records now in a milliseconds-since-`epoch` stamp.
    pub(super) fn stamp(&self, at: &AtomicU64) {
        at.store(self.now_ms(), Ordering::Relaxed);
    }

    /// How long ago a `stamp` was.
    pub(super) fn since(&self, at: &AtomicU64) -> Duration {
        Duration::from_millis(self.now_ms().saturating_sub(at.load(Ordering::Relaxed)))
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
        let read_timeout = negotiated * 2 / 3;
        if self.since_last_send() >= negotiated / 3 && !send_ping(self) {
            return Err(End::Lost);
        }
        if self.since_last_recv() >= read_timeout {
            self.log(
                LogLevel::Warn,
                format_args!(
                    "no reply within {} ms: connection dead",
                    read_timeout.as_millis()
                ),
            );
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
