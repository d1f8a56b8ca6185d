//! The node operations of zookeeper.h, blocking (`zoo_create`, `zoo_get`, ...) and
//! asynchronous (`zoo_acreate`, `zoo_aget`, ...): argument conversion, the watcher tables
//! (watch.rs), and results in the official shapes and ownership (the caller's buffers for
//! blocking calls; for completions, memory the library frees when the completion returns).

use std::ffi::{c_char, c_int, c_void, CString};
use std::ptr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use zkclient::client::async_ops::Callback;
use zkclient::{Acl, CreateOptions, Created, Error, Stat as RStat, WatchFn};

use crate::errors::*;
use crate::handle::{as_callback, handle, in_callback, Shared, WatcherFn, ZHandle};
use crate::jute::{self, acls_of, str_of, AclVector, Stat, StringVector};
use crate::watch::{self, Class};

pub type VoidCompletion = unsafe extern "C" fn(rc: c_int, data: *const c_void);
pub type StatCompletion = unsafe extern "C" fn(rc: c_int, stat: *const Stat, data: *const c_void);
pub type DataCompletion = unsafe extern "C" fn(
    rc: c_int,
    value: *const c_char,
    value_len: c_int,
    stat: *const Stat,
    data: *const c_void,
);
pub type StringsCompletion =
    unsafe extern "C" fn(rc: c_int, strings: *const StringVector, data: *const c_void);
pub type StringStatCompletion =
    unsafe extern "C" fn(rc: c_int, string: *const c_char, stat: *const Stat, data: *const c_void);
pub type StringsStatCompletion = unsafe extern "C" fn(
    rc: c_int,
    strings: *const StringVector,
    stat: *const Stat,
    data: *const c_void,
);
pub type StringCompletion =
    unsafe extern "C" fn(rc: c_int, value: *const c_char, data: *const c_void);
pub type AclCompletion =
    unsafe extern "C" fn(rc: c_int, acl: *mut AclVector, stat: *mut Stat, data: *const c_void);

/// A caller's pointer carried to the event thread and handed back untouched.
#[derive(Clone, Copy)]
pub struct Ptr(pub *const c_void);
// SAFETY: never dereferenced here; the caller owns what it points to.
unsafe impl Send for Ptr {}

impl Ptr {
    /// The pointer (a method, so that closures capture the whole `Ptr`).
    pub fn get(self) -> *const c_void {
        self.0
    }
}

type Children = (Vec<String>, Option<RStat>);
type Data = (Vec<u8>, RStat);

/// A watcher and its context, as the tables keep them.
pub type Pair = (WatcherFn, *mut c_void);

/// What a call asks for: no watch, or a watch with the pair to enter in the tables (None:
/// the global watcher is NULL; the server still sets the watch, as for the official
/// client, but nobody is told).
#[derive(Clone, Copy)]
pub enum Watch {
    No,
    Yes(Option<(usize, usize)>),
}

// SAFETY: function and context pointers, passed back to the caller untouched.
unsafe impl Send for Watch {}

impl Watch {
    /// `watch` != 0: the global watcher with the handle's context.
    pub fn global(h: &ZHandle, watch: c_int) -> Watch {
        if watch == 0 {
            return Watch::No;
        }
        Watch::Yes(
            h.shared
                .watcher()
                .map(|w| (w as usize, h.shared.context() as usize)),
        )
    }

    /// A per-call watcher (none if NULL).
    pub fn with(w: Option<WatcherFn>, ctx: *mut c_void) -> Watch {
        match w {
            Some(w) => Watch::Yes(Some((w as usize, ctx as usize))),
            None => Watch::No,
        }
    }

    fn pair(self) -> Option<Pair> {
        match self {
            Watch::Yes(Some((w, ctx))) => {
                // SAFETY: made from a `WatcherFn` above.
                Some((
                    unsafe { std::mem::transmute::<usize, WatcherFn>(w) },
                    ctx as *mut c_void,
                ))
            }
            _ => None,
        }
    }

    fn wanted(self) -> bool {
        matches!(self, Watch::Yes(_))
    }
}

/// The code of an error reported in a completion.
pub fn code_in_callback(shared: &Shared, e: Error) -> c_int {
    if shared.closing.load(Ordering::Acquire) {
        return -116; // ZCLOSING
    }
    match shared.handle() {
        // SAFETY: the handle is open while `zh` is set.
        Some(zh) => unsafe { (*zh).code(e) },
        None => code_of(e, false),
    }
}

/// The checks every call makes first: a handle, a live session, a UTF-8 path.
///
/// # Safety
/// `zh` NULL or an open handle; `path` NULL or a C string.
pub unsafe fn prolog<'a>(
    zh: *mut ZHandle,
    path: *const c_char,
) -> Result<(&'a ZHandle, &'a str), c_int> {
    let h = handle(zh).ok_or(ZBADARGUMENTS)?;
    let path = str_of(path).ok_or(ZBADARGUMENTS)?;
    if h.unrecoverable() {
        return Err(ZINVALIDSTATE);
    }
    Ok((h, path))
}

/// Runs a call that may set a watch. Without a watch: the blocking call. With one, off the
/// event thread: the async call, waited for, so that the watch joins the tables in the
/// call's completion on the event thread (watch.rs says why). On the event thread (a
/// blocking call from a callback) the blocking call, the watch joining the tables after
/// it returns: that thread cannot wait for a completion it would have to run itself, and a
/// blocking call's reply reaches the caller straight from the reader, with no place in
/// the order of the events (docs/compat.md lists what this lets through).
pub fn watched<T: Send + 'static>(
    h: &ZHandle,
    path: &str,
    w: Watch,
    class_of: fn(&Result<T, Error>) -> Option<Class>,
    blocking: impl FnOnce(Option<WatchFn>) -> Result<T, Error>,
    asynch: impl FnOnce(Option<WatchFn>, Callback<T>) -> Result<(), Error>,
) -> Result<T, Error> {
    if !w.wanted() {
        return blocking(None);
    }
    let trigger = watch::trigger(&h.shared);
    let pair = w.pair();
    if in_callback() {
        let r = blocking(Some(trigger));
        if let Some(c) = class_of(&r) {
            watch::activate(&h.shared, c, path, pair);
        }
        return r;
    }
    let shared = h.shared.clone();
    let path = path.to_string();
    wait_for(|done| {
        asynch(
            Some(trigger),
            Box::new(move |r: Result<T, Error>| {
                if let Some(c) = class_of(&r) {
                    watch::activate(&shared, c, &path, w.pair());
                }
                done.send(r);
            }),
        )
    })
}

/// Where an async call's completion leaves its result for the caller waiting in
/// `wait_for`: a lock and a condition variable, far less code per result type than a
/// channel.
struct Slot<T> {
    result: parking_lot::Mutex<Option<Result<T, Error>>>,
    ready: parking_lot::Condvar,
}

/// The completion's end of a `Slot`. Dropped without `send` (a completion never called),
/// it leaves `Closed`, so that the caller never waits forever.
struct Done<T>(Option<Arc<Slot<T>>>);

impl<T> Done<T> {
    fn send(mut self, r: Result<T, Error>) {
        if let Some(slot) = self.0.take() {
            *slot.result.lock() = Some(r);
            slot.ready.notify_one();
        }
    }
}

impl<T> Drop for Done<T> {
    fn drop(&mut self) {
        if let Some(slot) = self.0.take() {
            slot.result.lock().get_or_insert(Err(Error::Closed));
            slot.ready.notify_one();
        }
    }
}

/// Starts an async call with `start` (which hands `Done` to the call's completion) and
/// waits for its result; an error from `start` itself is returned as it is.
fn wait_for<T>(start: impl FnOnce(Done<T>) -> Result<(), Error>) -> Result<T, Error> {
    let slot = Arc::new(Slot {
        result: parking_lot::Mutex::new(None),
        ready: parking_lot::Condvar::new(),
    });
    start(Done(Some(slot.clone())))?;
    let mut result = slot.result.lock();
    loop {
        if let Some(r) = result.take() {
            return r;
        }
        slot.ready.wait(&mut result);
    }
}

/// An async call's completion wrapper: on the event thread, enters the watch (if the
/// reply set one), then calls the caller's completion with `deliver`, unless the handle is
/// gone.
pub fn completion<T: Send + 'static>(
    shared: &Arc<Shared>,
    path: &str,
    w: Watch,
    class_of: fn(&Result<T, Error>) -> Option<Class>,
    deliver: impl FnOnce(&Shared, Result<T, Error>) + Send + 'static,
) -> Callback<T> {
    let shared = shared.clone();
    let path = path.to_string();
    Box::new(move |r: Result<T, Error>| {
        as_callback(|| {
            if let Some(c) = class_of(&r) {
                if w.wanted() {
                    watch::activate(&shared, c, &path, w.pair());
                }
            }
            if shared.handle().is_some() {
                deliver(&shared, r);
            }
        })
    })
}

fn no_class<T>(_: &Result<T, Error>) -> Option<Class> {
    None
}

pub fn data_class<T>(r: &Result<T, Error>) -> Option<Class> {
    r.is_ok().then_some(Class::Data)
}

fn child_class<T>(r: &Result<T, Error>) -> Option<Class> {
    r.is_ok().then_some(Class::Child)
}

fn exists_class(r: &Result<Option<RStat>, Error>) -> Option<Class> {
    match r {
        Ok(Some(_)) => Some(Class::Data),
        Ok(None) => Some(Class::Exist),
        Err(_) => None,
    }
}

/// A caller's (value, valuelen) as bytes: NULL or a negative length is no data.
unsafe fn data_of<'a>(value: *const c_char, len: c_int) -> Result<&'a [u8], c_int> {
    if value.is_null() || len <= 0 {
        return Ok(&[]);
    }
    if len as usize > 1 << 30 {
        return Err(ZBADARGUMENTS);
    }
    Ok(std::slice::from_raw_parts(value as *const u8, len as usize))
}

/// The largest TTL the server takes (ms): EphemeralType's 40 bits.
const TTL_MAX: i64 = 0xFF_FFFF_FFFF;

/// A create mode (ZOO_PERSISTENT .. ZOO_PERSISTENT_SEQUENTIAL_WITH_TTL) and TTL as the
/// crate's options (ACL filled in by the caller).
fn create_options(mode: c_int, ttl: i64) -> Result<CreateOptions<'static>, c_int> {
    let mut o = CreateOptions::default();
    match mode {
        0 => {}
        1 => o.ephemeral = true,
        2 => o.sequence = true,
        3 => {
            o.ephemeral = true;
            o.sequence = true;
        }
        4 => o.container = true,
        5 | 6 => {
            if ttl <= 0 || ttl > TTL_MAX {
                return Err(ZBADARGUMENTS);
            }
            o.sequence = mode == 6;
            o.ttl = Some(Duration::from_millis(ttl as u64));
        }
        _ => return Err(ZBADARGUMENTS),
    }
    Ok(o)
}

/// Copies `path` into the caller's buffer as the official client does: at most `len - 1`
/// bytes and a NUL; nothing when the buffer is NULL or `len` <= 0.
unsafe fn copy_path(buf: *mut c_char, len: c_int, path: &str) {
    if buf.is_null() || len <= 0 {
        return;
    }
    let n = path.len().min(len as usize - 1);
    ptr::copy_nonoverlapping(path.as_ptr() as *const c_char, buf, n);
    *buf.add(n) = 0;
}

unsafe fn put_stat(dst: *mut Stat, s: &RStat) {
    if !dst.is_null() {
        *dst = Stat::from(s);
    }
}

fn cstring(s: &str) -> CString {
    CString::new(s.replace('\0', "")).unwrap_or_default()
}

// ---------------------------------------------------------------- create

#[allow(clippy::too_many_arguments)]
unsafe fn create_sync(
    zh: *mut ZHandle,
    path: *const c_char,
    value: *const c_char,
    valuelen: c_int,
    acl: *const AclVector,
    mode: c_int,
    ttl: i64,
    path_buffer: *mut c_char,
    path_buffer_len: c_int,
    stat: *mut Stat,
) -> c_int {
    let run = || -> Result<(), c_int> {
        let (h, path) = prolog(zh, path)?;
        let data = data_of(value, valuelen)?;
        let acl: Vec<Acl> = acls_of(acl)?;
        let mut o = create_options(mode, ttl)?;
        o.acl = Some(&acl);
        let c = h
            .client
            .create(path, data, &o, !stat.is_null(), None)
            .map_err(|e| h.code(e))?;
        copy_path(path_buffer, path_buffer_len, &c.path);
        if let Some(s) = &c.stat {
            put_stat(stat, s);
        }
        Ok(())
    };
    guarded(|| run().err().unwrap_or(ZOK))
}

/// Runs an exported function's body, a panic becoming ZSYSTEMERROR.
pub fn guarded(f: impl FnOnce() -> c_int) -> c_int {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(ZSYSTEMERROR)
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_create(
    zh: *mut ZHandle,
    path: *const c_char,
    value: *const c_char,
    valuelen: c_int,
    acl: *const AclVector,
    mode: c_int,
    path_buffer: *mut c_char,
    path_buffer_len: c_int,
) -> c_int {
    create_sync(
        zh,
        path,
        value,
        valuelen,
        acl,
        mode,
        -1,
        path_buffer,
        path_buffer_len,
        ptr::null_mut(),
    )
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_create_ttl(
    zh: *mut ZHandle,
    path: *const c_char,
    value: *const c_char,
    valuelen: c_int,
    acl: *const AclVector,
    mode: c_int,
    ttl: i64,
    path_buffer: *mut c_char,
    path_buffer_len: c_int,
) -> c_int {
    create_sync(
        zh,
        path,
        value,
        valuelen,
        acl,
        mode,
        ttl,
        path_buffer,
        path_buffer_len,
        ptr::null_mut(),
    )
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_create2(
    zh: *mut ZHandle,
    path: *const c_char,
    value: *const c_char,
    valuelen: c_int,
    acl: *const AclVector,
    mode: c_int,
    path_buffer: *mut c_char,
    path_buffer_len: c_int,
    stat: *mut Stat,
) -> c_int {
    let mut local = Stat::default();
    let st = if stat.is_null() {
        &mut local as *mut Stat
    } else {
        stat
    };
    create_sync(
        zh,
        path,
        value,
        valuelen,
        acl,
        mode,
        -1,
        path_buffer,
        path_buffer_len,
        st,
    )
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_create2_ttl(
    zh: *mut ZHandle,
    path: *const c_char,
    value: *const c_char,
    valuelen: c_int,
    acl: *const AclVector,
    mode: c_int,
    ttl: i64,
    path_buffer: *mut c_char,
    path_buffer_len: c_int,
    stat: *mut Stat,
) -> c_int {
    let mut local = Stat::default();
    let st = if stat.is_null() {
        &mut local as *mut Stat
    } else {
        stat
    };
    create_sync(
        zh,
        path,
        value,
        valuelen,
        acl,
        mode,
        ttl,
        path_buffer,
        path_buffer_len,
        st,
    )
}

#[allow(clippy::too_many_arguments)]
unsafe fn create_async(
    zh: *mut ZHandle,
    path: *const c_char,
    value: *const c_char,
    valuelen: c_int,
    acl: *const AclVector,
    mode: c_int,
    ttl: i64,
    want_stat: bool,
    deliver: impl FnOnce(&Shared, Result<Created, Error>) + Send + 'static,
) -> c_int {
    let run = || -> Result<(), c_int> {
        let (h, path) = prolog(zh, path)?;
        let data = data_of(value, valuelen)?;
        let acl: Vec<Acl> = acls_of(acl)?;
        let mut o = create_options(mode, ttl)?;
        o.acl = Some(&acl);
        let cb = completion(&h.shared, path, Watch::No, no_class, deliver);
        h.client
            .create_async(path, data, &o, want_stat, None, cb)
            .map_err(|e| h.code(e))
    };
    guarded(|| run().err().unwrap_or(ZOK))
}

fn string_deliver(
    completion: Option<StringCompletion>,
    data: Ptr,
) -> impl FnOnce(&Shared, Result<Created, Error>) + Send + 'static {
    move |shared: &Shared, r: Result<Created, Error>| {
        let Some(f) = completion else { return };
        // SAFETY: the caller's completion, with pointers valid for the call.
        unsafe {
            match r {
                Ok(c) => {
                    let p = cstring(&c.path);
                    f(ZOK, p.as_ptr(), data.get())
                }
                Err(e) => f(code_in_callback(shared, e), ptr::null(), data.get()),
            }
        }
    }
}

fn string_stat_deliver(
    completion: Option<StringStatCompletion>,
    data: Ptr,
) -> impl FnOnce(&Shared, Result<Created, Error>) + Send + 'static {
    move |shared: &Shared, r: Result<Created, Error>| {
        let Some(f) = completion else { return };
        // SAFETY: the caller's completion, with pointers valid for the call.
        unsafe {
            match r {
                Ok(c) => {
                    let p = cstring(&c.path);
                    let st = c.stat.as_ref().map(Stat::from).unwrap_or_default();
                    f(ZOK, p.as_ptr(), &st, data.get())
                }
                Err(e) => f(
                    code_in_callback(shared, e),
                    ptr::null(),
                    ptr::null(),
                    data.get(),
                ),
            }
        }
    }
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_acreate(
    zh: *mut ZHandle,
    path: *const c_char,
    value: *const c_char,
    valuelen: c_int,
    acl: *const AclVector,
    mode: c_int,
    completion: Option<StringCompletion>,
    data: *const c_void,
) -> c_int {
    create_async(
        zh,
        path,
        value,
        valuelen,
        acl,
        mode,
        -1,
        false,
        string_deliver(completion, Ptr(data)),
    )
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_acreate_ttl(
    zh: *mut ZHandle,
    path: *const c_char,
    value: *const c_char,
    valuelen: c_int,
    acl: *const AclVector,
    mode: c_int,
    ttl: i64,
    completion: Option<StringCompletion>,
    data: *const c_void,
) -> c_int {
    create_async(
        zh,
        path,
        value,
        valuelen,
        acl,
        mode,
        ttl,
        false,
        string_deliver(completion, Ptr(data)),
    )
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_acreate2(
    zh: *mut ZHandle,
    path: *const c_char,
    value: *const c_char,
    valuelen: c_int,
    acl: *const AclVector,
    mode: c_int,
    completion: Option<StringStatCompletion>,
    data: *const c_void,
) -> c_int {
    create_async(
        zh,
        path,
        value,
        valuelen,
        acl,
        mode,
        -1,
        true,
        string_stat_deliver(completion, Ptr(data)),
    )
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_acreate2_ttl(
    zh: *mut ZHandle,
    path: *const c_char,
    value: *const c_char,
    valuelen: c_int,
    acl: *const AclVector,
    mode: c_int,
    ttl: i64,
    completion: Option<StringStatCompletion>,
    data: *const c_void,
) -> c_int {
    create_async(
        zh,
        path,
        value,
        valuelen,
        acl,
        mode,
        ttl,
        true,
        string_stat_deliver(completion, Ptr(data)),
    )
}

// ---------------------------------------------------------------- delete

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_delete(
    zh: *mut ZHandle,
    path: *const c_char,
    version: c_int,
) -> c_int {
    guarded(|| {
        let (h, path) = match prolog(zh, path) {
            Ok(x) => x,
            Err(c) => return c,
        };
        match h.client.delete(path, version, false, None) {
            Ok(()) => ZOK,
            Err(e) => h.code(e),
        }
    })
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_adelete(
    zh: *mut ZHandle,
    path: *const c_char,
    version: c_int,
    completion: Option<VoidCompletion>,
    data: *const c_void,
) -> c_int {
    let data = Ptr(data);
    guarded(|| {
        let (h, path) = match prolog(zh, path) {
            Ok(x) => x,
            Err(c) => return c,
        };
        let cb = completion_void(&h.shared, path, completion, data);
        match h.client.delete_async(path, version, None, cb) {
            Ok(()) => ZOK,
            Err(e) => h.code(e),
        }
    })
}

/// A completion that reports only the result code.
pub fn completion_void<T: Send + 'static>(
    shared: &Arc<Shared>,
    path: &str,
    f: Option<VoidCompletion>,
    data: Ptr,
) -> Callback<T> {
    completion(
        shared,
        path,
        Watch::No,
        no_class,
        move |shared, r: Result<T, Error>| {
            if let Some(f) = f {
                let rc = match r {
                    Ok(_) => ZOK,
                    Err(e) => code_in_callback(shared, e),
                };
                // SAFETY: the caller's completion.
                unsafe { f(rc, data.get()) }
            }
        },
    )
}

// ---------------------------------------------------------------- exists

unsafe fn exists_sync(
    zh: *mut ZHandle,
    path: *const c_char,
    w: impl FnOnce(&ZHandle) -> Watch,
    stat: *mut Stat,
) -> c_int {
    guarded(|| {
        let (h, path) = match prolog(zh, path) {
            Ok(x) => x,
            Err(c) => return c,
        };
        let w = w(h);
        let r = watched(
            h,
            path,
            w,
            exists_class,
            |wf| h.client.exists(path, wf, None),
            |wf, cb| h.client.exists_async(path, wf, None, cb),
        );
        match r {
            Ok(Some(s)) => {
                put_stat(stat, &s);
                ZOK
            }
            Ok(None) => ZNONODE,
            Err(e) => h.code(e),
        }
    })
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_exists(
    zh: *mut ZHandle,
    path: *const c_char,
    watch: c_int,
    stat: *mut Stat,
) -> c_int {
    exists_sync(zh, path, |h| Watch::global(h, watch), stat)
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_wexists(
    zh: *mut ZHandle,
    path: *const c_char,
    watcher: Option<WatcherFn>,
    watcher_ctx: *mut c_void,
    stat: *mut Stat,
) -> c_int {
    exists_sync(zh, path, |_| Watch::with(watcher, watcher_ctx), stat)
}

unsafe fn exists_async(
    zh: *mut ZHandle,
    path: *const c_char,
    w: impl FnOnce(&ZHandle) -> Watch,
    completion_fn: Option<StatCompletion>,
    data: Ptr,
) -> c_int {
    guarded(|| {
        let (h, path) = match prolog(zh, path) {
            Ok(x) => x,
            Err(c) => return c,
        };
        let w = w(h);
        let cb = completion(&h.shared, path, w, exists_class, move |shared, r| {
            let Some(f) = completion_fn else { return };
            // SAFETY: the caller's completion, with pointers valid for the call.
            unsafe {
                match r {
                    Ok(Some(s)) => f(ZOK, &Stat::from(&s), data.get()),
                    Ok(None) => f(ZNONODE, ptr::null(), data.get()),
                    Err(e) => f(code_in_callback(shared, e), ptr::null(), data.get()),
                }
            }
        });
        let trigger = w.wanted().then(|| watch::trigger(&h.shared));
        match h.client.exists_async(path, trigger, None, cb) {
            Ok(()) => ZOK,
            Err(e) => h.code(e),
        }
    })
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_aexists(
    zh: *mut ZHandle,
    path: *const c_char,
    watch: c_int,
    completion: Option<StatCompletion>,
    data: *const c_void,
) -> c_int {
    exists_async(zh, path, |h| Watch::global(h, watch), completion, Ptr(data))
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_awexists(
    zh: *mut ZHandle,
    path: *const c_char,
    watcher: Option<WatcherFn>,
    watcher_ctx: *mut c_void,
    completion: Option<StatCompletion>,
    data: *const c_void,
) -> c_int {
    exists_async(
        zh,
        path,
        |_| Watch::with(watcher, watcher_ctx),
        completion,
        Ptr(data),
    )
}

// ---------------------------------------------------------------- get

/// Copies a get's data into the caller's buffer: at most `*buffer_len` bytes, the count
/// written back. A NULL buffer takes nothing.
unsafe fn put_data(buffer: *mut c_char, buffer_len: *mut c_int, data: &[u8]) {
    if buffer_len.is_null() {
        return;
    }
    let room = if buffer.is_null() {
        0
    } else {
        (*buffer_len).max(0) as usize
    };
    let n = data.len().min(room);
    if n > 0 {
        ptr::copy_nonoverlapping(data.as_ptr() as *const c_char, buffer, n);
    }
    *buffer_len = n as c_int;
}

pub(crate) unsafe fn get_sync(
    zh: *mut ZHandle,
    path: *const c_char,
    w: impl FnOnce(&ZHandle) -> Watch,
    buffer: *mut c_char,
    buffer_len: *mut c_int,
    stat: *mut Stat,
) -> c_int {
    guarded(|| {
        let (h, path) = match prolog(zh, path) {
            Ok(x) => x,
            Err(c) => return c,
        };
        if buffer_len.is_null() || *buffer_len < 0 {
            return ZBADARGUMENTS;
        }
        let w = w(h);
        let r = watched(
            h,
            path,
            w,
            data_class,
            |wf| h.client.get(path, wf, None),
            |wf, cb| h.client.get_async(path, wf, None, cb),
        );
        match r {
            Ok((data, s)) => {
                put_data(buffer, buffer_len, &data);
                put_stat(stat, &s);
                ZOK
            }
            Err(e) => h.code(e),
        }
    })
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_get(
    zh: *mut ZHandle,
    path: *const c_char,
    watch: c_int,
    buffer: *mut c_char,
    buffer_len: *mut c_int,
    stat: *mut Stat,
) -> c_int {
    get_sync(
        zh,
        path,
        |h| Watch::global(h, watch),
        buffer,
        buffer_len,
        stat,
    )
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_wget(
    zh: *mut ZHandle,
    path: *const c_char,
    watcher: Option<WatcherFn>,
    watcher_ctx: *mut c_void,
    buffer: *mut c_char,
    buffer_len: *mut c_int,
    stat: *mut Stat,
) -> c_int {
    get_sync(
        zh,
        path,
        |_| Watch::with(watcher, watcher_ctx),
        buffer,
        buffer_len,
        stat,
    )
}

/// The deliverer of a data completion.
pub fn data_deliver(
    completion: Option<DataCompletion>,
    data: Ptr,
) -> impl FnOnce(&Shared, Result<Data, Error>) + Send + 'static {
    move |shared: &Shared, r: Result<Data, Error>| {
        let Some(f) = completion else { return };
        // SAFETY: the caller's completion, with pointers valid for the call.
        unsafe {
            match r {
                Ok((bytes, s)) => f(
                    ZOK,
                    if bytes.is_empty() {
                        ptr::null()
                    } else {
                        bytes.as_ptr() as *const c_char
                    },
                    bytes.len() as c_int,
                    &Stat::from(&s),
                    data.get(),
                ),
                Err(e) => f(
                    code_in_callback(shared, e),
                    ptr::null(),
                    -1,
                    ptr::null(),
                    data.get(),
                ),
            }
        }
    }
}

unsafe fn get_async(
    zh: *mut ZHandle,
    path: *const c_char,
    w: impl FnOnce(&ZHandle) -> Watch,
    completion_fn: Option<DataCompletion>,
    data: Ptr,
) -> c_int {
    guarded(|| {
        let (h, path) = match prolog(zh, path) {
            Ok(x) => x,
            Err(c) => return c,
        };
        let w = w(h);
        let cb = completion(
            &h.shared,
            path,
            w,
            data_class,
            data_deliver(completion_fn, data),
        );
        let trigger = w.wanted().then(|| watch::trigger(&h.shared));
        match h.client.get_async(path, trigger, None, cb) {
            Ok(()) => ZOK,
            Err(e) => h.code(e),
        }
    })
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_aget(
    zh: *mut ZHandle,
    path: *const c_char,
    watch: c_int,
    completion: Option<DataCompletion>,
    data: *const c_void,
) -> c_int {
    get_async(zh, path, |h| Watch::global(h, watch), completion, Ptr(data))
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_awget(
    zh: *mut ZHandle,
    path: *const c_char,
    watcher: Option<WatcherFn>,
    watcher_ctx: *mut c_void,
    completion: Option<DataCompletion>,
    data: *const c_void,
) -> c_int {
    get_async(
        zh,
        path,
        |_| Watch::with(watcher, watcher_ctx),
        completion,
        Ptr(data),
    )
}

// ---------------------------------------------------------------- set

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_set2(
    zh: *mut ZHandle,
    path: *const c_char,
    buffer: *const c_char,
    buflen: c_int,
    version: c_int,
    stat: *mut Stat,
) -> c_int {
    guarded(|| {
        let (h, path) = match prolog(zh, path) {
            Ok(x) => x,
            Err(c) => return c,
        };
        let data = match data_of(buffer, buflen) {
            Ok(d) => d,
            Err(c) => return c,
        };
        match h.client.set(path, data, version, None) {
            Ok(s) => {
                put_stat(stat, &s);
                ZOK
            }
            Err(e) => h.code(e),
        }
    })
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_set(
    zh: *mut ZHandle,
    path: *const c_char,
    buffer: *const c_char,
    buflen: c_int,
    version: c_int,
) -> c_int {
    zoo_set2(zh, path, buffer, buflen, version, ptr::null_mut())
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_aset(
    zh: *mut ZHandle,
    path: *const c_char,
    buffer: *const c_char,
    buflen: c_int,
    version: c_int,
    completion_fn: Option<StatCompletion>,
    data: *const c_void,
) -> c_int {
    let data = Ptr(data);
    guarded(|| {
        let (h, path) = match prolog(zh, path) {
            Ok(x) => x,
            Err(c) => return c,
        };
        let bytes = match data_of(buffer, buflen) {
            Ok(d) => d,
            Err(c) => return c,
        };
        let cb = completion(
            &h.shared,
            path,
            Watch::No,
            no_class,
            stat_deliver(completion_fn, data),
        );
        match h.client.set_async(path, bytes, version, None, cb) {
            Ok(()) => ZOK,
            Err(e) => h.code(e),
        }
    })
}

fn stat_deliver(
    completion: Option<StatCompletion>,
    data: Ptr,
) -> impl FnOnce(&Shared, Result<RStat, Error>) + Send + 'static {
    move |shared: &Shared, r: Result<RStat, Error>| {
        let Some(f) = completion else { return };
        // SAFETY: the caller's completion, with pointers valid for the call.
        unsafe {
            match r {
                Ok(s) => f(ZOK, &Stat::from(&s), data.get()),
                Err(e) => f(code_in_callback(shared, e), ptr::null(), data.get()),
            }
        }
    }
}

// ---------------------------------------------------------------- children

unsafe fn children_sync(
    zh: *mut ZHandle,
    path: *const c_char,
    w: impl FnOnce(&ZHandle) -> Watch,
    strings: *mut StringVector,
    stat: *mut Stat,
) -> c_int {
    guarded(|| {
        let (h, path) = match prolog(zh, path) {
            Ok(x) => x,
            Err(c) => return c,
        };
        if strings.is_null() {
            return ZBADARGUMENTS;
        }
        let want_stat = !stat.is_null();
        let w = w(h);
        let r = watched(
            h,
            path,
            w,
            child_class,
            |wf| h.client.get_children(path, wf, want_stat, None),
            |wf, cb| h.client.get_children_async(path, wf, want_stat, None, cb),
        );
        match r {
            Ok((names, s)) => {
                *strings = jute::string_vector(&names);
                if let Some(s) = s {
                    put_stat(stat, &s);
                }
                ZOK
            }
            Err(e) => h.code(e),
        }
    })
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_get_children(
    zh: *mut ZHandle,
    path: *const c_char,
    watch: c_int,
    strings: *mut StringVector,
) -> c_int {
    children_sync(
        zh,
        path,
        |h| Watch::global(h, watch),
        strings,
        ptr::null_mut(),
    )
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_wget_children(
    zh: *mut ZHandle,
    path: *const c_char,
    watcher: Option<WatcherFn>,
    watcher_ctx: *mut c_void,
    strings: *mut StringVector,
) -> c_int {
    children_sync(
        zh,
        path,
        |_| Watch::with(watcher, watcher_ctx),
        strings,
        ptr::null_mut(),
    )
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_get_children2(
    zh: *mut ZHandle,
    path: *const c_char,
    watch: c_int,
    strings: *mut StringVector,
    stat: *mut Stat,
) -> c_int {
    let mut local = Stat::default();
    let st = if stat.is_null() {
        &mut local as *mut Stat
    } else {
        stat
    };
    children_sync(zh, path, |h| Watch::global(h, watch), strings, st)
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_wget_children2(
    zh: *mut ZHandle,
    path: *const c_char,
    watcher: Option<WatcherFn>,
    watcher_ctx: *mut c_void,
    strings: *mut StringVector,
    stat: *mut Stat,
) -> c_int {
    let mut local = Stat::default();
    let st = if stat.is_null() {
        &mut local as *mut Stat
    } else {
        stat
    };
    children_sync(zh, path, |_| Watch::with(watcher, watcher_ctx), strings, st)
}

unsafe fn children_async(
    zh: *mut ZHandle,
    path: *const c_char,
    w: impl FnOnce(&ZHandle) -> Watch,
    want_stat: bool,
    deliver: impl FnOnce(&Shared, Result<Children, Error>) + Send + 'static,
) -> c_int {
    guarded(|| {
        let (h, path) = match prolog(zh, path) {
            Ok(x) => x,
            Err(c) => return c,
        };
        let w = w(h);
        let cb = completion(&h.shared, path, w, child_class, deliver);
        let trigger = w.wanted().then(|| watch::trigger(&h.shared));
        match h
            .client
            .get_children_async(path, trigger, want_stat, None, cb)
        {
            Ok(()) => ZOK,
            Err(e) => h.code(e),
        }
    })
}

fn strings_deliver(
    completion: Option<StringsCompletion>,
    data: Ptr,
) -> impl FnOnce(&Shared, Result<Children, Error>) + Send + 'static {
    move |shared: &Shared, r: Result<Children, Error>| {
        let Some(f) = completion else { return };
        // SAFETY: the caller's completion; the vector is freed after it returns.
        unsafe {
            match r {
                Ok((names, _)) => {
                    let mut v = jute::string_vector(&names);
                    f(ZOK, &v, data.get());
                    jute::deallocate_String_vector(&mut v);
                }
                Err(e) => f(code_in_callback(shared, e), ptr::null(), data.get()),
            }
        }
    }
}

fn strings_stat_deliver(
    completion: Option<StringsStatCompletion>,
    data: Ptr,
) -> impl FnOnce(&Shared, Result<Children, Error>) + Send + 'static {
    move |shared: &Shared, r: Result<Children, Error>| {
        let Some(f) = completion else { return };
        // SAFETY: the caller's completion; the vector is freed after it returns.
        unsafe {
            match r {
                Ok((names, s)) => {
                    let mut v = jute::string_vector(&names);
                    let st = s.as_ref().map(Stat::from).unwrap_or_default();
                    f(ZOK, &v, &st, data.get());
                    jute::deallocate_String_vector(&mut v);
                }
                Err(e) => f(
                    code_in_callback(shared, e),
                    ptr::null(),
                    ptr::null(),
                    data.get(),
                ),
            }
        }
    }
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_aget_children(
    zh: *mut ZHandle,
    path: *const c_char,
    watch: c_int,
    completion: Option<StringsCompletion>,
    data: *const c_void,
) -> c_int {
    children_async(
        zh,
        path,
        |h| Watch::global(h, watch),
        false,
        strings_deliver(completion, Ptr(data)),
    )
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_awget_children(
    zh: *mut ZHandle,
    path: *const c_char,
    watcher: Option<WatcherFn>,
    watcher_ctx: *mut c_void,
    completion: Option<StringsCompletion>,
    data: *const c_void,
) -> c_int {
    children_async(
        zh,
        path,
        |_| Watch::with(watcher, watcher_ctx),
        false,
        strings_deliver(completion, Ptr(data)),
    )
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_aget_children2(
    zh: *mut ZHandle,
    path: *const c_char,
    watch: c_int,
    completion: Option<StringsStatCompletion>,
    data: *const c_void,
) -> c_int {
    children_async(
        zh,
        path,
        |h| Watch::global(h, watch),
        true,
        strings_stat_deliver(completion, Ptr(data)),
    )
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_awget_children2(
    zh: *mut ZHandle,
    path: *const c_char,
    watcher: Option<WatcherFn>,
    watcher_ctx: *mut c_void,
    completion: Option<StringsStatCompletion>,
    data: *const c_void,
) -> c_int {
    children_async(
        zh,
        path,
        |_| Watch::with(watcher, watcher_ctx),
        true,
        strings_stat_deliver(completion, Ptr(data)),
    )
}

// ---------------------------------------------------------------- sync, ACLs

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_async(
    zh: *mut ZHandle,
    path: *const c_char,
    completion_fn: Option<StringCompletion>,
    data: *const c_void,
) -> c_int {
    let data = Ptr(data);
    guarded(|| {
        let (h, path) = match prolog(zh, path) {
            Ok(x) => x,
            Err(c) => return c,
        };
        let cb = completion(
            &h.shared,
            path,
            Watch::No,
            no_class,
            move |shared, r: Result<String, Error>| {
                string_deliver(completion_fn, data)(
                    shared,
                    r.map(|p| Created {
                        path: p,
                        stat: None,
                    }),
                )
            },
        );
        match h.client.sync_async(path, None, cb) {
            Ok(()) => ZOK,
            Err(e) => h.code(e),
        }
    })
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_get_acl(
    zh: *mut ZHandle,
    path: *const c_char,
    acl: *mut AclVector,
    stat: *mut Stat,
) -> c_int {
    guarded(|| {
        let (h, path) = match prolog(zh, path) {
            Ok(x) => x,
            Err(c) => return c,
        };
        if acl.is_null() {
            return ZBADARGUMENTS;
        }
        match h.client.get_acl(path, None) {
            Ok((a, s)) => {
                *acl = jute::acl_vector(&a);
                put_stat(stat, &s);
                ZOK
            }
            Err(e) => h.code(e),
        }
    })
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_aget_acl(
    zh: *mut ZHandle,
    path: *const c_char,
    completion_fn: Option<AclCompletion>,
    data: *const c_void,
) -> c_int {
    let data = Ptr(data);
    guarded(|| {
        let (h, path) = match prolog(zh, path) {
            Ok(x) => x,
            Err(c) => return c,
        };
        let cb = completion(
            &h.shared,
            path,
            Watch::No,
            no_class,
            move |shared, r: Result<(Vec<Acl>, RStat), Error>| {
                let Some(f) = completion_fn else { return };
                // SAFETY: the caller's completion; the vector is freed after it returns.
                unsafe {
                    match r {
                        Ok((a, s)) => {
                            let mut v = jute::acl_vector(&a);
                            let mut st = Stat::from(&s);
                            f(ZOK, &mut v, &mut st, data.get());
                            jute::deallocate_ACL_vector(&mut v);
                        }
                        Err(e) => f(
                            code_in_callback(shared, e),
                            ptr::null_mut(),
                            ptr::null_mut(),
                            data.get(),
                        ),
                    }
                }
            },
        );
        match h.client.get_acl_async(path, None, cb) {
            Ok(()) => ZOK,
            Err(e) => h.code(e),
        }
    })
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_set_acl(
    zh: *mut ZHandle,
    path: *const c_char,
    version: c_int,
    acl: *const AclVector,
) -> c_int {
    guarded(|| {
        let (h, path) = match prolog(zh, path) {
            Ok(x) => x,
            Err(c) => return c,
        };
        let acl = match acls_of(acl) {
            Ok(a) => a,
            Err(c) => return c,
        };
        match h.client.set_acl(path, &acl, version, None) {
            Ok(_) => ZOK,
            Err(e) => h.code(e),
        }
    })
}

/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_aset_acl(
    zh: *mut ZHandle,
    path: *const c_char,
    version: c_int,
    acl: *mut AclVector,
    completion: Option<VoidCompletion>,
    data: *const c_void,
) -> c_int {
    let data = Ptr(data);
    guarded(|| {
        let (h, path) = match prolog(zh, path) {
            Ok(x) => x,
            Err(c) => return c,
        };
        let acl = match acls_of(acl) {
            Ok(a) => a,
            Err(c) => return c,
        };
        let cb = completion_void(&h.shared, path, completion, data);
        match h.client.set_acl_async(path, &acl, version, None, cb) {
            Ok(()) => ZOK,
            Err(e) => h.code(e),
        }
    })
}

// ---------------------------------------------------------------- auth

/// Adds a credential; `completion` (may be NULL) gets the server's verdict. A refused one
/// ends the session (ZOO_AUTH_FAILED_STATE).
///
/// # Safety
/// zookeeper.h's contract for each argument.
#[no_mangle]
pub unsafe extern "C" fn zoo_add_auth(
    zh: *mut ZHandle,
    scheme: *const c_char,
    cert: *const c_char,
    cert_len: c_int,
    completion: Option<VoidCompletion>,
    data: *const c_void,
) -> c_int {
    let data = Ptr(data);
    guarded(|| {
        let (h, scheme) = match prolog(zh, scheme) {
            Ok(x) => x,
            Err(c) => return c,
        };
        let cred = match data_of(cert, cert_len) {
            Ok(d) => d,
            Err(c) => return c,
        };
        let cb = completion_void(&h.shared, "", completion, data);
        match h.client.add_auth_async(scheme, cred, None, cb) {
            Ok(()) => ZOK,
            Err(e) => h.code(e),
        }
    })
}
