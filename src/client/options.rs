//! Everything kazoo's `KazooClient(...)` constructor takes, plus the limits a C user needs,
//! their defaults, and the one place they are checked (`Options::validate`).

use std::ops::RangeInclusive;
use std::time::Duration;

use super::{Acl, ClientId, LogFn, LogLevel, RetryPolicy, Sasl, TlsOptions};
use crate::error::{Error, Result};
use crate::session::ConnectString;

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
    /// `(scheme, credential)` pairs sent after every connect, before any request. kazoo's
    /// legacy form `("sasl", "user:password")` is no credential: it means `sasl` DIGEST-MD5
    /// with that user and password.
    pub auth: Vec<(String, Vec<u8>)>,
    /// SASL authentication on every connection, before anything else (the credentials of
    /// `auth` included): `Sasl::digest_md5("bob", "pw")`. A refusal is AUTH_FAILED, final.
    pub sasl: Option<Sasl>,
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
    /// Deadline of a call that gives none, and how long `Client::start` waits when given
    /// zero.
    pub operation_timeout: Duration,
    /// The servers' `jute.maxbuffer`: the largest request sent (a larger one is TooLarge
    /// before anything is sent; the server would drop the connection). Replies may be 1 KiB
    /// larger: a node's data, which the server took in a request, plus a header and a Stat.
    pub max_frame: usize,
    /// After an expiry, stay expired instead of making a new session.
    pub expiry_final: bool,
    /// Logger and the most detailed level it wants. None = silent.
    pub logger: Option<(LogFn, LogLevel)>,
    /// TLS to the servers' secure client port (the hosts must name that port).
    pub tls: Option<TlsOptions>,
    /// Follow the ensemble: watch `/zookeeper/config` and, when a reconfig changes the
    /// members, move the host list to their client addresses, keeping the session and its
    /// watches (Curator's ensemble tracker). With `tls`, the members' secure client
    /// addresses are used, which only configs of ZooKeeper 3.10+ name; without them the
    /// host list is kept.
    pub follow_ensemble: bool,
}

/// Default frame limit: ZooKeeper's default jute.maxbuffer (0xfffff), so a request a
/// default server would refuse fails with TooLarge here, and the largest node it accepts
/// can always be read.
pub const DEFAULT_MAX_FRAME: usize = crate::proto::consts::DEFAULT_MAX_FRAME;

/// The frame limits `validate` accepts: a request header and a path at least, and no more
/// than a gigabyte.
pub const MAX_FRAME_RANGE: RangeInclusive<usize> = 1024..=(1 << 30);

/// No request carries more bytes than the largest frame limit: the most a caller's data
/// or credential may claim, refused with TooLarge before a byte of it is read (C passes
/// a pointer and a length, and a wrong length must not walk off the buffer).
pub const MAX_REQUEST_BYTES: usize = *MAX_FRAME_RANGE.end();

/// An ACL entry encodes to at least 12 bytes (its perms and two string lengths), so no
/// request carries more entries than this; a longer list is refused with TooLarge before
/// an entry is read.
pub const MAX_ACL_ENTRIES: usize = MAX_REQUEST_BYTES / 12;

/// The session timeouts `validate` accepts (the server clamps a request to its own range,
/// by default 2 to 20 ticks).
pub const SESSION_TIMEOUT_RANGE: RangeInclusive<Duration> =
    Duration::from_millis(1)..=Duration::from_secs(3600);

/// Deadline of every call that gives none, and of `start` given zero: kazoo's default
/// `timeout` of 10 s.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(10);

impl Options {
    pub fn new(hosts: impl Into<String>) -> Options {
        Options {
            hosts: hosts.into(),
            session_timeout: Duration::from_secs(10),
            client_id: None,
            default_acl: Vec::new(),
            auth: Vec::new(),
            sasl: None,
            read_only: false,
            randomize_hosts: true,
            connection_retry: RetryPolicy::connection_default(),
            command_retry: RetryPolicy::command_default(),
            operation_timeout: DEFAULT_OPERATION_TIMEOUT,
            max_frame: DEFAULT_MAX_FRAME,
            expiry_final: false,
            logger: None,
            tls: None,
            follow_ensemble: false,
        }
    }
}

impl Options {
    /// Checks every setting a client would refuse, before anything connects: the connect
    /// string, the session timeout range, the retry policies, the operation timeout and
    /// frame limit, the default ACL, the credentials (a digest one is "user:password"), the
    /// SASL setting (`check_sasl`; one at most, legacy form included) and the TLS pairs (a
    /// certificate and its key come together; checking the host name needs checking the
    /// certificate). TLS files are read later, by the client.
    pub fn validate(&self) -> Result<()> {
        ConnectString::parse(&self.hosts)?;
        let bad = !SESSION_TIMEOUT_RANGE.contains(&self.session_timeout)
            || self.operation_timeout.is_zero()
            || !MAX_FRAME_RANGE.contains(&self.max_frame);
        if bad {
            return Err(Error::InvalidArgument);
        }
        self.connection_retry.validate()?;
        self.command_retry.validate()?;
        for a in &self.default_acl {
            super::acl::check(a)?;
        }
        for (scheme, cred) in &self.auth {
            check_auth(scheme, cred, self.max_frame)?;
        }
        self.sasl_and_auth()?;
        if let Some(t) = &self.tls {
            if t.cert_file.is_some() != t.key_file.is_some()
                || (t.check_hostname && !t.verify_certs)
            {
                return Err(Error::InvalidArgument);
            }
        }
        Ok(())
    }

    /// Adds a credential sent after every connect, checked (`check_auth`) before a byte of
    /// it is copied.
    pub fn add_auth(&mut self, scheme: &str, cred: &[u8]) -> Result<()> {
        check_auth(scheme, cred, self.max_frame)?;
        self.auth.push((scheme.to_string(), cred.to_vec()));
        Ok(())
    }
}

impl Options {
    /// The SASL mechanism and the credentials to send, with kazoo's legacy form resolved:
    /// a `("sasl", "user:password")` credential is DIGEST-MD5 for that user (split at the
    /// first ':', so the password may hold more) and is not sent as a credential, which
    /// the server would refuse. One SASL setting at most, in either form.
    pub(crate) fn sasl_and_auth(&self) -> Result<(Option<Sasl>, Credentials)> {
        let mut sasl = self.sasl.clone();
        let mut auth = Vec::with_capacity(self.auth.len());
        for (scheme, cred) in &self.auth {
            if scheme != LEGACY_SASL_SCHEME {
                auth.push((scheme.clone(), cred.clone()));
                continue;
            }
            if sasl.is_some() {
                return Err(Error::InvalidArgument);
            }
            let text = std::str::from_utf8(cred).map_err(|_| Error::InvalidUtf8)?;
            let (user, password) = text.split_once(':').ok_or(Error::InvalidArgument)?;
            sasl = Some(Sasl::digest_md5(user, password));
        }
        if let Some(s) = &sasl {
            check_sasl(s)?;
        }
        Ok((sasl, auth))
    }
}

/// `(scheme, credential)` pairs, as `Options::auth` holds them.
pub(crate) type Credentials = Vec<(String, Vec<u8>)>;

/// The scheme of kazoo's legacy SASL credential, `("sasl", "user:password")`.
pub const LEGACY_SASL_SCHEME: &str = "sasl";

/// The longest SASL user name or authorization id, in bytes: with the server's realm and
/// nonce they must fit the 4096 bytes RFC 2831 allows a response.
pub const MAX_SASL_NAME: usize = 512;

/// A SASL setting the mechanism can use: DIGEST-MD5 needs a user name (1 to
/// `MAX_SASL_NAME` bytes), an authorization id that is absent or 1 to `MAX_SASL_NAME`
/// bytes, and no NUL in any of them or in the password (C could not pass it, and Java's
/// server would compare it differently).
pub fn check_sasl(sasl: &Sasl) -> Result<()> {
    match sasl {
        Sasl::DigestMd5 {
            username,
            password,
            authzid,
        } => {
            let name_ok = |n: &str| (1..=MAX_SASL_NAME).contains(&n.len()) && !n.contains('\0');
            if !name_ok(username)
                || password.contains('\0')
                || authzid.as_deref().is_some_and(|z| !name_ok(z))
            {
                return Err(Error::InvalidArgument);
            }
        }
    }
    Ok(())
}

/// A credential the server can take: no longer than the frame limit (checked first, so a
/// C caller's wrong length is refused before anything behind the pointer is read), a
/// scheme, and for "digest" (and kazoo's legacy "sasl") a "user:password" whose user has
/// no ':' (ZooKeeper splits at the first one).
pub fn check_auth(scheme: &str, cred: &[u8], max_frame: usize) -> Result<()> {
    if cred.len() > max_frame {
        return Err(Error::TooLarge);
    }
    if scheme.is_empty() || scheme.contains('\0') {
        return Err(Error::InvalidArgument);
    }
    if (scheme == "digest" || scheme == LEGACY_SASL_SCHEME) && !cred.contains(&b':') {
        return Err(Error::InvalidArgument);
    }
    Ok(())
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
            .field("follow_ensemble", &self.follow_ensemble)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(f: impl FnOnce(&mut Options)) -> bool {
        let mut o = Options::default();
        f(&mut o);
        o.validate() == Err(Error::InvalidArgument)
    }

    #[test]
    fn the_defaults_are_valid() {
        assert_eq!(Options::default().validate(), Ok(()));
        assert_eq!(
            Options::default().operation_timeout,
            DEFAULT_OPERATION_TIMEOUT
        );
    }

    #[test]
    fn validate_refuses_each_bad_setting() {
        assert!(refused(|o| o.hosts = "h:notaport".into()));
        assert!(refused(|o| o.session_timeout = Duration::ZERO));
        assert!(refused(|o| o.session_timeout = Duration::from_secs(3601)));
        assert!(refused(|o| o.operation_timeout = Duration::ZERO));
        assert!(refused(|o| o.max_frame = 1023));
        assert!(refused(|o| o.max_frame = (1 << 30) + 1));
        assert!(refused(|o| o.connection_retry.backoff = 0.5));
        assert!(refused(|o| o.command_retry.max_jitter = 1.0));
        assert!(refused(|o| o.auth.push((String::new(), b"x".to_vec()))));
        let mut o = Options::default();
        let big = vec![b':'; o.max_frame + 1];
        assert!(matches!(o.add_auth("digest", &big), Err(Error::TooLarge)));
        assert!(matches!(
            o.add_auth("digest", b"nocolon"),
            Err(Error::InvalidArgument)
        ));
        assert!(o.auth.is_empty());
        o.add_auth("digest", b"u:p").unwrap();
        assert_eq!(o.auth, vec![("digest".to_string(), b"u:p".to_vec())]);
        assert!(refused(|o| o
            .auth
            .push(("digest".into(), b"nocolon".to_vec()))));
        let tls = |cert: bool, key: bool, verify: bool, host: bool| TlsOptions {
            ca_file: None,
            cert_file: cert.then(|| "c.pem".into()),
            key_file: key.then(|| "k.pem".into()),
            verify_certs: verify,
            check_hostname: host,
        };
        assert!(refused(|o| o.tls = Some(tls(true, false, true, true))));
        assert!(refused(|o| o.tls = Some(tls(false, true, true, true))));
        assert!(refused(|o| o.tls = Some(tls(false, false, false, true))));
        assert!(!refused(|o| o.tls = Some(tls(true, true, true, true))));
        assert!(!refused(|o| o.tls = Some(tls(false, false, false, false))));
        assert!(!refused(|o| o
            .auth
            .push(("digest".into(), b"u:p".to_vec()))));
        assert!(!refused(|o| o.session_timeout = Duration::from_secs(3600)));
    }

    #[test]
    fn kazoos_legacy_sasl_credential_becomes_the_sasl_setting() {
        let mut o = Options::default();
        o.add_auth("digest", b"u:p").unwrap();
        o.add_auth("sasl", b"bob:p:w").unwrap();
        assert_eq!(
            o.sasl_and_auth(),
            Ok((
                Some(Sasl::digest_md5("bob", "p:w")),
                vec![("digest".to_string(), b"u:p".to_vec())]
            ))
        );
        assert_eq!(o.add_auth("sasl", b"nocolon"), Err(Error::InvalidArgument));
        // One SASL setting: a second one, in either form, is refused.
        assert!(refused(|o| {
            o.auth.push(("sasl".into(), b"a:b".to_vec()));
            o.auth.push(("sasl".into(), b"c:d".to_vec()));
        }));
        assert!(refused(|o| {
            o.sasl = Some(Sasl::digest_md5("a", "b"));
            o.auth.push(("sasl".into(), b"c:d".to_vec()));
        }));
        assert_eq!(
            Options {
                auth: vec![("sasl".into(), b"\xff:d".to_vec())],
                ..Options::default()
            }
            .validate(),
            Err(Error::InvalidUtf8)
        );
    }

    #[test]
    fn validate_refuses_sasl_settings_the_mechanism_cannot_use() {
        let digest = |u: &str, p: &str, z: Option<&str>| Sasl::DigestMd5 {
            username: u.into(),
            password: p.into(),
            authzid: z.map(Into::into),
        };
        let name = "n".repeat(MAX_SASL_NAME);
        for bad in [
            digest("", "pw", None),
            digest("b\0b", "pw", None),
            digest("bob", "p\0w", None),
            digest(&format!("{name}n"), "pw", None),
            digest("bob", "pw", Some("")),
            digest("bob", "pw", Some(&format!("{name}n"))),
            digest("bob", "pw", Some("a\0")),
        ] {
            assert!(refused(|o| o.sasl = Some(bad.clone())), "{bad:?}");
        }
        for good in [
            digest(&name, "", None),
            digest("bob", "p\u{e4}ss", Some(&name)),
        ] {
            assert!(!refused(|o| o.sasl = Some(good.clone())), "{good:?}");
        }
    }

    #[test]
    fn a_bad_default_acl_is_invalid_acl() {
        let mut o = Options::default();
        o.default_acl
            .push(crate::client::acl::make_acl(32, "world", "anyone"));
        assert_eq!(o.validate(), Err(Error::InvalidAcl));
    }
}
