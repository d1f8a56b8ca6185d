//! SetPartitioner against a real server, and with kazoo's SetPartitioner on the same path:
//! kazoo's layout (a shallow party and a lock per item), kazoo's split with one, two and
//! three members, a member joining or leaving asks for a release and then splits again,
//! every item held by exactly one member, the wait for the party to settle, cancel and
//! deadline of the wait, finish leaving no node, and Failure when the session ends.

mod common;
mod harness;
mod kazoo;
mod recipe_util;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::{connect, wait_until, WAIT};
use kazoo::Kazoo;
use recipe_util::{children, expire_from_elsewhere, fresh};
use zkclient::recipe::partitioner::{
    default_partition, PartitionFn, PartitionState, PartitionerOptions, SetPartitioner,
};
use zkclient::{Client, Error};

const SETTLE: Duration = Duration::from_millis(300);

fn hosts() -> &'static str {
    harness::shared().hosts()
}

fn opts(id: &str) -> PartitionerOptions {
    PartitionerOptions {
        identifier: Some(id.into()),
        time_boundary: SETTLE,
        max_reaction_time: Duration::from_millis(200),
        partition_func: None,
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// A partitioner run as kazoo's docs run one, on a thread: release on Release, wait while
/// Allocating, work while Acquired, stop at Failure. It records every state it is told.
struct Member {
    id: String,
    p: Arc<SetPartitioner>,
    seen: Arc<Mutex<Vec<PartitionState>>>,
    stop: Arc<AtomicBool>,
    driver: Option<JoinHandle<()>>,
}

impl Member {
    fn start(c: &Client, path: &str, id: &str, items: &[&str]) -> Member {
        let p = Arc::new(SetPartitioner::new(c, path, items.iter().copied(), opts(id)).unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        p.set_state_callback(Some(Arc::new(move |st| s.lock().unwrap().push(st))));
        let stop = Arc::new(AtomicBool::new(false));
        let (p2, stop2) = (p.clone(), stop.clone());
        let driver = thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match p2.state() {
                    PartitionState::Release => p2.release_set().unwrap(),
                    PartitionState::Allocating => {
                        let _ = p2.wait_for_acquire(Some(Duration::from_millis(50)));
                    }
                    PartitionState::Acquired => thread::sleep(Duration::from_millis(10)),
                    PartitionState::Failure => break,
                }
            }
        });
        Member {
            id: id.into(),
            p,
            seen,
            stop,
            driver: Some(driver),
        }
    }

    fn saw(&self, s: PartitionState) -> bool {
        self.seen.lock().unwrap().contains(&s)
    }

    fn forget_seen(&self) {
        self.seen.lock().unwrap().clear();
    }

    /// Stops the driver and finishes the partitioner.
    fn finish(mut self) {
        self.stop_driver();
        self.p.finish().unwrap();
    }

    fn stop_driver(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(d) = self.driver.take() {
            d.join().unwrap();
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.stop_driver();
    }
}

/// True once every member is Acquired with kazoo's share of `items` among them all.
fn agreed(members: &[&Member], items: &[&str]) -> bool {
    let ids: Vec<String> = members.iter().map(|m| m.id.clone()).collect();
    let items = strings(items);
    members.iter().all(|m| {
        m.p.state() == PartitionState::Acquired
            && m.p.items() == default_partition(&m.id, &ids, &items)
    })
}

/// Asserts that the shares of `shares` are the whole set, no item twice, and that the
/// server agrees: each item's lock has exactly one node.
fn assert_one_owner_each(c: &Client, path: &str, shares: &[Vec<String>], items: &[&str]) {
    let mut all: Vec<String> = shares.iter().flatten().cloned().collect();
    all.sort();
    assert_eq!(all, sorted(strings(items)), "every item once: {shares:?}");
    for item in items {
        let holders = children(c, &format!("{path}/locks/{item}"));
        assert_eq!(holders.len(), 1, "{item}: {holders:?}");
        assert!(holders[0].contains("__lock__"), "{holders:?}");
    }
}

fn wait_agreed(what: &str, members: &[&Member], items: &[&str]) {
    wait_until(what, WAIT, || agreed(members, items));
}

const ITEMS: &[&str] = &["q1", "q2", "q3", "q4", "q5", "q6", "q7"];

#[test]
fn one_member_takes_every_item_on_kazoos_nodes_and_finish_leaves_none() {
    let c = connect(hosts());
    let path = fresh("part-one");
    let t = Instant::now();
    let p = SetPartitioner::new(&c, &path, ["b", "a", "c", "a"], opts("solo")).unwrap();
    assert_eq!(p.identifier(), "solo");
    assert_eq!(p.state(), PartitionState::Allocating);
    assert_eq!(p.wait_for_acquire(Some(WAIT)), Ok(PartitionState::Acquired));
    assert!(t.elapsed() >= SETTLE, "the party settles first");
    assert_eq!(p.items(), strings(&["a", "b", "c"]), "sorted, once each");
    assert_eq!(p.failure(), None);

    // kazoo's layout: a shallow party member and a kazoo lock per item.
    let party = children(&c, &format!("{path}/party"));
    assert_eq!(party.len(), 1);
    let (uuid, ident) = party[0].split_once('-').unwrap();
    assert_eq!(uuid.len(), 32);
    assert_eq!(ident, "solo");
    assert_eq!(
        children(&c, &format!("{path}/locks")),
        strings(&["a", "b", "c"])
    );
    assert_one_owner_each(&c, &path, &[p.items()], &["a", "b", "c"]);
    let lock = &children(&c, &format!("{path}/locks/a"))[0];
    let (data, _) = c
        .get(&format!("{path}/locks/a/{lock}"), None, None)
        .unwrap();
    assert!(data.is_empty(), "kazoo's lock without an identifier");

    // Acquired is stable while nothing changes.
    thread::sleep(SETTLE * 2);
    assert_eq!(p.state(), PartitionState::Acquired);

    p.finish().unwrap();
    assert_eq!(p.state(), PartitionState::Failure);
    assert_eq!(p.failure(), None);
    assert!(p.items().is_empty());
    assert!(children(&c, &format!("{path}/party")).is_empty());
    for item in ["a", "b", "c"] {
        assert!(children(&c, &format!("{path}/locks/{item}")).is_empty());
    }
    // Finishing again, and release_set after, change nothing.
    p.finish().unwrap();
    p.release_set().unwrap();
    assert_eq!(p.state(), PartitionState::Failure);
    assert_eq!(p.wait_for_acquire(None), Ok(PartitionState::Failure));
}

#[test]
fn two_then_three_members_split_as_kazoo_and_joins_and_leaves_ask_for_a_release() {
    let (c1, c2, c3) = (connect(hosts()), connect(hosts()), connect(hosts()));
    let path = fresh("part-many");
    let a = Member::start(&c1, &path, "a", ITEMS);
    let b = Member::start(&c2, &path, "b", ITEMS);
    wait_agreed("a and b split the set", &[&a, &b], ITEMS);
    assert_eq!(a.p.items(), strings(&["q1", "q3", "q5", "q7"]));
    assert_eq!(b.p.items(), strings(&["q2", "q4", "q6"]));
    assert_one_owner_each(&c1, &path, &[a.p.items(), b.p.items()], ITEMS);

    // A third member joins: both are asked to release, then all three split the set.
    a.forget_seen();
    b.forget_seen();
    let m = Member::start(&c3, &path, "m", ITEMS);
    wait_agreed("a, b and m split the set", &[&a, &b, &m], ITEMS);
    assert!(a.saw(PartitionState::Release) && b.saw(PartitionState::Release));
    assert_eq!(a.p.items(), strings(&["q1", "q4", "q7"]));
    assert_eq!(b.p.items(), strings(&["q2", "q5"]));
    assert_eq!(m.p.items(), strings(&["q3", "q6"]));
    assert_one_owner_each(&c1, &path, &[a.p.items(), b.p.items(), m.p.items()], ITEMS);

    // One leaves: the other two release and split the set again.
    a.forget_seen();
    m.forget_seen();
    b.finish();
    wait_agreed("a and m split the set", &[&a, &m], ITEMS);
    assert!(a.saw(PartitionState::Release) && m.saw(PartitionState::Release));
    assert_eq!(m.p.items(), strings(&["q2", "q4", "q6"]));
    assert_one_owner_each(&c1, &path, &[a.p.items(), m.p.items()], ITEMS);
    a.finish();
    m.finish();
    assert!(children(&c1, &format!("{path}/party")).is_empty());
}

#[test]
fn a_member_that_has_not_released_keeps_its_items_from_the_others() {
    let (c1, c2) = (connect(hosts()), connect(hosts()));
    let path = fresh("part-hold");
    let items = ["i1", "i2", "i3", "i4"];
    let a = SetPartitioner::new(&c1, &path, items, opts("a")).unwrap();
    assert_eq!(a.wait_for_acquire(Some(WAIT)), Ok(PartitionState::Acquired));
    assert_eq!(a.items().len(), 4);

    // b joins: a is told to release; until it does, b cannot take b's share.
    let b = SetPartitioner::new(&c2, &path, items, opts("b")).unwrap();
    wait_until("a asked to release", WAIT, || {
        a.state() == PartitionState::Release
    });
    assert_eq!(a.items().len(), 4, "still held until released");
    assert_eq!(
        b.wait_for_acquire(Some(SETTLE * 4)),
        Err(Error::TimedOut),
        "a still holds b's items"
    );
    a.release_set().unwrap();
    assert!(matches!(
        a.state(),
        PartitionState::Allocating | PartitionState::Acquired
    ));
    assert_eq!(b.wait_for_acquire(Some(WAIT)), Ok(PartitionState::Acquired));
    assert_eq!(a.wait_for_acquire(Some(WAIT)), Ok(PartitionState::Acquired));
    assert_eq!(a.items(), strings(&["i1", "i3"]));
    assert_eq!(b.items(), strings(&["i2", "i4"]));
}

#[test]
fn a_party_change_while_allocating_starts_the_wait_over() {
    let (c1, c2) = (connect(hosts()), connect(hosts()));
    let path = fresh("part-settle");
    let mut o = opts("a");
    o.time_boundary = Duration::from_millis(800);
    let a = SetPartitioner::new(&c1, &path, ITEMS, o).unwrap();
    // Members come and go faster than the time boundary: a never allocates meanwhile.
    let party = format!("{path}/party");
    wait_until("a joined", WAIT, || children(&c2, &party).len() == 1);
    let mut last = Instant::now();
    for i in 0..4 {
        thread::sleep(Duration::from_millis(300));
        let x = SetPartitioner::new(&c2, &path, ITEMS, opts(&format!("x{i}"))).unwrap();
        wait_until("x joined", WAIT, || children(&c2, &party).len() == 2);
        x.finish().unwrap();
        last = Instant::now();
        assert_eq!(a.state(), PartitionState::Allocating);
    }
    assert_eq!(a.wait_for_acquire(Some(WAIT)), Ok(PartitionState::Acquired));
    assert!(
        last.elapsed() >= Duration::from_millis(800),
        "acquired {:?} after the last change",
        last.elapsed()
    );
    assert_eq!(a.items().len(), ITEMS.len());
}

#[test]
fn the_wait_has_a_deadline_and_a_cancel_and_finish_stops_an_allocation() {
    let c = connect(hosts());
    let path = fresh("part-wait");
    let mut o = opts("slow");
    o.time_boundary = Duration::from_secs(60);
    let p = Arc::new(SetPartitioner::new(&c, &path, ITEMS, o).unwrap());
    assert_eq!(
        p.wait_for_acquire(Some(Duration::ZERO)),
        Err(Error::TimedOut)
    );
    let t = Instant::now();
    assert_eq!(
        p.wait_for_acquire(Some(Duration::from_millis(150))),
        Err(Error::TimedOut)
    );
    assert!(t.elapsed() >= Duration::from_millis(150));

    // Cancel from another thread ends every wait in progress at once.
    let waiters: Vec<_> = (0..2)
        .map(|_| {
            let p2 = p.clone();
            thread::spawn(move || p2.wait_for_acquire(None))
        })
        .collect();
    thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    p.cancel();
    for w in waiters {
        assert_eq!(w.join().unwrap(), Err(Error::Cancelled));
    }
    assert!(t.elapsed() < Duration::from_millis(500));
    // A cancel with no wait running ends the next wait; clear_cancel forgets one.
    p.cancel();
    assert_eq!(p.wait_for_acquire(None), Err(Error::Cancelled));
    p.cancel();
    p.clear_cancel();
    assert_eq!(
        p.wait_for_acquire(Some(Duration::from_millis(50))),
        Err(Error::TimedOut)
    );
    assert_eq!(
        p.state(),
        PartitionState::Allocating,
        "a wait changes nothing"
    );

    // finish stops the allocation at once, though the party has not settled.
    wait_until("joined", WAIT, || {
        children(&c, &format!("{path}/party")).len() == 1
    });
    let t = Instant::now();
    p.finish().unwrap();
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    assert_eq!(p.state(), PartitionState::Failure);
    assert!(children(&c, &format!("{path}/party")).is_empty());
}

#[test]
fn a_custom_partition_function_decides_and_a_panic_in_it_fails_the_member() {
    let (c1, c2) = (connect(hosts()), connect(hosts()));
    let path = fresh("part-func");
    // Everything to the first member by name, as long as both agree.
    let f: PartitionFn =
        Arc::new(
            |me: &str, members: &[String], items: &[String]| match members.iter().min() {
                Some(first) if first == me => items.to_vec(),
                _ => Vec::new(),
            },
        );
    let mut oa = opts("a");
    oa.partition_func = Some(f.clone());
    let mut ob = opts("b");
    ob.partition_func = Some(f);
    let a = SetPartitioner::new(&c1, &path, ["x", "y"], oa).unwrap();
    let b = SetPartitioner::new(&c2, &path, ["x", "y"], ob).unwrap();
    wait_until("both acquired", WAIT, || {
        a.state() == PartitionState::Acquired && b.state() == PartitionState::Acquired
    });
    assert_eq!(a.items(), strings(&["x", "y"]));
    assert!(b.items().is_empty());

    // A share that names an item twice takes its lock once.
    let path = fresh("part-twice");
    let mut o = opts("t");
    o.partition_func = Some(Arc::new(|_: &str, _: &[String], items: &[String]| {
        vec![items[0].clone(), items[0].clone()]
    }));
    let t = SetPartitioner::new(&c1, &path, ["x", "y"], o).unwrap();
    assert_eq!(t.wait_for_acquire(Some(WAIT)), Ok(PartitionState::Acquired));
    assert_eq!(t.items(), strings(&["x"]));
    assert_eq!(children(&c1, &format!("{path}/locks/x")).len(), 1);

    let path = fresh("part-panic");
    let mut o = opts("p");
    o.partition_func = Some(Arc::new(
        |_: &str, _: &[String], _: &[String]| -> Vec<String> {
            panic!("a partition function that panics, on purpose")
        },
    ));
    let p = SetPartitioner::new(&c1, &path, ["x"], o).unwrap();
    assert_eq!(p.wait_for_acquire(Some(WAIT)), Ok(PartitionState::Failure));
    assert_eq!(p.failure(), Some(Error::Panic));
    assert!(
        children(&c1, &format!("{path}/party")).is_empty(),
        "it left"
    );
}

#[test]
fn bad_input_gets_a_clear_error() {
    let c = connect(hosts());
    let path = fresh("part-bad");
    let new = |path: &str, items: &[&str], id: &str| {
        SetPartitioner::new(&c, path, items.iter().copied(), opts(id)).map(|_| ())
    };
    assert_eq!(new("no-slash", &["a"], "m"), Err(Error::InvalidPath));
    assert_eq!(new(&path, &[""], "m"), Err(Error::InvalidArgument));
    assert_eq!(new(&path, &["a/"], "m"), Err(Error::InvalidArgument));
    assert_eq!(new(&path, &[".."], "m"), Err(Error::InvalidArgument));
    assert_eq!(new(&path, &["a"], "x/y"), Err(Error::InvalidArgument));
    assert!(children(&c, &path).is_empty(), "nothing was sent");
    // No items is fine: an empty share, acquired. An empty identifier is the default,
    // as kazoo takes one: <host name>-<pid>.
    let p = SetPartitioner::new(&c, &path, Vec::<String>::new(), opts("")).unwrap();
    assert!(
        p.identifier()
            .ends_with(&format!("-{}", std::process::id())),
        "{}",
        p.identifier()
    );
    assert_eq!(p.wait_for_acquire(Some(WAIT)), Ok(PartitionState::Acquired));
    assert!(p.items().is_empty());
}

#[test]
fn a_connection_change_asks_for_a_release_and_the_end_of_the_session_fails_it() {
    let proxy = recipe_util::proxy();
    let c = recipe_util::connect_through(&proxy);
    let observer = connect(hosts());
    let path = fresh("part-session");
    let p = SetPartitioner::new(&c, &path, ["a", "b"], opts("s")).unwrap();
    assert_eq!(p.wait_for_acquire(Some(WAIT)), Ok(PartitionState::Acquired));

    // Cut off and back in the same session: Release (kazoo's rule), and a release_set
    // allocates again.
    proxy.cut();
    wait_until("release on suspend", WAIT, || {
        p.state() == PartitionState::Release
    });
    assert_eq!(p.items(), strings(&["a", "b"]), "held until released");
    proxy.unblock();
    wait_until("reconnected", WAIT, || c.connected());
    p.release_set().unwrap();
    assert_eq!(p.wait_for_acquire(Some(WAIT)), Ok(PartitionState::Acquired));
    assert_eq!(p.items(), strings(&["a", "b"]));

    // Cut off while the session ends elsewhere: Failure; our nodes went with the session.
    let id = c.client_id().unwrap();
    proxy.cut();
    wait_until("release on suspend", WAIT, || {
        p.state() == PartitionState::Release
    });
    expire_from_elsewhere(hosts(), id);
    proxy.unblock();
    wait_until("failure on expiry", WAIT, || {
        p.state() == PartitionState::Failure
    });
    assert_eq!(p.failure(), None);
    assert!(p.items().is_empty());
    assert!(children(&observer, &format!("{path}/party")).is_empty());
    assert!(children(&observer, &format!("{path}/locks/a")).is_empty());
    // Another member takes everything; finishing the failed one is fine.
    let q = SetPartitioner::new(&observer, &path, ["a", "b"], opts("q")).unwrap();
    assert_eq!(q.wait_for_acquire(Some(WAIT)), Ok(PartitionState::Acquired));
    assert_eq!(q.items(), strings(&["a", "b"]));
    p.finish().unwrap();
    assert_eq!(q.state(), PartitionState::Acquired);
}

#[test]
fn a_closed_client_fails_the_partitioner_and_dropping_it_is_fine() {
    let c = connect(hosts());
    let path = fresh("part-closed");
    let p = SetPartitioner::new(&c, &path, ["a"], opts("c")).unwrap();
    assert_eq!(p.wait_for_acquire(Some(WAIT)), Ok(PartitionState::Acquired));
    drop(c);
    wait_until("failure once closed", WAIT, || {
        p.state() == PartitionState::Failure
    });
    assert_eq!(p.release_set(), Ok(()));
    drop(p);
}

// ----- with kazoo on the same path -------------------------------------------------------

/// kazoo's members, each run on a thread of the peer as kazoo's docs run one.
fn kazoo_start(k: &mut Kazoo, path: &str, items: &[&str]) {
    let list: Vec<String> = items.iter().map(|i| format!("{i:?}")).collect();
    k.run(&format!(
        "import time\n\
         PATH = {path:?}\n\
         ITEMS = [{}]\n\
         parts, stops, threads = {{}}, {{}}, {{}}\n\
         def drive(name):\n\
         \x20   p = zk.SetPartitioner(PATH, set=ITEMS, identifier=name, time_boundary=0.3,\n\
         \x20                         max_reaction_time=0.2)\n\
         \x20   parts[name] = p\n\
         \x20   while not stops[name]:\n\
         \x20       if p.failed: break\n\
         \x20       elif p.release: p.release_set()\n\
         \x20       elif p.acquired: time.sleep(0.01)\n\
         \x20       elif p.allocating: p.wait_for_acquire(0.05)\n\
         \x20   p.finish()\n\
         def join(name):\n\
         \x20   stops[name] = False\n\
         \x20   threads[name] = threading.Thread(target=drive, args=(name,), daemon=True)\n\
         \x20   threads[name].start()\n\
         def leave(name):\n\
         \x20   stops[name] = True\n\
         \x20   threads[name].join(10)\n\
         def show():\n\
         \x20   for n in sorted(parts):\n\
         \x20       p = parts[n]\n\
         \x20       print('\\t'.join([n, p.state] + list(p)))\n",
        list.join(", ")
    ));
}

/// kazoo's members as the peer sees them: identifier, state, share.
fn kazoo_members(k: &mut Kazoo) -> Vec<(String, String, Vec<String>)> {
    k.run("show()")
        .lines()
        .map(|l| {
            let mut f = l.split('\t').map(str::to_string);
            let id = f.next().unwrap();
            let st = f.next().unwrap();
            (id, st, f.collect())
        })
        .collect()
}

/// Waits until our members and kazoo's `kazoo_ids` are all acquired, each with kazoo's
/// share among all of them; returns every share.
fn wait_mixed(
    k: &mut Kazoo,
    ours: &[&Member],
    kazoo_ids: &[&str],
    items: &[&str],
) -> Vec<Vec<String>> {
    let mut ids: Vec<String> = ours.iter().map(|m| m.id.clone()).collect();
    ids.extend(kazoo_ids.iter().map(|s| s.to_string()));
    let all = strings(items);
    let deadline = Instant::now() + WAIT * 2;
    loop {
        let theirs: Vec<_> = kazoo_members(k)
            .into_iter()
            .filter(|(id, _, _)| kazoo_ids.contains(&id.as_str()))
            .collect();
        let ours_ok = ours.iter().all(|m| {
            m.p.state() == PartitionState::Acquired
                && m.p.items() == default_partition(&m.id, &ids, &all)
        });
        let theirs_ok = theirs.len() == kazoo_ids.len()
            && theirs.iter().all(|(id, st, share)| {
                st == "ACQUIRED" && *share == default_partition(id, &ids, &all)
            });
        if ours_ok && theirs_ok {
            let mut shares: Vec<Vec<String>> = ours.iter().map(|m| m.p.items()).collect();
            shares.extend(theirs.into_iter().map(|(_, _, s)| s));
            return shares;
        }
        assert!(
            Instant::now() < deadline,
            "no agreement: ours {:?}, kazoo's {theirs:?}",
            ours.iter()
                .map(|m| (m.id.clone(), m.p.state(), m.p.items()))
                .collect::<Vec<_>>()
        );
        thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn our_members_and_kazoos_agree_on_the_split_as_members_come_and_go() {
    let (c1, c2, observer) = (connect(hosts()), connect(hosts()), connect(hosts()));
    let mut k = Kazoo::start(hosts());
    let path = fresh("part-kazoo");
    // Items and identifiers that sort differently by code point and by case-folding or
    // locale: Python's order and ours must agree.
    let items: &[&str] = &["q-10", "Q-2", "q-1", "é", "ÿ", "中", "z", "A", "_x"];
    kazoo_start(&mut k, &path, items);

    // One of ours and one of kazoo's.
    let r1 = Member::start(&c1, &path, "rust-1", items);
    k.run("join('Kazoo-1')");
    let shares = wait_mixed(&mut k, &[&r1], &["Kazoo-1"], items);
    assert_one_owner_each(&observer, &path, &shares, items);
    let party: BTreeSet<String> = children(&observer, &format!("{path}/party"))
        .iter()
        .map(|n| n.split_once('-').unwrap().1.to_string())
        .collect();
    assert_eq!(
        party,
        BTreeSet::from(["rust-1".to_string(), "Kazoo-1".to_string()]),
        "one shallow party"
    );

    // A second of each joins: all four release and split again.
    r1.forget_seen();
    let r2 = Member::start(&c2, &path, "kazoo-0", items);
    k.run("join('rust-0')");
    let shares = wait_mixed(&mut k, &[&r1, &r2], &["Kazoo-1", "rust-0"], items);
    assert_one_owner_each(&observer, &path, &shares, items);
    assert!(r1.saw(PartitionState::Release));

    // One of each leaves: the two left split the set between them.
    r1.finish();
    k.run("leave('Kazoo-1')");
    let shares = wait_mixed(&mut k, &[&r2], &["rust-0"], items);
    assert_one_owner_each(&observer, &path, &shares, items);

    k.run("leave('rust-0')");
    r2.finish();
    assert!(children(&observer, &format!("{path}/party")).is_empty());
}
