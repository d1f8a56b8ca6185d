//! Every conversion between C and the Rust API: the panic guard, pointer, string, byte and
//! array borrows, handles, userdata with its finalizer, and the C forms of ACLs, watchers,
//! retry policies, Stats and events. The other ffi files call these and never dereference
//! a raw pointer themselves.

use std::ffi::{c_char, c_void, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use super::client::zk_client;
use super::recipe_lock::zk_recipe_state_fn;
use super::types::*;
use crate::client::options::{MAX_ACL_ENTRIES, MAX_REQUEST_BYTES};
use crate::client::{
    Acl, Client, CreateOptions, EventType, Id, LogLevel, PersistentFn, Reconfig, RetryPolicy, Stat,
    WatchFn, WatchedEvent, WatcherType,
};
use crate::error::{Error, Result};
use crate::recipe::lock::{Layout, LockState, StateFn};

/// Runs an exported function's body, turning a panic into `ZK_RESULT_PANIC` so that no
/// unwind ever crosses into C.
pub(crate) fn guard(f: impl FnOnce() -> Result<()>) -> Error {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => Error::Ok,
        Ok(Err(e)) => e,
        Err(_) => Error::Panic,
    }
}

/// Like `guard` for functions that return a value instead of a result.
pub(crate) fn guard_value<T>(default: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(default)
}

/// Borrows a NUL-terminated UTF-8 string.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives the borrow.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char) -> Result<&'a str> {
    if p.is_null() {
        return Err(Error::NullArgument);
    }
    // SAFETY: non-null and NUL-terminated by the caller's contract.
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .map_err(|_| Error::InvalidUtf8)
}

/// Borrows an optional NUL-terminated UTF-8 string: NULL gives None.
///
/// # Safety
/// As `str_arg`.
pub(crate) unsafe fn opt_str_arg<'a>(p: *const c_char) -> Result<Option<&'a str>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller's contract.
    unsafe { str_arg(p) }.map(Some)
}

/// Borrows `len` bytes; NULL is fine when `len` is 0. More than any request can carry
/// (`MAX_REQUEST_BYTES`) is TooLarge, checked before the slice exists, so a wrong length
/// never leads to a read past the caller's buffer.
///
/// # Safety
/// `p` is NULL or points to `len` readable bytes that outlive the borrow.
pub(crate) unsafe fn bytes_arg<'a>(p: *const u8, len: usize) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Error::NullArgument);
    }
    if len > MAX_REQUEST_BYTES {
        return Err(Error::TooLarge);
    }
    // SAFETY: non-null, `len` bytes readable by the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// Borrows an array of `len` items; NULL is fine when `len` is 0. More than `max` items
/// is TooLarge, checked before the slice exists.
///
/// # Safety
/// `p` is NULL or points to `len` valid items that outlive the borrow.
unsafe fn slice_arg<'a, T>(p: *const T, len: usize, max: usize) -> Result<&'a [T]> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Error::NullArgument);
    }
    if len > max {
        return Err(Error::TooLarge);
    }
    // SAFETY: non-null, `len` valid items by the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// Borrows an array of `len` NUL-terminated UTF-8 strings; NULL is fine when `len` is 0.
/// Every string takes at least a byte of a request, so more than `MAX_REQUEST_BYTES` is
/// TooLarge before an entry is read.
///
/// # Safety
/// `p` is NULL or points to `len` pointers to NUL-terminated strings that outlive the
/// borrow.
pub(crate) unsafe fn str_list_arg<'a>(p: *const *const c_char, len: usize) -> Result<Vec<&'a str>> {
    // SAFETY: the caller's contract.
    let items = unsafe { slice_arg(p, len, MAX_REQUEST_BYTES) }?;
    // SAFETY: each entry is a string pointer by the caller's contract.
    items.iter().map(|&s| unsafe { str_arg(s) }).collect()
}

/// Borrows an object behind a pointer the library handed out (or a caller's struct).
///
/// # Safety
/// `p` is NULL or points to a live `T`.
pub(crate) unsafe fn ref_arg<'a, T>(p: *const T) -> Result<&'a T> {
    // SAFETY: the caller's contract.
    unsafe { p.as_ref() }.ok_or(Error::NullArgument)
}

/// Mutable borrow of a caller's object or out-parameter.
///
/// # Safety
/// `p` is NULL or points to a live, writable `T` not aliased during the borrow.
pub(crate) unsafe fn mut_arg<'a, T>(p: *mut T) -> Result<&'a mut T> {
    // SAFETY: the caller's contract.
    unsafe { p.as_mut() }.ok_or(Error::NullArgument)
}

/// A required out-parameter: NULL is `ZK_RESULT_NULL_ARGUMENT`, checked before any work.
pub(crate) fn out_arg<T>(p: *mut T) -> Result<()> {
    if p.is_null() {
        Err(Error::NullArgument)
    } else {
        Ok(())
    }
}

/// Writes an optional out-parameter (NULL = the caller does not want it).
///
/// # Safety
/// `p` is NULL or points to writable memory for a `T`.
pub(crate) unsafe fn write_opt<T>(p: *mut T, v: T) {
    if !p.is_null() {
        // SAFETY: non-null, writable by the caller's contract. `write` does not drop the
        // old (possibly uninitialised) value.
        unsafe { p.write(v) };
    }
}

/// Moves a value to the heap and hands its pointer to C.
pub(crate) fn to_handle<T>(v: T) -> *mut T {
    Box::into_raw(Box::new(v))
}

/// Takes back a handle made by `to_handle`; NULL gives None.
///
/// # Safety
/// `p` is NULL or came from `to_handle::<T>` and is not used again.
pub(crate) unsafe fn from_handle<T>(p: *mut T) -> Option<Box<T>> {
    if p.is_null() {
        None
    } else {
        // SAFETY: made by Box::into_raw in to_handle, ownership returns here once.
        Some(unsafe { Box::from_raw(p) })
    }
}

/// Frees a handle made by `to_handle`; NULL is a no-op.
///
/// # Safety
/// As `from_handle`.
pub(crate) unsafe fn free_handle<T>(p: *mut T) {
    // SAFETY: the caller's contract.
    guard_value((), || drop(unsafe { from_handle(p) }))
}

/// The Rust client behind a C handle.
///
/// # Safety
/// `c` is NULL or a live client.
pub(crate) unsafe fn client_arg<'a>(c: *const zk_client) -> Result<&'a Client> {
    // SAFETY: the caller's contract.
    unsafe { ref_arg(c) }.map(|c| &c.inner)
}

/// A call's `timeout_ms`: 0 is the client's default.
pub(crate) fn timeout(ms: u32) -> Option<Duration> {
    (ms != 0).then(|| Duration::from_millis(ms as u64))
}

/// Strings from the network must not hide a NUL.
pub(crate) fn to_cstring(s: String) -> Result<CString> {
    CString::new(s).map_err(|_| Error::Protocol)
}

/// A C `void *userdata` with its optional finalizer, run exactly once when this is dropped.
pub(crate) struct UserData {
    ptr: *mut c_void,
    finalizer: zk_finalizer_fn,
}

// SAFETY: the header tells C callers that userdata is handed to callbacks on the library's
// event thread and finalized there or on the calling thread; they promise it may be.
unsafe impl Send for UserData {}
// SAFETY: the library only passes the pointer along; it never reads through it.
unsafe impl Sync for UserData {}

impl UserData {
    pub fn new(ptr: *mut c_void, finalizer: zk_finalizer_fn) -> UserData {
        UserData { ptr, finalizer }
    }

    /// The pointer; a method so closures capture the whole (Send) wrapper, not the raw field.
    pub fn ptr(&self) -> *mut c_void {
        self.ptr
    }
}

impl Drop for UserData {
    fn drop(&mut self) {
        if let Some(f) = self.finalizer.take() {
            // SAFETY: a C function pointer the caller gave with this userdata.
            unsafe { f(self.ptr) };
        }
    }
}

/// Create flags and TTL as the Rust API's options; unknown flag bits are refused.
pub(crate) fn create_options(
    flags: u32,
    ttl_ms: i64,
    acl: Option<&[Acl]>,
) -> Result<CreateOptions<'_>> {
    let all = zk_create_flag::Ephemeral as u32
        | zk_create_flag::Sequence as u32
        | zk_create_flag::Container as u32
        | zk_create_flag::Makepath as u32;
    if flags & !all != 0 || ttl_ms < 0 {
        return Err(Error::InvalidArgument);
    }
    let has = |f: zk_create_flag| flags & f as u32 != 0;
    Ok(CreateOptions {
        acl,
        ephemeral: has(zk_create_flag::Ephemeral),
        sequence: has(zk_create_flag::Sequence),
        container: has(zk_create_flag::Container),
        ttl: (ttl_ms > 0).then(|| Duration::from_millis(ttl_ms as u64)),
        makepath: has(zk_create_flag::Makepath),
    })
}

/// zk_reconfig's three lists, borrowed from C (`reconfig_lists`).
pub(crate) struct ReconfigLists<'a> {
    joining: Vec<&'a str>,
    leaving: &'a [u64],
    members: Vec<&'a str>,
}

impl ReconfigLists<'_> {
    /// The Rust API's change: the whole membership when `members` is not empty (the other
    /// two must be), else an incremental change.
    pub(crate) fn change(&self) -> Result<Reconfig<'_>> {
        if self.members.is_empty() {
            Ok(Reconfig::Incremental {
                joining: &self.joining,
                leaving: self.leaving,
            })
        } else if self.joining.is_empty() && self.leaving.is_empty() {
            Ok(Reconfig::Members(&self.members))
        } else {
            Err(Error::InvalidArgument)
        }
    }
}

/// Borrows zk_reconfig's lists: server lines to join, ids to leave, a whole membership.
///
/// # Safety
/// As `str_list_arg` for `joining` and `members`, `u64_list_arg` for `leaving`.
pub(crate) unsafe fn reconfig_lists<'a>(
    joining: *const *const c_char,
    joining_len: usize,
    leaving: *const u64,
    leaving_len: usize,
    members: *const *const c_char,
    members_len: usize,
) -> Result<ReconfigLists<'a>> {
    // SAFETY: the caller's contract.
    unsafe {
        Ok(ReconfigLists {
            joining: str_list_arg(joining, joining_len)?,
            leaving: slice_arg(leaving, leaving_len, MAX_REQUEST_BYTES)?,
            members: str_list_arg(members, members_len)?,
        })
    }
}

/// One caller's ACL entry as the Rust API's.
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

/// An ACL argument: NULL with 0 is None (the client's default ACL).
///
/// # Safety
/// `acl` is NULL (with `len` 0) or points to `len` zk_acl entries.
pub(crate) unsafe fn acl_list_arg(acl: *const zk_acl, len: usize) -> Result<Option<Vec<Acl>>> {
    if acl.is_null() && len == 0 {
        return Ok(None);
    }
    // SAFETY: the caller's contract.
    let items = unsafe { slice_arg(acl, len, MAX_ACL_ENTRIES) }?;
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

/// Turns a C watcher into a persistent Rust callback; its userdata is finalized when the
/// last reference to the callback goes.
pub(crate) fn persistent_watch(w: zk_watcher) -> Result<PersistentFn> {
    let ud = UserData::new(w.userdata, w.finalizer);
    let cb = w.callback.ok_or(Error::NullArgument)?;
    Ok(Arc::new(move |ev| call_watch(cb, &ud, ev)))
}

/// Hands one event to a C watch callback; the event and its path live for the call.
fn call_watch(
    cb: unsafe extern "C" fn(*mut c_void, *const zk_event),
    ud: &UserData,
    ev: WatchedEvent,
) {
    let path = CString::new(ev.path).unwrap_or_default();
    let e = zk_event {
        event_type: ev.event_type.into(),
        state: ev.keeper_state,
        path: path.as_ptr(),
        zxid: ev.zxid,
    };
    // SAFETY: a C function pointer and the userdata it came with; `e` lives for the call.
    unsafe { cb(ud.ptr(), &e) };
}

/// A `zk_watcher_type` from C: a plain integer, checked, since an enum out of range would be
/// undefined behaviour.
pub(crate) fn watcher_type_arg(t: u32) -> Result<WatcherType> {
    match t {
        1 => Ok(WatcherType::Children),
        2 => Ok(WatcherType::Data),
        3 => Ok(WatcherType::Any),
        4 => Ok(WatcherType::Persistent),
        5 => Ok(WatcherType::PersistentRecursive),
        _ => Err(Error::InvalidArgument),
    }
}

/// A `zk_log_level` from C, checked as `watcher_type` is.
pub(crate) fn log_level_arg(l: u32) -> Result<LogLevel> {
    match l {
        1 => Ok(LogLevel::Error),
        2 => Ok(LogLevel::Warn),
        3 => Ok(LogLevel::Info),
        4 => Ok(LogLevel::Debug),
        _ => Err(Error::InvalidArgument),
    }
}

pub(crate) fn policy_to_c(p: &RetryPolicy) -> zk_retry_policy {
    zk_retry_policy {
        max_tries: p.max_tries.map_or(-1, |t| t.min(i32::MAX as u32) as i32),
        delay_ms: p.delay.as_millis().min(u32::MAX as u128) as u32,
        backoff: p.backoff,
        max_jitter: p.max_jitter,
        max_delay_ms: p.max_delay.as_millis().min(u32::MAX as u128) as u32,
        deadline_ms: p
            .deadline
            .map_or(-1, |d| d.as_millis().min(i64::MAX as u128) as i64),
    }
}

/// A C retry policy as the Rust API's; the numbers are checked by `Options::validate`.
pub(crate) fn policy_from_c(p: &zk_retry_policy) -> Result<RetryPolicy> {
    Ok(RetryPolicy {
        max_tries: match p.max_tries {
            -1 => None,
            n if n > 0 => Some(n as u32),
            _ => return Err(Error::InvalidArgument),
        },
        delay: Duration::from_millis(p.delay_ms as u64),
        backoff: p.backoff,
        max_jitter: p.max_jitter,
        max_delay: Duration::from_millis(p.max_delay_ms as u64),
        deadline: match p.deadline_ms {
            -1 => None,
            n if n >= 0 => Some(Duration::from_millis(n as u64)),
            _ => return Err(Error::InvalidArgument),
        },
    })
}

impl From<EventType> for zk_event_type {
    fn from(e: EventType) -> Self {
        match e {
            EventType::None => zk_event_type::None,
            EventType::NodeCreated => zk_event_type::Created,
            EventType::NodeDeleted => zk_event_type::Deleted,
            EventType::NodeDataChanged => zk_event_type::Changed,
            EventType::NodeChildrenChanged => zk_event_type::Child,
            EventType::DataWatchRemoved => zk_event_type::DataWatchRemoved,
            EventType::ChildWatchRemoved => zk_event_type::ChildWatchRemoved,
            EventType::PersistentWatchRemoved => zk_event_type::PersistentWatchRemoved,
        }
    }
}

impl From<Stat> for zk_stat {
    fn from(s: Stat) -> Self {
        zk_stat {
            czxid: s.czxid,
            mzxid: s.mzxid,
            ctime: s.ctime,
            mtime: s.mtime,
            version: s.version,
            cversion: s.cversion,
            aversion: s.aversion,
            ephemeral_owner: s.ephemeral_owner,
            data_length: s.data_length,
            num_children: s.num_children,
            pzxid: s.pzxid,
        }
    }
}

/// A Stat for a callback: NULL when there is none.
pub(crate) fn stat_ptr(s: &Option<zk_stat>) -> *const zk_stat {
    s.as_ref().map_or(std::ptr::null(), |s| s as *const zk_stat)
}

/// A recipe wait's `timeout_ms`: negative waits without a deadline, 0 looks once, more is
/// the deadline.
pub(crate) fn recipe_timeout(ms: i64) -> Option<Duration> {
    (ms >= 0).then(|| Duration::from_millis(ms as u64))
}

/// A `zk_layout` from C, checked as `watcher_type` is.
pub(crate) fn layout_arg(l: u32) -> Result<Layout> {
    match l {
        0 => Ok(Layout::Kazoo),
        1 => Ok(Layout::Curator),
        _ => Err(Error::InvalidArgument),
    }
}

/// A recipe's identifier: NULL is kazoo's default, "".
///
/// # Safety
/// As `str_arg`.
pub(crate) unsafe fn identifier_arg(p: *const c_char) -> Result<String> {
    // SAFETY: the caller's contract.
    Ok(unsafe { opt_str_arg(p) }?.unwrap_or("").to_string())
}

/// A recipe's state callback with its userdata, as the Rust API's; None for a NULL
/// callback (the userdata is then finalized at once, as the registration ends there).
pub(crate) fn recipe_state_fn(cb: zk_recipe_state_fn, ud: UserData) -> Option<StateFn> {
    let cb = cb?;
    Some(Arc::new(move |s: LockState| {
        // SAFETY: a C function pointer and the userdata it came with.
        unsafe { cb(ud.ptr(), s) }
    }))
}
