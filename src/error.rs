//! The one result enum of the library, shared by the Rust API and the C ABI.
//!
//! ZooKeeper's own codes keep their wire numbers, so a code read off the wire or printed by a
//! server log means the same thing here. Client-side codes live at -1000 and below, a range
//! ZooKeeper has never used. `Ok` exists only for the C boundary (the header exports this
//! enum as `zk_result`); the Rust API never returns `Err(Error::Ok)`.

/// Result codes. In C: `zk_result`, constants `ZK_RESULT_<NAME>`.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Error {
    /// Success (C only).
    Ok = 0,
    /// ZooKeeper SYSTEMERROR.
    SystemError = -1,
    /// A multi op that did not run because another op of the same multi failed.
    RuntimeInconsistency = -2,
    DataInconsistency = -3,
    /// The connection to the server was lost while the request was in flight. The request
    /// may or may not have been applied.
    ConnectionLoss = -4,
    MarshallingError = -5,
    /// The server does not implement the operation (TTL nodes need extendedTypesEnabled).
    Unimplemented = -6,
    OperationTimeout = -7,
    BadArguments = -8,
    InvalidState = -9,
    UnknownSession = -12,
    NewConfigNoQuorum = -13,
    ReconfigInProgress = -14,
    ApiError = -100,
    NoNode = -101,
    NoAuth = -102,
    BadVersion = -103,
    NoChildrenForEphemerals = -108,
    NodeExists = -110,
    NotEmpty = -111,
    SessionExpired = -112,
    InvalidCallback = -113,
    InvalidAcl = -114,
    AuthFailed = -115,
    SessionMoved = -118,
    NotReadOnly = -119,
    EphemeralOnLocalSession = -120,
    NoWatcher = -121,
    RequestTimeout = -122,
    ReconfigDisabled = -123,
    SessionClosedRequireSaslAuth = -124,
    QuotaExceeded = -125,
    ThrottledOp = -127,

    /// A required pointer argument was NULL.
    NullArgument = -1001,
    /// An argument is out of range or a flag combination is not allowed.
    InvalidArgument = -1002,
    /// A path that the server would reject (checked before anything is sent).
    InvalidPath = -1003,
    /// A string argument is not valid UTF-8.
    InvalidUtf8 = -1004,
    /// Data or a reply larger than the frame limit.
    TooLarge = -1005,
    /// The client is closed, or not started.
    Closed = -1006,
    /// The call's own deadline passed before a reply came.
    TimedOut = -1007,
    /// A panic inside the library was caught at the C boundary.
    Panic = -1008,
    /// The connection retry policy ran out of tries without reaching any server.
    RetriesExhausted = -1009,
    /// Bytes from the network that are not valid ZooKeeper protocol.
    Protocol = -1010,
    /// A server answered something other than what was asked (four-letter words, versions).
    BadReply = -1011,
    /// TLS settings that cannot be used (unreadable or malformed PEM files, no CA).
    Tls = -1012,
    /// A recipe's wait (a lock's acquire, an election, ...) was called off by its cancel
    /// function from another thread.
    Cancelled = -1013,
    /// A recipe's node records a setting other than the caller's (a semaphore's max
    /// leases): the peers on that path would not agree.
    Mismatch = -1014,
}

/// Result alias used by the whole crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Every code, for tests and for the bindings' tables.
    pub const ALL: &'static [Error] = &[
        Error::Ok,
        Error::SystemError,
        Error::RuntimeInconsistency,
        Error::DataInconsistency,
        Error::ConnectionLoss,
        Error::MarshallingError,
        Error::Unimplemented,
        Error::OperationTimeout,
        Error::BadArguments,
        Error::InvalidState,
        Error::UnknownSession,
        Error::NewConfigNoQuorum,
        Error::ReconfigInProgress,
        Error::ApiError,
        Error::NoNode,
        Error::NoAuth,
        Error::BadVersion,
        Error::NoChildrenForEphemerals,
        Error::NodeExists,
        Error::NotEmpty,
        Error::SessionExpired,
        Error::InvalidCallback,
        Error::InvalidAcl,
        Error::AuthFailed,
        Error::SessionMoved,
        Error::NotReadOnly,
        Error::EphemeralOnLocalSession,
        Error::NoWatcher,
        Error::RequestTimeout,
        Error::ReconfigDisabled,
        Error::SessionClosedRequireSaslAuth,
        Error::QuotaExceeded,
        Error::ThrottledOp,
        Error::NullArgument,
        Error::InvalidArgument,
        Error::InvalidPath,
        Error::InvalidUtf8,
        Error::TooLarge,
        Error::Closed,
        Error::TimedOut,
        Error::Panic,
        Error::RetriesExhausted,
        Error::Protocol,
        Error::BadReply,
        Error::Tls,
        Error::Cancelled,
        Error::Mismatch,
    ];

    /// The code as its number (ZooKeeper's number for server codes).
    pub fn code(self) -> i32 {
        self as i32
    }

    /// Maps a server error code to the enum. An unknown code becomes `SystemError`, so a
    /// newer server can never make the client fail to report an error.
    pub fn from_code(code: i32) -> Error {
        Error::known(code).unwrap_or(Error::SystemError)
    }

    /// The code with this number, if the library knows it.
    pub fn known(code: i32) -> Option<Error> {
        Error::ALL.iter().copied().find(|e| e.code() == code)
    }

    /// Whether a retry could succeed without the caller changing anything.
    pub fn is_retryable(self) -> bool {
        matches!(self, Error::ConnectionLoss | Error::OperationTimeout)
    }

    /// A static, NUL-terminated message (the C API hands it out without allocating).
    pub fn message_cstr(self) -> &'static std::ffi::CStr {
        match self {
            Error::Ok => c"ok",
            Error::SystemError => c"system error",
            Error::RuntimeInconsistency => {
                c"runtime inconsistency (another op of the multi failed)"
            }
            Error::DataInconsistency => c"data inconsistency",
            Error::ConnectionLoss => {
                c"connection lost; the request may or may not have been applied"
            }
            Error::MarshallingError => c"marshalling error",
            Error::Unimplemented => c"operation not implemented by the server",
            Error::OperationTimeout => c"operation timeout",
            Error::BadArguments => c"bad arguments",
            Error::InvalidState => c"invalid state",
            Error::UnknownSession => c"unknown session",
            Error::NewConfigNoQuorum => c"new config has no quorum",
            Error::ReconfigInProgress => c"reconfig in progress",
            Error::ApiError => c"api error",
            Error::NoNode => c"node does not exist",
            Error::NoAuth => c"not authenticated",
            Error::BadVersion => c"version mismatch",
            Error::NoChildrenForEphemerals => c"ephemeral nodes may not have children",
            Error::NodeExists => c"node already exists",
            Error::NotEmpty => c"node has children",
            Error::SessionExpired => c"session expired",
            Error::InvalidCallback => c"invalid callback",
            Error::InvalidAcl => c"invalid ACL",
            Error::AuthFailed => c"authentication failed",
            Error::SessionMoved => c"session moved to another server",
            Error::NotReadOnly => c"write refused: connected to a read-only server",
            Error::EphemeralOnLocalSession => c"ephemeral node on a local session",
            Error::NoWatcher => c"no such watcher",
            Error::RequestTimeout => c"request timeout",
            Error::ReconfigDisabled => c"reconfig disabled",
            Error::SessionClosedRequireSaslAuth => c"session closed: SASL authentication required",
            Error::QuotaExceeded => c"quota exceeded",
            Error::ThrottledOp => c"operation throttled by the server",
            Error::NullArgument => c"a required argument was NULL",
            Error::InvalidArgument => c"invalid argument",
            Error::InvalidPath => c"invalid path",
            Error::InvalidUtf8 => c"string is not valid UTF-8",
            Error::TooLarge => c"data or reply larger than the frame limit",
            Error::Closed => c"client closed or not started",
            Error::TimedOut => c"timed out",
            Error::Panic => c"internal error (a panic was caught at the C boundary)",
            Error::RetriesExhausted => c"connection retries exhausted without a session",
            Error::Protocol => c"protocol error: bad bytes from the server",
            Error::BadReply => c"unexpected reply from the server",
            Error::Tls => c"TLS settings unusable (unreadable or malformed PEM files, no CA)",
            Error::Cancelled => c"cancelled: the wait was called off from another thread",
            Error::Mismatch => {
                c"the recipe's node records other settings (a semaphore's max leases)"
            }
        }
    }

    /// The message as a `&str`.
    pub fn message(self) -> &'static str {
        // The literals above are ASCII.
        self.message_cstr().to_str().unwrap_or("?")
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message(), self.code())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for &e in Error::ALL {
            assert!(seen.insert(e.code()), "duplicate code {}", e.code());
            assert_eq!(Error::from_code(e.code()), e);
            assert!(!e.message().is_empty());
        }
    }

    #[test]
    fn zookeeper_codes_keep_their_wire_numbers() {
        assert_eq!(Error::NoNode.code(), -101);
        assert_eq!(Error::NodeExists.code(), -110);
        assert_eq!(Error::SessionExpired.code(), -112);
        assert_eq!(Error::NotReadOnly.code(), -119);
        assert_eq!(Error::ThrottledOp.code(), -127);
        assert_eq!(Error::from_code(-9999), Error::SystemError);
    }
}
