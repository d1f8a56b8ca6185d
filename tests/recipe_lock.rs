//! Lock, ReadLock and WriteLock against a real server, and against kazoo on the same
//! paths: node names and data as kazoo's (and Curator's), exclusion both ways, deadline
//! and cancel leaving no node, no herd, a lost create reply recovered by the node's prefix,
//! and the holder told when its session is suspended and when it is lost.

mod common;
mod harness;
mod kazoo;
mod recipe_util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{connect, wait_until, WAIT};
use kazoo::Kazoo;
use recipe_util::{children, expire_from_elsewhere, fresh, next_state, state_recorder};
use zkclient::recipe::lock::{Layout, Lock, LockKind, LockOptions, LockState};
use zkclient::{Client, Error};

fn opts(id: &str) -> LockOptions {
    LockOptions {
        identifier: id.into(),
        ..Default::default()
    }
}

fn curator(id: &str) -> LockOptions {
    LockOptions {
        identifier: id.into(),
        layout: Layout::Curator,
        ..Default::default()
    }
}

fn kind(id: &str, kind: LockKind) -> LockOptions {
    LockOptions {
        identifier: id.into(),
        kind,
        ..Default::default()
    }
}

fn hosts() -> &'static str {
    harness::shared().hosts()
}

fn is_hex(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_seq(s: &str) -> bool {
    s.len() == 10 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Acquires `lock` on another thread; the receiver gets the result.
fn acquire_in_thread(
    lock: &Arc<Lock>,
    timeout: Option<Duration>,
) -> std::sync::mpsc::Receiver<Result<(), Error>> {
    let (tx, rx) = channel();
    let l = lock.clone();
    thread::spawn(move || {
        let _ = tx.send(l.acquire(timeout));
    });
    rx
}

#[test]
fn an_uncontended_lock_is_kazoos_node_with_the_identifier_as_data() {
    let c = connect(hosts());
    let path = fresh("plain");
    let l = Lock::new(&c, &path, opts("me@host")).unwrap();
    assert_eq!(l.state(), LockState::NotHeld);
    l.acquire(Some(WAIT)).unwrap();
    assert_eq!(l.state(), LockState::Held);
    assert!(l.is_held());
    let kids = children(&c, &path);
    assert_eq!(kids.len(), 1, "{kids:?}");
    let name = &kids[0];
    let (uuid, seq) = name.split_once("__lock__").expect("kazoo's __lock__");
    assert!(uuid.len() == 32 && is_hex(uuid), "{name}");
    assert!(is_seq(seq), "{name}");
    assert_eq!(l.node(), Some(format!("{path}/{name}")));
    let (data, stat) = c.get(&format!("{path}/{name}"), None, None).unwrap();
    assert_eq!(data, b"me@host");
    assert_eq!(stat.ephemeral_owner, c.client_id().unwrap().session_id);
    assert_eq!(l.contenders().unwrap(), vec!["me@host".to_string()]);
    // Not re-entrant, as kazoo's: acquiring again returns at once, one release releases.
    l.acquire(Some(WAIT)).unwrap();
    assert_eq!(l.try_acquire(), Ok(true));
    assert_eq!(children(&c, &path).len(), 1);
    l.release().unwrap();
    assert_eq!(l.state(), LockState::NotHeld);
    assert_eq!(l.node(), None);
    assert!(children(&c, &path).is_empty());
    l.release().unwrap();
    l.release().unwrap();
}

#[test]
fn the_curator_layout_names_the_node_as_curators_mutex() {
    let c = connect(hosts());
    let path = fresh("curator");
    let l = Lock::new(&c, &path, curator("10.0.0.1")).unwrap();
    l.acquire(Some(WAIT)).unwrap();
    let kids = children(&c, &path);
    assert_eq!(kids.len(), 1);
    let name = &kids[0];
    let rest = name
        .strip_prefix("_c_")
        .expect("Curator's protected prefix");
    let (uuid, seq) = rest.split_once("-lock-").expect("-lock-");
    assert_eq!(uuid.len(), 36, "{name}");
    assert_eq!(uuid.matches('-').count(), 4, "{name}");
    assert!(is_seq(seq), "{name}");
    assert_eq!(
        c.get(&format!("{path}/{name}"), None, None).unwrap().0,
        b"10.0.0.1"
    );
    for (kind, part) in [
        (LockKind::Read, "-__READ__"),
        (LockKind::Write, "-__WRIT__"),
    ] {
        let p = fresh("curator-rw");
        let l = Lock::new(
            &c,
            &p,
            LockOptions {
                layout: Layout::Curator,
                kind,
                ..Default::default()
            },
        )
        .unwrap();
        l.acquire(Some(WAIT)).unwrap();
        let kids = children(&c, &p);
        assert!(
            kids[0].starts_with("_c_") && kids[0][39..].starts_with(part),
            "{kids:?}"
        );
    }
}

#[test]
fn a_held_lock_excludes_others_and_a_timed_out_acquire_leaves_no_node() {
    let (c1, c2) = (connect(hosts()), connect(hosts()));
    let path = fresh("exclude");
    let a = Lock::new(&c1, &path, opts("a")).unwrap();
    let b = Lock::new(&c2, &path, opts("b")).unwrap();
    a.acquire(Some(WAIT)).unwrap();
    let held = children(&c1, &path);

    assert_eq!(b.try_acquire(), Ok(false));
    assert_eq!(children(&c1, &path), held, "a failed try leaves no node");
    let t = Instant::now();
    assert_eq!(
        b.acquire(Some(Duration::from_millis(300))),
        Err(Error::TimedOut)
    );
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(2),
        "{took:?}"
    );
    assert_eq!(
        children(&c1, &path),
        held,
        "a timed-out acquire leaves no node"
    );
    assert_eq!(b.state(), LockState::NotHeld);

    // A timeout of zero is one look: taken when free, TIMED_OUT when not.
    assert_eq!(b.acquire(Some(Duration::ZERO)), Err(Error::TimedOut));
    a.release().unwrap();
    b.acquire(Some(Duration::ZERO)).unwrap();
    assert_eq!(a.try_acquire(), Ok(false));
    b.release().unwrap();
    assert_eq!(a.try_acquire(), Ok(true));
}

#[test]
fn cancel_from_another_thread_ends_a_blocked_acquire_and_leaves_no_node() {
    let (c1, c2) = (connect(hosts()), connect(hosts()));
    let path = fresh("cancel");
    let a = Lock::new(&c1, &path, opts("a")).unwrap();
    a.acquire(Some(WAIT)).unwrap();
    let b = Arc::new(Lock::new(&c2, &path, opts("b")).unwrap());
    let done = acquire_in_thread(&b, None);
    wait_until("b's node", WAIT, || children(&c1, &path).len() == 2);
    thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    b.cancel();
    assert_eq!(done.recv_timeout(WAIT).unwrap(), Err(Error::Cancelled));
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(children(&c1, &path).len(), 1, "the cancelled node is gone");
    assert_eq!(b.state(), LockState::NotHeld);

    // A cancel with no acquire running ends the next one at once, and only that one.
    b.cancel();
    let t = Instant::now();
    assert_eq!(b.acquire(None), Err(Error::Cancelled));
    assert!(t.elapsed() < Duration::from_millis(100));
    assert_eq!(children(&c1, &path).len(), 1);
    // A cancel that came too late for its wait can be forgotten.
    b.cancel();
    b.clear_cancel();
    let done = acquire_in_thread(&b, Some(WAIT));
    wait_until("b waits again", WAIT, || children(&c1, &path).len() == 2);
    a.release().unwrap();
    assert_eq!(done.recv_timeout(WAIT).unwrap(), Ok(()));
    assert!(b.is_held());
}

#[test]
fn the_two_layouts_exclude_each_other() {
    let (c1, c2) = (connect(hosts()), connect(hosts()));
    let path = fresh("layouts");
    let k = Lock::new(&c1, &path, opts("kazoo-layout")).unwrap();
    let cu = Lock::new(&c2, &path, curator("curator-layout")).unwrap();
    k.acquire(Some(WAIT)).unwrap();
    assert_eq!(cu.try_acquire(), Ok(false));
    k.release().unwrap();
    cu.acquire(Some(WAIT)).unwrap();
    assert_eq!(k.try_acquire(), Ok(false));
    assert_eq!(
        k.contenders().unwrap(),
        vec!["curator-layout".to_string()],
        "each sees the other's node as a contender"
    );
}

#[test]
fn each_waiter_watches_only_the_node_before_it_and_they_hold_in_order() {
    let cluster = harness::shared();
    let path = fresh("herd");
    let holder_client = connect(hosts());
    let holder = Lock::new(&holder_client, &path, opts("w0")).unwrap();
    holder.acquire(Some(WAIT)).unwrap();
    const N: usize = 5;
    let clients: Vec<Client> = (0..N).map(|_| connect(hosts())).collect();
    let (tx, got) = channel();
    let mut locks = Vec::new();
    for (i, c) in clients.iter().enumerate() {
        let l = Arc::new(Lock::new(c, &path, opts(&format!("w{}", i + 1))).unwrap());
        let (l2, tx) = (l.clone(), tx.clone());
        thread::spawn(move || {
            l2.acquire(Some(WAIT * 3)).unwrap();
            tx.send(i + 1).unwrap();
        });
        // One at a time, so the order of the nodes is the order of the waiters.
        wait_until("the waiter's node", WAIT, || {
            children(c, &path).len() == i + 2 && c.watch_count() == 1
        });
        locks.push(l);
    }
    let order: Vec<String> = (0..=N).map(|i| format!("w{i}")).collect();
    assert_eq!(holder.contenders().unwrap(), order);

    // The server's view: every node but the last is watched, each by exactly one session.
    let nodes = {
        let mut v = children(&holder_client, &path);
        v.sort_by(|a, b| a[a.len() - 10..].cmp(&b[b.len() - 10..]));
        v
    };
    let want: std::collections::BTreeMap<String, usize> = nodes[..N]
        .iter()
        .map(|n| (format!("{path}/{n}"), 1))
        .collect();
    assert_eq!(recipe_util::watchers_under(cluster, &path), want);

    // A release wakes the next waiter and nobody else: the others keep their one watch.
    holder.release().unwrap();
    assert_eq!(got.recv_timeout(WAIT).unwrap(), 1);
    thread::sleep(Duration::from_millis(100));
    assert!(got.try_recv().is_err(), "only the next waiter holds");
    for c in &clients[1..] {
        assert_eq!(c.watch_count(), 1);
    }
    let want: std::collections::BTreeMap<String, usize> = nodes[1..N]
        .iter()
        .map(|n| (format!("{path}/{n}"), 1))
        .collect();
    assert_eq!(recipe_util::watchers_under(cluster, &path), want);
    for i in 1..N {
        locks[i - 1].release().unwrap();
        assert_eq!(got.recv_timeout(WAIT).unwrap(), i + 1, "in order");
    }
    locks[N - 1].release().unwrap();
    assert!(children(&holder_client, &path).is_empty());
}

#[test]
fn a_lost_create_reply_is_found_by_its_prefix_and_not_made_twice() {
    let proxy = recipe_util::proxy();
    let c = Arc::new(connect(&proxy.hosts()));
    let observer = connect(hosts());
    let path = fresh("lost-reply");
    observer.ensure_path(&path, None, None).unwrap();
    let l = Arc::new(Lock::new(&c, &path, opts("me")).unwrap());
    let session = c.client_id().unwrap().session_id;

    // The create reaches the server; its reply does not reach us.
    proxy.stall();
    let done = acquire_in_thread(&l, Some(WAIT * 2));
    wait_until("the node on the server", WAIT, || {
        children(&observer, &path).len() == 1
    });
    proxy.cut();
    proxy.unblock();
    assert_eq!(done.recv_timeout(WAIT * 2).unwrap(), Ok(()));
    assert_eq!(c.client_id().unwrap().session_id, session, "same session");
    let kids = children(&observer, &path);
    assert_eq!(kids.len(), 1, "exactly one node: {kids:?}");
    assert_eq!(l.node(), Some(format!("{path}/{}", kids[0])));
    assert!(l.is_held());
    l.release().unwrap();
    assert!(children(&observer, &path).is_empty());
}

#[test]
fn the_holder_is_told_when_its_session_is_suspended_and_when_it_is_lost() {
    let proxy = recipe_util::proxy();
    let c = recipe_util::connect_through(&proxy);
    let observer = connect(hosts());
    let path = fresh("session");
    let l = Lock::new(&c, &path, opts("holder")).unwrap();
    let (f, states, _) = state_recorder();
    l.set_state_callback(Some(f));
    l.acquire(Some(WAIT)).unwrap();

    // Cut off and back, session kept: Suspended, then Held again.
    proxy.cut();
    assert_eq!(next_state(&states), LockState::Suspended);
    assert_eq!(l.state(), LockState::Suspended);
    assert!(!l.is_held());
    proxy.unblock();
    assert_eq!(next_state(&states), LockState::Held);
    assert!(l.is_held());

    // Cut off while the session ends elsewhere: Suspended, then Lost; the node is gone.
    let id = c.client_id().unwrap();
    proxy.cut();
    assert_eq!(next_state(&states), LockState::Suspended);
    expire_from_elsewhere(hosts(), id);
    assert!(children(&observer, &path).is_empty());
    let other = Lock::new(&observer, &path, opts("other")).unwrap();
    assert_eq!(other.try_acquire(), Ok(true));
    proxy.unblock();
    assert_eq!(next_state(&states), LockState::Lost);
    assert_eq!(l.state(), LockState::Lost);
    assert_eq!(l.node(), None);
    wait_until("a new session", WAIT, || c.connected());
    recipe_util::no_more_states(&states);
    assert_eq!(
        l.state(),
        LockState::Lost,
        "a new session is not the old lock"
    );

    // Release forgets the lost lock; the lock can be taken again in the new session.
    l.release().unwrap();
    assert_eq!(l.state(), LockState::NotHeld);
    other.release().unwrap();
    l.acquire(Some(WAIT)).unwrap();
    assert!(l.is_held());
}

#[test]
fn dropping_a_held_lock_releases_it_and_a_dropped_client_fails_calls() {
    let c = connect(hosts());
    let path = fresh("drop");
    {
        let l = Lock::new(&c, &path, opts("a")).unwrap();
        l.acquire(Some(WAIT)).unwrap();
        assert_eq!(children(&c, &path).len(), 1);
    }
    assert!(children(&c, &path).is_empty());

    let gone = connect(hosts());
    let l = Lock::new(&gone, &path, opts("b")).unwrap();
    drop(gone);
    assert_eq!(l.acquire(Some(WAIT)), Err(Error::Closed));
    assert_eq!(l.release(), Ok(()));

    // A held lock whose client is dropped: the session and the node are gone, and the
    // lock knows it (a client that is gone cannot be asked: release says OK).
    let gone = connect(hosts());
    let l = Lock::new(&gone, &path, opts("c")).unwrap();
    l.acquire(Some(WAIT)).unwrap();
    drop(gone);
    assert!(children(&c, &path).is_empty());
    assert_eq!(l.release(), Ok(()));
    assert_eq!(l.state(), LockState::NotHeld);
}

#[test]
fn two_threads_acquiring_one_lock_object_make_one_node() {
    let c = connect(hosts());
    let path = fresh("same-object");
    let l = Arc::new(Lock::new(&c, &path, opts("x")).unwrap());
    let rx: Vec<_> = (0..2).map(|_| acquire_in_thread(&l, Some(WAIT))).collect();
    for r in rx {
        assert_eq!(r.recv_timeout(WAIT).unwrap(), Ok(()));
    }
    assert_eq!(children(&c, &path).len(), 1);
    assert!(l.is_held());
}

#[test]
fn never_two_holders_among_contending_clients() {
    let path = fresh("mutex");
    let inside = Arc::new(AtomicUsize::new(0));
    let count = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..4)
        .map(|i| {
            let (path, inside, count) = (path.clone(), inside.clone(), count.clone());
            thread::spawn(move || {
                let c = connect(hosts());
                let l = Lock::new(&c, &path, opts(&format!("t{i}"))).unwrap();
                for _ in 0..8 {
                    l.acquire(Some(WAIT)).unwrap();
                    assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders");
                    thread::sleep(Duration::from_millis(2));
                    count.fetch_add(1, Ordering::SeqCst);
                    inside.fetch_sub(1, Ordering::SeqCst);
                    l.release().unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(count.load(Ordering::SeqCst), 32);
}

#[test]
fn readers_share_and_writers_wait_for_what_is_before_them() {
    let (c1, c2, c3) = (connect(hosts()), connect(hosts()), connect(hosts()));
    let path = fresh("rw");
    let r1 = Lock::new(&c1, &path, kind("r1", LockKind::Read)).unwrap();
    let r2 = Lock::new(&c2, &path, kind("r2", LockKind::Read)).unwrap();
    let w = Arc::new(Lock::new(&c3, &path, kind("w", LockKind::Write)).unwrap());
    r1.acquire(Some(WAIT)).unwrap();
    r2.acquire(Some(WAIT)).unwrap();
    assert_eq!(w.try_acquire(), Ok(false));
    let wdone = acquire_in_thread(&w, Some(WAIT));
    wait_until("the writer's node", WAIT, || {
        children(&c1, &path).len() == 3
    });
    // A reader after a waiting writer waits for it (writers are not starved) ...
    let r3 = Lock::new(&c1, &path, kind("r3", LockKind::Read)).unwrap();
    assert_eq!(r3.try_acquire(), Ok(false));
    r1.release().unwrap();
    assert!(wdone.recv_timeout(Duration::from_millis(200)).is_err());
    r2.release().unwrap();
    assert_eq!(wdone.recv_timeout(WAIT).unwrap(), Ok(()));
    assert_eq!(r1.try_acquire(), Ok(false));
    // ... and for no writer after it: kazoo 2.8's readers wait for the last writer there
    // is, which deadlocks with a writer queued behind them (kazoo #649).
    let r = Arc::new(Lock::new(&c1, &path, kind("r", LockKind::Read)).unwrap());
    let rdone = acquire_in_thread(&r, Some(WAIT));
    wait_until("the reader's node", WAIT, || {
        children(&c1, &path).len() == 2
    });
    let w2 = Arc::new(Lock::new(&c2, &path, kind("w2", LockKind::Write)).unwrap());
    let w2done = acquire_in_thread(&w2, Some(WAIT));
    wait_until("the second writer's node", WAIT, || {
        children(&c1, &path).len() == 3
    });
    w.release().unwrap();
    assert_eq!(rdone.recv_timeout(WAIT).unwrap(), Ok(()));
    r.release().unwrap();
    assert_eq!(w2done.recv_timeout(WAIT).unwrap(), Ok(()));
    assert_eq!(
        w2.contenders().unwrap(),
        vec!["w2".to_string()],
        "readers and writers are contenders"
    );
}

// ----- with kazoo on the same paths -----------------------------------------------------

#[test]
fn our_lock_and_kazoos_exclude_each_other_both_ways() {
    let c = connect(hosts());
    let mut k = Kazoo::start(hosts());
    let path = fresh("kazoo-lock");
    let ours = Arc::new(Lock::new(&c, &path, opts("ours")).unwrap());
    ours.acquire(Some(WAIT)).unwrap();
    k.run(&format!("kl = zk.Lock('{path}', 'theirs')"));
    assert_eq!(k.eval("print(kl.acquire(blocking=False))"), "False");
    assert_eq!(k.eval("print(kl.contenders())"), "['ours']");

    // kazoo waits for us, and holds once we release.
    k.run(
        "import time\n\
         got = []\n\
         def take():\n\
         \x20   kl.acquire(timeout=10); got.append(time.time())\n\
         t = threading.Thread(target=take); t.start()",
    );
    wait_until("kazoo's node", WAIT, || children(&c, &path).len() == 2);
    assert_eq!(
        ours.contenders().unwrap(),
        vec!["ours".to_string(), "theirs".to_string()]
    );
    thread::sleep(Duration::from_millis(100));
    assert_eq!(k.eval("print(len(got))"), "0", "kazoo holds while we do");
    ours.release().unwrap();
    assert_eq!(k.eval("t.join(10); print(kl.is_acquired)"), "True");

    // We wait for kazoo, and hold once it releases.
    assert_eq!(ours.try_acquire(), Ok(false));
    let done = acquire_in_thread(&ours, Some(WAIT));
    wait_until("our node", WAIT, || children(&c, &path).len() == 2);
    assert!(done.recv_timeout(Duration::from_millis(200)).is_err());
    k.run("kl.release()");
    assert_eq!(done.recv_timeout(WAIT).unwrap(), Ok(()));
    assert_eq!(k.eval("print(kl.acquire(blocking=False))"), "False");
    assert_eq!(k.eval("print(kl.contenders())"), "['ours']");
}

#[test]
fn a_curator_layout_lock_is_seen_by_kazoo_with_its_lock_pattern() {
    let c = connect(hosts());
    let mut k = Kazoo::start(hosts());
    let path = fresh("kazoo-curator");
    let ours = Lock::new(&c, &path, curator("ours")).unwrap();
    ours.acquire(Some(WAIT)).unwrap();
    k.run(&format!(
        "kc = zk.Lock('{path}', 'theirs', extra_lock_patterns=['-lock-'])"
    ));
    assert_eq!(k.eval("print(kc.acquire(blocking=False))"), "False");
    // Without the pattern kazoo does not see Curator's names: one-way (docs/recipes.md).
    k.run(&format!("kp = zk.Lock('{path}', 'plain')"));
    assert_eq!(k.eval("print(kp.acquire(blocking=False))"), "True");
    k.run("kp.release()");
    ours.release().unwrap();
    // kazoo's node blocks our Curator-layout lock.
    assert_eq!(k.eval("print(kc.acquire(timeout=5))"), "True");
    assert_eq!(ours.try_acquire(), Ok(false));
    k.run("kc.release()");
    assert_eq!(ours.try_acquire(), Ok(true));
}

#[test]
fn read_and_write_locks_interoperate_with_kazoo() {
    let c = connect(hosts());
    let mut k = Kazoo::start(hosts());
    let path = fresh("kazoo-rw");
    k.run(&format!(
        "kr = zk.ReadLock('{path}', 'kr'); kw = zk.WriteLock('{path}', 'kw')\n\
         assert kr.acquire(timeout=5)"
    ));
    let r = Lock::new(&c, &path, kind("r", LockKind::Read)).unwrap();
    let w = Lock::new(&c, &path, kind("w", LockKind::Write)).unwrap();
    assert_eq!(r.try_acquire(), Ok(true), "readers share with kazoo's");
    assert_eq!(
        w.try_acquire(),
        Ok(false),
        "kazoo's reader blocks our writer"
    );
    k.run("kr.release()");
    assert_eq!(
        k.eval("print(kw.acquire(blocking=False))"),
        "False",
        "our reader blocks kazoo's writer"
    );
    r.release().unwrap();
    assert_eq!(w.try_acquire(), Ok(true));
    assert_eq!(k.eval("print(kr.acquire(blocking=False))"), "False");
    assert_eq!(k.eval("print(kw.acquire(blocking=False))"), "False");
    w.release().unwrap();
    assert_eq!(k.eval("print(kw.acquire(blocking=False))"), "True");
    assert_eq!(
        r.try_acquire(),
        Ok(false),
        "kazoo's writer blocks our reader"
    );
}
