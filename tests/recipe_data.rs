//! The recipes that need no lock — Barrier, DoubleBarrier, Counter, Party, ShallowParty —
//! against the shared real server, and with kazoo (python3-kazoo in a second process) on
//! the same paths: each reads what the other writes and they wait for each other.

mod common;
mod harness;
mod kazoo;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{connect, sorted, wait_until, Proxy, WAIT};
use kazoo::Kazoo;
use zkclient::recipe::barrier::{Barrier, DoubleBarrier};
use zkclient::recipe::counter::{Counter, CounterForm, CounterValue};
use zkclient::recipe::party::Party;
use zkclient::{Client, CreateOptions, Error};

const SHORT: Duration = Duration::from_millis(300);

fn client() -> Client {
    connect(harness::shared().hosts())
}

/// A fresh path for one test, so tests running together never share nodes.
fn fresh(name: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "/recipe-data/{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// The children of `path`, sorted; none while it does not exist.
fn children(c: &Client, path: &str) -> Vec<String> {
    match c.get_children(path, None, false, None) {
        Ok((kids, _)) => sorted(kids),
        Err(Error::NoNode) => Vec::new(),
        Err(e) => panic!("children of {path}: {e}"),
    }
}

fn data(c: &Client, path: &str) -> Vec<u8> {
    c.get(path, None, None).unwrap().0
}

// ----- Barrier ---------------------------------------------------------------------------

#[test]
fn a_barrier_holds_waiters_until_its_node_is_removed() {
    let c = client();
    let path = fresh("barrier");
    let b = Arc::new(Barrier::new(&c, &path).unwrap());
    assert_eq!(b.wait(Some(SHORT)), Ok(()), "no node: the barrier is down");
    b.create(None).unwrap();
    b.create(None).unwrap(); // already up: fine
    assert!(c.exists(&path, None, None).unwrap().is_some());
    let t = Instant::now();
    assert_eq!(b.wait(Some(SHORT)), Err(Error::TimedOut));
    assert!(t.elapsed() >= SHORT);

    let waiter = {
        let b = b.clone();
        thread::spawn(move || (b.wait(Some(WAIT)), Instant::now()))
    };
    thread::sleep(Duration::from_millis(200));
    let removed_at = Instant::now();
    assert_eq!(b.remove(None), Ok(true));
    let (r, woke) = waiter.join().unwrap();
    assert_eq!(r, Ok(()));
    assert!(woke >= removed_at, "the waiter returned before the removal");
    assert_eq!(b.remove(None), Ok(false), "nothing left to remove");
}

#[test]
fn timed_waits_in_a_loop_set_one_watch_between_them() {
    let c = client();
    let path = fresh("barrier-loop");
    let b = Barrier::new(&c, &path).unwrap();
    b.create(None).unwrap();
    let before = c.watch_count();
    for _ in 0..5 {
        assert_eq!(
            b.wait(Some(Duration::from_millis(50))),
            Err(Error::TimedOut)
        );
    }
    assert_eq!(c.watch_count(), before + 1);
    b.remove(None).unwrap();
    wait_until("the watch fires", WAIT, || c.watch_count() == before);
    assert_eq!(b.wait(Some(SHORT)), Ok(()));
}

#[test]
fn cancel_ends_a_barrier_wait_on_another_thread() {
    let c = client();
    let path = fresh("barrier-cancel");
    let b = Arc::new(Barrier::new(&c, &path).unwrap());
    b.create(None).unwrap();
    let waiter = {
        let b = b.clone();
        thread::spawn(move || {
            let t = Instant::now();
            (b.wait(Some(Duration::from_secs(60))), t.elapsed())
        })
    };
    thread::sleep(Duration::from_millis(200));
    b.cancel();
    let (r, took) = waiter.join().unwrap();
    assert_eq!(r, Err(Error::Cancelled));
    assert!(took < Duration::from_secs(5), "took {took:?}");
    // The wait saw the cancel: the next one is not cancelled.
    assert_eq!(
        b.wait(Some(Duration::ZERO)),
        Err(Error::TimedOut),
        "one look"
    );
    // A cancel while nobody waits ends the next wait, unless it is cleared.
    b.cancel();
    assert_eq!(b.wait(Some(SHORT)), Err(Error::Cancelled));
    b.cancel();
    b.clear_cancel();
    b.remove(None).unwrap();
    assert_eq!(b.wait(Some(Duration::ZERO)), Ok(()));
    assert_eq!(b.wait(None), Ok(()));
}

#[test]
fn a_barrier_with_children_is_not_removed() {
    let c = client();
    let path = fresh("barrier-full");
    let b = Barrier::new(&c, &path).unwrap();
    b.create(None).unwrap();
    c.create(
        &format!("{path}/x"),
        b"",
        &CreateOptions::default(),
        false,
        None,
    )
    .unwrap();
    assert_eq!(b.remove(None), Err(Error::NotEmpty));
    assert_eq!(b.wait(Some(SHORT)), Err(Error::TimedOut));
}

#[test]
fn kazoo_and_we_wait_on_each_others_barriers() {
    let c = client();
    let mut k = Kazoo::start(harness::shared().hosts());
    let path = fresh("barrier-kazoo");
    let b = Barrier::new(&c, &path).unwrap();

    // Ours up, kazoo waits, we take it down.
    b.create(None).unwrap();
    k.run(&format!(
        "b = zk.Barrier('{path}')\n\
         res = []\n\
         t = threading.Thread(target=lambda: res.append(b.wait(10)))\n\
         t.start()"
    ));
    thread::sleep(Duration::from_millis(300));
    assert_eq!(
        k.eval("print(t.is_alive())"),
        "True",
        "kazoo waits while ours is up"
    );
    assert!(b.remove(None).unwrap());
    assert_eq!(k.eval("t.join(10); print(res)"), "[True]");

    // Kazoo's up, we wait, kazoo takes it down.
    k.run("b.create()");
    assert_eq!(b.wait(Some(SHORT)), Err(Error::TimedOut));
    let kill = thread::spawn(move || {
        thread::sleep(Duration::from_millis(200));
        k.eval("print(b.remove())")
    });
    assert_eq!(b.wait(Some(WAIT)), Ok(()));
    assert_eq!(kill.join().unwrap(), "True");
}

// ----- DoubleBarrier ---------------------------------------------------------------------

#[test]
fn a_double_barrier_opens_at_num_clients_and_closes_when_all_left() {
    let c = client();
    let path = fresh("double");
    let a = Arc::new(DoubleBarrier::new(&c, &path, 2, Some("member-a")).unwrap());
    let b = Arc::new(DoubleBarrier::new(&c, &path, 2, Some("member-b")).unwrap());
    assert!(a.node_path().starts_with(&format!("{path}/")));

    // One member alone waits, and gives up without leaving its node behind.
    assert_eq!(a.enter(Some(SHORT)), Err(Error::TimedOut));
    assert!(!a.participating());
    assert_eq!(children(&c, &path), Vec::<String>::new());

    let ta = {
        let a = a.clone();
        thread::spawn(move || a.enter(Some(WAIT)))
    };
    wait_until("a's node", WAIT, || children(&c, &path).len() == 1);
    let name = a.node_path().rsplit('/').next().unwrap().to_string();
    assert_eq!(children(&c, &path), vec![name.clone()]);
    assert_eq!(data(&c, &a.node_path()), b"member-a");
    assert_eq!(b.enter(Some(WAIT)), Ok(()));
    assert_eq!(ta.join().unwrap(), Ok(()));
    assert!(a.participating() && b.participating());
    assert!(children(&c, &path).contains(&"ready".to_string()));

    // Leaving: the first to leave waits for the other.
    let tl = {
        let a = a.clone();
        thread::spawn(move || {
            let r = a.leave(Some(WAIT));
            (r, Instant::now())
        })
    };
    thread::sleep(Duration::from_millis(300));
    assert!(!tl.is_finished(), "a left while b was still in");
    let b_left = Instant::now();
    assert_eq!(b.leave(Some(WAIT)), Ok(()));
    let (r, a_left) = tl.join().unwrap();
    assert_eq!(r, Ok(()));
    assert!(a_left >= b_left);
    assert_eq!(children(&c, &path), Vec::<String>::new());
    assert!(!a.participating());
}

#[test]
fn cancel_ends_an_enter_and_removes_our_node() {
    let c = client();
    let path = fresh("double-cancel");
    let a = Arc::new(DoubleBarrier::new(&c, &path, 3, None).unwrap());
    let t = {
        let a = a.clone();
        thread::spawn(move || a.enter(Some(Duration::from_secs(60))))
    };
    wait_until("a's node", WAIT, || children(&c, &path).len() == 1);
    // kazoo's default identifier: host name and pid.
    let ident = String::from_utf8(data(&c, &a.node_path())).unwrap();
    assert!(
        ident.ends_with(&format!("-{}", std::process::id())),
        "{ident}"
    );
    a.cancel();
    assert_eq!(t.join().unwrap(), Err(Error::Cancelled));
    assert_eq!(children(&c, &path), Vec::<String>::new());
}

#[test]
fn a_double_barrier_with_kazoo_members_opens_for_all() {
    let c = client();
    let mut k = Kazoo::start(harness::shared().hosts());
    let path = fresh("double-kazoo");
    k.run(&format!(
        "db = zk.DoubleBarrier('{path}', 3, identifier='kazoo')\n\
         t = threading.Thread(target=db.enter)\n\
         t.start()"
    ));
    let ours: Vec<Arc<DoubleBarrier>> = (0..2)
        .map(|i| Arc::new(DoubleBarrier::new(&c, &path, 3, Some(&format!("rust-{i}"))).unwrap()))
        .collect();
    let first = {
        let m = ours[0].clone();
        thread::spawn(move || m.enter(Some(WAIT)))
    };
    wait_until("two members", WAIT, || children(&c, &path).len() == 2);
    assert_eq!(
        k.eval("print(t.is_alive())"),
        "True",
        "kazoo waits for the third"
    );
    assert_eq!(ours[1].enter(Some(WAIT)), Ok(()));
    assert_eq!(first.join().unwrap(), Ok(()));
    assert_eq!(
        k.eval("t.join(10); print(t.is_alive(), db.participating)"),
        "False True"
    );
    let mut idents: Vec<String> = children(&c, &path)
        .iter()
        .filter(|n| *n != "ready")
        .map(|n| String::from_utf8(data(&c, &format!("{path}/{n}"))).unwrap())
        .collect();
    idents.sort();
    assert_eq!(idents, ["kazoo", "rust-0", "rust-1"]);

    // Everyone leaves; each leave returns once the others are gone.
    k.run("t = threading.Thread(target=db.leave)\nt.start()");
    let leaving: Vec<_> = ours
        .iter()
        .map(|m| {
            let m = m.clone();
            thread::spawn(move || m.leave(Some(WAIT)))
        })
        .collect();
    for l in leaving {
        assert_eq!(l.join().unwrap(), Ok(()));
    }
    assert_eq!(k.eval("t.join(10); print(t.is_alive())"), "False");
    assert_eq!(children(&c, &path), Vec::<String>::new());
}

#[test]
fn a_double_barrier_refuses_bad_arguments() {
    let c = client();
    assert!(matches!(
        DoubleBarrier::new(&c, "/p", 0, None),
        Err(Error::InvalidArgument)
    ));
    assert!(matches!(
        DoubleBarrier::new(&c, "no-slash", 2, None),
        Err(Error::InvalidPath)
    ));
    assert!(matches!(Barrier::new(&c, "/a//b"), Err(Error::InvalidPath)));
    assert!(matches!(Barrier::new(&c, "/a/"), Err(Error::InvalidPath)));
}

// ----- Counter ---------------------------------------------------------------------------

#[test]
fn a_counter_writes_kazoos_text_and_reports_pre_and_post_values() {
    let c = client();
    let path = fresh("counter");
    let n = Counter::new(&c, &path).unwrap();
    assert_eq!(n.pre_value(), None);
    assert_eq!(
        n.value(None),
        Ok(CounterValue::Int(0)),
        "a new counter reads 0"
    );
    let ch = n.add(CounterValue::Int(5), None).unwrap();
    assert_eq!(
        (ch.pre, ch.post),
        (CounterValue::Int(0), CounterValue::Int(5))
    );
    assert_eq!(data(&c, &path), b"5");
    let ch = n.subtract(CounterValue::Int(7), None).unwrap();
    assert_eq!(ch.post, CounterValue::Int(-2));
    assert_eq!(data(&c, &path), b"-2");
    assert_eq!(n.pre_value(), Some(CounterValue::Int(5)));
    assert_eq!(n.post_value(), Some(CounterValue::Int(-2)));

    let mut k = Kazoo::start(harness::shared().hosts());
    k.run(&format!("kc = zk.Counter('{path}')"));
    assert_eq!(k.eval("print(kc.value)"), "-2");
    k.run("kc += 10");
    assert_eq!(n.value(None), Ok(CounterValue::Int(8)));
}

#[test]
fn a_float_counter_writes_python_repr() {
    let c = client();
    let path = fresh("counter-float");
    let n = Counter::with_default(&c, &path, CounterForm::Text, CounterValue::Float(1.0)).unwrap();
    assert_eq!(n.value(None), Ok(CounterValue::Float(1.0)));
    n.add(CounterValue::Float(2.0), None).unwrap();
    assert_eq!(data(&c, &path), b"3.0");
    n.add(CounterValue::Float(0.1), None).unwrap();
    assert_eq!(data(&c, &path), b"3.1");
    assert_eq!(
        n.add(CounterValue::Int(1), None),
        Err(Error::InvalidArgument),
        "kazoo's TypeError: a change of another type"
    );
    let mut k = Kazoo::start(harness::shared().hosts());
    k.run(&format!("kc = zk.Counter('{path}', default=1.0)"));
    assert_eq!(k.eval("print(repr(kc.value))"), "3.1");
    k.run("kc += 1e16");
    // Python's repr of 3.1 + 1e16, read back to the same float.
    assert_eq!(data(&c, &path), b"1.0000000000000004e+16");
    assert_eq!(n.value(None), Ok(CounterValue::Float(3.1 + 1e16)));
}

#[test]
fn a_curator_counter_writes_four_big_endian_bytes_as_kazoo_reads_them() {
    let c = client();
    let path = fresh("counter-curator");
    let n = Counter::with_default(&c, &path, CounterForm::Curator, CounterValue::Int(0)).unwrap();
    n.add(CounterValue::Int(258), None).unwrap();
    assert_eq!(data(&c, &path), [0, 0, 1, 2]);
    n.add(CounterValue::Int(-259), None).unwrap();
    assert_eq!(data(&c, &path), [0xff, 0xff, 0xff, 0xff]);
    let mut k = Kazoo::start(harness::shared().hosts());
    k.run(&format!("kc = zk.Counter('{path}', support_curator=True)"));
    assert_eq!(k.eval("print(kc.value)"), "-1");
    k.run("kc += 2**31 - 1");
    assert_eq!(n.value(None), Ok(CounterValue::Int(i32::MAX as i64 - 1)));
    // Past i32's range: refused, nothing written.
    assert_eq!(
        n.add(CounterValue::Int(2), None),
        Err(Error::InvalidArgument)
    );
    assert_eq!(n.value(None), Ok(CounterValue::Int(i32::MAX as i64 - 1)));
    assert!(matches!(
        Counter::with_default(&c, &path, CounterForm::Curator, CounterValue::Float(0.0)),
        Err(Error::InvalidArgument)
    ));
}

#[test]
fn a_counter_refuses_data_it_cannot_read() {
    let c = client();
    let path = fresh("counter-bad");
    c.create(
        &path,
        b"twelve",
        &CreateOptions {
            makepath: true,
            ..Default::default()
        },
        false,
        None,
    )
    .unwrap();
    let n = Counter::new(&c, &path).unwrap();
    assert_eq!(n.value(None), Err(Error::MarshallingError));
    assert_eq!(
        n.add(CounterValue::Int(1), None),
        Err(Error::MarshallingError)
    );
    assert_eq!(data(&c, &path), b"twelve", "nothing written");
    c.set(&path, b"3.5", -1, None).unwrap();
    assert_eq!(
        n.value(None),
        Err(Error::MarshallingError),
        "an int counter reads no float"
    );
    let cur = Counter::with_default(&c, &path, CounterForm::Curator, CounterValue::Int(0)).unwrap();
    assert_eq!(cur.value(None), Err(Error::MarshallingError), "3 bytes");
    c.set(&path, b"", -1, None).unwrap();
    assert_eq!(
        cur.value(None),
        Ok(CounterValue::Int(0)),
        "empty reads as the default"
    );
    assert!(matches!(
        Counter::new(&c, "counter"),
        Err(Error::InvalidPath)
    ));
}

/// Our threads and a kazoo thread add to one counter at once: every add is counted once.
fn increments_from_both_are_all_counted(form: CounterForm, kazoo_args: &str) {
    const OURS: usize = 3;
    const EACH: i64 = 40;
    let c = client();
    let path = fresh("counter-race");
    let mut k = Kazoo::start(harness::shared().hosts());
    // kazoo's default command retry backs off up to an hour; a quick one keeps this short.
    k.run(&format!(
        "from kazoo.retry import KazooRetry\n\
         zk.retry = KazooRetry(max_tries=-1, delay=0.002, backoff=1.5, max_delay=0.02)\n\
         kc = zk.Counter('{path}'{kazoo_args})\n\
         def bump():\n    for _ in range({EACH}):\n        kc.__add__(1)\n\
         t = threading.Thread(target=bump)\n\
         t.start()"
    ));
    let ours: Vec<_> = (0..OURS)
        .map(|_| {
            let n = Counter::with_default(&c, &path, form, CounterValue::Int(0)).unwrap();
            thread::spawn(move || {
                for _ in 0..EACH {
                    n.add(CounterValue::Int(1), Some(WAIT)).unwrap();
                }
            })
        })
        .collect();
    for t in ours {
        t.join().unwrap();
    }
    assert_eq!(k.eval("t.join(30); print(t.is_alive())"), "False");
    let total = EACH * (OURS as i64 + 1);
    let n = Counter::with_default(&c, &path, form, CounterValue::Int(0)).unwrap();
    assert_eq!(n.value(None), Ok(CounterValue::Int(total)));
    assert_eq!(k.eval("print(kc.value)"), total.to_string());
}

#[test]
fn text_counter_increments_from_kazoo_and_us_are_all_counted() {
    increments_from_both_are_all_counted(CounterForm::Text, "");
}

#[test]
fn curator_counter_increments_from_kazoo_and_us_are_all_counted() {
    increments_from_both_are_all_counted(CounterForm::Curator, ", support_curator=True");
}

// ----- Party and ShallowParty ------------------------------------------------------------

#[test]
fn a_party_member_joins_once_and_leaves_once() {
    let c = client();
    let path = fresh("party");
    let p = Party::new(&c, &path, "alice").unwrap();
    assert_eq!(p.len(None), Ok(0), "no path yet: nobody");
    assert_eq!(p.members(None), Ok(vec![]));
    p.join(None).unwrap();
    p.join(None).unwrap(); // idempotent
    assert!(p.participating());
    let kids = children(&c, &path);
    assert_eq!(kids.len(), 1);
    let name = &kids[0];
    assert_eq!(name.len(), 32 + "__party__".len());
    assert!(name.ends_with("__party__"));
    assert!(name[..32]
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!(format!("{path}/{name}"), p.node_path());
    let st = c.exists(&p.node_path(), None, None).unwrap().unwrap();
    assert_ne!(st.ephemeral_owner, 0, "ephemeral");
    assert_eq!(data(&c, &p.node_path()), b"alice");

    let q = Party::new(&c, &path, "bob").unwrap();
    q.join(None).unwrap();
    // A child without the marker is not a member.
    c.create(
        &format!("{path}/other"),
        b"x",
        &CreateOptions::default(),
        false,
        None,
    )
    .unwrap();
    assert_eq!(p.len(None), Ok(2));
    assert_eq!(sorted(p.members(None).unwrap()), ["alice", "bob"]);
    assert_eq!(p.leave(None), Ok(true));
    assert_eq!(p.leave(None), Ok(false)); // idempotent
    assert!(!p.participating());
    assert_eq!(q.members(None), Ok(vec!["bob".to_string()]));
}

#[test]
fn kazoo_party_and_ours_see_each_others_members() {
    let c = client();
    let path = fresh("party-kazoo");
    let mut k = Kazoo::start(harness::shared().hosts());
    let p = Party::new(&c, &path, "rust-member").unwrap();
    p.join(None).unwrap();
    k.run(&format!(
        "kp = zk.Party('{path}', 'kazoo-member')\nkp.join()"
    ));
    assert_eq!(
        k.eval("print(sorted(kp))"),
        "['kazoo-member', 'rust-member']"
    );
    assert_eq!(k.eval("print(len(kp))"), "2");
    assert_eq!(
        sorted(p.members(None).unwrap()),
        ["kazoo-member", "rust-member"]
    );
    k.run("kp.leave()");
    assert_eq!(p.members(None), Ok(vec!["rust-member".to_string()]));
    p.leave(None).unwrap();
    assert_eq!(k.eval("print(len(kp))"), "0");
}

#[test]
fn kazoo_shallow_party_and_ours_see_each_others_members() {
    let c = client();
    let path = fresh("shallow-kazoo");
    let mut k = Kazoo::start(harness::shared().hosts());
    let p = Party::new_shallow(&c, &path, "rust-1").unwrap();
    assert!(p.is_shallow());
    p.join(None).unwrap();
    p.join(None).unwrap();
    let name = p.node_path().rsplit('/').next().unwrap().to_string();
    assert_eq!(&name[32..], "-rust-1");
    assert_eq!(data(&c, &p.node_path()), b"", "no data");
    k.run(&format!(
        "ks = zk.ShallowParty('{path}', 'kazoo-1')\nks.join()"
    ));
    assert_eq!(k.eval("print(sorted(ks))"), "['kazoo-1', 'rust-1']");
    assert_eq!(sorted(p.members(None).unwrap()), ["kazoo-1", "rust-1"]);
    assert_eq!(p.len(None), Ok(2));
    assert_eq!(p.leave(None), Ok(true));
    assert_eq!(k.eval("print(list(ks))"), "['kazoo-1']");
}

#[test]
fn a_shallow_party_refuses_an_identifier_that_is_no_node_name() {
    let c = client();
    assert!(matches!(
        Party::new_shallow(&c, "/sp", "a/b"),
        Err(Error::InvalidArgument)
    ));
    assert!(matches!(
        Party::new_shallow(&c, "/sp", "bad\u{0}"),
        Err(Error::InvalidArgument)
    ));
    assert!(matches!(Party::new(&c, "sp", "x"), Err(Error::InvalidPath)));
}

#[test]
fn a_join_whose_create_reply_is_lost_finds_its_node_and_makes_no_second() {
    let server = harness::shared().servers[0].port;
    let proxy = Proxy::start("127.0.0.1:0", ([127, 0, 0, 1], server).into()).unwrap();
    let c = connect(&proxy.hosts());
    let watcher = client();
    let path = fresh("party-lost");
    let p = Arc::new(Party::new(&c, &path, "lost").unwrap());
    c.ensure_path(&path, None, None).unwrap();
    proxy.stall(); // the create reaches the server; its reply is held back
    let joining = {
        let p = p.clone();
        thread::spawn(move || p.join(Some(WAIT)))
    };
    wait_until("the create is applied", WAIT, || {
        children(&watcher, &path).len() == 1
    });
    proxy.cut(); // the reply never comes: CONNECTION_LOSS during the create
    proxy.unblock();
    assert_eq!(joining.join().unwrap(), Ok(()));
    assert!(p.participating());
    let kids = children(&watcher, &path);
    assert_eq!(kids.len(), 1, "exactly one node: {kids:?}");
    assert_eq!(format!("{path}/{}", kids[0]), p.node_path());
    assert_eq!(p.members(None), Ok(vec!["lost".to_string()]));
}

#[test]
fn dropping_a_member_leaves() {
    let c = client();
    let path = fresh("drop");
    let p = Party::new(&c, &format!("{path}/party"), "x").unwrap();
    p.join(None).unwrap();
    let s = Party::new_shallow(&c, &format!("{path}/shallow"), "y").unwrap();
    s.join(None).unwrap();
    let d = DoubleBarrier::new(&c, &format!("{path}/double"), 1, None).unwrap();
    d.enter(Some(WAIT)).unwrap();
    let nodes = [p.node_path(), s.node_path(), d.node_path()];
    for n in &nodes {
        assert!(c.exists(n, None, None).unwrap().is_some(), "{n}");
    }
    drop((p, s, d));
    for n in &nodes {
        assert!(
            c.exists(n, None, None).unwrap().is_none(),
            "{n} left behind"
        );
    }
}

// ----- The client's end ------------------------------------------------------------------

#[test]
fn recipes_of_a_closed_or_dropped_client_say_closed() {
    let c = client();
    let path = fresh("closed");
    let p = Party::new(&c, &path, "x").unwrap();
    let n = Counter::new(&c, &path).unwrap();
    let b = Barrier::new(&c, &path).unwrap();
    let d = DoubleBarrier::new(&c, &path, 2, None).unwrap();
    let s = Party::new_shallow(&c, &path, "x").unwrap();
    c.close();
    assert_eq!(p.join(None), Err(Error::Closed));
    assert_eq!(n.add(CounterValue::Int(1), None), Err(Error::Closed));
    assert_eq!(b.wait(None), Err(Error::Closed));
    assert_eq!(d.enter(None), Err(Error::Closed));
    assert_eq!(s.members(None), Err(Error::Closed));

    // A recipe may outlive its client: the handle it keeps does not own the session.
    let c = client();
    let p = Party::new(&c, &path, "x").unwrap();
    p.join(None).unwrap();
    let node = p.node_path();
    drop(c);
    assert_eq!(p.members(None), Err(Error::Closed));
    assert!(
        client().exists(&node, None, None).unwrap().is_none(),
        "the session ended with its owner, and its node with it"
    );
}
