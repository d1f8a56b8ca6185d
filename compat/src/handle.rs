//! `zhandle_t`: one zkclient `Client` and what zookeeper.h keeps beside it (the global
//! watcher and its context, the watcher tables, the log callback, the client id the caller
//! reads by pointer), its life cycle (`zookeeper_init`, `init2`, `zookeeper_close`), its
//! state and session events, and the handle-level calls (servers, context, timeouts).
//!
//! Callbacks (watchers and completions) run on the client's event thread, one at a time, in
//! the order the server's messages came, as they run on the official client's completion
//! thread. What they share with the handle lives in `Shared`, which the callbacks hold, so
//! a handle closed from inside a callback is freed without pulling anything from under
//! the callbacks still queued: those see the handle gone and call nobody.

use std::cell::{Cell, UnsafeCell};
use std::ffi::{c_char, c_int, c_void, CStr};
use std::net::SocketAddr;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use zkclient::{Client, ClientId, KeeperState, LogLevel, Options, RetryPolicy};

use crate::consts::*;
use crate::errors::*;
use crate::log::{self, LogCallback};
use crate::watch::Tables;

pub type WatcherFn = unsafe extern "C" fn(
    zh: *mut ZHandle,
    type_: c_int,
    state: c_int,
    path: *const c_char,
    ctx: *mut c_void,
);

/// `clientid_t`: a session id and its password.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ClientIdT {
    pub client_id: i64,
    pub passwd: [c_char; 16],
}

/// `zoo_deterministic_conn_order`: process-wide, read by each `zookeeper_init`.
static DETERMINISTIC: AtomicBool = AtomicBool::new(false);

/// `zookeeper_init`'s flag: connect to read-only servers too.
const ZOO_READONLY: c_int = 1;

thread_local! {
    /// Set while this thread runs one of the library's callbacks (the event thread).
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

/// Whether the calling thread is the event thread, inside a callback.
pub fn in_callback() -> bool {
    IN_CALLBACK.with(|c| c.get())
}

/// Runs `f` marked as a callback, catching a panic (none may cross into C).
pub fn as_callback(f: impl FnOnce()) {
    let was = IN_CALLBACK.with(|c| c.replace(true));
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    IN_CALLBACK.with(|c| c.set(was));
}

/// What the handle and its callbacks share.
pub struct Shared {
    /// The handle, as callbacks pass it to C; NULL once closed.
    pub zh: AtomicPtr<ZHandle>,
    watcher: AtomicUsize,
    context: AtomicPtr<c_void>,
    log_callback: AtomicUsize,
    pub tables: Mutex<Tables>,
    /// The state last told to the watchers, to tell a lost connection (CONNECTING after
    /// CONNECTED) from the first attempt.
    told: AtomicI32,
    /// Set by zookeeper_close: requests it ends complete with ZCLOSING.
    pub closing: AtomicBool,
}

impl Shared {
    pub fn watcher(&self) -> Option<WatcherFn> {
        let p = self.watcher.load(Ordering::Acquire);
        // SAFETY: only ever stored from a `WatcherFn` (or 0).
        (p != 0).then(|| unsafe { std::mem::transmute::<usize, WatcherFn>(p) })
    }

    pub fn context(&self) -> *mut c_void {
        self.context.load(Ordering::Acquire)
    }

    pub fn log_callback(&self) -> Option<LogCallback> {
        let p = self.log_callback.load(Ordering::Acquire);
        // SAFETY: only ever stored from a `LogCallback` (or 0).
        (p != 0).then(|| unsafe { std::mem::transmute::<usize, LogCallback>(p) })
    }

    /// The handle while it is open.
    pub fn handle(&self) -> Option<*mut ZHandle> {
        let zh = self.zh.load(Ordering::Acquire);
        (!zh.is_null()).then_some(zh)
    }

    /// Calls one watcher, unless the handle was closed meanwhile (by an earlier callback).
    pub fn call_watcher(
        &self,
        f: WatcherFn,
        ty: c_int,
        state: c_int,
        path: &CStr,
        ctx: *mut c_void,
    ) {
        if let Some(zh) = self.handle() {
            // SAFETY: a C function pointer the caller gave us, called with valid arguments.
            unsafe { f(zh, ty, state, path.as_ptr(), ctx) }
        }
    }
}

/// `zhandle_t`.
pub struct ZHandle {
    pub client: Client,
    pub shared: Arc<Shared>,
    /// What `zoo_client_id` points to; written under `id_lock`.
    client_id: UnsafeCell<ClientIdT>,
    id_lock: Mutex<()>,
    recv_timeout: c_int,
}

// SAFETY: `client_id` is written only under `id_lock`; the rest is Sync.
unsafe impl Sync for ZHandle {}
unsafe impl Send for ZHandle {}

impl ZHandle {
    /// The state as zookeeper.h numbers it.
    pub fn state(&self) -> c_int {
        official_state(self.client.keeper_state())
    }

    /// ZINVALIDSTATE when the session is over for good (expired, auth failed), as the
    /// official `is_unrecoverable` says.
    pub fn unrecoverable(&self) -> bool {
        self.state() < 0
    }

    pub fn connected(&self) -> bool {
        self.client.connected()
    }

    /// The official code for one of the crate's errors on this handle.
    pub fn code(&self, e: zkclient::Error) -> c_int {
        if self.unrecoverable() {
            // The official client answers every call on a dead session so.
            return match e {
                zkclient::Error::SessionExpired | zkclient::Error::AuthFailed => e as i32,
                _ => ZINVALIDSTATE,
            };
        }
        code_of(e, self.connected())
    }

    pub fn log(&self, level: c_int, msg: &str) {
        log::write(self.shared.log_callback(), level, msg);
    }
}

pub fn official_state(k: KeeperState) -> c_int {
    match k {
        KeeperState::Connecting => CONNECTING_STATE,
        KeeperState::Connected => CONNECTED_STATE,
        KeeperState::ConnectedRo => READONLY_STATE,
        KeeperState::AuthFailed => AUTH_FAILED_STATE,
        KeeperState::ExpiredSession => EXPIRED_SESSION_STATE,
        KeeperState::Closed => 0,
    }
}

/// The handle behind a caller's pointer, or None for NULL.
///
/// # Safety
/// `zh` is NULL or a handle from `zookeeper_init` not yet closed.
pub unsafe fn handle<'a>(zh: *mut ZHandle) -> Option<&'a ZHandle> {
    zh.as_ref()
}

/// Delivers a session event: to the global watcher, then to every watcher of the tables
/// (each (function, context) pair once), which stay registered, as the official client
/// does. On an expiry or an auth failure the tables are emptied after.
fn session_event(shared: &Shared, state: c_int) {
    let empty = c"";
    let mut seen: Vec<(usize, usize)> = Vec::new();
    if let Some(w) = shared.watcher() {
        seen.push((w as usize, shared.context() as usize));
        shared.call_watcher(w, SESSION_EVENT, state, empty, shared.context());
    }
    let others = {
        let mut t = shared.tables.lock();
        if state < 0 {
            t.take_all()
        } else {
            t.all()
        }
    };
    for (w, ctx) in others {
        let key = (w as usize, ctx as usize);
        if !seen.contains(&key) {
            seen.push(key);
            shared.call_watcher(w, SESSION_EVENT, state, empty, ctx);
        }
    }
}

/// Turns the client's state changes into the official session events.
fn on_state(shared: &Shared, k: KeeperState) {
    let state = official_state(k);
    let before = shared.told.swap(state, Ordering::AcqRel);
    match k {
        KeeperState::Connected | KeeperState::ConnectedRo => session_event(shared, state),
        // Told only when a connection was lost, not on the first attempt.
        KeeperState::Connecting if before == CONNECTED_STATE || before == READONLY_STATE => {
            session_event(shared, state)
        }
        KeeperState::ExpiredSession | KeeperState::AuthFailed => session_event(shared, state),
        _ => {}
    }
}

/// The crate's log messages, to the handle's log callback or the log stream.
fn logger(shared: &Arc<Shared>) -> zkclient::LogFn {
    let weak = Arc::downgrade(shared);
    Arc::new(move |level: LogLevel, msg: &str| {
        let cb = weak.upgrade().and_then(|s| s.log_callback());
        log::write(cb, level as c_int, msg);
    })
}

fn init(
    host: *const c_char,
    fn_: Option<WatcherFn>,
    recv_timeout: c_int,
    clientid: *const ClientIdT,
    context: *mut c_void,
    flags: c_int,
    log_callback: Option<LogCallback>,
) -> *mut ZHandle {
    // SAFETY: the caller passes a C string or NULL.
    let Some(hosts) = (unsafe { crate::jute::str_of(host) }) else {
        set_errno(libc::EINVAL);
        return ptr::null_mut();
    };
    let shared = Arc::new(Shared {
        zh: AtomicPtr::new(ptr::null_mut()),
        watcher: AtomicUsize::new(fn_.map_or(0, |f| f as usize)),
        context: AtomicPtr::new(context),
        log_callback: AtomicUsize::new(log_callback.map_or(0, |f| f as usize)),
        tables: Mutex::new(Tables::default()),
        told: AtomicI32::new(0),
        closing: AtomicBool::new(false),
    });
    let mut o = Options::new(hosts);
    o.session_timeout = Duration::from_millis(recv_timeout.max(1) as u64);
    // Requests wait for a connection up to the session timeout (the official client fails
    // them when an attempt to connect fails; see docs/compat.md).
    o.operation_timeout = o.session_timeout.max(Duration::from_secs(1));
    o.read_only = flags & ZOO_READONLY != 0;
    o.randomize_hosts = !DETERMINISTIC.load(Ordering::Relaxed);
    // The official client neither repeats a request nor makes a new session after an
    // expiry: the handle is then dead (ZINVALIDSTATE).
    o.command_retry = RetryPolicy {
        max_tries: Some(1),
        ..RetryPolicy::command_default()
    };
    o.expiry_final = true;
    // A pass over the hosts at most a second after the last, as the official client
    // tries them again and again.
    o.connection_retry.max_delay = Duration::from_secs(1);
    o.logger = Some((logger(&shared), LogLevel::Debug));
    // SAFETY: the caller passes a clientid_t or NULL.
    if let Some(id) = unsafe { clientid.as_ref() } {
        if id.client_id != 0 {
            o.client_id = Some(ClientId {
                session_id: id.client_id,
                passwd: id.passwd.map(|b| b as u8),
            });
        }
    }
    let client = match Client::new(o) {
        Ok(c) => c,
        Err(e) => {
            log::write(log_callback, 1, &format!("zookeeper_init: {hosts}: {e}"));
            set_errno(libc::EINVAL);
            return ptr::null_mut();
        }
    };
    let weak = Arc::downgrade(&shared);
    client.add_listener(Box::new(move |_, k| {
        if let Some(s) = weak.upgrade() {
            as_callback(|| on_state(&s, k));
        }
    }));
    let initial = clientid_of(unsafe { clientid.as_ref() });
    let zh = Box::into_raw(Box::new(ZHandle {
        client,
        shared: shared.clone(),
        client_id: UnsafeCell::new(initial),
        id_lock: Mutex::new(()),
        recv_timeout,
    }));
    shared.zh.store(zh, Ordering::Release);
    // SAFETY: just made.
    let h = unsafe { &*zh };
    if let Err(e) = h.client.start_background() {
        log::write(log_callback, 1, &format!("zookeeper_init: {e}"));
        shared.zh.store(ptr::null_mut(), Ordering::Release);
        // SAFETY: ours, never handed out.
        drop(unsafe { Box::from_raw(zh) });
        set_errno(libc::EINVAL);
        return ptr::null_mut();
    }
    h.log(
        3,
        &format!("Initiating client connection, host={hosts} sessionTimeout={recv_timeout} flags={flags}"),
    );
    zh
}

fn clientid_of(id: Option<&ClientIdT>) -> ClientIdT {
    id.copied().unwrap_or(ClientIdT {
        client_id: 0,
        passwd: [0; 16],
    })
}

fn set_errno(e: c_int) {
    // SAFETY: the calling thread's errno.
    unsafe { *libc::__errno_location() = e };
}

fn guard<T>(default: T, f: impl FnOnce() -> T) -> T {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(default)
}

/// Makes a handle and starts connecting; returns at once. NULL (errno EINVAL) for a host
/// string that cannot be used.
#[no_mangle]
pub extern "C" fn zookeeper_init(
    host: *const c_char,
    fn_: Option<WatcherFn>,
    recv_timeout: c_int,
    clientid: *const ClientIdT,
    context: *mut c_void,
    flags: c_int,
) -> *mut ZHandle {
    guard(ptr::null_mut(), || {
        init(host, fn_, recv_timeout, clientid, context, flags, None)
    })
}

/// `zookeeper_init` with the handle's log callback.
#[no_mangle]
pub extern "C" fn zookeeper_init2(
    host: *const c_char,
    fn_: Option<WatcherFn>,
    recv_timeout: c_int,
    clientid: *const ClientIdT,
    context: *mut c_void,
    flags: c_int,
    log_callback: Option<LogCallback>,
) -> *mut ZHandle {
    guard(ptr::null_mut(), || {
        init(
            host,
            fn_,
            recv_timeout,
            clientid,
            context,
            flags,
            log_callback,
        )
    })
}

/// Ends the session (closeSession, waited for) and frees the handle. Callbacks still
/// queued run first, with the handle still valid; none runs after. Safe from a callback.
///
/// # Safety
/// `zh` is NULL or an open handle, not used again.
#[no_mangle]
pub unsafe extern "C" fn zookeeper_close(zh: *mut ZHandle) -> c_int {
    if zh.is_null() {
        return ZBADARGUMENTS;
    }
    guard(ZSYSTEMERROR, || {
        let h = Box::from_raw(zh);
        h.shared.closing.store(true, Ordering::Release);
        let _ = h.client.stop();
        if in_callback() {
            // The event thread cannot wait for itself: callbacks still queued are dropped
            // uncalled (the handle is gone when they would run).
            h.shared.zh.store(ptr::null_mut(), Ordering::Release);
            h.client.close();
        } else {
            h.client.close();
            h.shared.zh.store(ptr::null_mut(), Ordering::Release);
        }
        h.shared.tables.lock().take_all();
        drop(h);
        ZOK
    })
}

/// The state: ZOO_CONNECTING_STATE, ZOO_CONNECTED_STATE, ZOO_READONLY_STATE,
/// ZOO_EXPIRED_SESSION_STATE, ZOO_AUTH_FAILED_STATE; 0 for NULL.
///
/// # Safety
/// `zh` is NULL or an open handle.
#[no_mangle]
pub unsafe extern "C" fn zoo_state(zh: *mut ZHandle) -> c_int {
    handle(zh).map_or(0, |h| guard(0, || h.state()))
}

/// ZINVALIDSTATE when the session is over for good, ZOK otherwise.
///
/// # Safety
/// `zh` is NULL or an open handle.
#[no_mangle]
pub unsafe extern "C" fn is_unrecoverable(zh: *mut ZHandle) -> c_int {
    match handle(zh) {
        Some(h) if h.unrecoverable() => ZINVALIDSTATE,
        Some(_) => ZOK,
        None => ZBADARGUMENTS,
    }
}

/// The session's id and password, valid while the handle is open (the id is 0 until a
/// session is made, or the one given to `zookeeper_init`).
///
/// # Safety
/// `zh` is NULL or an open handle.
#[no_mangle]
pub unsafe extern "C" fn zoo_client_id(zh: *mut ZHandle) -> *const ClientIdT {
    let Some(h) = handle(zh) else {
        return ptr::null();
    };
    if let Some(id) = h.client.client_id() {
        let _g = h.id_lock.lock();
        *h.client_id.get() = ClientIdT {
            client_id: id.session_id,
            passwd: id.passwd.map(|b| b as c_char),
        };
    }
    h.client_id.get()
}

/// The negotiated session timeout in ms once connected; the requested one before.
///
/// # Safety
/// `zh` is NULL or an open handle.
#[no_mangle]
pub unsafe extern "C" fn zoo_recv_timeout(zh: *mut ZHandle) -> c_int {
    let Some(h) = handle(zh) else {
        return ZBADARGUMENTS;
    };
    let t = h.client.negotiated_timeout();
    if t.is_zero() {
        h.recv_timeout
    } else {
        t.as_millis().min(c_int::MAX as u128) as c_int
    }
}

/// # Safety
/// `zh` is NULL or an open handle.
#[no_mangle]
pub unsafe extern "C" fn zoo_get_context(zh: *mut ZHandle) -> *const c_void {
    handle(zh).map_or(ptr::null(), |h| h.shared.context())
}

/// # Safety
/// `zh` is NULL or an open handle.
#[no_mangle]
pub unsafe extern "C" fn zoo_set_context(zh: *mut ZHandle, context: *mut c_void) {
    if let Some(h) = handle(zh) {
        h.shared.context.store(context, Ordering::Release);
    }
}

/// Replaces the global watcher; returns the old one.
///
/// # Safety
/// `zh` is NULL or an open handle.
#[no_mangle]
pub unsafe extern "C" fn zoo_set_watcher(
    zh: *mut ZHandle,
    new_fn: Option<WatcherFn>,
) -> Option<WatcherFn> {
    let h = handle(zh)?;
    let old = h
        .shared
        .watcher
        .swap(new_fn.map_or(0, |f| f as usize), Ordering::AcqRel);
    // SAFETY: only ever stored from a `WatcherFn` (or 0).
    (old != 0).then(|| std::mem::transmute::<usize, WatcherFn>(old))
}

/// # Safety
/// `zh` is NULL or an open handle.
#[no_mangle]
pub unsafe extern "C" fn zoo_get_log_callback(zh: *const ZHandle) -> Option<LogCallback> {
    zh.as_ref().and_then(|h| h.shared.log_callback())
}

/// # Safety
/// `zh` is NULL or an open handle.
#[no_mangle]
pub unsafe extern "C" fn zoo_set_log_callback(zh: *mut ZHandle, callback: Option<LogCallback>) {
    if let Some(h) = handle(zh) {
        h.shared
            .log_callback
            .store(callback.map_or(0, |f| f as usize), Ordering::Release);
    }
}

/// Whether the next handles try their hosts in the given order (1) or shuffled (0).
#[no_mangle]
pub extern "C" fn zoo_deterministic_conn_order(yes_or_no: c_int) {
    DETERMINISTIC.store(yes_or_no != 0, Ordering::Relaxed);
}

/// Replaces the host list (the chroot must stay the same); the session moves only if its
/// server left the list.
///
/// # Safety
/// `zh` is NULL or an open handle; `hosts` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn zoo_set_servers(zh: *mut ZHandle, hosts: *const c_char) -> c_int {
    let (Some(h), Some(hosts)) = (handle(zh), crate::jute::str_of(hosts)) else {
        return ZBADARGUMENTS;
    };
    guard(ZSYSTEMERROR, || match h.client.set_hosts(hosts) {
        Ok(()) => ZOK,
        Err(e) => h.code(e),
    })
}

/// Accepted and ignored beyond its check: this library resolves host names again on every
/// pass over the list (docs/compat.md).
///
/// # Safety
/// `zh` is NULL or an open handle.
#[no_mangle]
pub unsafe extern "C" fn zoo_set_servers_resolution_delay(
    zh: *mut ZHandle,
    delay_ms: c_int,
) -> c_int {
    if handle(zh).is_none() || delay_ms < -1 {
        return ZBADARGUMENTS;
    }
    ZOK
}

/// A no-op: the next reconnect goes to the next host of the list anyway.
///
/// # Safety
/// `zh` is NULL or an open handle.
#[no_mangle]
pub unsafe extern "C" fn zoo_cycle_next_server(_zh: *mut ZHandle) {}

thread_local! {
    static SERVER_TEXT: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The current server as "address:port" (a per-thread buffer, valid until the thread's
/// next call), or "" when not connected.
///
/// # Safety
/// `zh` is NULL or an open handle.
#[no_mangle]
pub unsafe extern "C" fn zoo_get_current_server(zh: *mut ZHandle) -> *const c_char {
    let text = handle(zh)
        .and_then(|h| h.client.current_server())
        .map(|a| a.to_string())
        .unwrap_or_default();
    SERVER_TEXT.with(|b| {
        let mut b = b.borrow_mut();
        b.clear();
        b.extend_from_slice(text.as_bytes());
        b.push(0);
        b.as_ptr() as *const c_char
    })
}

/// Copies the current server's address into `addr` (at most `*addr_len` bytes, the
/// size written back); NULL when not connected.
///
/// # Safety
/// `zh` is NULL or an open handle; `addr` and `addr_len` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn zookeeper_get_connected_host(
    zh: *mut ZHandle,
    addr: *mut libc::sockaddr,
    addr_len: *mut libc::socklen_t,
) -> *mut libc::sockaddr {
    let Some(h) = handle(zh) else {
        return ptr::null_mut();
    };
    if addr.is_null() || addr_len.is_null() {
        return ptr::null_mut();
    }
    let Some(server) = h.client.current_server() else {
        return ptr::null_mut();
    };
    let mut storage: libc::sockaddr_storage = std::mem::zeroed();
    let len = match server {
        SocketAddr::V4(a) => {
            let s = &mut *(&mut storage as *mut _ as *mut libc::sockaddr_in);
            s.sin_family = libc::AF_INET as libc::sa_family_t;
            s.sin_port = a.port().to_be();
            s.sin_addr.s_addr = u32::from(*a.ip()).to_be();
            std::mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let s = &mut *(&mut storage as *mut _ as *mut libc::sockaddr_in6);
            s.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            s.sin6_port = a.port().to_be();
            s.sin6_addr.s6_addr = a.ip().octets();
            s.sin6_flowinfo = a.flowinfo();
            s.sin6_scope_id = a.scope_id();
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    if (*addr_len as usize) < len {
        return ptr::null_mut();
    }
    ptr::copy_nonoverlapping(&storage as *const _ as *const u8, addr as *mut u8, len);
    *addr_len = len as libc::socklen_t;
    addr
}

/// The single-threaded event loop's hooks have no use here: the library runs its own I/O
/// thread. They fail with ZAPIERROR (fd -1, no interest), and change nothing.
///
/// # Safety
/// Pointers NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn zookeeper_interest(
    _zh: *mut ZHandle,
    fd: *mut c_int,
    interest: *mut c_int,
    tv: *mut libc::timeval,
) -> c_int {
    if !fd.is_null() {
        *fd = -1;
    }
    if !interest.is_null() {
        *interest = 0;
    }
    if !tv.is_null() {
        (*tv).tv_sec = 1;
        (*tv).tv_usec = 0;
    }
    ZAPIERROR
}

/// See `zookeeper_interest`.
#[no_mangle]
pub extern "C" fn zookeeper_process(_zh: *mut ZHandle, _events: c_int) -> c_int {
    ZAPIERROR
}
