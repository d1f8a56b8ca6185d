//! zk_options: the settings a client is made from. Each setter converts its arguments and
//! lets Options::validate (in client) judge the result; a refused setting leaves the
//! options as they were.

use std::ffi::{c_char, c_void};
use std::sync::Arc;
use std::time::Duration;

use super::convert::*;
use super::types::{zk_acl, zk_client_id, zk_finalizer_fn, zk_log_fn, zk_retry_policy};
use super::zk_result;
use crate::client::{ClientId, LogFn, Options, RetryPolicy, Sasl};
use crate::error::{Error, Result};

/// Client settings (opaque). Not thread-safe. zk_client_new copies them.
pub struct zk_options {
    pub(crate) inner: Options,
}

/// New options with kazoo's defaults: hosts "127.0.0.1:2181", session timeout 10 000 ms,
/// operation timeout 10 000 ms, hosts shuffled, connection retry without end, no auth,
/// open ACL, no logger. Never NULL. Free with zk_options_free.
#[no_mangle]
pub extern "C" fn zk_options_new() -> *mut zk_options {
    guard_value(std::ptr::null_mut(), || {
        to_handle(zk_options {
            inner: Options::default(),
        })
    })
}

/// Frees options (clients made from them keep their copy). NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn zk_options_free(opts: *mut zk_options) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(opts) }
}

/// Runs `f` on a copy of the options behind `opts` and keeps the copy if
/// `Options::validate` accepts it.
///
/// # Safety
/// `opts` is NULL or a live zk_options.
unsafe fn with(opts: *mut zk_options, f: impl FnOnce(&mut Options) -> Result<()>) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let o = unsafe { mut_arg(opts) }?;
        let mut next = o.inner.clone();
        f(&mut next)?;
        next.validate()?;
        o.inner = next;
        Ok(())
    })
}

/// Sets the connect string "host[:port][,host[:port]...][/chroot]" (IPv6 in brackets, port
/// 2181 by default). A bad one is ZK_RESULT_INVALID_ARGUMENT, a bad chroot
/// ZK_RESULT_INVALID_PATH.
#[no_mangle]
pub unsafe extern "C" fn zk_options_set_hosts(
    opts: *mut zk_options,
    hosts: *const c_char,
) -> zk_result {
    // SAFETY: the caller's contract.
    unsafe {
        with(opts, |o| {
            o.hosts = str_arg(hosts)?.to_string();
            Ok(())
        })
    }
}

/// The session timeout to ask for, in ms: 1 to 3 600 000 (the server clamps it to its own
/// range; zk_session_timeout_ms says what it granted).
#[no_mangle]
pub unsafe extern "C" fn zk_options_set_session_timeout_ms(
    opts: *mut zk_options,
    ms: u32,
) -> zk_result {
    // SAFETY: the caller's contract.
    unsafe {
        with(opts, |o| {
            o.session_timeout = Duration::from_millis(ms as u64);
            Ok(())
        })
    }
}

/// Resumes the session *id (from zk_get_client_id of another client) instead of making a
/// new one.
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

/// Appends *acl (copied) to the default ACL, which zk_create and zk_ensure_path use when
/// they are given none. With no entries the default is world:anyone with all permissions.
#[no_mangle]
pub unsafe extern "C" fn zk_options_add_default_acl(
    opts: *mut zk_options,
    acl: *const zk_acl,
) -> zk_result {
    // SAFETY: the caller's contract.
    unsafe {
        with(opts, |o| {
            o.default_acl.push(acl_from_c(ref_arg(acl)?)?);
            Ok(())
        })
    }
}

/// Adds a credential (cred/len, copied) sent after every connect, before any request:
/// scheme "digest" with "user:password", for example. A refused one makes the client
/// AUTH_FAILED. Scheme "sasl" with "user:password" is kazoo's legacy form of SASL: no
/// credential, but zk_options_set_sasl_digest_md5 with that user and password.
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
            o.add_auth(str_arg(scheme)?, bytes_arg(cred, len)?)
        })
    }
}

/// Authenticates with SASL DIGEST-MD5 as user (password, copied) on every connection,
/// right after the handshake and before any other request, the credentials of
/// zk_options_add_auth included: for servers with a JAAS DigestLoginModule, whose ACLs then
/// name the user as "sasl:user". authzid is an authorization id to ask for, or NULL for
/// none (ZooKeeper's servers accept one but name the connection after the user). user and
/// authzid are 1 to 512 bytes; all three are NUL-terminated UTF-8. Replaces an earlier
/// SASL setting. A server that refuses (a wrong password, an unknown user, a server
/// without SASL) makes the client AUTH_FAILED for good: zk_start returns
/// ZK_RESULT_AUTH_FAILED and zk_connect_error says why. The legacy form
/// zk_options_add_auth(opts, "sasl", "user:password", len) means the same, with no
/// authzid; only one of the two may be given (else ZK_RESULT_INVALID_ARGUMENT).
#[no_mangle]
pub unsafe extern "C" fn zk_options_set_sasl_digest_md5(
    opts: *mut zk_options,
    user: *const c_char,
    password: *const c_char,
    authzid: *const c_char,
) -> zk_result {
    let set = move |o: &mut Options| {
        // SAFETY: NUL-terminated (or NULL) by the caller's contract.
        let (user, password, authzid) =
            unsafe { (str_arg(user)?, str_arg(password)?, opt_str_arg(authzid)?) };
        o.sasl = Some(Sasl::DigestMd5 {
            username: user.to_string(),
            password: password.to_string(),
            authzid: authzid.map(str::to_string),
        });
        Ok(())
    };
    // SAFETY: the caller's contract.
    unsafe { with(opts, set) }
}

/// Whether to accept a read-only server (state CONNECTED_RO) when no quorum can be
/// reached; default false.
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

/// Whether to shuffle the host list on every pass; default true.
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

/// Whether to follow the ensemble; default false. When on, the client watches the
/// servers' /zookeeper/config and, when a reconfig changes the members, replaces its host
/// list with the members' client addresses (as zk_set_hosts does: the session and its
/// watches stay, and the client moves at once only if its server left the list), logging
/// the change at ZK_LOG_LEVEL_INFO. The watch is set again after every event and the config
/// read again after every reconnect. With TLS, the members' secure client addresses are
/// used, which only configs of ZooKeeper 3.10 and later name; without them the list is kept.
#[no_mangle]
pub unsafe extern "C" fn zk_options_set_follow_ensemble(
    opts: *mut zk_options,
    follow: bool,
) -> zk_result {
    // SAFETY: the caller's contract.
    unsafe {
        with(opts, |o| {
            o.follow_ensemble = follow;
            Ok(())
        })
    }
}

/// Writes kazoo's default policy to *out: tries without end, 100 ms doubling, 40 % jitter,
/// 60 s ceiling, no deadline.
#[no_mangle]
pub unsafe extern "C" fn zk_retry_policy_init(out: *mut zk_retry_policy) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let out = unsafe { mut_arg(out) }?;
        *out = policy_to_c(&RetryPolicy::connection_default());
        Ok(())
    })
}

/// The back-off between passes over the host list (*policy, copied). When its tries run out
/// the client goes CLOSED and zk_start returns ZK_RESULT_RETRIES_EXHAUSTED.
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
/// ZK_RESULT_CONNECTION_LOSS or ZK_RESULT_OPERATION_TIMEOUT, within each call's timeout
/// (*policy, copied). Writes are never retried: a repeat could do twice what was asked.
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

/// The timeout of calls given 0 as theirs, zk_start's included, in ms; default 10 000.
#[no_mangle]
pub unsafe extern "C" fn zk_options_set_operation_timeout_ms(
    opts: *mut zk_options,
    ms: u32,
) -> zk_result {
    // SAFETY: the caller's contract.
    unsafe {
        with(opts, |o| {
            o.operation_timeout = Duration::from_millis(ms as u64);
            Ok(())
        })
    }
}

/// The servers' jute.maxbuffer, in bytes: 1024 to 2^30, default 1,048,575 (the server's
/// default). A request larger than it (the frame after its length) fails with
/// ZK_RESULT_TOO_LARGE before anything is sent, where the server would drop the
/// connection. Replies may be 1 KiB larger (a node's data with a header and a Stat); one
/// larger still fails only its own call, with ZK_RESULT_TOO_LARGE.
#[no_mangle]
pub unsafe extern "C" fn zk_options_set_max_frame(
    opts: *mut zk_options,
    bytes: usize,
) -> zk_result {
    // SAFETY: the caller's contract.
    unsafe {
        with(opts, |o| {
            o.max_frame = bytes;
            Ok(())
        })
    }
}

/// With expiry_final, a client whose session expired stays expired (calls fail with
/// ZK_RESULT_SESSION_EXPIRED until zk_restart); by default it makes a new session, as
/// kazoo does.
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

/// Sets the logger: callback(userdata, level, message) for messages at max_level (a
/// zk_log_level) or more severe. It runs on any library thread, so it must be thread-safe
/// and must not call back into the library. finalizer(userdata) (optional) runs once, when
/// the options and every client made from them are freed, or before this returns if it
/// fails. Without a logger the library is silent.
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
        let max_level = log_level_arg(max_level)?;
        let f: LogFn = Arc::new(move |level, msg: &str| {
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

/// Connects with TLS; the hosts must name the servers' secure client port. ca_file: PEM CA
/// certificates to trust (NULL: the system's). cert_file and key_file: a PEM client
/// certificate chain and its key, both or neither (ZooKeeper maps it to x509 auth).
/// verify_certs: check the server's chain (off accepts any server). check_hostname: also
/// check that the certificate names the host (needs verify_certs). The files are read by
/// zk_client_new, which fails with ZK_RESULT_TLS if they are unusable or the library was
/// built without TLS (make NO_TLS=1).
#[no_mangle]
pub unsafe extern "C" fn zk_options_set_tls(
    opts: *mut zk_options,
    ca_file: *const c_char,
    cert_file: *const c_char,
    key_file: *const c_char,
    verify_certs: bool,
    check_hostname: bool,
) -> zk_result {
    let path = |p: *const c_char| -> Result<Option<std::path::PathBuf>> {
        // SAFETY: NULL or NUL-terminated by the caller's contract.
        Ok(unsafe { opt_str_arg(p) }?.map(Into::into))
    };
    let set = move |o: &mut Options| {
        o.tls = Some(crate::client::TlsOptions {
            ca_file: path(ca_file)?,
            cert_file: path(cert_file)?,
            key_file: path(key_file)?,
            verify_certs,
            check_hostname,
        });
        Ok(())
    };
    // SAFETY: the caller's contract.
    unsafe { with(opts, set) }
}
