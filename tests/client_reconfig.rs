//! getConfig, reconfig and following the ensemble, against real servers: one three-server
//! ensemble with dynamic reconfiguration (`ClusterOpts::reconfig`: reconfigEnabled,
//! standaloneEnabled=false, skipACL) for the whole binary, and the shared standalone
//! server, whose reconfig is off.
//!
//! The tests take turns on the ensemble (a mutex) and read its membership from the
//! fixture, since the ensemble-following test changes it for good: it adds a fourth
//! server, removes the first and kills it.

mod common;
mod harness;

use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use common::{connect, options, server_port, sorted, start, wait_until, Watch, WAIT};
use harness::{Cluster, ClusterOpts};
use zkclient::{Client, CreateOptions, EnsembleConfig, Error, EventType, LogLevel, Reconfig, Stat};

struct Ensemble {
    cl: Cluster,
    /// The ids of the current members, in id order.
    members: Vec<usize>,
}

impl Ensemble {
    fn hosts(&self) -> String {
        self.cl.hosts_of(&self.members)
    }

    /// The members' client addresses as the client writes its host list, sorted.
    fn member_hosts(&self, ids: &[usize]) -> Vec<String> {
        sorted(
            ids.iter()
                .map(|&i| format!("127.0.0.1:{}", self.cl.server(i).port))
                .collect(),
        )
    }
}

fn ensemble() -> MutexGuard<'static, Ensemble> {
    static E: OnceLock<Mutex<Ensemble>> = OnceLock::new();
    let m = E.get_or_init(|| {
        // Global sessions: a local session cannot move to another server.
        let opts = ClusterOpts {
            reconfig: true,
            ..ClusterOpts::global_sessions()
        };
        Mutex::new(Ensemble {
            cl: Cluster::start_with(3, &opts),
            members: vec![1, 2, 3],
        })
    });
    let mut g = m.lock().unwrap_or_else(|e| e.into_inner());
    // Only members come back: a removed server's own config no longer names it.
    for id in g.members.clone() {
        if g.cl.server(id).pid == 0 {
            g.cl.restart(id);
        }
    }
    g
}

fn host_list(c: &Client) -> Vec<String> {
    sorted(c.hosts().split(',').map(str::to_string).collect())
}

/// A client on the members, synced with the leader: a config read through it is the
/// latest, not a lagging server's.
fn synced_client(e: &Ensemble) -> Client {
    let c = connect(&e.hosts());
    c.sync("/", None).unwrap();
    c
}

fn parse(data: &[u8]) -> EnsembleConfig {
    EnsembleConfig::parse(data)
        .unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(data)))
}

/// The ids and client ports a config names.
fn ids_and_ports(cfg: &EnsembleConfig) -> Vec<(u64, u16)> {
    let mut v: Vec<(u64, u16)> = cfg
        .members
        .iter()
        .map(|m| (m.id, m.client.as_ref().expect("client address").port))
        .collect();
    v.sort();
    v
}

fn expected_ids_and_ports(e: &Ensemble) -> Vec<(u64, u16)> {
    e.members
        .iter()
        .map(|&i| (i as u64, e.cl.server(i).port))
        .collect()
}

#[test]
fn get_config_lists_the_members_with_their_client_addresses() {
    let e = ensemble();
    let c = synced_client(&e);
    let (data, stat) = c.get_config(None, None).unwrap();
    let cfg = parse(&data);
    assert_eq!(ids_and_ports(&cfg), expected_ids_and_ports(&e));
    assert_eq!(stat.data_length as usize, data.len());
    let version = cfg.version.expect("a quorum's config has a version");
    assert!(version > 0);
    assert_eq!(
        sorted(cfg.client_addrs().iter().map(|a| a.to_string()).collect()),
        e.member_hosts(&e.members)
    );
    // The async form reads the same.
    let (tx, rx) = channel();
    c.get_config_async(None, None, Box::new(move |r| drop(tx.send(r))))
        .unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap().unwrap().0, data);
}

#[test]
fn get_config_ignores_the_chroot_and_its_watch_fires_there_too() {
    let e = ensemble();
    let plain = synced_client(&e);
    plain.ensure_path("/reconfig-chroot", None, None).unwrap();
    let c = connect(&format!("{}/reconfig-chroot", e.hosts()));
    c.sync("/", None).unwrap();
    let (data, _) = c.get_config(None, None).unwrap();
    assert_eq!(ids_and_ports(&parse(&data)), expected_ids_and_ports(&e));
    // A node of that name inside the chroot is not what getConfig reads.
    c.ensure_path("/zookeeper/config", None, None).unwrap();
    c.set("/zookeeper/config", b"not the config", -1, None)
        .unwrap();
    assert_eq!(c.get_config(None, None).unwrap().0, data);
    // The watch is set on the server's config node and comes back with its path.
    let (w, f) = Watch::pair();
    c.get_config(Some(f), None).unwrap();
    let lines: Vec<String> = e.members.iter().map(|&i| e.cl.member_line(i)).collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    plain
        .reconfig(&Reconfig::Members(&lines), -1, None)
        .unwrap();
    let ev = w.next();
    assert_eq!(ev.event_type, EventType::NodeDataChanged);
    assert_eq!(ev.path, "/zookeeper/config");
    plain.delete("/reconfig-chroot", -1, true, None).unwrap();
}

#[test]
fn a_whole_membership_reconfig_makes_a_new_version_and_fires_the_config_watch() {
    let e = ensemble();
    let c = synced_client(&e);
    let (before, _) = c.get_config(None, None).unwrap();
    let old = parse(&before).version.unwrap();
    let (w, f) = Watch::pair();
    c.get_config(Some(f), None).unwrap();
    // The same members again: a new config, with a new version, and nothing else moves.
    let lines: Vec<String> = e.members.iter().map(|&i| e.cl.member_line(i)).collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let (after, stat) = c.reconfig(&Reconfig::Members(&lines), old, None).unwrap();
    let new = parse(&after);
    assert!(
        new.version.unwrap() > old,
        "{:#x} after {old:#x}",
        new.version.unwrap()
    );
    assert_eq!(ids_and_ports(&new), expected_ids_and_ports(&e));
    // The version is the reconfig's zxid, which the Stat says too.
    assert_eq!(new.version.unwrap(), stat.mzxid);
    let ev = w.next();
    assert_eq!(
        (ev.event_type, ev.path.as_str()),
        (EventType::NodeDataChanged, "/zookeeper/config")
    );
    // The old version is stale now.
    assert_eq!(
        c.reconfig(&Reconfig::Members(&lines), old, None),
        Err(Error::BadVersion)
    );
    // Async: the same answer, through the callback.
    let (tx, rx) = channel();
    c.reconfig_async(
        &Reconfig::Members(&lines),
        old,
        None,
        Box::new(move |r| drop(tx.send(r))),
    )
    .unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), Err(Error::BadVersion));
}

#[test]
fn reconfig_errors_of_the_server_come_back_as_their_codes() {
    let e = ensemble();
    let c = synced_client(&e);
    let before = c.get_config(None, None).unwrap().0;
    // Servers that do not run cannot be a quorum of the new membership.
    let nobody = [
        "server.8=127.0.0.1:1:2:participant;127.0.0.1:3",
        "server.9=127.0.0.1:4:5:participant;127.0.0.1:6",
    ];
    assert_eq!(
        c.reconfig(&Reconfig::Members(&nobody), -1, None),
        Err(Error::NewConfigNoQuorum)
    );
    // A line the server cannot read.
    let bad = Reconfig::Incremental {
        joining: &["server.9=nonsense"],
        leaving: &[],
    };
    assert_eq!(c.reconfig(&bad, -1, None), Err(Error::BadArguments));
    // Checked here before anything is sent.
    let empty = Reconfig::Incremental {
        joining: &[],
        leaving: &[],
    };
    assert_eq!(c.reconfig(&empty, -1, None), Err(Error::InvalidArgument));
    assert_eq!(
        c.reconfig(&Reconfig::Members(&["a,b"]), -1, None),
        Err(Error::InvalidArgument)
    );
    assert_eq!(
        c.get_config(None, None).unwrap().0,
        before,
        "nothing changed"
    );
}

#[test]
fn a_reconfig_sent_while_another_is_in_progress_is_reconfig_in_progress() {
    let e = ensemble();
    let c = synced_client(&e);
    let lines: Vec<String> = e.members.iter().map(|&i| e.cl.member_line(i)).collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    // The leader refuses a reconfig while the one it proposed last is not committed. Two
    // pipelined on one connection reach it back to back; the window is the first one's
    // quorum round trip, so a round may miss it: try a few.
    let mut seen = Vec::new();
    for _ in 0..20 {
        let (tx, rx) = channel();
        for _ in 0..4 {
            let tx = tx.clone();
            c.reconfig_async(
                &Reconfig::Members(&lines),
                -1,
                None,
                Box::new(move |r| {
                    let _ = tx.send(r.map(|_| ()));
                }),
            )
            .unwrap();
        }
        let round: Vec<_> = (0..4).map(|_| rx.recv_timeout(WAIT).unwrap()).collect();
        assert!(
            round[0].is_ok(),
            "the first of a round goes through: {round:?}"
        );
        for r in &round {
            assert!(
                matches!(r, Ok(()) | Err(Error::ReconfigInProgress)),
                "{round:?}"
            );
        }
        seen.extend(round);
        if seen.contains(&Err(Error::ReconfigInProgress)) {
            break;
        }
    }
    assert!(
        seen.contains(&Err(Error::ReconfigInProgress)),
        "no reconfig met another in progress in {} tries: {seen:?}",
        seen.len()
    );
    // Once they are done, the ensemble takes the next one.
    wait_until("a reconfig goes through again", WAIT, || {
        c.reconfig(&Reconfig::Members(&lines), -1, None).is_ok()
    });
}

#[test]
fn a_standalone_server_has_an_empty_config_and_reconfig_disabled() {
    let c = connect(harness::shared().hosts());
    let (data, stat): (Vec<u8>, Stat) = c.get_config(None, None).unwrap();
    assert!(data.is_empty(), "{:?}", String::from_utf8_lossy(&data));
    assert_eq!(stat.data_length, 0);
    assert_eq!(parse(&data), EnsembleConfig::default());
    let leave = Reconfig::Incremental {
        joining: &[],
        leaving: &[1],
    };
    assert_eq!(c.reconfig(&leave, -1, None), Err(Error::ReconfigDisabled));
    let (tx, rx) = channel();
    c.reconfig_async(&leave, -1, None, Box::new(move |r| drop(tx.send(r))))
        .unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), Err(Error::ReconfigDisabled));
    // Following a standalone server keeps the host list the client was given.
    let mut o = options(harness::shared().hosts());
    o.follow_ensemble = true;
    let f = start(o);
    f.get_config(None, None).unwrap(); // after the follower's own read
    assert_eq!(f.hosts(), harness::shared().hosts());
}

/// The ensemble grows from three servers to four and shrinks back to three around a
/// client that follows it and was given only the first server, which is then removed and
/// killed: the client keeps its session and its watches, and it reconnects — to members
/// it only knows from following.
#[test]
fn a_following_client_keeps_its_session_and_watches_while_the_ensemble_is_replaced() {
    let mut e = ensemble();
    assert_eq!(
        e.members,
        vec![1, 2, 3],
        "the test needs the first membership"
    );
    let first = 1;
    let logs = Arc::new(Mutex::new(Vec::new()));
    let mut o = options(&e.cl.hosts_of(&[first]));
    o.follow_ensemble = true;
    let sink = logs.clone();
    o.logger = Some((
        Arc::new(move |level, msg: &str| {
            if level == LogLevel::Info {
                sink.lock().unwrap().push(msg.to_string());
            }
        }),
        LogLevel::Info,
    ));
    let c = start(o);
    let session = c.client_id().unwrap().session_id;
    wait_until("the follower learns the members", WAIT, || {
        host_list(&c) == e.member_hosts(&[1, 2, 3])
    });
    assert_eq!(server_port(&c), e.cl.server(first).port);
    let admin = connect(&e.cl.hosts_of(&[2, 3]));
    match admin.delete("/follow", -1, true, None) {
        Ok(()) | Err(Error::NoNode) => {}
        Err(err) => panic!("clearing /follow: {err}"),
    }
    admin
        .create("/follow", b"v0", &CreateOptions::default(), false, None)
        .unwrap();
    let (w, f) = Watch::pair();
    // Written through another server: sync, so this one has it too.
    c.sync("/follow", None).unwrap();
    c.get("/follow", Some(f), None).unwrap();

    // Grow: a fourth server joins, a reconfig makes it a member.
    let joiner = e.cl.add_server(false);
    let line = e.cl.member_line(joiner);
    let (data, _) = admin
        .reconfig(
            &Reconfig::Incremental {
                joining: &[&line],
                leaving: &[],
            },
            -1,
            None,
        )
        .unwrap();
    let ids: Vec<u64> = parse(&data).members.iter().map(|m| m.id).collect();
    assert_eq!(
        sorted(ids.iter().map(u64::to_string).collect()),
        ["1", "2", "3", "4"]
    );
    e.members = vec![1, 2, 3, joiner];
    wait_until("the follower adds the fourth server", WAIT, || {
        host_list(&c) == e.member_hosts(&[1, 2, 3, joiner])
    });

    // Shrink: the server the client was given and talks to leaves the ensemble.
    admin
        .reconfig(
            &Reconfig::Incremental {
                joining: &[],
                leaving: &[first as u64],
            },
            -1,
            None,
        )
        .unwrap();
    e.members = vec![2, 3, joiner];
    wait_until("the follower drops the first server", WAIT, || {
        host_list(&c) == e.member_hosts(&[2, 3, joiner])
    });
    wait_until("the client moves to a member", WAIT, || {
        c.connected()
            && c.current_server()
                .is_some_and(|a| a.port() != e.cl.server(first).port)
    });
    e.cl.kill(first);
    assert_eq!(c.client_id().unwrap().session_id, session);

    // The watch set before it all fires after.
    admin.set("/follow", b"v1", -1, None).unwrap();
    let ev = w.next();
    assert_eq!(
        (ev.event_type, ev.path.as_str()),
        (EventType::NodeDataChanged, "/follow")
    );

    // The old server is gone; losing the current one too, the client reconnects to the
    // other members, which it knows only from the config.
    let now = e.cl.id_of_port(server_port(&c)).unwrap();
    let gone = e.cl.server(now).port;
    e.cl.kill(now);
    // Until connected elsewhere: right after the kill the client may not have noticed the
    // loss yet, and still say it is connected there.
    wait_until("the client reconnects", Duration::from_secs(15), || {
        c.connected() && c.current_server().is_some_and(|a| a.port() != gone)
    });
    let on = e.cl.id_of_port(server_port(&c)).unwrap();
    assert!(
        e.members.contains(&on) && on != now,
        "reconnected to server {on}"
    );
    assert_eq!(c.client_id().unwrap().session_id, session);
    c.sync("/follow", None).unwrap();
    assert_eq!(c.get("/follow", None, None).unwrap().0, b"v1");
    let said = logs.lock().unwrap().clone();
    assert!(
        said.iter()
            .any(|l| l.contains("ensemble changed") && l.contains("removed [127.0.0.1:")),
        "INFO lines: {said:?}"
    );
    e.cl.restart(now);
    admin.delete("/follow", -1, false, None).unwrap();
}
