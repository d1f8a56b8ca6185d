//! `zk_client`: the client handle and every operation on it. Each function here converts
//! its arguments, calls the Rust `Client`, and converts the result back; nothing else.

use std::ffi::{c_char, c_void, CString};
use std::time::Duration;

use super::options::zk_options;
use super::types::*;
use super::{
    bytes_arg, from_handle, guard, guard_value, mut_arg, ref_arg, slice_arg, str_arg, to_handle,
    write_opt, zk_result, UserData,
};
use crate::client::{Client, CreateOptions};
use crate::error::{Error, Result};
use crate::proto::consts::WatcherType;
use crate::proto::{Acl, Id};
use crate::session::state::{KeeperState, State, WatchFn};

/// A ZooKeeper client (opaque). Thread-safe: share one handle between threads.
pub struct zk_client {
    inner: Client,
}

/// Flags of `zk_create` (`ZK_CREATE_FLAG_EPHEMERAL`, ...), OR-ed together.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum zk_create_flag {
    Ephemeral = 1,
    Sequence = 2,
    /// A container node: the server deletes it once its last child is gone.
    Container = 4,
    /// Create missing parents first (with the same ACL).
    Makepath = 8,
}

fn has(flags: u32, f: zk_create_flag) -> bool {
    flags & f as u32 != 0
}

/// Create flags and TTL as the Rust API's options; unknown flag bits are refused.
pub(crate) fn create_options(
    flags: u32,
    ttl_ms: i64,
    acl: Option<&[Acl]>,
) -> Result<CreateOptions<'_>> {
    if flags & !15 != 0 || ttl_ms < 0 {
        return Err(Error::InvalidArgument);
    }
    Ok(CreateOptions {
        acl,
        ephemeral: has(flags, zk_create_flag::Ephemeral),
        sequence: has(flags, zk_create_flag::Sequence),
        container: has(flags, zk_create_flag::Container),
        ttl: (ttl_ms > 0).then(|| Duration::from_millis(ttl_ms as u64)),
        makepath: has(flags, zk_create_flag::Makepath),
    })
}

/// # Safety
/// `c` is NULL or a live client.
pub(crate) unsafe fn client<'a>(c: *const zk_client) -> Result<&'a Client> {
    // SAFETY: the caller's contract.
    unsafe { ref_arg(c) }.map(|c| &c.inner)
}

fn timeout(ms: u32) -> Option<Duration> {
    (ms != 0).then(|| Duration::from_millis(ms as u64))
}

pub(crate) fn acl_from_c(a: &zk_acl) -> Result<Acl> {
    // SAFETY: the zk_acl contract: NUL-terminated strings that live through the call.
    let (scheme, id) = unsafe { (str_arg(a.scheme)?, str_arg(a.id)?) };
    if a.perms > i32::MAX as u32 {
        return Err(Error::InvalidAcl);
    }
    Ok(Acl {
        perms: a.perms as i32,
        id: Id {
            scheme: scheme.to_string(),
            id: id.to_string(),
        },
    })
}

/// # Safety
/// `acl` is NULL (with `len` 0) or points to `len` zk_acl entries.
pub(crate) unsafe fn acl_list_arg(acl: *const zk_acl, len: usize) -> Result<Option<Vec<Acl>>> {
    if acl.is_null() && len == 0 {
        return Ok(None);
    }
    // SAFETY: the caller's contract.
    let items = unsafe { slice_arg(acl, len) }?;
    items
        .iter()
        .map(acl_from_c)
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

/// Turns a C watcher into the Rust callback. The userdata is owned from here on: its
/// finalizer runs when the callback has run or is dropped unrun.
///
/// # Safety
/// `w` is NULL or points to a zk_watcher.
pub(crate) unsafe fn watch_arg(w: *const zk_watcher) -> Result<Option<WatchFn>> {
    if w.is_null() {
        return Ok(None);
    }
    // SAFETY: non-null by the check above, a zk_watcher by the caller's contract.
    let w = unsafe { *w };
    let ud = UserData::new(w.userdata, w.finalizer);
    let cb = w.callback.ok_or(Error::NullArgument)?;
    Ok(Some(Box::new(move |ev| {
        call_watch(cb, &ud, ev);
        drop(ud);
    })))
}

/// Hands one event to a C watch callback; the event and its path live for the call.
fn call_watch(
    cb: unsafe extern "C" fn(*mut c_void, *const zk_event),
    ud: &UserData,
    ev: crate::session::state::WatchedEvent,
) {
    let path = CString::new(ev.path).unwrap_or_default();
    let e = zk_event {
        event_type: ev.event_type.into(),
        state: ev.keeper_state,
        path: path.as_ptr(),
    };
    // SAFETY: a C function pointer and the userdata it came with; `e` lives for the call.
    unsafe { cb(ud.ptr(), &e) };
}

/// Makes a client from options (copied; the options can be freed at once). The client is
/// CLOSED until `zk_start`. Free with `zk_client_free`.
///
/// # Safety
/// `opts` is a live zk_options; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn zk_client_new(
    opts: *const zk_options,
    out: *mut *mut zk_client,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let o = unsafe { ref_arg(opts) }?;
        if out.is_null() {
            return Err(Error::NullArgument);
        }
        let c = Client::with_options(&o.inner)?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, to_handle(zk_client { inner: c })) };
        Ok(())
    })
}

/// Stops the client if needed (closeSession, every watch gets its terminal event and
/// finalizer), ends its threads and frees it. NULL is fine. May be called from a callback
/// of this client: it then returns without waiting for the event thread, which ends when
/// the callback returns.
///
/// # Safety
/// `c` is NULL or a live client, not used afterwards by any thread.
#[no_mangle]
pub unsafe extern "C" fn zk_client_free(c: *mut zk_client) {
    // SAFETY: the caller's contract.
    guard_value((), || drop(unsafe { from_handle(c) }))
}

/// Connects and waits up to `timeout_ms` (0 = 15 s) for a session. On timeout the client
/// is stopped again and `ZK_RESULT_TIMED_OUT` returned.
///
/// # Safety
/// `c` is a live client.
#[no_mangle]
pub unsafe extern "C" fn zk_start(c: *mut zk_client, timeout_ms: u32) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let c = unsafe { client(c) }?;
        c.start(timeout(timeout_ms).unwrap_or(Duration::from_secs(15)))
            .map_err(|e| e.code)
    })
}

/// Why connecting failed: writes to *reason_out a new string (free it with
/// zk_string_free) with the last failure of each address tried since the last session was
/// established or zk_start was called, "ADDRESS: REASON; ...", for example
/// "127.0.0.1:2181: connection refused", or "10.0.0.5:2281: TLS handshake failed: invalid
/// peer certificate: UnknownIssuer"; led by "no server could be reached: " when no server
/// answered at all. Writes NULL when nothing failed. Call it after a zk_start that failed,
/// or at any time while the client reconnects. Any thread.
///
/// # Safety
/// `c` is a live client; `reason_out` writable.
#[no_mangle]
pub unsafe extern "C" fn zk_connect_error(
    c: *const zk_client,
    reason_out: *mut *mut c_char,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let c = unsafe { client(c) }?;
        if reason_out.is_null() {
            return Err(Error::NullArgument);
        }
        let text = match c.connect_error() {
            Some(r) => to_cstring(r)?.into_raw(),
            None => std::ptr::null_mut(),
        };
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(reason_out, text) };
        Ok(())
    })
}

/// Ends the session (its ephemeral nodes go at once) and the connection; every watch gets
/// a `ZK_EVENT_TYPE_NONE`/`ZK_KEEPER_STATE_CLOSED` event. The client can be started again.
///
/// # Safety
/// `c` is a live client.
#[no_mangle]
pub unsafe extern "C" fn zk_stop(c: *mut zk_client) -> zk_result {
    // SAFETY: the caller's contract.
    guard(|| unsafe { client(c) }?.stop())
}

/// `zk_stop` then `zk_start`: a new session.
///
/// # Safety
/// `c` is a live client.
#[no_mangle]
pub unsafe extern "C" fn zk_restart(c: *mut zk_client, timeout_ms: u32) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let c = unsafe { client(c) }?;
        c.restart(timeout(timeout_ms).unwrap_or(Duration::from_secs(15)))
            .map_err(|e| e.code)
    })
}

/// Stops the client and ends its event thread after every queued callback has run; the
/// handle stays valid (calls fail with `ZK_RESULT_CLOSED`) until `zk_client_free`.
///
/// # Safety
/// `c` is a live client.
#[no_mangle]
pub unsafe extern "C" fn zk_close(c: *mut zk_client) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { client(c) }?.close();
        Ok(())
    })
}

/// Replaces the host list at runtime (same syntax as `zk_options_set_hosts`; the chroot
/// must stay the same, else `ZK_RESULT_INVALID_ARGUMENT`). If the current server is not in
/// the new list, the client moves to the new servers now, keeping its session.
///
/// # Safety
/// `c` is a live client; `hosts` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn zk_set_hosts(c: *mut zk_client, hosts: *const c_char) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, hosts) = unsafe { (client(c)?, str_arg(hosts)?) };
        c.set_hosts(hosts)
    })
}

/// The coarse state. `ZK_STATE_LOST` for NULL.
///
/// # Safety
/// `c` is NULL or a live client.
#[no_mangle]
pub unsafe extern "C" fn zk_client_state(c: *const zk_client) -> zk_state {
    // SAFETY: the caller's contract.
    guard_value(State::Lost, || {
        unsafe { client(c) }
            .map(|c| c.state())
            .unwrap_or(State::Lost)
    })
}

/// The detailed state. `ZK_KEEPER_STATE_CLOSED` for NULL.
///
/// # Safety
/// `c` is NULL or a live client.
#[no_mangle]
pub unsafe extern "C" fn zk_client_keeper_state(c: *const zk_client) -> zk_keeper_state {
    guard_value(KeeperState::Closed, || {
        // SAFETY: the caller's contract.
        unsafe { client(c) }
            .map(|c| c.keeper_state())
            .unwrap_or(KeeperState::Closed)
    })
}

/// Whether the client has a session and a connection (read-write or read-only).
///
/// # Safety
/// `c` is NULL or a live client.
#[no_mangle]
pub unsafe extern "C" fn zk_client_connected(c: *const zk_client) -> bool {
    // SAFETY: the caller's contract.
    guard_value(false, || {
        unsafe { client(c) }.map(|c| c.connected()).unwrap_or(false)
    })
}

/// The session id and password, to resume the session elsewhere with
/// `zk_options_set_client_id`. `ZK_RESULT_CONNECTION_LOSS` when not connected.
///
/// # Safety
/// `c` is a live client; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn zk_client_get_id(
    c: *const zk_client,
    out: *mut zk_client_id,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let c = unsafe { client(c) }?;
        // SAFETY: the caller's contract.
        let out = unsafe { mut_arg(out) }?;
        let id = c.client_id().ok_or(Error::ConnectionLoss)?;
        *out = zk_client_id {
            session_id: id.session_id,
            passwd: id.passwd,
        };
        Ok(())
    })
}

/// The session timeout the server granted, in ms (0 before the first connect).
///
/// # Safety
/// `c` is NULL or a live client.
#[no_mangle]
pub unsafe extern "C" fn zk_client_session_timeout_ms(c: *const zk_client) -> u32 {
    guard_value(0, || {
        // SAFETY: the caller's contract.
        unsafe { client(c) }
            .map(|c| c.negotiated_timeout().as_millis() as u32)
            .unwrap_or(0)
    })
}

/// Number of one-shot watches the client holds (each ends exactly once).
///
/// # Safety
/// `c` is NULL or a live client.
#[no_mangle]
pub unsafe extern "C" fn zk_client_watch_count(c: *const zk_client) -> usize {
    // SAFETY: the caller's contract.
    guard_value(0, || {
        unsafe { client(c) }.map(|c| c.watch_count()).unwrap_or(0)
    })
}

/// Adds a state listener, called on the event thread on every change of the detailed
/// state, in order. It may call back into the library. `finalizer(userdata)` runs once
/// when the listener is removed or the client freed. The id for `zk_remove_listener` goes
/// to `id_out` (may be NULL).
///
/// # Safety
/// `c` is a live client; `id_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn zk_add_listener(
    c: *mut zk_client,
    callback: zk_listener_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
    id_out: *mut u64,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    guard(move || {
        // SAFETY: the caller's contract.
        let c = unsafe { client(c) }?;
        let cb = callback.ok_or(Error::NullArgument)?;
        let id = c.add_listener(Box::new(move |s, k| {
            // SAFETY: a C function pointer and the userdata it came with.
            unsafe { cb(ud.ptr(), s, k) }
        }));
        // SAFETY: the caller's contract.
        unsafe { write_opt(id_out, id) };
        Ok(())
    })
}

/// Removes a listener. `ZK_RESULT_INVALID_ARGUMENT` if the id is unknown.
///
/// # Safety
/// `c` is a live client.
#[no_mangle]
pub unsafe extern "C" fn zk_remove_listener(c: *mut zk_client, id: u64) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let c = unsafe { client(c) }?;
        if c.remove_listener(id) {
            Ok(())
        } else {
            Err(Error::InvalidArgument)
        }
    })
}

/// Creates a node. `flags` combines `ZK_CREATE_FLAG_*`. `acl`/`acl_len` NULL/0 = the default
/// ACL. `ttl_ms` > 0 makes a TTL node (persistent only; the server needs
/// extendedTypesEnabled). On success the created path (with its sequence suffix, chroot
/// stripped) goes to `path_out` if not NULL (free with `zk_string_free`), and the Stat to
/// `stat_out` if not NULL. `timeout_ms` 0 = the client's default.
///
/// # Safety
/// `c` is a live client; `path` NUL-terminated; `data` points to `len` bytes (or NULL
/// with 0); `acl` to `acl_len` entries; out-parameters NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn zk_create(
    c: *mut zk_client,
    path: *const c_char,
    data: *const u8,
    len: usize,
    acl: *const zk_acl,
    acl_len: usize,
    flags: u32,
    ttl_ms: i64,
    timeout_ms: u32,
    path_out: *mut *mut c_char,
    stat_out: *mut zk_stat,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract, for every argument below.
        let (c, path, data, acl) = unsafe {
            (
                client(c)?,
                str_arg(path)?,
                bytes_arg(data, len)?,
                acl_list_arg(acl, acl_len)?,
            )
        };
        let opts = create_options(flags, ttl_ms, acl.as_deref())?;
        let created = c.create(path, data, &opts, !stat_out.is_null(), timeout(timeout_ms))?;
        let p = if path_out.is_null() {
            None
        } else {
            Some(to_cstring(created.path)?)
        };
        // SAFETY: the caller's contract.
        unsafe {
            if let Some(p) = p {
                write_opt(path_out, p.into_raw());
            }
            if let Some(s) = created.stat {
                write_opt(stat_out, s.into());
            }
        }
        Ok(())
    })
}

/// Creates `path` and every missing parent; an existing node is fine.
///
/// # Safety
/// As `zk_create`.
#[no_mangle]
pub unsafe extern "C" fn zk_ensure_path(
    c: *mut zk_client,
    path: *const c_char,
    acl: *const zk_acl,
    acl_len: usize,
    timeout_ms: u32,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, path, acl) = unsafe { (client(c)?, str_arg(path)?, acl_list_arg(acl, acl_len)?) };
        c.ensure_path(path, acl.as_deref(), timeout(timeout_ms))
    })
}

/// Whether the node exists: `ZK_RESULT_OK` (Stat to `stat_out` if not NULL) or
/// `ZK_RESULT_NO_NODE`. With a watcher, a watch is set in both cases: it fires on create,
/// change or delete.
///
/// # Safety
/// `c` is a live client; `path` NUL-terminated; `watcher` NULL or a zk_watcher;
/// `stat_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn zk_exists(
    c: *mut zk_client,
    path: *const c_char,
    watcher: *const zk_watcher,
    timeout_ms: u32,
    stat_out: *mut zk_stat,
) -> zk_result {
    // Taken first, so its finalizer runs even when another argument is bad.
    // SAFETY: the caller's contract.
    let w = unsafe { watch_arg(watcher) };
    guard(move || {
        let w = w?;
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client(c)?, str_arg(path)?) };
        match c.exists(path, w, timeout(timeout_ms))? {
            Some(s) => {
                // SAFETY: the caller's contract.
                unsafe { write_opt(stat_out, s.into()) };
                Ok(())
            }
            None => Err(Error::NoNode),
        }
    })
}

/// Reads a node's data into `data_out` (free with `zk_buffer_free`) and its Stat into
/// `stat_out` if not NULL. With a watcher, a watch fires on change or delete.
///
/// # Safety
/// `c` is a live client; `path` NUL-terminated; `watcher` NULL or a zk_watcher;
/// `data_out` writable; `stat_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn zk_get(
    c: *mut zk_client,
    path: *const c_char,
    watcher: *const zk_watcher,
    timeout_ms: u32,
    data_out: *mut zk_buffer,
    stat_out: *mut zk_stat,
) -> zk_result {
    // SAFETY: the caller's contract.
    let w = unsafe { watch_arg(watcher) };
    guard(move || {
        let w = w?;
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client(c)?, str_arg(path)?) };
        if data_out.is_null() {
            return Err(Error::NullArgument);
        }
        let (data, stat) = c.get(path, w, timeout(timeout_ms))?;
        // SAFETY: the caller's contract.
        unsafe {
            write_opt(data_out, zk_buffer::from_vec(data));
            write_opt(stat_out, stat.into());
        }
        Ok(())
    })
}

/// Lists a node's children (unsorted) into `out` (free with `zk_string_list_free`), and
/// its Stat into `stat_out` if not NULL. With a watcher, a watch fires when a child is
/// added or removed or the node is deleted.
///
/// # Safety
/// `c` is a live client; `path` NUL-terminated; `watcher` NULL or a zk_watcher; `out`
/// writable; `stat_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn zk_get_children(
    c: *mut zk_client,
    path: *const c_char,
    watcher: *const zk_watcher,
    timeout_ms: u32,
    out: *mut *mut zk_string_list,
    stat_out: *mut zk_stat,
) -> zk_result {
    // SAFETY: the caller's contract.
    let w = unsafe { watch_arg(watcher) };
    guard(move || {
        let w = w?;
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client(c)?, str_arg(path)?) };
        if out.is_null() {
            return Err(Error::NullArgument);
        }
        let (children, stat) = c.get_children(path, w, !stat_out.is_null(), timeout(timeout_ms))?;
        let list = zk_string_list::new(children)?;
        // SAFETY: the caller's contract.
        unsafe {
            write_opt(out, list);
            if let Some(s) = stat {
                write_opt(stat_out, s.into());
            }
        }
        Ok(())
    })
}

/// Kinds of watch for `zk_remove_watches` (ZooKeeper's WatcherType numbers).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum zk_watcher_type {
    /// Child watches (from zk_get_children).
    Children = 1,
    /// Data and exists watches (from zk_get, zk_exists).
    Data = 2,
    /// All of the above and persistent watches (zk_add_watch).
    Any = 3,
}

/// Adds a persistent watch (ZooKeeper 3.6+). `watcher->callback` runs on the event thread
/// for every event on `path` — or, with `recursive`, on `path` and every node below it,
/// except child events — until `zk_remove_watches(.., ZK_WATCHER_TYPE_ANY, ..)` or the end
/// of the session; then once more with `ZK_EVENT_TYPE_PERSISTENT_WATCH_REMOVED` or a
/// session event (`ZK_EVENT_TYPE_NONE`); then `watcher->finalizer` runs once. If the call
/// fails the callback never runs and the finalizer runs before it returns. The watch is
/// restored after a reconnect, but events from while the client was away are not
/// replayed. ZooKeeper 3.8 keeps one watch mode per path and session (ZOOKEEPER-4466):
/// do not mix a persistent watch and one-shot watches on one path.
///
/// # Safety
/// `c` is a live client; `path` NUL-terminated; `watcher` points to a zk_watcher.
#[no_mangle]
pub unsafe extern "C" fn zk_add_watch(
    c: *mut zk_client,
    path: *const c_char,
    recursive: bool,
    watcher: *const zk_watcher,
    timeout_ms: u32,
) -> zk_result {
    // Taken first, so its finalizer runs even when another argument is bad.
    // SAFETY: the caller's contract.
    let w = unsafe { ref_arg(watcher) }.copied();
    guard(move || {
        let w = w?;
        let ud = UserData::new(w.userdata, w.finalizer);
        let cb = w.callback.ok_or(Error::NullArgument)?;
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client(c)?, str_arg(path)?) };
        let f: crate::session::state::PersistentFn =
            std::sync::Arc::new(move |ev| call_watch(cb, &ud, ev));
        c.add_watch(path, recursive, f, timeout(timeout_ms))
    })
}

/// Removes the client's watches of `watcher_type` (a `zk_watcher_type`) on `path`: each
/// removed watcher gets its removal event (`ZK_EVENT_TYPE_DATA_WATCH_REMOVED`,
/// `_CHILD_WATCH_REMOVED`, `_PERSISTENT_WATCH_REMOVED`), then its finalizer runs.
/// `ZK_RESULT_NO_WATCHER` if the client holds none. With `local`, they are removed even if
/// the server cannot be told.
///
/// # Safety
/// `c` is a live client; `path` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn zk_remove_watches(
    c: *mut zk_client,
    path: *const c_char,
    watcher_type: u32,
    local: bool,
    timeout_ms: u32,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client(c)?, str_arg(path)?) };
        // A plain integer from C, checked: an enum out of range would be undefined behaviour.
        let ty = match watcher_type {
            1 => WatcherType::Children,
            2 => WatcherType::Data,
            3 => WatcherType::Any,
            _ => return Err(Error::InvalidArgument),
        };
        c.remove_watches(path, ty, local, timeout(timeout_ms))
    })
}

/// Sets a node's data if its version is `version` (-1 = any). New Stat to `stat_out` if
/// not NULL.
///
/// # Safety
/// `c` is a live client; `path` NUL-terminated; `data` `len` bytes (or NULL with 0);
/// `stat_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn zk_set(
    c: *mut zk_client,
    path: *const c_char,
    data: *const u8,
    len: usize,
    version: i32,
    timeout_ms: u32,
    stat_out: *mut zk_stat,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, path, data) = unsafe { (client(c)?, str_arg(path)?, bytes_arg(data, len)?) };
        let stat = c.set(path, data, version, timeout(timeout_ms))?;
        // SAFETY: the caller's contract.
        unsafe { write_opt(stat_out, stat.into()) };
        Ok(())
    })
}

/// Deletes a node if its version is `version` (-1 = any). `recursive` deletes its
/// children first, depth first (not atomic).
///
/// # Safety
/// `c` is a live client; `path` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn zk_delete(
    c: *mut zk_client,
    path: *const c_char,
    version: i32,
    recursive: bool,
    timeout_ms: u32,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client(c)?, str_arg(path)?) };
        c.delete(path, version, recursive, timeout(timeout_ms))
    })
}

/// Waits until the connected server has caught up with the leader for `path`.
///
/// # Safety
/// `c` is a live client; `path` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn zk_sync(
    c: *mut zk_client,
    path: *const c_char,
    timeout_ms: u32,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client(c)?, str_arg(path)?) };
        c.sync(path, timeout(timeout_ms)).map(|_| ())
    })
}

/// Reads a node's ACL into `out` (free with `zk_acl_list_free`) and its Stat into
/// `stat_out` if not NULL.
///
/// # Safety
/// `c` is a live client; `path` NUL-terminated; `out` writable; `stat_out` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn zk_get_acl(
    c: *mut zk_client,
    path: *const c_char,
    timeout_ms: u32,
    out: *mut *mut zk_acl_list,
    stat_out: *mut zk_stat,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client(c)?, str_arg(path)?) };
        if out.is_null() {
            return Err(Error::NullArgument);
        }
        let (acl, stat) = c.get_acl(path, timeout(timeout_ms))?;
        let list = zk_acl_list::new(acl)?;
        // SAFETY: the caller's contract.
        unsafe {
            write_opt(out, list);
            write_opt(stat_out, stat.into());
        }
        Ok(())
    })
}

/// Replaces a node's ACL if its ACL version is `version` (-1 = any).
///
/// # Safety
/// `c` is a live client; `path` NUL-terminated; `acl` `acl_len` entries; `stat_out` NULL
/// or writable.
#[no_mangle]
pub unsafe extern "C" fn zk_set_acl(
    c: *mut zk_client,
    path: *const c_char,
    acl: *const zk_acl,
    acl_len: usize,
    version: i32,
    timeout_ms: u32,
    stat_out: *mut zk_stat,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, path, acl) = unsafe { (client(c)?, str_arg(path)?, acl_list_arg(acl, acl_len)?) };
        let acl = acl.ok_or(Error::InvalidAcl)?;
        let stat = c.set_acl(path, &acl, version, timeout(timeout_ms))?;
        // SAFETY: the caller's contract.
        unsafe { write_opt(stat_out, stat.into()) };
        Ok(())
    })
}

/// Adds a credential to the session ("digest", "user:password") and waits for the server's
/// verdict. It is sent again after every reconnect. A refused one returns
/// `ZK_RESULT_AUTH_FAILED` and the client becomes AUTH_FAILED.
///
/// # Safety
/// `c` is a live client; `scheme` NUL-terminated; `cred` `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn zk_add_auth(
    c: *mut zk_client,
    scheme: *const c_char,
    cred: *const u8,
    len: usize,
    timeout_ms: u32,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, scheme, cred) = unsafe { (client(c)?, str_arg(scheme)?, bytes_arg(cred, len)?) };
        c.add_auth(scheme, cred, timeout(timeout_ms))
    })
}

/// Sends a four-letter command ("ruok", "srvr", "stat", "conf", "cons", "dump", "envi",
/// "reqs", "wchs", "wchc", "wchp", "mntr", "isro", ...) to the current server (or the
/// first host that answers) and returns its reply in `out` (free with `zk_string_free`).
///
/// # Safety
/// `c` is a live client; `cmd` NUL-terminated; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn zk_command(
    c: *mut zk_client,
    cmd: *const c_char,
    timeout_ms: u32,
    out: *mut *mut c_char,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, cmd) = unsafe { (client(c)?, str_arg(cmd)?) };
        if out.is_null() {
            return Err(Error::NullArgument);
        }
        let text = to_cstring(c.command(cmd, timeout(timeout_ms))?)?;
        // SAFETY: the caller's contract.
        unsafe { write_opt(out, text.into_raw()) };
        Ok(())
    })
}

/// The server's version, from `srvr`.
///
/// # Safety
/// `c` is a live client; the out-parameters are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn zk_server_version(
    c: *mut zk_client,
    timeout_ms: u32,
    major: *mut u32,
    minor: *mut u32,
    patch: *mut u32,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let c = unsafe { client(c) }?;
        let (a, b, p) = c.server_version(timeout(timeout_ms))?;
        // SAFETY: the caller's contract.
        unsafe {
            write_opt(major, a);
            write_opt(minor, b);
            write_opt(patch, p);
        }
        Ok(())
    })
}

/// The digest id of a user and password, `user:base64(sha1("user:password"))`, for a
/// `{perms, "digest", id}` ACL entry. Free with `zk_string_free`.
///
/// # Safety
/// `user` and `password` NUL-terminated; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn zk_digest_id(
    user: *const c_char,
    password: *const c_char,
    out: *mut *mut c_char,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (user, password) = unsafe { (str_arg(user)?, str_arg(password)?) };
        if out.is_null() {
            return Err(Error::NullArgument);
        }
        if user.contains(':') {
            return Err(Error::InvalidArgument);
        }
        let id = to_cstring(crate::client::acl::digest_id(user, password))?;
        // SAFETY: the caller's contract.
        unsafe { write_opt(out, id.into_raw()) };
        Ok(())
    })
}
