//! Connect strings and the host list: parsing `host[:port][,host[:port]...][/chroot]`,
//! resolving names again on every pass (so a moved Kubernetes pod is found), and the
//! shuffled order in which a pass tries addresses.

use std::net::{SocketAddr, ToSocketAddrs};

use crate::error::{Error, Result};
use crate::proto::path::Chroot;

/// ZooKeeper's client port when a host names none.
pub const DEFAULT_PORT: u16 = 2181;

/// One entry of a connect string, unresolved: the host and port type the ensemble's
/// config also lists members by (displays as `host:port`, an IPv6 host in brackets).
pub use crate::proto::config::HostAddr as HostPort;

/// A parsed connect string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectString {
    pub hosts: Vec<HostPort>,
    pub chroot: Chroot,
}

impl ConnectString {
    /// Parses `h1[:p1],[::1]:p2,.../chroot`. Everything after the first `/` is the chroot,
    /// validated like any path; `/` alone means none.
    pub fn parse(s: &str) -> Result<ConnectString> {
        let s = s.trim();
        let (list, chroot) = match s.find('/') {
            Some(i) => (&s[..i], &s[i..]),
            None => (s, ""),
        };
        let chroot = Chroot::parse(chroot).map_err(|_| Error::InvalidPath)?;
        let mut hosts = Vec::new();
        for item in list.split(',') {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            hosts.push(parse_host_port(item)?);
        }
        if hosts.is_empty() {
            return Err(Error::InvalidArgument);
        }
        Ok(ConnectString { hosts, chroot })
    }
}

fn parse_host_port(item: &str) -> Result<HostPort> {
    let (host, port) = if let Some(rest) = item.strip_prefix('[') {
        // IPv6 literal in brackets, optional port after the bracket.
        let end = rest.find(']').ok_or(Error::InvalidArgument)?;
        let host = &rest[..end];
        let after = &rest[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => parse_port(p)?,
            None if after.is_empty() => DEFAULT_PORT,
            None => return Err(Error::InvalidArgument),
        };
        (host, port)
    } else {
        match item.rsplit_once(':') {
            // More than one colon without brackets: a bare IPv6 address, no port.
            Some((h, _)) if h.contains(':') => (item, DEFAULT_PORT),
            Some((h, p)) => (h, parse_port(p)?),
            None => (item, DEFAULT_PORT),
        }
    };
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::InvalidArgument);
    }
    Ok(HostPort {
        host: host.to_string(),
        port,
    })
}

fn parse_port(p: &str) -> Result<u16> {
    match p.parse::<u16>() {
        Ok(0) | Err(_) => Err(Error::InvalidArgument),
        Ok(port) => Ok(port),
    }
}

/// Resolves every host of the list (all addresses of each name), in list order, skipping
/// names that do not resolve now. Called once per pass over the list.
pub fn resolve(hosts: &[HostPort]) -> Vec<(SocketAddr, String)> {
    let mut out = Vec::new();
    for hp in hosts {
        if let Ok(addrs) = (hp.host.as_str(), hp.port).to_socket_addrs() {
            for a in addrs {
                if !out.iter().any(|(b, _)| *b == a) {
                    out.push((a, hp.host.clone()));
                }
            }
        }
    }
    out
}

/// Fisher-Yates with the crate's small PRNG: host order needs no cryptographic randomness.
pub fn shuffle<T>(items: &mut [T], rng: &mut crate::session::retry::Rng) {
    for i in (1..items.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hp(h: &str, p: u16) -> HostPort {
        HostPort {
            host: h.into(),
            port: p,
        }
    }

    #[test]
    fn parses_hosts_ports_and_default_port() {
        let cs = ConnectString::parse("a:2182,b,c:1").unwrap();
        assert_eq!(cs.hosts, vec![hp("a", 2182), hp("b", 2181), hp("c", 1)]);
        assert_eq!(cs.chroot, Chroot::parse("").unwrap());
    }

    #[test]
    fn parses_ipv6_in_brackets() {
        let cs = ConnectString::parse("[::1]:2183,[fe80::1],::1").unwrap();
        assert_eq!(
            cs.hosts,
            vec![hp("::1", 2183), hp("fe80::1", 2181), hp("::1", 2181)]
        );
        assert_eq!(cs.hosts[0].to_string(), "[::1]:2183");
    }

    #[test]
    fn parses_chroot_after_first_slash() {
        let cs = ConnectString::parse("a:1,b:2/app/x").unwrap();
        assert_eq!(cs.hosts.len(), 2);
        assert_eq!(cs.chroot.prefix("/"), "/app/x");
        assert_eq!(cs.chroot.prefix("/n"), "/app/x/n");
        let root = ConnectString::parse("a/").unwrap();
        assert_eq!(root.chroot.prefix("/n"), "/n");
    }

    #[test]
    fn rejects_bad_connect_strings() {
        for bad in [
            "", ",", "a:0", "a:x", "a:70000", "[::1", "[::1]x", "a/b/", "a/./b", "a b",
        ] {
            assert!(ConnectString::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn resolves_loopback_and_skips_unresolvable() {
        let out = resolve(&[hp("127.0.0.1", 5), hp("no-such-host.invalid", 5)]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].0, "127.0.0.1:5".parse::<SocketAddr>().unwrap());
    }
}
