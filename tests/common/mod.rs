//! Helpers shared by the client integration tests: connecting with test-sized timeouts,
//! recording state changes, counting drops, finding a client's current server, and a
//! loopback TCP proxy that can cut a client off from its server (or hold its replies back)
//! without the server noticing anything but a closed socket.
//!
//! Include with `mod common;` next to `mod harness;`. Depends on std and zkclient only.
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use zkclient::WatchFn;
use zkclient::{Client, KeeperState, LogLevel, Options, RetryPolicy, State, WatchedEvent};

/// How long a test waits for something that should happen at once (a reply, an event).
pub const WAIT: Duration = Duration::from_secs(10);

/// Options with a short session timeout, so reconnects and expiries happen quickly, and a
/// logger that writes the client's own account of its connections (Info and worse) to
/// stderr, which the test harness shows only for a failed test: why a connection was
/// dropped is then in the failure's output.
pub fn options(hosts: &str) -> Options {
    let mut o = Options::new(hosts);
    o.session_timeout = Duration::from_secs(4);
    let t0 = Instant::now();
    o.logger = Some((
        Arc::new(move |level, m: &str| {
            eprintln!(
                "{:>8.3}s zkclient {level:?}: {m}",
                t0.elapsed().as_secs_f64()
            );
        }),
        LogLevel::Info,
    ));
    o
}

/// A started client, or a panic saying why not.
pub fn start(opts: Options) -> Client {
    let hosts = opts.hosts.clone();
    let c = Client::new(opts).unwrap_or_else(|e| panic!("Client::new({hosts}): {e}"));
    c.start(WAIT)
        .unwrap_or_else(|e| panic!("start({hosts}): {e}"));
    c
}

pub fn connect(hosts: &str) -> Client {
    start(options(hosts))
}

/// A connection retry that gives up after `tries` passes, with short sleeps.
pub fn quick_retry(tries: u32) -> RetryPolicy {
    RetryPolicy {
        max_tries: Some(tries),
        delay: Duration::from_millis(50),
        backoff: 2.0,
        max_jitter: 0.0,
        max_delay: Duration::from_millis(200),
        deadline: None,
    }
}

/// A loopback port nothing listens on (bound, then released).
pub fn dead_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Records every (State, KeeperState) a client's listeners see.
pub fn record_states(c: &Client) -> (u64, Receiver<(State, KeeperState)>) {
    let (tx, rx) = channel();
    let tx = Mutex::new(tx);
    let id = c.add_listener(Box::new(move |s, k| {
        let _ = tx.lock().unwrap().send((s, k));
    }));
    (id, rx)
}

/// Waits for `want`, returning everything seen before it; panics after `timeout`.
pub fn wait_for_state(
    rx: &Receiver<(State, KeeperState)>,
    want: (State, KeeperState),
    timeout: Duration,
) -> Vec<(State, KeeperState)> {
    let deadline = Instant::now() + timeout;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(s) if s == want => return seen,
            Ok(s) => seen.push(s),
            Err(_) => panic!("no {want:?} within {timeout:?}; saw {seen:?}"),
        }
    }
}

/// Polls `cond` until it holds; panics after `timeout`. For conditions no event announces.
pub fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < deadline, "{what}: not within {timeout:?}");
        thread::sleep(Duration::from_millis(20));
    }
}

/// Counts its own drops; put one in a closure to see when (and how often) it is dropped.
pub struct DropCount(pub Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A watch callback that forwards its event to a channel, and a counter of its drops.
pub struct Watch {
    pub events: Receiver<WatchedEvent>,
    pub drops: Arc<AtomicUsize>,
    pub calls: Arc<AtomicUsize>,
}

impl Watch {
    /// The callback and its observer.
    pub fn pair() -> (Watch, WatchFn) {
        let (tx, rx): (Sender<WatchedEvent>, _) = channel();
        let drops = Arc::new(AtomicUsize::new(0));
        let calls = Arc::new(AtomicUsize::new(0));
        let guard = DropCount(drops.clone());
        let c = calls.clone();
        let f: WatchFn = Box::new(move |e: WatchedEvent| {
            let _keep = &guard;
            c.fetch_add(1, Ordering::SeqCst);
            let _ = tx.send(e);
        });
        (
            Watch {
                events: rx,
                drops,
                calls,
            },
            f,
        )
    }

    /// The next event with its zxid set to -1, so that tests compare events the same way
    /// on ZooKeeper 3.8 (which sends -1) and 3.9 (which sends the change's zxid); the
    /// tests about the zxid use `next_raw`.
    pub fn next(&self) -> WatchedEvent {
        WatchedEvent {
            zxid: -1,
            ..self.next_raw()
        }
    }

    /// The next event as delivered.
    pub fn next_raw(&self) -> WatchedEvent {
        self.events.recv_timeout(WAIT).expect("watch event")
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    pub fn drops(&self) -> usize {
        self.drops.load(Ordering::SeqCst)
    }
}

struct ProxyInner {
    upstream: SocketAddr,
    blocked: AtomicBool,
    stop: AtomicBool,
    accepted: AtomicUsize,
    live: Mutex<Vec<TcpStream>>,
    /// When each connection was accepted (refused ones included).
    accept_times: Mutex<Vec<Instant>>,
    /// Bumped by every `cut`: the connections of one generation are cut together.
    generation: AtomicUsize,
    /// Replies of the connections of this generation are held back (`usize::MAX`: none).
    stalled: AtomicUsize,
    /// How many of the next connections are accepted and then never answered.
    muted: AtomicUsize,
}

/// A loopback TCP proxy to one upstream. `cut` closes every connection through it and
/// refuses (accepts and closes at once) new ones until `unblock`; `mute_next` makes it
/// accept the next connections and never answer them. `stall` holds back what
/// the server sends on the current connections (requests still go through), so a request
/// can be caught in flight: sent, maybe applied, its reply not yet seen.
pub struct Proxy {
    pub addr: SocketAddr,
    inner: Arc<ProxyInner>,
}

impl Proxy {
    pub fn start(listen: &str, upstream: SocketAddr) -> io::Result<Proxy> {
        let listener = TcpListener::bind(listen)?;
        let addr = listener.local_addr()?;
        let inner = Arc::new(ProxyInner {
            upstream,
            blocked: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            accepted: AtomicUsize::new(0),
            live: Mutex::new(Vec::new()),
            accept_times: Mutex::new(Vec::new()),
            generation: AtomicUsize::new(0),
            stalled: AtomicUsize::new(usize::MAX),
            muted: AtomicUsize::new(0),
        });
        let p = inner.clone();
        thread::spawn(move || {
            for down in listener.incoming() {
                if p.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(down) = down else { continue };
                p.accept_times.lock().unwrap().push(Instant::now());
                p.accepted.fetch_add(1, Ordering::SeqCst);
                if p.blocked.load(Ordering::SeqCst) {
                    let _ = down.shutdown(Shutdown::Both);
                    continue;
                }
                let muted = p
                    .muted
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |m| m.checked_sub(1));
                if muted.is_ok() {
                    // Held open, read from by nobody: `cut` (or the drop) closes it.
                    p.live.lock().unwrap().push(down);
                    continue;
                }
                let Ok(up) = TcpStream::connect_timeout(&p.upstream, Duration::from_secs(2)) else {
                    continue;
                };
                let _ = (down.set_nodelay(true), up.set_nodelay(true));
                {
                    let mut live = p.live.lock().unwrap();
                    live.push(down.try_clone().unwrap());
                    live.push(up.try_clone().unwrap());
                }
                let generation = p.generation.load(Ordering::SeqCst);
                pump(down.try_clone().unwrap(), up.try_clone().unwrap(), None);
                pump(up, down, Some((p.clone(), generation)));
            }
        });
        Ok(Proxy { addr, inner })
    }

    /// A connect string naming the proxy (brackets for IPv6).
    pub fn hosts(&self) -> String {
        self.addr.to_string()
    }

    pub fn cut(&self) {
        self.inner.blocked.store(true, Ordering::SeqCst);
        self.inner.generation.fetch_add(1, Ordering::SeqCst);
        for s in self.inner.live.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    /// Holds back every byte the server sends on the current connections until they are
    /// cut (`cut`); connections made after that cut flow normally.
    pub fn stall(&self) {
        let g = self.inner.generation.load(Ordering::SeqCst);
        self.inner.stalled.store(g, Ordering::SeqCst);
    }

    /// The next `n` connections are accepted and never answered: neither forwarded nor
    /// closed (as a server that is starting may do), until `cut`.
    pub fn mute_next(&self, n: usize) {
        self.inner.muted.store(n, Ordering::SeqCst);
    }

    /// When each connection was accepted, refused ones included.
    pub fn accept_times(&self) -> Vec<Instant> {
        self.inner.accept_times.lock().unwrap().clone()
    }

    pub fn unblock(&self) {
        self.inner.blocked.store(false, Ordering::SeqCst);
    }

    /// Connections accepted so far (refused ones included).
    pub fn accepted(&self) -> usize {
        self.inner.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.inner.stop.store(true, Ordering::SeqCst);
        self.cut();
        // Wake the accept loop so it sees `stop`.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

/// Copies `from` to `to` until either ends. With `hold`, the server-to-client direction
/// of a connection of that generation: bytes wait while the proxy stalls that generation,
/// and are dropped (the pair closed) once it is cut.
fn pump(mut from: TcpStream, mut to: TcpStream, hold: Option<(Arc<ProxyInner>, usize)>) {
    thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if let Some((p, gen)) = &hold {
                while p.stalled.load(Ordering::SeqCst) == *gen
                    && p.generation.load(Ordering::SeqCst) == *gen
                {
                    thread::sleep(Duration::from_millis(2));
                }
                if p.generation.load(Ordering::SeqCst) != *gen {
                    break;
                }
            }
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = from.shutdown(Shutdown::Both);
        let _ = to.shutdown(Shutdown::Both);
    });
}

/// The client port of the server `c` is connected to now, from that server's `conf`.
/// Panics when `c` is not connected (a four-letter word would then go to any host).
pub fn server_port(c: &Client) -> u16 {
    assert!(c.connected(), "server_port: the client is not connected");
    let conf = c
        .command("conf", Some(Duration::from_secs(5)))
        .unwrap_or_else(|e| panic!("conf on the current server: {e}"));
    conf.lines()
        .find_map(|l| l.strip_prefix("clientPort="))
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no clientPort in conf: {conf:?}"))
}
