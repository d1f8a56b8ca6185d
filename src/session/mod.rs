//! One session's life: hosts, handshake, pings, the xid -> pending queue, reconnect,
//! SetWatches and auth replay, the state machine and the watch table. This module owns all
//! network I/O of the client; the layers above only build and read records.
//!
//! Threads: callers write their own request frames under the send lock (where the xid is
//! assigned, so frames reach the socket in xid order) and block on a one-shot reply; the
//! I/O thread (`hostloop.rs`) connects, pings and reconnects; the event thread
//! (`events.rs`) runs user callbacks. Reading the socket is a role that the I/O thread,
//! blocked callers and the idle event thread take in turn, so a blocking request costs one
//! thread wake-up, the caller's: `reader.rs` writes that hand-off down (its states, every
//! transition, what wakes whom, the lock order) and `reader/model.rs` model-checks it.
//!
//! What the layers above use (`client`, and for now `ffi`), all named from here: `Session`
//! and its methods, and `WeakSession`; the records that go in and out of it
//! (`SessionConfig`, `ClientId`, `Reply`, `WatchRequest` with `WatchKind` and `Watcher`,
//! `ConnectString`, `RetryPolicy`, `Sasl`, `TlsOptions` and `TlsConfig`, `LogFn`,
//! `LogLevel`); the states and callback types users see (`State`, `KeeperState`,
//! `WatchedEvent`, `WatchFn`, `PersistentFn`, `ListenerFn`);
//! `encode_request` and `parse_version`. Everything else is the session's own.

pub(crate) mod events;
pub(crate) mod fourlw;
pub(crate) mod hosts;
pub(crate) mod retry;
pub(crate) mod state;
// `TlsConfig::build` and `SYSTEM_CA_BUNDLE` serve tls.rs's own tests and the TLS crate.
#[allow(dead_code, unused_imports)]
pub(crate) mod tls;
pub(crate) mod watches;

mod frames;
mod handshake;
mod hostloop;
mod inner;
mod oneshot;
mod prober;
mod reader;
mod replay;
mod sasl;
mod send;
mod sync;
mod timing;
mod transport;
mod types;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::error::{Error, Result};
use crate::proto::consts::{AddWatchMode, OpCode, WatcherType};
use crate::proto::path::Chroot;
use crate::proto::wire::Encode;
use crate::proto::AddWatchRequest;

use events::{Event, Events};
use inner::{Completion, Inner, PendingWatch, Queued, Shared};
use send::{encode_request_into, SendSide};
use watches::WatchTable;

pub use fourlw::parse_version;
pub use hosts::ConnectString;
pub use retry::RetryPolicy;
pub use send::encode_request;
pub use state::{KeeperState, ListenerFn, PersistentFn, State, WatchFn, WatchedEvent};
pub use tls::{TlsConfig, TlsOptions};
pub use types::{ClientId, LogFn, LogLevel, Reply, Sasl, SessionConfig, WatchRequest};
pub use watches::{WatchKind, Watcher};

thread_local! {
    /// The frame buffer of blocking calls on this thread (`Session::call`).
    static FRAME: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// A frame buffer grown past this by a large request is not kept for the next call.
const FRAME_KEEP: usize = 16 * 1024;

/// How long a re-added persistent watch mode may wait for a connection; after a reconnect
/// SetWatches2 restores the modes in any case.
const RESTORE_TIMEOUT: Duration = Duration::from_secs(10);

/// A session: cheap to share between threads (`Arc` inside). The one `Session::new` makes
/// owns it: dropping that one closes the session. Handles from `WeakSession::upgrade` do
/// not, so a helper that holds a weak handle (the ensemble follower) never keeps the
/// session alive or closes it behind its owner's back.
pub struct Session {
    inner: Arc<Inner>,
    owner: bool,
}

/// A session handle that does not keep it alive (`Session::downgrade`).
#[derive(Clone)]
pub struct WeakSession(std::sync::Weak<Inner>);

impl WeakSession {
    /// A handle on the session while its owner lives; dropping it closes nothing.
    pub fn upgrade(&self) -> Option<Session> {
        self.0.upgrade().map(|inner| Session {
            inner,
            owner: false,
        })
    }
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
                failures: Default::default(),
            }),
            cv: Condvar::new(),
            send: Mutex::new(SendSide {
                stream: None,
                next_xid: 1,
                waiting: VecDeque::new(),
                out: Vec::new(),
                spare: Vec::new(),
                flushing: false,
                deferred: 0,
            }),
            connecting: Mutex::new(None),
            conn_gen: AtomicU64::new(0),
            preferred: Mutex::new(None),
            pending: Mutex::new(VecDeque::new()),
            role: reader::Role::new(),
            watches: Mutex::new(WatchTable::default()),
            auth: Mutex::new(auth),
            replay_auths: AtomicUsize::new(0),
            last_zxid: AtomicI64::new(0),
            heard_ms: AtomicU64::new(0),
            ping_sent_ms: AtomicU64::new(inner::NO_PING),
            answered: AtomicBool::new(false),
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
                    .is_some_and(|i| reader::event_thread_read(&*i, wake_fd, timeout))
            }));
        Ok(Session { inner, owner: true })
    }

    /// A handle that does not keep the session alive.
    pub fn downgrade(&self) -> WeakSession {
        WeakSession(Arc::downgrade(&self.inner))
    }

    pub fn chroot(&self) -> &Chroot {
        &self.inner.chroot
    }

    pub fn max_frame(&self) -> usize {
        self.inner.max_frame
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

    /// Sends a four-letter word to the server of the current connection or, when not
    /// connected, to the first host that answers, and returns its text.
    /// Works before `start` (it needs no session), but not after close.
    pub fn command(&self, cmd: &str, timeout: Duration) -> Result<String> {
        if self.inner.events.is_closed() {
            return Err(Error::Closed);
        }
        if let Some((addr, host)) = self.current_server() {
            return self.four_letter(addr, &host, cmd, timeout);
        }
        let mut last = Error::ConnectionLoss;
        for (addr, host) in hosts::resolve(&self.hosts()) {
            match self.four_letter(addr, &host, cmd, timeout) {
                Ok(s) => return Ok(s),
                Err(Error::InvalidArgument) => return Err(Error::InvalidArgument),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Adds a state listener (run on the event thread); returns its id.
    pub fn add_listener(&self, f: ListenerFn) -> u64 {
        self.inner.events.add_listener(f)
    }

    /// Removes a listener; false if the id is unknown.
    pub fn remove_listener(&self, id: u64) -> bool {
        self.inner.events.remove_listener(id)
    }

    /// Runs `f` on the event thread, after everything queued before it.
    pub fn defer(&self, f: Box<dyn FnOnce() + Send + 'static>) {
        self.inner.events.push(Event::Call(f));
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
            st.failures.clear();
            self.inner
                .set_state_locked(&mut st, KeeperState::Connecting);
        }
        let inner = self.inner.clone();
        let h = std::thread::Builder::new()
            .name("zk-io".into())
            .spawn(move || hostloop::io_main(inner))
            .map_err(|_| Error::SystemError)?;
        *io = Some(h);
        Ok(())
    }

    /// Why connecting failed: the last failure of each address tried since the last
    /// session was established (or since `start`), "ADDRESS: REASON; ..."; None when
    /// nothing failed.
    pub fn connect_error(&self) -> Option<String> {
        self.inner.st.lock().failures.describe()
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
            if let (Ok(_), Some(p)) = (&r, server_path) {
                self.restore_persistent_modes(kind, p);
            }
        }
        r
    }

    /// Before ZooKeeper 3.9 the server keeps one watch mode per path and session
    /// (ZOOKEEPER-4466), in each of its two watch managers: a data manager (data and exist
    /// watches) and a child manager (child watches); addWatch puts its mode in both. A
    /// one-shot watch of `kind` registered on `server_path` — or removed from it by
    /// removeWatches, which clears the manager's entry — replaces there the persistent mode
    /// this client still holds, and the server would drop it when the one-shot watch fires.
    /// So the persistent modes held on the path are added again right after, persistent
    /// before recursive (the order SetWatches2 replays them in); the one-shot watches are
    /// then served from this client's table by the events of the persistent mode. With
    /// both persistent modes on one path, the recursive one ends up on a 3.8 server (its
    /// subtree matters more than the path's child events). 3.9 keeps the modes apart and
    /// takes the second addWatch as the no-op it is. Sent without waiting; the replies are
    /// dropped. Events between the two requests' arrival are the only gap.
    pub fn restore_persistent_modes(&self, kind: WatchKind, server_path: &str) {
        let (persistent, recursive) = {
            let t = self.inner.watches.lock();
            (
                t.covers(WatcherType::Persistent, server_path),
                t.covers(WatcherType::PersistentRecursive, server_path),
            )
        };
        let (persistent, recursive) = match kind {
            WatchKind::Data | WatchKind::Exist => (persistent, recursive),
            // A child watch replaces only the child manager's mode, which a recursive
            // mode does not use; re-adding persistent replaces the recursive mode too.
            WatchKind::Child => (persistent, persistent && recursive),
            WatchKind::Persistent => (false, recursive),
            WatchKind::PersistentRecursive => (false, false),
        };
        let modes = [
            (persistent, AddWatchMode::Persistent),
            (recursive, AddWatchMode::PersistentRecursive),
        ];
        for (_, mode) in modes.into_iter().filter(|(on, _)| *on) {
            let req = AddWatchRequest {
                path: server_path.to_string(),
                mode: mode as i32,
            };
            let deadline = Instant::now() + RESTORE_TIMEOUT;
            self.submit(
                OpCode::AddWatch,
                Some(&req),
                None,
                None,
                deadline,
                Box::new(drop),
            );
        }
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
        let watch_kind = watch.as_ref().map(|w| w.kind);
        let (pw, slot) = match (watch, server_path) {
            (Some(w), Some(p)) => {
                let (pw, slot) = PendingWatch::new(w, p);
                (Some(pw), Some(slot))
            }
            _ => (None, None),
        };
        // See `restore_persistent_modes`: after a watched request's reply, before its
        // completion runs.
        let restore = match (&slot, server_path) {
            (Some(_), Some(p)) => Some((self.downgrade(), p.to_string())),
            _ => None,
        };
        let kind = watch_kind;
        let done: Box<dyn FnOnce(Result<Reply>) + Send> = Box::new(move |r| {
            let leftover = slot.and_then(|s| s.lock().take());
            if let (Ok(_), Some((weak, path)), Some(kind)) = (&r, restore, kind) {
                if let Some(session) = weak.upgrade() {
                    session.restore_persistent_modes(kind, &path);
                }
            }
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

    /// The error a request gets at once from a client that cannot send any more (closed,
    /// never started, stopped, expired, auth failed); Ok while it can.
    pub(crate) fn terminal_error(&self) -> Result<()> {
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
        reader::await_reply(&*self.inner, seq, deadline)
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

    /// Whether the path's watches are all of the kind `ty` (see `WatchTable::only`).
    pub fn has_only_watches(
        &self,
        ty: crate::proto::consts::WatcherType,
        server_path: &str,
    ) -> bool {
        self.inner.watches.lock().only(ty, server_path)
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
                    zxid: -1,
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
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.owner {
            self.close();
        }
    }
}
