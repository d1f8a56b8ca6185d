//! Session expiry against a real ZooKeeper.

mod harness;

use std::time::{Duration, Instant};

use zkclient::{Client, ClientId, Error, KeeperState, Options};

fn connect(hosts: &str) -> Client {
    let c = Client::new(Options::new(hosts)).unwrap();
    c.start(Duration::from_secs(10)).unwrap();
    c
}

/// A session id whose password the server refuses: it answers as for an expired session.
fn expired_id(hosts: &str) -> ClientId {
    let first = connect(hosts);
    let mut id = first.client_id().unwrap();
    id.passwd[0] ^= 0xff;
    id
}

#[test]
fn with_expiry_final_start_on_an_expired_session_fails_at_once() {
    let hosts = harness::shared().hosts();
    let mut o = Options::new(hosts);
    o.client_id = Some(expired_id(hosts));
    o.expiry_final = true;
    let c = Client::new(o).unwrap();
    let t0 = Instant::now();
    let e = c.start(Duration::from_secs(8)).unwrap_err();
    assert_eq!(e.code, Error::SessionExpired);
    assert_eq!(
        e.reason,
        Some(format!("{hosts}: the server says the session expired"))
    );
    assert!(
        t0.elapsed() < Duration::from_secs(3),
        "took {:?}",
        t0.elapsed()
    );
    assert_eq!(c.keeper_state(), KeeperState::ExpiredSession);
    assert_eq!(c.exists("/", None, None), Err(Error::SessionExpired));
}

#[test]
fn without_expiry_final_an_expired_session_is_replaced_by_a_new_one() {
    let hosts = harness::shared().hosts();
    let mut o = Options::new(hosts);
    let old = expired_id(hosts);
    o.client_id = Some(old);
    let c = Client::new(o).unwrap();
    c.start(Duration::from_secs(8)).unwrap();
    assert_ne!(c.client_id().unwrap().session_id, old.session_id);
    assert!(c.exists("/", None, None).unwrap().is_some());
}
