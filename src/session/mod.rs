//! One session's life: hosts, handshake, pings, the xid -> pending queue, reconnect,
//! SetWatches and auth replay, the state machine and the watch table. This module owns all
//! network I/O of the client; the layers above only build and read records.
//!
//! Threads: callers write their own request frames under the send lock (where the xid is
//! assigned, so frames reach the socket in xid order) and block on a one-shot reply; the
//! I/O thread (`conn.rs`) reads, matches replies in order, pings and reconnects; the event
//! thread (`events.rs`) runs user callbacks. Reading is a role: while no watch is live and
//! no async request is in flight, the I/O thread lends the socket to blocked callers, and
//! a caller reads its own reply (and whatever comes before it, for the others), so a
//! blocking request costs one thread wake-up, the caller's, by the kernel. Likewise the
//! event thread, idle with async replies due, reads them itself (`conn::event_thread_read`).

pub mod events;
pub mod fourlw;
pub mod hosts;
pub mod retry;
pub mod state;
pub mod tls;
pub mod watches;

mod conn;
mod oneshot;
mod transport;

use std::collections::VecDeque;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};

use crate::error::{Error, Result};
use crate::proto::consts::OpCode;
use crate::proto::path::Chroot;
use crate::proto::wire::{Encode, Writer};
use crate::proto::RequestHeader;

use events::{Event, Events};
use hosts::ConnectString;
use retry::RetryPolicy;
use state::{KeeperState, State, WatchedEvent};
use watches::{WatchKind, WatchTable, Watcher};

/// A session id and its password: what resumes a session on another connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientId {
    pub session_id: i64,
    pub passwd: [u8; 16],
}

/// Log levels of the logger callback.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
}

/// The logger: called on whichever library thread has something to say. It must not call
/// back into the client.
pub type LogFn = Arc<dyn Fn(LogLevel, &str) + Send + Sync + 'static>;

/// Everything a session needs to know, fixed at creation except the host list.
#[derive(Clone)]
pub struct SessionConfig {
    pub connect: ConnectString,
    pub session_timeout: Duration,
    pub client_id: Option<ClientId>,
    pub auth: Vec<(String, Vec<u8>)>,
    pub read_only: bool,
    pub randomize_hosts: bool,
    pub connection_retry: RetryPolicy,
    /// Largest frame accepted from the server, and largest request sent.
    pub max_frame: usize,
    /// After an expiry, stay expired instead of starting a new session.
    pub expiry_final: bool,
    pub logger: Option<(LogFn, LogLevel)>,
    /// TLS to the servers' secure client port, when set.
    pub tls: Option<tls::TlsConfig>,
}

/// A reply as the I/O thread hands it to a caller: the header's zxid and error, and the
/// frame with the body still encoded (the caller decodes it on its own thread).
#[derive(Debug)]
pub struct Reply {
    pub zxid: i64,
    pub err: i32,
    frame: Vec<u8>,
    body_at: usize,
}

impl Reply {
    pub fn body(&self) -> &[u8] {
        &self.frame[self.body_at..]
    }

    /// `body()[range]` as a Vec made of the reply's own allocation: the bytes move to the
    /// front, nothing is allocated or copied elsewhere.
    pub fn into_bytes(mut self, range: std::ops::Range<usize>) -> Vec<u8> {
        let (start, end) = (self.body_at + range.start, self.body_at + range.end);
        self.frame.copy_within(start..end, 0);
        self.frame.truncate(end - start);
        self.frame
    }
}

/// A watch the caller wants registered if (and only if) the reply says the call worked.
pub struct WatchRequest {
    /// Kind to register on success.
    pub kind: WatchKind,
    /// Kind to register when the reply is NONODE (an exists() on a missing node), if any.
    pub kind_on_nonode: Option<WatchKind>,
    pub f: Watcher,
}

type WatchSlot = Arc<Mutex<Option<Watcher>>>;

struct PendingWatch {
    kind: WatchKind,
    kind_on_nonode: Option<WatchKind>,
    server_path: String,
    slot: WatchSlot,
}

impl PendingWatch {
    /// The watch as the I/O thread registers it, and the slot the caller keeps to take it
    /// back if it was not registered.
    fn new(w: WatchRequest, server_path: &str) -> (PendingWatch, WatchSlot) {
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

struct Pending {
    xid: i32,
    op: OpCode,
    watch: Option<PendingWatch>,
    done: Completion,
}

/// State guarded by one lock and announced through one condvar.
struct Shared {
    keeper: KeeperState,
    coarse: State,
    session: Option<ClientId>,
    negotiated: Duration,
    /// Java's `seenRwServerBefore`: a session id is offered again only after a read-write
    /// server has known it (3.8 read-only servers refuse to re-attach global sessions).
    seen_rw: bool,
    /// The I/O thread should end.
    stopping: bool,
    /// Why a CLOSED client closed, for calls that come after.
    closed_reason: Option<Error>,
    /// The server of the current connection, and the host name it was reached by.
    server: Option<(SocketAddr, String)>,
    /// Counts expiries: a request that waited for a reconnect across one belongs to a
    /// session that is gone, and fails with SESSIONEXPIRED instead of going to the new one.
    expiries: u64,
}

/// An async request made while there was no connection: sent by the I/O thread right after
/// the next handshake's auth and SetWatches replay, or failed when its deadline passes.
struct Queued {
    frame: Vec<u8>,
    op: OpCode,
    watch: Option<PendingWatch>,
    done: Completion,
    deadline: Instant,
}

impl Shared {
    /// The error of a state no request can leave: auth failed, closed, or expired for good.
    fn terminal(&self) -> Option<Error> {
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

thread_local! {
    /// The frame buffer of blocking calls on this thread (`Session::call`).
    static FRAME: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// A frame buffer grown past this by a large request is not kept for the next call.
const FRAME_KEEP: usize = 16 * 1024;

/// Callback requests held back while at least `HOLD_DEPTH` async requests are at the server
/// leave once `HOLD_BATCH` of them wait (`Inner::after_batch`).
const HOLD_BATCH: usize = 16;
const HOLD_DEPTH: usize = 32;

/// The writing side of the current connection. Every byte for the socket goes through
/// `out` in xid order; one thread at a time (`flushing`) writes it out with the lock
/// released, so writers that arrive meanwhile only append and go wait for their replies,
/// and many queued requests leave in one write.
struct SendSide {
    stream: Option<Arc<transport::Conn>>,
    next_xid: i32,
    /// Guarded by the send lock like the stream, so a request is either written or queued,
    /// never lost between a disconnect and a flush.
    waiting: VecDeque<Queued>,
    /// Frames not yet written.
    out: Vec<u8>,
    /// A thread is writing `out` now.
    flushing: bool,
    /// How many requests made by callbacks `out` holds: sent when the callback batch ends,
    /// or held for a later batch (see `after_batch`).
    deferred: usize,
}

impl SendSide {
    fn next_xid(&mut self) -> i32 {
        // Positive xids only; wrap to 1 so we never send a reserved negative xid.
        let x = self.next_xid;
        self.next_xid = if x == i32::MAX { 1 } else { x + 1 };
        x
    }
}

pub(crate) struct Inner {
    cfg: Mutex<SessionConfig>,
    chroot: Chroot,
    max_frame: usize,
    events: Arc<Events>,
    st: Mutex<Shared>,
    cv: Condvar,
    send: Mutex<SendSide>,
    /// The socket of a handshake under way, so stop() can cut it short.
    connecting: Mutex<Option<TcpStream>>,
    /// Counts connections; a read-only prober stops when it changes.
    conn_gen: AtomicU64,
    /// A read-write server a prober found while we were read-only: tried first next pass.
    preferred: Mutex<Option<SocketAddr>>,
    pending: Mutex<VecDeque<Pending>>,
    /// How many of `pending` are async: while any is, the I/O thread keeps the socket.
    async_pending: AtomicUsize,
    /// The reading side of the current connection; its holder reads (`conn::read_loop`,
    /// `conn::await_reply`).
    reader: Mutex<Option<conn::ReadSide>>,
    /// Counts the times a blocked caller took the reading role.
    caller_reads: AtomicU64,
    /// The I/O thread has left the socket to callers or the event thread (or is about to).
    lend: AtomicBool,
    /// Set (with a notify) to bring a lending I/O thread back to the socket at once.
    io_called: Mutex<bool>,
    io_cv: Condvar,
    watches: Mutex<WatchTable>,
    auth: Mutex<Vec<(String, Vec<u8>)>>,
    last_zxid: AtomicI64,
    /// Milliseconds since `epoch` of the last write, for the ping timer.
    last_send_ms: AtomicU64,
    /// Milliseconds since `epoch` of the last read that returned bytes.
    last_recv_ms: AtomicU64,
    epoch: Instant,
    io: Mutex<Option<JoinHandle<()>>>,
}

/// A session: cheap to share between threads (`Arc` inside).
pub struct Session {
    inner: Arc<Inner>,
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

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn touch_send(&self) {
        self.stamp(&self.last_send_ms);
    }

    fn since_last_send(&self) -> Duration {
        self.since(&self.last_send_ms)
    }

    fn touch_recv(&self) {
        self.stamp(&self.last_recv_ms);
    }

    fn since_last_recv(&self) -> Duration {
        self.since(&self.last_recv_ms)
    }

    /// Records now in a milliseconds-since-`epoch` stamp.
    fn stamp(&self, at: &AtomicU64) {
        at.store(self.now_ms(), Ordering::Relaxed);
    }

    /// How long ago a `stamp` was.
    fn since(&self, at: &AtomicU64) -> Duration {
        Duration::from_millis(self.now_ms().saturating_sub(at.load(Ordering::Relaxed)))
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
    fn call_io(&self) {
        *self.io_called.lock() = true;
        self.io_cv.notify_one();
    }

    /// Whether the socket must have a reader at all times: an async reply or a watch
    /// event must not wait for the next blocking call to be read.
    fn needs_io_reader(&self) -> bool {
        self.async_pending.load(Ordering::SeqCst) > 0 || !self.watches.lock().is_empty()
    }

    /// Called by a reader that just left the socket: whoever needs a reader next gets the
    /// role. Async requests in flight or live watches need the I/O thread; otherwise the
    /// first blocked caller still waiting (not this thread) is nudged to read its own
    /// reply. With nobody waiting, the I/O thread comes back on its own when callers stop
    /// calling.
    fn hand_on(&self) {
        if self.needs_io_reader() {
            self.call_io();
            return;
        }
        self.nudge_waiting_caller();
    }

    /// Nudges the first blocked caller (not this thread) still waiting for a reply to read
    /// it itself. Returns whether there was one.
    fn nudge_waiting_caller(&self) -> bool {
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

    /// Bookkeeping for a request leaving `pending`.
    fn popped(&self, p: &Pending) {
        if let Completion::Callback(_) = p.done {
            self.async_pending.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Moves to a new detailed state, tells listeners (on the event thread) and wakes
    /// everyone waiting for a state. Call without holding `st`.
    fn set_state(&self, keeper: KeeperState) {
        let mut st = self.st.lock();
        self.set_state_locked(&mut st, keeper);
    }

    fn set_state_locked(&self, st: &mut Shared, keeper: KeeperState) {
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
    fn fail_pending(&self, err: Error) {
        let pend = std::mem::take(&mut *self.pending.lock());
        for p in pend {
            self.popped(&p);
            complete(&self.events, p.done, Err(err));
        }
    }

    /// Ends every watch registration with one session event of the given state.
    fn end_watches(&self, keeper: KeeperState) {
        // The whole table goes to the event thread as one event: ending 10,000 watches
        // used to queue 10,000 events (and their list), a transient megabyte.
        let table = std::mem::take(&mut *self.watches.lock());
        if !table.is_empty() {
            self.events.push(events::Event::EndWatches(table, keeper));
        }
    }

    /// Closes the current connection's socket, so the I/O thread's read returns and
    /// callers stop writing to it.
    fn drop_connection(&self) {
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
        self.call_io();
    }

    /// Under the send lock: takes the next xid, queues the pending entry and appends the
    /// frame to the output, so xid order is socket order. Then flushes, unless `defer`
    /// (a callback's request, sent when the callback batch ends).
    fn write_locked(
        &self,
        s: &mut MutexGuard<'_, SendSide>,
        frame: &mut [u8],
        op: OpCode,
        watch: Option<PendingWatch>,
        done: Completion,
        defer: bool,
    ) {
        let xid = s.next_xid();
        frame[4..8].copy_from_slice(&xid.to_be_bytes());
        let is_async = matches!(done, Completion::Callback(_));
        if is_async {
            self.async_pending.fetch_add(1, Ordering::SeqCst);
        }
        self.pending.lock().push_back(Pending {
            xid,
            op,
            watch,
            done,
        });
        // Its reply needs a reader even if every blocked caller stops reading: bring the
        // I/O thread back (see `conn::read_loop` for why one of us sees the other). Not for
        // the event thread's own requests: it reads their replies when it is idle.
        if is_async && self.lend.load(Ordering::SeqCst) && !self.events.is_event_thread() {
            self.call_io();
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
    fn flush_locked(&self, s: &mut MutexGuard<'_, SendSide>) {
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
            let mut buf = std::mem::take(&mut s.out);
            let r = MutexGuard::unlocked(s, || conn.write_all(&buf));
            if let Err(e) = r {
                conn.shutdown();
                self.log(LogLevel::Warn, format_args!("write failed: {e}"));
                break;
            }
            self.touch_send();
            if s.out.is_empty() {
                // Keep the allocation for the next flush.
                buf.clear();
                s.out = buf;
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
    fn after_batch(&self) {
        let mut s = self.send.lock();
        if s.deferred > 0 {
            let at_server = self
                .async_pending
                .load(Ordering::SeqCst)
                .saturating_sub(s.deferred);
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
    fn write_raw(&self, frame: &[u8]) -> bool {
        let mut s = self.send.lock();
        if s.stream.is_none() {
            return false;
        }
        s.out.extend_from_slice(frame);
        self.flush_locked(&mut s);
        true
    }

    /// Writes a request now if there is a connection; `Err` hands everything back if not.
    fn send_frame(
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
    fn flush_waiting_locked(&self, s: &mut MutexGuard<'_, SendSide>) {
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
    fn expire_waiting(&self) {
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
    fn fail_waiting(&self, err: Error) {
        let queued = std::mem::take(&mut self.send.lock().waiting);
        for q in queued {
            complete(&self.events, q.done, Err(err));
        }
    }
}

/// Whom `complete` handed a result to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Completed {
    /// A blocked caller, woken.
    Caller,
    /// An async callback, queued for the event thread.
    Queued,
}

/// Hands a result to whoever waits for it.
fn complete(events: &Events, done: Completion, r: Result<Reply>) -> Completed {
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

/// Builds a request frame: length prefix, header with a placeholder xid (patched when the
/// frame is sent), then the body, in one buffer.
pub fn encode_request(op: OpCode, body: Option<&dyn Encode>) -> Vec<u8> {
    encode_request_into(Vec::with_capacity(64), op, body)
}

/// `encode_request` into `buf`'s allocation.
fn encode_request_into(buf: Vec<u8>, op: OpCode, body: Option<&dyn Encode>) -> Vec<u8> {
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

impl Session {
    pub fn new(cfg: SessionConfig) -> Result<Session> {
        cfg.connection_retry.validate()?;
        if cfg.session_timeout.is_zero() || cfg.session_timeout > Duration::from_secs(3600) {
            return Err(Error::InvalidArgument);
        }
        let events = Events::new("zk-events");
        let chroot = cfg.connect.chroot.clone();
        let max_frame = cfg.max_frame;
        let auth = cfg.auth.clone();
        let seen_rw = cfg.client_id.is_some();
        let session = cfg.client_id;
        let inner = Arc::new(Inner {
            cfg: Mutex::new(cfg),
            chroot,
            max_frame,
            events,
            st: Mutex::new(Shared {
                keeper: KeeperState::Closed,
                coarse: State::Lost,
                session,
                negotiated: Duration::ZERO,
                seen_rw,
                stopping: false,
                closed_reason: None,
                server: None,
                expiries: 0,
            }),
            cv: Condvar::new(),
            send: Mutex::new(SendSide {
                stream: None,
                next_xid: 1,
                waiting: VecDeque::new(),
                out: Vec::new(),
                flushing: false,
                deferred: 0,
            }),
            connecting: Mutex::new(None),
            conn_gen: AtomicU64::new(0),
            preferred: Mutex::new(None),
            pending: Mutex::new(VecDeque::new()),
            async_pending: AtomicUsize::new(0),
            reader: Mutex::new(None),
            caller_reads: AtomicU64::new(0),
            lend: AtomicBool::new(false),
            io_called: Mutex::new(false),
            io_cv: Condvar::new(),
            watches: Mutex::new(WatchTable::default()),
            auth: Mutex::new(auth),
            last_zxid: AtomicI64::new(0),
            last_send_ms: AtomicU64::new(0),
            last_recv_ms: AtomicU64::new(0),
            epoch: Instant::now(),
            io: Mutex::new(None),
        });
        let weak = Arc::downgrade(&inner);
        inner.events.set_after_batch(Box::new(move || {
            if let Some(i) = weak.upgrade() {
                i.after_batch();
            }
        }));
        let weak = Arc::downgrade(&inner);
        inner
            .events
            .set_idle_read(Box::new(move |wake_fd, timeout| {
                weak.upgrade()
                    .is_some_and(|i| conn::event_thread_read(&i, wake_fd, timeout))
            }));
        Ok(Session { inner })
    }

    pub fn chroot(&self) -> &Chroot {
        &self.inner.chroot
    }

    pub fn max_frame(&self) -> usize {
        self.inner.max_frame
    }

    pub fn events(&self) -> &Arc<Events> {
        &self.inner.events
    }

    pub fn keeper_state(&self) -> KeeperState {
        self.inner.st.lock().keeper
    }

    pub fn state(&self) -> State {
        self.inner.st.lock().coarse
    }

    pub fn client_id(&self) -> Option<ClientId> {
        let st = self.inner.st.lock();
        if st.keeper.is_connected() {
            st.session
        } else {
            None
        }
    }

    pub fn negotiated_timeout(&self) -> Duration {
        self.inner.st.lock().negotiated
    }

    pub fn last_zxid(&self) -> i64 {
        self.inner.last_zxid.load(Ordering::Relaxed)
    }

    /// The server of the current connection and its host name, if connected.
    pub fn current_server(&self) -> Option<(SocketAddr, String)> {
        let st = self.inner.st.lock();
        st.server.clone().filter(|_| st.keeper.is_connected())
    }

    /// Sends a four-letter word to one server, over TLS when the client uses it.
    pub fn four_letter(
        &self,
        addr: SocketAddr,
        host: &str,
        cmd: &str,
        timeout: Duration,
    ) -> Result<String> {
        let tls = self.inner.cfg.lock().tls.clone();
        fourlw::four_letter(addr, host, cmd, timeout, tls.as_ref())
    }

    pub fn hosts(&self) -> Vec<hosts::HostPort> {
        self.inner.cfg.lock().connect.hosts.clone()
    }

    /// Replaces the host list; used from the next connect on. The chroot cannot change.
    /// When the current server is not in the new list the connection is dropped, so the
    /// client moves to the new servers now (the session goes with it).
    pub fn set_hosts(&self, connect: ConnectString) -> Result<()> {
        if connect.chroot != self.inner.chroot {
            return Err(Error::InvalidArgument);
        }
        let resolved = hosts::resolve(&connect.hosts);
        self.inner.cfg.lock().connect.hosts = connect.hosts;
        if let Some((cur, _)) = self.current_server() {
            if !resolved.iter().any(|(a, _)| *a == cur) {
                self.inner.log(
                    LogLevel::Info,
                    format_args!("host list changed and {cur} left it: reconnecting"),
                );
                self.inner.drop_connection();
            }
        }
        Ok(())
    }

    pub fn watch_count(&self) -> usize {
        self.inner.watches.lock().len()
    }

    pub fn log(&self, level: LogLevel, msg: std::fmt::Arguments<'_>) {
        self.inner.log(level, msg)
    }

    /// Starts the I/O thread if it is not running. Returns at once; `wait_connected` waits.
    pub fn start(&self) -> Result<()> {
        // After close the event thread is gone: callbacks would run on the I/O thread.
        if self.inner.events.is_closed() {
            return Err(Error::Closed);
        }
        let mut io = self.inner.io.lock();
        if let Some(h) = io.as_ref() {
            if !h.is_finished() {
                return Ok(());
            }
        }
        if let Some(h) = io.take() {
            let _ = h.join();
        }
        {
            let mut st = self.inner.st.lock();
            st.stopping = false;
            st.closed_reason = None;
            self.inner
                .set_state_locked(&mut st, KeeperState::Connecting);
        }
        let inner = self.inner.clone();
        let h = std::thread::Builder::new()
            .name("zk-io".into())
            .spawn(move || conn::io_main(inner))
            .map_err(|_| Error::SystemError)?;
        *io = Some(h);
        Ok(())
    }

    /// Waits until connected, a terminal state, or the deadline.
    pub fn wait_connected(&self, deadline: Instant) -> Result<()> {
        self.wait_ready(deadline, false, false)
    }

    /// Ends the session: closeSession (so ephemerals go at once), then the I/O thread ends
    /// and every watch gets its terminal event. Idempotent.
    pub fn stop(&self) -> Result<()> {
        // Lock order everywhere: io before st.
        let io_running = self.inner.io.lock().is_some();
        let was_connected;
        {
            let mut st = self.inner.st.lock();
            if st.stopping && !io_running {
                return Ok(());
            }
            was_connected = st.keeper.is_connected();
            st.stopping = true;
            self.inner.cv.notify_all();
        }
        let mut result = Ok(());
        if was_connected {
            let mut frame = encode_request(OpCode::CloseSession, None);
            let timeout = (self.negotiated_timeout() / 2)
                .clamp(Duration::from_millis(500), Duration::from_secs(3));
            result = self
                .submit_frame(
                    &mut frame,
                    OpCode::CloseSession,
                    None,
                    Instant::now() + timeout,
                    true,
                )
                .map(|_| ());
        }
        self.inner.drop_connection();
        if let Some(h) = self.inner.io.lock().take() {
            let _ = h.join();
        }
        // The I/O thread has ended: nothing else touches the queues now.
        self.inner.fail_pending(Error::Closed);
        self.inner.fail_waiting(Error::Closed);
        self.inner.end_watches(KeeperState::Closed);
        {
            let mut st = self.inner.st.lock();
            st.session = None;
            st.server = None;
            self.inner.set_state_locked(&mut st, KeeperState::Closed);
        }
        match result {
            Err(Error::ConnectionLoss) | Err(Error::Closed) | Err(Error::TimedOut) => Ok(()),
            other => other,
        }
    }

    /// Stop, then end the event thread after it has run everything queued. From inside a
    /// callback the event thread ends when that callback returns.
    pub fn close(&self) {
        let _ = self.stop();
        self.inner.events.stop();
        self.inner.events.clear_listeners();
    }

    /// Sends a request and blocks for its reply until `deadline`. The watch, if any, is
    /// registered only when the reply says the call worked (then `watch` is left `None`);
    /// otherwise it is handed back in `watch`, so a retry can use it or the caller can drop
    /// it. When the deadline races a reply that already registered it, it stays registered
    /// and ends like any other watch.
    pub fn call(
        &self,
        op: OpCode,
        body: Option<&dyn Encode>,
        server_path: Option<&str>,
        watch: &mut Option<WatchRequest>,
        deadline: Instant,
    ) -> Result<Reply> {
        // A blocking call encodes into this thread's frame buffer: a request allocates
        // nothing for its frame (the buffer is taken, not borrowed, so a call made from a
        // finalizer during this one just uses a new one).
        let mut frame = encode_request_into(FRAME.take(), op, body);
        let (pw, back) = match (watch.take(), server_path) {
            (Some(w), Some(p)) => {
                let (kind, kind_on_nonode) = (w.kind, w.kind_on_nonode);
                let (pw, slot) = PendingWatch::new(w, p);
                (Some(pw), Some((slot, kind, kind_on_nonode)))
            }
            (Some(w), None) => {
                *watch = Some(w);
                return Err(Error::InvalidArgument);
            }
            _ => (None, None),
        };
        let r = self.submit_frame(&mut frame, op, pw, deadline, false);
        if frame.capacity() <= FRAME_KEEP {
            FRAME.set(frame);
        }
        if let Some((slot, kind, kind_on_nonode)) = back {
            // Whatever the reader did not register comes back to the caller.
            if let Some(f) = slot.lock().take() {
                *watch = Some(WatchRequest {
                    kind,
                    kind_on_nonode,
                    f,
                });
            }
        }
        r
    }

    /// Sends a request without blocking; `done` runs on the event thread with the reply, in
    /// reply order (after any watch event the server sent before it). Without a connection
    /// the request waits for the next one (or its deadline); a closed, failed or expired
    /// client fails it at once. A watch that did not get registered is dropped right after
    /// `done` returns.
    pub fn submit(
        &self,
        op: OpCode,
        body: Option<&dyn Encode>,
        server_path: Option<&str>,
        watch: Option<WatchRequest>,
        deadline: Instant,
        done: Box<dyn FnOnce(Result<Reply>) + Send + 'static>,
    ) {
        let mut frame = encode_request(op, body);
        let (pw, slot) = match (watch, server_path) {
            (Some(w), Some(p)) => {
                let (pw, slot) = PendingWatch::new(w, p);
                (Some(pw), Some(slot))
            }
            _ => (None, None),
        };
        let done: Box<dyn FnOnce(Result<Reply>) + Send> = Box::new(move |r| {
            let leftover = slot.and_then(|s| s.lock().take());
            done(r);
            drop(leftover);
        });
        let fail = |done: Box<dyn FnOnce(Result<Reply>) + Send>, e: Error| {
            self.inner
                .events
                .push(Event::Call(Box::new(move || done(Err(e)))));
        };
        if frame.len() - 4 > self.inner.max_frame {
            return fail(done, Error::TooLarge);
        }
        let mut s = self.inner.send.lock();
        // Checked under the send lock: stop() sets `stopping` before it drains the queue
        // under this lock, so a request is either refused here or drained there.
        if let Err(e) = self.terminal_error() {
            drop(s);
            return fail(done, e);
        }
        let done = Completion::Callback(done);
        if s.stream.is_some() {
            // From a callback, the request leaves with the others of the same batch.
            let defer = self.inner.events.is_event_thread();
            self.inner
                .write_locked(&mut s, &mut frame, op, pw, done, defer);
        } else {
            s.waiting.push_back(Queued {
                frame,
                op,
                watch: pw,
                done,
                deadline,
            });
            drop(s);
            // The event thread now wakes on a timer to hold the queued deadlines.
            self.inner.events.set_ticking(true);
        }
    }

    /// The error a request gets at once from a client that cannot send any more.
    fn terminal_error(&self) -> Result<()> {
        let st = self.inner.st.lock();
        if st.stopping {
            return Err(st.closed_reason.unwrap_or(Error::Closed));
        }
        st.terminal().map_or(Ok(()), Err)
    }

    fn submit_frame(
        &self,
        frame: &mut [u8],
        op: OpCode,
        mut watch: Option<PendingWatch>,
        deadline: Instant,
        while_stopping: bool,
    ) -> Result<Reply> {
        if frame.len() - 4 > self.inner.max_frame {
            return Err(Error::TooLarge);
        }
        let waiter = oneshot::begin();
        let seq = waiter.seq();
        let mut done = Completion::Wait(waiter);
        loop {
            self.wait_sendable(deadline, while_stopping)?;
            match self.inner.send_frame(frame, op, watch, done) {
                Ok(()) => break,
                Err((w, d)) => {
                    // Lost the connection between the state check and the send: wait again,
                    // within the deadline (during stop the state may still say connected
                    // after the I/O thread has ended with the connection).
                    watch = w;
                    done = d;
                    if Instant::now() >= deadline {
                        oneshot::give_up(seq);
                        return Err(Error::TimedOut);
                    }
                    if while_stopping {
                        // No connection is made once stopping is set: closeSession has
                        // nowhere to go.
                        return Err(Error::ConnectionLoss);
                    }
                    let mut st = self.inner.st.lock();
                    if st.keeper.is_connected() {
                        let _ = self.inner.cv.wait_for(&mut st, Duration::from_millis(5));
                    }
                }
            }
        }
        conn::await_reply(&self.inner, seq, deadline)
    }

    /// Waits until a request can be written: connected, or an error for a closed, failed or
    /// expired-for-good client (or one being stopped, unless `while_stopping`).
    fn wait_sendable(&self, deadline: Instant, while_stopping: bool) -> Result<()> {
        self.wait_ready(deadline, !while_stopping, true)
    }

    /// `for_request`: the wait belongs to a request of the current session, so an expiry
    /// meanwhile fails it (as kazoo does); `start` waits through one for the new session.
    fn wait_ready(
        &self,
        deadline: Instant,
        refuse_when_stopping: bool,
        for_request: bool,
    ) -> Result<()> {
        let mut st = self.inner.st.lock();
        let expiries = st.expiries;
        loop {
            if st.stopping && refuse_when_stopping {
                return Err(st.closed_reason.unwrap_or(Error::Closed));
            }
            if for_request && st.expiries != expiries {
                return Err(Error::SessionExpired);
            }
            if st.keeper.is_connected() {
                return Ok(());
            }
            if let Some(e) = st.terminal() {
                return Err(e);
            }
            if self.inner.cv.wait_until(&mut st, deadline).timed_out() {
                return Err(Error::TimedOut);
            }
        }
    }

    /// Whether the table holds a watch that removeWatches of `ty` on the path would end.
    pub fn has_watches(&self, ty: crate::proto::consts::WatcherType, server_path: &str) -> bool {
        self.inner.watches.lock().covers(ty, server_path)
    }

    /// Ends the watches of `ty` on a path locally: each gets its removal event (with
    /// `user_path`) on the event thread and is dropped. Returns how many there were.
    pub fn remove_watches(
        &self,
        ty: crate::proto::consts::WatcherType,
        server_path: &str,
        user_path: &str,
    ) -> usize {
        let removed = self.inner.watches.lock().remove(ty, server_path);
        let n = removed.len();
        let keeper = self.keeper_state();
        for (w, ev) in removed {
            self.inner.events.deliver(
                w,
                WatchedEvent {
                    event_type: ev,
                    keeper_state: keeper,
                    path: user_path.to_string(),
                },
            );
        }
        n
    }

    /// Remembers a credential that worked, so it is replayed after every reconnect.
    pub fn remember_auth(&self, scheme: &str, cred: &[u8]) {
        let mut a = self.inner.auth.lock();
        if !a.iter().any(|(s, c)| s == scheme && c == cred) {
            a.push((scheme.to_string(), cred.to_vec()));
        }
    }

    /// The request timeout a session of this config starts with, for defaults above.
    pub fn session_timeout(&self) -> Duration {
        self.inner.cfg.lock().session_timeout
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.close();
    }
}
