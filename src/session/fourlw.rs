//! Four-letter words: a separate short TCP connection that sends four ASCII bytes and reads
//! the server's text until it closes.

use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use super::tls::TlsConfig;
use super::transport;
use crate::error::{Error, Result};

/// The words the client sends: what ZooKeeper 3.8 knows (`FourLetterCommands.java`) plus
/// `reqs`, which older servers answer (3.8 closes without a reply: UNIMPLEMENTED).
pub const COMMANDS: &[&str] = &[
    "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk", "srvr", "srst", "stat",
    "wchc", "wchp", "wchs", "mntr", "isro", "hash", "reqs",
];

/// Largest reply read; `cons` or `wchp` on a busy server can be long, but not unbounded.
const MAX_REPLY: usize = 16 << 20;

/// Sends `cmd` to `addr` (over TLS when `tls` is set; `host` names the server for it) and
/// returns the reply text.
pub fn four_letter(
    addr: SocketAddr,
    host: &str,
    cmd: &str,
    timeout: Duration,
    tls: Option<&TlsConfig>,
) -> Result<String> {
    if cmd.len() != 4 || !COMMANDS.contains(&cmd) {
        return Err(Error::InvalidArgument);
    }
    let deadline = Instant::now() + timeout;
    let tcp = TcpStream::connect_timeout(&addr, timeout).map_err(|_| Error::ConnectionLoss)?;
    let (conn, mut s) =
        transport::open(tcp, tls.map(|t| (t, host)), timeout).map_err(|_| Error::ConnectionLoss)?;
    conn.write_all(cmd.as_bytes())
        .map_err(|_| Error::ConnectionLoss)?;
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Error::TimedOut);
        }
        s.set_read_timeout(Some(left))
            .map_err(|_| Error::ConnectionLoss)?;
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if out.len() > MAX_REPLY {
                    return Err(Error::TooLarge);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(Error::TimedOut)
            }
            // A reset after the text is how some servers close: keep what came.
            Err(_) if !out.is_empty() => break,
            Err(_) => return Err(Error::ConnectionLoss),
        }
    }
    // Every command a server knows answers something (even empty watch lists are "\n");
    // a server that does not know the word closes without a byte (3.8 and `reqs`).
    if out.is_empty() {
        return Err(Error::Unimplemented);
    }
    String::from_utf8(out).map_err(|_| Error::BadReply)
}

/// Parses the version out of `srvr`/`stat`/`envi` output: "Zookeeper version: 3.8.0-..." or
/// "zookeeper.version=3.8.0-...".
pub fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let line = text
        .lines()
        .find(|l| l.starts_with("Zookeeper version:") || l.starts_with("zookeeper.version="))?;
    let v = line.split([':', '=']).nth(1)?.trim();
    let core = v.split(['-', ',', ' ']).next()?;
    let mut it = core.split('.').map(|x| x.parse::<u32>().ok());
    Some((it.next()??, it.next()??, it.next().flatten().unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions_from_srvr_and_envi() {
        let srvr = "Zookeeper version: 3.8.0-5a02a05eddb59aee6ac762f7ea82e92a68eb9c0f, built on 2022-02-25 08:49 UTC\nLatency min/avg/max: 0/0.0/0\n";
        assert_eq!(parse_version(srvr), Some((3, 8, 0)));
        let envi = "Environment:\nzookeeper.version=3.9.2-e454e8c, built on 2024\nhost.name=x\n";
        assert_eq!(parse_version(envi), Some((3, 9, 2)));
        assert_eq!(parse_version("imok"), None);
    }

    #[test]
    fn rejects_unknown_commands_before_connecting() {
        let addr: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let t = Duration::from_millis(10);
        assert_eq!(
            four_letter(addr, "h", "kill", t, None),
            Err(Error::InvalidArgument)
        );
        assert_eq!(
            four_letter(addr, "h", "ruokx", t, None),
            Err(Error::InvalidArgument)
        );
    }
}
