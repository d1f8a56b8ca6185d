//! Helpers shared by the TreeCache tests: a recorder of a cache's events, the server's
//! tree read fresh (node by node), the cache's content in the same form, and the replay
//! of recorded events onto a map.
//!
//! Include with `mod tree_util;` next to `mod common;`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use zkclient::recipe::tree_cache::{TreeCache, TreeEvent, TreeEventFn, TreeEventKind};
use zkclient::{Client, Error};

/// What is compared of a node: its data, czxid and mzxid.
pub type Tree = BTreeMap<String, (Vec<u8>, i64, i64)>;

/// A listener that records every event, and where to read them.
pub fn recorder() -> (TreeEventFn, Receiver<TreeEvent>, Arc<Mutex<Vec<TreeEvent>>>) {
    let (tx, rx) = channel();
    let tx = Mutex::new(tx);
    let all = Arc::new(Mutex::new(Vec::new()));
    let a = all.clone();
    let f: TreeEventFn = Arc::new(move |e: &TreeEvent| {
        a.lock().unwrap().push(e.clone());
        let _ = tx.lock().unwrap().send(e.clone());
    });
    (f, rx, all)
}

/// The next event, or a panic after `common::WAIT`.
pub fn next(rx: &Receiver<TreeEvent>) -> TreeEvent {
    rx.recv_timeout(crate::common::WAIT)
        .expect("an event within the wait")
}

/// The events until one of `kind` (which is not included).
pub fn until(rx: &Receiver<TreeEvent>, kind: TreeEventKind) -> Vec<TreeEvent> {
    let mut seen = Vec::new();
    loop {
        let e = next(rx);
        if e.kind == kind {
            return seen;
        }
        seen.push(e);
    }
}

/// The events that come before a quiet moment of `quiet`.
pub fn drain(rx: &Receiver<TreeEvent>, quiet: Duration) -> Vec<TreeEvent> {
    let mut seen = Vec::new();
    while let Ok(e) = rx.recv_timeout(quiet) {
        seen.push(e);
    }
    seen
}

/// The events as (kind, path), for comparisons.
pub fn short(evs: &[TreeEvent]) -> Vec<(TreeEventKind, String)> {
    evs.iter().map(|e| (e.kind, e.path.clone())).collect()
}

/// The server's tree below and at `root`, read node by node; empty if `root` is missing.
/// A node that goes during the walk is left out.
pub fn server_tree(c: &Client, root: &str) -> Tree {
    let mut out = Tree::new();
    let mut todo = vec![root.to_string()];
    while let Some(p) = todo.pop() {
        let (data, stat) = match c.get(&p, None, None) {
            Ok(r) => r,
            Err(Error::NoNode) => continue,
            Err(e) => panic!("get {p}: {e}"),
        };
        out.insert(p.clone(), (data, stat.czxid, stat.mzxid));
        match c.get_children(&p, None, false, None) {
            Ok((kids, _)) => {
                for k in kids {
                    todo.push(if p == "/" {
                        format!("/{k}")
                    } else {
                        format!("{p}/{k}")
                    });
                }
            }
            Err(Error::NoNode) => {}
            Err(e) => panic!("get_children {p}: {e}"),
        }
    }
    out
}

/// The cache's content in the form of `server_tree`.
pub fn cached(t: &TreeCache) -> Tree {
    t.snapshot()
        .into_iter()
        .map(|(p, n)| (p, (n.data, n.stat.czxid, n.stat.mzxid)))
        .collect()
}

/// `start` with the node events of `evs` applied in order. Panics on an event that does
/// not fit the map (an add of a node already there, an update or removal of one that is
/// not, a removal whose data is not the map's), so a replay proves the events consistent.
pub fn replay(start: &Tree, evs: &[TreeEvent]) -> Tree {
    let mut m = start.clone();
    for e in evs {
        let node = |e: &TreeEvent| {
            let s = e.stat.expect("a node event has a Stat");
            (e.data.clone(), s.czxid, s.mzxid)
        };
        match e.kind {
            TreeEventKind::NodeAdded => {
                assert!(
                    m.insert(e.path.clone(), node(e)).is_none(),
                    "added twice: {}",
                    e.path
                );
            }
            TreeEventKind::NodeUpdated => {
                let old = m.insert(e.path.clone(), node(e));
                assert!(old.is_some(), "update of a node not there: {}", e.path);
                assert_ne!(
                    old,
                    Some(node(e)),
                    "an update that changes nothing: {}",
                    e.path
                );
            }
            TreeEventKind::NodeRemoved => {
                let old = m.remove(&e.path);
                assert_eq!(old, Some(node(e)), "removal of {}", e.path);
                let below = format!("{}/", e.path);
                assert!(
                    !m.keys().any(|k| k.starts_with(&below)),
                    "{} removed before what is below it",
                    e.path
                );
            }
            _ => {}
        }
    }
    m
}
