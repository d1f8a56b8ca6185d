//! Credentials across a failover on a three-server ensemble: the auth data of the options
//! and every credential added later are sent again on the new connection, before any other
//! request, so nodes with digest ACLs are readable at once on the member the session moved
//! to (even by requests queued while no server was reachable). A refused credential ends in
//! AUTH_FAILED, for good: calls fail with AUTHFAILED and nothing reconnects.
//!
//! The tests share one ensemble and take turns (a mutex); each heals it first.

mod common;
mod harness;

use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use common::{record_states, server_port, start, wait_for_state, Proxy, Watch, WAIT};
use harness::{Cluster, ClusterOpts};
use zkclient::acl::perms;
use zkclient::{acl, Client, CreateOptions, Error, EventType, KeeperState, State};

const SUSPENDED: (State, KeeperState) = (State::Suspended, KeeperState::Connecting);
const CONNECTED: (State, KeeperState) = (State::Connected, KeeperState::Connected);
const AUTH_FAILED: (State, KeeperState) = (State::Lost, KeeperState::AuthFailed);

fn ensemble() -> MutexGuard<'static, Cluster> {
    static E: OnceLock<Mutex<Cluster>> = OnceLock::new();
    let m = E.get_or_init(|| Mutex::new(Cluster::start_with(3, &ClusterOpts::global_sessions())));
    let mut g = m.lock().unwrap_or_else(|e| e.into_inner());
    g.heal();
    g
}

fn proxy_to(cl: &Cluster, id: usize) -> Proxy {
    let addr = format!("127.0.0.1:{}", cl.server(id).port).parse().unwrap();
    Proxy::start("127.0.0.1:0", addr).unwrap()
}

fn fresh_root(c: &Client, name: &str) -> String {
    let r = format!("/fa-{name}");
    match c.delete(&r, -1, true, None) {
        Ok(()) | Err(Error::NoNode) => {}
        Err(e) => panic!("clearing {r}: {e}"),
    }
    c.create(&r, b"", &CreateOptions::default(), false, None)
        .unwrap();
    r
}

#[test]
fn credentials_are_sent_again_on_another_member_before_any_other_request() {
    let mut cl = ensemble();
    let owner = start(common::options(cl.hosts()));
    let r = fresh_root(&owner, "replay");
    let (alice, bob) = (format!("{r}/alice"), format!("{r}/bob"));
    for (p, user, pw) in [(&alice, "alice", "pa"), (&bob, "bob", "pb")] {
        let a = [acl::make_digest_acl(user, pw, perms::ALL).unwrap()];
        let o = CreateOptions {
            acl: Some(&a),
            ..Default::default()
        };
        owner.create(p, p.as_bytes(), &o, false, None).unwrap();
    }
    assert_eq!(
        owner.get(&alice, None, None).map(|_| ()),
        Err(Error::NoAuth)
    );

    // The client reaches member 1 through px and member 2 through py, in that order.
    let (px, py) = (proxy_to(&cl, 1), proxy_to(&cl, 2));
    let mut o = common::options(&format!("{},{}", px.hosts(), py.hosts()));
    o.randomize_hosts = false;
    o.session_timeout = Duration::from_secs(10);
    o.auth = vec![("digest".into(), b"alice:pa".to_vec())];
    let c = Arc::new(start(o));
    assert_eq!(server_port(&c), cl.server(1).port);
    c.add_auth("digest", b"bob:pb", None).unwrap();
    c.sync(&r, None).unwrap();
    assert_eq!(c.get(&alice, None, None).unwrap().0, alice.as_bytes());
    assert_eq!(c.get(&bob, None, None).unwrap().0, bob.as_bytes());
    let id = c.client_id().unwrap();
    let (_, states) = record_states(&c);

    // Member 1 dies and member 2 is out of reach for now: requests made meanwhile queue.
    py.cut();
    cl.kill(1);
    wait_for_state(&states, SUSPENDED, WAIT);
    let (tx, rx) = channel();
    for p in [&alice, &bob] {
        let (tx, p2) = (tx.clone(), p.clone());
        c.get_async(
            p,
            None,
            Some(Duration::from_secs(20)),
            Box::new(move |res| {
                let _ = tx.send((p2, res.map(|(d, _)| d)));
            }),
        )
        .unwrap();
    }
    let blocking = {
        let (c, bob, tx) = (c.clone(), bob.clone(), tx.clone());
        thread::spawn(move || {
            let r = c.get(&bob, None, Some(Duration::from_secs(20)));
            let _ = tx.send((format!("blocking {bob}"), r.map(|(d, _)| d)));
        })
    };
    thread::sleep(Duration::from_millis(300));
    assert!(
        rx.try_recv().is_err(),
        "nothing answers while no server is reachable"
    );

    py.unblock();
    let between = wait_for_state(&states, CONNECTED, Duration::from_secs(15));
    assert!(
        between.is_empty(),
        "between SUSPENDED and CONNECTED: {between:?}"
    );
    assert_eq!(c.client_id(), Some(id), "same session");
    assert_eq!(server_port(&c), cl.server(2).port);
    // The queued requests went out right after the credentials, on the new member.
    let mut got: Vec<_> = (0..3)
        .map(|_| rx.recv_timeout(WAIT).expect("a queued read returned"))
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    blocking.join().unwrap();
    assert_eq!(
        got,
        vec![
            (alice.clone(), Ok(alice.as_bytes().to_vec())),
            (bob.clone(), Ok(bob.as_bytes().to_vec())),
            (format!("blocking {bob}"), Ok(bob.as_bytes().to_vec())),
        ]
    );
    c.set(&alice, b"still alice", -1, None).unwrap();
    c.set(&bob, b"still bob", -1, None).unwrap();
}

#[test]
fn a_refused_credential_in_the_options_ends_in_auth_failed_for_good() {
    let cl = ensemble();
    let proxy = proxy_to(&cl, 3);
    let mut o = common::options(&proxy.hosts());
    o.auth = vec![("no-such-scheme".into(), b"whatever".to_vec())];
    let c = Client::new(o).unwrap();
    let (_, states) = record_states(&c);
    // The connect itself works; the refusal answers the credential sent right after it.
    let started = c.start(WAIT).map_err(|e| e.code);
    assert!(
        matches!(started, Ok(()) | Err(Error::AuthFailed)),
        "{started:?}"
    );
    wait_for_state(&states, AUTH_FAILED, WAIT);
    let why = c.connect_error().unwrap_or_default();
    assert!(
        why.ends_with(": the server refused a credential (auth failed)"),
        "{why}"
    );
    let accepted = proxy.accepted();
    let t = Instant::now();
    assert_eq!(c.get("/", None, None).map(|_| ()), Err(Error::AuthFailed));
    assert_eq!(
        c.create("/x", b"", &CreateOptions::default(), false, None)
            .map(|_| ()),
        Err(Error::AuthFailed)
    );
    assert!(t.elapsed() < Duration::from_millis(500), "refused at once");
    thread::sleep(Duration::from_millis(1500));
    assert_eq!(proxy.accepted(), accepted, "no reconnect");
    assert_eq!(c.keeper_state(), KeeperState::AuthFailed);
    assert_eq!(c.state(), State::Lost);
    let later: Vec<_> = states.try_iter().collect();
    assert!(
        later.is_empty(),
        "no state change after AUTH_FAILED: {later:?}"
    );
}

#[test]
fn a_refused_credential_added_later_ends_the_session_and_its_watches() {
    let cl = ensemble();
    let proxy = proxy_to(&cl, 3);
    let c = start(common::options(&proxy.hosts()));
    let r = fresh_root(&c, "refused");
    let (w, f) = Watch::pair();
    c.get(&r, Some(f), None).unwrap();
    let (_, states) = record_states(&c);

    assert_eq!(
        c.add_auth("no-such-scheme", b"whatever", None),
        Err(Error::AuthFailed)
    );
    assert_eq!(c.keeper_state(), KeeperState::AuthFailed);
    wait_for_state(&states, AUTH_FAILED, WAIT);
    let e = w.next();
    assert_eq!(
        (e.event_type, e.keeper_state),
        (EventType::None, KeeperState::AuthFailed)
    );
    assert_eq!((w.calls(), w.drops()), (1, 1));
    assert_eq!(c.watch_count(), 0);
    let accepted = proxy.accepted();
    assert_eq!(c.get(&r, None, None).map(|_| ()), Err(Error::AuthFailed));
    thread::sleep(Duration::from_millis(1500));
    assert_eq!(proxy.accepted(), accepted, "no reconnect");
    assert_eq!(c.keeper_state(), KeeperState::AuthFailed);
}
