//! Everything kazoo's `KazooClient(...)` constructor takes, plus the limits a C user needs.

use std::time::Duration;

use crate::proto::Acl;
use crate::session::retry::RetryPolicy;
use crate::session::tls::TlsOptions;
use crate::session::{ClientId, LogFn, LogLevel};

/// Client options. `Options::new(hosts)` gives kazoo's defaults.
#[derive(Clone)]
pub struct Options {
    /// `host[:port][,host[:port]...][/chroot]`; IPv6 in brackets; port 2181 by default.
    pub hosts: String,
    /// Requested session timeout; the server clamps it (the negotiated value is reported).
    pub session_timeout: Duration,
    /// Resume this session instead of starting a new one.
    pub client_id: Option<ClientId>,
    /// ACL used by create/ensure_path when the call gives none. Empty = world:anyone, all.
    pub default_acl: Vec<Acl>,
    /// `(scheme, credential)` pairs sent after every connect, before any request.
    pub auth: Vec<(String, Vec<u8>)>,
    /// Accept read-only servers (CONNECTED_RO) when no quorum is reachable.
    pub read_only: bool,
    /// Shuffle the resolved host list on every pass.
    pub randomize_hosts: bool,
    /// Back-off between passes over the host list; when it runs out the client is CLOSED.
    pub connection_retry: RetryPolicy,
    /// Retries of idempotent calls (reads and sync) after CONNECTIONLOSS or
    /// OPERATIONTIMEOUT, always within the call's own deadline. Writes are never retried
    /// automatically: a repeat could do twice what was asked once.
    pub command_retry: RetryPolicy,
    /// Deadline of a call that gives none.
    pub operation_timeout: Duration,
    /// Largest frame sent or accepted (ZooKeeper's jute.maxbuffer is 1 MiB - 1).
    pub max_frame: usize,
    /// After an expiry, stay expired instead of making a new session.
    pub expiry_final: bool,
    /// Logger and the most detailed level it wants. None = silent.
    pub logger: Option<(LogFn, LogLevel)>,
    /// TLS to the servers' secure client port (the hosts must name that port).
    pub tls: Option<TlsOptions>,
}

/// Default frame limit: ZooKeeper's default jute.maxbuffer (0xfffff) plus room for the
/// reply header and a Stat, so the largest node the server accepts can always be read.
pub const DEFAULT_MAX_FRAME: usize = crate::proto::consts::DEFAULT_MAX_FRAME + 1024;

impl Options {
    pub fn new(hosts: impl Into<String>) -> Options {
        Options {
            hosts: hosts.into(),
            session_timeout: Duration::from_secs(10),
            client_id: None,
            default_acl: Vec::new(),
            auth: Vec::new(),
            read_only: false,
            randomize_hosts: true,
            connection_retry: RetryPolicy::connection_default(),
            command_retry: RetryPolicy::command_default(),
            operation_timeout: Duration::from_secs(10),
            max_frame: DEFAULT_MAX_FRAME,
            expiry_final: false,
            logger: None,
            tls: None,
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options::new("127.0.0.1:2181")
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("hosts", &self.hosts)
            .field("session_timeout", &self.session_timeout)
            .field("read_only", &self.read_only)
            .field("randomize_hosts", &self.randomize_hosts)
            .finish_non_exhaustive()
    }
}

/// How to create a node (kazoo's `create` keywords, plus containers and TTLs).
#[derive(Debug, Clone, Default)]
pub struct CreateOptions<'a> {
    /// None = the client's default ACL.
    pub acl: Option<&'a [Acl]>,
    pub ephemeral: bool,
    pub sequence: bool,
    pub container: bool,
    /// Time to live of a persistent node (needs the server's extendedTypesEnabled).
    pub ttl: Option<Duration>,
    /// Create missing parents (with the same ACL) first.
    pub makepath: bool,
}
