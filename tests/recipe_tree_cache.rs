//! TreeCache against the shared real server, in both of its modes (one persistent
//! recursive watch; one-shot watches per node, forced): the initial load and Initialized,
//! each event kind, subtrees made and removed, a connection cut and a true session expiry
//! with changes meanwhile (after which exactly those changes are reported), the reads,
//! and kazoo (python3-kazoo in a second process) writing a tree that its TreeCache and ours
//! follow side by side; and, on a fake server that answers addWatch as servers before 3.6
//! do, the fall back to one-shot watches.

mod common;
mod harness;
mod kazoo;
mod recipe_util;
mod tree_util;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{connect, wait_until, WAIT};
use kazoo::Kazoo;
use recipe_util::{connect_through, expire_from_elsewhere, fresh, proxy};
use tree_util::{cached, drain, next, recorder, replay, server_tree, short, until, Tree};
use zkclient::recipe::tree_cache::{TreeCache, TreeCacheOptions, TreeEventKind::*};
use zkclient::{Client, CreateOptions, Error};

const QUIET: Duration = Duration::from_millis(400);

fn hosts() -> &'static str {
    harness::shared().hosts()
}

fn client() -> Client {
    connect(hosts())
}

fn opts(one_shot: bool) -> TreeCacheOptions {
    TreeCacheOptions {
        one_shot_watches: one_shot,
    }
}

fn mk(c: &Client, path: &str, data: &[u8]) {
    let o = CreateOptions {
        makepath: true,
        ..Default::default()
    };
    c.create(path, data, &o, false, None).unwrap();
}

/// Waits until the cache holds the server's tree.
fn converge(t: &TreeCache, c: &Client, root: &str) -> Tree {
    let mut truth = Tree::new();
    wait_until("the cache equals the server's tree", WAIT, || {
        truth = server_tree(c, root);
        cached(t) == truth
    });
    truth
}

fn initial_load(one_shot: bool) {
    let c = client();
    let root = fresh("tc-load");
    mk(&c, &format!("{root}/a/x"), b"ax");
    mk(&c, &format!("{root}/b"), b"b");
    c.set(&root, b"root", -1, None).unwrap();
    let (f, rx, _) = recorder();
    let t = TreeCache::new(&c, &root, opts(one_shot), Some(f)).unwrap();
    assert!(!t.initialized());
    assert!(t.is_empty(), "nothing is read before start");
    t.start().unwrap();
    let added = until(&rx, Initialized);
    assert!(t.initialized());
    assert_eq!(t.persistent_watch(), !one_shot);
    let paths: BTreeSet<String> = added.iter().map(|e| e.path.clone()).collect();
    let want: BTreeSet<String> = [
        root.clone(),
        format!("{root}/a"),
        format!("{root}/a/x"),
        format!("{root}/b"),
    ]
    .into();
    assert_eq!(paths, want);
    assert!(
        added.iter().all(|e| e.kind == NodeAdded),
        "{:?}",
        short(&added)
    );
    assert_eq!(added.len(), 4, "each node once");
    // The events rebuild the cache, and the cache is the server's tree.
    assert_eq!(replay(&Tree::new(), &added), cached(&t));
    assert_eq!(cached(&t), server_tree(&c, &root));
    // Reads from memory.
    assert_eq!(t.get(&format!("{root}/a/x")).unwrap().data, b"ax");
    assert_eq!(t.get(&root).unwrap().data, b"root");
    assert_eq!(t.children(&root).unwrap(), vec!["a", "b"]);
    assert_eq!(
        t.children(&format!("{root}/a/x")).unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(t.get(&format!("{root}/nope")), None);
    assert_eq!(t.children(&format!("{root}/nope")), None);
    assert_eq!(t.len(), 4);
    assert!(drain(&rx, QUIET).is_empty(), "nothing more");
}

#[test]
fn the_initial_load_reports_each_node_then_initialized() {
    initial_load(false);
}

#[test]
fn the_initial_load_with_one_shot_watches() {
    initial_load(true);
}

fn each_event_kind(one_shot: bool) {
    let c = client();
    let root = fresh("tc-events");
    mk(&c, &root, b"");
    let (f, rx, all) = recorder();
    let t = TreeCache::new(&c, &root, opts(one_shot), Some(f)).unwrap();
    t.start().unwrap();
    until(&rx, Initialized);
    let start = cached(&t);

    let n = format!("{root}/n");
    mk(&c, &n, b"1");
    let e = next(&rx);
    assert_eq!(
        (e.kind, e.path.as_str(), e.data.as_slice()),
        (NodeAdded, n.as_str(), &b"1"[..])
    );
    c.set(&n, b"2", -1, None).unwrap();
    let e = next(&rx);
    assert_eq!(
        (e.kind, e.path.as_str(), e.data.as_slice()),
        (NodeUpdated, n.as_str(), &b"2"[..])
    );
    assert_eq!(e.stat.unwrap().version, 1);
    assert_eq!(t.get(&n).unwrap().data, b"2");
    c.delete(&n, -1, false, None).unwrap();
    let e = next(&rx);
    assert_eq!(
        (e.kind, e.path.as_str(), e.data.as_slice()),
        (NodeRemoved, n.as_str(), &b"2"[..])
    );
    assert_eq!(t.get(&n), None);

    // A subtree made at once, then deleted at once.
    let deep = format!("{root}/s/t/u");
    mk(&c, &deep, b"u");
    let mut got = Vec::new();
    while got.len() < 3 {
        got.push(next(&rx));
    }
    assert_eq!(
        short(&got),
        vec![
            (NodeAdded, format!("{root}/s")),
            (NodeAdded, format!("{root}/s/t")),
            (NodeAdded, deep.clone()),
        ]
    );
    assert_eq!(t.children(&format!("{root}/s")).unwrap(), vec!["t"]);
    c.delete(&format!("{root}/s"), -1, true, None).unwrap();
    let mut got = Vec::new();
    while got.len() < 3 {
        got.push(next(&rx));
    }
    assert_eq!(
        short(&got),
        vec![
            (NodeRemoved, deep.clone()),
            (NodeRemoved, format!("{root}/s/t")),
            (NodeRemoved, format!("{root}/s")),
        ]
    );
    assert!(drain(&rx, QUIET).is_empty(), "nothing more");
    assert_eq!(converge(&t, &c, &root), cached(&t));

    // The root itself goes and comes back.
    c.delete(&root, -1, false, None).unwrap();
    assert_eq!(short(&[next(&rx)]), vec![(NodeRemoved, root.clone())]);
    assert!(t.is_empty());
    mk(&c, &root, b"again");
    let e = next(&rx);
    assert_eq!(
        (e.kind, e.path.as_str(), e.data.as_slice()),
        (NodeAdded, root.as_str(), &b"again"[..])
    );
    mk(&c, &format!("{root}/k"), b"");
    assert_eq!(short(&[next(&rx)]), vec![(NodeAdded, format!("{root}/k"))]);
    let truth = converge(&t, &c, &root);
    let evs: Vec<_> = all.lock().unwrap().clone();
    let after_init = evs.iter().position(|e| e.kind == Initialized).unwrap() + 1;
    assert_eq!(replay(&start, &evs[after_init..]), truth);
}

#[test]
fn each_change_is_one_event_in_order() {
    each_event_kind(false);
}

#[test]
fn each_change_is_one_event_with_one_shot_watches() {
    each_event_kind(true);
}

#[test]
fn a_cache_of_a_missing_root_fills_when_it_is_made() {
    for one_shot in [false, true] {
        let c = client();
        let root = fresh("tc-missing");
        let (f, rx, _) = recorder();
        let t = TreeCache::new(&c, &root, opts(one_shot), Some(f)).unwrap();
        t.start().unwrap();
        assert!(until(&rx, Initialized).is_empty());
        assert!(t.is_empty());
        mk(&c, &root, b"r");
        assert_eq!(short(&[next(&rx)]), vec![(NodeAdded, root.clone())]);
        mk(&c, &format!("{root}/c"), b"c");
        assert_eq!(short(&[next(&rx)]), vec![(NodeAdded, format!("{root}/c"))]);
        converge(&t, &c, &root);
    }
}

/// Changes made while the cache's client is away: one added (with a child), one changed,
/// one removed (with its child). After the connection comes back (cut) or a new session
/// follows (expiry), exactly those are reported.
fn away(one_shot: bool, expire: bool) {
    let p = proxy();
    let c = connect_through(&p);
    let other = client();
    let root = fresh(if expire { "tc-expiry" } else { "tc-cut" });
    mk(&other, &format!("{root}/keep"), b"k");
    mk(&other, &format!("{root}/change"), b"1");
    mk(&other, &format!("{root}/gone/below"), b"g");
    let (f, rx, all) = recorder();
    let t = TreeCache::new(&c, &root, opts(one_shot), Some(f)).unwrap();
    t.start().unwrap();
    until(&rx, Initialized);
    let start = cached(&t);
    let id = c.client_id().unwrap();

    p.cut();
    assert_eq!(next(&rx).kind, Suspended);
    if expire {
        expire_from_elsewhere(hosts(), id);
    }
    mk(&other, &format!("{root}/new/child"), b"n");
    other
        .set(&format!("{root}/change"), b"2", -1, None)
        .unwrap();
    other
        .delete(&format!("{root}/gone"), -1, true, None)
        .unwrap();
    p.unblock();
    if expire {
        assert_eq!(next(&rx).kind, Lost);
    }
    assert_eq!(next(&rx).kind, Reconnected);
    let truth = converge(&t, &c, &root);
    let diffs = drain(&rx, QUIET);
    let mut got = short(&diffs);
    got.sort();
    let mut want = vec![
        (NodeAdded, format!("{root}/new")),
        (NodeAdded, format!("{root}/new/child")),
        (NodeUpdated, format!("{root}/change")),
        (NodeRemoved, format!("{root}/gone")),
        (NodeRemoved, format!("{root}/gone/below")),
    ];
    want.sort();
    assert_eq!(got, want, "exactly the changes made while away");
    if expire {
        assert_ne!(c.client_id().unwrap().session_id, id.session_id);
    }
    // And it goes on following the tree.
    other.set(&format!("{root}/keep"), b"k2", -1, None).unwrap();
    assert_eq!(
        short(&[next(&rx)]),
        vec![(NodeUpdated, format!("{root}/keep"))]
    );
    let truth2 = converge(&t, &c, &root);
    let evs: Vec<_> = all.lock().unwrap().clone();
    let after_init = evs.iter().position(|e| e.kind == Initialized).unwrap() + 1;
    assert_eq!(replay(&start, &evs[after_init..]), truth2);
    assert_ne!(truth, truth2);
}

#[test]
fn after_a_cut_exactly_the_changes_meanwhile_are_reported() {
    away(false, false);
}

#[test]
fn after_a_cut_with_one_shot_watches_the_same() {
    away(true, false);
}

#[test]
fn after_an_expiry_exactly_the_changes_meanwhile_are_reported() {
    away(false, true);
}

#[test]
fn after_an_expiry_with_one_shot_watches_the_same() {
    away(true, true);
}

#[test]
fn a_closed_cache_reports_nothing_more_and_keeps_its_content() {
    let c = client();
    let root = fresh("tc-close");
    mk(&c, &format!("{root}/a"), b"a");
    let (f, rx, _) = recorder();
    let t = TreeCache::new(&c, &root, opts(false), Some(f)).unwrap();
    t.start().unwrap();
    t.start().unwrap(); // again: fine
    until(&rx, Initialized);
    t.close();
    mk(&c, &format!("{root}/b"), b"b");
    assert!(drain(&rx, QUIET).is_empty());
    assert_eq!(t.len(), 2);
    assert_eq!(t.start(), Err(Error::Closed));
    t.close(); // again: fine
}

#[test]
fn bad_paths_are_refused() {
    let c = client();
    for p in ["", "x", "/a/", "/a//b"] {
        assert!(matches!(
            TreeCache::new(&c, p, opts(false), None),
            Err(Error::InvalidPath)
        ));
    }
}

/// kazoo's TreeCache's content, as `(path, data hex, czxid, mzxid)` lines.
const KAZOO_TREE: &str = "out = []\n\
    todo = [root]\n\
    while todo:\n\
    \x20   p = todo.pop()\n\
    \x20   d = ktc.get_data(p)\n\
    \x20   if d is None: continue\n\
    \x20   out.append('%s %s %d %d' % (p, d.data.hex(), d.stat.czxid, d.stat.mzxid))\n\
    \x20   todo.extend(p + '/' + k for k in (ktc.get_children(p) or ()))\n\
    print('\\n'.join(sorted(out)))";

fn tree_lines(t: &Tree) -> String {
    let v: Vec<String> = t
        .iter()
        .map(|(p, (d, cz, mz))| {
            let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
            format!("{p} {hex} {cz} {mz}")
        })
        .collect();
    v.join("\n")
}

#[test]
fn kazoo_writes_and_its_tree_cache_and_ours_hold_the_same_tree() {
    let c = client();
    let root = fresh("tc-kazoo");
    mk(&c, &format!("{root}/a/b"), b"ab");
    let mut k = Kazoo::start(hosts());
    let (f, rx, all) = recorder();
    let t = TreeCache::new(&c, &root, opts(false), Some(f)).unwrap();
    t.start().unwrap();
    until(&rx, Initialized);
    let start = cached(&t);
    k.run(&format!(
        "from kazoo.recipe.cache import TreeCache as KTC, TreeEvent as KTE\n\
         root = '{root}'\n\
         kev = []\n\
         kinit = threading.Event()\n\
         def on_ev(e):\n\
         \x20   if e.event_type == KTE.INITIALIZED: kinit.set()\n\
         \x20   elif e.event_type in (KTE.NODE_ADDED, KTE.NODE_UPDATED, KTE.NODE_REMOVED):\n\
         \x20       kev.append((e.event_type, e.event_data.path))\n\
         ktc = KTC(zk, root)\n\
         ktc.listen(on_ev)\n\
         ktc.start()\n\
         assert kinit.wait(10)\n\
         kev.clear()"
    ));
    // kazoo writes: a subtree, a data change, a deletion; each node changed once, so
    // each is one event for both caches whenever they read.
    k.run(
        "zk.create(root + '/k/l', b'kl', makepath=True)\n\
         zk.set(root + '/a', b'a2')\n\
         zk.delete(root + '/a/b')\n\
         zk.create(root + '/k/m', b'km')",
    );
    let truth = converge(&t, &c, &root);
    let mut last = String::new();
    let deadline = std::time::Instant::now() + WAIT;
    while last != tree_lines(&truth) {
        assert!(
            std::time::Instant::now() < deadline,
            "kazoo's cache:\n{last}\nthe server's tree:\n{}",
            tree_lines(&truth)
        );
        std::thread::sleep(Duration::from_millis(20));
        last = k.run(KAZOO_TREE).trim_end().to_string();
    }
    // The same node events, as sets (kazoo reports from several reads at once, so its
    // order across nodes may differ).
    let ours: BTreeSet<String> = {
        let evs = all.lock().unwrap().clone();
        let after = evs.iter().position(|e| e.kind == Initialized).unwrap() + 1;
        assert_eq!(replay(&start, &evs[after..]), truth);
        evs[after..]
            .iter()
            .map(|e| format!("{:?} {}", e.kind, e.path))
            .collect()
    };
    let theirs: BTreeSet<String> = k
        .run(
            "names = {0: 'NodeAdded', 1: 'NodeUpdated', 2: 'NodeRemoved'}\n\
             print('\\n'.join(sorted(set('%s %s' % (names[t], p) for t, p in kev))))",
        )
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(ours, theirs, "the same changes reported");
    k.run("ktc.close()");
}

/// A server without addWatch (before 3.6): a fake that completes the handshake, answers
/// addWatch with UNIMPLEMENTED, as such a server does, and every read with NONODE. It
/// records the opcodes it was sent.
fn server_without_add_watch() -> (String, Arc<Mutex<Vec<i32>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let ops = Arc::new(Mutex::new(Vec::new()));
    let seen = ops.clone();
    std::thread::spawn(move || {
        let be32 = |b: &[u8]| i32::from_be_bytes(b[..4].try_into().unwrap());
        let header = |xid: i32, err: i32| {
            [
                &16i32.to_be_bytes()[..],
                &xid.to_be_bytes(),
                &1i64.to_be_bytes(),
                &err.to_be_bytes(),
            ]
            .concat()
        };
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut hs = [0u8; 49];
            if s.read_exact(&mut hs).is_err() {
                continue;
            }
            let resp = [
                &37i32.to_be_bytes()[..],
                &0i32.to_be_bytes(),
                &8000i32.to_be_bytes(),
                &0x4242i64.to_be_bytes(),
                &16i32.to_be_bytes(),
                &[7u8; 16],
                &[0u8],
            ]
            .concat();
            if s.write_all(&resp).is_err() {
                continue;
            }
            loop {
                let mut len = [0u8; 4];
                if s.read_exact(&mut len).is_err() {
                    break;
                }
                let mut req = vec![0u8; be32(&len) as usize];
                if s.read_exact(&mut req).is_err() {
                    break;
                }
                let (xid, op) = (be32(&req), be32(&req[4..]));
                let err = match op {
                    11 => 0,   // ping
                    106 => -6, // addWatch: UNIMPLEMENTED
                    _ => -101, // NONODE
                };
                if op != 11 {
                    seen.lock().unwrap().push(op);
                }
                if s.write_all(&header(xid, err)).is_err() {
                    break;
                }
            }
        }
    });
    (addr, ops)
}

#[test]
fn a_server_without_add_watch_gets_one_shot_watches() {
    let (addr, ops) = server_without_add_watch();
    let c = connect(&addr);
    let (f, rx, _) = recorder();
    let t = TreeCache::new(&c, "/x", opts(false), Some(f)).unwrap();
    assert!(
        t.persistent_watch(),
        "the default, until the server says otherwise"
    );
    t.start().unwrap();
    assert!(until(&rx, Initialized).is_empty());
    assert!(!t.persistent_watch(), "fell back to one-shot watches");
    assert!(t.is_empty());
    // addWatch (106) was tried first; then the missing root got an exists watch (3), a
    // data read (4) and a children read (8).
    let ops = ops.lock().unwrap().clone();
    assert_eq!(ops.first(), Some(&106), "{ops:?}");
    for op in [3, 4, 8] {
        assert!(ops[1..].contains(&op), "op {op} not sent: {ops:?}");
    }
}
