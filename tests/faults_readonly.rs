//! Read-only mode on real servers run with `-Dreadonlymode.enabled=true`:
//! - with two of three members down, a client that accepts read-only servers connects
//!   CONNECTED_RO: reads work, writes fail with NOTREADONLY; when quorum is back it moves
//!   to CONNECTED;
//! - the prober asks every other host `isro`, not just the first: a read-write server
//!   listed last, down when the client connected read-only, is found once it is up, while
//!   the read-only member it leaves is still read-only (kazoo only ever probes the first).
//!
//! The two tests take turns (a mutex): each runs its own servers, and two clusters at once
//! on two cores would slow the read-only switch-over both depend on.

mod common;
mod harness;

use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use common::{record_states, server_port, start, wait_for_state, WAIT};
use harness::{Cluster, ClusterOpts};
use zkclient::{Client, CreateOptions, Error, KeeperState, State};

const CONNECTED_RO: (State, KeeperState) = (State::Connected, KeeperState::ConnectedRo);
const CONNECTED: (State, KeeperState) = (State::Connected, KeeperState::Connected);

static TURN: Mutex<()> = Mutex::new(());

fn readonly_opts() -> ClusterOpts {
    ClusterOpts {
        readonly: true,
        ..Default::default()
    }
}

#[test]
fn with_two_of_three_down_a_read_only_client_reads_and_returns_to_read_write_with_quorum() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let mut cl = Cluster::start_with(3, &readonly_opts());
    {
        let rw = start(common::options(cl.hosts()));
        rw.create("/ro-data", b"kept", &CreateOptions::default(), false, None)
            .unwrap();
        // Every member has it before two of them go.
        for i in 1..=3 {
            let mut o = common::options(&cl.hosts_of(&[i]));
            o.read_only = true;
            let c = start(o);
            c.sync("/ro-data", None).unwrap();
            assert_eq!(c.get("/ro-data", None, None).unwrap().0, b"kept");
        }
    }
    cl.kill(2);
    cl.kill(3);
    cl.wait_mode(1, &["read-only"], Duration::from_secs(15));

    let mut o = common::options(cl.hosts());
    o.read_only = true;
    let c = Client::new(o).unwrap();
    let (_, states) = record_states(&c);
    c.start(Duration::from_secs(20)).unwrap();
    wait_for_state(&states, CONNECTED_RO, WAIT);
    assert_eq!(c.keeper_state(), KeeperState::ConnectedRo);
    assert!(c.connected());
    assert_eq!(c.get("/ro-data", None, None).unwrap().0, b"kept");
    assert!(c.exists("/ro-data", None, None).unwrap().is_some());
    assert!(c
        .get_children("/", None, false, None)
        .unwrap()
        .0
        .contains(&"ro-data".to_string()));
    assert_eq!(
        c.create("/ro-new", b"", &CreateOptions::default(), false, None)
            .map(|_| ()),
        Err(Error::NotReadOnly)
    );
    assert_eq!(
        c.set("/ro-data", b"x", -1, None).map(|_| ()),
        Err(Error::NotReadOnly)
    );
    assert_eq!(
        c.delete("/ro-data", -1, false, None),
        Err(Error::NotReadOnly)
    );

    // Quorum again: the client must end up on a read-write server.
    cl.restart(2);
    let t = Instant::now();
    wait_for_state(&states, CONNECTED, Duration::from_secs(30));
    eprintln!("read-write again {:?} after quorum returned", t.elapsed());
    c.create("/ro-new", b"", &CreateOptions::default(), false, None)
        .unwrap();
    c.set("/ro-data", b"written", -1, None).unwrap();
    assert_eq!(c.get("/ro-data", None, None).unwrap().0, b"written");
}

#[test]
fn the_prober_finds_a_read_write_server_listed_last_while_the_first_stays_read_only() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    // Server 1 of a three-server read-only ensemble, alone: read-only for good.
    let ro = Cluster::start_with(
        3,
        &ClusterOpts {
            start_count: Some(1),
            ..readonly_opts()
        },
    );
    ro.wait_mode(1, &["read-only"], Duration::from_secs(15));
    // A standalone read-write server, down when the client starts.
    let mut rw = Cluster::start(1);
    let rw_port = rw.server(1).port;
    rw.kill(1);

    let mut o = common::options(&format!("{},127.0.0.1:{rw_port}", ro.hosts_of(&[1])));
    o.read_only = true;
    o.randomize_hosts = false;
    let c = Client::new(o).unwrap();
    let (_, states) = record_states(&c);
    c.start(Duration::from_secs(20)).unwrap();
    wait_for_state(&states, CONNECTED_RO, WAIT);
    assert_eq!(server_port(&c), ro.server(1).port);
    // Let the prober find nothing a few times first.
    thread::sleep(Duration::from_millis(500));
    assert_eq!(c.keeper_state(), KeeperState::ConnectedRo);

    rw.restart(1);
    let up = Instant::now();
    let seen = wait_for_state(&states, CONNECTED, Duration::from_secs(10));
    let took = up.elapsed();
    eprintln!("moved to the read-write server {took:?} after it came up");
    assert_eq!(seen, vec![(State::Suspended, KeeperState::Connecting)]);
    assert_eq!(server_port(&c), rw_port);
    assert_eq!(
        ro.mode(1).as_deref(),
        Some("read-only"),
        "the member left behind is still read-only: the prober moved the client"
    );
    c.create(
        "/found-by-isro",
        b"",
        &CreateOptions::default(),
        false,
        None,
    )
    .unwrap();
}
