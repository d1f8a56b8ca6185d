//! Tests of the test harness itself: real servers come up, faults are real, and nothing
//! outlives the tests. Uses std only, so it runs whatever state the client code is in.

mod harness;
mod kazoo;

use harness::{Cluster, ClusterOpts, ServerVersion};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// True while `pid` is a server of the cluster in `dir` (a recycled pid does not count).
fn runs_in(pid: u32, dir: &Path) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| String::from_utf8_lossy(&c).contains(dir.to_str().unwrap()))
        .unwrap_or(false)
}

fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < deadline, "{what}: not within {timeout:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn shared_server_is_one_standalone_server_that_answers_ruok() {
    let c = harness::shared();
    assert_eq!(c.four_letter(1, "ruok"), "imok");
    assert_eq!(c.mode(1).as_deref(), Some("standalone"));
    assert_eq!(c.hosts(), format!("127.0.0.1:{}", c.servers[0].port));
    assert!(
        std::ptr::eq(c, harness::shared()),
        "a second call must not start another"
    );
}

#[test]
fn the_kazoo_peer_runs_code_keeps_its_variables_and_reports_exceptions() {
    let mut k = kazoo::Kazoo::start(harness::shared().hosts());
    k.run(
        "zk.ensure_path('/harness-kazoo'); n = zk.create('/harness-kazoo/x', b'hi', sequence=True)",
    );
    assert_eq!(k.eval("print(zk.get(n)[0].decode())"), "hi");
    assert!(k.eval("print(n)").starts_with("/harness-kazoo/x00000"));
    let err = k.try_run("zk.create('/harness-kazoo')").unwrap_err();
    assert!(err.contains("NodeExistsError"), "{err}");
    k.run("zk.delete('/harness-kazoo', recursive=True)");
}

#[test]
fn server_version_is_read_from_srvr_as_each_release_writes_it() {
    let v = |major, minor, patch| ServerVersion {
        major,
        minor,
        patch,
    };
    let debian = "Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\n\
                  Mode: standalone\n";
    assert_eq!(ServerVersion::from_srvr(debian), Some(v(3, 8, 0)));
    let maven = "Zookeeper version: 3.9.5-293c895a8d966a3ecb92872be4a1daf87d725da2, built on \
                 2026-02-11 20:18 UTC\nMode: follower\n";
    assert_eq!(ServerVersion::from_srvr(maven), Some(v(3, 9, 5)));
    assert!(v(3, 9, 5) >= ServerVersion::V3_9 && v(3, 8, 0) < ServerVersion::V3_9);
    assert_eq!(v(3, 9, 5).to_string(), "3.9.5");
    for bad in ["", "Mode: standalone\n", "Zookeeper version: 3.x.0-abc\n"] {
        assert_eq!(ServerVersion::from_srvr(bad), None, "{bad:?}");
    }
}

/// ZK_VERSION picks the server (scripts/zkharness.py); the suites named "on 3.9" rely on it.
#[test]
fn the_server_runs_the_release_zk_version_names() {
    let want = match std::env::var("ZK_VERSION").as_deref() {
        Ok("3.9") => (3, 9),
        Ok("3.8") | Ok("") | Err(_) => (3, 8),
        Ok(other) => panic!("ZK_VERSION={other}: the harness takes 3.8 or 3.9"),
    };
    let v = harness::shared().version();
    assert_eq!((v.major, v.minor), want, "server reports {v}");
}

#[test]
fn ensemble_elects_a_new_leader_and_a_restarted_server_rejoins_as_follower() {
    let mut c = Cluster::start(3);
    assert_eq!(c.hosts().split(',').count(), 3);
    let old = c.leader();
    let old_pid = c.server(old).pid;

    c.kill(old);
    assert_eq!(c.server(old).pid, 0);
    assert!(
        !runs_in(old_pid, &c.dir),
        "kill returns once the process is gone"
    );
    assert!(c.try_four_letter(old, "ruok").is_err());

    let new = c.leader();
    assert_ne!(new, old);
    let other = (1..=3).find(|&i| i != old && i != new).unwrap();
    assert_eq!(c.mode(other).as_deref(), Some("follower"));

    c.restart(old);
    assert_ne!(c.server(old).pid, 0);
    assert_eq!(c.mode(old).as_deref(), Some("follower"));
    assert_eq!(c.leader(), new, "a rejoining server must not take over");
}

#[test]
fn paused_server_times_out_until_resumed() {
    let c = Cluster::start(1);
    c.pause(1);
    let t = Instant::now();
    let err = c
        .try_four_letter(1, "srvr")
        .expect_err("a stopped JVM cannot answer");
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{err:?}"
    );
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "took {:?}",
        t.elapsed()
    );
    assert!(c.four_letter(1, "ruok").starts_with("error: "));
    c.resume(1);
    assert_eq!(c.four_letter(1, "ruok"), "imok");
}

#[test]
fn lone_server_of_a_readonly_ensemble_serves_read_only() {
    let opts = ClusterOpts {
        readonly: true,
        start_count: Some(1),
        ..Default::default()
    };
    let c = Cluster::start_with(3, &opts);
    assert_eq!(c.mode(1).as_deref(), Some("read-only"));
    assert_eq!(c.four_letter(1, "isro"), "ro");
    assert_eq!(
        (c.server(2).pid, c.server(3).pid),
        (0, 0),
        "only server 1 was started"
    );
}

#[test]
fn extra_config_reaches_the_server() {
    let opts = ClusterOpts {
        tick_ms: Some(300),
        extra: vec![("maxSessionTimeout".into(), "4321".into())],
        jvm_flags: vec!["-Djute.maxbuffer=2000000".into()],
        ..Default::default()
    };
    let c = Cluster::start_with(1, &opts);
    let conf = c.four_letter(1, "conf");
    assert!(conf.contains("tickTime=300"), "{conf}");
    assert!(conf.contains("maxSessionTimeout=4321"), "{conf}");
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", c.server(1).pid)).unwrap();
    assert!(String::from_utf8_lossy(&cmdline).contains("\0-Djute.maxbuffer=2000000\0"));
}

#[test]
fn tls_cluster_has_a_secure_port_and_pem_files() {
    let c = Cluster::start_with(
        1,
        &ClusterOpts {
            tls: true,
            ..Default::default()
        },
    );
    let tls = c.tls_dir.as_ref().expect("ZK_TLS_DIR");
    for f in [
        "ca.pem",
        "client.pem",
        "client-key.pem",
        "server.p12",
        "truststore.p12",
    ] {
        assert!(tls.join(f).is_file(), "{f} missing in {}", tls.display());
    }
    let secure = c.server(1).secure_port.expect("ZK_SECURE_PORT_1");
    assert_eq!(
        c.secure_hosts.as_deref(),
        Some(format!("127.0.0.1:{secure}").as_str())
    );
    assert_eq!(
        c.four_letter(1, "ruok"),
        "imok",
        "the plain port still serves"
    );
    let conf = c.four_letter(1, "conf");
    assert!(
        conf.contains(&format!("secureClientPort={secure}")),
        "{conf}"
    );
}

#[test]
fn drop_stops_the_servers_and_removes_the_dir() {
    let c = Cluster::start(1);
    let (dir, pid) = (c.dir.clone(), c.server(1).pid);
    assert!(runs_in(pid, &dir));
    drop(c);
    assert!(!runs_in(pid, &dir));
    assert!(!dir.exists());
}

#[test]
fn servers_die_with_the_process_that_started_them() {
    let mut parent = Command::new("sleep").arg("600").spawn().unwrap();
    let opts = ClusterOpts {
        parent_pid: Some(parent.id()),
        ..Default::default()
    };
    let c = Cluster::start_with(3, &opts);
    c.pause(2); // a stopped JVM must go too
    let pids: Vec<u32> = c.servers.iter().map(|s| s.pid).collect();
    parent.kill().unwrap();
    parent.wait().unwrap();
    wait_until(
        "watchdog stops the cluster",
        Duration::from_secs(15),
        || pids.iter().all(|&p| !runs_in(p, &c.dir)),
    );
    wait_until("watchdog removes the dir", Duration::from_secs(5), || {
        !c.dir.exists()
    });
}
