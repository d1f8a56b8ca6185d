//! One client shared by many threads: pipelined calls on one connection each get their own
//! reply, and concurrent writes under one parent leave the server in a consistent state.

mod common;
mod harness;

use std::collections::HashSet;
use std::sync::Arc;
use std::thread;

use common::connect;
use zkclient::{Client, CreateOptions};

fn shared_client() -> Arc<Client> {
    Arc::new(connect(harness::shared().hosts()))
}

#[test]
fn sixteen_threads_of_get_and_set_each_read_back_their_own_last_write() {
    const THREADS: usize = 16;
    const ROUNDS: usize = 1000;
    let c = shared_client();
    let r = "/it-t-getset";
    c.ensure_path(r, None, None).unwrap();
    let session = c.client_id().unwrap();
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let c = c.clone();
            thread::spawn(move || {
                let p = format!("{r}/n{t}");
                c.create(&p, b"", &CreateOptions::default(), false, None)
                    .unwrap();
                for i in 0..ROUNDS {
                    // Distinct lengths too, so a reply meant for another thread cannot pass.
                    let v = format!("{t}:{i}:{}", "x".repeat((t * 7 + i) % 50));
                    let stat = c
                        .set(&p, v.as_bytes(), i as i32, None)
                        .unwrap_or_else(|e| panic!("set {p} #{i}: {e}"));
                    assert_eq!(stat.version, i as i32 + 1);
                    let (data, stat2) = c
                        .get(&p, None, None)
                        .unwrap_or_else(|e| panic!("get {p} #{i}: {e}"));
                    assert_eq!(String::from_utf8(data).unwrap(), v, "thread {t} round {i}");
                    assert_eq!(stat2, stat);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker failed");
    }
    assert_eq!(c.client_id(), Some(session), "one connection throughout");
    let (kids, stat) = c.get_children(r, None, true, None).unwrap();
    assert_eq!(
        (kids.len(), stat.unwrap().num_children),
        (THREADS, THREADS as i32)
    );
}

#[test]
fn concurrent_sequential_creates_and_deletes_leave_a_consistent_parent() {
    const THREADS: usize = 8;
    const PER_THREAD: usize = 60;
    let c = shared_client();
    let r = "/it-t-mixed";
    c.ensure_path(r, None, None).unwrap();
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let c = c.clone();
            thread::spawn(move || {
                let seq = CreateOptions {
                    sequence: true,
                    ephemeral: t % 2 == 0,
                    ..Default::default()
                };
                let mut made = Vec::new();
                for i in 0..PER_THREAD {
                    let p = c
                        .create(
                            &format!("{r}/n-"),
                            t.to_string().as_bytes(),
                            &seq,
                            false,
                            None,
                        )
                        .unwrap()
                        .path;
                    if i % 2 == 1 {
                        c.delete(&p, -1, false, None).unwrap();
                    }
                    made.push(p);
                }
                made
            })
        })
        .collect();
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.join().expect("worker failed"));
    }
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(
        unique.len(),
        THREADS * PER_THREAD,
        "every create got its own sequence number"
    );

    let kept: HashSet<String> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| (i % PER_THREAD) % 2 == 0)
        .map(|(_, p)| p.rsplit('/').next().unwrap().to_string())
        .collect();
    let (kids, stat) = c.get_children(r, None, true, None).unwrap();
    let stat = stat.unwrap();
    assert_eq!(kids.into_iter().collect::<HashSet<_>>(), kept);
    assert_eq!(stat.num_children as usize, THREADS * PER_THREAD / 2);
    // cversion counts every child created and every child deleted.
    assert_eq!(stat.cversion as usize, THREADS * PER_THREAD * 3 / 2);
}
