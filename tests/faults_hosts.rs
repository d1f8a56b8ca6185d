//! Host names are resolved again on every pass over the host list, so a server whose name
//! moves to another address (a rescheduled pod) is found without a restart of the client.
//!
//! Proving it needs a name whose address changes under the running client. The test runs
//! its client in a child process with a private mount namespace (`unshare -m`, root only)
//! in which /etc/hosts is a scratch file the child rewrites; glibc reads /etc/hosts on every
//! lookup. Where `unshare -m` is not allowed the test says so and proves nothing.

mod common;
mod harness;

use std::io::Write;
use std::net::ToSocketAddrs;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use zkclient::{Client, RetryPolicy};

const NAME: &str = "zk-moving-host";
const FILE_ENV: &str = "ZKT_HOSTS_FILE";
const PORT_ENV: &str = "ZKT_SERVER_PORT";

fn write_hosts(file: &str, addr: &str) {
    // Truncate and rewrite in place: the bind mount follows the inode, not the name.
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(file)
        .unwrap();
    writeln!(f, "127.0.0.1 localhost\n{addr} {NAME}").unwrap();
}

#[test]
fn a_host_name_is_resolved_again_on_every_pass() {
    let can = Command::new("unshare")
        .args(["-m", "true"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !can {
        eprintln!("SKIPPED: `unshare -m` is not allowed here; re-resolution not proven");
        return;
    }
    let server = harness::shared();
    let file = std::env::temp_dir().join(format!("zkt-hosts-{}", std::process::id()));
    let file_s = file.to_str().unwrap().to_string();
    std::fs::write(&file, "").unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new("unshare")
        .args([
            "-m",
            "sh",
            "-c",
            r#"mount --bind "$0" /etc/hosts && exec "$@""#,
        ])
        .arg(&file_s)
        .arg(&exe)
        .args([
            "resolution_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(FILE_ENV, &file_s)
        .env(PORT_ENV, server.servers[0].port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the child test did not end within 60 s");
        }
        thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().unwrap();
    let _ = std::fs::remove_file(&file);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(status.success(), "child test failed:\n{text}");
    assert!(
        text.contains("test resolution_child ... ok"),
        "the child test did not run:\n{text}"
    );
}

#[test]
#[ignore = "helper: run by a_host_name_is_resolved_again_on_every_pass in its own mount namespace"]
fn resolution_child() {
    let file = std::env::var(FILE_ENV).expect("run by a_host_name_is_resolved_again_on_every_pass");
    let port: u16 = std::env::var(PORT_ENV).unwrap().parse().unwrap();
    // The server listens on 127.0.0.1 only: 127.0.0.2 refuses every connection.
    write_hosts(&file, "127.0.0.2");
    let addrs: Vec<_> = (NAME, port).to_socket_addrs().unwrap().collect();
    assert_eq!(addrs, vec![format!("127.0.0.2:{port}").parse().unwrap()]);

    let mut o = common::options(&format!("{NAME}:{port}"));
    o.connection_retry = RetryPolicy {
        max_tries: None,
        delay: Duration::from_millis(50),
        backoff: 2.0,
        max_jitter: 0.0,
        max_delay: Duration::from_millis(200),
        deadline: None,
    };
    let c = std::sync::Arc::new(Client::new(o).unwrap());
    let starter = {
        let c = c.clone();
        thread::spawn(move || c.start(Duration::from_secs(20)))
    };
    thread::sleep(Duration::from_millis(1000));
    assert!(!starter.is_finished(), "nothing answers at 127.0.0.2");
    assert!(!c.connected());

    // The name moves; a later pass must look it up again and find the server.
    let moved = Instant::now();
    write_hosts(&file, "127.0.0.1");
    starter.join().unwrap().unwrap();
    assert!(
        moved.elapsed() < Duration::from_secs(2),
        "connected {:?} after the name moved",
        moved.elapsed()
    );
    c.sync("/", None).unwrap();
}
