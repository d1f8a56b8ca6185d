//! NonBlockingLease and MultiNonBlockingLease against a real server, and with kazoo's on
//! the same paths: who gets a lease, renewal by the same identifier, a lease that ended,
//! the JSON holder record read both ways, and bad input.

mod common;
mod harness;
mod kazoo;
mod recipe_util;

use std::time::{Duration, SystemTime};

use common::connect;
use kazoo::Kazoo;
use recipe_util::{children, fresh};
use zkclient::recipe::lease::{obtain, obtain_at, obtain_one_of, LeaseOptions};
use zkclient::{Client, Error};

fn hosts() -> &'static str {
    harness::shared().hosts()
}

fn who(id: &str) -> LeaseOptions {
    LeaseOptions {
        identifier: Some(id.into()),
        ..LeaseOptions::default()
    }
}

/// The holder record's text.
fn record(c: &Client, path: &str) -> String {
    let (raw, _) = c.get(&format!("{path}/lease_holder"), None, None).unwrap();
    String::from_utf8(raw).unwrap()
}

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn one_identifier_holds_a_lease_until_it_ends_and_renews_it() {
    let c = connect(hosts());
    let path = fresh("lease");
    assert!(obtain(&c, &path, HOUR, &who("a")).unwrap());
    let first = record(&c, &path);
    assert!(
        first.starts_with("{\"version\": 1, \"holder\": \"a\", \"end\": \"20"),
        "{first}"
    );
    // Another identifier does not get it, on this client or another.
    assert!(!obtain(&c, &path, HOUR, &who("b")).unwrap());
    let other = connect(hosts());
    assert!(!obtain(&other, &path, HOUR, &who("b")).unwrap());
    assert_eq!(record(&c, &path), first, "a refusal writes nothing");
    // The holder renews it: a later end.
    assert!(obtain(&c, &path, 2 * HOUR, &who("a")).unwrap());
    assert!(record(&c, &path) > first);
    // Only the record is left: the lock nodes went with each attempt.
    assert_eq!(children(&c, &path), vec!["lease_holder".to_string()]);
    // A lease obtained an hour and a bit ago for an hour has ended: b takes it.
    let path2 = fresh("lease-ended");
    let past = SystemTime::now() - Duration::from_secs(3700);
    assert!(obtain_at(&c, &path2, HOUR, &who("a"), past).unwrap());
    assert!(obtain(&other, &path2, HOUR, &who("b")).unwrap());
    assert!(record(&c, &path2).contains("\"holder\": \"b\""));
}

#[test]
fn a_multi_lease_hands_out_each_slot_once() {
    let c = connect(hosts());
    let path = fresh("multilease");
    assert_eq!(
        obtain_one_of(&c, 2, &path, HOUR, &who("a")).unwrap(),
        Some(0)
    );
    assert_eq!(
        obtain_one_of(&c, 2, &path, HOUR, &who("b")).unwrap(),
        Some(1)
    );
    assert_eq!(obtain_one_of(&c, 2, &path, HOUR, &who("c")).unwrap(), None);
    // Renewing finds one's own slot.
    assert_eq!(
        obtain_one_of(&c, 2, &path, HOUR, &who("b")).unwrap(),
        Some(1)
    );
    assert_eq!(children(&c, &path), vec!["0".to_string(), "1".to_string()]);
}

#[test]
fn bad_input_is_refused_before_anything_is_sent() {
    let c = connect(hosts());
    for p in ["", "x", "/", "/a/", "/a//b"] {
        assert_eq!(
            obtain(&c, p, HOUR, &who("a")),
            Err(Error::InvalidPath),
            "{p:?}"
        );
    }
    let path = fresh("lease-bad");
    assert_eq!(
        obtain_one_of(&c, 0, &path, HOUR, &who("a")),
        Err(Error::InvalidArgument)
    );
    assert_eq!(
        obtain(&c, &path, Duration::from_secs(u64::MAX), &who("a")),
        Err(Error::InvalidArgument)
    );
    assert_eq!(c.exists(&path, None, None), Ok(None));
    // A record this code cannot read is left to whoever wrote it.
    c.create(
        &format!("{path}/lease_holder"),
        b"not json",
        &zkclient::CreateOptions {
            makepath: true,
            ..Default::default()
        },
        false,
        None,
    )
    .unwrap();
    assert!(!obtain(&c, &path, HOUR, &who("a")).unwrap());
    assert_eq!(record(&c, &path), "not json");
}

#[test]
fn kazoo_and_we_share_leases_and_read_each_others_records() {
    let c = connect(hosts());
    let mut k = Kazoo::start(hosts());
    k.run("import datetime, json");
    let path = fresh("lease-kazoo");
    // Ours first: kazoo does not get it, and reads our record.
    assert!(obtain(&c, &path, HOUR, &who("ours é")).unwrap());
    let got = k.eval(&format!(
        "print(bool(zk.NonBlockingLease('{path}', datetime.timedelta(hours=1), identifier='kazoo')))"
    ));
    assert_eq!(got, "False");
    let holder = k.eval(&format!(
        "print(json.loads(zk.get('{path}/lease_holder')[0].decode())['holder'] == 'ours \\u00e9')"
    ));
    assert_eq!(holder, "True");
    // kazoo renews ours with our identifier, as the same holder.
    let got = k.eval(&format!(
        "print(bool(zk.NonBlockingLease('{path}', datetime.timedelta(hours=2), identifier='ours \\u00e9')))"
    ));
    assert_eq!(got, "True");
    assert!(!obtain(&c, &path, HOUR, &who("third")).unwrap());
    // kazoo's lease, which ended: we take it; one that has not: we do not.
    let ended = fresh("lease-kazoo-ended");
    k.run(&format!(
        "past = lambda: datetime.datetime.utcnow() - datetime.timedelta(hours=2)\n\
         assert zk.NonBlockingLease('{ended}', datetime.timedelta(hours=1), identifier='kazoo', utcnow=past)"
    ));
    assert!(record(&c, &ended).contains("\"holder\": \"kazoo\""));
    assert!(obtain(&c, &ended, HOUR, &who("ours")).unwrap());
    let live = fresh("lease-kazoo-live");
    k.run(&format!(
        "assert zk.NonBlockingLease('{live}', datetime.timedelta(hours=1), identifier='kazoo')"
    ));
    assert!(!obtain(&c, &live, HOUR, &who("ours")).unwrap());
    // A multi-lease shared by both: kazoo's attempt gets the slot after ours.
    let multi = fresh("multilease-kazoo");
    assert_eq!(
        obtain_one_of(&c, 3, &multi, HOUR, &who("ours")).unwrap(),
        Some(0)
    );
    let got = k.eval(&format!(
        "print(bool(zk.MultiNonBlockingLease(3, '{multi}', datetime.timedelta(hours=1), identifier='kazoo')))"
    ));
    assert_eq!(got, "True");
    assert!(record(&c, &format!("{multi}/1")).contains("\"holder\": \"kazoo\""));
    assert_eq!(
        obtain_one_of(&c, 3, &multi, HOUR, &who("other")).unwrap(),
        Some(2)
    );
    assert_eq!(
        obtain_one_of(&c, 3, &multi, HOUR, &who("fourth")).unwrap(),
        None
    );
}
