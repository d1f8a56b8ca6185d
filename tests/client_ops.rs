//! Every operation of the blocking API against a real ZooKeeper server (Debian's 3.8, or
//! 3.9.5 with ZK_VERSION=3.9): what it sends is judged by what the server then holds, as
//! seen through replies and through other clients. Where the two servers differ, a test
//! asks `harness::shared().version()` and asserts what each does.

mod common;
mod harness;

use std::net::SocketAddr;
use std::time::Duration;

use common::{connect, options, quick_retry, sorted, start, Proxy, WAIT};
use zkclient::acl::perms;
use zkclient::acl::{self, make_digest_acl};
use zkclient::{Client, CreateOptions, Error, KeeperState};

fn hosts() -> &'static str {
    harness::shared().hosts()
}

fn client() -> Client {
    connect(hosts())
}

/// A fresh parent node for one test.
fn root(c: &Client, name: &str) -> String {
    let p = format!("/it-ops-{name}");
    c.ensure_path(&p, None, None).unwrap();
    p
}

fn plain() -> CreateOptions<'static> {
    CreateOptions::default()
}

fn seq_suffix(path: &str, prefix: &str) -> u64 {
    let suffix = path
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{path} lacks {prefix}"));
    assert_eq!(suffix.len(), 10, "{path}: suffix is not %010d");
    assert!(suffix.bytes().all(|b| b.is_ascii_digit()), "{path}");
    suffix.parse().unwrap()
}

// ----- create ------------------------------------------------------------------------------

#[test]
fn create_returns_the_path_and_no_stat_unless_asked() {
    let c = client();
    let r = root(&c, "create-plain");
    let p = format!("{r}/n");
    let made = c.create(&p, b"hello", &plain(), false, None).unwrap();
    assert_eq!(made.path, p);
    assert_eq!(made.stat, None);
    let (data, stat) = c.get(&p, None, None).unwrap();
    assert_eq!(data, b"hello");
    assert_eq!(
        (stat.version, stat.data_length, stat.ephemeral_owner),
        (0, 5, 0)
    );
    assert_eq!(
        c.create(&p, b"again", &plain(), false, None),
        Err(Error::NodeExists)
    );
}

#[test]
fn create_with_stat_returns_the_new_nodes_stat() {
    let c = client();
    let r = root(&c, "create-stat");
    let p = format!("{r}/n");
    let made = c.create(&p, b"abc", &plain(), true, None).unwrap();
    let stat = made.stat.expect("stat asked for");
    assert_eq!(
        (stat.version, stat.data_length, stat.num_children),
        (0, 3, 0)
    );
    assert_eq!(stat.czxid, stat.mzxid);
    assert!(stat.czxid > 0);
    assert_eq!(c.exists(&p, None, None).unwrap(), Some(stat));
}

#[test]
fn create_with_empty_data_makes_an_empty_node() {
    let c = client();
    let r = root(&c, "create-empty");
    let p = format!("{r}/n");
    let stat = c
        .create(&p, b"", &plain(), true, None)
        .unwrap()
        .stat
        .unwrap();
    assert_eq!(stat.data_length, 0);
    let (data, _) = c.get(&p, None, None).unwrap();
    assert!(data.is_empty());
}

#[test]
fn ephemeral_node_is_owned_by_the_session_and_has_no_children() {
    let c = client();
    let r = root(&c, "create-ephemeral");
    let p = format!("{r}/e");
    let o = CreateOptions {
        ephemeral: true,
        ..plain()
    };
    let stat = c.create(&p, b"", &o, true, None).unwrap().stat.unwrap();
    assert_eq!(stat.ephemeral_owner, c.client_id().unwrap().session_id);
    assert_eq!(
        c.create(&format!("{p}/child"), b"", &plain(), false, None),
        Err(Error::NoChildrenForEphemerals)
    );
}

#[test]
fn sequential_creates_get_increasing_ten_digit_suffixes() {
    let c = client();
    let r = root(&c, "create-seq");
    let prefix = format!("{r}/s-");
    let mut seen = Vec::new();
    for i in 0..5 {
        let o = CreateOptions {
            sequence: true,
            ephemeral: i % 2 == 1,
            ..plain()
        };
        let made = c.create(&prefix, b"", &o, false, None).unwrap();
        seen.push(seq_suffix(&made.path, &prefix));
    }
    // A fresh parent counts from 0, one step per child created.
    assert_eq!(seen, vec![0, 1, 2, 3, 4]);
    // A path ending in '/' is fine for a sequential node: the server appends the counter.
    let dir = format!("{r}/");
    let made = c
        .create(
            &dir,
            b"",
            &CreateOptions {
                sequence: true,
                ..plain()
            },
            false,
            None,
        )
        .unwrap();
    assert_eq!(seq_suffix(&made.path, &dir), 5);
}

/// A server whose container manager runs every 100 ms (default: every minute), so the
/// server's own clean-up proves that a node really is a container or has a TTL. The
/// server hides both marks from clients (Stat.ephemeralOwner reads 0).
fn reaper() -> &'static harness::Cluster {
    static R: std::sync::OnceLock<harness::Cluster> = std::sync::OnceLock::new();
    R.get_or_init(|| {
        let opts = harness::ClusterOpts {
            jvm_flags: vec!["-Dznode.container.checkIntervalMs=100".into()],
            ..Default::default()
        };
        harness::Cluster::start_with(1, &opts)
    })
}

#[test]
fn container_node_is_reaped_by_the_server_once_its_last_child_goes() {
    let c = connect(reaper().hosts());
    let r = root(&c, "container");
    let (boxed, plain_parent) = (format!("{r}/box"), format!("{r}/plain"));
    let o = CreateOptions {
        container: true,
        ..plain()
    };
    let made = c.create(&boxed, b"", &o, true, None).unwrap();
    assert_eq!(made.path, boxed);
    assert_eq!(made.stat.expect("stat asked for").num_children, 0);
    c.create(&plain_parent, b"", &plain(), false, None).unwrap();
    for p in [&boxed, &plain_parent] {
        c.create(&format!("{p}/child"), b"", &plain(), false, None)
            .unwrap();
        c.delete(&format!("{p}/child"), -1, false, None).unwrap();
    }
    common::wait_until("container reaped", WAIT, || {
        c.exists(&boxed, None, None).unwrap().is_none()
    });
    assert!(
        c.exists(&plain_parent, None, None).unwrap().is_some(),
        "a plain node stays"
    );
    let bad = CreateOptions {
        container: true,
        ephemeral: true,
        ..plain()
    };
    assert_eq!(
        c.create(&format!("{r}/x"), b"", &bad, false, None),
        Err(Error::InvalidArgument)
    );
    let bad = CreateOptions {
        container: true,
        sequence: true,
        ..plain()
    };
    assert_eq!(
        c.create(&format!("{r}/x"), b"", &bad, false, None),
        Err(Error::InvalidArgument)
    );
}

#[test]
fn ttl_node_is_reaped_by_the_server_after_its_ttl() {
    let c = connect(reaper().hosts());
    let r = root(&c, "ttl");
    let (short, long) = (format!("{r}/short"), format!("{r}/long"));
    let o = CreateOptions {
        ttl: Some(Duration::from_millis(300)),
        ..plain()
    };
    let stat = c
        .create(&short, b"x", &o, true, None)
        .unwrap()
        .stat
        .expect("stat asked for");
    assert_eq!((stat.data_length, stat.ephemeral_owner), (1, 0));
    let o = CreateOptions {
        ttl: Some(Duration::from_secs(3600)),
        ..plain()
    };
    c.create(&long, b"", &o, false, None).unwrap();
    let so = CreateOptions {
        ttl: Some(Duration::from_secs(3600)),
        sequence: true,
        ..plain()
    };
    let made = c
        .create(&format!("{r}/seq-"), b"", &so, false, None)
        .unwrap();
    seq_suffix(&made.path, &format!("{r}/seq-"));
    common::wait_until("ttl node reaped", WAIT, || {
        c.exists(&short, None, None).unwrap().is_none()
    });
    assert!(
        c.exists(&long, None, None).unwrap().is_some(),
        "a node within its TTL stays"
    );

    for bad in [
        CreateOptions {
            ttl: Some(Duration::ZERO),
            ..plain()
        },
        CreateOptions {
            ttl: Some(Duration::from_millis(0x100_0000_0000)),
            ..plain()
        },
        CreateOptions {
            ttl: Some(Duration::from_secs(1)),
            ephemeral: true,
            ..plain()
        },
        CreateOptions {
            ttl: Some(Duration::from_secs(1)),
            container: true,
            ..plain()
        },
    ] {
        assert_eq!(
            c.create(&format!("{r}/bad"), b"", &bad, false, None),
            Err(Error::InvalidArgument),
            "{bad:?}"
        );
    }
    assert_eq!(c.exists(&format!("{r}/bad"), None, None).unwrap(), None);
}

#[test]
fn makepath_creates_missing_parents_and_without_it_create_fails_nonode() {
    let c = client();
    let r = root(&c, "create-makepath");
    let deep = format!("{r}/a/b/c/leaf");
    assert_eq!(
        c.create(&deep, b"x", &plain(), false, None),
        Err(Error::NoNode)
    );
    let o = CreateOptions {
        makepath: true,
        ..plain()
    };
    assert_eq!(
        c.create(&deep, b"leaf", &o, false, None).unwrap().path,
        deep
    );
    for p in [format!("{r}/a"), format!("{r}/a/b"), format!("{r}/a/b/c")] {
        let (data, _) = c.get(&p, None, None).unwrap();
        assert!(data.is_empty(), "{p}");
    }
    assert_eq!(c.get(&deep, None, None).unwrap().0, b"leaf");
    // makepath with a sequential leaf under missing parents.
    let so = CreateOptions {
        makepath: true,
        sequence: true,
        ..plain()
    };
    let made = c
        .create(&format!("{r}/q/r/s-"), b"", &so, false, None)
        .unwrap();
    assert_eq!(seq_suffix(&made.path, &format!("{r}/q/r/s-")), 0);
}

#[test]
fn create_rejects_empty_and_malformed_acls() {
    let c = client();
    let r = root(&c, "create-acl");
    let empty: &[zkclient::Acl] = &[];
    let o = CreateOptions {
        acl: Some(empty),
        ..plain()
    };
    assert_eq!(
        c.create(&format!("{r}/n"), b"", &o, false, None),
        Err(Error::InvalidAcl)
    );
    let bad = [acl::make_acl(64, "world", "anyone")];
    let o = CreateOptions {
        acl: Some(&bad),
        ..plain()
    };
    assert_eq!(
        c.create(&format!("{r}/n"), b"", &o, false, None),
        Err(Error::InvalidAcl)
    );
    assert_eq!(c.exists(&format!("{r}/n"), None, None).unwrap(), None);
}

// ----- ensure_path, exists, get, get_children ------------------------------------------------

#[test]
fn ensure_path_creates_a_deep_chain_and_is_idempotent() {
    let c = client();
    let deep = "/it-ops-ensure/a/b/c/d/e";
    c.ensure_path(deep, None, None).unwrap();
    c.ensure_path(deep, None, None).unwrap();
    c.ensure_path("/it-ops-ensure/a/b", None, None).unwrap();
    c.ensure_path("/", None, None).unwrap();
    let (kids, _) = c
        .get_children("/it-ops-ensure/a/b/c/d", None, false, None)
        .unwrap();
    assert_eq!(kids, vec!["e".to_string()]);
    assert_eq!(
        c.ensure_path("/it-ops-ensure/bad/", None, None),
        Err(Error::InvalidPath)
    );
}

#[test]
fn exists_gives_the_stat_or_none() {
    let c = client();
    let r = root(&c, "exists");
    let p = format!("{r}/n");
    assert_eq!(c.exists(&p, None, None).unwrap(), None);
    let stat = c
        .create(&p, b"12", &plain(), true, None)
        .unwrap()
        .stat
        .unwrap();
    assert_eq!(c.exists(&p, None, None).unwrap(), Some(stat));
    assert!(c.exists("/", None, None).unwrap().is_some());
}

#[test]
fn get_returns_data_and_stat_and_nonode_when_missing() {
    let c = client();
    let r = root(&c, "get");
    let p = format!("{r}/n");
    let data: Vec<u8> = (0..=255u8).collect();
    c.create(&p, &data, &plain(), false, None).unwrap();
    let (got, stat) = c.get(&p, None, None).unwrap();
    assert_eq!(got, data);
    assert_eq!((stat.version, stat.data_length), (0, 256));
    assert_eq!(
        c.get(&format!("{r}/missing"), None, None),
        Err(Error::NoNode)
    );
}

#[test]
fn get_children_lists_every_child_and_the_parent_stat() {
    let c = client();
    let r = root(&c, "children");
    let names = ["delta", "alpha", "echo", "charlie", "bravo"];
    for n in names {
        c.create(&format!("{r}/{n}"), b"", &plain(), false, None)
            .unwrap();
    }
    let (kids, stat) = c.get_children(&r, None, false, None).unwrap();
    assert_eq!(stat, None);
    let mut want: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(sorted(kids), want);
    let (kids, stat) = c.get_children(&r, None, true, None).unwrap();
    let stat = stat.expect("stat asked for");
    assert_eq!(stat.num_children, 5);
    assert_eq!(stat.cversion, 5);
    assert_eq!(sorted(kids), want);
    assert_eq!(c.exists(&r, None, None).unwrap(), Some(stat));
    let (none, _) = c
        .get_children(&format!("{r}/alpha"), None, false, None)
        .unwrap();
    assert!(none.is_empty());
    assert_eq!(
        c.get_children(&format!("{r}/zulu"), None, false, None),
        Err(Error::NoNode)
    );
}

// ----- set, delete -------------------------------------------------------------------------

#[test]
fn set_bumps_the_version_and_refuses_a_wrong_one() {
    let c = client();
    let r = root(&c, "set");
    let p = format!("{r}/n");
    let s0 = c
        .create(&p, b"v0", &plain(), true, None)
        .unwrap()
        .stat
        .unwrap();
    let s1 = c.set(&p, b"v1", 0, None).unwrap();
    assert_eq!((s1.version, s1.data_length), (1, 2));
    assert!(s1.mzxid > s0.mzxid);
    assert_eq!(s1.czxid, s0.czxid);
    assert_eq!(c.set(&p, b"stale", 0, None), Err(Error::BadVersion));
    let s2 = c.set(&p, b"any-version", -1, None).unwrap();
    assert_eq!((s2.version, s2.data_length), (2, 11));
    let (data, stat) = c.get(&p, None, None).unwrap();
    assert_eq!((data.as_slice(), stat), (&b"any-version"[..], s2));
    assert_eq!(
        c.set(&format!("{r}/missing"), b"", -1, None),
        Err(Error::NoNode)
    );
}

#[test]
fn delete_checks_the_version_and_refuses_a_parent_with_children() {
    let c = client();
    let r = root(&c, "delete");
    let p = format!("{r}/n");
    c.create(&p, b"", &plain(), false, None).unwrap();
    c.set(&p, b"x", -1, None).unwrap();
    assert_eq!(c.delete(&p, 0, false, None), Err(Error::BadVersion));
    assert!(c.exists(&p, None, None).unwrap().is_some());
    c.delete(&p, 1, false, None).unwrap();
    assert_eq!(c.exists(&p, None, None).unwrap(), None);
    assert_eq!(c.delete(&p, -1, false, None), Err(Error::NoNode));

    let parent = format!("{r}/parent");
    c.create(
        &format!("{parent}/kid"),
        b"",
        &CreateOptions {
            makepath: true,
            ..plain()
        },
        false,
        None,
    )
    .unwrap();
    assert_eq!(c.delete(&parent, -1, false, None), Err(Error::NotEmpty));
    assert!(c
        .exists(&format!("{parent}/kid"), None, None)
        .unwrap()
        .is_some());
}

#[test]
fn recursive_delete_removes_a_whole_tree() {
    let c = client();
    let r = root(&c, "delete-tree");
    let top = format!("{r}/tree");
    let mk = CreateOptions {
        makepath: true,
        ..plain()
    };
    for leaf in ["a/x/1", "a/x/2", "a/y", "b", "c/z/deep/deeper"] {
        c.create(&format!("{top}/{leaf}"), b"d", &mk, false, None)
            .unwrap();
    }
    c.delete(&top, -1, true, None).unwrap();
    assert_eq!(c.exists(&top, None, None).unwrap(), None);
    let (kids, _) = c.get_children(&r, None, false, None).unwrap();
    assert!(kids.is_empty(), "{kids:?}");
    assert_eq!(c.delete(&top, -1, true, None), Err(Error::NoNode));
    assert_eq!(c.delete("/", -1, true, None), Err(Error::InvalidArgument));
    assert!(c.exists(&r, None, None).unwrap().is_some());
}

#[test]
fn recursive_delete_with_a_stale_version_leaves_the_tree_alone() {
    let c = client();
    let r = root(&c, "delete-tree-version");
    let top = format!("{r}/tree");
    let mk = CreateOptions {
        makepath: true,
        ..plain()
    };
    c.create(&format!("{top}/a/b"), b"", &mk, false, None)
        .unwrap();
    c.set(&top, b"v1", -1, None).unwrap();
    assert_eq!(c.delete(&top, 0, true, None), Err(Error::BadVersion));
    assert!(c
        .exists(&format!("{top}/a/b"), None, None)
        .unwrap()
        .is_some());
    assert_eq!(
        c.delete(&format!("{top}/nope"), 3, true, None),
        Err(Error::NoNode)
    );
    c.delete(&top, 1, true, None).unwrap();
    assert_eq!(c.exists(&top, None, None).unwrap(), None);
}

// ----- sync, ACLs ----------------------------------------------------------------------------

#[test]
fn sync_returns_the_path_it_synced() {
    let c = client();
    let r = root(&c, "sync");
    assert_eq!(c.sync(&r, None).unwrap(), r);
    assert_eq!(c.sync("/", None).unwrap(), "/");
}

#[test]
fn set_acl_bumps_aversion_and_the_new_acl_is_enforced() {
    let c = client();
    let r = root(&c, "acl");
    let p = format!("{r}/n");
    c.create(&p, b"data", &plain(), false, None).unwrap();
    let (acl, stat) = c.get_acl(&p, None).unwrap();
    assert_eq!(acl, acl::open_acl_unsafe());
    assert_eq!(stat.aversion, 0);

    let open = acl::open_acl_unsafe();
    assert_eq!(c.set_acl(&p, &open, 0, None).unwrap().aversion, 1);
    assert_eq!(c.set_acl(&p, &open, 0, None), Err(Error::BadVersion));
    let ro = acl::read_acl_unsafe();
    assert_eq!(c.set_acl(&p, &ro, 1, None).unwrap().aversion, 2);
    let (acl, stat) = c.get_acl(&p, None).unwrap();
    assert_eq!((acl, stat.aversion), (ro, 2));
    // Read-only for everyone now: reads work, writes are refused by the server.
    assert_eq!(c.get(&p, None, None).unwrap().0, b"data");
    assert_eq!(c.set(&p, b"no", -1, None), Err(Error::NoAuth));
    assert_eq!(
        c.set_acl(&p, &acl::open_acl_unsafe(), -1, None),
        Err(Error::NoAuth)
    );
    assert_eq!(c.set_acl(&p, &[], -1, None), Err(Error::InvalidAcl));
    assert_eq!(c.get_acl(&format!("{r}/missing"), None), Err(Error::NoNode));
}

#[test]
fn digest_acl_refuses_others_until_they_add_the_right_credential() {
    let owner = client();
    let r = root(&owner, "auth");
    let p = format!("{r}/secret");
    let acl = [make_digest_acl("alice", "s3cret", perms::ALL).unwrap()];
    owner
        .create(
            &p,
            b"hidden",
            &CreateOptions {
                acl: Some(&acl),
                ..plain()
            },
            false,
            None,
        )
        .unwrap();

    let other = client();
    assert_eq!(other.get(&p, None, None), Err(Error::NoAuth));
    // exists needed no permission up to 3.8; 3.9 asks for READ on a node that exists
    // (ZOOKEEPER-2590), and a missing node is still just absent.
    let v = harness::shared().version();
    if v >= harness::ServerVersion::V3_9 {
        assert_eq!(other.exists(&p, None, None), Err(Error::NoAuth), "{v}");
    } else {
        assert!(other.exists(&p, None, None).unwrap().is_some(), "{v}");
    }
    assert_eq!(other.exists(&format!("{p}-missing"), None, None), Ok(None));
    other.add_auth("digest", b"alice:s3cret", None).unwrap();
    assert_eq!(other.get(&p, None, None).unwrap().0, b"hidden");
    other.set(&p, b"changed", -1, None).unwrap();

    // The same credential given in Options is sent on connect.
    let mut o = options(hosts());
    o.auth = vec![("digest".into(), b"alice:s3cret".to_vec())];
    let preauth = start(o);
    assert_eq!(preauth.get(&p, None, None).unwrap().0, b"changed");

    // A wrong password is a valid digest identity, just not the one the ACL names.
    let wrong = client();
    wrong.add_auth("digest", b"alice:guess", None).unwrap();
    assert_eq!(wrong.get(&p, None, None), Err(Error::NoAuth));
    assert_eq!(wrong.set(&p, b"x", -1, None), Err(Error::NoAuth));
    assert_eq!(wrong.keeper_state(), KeeperState::Connected);
}

#[test]
fn creator_acl_needs_an_authenticated_session() {
    let anon = client();
    let r = root(&anon, "creator-acl");
    let creator = acl::creator_all_acl();
    let o = CreateOptions {
        acl: Some(&creator),
        ..plain()
    };
    assert_eq!(
        anon.create(&format!("{r}/a"), b"", &o, false, None),
        Err(Error::InvalidAcl)
    );

    let bob = client();
    bob.add_auth("digest", b"bob:pw", None).unwrap();
    bob.create(&format!("{r}/b"), b"bob's", &o, false, None)
        .unwrap();
    let (acl, _) = bob.get_acl(&format!("{r}/b"), None).unwrap();
    assert_eq!(acl, vec![make_digest_acl("bob", "pw", perms::ALL).unwrap()]);
    assert_eq!(anon.get(&format!("{r}/b"), None, None), Err(Error::NoAuth));
}

#[test]
fn add_auth_rejects_an_empty_scheme() {
    let c = client();
    assert_eq!(c.add_auth("", b"x", None), Err(Error::InvalidArgument));
    assert_eq!(
        c.add_auth("dig\0est", b"x", None),
        Err(Error::InvalidArgument)
    );
}

// ----- chroot ------------------------------------------------------------------------------

#[test]
fn chroot_client_sees_relative_paths_of_the_root_clients_tree() {
    let rootc = client();
    let r = root(&rootc, "chroot");
    let c = connect(&format!("{}{r}", hosts()));

    let made = c.create("/x", b"in chroot", &plain(), false, None).unwrap();
    assert_eq!(made.path, "/x");
    assert_eq!(
        rootc.get(&format!("{r}/x"), None, None).unwrap().0,
        b"in chroot"
    );
    assert_eq!(
        rootc.exists("/x", None, None).unwrap(),
        None,
        "nothing leaks to the real root"
    );

    let seq = c
        .create(
            "/s-",
            b"",
            &CreateOptions {
                sequence: true,
                ..plain()
            },
            false,
            None,
        )
        .unwrap();
    assert_eq!(
        seq_suffix(&seq.path, "/s-"),
        1,
        "the chroot node already had one child"
    );
    let eph = CreateOptions {
        sequence: true,
        ephemeral: true,
        makepath: true,
        ..plain()
    };
    let deep = c.create("/d/e-", b"", &eph, false, None).unwrap();
    assert_eq!(deep.path, "/d/e-0000000000");
    assert!(rootc
        .exists(&format!("{r}{}", deep.path), None, None)
        .unwrap()
        .is_some());

    let (kids, _) = c.get_children("/", None, false, None).unwrap();
    assert_eq!(
        sorted(kids),
        vec!["d".to_string(), seq.path[1..].to_string(), "x".to_string()]
    );
    assert_eq!(
        c.get("/", None, None).unwrap().1,
        rootc.get(&r, None, None).unwrap().1
    );
    assert_eq!(c.sync("/x", None).unwrap(), "/x");
    assert_eq!(c.unchroot(&format!("{r}/x")), "/x");
    c.delete("/d", -1, true, None).unwrap();
    assert_eq!(rootc.exists(&format!("{r}/d"), None, None).unwrap(), None);
}

#[test]
fn chroot_to_a_missing_node_fails_creates_with_nonode() {
    let c = connect(&format!("{}/it-ops-no-such-chroot", hosts()));
    assert_eq!(
        c.create("/x", b"", &plain(), false, None),
        Err(Error::NoNode)
    );
    assert_eq!(c.exists("/", None, None).unwrap(), None);
}

// ----- sessions seen from other clients ------------------------------------------------------

#[test]
fn ephemeral_is_gone_for_other_clients_as_soon_as_stop_returns() {
    let a = client();
    let b = client();
    let r = root(&a, "ephemeral-stop");
    let p = format!("{r}/e");
    a.create(
        &p,
        b"",
        &CreateOptions {
            ephemeral: true,
            ..plain()
        },
        false,
        None,
    )
    .unwrap();
    assert!(b.exists(&p, None, None).unwrap().is_some());
    a.stop().unwrap();
    assert_eq!(b.exists(&p, None, None).unwrap(), None);
}

#[test]
fn dropping_a_client_ends_its_session() {
    let a = client();
    let b = client();
    let r = root(&a, "ephemeral-drop");
    let p = format!("{r}/e");
    a.create(
        &p,
        b"",
        &CreateOptions {
            ephemeral: true,
            ..plain()
        },
        false,
        None,
    )
    .unwrap();
    drop(a);
    assert_eq!(b.exists(&p, None, None).unwrap(), None);
}

#[test]
fn client_id_resumes_the_same_session_with_its_ephemerals() {
    let server: SocketAddr = hosts().parse().unwrap();
    // The first client goes through a proxy, so it can lose its connection without
    // ending the session (no closeSession) and without racing the second client for it.
    let proxy = Proxy::start("127.0.0.1:0", server).unwrap();
    let mut o = options(&proxy.hosts());
    o.connection_retry = quick_retry(2);
    let first = start(o);
    let r = root(&first, "resume");
    let p = format!("{r}/e");
    let id = first.client_id().expect("connected");
    let stat = first
        .create(
            &p,
            b"",
            &CreateOptions {
                ephemeral: true,
                ..plain()
            },
            true,
            None,
        )
        .unwrap()
        .stat
        .unwrap();
    assert_eq!(stat.ephemeral_owner, id.session_id);
    proxy.cut();
    first.close();

    let mut o = options(hosts());
    o.client_id = Some(id);
    let second = start(o);
    assert_eq!(second.client_id().unwrap().session_id, id.session_id);
    assert_eq!(
        second
            .exists(&p, None, None)
            .unwrap()
            .unwrap()
            .ephemeral_owner,
        id.session_id
    );
    // It is the same session: ending it here removes the first client's ephemeral.
    second.stop().unwrap();
    let watcher = client();
    assert_eq!(watcher.exists(&p, None, None).unwrap(), None);
}

// ----- four-letter words, server version ----------------------------------------------------

#[test]
fn four_letter_words_return_the_servers_text() {
    let c = client();
    let r = root(&c, "4lw");
    c.get(&r, Some(Box::new(|_| {})), None).unwrap();
    let cmd = |w: &str| {
        c.command(w, Some(WAIT))
            .unwrap_or_else(|e| panic!("{w}: {e}"))
    };
    assert_eq!(cmd("ruok"), "imok");
    assert_eq!(cmd("isro"), "rw");
    let v = harness::shared().version();
    let release = format!("{}.{}.{}", v.major, v.minor, v.patch);
    let srvr_line = format!("Zookeeper version: {release}-");
    let mntr_line = format!("zk_version\t{release}-");
    let envi_line = format!("zookeeper.version={release}-");
    let expect: &[(&str, &str)] = &[
        ("srvr", &srvr_line),
        ("stat", &srvr_line),
        ("mntr", &mntr_line),
        ("conf", "clientPort="),
        ("envi", &envi_line),
        ("cons", "queued="),
        ("dump", "Sessions"),
        ("wchs", "Total watches:"),
        ("wchc", &r),
        ("wchp", &r),
        ("dirs", "datadir_size"),
    ];
    for (w, needle) in expect {
        let text = cmd(w);
        assert!(text.contains(needle), "{w}: {needle:?} not in {text:?}");
    }
    let srvr = cmd("srvr");
    assert!(srvr.contains("Mode: standalone"), "{srvr}");
}

#[test]
fn unknown_four_letter_words_are_refused_before_sending() {
    let c = client();
    for w in ["xyzw", "ruo", "ruokk", "RUOK", "", "kill"] {
        assert_eq!(c.command(w, None), Err(Error::InvalidArgument), "{w:?}");
    }
}

/// ZooKeeper 3.8 and 3.9 have no `reqs` (it was dropped after 3.4; FourLetterCommands.java
/// and protocol doc §4 list none): the server reads the four bytes as a packet length, logs
/// "Len error", and closes without a byte. The client still sends `reqs` (older servers
/// answer it) but reports the silent close as UNIMPLEMENTED, never as an empty answer.
#[test]
fn reqs_unknown_to_zookeeper_38_is_unimplemented_not_answered_empty() {
    let c = client();
    match c.command("reqs", None) {
        Err(Error::Unimplemented) => {}
        Ok(text) => assert!(!text.is_empty(), "reqs 'succeeded' with an empty reply"),
        Err(e) => panic!("reqs: {e}"),
    }
}

#[test]
fn command_works_before_start_on_the_first_host_that_answers() {
    let mut o = options(&format!("127.0.0.1:{},{}", common::dead_port(), hosts()));
    o.randomize_hosts = false;
    let c = Client::new(o).unwrap();
    assert_eq!(c.command("ruok", None).unwrap(), "imok");
    assert_eq!(c.keeper_state(), KeeperState::Closed);
}

/// The client's parse of `srvr` agrees with the harness's own (3.8.0 or 3.9.5).
#[test]
fn server_version_is_the_running_servers() {
    let c = client();
    let v = harness::shared().version();
    assert_eq!(c.server_version(None).unwrap(), (v.major, v.minor, v.patch));
}

// ----- getEphemerals, getAllChildrenNumber ---------------------------------------------------

/// The session's own ephemerals, by prefix (the server's string match), relative to a
/// chroot, none of another session's; and the count of every node below a path.
#[test]
fn ephemerals_of_this_session_and_the_count_of_all_descendants() {
    let other = client();
    let r = root(&other, "ephemerals");
    // /it-ops-ephemerals-x shares the string prefix of the chroot but is outside it.
    let sibling = format!("{r}-x");
    other.ensure_path(&sibling, None, None).unwrap();
    let c = connect(&format!("{}{r}", hosts()));
    let eph = CreateOptions {
        ephemeral: true,
        ..plain()
    };
    c.ensure_path("/a/deep", None, None).unwrap();
    for p in ["/a/e1", "/a/deep/e2", "/ab"] {
        c.create(p, b"", &eph, false, None).unwrap();
    }
    // Another session's ephemerals, inside the chroot and in the sibling outside it, are
    // never listed.
    other
        .create(&format!("{sibling}/theirs"), b"", &eph, false, None)
        .unwrap();
    other
        .create(&format!("{r}/a/theirs"), b"", &eph, false, None)
        .unwrap();

    assert_eq!(
        sorted(c.get_ephemerals("/", None).unwrap()),
        ["/a/deep/e2", "/a/e1", "/ab"]
    );
    assert_eq!(
        sorted(c.get_ephemerals("/a", None).unwrap()),
        ["/a/deep/e2", "/a/e1", "/ab"]
    );
    assert_eq!(c.get_ephemerals("/a/", None), Err(Error::InvalidPath));
    assert_eq!(c.get_ephemerals("/a/deep", None).unwrap(), ["/a/deep/e2"]);
    assert!(c.get_ephemerals("/none", None).unwrap().is_empty());

    // below /: a, a/deep, a/e1, a/deep/e2, ab, a/theirs
    assert_eq!(c.get_all_children_number("/", None).unwrap(), 6);
    assert_eq!(c.get_all_children_number("/a", None).unwrap(), 4);
    assert_eq!(c.get_all_children_number("/ab", None).unwrap(), 0);
    assert_eq!(c.get_all_children_number("/none", None), Err(Error::NoNode));

    // The async forms give the same answers.
    let (tx, rx) = std::sync::mpsc::channel();
    let t = tx.clone();
    c.get_ephemerals_async(
        "/a/deep",
        None,
        Box::new(move |r| t.send(format!("{r:?}")).unwrap()),
    )
    .unwrap();
    c.get_all_children_number_async(
        "/a",
        None,
        Box::new(move |r| tx.send(format!("{r:?}")).unwrap()),
    )
    .unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), r#"Ok(["/a/deep/e2"])"#);
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), "Ok(4)");
}

#[test]
fn who_am_i_names_the_address_then_the_digest_user() {
    let c = connect(harness::shared().hosts());
    let ids = c.who_am_i(None).unwrap();
    assert_eq!(
        ids,
        vec![zkclient::ClientInfo {
            auth_scheme: "ip".into(),
            user: "127.0.0.1".into()
        }],
    );
    c.add_auth("digest", b"whoami-user:pw", None).unwrap();
    let mut ids = c.who_am_i(None).unwrap();
    ids.sort_by(|a, b| a.auth_scheme.cmp(&b.auth_scheme));
    let schemes: Vec<(&str, &str)> = ids
        .iter()
        .map(|i| (i.auth_scheme.as_str(), i.user.as_str()))
        .collect();
    assert_eq!(schemes, [("digest", "whoami-user"), ("ip", "127.0.0.1")]);

    let (tx, rx) = std::sync::mpsc::channel();
    c.who_am_i_async(None, Box::new(move |r| tx.send(r).unwrap()))
        .unwrap();
    let got = rx.recv_timeout(Duration::from_secs(10)).unwrap().unwrap();
    assert_eq!(got.len(), 2);
    c.close();
    assert_eq!(c.who_am_i(None), Err(Error::Closed));
}
