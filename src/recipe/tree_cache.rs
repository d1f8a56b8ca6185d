//! TreeCache: a local copy of a subtree (each node's data and Stat, and its children), kept
//! true by watches, with node added / updated / removed events, an "initialized" event
//! after the first full load, and the connection events, delivered in order on the
//! cache's own thread (kazoo's TreeCache, Curator's CuratorCache). On 3.6+ servers it is
//! built on one persistent recursive watch on the root; otherwise (or when asked) on
//! one-shot data and child watches per node, as kazoo's. docs/recipes.md says how.
//!
//! Every read of the cache's is asynchronous, and its result is applied to the map on the
//! client's event thread, where replies and watch events arrive in the order the server
//! sent them: the map therefore moves through states the server's tree went through (per
//! node), whatever mix of full loads and single reads is in flight. A full load (at start,
//! after every reconnect and on a new session) reads the whole tree again, pipelined, and
//! reports only what differs from the map.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::thread::JoinHandle;

use super::common::{child, recipe_client};
use crate::client::{Client, EventType, Stat, State, WatchFn, WatchedEvent, WatcherType};
use crate::error::{Error, Result};

/// What a tree cache reports.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TreeEventKind {
    /// A node came into the cache (its data and Stat are the event's).
    NodeAdded = 0,
    /// A cached node's data changed (its mzxid or czxid differs): the new data and Stat.
    NodeUpdated = 1,
    /// A node left the cache: its last data and Stat. A removed subtree is reported
    /// deepest node first.
    NodeRemoved = 2,
    /// The first full load is in the cache (once, after its NodeAdded events).
    Initialized = 3,
    /// The connection is down; the cache may fall behind until Reconnected.
    Suspended = 4,
    /// Connected again (to the same session or, after Lost, a new one); the cache reads
    /// the tree again and reports what changed meanwhile.
    Reconnected = 5,
    /// The session ended; the cache keeps its content and catches up on the next session.
    Lost = 6,
}

/// One event. `path`, `data` and `stat` are set for the node events; the others have an
/// empty path and data and no Stat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEvent {
    pub kind: TreeEventKind,
    pub path: String,
    pub data: Vec<u8>,
    pub stat: Option<Stat>,
}

/// The listener of a cache: called on the cache's own thread, one event at a time, in
/// order. While it runs the cache goes on following the tree, but its next full load
/// waits for it: it must not wait for the cache's own later events.
pub type TreeEventFn = Arc<dyn Fn(&TreeEvent) + Send + Sync>;

/// A cached node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedNode {
    pub data: Vec<u8>,
    /// The Stat of the node's last data read. Its child fields (cversion, pzxid,
    /// numChildren) may lag: the children call is what the cache knows of them.
    pub stat: Stat,
}

/// How a cache is made.
#[derive(Debug, Clone, Default)]
pub struct TreeCacheOptions {
    /// Use one-shot watches per node (kazoo's way) even if the server has addWatch.
    pub one_shot_watches: bool,
}

/// Reads in flight during a full load, at most: enough to keep the connection busy, few
/// enough that the reply queue stays small.
const WINDOW: usize = 512;

/// How long the cache's thread waits before it tries again to set the persistent watch
/// after a request failed while connected.
const RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(200);

/// A local copy of the subtree at a path.
pub struct TreeCache {
    sh: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

struct Shared {
    client: Client,
    root: String,
    st: Mutex<St>,
    tx: Mutex<Sender<Msg>>,
}

enum Msg {
    Deliver(TreeEvent),
    /// Connected: add the persistent watch if it is gone, then load the tree again.
    Load,
    Stop,
}

struct Node {
    data: Vec<u8>,
    stat: Stat,
    children: BTreeSet<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Data,
    Child,
}

struct St {
    nodes: HashMap<String, Node>,
    persistent: bool,
    /// The persistent watch is registered (false once its last event came).
    watch_alive: bool,
    started: bool,
    closed: bool,
    initialized: bool,
    listener: Option<u64>,
    /// The coarse state last seen by the listener.
    conn: State,
    /// The current full load: its number, the nodes still to read, the reads in flight.
    load: u64,
    todo: VecDeque<String>,
    in_flight: usize,
    load_failed: bool,
    loading: bool,
    /// One-shot mode: the watch armed on a path, by token (a fired or dropped watch
    /// clears only its own token).
    armed: HashMap<(String, bool), u64>,
    tokens: u64,
}

fn guard(m: &Mutex<St>) -> MutexGuard<'_, St> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl TreeCache {
    /// A cache of the subtree at `path` (checked: `InvalidPath`); `listener` gets its
    /// events. Nothing is sent before `start`.
    pub fn new(
        client: &Client,
        path: &str,
        opts: TreeCacheOptions,
        listener: Option<TreeEventFn>,
    ) -> Result<TreeCache> {
        let client = recipe_client(client, path)?;
        let (tx, rx) = channel();
        let sh = Arc::new(Shared {
            client,
            root: path.to_string(),
            st: Mutex::new(St {
                nodes: HashMap::new(),
                persistent: !opts.one_shot_watches,
                watch_alive: false,
                started: false,
                closed: false,
                initialized: false,
                listener: None,
                conn: State::Lost,
                load: 0,
                todo: VecDeque::new(),
                in_flight: 0,
                load_failed: false,
                loading: false,
                armed: HashMap::new(),
                tokens: 0,
            }),
            tx: Mutex::new(tx),
        });
        let weak = Arc::downgrade(&sh);
        let thread = std::thread::Builder::new()
            .name("zk-tree-cache".into())
            .spawn(move || run(weak, rx, listener))
            .map_err(|_| Error::SystemError)?;
        Ok(TreeCache {
            sh,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Starts following the tree: the first full load begins now if connected, or at the
    /// connection. Starting again is fine (no-op); `Closed` after `close`.
    pub fn start(&self) -> Result<()> {
        {
            let mut st = guard(&self.sh.st);
            if st.closed {
                return Err(Error::Closed);
            }
            if st.started {
                return Ok(());
            }
            st.started = true;
        }
        let weak = Arc::downgrade(&self.sh);
        let id = self.sh.client.add_listener(Box::new(move |s, _| {
            if let Some(sh) = weak.upgrade() {
                sh.on_state(s);
            }
        }));
        guard(&self.sh.st).listener = Some(id);
        if self.sh.client.connected() {
            self.sh.on_state(State::Connected);
        }
        Ok(())
    }

    /// Stops following the tree: no event after this returns (unless called from the
    /// listener, where the events already queued are dropped). The content stays readable.
    pub fn close(&self) {
        let (listener, persistent) = {
            let mut st = guard(&self.sh.st);
            if st.closed {
                return;
            }
            st.closed = true;
            (st.listener.take(), st.persistent && st.watch_alive)
        };
        if let Some(id) = listener {
            self.sh.client.remove_listener(id);
        }
        if persistent {
            let _ = self.sh.client.remove_watches(
                &self.sh.root,
                WatcherType::PersistentRecursive,
                true,
                None,
            );
        }
        self.sh.send(Msg::Stop);
        let t = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(t) = t {
            if t.thread().id() != std::thread::current().id() {
                let _ = t.join();
            }
        }
    }

    /// The cached data and Stat of `path`, None if it is not in the cache.
    pub fn get(&self, path: &str) -> Option<CachedNode> {
        let st = guard(&self.sh.st);
        st.nodes.get(path).map(|n| CachedNode {
            data: n.data.clone(),
            stat: n.stat,
        })
    }

    /// The cached children's names of `path`, sorted; None if it is not in the cache.
    pub fn children(&self, path: &str) -> Option<Vec<String>> {
        let st = guard(&self.sh.st);
        st.nodes
            .get(path)
            .map(|n| n.children.iter().cloned().collect())
    }

    /// Every cached node, by path.
    pub fn snapshot(&self) -> BTreeMap<String, CachedNode> {
        let st = guard(&self.sh.st);
        st.nodes
            .iter()
            .map(|(p, n)| {
                (
                    p.clone(),
                    CachedNode {
                        data: n.data.clone(),
                        stat: n.stat,
                    },
                )
            })
            .collect()
    }

    /// How many nodes the cache holds.
    pub fn len(&self) -> usize {
        guard(&self.sh.st).nodes.len()
    }

    /// True if the cache holds no node.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the first full load is done (Initialized was queued).
    pub fn initialized(&self) -> bool {
        guard(&self.sh.st).initialized
    }

    /// Whether the cache follows the tree with one persistent recursive watch (true)
    /// or one-shot watches per node (false: asked for, or the server has no addWatch).
    pub fn persistent_watch(&self) -> bool {
        guard(&self.sh.st).persistent
    }
}

impl Drop for TreeCache {
    fn drop(&mut self) {
        self.close();
    }
}

/// The cache's thread: delivers events in order and runs the full loads' blocking step.
fn run(weak: Weak<Shared>, rx: Receiver<Msg>, listener: Option<TreeEventFn>) {
    while let Ok(m) = rx.recv() {
        match m {
            Msg::Stop => return,
            Msg::Deliver(ev) => {
                if let Some(f) = &listener {
                    // A panicking listener must not stop the cache.
                    let _ = catch_unwind(AssertUnwindSafe(|| f(&ev)));
                }
            }
            Msg::Load => match weak.upgrade() {
                Some(sh) => sh.load(),
                None => return,
            },
        }
    }
}

impl Shared {
    fn send(&self, m: Msg) {
        let _ = self.tx.lock().unwrap_or_else(|e| e.into_inner()).send(m);
    }

    fn emit(&self, st: &St, kind: TreeEventKind, path: &str, n: Option<&Node>) {
        if st.closed {
            return;
        }
        let (data, stat) = match n {
            Some(n) => (n.data.clone(), Some(n.stat)),
            None => (Vec::new(), None),
        };
        self.send(Msg::Deliver(TreeEvent {
            kind,
            path: path.to_string(),
            data,
            stat,
        }));
    }

    /// The session listener (event thread).
    fn on_state(self: &Arc<Self>, s: State) {
        let mut st = guard(&self.st);
        if st.closed || s == st.conn {
            return;
        }
        let was = std::mem::replace(&mut st.conn, s);
        match s {
            State::Suspended => self.emit(&st, TreeEventKind::Suspended, "", None),
            State::Lost => {
                if was == State::Connected || was == State::Suspended {
                    self.emit(&st, TreeEventKind::Lost, "", None)
                }
            }
            State::Connected => {
                if st.load > 0 {
                    self.emit(&st, TreeEventKind::Reconnected, "", None);
                }
                drop(st);
                self.send(Msg::Load);
            }
        }
    }

    /// A full load (cache thread): arms the persistent watch if it is gone, then reads
    /// the whole tree again.
    fn load(self: &Arc<Self>) {
        let (persistent, alive) = {
            let st = guard(&self.st);
            if st.closed || st.conn != State::Connected {
                return;
            }
            (st.persistent, st.watch_alive)
        };
        if persistent && !alive {
            let weak = Arc::downgrade(self);
            let f: crate::client::PersistentFn = Arc::new(move |ev: WatchedEvent| {
                if let Some(sh) = weak.upgrade() {
                    sh.on_persistent_event(ev);
                }
            });
            // Alive from before the request: an event may come before the reply.
            guard(&self.st).watch_alive = true;
            match self.client.add_watch(&self.root, true, f, None) {
                Ok(()) => {}
                Err(Error::Unimplemented) => {
                    // No addWatch on this server: one-shot watches instead.
                    let mut st = guard(&self.st);
                    st.persistent = false;
                    st.watch_alive = false;
                }
                Err(_) => {
                    // Tried again on the next connection, or soon if still connected (a
                    // timeout).
                    let again = {
                        let mut st = guard(&self.st);
                        st.watch_alive = false;
                        st.conn == State::Connected && !st.closed
                    };
                    if again {
                        std::thread::sleep(RETRY_PAUSE);
                        self.send(Msg::Load);
                    }
                    return;
                }
            }
        }
        let root = self.root.clone();
        let mut st = guard(&self.st);
        if st.closed {
            return;
        }
        st.load += 1;
        st.todo.clear();
        st.todo.push_back(root);
        st.in_flight = 0;
        st.load_failed = false;
        st.loading = true;
        let go = Self::take_batch(&mut st);
        let load = st.load;
        drop(st);
        self.read_many(go, Some(load));
    }

    /// The next nodes of the full load to read, up to the window.
    fn take_batch(st: &mut St) -> Vec<String> {
        let mut go = Vec::new();
        while st.in_flight < WINDOW {
            match st.todo.pop_front() {
                Some(p) => {
                    st.in_flight += 1;
                    go.push(p);
                }
                None => break,
            }
        }
        go
    }

    fn read_many(self: &Arc<Self>, paths: Vec<String>, load: Option<u64>) {
        for p in paths {
            self.read_node(p, load);
        }
    }

    /// Reads a node's data and its children (with watches, in one-shot mode, where none
    /// is armed); `load` is the full load it belongs to.
    fn read_node(self: &Arc<Self>, path: String, load: Option<u64>) {
        let persistent = guard(&self.st).persistent;
        if !persistent && path == self.root {
            // The root may be missing: an exists watch sees it come, and serves as its
            // data watch while it exists.
            if let Some(w) = self.one_shot(&path, Kind::Data) {
                let sh = Arc::clone(self);
                let r = self
                    .client
                    .exists_async(&path, Some(w), None, Box::new(move |_| drop(sh)));
                if r.is_err() {
                    self.failed(load);
                }
            }
            self.read_data(path.clone(), load, false);
        } else {
            self.read_data(path.clone(), load, !persistent);
        }
        self.read_children(path, load, !persistent);
    }

    fn read_data(self: &Arc<Self>, path: String, load: Option<u64>, watch: bool) {
        let w = if watch {
            self.one_shot(&path, Kind::Data)
        } else {
            None
        };
        let sh = Arc::clone(self);
        let p = path.clone();
        let r = self
            .client
            .get_async(&path, w, None, Box::new(move |r| sh.on_data(&p, r, load)));
        if r.is_err() {
            self.failed(load);
        }
    }

    fn read_children(self: &Arc<Self>, path: String, load: Option<u64>, watch: bool) {
        let w = if watch {
            self.one_shot(&path, Kind::Child)
        } else {
            None
        };
        let sh = Arc::clone(self);
        let p = path.clone();
        let r = self.client.get_children_async(
            &path,
            w,
            false,
            None,
            Box::new(move |r| sh.on_children(&p, r.map(|(c, _)| c), load)),
        );
        if r.is_err() {
            self.failed(load);
        }
    }

    /// A one-shot watch for `path` if none of this kind is armed there now.
    fn one_shot(self: &Arc<Self>, path: &str, kind: Kind) -> Option<WatchFn> {
        let key = (path.to_string(), kind == Kind::Child);
        let token = {
            let mut st = guard(&self.st);
            if st.closed || st.armed.contains_key(&key) {
                return None;
            }
            st.tokens += 1;
            let t = st.tokens;
            st.armed.insert(key.clone(), t);
            t
        };
        struct Armed {
            sh: Weak<Shared>,
            key: (String, bool),
            token: u64,
        }
        impl Armed {
            fn disarm(&self) -> Option<Arc<Shared>> {
                let sh = self.sh.upgrade()?;
                let mut st = guard(&sh.st);
                if st.armed.get(&self.key) == Some(&self.token) {
                    st.armed.remove(&self.key);
                }
                drop(st);
                Some(sh)
            }
        }
        impl Drop for Armed {
            fn drop(&mut self) {
                // A watch handed back by a failed call is dropped without its event.
                self.disarm();
            }
        }
        let a = Armed {
            sh: Arc::downgrade(self),
            key,
            token,
        };
        Some(Box::new(move |ev: WatchedEvent| {
            let Some(sh) = a.disarm() else { return };
            if ev.event_type == EventType::None || guard(&sh.st).closed {
                // The session ended: the next one loads the tree again.
                return;
            }
            if a.key.1 {
                sh.read_children(a.key.0.clone(), None, true);
            } else {
                sh.read_node_data_after_event(a.key.0.clone());
            }
        }))
    }

    fn read_node_data_after_event(self: &Arc<Self>, path: String) {
        if path == self.root {
            self.read_node(path, None);
        } else {
            self.read_data(path, None, true);
        }
    }

    /// An event of the persistent recursive watch (event thread).
    fn on_persistent_event(self: &Arc<Self>, ev: WatchedEvent) {
        match ev.event_type {
            EventType::NodeCreated | EventType::NodeDataChanged if !guard(&self.st).closed => {
                self.read_data(ev.path, None, false);
            }
            EventType::NodeDeleted => {
                let mut st = guard(&self.st);
                self.remove(&mut st, &ev.path);
            }
            EventType::None | EventType::PersistentWatchRemoved => {
                guard(&self.st).watch_alive = false;
            }
            _ => {}
        }
    }

    /// A read of the load `load` could not be sent or failed: that load cannot finish.
    fn failed(&self, load: Option<u64>) {
        let mut st = guard(&self.st);
        if load.is_some() && load == Some(st.load) {
            st.load_failed = true;
        }
        if load.is_none() && st.conn == State::Connected {
            // A single read failed while connected (a timeout): load the tree again.
            drop(st);
            self.send(Msg::Load);
        }
    }

    /// A data read's result (event thread).
    fn on_data(self: &Arc<Self>, path: &str, r: Result<(Vec<u8>, Stat)>, load: Option<u64>) {
        let mut st = guard(&self.st);
        match r {
            Ok((data, stat)) => self.upsert(&mut st, path, data, stat),
            Err(Error::NoNode) => self.remove(&mut st, path),
            // A node we may not read stays out of the cache, as if it were not there.
            Err(Error::NoAuth) => {}
            Err(_) => {
                drop(st);
                self.failed(load);
            }
        }
    }

    /// A children read's result (event thread): children no longer there leave the
    /// cache; a full load reads every child, one-shot mode the new ones.
    fn on_children(self: &Arc<Self>, path: &str, r: Result<Vec<String>>, load: Option<u64>) {
        let mut st = guard(&self.st);
        let this_load = load.is_some() && load == Some(st.load);
        let mut go = Vec::new();
        match r {
            Ok(list) => {
                let now: BTreeSet<String> = list.into_iter().collect();
                if let Some(n) = st.nodes.get(path) {
                    let gone: Vec<String> = n.children.difference(&now).cloned().collect();
                    for c in gone {
                        self.remove(&mut st, &child(path, &c));
                    }
                }
                if st.nodes.contains_key(path) {
                    for c in &now {
                        let cp = child(path, c);
                        if this_load {
                            st.todo.push_back(cp);
                        } else if !st.nodes.contains_key(&cp) && !st.persistent {
                            go.push(cp);
                        }
                    }
                }
            }
            Err(Error::NoNode) => self.remove(&mut st, path),
            Err(Error::NoAuth) => {}
            Err(_) => {
                if this_load {
                    st.load_failed = true;
                } else if st.conn == State::Connected {
                    self.send(Msg::Load);
                }
            }
        }
        if this_load {
            st.in_flight -= 1;
            go.extend(Self::take_batch(&mut st));
            if st.in_flight == 0 && st.todo.is_empty() && st.loading {
                st.loading = false;
                if st.load_failed {
                    // A read failed while connected (a timeout): load again. After a
                    // disconnect the next connection does.
                    if st.conn == State::Connected && !st.closed {
                        self.send(Msg::Load);
                    }
                } else if !st.initialized {
                    st.initialized = true;
                    self.emit(&st, TreeEventKind::Initialized, "", None);
                }
            }
        }
        let load = if this_load { load } else { None };
        drop(st);
        self.read_many(go, load);
    }

    /// A node read: in the cache if its parent is (or it is the root), reported if new
    /// or changed.
    fn upsert(&self, st: &mut St, path: &str, data: Vec<u8>, stat: Stat) {
        if let Some(n) = st.nodes.get_mut(path) {
            let changed = n.stat.mzxid != stat.mzxid || n.stat.czxid != stat.czxid;
            n.data = data;
            n.stat = stat;
            if changed {
                let n = &st.nodes[path];
                self.emit(st, TreeEventKind::NodeUpdated, path, Some(n));
            }
            return;
        }
        if path != self.root {
            let (parent, name) = split(path);
            match st.nodes.get_mut(parent) {
                Some(p) => {
                    p.children.insert(name.to_string());
                }
                // Its parent went since: a later read brings both back if they are.
                None => return,
            }
        }
        st.nodes.insert(
            path.to_string(),
            Node {
                data,
                stat,
                children: BTreeSet::new(),
            },
        );
        let n = &st.nodes[path];
        self.emit(st, TreeEventKind::NodeAdded, path, Some(n));
    }

    /// Removes a node and what is below it, reporting the deepest first.
    fn remove(&self, st: &mut St, path: &str) {
        let Some(n) = st.nodes.get(path) else { return };
        let kids: Vec<String> = n.children.iter().map(|c| child(path, c)).collect();
        for k in kids {
            self.remove(st, &k);
        }
        let Some(n) = st.nodes.remove(path) else {
            return;
        };
        if path != self.root {
            let (parent, name) = split(path);
            if let Some(p) = st.nodes.get_mut(parent) {
                p.children.remove(name);
            }
        }
        self.emit(st, TreeEventKind::NodeRemoved, path, Some(&n));
    }
}

/// A path's parent and last name.
fn split(path: &str) -> (&str, &str) {
    let i = path.rfind('/').unwrap_or(0);
    let parent = if i == 0 { "/" } else { &path[..i] };
    (parent, &path[i + 1..])
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn parents_and_names() {
        assert_eq!(split("/a"), ("/", "a"));
        assert_eq!(split("/a/b/c"), ("/a/b", "c"));
    }
}
