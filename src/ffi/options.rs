//! `zk_options`: a builder for everything kazoo's constructor takes. Create with
//! `zk_options_new`, set what you need, pass to `zk_client_new` (which copies it), free with
//! `zk_options_free`.

use std::ffi::{c_char, c_void};
use std::sync::Arc;
use std::time::Duration;

use super::types::{
    zk_acl, zk_client_id, zk_finalizer_fn, zk_log_fn, zk_log_level, zk_retry_policy,
};
use super::{
    bytes_arg, from_handle, guard, guard_value, mut_arg, ref_arg, str_arg, to_handle, zk_result,
    UserData,
};
use crate::client::{acl, Options};
use crate::error::{Error, Result};
use crate::session::hosts::ConnectString;
use crate::session::retry::RetryPolicy;
use crate::session::ClientId;

/// Client options (opaque).
pub struct zk_options {
    pub(crate) inner: Options,
}

/// New options with kazoo's defaults: hosts "127.0.0.1:2181", session timeout 10 s,
/// randomized hosts, unbounded connection retry with back-off, no auth, open ACL, quiet.
/// Never NULL. Free with `zk_options_free`.
#[no_mangle]
pub extern "C" fn zk_options_new() -> *mut zk_options {
    guard_value(std::ptr::null_mut(), || {
        to_handle(zk_options {
            inner: Options::default(),
        })
    })
}

/// Frees options. NULL is fine.
///
/// # Safety
/// `opts` is NULL or from `zk_options_new`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn zk_options_free(opts: *mut zk_options) {
    // SAFETY: the caller's contract.
    guard_value((), || drop(unsafe { from_handle(opts) }))
}

/// Runs `f` on the options behind `opts`.
///
/// # Safety
/// `opts` is NULL or a live zk_options.
unsafe fn with(opts: *mut zk_options, f: impl FnOnce(&mut Options) -> Result<()>) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let o = unsafe { mut_arg(opts) }?;
        f(&mut o.inner)
    })
}

/// Sets the connect string `host[:port][,host[:port]...][/chroot]` (IPv6 in brackets,
/// port 2181 by default). Checked now: `ZK_RESULT_INVALID_ARGUMENT` or
/// `ZK_RESULT_INVALID_PATH` for a bad one.
///
/// # Safety
/// `opts` is a live zk_options; `hosts` is a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn zk_options_set_hosts(
    opts: *mut zk_options,
    hosts: *const c_char,
) -> zk_result {
    // SAFETY: the caller's contract.
    unsafe {
        with(opts, |o| {
            let h = str_arg(hosts)?;
            ConnectString::parse(h)?;
            o.hosts = h.to_string();
            Ok(())
        })
    }
}

/// Requested session timeout in milliseconds (the server clamps it; 1..3,600,000).
///
/// # Safety
/// `opts` is a live zk_options.
#[no_mangle]
pub unsafe extern "C" fn zk_options_set_session_timeout_ms(
    opts: *mut zk_options,
    ms: u32,
) -> zk_result {
    // SAFETY: the caller's contract.
    unsafe {
        with(opts, |o| {
            if ms == 0 || ms > 3_600_000 {
                return Err(Error::InvalidArgument);
            }
            o.session_timeout = Duration::from_millis(ms as u64);
            Ok(())
        })
    }
}

/// Resumes this session (from `zk_client_id` of another client) instead of making one.
///
/// # Safety
/// `opts` is a live zk_options; `id` points to a zk_client_id.
#[no_mangle]
pub unsafe extern "C" fn zk_options_set_client_id(
    opts: *mut zk_options,
    id: *const zk_client_id,
) -> zk_result {
    // SAFETY: the caller's contract.
    unsafe {
        with(opts, |o| {
            let id = ref_arg(id)?;
            o.client_id = Some(ClientId {
                session_id: id.session_id,
                passwd: id.passwd,
            });
            Ok(())
        })
    }
}

/// Appends one entry to the default ACL (used by create and ensure_path when the call
/// gives none). With no entries the default is world:anyone with all permissions.
///
/// # Safety
/// `opts` is a live zk_options; `acl` points to a zk_acl whose strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn zk_options_add_default_acl(
    opts: *mut zk_options,
    acl: *const zk_acl,
) -> zk_result {
    // SAFETY: the caller's contract.
    unsafe {
        with(opts, |o| {
            let a = super::client::acl_from_c(ref_arg(acl)?)?;
            acl::check(&a)?;
            o.default_acl.push(a);
            Ok(())
        })
    }
}

/// Adds a credential sent after every connect, before any request ("digest",
/// "user:password" for example). A refused one makes the client AUTH_FAILED.
///
/// # Safety
/// `opts` is a live zk_options; `scheme` is NUL-terminated; `cred` points to `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn zk_options_add_auth(
    opts: *mut zk_options,
    scheme: *const c_char,
    cred: *const u8,
    len: usize,
) -> zk_result {
    // SAFETY: the caller's contract.
    unsafe {
        with(opts, |o| {
            let s = str_arg(scheme)?;
            if s.is_empty() {
                return Err(Error::InvalidArgument);
            }
            o.auth.push((s.to_string(), bytes_arg(cred, len)?.to_vec()));
            Ok(())
        })
    }
}

/// Accept read-only servers (CONNECTED_RO) when no quorum can be reached.
///
/// # Safety
/// `opts` is a live zk_options.
#[no_mangle]
pub unsafe extern "C" fn zk_options_set_read_only(
    opts: *mut zk_options,
    read_only: bool,
) -> zk_result {
    // SAFETY: the caller's contract.
    unsafe {
        with(opts, |o| {
            o.read_only = read_only;
            Ok(())
        })
    }
}

/// Shuffle the host list on every pass (default true).
///
/// # Safety
/// `opts` is a live zk_options.
#[no_mangle]
pub unsafe extern "C" fn zk_options_set_randomize_hosts(
    opts: *mut zk_options,
    randomize: bool,
) -> zk_result {
    // SAFETY: the caller's contract.
    unsafe {
        with(opts, |o| {
            o.randomize_hosts = randomize;
            Ok(())
        })
    }
}

/// Fills `out` with kazoo's default policy: unbounded tries, 100 ms doubling, 40 % jitter,
/// 60 s ceiling, no deadline.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn zk_retry_policy_init(out: *mut zk_retry_policy) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let out = unsafe { mut_arg(out) }?;
        *out = policy_to_c(&RetryPolicy::connection_default());
        Ok(())
    })
}

fn policy_to_c(p: &RetryPolicy) -> zk_retry_policy {
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

fn policy_from_c(p: &zk_retry_policy) -> Result<RetryPolicy> {
    let r = RetryPolicy {
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
    };
    r.validate()?;
    Ok(r)
}

/// Back-off between passes over the host list. When its tries run out the client goes
/// CLOSED and `zk_start` returns `ZK_RESULT_RETRIES_EXHAUSTED`.
///
/// # Safety
/// `opts` is a live zk_options; `policy` points to a zk_retry_policy.
#[no_mangle]
pub unsafe extern "C" fn zk_options_set_connection_retry(
    opts: *mut zk_options,
    policy: *const zk_retry_policy,
) -> zk_result {
    // SAFETY: the caller's contract.
    unsafe {
        with(opts, |o| {
            o.connection_retry = policy_from_c(ref_arg(policy)?)?;
            Ok(())
        })
    }
}

/// Retries of idempotent calls (exists, get, get_children, get_acl, sync) after
/// CONNECTIONLOSS or OPERATIONTIMEOUT, within each call's timeout. Writes are never retried
/// automatically: a repeat could do twice what was asked once.
///
/// # Safety
/// `opts` is a live zk_options; `policy` points to a zk_retry_policy.
#[no_mangle]
pub unsafe extern "C" fn zk_options_set_command_retry(
    opts: *mut zk_options,
    policy: *const zk_retry_policy,
) -> zk_result {
    // SAFETY: the caller's contract.
    unsafe {
        with(opts, |o| {
            o.command_retry = policy_from_c(ref_arg(policy)?)?;
            Ok(())
        })
    }
}

/// Timeout of calls that pass 0 as their own (default 10,000 ms).
///
/// # Safety
/// `opts` is a live zk_options.
#[no_mangle]
pub unsafe extern "C" fn zk_options_set_operation_timeout_ms(
    opts: *mut zk_options,
    ms: u32,
) -> zk_result {
    // SAFETY: the caller's contract.
    unsafe {
        with(opts, |o| {
            if ms == 0 {
                return Err(Error::InvalidArgument);
            }
            o.operation_timeout = Duration::from_millis(ms as u64);
            Ok(())
        })
    }
}

/// Largest frame sent or accepted, in bytes (default 1 MiB + 1 KiB; at least 1024). Data
/// over it fails with `ZK_RESULT_TOO_LARGE` before anything is sent; a reply over it fails
/// only its own call with `ZK_RESULT_TOO_LARGE`.
///
/// # Safety
/// `opts` is a live zk_options.
#[no_mangle]
pub unsafe extern "C" fn zk_options_set_max_frame(
    opts: *mut zk_options,
    bytes: usize,
) -> zk_result {
    // SAFETY: the caller's contract.
    unsafe {
        with(opts, |o| {
            if !(1024..=(1 << 30)).contains(&bytes) {
                return Err(Error::InvalidArgument);
            }
            o.max_frame = bytes;
            Ok(())
        })
    }
}

/// After a session expiry, stay expired (calls fail with `ZK_RESULT_SESSION_EXPIRED`)
/// instead of making a new session (the default, as kazoo does).
///
/// # Safety
/// `opts` is a live zk_options.
#[no_mangle]
pub unsafe extern "C" fn zk_options_set_expiry_final(
    opts: *mut zk_options,
    expiry_final: bool,
) -> zk_result {
    // SAFETY: the caller's contract.
    unsafe {
        with(opts, |o| {
            o.expiry_final = expiry_final;
            Ok(())
        })
    }
}

/// Sets the logger: `callback(userdata, level, message)` for messages at `max_level` (a
/// `zk_log_level`; anything else is `ZK_RESULT_INVALID_ARGUMENT`) or more severe. It runs on library threads, must be thread-safe and must not call back
/// into the library. `finalizer(userdata)` runs once when the options and every client
/// made from them are freed. Without a logger the library is silent.
///
/// # Safety
/// `opts` is a live zk_options; the callback and userdata are usable from any thread.
#[no_mangle]
pub unsafe extern "C" fn zk_options_set_logger(
    opts: *mut zk_options,
    callback: zk_log_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
    max_level: u32,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    let set = move |o: &mut Options| {
        let cb = callback.ok_or(Error::NullArgument)?;
        // A plain integer from C, checked: an enum out of range would be undefined behaviour.
        let max_level = match max_level {
            1 => zk_log_level::Error,
            2 => zk_log_level::Warn,
            3 => zk_log_level::Info,
            4 => zk_log_level::Debug,
            _ => return Err(Error::InvalidArgument),
        };
        let f: crate::session::LogFn = Arc::new(move |level, msg: &str| {
            let c = std::ffi::CString::new(msg.replace('\0', " ")).unwrap_or_default();
            // SAFETY: a C function pointer and the userdata it came with.
            unsafe { cb(ud.ptr(), level, c.as_ptr()) };
        });
        o.logger = Some((f, max_level));
        Ok(())
    };
    // SAFETY: the caller's contract.
    unsafe { with(opts, set) }
}

/// Connects with TLS (the hosts must name the servers' secure client port). `ca_file`: PEM
/// CA certificates to trust (NULL = the system bundle). `cert_file`/`key_file`: a PEM client
/// certificate chain and key (both or neither; ZooKeeper maps it to `x509` auth).
/// `verify_certs`: check the server's chain (turning it off accepts any server).
/// `check_hostname`: also check that the certificate names the host (needs verify_certs).
/// The files are read by `zk_client_new`, which fails with `ZK_RESULT_TLS` if they are
/// unusable, or if the library was built without TLS (`make install NO_TLS=1`).
///
/// # Safety
/// `opts` is a live zk_options; each path is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn zk_options_set_tls(
    opts: *mut zk_options,
    ca_file: *const c_char,
    cert_file: *const c_char,
    key_file: *const c_char,
    verify_certs: bool,
    check_hostname: bool,
) -> zk_result {
    // SAFETY: the caller's contract.
    unsafe {
        set_tls(
            opts,
            ca_file,
            cert_file,
            key_file,
            verify_certs,
            check_hostname,
        )
    }
}

/// zk_options_set_tls's work: checks the arguments and stores the settings.
///
/// # Safety
/// As zk_options_set_tls.
unsafe fn set_tls(
    opts: *mut zk_options,
    ca_file: *const c_char,
    cert_file: *const c_char,
    key_file: *const c_char,
    verify_certs: bool,
    check_hostname: bool,
) -> zk_result {
    let path = |p: *const c_char| -> Result<Option<std::path::PathBuf>> {
        if p.is_null() {
            return Ok(None);
        }
        // SAFETY: non-null and NUL-terminated by the caller's contract.
        Ok(Some(unsafe { str_arg(p) }?.into()))
    };
    let set = move |o: &mut Options| {
        let tls = crate::client::TlsOptions {
            ca_file: path(ca_file)?,
            cert_file: path(cert_file)?,
            key_file: path(key_file)?,
            verify_certs,
            check_hostname,
        };
        if tls.cert_file.is_some() != tls.key_file.is_some() || (check_hostname && !verify_certs) {
            return Err(Error::InvalidArgument);
        }
        o.tls = Some(tls);
        Ok(())
    };
    // SAFETY: the caller's contract.
    unsafe { with(opts, set) }
}
