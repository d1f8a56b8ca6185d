//! TreeCache under ensemble faults, against a real three-server ensemble: a cache over a
//! large tree while a writer keeps changing, creating and deleting nodes, the leader is
//! killed and restarted, a follower paused, and the cache's session expired once. What
//! must hold once the writer stops: the cache equals the server's tree node by node (read
//! fresh), and the events it reported, applied in order to its initial content, give the
//! cache (each of them fitting the map it applies to).
//!
//! The tree has TREE_CACHE_NODES nodes, 10,000 by default (about 90 s; scripts/test.sh
//! runs the fault tests beside the others, so it costs the test command little).

mod common;
mod harness;
mod tree_util;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::channel;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{options, quick_retry, start, wait_until};
use harness::{Cluster, ClusterOpts};
use tree_util::{cached, recorder, replay, server_tree, until, Tree};
use zkclient::recipe::tree_cache::{TreeCache, TreeCacheOptions, TreeEventKind};
use zkclient::{Client, CreateOptions, Error, RetryPolicy};

const ROOT: &str = "/faults-tree-cache";
const DIRS: usize = 20;

fn nodes() -> usize {
    std::env::var("TREE_CACHE_NODES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

fn patient(hosts: &str) -> Client {
    let mut o = options(hosts);
    o.session_timeout = Duration::from_secs(6);
    o.connection_retry = RetryPolicy {
        max_tries: None,
        ..quick_retry(0)
    };
    start(o)
}

/// Makes ROOT with DIRS directories and `n` leaves spread over them, pipelined 200 at a
/// time; a create whose connection was lost is made again (NodeExists then is ours).
fn build_tree(c: &Client, n: usize) {
    let plain = CreateOptions::default();
    let make = |path: &str, data: &[u8]| loop {
        match c.create(path, data, &plain, false, None) {
            Ok(_) | Err(Error::NodeExists) => return,
            Err(e) if e.is_retryable() => continue,
            Err(e) => panic!("create {path}: {e}"),
        }
    };
    make(ROOT, b"root");
    for d in 0..DIRS {
        make(&format!("{ROOT}/d{d}"), b"");
    }
    let mut todo: Vec<usize> = (0..n).collect();
    while !todo.is_empty() {
        let mut again = Vec::new();
        for chunk in todo.chunks(200) {
            let (tx, rx) = channel();
            for &i in chunk {
                let tx = tx.clone();
                let path = format!("{ROOT}/d{}/n{i}", i % DIRS);
                c.create_async(
                    &path,
                    format!("v{i}").as_bytes(),
                    &plain,
                    false,
                    None,
                    Box::new(move |r| {
                        let _ = tx.send((i, r.map(|_| ())));
                    }),
                )
                .unwrap();
            }
            for _ in chunk {
                match rx.recv().unwrap() {
                    (_, Ok(())) | (_, Err(Error::NodeExists)) => {}
                    (i, Err(e)) if e.is_retryable() => again.push(i),
                    (i, Err(e)) => panic!("create leaf {i}: {e}"),
                }
            }
        }
        todo = again;
    }
}

/// Changes, creates and deletes leaves until told to stop; counts what the server
/// acknowledged.
fn writer(hosts: String, n: usize, stop: Arc<AtomicBool>, done: Arc<AtomicU64>) {
    let c = patient(&hosts);
    let plain = CreateOptions::default();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let t = Some(Duration::from_secs(2));
    while !stop.load(Ordering::SeqCst) {
        // xorshift: a fixed, cheap sequence of choices.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let i = (x % (n as u64 * 2)) as usize;
        let path = format!("{ROOT}/d{}/n{i}", i % DIRS);
        let r = match x % 3 {
            0 => c.set(&path, format!("w{x}").as_bytes(), -1, t).map(|_| ()),
            1 => c.delete(&path, -1, false, t),
            _ => c
                .create(&path, format!("c{x}").as_bytes(), &plain, false, t)
                .map(|_| ()),
        };
        match r {
            Ok(()) => {
                done.fetch_add(1, Ordering::SeqCst);
            }
            Err(Error::NoNode) | Err(Error::NodeExists) => {}
            Err(_) => thread::sleep(Duration::from_millis(20)),
        }
    }
}

#[test]
fn a_tree_cache_stays_true_through_failures_and_an_expiry() {
    let n = nodes();
    let mut cl = Cluster::start_with(3, &ClusterOpts::global_sessions());
    let hosts = cl.hosts().to_string();
    let admin = patient(&hosts);
    build_tree(&admin, n);

    let c = patient(&hosts);
    let (f, rx, all) = recorder();
    let t0 = Instant::now();
    let cache = TreeCache::new(&c, ROOT, TreeCacheOptions::default(), Some(f)).unwrap();
    cache.start().unwrap();
    until(&rx, TreeEventKind::Initialized);
    eprintln!(
        "faults_tree_cache: {} nodes loaded in {:?}",
        cache.len(),
        t0.elapsed()
    );
    assert_eq!(cache.len(), n + DIRS + 1);

    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let w = {
        let (h, s, d) = (hosts.clone(), stop.clone(), done.clone());
        thread::spawn(move || writer(h, n, s, d))
    };
    let settle = || thread::sleep(Duration::from_secs(2));
    settle();
    let leader = cl.leader();
    cl.kill(leader);
    settle();
    cl.restart(leader);
    settle();
    let follower = (1..=3).find(|&i| i != cl.leader()).unwrap();
    cl.pause(follower);
    thread::sleep(Duration::from_secs(3));
    cl.resume(follower);
    settle();
    // The cache's session ends: another connection takes it over and closes it.
    let id = c.client_id().unwrap();
    let mut o = options(&hosts);
    o.client_id = Some(id);
    let thief = start(o);
    thief.stop().unwrap();
    settle();
    let leader = cl.leader();
    cl.kill(leader);
    settle();
    cl.restart(leader);
    settle();
    stop.store(true, Ordering::SeqCst);
    w.join().unwrap();

    let fresh = patient(&hosts);
    let mut truth = Tree::new();
    wait_until(
        "the cache equals the server's tree",
        Duration::from_secs(60),
        || {
            truth = server_tree(&fresh, ROOT);
            cached(&cache) == truth
        },
    );
    assert_ne!(
        c.client_id().unwrap().session_id,
        id.session_id,
        "a new session"
    );
    // Every event is in the log once its listener call ended; wait for the last ones.
    wait_until(
        "the listener has seen every event",
        Duration::from_secs(10),
        || replay(&Tree::new(), &all.lock().unwrap()) == truth,
    );
    let evs = all.lock().unwrap().clone();
    let count = |k: TreeEventKind| evs.iter().filter(|e| e.kind == k).count();
    eprintln!(
        "faults_tree_cache: {} writes acknowledged; {} events: {} added, {} updated, {} \
         removed, {} suspended, {} reconnected, {} lost; {} nodes at the end",
        done.load(Ordering::SeqCst),
        evs.len(),
        count(TreeEventKind::NodeAdded),
        count(TreeEventKind::NodeUpdated),
        count(TreeEventKind::NodeRemoved),
        count(TreeEventKind::Suspended),
        count(TreeEventKind::Reconnected),
        count(TreeEventKind::Lost),
        truth.len()
    );
    assert_eq!(count(TreeEventKind::Initialized), 1);
    assert!(count(TreeEventKind::Lost) >= 1, "the expiry was reported");
    assert!(count(TreeEventKind::Reconnected) >= 1);
    assert!(done.load(Ordering::SeqCst) > 0, "the writer wrote");
}
