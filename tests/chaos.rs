//! Chaos: four clients write to a three-server ensemble while its servers are killed,
//! stopped and restarted at random, one at a time (quorum always possible). At the end every
//! acknowledged write is there with its last acknowledged value (or the value of a later
//! attempt whose reply was lost), every client is CONNECTED again, and every watch callback
//! has been dropped exactly once.
//!
//! Seeded xorshift: the seed is printed; `CHAOS_SEED=<n>` replays a run's choices and
//! `CHAOS_SECONDS=<n>` sets how long faults are injected (default 45). Figures go to stderr
//! on lines starting with `chaos:` (`cargo test --test chaos -- --nocapture`).

mod common;
mod harness;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{start, wait_until};
use harness::{Cluster, ClusterOpts};
use zkclient::{Client, CreateOptions, Error, EventType, KeeperState, State};

const CLIENTS: usize = 4;

/// xorshift64*: reproducible choices from a printed seed, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn millis(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(lo + self.below(hi - lo + 1))
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What one writer saw.
#[derive(Default)]
struct Writes {
    /// Path -> last value acknowledged with OK.
    acked: HashMap<String, u64>,
    /// Path -> highest value tried (acknowledged or not).
    tried: HashMap<String, u64>,
    attempted: usize,
    acknowledged: usize,
    errors: BTreeMap<String, usize>,
}

/// Watch bookkeeping shared by the writers of clients that arm watches.
#[derive(Default)]
struct WatchCounts {
    armed: AtomicUsize,
    fired: AtomicUsize,
    ended_by_session: AtomicUsize,
    dropped: AtomicUsize,
}

struct Dropped(Arc<WatchCounts>);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

/// Creates and sets nodes under `/chaos/c<k>` until `stop`; values only grow, so an older
/// value found at the end is a lost acknowledged write.
fn writer(
    c: Arc<Client>,
    k: usize,
    seed: u64,
    stop: Arc<AtomicBool>,
    watches: Option<Arc<WatchCounts>>,
) -> Writes {
    let mut rng = Rng(seed | 1);
    let mut w = Writes::default();
    let mut value = 0u64;
    let mut created: Vec<String> = Vec::new();
    let note = |w: &mut Writes, e: Error| *w.errors.entry(format!("{e:?}")).or_default() += 1;
    while !stop.load(Ordering::SeqCst) {
        value += 1;
        let data = value.to_string();
        let (path, is_new) = if created.is_empty() || rng.below(3) == 0 {
            (format!("/chaos/c{k}/n{value}"), true)
        } else {
            (
                created[rng.below(created.len() as u64) as usize].clone(),
                false,
            )
        };
        if let (Some(wc), false) = (&watches, is_new) {
            let counts = wc.clone();
            let guard = Dropped(wc.clone());
            wc.armed.fetch_add(1, Ordering::SeqCst);
            let f = Box::new(move |e: zkclient::WatchedEvent| {
                let _keep = &guard;
                if e.event_type == EventType::None {
                    counts.ended_by_session.fetch_add(1, Ordering::SeqCst);
                } else {
                    counts.fired.fetch_add(1, Ordering::SeqCst);
                }
            });
            if let Err(e) = c.get(&path, Some(f), None) {
                note(&mut w, e);
            }
        }
        w.attempted += 1;
        w.tried.insert(path.clone(), value);
        let r = if is_new {
            c.create(
                &path,
                data.as_bytes(),
                &CreateOptions::default(),
                false,
                None,
            )
            .map(|_| ())
        } else {
            c.set(&path, data.as_bytes(), -1, None).map(|_| ())
        };
        match r {
            Ok(()) => {
                w.acknowledged += 1;
                w.acked.insert(path.clone(), value);
                if is_new {
                    created.push(path);
                }
            }
            // A create whose reply was lost may have happened: set it from now on.
            Err(Error::NodeExists) if is_new => created.push(path),
            Err(e) => note(&mut w, e),
        }
        thread::sleep(Duration::from_millis(15));
    }
    w
}

/// Listener log of one client: when each state change arrived.
type Transitions = Arc<Mutex<Vec<(Instant, State, KeeperState)>>>;

#[test]
fn acknowledged_writes_survive_random_kills_pauses_and_restarts() {
    let seed = env_u64("CHAOS_SEED", 0x00C0_FFEE_2026);
    let seconds = env_u64("CHAOS_SECONDS", 45);
    eprintln!("chaos: seed={seed} seconds={seconds} (CHAOS_SEED / CHAOS_SECONDS to change)");
    let mut rng = Rng(seed | 1);
    let mut cl = Cluster::start_with(3, &ClusterOpts::global_sessions());

    let mut clients = Vec::new();
    let mut logs: Vec<Transitions> = Vec::new();
    for k in 0..CLIENTS {
        let mut o = common::options(cl.hosts());
        o.read_only = k >= 2; // harmless on servers that never go read-only
        let c = Client::new(o).unwrap();
        let log: Transitions = Arc::default();
        let l = log.clone();
        c.add_listener(Box::new(move |s, ks| {
            l.lock().unwrap().push((Instant::now(), s, ks));
        }));
        c.start(common::WAIT).unwrap();
        clients.push(Arc::new(c));
        logs.push(log);
    }
    clients[0]
        .create("/chaos", b"", &CreateOptions::default(), false, None)
        .unwrap();
    for k in 0..CLIENTS {
        clients[0]
            .create(
                &format!("/chaos/c{k}"),
                b"",
                &CreateOptions::default(),
                false,
                None,
            )
            .unwrap();
    }

    let stop = Arc::new(AtomicBool::new(false));
    let watch_counts = Arc::new(WatchCounts::default());
    let (tx, rx) = channel();
    for (k, c) in clients.iter().enumerate() {
        let (c, stop, tx) = (c.clone(), stop.clone(), tx.clone());
        // Clients 0 and 2 (one read-write, one read-only-capable) arm watches.
        let watches = (k % 2 == 0).then(|| watch_counts.clone());
        let wseed = rng.next();
        thread::spawn(move || {
            let _ = tx.send((k, writer(c, k, wseed, stop, watches)));
        });
    }

    // The faults, one at a time.
    let mut faults: BTreeMap<&str, usize> = BTreeMap::new();
    let until = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < until {
        thread::sleep(rng.millis(2000, 4000));
        let s = 1 + rng.below(3) as usize;
        match rng.below(3) {
            0 => {
                cl.kill(s);
                thread::sleep(rng.millis(1000, 3000));
                cl.restart(s);
                *faults.entry("kill").or_default() += 1;
            }
            1 => {
                cl.pause(s);
                thread::sleep(rng.millis(500, 3000));
                cl.resume(s);
                *faults.entry("pause").or_default() += 1;
            }
            _ => {
                cl.restart(s);
                *faults.entry("restart").or_default() += 1;
            }
        }
    }
    cl.heal();

    // Every client back, then the writers stop.
    for (k, c) in clients.iter().enumerate() {
        wait_until(
            &format!("client {k} CONNECTED again"),
            Duration::from_secs(30),
            || c.keeper_state() == KeeperState::Connected,
        );
    }
    stop.store(true, Ordering::SeqCst);
    let mut writes: Vec<(usize, Writes)> = (0..CLIENTS)
        .map(|_| {
            rx.recv_timeout(Duration::from_secs(30))
                .expect("a writer ended")
        })
        .collect();
    writes.sort_by_key(|(k, _)| *k);

    // Every acknowledged write, checked from a fresh client.
    let check = start(common::options(cl.hosts()));
    check.sync("/chaos", None).unwrap();
    let (mut attempted, mut acknowledged, mut found) = (0, 0, 0);
    let mut bad = Vec::new();
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for (_, w) in &writes {
        attempted += w.attempted;
        acknowledged += w.acknowledged;
        for (e, n) in &w.errors {
            *errors.entry(e.clone()).or_default() += n;
        }
        for (path, acked) in &w.acked {
            match check.get(path, None, None) {
                Ok((d, _)) => {
                    let v: u64 = String::from_utf8(d).unwrap().parse().unwrap();
                    if v >= *acked && v <= w.tried[path] {
                        found += 1;
                    } else {
                        bad.push(format!("{path}: holds {v}, acknowledged {acked}"));
                    }
                }
                Err(Error::NoNode) => bad.push(format!("{path}: missing (acknowledged {acked})")),
                Err(e) => panic!("checking {path}: {e}"),
            }
        }
    }
    let distinct: usize = writes.iter().map(|(_, w)| w.acked.len()).sum();

    // Reconnects seen by each client's listener, and how long each took.
    let mut per_client = Vec::new();
    let mut expiries = Vec::new();
    let mut took_ms: Vec<u128> = Vec::new();
    for log in &logs {
        let log = log.lock().unwrap();
        let mut down_since: Option<Instant> = None;
        let (mut n, mut expired) = (0, 0);
        for &(t, s, ks) in log.iter() {
            if ks == KeeperState::ExpiredSession {
                expired += 1;
            }
            match s {
                State::Connected => {
                    if let Some(d) = down_since.take() {
                        n += 1;
                        took_ms.push((t - d).as_millis());
                    }
                }
                _ if ks != KeeperState::Closed => {
                    down_since.get_or_insert(t);
                }
                _ => {}
            }
        }
        per_client.push(n);
        expiries.push(expired);
    }
    took_ms.sort_unstable();
    let (min, median, max) = match took_ms.len() {
        0 => (0, 0, 0),
        n => (took_ms[0], took_ms[n / 2], took_ms[n - 1]),
    };

    // Watches: stop every client; whatever was still armed ends now.
    for c in &clients {
        c.stop().unwrap();
        assert_eq!(c.watch_count(), 0, "a watch outlived stop()");
    }
    let wc = &watch_counts;
    let (armed, dropped) = (
        wc.armed.load(Ordering::SeqCst),
        wc.dropped.load(Ordering::SeqCst),
    );

    eprintln!("chaos: faults {faults:?}");
    eprintln!(
        "chaos: writes attempted={attempted} acknowledged={acknowledged} \
         (distinct nodes {distinct}) found={found} bad={}; failed writes {errors:?}",
        bad.len()
    );
    eprintln!(
        "chaos: reconnects per client {per_client:?}, expiries {expiries:?}; \
         reconnect ms min={min} median={median} max={max} (n={})",
        took_ms.len()
    );
    eprintln!(
        "chaos: watches armed={armed} fired={} ended-by-session={} dropped={dropped}",
        wc.fired.load(Ordering::SeqCst),
        wc.ended_by_session.load(Ordering::SeqCst)
    );
    assert!(
        bad.is_empty(),
        "acknowledged writes lost or rolled back: {bad:?}"
    );
    assert_eq!(found, distinct);
    assert_eq!(dropped, armed, "every watch callback dropped exactly once");
    assert!(acknowledged > 100, "too few writes to prove anything");
    assert!(faults.values().sum::<usize>() > 0, "no fault injected");
}
