//! zookeeper.h's result codes (`enum ZOO_ERRORS`), `zerror`, and the mapping from the
//! zkclient crate's `Error`. ZooKeeper's own codes keep their numbers in both; the crate's
//! client-side codes become the official client's nearest code (docs/compat.md lists them).

use std::ffi::{c_char, c_int};

use zkclient::Error;

pub const ZOK: c_int = 0;
pub const ZSYSTEMERROR: c_int = -1;
pub const ZRUNTIMEINCONSISTENCY: c_int = -2;
pub const ZCONNECTIONLOSS: c_int = -4;
pub const ZMARSHALLINGERROR: c_int = -5;
pub const ZUNIMPLEMENTED: c_int = -6;
pub const ZOPERATIONTIMEOUT: c_int = -7;
pub const ZBADARGUMENTS: c_int = -8;
pub const ZINVALIDSTATE: c_int = -9;
pub const ZSSLCONNECTIONERROR: c_int = -15;
pub const ZAPIERROR: c_int = -100;
pub const ZNONODE: c_int = -101;
pub const ZNOWATCHER: c_int = -121;

/// The official code for one of the crate's errors. `connected` tells a deadline that
/// passed while connected (OPERATIONTIMEOUT) from one that passed waiting for a
/// connection (CONNECTIONLOSS, what the official client answers a request it cannot
/// send).
pub fn code_of(e: Error, connected: bool) -> c_int {
    match e {
        Error::NullArgument
        | Error::InvalidArgument
        | Error::InvalidPath
        | Error::InvalidUtf8
        | Error::TooLarge => ZBADARGUMENTS,
        // A closed, expired or auth-failed handle: the official client's answer.
        Error::Closed => ZINVALIDSTATE,
        Error::TimedOut if connected => ZOPERATIONTIMEOUT,
        Error::TimedOut | Error::RetriesExhausted => ZCONNECTIONLOSS,
        Error::Panic => ZSYSTEMERROR,
        Error::Protocol | Error::BadReply => ZMARSHALLINGERROR,
        Error::Tls => ZSSLCONNECTIONERROR,
        // ZooKeeper's own codes: the same numbers.
        other => other as i32,
    }
}

/// The official client's message for each code; "unknown error" for the rest, and
/// strerror's for positive numbers (errno values), as the official `zerror` does.
#[no_mangle]
pub extern "C" fn zerror(c: c_int) -> *const c_char {
    let s: &'static [u8] = match c {
        0 => b"ok\0",
        -1 => b"system error\0",
        -2 => b"run time inconsistency\0",
        -3 => b"data inconsistency\0",
        -4 => b"connection loss\0",
        -5 => b"marshalling error\0",
        -6 => b"unimplemented\0",
        -7 => b"operation timeout\0",
        -8 => b"bad arguments\0",
        -9 => b"invalid zhandle state\0",
        -13 => b"no quorum of new config is connected and up-to-date with the leader of last committed config - try invoking reconfiguration after new servers are connected and synced\0",
        -14 => b"Another reconfiguration is in progress -- concurrent reconfigs not supported (yet)\0",
        -100 => b"api error\0",
        -101 => b"no node\0",
        -102 => b"not authenticated\0",
        -103 => b"bad version\0",
        -108 => b"no children for ephemerals\0",
        -110 => b"node exists\0",
        -111 => b"not empty\0",
        -112 => b"session expired\0",
        -113 => b"invalid callback\0",
        -114 => b"invalid acl\0",
        -115 => b"authentication failed\0",
        -116 => b"zookeeper is closing\0",
        -117 => b"(not error) no server responses to process\0",
        -118 => b"session moved to another server, so operation is ignored\0",
        -119 => b"state-changing request is passed to read-only server\0",
        -120 => b"attempt to create ephemeral node on a local session\0",
        -121 => b"the watcher couldn't be found\0",
        -123 => b"attempts to perform a reconfiguration operation when reconfiguration feature is disable\0",
        -124 => b"session closed by server because client is required to do SASL authentication\0",
        -127 => b"Operation was throttled due to high load\0",
        // SAFETY: strerror returns a valid string for any number.
        c if c > 0 => return unsafe { libc::strerror(c) },
        _ => b"unknown error\0",
    };
    s.as_ptr() as *const c_char
}
