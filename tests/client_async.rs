//! The async API against a real ZooKeeper: results, ordering on the event thread, requests
//! that wait for a reconnect or their deadline, and the terminal error at stop.

mod harness;

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use zkclient::{Client, CreateOptions, Error, EventType, Options};

const WAIT: Duration = Duration::from_secs(10);

fn connect(hosts: &str) -> Client {
    let mut o = Options::new(hosts);
    o.session_timeout = Duration::from_secs(6);
    let c = Client::new(o).unwrap();
    c.start(WAIT).unwrap();
    c
}

/// A chain of `left` + 1 async gets of `path`, each issued from the previous one's
/// completion (so from the event thread); the last sends `id` to `tx`.
fn chain(c: Arc<Client>, path: String, left: u32, id: u32, tx: mpsc::Sender<u32>) {
    let c2 = c.clone();
    let p2 = path.clone();
    c.get_async(
        &path,
        None,
        None,
        Box::new(move |r| {
            r.unwrap();
            if left == 0 {
                tx.send(id).unwrap();
            } else {
                chain(c2, p2, left - 1, id, tx);
            }
        }),
    )
    .unwrap();
}

fn root(c: &Client, name: &str) -> String {
    let p = format!("/async-{name}");
    let _ = c.delete(&p, -1, true, None);
    c.create(&p, b"", &CreateOptions::default(), false, None)
        .unwrap();
    p
}

#[test]
fn async_operations_return_what_the_server_did() {
    let c = connect(harness::shared().hosts());
    let base = root(&c, "ops");
    let (tx, rx) = mpsc::channel::<String>();

    let t = tx.clone();
    c.create_async(
        &format!("{base}/n"),
        b"one",
        &CreateOptions::default(),
        true,
        None,
        Box::new(move |r| {
            let made = r.unwrap();
            assert_eq!(made.stat.unwrap().version, 0);
            t.send(made.path).unwrap();
        }),
    )
    .unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), format!("{base}/n"));

    let t = tx.clone();
    c.set_async(
        &format!("{base}/n"),
        b"two",
        0,
        None,
        Box::new(move |r| t.send(format!("v{}", r.unwrap().version)).unwrap()),
    )
    .unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), "v1");

    let t = tx.clone();
    c.get_async(
        &format!("{base}/n"),
        None,
        None,
        Box::new(move |r| t.send(String::from_utf8(r.unwrap().0).unwrap()).unwrap()),
    )
    .unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), "two");

    let t = tx.clone();
    c.set_async(
        &format!("{base}/n"),
        b"x",
        0,
        None,
        Box::new(move |r| t.send(format!("{:?}", r.err())).unwrap()),
    )
    .unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), "Some(BadVersion)");

    let t = tx.clone();
    c.get_children_async(
        &base,
        None,
        true,
        None,
        Box::new(move |r| {
            let (kids, stat) = r.unwrap();
            t.send(format!("{kids:?} {}", stat.unwrap().num_children))
                .unwrap()
        }),
    )
    .unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), "[\"n\"] 1");

    let t = tx.clone();
    c.exists_async(
        &format!("{base}/missing"),
        None,
        None,
        Box::new(move |r| t.send(format!("{:?}", r.unwrap())).unwrap()),
    )
    .unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), "None");

    let t = tx.clone();
    c.get_acl_async(
        &format!("{base}/n"),
        None,
        Box::new(move |r| t.send(r.unwrap().0[0].id.scheme.clone()).unwrap()),
    )
    .unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), "world");

    let t = tx.clone();
    c.sync_async(&base, None, Box::new(move |r| t.send(r.unwrap()).unwrap()))
        .unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), base);

    let t = tx.clone();
    c.delete_async(
        &format!("{base}/n"),
        -1,
        None,
        Box::new(move |r| t.send(format!("{r:?}")).unwrap()),
    )
    .unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), "Ok(())");

    // Argument errors come back from the call itself, and the callback never runs.
    let called = Arc::new(Mutex::new(false));
    let flag = called.clone();
    assert_eq!(
        c.get_async(
            "no-slash",
            None,
            None,
            Box::new(move |_| *flag.lock().unwrap() = true)
        ),
        Err(Error::InvalidPath)
    );
    c.sync("/", None).unwrap();
    assert!(!*called.lock().unwrap());
    c.delete(&base, -1, true, None).unwrap();
}

#[test]
fn add_auth_async_reports_the_servers_verdict() {
    let hosts = harness::shared().hosts();
    let owner = connect(hosts);
    let base = root(&owner, "auth");
    let p = format!("{base}/secret");
    let acl = [zkclient::acl::make_digest_acl("dave", "pw", zkclient::acl::perms::ALL).unwrap()];
    let only_dave = CreateOptions {
        acl: Some(&acl),
        ..Default::default()
    };
    owner.create(&p, b"s", &only_dave, false, None).unwrap();

    let add = |c: &Client, scheme: &str, cred: &[u8]| {
        let (tx, rx) = mpsc::channel();
        c.add_auth_async(
            scheme,
            cred,
            None,
            Box::new(move |r| tx.send((r, std::thread::current().id())).unwrap()),
        )
        .map(|()| {
            let (r, on) = rx.recv_timeout(WAIT).unwrap();
            assert_ne!(
                on,
                std::thread::current().id(),
                "the callback ran on the caller"
            );
            r
        })
    };
    let c = connect(hosts);
    assert_eq!(c.get(&p, None, None).map(|_| ()), Err(Error::NoAuth));
    assert_eq!(add(&c, "digest", b"dave:pw"), Ok(Ok(())));
    assert_eq!(c.get(&p, None, None).unwrap().0, b"s");
    // Refused before anything is sent: no scheme, a digest without a colon, and the
    // legacy "sasl" scheme (SASL is an option of the client, not a credential).
    assert_eq!(add(&c, "", b"x"), Err(Error::InvalidArgument));
    assert_eq!(add(&c, "digest", b"no-colon"), Err(Error::InvalidArgument));
    assert_eq!(add(&c, "sasl", b"a:b"), Err(Error::InvalidArgument));
    assert!(c.connected());

    // A scheme the server does not know: it answers AUTHFAILED, which ends the session.
    let refused = connect(hosts);
    assert_eq!(
        add(&refused, "no-such-scheme", b"x"),
        Ok(Err(Error::AuthFailed))
    );
    assert_eq!(refused.keeper_state(), zkclient::KeeperState::AuthFailed);
    // The recursive delete lists the secret node's children: dave's READ.
    c.delete(&base, -1, true, None).unwrap();
}

/// The server answers auth as soon as it reads it, ahead of the requests still in its
/// pipeline: the client must take that reply out of turn, not as a broken stream.
#[test]
fn auth_added_while_requests_are_in_flight_keeps_the_connection_and_every_request() {
    let hosts = harness::shared().hosts();
    let c = connect(hosts);
    let base = root(&c, "auth-in-flight");
    let acl = [zkclient::acl::make_digest_acl("erin", "pw", zkclient::acl::perms::ALL).unwrap()];
    let only_erin = CreateOptions {
        acl: Some(&acl),
        ..Default::default()
    };
    c.create(&format!("{base}/secret"), b"e", &only_erin, false, None)
        .unwrap();
    let states = Arc::new(Mutex::new(Vec::new()));
    let seen = states.clone();
    c.add_listener(Box::new(move |s, k| seen.lock().unwrap().push((s, k))));
    let (tx, rx) = mpsc::channel();
    let burst = |from: usize| {
        for i in from..from + 300 {
            let tx = tx.clone();
            c.create_async(
                &format!("{base}/n{i}"),
                b"",
                &CreateOptions::default(),
                false,
                None,
                Box::new(move |r| tx.send(r.map(|_| ())).unwrap()),
            )
            .unwrap();
        }
    };
    let (atx, arx) = mpsc::channel();
    burst(0);
    // One blocking and two async credentials, each behind and ahead of creates in flight.
    let t = std::thread::scope(|s| {
        let h = s.spawn(|| c.add_auth("digest", b"erin:pw", None));
        burst(300);
        for user in ["frank:a", "gina:b"] {
            let atx = atx.clone();
            c.add_auth_async(
                "digest",
                user.as_bytes(),
                None,
                Box::new(move |r| atx.send(r).unwrap()),
            )
            .unwrap();
            burst(if user == "frank:a" { 600 } else { 900 });
        }
        h.join().unwrap()
    });
    assert_eq!(t, Ok(()));
    for _ in 0..2 {
        assert_eq!(arx.recv_timeout(WAIT).unwrap(), Ok(()));
    }
    let mut failed = Vec::new();
    for _ in 0..1200 {
        if let Err(e) = rx.recv_timeout(WAIT).unwrap() {
            failed.push(e);
        }
    }
    assert!(
        failed.is_empty(),
        "{} creates failed: {:?}",
        failed.len(),
        &failed[..1]
    );
    assert!(c.connected());
    assert!(
        states.lock().unwrap().is_empty(),
        "the connection changed state: {:?}",
        states.lock().unwrap()
    );
    assert_eq!(
        c.get(&format!("{base}/secret"), None, None).unwrap().0,
        b"e"
    );
    assert_eq!(
        c.get_children(&base, None, false, None).unwrap().0.len(),
        1201
    );
    // The credentials are replayed on the next connection and answered there first.
    c.delete(&base, -1, true, None).unwrap();
}

#[test]
fn completions_run_in_reply_order_after_earlier_watch_events() {
    let c = connect(harness::shared().hosts());
    let base = root(&c, "order");
    let node = format!("{base}/n");
    c.create(&node, b"", &CreateOptions::default(), false, None)
        .unwrap();
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let (done_tx, done_rx) = mpsc::channel();

    // A data watch, then a set from the same client: the server sends the watch event
    // before the set's reply, so the watch callback must run first.
    let l = log.clone();
    let (wtx, wrx) = mpsc::channel();
    c.get(
        &node,
        Some(Box::new(move |e| {
            l.lock().unwrap().push(format!("watch {:?}", e.event_type));
            wtx.send(()).unwrap();
        })),
        None,
    )
    .unwrap();
    let l = log.clone();
    c.set_async(
        &node,
        b"1",
        -1,
        None,
        Box::new(move |r| {
            r.unwrap();
            l.lock().unwrap().push("set".into());
        }),
    )
    .unwrap();

    // 500 gets in a row: their completions come back in submission order.
    for i in 0..500 {
        let l = log.clone();
        let d = done_tx.clone();
        c.get_async(
            &node,
            None,
            None,
            Box::new(move |r| {
                r.unwrap();
                l.lock().unwrap().push(format!("get {i}"));
                if i == 499 {
                    d.send(()).unwrap();
                }
            }),
        )
        .unwrap();
    }
    done_rx.recv_timeout(WAIT).unwrap();
    wrx.recv_timeout(WAIT).unwrap();
    let log = log.lock().unwrap();
    assert_eq!(log[0], format!("watch {:?}", EventType::NodeDataChanged));
    assert_eq!(log[1], "set");
    for (i, entry) in log[2..].iter().enumerate() {
        assert_eq!(entry, &format!("get {i}"));
    }
    c.delete(&base, -1, true, None).unwrap();
}

#[test]
fn requests_made_while_disconnected_wait_for_the_reconnect_or_their_deadline() {
    let mut cluster = harness::Cluster::start(1);
    // A restart under load can take 5 s (and 3.9 accepts and drops connections while it
    // loads its data): the longest session the server allows, and a connection retry that
    // keeps trying every half second instead of backing off past the session's end.
    let mut o = Options::new(cluster.hosts());
    o.session_timeout = Duration::from_secs(10);
    o.connection_retry.max_delay = Duration::from_millis(500);
    let c = Client::new(o).unwrap();
    c.start(WAIT).unwrap();
    c.create("/waiting", b"here", &CreateOptions::default(), false, None)
        .unwrap();
    let before = c.client_id().unwrap();
    cluster.kill(1);
    // Wait until the client has noticed.
    let t0 = std::time::Instant::now();
    while c.connected() && t0.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!c.connected());

    let (tx, rx) = mpsc::channel();
    let t = tx.clone();
    c.get_async(
        "/waiting",
        None,
        Some(Duration::from_millis(300)),
        Box::new(move |r| t.send(("short", r.map(|x| x.0))).unwrap()),
    )
    .unwrap();
    let t = tx.clone();
    c.get_async(
        "/waiting",
        None,
        Some(Duration::from_secs(30)),
        Box::new(move |r| t.send(("long", r.map(|x| x.0))).unwrap()),
    )
    .unwrap();

    let (which, r) = rx.recv_timeout(WAIT).unwrap();
    assert_eq!((which, r), ("short", Err(Error::TimedOut)));
    cluster.restart(1);
    let (which, r) = rx.recv_timeout(Duration::from_secs(30)).unwrap();
    assert_eq!((which, r), ("long", Ok(b"here".to_vec())));
    // The session survived the server restart.
    assert_eq!(c.client_id().unwrap().session_id, before.session_id);
    c.stop().unwrap();
}

#[test]
fn stop_fails_queued_requests_with_closed_and_later_ones_at_once() {
    let mut cluster = harness::Cluster::start(1);
    let c = connect(cluster.hosts());
    cluster.kill(1);
    let t0 = std::time::Instant::now();
    while c.connected() && t0.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(20));
    }
    let (tx, rx) = mpsc::channel();
    let t = tx.clone();
    c.get_async(
        "/x",
        None,
        Some(Duration::from_secs(60)),
        Box::new(move |r| t.send(r.map(|_| ())).unwrap()),
    )
    .unwrap();
    c.stop().unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), Err(Error::Closed));
    let t = tx.clone();
    c.get_async(
        "/x",
        None,
        None,
        Box::new(move |r| t.send(r.map(|_| ())).unwrap()),
    )
    .unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), Err(Error::Closed));
}

/// Requests made from a callback leave together when the callback batch ends: a chain of
/// gets, each issued from the previous one's completion, runs to its end; and a callback
/// that issues an async call and then a blocking one does not wait on its own unsent bytes.
#[test]
fn requests_made_from_callbacks_are_sent_without_outside_help() {
    let c = Arc::new(connect(harness::shared().hosts()));
    let base = root(&c, "chain");
    let (tx, rx) = mpsc::channel();
    chain(c.clone(), base.clone(), 100, 0, tx.clone());
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), 0);

    let c2 = c.clone();
    let b2 = base.clone();
    c.defer(Box::new(move || {
        let t = tx.clone();
        c2.exists_async(
            &b2,
            None,
            None,
            Box::new(move |r| t.send(r.is_ok() as u32 + 10).unwrap()),
        )
        .unwrap();
        // Blocking on the event thread: this write also carries the exists above.
        let (data, _) = c2.get(&b2, None, Some(Duration::from_secs(5))).unwrap();
        tx.send(data.len() as u32 + 20).unwrap();
    }));
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), 20);
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), 11);
    c.delete(&base, -1, true, None).unwrap();
}

/// While many async requests are at the server, requests made by callbacks are held back
/// and sent sixteen at a time (`Inner::after_batch`); held requests still leave when the
/// replies run down. 96 chains of gets of different lengths, each get issued from the
/// previous one's completion: the chains end at different times, so the queue at the
/// server drains through the hold's low-water mark, and every chain must finish.
#[test]
fn callback_requests_held_for_a_batch_all_leave_as_replies_run_down() {
    let c = Arc::new(connect(harness::shared().hosts()));
    let base = root(&c, "held");
    let (tx, rx) = mpsc::channel();
    const CHAINS: u32 = 96;
    for id in 0..CHAINS {
        // lengths 1..=300, spread so the chains end over the whole run
        chain(c.clone(), base.clone(), 1 + (id * 37) % 300, id, tx.clone());
    }
    // One deadline for all of it (the run takes about a second): a held request that
    // waited for the next ping to carry it out would stall its chain for seconds per step.
    let deadline = Instant::now() + WAIT;
    let mut done: Vec<u32> = (0..CHAINS)
        .map(|_| {
            let left = deadline.saturating_duration_since(Instant::now());
            rx.recv_timeout(left)
                .expect("the chains did not all finish in time")
        })
        .collect();
    done.sort_unstable();
    assert_eq!(done, (0..CHAINS).collect::<Vec<_>>());
    c.delete(&base, -1, true, None).unwrap();
}
