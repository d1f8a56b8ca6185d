//! Real ZooKeeper servers on 127.0.0.1 for integration tests.
//!
//! Owns nothing but the scratch directories it creates: all server handling lives in
//! `scripts/zkharness.py`, which this module runs (with `python3` from PATH, or
//! `$ZKHARNESS_PYTHON`) and whose `cluster.env` it reads. Every cluster is started with a
//! watchdog on this test process, so servers die with it even when it crashes or is
//! killed; `Drop` stops them sooner. Set `ZKHARNESS_KEEP=1` to keep the directories (and
//! their `zk<i>/server.log`) for a look afterwards; they are also kept when a test panics.
//!
//! Which server runs is `ZK_VERSION` (3.8, Debian's, by default; 3.9 for 3.9.5), read by
//! the script; a test whose expectation differs by version asks `Cluster::version` and
//! asserts what that version does.
//!
//! Include with `mod harness;`. Depends on std only.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a four-letter word may take before the server counts as unresponsive.
pub const FOUR_LETTER_TIMEOUT: Duration = Duration::from_secs(2);

/// A ZooKeeper release as its `srvr` reports it ("Zookeeper version: 3.9.5-<sha>, built
/// on ..."). Ordered, so `v >= ServerVersion::V3_9` reads as "3.9 or later".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServerVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl ServerVersion {
    pub const V3_9: ServerVersion = ServerVersion {
        major: 3,
        minor: 9,
        patch: 0,
    };

    /// The version in a `srvr` reply, or None if it has no well-formed version line.
    pub fn from_srvr(reply: &str) -> Option<ServerVersion> {
        let v = reply
            .lines()
            .find_map(|l| l.strip_prefix("Zookeeper version:"))?
            .trim();
        let release = v.split(['-', ',', ' ']).next()?;
        let mut nums = release.split('.').map(|n| n.parse::<u32>().ok());
        let (major, minor, patch) = (nums.next()??, nums.next()??, nums.next()??);
        Some(ServerVersion {
            major,
            minor,
            patch,
        })
    }
}

impl std::fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

pub struct Server {
    /// 1-based, as in `server.<id>` and `myid`.
    pub id: usize,
    pub port: u16,
    /// 0 while the server is not running (never started, or killed).
    pub pid: u32,
    /// The TLS client port, with `ClusterOpts::tls`.
    pub secure_port: Option<u16>,
    /// With `ClusterOpts::reconfig`: the quorum and election ports, for the server's line
    /// in a reconfig (`Cluster::member_line`).
    pub quorum_ports: Option<(u16, u16)>,
}

pub struct Cluster {
    pub dir: PathBuf,
    /// `127.0.0.1:p1,127.0.0.1:p2,...` over all servers, running or not.
    pub hosts: String,
    pub servers: Vec<Server>,
    /// Like `hosts`, over the TLS ports, with `ClusterOpts::tls`.
    pub secure_hosts: Option<String>,
    /// With `ClusterOpts::tls`: `ca.pem`, `client.pem`, `client-key.pem` (and the
    /// PKCS12 stores, password "zkharness").
    pub tls_dir: Option<PathBuf>,
}

#[derive(Clone, Debug, Default)]
pub struct ClusterOpts {
    /// Run the JVMs with `-Dreadonlymode.enabled=true`.
    pub readonly: bool,
    /// Start only servers `1..=k` (default: all). With `readonly` and `k <= n/2`, the
    /// started servers come up read-only.
    pub start_count: Option<usize>,
    /// Add a TLS port per server and make certificates (about 3 s more).
    pub tls: bool,
    /// Dynamic reconfiguration: the membership in a dynamic config file whose lines name
    /// each client address, `reconfigEnabled`, `standaloneEnabled=false` (one server is a
    /// quorum that can grow) and `skipACL` (so any client may reconfig: no ACL tests on
    /// such a cluster). `Cluster::add_server` starts joiners.
    pub reconfig: bool,
    /// `tickTime`; the script's default is 500 ms (session timeouts 1..10 s).
    pub tick_ms: Option<u32>,
    /// Extra zoo.cfg lines; a key the script also writes is overridden.
    pub extra: Vec<(String, String)>,
    pub jvm_flags: Vec<String>,
    /// SASL DIGEST-MD5 users `(name, password)` of the servers (a JAAS DigestLoginModule),
    /// which makes `sasl` an ACL scheme.
    pub sasl_digest: Vec<(String, String)>,
    /// With `sasl_digest`: clients must authenticate with SASL.
    pub sasl_required: bool,
    /// The process whose end stops the cluster; this test process unless set (only
    /// the harness's own watchdog test sets it).
    pub parent_pid: Option<u32>,
}

impl ClusterOpts {
    /// An ensemble whose sessions are global, as in a default ZooKeeper deployment. The
    /// script's ensembles enable local sessions (read-only clients need them), and a local
    /// session that has not created an ephemeral node cannot move to another server: the
    /// server it moves to answers as for an expired session. Failover tests use this.
    pub fn global_sessions() -> ClusterOpts {
        ClusterOpts {
            extra: vec![
                ("localSessionsEnabled".into(), "false".into()),
                ("localSessionsUpgradingEnabled".into(), "false".into()),
            ],
            ..ClusterOpts::default()
        }
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join("zkharness.py")
}

/// Runs the script; Ok(stdout) or Err(a message with everything it printed).
fn run(args: &[&str]) -> Result<String, String> {
    let python = std::env::var("ZKHARNESS_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(&python)
        .arg(script())
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {python} {}: {e}", script().display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "zkharness {} failed ({}):\n{stdout}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn run_or_panic(args: &[&str]) -> String {
    run(args).unwrap_or_else(|e| panic!("{e}"))
}

fn unique_dir() -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!(
        "zkharness-{}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    ))
}

fn read_env(dir: &Path) -> HashMap<String, String> {
    let path = dir.join("cluster.env");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn env_num<T: std::str::FromStr>(env: &HashMap<String, String>, key: &str) -> T {
    env.get(key)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("cluster.env: missing or bad {key}"))
}

fn server_from_env(env: &HashMap<String, String>, id: usize, tls: bool) -> Server {
    let quorum = env
        .contains_key(&format!("ZK_SERVER_{id}_QUORUM_PORT"))
        .then(|| {
            (
                env_num(env, &format!("ZK_SERVER_{id}_QUORUM_PORT")),
                env_num(env, &format!("ZK_SERVER_{id}_ELECTION_PORT")),
            )
        });
    Server {
        id,
        port: env_num(env, &format!("ZK_SERVER_{id}_PORT")),
        pid: env_num(env, &format!("ZK_SERVER_{id}_PID")),
        secure_port: tls.then(|| env_num(env, &format!("ZK_SECURE_PORT_{id}"))),
        quorum_ports: quorum,
    }
}

fn keep_dirs() -> bool {
    std::env::var_os("ZKHARNESS_KEEP").is_some_and(|v| !v.is_empty() && v != "0")
}

impl Cluster {
    /// `n` servers (standalone if 1), all running and serving. Panics with the script's
    /// output (including the tail of the failing server.log) if they do not come up.
    pub fn start(n: usize) -> Cluster {
        Cluster::start_with(n, &ClusterOpts::default())
    }

    pub fn start_with(n: usize, opts: &ClusterOpts) -> Cluster {
        let dir = unique_dir();
        let dir_s = dir.to_str().expect("temp dir is UTF-8").to_string();
        let parent = opts.parent_pid.unwrap_or_else(std::process::id).to_string();
        let n_s = n.to_string();
        let mut args: Vec<String> = ["start", "--dir", &dir_s, "--servers", &n_s]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(["--parent-pid".into(), parent, "--cleanup".into()]);
        if opts.readonly {
            args.push("--readonly".into());
        }
        if opts.tls {
            args.push("--tls".into());
        }
        if opts.reconfig {
            args.push("--reconfig".into());
        }
        if let Some(k) = opts.start_count {
            args.extend(["--start-count".into(), k.to_string()]);
        }
        if let Some(t) = opts.tick_ms {
            args.extend(["--tick-ms".into(), t.to_string()]);
        }
        // `--opt=value` form: argparse would take a bare "-D..." for an option of its own.
        for (k, v) in &opts.extra {
            args.push(format!("--extra={k}={v}"));
        }
        for f in &opts.jvm_flags {
            args.push(format!("--jvm-flag={f}"));
        }
        for (user, password) in &opts.sasl_digest {
            args.push(format!("--sasl-digest={user}={password}"));
        }
        if opts.sasl_required {
            args.push("--sasl-required".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        if let Err(e) = run(&args) {
            if !keep_dirs() {
                let _ = std::fs::remove_dir_all(&dir);
            }
            panic!("{e}");
        }
        Cluster::from_env(dir)
    }

    fn from_env(dir: PathBuf) -> Cluster {
        let env = read_env(&dir);
        let n: usize = env_num(&env, "ZK_SERVERS");
        let tls = env.contains_key("ZK_TLS_DIR");
        let servers = (1..=n).map(|id| server_from_env(&env, id, tls)).collect();
        Cluster {
            hosts: env.get("ZK_HOSTS").cloned().expect("cluster.env: ZK_HOSTS"),
            secure_hosts: env.get("ZK_SECURE_HOSTS").cloned(),
            tls_dir: env.get("ZK_TLS_DIR").map(PathBuf::from),
            servers,
            dir,
        }
    }

    pub fn hosts(&self) -> &str {
        &self.hosts
    }

    /// With `ClusterOpts::reconfig`: starts one more server, which joins the running
    /// ensemble as a non-voting follower (its initial config is the current members and
    /// itself, as `observer` or participant), and returns its id. A reconfig that adds
    /// `member_line(id)` makes it a member.
    pub fn add_server(&mut self, observer: bool) -> usize {
        let dir = self.dir_str().to_string();
        let mut args = vec!["add", "--dir", &dir];
        if observer {
            args.push("--observer");
        }
        run_or_panic(&args);
        let env = read_env(&self.dir);
        let id = self.servers.len() + 1;
        self.servers
            .push(server_from_env(&env, id, self.secure_hosts.is_some()));
        self.hosts = env.get("ZK_HOSTS").cloned().expect("cluster.env: ZK_HOSTS");
        id
    }

    /// Server `id`'s line for a reconfig, as a participant:
    /// `server.<id>=127.0.0.1:<quorum>:<election>:participant;127.0.0.1:<port>`.
    pub fn member_line(&self, id: usize) -> String {
        let s = self.server(id);
        let (q, e) = s
            .quorum_ports
            .unwrap_or_else(|| panic!("server {id}: no quorum ports (not a reconfig cluster)"));
        format!(
            "server.{id}=127.0.0.1:{q}:{e}:participant;127.0.0.1:{}",
            s.port
        )
    }

    pub fn server(&self, id: usize) -> &Server {
        assert!(
            (1..=self.servers.len()).contains(&id),
            "no server {id} in a cluster of {}",
            self.servers.len()
        );
        &self.servers[id - 1]
    }

    fn dir_str(&self) -> &str {
        self.dir.to_str().expect("temp dir is UTF-8")
    }

    fn on_server(&self, verb: &str, id: usize) -> String {
        self.server(id);
        run_or_panic(&[verb, "--dir", self.dir_str(), "--id", &id.to_string()])
    }

    /// The id of the server listening on client port `port`.
    pub fn id_of_port(&self, port: u16) -> Option<usize> {
        self.servers.iter().find(|s| s.port == port).map(|s| s.id)
    }

    /// A connect string of just these servers, in this order.
    pub fn hosts_of(&self, ids: &[usize]) -> String {
        ids.iter()
            .map(|&i| format!("127.0.0.1:{}", self.server(i).port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Puts every server back to running: resumes paused ones, restarts killed ones. For
    /// tests that share a cluster, so one that failed half-way does not break the next.
    pub fn heal(&mut self) {
        for id in 1..=self.servers.len() {
            if self.servers[id - 1].pid == 0 {
                self.restart(id);
            } else {
                let _ = run(&["resume", "--dir", self.dir_str(), "--id", &id.to_string()]);
            }
        }
    }

    /// SIGKILL; returns once the process is gone.
    pub fn kill(&mut self, id: usize) {
        self.on_server("kill", id);
        self.servers[id - 1].pid = 0;
    }

    /// SIGSTOP: the port still accepts connections, but nothing answers.
    pub fn pause(&self, id: usize) {
        self.on_server("pause", id);
    }

    pub fn resume(&self, id: usize) {
        self.on_server("resume", id);
    }

    /// Starts server `id` again with its old config and ports (killing it first if it
    /// still runs) and waits until it serves.
    pub fn restart(&mut self, id: usize) {
        self.on_server("restart", id);
        let env = read_env(&self.dir);
        self.servers[id - 1].pid = env_num(&env, &format!("ZK_SERVER_{id}_PID"));
    }

    /// The id of the server whose `srvr` says `Mode: leader`, waiting up to 30 s for an
    /// election to finish.
    pub fn leader(&self) -> usize {
        let out = run_or_panic(&["leader", "--dir", self.dir_str()]);
        out.trim()
            .parse()
            .unwrap_or_else(|_| panic!("zkharness leader printed {out:?}"))
    }

    /// The reply to a four-letter word, or an `io::Error` (TimedOut for a paused server,
    /// ConnectionRefused for a dead one) after at most about `FOUR_LETTER_TIMEOUT`.
    pub fn try_four_letter(&self, id: usize, cmd: &str) -> io::Result<String> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.server(id).port));
        let mut s = TcpStream::connect_timeout(&addr, FOUR_LETTER_TIMEOUT)?;
        s.set_read_timeout(Some(FOUR_LETTER_TIMEOUT))?;
        s.set_write_timeout(Some(FOUR_LETTER_TIMEOUT))?;
        s.write_all(cmd.as_bytes())?;
        let mut reply = Vec::new();
        s.read_to_end(&mut reply)?;
        Ok(String::from_utf8_lossy(&reply).into_owned())
    }

    /// Like `try_four_letter`, with a failure as `"error: ..."` instead of a reply.
    pub fn four_letter(&self, id: usize, cmd: &str) -> String {
        self.try_four_letter(id, cmd)
            .unwrap_or_else(|e| format!("error: {e}"))
    }

    /// The `Mode:` of `srvr` (standalone, leader, follower, read-only), or None if the
    /// server does not answer or is not serving.
    pub fn mode(&self, id: usize) -> Option<String> {
        let reply = self.try_four_letter(id, "srvr").ok()?;
        reply
            .lines()
            .find_map(|l| l.strip_prefix("Mode:"))
            .map(|m| m.trim().to_string())
    }

    /// The release of the first running server (they all run the same jars), from its
    /// `srvr`; panics if none answers with one.
    pub fn version(&self) -> ServerVersion {
        let id = self.servers.iter().find(|s| s.pid != 0).map_or(1, |s| s.id);
        let reply = self.four_letter(id, "srvr");
        ServerVersion::from_srvr(&reply)
            .unwrap_or_else(|| panic!("server {id}: no version in srvr reply {reply:?}"))
    }

    /// Polls `mode(id)` until it is one of `want`; panics after `timeout`.
    pub fn wait_mode(&self, id: usize, want: &[&str], timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let mode = self.mode(id);
            if let Some(m) = mode.as_deref().filter(|m| want.contains(m)) {
                return m.to_string();
            }
            if Instant::now() >= deadline {
                panic!("server {id}: mode {mode:?} after {timeout:?}, wanted one of {want:?}");
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Errors are ignored: a panic here would abort a test that is already unwinding,
        // and the watchdog still stops whatever this misses.
        let _ = run(&["stop", "--dir", self.dir_str()]);
        if thread::panicking() || keep_dirs() {
            eprintln!(
                "zkharness: kept {} (server logs in zk*/server.log)",
                self.dir.display()
            );
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// One standalone server shared by all tests of a test binary, started on first use.
/// It is never dropped; its watchdog stops it when the test process exits.
pub fn shared() -> &'static Cluster {
    static SHARED: OnceLock<Cluster> = OnceLock::new();
    SHARED.get_or_init(|| Cluster::start(1))
}
