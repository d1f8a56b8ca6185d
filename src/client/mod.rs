//! The public blocking Rust API. `Client` is `Send + Sync`: any number of threads share one
//! client and their calls are pipelined on its one connection. This layer checks arguments,
//! applies the chroot, builds records, and decodes replies; the session does all I/O. It
//! knows nothing of C.

pub mod acl;
pub mod async_ops;
mod follow;
pub mod multi;
mod ops;
pub mod options;
mod reconfig;

use std::borrow::Cow;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::proto::consts::OpCode;
use crate::proto::path::validate_path;
use crate::proto::wire::{Decode, Encode};
use crate::session::{
    ConnectString, Reply, Session, SessionConfig, TlsConfig, WatchKind, WatchRequest, Watcher,
    WeakSession,
};

use ops::{count_from, created_from, decode_body, ephemerals_from, identities_from, CreateReq};

pub use crate::proto::config::{ConfigError, EnsembleConfig, HostAddr, Member, QuorumAddr, Role};
pub use crate::proto::consts::{EventType, WatcherType};
pub use crate::proto::{Acl, ClientInfo, Id, Stat};
pub use crate::session::{
    ClientId, KeeperState, ListenerFn, PersistentFn, RetryPolicy, Sasl, State, TlsOptions, WatchFn,
    WatchedEvent,
};
pub(crate) use ops::create_mode;

pub use crate::session::{LogFn, LogLevel};
pub use options::{CreateOptions, Options, DEFAULT_MAX_FRAME, DEFAULT_OPERATION_TIMEOUT};
pub use reconfig::{Reconfig, CONFIG_NODE};

/// A ZooKeeper client. Create it, `start` it, share it between threads, `stop` it.
pub struct Client {
    session: Session,
    default_acl: Vec<Acl>,
    command_retry: RetryPolicy,
    operation_timeout: Duration,
}

/// Why `start` failed: the code, and why connecting failed when it was tried
/// (`Client::connect_error`). Displays as "timed out (-1007): no server could be reached:
/// 127.0.0.1:2181: connection refused".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectError {
    pub code: Error,
    pub reason: Option<String>,
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.reason {
            Some(r) => write!(f, "{}: {r}", self.code),
            None => write!(f, "{}", self.code),
        }
    }
}

impl std::error::Error for ConnectError {}

impl From<ConnectError> for Error {
    fn from(e: ConnectError) -> Error {
        e.code
    }
}

/// A client that does not keep its session alive (`Client::downgrade`). A `Client` made
/// from it by `upgrade` closes nothing when dropped: the session belongs to the original.
struct WeakClient {
    session: WeakSession,
    default_acl: Vec<Acl>,
    command_retry: RetryPolicy,
    operation_timeout: Duration,
}

impl WeakClient {
    fn upgrade(&self) -> Option<Client> {
        Some(Client {
            session: self.session.upgrade()?,
            default_acl: self.default_acl.clone(),
            command_retry: self.command_retry,
            operation_timeout: self.operation_timeout,
        })
    }
}

/// Result of `create`: the path the server made (sequence suffix included, chroot
/// stripped) and, when asked for, the node's Stat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub path: String,
    pub stat: Option<Stat>,
}

/// Checks a node path as the server will (absolute, no empty or relative segments, no
/// forbidden characters) without sending anything: `InvalidPath` when it would be refused.
pub fn check_path(path: &str) -> Result<()> {
    validate_path(path, false).map_err(|_| Error::InvalidPath)
}

impl Client {
    /// A client in state CLOSED; nothing is connected until `start`.
    pub fn new(opts: Options) -> Result<Client> {
        Client::with_options(&opts)
    }

    /// `new`, from borrowed options: only what the client keeps is copied.
    pub fn with_options(opts: &Options) -> Result<Client> {
        opts.validate()?;
        let connect = ConnectString::parse(&opts.hosts)?;
        let (sasl, auth) = opts.sasl_and_auth()?;
        let tls = match opts
            .tls
            .as_ref()
            .map(TlsConfig::build_explained)
            .transpose()
        {
            Ok(t) => t,
            Err((e, why)) => {
                if let Some((log, _)) = &opts.logger {
                    log(LogLevel::Error, &format!("TLS settings refused: {why}"));
                }
                return Err(e);
            }
        };
        let session = Session::new(SessionConfig {
            connect,
            session_timeout: opts.session_timeout,
            client_id: opts.client_id,
            auth,
            sasl,
            read_only: opts.read_only,
            randomize_hosts: opts.randomize_hosts,
            connection_retry: opts.connection_retry,
            max_frame: opts.max_frame,
            expiry_final: opts.expiry_final,
            logger: opts.logger.clone(),
            tls,
        })?;
        let default_acl = if opts.default_acl.is_empty() {
            acl::open_acl_unsafe()
        } else {
            opts.default_acl.clone()
        };
        let client = Client {
            session,
            default_acl,
            command_retry: opts.command_retry,
            operation_timeout: opts.operation_timeout,
        };
        if opts.follow_ensemble {
            follow::start(&client, opts.tls.is_some());
        }
        Ok(client)
    }

    /// A handle that does not keep the client alive, for helpers that live in the client's
    /// own callbacks (the ensemble follower).
    fn downgrade(&self) -> WeakClient {
        WeakClient {
            session: self.session.downgrade(),
            default_acl: self.default_acl.clone(),
            command_retry: self.command_retry,
            operation_timeout: self.operation_timeout,
        }
    }

    // ----- lifecycle -------------------------------------------------------------------

    /// Connects and waits up to `timeout` (zero: the operation timeout) for a session. On
    /// timeout the client is stopped
    /// again and `TimedOut` returned (kazoo's behaviour). The error says why connecting
    /// failed, as `connect_error` does.
    pub fn start(&self, timeout: Duration) -> std::result::Result<(), ConnectError> {
        self.start_once(timeout).map_err(|code| ConnectError {
            code,
            reason: self.connect_error(),
        })
    }

    fn start_once(&self, timeout: Duration) -> Result<()> {
        let timeout = if timeout.is_zero() {
            self.operation_timeout
        } else {
            timeout
        };
        self.session.start()?;
        match self.session.wait_connected(Instant::now() + timeout) {
            Ok(()) => Ok(()),
            Err(Error::TimedOut) => {
                let _ = self.session.stop();
                Err(Error::TimedOut)
            }
            Err(e) => Err(e),
        }
    }

    /// Starts connecting and returns at once, as the official C client's `zookeeper_init`
    /// does: the state listeners hear when a session is made. Requests made meanwhile wait
    /// for the connection until their own deadline.
    pub fn start_background(&self) -> Result<()> {
        self.session.start()
    }

    /// Why connecting failed: the last failure of each address tried since the last
    /// session was established or `start` was called, as "ADDRESS: REASON; ..." (led by
    /// "no server could be reached: " when no server answered at all); None when nothing
    /// failed. For example "127.0.0.1:2181: connection refused", or "10.0.0.5:2281: TLS
    /// handshake failed: invalid peer certificate: UnknownIssuer".
    pub fn connect_error(&self) -> Option<String> {
        self.session.connect_error()
    }

    /// Ends the session (closeSession: ephemerals go at once) and the connection. Every
    /// watch gets a terminal event. The client can be started again.
    pub fn stop(&self) -> Result<()> {
        self.session.stop()
    }

    /// `stop` then `start`.
    pub fn restart(&self, timeout: Duration) -> std::result::Result<(), ConnectError> {
        self.stop()
            .map_err(|code| ConnectError { code, reason: None })?;
        self.start(timeout)
    }

    /// Stops, then ends the event thread after every queued callback has run. Also done by
    /// drop. Safe to call from a callback.
    pub fn close(&self) {
        self.session.close();
    }

    // ----- state -----------------------------------------------------------------------

    pub fn state(&self) -> State {
        self.session.state()
    }

    pub fn keeper_state(&self) -> KeeperState {
        self.session.keeper_state()
    }

    pub fn connected(&self) -> bool {
        self.keeper_state().is_connected()
    }

    /// The session id and password while connected, to resume the session elsewhere.
    pub fn client_id(&self) -> Option<ClientId> {
        self.session.client_id()
    }

    /// The address of the server of the current connection, if connected.
    pub fn current_server(&self) -> Option<std::net::SocketAddr> {
        self.session.current_server().map(|(addr, _)| addr)
    }

    pub fn negotiated_timeout(&self) -> Duration {
        self.session.negotiated_timeout()
    }

    pub fn last_zxid(&self) -> i64 {
        self.session.last_zxid()
    }

    /// The timeout of a call that names none (`Options::operation_timeout`).
    pub fn operation_timeout(&self) -> Duration {
        self.operation_timeout
    }

    /// A second handle on this client's session that does not own it: dropping it closes
    /// nothing, and once the owner is closed or dropped its calls fail with `Closed`. For
    /// what must outlive a borrow of the client (the recipes keep one), so that nothing
    /// can use a client after it is gone.
    pub fn non_owning(&self) -> Client {
        // The weak handle was made from this live session a moment ago.
        self.downgrade()
            .upgrade()
            .expect("a session outlives its own downgrade")
    }

    /// Number of one-shot watch registrations the client holds.
    pub fn watch_count(&self) -> usize {
        self.session.watch_count()
    }

    /// The host list in use, as a connect string without the chroot ("h1:p1,h2:p2"): the
    /// options' hosts, or those of the last `set_hosts` (the ensemble follower's too).
    pub fn hosts(&self) -> String {
        let hosts: Vec<String> = self.session.hosts().iter().map(|h| h.to_string()).collect();
        hosts.join(",")
    }

    /// Replaces the host list (same connect-string syntax; the chroot must not change).
    /// Names are resolved on the next pass; if the current server left the list the
    /// client reconnects to the new ones now, keeping its session.
    pub fn set_hosts(&self, hosts: &str) -> Result<()> {
        self.session.set_hosts(ConnectString::parse(hosts)?)
    }

    /// Adds a listener, called on the event thread on every change of the detailed state.
    pub fn add_listener(&self, f: ListenerFn) -> u64 {
        self.session.add_listener(f)
    }

    /// Removes a listener; false if the id is unknown. It is dropped once no call of it is
    /// running.
    pub fn remove_listener(&self, id: u64) -> bool {
        self.session.remove_listener(id)
    }

    /// Runs `f` on the event thread, after everything queued before it.
    pub fn defer(&self, f: Box<dyn FnOnce() + Send + 'static>) {
        self.session.defer(f);
    }

    // ----- helpers ---------------------------------------------------------------------

    fn deadline(&self, timeout: Option<Duration>) -> Instant {
        Instant::now() + timeout.unwrap_or(self.operation_timeout)
    }

    /// Checks a user path and turns it into the server's path (chroot prefixed).
    /// The path the server knows: borrowed unless there is a chroot to put in front.
    fn server_path<'p>(&'p self, path: &'p str, sequential: bool) -> Result<Cow<'p, str>> {
        validate_path(path, sequential).map_err(|_| Error::InvalidPath)?;
        Ok(self.session.chroot().prefix(path))
    }

    fn check_data(&self, data: &[u8]) -> Result<()> {
        if data.len() > self.session.max_frame() {
            return Err(Error::TooLarge);
        }
        Ok(())
    }

    fn decode<T: Decode>(&self, rep: &Reply) -> Result<T> {
        decode_body(rep, self.session.max_frame())
    }

    /// One request; `Ok` only when the server said OK.
    fn request(
        &self,
        op: OpCode,
        body: &dyn Encode,
        server_path: Option<&str>,
        watch: &mut Option<WatchRequest>,
        deadline: Instant,
    ) -> Result<Reply> {
        let rep = self
            .session
            .call(op, Some(body), server_path, watch, deadline)?;
        if rep.err != 0 {
            return Err(Error::from_code(rep.err));
        }
        Ok(rep)
    }

    /// Runs an idempotent call under the command retry policy, within `deadline`.
    fn retrying<T>(&self, deadline: Instant, mut f: impl FnMut() -> Result<T>) -> Result<T> {
        let mut backoff = self.command_retry.start_seeded();
        loop {
            match f() {
                Err(e) if e.is_retryable() => match backoff.next_delay() {
                    Some(d) if Instant::now() + d < deadline => std::thread::sleep(d),
                    _ => return Err(e),
                },
                other => return other,
            }
        }
    }

    fn watch_request(
        f: Option<WatchFn>,
        kind: WatchKind,
        on_nonode: Option<WatchKind>,
    ) -> Option<WatchRequest> {
        f.map(|f| WatchRequest {
            kind,
            kind_on_nonode: on_nonode,
            f: Watcher::Once(f),
        })
    }
}
