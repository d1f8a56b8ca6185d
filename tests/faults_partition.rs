//! A true network partition between a client and its server, and the timings a lock holder
//! relies on: the client says SUSPENDED at least half a session timeout before the server
//! deletes its ephemeral nodes (before anyone else can take its lock), says LOST no later
//! than that deletion, and a partition shorter than the timeout keeps the session and its
//! nodes.
//!
//! The partitioned client lives in a network namespace of its own, joined to the host by a
//! veth pair; the server (listening on every address) and an observer client stay outside.
//! The cut is an nftables rule on the ingress of each end of the pair that drops every IP
//! packet: both sides' sends succeed and vanish, nobody gets a reset or an error, as when a
//! cable is pulled. ARP still passes, so the kernel never calls the peer unreachable.
//! Everything is undone on every exit (a guard's `Drop`, which a panic runs too), and what
//! an earlier run that was killed left behind is removed at the start. Needs root and `ip`
//! and `nft` (scripts/setup.sh installs them): without them the test fails, never skips.

mod common;
mod harness;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::WAIT;
use harness::{Cluster, ClusterOpts};
use zkclient::{Client, CreateOptions, EventType, KeeperState, Options, State};

/// The session timeout under test, the one the partition figures were first taken with.
const TIMEOUT: Duration = Duration::from_secs(6);

/// How much later than the server's deletion of its node the client's LOST may be seen:
/// the client counts its expiry from the sending of the last request the server is known
/// to have received, which the server counts from too (and then rounds up to its next
/// expiry tick), so LOST comes first by design. Both are seen through threads (the
/// client's timer and event thread, the server's expirer and the observer's event thread)
/// on a two-core machine that other builds share; 100 ms covers a late wake-up there.
const LOST_TOLERANCE: Duration = Duration::from_millis(100);

// ---------------------------------------------------------------- the namespace and the cut

const PREFIX: &str = "zkpart";

/// Runs a command; its stdout, or a panic with what it said.
fn run(cmd: &[&str], stdin: Option<&str>) -> String {
    let mut c = Command::new(cmd[0]);
    c.args(&cmd[1..])
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap_or_else(|e| {
        panic!(
            "cannot run {}: {e} (scripts/setup.sh installs iproute2 and nftables; \
             the partition test needs them and root)",
            cmd[0]
        )
    });
    if let Some(text) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(text.as_bytes())
            .expect("write to stdin");
    }
    let out = child.wait_with_output().expect("wait for command");
    assert!(
        out.status.success(),
        "{} failed ({}): {}{}",
        cmd.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a command whose failure does not matter (undoing what may not be there).
fn run_quietly(cmd: &[&str]) {
    let _ = Command::new(cmd[0])
        .args(&cmd[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The process id in a name this file gave (`zkpart-<pid>-<n>`, `zkp<pid>-<n>h`), if that
/// process is gone: what it left is ours to remove.
fn dead_owner(name: &str) -> bool {
    let digits = name
        .trim_start_matches(PREFIX)
        .trim_start_matches("zkp")
        .trim_start_matches('-');
    let pid: String = digits.chars().take_while(|c| c.is_ascii_digit()).collect();
    !pid.is_empty() && !Path::new(&format!("/proc/{pid}")).exists()
}

/// Removes the namespaces, veth pairs and nftables tables of runs that died before their
/// guards could (SIGKILL, a crash); those of live runs (other worktrees' tests) stay.
fn clear_leftovers() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        for line in run(&["ip", "netns", "list"], None).lines() {
            let name = line.split_whitespace().next().unwrap_or("");
            if name.starts_with(PREFIX) && dead_owner(name) {
                run_quietly(&["ip", "netns", "del", name]);
            }
        }
        for line in run(&["ip", "-o", "link", "show"], None).lines() {
            // "12: zkp123-0h@if11: <BROADCAST,...> ..."
            let Some(name) = line.split(": ").nth(1) else {
                continue;
            };
            let name = name.split('@').next().unwrap_or("");
            if name.starts_with("zkp") && dead_owner(name) {
                run_quietly(&["ip", "link", "del", name]);
            }
        }
        for line in run(&["nft", "list", "tables"], None).lines() {
            // "table netdev zkpart-123-0"
            let name = line.split_whitespace().nth(2).unwrap_or("");
            if name.starts_with(PREFIX) && dead_owner(name) {
                run_quietly(&["nft", "delete", "table", "netdev", name]);
            }
        }
    });
}

/// A network namespace joined to the host by a veth pair, and a cut that can be made and
/// healed. Dropping it heals and removes everything.
struct Net {
    ns: String,
    host_if: String,
    ns_if: String,
    /// The host end's address: where the namespace reaches the server.
    host_ip: String,
    cut: bool,
}

impl Net {
    fn new() -> Net {
        clear_leftovers();
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        // One /30 of 10.254.0.0/16 per pair, so runs in parallel (other worktrees) do not
        // collide; the addresses exist only on this pair, inside this machine.
        let sub = ((pid as usize * 8 + n) % 16384) * 4;
        let (hi, lo) = (sub / 256, sub % 256);
        let net = Net {
            ns: format!("{PREFIX}-{pid}-{n}"),
            host_if: format!("zkp{pid}-{n}h"),
            ns_if: format!("zkp{pid}-{n}c"),
            host_ip: format!("10.254.{hi}.{}", lo + 1),
            cut: false,
        };
        let ns_ip = format!("10.254.{hi}.{}/30", lo + 2);
        let host_cidr = format!("{}/30", net.host_ip);
        run(&["ip", "netns", "add", &net.ns], None);
        // From here on, Drop undoes whatever was made.
        run(
            &[
                "ip",
                "link",
                "add",
                &net.host_if,
                "type",
                "veth",
                "peer",
                "name",
                &net.ns_if,
                "netns",
                &net.ns,
            ],
            None,
        );
        run(
            &["ip", "addr", "add", &host_cidr, "dev", &net.host_if],
            None,
        );
        run(&["ip", "link", "set", &net.host_if, "up"], None);
        run(
            &[
                "ip", "-n", &net.ns, "addr", "add", &ns_ip, "dev", &net.ns_if,
            ],
            None,
        );
        run(
            &["ip", "-n", &net.ns, "link", "set", &net.ns_if, "up"],
            None,
        );
        run(&["ip", "-n", &net.ns, "link", "set", "lo", "up"], None);
        net
    }

    /// The nftables table that drops every IP packet arriving on `dev`.
    fn drop_table(&self, dev: &str) -> String {
        format!(
            "table netdev {t} {{\n  chain cut {{\n    type filter hook ingress device \"{dev}\" \
             priority 0; policy accept;\n    meta protocol {{ ip, ip6 }} drop\n  }}\n}}\n",
            t = self.ns
        )
    }

    /// Drops every IP packet both ways, from now on.
    fn cut(&mut self) {
        self.cut = true;
        run(&["nft", "-f", "-"], Some(&self.drop_table(&self.host_if)));
        run(
            &["ip", "netns", "exec", &self.ns, "nft", "-f", "-"],
            Some(&self.drop_table(&self.ns_if)),
        );
    }

    fn heal(&mut self) {
        if std::mem::take(&mut self.cut) {
            run_quietly(&["nft", "delete", "table", "netdev", &self.ns]);
            run_quietly(&[
                "ip", "netns", "exec", &self.ns, "nft", "delete", "table", "netdev", &self.ns,
            ]);
        }
    }

    /// A client started from inside the namespace: its I/O thread, made there, makes every
    /// connection of the client there (a thread's network namespace is inherited by the
    /// threads it starts).
    fn client(&self, port: u16, listener: Option<zkclient::ListenerFn>) -> Client {
        let path = format!("/run/netns/{}", self.ns);
        let hosts = format!("{}:{port}", self.host_ip);
        thread::spawn(move || {
            let f = std::fs::File::open(&path).unwrap_or_else(|e| panic!("open {path}: {e}"));
            use std::os::fd::AsRawFd;
            // SAFETY: setns on a namespace file we hold open; it changes only this thread.
            let rc = unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
            let mut o = Options::new(hosts);
            o.session_timeout = TIMEOUT;
            let c = Client::new(o).expect("client");
            if let Some(l) = listener {
                c.add_listener(l);
            }
            c.start(WAIT).expect("the partitioned client connects");
            c
        })
        .join()
        .expect("client thread")
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        self.heal();
        // Deleting the host end deletes the pair; the namespace goes when its last user
        // (a client's I/O thread) does.
        run_quietly(&["ip", "link", "del", &self.host_if]);
        run_quietly(&["nft", "delete", "table", "netdev", &self.ns]);
        run_quietly(&["ip", "netns", "del", &self.ns]);
    }
}

// ---------------------------------------------------------------- the server and helpers

/// One standalone server listening on every address (the namespace reaches it on the veth
/// pair's host end), tickTime 500 ms: sessions of 1 to 10 s.
fn server() -> &'static Cluster {
    static S: OnceLock<Cluster> = OnceLock::new();
    S.get_or_init(|| {
        Cluster::start_with(
            1,
            &ClusterOpts {
                extra: vec![("clientPortAddress".into(), "0.0.0.0".into())],
                ..ClusterOpts::default()
            },
        )
    })
}

/// The tests take turns: each measures times, and a second one running would load the
/// machine it measures on.
fn turn() -> std::sync::MutexGuard<'static, ()> {
    static M: Mutex<()> = Mutex::new(());
    let g = M.lock().unwrap_or_else(|e| e.into_inner());
    clear_leftovers();
    g
}

fn observer() -> Client {
    let mut o = Options::new(server().hosts());
    o.session_timeout = Duration::from_secs(10);
    common::start(o)
}

type Seen = Receiver<(Instant, State, KeeperState)>;

/// A listener that records when each state change was seen.
fn timed_listener() -> (zkclient::ListenerFn, Seen) {
    let (tx, rx) = channel();
    let tx = Mutex::new(tx);
    let f: zkclient::ListenerFn = Box::new(move |s, k| {
        let _ = tx.lock().unwrap().send((Instant::now(), s, k));
    });
    (f, rx)
}

/// When the first of `want` is seen (the ones before it dropped), or a panic.
fn first_of(rx: &Seen, want: (State, KeeperState), within: Duration) -> Instant {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((at, s, k)) if (s, k) == want => return at,
            Ok(_) => {}
            Err(_) => panic!("no {want:?} within {within:?}"),
        }
    }
}

/// Some milliseconds in [0, below): where in the client's ping cycle the cut falls.
fn phase(below: u64) -> Duration {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64);
    Duration::from_millis(nanos % below)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// An ephemeral node of `c` at `path`, watched by `obs`: the instant of its deletion
/// arrives on the receiver.
fn watched_ephemeral(c: &Client, obs: &Client, path: &str) -> Receiver<Instant> {
    c.create(
        path,
        b"held",
        &CreateOptions {
            ephemeral: true,
            ..CreateOptions::default()
        },
        false,
        None,
    )
    .unwrap_or_else(|e| panic!("create {path}: {e}"));
    let (tx, rx) = channel();
    let tx = Mutex::new(tx);
    let stat = obs
        .exists(
            path,
            Some(Box::new(move |e| {
                if e.event_type == EventType::NodeDeleted {
                    let _ = tx.lock().unwrap().send(Instant::now());
                }
            })),
            None,
        )
        .expect("exists")
        .expect("the node is there");
    let sid = c.client_id().expect("a session").session_id;
    assert_eq!(stat.ephemeral_owner, sid, "{path} is the client's");
    rx
}

// ---------------------------------------------------------------- the tests

/// What one cut that outlasts the session measured, from the cut.
struct Expiry {
    suspended: Duration,
    deleted: Duration,
    lost: Duration,
}

fn one_expiry(run_no: usize) -> Expiry {
    let srv = server();
    let port = srv.servers[0].port;
    let obs = observer();
    let mut net = Net::new();
    let (listener, seen) = timed_listener();
    let c = net.client(port, Some(listener));
    assert_eq!(c.negotiated_timeout(), TIMEOUT);
    let path = format!("/partition-expiry-{}-{run_no}", std::process::id());
    let deleted = watched_ephemeral(&c, &obs, &path);
    // Anywhere in the ping cycle (a third of the timeout at most, whichever the client).
    thread::sleep(phase(TIMEOUT.as_millis() as u64 / 3));
    let cut = Instant::now();
    net.cut();
    let suspended = first_of(
        &seen,
        (State::Suspended, KeeperState::Connecting),
        TIMEOUT * 2,
    );
    let lost = first_of(
        &seen,
        (State::Lost, KeeperState::ExpiredSession),
        TIMEOUT * 3,
    );
    let gone = deleted
        .recv_timeout(TIMEOUT * 3)
        .expect("the server deletes the partitioned client's node");
    net.heal();
    c.close();
    obs.close();
    Expiry {
        suspended: suspended - cut,
        deleted: gone - cut,
        lost: lost - cut,
    }
}

/// A cut longer than the session, three times (`ZK_PARTITION_RUNS` to measure more) at
/// random points of the ping cycle: each time the client says SUSPENDED at least half the
/// timeout before the server deletes its ephemeral node (a lock it held), and LOST no
/// later than that deletion.
#[test]
fn a_partitioned_holder_is_told_in_time() {
    let _t = turn();
    let runs = std::env::var("ZK_PARTITION_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let mut failures = Vec::new();
    for i in 0..runs {
        let e = one_expiry(i);
        let margin = e.deleted.saturating_sub(e.suspended);
        let lost_lead = ms(e.deleted) - ms(e.lost);
        eprintln!(
            "run {i}: cut->SUSPENDED {:.0} ms, cut->server deletion {:.0} ms, cut->LOST {:.0} ms; \
             margin {:.0} ms, LOST {:.0} ms before the deletion",
            ms(e.suspended),
            ms(e.deleted),
            ms(e.lost),
            ms(margin),
            lost_lead
        );
        if margin < TIMEOUT / 2 {
            failures.push(format!(
                "run {i}: SUSPENDED only {:.0} ms before the server deleted the node \
                 (at least {:.0} ms wanted)",
                ms(margin),
                ms(TIMEOUT / 2)
            ));
        }
        if e.lost > e.deleted + LOST_TOLERANCE {
            failures.push(format!(
                "run {i}: LOST {:.0} ms after the server deleted the node",
                -lost_lead
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A cut shorter than the session: the client comes back to the same session, its
/// ephemeral node was never deleted, and it never said LOST. Once for a third of the
/// timeout (the client may not even notice), once for half of it (long enough that the
/// client must notice and say SUSPENDED first).
#[test]
fn a_partition_shorter_than_the_session_keeps_it() {
    let _t = turn();
    let srv = server();
    let port = srv.servers[0].port;
    for (i, (cut_for, must_notice)) in [(TIMEOUT / 3, false), (TIMEOUT / 2, true)]
        .into_iter()
        .enumerate()
    {
        let obs = observer();
        let mut net = Net::new();
        let (listener, seen) = timed_listener();
        let c = net.client(port, Some(listener));
        let sid = c.client_id().expect("session").session_id;
        let path = format!("/partition-short-{}-{i}", std::process::id());
        let deleted = watched_ephemeral(&c, &obs, &path);
        thread::sleep(phase(TIMEOUT.as_millis() as u64 / 3));
        net.cut();
        thread::sleep(cut_for);
        net.heal();
        // Back on the same session, well before it could have expired.
        common::wait_until("the client is connected again", TIMEOUT, || {
            c.keeper_state() == KeeperState::Connected
        });
        let states: Vec<(State, KeeperState)> = seen.try_iter().map(|(_, s, k)| (s, k)).collect();
        assert!(
            !states.contains(&(State::Lost, KeeperState::ExpiredSession)),
            "cut for {cut_for:?}: the session was lost: {states:?}"
        );
        if must_notice {
            assert!(
                states.contains(&(State::Suspended, KeeperState::Connecting)),
                "cut for {cut_for:?}: the client never said SUSPENDED: {states:?}"
            );
        }
        assert_eq!(c.client_id().expect("session").session_id, sid);
        let stat = c
            .exists(&path, None, None)
            .expect("exists after the partition")
            .expect("the ephemeral node is still there");
        assert_eq!(stat.ephemeral_owner, sid);
        assert!(
            deleted.try_recv().is_err(),
            "cut for {cut_for:?}: the server deleted the node"
        );
        eprintln!("cut for {cut_for:?}: states {states:?}; session and node kept");
        c.close();
        obs.close();
    }
}

/// The price of noticing sooner: an idle client's pings per second, read from the server's
/// count of what the connection sent it over 10 s. Bounded both ways: it pings often enough
/// to keep its promise, and not more than the schedule says.
#[test]
fn an_idle_client_pings_at_the_rate_its_schedule_says() {
    let _t = turn();
    let srv = server();
    // `ZK_PING_TIMEOUTS=6,10` measures other sessions too, `ZK_PING_WINDOW=60` for longer
    // (both in seconds).
    let timeouts: Vec<Duration> = std::env::var("ZK_PING_TIMEOUTS")
        .ok()
        .map(|v| {
            v.split(',')
                .filter_map(|s| s.trim().parse().ok())
                .map(Duration::from_secs)
                .collect()
        })
        .unwrap_or_else(|| vec![TIMEOUT]);
    for timeout in timeouts {
        let mut o = Options::new(srv.hosts());
        o.session_timeout = timeout;
        let c = common::start(o);
        let sid = c.client_id().expect("session").session_id;
        let received = || -> u64 {
            let cons = srv.four_letter(1, "cons");
            let line = cons
                .lines()
                .find(|l| l.contains(&format!("sid=0x{sid:x}")))
                .unwrap_or_else(|| panic!("no connection of 0x{sid:x} in cons:\n{cons}"));
            let at = line.find("recved=").expect("recved=") + "recved=".len();
            line[at..]
                .split(|ch: char| !ch.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok())
                .expect("a count")
        };
        let window = Duration::from_secs(
            std::env::var("ZK_PING_WINDOW")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(10),
        );
        let before = received();
        let t0 = Instant::now();
        thread::sleep(window);
        let n = received() - before;
        let secs = t0.elapsed().as_secs_f64();
        let rate = n as f64 / secs;
        eprintln!(
            "session {timeout:?}: {n} pings in {secs:.1} s: {rate:.2} per second per idle client"
        );
        // The schedule: a ping once nothing has been heard for a fifth of the timeout,
        // checked every thirtieth of it (at most every 500 ms).
        let ping_after = timeout.as_secs_f64() / 5.0;
        let tick = (timeout.as_secs_f64() / 30.0).min(0.5);
        let most = secs / ping_after + 1.0;
        let least = secs / (ping_after + tick + 0.2) - 1.0;
        assert!(
            (least..=most).contains(&(n as f64)),
            "session {timeout:?}: {n} pings in {secs:.1} s, expected {least:.1} to {most:.1}"
        );
        c.close();
    }
}
