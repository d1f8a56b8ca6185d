//! The watch table: which callbacks wait on which server path. Keyed by the server's path
//! (chroot included) and kind, so the table can be replayed with SetWatches/SetWatches2
//! after a reconnect without translating anything, and so an event from the server finds
//! its callbacks by the path the server sent.

use std::collections::HashMap;

use crate::proto::consts::{EventType, WatcherType};

use super::state::{PersistentFn, WatchFn};

/// The kinds the server keeps apart. `Exist` is an exists() on a missing node; an exists()
/// that finds the node registers a `Data` watch, as the Java client does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatchKind {
    Data,
    Exist,
    Child,
    /// addWatch PERSISTENT: every event on the path, until removed.
    Persistent,
    /// addWatch PERSISTENT_RECURSIVE: every event on the path and below, except child
    /// events, until removed.
    PersistentRecursive,
}

/// A registered callback: called once, or on every event until the watch is removed.
pub enum Watcher {
    Once(WatchFn),
    Persistent(PersistentFn),
}

/// The paths to re-arm after a reconnect, kind by kind.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WatchPaths {
    pub data: Vec<String>,
    pub exist: Vec<String>,
    pub child: Vec<String>,
    pub persistent: Vec<String>,
    pub recursive: Vec<String>,
}

#[derive(Default)]
pub struct WatchTable {
    data: HashMap<String, Vec<WatchFn>>,
    exist: HashMap<String, Vec<WatchFn>>,
    child: HashMap<String, Vec<WatchFn>>,
    persistent: HashMap<String, Vec<PersistentFn>>,
    recursive: HashMap<String, Vec<PersistentFn>>,
}

fn push<T>(m: &mut HashMap<String, Vec<T>>, path: &str, f: T) {
    match m.get_mut(path) {
        Some(v) => v.push(f),
        None => {
            m.insert(path.to_string(), vec![f]);
        }
    }
}

impl WatchTable {
    /// Registers a watcher. A one-shot watcher under a persistent kind (or the reverse)
    /// is a caller's mistake and is dropped unregistered.
    pub fn register(&mut self, kind: WatchKind, server_path: &str, w: Watcher) {
        match (kind, w) {
            (WatchKind::Data, Watcher::Once(f)) => push(&mut self.data, server_path, f),
            (WatchKind::Exist, Watcher::Once(f)) => push(&mut self.exist, server_path, f),
            (WatchKind::Child, Watcher::Once(f)) => push(&mut self.child, server_path, f),
            (WatchKind::Persistent, Watcher::Persistent(f)) => {
                push(&mut self.persistent, server_path, f)
            }
            (WatchKind::PersistentRecursive, Watcher::Persistent(f)) => {
                push(&mut self.recursive, server_path, f)
            }
            _ => {}
        }
    }

    /// The callbacks an event of `ty` on `server_path` reaches, following the server's
    /// rules (and the Java client's): created/changed end data and exist watches,
    /// children-changed ends child watches, deleted ends all three; persistent watches on
    /// the path get every event, recursive ones on the path or an ancestor get every event
    /// but children-changed. One-shot watchers are removed; persistent ones stay.
    pub fn trigger(&mut self, ty: EventType, server_path: &str) -> Vec<Watcher> {
        let mut out = Vec::new();
        let mut take = |m: &mut HashMap<String, Vec<WatchFn>>| {
            if let Some(v) = m.remove(server_path) {
                out.extend(v.into_iter().map(Watcher::Once));
            }
        };
        match ty {
            EventType::NodeCreated | EventType::NodeDataChanged => {
                take(&mut self.data);
                take(&mut self.exist);
            }
            EventType::NodeChildrenChanged => take(&mut self.child),
            EventType::NodeDeleted => {
                take(&mut self.data);
                take(&mut self.exist);
                take(&mut self.child);
            }
            _ => {}
        }
        if let Some(v) = self.persistent.get(server_path) {
            out.extend(v.iter().cloned().map(Watcher::Persistent));
        }
        if ty != EventType::NodeChildrenChanged && !self.recursive.is_empty() {
            for p in ancestors_and_self(server_path) {
                if let Some(v) = self.recursive.get(p) {
                    out.extend(v.iter().cloned().map(Watcher::Persistent));
                }
            }
        }
        out
    }

    /// Removes the watchers of `ty` on a path (removeWatches), each with the event type it
    /// is told of: Data ends data and exist watches, Children child watches, Any those and
    /// the persistent ones.
    pub fn remove(&mut self, ty: WatcherType, server_path: &str) -> Vec<(Watcher, EventType)> {
        let mut out = Vec::new();
        let once = |m: &mut HashMap<String, Vec<WatchFn>>, ev: EventType, out: &mut Vec<_>| {
            if let Some(v) = m.remove(server_path) {
                out.extend(v.into_iter().map(|f| (Watcher::Once(f), ev)));
            }
        };
        if matches!(ty, WatcherType::Data | WatcherType::Any) {
            once(&mut self.data, EventType::DataWatchRemoved, &mut out);
            once(&mut self.exist, EventType::DataWatchRemoved, &mut out);
        }
        if matches!(ty, WatcherType::Children | WatcherType::Any) {
            once(&mut self.child, EventType::ChildWatchRemoved, &mut out);
        }
        if ty == WatcherType::Any {
            for m in [&mut self.persistent, &mut self.recursive] {
                if let Some(v) = m.remove(server_path) {
                    out.extend(
                        v.into_iter()
                            .map(|f| (Watcher::Persistent(f), EventType::PersistentWatchRemoved)),
                    );
                }
            }
        }
        out
    }

    /// Whether `remove(ty, path)` would remove anything.
    pub fn covers(&self, ty: WatcherType, server_path: &str) -> bool {
        let data = self.data.contains_key(server_path) || self.exist.contains_key(server_path);
        let child = self.child.contains_key(server_path);
        let persistent =
            self.persistent.contains_key(server_path) || self.recursive.contains_key(server_path);
        match ty {
            WatcherType::Data => data,
            WatcherType::Children => child,
            WatcherType::Any => data || child || persistent,
        }
    }

    /// Removes every registration, for a terminal session event.
    pub fn drain(&mut self) -> Vec<Watcher> {
        let mut out = Vec::new();
        for m in [&mut self.data, &mut self.exist, &mut self.child] {
            for (_, v) in m.drain() {
                out.extend(v.into_iter().map(Watcher::Once));
            }
        }
        for m in [&mut self.persistent, &mut self.recursive] {
            for (_, v) in m.drain() {
                out.extend(v.into_iter().map(Watcher::Persistent));
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of registrations (callbacks), for tests and diagnostics.
    pub fn len(&self) -> usize {
        fn count<T>(m: &HashMap<String, Vec<T>>) -> usize {
            m.values().map(Vec::len).sum()
        }
        count(&self.data)
            + count(&self.exist)
            + count(&self.child)
            + count(&self.persistent)
            + count(&self.recursive)
    }

    /// The paths to re-arm after a reconnect.
    pub fn paths(&self) -> WatchPaths {
        WatchPaths {
            data: self.data.keys().cloned().collect(),
            exist: self.exist.keys().cloned().collect(),
            child: self.child.keys().cloned().collect(),
            persistent: self.persistent.keys().cloned().collect(),
            recursive: self.recursive.keys().cloned().collect(),
        }
    }
}

/// "/a/b/c" → "/a/b/c", "/a/b", "/a", "/".
fn ancestors_and_self(path: &str) -> impl Iterator<Item = &str> {
    let mut next = Some(path);
    std::iter::from_fn(move || {
        let cur = next?;
        next = match cur.rfind('/') {
            Some(0) if cur.len() > 1 => Some("/"),
            Some(0) | None => None,
            Some(i) => Some(&cur[..i]),
        };
        Some(cur)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn once(c: &Arc<AtomicUsize>) -> Watcher {
        let c = c.clone();
        Watcher::Once(Box::new(move |_| {
            c.fetch_add(1, Ordering::SeqCst);
        }))
    }

    fn many() -> Watcher {
        Watcher::Persistent(Arc::new(|_| {}))
    }

    #[test]
    fn events_end_the_right_kinds() {
        let c = Arc::new(AtomicUsize::new(0));
        let mut t = WatchTable::default();
        t.register(WatchKind::Data, "/a", once(&c));
        t.register(WatchKind::Child, "/a", once(&c));
        t.register(WatchKind::Exist, "/b", once(&c));
        assert_eq!(t.trigger(EventType::NodeDataChanged, "/a").len(), 1);
        assert_eq!(t.trigger(EventType::NodeDataChanged, "/a").len(), 0);
        assert_eq!(t.trigger(EventType::NodeChildrenChanged, "/a").len(), 1);
        assert_eq!(t.trigger(EventType::NodeCreated, "/b").len(), 1);
        assert!(t.is_empty());
        t.register(WatchKind::Data, "/c", once(&c));
        t.register(WatchKind::Data, "/c", once(&c));
        t.register(WatchKind::Child, "/c", once(&c));
        assert_eq!(t.len(), 3);
        assert_eq!(t.trigger(EventType::NodeDeleted, "/c").len(), 3);
    }

    #[test]
    fn persistent_watches_stay_and_recursive_ones_see_descendants_but_not_child_events() {
        let mut t = WatchTable::default();
        t.register(WatchKind::Persistent, "/p", many());
        t.register(WatchKind::PersistentRecursive, "/r", many());
        t.register(WatchKind::PersistentRecursive, "/", many());
        assert_eq!(t.trigger(EventType::NodeDataChanged, "/p").len(), 2); // /p and / (recursive)
        assert_eq!(t.trigger(EventType::NodeChildrenChanged, "/p").len(), 1); // only /p
        assert_eq!(t.trigger(EventType::NodeCreated, "/r/x/y").len(), 2); // /r and /
        assert_eq!(t.trigger(EventType::NodeChildrenChanged, "/r/x").len(), 0);
        assert_eq!(t.trigger(EventType::NodeDeleted, "/other").len(), 1); // / only
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn remove_takes_the_kinds_asked_for_with_their_event_types() {
        let c = Arc::new(AtomicUsize::new(0));
        let mut t = WatchTable::default();
        t.register(WatchKind::Data, "/a", once(&c));
        t.register(WatchKind::Exist, "/a", once(&c));
        t.register(WatchKind::Child, "/a", once(&c));
        t.register(WatchKind::Persistent, "/a", many());
        let kinds =
            |v: Vec<(Watcher, EventType)>| v.into_iter().map(|(_, e)| e).collect::<Vec<_>>();
        assert_eq!(
            kinds(t.remove(WatcherType::Data, "/a")),
            vec![EventType::DataWatchRemoved, EventType::DataWatchRemoved]
        );
        assert_eq!(
            kinds(t.remove(WatcherType::Children, "/a")),
            vec![EventType::ChildWatchRemoved]
        );
        assert_eq!(
            kinds(t.remove(WatcherType::Any, "/a")),
            vec![EventType::PersistentWatchRemoved]
        );
        assert!(t.is_empty());
    }

    #[test]
    fn drain_returns_everything_once() {
        let c = Arc::new(AtomicUsize::new(0));
        let mut t = WatchTable::default();
        for p in ["/a", "/b", "/c"] {
            t.register(WatchKind::Data, p, once(&c));
            t.register(WatchKind::Child, p, once(&c));
        }
        t.register(WatchKind::PersistentRecursive, "/a", many());
        assert_eq!(t.drain().len(), 7);
        assert!(t.drain().is_empty());
    }

    #[test]
    fn ancestors_walk_up_to_the_root() {
        let v: Vec<_> = ancestors_and_self("/a/b/c").collect();
        assert_eq!(v, vec!["/a/b/c", "/a/b", "/a", "/"]);
        assert_eq!(ancestors_and_self("/").collect::<Vec<_>>(), vec!["/"]);
        assert_eq!(
            ancestors_and_self("/a").collect::<Vec<_>>(),
            vec!["/a", "/"]
        );
    }
}
