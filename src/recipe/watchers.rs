//! DataWatch and ChildrenWatch: kazoo's self-renewing watches. A callback gets a node's data
//! (or "no node") or its children at once, then again after every change, on a thread of the
//! watcher's own that re-arms the one-shot watch, reads again after a reconnect (nothing
//! changed while away is missed) and after an expiry (on the new session). docs/recipes.md
//! says what each reports and when it ends.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::thread::{JoinHandle, ThreadId};
use std::time::Duration;

use super::common::recipe_client;
use crate::client::async_ops::Callback;
use crate::client::{Client, EventType, Stat, State, WatchFn, WatchedEvent};
use crate::error::{Error, Result};

/// Told of a node's data: `Some((data, stat))`, or None while the node does not exist; and
/// the watch event that led to this read (None for the first call and for a read made
/// after a reconnect or an expiry: kazoo's `send_event`). Returning false stops the watch.
pub type DataFn = Box<dyn FnMut(Option<(&[u8], &Stat)>, Option<&WatchedEvent>) -> bool + Send>;

/// Told of a node's children (in the server's order) and the watch event that led to this
/// read, as `DataFn`. Returning false stops the watch.
pub type ChildrenFn = Box<dyn FnMut(&[String], Option<&WatchedEvent>) -> bool + Send>;

/// How long a watcher waits before it reads again after a read failed for a reason that
/// may pass (a lost connection, a timeout, an expired session being replaced), unless a
/// reconnect wakes it first: doubled after each failure up to the longest pause, so a
/// client that never comes back (an expired session with `expiry_final`) costs little.
const RETRY_PAUSE: Duration = Duration::from_millis(200);
const LONGEST_RETRY_PAUSE: Duration = Duration::from_secs(5);

/// Watches a node's data (kazoo's `DataWatch`): the callback gets the data and Stat, or
/// None while the node does not exist, at first and after every change of the node's
/// `mzxid` (a set, a creation, a deletion). The node need not exist: an exists watch waits
/// for it. Runs until `stop`, the callback returning false, or the client being closed.
pub struct DataWatch {
    core: Arc<Core>,
}

/// Watches a node's children (kazoo's `ChildrenWatch`): the callback gets the children at
/// first and after every child watch event. The node must exist; when it is deleted the
/// watch ends (`result` says `NoNode`), as kazoo's does.
pub struct ChildrenWatch {
    core: Arc<Core>,
}

impl DataWatch {
    /// Reads the node and starts watching it. Returns once the first read is done (its
    /// error, if it failed: nothing is watched then); the callback gets its result at
    /// once on the watcher's thread, where every call of it runs.
    pub fn new(client: &Client, path: &str, f: DataFn) -> Result<DataWatch> {
        let core = Core::start(client, path, Kind::Data(DataState { f, mzxid: None }))?;
        Ok(DataWatch { core })
    }

    /// Stops the watch: once this returns the callback is not running and is not called
    /// again. From inside the callback it returns at once (the call in progress is the
    /// last). Idempotent.
    pub fn stop(&self) {
        self.core.stop();
    }

    /// None while the watch runs; why it ended otherwise: `Ok` for `stop` or the callback
    /// returning false, `Panic` when the callback panicked (it is not called again), an
    /// error for a failure that reading again cannot mend (`Closed` when the client was
    /// closed, `NoAuth`, ...).
    pub fn result(&self) -> Option<Result<()>> {
        self.core.result()
    }
}

impl ChildrenWatch {
    /// Reads the children and starts watching them. Returns once the first read is done:
    /// `NoNode` if the node does not exist (nothing is watched then). The callback gets
    /// the children at once on the watcher's thread, where every call of it runs.
    pub fn new(client: &Client, path: &str, f: ChildrenFn) -> Result<ChildrenWatch> {
        let kind = Kind::Children(ChildrenState { f, prior: None });
        let core = Core::start(client, path, kind)?;
        Ok(ChildrenWatch { core })
    }

    /// As `DataWatch::stop`.
    pub fn stop(&self) {
        self.core.stop();
    }

    /// None while the watch runs; why it ended otherwise: `Ok` for `stop` or the callback
    /// returning false, `NoNode` once the node was deleted, `Panic` when the callback
    /// panicked, another error for a failure that reading again cannot mend.
    pub fn result(&self) -> Option<Result<()>> {
        self.core.result()
    }
}

impl Drop for DataWatch {
    fn drop(&mut self) {
        self.core.stop();
    }
}

impl Drop for ChildrenWatch {
    fn drop(&mut self) {
        self.core.stop();
    }
}

struct DataState {
    f: DataFn,
    /// The `mzxid` last reported (None: no node), once one was.
    mzxid: Option<Option<i64>>,
}

struct ChildrenState {
    f: ChildrenFn,
    /// The children last reported, once they were.
    prior: Option<Vec<String>>,
}

enum Kind {
    Data(DataState),
    Children(ChildrenState),
}

/// What one read found.
enum Found {
    Data(Option<(Vec<u8>, Stat)>),
    Children(Vec<String>),
}

struct Core {
    client: Client,
    path: String,
    st: Mutex<St>,
    cv: Condvar,
    /// Held while the callback runs, so that `stop` can wait for a call in progress.
    calling: Mutex<()>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

struct St {
    stopped: bool,
    end: Option<Result<()>>,
    /// Something happened: read again.
    wake: bool,
    /// The watch event that asked for the next read (kept across a failed read).
    event: Option<WatchedEvent>,
    /// The generation of the watch the server holds for us, if any: a read made while
    /// one is held sets none, so a reconnect's read never doubles the registrations.
    armed: Option<u64>,
    /// The generation of the watch given to the read in flight.
    pending: Option<u64>,
    generation: u64,
    /// The coarse state the listener saw last: a move to Connected means read again.
    state: State,
    listener: Option<u64>,
    thread: Option<ThreadId>,
}

fn guard<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// An answer of a request the watcher's thread waits for.
type Slot<T> = Arc<Mutex<Option<Result<T>>>>;

impl Core {
    fn start(client: &Client, path: &str, kind: Kind) -> Result<Arc<Core>> {
        let client = recipe_client(client, path)?;
        let core = Arc::new(Core {
            path: path.to_string(),
            st: Mutex::new(St {
                stopped: false,
                end: None,
                wake: false,
                event: None,
                armed: None,
                pending: None,
                generation: 0,
                state: client.state(),
                listener: None,
                thread: None,
            }),
            client,
            cv: Condvar::new(),
            calling: Mutex::new(()),
            worker: Mutex::new(None),
        });
        // The first read, on the caller's thread: its error is the constructor's.
        let first = core.read(&kind)?;
        let weak = Arc::downgrade(&core);
        let listener = core
            .client
            .add_listener(Box::new(move |s, _| Core::state_changed(&weak, s)));
        guard(&core.st).listener = Some(listener);
        let c = Arc::clone(&core);
        let spawned = std::thread::Builder::new()
            .name("zk-watcher".into())
            .spawn(move || c.run(kind, first));
        match spawned {
            Ok(h) => {
                *guard(&core.worker) = Some(h);
                Ok(core)
            }
            Err(_) => {
                core.stop();
                Err(Error::SystemError)
            }
        }
    }

    fn result(&self) -> Option<Result<()>> {
        guard(&self.st).end
    }

    /// The session listener: a move back to Connected (a reconnect, or a new session after
    /// an expiry) means read again, as kazoo's session watcher does.
    fn state_changed(weak: &Weak<Core>, s: State) {
        let Some(core) = weak.upgrade() else { return };
        let mut st = guard(&core.st);
        let was = std::mem::replace(&mut st.state, s);
        if s == State::Connected && was != State::Connected {
            st.wake = true;
            core.cv.notify_all();
        }
    }

    fn stop(&self) {
        let (listener, on_worker) = {
            let mut st = guard(&self.st);
            st.stopped = true;
            st.end.get_or_insert(Ok(()));
            self.cv.notify_all();
            (
                st.listener.take(),
                st.thread == Some(std::thread::current().id()),
            )
        };
        if let Some(id) = listener {
            self.client.remove_listener(id);
        }
        if on_worker {
            // Called from the callback: the call in progress is the last one.
            return;
        }
        // The thread ends without waiting for a reply in flight; once it is joined the
        // callback neither runs nor will run.
        let worker = guard(&self.worker).take();
        if let Some(h) = worker {
            let _ = h.join();
        }
        drop(guard(&self.calling));
    }

    /// Ends the watch for `why` (Ok: stopped).
    fn end(&self, why: Result<()>) {
        let mut st = guard(&self.st);
        st.stopped = true;
        st.end.get_or_insert(why);
        if let Some(id) = st.listener.take() {
            drop(st);
            self.client.remove_listener(id);
        }
    }

    /// A watch of generation `generation`: its event asks for a read. A watch the
    /// watcher no longer counts on (its read failed after all) changes nothing.
    fn watch(self: &Arc<Self>, generation: u64) -> WatchFn {
        let weak = Arc::downgrade(self);
        Box::new(move |ev| {
            let Some(core) = weak.upgrade() else { return };
            let mut st = guard(&core.st);
            if st.armed == Some(generation) {
                st.armed = None;
            } else if st.pending == Some(generation) {
                st.pending = None;
            } else {
                return;
            }
            // A session event (the registration ended with the session) asks for a read
            // on the next session; it is no change of the node.
            if ev.event_type != EventType::None {
                st.event = Some(ev);
            }
            st.wake = true;
            core.cv.notify_all();
        })
    }

    /// Sends a request and waits for its answer; None if the watch was stopped first (the
    /// answer, when it comes, goes nowhere).
    fn call<T: Send + 'static>(
        self: &Arc<Self>,
        send: impl FnOnce(Callback<T>) -> Result<()>,
    ) -> Option<Result<T>> {
        let slot: Slot<T> = Arc::new(Mutex::new(None));
        let (s, waker) = (Arc::clone(&slot), self.waker());
        if let Err(e) = send(Box::new(move |r| {
            *guard(&s) = Some(r);
            waker();
        })) {
            return Some(Err(e));
        }
        let mut st = guard(&self.st);
        loop {
            if let Some(r) = guard(&slot).take() {
                return Some(r);
            }
            if st.stopped {
                return None;
            }
            st = self.cv.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Wakes the watcher's thread after a reply was stored, without keeping the watcher
    /// alive. It takes the state lock so that a thread between its check and its wait
    /// cannot miss the wake-up.
    fn waker(self: &Arc<Self>) -> impl Fn() + Send + 'static {
        let weak = Arc::downgrade(self);
        move || {
            if let Some(core) = weak.upgrade() {
                let _st = guard(&core.st);
                core.cv.notify_all();
            }
        }
    }

    /// One read, with a watch when the server holds none for us. Err is the read's error;
    /// `Ok(None)` means the watch was stopped meanwhile.
    fn read(self: &Arc<Self>, kind: &Kind) -> Result<Option<Found>> {
        let generation = {
            let mut st = guard(&self.st);
            if st.armed.is_some() {
                None
            } else {
                st.generation += 1;
                st.pending = Some(st.generation);
                Some(st.generation)
            }
        };
        let mut registered = false;
        let watch = |registered: bool| -> Option<WatchFn> {
            match generation {
                Some(g) if !registered => Some(self.watch(g)),
                _ => None,
            }
        };
        let c = &self.client;
        let path = self.path.as_str();
        let found = match kind {
            Kind::Children(_) => {
                let w = watch(registered);
                let had = w.is_some();
                let r = self.call(|cb| c.get_children_async(path, w, false, None, cb));
                match r {
                    None => Ok(None),
                    Some(Ok((kids, _))) => {
                        registered |= had;
                        Ok(Some(Found::Children(kids)))
                    }
                    Some(Err(e)) => Err(e),
                }
            }
            Kind::Data(_) => loop {
                let w = watch(registered);
                let had = w.is_some();
                match self.call(|cb| c.get_async(path, w, None, cb)) {
                    None => break Ok(None),
                    Some(Ok(d)) => {
                        registered |= had;
                        break Ok(Some(Found::Data(Some(d))));
                    }
                    Some(Err(Error::NoNode)) => {}
                    Some(Err(e)) => break Err(e),
                }
                // No node: an exists watch waits for its creation.
                let w = watch(registered);
                let had = w.is_some();
                match self.call(|cb| c.exists_async(path, w, None, cb)) {
                    None => break Ok(None),
                    Some(Ok(None)) => {
                        registered |= had;
                        break Ok(Some(Found::Data(None)));
                    }
                    // Created between the two reads: the watch is set; read its data.
                    Some(Ok(Some(_))) => registered |= had,
                    Some(Err(e)) => break Err(e),
                }
            },
        };
        let mut st = guard(&self.st);
        if let Some(g) = generation {
            if st.pending == Some(g) {
                st.pending = None;
                if registered {
                    st.armed = Some(g);
                }
            }
        }
        found
    }

    /// The watcher's thread: report `first`, then wait for a reason to read again, read,
    /// report, until stopped.
    fn run(self: Arc<Self>, mut kind: Kind, first: Option<Found>) {
        guard(&self.st).thread = Some(std::thread::current().id());
        let mut next = first.map(|f| (f, None));
        let mut pause = RETRY_PAUSE;
        loop {
            if let Some((found, event)) = next.take() {
                pause = RETRY_PAUSE;
                match self.report(&mut kind, found, event.as_ref()) {
                    Ok(true) => {}
                    Ok(false) => {
                        self.end(Ok(()));
                        return;
                    }
                    Err(e) => {
                        self.end(Err(e));
                        return;
                    }
                }
            }
            let event = {
                let mut st = guard(&self.st);
                while !st.stopped && !st.wake {
                    st = self.cv.wait(st).unwrap_or_else(|e| e.into_inner());
                }
                if st.stopped {
                    return;
                }
                st.wake = false;
                st.event.take()
            };
            match self.read(&kind) {
                Ok(Some(found)) => next = Some((found, event)),
                Ok(None) => return,
                Err(Error::NoNode) => {
                    // Only a children watch sees this: its node is gone, and it ends.
                    self.end(Err(Error::NoNode));
                    return;
                }
                Err(e) if worth_another_read(e) => {
                    let mut st = guard(&self.st);
                    if st.event.is_none() {
                        st.event = event;
                    }
                    st.wake = true;
                    if !st.stopped {
                        let _ = self.cv.wait_timeout(st, pause);
                        pause = (pause * 2).min(LONGEST_RETRY_PAUSE);
                    }
                }
                Err(e) => {
                    self.end(Err(e));
                    return;
                }
            }
        }
    }

    /// Calls the callback if what was read is news: data when its `mzxid` changed (kazoo's
    /// rule), children when they differ from those last reported (kazoo also reports an
    /// unchanged list after a watch event). False when the callback asked to stop (or
    /// the watch was stopped meanwhile), `Panic` when it panicked.
    fn report(&self, kind: &mut Kind, found: Found, event: Option<&WatchedEvent>) -> Result<bool> {
        let _calling = guard(&self.calling);
        if guard(&self.st).stopped {
            return Ok(false);
        }
        let keep = catch_unwind(AssertUnwindSafe(|| match (kind, found) {
            (Kind::Data(d), Found::Data(now)) => {
                let mzxid = now.as_ref().map(|(_, s)| s.mzxid);
                if d.mzxid == Some(mzxid) {
                    return true;
                }
                d.mzxid = Some(mzxid);
                (d.f)(now.as_ref().map(|(b, s)| (b.as_slice(), s)), event)
            }
            (Kind::Children(c), Found::Children(kids)) => {
                if c.prior.as_ref() == Some(&kids) {
                    return true;
                }
                let keep = (c.f)(&kids, event);
                c.prior = Some(kids);
                keep
            }
            _ => unreachable!("a watcher reads what its kind reads"),
        }));
        // A callback that panicked is not called again.
        keep.map_err(|_| Error::Panic)
    }
}

/// Whether a failed read is worth trying again: the connection or the session may come
/// back (the client makes a new session after an expiry).
fn worth_another_read(e: Error) -> bool {
    e.is_retryable()
        || matches!(
            e,
            Error::TimedOut | Error::SessionExpired | Error::SessionMoved
        )
}
