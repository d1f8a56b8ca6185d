//! kazoo, the Python client, in a second process that a test drives: the proof that our
//! recipes write the same znodes as kazoo's and agree with them (a lock held by one
//! excludes the other, an election picks one leader from both, ...).
//!
//! `Kazoo::start(hosts)` runs `tests/kazoo/peer.py` with Debian's python3 (where
//! python3-kazoo is installed; `$KAZOO_PYTHON` overrides) and a started `KazooClient` named
//! `zk`. `run` executes Python code there and returns what it printed; variables persist
//! between calls, so a test can take a kazoo lock in one call and release it in a later
//! one. Blocking kazoo calls block the peer: start a `threading.Thread` in the peer for
//! anything the test must do meanwhile. Dropping the value ends the process.
//!
//! Include with `mod kazoo;`. Depends on std only.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

/// A running kazoo peer process.
pub struct Kazoo {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Kazoo {
    /// Starts the peer with a kazoo client connected to `hosts` (a connect string, chroot
    /// allowed). Panics when python3-kazoo is missing: the setup script installs it.
    pub fn start(hosts: &str) -> Kazoo {
        let python = std::env::var("KAZOO_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kazoo/peer.py");
        let mut child = Command::new(&python)
            .arg(&script)
            .arg(hosts)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {python} {}: {e}", script.display()));
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut k = Kazoo {
            child,
            stdin,
            stdout,
        };
        // The first call proves kazoo imported and connected.
        k.run("assert zk.connected");
        k
    }

    /// Runs Python `code` in the peer and returns what it printed. Panics with the Python
    /// traceback when the code raised.
    pub fn run(&mut self, code: &str) -> String {
        match self.try_run(code) {
            Ok(out) => out,
            Err(tb) => panic!("kazoo peer: the code\n{code}\nraised:\n{tb}"),
        }
    }

    /// Like `run`, but an exception in the peer comes back as `Err(traceback)`.
    pub fn try_run(&mut self, code: &str) -> Result<String, String> {
        let stdin = self.stdin.as_mut().expect("peer stdin open");
        write!(stdin, "{}\n{}", code.len(), code).expect("write to the kazoo peer");
        stdin.flush().expect("flush the kazoo peer's input");
        let mut head = String::new();
        self.stdout
            .read_line(&mut head)
            .expect("read from the kazoo peer");
        let (status, len) = head
            .trim_end()
            .split_once(' ')
            .unwrap_or_else(|| panic!("kazoo peer ended or sent {head:?}"));
        let mut body = vec![0u8; len.parse().expect("reply length")];
        self.stdout
            .read_exact(&mut body)
            .expect("read the kazoo peer's reply");
        let text = String::from_utf8(body).expect("UTF-8 reply");
        if status == "OK" {
            Ok(text)
        } else {
            Err(text)
        }
    }

    /// `run`, with the printed output trimmed: for code that prints one value.
    pub fn eval(&mut self, code: &str) -> String {
        self.run(code).trim().to_string()
    }
}

impl Drop for Kazoo {
    fn drop(&mut self) {
        // End of input makes the peer stop its client and exit; kill it if it does not.
        drop(self.stdin.take());
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
