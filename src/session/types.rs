//! The session's public records: its id, its configuration, its SASL mechanism, the
//! logger, a reply and a watch to register with a request.

use std::sync::Arc;
use std::time::Duration;

use super::hosts::ConnectString;
use super::retry::RetryPolicy;
use super::tls;
use super::watches::{WatchKind, Watcher};

/// A session id and its password: what resumes a session on another connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientId {
    pub session_id: i64,
    pub passwd: [u8; 16],
}

/// SASL authentication: run on every connection right after the handshake, before any
/// other request (the credentials of `auth` included); a refusal is AUTH_FAILED, for good.
/// One variant per mechanism, so others (GSSAPI) can join.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sasl {
    /// DIGEST-MD5 (RFC 2831) against a server with a JAAS `DigestLoginModule`. The
    /// identity the server then sees is `sasl:<username>`; ZooKeeper's servers accept an
    /// `authzid` but name the connection after the user all the same.
    DigestMd5 {
        username: String,
        password: String,
        authzid: Option<String>,
    },
}

impl Sasl {
    /// DIGEST-MD5 with this user and password, and no authorization id.
    pub fn digest_md5(username: impl Into<String>, password: impl Into<String>) -> Sasl {
        Sasl::DigestMd5 {
            username: username.into(),
            password: password.into(),
            authzid: None,
        }
    }

    /// The mechanism's SASL name.
    pub fn mechanism(&self) -> &'static str {
        match self {
            Sasl::DigestMd5 { .. } => "DIGEST-MD5",
        }
    }
}

impl std::fmt::Debug for Sasl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // Never the password.
            Sasl::DigestMd5 {
                username, authzid, ..
            } => f
                .debug_struct("DigestMd5")
                .field("username", username)
                .field("authzid", authzid)
                .finish_non_exhaustive(),
        }
    }
}

/// Log levels of the logger callback.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
}

/// The logger: called on whichever library thread has something to say. It must not call
/// back into the client.
pub type LogFn = Arc<dyn Fn(LogLevel, &str) + Send + Sync + 'static>;

/// Everything a session needs to know, fixed at creation except the host list.
#[derive(Clone)]
pub struct SessionConfig {
    pub connect: ConnectString,
    pub session_timeout: Duration,
    pub client_id: Option<ClientId>,
    pub auth: Vec<(String, Vec<u8>)>,
    /// SASL authentication run on every connection, before the credentials above.
    pub sasl: Option<Sasl>,
    pub read_only: bool,
    pub randomize_hosts: bool,
    pub connection_retry: RetryPolicy,
    /// Largest request sent (the servers' jute.maxbuffer); replies may be `REPLY_ROOM`
    /// larger.
    pub max_frame: usize,
    /// After an expiry, stay expired instead of starting a new session.
    pub expiry_final: bool,
    pub logger: Option<(LogFn, LogLevel)>,
    /// TLS to the servers' secure client port, when set.
    pub tls: Option<tls::TlsConfig>,
}

/// A reply as the I/O thread hands it to a caller: the header's error, and the frame with
/// the body still encoded (the caller decodes it on its own thread).
#[derive(Debug)]
pub struct Reply {
    pub err: i32,
    pub(super) frame: Vec<u8>,
    pub(super) body_at: usize,
}

impl Reply {
    pub fn body(&self) -> &[u8] {
        &self.frame[self.body_at..]
    }

    /// `body()[range]` as a Vec made of the reply's own allocation: the bytes move to the
    /// front, nothing is allocated or copied elsewhere.
    pub fn into_bytes(mut self, range: std::ops::Range<usize>) -> Vec<u8> {
        let (start, end) = (self.body_at + range.start, self.body_at + range.end);
        self.frame.copy_within(start..end, 0);
        self.frame.truncate(end - start);
        self.frame
    }
}

/// A watch the caller wants registered if (and only if) the reply says the call worked.
pub struct WatchRequest {
    /// Kind to register on success.
    pub kind: WatchKind,
    /// Kind to register when the reply is NONODE (an exists() on a missing node), if any.
    pub kind_on_nonode: Option<WatchKind>,
    pub f: Watcher,
}
