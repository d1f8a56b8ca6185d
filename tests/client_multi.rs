//! Transactions against a real ZooKeeper: all applied or none, per-op results, chroot.

mod harness;

use std::time::Duration;

use std::sync::mpsc;

use zkclient::multi::{Op, OpResult, ReadOp, ReadResult};
use zkclient::{Client, CreateOptions, Error, Options, Stat};

fn connect(hosts: &str) -> Client {
    let c = Client::new(Options::new(hosts)).unwrap();
    c.start(Duration::from_secs(10)).unwrap();
    c
}

fn fresh(c: &Client, p: &str) {
    let _ = c.delete(p, -1, true, None);
    c.create(p, b"", &CreateOptions::default(), false, None)
        .unwrap();
}

#[test]
fn a_transaction_applies_every_op_and_reports_each() {
    let c = connect(harness::shared().hosts());
    fresh(&c, "/multi-ok");
    c.create(
        "/multi-ok/old",
        b"x",
        &CreateOptions::default(),
        false,
        None,
    )
    .unwrap();
    let ops = vec![
        Op::create("/multi-ok/a", "1"),
        Op::Create {
            path: "/multi-ok/seq-".into(),
            data: vec![],
            acl: None,
            ephemeral: true,
            sequence: true,
            container: false,
            ttl: None,
        },
        Op::Set {
            path: "/multi-ok/a".into(),
            data: b"2".to_vec(),
            version: 0,
        },
        Op::Check {
            path: "/multi-ok/old".into(),
            version: 0,
        },
        Op::Delete {
            path: "/multi-ok/old".into(),
            version: 0,
        },
    ];
    let r = c.multi(&ops, None).unwrap();
    let a = c.exists("/multi-ok/a", None, None).unwrap().unwrap();
    // Creates go as create2: ZooKeeper 3.9 answers with the Stat, 3.8 without.
    let is_39 = harness::shared().version() >= harness::ServerVersion::V3_9;
    let want_stat = |s: Stat| is_39.then_some(s);
    match &r[0] {
        OpResult::Created { path, stat } => {
            assert_eq!(path, "/multi-ok/a");
            // The Stat is the node's as created, before the set below.
            let created = Stat {
                version: 0,
                mzxid: a.czxid,
                mtime: a.ctime,
                data_length: 1,
                ..a
            };
            assert_eq!(*stat, want_stat(created));
        }
        other => panic!("{other:?}"),
    }
    match &r[1] {
        OpResult::Created { path, stat } => {
            assert!(
                path.starts_with("/multi-ok/seq-") && path.len() == "/multi-ok/seq-".len() + 10,
                "{path}"
            );
            let s = c.exists(path, None, None).unwrap().unwrap();
            assert_eq!(*stat, want_stat(s));
            assert_eq!(s.ephemeral_owner, c.client_id().unwrap().session_id);
        }
        other => panic!("{other:?}"),
    }
    match &r[2] {
        OpResult::Set(s) => assert_eq!(s.version, 1),
        other => panic!("{other:?}"),
    }
    assert_eq!(r[3], OpResult::Checked);
    assert_eq!(r[4], OpResult::Deleted);
    assert_eq!(c.get("/multi-ok/a", None, None).unwrap().0, b"2");
    assert!(c.exists("/multi-ok/old", None, None).unwrap().is_none());
    c.delete("/multi-ok", -1, true, None).unwrap();
}

#[test]
fn a_failed_transaction_applies_nothing_and_names_the_failing_op() {
    let c = connect(harness::shared().hosts());
    fresh(&c, "/multi-fail");
    let ops = vec![
        Op::create("/multi-fail/a", "1"),
        Op::Check {
            path: "/multi-fail".into(),
            version: 7,
        },
        Op::create("/multi-fail/b", "2"),
    ];
    let r = c.multi(&ops, None).unwrap();
    assert_eq!(
        r,
        vec![
            OpResult::RolledBack,
            OpResult::Failed(Error::BadVersion),
            OpResult::Failed(Error::RuntimeInconsistency),
        ]
    );
    assert!(c.exists("/multi-fail/a", None, None).unwrap().is_none());
    assert!(c.exists("/multi-fail/b", None, None).unwrap().is_none());
    // Bad arguments are refused before anything is sent.
    assert_eq!(
        c.multi(&[Op::create("no-slash", "")], None),
        Err(Error::InvalidPath)
    );
    c.delete("/multi-fail", -1, true, None).unwrap();
}

#[test]
fn an_async_transaction_reports_each_op_on_the_event_thread() {
    // Through a chroot: created paths come back relative to it, as from `multi`.
    let root = connect(harness::shared().hosts());
    fresh(&root, "/multi-async");
    root.create(
        "/multi-async/old",
        b"x",
        &CreateOptions::default(),
        false,
        None,
    )
    .unwrap();
    let c = connect(&format!("{}/multi-async", harness::shared().hosts()));
    let run = |ops: &[Op]| {
        let (tx, rx) = mpsc::channel();
        c.multi_async(
            ops,
            None,
            Box::new(move |r| tx.send((r, std::thread::current().id())).unwrap()),
        )
        .unwrap();
        let (r, on) = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_ne!(
            on,
            std::thread::current().id(),
            "the callback ran on the caller"
        );
        r
    };

    let r = run(&[
        Op::create("/a", "1"),
        Op::Set {
            path: "/a".into(),
            data: b"2".to_vec(),
            version: 0,
        },
        Op::Check {
            path: "/old".into(),
            version: 0,
        },
        Op::Delete {
            path: "/old".into(),
            version: 0,
        },
    ])
    .unwrap();
    assert_eq!(r.len(), 4);
    assert!(
        matches!(&r[0], OpResult::Created { path, .. } if path == "/a"),
        "{r:?}"
    );
    assert!(matches!(&r[1], OpResult::Set(s) if s.version == 1), "{r:?}");
    assert_eq!(r[2..], [OpResult::Checked, OpResult::Deleted]);
    assert_eq!(root.get("/multi-async/a", None, None).unwrap().0, b"2");
    assert!(root
        .exists("/multi-async/old", None, None)
        .unwrap()
        .is_none());

    // A failing op: nothing applied, each op's fate in its slot.
    let r = run(&[
        Op::create("/b", "1"),
        Op::Check {
            path: "/a".into(),
            version: 7,
        },
    ])
    .unwrap();
    assert_eq!(
        r,
        [OpResult::RolledBack, OpResult::Failed(Error::BadVersion)]
    );
    assert!(root.exists("/multi-async/b", None, None).unwrap().is_none());

    // An empty batch sends nothing; its callback still runs, on the event thread.
    assert_eq!(run(&[]), Ok(vec![]));

    // Bad arguments are refused before anything is sent, the callback dropped uncalled.
    let (tx, rx) = mpsc::channel::<()>();
    assert_eq!(
        c.multi_async(
            &[Op::create("no-slash", "")],
            None,
            Box::new(move |_| tx.send(()).unwrap())
        ),
        Err(Error::InvalidPath)
    );
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(1)),
        Err(mpsc::RecvTimeoutError::Disconnected)
    );

    // After close: an empty batch is refused at once; a real one is taken, and its
    // callback gets Closed.
    c.close();
    assert_eq!(
        c.multi_async(&[], None, Box::new(|_| panic!("called"))),
        Err(Error::Closed)
    );
    let (tx, rx) = mpsc::channel();
    c.multi_async(
        &[Op::create("/c", "")],
        None,
        Box::new(move |r| tx.send(r).unwrap()),
    )
    .unwrap();
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(10)).unwrap(),
        Err(Error::Closed)
    );
    root.delete("/multi-async", -1, true, None).unwrap();
}

#[test]
fn created_paths_are_chroot_relative() {
    let root = connect(harness::shared().hosts());
    fresh(&root, "/multi-chroot");
    let c = connect(&format!("{}/multi-chroot", harness::shared().hosts()));
    let r = c.multi(&[Op::create("/x", "")], None).unwrap();
    match &r[..] {
        [OpResult::Created { path, .. }] => assert_eq!(path, "/x"),
        other => panic!("{other:?}"),
    }
    assert!(root
        .exists("/multi-chroot/x", None, None)
        .unwrap()
        .is_some());
    root.delete("/multi-chroot", -1, true, None).unwrap();
}

#[test]
fn a_read_batch_answers_each_read_on_its_own() {
    let root = connect(harness::shared().hosts());
    fresh(&root, "/mread");
    root.create("/mread/a", b"alpha", &CreateOptions::default(), false, None)
        .unwrap();
    root.create("/mread/a/x", b"", &CreateOptions::default(), false, None)
        .unwrap();
    root.create("/mread/a/y", b"", &CreateOptions::default(), false, None)
        .unwrap();
    // Through a chroot: paths in, nothing chroot-shaped out.
    let c = connect(&format!("{}/mread", harness::shared().hosts()));
    let ops = [
        ReadOp::get_data("/a"),
        ReadOp::get_children("/a"),
        ReadOp::get_data("/missing"),
        ReadOp::get_children("/"),
    ];
    let r = c.multi_read(&ops, None).unwrap();
    assert_eq!(r.len(), 4);
    let (data, stat) = c.get("/a", None, None).unwrap();
    assert_eq!(r[0], ReadResult::Data { data, stat });
    match &r[1] {
        ReadResult::Children(k) => {
            let mut k = k.clone();
            k.sort();
            assert_eq!(k, ["x", "y"]);
        }
        other => panic!("{other:?}"),
    }
    // A failed read fails alone.
    assert_eq!(r[2], ReadResult::Failed(Error::NoNode));
    assert_eq!(r[3], ReadResult::Children(vec!["a".into()]));

    // Bad arguments are refused before anything is sent; an empty batch sends nothing.
    assert_eq!(
        c.multi_read(&[ReadOp::get_data("no-slash")], None),
        Err(Error::InvalidPath)
    );
    assert_eq!(c.multi_read(&[], None), Ok(vec![]));

    // The same without blocking, its callback on the event thread.
    let (tx, rx) = mpsc::channel();
    c.multi_read_async(&ops, None, Box::new(move |r| tx.send(r).unwrap()))
        .unwrap();
    let got = rx.recv_timeout(Duration::from_secs(10)).unwrap().unwrap();
    assert_eq!(got.len(), 4);
    assert_eq!(got[0], r[0]);
    assert_eq!(got[2], ReadResult::Failed(Error::NoNode));
    // An empty batch sends nothing, and its callback still runs on the event thread,
    // never on the caller's.
    let (tx, rx) = mpsc::channel();
    c.multi_read_async(
        &[],
        None,
        Box::new(move |r| tx.send((r, std::thread::current().id())).unwrap()),
    )
    .unwrap();
    let (got, on) = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(got, Ok(vec![]));
    assert_ne!(on, std::thread::current().id());
    root.delete("/mread", -1, true, None).unwrap();
}

#[test]
fn a_read_batch_reports_no_auth_per_read_and_closed_after_close() {
    let c = connect(harness::shared().hosts());
    fresh(&c, "/mread-acl");
    let secret = vec![zkclient::acl::make_digest_acl("u", "p", zkclient::acl::perms::ALL).unwrap()];
    let o = CreateOptions {
        acl: Some(&secret),
        ..Default::default()
    };
    c.create("/mread-acl/s", b"x", &o, false, None).unwrap();
    let r = c
        .multi_read(
            &[
                ReadOp::get_data("/mread-acl/s"),
                ReadOp::get_data("/mread-acl"),
            ],
            None,
        )
        .unwrap();
    assert_eq!(r[0], ReadResult::Failed(Error::NoAuth));
    assert!(matches!(r[1], ReadResult::Data { .. }));
    // The recursive delete lists /mread-acl/s, which needs its READ.
    c.add_auth("digest", b"u:p", None).unwrap();
    c.delete("/mread-acl", -1, true, None).unwrap();
    c.close();
    assert_eq!(
        c.multi_read(&[ReadOp::get_data("/")], None),
        Err(Error::Closed)
    );
    assert_eq!(c.multi_read(&[], None), Err(Error::Closed));
}
