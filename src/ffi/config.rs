//! zk_config: the ensemble's configuration (the bytes of zk_get_config and zk_reconfig)
//! parsed by the Rust API's `EnsembleConfig`, and read member by member.

use std::ffi::{c_char, CString};

use super::convert::*;
use super::zk_result;
use crate::client::{EnsembleConfig, Role};
use crate::error::{Error, Result};

/// A member's part in the quorum.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum zk_member_role {
    /// Votes.
    Participant = 1,
    /// Follows the leader without voting.
    Observer = 2,
}

/// One member of a zk_config. Its strings belong to the zk_config (valid until it is
/// freed).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct zk_config_member {
    /// The server id, N of "server.N".
    pub id: u64,
    pub role: zk_member_role,
    /// The host the other members reach it at, and its quorum and election ports (the
    /// first of its addresses when the line gives several, ZooKeeper 3.6's "a|b").
    pub host: *const c_char,
    pub quorum_port: u16,
    pub election_port: u16,
    /// Where clients connect, as the line says ("0.0.0.0" for a port alone): NULL and 0
    /// when the line names no client port.
    pub client_host: *const c_char,
    pub client_port: u16,
}

/// A parsed ensemble configuration (opaque). Make one with zk_config_parse; read it with
/// zk_config_version, zk_config_member_count, zk_config_member_get and
/// zk_config_connect_string; free it with zk_config_free.
pub struct zk_config {
    version: i64,
    members: Vec<Member>,
    connect: CString,
}

struct Member {
    id: u64,
    role: zk_member_role,
    host: CString,
    quorum_port: u16,
    election_port: u16,
    client: Option<(CString, u16)>,
}

impl zk_config {
    fn new(cfg: EnsembleConfig) -> Result<zk_config> {
        let cstr = |s: &str| CString::new(s).map_err(|_| Error::InvalidArgument);
        let members = cfg
            .members
            .iter()
            .map(|m| {
                let first = m.quorum.first().ok_or(Error::InvalidArgument)?;
                Ok(Member {
                    id: m.id,
                    role: match m.role {
                        Role::Participant => zk_member_role::Participant,
                        Role::Observer => zk_member_role::Observer,
                    },
                    host: cstr(&first.host)?,
                    quorum_port: first.quorum_port,
                    election_port: first.election_port,
                    client: match &m.client {
                        Some(c) => Some((cstr(&c.host)?, c.port)),
                        None => None,
                    },
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(zk_config {
            version: cfg.version.unwrap_or(-1),
            connect: cstr(&cfg.connect_string())?,
            members,
        })
    }
}

/// Parses the bytes of an ensemble configuration (data/len from zk_get_config or
/// zk_reconfig: "server.N=..." lines and "version=...") into *out (free with
/// zk_config_free). Empty bytes (a standalone server's) are a config without members.
/// ZK_RESULT_INVALID_ARGUMENT when the text is not a configuration.
#[no_mangle]
pub unsafe extern "C" fn zk_config_parse(
    data: *const u8,
    len: usize,
    out: *mut *mut zk_config,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let bytes = unsafe { bytes_arg(data, len) }?;
        out_arg(out)?;
        let cfg = EnsembleConfig::parse(bytes).map_err(|_| Error::InvalidArgument)?;
        let cfg = zk_config::new(cfg)?;
        // SAFETY: the caller's contract.
        unsafe { write_opt(out, to_handle(cfg)) };
        Ok(())
    })
}

/// The config's version (the zxid of the reconfig that made it; from_config of
/// zk_reconfig), or -1 when it has none (a standalone server's) or config is NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_config_version(config: *const zk_config) -> i64 {
    // SAFETY: the caller's contract.
    guard_value(-1, || unsafe { ref_arg(config) }.map_or(-1, |c| c.version))
}

/// The number of members; 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_config_member_count(config: *const zk_config) -> usize {
    // SAFETY: the caller's contract.
    guard_value(0, || {
        unsafe { ref_arg(config) }.map_or(0, |c| c.members.len())
    })
}

/// Writes member index (in the config's order) to *out; its strings are borrowed from the
/// config. ZK_RESULT_INVALID_ARGUMENT when index is out of range.
#[no_mangle]
pub unsafe extern "C" fn zk_config_member_get(
    config: *const zk_config,
    index: usize,
    out: *mut zk_config_member,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let c = unsafe { ref_arg(config) }?;
        out_arg(out)?;
        let m = c.members.get(index).ok_or(Error::InvalidArgument)?;
        let (client_host, client_port) = match &m.client {
            Some((h, p)) => (h.as_ptr(), *p),
            None => (std::ptr::null(), 0),
        };
        let member = zk_config_member {
            id: m.id,
            role: m.role,
            host: m.host.as_ptr(),
            quorum_port: m.quorum_port,
            election_port: m.election_port,
            client_host,
            client_port,
        };
        // SAFETY: the caller's contract.
        unsafe { write_opt(out, member) };
        Ok(())
    })
}

/// The members' client addresses as a host list, "host:port,host:port" (a client port
/// given alone goes with the member's host), borrowed from the config: what
/// zk_set_hosts would take, and what the ensemble follower uses. "" when no member names a
/// client port; NULL for NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_config_connect_string(config: *const zk_config) -> *const c_char {
    guard_value(std::ptr::null(), || {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(config) }.map_or(std::ptr::null(), |c| c.connect.as_ptr())
    })
}

/// Frees a config. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn zk_config_free(config: *mut zk_config) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(config) }
}
