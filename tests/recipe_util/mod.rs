//! Helpers shared by the recipe tests: fresh paths, the children of a node, which nodes
//! the server says are watched and by whom (`wchp`), a true session expiry, and a
//! recorder of a recipe's state changes.
//!
//! Include with `mod recipe_util;` next to `mod common;` and `mod harness;`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use zkclient::recipe::lock::{LockState, StateFn};
use zkclient::{Client, ClientId, Error};

use crate::common;
use crate::harness::Cluster;

/// A path no other test (or earlier run) uses: `/recipes/<name>-<unique>`.
pub fn fresh(name: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("/recipes/{name}-{t}-{}", N.fetch_add(1, Ordering::SeqCst))
}

/// The children of `path`, sorted; none if it does not exist.
pub fn children(c: &Client, path: &str) -> Vec<String> {
    match c.get_children(path, None, false, None) {
        Ok((mut v, _)) => {
            v.sort();
            v
        }
        Err(Error::NoNode) => Vec::new(),
        Err(e) => panic!("get_children {path}: {e}"),
    }
}

/// How many sessions watch each path, from the server's `wchp`.
pub fn watchers(cluster: &Cluster) -> BTreeMap<String, usize> {
    let text = cluster.four_letter(1, "wchp");
    let mut out = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.starts_with('/') {
            current = Some(line.trim().to_string());
            out.insert(line.trim().to_string(), 0);
        } else if line.trim().starts_with("0x") {
            if let Some(p) = &current {
                *out.get_mut(p).unwrap() += 1;
            }
        }
    }
    out
}

/// The watched paths below `under`, with how many sessions watch each.
pub fn watchers_under(cluster: &Cluster, under: &str) -> BTreeMap<String, usize> {
    watchers(cluster)
        .into_iter()
        .filter(|(p, _)| p.starts_with(&format!("{under}/")))
        .collect()
}

/// A proxy in front of the shared server, to cut a client off and let it back.
pub fn proxy() -> common::Proxy {
    let port = crate::harness::shared().servers[0].port;
    common::Proxy::start("127.0.0.1:0", format!("127.0.0.1:{port}").parse().unwrap())
        .expect("a proxy")
}

/// A client through `proxy` with a session that outlives a cut of a few seconds: what
/// happens to it is what the test does (a true expiry), not its own timer.
pub fn connect_through(proxy: &common::Proxy) -> Client {
    let mut o = common::options(&proxy.hosts());
    o.session_timeout = Duration::from_secs(10);
    common::start(o)
}

/// Takes over session `id` from another connection to `hosts`, then closes it: the server
/// expires the session as it would one that timed out (its ephemeral nodes go).
pub fn expire_from_elsewhere(hosts: &str, id: ClientId) {
    let mut o = common::options(hosts);
    o.client_id = Some(id);
    let thief = common::start(o);
    assert_eq!(thief.client_id().unwrap().session_id, id.session_id);
    thief.stop().unwrap();
}

/// A state callback that records what it is told, and where to read it.
pub fn state_recorder() -> (StateFn, Receiver<LockState>, Arc<Mutex<Vec<LockState>>>) {
    let (tx, rx) = channel();
    let tx = Mutex::new(tx);
    let all = Arc::new(Mutex::new(Vec::new()));
    let a = all.clone();
    let f: StateFn = Arc::new(move |s| {
        a.lock().unwrap().push(s);
        let _ = tx.lock().unwrap().send(s);
    });
    (f, rx, all)
}

/// The next recorded state, or a panic after `common::WAIT`.
pub fn next_state(rx: &Receiver<LockState>) -> LockState {
    rx.recv_timeout(common::WAIT)
        .expect("a state change within the wait")
}

/// Asserts that nothing more is recorded for a short while.
pub fn no_more_states(rx: &Receiver<LockState>) {
    if let Ok(s) = rx.recv_timeout(Duration::from_millis(200)) {
        panic!("unexpected state change {s:?}");
    }
}
