//! The ensemble's membership as the servers keep it in `/zookeeper/config` (what getConfig
//! reads and reconfig returns): a `server.<id>=<spec>` line per member and a
//! `version=<hex>` line. Parsing the text and deriving the client addresses from it; pure,
//! no name resolution.
//!
//! A member's spec is `addr[|addr...][;[client][;secure client]]`, where each `addr` is
//! `host:quorumPort:electionPort[:role]` (several since ZooKeeper 3.6, separated by `|`),
//! and a client part is `[host:]port`: a port alone listens on every address, which the
//! server writes as `0.0.0.0:port`. IPv6 hosts come in brackets.

use thiserror::Error;

/// Why a config text could not be read: its line (1-based) and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("ensemble config, line {line}: {why}")]
pub struct ConfigError {
    pub line: usize,
    pub why: &'static str,
}

/// A member's part in the quorum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Votes (the default when a spec names no role).
    Participant,
    /// Follows the leader without voting.
    Observer,
}

/// A host and port as the config writes them (the host unresolved, without brackets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostAddr {
    pub host: String,
    pub port: u16,
}

impl std::fmt::Display for HostAddr {
    /// `host:port`, an IPv6 host in brackets: a connect string's form.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Where the members of the quorum talk to one member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumAddr {
    pub host: String,
    /// Followers connect to the leader here.
    pub quorum_port: u16,
    /// Leader election.
    pub election_port: u16,
}

/// One `server.<id>` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: u64,
    /// At least one; several with ZooKeeper 3.6's multiple addresses.
    pub quorum: Vec<QuorumAddr>,
    pub role: Role,
    /// Where clients connect (plaintext); None when the line names no client port (the
    /// server's static `clientPort` then applies, which the config does not show).
    pub client: Option<HostAddr>,
    /// The TLS client port, when the line names one (ZooKeeper 3.10's form).
    pub secure_client: Option<HostAddr>,
}

impl Member {
    /// The address a client would connect to: the client address, with a wildcard host
    /// (a port alone in the config) replaced by the member's first quorum host, as
    /// Curator's ensemble tracker does. None without a client port.
    pub fn client_addr(&self) -> Option<HostAddr> {
        self.reachable(self.client.as_ref()?)
    }

    /// `client_addr` of the TLS client port.
    pub fn secure_client_addr(&self) -> Option<HostAddr> {
        self.reachable(self.secure_client.as_ref()?)
    }

    fn reachable(&self, c: &HostAddr) -> Option<HostAddr> {
        let host = if is_wildcard(&c.host) {
            self.quorum.first()?.host.clone()
        } else {
            c.host.clone()
        };
        Some(HostAddr { host, port: c.port })
    }
}

/// The parsed text of `/zookeeper/config`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnsembleConfig {
    /// In the order of the text (the servers write them by id).
    pub members: Vec<Member>,
    /// The config's version: the zxid of the reconfig that made it (or of the first
    /// leader's NEWLEADER). None when the text has no `version` line: a standalone
    /// server's config node is empty.
    pub version: Option<i64>,
}

impl EnsembleConfig {
    /// Parses the config bytes. Blank lines and `#` or `!` comments are skipped, and so
    /// are keys other than `server.<id>` and `version` (a hierarchical quorum's `group`
    /// and `weight` lines). Empty text is a config without members or version.
    pub fn parse(data: &[u8]) -> Result<EnsembleConfig, ConfigError> {
        let text = std::str::from_utf8(data).map_err(|_| ConfigError {
            line: 1,
            why: "not UTF-8",
        })?;
        let mut cfg = EnsembleConfig::default();
        for (i, raw) in text.lines().enumerate() {
            let fail = |why| ConfigError { line: i + 1, why };
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                continue;
            }
            let (key, value) = line.split_once('=').ok_or(fail("no '=' in the line"))?;
            let (key, value) = (key.trim(), value.trim());
            if key == "version" {
                let v = i64::from_str_radix(value, 16).map_err(|_| fail("bad version"))?;
                cfg.version = Some(v);
            } else if let Some(id) = key.strip_prefix("server.") {
                let id: u64 = id.parse().map_err(|_| fail("bad server id"))?;
                if cfg.members.iter().any(|m| m.id == id) {
                    return Err(fail("server id given twice"));
                }
                cfg.members.push(parse_member(id, value).map_err(fail)?);
            }
        }
        Ok(cfg)
    }

    /// The member with this id.
    pub fn member(&self, id: u64) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }

    /// Where clients connect, member by member (`Member::client_addr`); members without
    /// a client port are left out.
    pub fn client_addrs(&self) -> Vec<HostAddr> {
        self.members
            .iter()
            .filter_map(Member::client_addr)
            .collect()
    }

    /// `client_addrs` of the TLS client ports.
    pub fn secure_client_addrs(&self) -> Vec<HostAddr> {
        self.members
            .iter()
            .filter_map(Member::secure_client_addr)
            .collect()
    }

    /// `client_addrs` as a connect string's host list, "h1:p1,h2:p2" (empty when none).
    pub fn connect_string(&self) -> String {
        let hosts: Vec<String> = self.client_addrs().iter().map(|a| a.to_string()).collect();
        hosts.join(",")
    }
}

/// "0.0.0.0" and IPv6's "::" in its spellings: listen on every address.
fn is_wildcard(host: &str) -> bool {
    host == "0.0.0.0" || (host.contains(':') && host.chars().all(|c| c == '0' || c == ':'))
}

fn parse_member(id: u64, spec: &str) -> Result<Member, &'static str> {
    let parts: Vec<&str> = spec.split(';').map(str::trim).collect();
    if parts.len() > 3 {
        return Err("more than three ';' parts in a server spec");
    }
    let mut role = None;
    let mut quorum = Vec::new();
    for addr in parts[0].split('|') {
        let fields = host_and_ports(addr.trim())?;
        if !(3..=4).contains(&fields.len()) {
            return Err("a server address is host:port:port[:role]");
        }
        if let Some(r) = fields.get(3) {
            let r = match r.trim().to_ascii_lowercase().as_str() {
                "participant" => Role::Participant,
                "observer" => Role::Observer,
                _ => return Err("unknown role"),
            };
            if role.is_some_and(|old| old != r) {
                return Err("the addresses of a server name different roles");
            }
            role = Some(r);
        }
        quorum.push(QuorumAddr {
            host: host_arg(fields[0])?,
            quorum_port: port_arg(fields[1])?,
            election_port: port_arg(fields[2])?,
        });
    }
    let client_part = |i: usize| -> Result<Option<HostAddr>, &'static str> {
        match parts.get(i).filter(|p| !p.is_empty()) {
            None => Ok(None),
            Some(p) => client_addr(p).map(Some),
        }
    };
    Ok(Member {
        id,
        quorum,
        role: role.unwrap_or(Role::Participant),
        client: client_part(1)?,
        secure_client: client_part(2)?,
    })
}

/// `[host:]port`; a port alone means every address.
fn client_addr(s: &str) -> Result<HostAddr, &'static str> {
    let fields = host_and_ports(s)?;
    let (host, port) = match fields.as_slice() {
        [port] => ("0.0.0.0".to_string(), port_arg(port)?),
        [host, port] => (host_arg(host)?, port_arg(port)?),
        _ => return Err("a client address is [host:]port"),
    };
    Ok(HostAddr { host, port })
}

/// Splits at ':' after an optional bracketed IPv6 host, which comes back without its
/// brackets.
fn host_and_ports(s: &str) -> Result<Vec<&str>, &'static str> {
    let Some(rest) = s.strip_prefix('[') else {
        return Ok(s.split(':').collect());
    };
    let (host, after) = rest.split_once(']').ok_or("'[' without ']'")?;
    let after = after.strip_prefix(':').ok_or("no port after ']'")?;
    let mut out = vec![host];
    out.extend(after.split(':'));
    Ok(out)
}

fn host_arg(h: &str) -> Result<String, &'static str> {
    let h = h.trim();
    if h.is_empty()
        || h.chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',')
    {
        return Err("bad host");
    }
    Ok(h.to_string())
}

fn port_arg(p: &str) -> Result<u16, &'static str> {
    match p.trim().parse::<u16>() {
        Ok(0) | Err(_) => Err("bad port"),
        Ok(port) => Ok(port),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(host: &str, port: u16) -> HostAddr {
        HostAddr {
            host: host.into(),
            port,
        }
    }

    #[test]
    fn parses_what_a_server_writes() {
        // A 3.8 server's getConfig answer: every member with its client address, by id.
        let text = "server.1=127.0.0.1:33001:33002:participant;127.0.0.1:2181\n\
                    server.2=127.0.0.1:33003:33004:participant;0.0.0.0:2182\n\
                    server.3=127.0.0.1:33005:33006:observer;2183\n\
                    version=100000003";
        let cfg = EnsembleConfig::parse(text.as_bytes()).unwrap();
        assert_eq!(cfg.version, Some(0x1_0000_0003));
        assert_eq!(cfg.members.len(), 3);
        let m1 = cfg.member(1).unwrap();
        assert_eq!(m1.role, Role::Participant);
        assert_eq!(
            m1.quorum,
            vec![QuorumAddr {
                host: "127.0.0.1".into(),
                quorum_port: 33001,
                election_port: 33002
            }]
        );
        assert_eq!(m1.client, Some(addr("127.0.0.1", 2181)));
        assert_eq!(cfg.member(3).unwrap().role, Role::Observer);
        assert_eq!(cfg.member(3).unwrap().client, Some(addr("0.0.0.0", 2183)));
        // Wildcard client hosts become the quorum host; observers are members too.
        assert_eq!(
            cfg.connect_string(),
            "127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183"
        );
    }

    #[test]
    fn the_documented_forms() {
        let text = "server.5 = 125.23.63.23:1234:1235;1236\n\
                    server.6=125.23.63.23:1234:1235:participant;125.23.63.24:1236;1237\n\
                    server.7=h1:2888:3888:observer|h2:2889:3889:observer;h1:2188\n\
                    server.8=[2001:db8::1]:2888:3888;[2001:db8::1]:2181\n\
                    server.9=h9:1:2;;h9:2281\n\
                    server.10=h10:1:2\n";
        let cfg = EnsembleConfig::parse(text.as_bytes()).unwrap();
        assert_eq!(cfg.version, None);
        let m = |id| cfg.member(id).unwrap();
        assert_eq!(m(5).client_addr(), Some(addr("125.23.63.23", 1236)));
        assert_eq!(m(6).client, Some(addr("125.23.63.24", 1236)));
        assert_eq!(m(6).secure_client, Some(addr("0.0.0.0", 1237)));
        assert_eq!(m(7).quorum.len(), 2);
        assert_eq!(m(7).quorum[1].host, "h2");
        assert_eq!(m(7).role, Role::Observer);
        assert_eq!(m(8).quorum[0].host, "2001:db8::1");
        assert_eq!(
            m(8).client_addr().unwrap().to_string(),
            "[2001:db8::1]:2181"
        );
        assert_eq!(m(9).client, None);
        assert_eq!(m(9).secure_client, Some(addr("h9", 2281)));
        assert_eq!(
            cfg.secure_client_addrs(),
            vec![addr("125.23.63.23", 1237), addr("h9", 2281)]
        );
        assert_eq!(m(10).client_addr(), None);
        // Only members with a client port make the connect string.
        assert_eq!(
            cfg.connect_string(),
            "125.23.63.23:1236,125.23.63.24:1236,h1:2188,[2001:db8::1]:2181"
        );
    }

    #[test]
    fn an_ipv6_wildcard_becomes_the_quorum_host() {
        let cfg = EnsembleConfig::parse(b"server.1=[::1]:1:2;[::]:2181").unwrap();
        assert_eq!(cfg.connect_string(), "[::1]:2181");
    }

    #[test]
    fn empty_text_comments_and_other_keys_are_no_members() {
        assert_eq!(
            EnsembleConfig::parse(b"").unwrap(),
            EnsembleConfig::default()
        );
        let text = "# a comment\r\n\r\ngroup.1=1:2\r\nweight.1=1\r\nversion=0\r\n";
        let cfg = EnsembleConfig::parse(text.as_bytes()).unwrap();
        assert!(cfg.members.is_empty());
        assert_eq!(cfg.version, Some(0));
        assert_eq!(cfg.connect_string(), "");
    }

    #[test]
    fn bad_text_says_which_line() {
        for (text, line, why) in [
            ("server.1=h:1:2\nnonsense", 2, "no '=' in the line"),
            ("server.x=h:1:2", 1, "bad server id"),
            ("server.1=h:1:2\nserver.1=h:3:4", 2, "server id given twice"),
            (
                "server.1=h:1",
                1,
                "a server address is host:port:port[:role]",
            ),
            ("server.1=h:1:2:boss", 1, "unknown role"),
            ("server.1=h:1:99999", 1, "bad port"),
            ("server.1=h:1:2;h:0", 1, "bad port"),
            ("server.1=h:1:2;a:b:3", 1, "a client address is [host:]port"),
            (
                "server.1=h:1:2;3;4;5",
                1,
                "more than three ';' parts in a server spec",
            ),
            ("server.1=[::1:1:2", 1, "'[' without ']'"),
            ("server.1=:1:2", 1, "bad host"),
            (
                "server.1=a:1:2:observer|b:3:4:participant",
                1,
                "the addresses of a server name different roles",
            ),
            ("version=xyz", 1, "bad version"),
        ] {
            assert_eq!(
                EnsembleConfig::parse(text.as_bytes()),
                Err(ConfigError { line, why }),
                "{text:?}"
            );
        }
        assert_eq!(EnsembleConfig::parse(b"\xff").unwrap_err().why, "not UTF-8");
    }
}
