//! The event thread: one ordered queue for watch events, state changes and completions.
//! User callbacks run here and nowhere else, never while a library lock is held, so a
//! callback may call back into the client (a blocking call blocks only this thread).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex, MutexGuard};

use super::state::{KeeperState, ListenerFn, PersistentFn, State, WatchFn, WatchedEvent};
use super::watches::{WatchTable, Watcher};

/// One item of the queue.
pub enum Event {
    Watch(WatchFn, WatchedEvent),
    /// One event for a persistent watcher (it stays registered).
    Persistent(PersistentFn, WatchedEvent),
    /// A state change and the listeners registered when it happened.
    State(State, KeeperState, Arc<Vec<Arc<Listener>>>),
    /// An async completion, or any other deferred call.
    Call(Box<dyn FnOnce() + Send + 'static>),
    /// The end of every watch of a table (a terminal session event): each watcher gets
    /// one event of type None with this state, in the table's order.
    EndWatches(WatchTable, KeeperState),
    /// Ends the thread after everything queued before it.
    Stop,
}

pub struct Listener {
    id: u64,
    f: ListenerFn,
}

/// Listeners are swapped as a whole (copy on write), so the event thread calls them with
/// no lock held and a listener may add or remove listeners.
#[derive(Default)]
struct Listeners {
    next_id: u64,
    list: Arc<Vec<Arc<Listener>>>,
}

/// The queue itself: a deque under a mutex with a condvar. The thread takes everything
/// queued in one go, and sleeps on the condvar without spinning (a channel's receive loop
/// yields the CPU repeatedly before it sleeps, which costs the server on a small machine).
struct Queue {
    items: Mutex<QueueState>,
    cv: Condvar,
    /// Run after each batch of events: sends the requests the callbacks made, together.
    after_batch: std::sync::OnceLock<Box<dyn Fn() + Send + Sync>>,
    /// Wake every `TICK` even without events, to run `after_batch` (queued deadlines).
    ticking: std::sync::atomic::AtomicBool,
    /// With nothing to run, the thread may read the socket instead of sleeping (async
    /// replies due): this does it, waiting at most the given time on the socket or on
    /// `wake_fd`, and returns false if it could not.
    idle_read: std::sync::OnceLock<IdleRead>,
    /// An eventfd poked when something is queued while the thread waits on the socket.
    wake_fd: Option<std::os::fd::OwnedFd>,
}

/// See `Queue::idle_read`.
pub type IdleRead = Box<dyn Fn(std::os::fd::RawFd, std::time::Duration) -> bool + Send + Sync>;

/// How often the event thread wakes while `ticking`.
const TICK: std::time::Duration = std::time::Duration::from_millis(100);

struct QueueState {
    events: VecDeque<Event>,
    /// The thread has ended (or was never there): run events where they are pushed.
    closed: bool,
    /// The thread sleeps on the condvar, so a push must wake it.
    sleeping: bool,
    /// The thread waits on the socket (`idle_read`), so a push must poke `wake_fd`.
    reading: bool,
}

/// The queue, its thread, and the listener list.
///
/// The thread starts with the first event that needs running, not with the client: a
/// client that only makes blocking calls and has no listener never queues anything (a
/// state change with no listener to tell is not queued), so it runs one thread, not two.
pub struct Events {
    queue: Arc<Queue>,
    listeners: Mutex<Listeners>,
    /// The thread's name while it has not started, then its handle.
    thread: Mutex<Thread>,
    /// The thread has started (it may have ended since).
    running: std::sync::atomic::AtomicBool,

    /// `stop` was called (the thread may still be draining).
    stopped: std::sync::atomic::AtomicBool,
}

enum Thread {
    NotStarted(String),
    Started(JoinHandle<()>),
    Ended,
}

impl Events {
    /// A queue whose thread, named `name`, starts when the first event is queued.
    pub fn new(name: &str) -> Arc<Events> {
        let queue = Arc::new(Queue {
            items: Mutex::new(QueueState {
                events: VecDeque::new(),
                closed: false,
                sleeping: false,
                reading: false,
            }),
            cv: Condvar::new(),
            after_batch: std::sync::OnceLock::new(),
            ticking: std::sync::atomic::AtomicBool::new(false),
            idle_read: std::sync::OnceLock::new(),
            wake_fd: new_eventfd(),
        });
        Arc::new(Events {
            queue,
            listeners: Mutex::new(Listeners::default()),
            thread: Mutex::new(Thread::NotStarted(name.to_string())),
            running: std::sync::atomic::AtomicBool::new(false),
            stopped: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Starts the thread if it has not started. After `stop`, or if the system refuses a
    /// thread, what is queued runs right here instead, as after the thread has ended.
    fn ensure_thread(&self) {
        use std::sync::atomic::Ordering::SeqCst;
        if self.running.load(SeqCst) {
            return;
        }
        let mut t = self.thread.lock();
        if self.running.load(SeqCst) {
            return;
        }
        let name = match &*t {
            Thread::NotStarted(name) if !self.stopped.load(SeqCst) => name.clone(),
            _ => {
                drop(t);
                self.close_and_run_here();
                return;
            }
        };
        let rx = self.queue.clone();
        match std::thread::Builder::new()
            .name(name)
            .spawn(move || run(rx))
        {
            Ok(h) => {
                *t = Thread::Started(h);
                self.running.store(true, SeqCst);
            }
            Err(_) => {
                *t = Thread::Ended;
                drop(t);
                self.close_and_run_here();
            }
        }
    }

    /// With no thread to run them: from now on events run where they are pushed, and
    /// those queued already run now.
    fn close_and_run_here(&self) {
        let rest = {
            let mut q = self.queue.items.lock();
            q.closed = true;
            std::mem::take(&mut q.events)
        };
        for ev in rest {
            if !matches!(ev, Event::Stop) {
                run_one(ev);
            }
        }
    }

    /// Queues an event. After `stop` the event is run right here instead (watch callbacks
    /// still get their one call, finalizers still run) rather than being lost.
    pub fn push(&self, ev: Event) {
        // Inside `hold` on this thread: collect, to queue with one lock and one wake-up.
        let ev = match HELD.with(|h| match &mut *h.borrow_mut() {
            Some((q, held)) if *q == self.queue_addr() => {
                held.push(ev);
                None
            }
            _ => Some(ev),
        }) {
            Some(ev) => ev,
            None => return,
        };
        self.push_all(std::iter::once(ev));
    }

    fn queue_addr(&self) -> usize {
        Arc::as_ptr(&self.queue) as usize
    }

    /// Runs `f`, queueing the events it pushes from this thread all at once at the end: the
    /// I/O thread cuts many replies from one read, and the event thread should wake once
    /// for them, not once per reply.
    pub fn hold<R>(&self, f: impl FnOnce() -> R) -> R {
        struct Release<'a>(&'a Events);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                let held = HELD.with(|h| h.borrow_mut().take());
                if let Some((_, held)) = held {
                    if !held.is_empty() {
                        self.0.push_all(held);
                    }
                }
            }
        }
        let nested = HELD.with(|h| {
            let mut h = h.borrow_mut();
            if h.is_some() {
                return true;
            }
            *h = Some((self.queue_addr(), Vec::new()));
            false
        });
        if nested {
            return f();
        }
        let _release = Release(self);
        f()
    }

    fn push_all(&self, evs: impl IntoIterator<Item = Event>) {
        let mut q = self.queue.items.lock();
        if q.closed {
            drop(q);
            evs.into_iter().for_each(run_one);
            return;
        }
        let before = q.events.len();
        q.events.extend(evs);
        if q.events.len() == before {
            return;
        }
        let wake = q.sleeping;
        // The thread itself queues what it reads: it needs no poke.
        let poke = q.reading && !self.is_event_thread();
        drop(q);
        if wake {
            self.queue.cv.notify_one();
        }
        if poke {
            self.queue.poke();
        }
        self.ensure_thread();
    }

    /// Turns the timer wake-up on or off.
    pub fn set_ticking(&self, on: bool) {
        use std::sync::atomic::Ordering::SeqCst;
        if self.queue.ticking.swap(on, SeqCst) != on && on {
            self.ensure_thread();
            // A thread asleep without a timeout must start ticking now.
            let q = self.queue.items.lock();
            if q.sleeping {
                self.queue.cv.notify_one();
            }
        }
    }

    /// Queues one event for a watcher.
    pub fn deliver(&self, w: Watcher, ev: WatchedEvent) {
        self.push(match w {
            Watcher::Once(f) => Event::Watch(f, ev),
            Watcher::Persistent(f) => Event::Persistent(f, ev),
        });
    }

    /// Sets what runs after each batch of events (once).
    pub fn set_after_batch(&self, f: Box<dyn Fn() + Send + Sync>) {
        let _ = self.queue.after_batch.set(f);
    }

    /// Whether the thread reads the socket when it has nothing to run (it has started,
    /// `set_idle_read` was called and the eventfd it needs exists).
    pub fn reads_when_idle(&self) -> bool {
        self.running.load(std::sync::atomic::Ordering::SeqCst)
            && self.queue.wake_fd.is_some()
            && self.queue.idle_read.get().is_some()
    }

    /// Sets how the thread reads the socket when it has nothing to run (once).
    pub fn set_idle_read(&self, f: IdleRead) {
        let _ = self.queue.idle_read.set(f);
    }

    /// Queues a state change for the listeners registered now; with none, there is
    /// nothing to run and nothing is queued.
    pub fn push_state(&self, s: State, k: KeeperState) {
        let listeners = self.snapshot();
        if !listeners.is_empty() {
            self.push(Event::State(s, k, listeners));
        }
    }

    /// Whether `stop` was called: the thread has ended or is about to.
    pub fn is_closed(&self) -> bool {
        self.stopped.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn is_event_thread(&self) -> bool {
        EVENT_QUEUE.with(|q| q.get() == Arc::as_ptr(&self.queue) as usize)
    }

    pub fn add_listener(&self, f: ListenerFn) -> u64 {
        let mut l = self.listeners.lock();
        l.next_id += 1;
        let id = l.next_id;
        let mut list: Vec<_> = l.list.iter().cloned().collect();
        list.push(Arc::new(Listener { id, f }));
        l.list = Arc::new(list);
        id
    }

    pub fn remove_listener(&self, id: u64) -> bool {
        let mut l = self.listeners.lock();
        let before = l.list.len();
        let list: Vec<_> = l.list.iter().filter(|x| x.id != id).cloned().collect();
        let removed = list.len() != before;
        l.list = Arc::new(list);
        removed
    }

    fn snapshot(&self) -> Arc<Vec<Arc<Listener>>> {
        self.listeners.lock().list.clone()
    }

    /// Drains the queue and ends the thread. From the event thread itself it only queues
    /// the stop: joining there would wait for ourselves.
    pub fn stop(&self) {
        use std::sync::atomic::Ordering::SeqCst;
        self.stopped.store(true, SeqCst);
        {
            let t = self.thread.lock();
            if !self.running.load(SeqCst) {
                // Never started, and now never will (`ensure_thread` sees `stopped`).
                drop(t);
                self.close_and_run_here();
                return;
            }
        }
        self.push(Event::Stop);
        if self.is_event_thread() {
            return;
        }
        let t = std::mem::replace(&mut *self.thread.lock(), Thread::Ended);
        if let Thread::Started(h) = t {
            let _ = h.join();
        }
    }

    /// Drops every listener (their finalizers run), for close.
    pub fn clear_listeners(&self) {
        let old = std::mem::take(&mut self.listeners.lock().list);
        drop(old);
    }
}

thread_local! {
    /// Events held by `hold` on this thread, with the queue they are for.
    static HELD: RefCell<Option<(usize, Vec<Event>)>> = const { RefCell::new(None) };
    /// On an event thread, the address of the queue it serves (0 elsewhere). A plain value,
    /// not `thread::current()`: that allocates a handle on threads the host created, which
    /// leak checkers then report.
    static EVENT_QUEUE: Cell<usize> = const { Cell::new(0) };
}

fn run(queue: Arc<Queue>) {
    EVENT_QUEUE.with(|q| q.set(Arc::as_ptr(&queue) as usize));
    let mut batch = VecDeque::new();
    'outer: loop {
        {
            let mut q = queue.items.lock();
            while q.events.is_empty() {
                if let (Some(read), Some(fd)) = (queue.idle_read.get(), &queue.wake_fd) {
                    use std::os::fd::AsRawFd;
                    q.reading = true;
                    let did = MutexGuard::unlocked(&mut q, || read(fd.as_raw_fd(), TICK));
                    q.reading = false;
                    // Queued meanwhile by another thread, which poked rather than notified:
                    // look before sleeping on the condvar.
                    if !q.events.is_empty() {
                        break;
                    }
                    if did {
                        if q.events.is_empty()
                            && queue.ticking.load(std::sync::atomic::Ordering::SeqCst)
                        {
                            break;
                        }
                        continue;
                    }
                }
                q.sleeping = true;
                let ticked = if queue.ticking.load(std::sync::atomic::Ordering::SeqCst) {
                    queue.cv.wait_for(&mut q, TICK).timed_out()
                } else {
                    queue.cv.wait(&mut q);
                    false
                };
                q.sleeping = false;
                if ticked {
                    break;
                }
            }
            std::mem::swap(&mut batch, &mut q.events);
        }
        while let Some(ev) = batch.pop_front() {
            if matches!(ev, Event::Stop) {
                after_batch(&queue);
                break 'outer;
            }
            run_one(ev);
        }
        after_batch(&queue);
    }
    // From now on pushes run in place; anything queued after Stop still gets its one call.
    let rest = {
        let mut q = queue.items.lock();
        q.closed = true;
        std::mem::take(&mut q.events)
    };
    for ev in batch.into_iter().chain(rest) {
        if !matches!(ev, Event::Stop) {
            run_one(ev);
        }
    }
}

impl Queue {
    /// Wakes the thread out of its wait on the socket.
    fn poke(&self) {
        if let Some(fd) = &self.wake_fd {
            use std::os::fd::AsRawFd;
            let one: u64 = 1;
            // SAFETY: writes 8 bytes from a live u64 to an eventfd we own. A full counter
            // (EAGAIN) already means "poked".
            unsafe { libc::write(fd.as_raw_fd(), (&one as *const u64).cast(), 8) };
        }
    }
}

/// A non-blocking eventfd, or None if the system refuses one (the thread then never
/// waits on the socket).
fn new_eventfd() -> Option<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: plain syscall; a non-negative result is a new descriptor we own.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
    // SAFETY: `fd` is a fresh descriptor owned by nobody else.
    (fd >= 0).then(|| unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
}

fn after_batch(queue: &Queue) {
    if let Some(f) = queue.after_batch.get() {
        f();
    }
}

fn run_one(ev: Event) {
    // A panicking user callback must not end the thread and strand every later event.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || match ev {
        Event::Watch(f, e) => f(e),
        Event::Persistent(f, e) => f(e),
        Event::State(s, k, listeners) => {
            for l in listeners.iter() {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (l.f)(s, k)));
            }
        }
        Event::Call(f) => f(),
        Event::EndWatches(table, keeper_state) => table.end_each(|w| {
            let ev = WatchedEvent {
                event_type: crate::proto::consts::EventType::None,
                keeper_state,
                path: String::new(),
                zxid: -1,
            };
            // one callback's panic must not cost the others their event
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || match w {
                Watcher::Once(f) => f(ev),
                Watcher::Persistent(f) => f(ev),
            }));
        }),
        Event::Stop => {}
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::watches::WatchKind;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn ending_a_table_of_watches_reaches_every_watcher_past_a_panicking_one() {
        let got = Arc::new(parking_lot::Mutex::new(Vec::new()));
        let panics = Arc::new(AtomicUsize::new(0));
        let mut t = WatchTable::default();
        for i in 0..3 {
            let (got, panics) = (got.clone(), panics.clone());
            let f: WatchFn = Box::new(move |e: WatchedEvent| {
                if i == 1 {
                    panics.fetch_add(1, Ordering::SeqCst);
                    panic!("a user's watch callback panics");
                }
                got.lock().push((e.event_type, e.keeper_state, e.path));
            });
            t.register(WatchKind::Data, &format!("/w{i}"), Watcher::Once(f));
        }
        let events = Events::new("zk-test-events");
        events.push(Event::EndWatches(t, KeeperState::Closed));
        events.stop();
        assert_eq!(panics.load(Ordering::SeqCst), 1);
        let none = (
            crate::proto::consts::EventType::None,
            KeeperState::Closed,
            String::new(),
        );
        assert_eq!(*got.lock(), vec![none.clone(), none]);
    }
}
