//! Session expiry on a three-server ensemble, both ways:
//! - a true server-side expiry: a second connection with the same session id and password
//!   (on another member) that then closes the session;
//! - a client-side expiry: every server paused for longer than the session timeout.
//!
//! Then the client makes a new session, unless expiry is final.
//!
//! The tests share one ensemble and take turns (a mutex); each heals it first.

mod common;
mod harness;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use common::{record_states, start, wait_for_state, DropCount, Proxy, WAIT};
use harness::{Cluster, ClusterOpts};
use zkclient::WatchFn;
use zkclient::{
    Client, ClientId, CreateOptions, Error, EventType, KeeperState, State, WatchedEvent,
};

const SUSPENDED: (State, KeeperState) = (State::Suspended, KeeperState::Connecting);
const CONNECTED: (State, KeeperState) = (State::Connected, KeeperState::Connected);
const EXPIRED: (State, KeeperState) = (State::Lost, KeeperState::ExpiredSession);

fn ensemble() -> MutexGuard<'static, Cluster> {
    static E: OnceLock<Mutex<Cluster>> = OnceLock::new();
    let m = E.get_or_init(|| Mutex::new(Cluster::start_with(3, &ClusterOpts::global_sessions())));
    let mut g = m.lock().unwrap_or_else(|e| e.into_inner());
    g.heal();
    g
}

fn fresh_root(c: &Client, name: &str) -> String {
    let r = format!("/fe-{name}");
    match c.delete(&r, -1, true, None) {
        Ok(()) | Err(Error::NoNode) => {}
        Err(e) => panic!("clearing {r}: {e}"),
    }
    c.create(&r, b"", &CreateOptions::default(), false, None)
        .unwrap();
    r
}

/// Every callback and drop of a set of watches, by watch index.
struct Watches {
    events: Receiver<(usize, WatchedEvent)>,
    calls: Arc<Vec<AtomicUsize>>,
    drops: Arc<Vec<AtomicUsize>>,
    tx: std::sync::mpsc::Sender<(usize, WatchedEvent)>,
}

impl Watches {
    fn new(n: usize) -> Watches {
        let (tx, events) = channel();
        Watches {
            events,
            calls: Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect()),
            drops: Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect()),
            tx,
        }
    }

    fn watch(&self, i: usize) -> WatchFn {
        let (calls, drops, tx) = (self.calls.clone(), self.drops.clone(), self.tx.clone());
        let guard = DropIndex(drops, i);
        Box::new(move |e| {
            let _keep = &guard;
            calls[i].fetch_add(1, Ordering::SeqCst);
            let _ = tx.send((i, e));
        })
    }

    fn counts(v: &[AtomicUsize]) -> Vec<usize> {
        v.iter().map(|a| a.load(Ordering::SeqCst)).collect()
    }
}

struct DropIndex(Arc<Vec<AtomicUsize>>, usize);

impl Drop for DropIndex {
    fn drop(&mut self) {
        self.0[self.1].fetch_add(1, Ordering::SeqCst);
    }
}

/// Arms 10 watches on `c` under `root`: 4 data, 3 exists on missing nodes, 3 child.
fn arm_ten(c: &Client, root: &str, w: &Watches) {
    for i in 0..10 {
        let p = format!("{root}/w{i}");
        match i {
            0..=3 => {
                c.create(&p, b"", &CreateOptions::default(), false, None)
                    .unwrap();
                c.get(&p, Some(w.watch(i)), None).unwrap();
            }
            4..=6 => assert_eq!(c.exists(&p, Some(w.watch(i)), None).unwrap(), None),
            _ => {
                c.create(&p, b"", &CreateOptions::default(), false, None)
                    .unwrap();
                c.get_children(&p, Some(w.watch(i)), false, None).unwrap();
            }
        }
    }
    assert_eq!(c.watch_count(), 10);
}

/// Every watch ended with exactly one (None, ExpiredSession) event and was dropped once.
fn assert_all_ended_by_expiry(w: &Watches, n: usize) {
    let mut seen = vec![0; n];
    for _ in 0..n {
        let (i, e) = w.events.recv_timeout(WAIT).expect("a terminal watch event");
        assert_eq!(
            (e.event_type, e.keeper_state, e.path.as_str()),
            (EventType::None, KeeperState::ExpiredSession, ""),
            "watch {i}"
        );
        seen[i] += 1;
    }
    assert_eq!(seen, vec![1; n], "one terminal event per watch");
    thread::sleep(Duration::from_millis(200));
    assert!(w.events.try_recv().is_err(), "no second event");
    assert_eq!(Watches::counts(&w.calls), vec![1; n]);
    assert_eq!(
        Watches::counts(&w.drops),
        vec![1; n],
        "each callback dropped once"
    );
}

/// Takes over session `id` on the servers `hosts`, then closes it: a true expiry.
fn expire_from_elsewhere(hosts: &str, id: ClientId) {
    let mut o = common::options(hosts);
    o.client_id = Some(id);
    let thief = start(o);
    assert_eq!(thief.client_id().unwrap().session_id, id.session_id);
    thief.stop().unwrap();
}

#[test]
fn a_session_closed_by_another_connection_expires_and_a_new_session_follows() {
    let cl = ensemble();
    let proxy = Proxy::start(
        "127.0.0.1:0",
        format!("127.0.0.1:{}", cl.server(1).port).parse().unwrap(),
    )
    .unwrap();
    let mut o = common::options(&proxy.hosts());
    o.session_timeout = Duration::from_secs(10); // no local expiry while cut off
    let c = Arc::new(start(o));
    let other = start(common::options(&cl.hosts_of(&[2, 3])));
    let r = fresh_root(&other, "server-side");
    let w = Watches::new(10);
    arm_ten(&c, &r, &w);
    let eph = format!("{r}/eph");
    c.create(
        &eph,
        b"",
        &CreateOptions {
            ephemeral: true,
            ..Default::default()
        },
        false,
        None,
    )
    .unwrap();
    let id = c.client_id().unwrap();
    let (_, states) = record_states(&c);

    proxy.cut();
    wait_for_state(&states, SUSPENDED, WAIT);
    // An async request made now waits for the reconnect; the session ends first.
    let (tx, async_done) = channel();
    let finalized = Arc::new(AtomicUsize::new(0));
    let guard = DropCount(finalized.clone());
    c.get_async(
        &r,
        None,
        Some(Duration::from_secs(30)),
        Box::new(move |res| {
            let _keep = &guard;
            let _ = tx.send(res.map(|_| ()));
        }),
    )
    .unwrap();
    expire_from_elsewhere(&cl.hosts_of(&[2]), id);
    other.sync(&r, None).unwrap();
    assert!(
        other.exists(&eph, None, None).unwrap().is_none(),
        "closing the session removed its ephemeral node"
    );
    proxy.unblock();

    let between = wait_for_state(&states, EXPIRED, WAIT);
    assert!(
        between.is_empty(),
        "between SUSPENDED and EXPIRED: {between:?}"
    );
    assert_eq!(
        async_done.recv_timeout(WAIT).expect("async completion"),
        Err(Error::SessionExpired)
    );
    assert_eq!(finalized.load(Ordering::SeqCst), 1);
    assert_all_ended_by_expiry(&w, 10);
    assert_eq!(c.watch_count(), 0);
    // kazoo's way: a new session at once.
    wait_for_state(&states, CONNECTED, WAIT);
    let now = c.client_id().unwrap();
    assert_ne!(now.session_id, id.session_id, "a new session");
    c.create(&eph, b"", &CreateOptions::default(), false, None)
        .unwrap();
}

#[test]

fn blocking_calls_waiting_for_the_reconnect_fail_when_the_session_expires() {
    let cl = ensemble();
    let proxy = Proxy::start(
        "127.0.0.1:0",
        format!("127.0.0.1:{}", cl.server(1).port).parse().unwrap(),
    )
    .unwrap();
    let mut o = common::options(&proxy.hosts());
    o.session_timeout = Duration::from_secs(10);
    let c = Arc::new(start(o));
    let r = fresh_root(&c, "waiting-calls");
    let n = format!("{r}/n");
    c.create(&n, b"old", &CreateOptions::default(), false, None)
        .unwrap();
    let id = c.client_id().unwrap();
    let (_, states) = record_states(&c);

    proxy.cut();
    wait_for_state(&states, SUSPENDED, WAIT);
    let (tx, rx) = channel();
    for op in ["get", "set"] {
        let (c, n, tx) = (c.clone(), n.clone(), tx.clone());
        thread::spawn(move || {
            let t = Some(Duration::from_secs(30));
            let r = match op {
                "get" => c.get(&n, None, t).map(|_| ()),
                _ => c.set(&n, b"made for the old session", -1, t).map(|_| ()),
            };
            let _ = tx.send((op, r));
        });
    }
    thread::sleep(Duration::from_millis(300));
    expire_from_elsewhere(&cl.hosts_of(&[2]), id);
    proxy.unblock();
    wait_for_state(&states, EXPIRED, WAIT);
    let mut got: Vec<_> = (0..2)
        .map(|_| rx.recv_timeout(WAIT).expect("the call returned"))
        .collect();
    got.sort_by_key(|(op, _)| *op);
    // What kazoo does, and what this client does for the same calls made async: the
    // calls belonged to the session that ended, so they end with it.
    assert_eq!(
        got,
        vec![
            ("get", Err(Error::SessionExpired)),
            ("set", Err(Error::SessionExpired))
        ]
    );
    assert_eq!(c.get(&n, None, None).unwrap().0, b"old");
}

#[test]
fn with_expiry_final_a_server_side_expiry_stays_expired() {
    let cl = ensemble();
    let mut o = common::options(&cl.hosts_of(&[1]));
    o.expiry_final = true;
    let c = start(o);
    let other = start(common::options(&cl.hosts_of(&[2, 3])));
    let r = fresh_root(&other, "final");
    let w = Watches::new(10);
    arm_ten(&c, &r, &w);
    let id = c.client_id().unwrap();
    let (_, states) = record_states(&c);

    // The member this client is on closes its connection when the session closes.
    expire_from_elsewhere(&cl.hosts_of(&[2]), id);
    wait_for_state(&states, EXPIRED, WAIT);
    assert_all_ended_by_expiry(&w, 10);
    let t = Instant::now();
    assert_eq!(
        c.get(&r, None, None).map(|_| ()),
        Err(Error::SessionExpired)
    );
    assert_eq!(
        c.create(
            &format!("{r}/x"),
            b"",
            &CreateOptions::default(),
            false,
            None
        )
        .map(|_| ()),
        Err(Error::SessionExpired)
    );
    let (tx, rx) = channel();
    c.exists_async(
        &r,
        None,
        None,
        Box::new(move |res| {
            let _ = tx.send(res.map(|_| ()));
        }),
    )
    .unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), Err(Error::SessionExpired));
    assert!(t.elapsed() < Duration::from_millis(500), "refused at once");
    thread::sleep(Duration::from_millis(1500));
    assert_eq!(c.keeper_state(), KeeperState::ExpiredSession);
    assert_eq!(c.state(), State::Lost);
    assert_eq!(c.client_id(), None);
    let later: Vec<_> = states.try_iter().collect();
    assert!(
        later.is_empty(),
        "no reconnect after a final expiry: {later:?}"
    );
    assert_eq!(c.watch_count(), 0);
}

#[test]
fn every_server_paused_past_the_session_timeout_expires_the_session_on_the_client() {
    let cl = ensemble();
    let mut o = common::options(cl.hosts());
    o.session_timeout = Duration::from_secs(2);
    let c = start(o);
    let timeout = c.negotiated_timeout();
    assert_eq!(timeout, Duration::from_secs(2));
    let r = fresh_root(&c, "client-side");
    let w = Watches::new(10);
    arm_ten(&c, &r, &w);
    let id = c.client_id().unwrap();
    let (_, states) = record_states(&c);

    let paused = Instant::now();
    for i in 1..=3 {
        cl.pause(i);
    }
    let seen = wait_for_state(&states, EXPIRED, Duration::from_secs(15));
    let after = paused.elapsed();
    assert_eq!(seen, vec![SUSPENDED], "SUSPENDED, then EXPIRED");
    // Not before the session timeout; not long after the connection was found dead
    // (two thirds of it) plus the timeout plus one connect attempt.
    assert!(
        after > timeout && after < timeout * 2 + Duration::from_secs(2),
        "expired {after:?} after the pause (timeout {timeout:?})"
    );
    assert_all_ended_by_expiry(&w, 10);
    assert_eq!(c.client_id(), None);
    for i in 1..=3 {
        cl.resume(i);
    }
    wait_for_state(&states, CONNECTED, Duration::from_secs(40));
    assert_ne!(c.client_id().unwrap().session_id, id.session_id);
    c.sync("/", None).unwrap();
    c.get(&r, None, None).unwrap();
}
