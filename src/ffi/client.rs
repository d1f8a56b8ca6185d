//! The client handle's life cycle: new, start, stop, close, free, its state, and its
//! state listeners.

use std::ffi::{c_char, c_void};
use std::time::Duration;

use super::convert::*;
use super::options::zk_options;
use super::types::*;
use super::zk_result;
use crate::client::{Client, KeeperState, State};
use crate::error::Error;

/// A ZooKeeper client (opaque). Thread-safe: share one between threads.
pub struct zk_client {
    pub(crate) inner: Client,
}

/// Makes a client from opts, which it copies (free them whenever you like), and writes it
/// to *out. The client is CLOSED until zk_start. Free it with zk_client_free. The TLS
/// files, if set, are read here: ZK_RESULT_TLS if they are unusable.
#[no_mangle]
pub unsafe extern "C" fn zk_client_new(
    opts: *const zk_options,
    out: *mut *mut zk_client,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let o = unsafe { ref_arg(opts) }?;
        out_arg(out)?;
        let c = Client::with_options(&o.inner)?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, to_handle(zk_client { inner: c })) };
        Ok(())
    })
}

/// Stops the client if needed (as zk_stop), ends its threads and frees it; every
/// listener's finalizer runs. NULL is a no-op. May be called from a callback of this
/// client: it then returns at once and the event thread ends when the callback returns.
/// The handle must not be used again by any thread.
#[no_mangle]
pub unsafe extern "C" fn zk_client_free(client: *mut zk_client) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(client) }
}

/// Connects and waits up to timeout_ms for a session (0: the operation timeout). On
/// ZK_RESULT_TIMED_OUT the client is stopped again. ZK_RESULT_RETRIES_EXHAUSTED when the
/// connection retry policy ran out; ZK_RESULT_CLOSED after zk_close. zk_connect_error
/// then says why.
#[no_mangle]
pub unsafe extern "C" fn zk_start(client: *mut zk_client, timeout_ms: u32) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let c = unsafe { client_arg(client) }?;
        c.start(Duration::from_millis(timeout_ms as u64))
            .map_err(|e| e.code)
    })
}

/// Why connecting failed: writes to *reason_out a new string, freed with zk_string_free:
/// the last failure of each address tried since the last session was established or
/// zk_start was called, as "ADDRESS: REASON; ...", for example "127.0.0.1:2181: connection
/// refused" or "10.0.0.5:2281: TLS handshake failed: invalid peer certificate:
/// UnknownIssuer", led by "no server could be reached: " when no server answered at all.
/// Writes NULL when nothing failed. Call it after a zk_start that failed, or at any time
/// while the client reconnects; any thread.
#[no_mangle]
pub unsafe extern "C" fn zk_connect_error(
    client: *const zk_client,
    reason_out: *mut *mut c_char,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let c = unsafe { client_arg(client) }?;
        out_arg(reason_out)?;
        let text = match c.connect_error() {
            Some(r) => to_cstring(r)?.into_raw(),
            None => std::ptr::null_mut(),
        };
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(reason_out, text) };
        Ok(())
    })
}

/// Ends the session (its ephemeral nodes go at once) and the connection. Calls in flight
/// fail with ZK_RESULT_CLOSED; every watch gets a ZK_EVENT_TYPE_NONE event with
/// ZK_KEEPER_STATE_CLOSED, then its finalizer runs. zk_start may be called again.
#[no_mangle]
pub unsafe extern "C" fn zk_stop(client: *mut zk_client) -> zk_result {
    // SAFETY: the caller's contract.
    guard(|| unsafe { client_arg(client) }?.stop())
}

/// zk_stop, then zk_start with timeout_ms: a new session.
#[no_mangle]
pub unsafe extern "C" fn zk_restart(client: *mut zk_client, timeout_ms: u32) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let c = unsafe { client_arg(client) }?;
        c.restart(Duration::from_millis(timeout_ms as u64))
            .map_err(|e| e.code)
    })
}

/// zk_stop, then ends the event thread once every queued callback has run. The handle
/// stays valid until zk_client_free; later calls fail with ZK_RESULT_CLOSED.
#[no_mangle]
pub unsafe extern "C" fn zk_close(client: *mut zk_client) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { client_arg(client) }?.close();
        Ok(())
    })
}

/// Writes the host list in use to *out (free with zk_string_free), as a connect string
/// without the chroot, "host:port,host:port": the options' hosts, or those of the last
/// zk_set_hosts, or of the ensemble follower (zk_options_set_follow_ensemble).
#[no_mangle]
pub unsafe extern "C" fn zk_get_hosts(
    client: *const zk_client,
    out: *mut *mut c_char,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let c = unsafe { client_arg(client) }?;
        out_arg(out)?;
        let hosts = to_cstring(c.hosts())?;
        // SAFETY: the caller's contract.
        unsafe { write_opt(out, hosts.into_raw()) };
        Ok(())
    })
}

/// Replaces the host list (the syntax of zk_options_set_hosts; the chroot must stay the
/// same, else ZK_RESULT_INVALID_ARGUMENT). If the current server is not in the new list,
/// the client moves to the new servers now, keeping its session.
#[no_mangle]
pub unsafe extern "C" fn zk_set_hosts(client: *mut zk_client, hosts: *const c_char) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, hosts) = unsafe { (client_arg(client)?, str_arg(hosts)?) };
        c.set_hosts(hosts)
    })
}

/// The coarse state, as listeners see it; ZK_STATE_LOST for NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_get_state(client: *const zk_client) -> zk_state {
    guard_value(State::Lost, || {
        // SAFETY: the caller's contract.
        unsafe { client_arg(client) }.map_or(State::Lost, |c| c.state())
    })
}

/// The detailed state; ZK_KEEPER_STATE_CLOSED for NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_get_keeper_state(client: *const zk_client) -> zk_keeper_state {
    guard_value(KeeperState::Closed, || {
        // SAFETY: the caller's contract.
        unsafe { client_arg(client) }.map_or(KeeperState::Closed, |c| c.keeper_state())
    })
}

/// Whether the client has a session and a connection (read-write or read-only); false for
/// NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_is_connected(client: *const zk_client) -> bool {
    guard_value(false, || {
        // SAFETY: the caller's contract.
        unsafe { client_arg(client) }.is_ok_and(|c| c.connected())
    })
}

/// Writes the session id and password to *out, for zk_options_set_client_id of another
/// client. ZK_RESULT_CONNECTION_LOSS when there is no session.
#[no_mangle]
pub unsafe extern "C" fn zk_get_client_id(
    client: *const zk_client,
    out: *mut zk_client_id,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, out) = unsafe { (client_arg(client)?, mut_arg(out)?) };
        let id = c.client_id().ok_or(Error::ConnectionLoss)?;
        *out = zk_client_id {
            session_id: id.session_id,
            passwd: id.passwd,
        };
        Ok(())
    })
}

/// The session timeout the server granted, in ms; 0 before the first session and for
/// NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_session_timeout_ms(client: *const zk_client) -> u32 {
    guard_value(0, || {
        // SAFETY: the caller's contract.
        unsafe { client_arg(client) }.map_or(0, |c| c.negotiated_timeout().as_millis() as u32)
    })
}

/// The number of one-shot watches the client holds; 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn zk_watch_count(client: *const zk_client) -> usize {
    guard_value(0, || {
        // SAFETY: the caller's contract.
        unsafe { client_arg(client) }.map_or(0, |c| c.watch_count())
    })
}

/// Adds a state listener: callback(userdata, state, keeper_state) runs on the event
/// thread on every change of the detailed state, in order. finalizer(userdata) runs once
/// when the listener is removed or the client freed, or before this returns if it fails.
/// The listener's id goes to *id_out (optional), for zk_remove_listener.
#[no_mangle]
pub unsafe extern "C" fn zk_add_listener(
    client: *mut zk_client,
    callback: zk_listener_fn,
    userdata: *mut c_void,
    finalizer: zk_finalizer_fn,
    id_out: *mut u64,
) -> zk_result {
    let ud = UserData::new(userdata, finalizer);
    guard(move || {
        // SAFETY: the caller's contract.
        let c = unsafe { client_arg(client) }?;
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

/// Removes a listener; its finalizer runs once no call of it is running.
/// ZK_RESULT_INVALID_ARGUMENT if the id is unknown.
#[no_mangle]
pub unsafe extern "C" fn zk_remove_listener(client: *mut zk_client, id: u64) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let c = unsafe { client_arg(client) }?;
        if c.remove_listener(id) {
            Ok(())
        } else {
            Err(Error::InvalidArgument)
        }
    })
}
