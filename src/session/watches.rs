//! The watch table: which one-shot callbacks wait on which server path. Keyed by the
//! server's path (chroot included) and kind, so the table can be replayed with SetWatches
//! after a reconnect without translating anything, and so an event from the server finds
//! its callbacks by the path the server sent.

use std::collections::HashMap;

use crate::proto::consts::EventType;

use super::state::WatchFn;

/// The kinds the server keeps apart. `Exist` is an exists() on a missing node; an exists()
/// that finds the node registers a `Data` watch, as the Java client does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatchKind {
    Data,
    Exist,
    Child,
}

#[derive(Default)]
pub struct WatchTable {
    data: HashMap<String, Vec<WatchFn>>,
    exist: HashMap<String, Vec<WatchFn>>,
    child: HashMap<String, Vec<WatchFn>>,
}

impl WatchTable {
    fn map(&mut self, kind: WatchKind) -> &mut HashMap<String, Vec<WatchFn>> {
        match kind {
            WatchKind::Data => &mut self.data,
            WatchKind::Exist => &mut self.exist,
            WatchKind::Child => &mut self.child,
        }
    }

    pub fn register(&mut self, kind: WatchKind, server_path: &str, f: WatchFn) {
        match self.map(kind).get_mut(server_path) {
            Some(v) => v.push(f),
            None => {
                self.map(kind).insert(server_path.to_string(), vec![f]);
            }
        }
    }

    /// Removes and returns the callbacks an event of `ty` on `server_path` ends, following
    /// the server's rules: created/changed end data and exist watches, children-changed ends
    /// child watches, deleted ends all three.
    pub fn trigger(&mut self, ty: EventType, server_path: &str) -> Vec<WatchFn> {
        let mut out = Vec::new();
        let mut take = |m: &mut HashMap<String, Vec<WatchFn>>| {
            if let Some(v) = m.remove(server_path) {
                out.extend(v);
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
        out
    }

    /// Removes every registration, for a terminal session event.
    pub fn drain(&mut self) -> Vec<WatchFn> {
        let mut out = Vec::new();
        for m in [&mut self.data, &mut self.exist, &mut self.child] {
            for (_, v) in m.drain() {
                out.extend(v);
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty() && self.exist.is_empty() && self.child.is_empty()
    }

    /// Number of registrations (callbacks), for tests and diagnostics.
    pub fn len(&self) -> usize {
        [&self.data, &self.exist, &self.child]
            .iter()
            .map(|m| m.values().map(Vec::len).sum::<usize>())
            .sum()
    }

    /// The paths to re-arm after a reconnect: (data, exist, child).
    pub fn paths(&self) -> (Vec<String>, Vec<String>, Vec<String>) {
        (
            self.data.keys().cloned().collect(),
            self.exist.keys().cloned().collect(),
            self.child.keys().cloned().collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn counter(c: &Arc<AtomicUsize>) -> WatchFn {
        let c = c.clone();
        Box::new(move |_| {
            c.fetch_add(1, Ordering::SeqCst);
        })
    }

    #[test]
    fn events_end_the_right_kinds() {
        let c = Arc::new(AtomicUsize::new(0));
        let mut t = WatchTable::default();
        t.register(WatchKind::Data, "/a", counter(&c));
        t.register(WatchKind::Child, "/a", counter(&c));
        t.register(WatchKind::Exist, "/b", counter(&c));
        assert_eq!(t.trigger(EventType::NodeDataChanged, "/a").len(), 1);
        assert_eq!(t.trigger(EventType::NodeDataChanged, "/a").len(), 0);
        assert_eq!(t.trigger(EventType::NodeChildrenChanged, "/a").len(), 1);
        assert_eq!(t.trigger(EventType::NodeCreated, "/b").len(), 1);
        assert!(t.is_empty());
        t.register(WatchKind::Data, "/c", counter(&c));
        t.register(WatchKind::Data, "/c", counter(&c));
        t.register(WatchKind::Child, "/c", counter(&c));
        assert_eq!(t.len(), 3);
        assert_eq!(t.trigger(EventType::NodeDeleted, "/c").len(), 3);
    }

    #[test]
    fn drain_returns_everything_once() {
        let c = Arc::new(AtomicUsize::new(0));
        let mut t = WatchTable::default();
        for p in ["/a", "/b", "/c"] {
            t.register(WatchKind::Data, p, counter(&c));
            t.register(WatchKind::Child, p, counter(&c));
        }
        let all = t.drain();
        assert_eq!(all.len(), 6);
        assert!(t.drain().is_empty());
    }
}
