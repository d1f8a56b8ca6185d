//! Queue and LockingQueue against the shared real server: kazoo's names and order, waits
//! and cancel, kazoo (python3-kazoo in a second process) producing for our consumers and
//! consuming from our producers on one queue, and a LockingQueue whose consumers die
//! mid-work (session closed, session expired): every entry is consumed exactly once.

mod common;
mod harness;
mod kazoo;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{connect, options, quick_retry, sorted, start, wait_until, Proxy, WAIT};
use kazoo::Kazoo;
use zkclient::recipe::queue::{LockingQueue, Queue, DEFAULT_PRIORITY};
use zkclient::{Client, Error};

const SHORT: Duration = Duration::from_millis(300);

fn client() -> Client {
    connect(harness::shared().hosts())
}

/// A fresh path for one test, so tests running together never share nodes.
fn fresh(name: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "/recipe-queue/{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

fn children(c: &Client, path: &str) -> Vec<String> {
    match c.get_children(path, None, false, None) {
        Ok((kids, _)) => sorted(kids),
        Err(Error::NoNode) => Vec::new(),
        Err(e) => panic!("children of {path}: {e}"),
    }
}

/// How many times each value was taken; every expected value must be there once.
fn assert_each_once(got: &[String], want: &[String]) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for g in got {
        *counts.entry(g).or_default() += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "taken more than once: {twice:?}");
    let missing: Vec<_> = want
        .iter()
        .filter(|w| !counts.contains_key(w.as_str()))
        .collect();
    assert!(missing.is_empty(), "never taken: {missing:?}");
    assert_eq!(got.len(), want.len(), "taken: {got:?}");
}

/// kazoo's retry with short sleeps: its default backs off for up to an hour.
const KAZOO_QUICK_RETRY: &str = "from kazoo.retry import KazooRetry\n\
     zk.retry = KazooRetry(max_tries=-1, delay=0.002, backoff=1.5, max_delay=0.02)\n";

// ----- Queue -------------------------------------------------------------------------------

#[test]
fn a_queue_writes_kazoos_names_and_gives_entries_in_priority_then_put_order() {
    let c = client();
    let path = fresh("queue");
    let q = Queue::new(&c, &path).unwrap();
    assert_eq!(q.get(None), Ok(None), "no path yet: empty");
    assert_eq!(q.len(None), Ok(0));
    let a = q.put(b"a", DEFAULT_PRIORITY, None).unwrap();
    let b = q.put(b"b", 5, None).unwrap();
    let c2 = q.put(b"c", DEFAULT_PRIORITY, None).unwrap();
    let d = q.put(b"", 999, None).unwrap();
    assert!(
        a.starts_with("entry-100-") && a.len() == "entry-100-".len() + 10,
        "{a}"
    );
    assert!(b.starts_with("entry-005-"), "{b}");
    assert!(d.starts_with("entry-999-"), "{d}");
    assert_eq!(children(&c, &path), sorted(vec![a.clone(), b, c2, d]));
    assert_eq!(c.get(&format!("{path}/{a}"), None, None).unwrap().0, b"a");
    assert_eq!(q.len(None), Ok(4));
    assert_eq!(q.is_empty(None), Ok(false));
    let got: Vec<_> = (0..5).map(|_| q.get(None).unwrap()).collect();
    assert_eq!(
        got,
        [
            Some(b"b".to_vec()),
            Some(b"a".to_vec()),
            Some(b"c".to_vec()),
            Some(Vec::new()),
            None
        ]
    );
    assert_eq!(q.len(None), Ok(0));
    assert!(children(&c, &path).is_empty(), "a get removes the entry");
}

#[test]
fn bad_queue_arguments_are_refused_before_anything_is_sent() {
    let c = client();
    assert!(matches!(
        Queue::new(&c, "no-slash"),
        Err(Error::InvalidPath)
    ));
    assert!(matches!(
        LockingQueue::new(&c, "/q/"),
        Err(Error::InvalidPath)
    ));
    let path = fresh("queue-bad");
    let q = Queue::new(&c, &path).unwrap();
    assert_eq!(q.put(b"x", -1, None), Err(Error::InvalidArgument));
    assert_eq!(q.put(b"x", 1000, None), Err(Error::InvalidArgument));
    let lq = LockingQueue::new(&c, &path).unwrap();
    assert_eq!(lq.put(b"x", 1000, None), Err(Error::InvalidArgument));
    assert_eq!(lq.put_all(&[b"x"], -5, None), Err(Error::InvalidArgument));
    assert_eq!(c.exists(&path, None, None), Ok(None), "nothing was sent");
}

#[test]
fn consumers_racing_on_a_queue_each_take_different_entries() {
    const N: usize = 60;
    let c = client();
    let path = fresh("queue-race");
    let q = Queue::new(&c, &path).unwrap();
    let want: Vec<String> = (0..N).map(|i| format!("v{i}")).collect();
    for w in &want {
        q.put(w.as_bytes(), DEFAULT_PRIORITY, None).unwrap();
    }
    let got = Arc::new(Mutex::new(Vec::new()));
    let consumers: Vec<_> = (0..3)
        .map(|_| {
            let own = client();
            let q = Queue::new(&own, &path).unwrap();
            let got = got.clone();
            thread::spawn(move || {
                let _own = own;
                while let Some(v) = q.get(None).unwrap() {
                    got.lock().unwrap().push(String::from_utf8(v).unwrap());
                }
            })
        })
        .collect();
    for t in consumers {
        t.join().unwrap();
    }
    assert_each_once(&got.lock().unwrap(), &want);
}

#[test]
fn kazoo_and_we_produce_and_consume_one_queue_without_loss_or_double_takes() {
    const EACH: usize = 40;
    let c = client();
    let path = fresh("queue-kazoo");
    let mut k = Kazoo::start(harness::shared().hosts());
    k.run(&format!(
        "{KAZOO_QUICK_RETRY}kq = zk.Queue('{path}')\n\
         for i in range({EACH}):\n    kq.put(('k%d' % i).encode(), priority=i % 3 * 100)\n"
    ));
    let q = Queue::new(&c, &path).unwrap();
    for i in 0..EACH {
        q.put(format!("r{i}").as_bytes(), (i % 3 * 100) as i32, None)
            .unwrap();
    }
    // kazoo's order is ours: the first it takes is a priority-0 entry.
    assert_eq!(q.len(None), Ok(2 * EACH));
    assert_eq!(k.eval("print(len(kq))"), (2 * EACH).to_string());
    assert_eq!(k.eval("print(kq.get().decode())"), "k0");
    let mut got = vec!["k0".to_string()];
    // Sequence numbers are the parent's: kazoo's entries came first.
    assert_eq!(q.get(None).unwrap(), Some(b"k3".to_vec()));
    got.push("k3".into());
    // Now both consume at once until the queue is empty.
    k.run(
        "kgot = []\n\
         def drain():\n    while True:\n        v = kq.get()\n        if v is None:\n            break\n        kgot.append(v.decode())\n\
         t = threading.Thread(target=drain)\n\
         t.start()",
    );
    while let Some(v) = q.get(None).unwrap() {
        got.push(String::from_utf8(v).unwrap());
    }
    assert_eq!(k.eval("t.join(30); print(t.is_alive())"), "False");
    let theirs = k.eval("print('\\n'.join(kgot))");
    got.extend(theirs.lines().filter(|l| !l.is_empty()).map(String::from));
    let want: Vec<String> = (0..EACH)
        .flat_map(|i| [format!("k{i}"), format!("r{i}")])
        .collect();
    assert_each_once(&got, &want);
    assert!(children(&c, &path).is_empty());
}

// ----- LockingQueue ------------------------------------------------------------------------

#[test]
fn a_locking_queue_takes_consumes_and_releases_as_kazoo_writes_them() {
    let c = client();
    let path = fresh("lq");
    let q = LockingQueue::new(&c, &path).unwrap();
    assert_eq!(q.get(Some(Duration::ZERO)), Err(Error::TimedOut), "empty");
    assert_eq!(q.holds_lock(None), Ok(false));
    assert_eq!(q.consume(None), Ok(false), "nothing in hand");
    assert_eq!(q.release(None), Ok(false));
    let one = q.put(b"one", DEFAULT_PRIORITY, None).unwrap();
    let all = q
        .put_all(&[b"two", b"three"], DEFAULT_PRIORITY, None)
        .unwrap();
    assert_eq!(all.len(), 2);
    let urgent = q.put(b"urgent", 1, None).unwrap();
    assert!(urgent.starts_with("entry-001-"), "{urgent}");
    assert_eq!(
        children(&c, &format!("{path}/entries")),
        sorted(vec![
            one.clone(),
            all[0].clone(),
            all[1].clone(),
            urgent.clone()
        ])
    );
    assert_eq!(q.len(None), Ok(4));

    // The first by priority is taken: taken/<name> holds our id, ephemeral.
    assert_eq!(q.get(None), Ok(b"urgent".to_vec()));
    assert_eq!(q.processing(), Some(urgent.clone()));
    let mark = format!("{path}/taken/{urgent}");
    let (data, st) = c.get(&mark, None, None).unwrap();
    assert_eq!(data, q.id().as_bytes());
    assert_eq!(q.id().len(), 32);
    assert_ne!(st.ephemeral_owner, 0, "taken nodes are ephemeral");
    assert_eq!(q.holds_lock(None), Ok(true));
    // In hand: get gives it again; len counts taken entries.
    assert_eq!(q.get(Some(Duration::ZERO)), Ok(b"urgent".to_vec()));
    assert_eq!(q.len(None), Ok(4));
    // Another consumer skips the taken one.
    let other_client = client();
    let other = LockingQueue::new(&other_client, &path).unwrap();
    assert_eq!(other.get(None), Ok(b"one".to_vec()));
    // Consume removes both nodes.
    assert_eq!(q.consume(None), Ok(true));
    assert_eq!(q.processing(), None);
    assert_eq!(c.exists(&mark, None, None), Ok(None));
    assert_eq!(
        c.exists(&format!("{path}/entries/{urgent}"), None, None),
        Ok(None)
    );
    assert_eq!(q.len(None), Ok(3));
    // Release gives it back: the next get (of anyone) takes it again.
    assert_eq!(other.release(None), Ok(true));
    assert_eq!(other.holds_lock(None), Ok(false));
    assert_eq!(q.get(None), Ok(b"one".to_vec()));
    assert_eq!(q.consume(None), Ok(true));
    assert_eq!(q.get(None), Ok(b"two".to_vec()));
    assert_eq!(q.consume(None), Ok(true));
    assert_eq!(other.get(None), Ok(b"three".to_vec()));
    assert_eq!(other.consume(None), Ok(true));
    assert_eq!(q.len(None), Ok(0));
    assert!(children(&c, &format!("{path}/taken")).is_empty());
}

#[test]
fn a_locking_queue_get_waits_for_a_put_and_ends_on_cancel_or_deadline() {
    let c = client();
    let path = fresh("lq-wait");
    let q = Arc::new(LockingQueue::new(&c, &path).unwrap());
    let t = Instant::now();
    assert_eq!(q.get(Some(SHORT)), Err(Error::TimedOut));
    assert!(t.elapsed() >= SHORT);
    // A loop of timed waits keeps the watches the first wait set on entries and taken,
    // and sets no more.
    let before = c.watch_count();
    for _ in 0..4 {
        assert_eq!(q.get(Some(Duration::from_millis(50))), Err(Error::TimedOut));
    }
    assert_eq!(c.watch_count(), before);

    let waiter = {
        let q = q.clone();
        thread::spawn(move || q.get(None))
    };
    thread::sleep(Duration::from_millis(200));
    let producer_client = client();
    let producer = LockingQueue::new(&producer_client, &path).unwrap();
    producer.put(b"late", DEFAULT_PRIORITY, None).unwrap();
    assert_eq!(waiter.join().unwrap(), Ok(b"late".to_vec()));
    assert_eq!(q.consume(None), Ok(true));

    let waiter = {
        let q = q.clone();
        thread::spawn(move || q.get(Some(Duration::from_secs(60))))
    };
    thread::sleep(Duration::from_millis(200));
    q.cancel();
    assert_eq!(waiter.join().unwrap(), Err(Error::Cancelled));
    q.cancel();
    assert_eq!(q.get(Some(SHORT)), Err(Error::Cancelled), "sticky");
    q.cancel();
    q.clear_cancel();
    assert_eq!(q.get(Some(Duration::ZERO)), Err(Error::TimedOut));
}

#[test]
fn gets_on_one_value_from_several_threads_share_one_entry_in_hand() {
    let c = client();
    let path = fresh("lq-threads");
    let q = Arc::new(LockingQueue::new(&c, &path).unwrap());
    // Waiting threads, then one entry: one takes it, every other returns it too.
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            let q = q.clone();
            thread::spawn(move || q.get(Some(WAIT)))
        })
        .collect();
    thread::sleep(Duration::from_millis(200));
    q.put_all(&[b"a", b"b"], DEFAULT_PRIORITY, None).unwrap();
    for w in waiters {
        assert_eq!(w.join().unwrap(), Ok(b"a".to_vec()));
    }
    assert_eq!(children(&c, &format!("{path}/taken")).len(), 1);
    // A timed get on another thread is not held up by one that waits without end.
    assert_eq!(q.consume(None), Ok(true));
    assert_eq!(q.get(None), Ok(b"b".to_vec()));
    assert_eq!(q.consume(None), Ok(true));
    let forever = {
        let q = q.clone();
        thread::spawn(move || q.get(None))
    };
    thread::sleep(Duration::from_millis(100));
    assert_eq!(q.get(Some(SHORT)), Err(Error::TimedOut));
    q.cancel();
    assert_eq!(forever.join().unwrap(), Err(Error::Cancelled));
}

#[test]
fn an_entry_given_back_wakes_a_waiting_consumer() {
    let c = client();
    let path = fresh("lq-release");
    let a = LockingQueue::new(&c, &path).unwrap();
    a.put(b"only", DEFAULT_PRIORITY, None).unwrap();
    assert_eq!(a.get(None), Ok(b"only".to_vec()));
    let b_client = client();
    let b = Arc::new(LockingQueue::new(&b_client, &path).unwrap());
    let waiter = {
        let b = b.clone();
        thread::spawn(move || b.get(Some(WAIT)))
    };
    thread::sleep(Duration::from_millis(200));
    assert_eq!(a.release(None), Ok(true));
    assert_eq!(waiter.join().unwrap(), Ok(b"only".to_vec()));
    assert_eq!(b.consume(None), Ok(true));
    assert_eq!(a.len(None), Ok(0));
}

#[test]
fn kazoo_and_we_share_a_locking_queue_without_loss_or_double_takes() {
    const EACH: usize = 30;
    let c = client();
    let path = fresh("lq-kazoo");
    let mut k = Kazoo::start(harness::shared().hosts());
    k.run(&format!(
        "{KAZOO_QUICK_RETRY}klq = zk.LockingQueue('{path}')\n\
         klq.put_all([('k%d' % i).encode() for i in range({EACH})], priority=7)\n"
    ));
    let q = LockingQueue::new(&c, &path).unwrap();
    let mine: Vec<Vec<u8>> = (0..EACH).map(|i| format!("r{i}").into_bytes()).collect();
    let refs: Vec<&[u8]> = mine.iter().map(|v| v.as_slice()).collect();
    q.put_all(&refs, 7, None).unwrap();
    assert_eq!(k.eval("print(len(klq))"), (2 * EACH).to_string());
    // Each side takes one entry and the other sees it taken.
    assert_eq!(k.eval("print(klq.get(5).decode())"), "k0");
    assert_eq!(
        q.get(None),
        Ok(b"k1".to_vec()),
        "kazoo's taken entry is skipped"
    );
    let mark = format!("{path}/taken/{}", q.processing().unwrap());
    assert_eq!(c.get(&mark, None, None).unwrap().0, q.id().as_bytes());
    assert_eq!(k.eval("print(klq.holds_lock())"), "True");
    assert_eq!(k.eval("print(klq.consume())"), "True");
    assert_eq!(q.consume(None), Ok(true));
    let mut got = vec!["k0".to_string(), "k1".to_string()];
    // Then kazoo and two of our consumers take and consume the rest at once.
    k.run(
        "kgot = []\n\
         def drain():\n    while True:\n        v = klq.get(2)\n        if v is None:\n            break\n        kgot.append(v.decode())\n        assert klq.consume()\n\
         t = threading.Thread(target=drain)\n\
         t.start()",
    );
    let ours = Arc::new(Mutex::new(Vec::new()));
    let consumers: Vec<_> = (0..2)
        .map(|_| {
            let own = client();
            let q = LockingQueue::new(&own, &path).unwrap();
            let ours = ours.clone();
            thread::spawn(move || loop {
                let _own = &own;
                match q.get(Some(Duration::from_secs(2))) {
                    Ok(v) => {
                        assert_eq!(q.consume(None), Ok(true));
                        ours.lock().unwrap().push(String::from_utf8(v).unwrap());
                    }
                    Err(Error::TimedOut) => return,
                    Err(e) => panic!("get: {e}"),
                }
            })
        })
        .collect();
    for t in consumers {
        t.join().unwrap();
    }
    assert_eq!(k.eval("t.join(30); print(t.is_alive())"), "False");
    got.extend(ours.lock().unwrap().iter().cloned());
    let theirs = k.eval("print('\\n'.join(kgot))");
    got.extend(theirs.lines().filter(|l| !l.is_empty()).map(String::from));
    let want: Vec<String> = (0..EACH)
        .flat_map(|i| [format!("k{i}"), format!("r{i}")])
        .collect();
    assert_each_once(&got, &want);
    assert_eq!(q.len(None), Ok(0));
    assert!(children(&c, &format!("{path}/taken")).is_empty());
}

#[test]
fn an_entry_taken_by_a_kazoo_consumer_that_dies_goes_back_to_ours() {
    let c = client();
    let path = fresh("lq-kazoo-dies");
    let q = LockingQueue::new(&c, &path).unwrap();
    q.put(b"work", DEFAULT_PRIORITY, None).unwrap();
    let mut k = Kazoo::start(harness::shared().hosts());
    k.run(&format!(
        "klq = zk.LockingQueue('{path}')\nassert klq.get(5) == b'work'"
    ));
    assert_eq!(
        q.get(Some(Duration::ZERO)),
        Err(Error::TimedOut),
        "kazoo has it"
    );
    // kazoo's session ends without consume: the entry goes back.
    drop(k);
    assert_eq!(q.get(Some(WAIT)), Ok(b"work".to_vec()));
    assert_eq!(q.consume(None), Ok(true));
}

// ----- faults --------------------------------------------------------------------------------

/// Consumers on their own clients take and consume entries while two of them die holding
/// an entry: one whose client is closed, one whose session expires behind a cut proxy.
/// Every entry is consumed exactly once, the dead ones' entries by the survivors, and the
/// expired consumer learns that its entry is no longer its own.
#[test]
fn consumers_that_die_mid_work_give_their_entries_back() {
    const N: usize = 40;
    let c = client();
    let path = fresh("lq-faults");
    let producer = LockingQueue::new(&c, &path).unwrap();
    let want: Vec<String> = (0..N).map(|i| format!("e{i}")).collect();
    let refs: Vec<&[u8]> = want.iter().map(|v| v.as_bytes()).collect();
    producer.put_all(&refs, DEFAULT_PRIORITY, None).unwrap();

    // The doomed: each takes the first free entry and never consumes it.
    let closed_client = client();
    let closed = LockingQueue::new(&closed_client, &path).unwrap();
    let closed_entry = String::from_utf8(closed.get(None).unwrap()).unwrap();
    let server: SocketAddr = harness::shared().hosts().parse().unwrap();
    let proxy = Proxy::start("127.0.0.1:0", server).unwrap();
    let mut o = options(&proxy.hosts());
    o.connection_retry = quick_retry(1000);
    let expiring_client = start(o);
    let expiring = LockingQueue::new(&expiring_client, &path).unwrap();
    let expired_entry = String::from_utf8(expiring.get(None).unwrap()).unwrap();
    assert_ne!(closed_entry, expired_entry);

    // Survivors consume with a little work each, until every entry is consumed.
    let consumed = Arc::new(Mutex::new(Vec::new()));
    let survivor_clients: Vec<Client> = (0..3).map(|_| client()).collect();
    let survivors: Vec<_> = survivor_clients
        .iter()
        .map(|sc| Arc::new(LockingQueue::new(sc, &path).unwrap()))
        .collect();
    let threads: Vec<_> = survivors
        .iter()
        .map(|q| {
            let (q, consumed) = (q.clone(), consumed.clone());
            thread::spawn(move || loop {
                match q.get(None) {
                    Ok(v) => {
                        thread::sleep(Duration::from_millis(5));
                        assert_eq!(q.consume(None), Ok(true));
                        consumed.lock().unwrap().push(String::from_utf8(v).unwrap());
                    }
                    Err(Error::Cancelled) => return,
                    Err(e) => panic!("get: {e}"),
                }
            })
        })
        .collect();
    wait_until("survivors consume some", WAIT, || {
        consumed.lock().unwrap().len() >= 5
    });
    // Killed mid-work: the session ends without a consume.
    closed_client.close();
    proxy.cut();
    wait_until("every entry consumed", Duration::from_secs(40), || {
        consumed.lock().unwrap().len() >= N
    });
    for q in &survivors {
        q.cancel();
    }
    for t in threads {
        t.join().unwrap();
    }
    let got = consumed.lock().unwrap().clone();
    assert_each_once(&got, &want);
    assert!(got.contains(&closed_entry) && got.contains(&expired_entry));
    assert_eq!(producer.len(None), Ok(0));
    assert!(children(&c, &format!("{path}/taken")).is_empty());
    // The expired consumer's session is gone: it cannot consume what it no longer holds.
    proxy.unblock();
    assert_ne!(expiring.consume(Some(WAIT)), Ok(true));
}
