//! The watcher tables, as zookeeper.h defines watches: per path, the (function, context)
//! pairs that wait for its next data, exists or child event, each pair once however often
//! it was registered, all of them fired by one event and then forgotten. The zkclient
//! crate's one-shot watches are only the trigger: each registration arms one, whose
//! callback fires the whole table entry of its path; the others of the same event find it
//! empty.
//!
//! A pair joins the table when its call's reply says the watch is set, in the call's
//! completion on the event thread. The crate delivers a watch event the server sent before
//! a reply before that reply's completion, so the table always holds exactly the pairs
//! whose watches the server had set when it sent an event: no event reaches a watch set
//! after it, and none misses one set before it. The one exception is a watching blocking
//! call made from a callback: the event thread is the caller then, so the pair joins when
//! the call returns, after events already queued behind the callback (docs/compat.md,
//! differences).

use std::collections::HashMap;
use std::ffi::{c_int, c_void, CString};
use std::sync::Arc;

use zkclient::{EventType, WatchFn, WatchedEvent};

use crate::consts::*;
use crate::handle::{as_callback, Shared, WatcherFn};

/// The three tables of the official client.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Class {
    /// get, and exists on a node that exists
    Data,
    /// exists on a node that does not
    Exist,
    /// get_children
    Child,
}

type Pair = (WatcherFn, *mut c_void);

fn same(p: &Pair, q: &Pair) -> bool {
    p.0 as usize == q.0 as usize && p.1 == q.1
}

/// The pairs of one path in one table: one, kept in place (by far the most common case:
/// a watch costs its key and one slot of the map, no list), or several.
enum Pairs {
    One(Pair),
    Many(Vec<Pair>),
}

impl Pairs {
    fn as_slice(&self) -> &[Pair] {
        match self {
            Pairs::One(p) => std::slice::from_ref(p),
            Pairs::Many(v) => v,
        }
    }

    /// Adds `p` unless it is there already.
    fn add(&mut self, p: Pair) {
        if self.as_slice().iter().any(|q| same(q, &p)) {
            return;
        }
        match self {
            Pairs::One(first) => *self = Pairs::Many(vec![*first, p]),
            Pairs::Many(v) => v.push(p),
        }
    }

    /// Keeps the pairs `keep` says to; whether any is left.
    fn retain(&mut self, keep: impl Fn(&Pair) -> bool) -> bool {
        match self {
            Pairs::One(p) => keep(p),
            Pairs::Many(v) => {
                v.retain(|q| keep(q));
                !v.is_empty()
            }
        }
    }
}

type Table = HashMap<Box<str>, Pairs>;

#[derive(Default)]
pub struct Tables {
    data: Table,
    exist: Table,
    child: Table,
}

// SAFETY: the context pointers are the caller's, passed back to it untouched.
unsafe impl Send for Tables {}

fn push_unique(list: &mut Vec<Pair>, p: Pair) {
    if !list.iter().any(|q| same(q, &p)) {
        list.push(p);
    }
}

impl Tables {
    fn map(&mut self, c: Class) -> &mut Table {
        match c {
            Class::Data => &mut self.data,
            Class::Exist => &mut self.exist,
            Class::Child => &mut self.child,
        }
    }

    fn map_ref(&self, c: Class) -> &Table {
        match c {
            Class::Data => &self.data,
            Class::Exist => &self.exist,
            Class::Child => &self.child,
        }
    }

    pub fn add(&mut self, c: Class, path: &str, p: Pair) {
        let m = self.map(c);
        match m.get_mut(path) {
            Some(pairs) => pairs.add(p),
            None => {
                m.insert(path.into(), Pairs::One(p));
            }
        }
    }

    /// Moves out the pairs of `path` in these classes, each once.
    fn take(&mut self, classes: &[Class], path: &str) -> Vec<Pair> {
        let mut out = Vec::new();
        for &c in classes {
            if let Some(pairs) = self.map(c).remove(path) {
                for &p in pairs.as_slice() {
                    push_unique(&mut out, p);
                }
            }
        }
        out
    }

    /// Every pair, each once, the tables left as they are.
    pub fn all(&self) -> Vec<Pair> {
        let mut out = Vec::new();
        for m in [&self.data, &self.exist, &self.child] {
            for pairs in m.values() {
                for &p in pairs.as_slice() {
                    push_unique(&mut out, p);
                }
            }
        }
        out
    }

    pub fn take_all(&mut self) -> Vec<Pair> {
        let out = self.all();
        *self = Tables::default();
        out
    }

    /// Whether `path` holds `watcher` (any, when None) in the classes of `wtype`.
    pub fn has(&self, wtype: c_int, path: &str, watcher: Option<Pair>) -> bool {
        classes_of(wtype).iter().any(|&c| {
            self.map_ref(c)
                .get(path)
                .is_some_and(|pairs| match watcher {
                    None => !pairs.as_slice().is_empty(),
                    Some(p) => pairs.as_slice().iter().any(|q| same(q, &p)),
                })
        })
    }

    /// Whether `path` holds a pair other than `watcher` in the classes of `wtype`.
    pub fn others_than(&self, wtype: c_int, path: &str, watcher: Option<Pair>) -> bool {
        classes_of(wtype).iter().any(|&c| {
            self.map_ref(c).get(path).is_some_and(|pairs| {
                pairs
                    .as_slice()
                    .iter()
                    .any(|q| watcher.map_or(true, |p| !same(q, &p)))
            })
        })
    }

    /// Removes `watcher` (every pair, when None) from `path` in the classes of `wtype`;
    /// whether any pair is left there in those classes.
    pub fn remove(&mut self, wtype: c_int, path: &str, watcher: Option<Pair>) -> bool {
        let mut left = false;
        for c in classes_of(wtype) {
            let m = self.map(c);
            if let Some(pairs) = m.get_mut(path) {
                let any = match watcher {
                    Some(p) => pairs.retain(|q| !same(q, &p)),
                    None => false,
                };
                if any {
                    left = true;
                } else {
                    m.remove(path);
                }
            }
        }
        left
    }
}

/// ZWATCHTYPE_CHILD 1, ZWATCHTYPE_DATA 2, ZWATCHTYPE_ANY 3.
pub fn classes_of(wtype: c_int) -> Vec<Class> {
    match wtype {
        1 => vec![Class::Child],
        2 => vec![Class::Data, Class::Exist],
        3 => vec![Class::Child, Class::Data, Class::Exist],
        _ => vec![],
    }
}

/// The trigger to arm with a request: fires the table entry of the event's path.
pub fn trigger(shared: &Arc<Shared>) -> WatchFn {
    let weak = Arc::downgrade(shared);
    Box::new(move |ev: WatchedEvent| {
        if let Some(s) = weak.upgrade() {
            as_callback(|| fire(&s, &ev));
        }
    })
}

fn fire(shared: &Shared, ev: &WatchedEvent) {
    let (ty, classes): (c_int, &[Class]) = match ev.event_type {
        EventType::NodeCreated => (CREATED_EVENT, &[Class::Data, Class::Exist]),
        EventType::NodeDataChanged => (CHANGED_EVENT, &[Class::Data, Class::Exist]),
        EventType::NodeChildrenChanged => (CHILD_EVENT, &[Class::Child]),
        EventType::NodeDeleted => (DELETED_EVENT, &[Class::Data, Class::Exist, Class::Child]),
        // Session ends and removals: the state listener and remove_watches tell those.
        _ => return,
    };
    let pairs = shared.tables.lock().take(classes, &ev.path);
    if pairs.is_empty() {
        return;
    }
    let Ok(path) = CString::new(ev.path.as_str()) else {
        return;
    };
    let state = match shared.handle() {
        // SAFETY: the handle is open while `zh` is set.
        Some(zh) => unsafe { (*zh).state() },
        None => return,
    };
    for (w, ctx) in pairs {
        shared.call_watcher(w, ty, state, &path, ctx);
    }
}

/// The table entry a successful reply makes: `class` for `path`, if a watcher was asked.
pub fn activate(shared: &Shared, class: Class, path: &str, watcher: Option<Pair>) {
    if let Some(p) = watcher {
        shared.tables.lock().add(class, path, p);
    }
}
