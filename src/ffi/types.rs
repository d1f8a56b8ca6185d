//! The C value types (flags, Stat, ACL entries, events, watchers, retry policies, client
//! ids, callback typedefs) and what the library allocates for the caller (byte buffers,
//! strings, string lists, ACL lists), each with its one free function.

use std::ffi::{c_char, c_void, CString};

use super::convert::*;
use super::zk_result;
use crate::client::{Acl, ClientInfo, KeeperState, LogLevel, State};
use crate::error::{Error, Result};

/// The coarse state: ZK_STATE_LOST, ZK_STATE_SUSPENDED, ZK_STATE_CONNECTED.
/// cbindgen:ignore
pub type zk_state = State;
/// The detailed state: ZK_KEEPER_STATE_CONNECTING, _CONNECTED, _CONNECTED_RO,
/// _AUTH_FAILED, _CLOSED, _EXPIRED_SESSION.
/// cbindgen:ignore
pub type zk_keeper_state = KeeperState;
/// Log levels of the logger callback.
/// cbindgen:ignore
pub type zk_log_level = LogLevel;

/// Flags of zk_create, zk_create_async and zk_txn_create, OR-ed together.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum zk_create_flag {
    /// The node goes when the session ends.
    Ephemeral = 1,
    /// The server appends a 10-digit counter to the name.
    Sequence = 2,
    /// A container node: the server deletes it once its last child is gone.
    Container = 4,
    /// Create missing parents first, with the same ACL (blocking zk_create only).
    Makepath = 8,
}

/// Kinds of watch for zk_remove_watches, with ZooKeeper's numbers.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum zk_watcher_type {
    /// Child watches (from zk_get_children).
    Children = 1,
    /// Data and exists watches (from zk_get, zk_exists).
    Data = 2,
    /// All of the above and persistent watches (zk_add_watch).
    Any = 3,
    /// Persistent watches (zk_add_watch, not recursive). ZooKeeper 3.9; on older servers
    /// only where the path holds no other kind of watch of this client, else
    /// ZK_RESULT_UNIMPLEMENTED.
    Persistent = 4,
    /// Persistent recursive watches (zk_add_watch, recursive); as Persistent.
    PersistentRecursive = 5,
}

/// Watch event types, with ZooKeeper's numbers.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum zk_event_type {
    /// A session event: the registration ended without a node event (close, expiry,
    /// auth failure); state says which.
    None = -1,
    Created = 1,
    Deleted = 2,
    Changed = 3,
    Child = 4,
    DataWatchRemoved = 5,
    ChildWatchRemoved = 6,
    PersistentWatchRemoved = 7,
}

/// A node's metadata, as the server keeps it.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct zk_stat {
    pub czxid: i64,
    pub mzxid: i64,
    /// Milliseconds since the epoch.
    pub ctime: i64,
    pub mtime: i64,
    pub version: i32,
    pub cversion: i32,
    pub aversion: i32,
    /// The owning session of an ephemeral node, 0 otherwise.
    pub ephemeral_owner: i64,
    pub data_length: i32,
    pub num_children: i32,
    pub pzxid: i64,
}

/// Permission bits of an ACL entry, OR-ed into zk_acl.perms.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum zk_perm {
    Read = 1,
    Write = 2,
    Create = 4,
    Delete = 8,
    Admin = 16,
    All = 31,
}

/// One ACL entry: permission bits and an identity (scheme "world", "auth", "digest", "ip",
/// ...; id "anyone", "user:hash", "10.0.0.0/8", ...). Given by the caller, the strings are
/// borrowed for the call; read from a zk_acl_list, they belong to the list.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct zk_acl {
    pub perms: u32,
    pub scheme: *const c_char,
    pub id: *const c_char,
}

/// A session id and its 16-byte password (zk_get_client_id, zk_options_set_client_id).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct zk_client_id {
    pub session_id: i64,
    pub passwd: [u8; 16],
}

/// A retry policy (kazoo's KazooRetry). Fill one with zk_retry_policy_init, then change
/// what you need.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct zk_retry_policy {
    /// Attempts in all; 1 = no retry; -1 = unbounded.
    pub max_tries: i32,
    /// First delay.
    pub delay_ms: u32,
    /// Factor applied to the delay after each sleep (>= 1).
    pub backoff: f64,
    /// Relative jitter in [0, 1): 0.4 = each sleep is 60 %..140 % of the delay.
    pub max_jitter: f64,
    /// Ceiling of the delay.
    pub max_delay_ms: u32,
    /// Total time allowed from the first attempt; -1 = no limit.
    pub deadline_ms: i64,
}

/// What a watch callback receives; borrowed for the call only.
#[repr(C)]
#[derive(Debug)]
pub struct zk_event {
    pub event_type: zk_event_type,
    /// The client's detailed state when the event was queued.
    pub state: zk_keeper_state,
    /// The node's path, relative to the chroot; "" for session events.
    pub path: *const c_char,
    /// The zxid of the change that triggered the event: ZooKeeper 3.9 sends it; 3.8 sends
    /// -1, as do session events and watch removals (-1 = unknown).
    pub zxid: i64,
}

/// Releases userdata: the library calls it exactly once, when it is done with the
/// userdata it came with (see the preamble for which thread).
pub type zk_finalizer_fn = Option<unsafe extern "C" fn(userdata: *mut c_void)>;

/// A watch callback, run on the client's event thread. It may call back into the library,
/// blocking calls included, and may close or free the client.
pub type zk_watch_fn = Option<unsafe extern "C" fn(userdata: *mut c_void, event: *const zk_event)>;

/// A state listener, run on the client's event thread on every change of the detailed
/// state, with the coarse and detailed states. It may call back into the library.
pub type zk_listener_fn = Option<
    unsafe extern "C" fn(userdata: *mut c_void, state: zk_state, keeper_state: zk_keeper_state),
>;

/// The logger. It runs on any library thread (the I/O thread too), so it must be
/// thread-safe and must not call back into the library. message is borrowed for the call.
pub type zk_log_fn = Option<
    unsafe extern "C" fn(userdata: *mut c_void, level: zk_log_level, message: *const c_char),
>;

/// A watch to set with a read (one-shot) or zk_add_watch (persistent); the library copies
/// it. Whenever a non-NULL zk_watcher pointer is passed, the library owns userdata from
/// then on: finalizer (optional) runs exactly once, after the watch's last callback, or
/// before the call returns if it failed and no watch was set (callback then never runs).
/// A one-shot watch gets one callback: its event, or a session event (ZK_EVENT_TYPE_NONE)
/// when the session closes or expires first.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct zk_watcher {
    pub callback: zk_watch_fn,
    pub userdata: *mut c_void,
    pub finalizer: zk_finalizer_fn,
}

/// Bytes the library allocated (a node's data from zk_get). Free with zk_buffer_free.
#[repr(C)]
#[derive(Debug)]
pub struct zk_buffer {
    pub data: *mut u8,
    pub len: usize,
}

/// Data up to this size goes to C in a fresh allocation of its exact size; bigger data keeps
/// its reply's allocation, shrunk in place.
const COPY_BELOW: usize = 4096;

impl zk_buffer {
    /// A Vec's bytes as a buffer C frees with `zk_buffer_free`, which needs the allocation's
    /// exact length. A reply Vec holds the whole frame, so for small data shrinking it would
    /// split off a small remainder on every call; glibc parks such pieces in its per-thread
    /// cache and fast bins unmerged, so a loop of gets walked fresh heap pages until the
    /// heap's top ran out (the main heap 132 KB resident after 2,000 gets of 100 bytes,
    /// 8 KB with the copy). Copying a few KB costs less than the page faults did.
    pub(crate) fn from_vec(v: Vec<u8>) -> zk_buffer {
        let v = if v.len() < v.capacity() && v.len() <= COPY_BELOW {
            v.as_slice().to_vec()
        } else {
            v
        };
        let b: Box<[u8]> = v.into_boxed_slice();
        let len = b.len();
        zk_buffer {
            data: Box::into_raw(b) as *mut u8,
            len,
        }
    }
}

/// Frees the bytes of a buffer the library filled and sets it to {NULL, 0}. NULL, a zeroed
/// buffer or one already freed is a no-op.
#[no_mangle]
pub unsafe extern "C" fn zk_buffer_free(buf: *mut zk_buffer) {
    guard_value((), || {
        // SAFETY: the caller's contract.
        let Some(b) = (unsafe { buf.as_mut() }) else {
            return;
        };
        if !b.data.is_null() {
            let slice = std::ptr::slice_from_raw_parts_mut(b.data, b.len);
            // SAFETY: made by Box::into_raw of a Box<[u8]> of this length in from_vec.
            drop(unsafe { Box::from_raw(slice) });
        }
        b.data = std::ptr::null_mut();
        b.len = 0;
    })
}

/// Frees a string the library allocated (a created path, a command's reply, a digest id).
/// NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn zk_string_free(s: *mut c_char) {
    guard_value((), || {
        if !s.is_null() {
            // SAFETY: made by CString::into_raw in this library.
            drop(unsafe { CString::from_raw(s) });
        }
    })
}

/// A list of strings: a node's children (opaque). Read it with zk_string_list_len and
/// zk_string_list_get; free it with zk_string_list_free.
pub struct zk_string_list {
    items: Vec<CString>,
}

impl zk_string_list {
    pub(crate) fn new(v: Vec<String>) -> Result<*mut zk_string_list> {
        Ok(to_handle(zk_string_list::from_strings(v)?))
    }

    /// The list itself, for a value that holds one (a read batch's results).
    pub(crate) fn from_strings(v: Vec<String>) -> Result<zk_string_list> {
        let items = v.into_iter().map(to_cstring).collect::<Result<Vec<_>>>()?;
        Ok(zk_string_list { items })
    }
}

/// The number of strings; 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_string_list_len(list: *const zk_string_list) -> usize {
    // SAFETY: the caller's contract.
    guard_value(0, || {
        unsafe { ref_arg(list) }.map(|l| l.items.len()).unwrap_or(0)
    })
}

/// The string at index, borrowed from the list (valid until the list is freed); NULL when
/// index is out of range or list is NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_string_list_get(
    list: *const zk_string_list,
    index: usize,
) -> *const c_char {
    guard_value(std::ptr::null(), || {
        // SAFETY: the caller's contract.
        match unsafe { ref_arg(list) } {
            Ok(l) => l.items.get(index).map_or(std::ptr::null(), |s| s.as_ptr()),
            Err(_) => std::ptr::null(),
        }
    })
}

/// Frees a list and its strings. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn zk_string_list_free(list: *mut zk_string_list) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(list) }
}

/// A node's ACL as the server returned it (opaque). Read it with zk_acl_list_len and
/// zk_acl_list_get; free it with zk_acl_list_free.
pub struct zk_acl_list {
    items: Vec<(u32, CString, CString)>,
}

impl zk_acl_list {
    pub(crate) fn new(v: Vec<Acl>) -> Result<*mut zk_acl_list> {
        let items = v
            .into_iter()
            .map(|a| {
                Ok((
                    a.perms as u32,
                    to_cstring(a.id.scheme)?,
                    to_cstring(a.id.id)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(to_handle(zk_acl_list { items }))
    }
}

/// The number of entries; 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_acl_list_len(list: *const zk_acl_list) -> usize {
    // SAFETY: the caller's contract.
    guard_value(0, || {
        unsafe { ref_arg(list) }.map(|l| l.items.len()).unwrap_or(0)
    })
}

/// Writes entry index to *out; its strings are borrowed from the list (valid until it is
/// freed). ZK_RESULT_INVALID_ARGUMENT when index is out of range.
#[no_mangle]
pub unsafe extern "C" fn zk_acl_list_get(
    list: *const zk_acl_list,
    index: usize,
    out: *mut zk_acl,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let l = unsafe { ref_arg(list) }?;
        if out.is_null() {
            return Err(Error::NullArgument);
        }
        let (perms, scheme, id) = l.items.get(index).ok_or(Error::InvalidArgument)?;
        let acl = zk_acl {
            perms: *perms,
            scheme: scheme.as_ptr(),
            id: id.as_ptr(),
        };
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, acl) };
        Ok(())
    })
}

/// Frees an ACL list. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn zk_acl_list_free(list: *mut zk_acl_list) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(list) }
}

/// Writes the digest id of user and password, "user:base64(sha1(user:password))", to *out
/// (free with zk_string_free), for a {perms, "digest", id} ACL entry.
/// ZK_RESULT_INVALID_ARGUMENT if user contains ':'.
#[no_mangle]
pub unsafe extern "C" fn zk_digest_id(
    user: *const c_char,
    password: *const c_char,
    out: *mut *mut c_char,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (user, password) = unsafe { (str_arg(user)?, str_arg(password)?) };
        out_arg(out)?;
        let id = to_cstring(crate::client::acl::digest_id(user, password)?)?;
        // SAFETY: the caller's contract.
        unsafe { write_opt(out, id.into_raw()) };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reply-shaped Vec: `len` bytes of data at the front of a bigger allocation.
    fn reply_vec(len: usize, slack: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(len + slack);
        v.extend((0..len).map(|i| (i % 251) as u8));
        v
    }

    #[test]
    fn buffers_of_any_size_keep_their_bytes_and_free_cleanly() {
        for (len, slack) in [
            (0, 0),
            (0, 188),
            (100, 88),
            (100, 0),
            (COPY_BELOW, 1),
            (COPY_BELOW + 1, 88),
            (1 << 20, 100),
        ] {
            let want = reply_vec(len, 0);
            let mut b = zk_buffer::from_vec(reply_vec(len, slack));
            assert_eq!(b.len, len, "len {len} slack {slack}");
            assert!(!b.data.is_null());
            let got = unsafe { std::slice::from_raw_parts(b.data, b.len) };
            assert_eq!(got, &want[..], "len {len} slack {slack}");
            unsafe { zk_buffer_free(&mut b) };
            assert!(b.data.is_null() && b.len == 0);
            unsafe { zk_buffer_free(&mut b) }; // twice is fine
        }
    }
}

/// One identity the server has for a connection (zk_who_am_i): its scheme ("ip", "digest",
/// "sasl", "x509", ...) and the user within it. The strings belong to the list it was read
/// from.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct zk_identity {
    pub scheme: *const c_char,
    pub user: *const c_char,
}

/// The identities of a connection (opaque). Read it with zk_identity_list_len and
/// zk_identity_list_get; free it with zk_identity_list_free.
pub struct zk_identity_list {
    items: Vec<(CString, CString)>,
}

impl zk_identity_list {
    pub(crate) fn new(v: Vec<ClientInfo>) -> Result<*mut zk_identity_list> {
        let items = v
            .into_iter()
            .map(|i| Ok((to_cstring(i.auth_scheme)?, to_cstring(i.user)?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(to_handle(zk_identity_list { items }))
    }
}

/// The number of identities; 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_identity_list_len(list: *const zk_identity_list) -> usize {
    // SAFETY: the caller's contract.
    guard_value(0, || {
        unsafe { ref_arg(list) }.map(|l| l.items.len()).unwrap_or(0)
    })
}

/// Writes identity index to *out; its strings are borrowed from the list (valid until it
/// is freed). ZK_RESULT_INVALID_ARGUMENT when index is out of range.
#[no_mangle]
pub unsafe extern "C" fn zk_identity_list_get(
    list: *const zk_identity_list,
    index: usize,
    out: *mut zk_identity,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let l = unsafe { ref_arg(list) }?;
        out_arg(out)?;
        let (scheme, user) = l.items.get(index).ok_or(Error::InvalidArgument)?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe {
            write_opt(
                out,
                zk_identity {
                    scheme: scheme.as_ptr(),
                    user: user.as_ptr(),
                },
            )
        };
        Ok(())
    })
}

/// Frees a list and its strings. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn zk_identity_list_free(list: *mut zk_identity_list) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(list) }
}
