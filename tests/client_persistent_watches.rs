//! Persistent and persistent-recursive watches (addWatch, removeWatches) against a real
//! ZooKeeper: every event until removed, descendants for recursive ones, removal events,
//! restore after a server restart, and one terminal event at stop.

mod harness;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use zkclient::{
    Client, CreateOptions, Error, EventType, KeeperState, Options, WatchedEvent, WatcherType,
};

const WAIT: Duration = Duration::from_secs(10);

fn connect(hosts: &str) -> Client {
    let mut o = Options::new(hosts);
    o.session_timeout = Duration::from_secs(8);
    let c = Client::new(o).unwrap();
    c.start(WAIT).unwrap();
    c
}

fn fresh(c: &Client, p: &str) {
    let _ = c.delete(p, -1, true, None);
    c.create(p, b"", &CreateOptions::default(), false, None)
        .unwrap();
}

/// A watcher that forwards events and counts its drops (the finalizer's stand-in).
fn recorder(drops: &Arc<AtomicUsize>) -> (zkclient::PersistentFn, mpsc::Receiver<WatchedEvent>) {
    struct OnDrop(Arc<AtomicUsize>);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let (tx, rx) = mpsc::channel();
    let guard = OnDrop(drops.clone());
    let tx = std::sync::Mutex::new(tx);
    (
        Arc::new(move |e| {
            let _keep = &guard;
            let _ = tx.lock().unwrap().send(e);
        }),
        rx,
    )
}

fn next(rx: &mpsc::Receiver<WatchedEvent>) -> (EventType, String) {
    let e = rx.recv_timeout(WAIT).expect("an event");
    (e.event_type, e.path)
}

fn quiet(rx: &mpsc::Receiver<WatchedEvent>) {
    if let Ok(e) = rx.recv_timeout(Duration::from_millis(300)) {
        panic!("unexpected event {e:?}");
    }
}

#[test]
fn a_persistent_watch_sees_every_event_on_its_node_until_removed() {
    let c = connect(harness::shared().hosts());
    fresh(&c, "/pw-node");
    let drops = Arc::new(AtomicUsize::new(0));
    let (f, rx) = recorder(&drops);
    c.add_watch("/pw-node", false, f, None).unwrap();
    c.set("/pw-node", b"1", -1, None).unwrap();
    c.set("/pw-node", b"2", -1, None).unwrap();
    assert_eq!(next(&rx), (EventType::NodeDataChanged, "/pw-node".into()));
    assert_eq!(next(&rx), (EventType::NodeDataChanged, "/pw-node".into()));
    c.create("/pw-node/kid", b"", &CreateOptions::default(), false, None)
        .unwrap();
    assert_eq!(
        next(&rx),
        (EventType::NodeChildrenChanged, "/pw-node".into())
    );
    // Not recursive: a change below is not ours.
    c.set("/pw-node/kid", b"x", -1, None).unwrap();
    quiet(&rx);
    assert_eq!(c.watch_count(), 1);

    c.remove_watches("/pw-node", WatcherType::Any, false, None)
        .unwrap();
    assert_eq!(
        next(&rx),
        (EventType::PersistentWatchRemoved, "/pw-node".into())
    );
    c.set("/pw-node", b"3", -1, None).unwrap();
    quiet(&rx);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(c.watch_count(), 0);
    assert_eq!(
        c.remove_watches("/pw-node", WatcherType::Any, false, None),
        Err(Error::NoWatcher)
    );
    c.delete("/pw-node", -1, true, None).unwrap();
}

#[test]
fn a_recursive_watch_sees_descendants_but_no_child_events() {
    let c = connect(harness::shared().hosts());
    fresh(&c, "/pw-rec");
    let drops = Arc::new(AtomicUsize::new(0));
    let (f, rx) = recorder(&drops);
    c.add_watch("/pw-rec", true, f, None).unwrap();
    c.create("/pw-rec/a", b"", &CreateOptions::default(), false, None)
        .unwrap();
    assert_eq!(next(&rx), (EventType::NodeCreated, "/pw-rec/a".into()));
    c.create("/pw-rec/a/b", b"", &CreateOptions::default(), false, None)
        .unwrap();
    assert_eq!(next(&rx), (EventType::NodeCreated, "/pw-rec/a/b".into()));
    c.set("/pw-rec/a/b", b"v", -1, None).unwrap();
    assert_eq!(
        next(&rx),
        (EventType::NodeDataChanged, "/pw-rec/a/b".into())
    );
    c.delete("/pw-rec/a/b", -1, false, None).unwrap();
    assert_eq!(next(&rx), (EventType::NodeDeleted, "/pw-rec/a/b".into()));
    quiet(&rx);
    c.stop().unwrap();
    // The session's end is the watch's end: one terminal event, then dropped.
    let e = rx.recv_timeout(WAIT).unwrap();
    assert_eq!(
        (e.event_type, e.keeper_state),
        (EventType::None, KeeperState::Closed)
    );
    // The finalizer runs on the event thread after the callback returns: no second event
    // in the meantime, then dropped once.
    quiet(&rx);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn chrooted_persistent_watches_report_chroot_relative_paths() {
    let root = connect(harness::shared().hosts());
    fresh(&root, "/pw-chroot");
    let c = connect(&format!("{}/pw-chroot", harness::shared().hosts()));
    let drops = Arc::new(AtomicUsize::new(0));
    let (f, rx) = recorder(&drops);
    c.add_watch("/", true, f, None).unwrap();
    root.create("/pw-chroot/x", b"", &CreateOptions::default(), false, None)
        .unwrap();
    assert_eq!(next(&rx), (EventType::NodeCreated, "/x".into()));
    c.stop().unwrap();
    root.delete("/pw-chroot", -1, true, None).unwrap();
}

#[test]
fn persistent_watches_are_restored_after_a_server_restart() {
    let mut cluster = harness::Cluster::start(1);
    let c = connect(cluster.hosts());
    fresh(&c, "/pw-restore");
    let drops = Arc::new(AtomicUsize::new(0));
    let (f, rx) = recorder(&drops);
    c.add_watch("/pw-restore", true, f, None).unwrap();
    let session = c.client_id().unwrap().session_id;
    cluster.kill(1);
    cluster.restart(1);
    // Writes from another client after the restart: ours must be watching again.
    let other = connect(cluster.hosts());
    let t0 = std::time::Instant::now();
    while !c.connected() && t0.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(c.client_id().unwrap().session_id, session);
    // Give SetWatches2 its round trip: a sync on our own connection comes after it.
    c.sync("/", None).unwrap();
    other
        .create(
            "/pw-restore/after",
            b"",
            &CreateOptions::default(),
            false,
            None,
        )
        .unwrap();
    assert_eq!(
        next(&rx),
        (EventType::NodeCreated, "/pw-restore/after".into())
    );
    c.stop().unwrap();
}

#[test]
fn removing_one_shot_watches_by_kind_tells_each_watcher() {
    let c = connect(harness::shared().hosts());
    fresh(&c, "/pw-remove");
    let (tx, rx) = mpsc::channel();
    let t = tx.clone();
    c.get(
        "/pw-remove",
        Some(Box::new(move |e| t.send(e.event_type).unwrap())),
        None,
    )
    .unwrap();
    let t = tx.clone();
    c.get_children(
        "/pw-remove",
        Some(Box::new(move |e| t.send(e.event_type).unwrap())),
        false,
        None,
    )
    .unwrap();
    c.remove_watches("/pw-remove", WatcherType::Data, false, None)
        .unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), EventType::DataWatchRemoved);
    // The child watch is still armed.
    c.create("/pw-remove/k", b"", &CreateOptions::default(), false, None)
        .unwrap();
    assert_eq!(
        rx.recv_timeout(WAIT).unwrap(),
        EventType::NodeChildrenChanged
    );
    assert_eq!(
        c.remove_watches("/pw-remove", WatcherType::Children, false, None),
        Err(Error::NoWatcher)
    );
    assert_eq!(c.watch_count(), 0);
    c.delete("/pw-remove", -1, true, None).unwrap();
}

#[test]
fn one_persistent_mode_is_removed_alone_on_39_and_where_unambiguous_on_38() {
    let cluster = harness::shared();
    let is_39 = cluster.version() >= harness::ServerVersion::V3_9;
    let c = connect(cluster.hosts());
    let other = connect(cluster.hosts());
    fresh(&c, "/pw-kinds");
    let drops = Arc::new(AtomicUsize::new(0));

    // Only a persistent watch on the path: removable by its own type on both servers (3.8
    // is asked for Any, which removes exactly it).
    let (f, rx) = recorder(&drops);
    c.add_watch("/pw-kinds", false, f, None).unwrap();
    c.remove_watches("/pw-kinds", WatcherType::Persistent, false, None)
        .unwrap();
    assert_eq!(
        next(&rx),
        (EventType::PersistentWatchRemoved, "/pw-kinds".into())
    );
    assert_eq!(
        c.remove_watches("/pw-kinds", WatcherType::Persistent, false, None),
        Err(Error::NoWatcher)
    );
    other.set("/pw-kinds", b"1", -1, None).unwrap();
    quiet(&rx);

    // Both persistent modes on one path: 3.9 removes one and keeps the other; 3.8, which
    // keeps one mode per path, cannot.
    let (p, prx) = recorder(&drops);
    let (r, rrx) = recorder(&drops);
    c.add_watch("/pw-kinds", false, p, None).unwrap();
    c.add_watch("/pw-kinds", true, r, None).unwrap();
    let removed = c.remove_watches("/pw-kinds", WatcherType::PersistentRecursive, false, None);
    if is_39 {
        removed.unwrap();
        assert_eq!(
            next(&rrx),
            (EventType::PersistentWatchRemoved, "/pw-kinds".into())
        );
        other.set("/pw-kinds", b"2", -1, None).unwrap();
        assert_eq!(next(&prx), (EventType::NodeDataChanged, "/pw-kinds".into()));
        quiet(&rrx);
    } else {
        assert_eq!(removed, Err(Error::Unimplemented));
    }
    c.remove_watches("/pw-kinds", WatcherType::Any, false, None)
        .unwrap();
    assert_eq!(c.watch_count(), 0);
    c.delete("/pw-kinds", -1, true, None).unwrap();
}

/// A one-shot watch through `f` that sends its event type.
fn once() -> (zkclient::WatchFn, mpsc::Receiver<EventType>) {
    let (tx, rx) = mpsc::channel();
    (Box::new(move |e| tx.send(e.event_type).unwrap()), rx)
}

// 3.8 keeps one watch mode per path and session (ZOOKEEPER-4466); the client adds its
// persistent modes back after each one-shot registration, so these hold on both servers.
#[test]
fn a_one_shot_watch_beside_a_persistent_one_fires_once_and_the_persistent_one_stays() {
    let cluster = harness::shared();
    let c = connect(cluster.hosts());
    let other = connect(cluster.hosts());
    fresh(&c, "/pw-mix");
    let drops = Arc::new(AtomicUsize::new(0));
    let (p, prx) = recorder(&drops);
    c.add_watch("/pw-mix", false, p, None).unwrap();
    let (f, data_once) = once();
    c.get("/pw-mix", Some(f), None).unwrap();
    let (f, child_once) = once();
    c.get_children("/pw-mix", Some(f), false, None).unwrap();
    other.set("/pw-mix", b"1", -1, None).unwrap();
    assert_eq!(
        data_once.recv_timeout(WAIT).unwrap(),
        EventType::NodeDataChanged
    );
    assert_eq!(next(&prx), (EventType::NodeDataChanged, "/pw-mix".into()));
    other.set("/pw-mix", b"2", -1, None).unwrap();
    assert_eq!(next(&prx), (EventType::NodeDataChanged, "/pw-mix".into()));
    other
        .create("/pw-mix/c", b"", &CreateOptions::default(), false, None)
        .unwrap();
    assert_eq!(
        child_once.recv_timeout(WAIT).unwrap(),
        EventType::NodeChildrenChanged
    );
    assert_eq!(
        next(&prx),
        (EventType::NodeChildrenChanged, "/pw-mix".into())
    );
    other.delete("/pw-mix/c", -1, false, None).unwrap();
    assert_eq!(
        next(&prx),
        (EventType::NodeChildrenChanged, "/pw-mix".into())
    );
    // Each one-shot watch fired once.
    assert!(data_once.try_recv().is_err() && child_once.try_recv().is_err());
    c.remove_watches("/pw-mix", WatcherType::Any, false, None)
        .unwrap();
    c.delete("/pw-mix", -1, true, None).unwrap();
}

#[test]
fn a_recursive_watch_keeps_its_subtree_beside_a_one_shot_watch_on_its_root() {
    let cluster = harness::shared();
    let c = connect(cluster.hosts());
    let other = connect(cluster.hosts());
    fresh(&c, "/pw-mixr");
    let drops = Arc::new(AtomicUsize::new(0));
    let (r, rrx) = recorder(&drops);
    c.add_watch("/pw-mixr", true, r, None).unwrap();
    let (f, exists_once) = once();
    c.exists("/pw-mixr", Some(f), None).unwrap();
    other.set("/pw-mixr", b"1", -1, None).unwrap();
    assert_eq!(
        exists_once.recv_timeout(WAIT).unwrap(),
        EventType::NodeDataChanged
    );
    assert_eq!(next(&rrx), (EventType::NodeDataChanged, "/pw-mixr".into()));
    // The subtree is still watched after the one-shot watch fired.
    other
        .create("/pw-mixr/a", b"", &CreateOptions::default(), false, None)
        .unwrap();
    assert_eq!(next(&rrx), (EventType::NodeCreated, "/pw-mixr/a".into()));
    other.set("/pw-mixr/a", b"x", -1, None).unwrap();
    assert_eq!(
        next(&rrx),
        (EventType::NodeDataChanged, "/pw-mixr/a".into())
    );
    c.remove_watches("/pw-mixr", WatcherType::Any, false, None)
        .unwrap();
    c.delete("/pw-mixr", -1, true, None).unwrap();
}

#[test]
fn both_persistent_modes_on_one_path_keep_every_event_on_39_and_the_recursive_one_wins_on_38() {
    let cluster = harness::shared();
    let is_39 = cluster.version() >= harness::ServerVersion::V3_9;
    let c = connect(cluster.hosts());
    let other = connect(cluster.hosts());
    fresh(&c, "/pw-both");
    let drops = Arc::new(AtomicUsize::new(0));
    let (r, rrx) = recorder(&drops);
    c.add_watch("/pw-both", true, r, None).unwrap();
    let (p, prx) = recorder(&drops);
    c.add_watch("/pw-both", false, p, None).unwrap();
    other.set("/pw-both", b"1", -1, None).unwrap();
    assert_eq!(next(&rrx), (EventType::NodeDataChanged, "/pw-both".into()));
    assert_eq!(next(&prx), (EventType::NodeDataChanged, "/pw-both".into()));
    other
        .create("/pw-both/a", b"", &CreateOptions::default(), false, None)
        .unwrap();
    // The recursive watch keeps its subtree on both servers.
    assert_eq!(next(&rrx), (EventType::NodeCreated, "/pw-both/a".into()));
    if is_39 {
        assert_eq!(
            next(&prx),
            (EventType::NodeChildrenChanged, "/pw-both".into())
        );
    } else {
        // 3.8 registers both modes in both of its watch managers, one mode per path: the
        // client keeps the recursive one there (added back last), whose mode takes no
        // child events, so the persistent watch misses the path's child events. Said on
        // add_watch.
        quiet(&prx);
    }
    c.remove_watches("/pw-both", WatcherType::Any, false, None)
        .unwrap();
    c.delete("/pw-both", -1, true, None).unwrap();
}

#[test]
fn removing_one_shot_watches_leaves_the_persistent_watch_on_the_path() {
    let cluster = harness::shared();
    let c = connect(cluster.hosts());
    let other = connect(cluster.hosts());
    fresh(&c, "/pw-mixrm");
    let drops = Arc::new(AtomicUsize::new(0));
    let (p, prx) = recorder(&drops);
    c.add_watch("/pw-mixrm", false, p, None).unwrap();
    let (f, data_once) = once();
    c.get("/pw-mixrm", Some(f), None).unwrap();
    let (f, child_once) = once();
    c.get_children("/pw-mixrm", Some(f), false, None).unwrap();
    c.remove_watches("/pw-mixrm", WatcherType::Data, false, None)
        .unwrap();
    c.remove_watches("/pw-mixrm", WatcherType::Children, false, None)
        .unwrap();
    assert_eq!(
        data_once.recv_timeout(WAIT).unwrap(),
        EventType::DataWatchRemoved
    );
    assert_eq!(
        child_once.recv_timeout(WAIT).unwrap(),
        EventType::ChildWatchRemoved
    );
    other.set("/pw-mixrm", b"1", -1, None).unwrap();
    assert_eq!(next(&prx), (EventType::NodeDataChanged, "/pw-mixrm".into()));
    other
        .create("/pw-mixrm/c", b"", &CreateOptions::default(), false, None)
        .unwrap();
    assert_eq!(
        next(&prx),
        (EventType::NodeChildrenChanged, "/pw-mixrm".into())
    );
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    c.remove_watches("/pw-mixrm", WatcherType::Any, false, None)
        .unwrap();
    c.delete("/pw-mixrm", -1, true, None).unwrap();
}

#[test]
fn an_async_one_shot_watch_beside_a_persistent_one_leaves_it_in_place() {
    let cluster = harness::shared();
    let c = connect(cluster.hosts());
    let other = connect(cluster.hosts());
    fresh(&c, "/pw-mixa");
    let drops = Arc::new(AtomicUsize::new(0));
    let (p, prx) = recorder(&drops);
    c.add_watch("/pw-mixa", false, p, None).unwrap();
    let (f, data_once) = once();
    let (tx, done) = mpsc::channel();
    c.get_async(
        "/pw-mixa",
        Some(f),
        None,
        Box::new(move |r| tx.send(r.map(|_| ())).unwrap()),
    )
    .unwrap();
    done.recv_timeout(WAIT).unwrap().unwrap();
    other.set("/pw-mixa", b"1", -1, None).unwrap();
    assert_eq!(
        data_once.recv_timeout(WAIT).unwrap(),
        EventType::NodeDataChanged
    );
    assert_eq!(next(&prx), (EventType::NodeDataChanged, "/pw-mixa".into()));
    other.set("/pw-mixa", b"2", -1, None).unwrap();
    assert_eq!(next(&prx), (EventType::NodeDataChanged, "/pw-mixa".into()));
    c.remove_watches("/pw-mixa", WatcherType::Any, false, None)
        .unwrap();
    c.delete("/pw-mixa", -1, true, None).unwrap();
}
