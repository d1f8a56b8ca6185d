//! A server lost under a client, on a three-server ensemble: killed (SIGKILL) or paused
//! (SIGSTOP). The client goes SUSPENDED, what it had in flight fails with CONNECTIONLOSS,
//! calls made meanwhile wait for the reconnect or their own deadline, and the session (with
//! its ephemeral nodes) moves to another member within the session timeout. Also `set_hosts`
//! moving a connected client to other members.
//!
//! The tests share one ensemble and take turns (a mutex); each heals it (resumes paused
//! servers, restarts killed ones) before it starts.

mod common;
mod harness;

use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use common::{record_states, server_port, start, wait_for_state, WAIT};
use harness::{Cluster, ClusterOpts};
use zkclient::{Client, CreateOptions, Error, KeeperState, Options, RetryPolicy, State};

const SUSPENDED: (State, KeeperState) = (State::Suspended, KeeperState::Connecting);
const CONNECTED: (State, KeeperState) = (State::Connected, KeeperState::Connected);

/// A call to make on another thread.
type Call = Box<dyn FnOnce(&Client) -> Result<(), Error> + Send>;

fn ensemble() -> MutexGuard<'static, Cluster> {
    static E: OnceLock<Mutex<Cluster>> = OnceLock::new();
    let m = E.get_or_init(|| Mutex::new(Cluster::start_with(3, &ClusterOpts::global_sessions())));
    let mut g = m.lock().unwrap_or_else(|e| e.into_inner());
    g.heal();
    g
}

/// A server that is not the leader: losing it leaves a working quorum, no election.
fn follower(cl: &Cluster) -> usize {
    let l = cl.leader();
    (1..=3).find(|&i| i != l).unwrap()
}

fn others(of: usize) -> Vec<usize> {
    (1..=3).filter(|&i| i != of).collect()
}

/// A client on server `first` (the host list starts there and is not shuffled), with the
/// other members after it.
fn pinned(cl: &Cluster, first: usize, tune: impl FnOnce(&mut Options)) -> Client {
    let mut ids = vec![first];
    ids.extend(others(first));
    let mut o = common::options(&cl.hosts_of(&ids));
    o.randomize_hosts = false;
    tune(&mut o);
    let c = start(o);
    assert_eq!(
        server_port(&c),
        cl.server(first).port,
        "pinned to server {first}"
    );
    c
}

/// A fresh, empty `/ff-<name>`.
fn fresh_root(c: &Client, name: &str) -> String {
    let r = format!("/ff-{name}");
    match c.delete(&r, -1, true, None) {
        Ok(()) | Err(Error::NoNode) => {}
        Err(e) => panic!("clearing {r}: {e}"),
    }
    c.create(&r, b"", &CreateOptions::default(), false, None)
        .unwrap();
    r
}

fn ephemeral() -> CreateOptions<'static> {
    CreateOptions {
        ephemeral: true,
        ..Default::default()
    }
}

#[test]
fn a_killed_server_suspends_the_client_and_its_session_moves_with_its_ephemerals() {
    let mut cl = ensemble();
    let f = follower(&cl);
    let c = Arc::new(pinned(&cl, f, |_| {}));
    let other = start(common::options(&cl.hosts_of(&others(f))));
    let r = fresh_root(&other, "kill");
    let (eph, n) = (format!("{r}/eph"), format!("{r}/n"));
    c.create(&eph, b"", &ephemeral(), false, None).unwrap();
    c.create(&n, b"before", &CreateOptions::default(), false, None)
        .unwrap();
    let id = c.client_id().unwrap();
    let timeout = c.negotiated_timeout();
    let (_, states) = record_states(&c);

    // A write sent to a stopped server sits unread in its socket: in flight at the kill.
    cl.pause(f);
    let setter = {
        let (c, n) = (c.clone(), n.clone());
        thread::spawn(move || {
            let r = c.set(&n, b"lost", -1, Some(WAIT));
            (r, Instant::now())
        })
    };
    thread::sleep(Duration::from_millis(300));
    assert!(
        !setter.is_finished(),
        "no reply can come from a stopped server"
    );
    let killed = Instant::now();
    cl.kill(f);
    let (res, failed_at) = setter.join().unwrap();
    assert_eq!(res.map(|_| ()), Err(Error::ConnectionLoss));
    assert!(
        failed_at >= killed && failed_at - killed < Duration::from_secs(2),
        "failed {:?} after the kill",
        failed_at.saturating_duration_since(killed)
    );

    wait_for_state(&states, SUSPENDED, WAIT);
    let between = wait_for_state(&states, CONNECTED, timeout);
    assert!(
        between.is_empty(),
        "between SUSPENDED and CONNECTED: {between:?}"
    );
    assert!(
        killed.elapsed() < timeout,
        "reconnected {:?} after the kill (timeout {timeout:?})",
        killed.elapsed()
    );
    assert_eq!(c.client_id(), Some(id), "same session");
    let now_on = cl.id_of_port(server_port(&c)).unwrap();
    assert_ne!(now_on, f);
    // Seen from a client on another member: the session and its ephemeral node live on,
    // and the write that was in flight was never applied (the server never read it).
    other.sync(&r, None).unwrap();
    let st = other
        .exists(&eph, None, None)
        .unwrap()
        .expect("ephemeral kept");
    assert_eq!(st.ephemeral_owner, id.session_id);
    assert_eq!(other.get(&n, None, None).unwrap().0, b"before");
    // And the client works on its new server.
    c.set(&n, b"after", -1, None).unwrap();
    assert_eq!(other.get(&n, None, None).unwrap().0, b"after");
}

#[test]
fn a_paused_server_is_left_within_the_session_timeout_and_the_read_in_flight_fails() {
    let cl = ensemble();
    let f = follower(&cl);
    let c = Arc::new(pinned(&cl, f, |o| o.command_retry = RetryPolicy::none()));
    let other = start(common::options(&cl.hosts_of(&others(f))));
    let r = fresh_root(&other, "pause");
    let eph = format!("{r}/eph");
    c.create(&eph, b"", &ephemeral(), false, None).unwrap();
    let id = c.client_id().unwrap();
    let timeout = c.negotiated_timeout();
    let (_, states) = record_states(&c);

    cl.pause(f);
    let paused = Instant::now();
    let getter = {
        let (c, r) = (c.clone(), r.clone());
        thread::spawn(move || (c.get(&r, None, Some(WAIT)), Instant::now()))
    };
    let (got, failed_at) = getter.join().unwrap();
    assert_eq!(got.map(|_| ()), Err(Error::ConnectionLoss));
    // Nothing heard for 2T/5 (counted from the sending of the last request answered, a
    // ping's at most T/5 plus a tick of T/30 before the pause), seen within a tick: the
    // connection counts as dead between T/6 and 2T/5 + T/30 after the pause.
    let after = failed_at - paused;
    assert!(
        after >= timeout / 6 - Duration::from_millis(100)
            && after <= timeout * 2 / 5 + timeout / 30 + Duration::from_millis(800),
        "the read failed {after:?} after the pause (timeout {timeout:?})"
    );
    wait_for_state(&states, SUSPENDED, WAIT);
    let between = wait_for_state(&states, CONNECTED, timeout);
    assert!(
        between.is_empty(),
        "between SUSPENDED and CONNECTED: {between:?}"
    );
    assert!(
        paused.elapsed() < timeout,
        "reconnected {:?} after the pause",
        paused.elapsed()
    );
    assert_eq!(c.client_id(), Some(id), "same session");
    assert_ne!(cl.id_of_port(server_port(&c)), Some(f));
    other.sync(&r, None).unwrap();
    let st = other
        .exists(&eph, None, None)
        .unwrap()
        .expect("ephemeral kept");
    assert_eq!(st.ephemeral_owner, id.session_id);
    c.get(&r, None, None).unwrap();
}

#[test]
fn calls_made_while_suspended_wait_for_the_reconnect_or_their_own_deadline() {
    let mut cl = ensemble();
    let f = follower(&cl);
    // Only one host: nowhere to go until it is back.
    let mut o = common::options(&cl.hosts_of(&[f]));
    o.session_timeout = Duration::from_secs(10);
    let c = Arc::new(start(o));
    let r = fresh_root(&c, "suspended-calls");
    let n = format!("{r}/n");
    c.create(&n, b"0", &CreateOptions::default(), false, None)
        .unwrap();
    let id = c.client_id().unwrap();
    let (_, states) = record_states(&c);

    cl.kill(f);
    wait_for_state(&states, SUSPENDED, WAIT);
    let t = Instant::now();
    assert_eq!(
        c.get(&n, None, Some(Duration::from_millis(300)))
            .map(|_| ()),
        Err(Error::TimedOut)
    );
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_millis(1300),
        "{took:?}"
    );
    let (tx, rx) = channel::<(&'static str, Result<(), Error>)>();
    let spawn_call = |name: &'static str, f: Call| {
        let (c, tx) = (c.clone(), tx.clone());
        thread::spawn(move || {
            let _ = tx.send((name, f(&c)));
        });
    };
    let n2 = n.clone();
    spawn_call(
        "set",
        Box::new(move |c| {
            c.set(&n2, b"1", 0, Some(Duration::from_secs(25)))
                .map(|_| ())
        }),
    );
    let n2 = n.clone();
    spawn_call(
        "get",
        Box::new(move |c| c.get(&n2, None, Some(Duration::from_secs(25))).map(|_| ())),
    );
    let p = format!("{r}/made-while-suspended");
    let async_tx = tx.clone();
    c.create_async(
        &p,
        b"",
        &CreateOptions::default(),
        false,
        Some(Duration::from_secs(25)),
        Box::new(move |res| {
            let _ = async_tx.send(("create_async", res.map(|_| ())));
        }),
    )
    .unwrap();
    thread::sleep(Duration::from_millis(300));
    assert!(rx.try_recv().is_err(), "nothing returns while suspended");
    assert_eq!(c.state(), State::Suspended);

    cl.restart(f);
    let mut done: Vec<_> = (0..3)
        .map(|_| {
            rx.recv_timeout(Duration::from_secs(20))
                .expect("a waiting call returned")
        })
        .collect();
    done.sort_by_key(|(name, _)| *name);
    assert_eq!(
        done,
        vec![("create_async", Ok(())), ("get", Ok(())), ("set", Ok(()))]
    );
    wait_for_state(&states, CONNECTED, WAIT);
    assert_eq!(
        c.client_id(),
        Some(id),
        "same session after the server came back"
    );
    assert_eq!(c.get(&n, None, None).unwrap().0, b"1");
    assert!(c.exists(&p, None, None).unwrap().is_some());
}

#[test]
fn set_hosts_moves_the_client_to_the_new_servers_at_once_and_keeps_its_session() {
    let cl = ensemble();
    let c = pinned(&cl, 1, |o| o.hosts = cl.hosts_of(&[1]));
    let r = fresh_root(&c, "set-hosts");
    let eph = format!("{r}/eph");
    c.create(&eph, b"", &ephemeral(), false, None).unwrap();
    let id = c.client_id().unwrap();
    let (_, states) = record_states(&c);

    let t = Instant::now();
    c.set_hosts(&cl.hosts_of(&[2, 3])).unwrap();
    wait_for_state(&states, SUSPENDED, WAIT);
    let between = wait_for_state(&states, CONNECTED, Duration::from_secs(3));
    assert!(
        between.is_empty(),
        "between SUSPENDED and CONNECTED: {between:?}"
    );
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "moved in {:?}",
        t.elapsed()
    );
    assert_eq!(c.client_id(), Some(id), "same session");
    let on = cl.id_of_port(server_port(&c)).unwrap();
    assert!(on == 2 || on == 3, "on server {on}");
    let st = c.exists(&eph, None, None).unwrap().expect("ephemeral kept");
    assert_eq!(st.ephemeral_owner, id.session_id);

    // A new list that still holds the current server changes nothing now.
    let (_, quiet) = record_states(&c);
    c.set_hosts(&cl.hosts_of(&[1, on])).unwrap();
    thread::sleep(Duration::from_millis(500));
    assert_eq!(quiet.try_iter().count(), 0, "no reconnect");
    assert_eq!(cl.id_of_port(server_port(&c)), Some(on));
}

#[test]

fn an_async_call_made_while_suspended_ends_at_its_own_deadline_even_during_a_connect_attempt() {
    let cl = ensemble();
    let f = follower(&cl);
    // Only one host, and it is stopped: every connect attempt hangs in the handshake until
    // the connect timeout (the session timeout shared out over three hosts at least: 1.3 s
    // here).
    let c = start(common::options(&cl.hosts_of(&[f])));
    let r = fresh_root(&c, "async-deadline");
    let (_, states) = record_states(&c);
    cl.pause(f);
    wait_for_state(&states, SUSPENDED, WAIT);
    thread::sleep(Duration::from_millis(200)); // into the next connect attempt
    let (tx, rx) = channel();
    let t = Instant::now();
    c.get_async(
        &r,
        None,
        Some(Duration::from_millis(300)),
        Box::new(move |res| {
            let _ = tx.send((res.map(|_| ()), t.elapsed()));
        }),
    )
    .unwrap();
    let blocking = c.get(&r, None, Some(Duration::from_millis(300)));
    assert_eq!(blocking.map(|_| ()), Err(Error::TimedOut));
    let (res, took) = rx.recv_timeout(WAIT).expect("the async call completed");
    assert_eq!(res, Err(Error::TimedOut));
    assert!(
        took < Duration::from_millis(1000),
        "the async call's 300 ms deadline was reported after {took:?}"
    );
}
