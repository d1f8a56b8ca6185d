//! Watches restored after the session moves to another member: the server the client is on
//! is stopped, another client changes 100 of its 10,000 watched nodes meanwhile, then the
//! stopped server is killed. On the member it moves to, the client sets every watch again
//! with SetWatches relative to the last zxid it saw, so exactly those 100 fire (each with
//! the event its change means) and the other 9,900 stay armed, to fire on later changes.
//!
//! The servers run with jute.maxbuffer at 192 KiB and the watched paths total about
//! 340 KB: a replay that did not split SetWatches into batches of at most 128 KiB of paths
//! would be refused by the server on every reconnect.

mod common;
mod harness;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{record_states, server_port, start, wait_for_state, DropCount, WAIT};
use harness::{Cluster, ClusterOpts};
use zkclient::multi::{Op, OpResult};
use zkclient::{Client, CreateOptions, EventType, KeeperState, State, WatchedEvent};

const N: usize = 10_000;
const JUTE_MAX: usize = 192 * 1024;

fn path(i: usize) -> String {
    // 30-character names: 34-byte paths.
    format!("/fw/{i:05}-{}", "w".repeat(24))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// get() on an existing node.
    Data,
    /// exists() on a missing node.
    Exist,
    /// get_children() on an existing node.
    Child,
}

fn kind(i: usize) -> Kind {
    match i % 10 {
        0..=5 => Kind::Data,
        6 | 7 => Kind::Exist,
        _ => Kind::Child,
    }
}

/// The change that fires watch `i`, and the event it fires. `delete` picks, for a data
/// watch, deleting the node instead of setting it.
fn change(i: usize, delete: bool) -> (Op, EventType) {
    match (kind(i), delete) {
        (Kind::Data, false) => (
            Op::Set {
                path: path(i),
                data: b"changed".to_vec(),
                version: -1,
            },
            EventType::NodeDataChanged,
        ),
        (Kind::Data, true) => (
            Op::Delete {
                path: path(i),
                version: -1,
            },
            EventType::NodeDeleted,
        ),
        (Kind::Exist, _) => (Op::create(path(i), b"".to_vec()), EventType::NodeCreated),
        (Kind::Child, _) => (
            Op::create(format!("{}/c", path(i)), b"".to_vec()),
            EventType::NodeChildrenChanged,
        ),
    }
}

/// Applies `ops` in transactions small enough for the servers' jute.maxbuffer.
fn apply(c: &Client, ops: Vec<Op>) {
    for chunk in ops.chunks(400) {
        let res = c.multi(chunk, Some(Duration::from_secs(30))).unwrap();
        assert!(
            res.iter()
                .all(|r| !matches!(r, OpResult::Failed(_) | OpResult::RolledBack)),
            "transaction failed: {:?}",
            res.iter().find(|r| matches!(r, OpResult::Failed(_)))
        );
    }
}

/// Waits for `n` watch events; panics after `timeout`.
fn collect(
    rx: &Receiver<(usize, WatchedEvent)>,
    n: usize,
    timeout: Duration,
) -> BTreeMap<usize, WatchedEvent> {
    let deadline = Instant::now() + timeout;
    let mut got = BTreeMap::new();
    while got.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        let (i, e) = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("{} of {n} watch events within {timeout:?}", got.len()));
        assert!(got.insert(i, e).is_none(), "watch {i} fired twice");
    }
    got
}

/// The paths `wchc` on server `id` lists for session `sid`. The server lists its data-watch
/// table only, where exists() watches go too: child watches are not counted.
fn server_watches(cl: &Cluster, id: usize, sid: i64) -> usize {
    let text = cl.try_four_letter(id, "wchc").unwrap();
    let header = format!("0x{sid:x}");
    let mut lines = text.lines().skip_while(|l| l.trim() != header);
    lines.next().expect("our session in wchc");
    lines.take_while(|l| l.starts_with('\t')).count()
}

#[test]
fn ten_thousand_watches_move_with_the_session_and_changes_made_meanwhile_fire() {
    assert!(N * path(0).len() > JUTE_MAX + JUTE_MAX / 2);
    let mut opts = ClusterOpts::global_sessions();
    opts.jvm_flags = vec![format!("-Djute.maxbuffer={JUTE_MAX}")];
    let mut cl = Cluster::start_with(3, &opts);
    let leader = cl.leader();
    let x = (1..=3).find(|&i| i != leader).unwrap();
    let y = (1..=3).find(|&i| i != leader && i != x).unwrap();
    // The client starts on follower x and moves to y; `other` stays on y.
    let mut o = common::options(&cl.hosts_of(&[x, y, leader]));
    o.randomize_hosts = false;
    o.session_timeout = Duration::from_secs(10);
    let c = Arc::new(start(o));
    assert_eq!(server_port(&c), cl.server(x).port);
    let other = start(common::options(&cl.hosts_of(&[y])));

    other
        .create("/fw", b"", &CreateOptions::default(), false, None)
        .unwrap();
    apply(
        &other,
        (0..N)
            .filter(|&i| kind(i) != Kind::Exist)
            .map(|i| Op::create(path(i), b"".to_vec()))
            .collect(),
    );
    c.sync("/fw", None).unwrap();

    let (tx, events) = channel();
    let calls = Arc::new(AtomicUsize::new(0));
    let drops = Arc::new(AtomicUsize::new(0));
    let armers: Vec<_> = (0..8)
        .map(|t| {
            let (c, tx, calls, drops) = (c.clone(), tx.clone(), calls.clone(), drops.clone());
            thread::spawn(move || {
                for i in (t..N).step_by(8) {
                    let (tx, calls, guard) = (tx.clone(), calls.clone(), DropCount(drops.clone()));
                    let f = Box::new(move |e: WatchedEvent| {
                        let _keep = &guard;
                        calls.fetch_add(1, Ordering::SeqCst);
                        let _ = tx.send((i, e));
                    });
                    let p = path(i);
                    match kind(i) {
                        Kind::Data => c.get(&p, Some(f), None).map(|_| ()).unwrap(),
                        Kind::Exist => assert_eq!(c.exists(&p, Some(f), None).unwrap(), None),
                        Kind::Child => c
                            .get_children(&p, Some(f), false, None)
                            .map(|_| ())
                            .unwrap(),
                    }
                }
            })
        })
        .collect();
    for a in armers {
        a.join().expect("arming thread");
    }
    drop(tx);
    assert_eq!(c.watch_count(), N);
    let sid = c.client_id().unwrap().session_id;
    let not_child = |i: &usize| kind(*i) != Kind::Child;
    assert_eq!(
        server_watches(&cl, x, sid),
        (0..N).filter(not_child).count()
    );

    // 100 changes, 25 of each sort, spread over the whole list.
    let by_kind = |k: Kind| (0..N).filter(move |&i| kind(i) == k);
    let mut away: BTreeMap<usize, (Op, EventType)> = BTreeMap::new();
    for i in by_kind(Kind::Data).step_by(240).take(25) {
        away.insert(i, change(i, false));
    }
    for i in by_kind(Kind::Data).skip(120).step_by(240).take(25) {
        away.insert(i, change(i, true));
    }
    for i in by_kind(Kind::Exist).step_by(80).take(25) {
        away.insert(i, change(i, false));
    }
    for i in by_kind(Kind::Child).step_by(80).take(25) {
        away.insert(i, change(i, false));
    }
    assert_eq!(away.len(), 100);
    let (_, states) = record_states(&c);

    // Away: x stops, the changes are made through y, then x dies.
    cl.pause(x);
    apply(&other, away.values().map(|(op, _)| op.clone()).collect());
    thread::sleep(Duration::from_millis(200));
    assert!(
        events.try_recv().is_err(),
        "nothing reaches a client on a stopped server"
    );
    cl.kill(x);
    wait_for_state(&states, (State::Suspended, KeeperState::Connecting), WAIT);
    wait_for_state(
        &states,
        (State::Connected, KeeperState::Connected),
        Duration::from_secs(10),
    );
    assert_eq!(c.client_id().unwrap().session_id, sid, "same session");
    assert_eq!(server_port(&c), cl.server(y).port);

    let fired = collect(&events, away.len(), Duration::from_secs(20));
    thread::sleep(Duration::from_secs(1));
    assert!(
        events.try_recv().is_err(),
        "only the watches of nodes changed while away fire"
    );
    assert_eq!(
        fired.keys().collect::<Vec<_>>(),
        away.keys().collect::<Vec<_>>()
    );
    for (i, e) in &fired {
        let want = away[i].1;
        assert_eq!(
            (e.event_type, e.keeper_state, e.path.as_str()),
            (want, KeeperState::Connected, path(*i).as_str()),
            "watch {i} ({:?})",
            kind(*i)
        );
    }
    assert_eq!(c.watch_count(), N - away.len());
    assert_eq!(
        server_watches(&cl, y, sid),
        (0..N)
            .filter(|i| !away.contains_key(i))
            .filter(not_child)
            .count(),
        "every watch still armed was set again on the new server"
    );

    // The other 9,900 were armed again on y: change them, each fires once.
    let rest: Vec<usize> = (0..N).filter(|i| !away.contains_key(i)).collect();
    apply(&other, rest.iter().map(|&i| change(i, false).0).collect());
    let fired = collect(&events, rest.len(), Duration::from_secs(60));
    assert_eq!(fired.keys().copied().collect::<Vec<_>>(), rest);
    for (i, e) in &fired {
        assert_eq!(
            (e.event_type, e.path.as_str()),
            (change(*i, false).1, path(*i).as_str()),
            "watch {i}"
        );
    }
    thread::sleep(Duration::from_millis(300));
    assert!(events.try_recv().is_err(), "no watch fired twice");
    assert_eq!(c.watch_count(), 0);
    assert_eq!(calls.load(Ordering::SeqCst), N);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        N,
        "every callback dropped once"
    );
}
