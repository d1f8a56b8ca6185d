//! Election against a real server and with kazoo's Election on the same path: one leader,
//! hand-over in the order of joining, contenders in order, cancel of a waiter and of a
//! leader, and the leader told when its session is suspended and when it is lost.

mod common;
mod harness;
mod kazoo;
mod recipe_util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{connect, wait_until, WAIT};
use kazoo::Kazoo;
use recipe_util::{children, expire_from_elsewhere, fresh, next_state, state_recorder};
use zkclient::recipe::election::{Election, ElectionOptions};
use zkclient::recipe::lock::{Layout, LockState};
use zkclient::Error;

fn hosts() -> &'static str {
    harness::shared().hosts()
}

fn opts(id: &str) -> ElectionOptions {
    ElectionOptions {
        identifier: id.into(),
        ..Default::default()
    }
}

/// Runs `e` on a thread: the leader function reports its id on `led`, then leads until
/// `stop` gets a message. The receiver gets run's result.
fn contend(
    e: Arc<Election>,
    id: &str,
    led: Sender<String>,
    inside: Arc<AtomicUsize>,
) -> (Sender<()>, Receiver<Result<(), Error>>) {
    let (stop_tx, stop_rx) = channel::<()>();
    let (done_tx, done_rx) = channel();
    let id = id.to_string();
    thread::spawn(move || {
        let r = e.run(Some(WAIT * 3), |_| {
            assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two leaders");
            led.send(id).unwrap();
            let _ = stop_rx.recv_timeout(WAIT * 3);
            inside.fetch_sub(1, Ordering::SeqCst);
        });
        let _ = done_tx.send(r);
    });
    (stop_tx, done_rx)
}

#[test]
fn one_leader_at_a_time_in_the_order_of_joining() {
    let path = fresh("election");
    let clients: Vec<_> = (0..3).map(|_| connect(hosts())).collect();
    let (led_tx, led) = channel();
    let inside = Arc::new(AtomicUsize::new(0));
    let mut stops = Vec::new();
    let mut dones = Vec::new();
    let mut elections = Vec::new();
    for (i, c) in clients.iter().enumerate() {
        let e = Arc::new(Election::new(c, &path, opts(&format!("e{i}"))).unwrap());
        let (stop, done) = contend(e.clone(), &format!("e{i}"), led_tx.clone(), inside.clone());
        wait_until("the contender's node", WAIT, || {
            children(c, &path).len() == i + 1
        });
        stops.push(stop);
        dones.push(done);
        elections.push(e);
    }
    assert_eq!(led.recv_timeout(WAIT).unwrap(), "e0");
    assert_eq!(
        elections[2].contenders().unwrap(),
        vec!["e0".to_string(), "e1".into(), "e2".into()]
    );
    assert_eq!(elections[0].state(), LockState::Held);
    assert_eq!(elections[1].state(), LockState::NotHeld);
    for i in 0..3 {
        thread::sleep(Duration::from_millis(50));
        assert!(led.try_recv().is_err(), "one leader at a time");
        stops[i].send(()).unwrap();
        assert_eq!(dones[i].recv_timeout(WAIT).unwrap(), Ok(()));
        if i < 2 {
            assert_eq!(led.recv_timeout(WAIT).unwrap(), format!("e{}", i + 1));
        }
    }
    assert!(children(&clients[0], &path).is_empty());
}

#[test]
fn cancel_ends_a_wait_to_lead_and_tells_a_leader_to_stop() {
    let path = fresh("election-cancel");
    let (c1, c2) = (connect(hosts()), connect(hosts()));
    let a = Arc::new(Election::new(&c1, &path, opts("a")).unwrap());
    let b = Arc::new(Election::new(&c2, &path, opts("b")).unwrap());
    let (tx, a_done) = channel();
    let a2 = a.clone();
    thread::spawn(move || {
        let r = a2.run(Some(WAIT), |l| {
            assert!(l.is_leader());
            // Leads until told to stop.
            while !l.wait(None) {}
            "a stopped"
        });
        tx.send(r).unwrap();
    });
    wait_until("a leads", WAIT, || a.state() == LockState::Held);
    let (tx, b_done) = channel();
    let b2 = b.clone();
    thread::spawn(move || tx.send(b2.run(None, |_| ())).unwrap());
    wait_until("b waits", WAIT, || children(&c1, &path).len() == 2);
    let t = Instant::now();
    b.cancel();
    assert_eq!(b_done.recv_timeout(WAIT).unwrap(), Err(Error::Cancelled));
    assert!(t.elapsed() < Duration::from_millis(500));
    assert_eq!(children(&c1, &path).len(), 1, "b's node is gone");
    assert_eq!(
        a.state(),
        LockState::Held,
        "a waiter's cancel is not the leader's"
    );

    a.cancel();
    assert_eq!(a_done.recv_timeout(WAIT).unwrap(), Ok("a stopped"));
    assert!(children(&c1, &path).is_empty());
    // A stop does not outlive the leadership it ended.
    assert_eq!(a.run(Some(WAIT), |l| l.should_stop()), Ok(false));
    assert_eq!(b.run(Some(WAIT), |l| l.is_leader()), Ok(true));
}

#[test]
fn the_leader_is_told_when_its_session_is_suspended_and_when_it_is_lost() {
    let proxy = recipe_util::proxy();
    let c = recipe_util::connect_through(&proxy);
    let path = fresh("election-session");
    let e = Arc::new(Election::new(&c, &path, opts("leader")).unwrap());
    let (f, states, _) = state_recorder();
    e.set_state_callback(Some(f));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (tx, done) = channel();
    let (e2, seen2) = (e.clone(), seen.clone());
    thread::spawn(move || {
        let r = e2.run(Some(WAIT), |l| {
            // What a leader does: work while Held, hold off while Suspended, stop on Lost.
            loop {
                let stop = l.wait(None);
                seen2.lock().unwrap().push(l.state());
                if stop {
                    break;
                }
            }
        });
        tx.send(r).unwrap();
    });
    wait_until("leading", WAIT, || e.state() == LockState::Held);
    proxy.cut();
    assert_eq!(next_state(&states), LockState::Suspended);
    proxy.unblock();
    assert_eq!(next_state(&states), LockState::Held);
    let id = c.client_id().unwrap();
    proxy.cut();
    assert_eq!(next_state(&states), LockState::Suspended);
    expire_from_elsewhere(hosts(), id);
    proxy.unblock();
    assert_eq!(next_state(&states), LockState::Lost);
    assert_eq!(done.recv_timeout(WAIT).unwrap(), Ok(()));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.last(), Some(&LockState::Lost), "{seen:?}");
    assert!(seen.contains(&LockState::Suspended), "{seen:?}");
    assert_eq!(e.state(), LockState::NotHeld, "run resigned");
}

#[test]
fn the_curator_layout_is_leader_latchs_names_and_both_layouts_elect_one_leader() {
    let path = fresh("election-latch");
    let (c1, c2) = (connect(hosts()), connect(hosts()));
    let latch = Election::new(
        &c1,
        &path,
        ElectionOptions {
            identifier: "latch".into(),
            layout: Layout::Curator,
        },
    )
    .unwrap();
    latch.campaign(Some(WAIT)).unwrap();
    let kids = children(&c1, &path);
    let name = &kids[0];
    assert!(
        name.starts_with("_c_") && name[39..].starts_with("-latch-"),
        "{name}"
    );
    assert_eq!(
        c1.get(&format!("{path}/{name}"), None, None).unwrap().0,
        b"latch"
    );
    let kz = Election::new(&c2, &path, opts("kazoo-layout")).unwrap();
    assert_eq!(
        kz.campaign(Some(Duration::from_millis(200))),
        Err(Error::TimedOut)
    );
    latch.resign().unwrap();
    kz.campaign(Some(WAIT)).unwrap();
    assert_eq!(kz.contenders().unwrap(), vec!["kazoo-layout".to_string()]);
}

#[test]
fn an_election_with_kazoo_contenders_picks_one_leader_and_hands_over_in_order() {
    let path = fresh("election-kazoo");
    let (c1, c2) = (connect(hosts()), connect(hosts()));
    let mut k = Kazoo::start(hosts());
    let first = Election::new(&c1, &path, opts("ours-1")).unwrap();
    first.campaign(Some(WAIT)).unwrap();
    // kazoo joins second: its leader function says it leads, then waits to be let go.
    k.run(&format!(
        "ke = zk.Election('{path}', 'kazoo')\n\
         leading = threading.Event(); letgo = threading.Event()\n\
         def lead():\n\
         \x20   leading.set(); letgo.wait(20)\n\
         kt = threading.Thread(target=ke.run, args=(lead,)); kt.start()"
    ));
    wait_until("kazoo's node", WAIT, || children(&c1, &path).len() == 2);
    let third = Arc::new(Election::new(&c2, &path, opts("ours-3")).unwrap());
    let (tx, led) = channel();
    let t3 = third.clone();
    thread::spawn(move || {
        let _ = t3.run(Some(WAIT * 2), |l| {
            tx.send(l.is_leader()).unwrap();
        });
    });
    wait_until("our second node", WAIT, || children(&c1, &path).len() == 3);
    let order = vec!["ours-1".to_string(), "kazoo".into(), "ours-3".into()];
    assert_eq!(first.contenders().unwrap(), order);
    assert_eq!(
        k.eval("print(ke.contenders())"),
        "['ours-1', 'kazoo', 'ours-3']"
    );
    assert_eq!(k.eval("print(leading.is_set())"), "False");

    first.resign().unwrap();
    assert_eq!(
        k.eval("print(leading.wait(10))"),
        "True",
        "kazoo leads next"
    );
    assert!(
        led.recv_timeout(Duration::from_millis(200)).is_err(),
        "and only kazoo"
    );
    k.run("letgo.set(); kt.join(10)");
    assert!(led.recv_timeout(WAIT).unwrap(), "then ours");
}
