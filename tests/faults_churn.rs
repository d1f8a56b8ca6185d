//! Leader churn: the leader of a three-server ensemble is killed four times (and restarted
//! each time) while eight threads on two clients write: sequential creates and sets, each
//! with a watch armed first. Every write acknowledged with OK is there at the end (a set's
//! node holds the last acknowledged value, or that of a later attempt whose reply was
//! lost); every wait is bounded; every watch callback is dropped exactly once.

mod common;
mod harness;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{start, DropCount};
use harness::{Cluster, ClusterOpts};
use zkclient::{Client, CreateOptions, Error};

const WRITERS: usize = 8;
const ROUNDS: usize = 4;

/// What one writer was told.
#[derive(Default)]
struct Tally {
    /// Sequential nodes created with OK, and the value written.
    created: Vec<(String, u64)>,
    /// Value of the last set answered OK, and of the last set tried.
    last_acked_set: u64,
    last_tried_set: u64,
    errors: BTreeMap<String, usize>,
}

fn writer(
    c: Arc<Client>,
    k: usize,
    stop: Arc<AtomicBool>,
    armed: Arc<AtomicUsize>,
    dropped: Arc<AtomicUsize>,
) -> Tally {
    let node = format!("/churn/w{k}");
    let mut t = Tally::default();
    let mut j = 0u64;
    let note = |t: &mut Tally, e: Error| *t.errors.entry(format!("{e:?}")).or_default() += 1;
    while !stop.load(Ordering::SeqCst) {
        j += 1;
        let guard = DropCount(dropped.clone());
        armed.fetch_add(1, Ordering::SeqCst);
        if let Err(e) = c.exists(&node, Some(Box::new(move |_| drop(guard))), None) {
            note(&mut t, e);
        }
        let seq = CreateOptions {
            sequence: true,
            ..Default::default()
        };
        match c.create(
            &format!("{node}/s-"),
            j.to_string().as_bytes(),
            &seq,
            false,
            None,
        ) {
            Ok(made) => t.created.push((made.path, j)),
            Err(e) => note(&mut t, e),
        }
        t.last_tried_set = j;
        match c.set(&node, j.to_string().as_bytes(), -1, None) {
            Ok(_) => t.last_acked_set = j,
            Err(e) => note(&mut t, e),
        }
    }
    t
}

#[test]
fn acknowledged_writes_survive_four_leader_kills() {
    let mut cl = Cluster::start_with(3, &ClusterOpts::global_sessions());
    let clients: Vec<Arc<Client>> = (0..2)
        .map(|_| {
            let mut o = common::options(cl.hosts());
            o.session_timeout = Duration::from_secs(10);
            Arc::new(start(o))
        })
        .collect();
    clients[0]
        .create("/churn", b"", &CreateOptions::default(), false, None)
        .unwrap();
    for k in 0..WRITERS {
        clients[0]
            .create(
                &format!("/churn/w{k}"),
                b"0",
                &CreateOptions::default(),
                false,
                None,
            )
            .unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let (armed, dropped) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (tx, rx) = channel();
    for k in 0..WRITERS {
        let (c, stop, armed, dropped, tx) = (
            clients[k % 2].clone(),
            stop.clone(),
            armed.clone(),
            dropped.clone(),
            tx.clone(),
        );
        thread::spawn(move || {
            let _ = tx.send((k, writer(c, k, stop, armed, dropped)));
        });
    }

    thread::sleep(Duration::from_millis(500));
    let mut elections = Vec::new();
    for _ in 0..ROUNDS {
        let old = cl.leader();
        let t = Instant::now();
        cl.kill(old);
        let new = cl.leader();
        assert_ne!(new, old);
        elections.push(t.elapsed());
        cl.restart(old);
        thread::sleep(Duration::from_millis(700));
    }
    stop.store(true, Ordering::SeqCst);
    let mut tallies: Vec<(usize, Tally)> = (0..WRITERS)
        .map(|_| {
            rx.recv_timeout(Duration::from_secs(30))
                .expect("a writer ended")
        })
        .collect();
    tallies.sort_by_key(|(k, _)| *k);

    let check = start(common::options(cl.hosts()));
    check.sync("/churn", None).unwrap();
    let (mut acked, mut found) = (0, 0);
    let mut missing = Vec::new();
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for (k, t) in &tallies {
        let node = format!("/churn/w{k}");
        let children: HashSet<String> = check
            .get_children(&node, None, false, None)
            .unwrap()
            .0
            .into_iter()
            .collect();
        for (p, j) in &t.created {
            acked += 1;
            let name = p.rsplit('/').next().unwrap();
            if !children.contains(name) {
                missing.push(p.clone());
                continue;
            }
            assert_eq!(
                check.get(p, None, None).unwrap().0,
                j.to_string().as_bytes()
            );
            found += 1;
        }
        let v: u64 = String::from_utf8(check.get(&node, None, None).unwrap().0)
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            v >= t.last_acked_set && v <= t.last_tried_set,
            "{node} holds {v}; last acknowledged {}, last tried {}",
            t.last_acked_set,
            t.last_tried_set
        );
        if t.last_acked_set > 0 {
            acked += 1;
            found += 1;
        }
        for (e, n) in &t.errors {
            *errors.entry(e.clone()).or_default() += n;
        }
    }
    eprintln!(
        "churn: {ROUNDS} leader kills (new leader after {elections:.1?}); acknowledged \
         creates+sets checked {acked}, found {found}; failed writes {errors:?}"
    );
    assert!(
        missing.is_empty(),
        "acknowledged creates missing: {missing:?}"
    );
    assert!(acked >= 200, "too few writes to prove anything: {acked}");

    for c in &clients {
        c.stop().unwrap();
        assert_eq!(c.watch_count(), 0);
    }
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        armed.load(Ordering::SeqCst),
        "every watch callback dropped once"
    );
}
