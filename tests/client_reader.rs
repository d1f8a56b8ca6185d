//! Who reads the socket. A blocked caller reads its own reply when nobody else does (one
//! thread wake-up per request); the I/O thread lends it the socket and must take it back
//! for whatever cannot wait for the next blocking call: async replies, watch events, the
//! end of the connection. These tests catch a hand-off that strands a reply or an event.

mod common;
mod harness;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::channel;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{connect, options, record_states, start, wait_for_state, Proxy, Watch, WAIT};
use zkclient::{Client, Error, EventType, KeeperState, State};

/// A client for the tests that only count on the hand-off: a 10 s session, so the server
/// pausing for a second or two on a loaded machine (many JVMs on two cores in CI) is not a
/// lost connection, which these tests would report as a failed hand-off.
fn steady(hosts: &str) -> Client {
    let mut o = options(hosts);
    o.session_timeout = Duration::from_secs(10);
    start(o)
}

fn node(c: &Client, path: &str, data: &[u8]) {
    c.ensure_path(path, None, None).unwrap();
    c.set(path, data, -1, None).unwrap();
}

/// Runs blocking gets of `path` on `c` until the returned flag is set; the thread's join
/// handle gives back how many it made.
fn busy_reader(c: &Arc<Client>, path: &str) -> (Arc<AtomicBool>, thread::JoinHandle<usize>) {
    let stop = Arc::new(AtomicBool::new(false));
    let (c, p, s) = (c.clone(), path.to_string(), stop.clone());
    let h = thread::spawn(move || {
        let mut n = 0;
        while !s.load(Ordering::SeqCst) {
            c.get(&p, None, None)
                .unwrap_or_else(|e| panic!("busy get #{n}: {e}"));
            n += 1;
        }
        n
    });
    (stop, h)
}

#[test]
fn replies_read_by_one_caller_reach_their_own_callers() {
    const THREADS: usize = 8;
    const ROUNDS: usize = 400;
    let c = Arc::new(steady(harness::shared().hosts()));
    let r = "/it-rd-own";
    for t in 0..THREADS {
        node(&c, &format!("{r}/n{t}"), "y".repeat(t * 3 + 1).as_bytes());
    }
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let c = c.clone();
            thread::spawn(move || {
                let p = format!("{r}/n{t}");
                let want = "y".repeat(t * 3 + 1).into_bytes();
                let mut short_timed_out = 0;
                for i in 0..ROUNDS {
                    // Every fourth call has a deadline so short that it soon cannot
                    // afford a socket read: such a caller stops reading, someone else must
                    // read its reply. On a loaded machine the server may not answer within
                    // it; a stranded reply would strand the calls with the full deadline
                    // too, and those must all succeed.
                    let short = i % 4 == 0;
                    let timeout = short.then(|| Duration::from_millis(400));
                    match c.get(&p, None, timeout) {
                        Ok((data, _)) => assert_eq!(data, want, "thread {t} round {i}"),
                        Err(Error::TimedOut) if short => short_timed_out += 1,
                        Err(e) => panic!("thread {t} get #{i}: {e}"),
                    }
                }
                short_timed_out
            })
        })
        .collect();
    let short_calls = THREADS * ROUNDS / 4;
    let timed_out: usize = workers
        .into_iter()
        .map(|w| w.join().expect("worker failed"))
        .sum();
    assert!(
        timed_out * 4 < short_calls,
        "{timed_out} of {short_calls} short-deadline gets timed out"
    );
}

#[test]
fn async_requests_complete_while_callers_read_their_own_replies() {
    let c = Arc::new(steady(harness::shared().hosts()));
    let r = "/it-rd-async";
    node(&c, &format!("{r}/busy"), b"b");
    node(&c, &format!("{r}/a"), b"async");
    let (stop, h) = busy_reader(&c, &format!("{r}/busy"));
    // One at a time: each waits for its completion, so none rides on a busy call's read.
    for i in 0..200 {
        let (tx, rx) = channel();
        c.get_async(
            &format!("{r}/a"),
            None,
            None,
            Box::new(move |res| {
                let _ = tx.send(res.map(|(d, _)| d));
            }),
        )
        .unwrap();
        let got = rx
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("async get #{i}: no completion"));
        assert_eq!(got.unwrap(), b"async".to_vec(), "async get #{i}");
    }
    stop.store(true, Ordering::SeqCst);
    assert!(h.join().unwrap() > 0, "the busy caller made calls");
}

#[test]
fn a_watch_armed_among_blocking_calls_fires_after_they_stop() {
    let hosts = harness::shared().hosts();
    let c = Arc::new(steady(hosts));
    let other = steady(hosts);
    let r = "/it-rd-watch";
    node(&c, &format!("{r}/busy"), b"b");
    node(&c, &format!("{r}/w"), b"0");
    for round in 0..20 {
        let (stop, h) = busy_reader(&c, &format!("{r}/busy"));
        let (w, f) = Watch::pair();
        c.get(&format!("{r}/w"), Some(f), None).unwrap();
        // Nobody calls any more: the event must still be read.
        stop.store(true, Ordering::SeqCst);
        h.join().unwrap();
        other
            .set(&format!("{r}/w"), round.to_string().as_bytes(), -1, None)
            .unwrap();
        let e = w.next();
        assert_eq!(
            (e.event_type, e.path.as_str()),
            (EventType::NodeDataChanged, "/it-rd-watch/w"),
            "round {round}"
        );
    }
}

#[test]
fn a_connection_cut_is_noticed_whoever_was_reading() {
    let server: SocketAddr = harness::shared().hosts().parse().unwrap();
    let proxy = Proxy::start("127.0.0.1:0", server).unwrap();
    let c = Arc::new(connect(&proxy.hosts()));
    let (_, states) = record_states(&c);
    let r = "/it-rd-cut";
    node(&c, &format!("{r}/busy"), b"b");

    // 1. Nobody calls: the socket was last read by a caller, and the cut must still be seen.
    let (stop, h) = busy_reader(&c, &format!("{r}/busy"));
    thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::SeqCst);
    h.join().unwrap();
    proxy.cut();
    wait_for_state(&states, (State::Suspended, KeeperState::Connecting), WAIT);
    proxy.unblock();
    wait_for_state(&states, (State::Connected, KeeperState::Connected), WAIT);

    // 2. A caller is blocked on a reply that will never come when the cut happens. A write,
    // which command retry never repeats, so the loss itself comes back.
    proxy.stall();
    let c2 = c.clone();
    let p = format!("{r}/busy");
    let caller = thread::spawn(move || c2.set(&p, b"b", -1, Some(Duration::from_secs(8))));
    thread::sleep(Duration::from_millis(300));
    proxy.cut();
    assert_eq!(caller.join().unwrap().unwrap_err(), Error::ConnectionLoss);
    wait_for_state(&states, (State::Suspended, KeeperState::Connecting), WAIT);
    proxy.unblock();
    wait_for_state(&states, (State::Connected, KeeperState::Connected), WAIT);
    assert_eq!(c.get(&format!("{r}/busy"), None, None).unwrap().0, b"b");
}

#[test]
fn a_caller_reading_for_a_stalled_reply_gives_up_at_its_deadline() {
    let server: SocketAddr = harness::shared().hosts().parse().unwrap();
    let proxy = Proxy::start("127.0.0.1:0", server).unwrap();
    // A session long enough that the stall (1.8 s in all) stays under the 2/5 of it after
    // which the client calls a silent connection dead: this is about the call's deadline.
    let mut o = options(&proxy.hosts());
    o.session_timeout = Duration::from_secs(10);
    let c = start(o);
    c.ensure_path("/it-rd-stall", None, None).unwrap();
    proxy.stall();
    for timeout in [Duration::from_millis(300), Duration::from_millis(1500)] {
        let t0 = Instant::now();
        let r = c.get("/it-rd-stall", None, Some(timeout));
        let took = t0.elapsed();
        assert_eq!(r.unwrap_err(), Error::TimedOut);
        assert!(
            took >= timeout && took < timeout + Duration::from_millis(400),
            "a {timeout:?} call took {took:?}"
        );
    }
}

/// With async replies due, the idle event thread waits on the socket itself and reads
/// them. Meanwhile other threads' blocking calls, a watch added and removed (its removal
/// event queued by the removing thread while the event thread may be waiting on the
/// socket), and a watch fired by another client all complete.
#[test]
fn the_event_thread_reading_async_replies_leaves_nothing_behind() {
    let hosts = harness::shared().hosts();
    let c = Arc::new(steady(hosts));
    let other = steady(hosts);
    let r = "/it-rd-evread";
    node(&c, &format!("{r}/a"), b"a");
    node(&c, &format!("{r}/w"), b"0");

    // An async pump: every completion sends the next get, 16 in flight, until stopped.
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    fn pump(c: Arc<Client>, stop: Arc<AtomicBool>, done: Arc<std::sync::atomic::AtomicUsize>) {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let c2 = c.clone();
        c.get_async(
            "/it-rd-evread/a",
            None,
            None,
            Box::new(move |res| {
                assert_eq!(res.expect("pumped get").0, b"a");
                done.fetch_add(1, Ordering::SeqCst);
                pump(c2, stop, done);
            }),
        )
        .unwrap();
    }
    for _ in 0..16 {
        pump(c.clone(), stop.clone(), done.clone());
    }
    for round in 0..20 {
        let (w, f) = Watch::pair();
        c.get(&format!("{r}/w"), Some(f), None).unwrap();
        c.remove_watches(&format!("{r}/w"), zkclient::WatcherType::Data, false, None)
            .unwrap();
        assert_eq!(
            w.next().event_type,
            EventType::DataWatchRemoved,
            "round {round}"
        );

        let (w, f) = Watch::pair();
        c.get(&format!("{r}/w"), Some(f), None).unwrap();
        other
            .set(&format!("{r}/w"), round.to_string().as_bytes(), -1, None)
            .unwrap();
        assert_eq!(
            w.next().event_type,
            EventType::NodeDataChanged,
            "round {round}"
        );
    }
    stop.store(true, Ordering::SeqCst);
    assert!(done.load(Ordering::SeqCst) > 0, "the pump ran");
}

/// While the event thread waits for an async reply that does not come, what other threads
/// queue for it still runs: it waits in the read itself only briefly, then on the socket
/// and its eventfd. Calls deferred from the test's thread run while the reply is held
/// back; after the cut the async call fails, and on the new connection the event thread
/// reads async replies again.
#[test]
fn what_other_threads_queue_runs_while_the_event_thread_waits_for_a_held_reply() {
    let server: SocketAddr = harness::shared().hosts().parse().unwrap();
    let proxy = Proxy::start("127.0.0.1:0", server).unwrap();
    let c = steady(&proxy.hosts());
    let (_, states) = record_states(&c);
    let r = "/it-rd-held";
    node(&c, r, b"h");
    let get_async = |c: &Client| {
        let (tx, rx) = channel();
        c.get_async(
            r,
            None,
            None,
            Box::new(move |res| {
                let _ = tx.send(res.map(|(d, _)| d));
            }),
        )
        .unwrap();
        rx
    };
    // Replies that come at once: the event thread reads them in its quick read.
    for _ in 0..20 {
        assert_eq!(get_async(&c).recv_timeout(WAIT).unwrap().unwrap(), b"h");
    }
    proxy.stall();
    let held = get_async(&c);
    for round in 0..20 {
        let (tx, rx) = channel();
        c.defer(Box::new(move || {
            let _ = tx.send(round);
        }));
        assert_eq!(rx.recv_timeout(WAIT), Ok(round), "deferred call #{round}");
    }
    assert!(held.try_recv().is_err(), "the held reply came through");

    proxy.cut();
    assert_eq!(
        held.recv_timeout(WAIT).unwrap().unwrap_err(),
        Error::ConnectionLoss
    );
    wait_for_state(&states, (State::Suspended, KeeperState::Connecting), WAIT);
    proxy.unblock();
    wait_for_state(&states, (State::Connected, KeeperState::Connected), WAIT);
    for _ in 0..20 {
        assert_eq!(get_async(&c).recv_timeout(WAIT).unwrap().unwrap(), b"h");
    }
}

/// A reading caller blocks one socket read timeout at a time (the negotiated timeout / 6,
/// 10..500 ms). Deadlines just past a multiple of it make the last read end a hair after
/// the deadline; the call must still say TIMEDOUT (it once said CONNECTIONLOSS there).
#[test]
fn a_deadline_that_ends_inside_a_read_is_a_timeout() {
    let server: SocketAddr = harness::shared().hosts().parse().unwrap();
    for extra_us in [20, 50, 100, 200, 300, 500, 800] {
        let proxy = Proxy::start("127.0.0.1:0", server).unwrap();
        let c = connect(&proxy.hosts());
        let tick = (c.negotiated_timeout() / 6)
            .clamp(Duration::from_millis(10), Duration::from_millis(500));
        // A blocking call just answered: the I/O thread has lent the socket to callers,
        // so the next call reads for itself.
        c.exists("/", None, None).unwrap();
        proxy.stall();
        let timeout = tick + Duration::from_micros(extra_us);
        // set: never retried, so the outcome is this one attempt's.
        let r = c.set("/", b"", -1, Some(timeout));
        assert_eq!(r.unwrap_err(), Error::TimedOut, "deadline {timeout:?}");
        proxy.cut();
    }
}
