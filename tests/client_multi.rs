//! Transactions against a real ZooKeeper: all applied or none, per-op results, chroot.

mod harness;

use std::time::Duration;

use zkclient::multi::{Op, OpResult};
use zkclient::{Client, CreateOptions, Error, Options};

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
    assert_eq!(r[0], OpResult::Created("/multi-ok/a".into()));
    match &r[1] {
        OpResult::Created(p) => assert!(
            p.starts_with("/multi-ok/seq-") && p.len() == "/multi-ok/seq-".len() + 10,
            "{p}"
        ),
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
fn created_paths_are_chroot_relative() {
    let root = connect(harness::shared().hosts());
    fresh(&root, "/multi-chroot");
    let c = connect(&format!("{}/multi-chroot", harness::shared().hosts()));
    let r = c.multi(&[Op::create("/x", "")], None).unwrap();
    assert_eq!(r, vec![OpResult::Created("/x".into())]);
    assert!(root
        .exists("/multi-chroot/x", None, None)
        .unwrap()
        .is_some());
    root.delete("/multi-chroot", -1, true, None).unwrap();
}
