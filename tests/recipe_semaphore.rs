//! Semaphore against a real server and with kazoo's on the same path: max_leases recorded
//! and checked, leases counted across both, deadline and cancel leaving no lease, and the
//! holder told when its session ends.

mod common;
mod harness;
mod kazoo;
mod recipe_util;

use std::sync::mpsc::channel;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{connect, wait_until, WAIT};
use kazoo::Kazoo;
use recipe_util::{children, fresh, next_state, state_recorder};
use zkclient::recipe::lock::LockState;
use zkclient::recipe::semaphore::{Semaphore, SemaphoreOptions};
use zkclient::Error;

fn hosts() -> &'static str {
    harness::shared().hosts()
}

fn opts(id: &str, max: u32) -> SemaphoreOptions {
    SemaphoreOptions {
        identifier: id.into(),
        max_leases: max,
    }
}

#[test]
fn at_most_max_leases_are_held_and_the_path_records_the_number() {
    let (c1, c2, c3) = (connect(hosts()), connect(hosts()), connect(hosts()));
    let path = fresh("sem");
    let a = Semaphore::new(&c1, &path, opts("a", 2)).unwrap();
    let b = Semaphore::new(&c2, &path, opts("b", 2)).unwrap();
    let x = Arc::new(Semaphore::new(&c3, &path, opts("x", 2)).unwrap());
    a.acquire(Some(WAIT)).unwrap();
    assert_eq!(c1.get(&path, None, None).unwrap().0, b"2");
    b.acquire(Some(WAIT)).unwrap();
    assert!(a.is_held() && b.is_held());
    let leases = children(&c1, &path);
    assert_eq!(leases.len(), 2);
    assert!(leases.iter().all(|n| n.len() == 32), "{leases:?}");
    let mut holders = a.lease_holders().unwrap();
    holders.sort();
    assert_eq!(holders, vec!["a".to_string(), "b".into()]);

    assert_eq!(x.try_acquire(), Ok(false));
    let t = Instant::now();
    assert_eq!(
        x.acquire(Some(Duration::from_millis(300))),
        Err(Error::TimedOut)
    );
    assert!(t.elapsed() < Duration::from_secs(2));
    assert_eq!(
        children(&c1, &path).len(),
        2,
        "no lease left by the timeout"
    );
    assert!(
        children(&c1, &format!("{path}-__lock__")).is_empty(),
        "nor a lock node"
    );

    let (tx, done) = channel();
    let x2 = x.clone();
    thread::spawn(move || tx.send(x2.acquire(Some(WAIT))).unwrap());
    thread::sleep(Duration::from_millis(100));
    a.release().unwrap();
    a.release().unwrap();
    assert_eq!(done.recv_timeout(WAIT).unwrap(), Ok(()));
    assert!(x.is_held());
    assert_eq!(children(&c1, &path).len(), 2);
}

#[test]
fn a_different_max_leases_on_the_path_is_a_mismatch() {
    let (c1, c2) = (connect(hosts()), connect(hosts()));
    let path = fresh("sem-mismatch");
    let a = Semaphore::new(&c1, &path, opts("a", 3)).unwrap();
    a.acquire(Some(WAIT)).unwrap();
    let b = Semaphore::new(&c2, &path, opts("b", 2)).unwrap();
    assert_eq!(b.acquire(Some(WAIT)), Err(Error::Mismatch));
    assert_eq!(b.try_acquire(), Err(Error::Mismatch));
    assert_eq!(children(&c1, &path).len(), 1);
    assert_eq!(
        Semaphore::new(&c2, &path, opts("z", 0)).err(),
        Some(Error::InvalidArgument)
    );
}

#[test]
fn cancel_ends_a_wait_for_a_lease_and_leaves_nothing() {
    let (c1, c2) = (connect(hosts()), connect(hosts()));
    let path = fresh("sem-cancel");
    let a = Semaphore::new(&c1, &path, opts("a", 1)).unwrap();
    a.acquire(Some(WAIT)).unwrap();
    let b = Arc::new(Semaphore::new(&c2, &path, opts("b", 1)).unwrap());
    let (tx, done) = channel();
    let b2 = b.clone();
    thread::spawn(move || tx.send(b2.acquire(None)).unwrap());
    // b holds the semaphore's lock while it waits for a lease.
    wait_until("b waits", WAIT, || {
        children(&c1, &format!("{path}-__lock__")).len() == 1
    });
    let t = Instant::now();
    b.cancel();
    assert_eq!(done.recv_timeout(WAIT).unwrap(), Err(Error::Cancelled));
    assert!(t.elapsed() < Duration::from_millis(500));
    assert!(children(&c1, &format!("{path}-__lock__")).is_empty());
    assert_eq!(children(&c1, &path).len(), 1);
    a.release().unwrap();
    b.acquire(Some(WAIT)).unwrap();
}

#[test]
fn the_holder_is_told_its_lease_is_lost_when_the_session_ends() {
    let c = connect(hosts());
    let observer = connect(hosts());
    let path = fresh("sem-lost");
    let s = Semaphore::new(&c, &path, opts("a", 1)).unwrap();
    let (f, states, _) = state_recorder();
    s.set_state_callback(Some(f));
    s.acquire(Some(WAIT)).unwrap();
    c.stop().unwrap();
    assert_eq!(next_state(&states), LockState::Lost);
    assert!(children(&observer, &path).is_empty());
    s.release().unwrap();
    assert_eq!(s.state(), LockState::NotHeld);
}

#[test]
fn leases_are_counted_across_kazoo_and_ours() {
    let (c1, c2) = (connect(hosts()), connect(hosts()));
    let mut k = Kazoo::start(hosts());
    let path = fresh("sem-kazoo");
    let ours = Semaphore::new(&c1, &path, opts("ours", 2)).unwrap();
    ours.acquire(Some(WAIT)).unwrap();
    k.run(&format!(
        "ks = zk.Semaphore('{path}', 'kazoo', max_leases=2)\n\
         assert ks.acquire(timeout=5)\n\
         ks2 = zk.Semaphore('{path}', 'kazoo-2', max_leases=2)"
    ));
    let second = Semaphore::new(&c2, &path, opts("ours-2", 2)).unwrap();
    assert_eq!(second.try_acquire(), Ok(false), "kazoo's lease counts");
    assert_eq!(
        k.eval("print(ks2.acquire(blocking=False))"),
        "False",
        "ours counts for kazoo"
    );
    assert_eq!(
        k.eval("print(sorted(ks.lease_holders()))"),
        "['kazoo', 'ours']"
    );
    ours.release().unwrap();
    assert_eq!(k.eval("print(ks2.acquire(timeout=5))"), "True");
    k.run("ks.release()");
    second.acquire(Some(WAIT)).unwrap();
    let mut holders = second.lease_holders().unwrap();
    holders.sort();
    assert_eq!(holders, vec!["kazoo-2".to_string(), "ours-2".into()]);
    // kazoo refuses our number, and we refuse kazoo's.
    let err = k
        .try_run(&format!(
            "zk.Semaphore('{path}', 'k3', max_leases=3).acquire(timeout=1)"
        ))
        .unwrap_err();
    assert!(err.contains("Inconsistent max leases"), "{err}");
    let p2 = fresh("sem-kazoo-made");
    k.run(&format!(
        "k4 = zk.Semaphore('{p2}', 'k4', max_leases=4); assert k4.acquire(timeout=5)"
    ));
    assert_eq!(c1.get(&p2, None, None).unwrap().0, b"4");
    let s = Semaphore::new(&c1, &p2, opts("o", 2)).unwrap();
    assert_eq!(s.try_acquire(), Err(Error::Mismatch));
    let s = Semaphore::new(&c1, &p2, opts("o", 4)).unwrap();
    assert_eq!(s.try_acquire(), Ok(true));
}

#[test]
fn a_waiter_whose_session_expired_takes_the_lock_again_before_counting_leases() {
    let (ca, cc) = (connect(hosts()), connect(hosts()));
    let proxy = recipe_util::proxy();
    let cb = recipe_util::connect_through(&proxy);
    let path = fresh("sem-expiry");
    let lock_dir = format!("{path}-__lock__");
    let a = Semaphore::new(&ca, &path, opts("a", 1)).unwrap();
    a.acquire(Some(WAIT)).unwrap();
    // b waits for the lease, holding the lock that serializes the leases.
    let b = Arc::new(Semaphore::new(&cb, &path, opts("b", 1)).unwrap());
    let (tx, b_done) = channel();
    let b2 = b.clone();
    thread::spawn(move || tx.send(b2.acquire(Some(WAIT * 2))).unwrap());
    wait_until("b holds the lock", WAIT, || {
        children(&ca, &lock_dir).len() == 1
    });
    // b's session ends while b is cut off: its lock node goes, and c takes the lock.
    let id = cb.client_id().unwrap();
    proxy.cut();
    recipe_util::expire_from_elsewhere(hosts(), id);
    let c = Arc::new(Semaphore::new(&cc, &path, opts("c", 1)).unwrap());
    let (tx, c_done) = channel();
    let c2 = c.clone();
    thread::spawn(move || tx.send(c2.acquire(Some(WAIT * 2))).unwrap());
    wait_until("c holds the lock", WAIT, || {
        children(&ca, &lock_dir).len() == 1
    });
    proxy.unblock();
    wait_until("b queues for the lock again", WAIT, || {
        children(&ca, &lock_dir).len() == 2
    });
    // One lease is freed: one of them takes it, never both.
    a.release().unwrap();
    assert_eq!(c_done.recv_timeout(WAIT).unwrap(), Ok(()));
    thread::sleep(Duration::from_millis(300));
    assert_eq!(children(&ca, &path).len(), 1, "one lease at most");
    assert!(b_done.try_recv().is_err(), "b still waits");
    c.release().unwrap();
    assert_eq!(b_done.recv_timeout(WAIT).unwrap(), Ok(()));
    assert_eq!(children(&ca, &path).len(), 1);
}
