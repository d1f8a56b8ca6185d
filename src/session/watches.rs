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

/// One map per kind, path → its watchers. Keys are `Box<str>` and a path's watchers are a
/// `Slot`, so a watch costs its callback, its key and one slot of the map: 40 bytes of
/// slot, where `String` and `Vec` would take 48 and a second allocation.
#[derive(Default)]
pub struct WatchTable {
    data: HashMap<Box<str>, Slot<WatchFn>>,
    exist: HashMap<Box<str>, Slot<WatchFn>>,
    child: HashMap<Box<str>, Slot<WatchFn>>,
    persistent: HashMap<Box<str>, Slot<PersistentFn>>,
    recursive: HashMap<Box<str>, Slot<PersistentFn>>,
}

/// The watchers of one path and kind: one, kept in place (by far the most common case),
/// or several.
enum Slot<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> Slot<T> {
    fn push(&mut self, f: T) {
        if let Slot::Many(v) = self {
            v.push(f);
            return;
        }
        let old = std::mem::replace(self, Slot::Many(Vec::with_capacity(2)));
        if let (Slot::One(first), Slot::Many(v)) = (old, &mut *self) {
            v.push(first);
            v.push(f);
        }
    }

    fn len(&self) -> usize {
        match self {
            Slot::One(_) => 1,
            Slot::Many(v) => v.len(),
        }
    }

    fn iter(&self) -> std::slice::Iter<'_, T> {
        match self {
            Slot::One(f) => std::slice::from_ref(f).iter(),
            Slot::Many(v) => v.iter(),
        }
    }
}

impl<T> IntoIterator for Slot<T> {
    type Item = T;
    type IntoIter = std::iter::Chain<std::option::IntoIter<T>, std::vec::IntoIter<T>>;

    fn into_iter(self) -> Self::IntoIter {
        let (one, many) = match self {
            Slot::One(f) => (Some(f), Vec::new()),
            Slot::Many(v) => (None, v),
        };
        one.into_iter().chain(many)
    }
}

fn push<T>(m: &mut HashMap<Box<str>, Slot<T>>, path: &str, f: T) {
    match m.get_mut(path) {
        Some(v) => v.push(f),
        None => {
            m.insert(path.into(), Slot::One(f));
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
        let mut take = |m: &mut HashMap<Box<str>, Slot<WatchFn>>| {
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
        let once = |m: &mut HashMap<Box<str>, Slot<WatchFn>>, ev: EventType, out: &mut Vec<_>| {
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
        let persistent: &mut [&mut HashMap<Box<str>, Slot<PersistentFn>>] = match ty {
            WatcherType::Any => &mut [&mut self.persistent, &mut self.recursive],
            WatcherType::Persistent => &mut [&mut self.persistent],
            WatcherType::PersistentRecursive => &mut [&mut self.recursive],
            WatcherType::Data | WatcherType::Children => &mut [],
        };
        {
            for m in persistent.iter_mut() {
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
        let persistent = self.persistent.contains_key(server_path);
        let recursive = self.recursive.contains_key(server_path);
        match ty {
            WatcherType::Data => data,
            WatcherType::Children => child,
            WatcherType::Any => data || child || persistent || recursive,
            WatcherType::Persistent => persistent,
            WatcherType::PersistentRecursive => recursive,
        }
    }

    /// Whether the path's watches are all of the one kind `ty` names: then a server that
    /// cannot remove that kind alone (before 3.9) can be asked to remove them all.
    pub fn only(&self, ty: WatcherType, server_path: &str) -> bool {
        let any = |ty| self.covers(ty, server_path);
        let mut others = [
            WatcherType::Data,
            WatcherType::Children,
            WatcherType::Persistent,
            WatcherType::PersistentRecursive,
        ]
        .into_iter()
        .filter(|&t| t != ty);
        any(ty) && !others.any(any)
    }

    /// Hands every registration to `f`, one at a time, freeing the table as it goes: a
    /// terminal session event ends every watch, and the table itself travels to the event
    /// thread for it (no event, path or list is made per watch).
    pub fn end_each(self, mut f: impl FnMut(Watcher)) {
        for m in [self.data, self.exist, self.child] {
            for (_, v) in m {
                v.into_iter().for_each(|w| f(Watcher::Once(w)));
            }
        }
        for m in [self.persistent, self.recursive] {
            for (_, v) in m {
                v.into_iter().for_each(|w| f(Watcher::Persistent(w)));
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of registrations (callbacks), for tests and diagnostics.
    pub fn len(&self) -> usize {
        fn count<T>(m: &HashMap<Box<str>, Slot<T>>) -> usize {
            m.values().map(Slot::len).sum()
        }
        count(&self.data)
            + count(&self.exist)
            + count(&self.child)
            + count(&self.persistent)
            + count(&self.recursive)
    }

    /// The paths to re-arm after a reconnect.
    pub fn paths(&self) -> WatchPaths {
        fn keys<T>(m: &HashMap<Box<str>, Slot<T>>) -> Vec<String> {
            m.keys().map(|k| k.to_string()).collect()
        }
        WatchPaths {
            data: keys(&self.data),
            exist: keys(&self.exist),
            child: keys(&self.child),
            persistent: keys(&self.persistent),
            recursive: keys(&self.recursive),
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
    fn end_each_hands_over_everything_once() {
        let c = Arc::new(AtomicUsize::new(0));
        let mut t = WatchTable::default();
        for p in ["/a", "/b", "/c"] {
            t.register(WatchKind::Data, p, once(&c));
            t.register(WatchKind::Child, p, once(&c));
        }
        t.register(WatchKind::Data, "/a", once(&c));
        t.register(WatchKind::PersistentRecursive, "/a", many());
        let (mut ones, mut persistent) = (0, 0);
        t.end_each(|w| match w {
            Watcher::Once(_) => ones += 1,
            Watcher::Persistent(_) => persistent += 1,
        });
        assert_eq!((ones, persistent), (7, 1));
    }

    #[test]
    fn watchers_of_one_path_keep_their_order_and_a_lone_one_takes_no_vec() {
        use crate::session::state::{KeeperState, WatchedEvent};
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut t = WatchTable::default();
        for i in 0..3 {
            let o = order.clone();
            t.register(
                WatchKind::Data,
                "/o",
                Watcher::Once(Box::new(move |_| o.lock().unwrap().push(i))),
            );
            assert_eq!(t.len(), i + 1);
        }
        for w in t.trigger(EventType::NodeDataChanged, "/o") {
            if let Watcher::Once(f) = w {
                f(WatchedEvent {
                    event_type: EventType::NodeDataChanged,
                    keeper_state: KeeperState::Connected,
                    path: "/o".into(),
                    zxid: -1,
                });
            }
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2]);
        // a map slot: the key and one callback in place, no second allocation
        assert_eq!(std::mem::size_of::<(Box<str>, Slot<WatchFn>)>(), 40);
        let mut one = Slot::One(1);
        assert_eq!(one.iter().copied().collect::<Vec<_>>(), vec![1]);
        one.push(2);
        assert_eq!(one.into_iter().collect::<Vec<_>>(), vec![1, 2]);
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
