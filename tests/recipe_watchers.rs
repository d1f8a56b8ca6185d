//! DataWatch and ChildrenWatch against the shared real server: every change reported in
//! order, deletion and re-creation, stopping from the callback, a change made while the
//! connection is cut or the session expired reported after it, no watch doubled by the
//! reads after a reconnect; and with kazoo (python3-kazoo in a second process): its
//! ChildrenWatch and ours see the same child lists while a writer changes them.

mod common;
mod harness;
mod kazoo;
mod recipe_util;

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{connect, sorted, wait_until, WAIT};
use kazoo::Kazoo;
use recipe_util::{expire_from_elsewhere, fresh};
use zkclient::recipe::watchers::{ChildrenWatch, DataWatch};
use zkclient::{Client, CreateOptions, Error, EventType};

fn client() -> Client {
    connect(harness::shared().hosts())
}

/// What a data callback was told: the data (None: no node) and the event's type.
type DataSeen = (Option<Vec<u8>>, Option<EventType>);

fn data_watch(c: &Client, path: &str) -> (DataWatch, Receiver<DataSeen>) {
    let (tx, rx) = channel();
    let tx = Mutex::new(tx);
    let w = DataWatch::new(
        c,
        path,
        Box::new(move |d, ev| {
            let seen = (d.map(|(b, _)| b.to_vec()), ev.map(|e| e.event_type));
            tx.lock().unwrap().send(seen).unwrap();
            true
        }),
    )
    .unwrap();
    (w, rx)
}

fn children_watch(c: &Client, path: &str) -> (ChildrenWatch, Receiver<Vec<String>>) {
    let (tx, rx) = channel();
    let tx: Mutex<Sender<Vec<String>>> = Mutex::new(tx);
    let w = ChildrenWatch::new(
        c,
        path,
        Box::new(move |kids, _| {
            tx.lock().unwrap().send(sorted(kids.to_vec())).unwrap();
            true
        }),
    )
    .unwrap();
    (w, rx)
}

fn next<T>(rx: &Receiver<T>) -> T {
    rx.recv_timeout(WAIT).expect("a callback within the wait")
}

fn nothing_more<T: std::fmt::Debug>(rx: &Receiver<T>) {
    if let Ok(v) = rx.recv_timeout(Duration::from_millis(300)) {
        panic!("an unexpected callback: {v:?}");
    }
}

fn create(c: &Client, path: &str, data: &[u8]) {
    let o = CreateOptions {
        makepath: true,
        ..Default::default()
    };
    c.create(path, data, &o, false, None).unwrap();
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_data_watch_reports_every_change_deletion_and_recreation_in_order() {
    let c = client();
    let path = fresh("data-watch");
    let (w, rx) = data_watch(&c, &path);
    assert_eq!(next(&rx), (None, None), "no node yet: told at once");
    create(&c, &path, b"a");
    assert_eq!(
        next(&rx),
        (Some(b"a".to_vec()), Some(EventType::NodeCreated))
    );
    for v in [b"b", b"c"] {
        c.set(&path, v, -1, None).unwrap();
        assert_eq!(
            next(&rx),
            (Some(v.to_vec()), Some(EventType::NodeDataChanged))
        );
    }
    c.delete(&path, -1, false, None).unwrap();
    assert_eq!(next(&rx), (None, Some(EventType::NodeDeleted)));
    create(&c, &path, b"d");
    assert_eq!(
        next(&rx),
        (Some(b"d".to_vec()), Some(EventType::NodeCreated))
    );
    nothing_more(&rx);
    assert_eq!(w.result(), None, "still watching");
    w.stop();
    assert_eq!(w.result(), Some(Ok(())));
    c.set(&path, b"e", -1, None).unwrap();
    nothing_more(&rx);
}

#[test]
fn changes_made_faster_than_the_watch_is_re_armed_end_on_the_last_state() {
    let c = client();
    let path = fresh("data-burst");
    create(&c, &path, b"0");
    let (_w, rx) = data_watch(&c, &path);
    assert_eq!(next(&rx).0, Some(b"0".to_vec()));
    for i in 1..=20 {
        c.set(&path, i.to_string().as_bytes(), -1, None).unwrap();
    }
    // Coalesced or not, the values come in order and the last one is the node's.
    let mut last = 0;
    while last != 20 {
        let v: i32 = String::from_utf8(next(&rx).0.unwrap())
            .unwrap()
            .parse()
            .unwrap();
        assert!(v > last, "{v} after {last}: out of order");
        last = v;
    }
    nothing_more(&rx);
}

#[test]
fn a_children_watch_reports_every_change_and_ends_when_its_node_is_deleted() {
    let c = client();
    let path = fresh("children-watch");
    assert_eq!(
        ChildrenWatch::new(&c, &path, Box::new(|_, _| true)).err(),
        Some(Error::NoNode),
        "kazoo's ChildrenWatch needs its node"
    );
    create(&c, &path, b"");
    let (w, rx) = children_watch(&c, &path);
    assert_eq!(next(&rx), names(&[]));
    create(&c, &format!("{path}/x"), b"");
    assert_eq!(next(&rx), names(&["x"]));
    create(&c, &format!("{path}/y"), b"");
    assert_eq!(next(&rx), names(&["x", "y"]));
    c.delete(&format!("{path}/x"), -1, false, None).unwrap();
    assert_eq!(next(&rx), names(&["y"]));
    c.set(&path, b"data is no child", -1, None).unwrap();
    nothing_more(&rx);
    c.delete(&format!("{path}/y"), -1, false, None).unwrap();
    assert_eq!(next(&rx), names(&[]));
    c.delete(&path, -1, false, None).unwrap();
    wait_until("the watch ends", WAIT, || w.result().is_some());
    assert_eq!(w.result(), Some(Err(Error::NoNode)));
    create(&c, &path, b"");
    create(&c, &format!("{path}/z"), b"");
    nothing_more(&rx);
}

#[test]
fn the_callback_stops_the_watch_by_returning_false_or_calling_stop() {
    let c = client();
    let path = fresh("stop-from-callback");
    create(&c, &path, b"0");
    // Returning false: the call that returned it is the last.
    let calls = Arc::new(Mutex::new(0));
    let n = calls.clone();
    let w = DataWatch::new(
        &c,
        &path,
        Box::new(move |_, _| {
            *n.lock().unwrap() += 1;
            *n.lock().unwrap() < 2
        }),
    )
    .unwrap();
    c.set(&path, b"1", -1, None).unwrap();
    wait_until("the watch ends", WAIT, || w.result().is_some());
    assert_eq!(w.result(), Some(Ok(())));
    c.set(&path, b"2", -1, None).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(*calls.lock().unwrap(), 2);

    // stop() from inside the callback returns at once, and the watch can be dropped there.
    let slot: Arc<Mutex<Option<ChildrenWatch>>> = Arc::new(Mutex::new(None));
    let (tx, rx) = channel();
    let s = slot.clone();
    let tx = Mutex::new(tx);
    let w = ChildrenWatch::new(
        &c,
        &path,
        Box::new(move |kids, _| {
            tx.lock().unwrap().send(kids.len()).unwrap();
            if !kids.is_empty() {
                let w = s.lock().unwrap().take().expect("the watch");
                w.stop();
                drop(w);
            }
            true
        }),
    )
    .unwrap();
    *slot.lock().unwrap() = Some(w);
    assert_eq!(next(&rx), 0);
    create(&c, &format!("{path}/a"), b"");
    assert_eq!(next(&rx), 1);
    create(&c, &format!("{path}/b"), b"");
    nothing_more(&rx);
}

#[test]
fn a_callback_that_panics_ends_its_watch_with_panic() {
    let c = client();
    let path = fresh("panic");
    create(&c, &path, b"0");
    let (tx, rx) = channel();
    let tx = Mutex::new(tx);
    let w = DataWatch::new(
        &c,
        &path,
        Box::new(move |d, _| {
            let d = d.unwrap().0.to_vec();
            tx.lock().unwrap().send(d.clone()).unwrap();
            assert_eq!(d, b"0", "a panic in the callback");
            true
        }),
    )
    .unwrap();
    assert_eq!(next(&rx), b"0");
    c.set(&path, b"1", -1, None).unwrap();
    assert_eq!(next(&rx), b"1");
    wait_until("the watch ends", WAIT, || w.result().is_some());
    assert_eq!(w.result(), Some(Err(Error::Panic)));
    c.set(&path, b"2", -1, None).unwrap();
    nothing_more(&rx);
}

#[test]
fn a_change_made_while_the_connection_is_cut_is_reported_after_the_reconnect() {
    let proxy = recipe_util::proxy();
    let c = recipe_util::connect_through(&proxy);
    let writer = client();
    let path = fresh("data-cut");
    create(&writer, &path, b"before");
    create(&writer, &format!("{path}/k0"), b"");
    let (_dw, drx) = data_watch(&c, &path);
    let (_cw, crx) = children_watch(&c, &path);
    assert_eq!(next(&drx).0, Some(b"before".to_vec()));
    assert_eq!(next(&crx), names(&["k0"]));
    for round in 1..=3 {
        proxy.cut();
        wait_until("suspended", WAIT, || !c.connected());
        let data = format!("while-cut-{round}");
        writer.set(&path, data.as_bytes(), -1, None).unwrap();
        create(&writer, &format!("{path}/k{round}"), b"");
        proxy.unblock();
        assert_eq!(next(&drx).0, Some(data.into_bytes()));
        let kids = next(&crx);
        assert_eq!(kids.len(), round + 1, "{kids:?}");
        nothing_more(&drx);
        nothing_more(&crx);
        // One watch each, however many reconnects: a reconnect's read sets none while
        // the restored one is held.
        assert!(c.watch_count() <= 2, "{} watches", c.watch_count());
    }
    writer.set(&path, b"after", -1, None).unwrap();
    assert_eq!(next(&drx).0, Some(b"after".to_vec()));
}

#[test]
fn after_an_expiry_the_watch_reads_again_on_the_new_session() {
    let proxy = recipe_util::proxy();
    let c = recipe_util::connect_through(&proxy);
    let writer = client();
    let path = fresh("data-expiry");
    create(&writer, &path, b"before");
    let (dw, drx) = data_watch(&c, &path);
    let (cw, crx) = children_watch(&c, &path);
    assert_eq!(next(&drx).0, Some(b"before".to_vec()));
    assert_eq!(next(&crx), names(&[]));
    let old = c.client_id().unwrap();
    proxy.cut();
    expire_from_elsewhere(harness::shared().hosts(), old);
    writer.set(&path, b"during", -1, None).unwrap();
    create(&writer, &format!("{path}/k"), b"");
    proxy.unblock();
    assert_eq!(next(&drx).0, Some(b"during".to_vec()));
    assert_eq!(next(&crx), names(&["k"]));
    assert_ne!(c.client_id().unwrap().session_id, old.session_id);
    // The watches are set again on the new session.
    writer.set(&path, b"after", -1, None).unwrap();
    assert_eq!(next(&drx).0, Some(b"after".to_vec()));
    writer
        .delete(&format!("{path}/k"), -1, false, None)
        .unwrap();
    assert_eq!(next(&crx), names(&[]));
    assert_eq!((dw.result(), cw.result()), (None, None));
}

#[test]
fn closing_the_client_ends_the_watch() {
    let c = client();
    let path = fresh("closed");
    let (w, rx) = data_watch(&c, &path);
    assert_eq!(next(&rx).0, None);
    c.close();
    wait_until("the watch ends", WAIT, || w.result().is_some());
    assert_eq!(w.result(), Some(Err(Error::Closed)));
}

#[test]
fn kazoo_and_we_see_the_same_child_lists() {
    let c = client();
    let path = fresh("children-kazoo");
    create(&c, &path, b"");
    let mut k = Kazoo::start(harness::shared().hosts());
    k.run(&format!(
        "import threading\n\
         seen = []\n\
         cv = threading.Condition()\n\
         def f(kids):\n\
         \x20   with cv:\n\
         \x20       seen.append(sorted(kids))\n\
         \x20       cv.notify_all()\n\
         zk.ChildrenWatch('{path}', f)\n\
         def wait_for(n):\n\
         \x20   with cv:\n\
         \x20       cv.wait_for(lambda: len(seen) >= n, 10)\n\
         \x20   return len(seen)\n"
    ));
    let (_w, rx) = children_watch(&c, &path);
    let mut ours = vec![next(&rx)];
    // The writer waits for both to see each step: the sequences are then the same.
    let steps: Vec<Box<dyn Fn()>> = vec![
        Box::new(|| create(&c, &format!("{path}/a"), b"")),
        Box::new(|| create(&c, &format!("{path}/b"), b"")),
        Box::new(|| c.delete(&format!("{path}/a"), -1, false, None).unwrap()),
        Box::new(|| create(&c, &format!("{path}/c"), b"")),
        Box::new(|| c.delete(&format!("{path}/b"), -1, false, None).unwrap()),
    ];
    for (i, step) in steps.iter().enumerate() {
        step();
        ours.push(next(&rx));
        assert_eq!(
            k.eval(&format!("print(wait_for({}))", i + 2)),
            (i + 2).to_string()
        );
    }
    let theirs = k.eval("print(seen)");
    let ours_text: Vec<String> = ours
        .iter()
        .map(|s| format!("{s:?}").replace('"', "'"))
        .collect();
    assert_eq!(theirs, format!("[{}]", ours_text.join(", ")));
    // A burst, not waited for: each list either sees is a true state, and both end equal.
    for i in 0..10 {
        create(&c, &format!("{path}/n{i}"), b"");
    }
    let want = names(&[
        "c", "n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9",
    ]);
    let mut last = ours.last().unwrap().clone();
    while last != want {
        last = next(&rx);
        assert!(
            last.starts_with(&names(&["c"])) && last.len() >= 2,
            "{last:?} was never a state"
        );
        for (j, n) in last.iter().skip(1).enumerate() {
            assert_eq!(n, &format!("n{j}"), "{last:?} was never a state");
        }
    }
    wait_until("kazoo sees the last state", WAIT, || {
        k.eval("print(','.join(seen[-1]))") == want.join(",")
    });
    let all_theirs = k.eval("print(all(s[0] == 'c' and s[1:] == ['n%d' % j for j in range(len(s) - 1)] for s in seen[6:]))");
    assert_eq!(all_theirs, "True", "kazoo saw a state that never was");
}

#[test]
fn under_a_writer_and_repeated_cuts_values_only_move_forward_and_end_on_the_truth() {
    let proxy = recipe_util::proxy();
    let c = recipe_util::connect_through(&proxy);
    let path = fresh("data-churn");
    let kids = fresh("children-churn");
    let writer = client();
    create(&writer, &path, b"0");
    create(&writer, &kids, b"");
    let (_dw, drx) = data_watch(&c, &path);
    let (_cw, crx) = children_watch(&c, &kids);
    assert_eq!(next(&drx).0, Some(b"0".to_vec()));
    assert_eq!(next(&crx), names(&[]));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let w = {
        let (stop, path, kids) = (stop.clone(), path.clone(), kids.clone());
        std::thread::spawn(move || {
            let mut i = 0u32;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                i += 1;
                writer
                    .set(&path, i.to_string().as_bytes(), -1, None)
                    .unwrap();
                // The children are always c0..c(n-1) for some n: 0 to 4.
                let n = i % 5;
                if n == 0 {
                    for j in 0..4 {
                        writer
                            .delete(&format!("{kids}/c{}", 3 - j), -1, false, None)
                            .unwrap();
                    }
                } else {
                    create(&writer, &format!("{kids}/c{}", n - 1), b"");
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            (i, writer)
        })
    };
    for _ in 0..4 {
        std::thread::sleep(Duration::from_millis(150));
        proxy.cut();
        std::thread::sleep(Duration::from_millis(300));
        proxy.unblock();
    }
    std::thread::sleep(Duration::from_millis(150));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let (last, writer) = w.join().unwrap();
    let truth = sorted(writer.get_children(&kids, None, false, None).unwrap().0);
    // Data: strictly increasing, ending on the writer's last value.
    let mut seen = 0u32;
    while seen != last {
        let v: u32 = String::from_utf8(next(&drx).0.unwrap())
            .unwrap()
            .parse()
            .unwrap();
        assert!(v > seen, "{v} after {seen}");
        seen = v;
    }
    // Children: every list a true state, the last one the server's. The states repeat,
    // so read until nothing more comes.
    let mut list = Vec::new();
    while let Ok(l) = crx.recv_timeout(Duration::from_secs(1)) {
        let n = l.len();
        assert_eq!(l, (0..n).map(|j| format!("c{j}")).collect::<Vec<_>>());
        list = l;
    }
    assert_eq!(list, truth);
    nothing_more(&drx);
    nothing_more(&crx);
    assert!(c.watch_count() <= 2, "{} watches", c.watch_count());
}
