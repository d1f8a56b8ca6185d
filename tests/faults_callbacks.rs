//! Callbacks that call back into the client while the session fails over on a three-server
//! ensemble: a watch callback's blocking calls wait out the failover and get their replies;
//! `close` from a callback during a failover returns and ends every other watch once; a
//! stop after a failover gives each of 1,000 restored watches one terminal event.
//!
//! The tests share one ensemble and take turns (a mutex); each heals it first.

mod common;
mod harness;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use common::{record_states, server_port, start, wait_for_state, wait_until, DropCount, WAIT};
use harness::{Cluster, ClusterOpts};
use zkclient::WatchFn;
use zkclient::{Client, CreateOptions, Error, EventType, KeeperState, State, WatchedEvent};

fn ensemble() -> MutexGuard<'static, Cluster> {
    static E: OnceLock<Mutex<Cluster>> = OnceLock::new();
    let m = E.get_or_init(|| Mutex::new(Cluster::start_with(3, &ClusterOpts::global_sessions())));
    let mut g = m.lock().unwrap_or_else(|e| e.into_inner());
    g.heal();
    g
}

fn follower(cl: &Cluster) -> usize {
    let l = cl.leader();
    (1..=3).find(|&i| i != l).unwrap()
}

/// A client on follower `f` first, the other members after it.
fn pinned(cl: &Cluster, f: usize) -> Arc<Client> {
    let mut ids = vec![f];
    ids.extend((1..=3).filter(|&i| i != f));
    let mut o = common::options(&cl.hosts_of(&ids));
    o.randomize_hosts = false;
    let c = start(o);
    assert_eq!(server_port(&c), cl.server(f).port);
    Arc::new(c)
}

fn fresh_root(c: &Client, name: &str) -> String {
    let r = format!("/fc-{name}");
    match c.delete(&r, -1, true, None) {
        Ok(()) | Err(Error::NoNode) => {}
        Err(e) => panic!("clearing {r}: {e}"),
    }
    c.create(&r, b"", &CreateOptions::default(), false, None)
        .unwrap();
    r
}

/// `n` watches that send their events to one channel, and their drop counter.
fn counted_watches(n: usize) -> (Vec<WatchFn>, Receiver<WatchedEvent>, Arc<AtomicUsize>) {
    let (tx, rx) = channel();
    let drops = Arc::new(AtomicUsize::new(0));
    let fs = (0..n)
        .map(|_| {
            let (tx, guard) = (tx.clone(), DropCount(drops.clone()));
            Box::new(move |e: WatchedEvent| {
                let _keep = &guard;
                let _ = tx.send(e);
            }) as WatchFn
        })
        .collect();
    (fs, rx, drops)
}

/// Arms `fs` on `c`: data, exists (missing node) and child watches in turn.
fn arm(c: &Client, root: &str, fs: Vec<WatchFn>) {
    for (i, f) in fs.into_iter().enumerate() {
        let p = format!("{root}/n{i}");
        match i % 3 {
            0 => {
                c.create(&p, b"", &CreateOptions::default(), false, None)
                    .unwrap();
                c.get(&p, Some(f), None).unwrap();
            }
            1 => assert_eq!(c.exists(&p, Some(f), None).unwrap(), None),
            _ => {
                c.create(&p, b"", &CreateOptions::default(), false, None)
                    .unwrap();
                c.get_children(&p, Some(f), false, None).unwrap();
            }
        }
    }
}

fn assert_all_closed(rx: &Receiver<WatchedEvent>, drops: &AtomicUsize, n: usize) {
    for i in 0..n {
        let e = rx
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("{i} of {n} terminal events"));
        assert_eq!(
            (e.event_type, e.keeper_state),
            (EventType::None, KeeperState::Closed)
        );
    }
    thread::sleep(Duration::from_millis(200));
    assert!(rx.try_recv().is_err(), "one event per watch");
    assert_eq!(
        drops.load(Ordering::SeqCst),
        n,
        "each callback dropped once"
    );
}

#[test]
fn a_watch_callback_blocking_through_a_failover_gets_its_replies() {
    let cl = ensemble();
    let f = follower(&cl);
    let c = pinned(&cl, f);
    let other = start(common::options(&cl.hosts_of(&[cl.leader()])));
    let r = fresh_root(&other, "blocking");
    let n = format!("{r}/n");
    other
        .create(&n, b"0", &CreateOptions::default(), false, None)
        .unwrap();
    c.sync(&n, None).unwrap();
    let id = c.client_id().unwrap();
    let (_, states) = record_states(&c);

    let (entered_tx, entered) = channel();
    let (go, go_rx) = channel::<()>();
    let (result_tx, results) = channel();
    let cb = {
        let (c, n) = (c.clone(), n.clone());
        Box::new(move |e: WatchedEvent| {
            let _ = entered_tx.send(e.event_type);
            go_rx.recv_timeout(Duration::from_secs(20)).unwrap();
            // Sent to a stopped server: lost with the connection, retried on the next one.
            let got = c.get(&n, None, Some(Duration::from_secs(20)));
            let set = c.set(&n, b"from the callback", -1, Some(Duration::from_secs(20)));
            let _ = result_tx.send((got.map(|(d, _)| d), set.map(|_| ())));
        })
    };
    c.get(&n, Some(cb), None).unwrap();
    other.set(&n, b"1", -1, None).unwrap();
    assert_eq!(
        entered.recv_timeout(WAIT).unwrap(),
        EventType::NodeDataChanged
    );

    cl.pause(f);
    let t = Instant::now();
    go.send(()).unwrap();
    let (got, set) = results
        .recv_timeout(Duration::from_secs(20))
        .expect("the callback's calls returned");
    assert_eq!(got, Ok(b"1".to_vec()));
    assert_eq!(set, Ok(()));
    eprintln!("callback's calls done {:?} into the failover", t.elapsed());
    // The state changes waited behind the callback, in order.
    wait_for_state(&states, (State::Suspended, KeeperState::Connecting), WAIT);
    wait_for_state(&states, (State::Connected, KeeperState::Connected), WAIT);
    assert_eq!(c.client_id(), Some(id));
    assert_ne!(cl.id_of_port(server_port(&c)), Some(f));
    assert_eq!(other.get(&n, None, None).unwrap().0, b"from the callback");
}

#[test]
fn close_from_a_callback_during_a_failover_returns_and_ends_every_other_watch() {
    let mut cl = ensemble();
    let f = follower(&cl);
    let c = pinned(&cl, f);
    let other = start(common::options(&cl.hosts_of(&[cl.leader()])));
    let r = fresh_root(&other, "close");
    let (fs, rx, drops) = counted_watches(10);
    arm(&c, &r, fs);
    let n = format!("{r}/trigger");
    other
        .create(&n, b"", &CreateOptions::default(), false, None)
        .unwrap();
    c.sync(&n, None).unwrap();

    let (entered_tx, entered) = channel();
    let (go, go_rx) = channel::<()>();
    let (closed_tx, closed) = channel();
    let cb = {
        let c = Arc::downgrade(&c);
        Box::new(move |_: WatchedEvent| {
            let _ = entered_tx.send(());
            go_rx.recv_timeout(Duration::from_secs(20)).unwrap();
            let t = Instant::now();
            if let Some(c) = c.upgrade() {
                c.close();
            }
            let _ = closed_tx.send(t.elapsed());
        })
    };
    c.get(&n, Some(cb), None).unwrap();
    other.set(&n, b"x", -1, None).unwrap();
    entered.recv_timeout(WAIT).unwrap();

    cl.kill(f); // the client is reconnecting while the callback closes it
    go.send(()).unwrap();
    let took = closed
        .recv_timeout(Duration::from_secs(10))
        .expect("close() inside the callback returned");
    assert!(took < Duration::from_secs(5), "close took {took:?}");
    assert_all_closed(&rx, &drops, 10);
    assert_eq!(c.keeper_state(), KeeperState::Closed);
    assert_eq!(c.watch_count(), 0);
    assert_eq!(c.get(&n, None, None).map(|_| ()), Err(Error::Closed));
}

#[test]
fn stop_after_a_failover_ends_each_of_a_thousand_restored_watches_once() {
    let mut cl = ensemble();
    let f = follower(&cl);
    let c = pinned(&cl, f);
    let r = fresh_root(&c, "thousand");
    let (fs, rx, drops) = counted_watches(1000);
    arm(&c, &r, fs);
    let id = c.client_id().unwrap();
    let (_, states) = record_states(&c);

    cl.kill(f);
    wait_for_state(&states, (State::Connected, KeeperState::Connected), WAIT);
    assert_eq!(c.client_id(), Some(id));
    assert_eq!(c.watch_count(), 1000);
    // Restored on the new member: a change there still fires one of them.
    c.set(&format!("{r}/n0"), b"x", -1, None).unwrap();
    let e = rx.recv_timeout(WAIT).unwrap();
    assert_eq!(e.event_type, EventType::NodeDataChanged);
    // The callback is dropped on the event thread after its send returns: wait for it.
    wait_until("the fired watch dropped", WAIT, || {
        drops.load(Ordering::SeqCst) >= 1
    });
    assert_eq!(drops.load(Ordering::SeqCst), 1);

    c.stop().unwrap();
    assert_eq!(c.watch_count(), 0);
    for i in 0..999 {
        let e = rx
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("{i} of 999 terminal events"));
        assert_eq!(
            (e.event_type, e.keeper_state),
            (EventType::None, KeeperState::Closed)
        );
    }
    thread::sleep(Duration::from_millis(200));
    assert!(rx.try_recv().is_err(), "one event per watch");
    assert_eq!(drops.load(Ordering::SeqCst), 1000);
}
