//! One-shot watches against a real server: which change fires which watch, with which path;
//! that each registration ends exactly once (by its event or by the session's end) and its
//! callback is dropped exactly once; and that callbacks may call back into the client.

mod common;
mod harness;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::Arc;

use common::{connect, DropCount, Watch, WAIT};
use zkclient::EventType;
use zkclient::{Client, CreateOptions, Error, KeeperState, State, WatchedEvent};

fn hosts() -> &'static str {
    harness::shared().hosts()
}

/// A client chrooted at a fresh `/it-w-<name>`, and a root client for making changes.
fn chrooted(name: &str) -> (Client, Client, String) {
    let rootc = connect(hosts());
    let r = format!("/it-w-{name}");
    rootc.ensure_path(&r, None, None).unwrap();
    (connect(&format!("{}{r}", hosts())), rootc, r)
}

fn mk(c: &Client, p: &str) {
    c.create(p, b"", &CreateOptions::default(), false, None)
        .unwrap();
}

fn event(ty: EventType, path: &str) -> WatchedEvent {
    WatchedEvent {
        event_type: ty,
        keeper_state: KeeperState::Connected,
        path: path.into(),
        zxid: -1,
    }
}

#[test]
fn data_watch_fires_data_changed_with_the_chroot_relative_path() {
    let (c, rootc, r) = chrooted("data-changed");
    mk(&c, "/n");
    let (w, f) = Watch::pair();
    c.get("/n", Some(f), None).unwrap();
    assert_eq!(c.watch_count(), 1);
    rootc.set(&format!("{r}/n"), b"new", -1, None).unwrap();
    assert_eq!(w.next(), event(EventType::NodeDataChanged, "/n"));
    common::wait_until("callback dropped", WAIT, || w.drops() == 1);
    assert_eq!(c.watch_count(), 0);
}

#[test]
fn data_watch_fires_node_deleted_on_delete() {
    let (c, rootc, r) = chrooted("data-deleted");
    mk(&c, "/n");
    let (w, f) = Watch::pair();
    c.get("/n", Some(f), None).unwrap();
    rootc.delete(&format!("{r}/n"), -1, false, None).unwrap();
    assert_eq!(w.next(), event(EventType::NodeDeleted, "/n"));
    assert_eq!(c.watch_count(), 0);
}

#[test]
fn exists_watch_on_a_missing_node_fires_node_created() {
    let (c, rootc, r) = chrooted("exists-created");
    let (w, f) = Watch::pair();
    assert_eq!(c.exists("/later", Some(f), None).unwrap(), None);
    assert_eq!(c.watch_count(), 1, "exists arms a watch on a missing node");
    rootc
        .create(
            &format!("{r}/later"),
            b"",
            &CreateOptions::default(),
            false,
            None,
        )
        .unwrap();
    assert_eq!(w.next(), event(EventType::NodeCreated, "/later"));
    assert_eq!(c.watch_count(), 0);
}

#[test]
fn exists_watch_on_a_present_node_fires_data_changed() {
    let (c, rootc, r) = chrooted("exists-changed");
    mk(&c, "/n");
    let (w, f) = Watch::pair();
    assert!(c.exists("/n", Some(f), None).unwrap().is_some());
    rootc.set(&format!("{r}/n"), b"x", -1, None).unwrap();
    assert_eq!(w.next(), event(EventType::NodeDataChanged, "/n"));
}

#[test]
fn child_watch_fires_children_changed_on_create_and_node_deleted_on_delete() {
    let (c, rootc, r) = chrooted("children");
    mk(&c, "/p");
    let (w, f) = Watch::pair();
    c.get_children("/p", Some(f), false, None).unwrap();
    rootc
        .create(
            &format!("{r}/p/kid"),
            b"",
            &CreateOptions::default(),
            false,
            None,
        )
        .unwrap();
    assert_eq!(w.next(), event(EventType::NodeChildrenChanged, "/p"));

    // A data change of a child or of the parent does not fire a child watch.
    let (w2, f2) = Watch::pair();
    c.get_children("/p", Some(f2), true, None).unwrap();
    rootc.set(&format!("{r}/p"), b"data", -1, None).unwrap();
    rootc.set(&format!("{r}/p/kid"), b"data", -1, None).unwrap();
    rootc.delete(&format!("{r}/p"), -1, true, None).unwrap();
    // The recursive delete removes the child first: that is the one event.
    assert_eq!(w2.next(), event(EventType::NodeChildrenChanged, "/p"));
    let (w3, f3) = Watch::pair();
    mk(&c, "/q");
    c.get_children("/q", Some(f3), false, None).unwrap();
    rootc.delete(&format!("{r}/q"), -1, false, None).unwrap();
    assert_eq!(w3.next(), event(EventType::NodeDeleted, "/q"));
}

#[test]
fn a_watch_on_the_chroot_itself_reports_slash() {
    let (c, rootc, r) = chrooted("chroot-root");
    let (kids, f) = Watch::pair();
    c.get_children("/", Some(f), false, None).unwrap();
    let (data, f2) = Watch::pair();
    c.get("/", Some(f2), None).unwrap();
    rootc
        .create(
            &format!("{r}/kid"),
            b"",
            &CreateOptions::default(),
            false,
            None,
        )
        .unwrap();
    assert_eq!(kids.next(), event(EventType::NodeChildrenChanged, "/"));
    rootc.set(&r, b"x", -1, None).unwrap();
    assert_eq!(data.next(), event(EventType::NodeDataChanged, "/"));
}

#[test]
fn a_watch_fires_once_only() {
    let (c, rootc, r) = chrooted("once");
    mk(&c, "/n");
    let p = format!("{r}/n");
    let (w, f) = Watch::pair();
    c.get("/n", Some(f), None).unwrap();
    rootc.set(&p, b"1", -1, None).unwrap();
    assert_eq!(w.next().event_type, EventType::NodeDataChanged);
    rootc.set(&p, b"2", -1, None).unwrap();
    // Events are delivered in order on one thread: once a later watch has seen the third
    // change, any event the first watch could get for the second has been delivered.
    let (later, f2) = Watch::pair();
    c.get("/n", Some(f2), None).unwrap();
    rootc.set(&p, b"3", -1, None).unwrap();
    assert_eq!(later.next().event_type, EventType::NodeDataChanged);
    assert!(w.events.try_recv().is_err(), "first watch fired twice");
    assert_eq!(w.calls(), 1);
    c.close();
    assert_eq!((w.calls(), w.drops()), (1, 1));
    assert_eq!((later.calls(), later.drops()), (1, 1));
}

#[test]
fn two_watches_on_one_node_both_fire() {
    let (c, rootc, r) = chrooted("two");
    mk(&c, "/n");
    let (a, fa) = Watch::pair();
    let (b, fb) = Watch::pair();
    c.get("/n", Some(fa), None).unwrap();
    c.exists("/n", Some(fb), None).unwrap();
    assert_eq!(c.watch_count(), 2);
    rootc.set(&format!("{r}/n"), b"x", -1, None).unwrap();
    assert_eq!(a.next().event_type, EventType::NodeDataChanged);
    assert_eq!(b.next().event_type, EventType::NodeDataChanged);
    assert_eq!(c.watch_count(), 0);
}

#[test]
fn stop_ends_every_registered_watch_once_with_a_closed_session_event() {
    let (c, _rootc, _) = chrooted("stop");
    mk(&c, "/n");
    mk(&c, "/p");
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = channel();
    let mut armed = 0;
    let arm = |what: &str| {
        let guard = DropCount(drops.clone());
        let tx = tx.clone();
        let what = what.to_string();
        Box::new(move |e: WatchedEvent| {
            let _keep = &guard;
            let _ = tx.send((what, e));
        }) as zkclient::WatchFn
    };
    c.get("/n", Some(arm("get")), None).unwrap();
    c.exists("/missing", Some(arm("exists")), None).unwrap();
    c.get_children("/p", Some(arm("children")), false, None)
        .unwrap();
    c.exists("/n", Some(arm("exists-present")), None).unwrap();
    armed += 4;
    assert_eq!(c.watch_count(), armed);
    c.stop().unwrap();
    assert_eq!(c.watch_count(), 0);
    // close() runs everything queued on the event thread before it returns.
    c.close();
    drop(tx);
    let mut got: Vec<(String, WatchedEvent)> = rx.iter().collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["children", "exists", "exists-present", "get"]);
    for (name, e) in &got {
        let want = WatchedEvent {
            event_type: EventType::None,
            keeper_state: KeeperState::Closed,
            path: String::new(),
            zxid: -1,
        };
        assert_eq!(e, &want, "{name}");
    }
    assert_eq!(
        drops.load(Ordering::SeqCst),
        armed,
        "each callback dropped exactly once"
    );
}

#[test]
fn a_watch_given_to_a_failing_call_is_dropped_before_it_returns_and_never_called() {
    let (c, _rootc, _) = chrooted("failing");
    let (w, f) = Watch::pair();
    assert_eq!(c.get("/missing", Some(f), None), Err(Error::NoNode));
    assert_eq!(w.drops(), 1, "dropped by the time the call returned");
    let (w2, f2) = Watch::pair();
    assert_eq!(
        c.get_children("/missing", Some(f2), false, None),
        Err(Error::NoNode)
    );
    assert_eq!(w2.drops(), 1);
    let (w3, f3) = Watch::pair();
    assert_eq!(c.get("bad-path", Some(f3), None), Err(Error::InvalidPath));
    assert_eq!(w3.drops(), 1);
    assert_eq!(c.watch_count(), 0);

    // Creating the node afterwards must not call any of them.
    let (later, f4) = Watch::pair();
    c.exists("/missing", Some(f4), None).unwrap();
    mk(&c, "/missing");
    later.next();
    c.stop().unwrap();
    let (w5, f5) = Watch::pair();
    assert_eq!(c.get("/missing", Some(f5), None), Err(Error::Closed));
    assert_eq!(w5.drops(), 1);
    c.close();
    for x in [&w, &w2, &w3, &w5] {
        assert_eq!((x.calls(), x.drops()), (0, 1));
    }
}

#[test]
fn watch_count_returns_to_zero_after_events_and_after_stop() {
    let (c, rootc, r) = chrooted("count");
    for i in 0..10 {
        mk(&c, &format!("/n{i}"));
        c.get(&format!("/n{i}"), Some(Box::new(|_| {})), None)
            .unwrap();
    }
    assert_eq!(c.watch_count(), 10);
    for i in 0..5 {
        rootc.delete(&format!("{r}/n{i}"), -1, false, None).unwrap();
    }
    // The events have arrived once a later read on the same connection has its reply.
    let (w, f) = Watch::pair();
    c.exists("/marker", Some(f), None).unwrap();
    rootc
        .create(
            &format!("{r}/marker"),
            b"",
            &CreateOptions::default(),
            false,
            None,
        )
        .unwrap();
    w.next();
    assert_eq!(c.watch_count(), 5);
    c.stop().unwrap();
    assert_eq!(c.watch_count(), 0);
}

#[test]
fn a_blocking_call_made_inside_a_watch_callback_works() {
    let (c, rootc, r) = chrooted("reentrant");
    let c = Arc::new(c);
    mk(&c, "/n");
    let (tx, rx) = channel();
    let inner = c.clone();
    c.get(
        "/n",
        Some(Box::new(move |e| {
            // Read the new value and re-arm, from the event thread.
            let tx2 = tx.clone();
            let next = inner.get(
                &e.path,
                Some(Box::new(move |e2| {
                    let _ = tx2.send(Err(e2));
                })),
                None,
            );
            let _ = tx.send(Ok(next.map(|(d, _)| d)));
        })),
        None,
    )
    .unwrap();
    rootc.set(&format!("{r}/n"), b"first", -1, None).unwrap();
    let got = rx.recv_timeout(WAIT).expect("callback ran");
    assert_eq!(got.unwrap(), Ok(b"first".to_vec()));
    rootc.set(&format!("{r}/n"), b"second", -1, None).unwrap();
    let got = rx.recv_timeout(WAIT).expect("re-armed watch ran");
    let got = got.unwrap_err();
    assert_eq!(
        WatchedEvent { zxid: -1, ..got },
        event(EventType::NodeDataChanged, "/n")
    );
}

#[test]
fn node_events_carry_the_zxid_of_their_change_on_39_and_minus_one_on_38() {
    let (c, rootc, r) = chrooted("event-zxid");
    let is_39 = harness::shared().version() >= harness::ServerVersion::V3_9;
    // On 3.9 the zxid is the change's; on 3.8 the server sends -1 (unknown).
    let want = |zxid: i64| if is_39 { zxid } else { -1 };

    let (w, f) = Watch::pair();
    c.exists("/n", Some(f), None).unwrap();
    let created = rootc
        .create(
            &format!("{r}/n"),
            b"",
            &CreateOptions::default(),
            true,
            None,
        )
        .unwrap()
        .stat
        .unwrap();
    let ev = w.next_raw();
    assert_eq!(ev.event_type, EventType::NodeCreated);
    assert_eq!(ev.zxid, want(created.czxid));

    let (w, f) = Watch::pair();
    c.get("/n", Some(f), None).unwrap();
    let set = rootc.set(&format!("{r}/n"), b"x", -1, None).unwrap();
    let ev = w.next_raw();
    assert_eq!(ev.event_type, EventType::NodeDataChanged);
    assert_eq!(ev.zxid, want(set.mzxid));

    // A delete's zxid is the parent's pzxid afterwards.
    let (w, f) = Watch::pair();
    c.get("/n", Some(f), None).unwrap();
    rootc.delete(&format!("{r}/n"), -1, false, None).unwrap();
    let parent = rootc.exists(&r, None, None).unwrap().unwrap();
    let ev = w.next_raw();
    assert_eq!(ev.event_type, EventType::NodeDeleted);
    assert_eq!(ev.zxid, want(parent.pzxid));

    // Events the client makes itself never have one.
    let (w, f) = Watch::pair();
    c.exists("/never", Some(f), None).unwrap();
    c.close();
    let ev = w.next_raw();
    assert_eq!((ev.event_type, ev.zxid), (EventType::None, -1));
}

#[test]
fn close_called_inside_a_watch_callback_returns() {
    let (c, rootc, r) = chrooted("close-inside");
    let c = Arc::new(c);
    mk(&c, "/n");
    let (tx, rx) = channel();
    let inner = c.clone();
    c.get(
        "/n",
        Some(Box::new(move |_| {
            inner.close();
            let _ = tx.send(inner.state());
        })),
        None,
    )
    .unwrap();
    rootc.set(&format!("{r}/n"), b"x", -1, None).unwrap();
    let state = rx
        .recv_timeout(WAIT)
        .expect("close() inside the callback returned");
    assert_eq!(state, State::Lost);
    assert_eq!(c.keeper_state(), KeeperState::Closed);
    assert_eq!(c.get("/n", None, None), Err(Error::Closed));
}

#[test]
fn the_last_client_reference_dropped_inside_a_callback_does_not_hang() {
    let (c, rootc, r) = chrooted("drop-inside");
    let c = Arc::new(c);
    mk(&c, "/n");
    let (tx, rx) = channel();
    let inner = c.clone();
    c.get(
        "/n",
        Some(Box::new(move |_| {
            drop(inner);
            let _ = tx.send(());
        })),
        None,
    )
    .unwrap();
    let sid = format!("0x{:x}", c.client_id().unwrap().session_id);
    assert!(rootc.command("dump", None).unwrap().contains(&sid));
    drop(c);
    rootc.set(&format!("{r}/n"), b"x", -1, None).unwrap();
    rx.recv_timeout(WAIT)
        .expect("dropping the client inside its callback returned");
    // Dropping the client closed its session.
    common::wait_until("session closed", WAIT, || {
        !rootc.command("dump", None).unwrap().contains(&sid)
    });
}

fn thread_name() -> String {
    std::thread::current().name().unwrap_or("").to_string()
}

#[test]
fn callbacks_run_on_the_event_thread() {
    let (c, rootc, r) = chrooted("event-thread");
    mk(&c, "/n");
    let (tx, rx) = channel();
    let tx2 = std::sync::Mutex::new(tx.clone());
    c.add_listener(Box::new(move |_, _| {
        let _ = tx2.lock().unwrap().send(("listener", thread_name()));
    }));
    c.get(
        "/n",
        Some(Box::new(move |_| {
            tx.send(("watch", thread_name())).unwrap()
        })),
        None,
    )
    .unwrap();
    rootc.set(&format!("{r}/n"), b"x", -1, None).unwrap();
    let (what, name) = rx.recv_timeout(WAIT).unwrap();
    assert_eq!((what, name.as_str()), ("watch", "zk-events"));
    c.stop().unwrap();
    let (what, name) = rx.recv_timeout(WAIT).unwrap();
    assert_eq!((what, name.as_str()), ("listener", "zk-events"));
}

/// After `close()` the event thread is gone. Starting again must either be refused or
/// bring callbacks back to an event thread: a callback run on the I/O thread would stall
/// every reply, and a blocking call inside it could never get its own.
#[test]
fn start_after_close_is_refused_or_keeps_callbacks_off_the_io_thread() {
    let (c, rootc, r) = chrooted("start-after-close");
    let c = Arc::new(c);
    mk(&c, "/n");
    c.close();
    match c.start(WAIT).map_err(Error::from) {
        Err(Error::Closed) => return,
        Ok(()) => {}
        Err(e) => panic!("start after close: {e}"),
    }
    let (tx, rx) = channel();
    let inner = c.clone();
    c.get(
        "/n",
        Some(Box::new(move |_| {
            let name = thread_name();
            let read = inner.get("/n", None, Some(std::time::Duration::from_secs(3)));
            let _ = tx.send((name, read.map(|(d, _)| d)));
        })),
        None,
    )
    .unwrap();
    rootc.set(&format!("{r}/n"), b"x", -1, None).unwrap();
    let (name, read) = rx.recv_timeout(WAIT).expect("watch ran");
    assert!(
        name != "zk-io",
        "a watch callback ran on the I/O thread; the blocking call in it gave {read:?}"
    );
    assert_eq!(
        read,
        Ok(b"x".to_vec()),
        "a blocking call inside the callback"
    );
}

#[test]
fn a_panicking_callback_does_not_stop_later_callbacks() {
    let (c, rootc, r) = chrooted("panicking");
    mk(&c, "/n");
    c.get(
        "/n",
        Some(Box::new(|_| {
            panic!("user callback panics (expected by this test)")
        })),
        None,
    )
    .unwrap();
    let (w, f) = Watch::pair();
    c.exists("/n", Some(f), None).unwrap();
    rootc.set(&format!("{r}/n"), b"x", -1, None).unwrap();
    assert_eq!(w.next().event_type, EventType::NodeDataChanged);
    let (w2, f2) = Watch::pair();
    c.get("/n", Some(f2), None).unwrap();
    rootc.set(&format!("{r}/n"), b"y", -1, None).unwrap();
    assert_eq!(w2.next().event_type, EventType::NodeDataChanged);
}
