//! The two retry policies under real connection faults (a proxy between client and server
//! that cuts connections, refuses new ones, or holds replies back):
//! - the connection retry backs off with jitter between passes over the host list and, out
//!   of tries, leaves the client CLOSED with RETRIES_EXHAUSTED;
//! - the command retry repeats a read that was in flight when the connection went, within
//!   its tries and the call's deadline; writes are never repeated.

mod common;
mod harness;

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{connect, record_states, wait_for_state, wait_until, Proxy, Watch, WAIT};
use zkclient::{Client, CreateOptions, Error, EventType, KeeperState, Options, RetryPolicy, State};

const SUSPENDED: (State, KeeperState) = (State::Suspended, KeeperState::Connecting);
const CONNECTED: (State, KeeperState) = (State::Connected, KeeperState::Connected);

fn hosts() -> &'static str {
    harness::shared().hosts()
}

/// A client behind its own proxy to the shared server, and its listener's channel.
fn behind_proxy(
    tune: impl FnOnce(&mut Options),
) -> (
    Proxy,
    Arc<Client>,
    std::sync::mpsc::Receiver<(State, KeeperState)>,
) {
    let proxy = Proxy::start("127.0.0.1:0", hosts().parse().unwrap()).unwrap();
    let mut o = common::options(&proxy.hosts());
    tune(&mut o);
    let c = Client::new(o).unwrap();
    let (_, states) = record_states(&c);
    c.start(WAIT).unwrap();
    wait_for_state(&states, CONNECTED, WAIT);
    (proxy, Arc::new(c), states)
}

fn fresh_root(c: &Client, name: &str) -> String {
    let r = format!("/fr-{name}");
    match c.delete(&r, -1, true, None) {
        Ok(()) | Err(Error::NoNode) => {}
        Err(e) => panic!("clearing {r}: {e}"),
    }
    c.create(&r, b"", &CreateOptions::default(), false, None)
        .unwrap();
    r
}

#[test]
fn the_connection_retry_backs_off_with_jitter_then_closes_with_retries_exhausted() {
    const TRIES: u32 = 7;
    let policy = RetryPolicy {
        max_tries: Some(TRIES),
        delay: Duration::from_millis(50),
        backoff: 2.0,
        max_jitter: 0.4,
        max_delay: Duration::from_secs(3),
        deadline: None,
    };
    // A session timeout longer than all the passes: no local expiry on the way.
    let (proxy, c, states) = behind_proxy(|o| {
        o.connection_retry = policy;
        o.session_timeout = Duration::from_secs(10);
    });
    let r = fresh_root(&c, "conn-retry");
    let (w, f) = Watch::pair();
    c.get(&r, Some(f), None).unwrap();
    let before = proxy.accept_times().len();
    // Every connect from now on is accepted and closed at once: a failed pass.
    proxy.cut();
    wait_for_state(&states, SUSPENDED, WAIT);
    let waiter = {
        let (c, r) = (c.clone(), r.clone());
        thread::spawn(move || c.get(&r, None, Some(Duration::from_secs(60))))
    };
    let seen = wait_for_state(
        &states,
        (State::Lost, KeeperState::Closed),
        Duration::from_secs(30),
    );
    assert!(seen.is_empty(), "between SUSPENDED and CLOSED: {seen:?}");
    assert_eq!(
        waiter.join().unwrap().map(|_| ()),
        Err(Error::RetriesExhausted)
    );
    assert_eq!(
        c.get(&r, None, None).map(|_| ()),
        Err(Error::RetriesExhausted)
    );
    assert_eq!(c.keeper_state(), KeeperState::Closed);
    let e = w.next();
    assert_eq!(
        (e.event_type, e.keeper_state),
        (EventType::None, KeeperState::Closed)
    );
    assert_eq!((w.calls(), w.drops()), (1, 1));

    let times = proxy.accept_times()[before..].to_vec();
    assert_eq!(
        times.len(),
        TRIES as usize,
        "one connect per pass, {TRIES} passes"
    );
    let gaps: Vec<f64> = times
        .windows(2)
        .map(|w| (w[1] - w[0]).as_secs_f64() * 1000.0)
        .collect();
    eprintln!("gaps between connection attempts (ms): {gaps:.0?}");
    // The first sleep is 50 ms +-40 %; the next delay is the last sleep times 2, capped at
    // 3 s, and each sleep is its delay +-40 % (capped at 3 s too). So while twice the last
    // gap stays under the cap, the next gap is 1.2x..2.8x the last; once it is over, the
    // next gap is 60 %..100 % of the cap.
    assert!((25.0..=110.0).contains(&gaps[0]), "first gap {}", gaps[0]);
    let (uncapped, capped): (Vec<_>, Vec<_>) = gaps.windows(2).partition(|w| 2.0 * w[0] < 2900.0);
    assert!(uncapped.len() >= 4, "gaps {gaps:?}");
    for w in &uncapped {
        let ratio = w[1] / w[0];
        assert!(
            (1.0..=3.2).contains(&ratio),
            "growth {ratio:.2} in {gaps:?}"
        );
    }
    for w in &capped {
        assert!(
            (1700.0..=3150.0).contains(&w[1]),
            "capped gap {} in {gaps:?}",
            w[1]
        );
    }
    assert!(
        gaps.last().unwrap() > &(4.0 * gaps[0]),
        "no growth: {gaps:?}"
    );
    assert!(
        gaps.iter().all(|g| *g < 3000.0 + 150.0),
        "over the ceiling: {gaps:?}"
    );
    // Jitter: the growth factors are spread, not a fixed doubling.
    assert!(
        uncapped.iter().any(|w| (w[1] / w[0] - 2.0).abs() > 0.05),
        "no jitter: {gaps:?}"
    );
    // Closed for good: nothing more tries to connect.
    thread::sleep(Duration::from_millis(500));
    assert_eq!(proxy.accept_times().len(), before + TRIES as usize);
}

#[test]
fn a_read_in_flight_when_the_connection_is_cut_succeeds_after_the_reconnect() {
    let (proxy, c, states) = behind_proxy(|_| {});
    let r = fresh_root(&c, "read-retried");
    c.set(&r, b"data", -1, None).unwrap();
    proxy.stall();
    let (w, f) = Watch::pair();
    let getter = {
        let (c, r) = (c.clone(), r.clone());
        thread::spawn(move || c.get(&r, Some(f), Some(WAIT)))
    };
    thread::sleep(Duration::from_millis(200));
    assert!(!getter.is_finished(), "the reply is held back");
    proxy.cut();
    proxy.unblock();
    assert_eq!(getter.join().unwrap().unwrap().0, b"data");
    wait_for_state(&states, SUSPENDED, WAIT);
    wait_for_state(&states, CONNECTED, WAIT);
    // The retry carried the watch: armed once, it fires once.
    assert_eq!(c.watch_count(), 1);
    connect(hosts()).set(&r, b"changed", -1, None).unwrap();
    assert_eq!(w.next().event_type, EventType::NodeDataChanged);
    thread::sleep(Duration::from_millis(200));
    assert_eq!((w.calls(), w.drops()), (1, 1));
    assert_eq!(c.watch_count(), 0);
}

#[test]
fn without_command_retry_a_read_in_flight_fails_with_connection_loss() {
    let (proxy, c, states) = behind_proxy(|o| o.command_retry = RetryPolicy::none());
    let r = fresh_root(&c, "read-not-retried");
    proxy.stall();
    let getter = {
        let (c, r) = (c.clone(), r.clone());
        thread::spawn(move || c.get(&r, None, Some(WAIT)))
    };
    thread::sleep(Duration::from_millis(200));
    proxy.cut();
    proxy.unblock();
    assert_eq!(
        getter.join().unwrap().map(|_| ()),
        Err(Error::ConnectionLoss)
    );
    wait_for_state(&states, CONNECTED, WAIT);
    c.get(&r, None, None).unwrap();
}

#[test]
fn a_retried_read_stops_when_its_tries_run_out() {
    // Two tries, a second apart: time to cut the retry too.
    let (proxy, c, states) = behind_proxy(|o| {
        o.command_retry = RetryPolicy {
            max_tries: Some(2),
            delay: Duration::from_millis(1000),
            backoff: 2.0,
            max_jitter: 0.0,
            max_delay: Duration::from_secs(2),
            deadline: None,
        }
    });
    let r = fresh_root(&c, "read-tries");
    proxy.stall();
    let t = Instant::now();
    let getter = {
        let (c, r) = (c.clone(), r.clone());
        thread::spawn(move || c.get(&r, None, Some(Duration::from_secs(20))))
    };
    thread::sleep(Duration::from_millis(200));
    proxy.cut();
    proxy.unblock();
    wait_for_state(&states, CONNECTED, WAIT);
    // The retry goes out on this new connection about a second after the first failure.
    proxy.stall();
    thread::sleep(Duration::from_millis(1500).saturating_sub(t.elapsed()));
    assert!(!getter.is_finished(), "the retry's reply is held back");
    proxy.cut();
    proxy.unblock();
    assert_eq!(
        getter.join().unwrap().map(|_| ()),
        Err(Error::ConnectionLoss)
    );
    wait_for_state(&states, CONNECTED, WAIT);
}

#[test]
fn a_retried_read_still_ends_at_its_own_deadline() {
    let (proxy, c, _states) = behind_proxy(|o| {
        o.command_retry = RetryPolicy {
            max_tries: Some(10),
            ..RetryPolicy::command_default()
        }
    });
    let r = fresh_root(&c, "read-deadline");
    proxy.stall();
    let t = Instant::now();
    let getter = {
        let (c, r) = (c.clone(), r.clone());
        thread::spawn(move || c.get(&r, None, Some(Duration::from_millis(1500))))
    };
    thread::sleep(Duration::from_millis(200));
    proxy.cut(); // and stays blocked: the retry waits for a connection that never comes
    let got = getter.join().unwrap();
    let took = t.elapsed();
    assert!(
        matches!(got, Err(Error::TimedOut) | Err(Error::ConnectionLoss)),
        "{got:?}"
    );
    assert!(
        took >= Duration::from_millis(1300) && took < Duration::from_millis(2000),
        "ended {took:?} after the call (deadline 1.5 s)"
    );
    proxy.unblock();
}

/// Runs `write` with the proxy holding replies back, waits (through `other`, straight to
/// the server) until the server has applied it, then cuts the connection: the write's
/// outcome is known to the server and unknown to the client.
/// Returns once the client is connected again.
fn cut_after_applied<T: Send + 'static>(
    proxy: &Proxy,
    c: &Arc<Client>,
    states: &std::sync::mpsc::Receiver<(State, KeeperState)>,
    write: impl FnOnce(&Client) -> Result<T, Error> + Send + 'static,
    applied: impl FnMut() -> bool,
) -> Result<T, Error> {
    proxy.stall();
    let h = {
        let c = c.clone();
        thread::spawn(move || write(&c))
    };
    wait_until("the server applied the write", WAIT, applied);
    assert!(!h.is_finished(), "the reply is held back");
    proxy.cut();
    proxy.unblock();
    let r = h.join().unwrap();
    // Not before: a stall of a connection still in its handshake would hold that too.
    wait_for_state(states, SUSPENDED, WAIT);
    wait_for_state(states, CONNECTED, WAIT);
    r
}

#[test]
fn writes_cut_mid_flight_fail_with_connection_loss_even_with_a_generous_command_retry() {
    let (proxy, c, states) = behind_proxy(|o| {
        o.command_retry = RetryPolicy {
            max_tries: Some(10),
            delay: Duration::from_millis(20),
            ..RetryPolicy::command_default()
        }
    });
    let other = connect(hosts());
    let r = fresh_root(&other, "writes");
    let (seq_parent, n, gone) = (format!("{r}/seq"), format!("{r}/n"), format!("{r}/gone"));
    for p in [&seq_parent, &n, &gone] {
        other
            .create(p, b"0", &CreateOptions::default(), false, None)
            .unwrap();
    }
    let children = |o: &Client| o.get_children(&seq_parent, None, false, None).unwrap().0;

    // A sequential create: a repeat would make a second node.
    let prefix = format!("{seq_parent}/s-");
    let got = cut_after_applied(
        &proxy,
        &c,
        &states,
        move |c| {
            c.create(
                &prefix,
                b"",
                &CreateOptions {
                    sequence: true,
                    ..Default::default()
                },
                false,
                None,
            )
        },
        || children(&other).len() == 1,
    );
    assert_eq!(got.map(|_| ()), Err(Error::ConnectionLoss));
    // A set with a version: a repeat would fail with BADVERSION.
    let n2 = n.clone();
    let got = cut_after_applied(
        &proxy,
        &c,
        &states,
        move |c| c.set(&n2, b"1", 0, None),
        || other.exists(&n, None, None).unwrap().unwrap().version == 1,
    );
    assert_eq!(got.map(|_| ()), Err(Error::ConnectionLoss));
    // A delete: a repeat would fail with NONODE.
    let g2 = gone.clone();
    let got = cut_after_applied(
        &proxy,
        &c,
        &states,
        move |c| c.delete(&g2, -1, false, None),
        || other.exists(&gone, None, None).unwrap().is_none(),
    );
    assert_eq!(got, Err(Error::ConnectionLoss));

    // Well past any retry the policy would have made: each write happened exactly once.
    thread::sleep(Duration::from_millis(500));
    assert_eq!(children(&other).len(), 1, "the create was not repeated");
    assert_eq!(other.exists(&n, None, None).unwrap().unwrap().version, 1);
    assert_eq!(other.get(&n, None, None).unwrap().0, b"1");
}
