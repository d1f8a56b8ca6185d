//! DataWatch and ChildrenWatch under ensemble faults, against a real three-server
//! ensemble: a writer keeps setting a node and adding children while the server the
//! watchers' client is on is killed, the leader is killed and a follower is paused. What
//! must hold: every value reported is a state the node was in, in order, and once the
//! writer stops the last one reported is the server's.

mod common;
mod harness;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::{options, quick_retry, server_port, start};
use harness::{Cluster, ClusterOpts};
use zkclient::recipe::watchers::{ChildrenWatch, DataWatch};
use zkclient::{Client, CreateOptions, Error, RetryPolicy};

const NODE: &str = "/faults-watchers/node";

/// A client that rides out server deaths: a session longer than the faults, endless
/// reconnect tries.
fn sturdy(hosts: &str) -> Client {
    let mut o = options(hosts);
    o.session_timeout = Duration::from_secs(8);
    o.connection_retry = RetryPolicy {
        max_tries: None,
        ..quick_retry(0)
    };
    start(o)
}

fn child(i: u32) -> String {
    format!("c{i:05}")
}

/// Writes until told to stop: the node's data counts up, and one more child each time.
/// Returns how many rounds it made.
fn writer(c: Client, stop: Arc<AtomicBool>) -> u32 {
    let mut i = 0;
    while !stop.load(Ordering::SeqCst) {
        i += 1;
        // A write whose reply was lost may or may not be applied; the next one is made
        // either way, and the end compares with what the server holds.
        let _ = c.set(
            NODE,
            i.to_string().as_bytes(),
            -1,
            Some(Duration::from_secs(3)),
        );
        let kid = format!("{NODE}/{}", child(i));
        loop {
            match c.create(&kid, b"", &CreateOptions::default(), false, None) {
                Ok(_) | Err(Error::NodeExists) => break,
                Err(_) if stop.load(Ordering::SeqCst) => break,
                Err(_) => thread::sleep(Duration::from_millis(50)),
            }
        }
        thread::sleep(Duration::from_millis(10));
    }
    i
}

/// The values a receiver gets until none comes for `quiet`.
fn drain<T>(rx: &Receiver<T>, quiet: Duration) -> Vec<T> {
    let mut out = Vec::new();
    while let Ok(v) = rx.recv_timeout(quiet) {
        out.push(v);
    }
    out
}

#[test]
fn watchers_report_true_states_in_order_and_end_on_the_truth_while_the_ensemble_fails() {
    let mut cl = Cluster::start_with(3, &ClusterOpts::global_sessions());
    let hosts = cl.hosts().to_string();
    let w = sturdy(&hosts);
    w.create(
        NODE,
        b"0",
        &CreateOptions {
            makepath: true,
            ..CreateOptions::default()
        },
        false,
        None,
    )
    .unwrap();

    let c = sturdy(&hosts);
    let (dtx, drx) = channel();
    let dtx = Mutex::new(dtx);
    let dw = DataWatch::new(
        &c,
        NODE,
        Box::new(move |d, _| {
            let v: u32 = std::str::from_utf8(d.expect("the node stays").0)
                .unwrap()
                .parse()
                .unwrap();
            dtx.lock().unwrap().send(v).unwrap();
            true
        }),
    )
    .unwrap();
    let (ctx, crx) = channel();
    let ctx = Mutex::new(ctx);
    let cw = ChildrenWatch::new(
        &c,
        NODE,
        Box::new(move |kids, _| {
            let mut kids = kids.to_vec();
            kids.sort();
            ctx.lock().unwrap().send(kids).unwrap();
            true
        }),
    )
    .unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let writing = {
        let stop = stop.clone();
        thread::spawn(move || writer(w, stop))
    };
    let settle = || thread::sleep(Duration::from_secs(2));
    settle();
    // The server the watchers' client is on dies while the writer goes on elsewhere.
    let ours = cl.id_of_port(server_port(&c)).expect("our server");
    cl.kill(ours);
    settle();
    cl.restart(ours);
    settle();
    // The leader dies.
    let leader = cl.leader();
    cl.kill(leader);
    settle();
    cl.restart(leader);
    settle();
    // A paused follower holds its clients without answering.
    let follower = (1..=3).find(|&i| i != cl.leader()).unwrap();
    cl.pause(follower);
    thread::sleep(Duration::from_secs(3));
    cl.resume(follower);
    settle();
    stop.store(true, Ordering::SeqCst);
    let rounds = writing.join().unwrap();

    let admin = start(options(&hosts));
    let truth: u32 = String::from_utf8(admin.get(NODE, None, None).unwrap().0)
        .unwrap()
        .parse()
        .unwrap();
    let mut truth_kids = admin.get_children(NODE, None, false, None).unwrap().0;
    truth_kids.sort();

    let quiet = Duration::from_secs(3);
    let values = drain(&drx, quiet);
    let lists = drain(&crx, quiet);
    eprintln!(
        "faults_watchers: {rounds} rounds written, {} data values and {} child lists reported",
        values.len(),
        lists.len()
    );
    assert!(
        values.windows(2).all(|p| p[0] < p[1]),
        "data out of order: {values:?}"
    );
    assert_eq!(
        values.last(),
        Some(&truth),
        "the last value is the server's"
    );
    for l in &lists {
        let want: Vec<String> = (1..=l.len() as u32).map(child).collect();
        assert_eq!(l, &want, "a child list that never was");
    }
    assert!(
        lists.windows(2).all(|p| p[0].len() < p[1].len()),
        "child lists out of order"
    );
    assert_eq!(
        lists.last(),
        Some(&truth_kids),
        "the last list is the server's"
    );
    assert_eq!((dw.result(), cw.result()), (None, None));
    assert!(c.watch_count() <= 2, "{} watches", c.watch_count());
}
