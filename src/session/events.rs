//! The event thread: one ordered queue for watch events, state changes and completions.
//! User callbacks run here and nowhere else, never while a library lock is held, so a
//! callback may call back into the client (a blocking call blocks only this thread).

use std::sync::Arc;
use std::thread::{JoinHandle, ThreadId};

use crossbeam_channel::{Receiver, Sender};
use parking_lot::Mutex;

use super::state::{KeeperState, ListenerFn, State, WatchFn, WatchedEvent};

/// One item of the queue.
pub enum Event {
    Watch(WatchFn, WatchedEvent),
    State(State, KeeperState),
    /// An async completion, or any other deferred call.
    Call(Box<dyn FnOnce() + Send + 'static>),
    /// Ends the thread after everything queued before it.
    Stop,
}

struct Listener {
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

/// The queue, its thread, and the listener list.
pub struct Events {
    tx: Sender<Event>,
    listeners: Mutex<Listeners>,
    thread: Mutex<Option<JoinHandle<()>>>,
    thread_id: Mutex<Option<ThreadId>>,
}

impl Events {
    pub fn start(name: &str) -> std::io::Result<Arc<Events>> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let ev = Arc::new(Events {
            tx,
            listeners: Mutex::new(Listeners::default()),
            thread: Mutex::new(None),
            thread_id: Mutex::new(None),
        });
        let weak = Arc::downgrade(&ev);
        let handle = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || run(rx, weak))?;
        *ev.thread_id.lock() = Some(handle.thread().id());
        *ev.thread.lock() = Some(handle);
        Ok(ev)
    }

    /// Queues an event. After `stop` the event is run right here instead (watch callbacks
    /// still get their one call, finalizers still run) rather than being lost.
    pub fn push(&self, ev: Event) {
        if let Err(e) = self.tx.send(ev) {
            run_one(e.into_inner(), &[]);
        }
    }

    pub fn is_event_thread(&self) -> bool {
        *self.thread_id.lock() == Some(std::thread::current().id())
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
        let _ = self.tx.send(Event::Stop);
        if self.is_event_thread() {
            return;
        }
        if let Some(h) = self.thread.lock().take() {
            let _ = h.join();
        }
    }

    /// Drops every listener (their finalizers run), for close.
    pub fn clear_listeners(&self) {
        let old = std::mem::take(&mut self.listeners.lock().list);
        drop(old);
    }
}

fn run(rx: Receiver<Event>, events: std::sync::Weak<Events>) {
    while let Ok(ev) = rx.recv() {
        if matches!(ev, Event::Stop) {
            break;
        }
        let listeners = match (&ev, events.upgrade()) {
            (Event::State(..), Some(e)) => e.snapshot(),
            _ => Arc::new(Vec::new()),
        };
        run_one(ev, &listeners);
    }
    // Anything queued after Stop still gets its one call.
    while let Ok(ev) = rx.try_recv() {
        if !matches!(ev, Event::Stop) {
            run_one(ev, &[]);
        }
    }
}

fn run_one(ev: Event, listeners: &[Arc<Listener>]) {
    // A panicking user callback must not end the thread and strand every later event.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || match ev {
        Event::Watch(f, e) => f(e),
        Event::State(s, k) => {
            for l in listeners {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (l.f)(s, k)));
            }
        }
        Event::Call(f) => f(),
        Event::Stop => {}
    }));
}
