//! Blocking operations on a client: nodes, watches, ACLs, auth and four-letter commands.
//! Each waits for the server's reply on the calling thread.

use std::ffi::c_char;

use super::client::zk_client;
use super::convert::*;
use super::types::*;
use super::zk_result;
use crate::error::Error;

/// Creates a node with data/len. flags: ZK_CREATE_FLAG_* OR-ed together. acl/acl_len:
/// NULL/0 for the client's default ACL. ttl_ms > 0 makes a TTL node (persistent only; the
/// server needs extendedTypesEnabled). The created path (with its sequence suffix, relative
/// to the chroot) goes to *path_out (optional; free with zk_string_free), its Stat to
/// *stat_out (optional).
#[no_mangle]
pub unsafe extern "C" fn zk_create(
    client: *mut zk_client,
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
                client_arg(client)?,
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

/// Creates path and every missing parent, with acl/acl_len as zk_create; a node that
/// exists already is fine.
#[no_mangle]
pub unsafe extern "C" fn zk_ensure_path(
    client: *mut zk_client,
    path: *const c_char,
    acl: *const zk_acl,
    acl_len: usize,
    timeout_ms: u32,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, path, acl) = unsafe {
            (
                client_arg(client)?,
                str_arg(path)?,
                acl_list_arg(acl, acl_len)?,
            )
        };
        c.ensure_path(path, acl.as_deref(), timeout(timeout_ms))
    })
}

/// Whether the node exists: ZK_RESULT_OK with its Stat in *stat_out (optional), or
/// ZK_RESULT_NO_NODE. watcher (optional) sets a one-shot watch in both cases; it fires on
/// create, change or delete.
#[no_mangle]
pub unsafe extern "C" fn zk_exists(
    client: *mut zk_client,
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
        let (c, path) = unsafe { (client_arg(client)?, str_arg(path)?) };
        let stat = c
            .exists(path, w, timeout(timeout_ms))?
            .ok_or(Error::NoNode)?;
        // SAFETY: the caller's contract.
        unsafe { write_opt(stat_out, stat.into()) };
        Ok(())
    })
}

/// Reads a node's data into *data_out (free with zk_buffer_free) and its Stat into
/// *stat_out (optional). watcher (optional) sets a one-shot watch that fires on change or
/// delete.
#[no_mangle]
pub unsafe extern "C" fn zk_get(
    client: *mut zk_client,
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
        let (c, path) = unsafe { (client_arg(client)?, str_arg(path)?) };
        out_arg(data_out)?;
        let (data, stat) = c.get(path, w, timeout(timeout_ms))?;
        // SAFETY: the caller's contract.
        unsafe {
            write_opt(data_out, zk_buffer::from_vec(data));
            write_opt(stat_out, stat.into());
        }
        Ok(())
    })
}

/// Lists a node's children, unsorted, into *out (free with zk_string_list_free) and its
/// Stat into *stat_out (optional). watcher (optional) sets a one-shot watch that fires
/// when a child is added or removed or the node is deleted.
#[no_mangle]
pub unsafe extern "C" fn zk_get_children(
    client: *mut zk_client,
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
        let (c, path) = unsafe { (client_arg(client)?, str_arg(path)?) };
        out_arg(out)?;
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

/// Lists the ephemeral nodes this session owns whose path starts with prefix (a path; "/"
/// for all), relative to the chroot, unsorted, into *out (free with zk_string_list_free).
/// The match is the server's, a string prefix: "/a" also finds "/ab". ZooKeeper 3.6+.
#[no_mangle]
pub unsafe extern "C" fn zk_get_ephemerals(
    client: *mut zk_client,
    prefix: *const c_char,
    timeout_ms: u32,
    out: *mut *mut zk_string_list,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, prefix) = unsafe { (client_arg(client)?, str_arg(prefix)?) };
        out_arg(out)?;
        let list = zk_string_list::new(c.get_ephemerals(prefix, timeout(timeout_ms))?)?;
        // SAFETY: the caller's contract.
        unsafe { write_opt(out, list) };
        Ok(())
    })
}

/// Writes to *out the identities the server has for this connection (free with
/// zk_identity_list_free): "ip" with the client's address, "digest" with the user after
/// zk_add_auth, "sasl" after SASL, "x509" with the certificate's name over TLS.
/// ZooKeeper 3.7+.
#[no_mangle]
pub unsafe extern "C" fn zk_who_am_i(
    client: *mut zk_client,
    timeout_ms: u32,
    out: *mut *mut zk_identity_list,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let c = unsafe { client_arg(client)? };
        out_arg(out)?;
        let list = zk_identity_list::new(c.who_am_i(timeout(timeout_ms))?)?;
        // SAFETY: the caller's contract.
        unsafe { write_opt(out, list) };
        Ok(())
    })
}

/// Writes to *out how many nodes are below path, at any depth, path itself not counted.
/// ZooKeeper 3.6+.
#[no_mangle]
pub unsafe extern "C" fn zk_get_all_children_number(
    client: *mut zk_client,
    path: *const c_char,
    timeout_ms: u32,
    out: *mut u32,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client_arg(client)?, str_arg(path)?) };
        out_arg(out)?;
        let n = c.get_all_children_number(path, timeout(timeout_ms))?;
        // SAFETY: the caller's contract.
        unsafe { write_opt(out, n) };
        Ok(())
    })
}

/// Sets a node's data if its version is version (-1: any). Its new Stat goes to *stat_out
/// (optional).
#[no_mangle]
pub unsafe extern "C" fn zk_set(
    client: *mut zk_client,
    path: *const c_char,
    data: *const u8,
    len: usize,
    version: i32,
    timeout_ms: u32,
    stat_out: *mut zk_stat,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, path, data) =
            unsafe { (client_arg(client)?, str_arg(path)?, bytes_arg(data, len)?) };
        let stat = c.set(path, data, version, timeout(timeout_ms))?;
        // SAFETY: the caller's contract.
        unsafe { write_opt(stat_out, stat.into()) };
        Ok(())
    })
}

/// Deletes a node if its version is version (-1: any). recursive deletes its children
/// first, depth first; that is several requests, not atomic.
#[no_mangle]
pub unsafe extern "C" fn zk_delete(
    client: *mut zk_client,
    path: *const c_char,
    version: i32,
    recursive: bool,
    timeout_ms: u32,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client_arg(client)?, str_arg(path)?) };
        c.delete(path, version, recursive, timeout(timeout_ms))
    })
}

/// Waits until the connected server has caught up with the leader for path.
#[no_mangle]
pub unsafe extern "C" fn zk_sync(
    client: *mut zk_client,
    path: *const c_char,
    timeout_ms: u32,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client_arg(client)?, str_arg(path)?) };
        c.sync(path, timeout(timeout_ms)).map(|_| ())
    })
}

/// Adds a persistent watch (ZooKeeper 3.6+) on path, or with recursive on path and every
/// node below it (child events excepted). watcher (required) is copied: its callback runs
/// for every event until zk_remove_watches(..., ZK_WATCHER_TYPE_ANY, ...) or the end of
/// the session, then once more with ZK_EVENT_TYPE_PERSISTENT_WATCH_REMOVED or a session
/// event (ZK_EVENT_TYPE_NONE), then its finalizer runs. If this fails the callback never
/// runs. The watch is restored after a reconnect; events from while the client was away
/// are not replayed. One-shot and persistent watches on one path coexist on every server
/// (3.8 keeps one watch mode per path and session, so there the client adds its
/// persistent mode back after each one-shot watch set or removed on the path). Both
/// persistent modes on one path do not coexist on 3.8: the recursive one is kept, and the
/// non-recursive one then gets no ZK_EVENT_TYPE_NODE_CHILDREN_CHANGED.
#[no_mangle]
pub unsafe extern "C" fn zk_add_watch(
    client: *mut zk_client,
    path: *const c_char,
    recursive: bool,
    watcher: *const zk_watcher,
    timeout_ms: u32,
) -> zk_result {
    // Taken first, so its finalizer runs even when another argument is bad.
    // SAFETY: the caller's contract.
    let w = unsafe { ref_arg(watcher) }.copied();
    guard(move || {
        let f = persistent_watch(w?)?;
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client_arg(client)?, str_arg(path)?) };
        c.add_watch(path, recursive, f, timeout(timeout_ms))
    })
}

/// Removes the client's watches of watcher_type (a zk_watcher_type) on path. Each removed
/// watch gets its removal event (ZK_EVENT_TYPE_DATA_WATCH_REMOVED, _CHILD_WATCH_REMOVED or
/// _PERSISTENT_WATCH_REMOVED), then its finalizer runs. ZK_RESULT_NO_WATCHER if the client
/// holds none. With local, they are removed even if the server cannot be told.
#[no_mangle]
pub unsafe extern "C" fn zk_remove_watches(
    client: *mut zk_client,
    path: *const c_char,
    watcher_type: u32,
    local: bool,
    timeout_ms: u32,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client_arg(client)?, str_arg(path)?) };
        c.remove_watches(
            path,
            watcher_type_arg(watcher_type)?,
            local,
            timeout(timeout_ms),
        )
    })
}

/// Reads a node's ACL into *out (free with zk_acl_list_free) and its Stat into *stat_out
/// (optional).
#[no_mangle]
pub unsafe extern "C" fn zk_get_acl(
    client: *mut zk_client,
    path: *const c_char,
    timeout_ms: u32,
    out: *mut *mut zk_acl_list,
    stat_out: *mut zk_stat,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client_arg(client)?, str_arg(path)?) };
        out_arg(out)?;
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

/// Replaces a node's ACL with acl/acl_len (at least one entry) if its ACL version is
/// version (-1: any). The new Stat goes to *stat_out (optional).
#[no_mangle]
pub unsafe extern "C" fn zk_set_acl(
    client: *mut zk_client,
    path: *const c_char,
    acl: *const zk_acl,
    acl_len: usize,
    version: i32,
    timeout_ms: u32,
    stat_out: *mut zk_stat,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, path, acl) = unsafe {
            (
                client_arg(client)?,
                str_arg(path)?,
                acl_list_arg(acl, acl_len)?,
            )
        };
        let acl = acl.ok_or(Error::InvalidAcl)?;
        let stat = c.set_acl(path, &acl, version, timeout(timeout_ms))?;
        // SAFETY: the caller's contract.
        unsafe { write_opt(stat_out, stat.into()) };
        Ok(())
    })
}

/// Adds a credential to the session (scheme "digest", cred "user:password" for example)
/// and waits for the server's verdict. It is sent again after every reconnect. A refused
/// one returns ZK_RESULT_AUTH_FAILED and the client's state becomes AUTH_FAILED.
#[no_mangle]
pub unsafe extern "C" fn zk_add_auth(
    client: *mut zk_client,
    scheme: *const c_char,
    cred: *const u8,
    len: usize,
    timeout_ms: u32,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, scheme, cred) =
            unsafe { (client_arg(client)?, str_arg(scheme)?, bytes_arg(cred, len)?) };
        c.add_auth(scheme, cred, timeout(timeout_ms))
    })
}

/// Sends a four-letter command ("ruok", "srvr", "stat", "conf", "cons", "mntr", "isro",
/// ...) to the current server, or the first host that answers, and writes its reply to
/// *out (free with zk_string_free). It needs no session, so it works before zk_start;
/// after zk_close it is ZK_RESULT_CLOSED.
#[no_mangle]
pub unsafe extern "C" fn zk_command(
    client: *mut zk_client,
    cmd: *const c_char,
    timeout_ms: u32,
    out: *mut *mut c_char,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, cmd) = unsafe { (client_arg(client)?, str_arg(cmd)?) };
        out_arg(out)?;
        let text = to_cstring(c.command(cmd, timeout(timeout_ms))?)?;
        // SAFETY: the caller's contract.
        unsafe { write_opt(out, text.into_raw()) };
        Ok(())
    })
}

/// The server's version, from "srvr", to *major, *minor and *patch (each optional).
#[no_mangle]
pub unsafe extern "C" fn zk_server_version(
    client: *mut zk_client,
    timeout_ms: u32,
    major: *mut u32,
    minor: *mut u32,
    patch: *mut u32,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let c = unsafe { client_arg(client) }?;
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

/// Reads the ensemble's configuration, the text of the servers' /zookeeper/config as the
/// server this client talks to knows it, into *data_out (free with zk_buffer_free), and its
/// Stat into *stat_out (optional). The node lies outside any chroot: it is read as it is.
/// Parse it with zk_config_parse. A standalone server's config is empty. watcher
/// (optional) sets a one-shot watch that fires (ZK_EVENT_TYPE_CHANGED, path
/// "/zookeeper/config") when a reconfig changes it. Like any read it may lag the leader;
/// zk_sync first for the latest.
#[no_mangle]
pub unsafe extern "C" fn zk_get_config(
    client: *mut zk_client,
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
        let c = unsafe { client_arg(client) }?;
        out_arg(data_out)?;
        let (data, stat) = c.get_config(w, timeout(timeout_ms))?;
        // SAFETY: the caller's contract.
        unsafe {
            write_opt(data_out, zk_buffer::from_vec(data));
            write_opt(stat_out, stat.into());
        }
        Ok(())
    })
}

/// Changes the ensemble's membership, if its config version is from_config (-1: any; see
/// zk_config_version), and writes the new config to *data_out (free with zk_buffer_free)
/// and its Stat to *stat_out (optional). The change is either incremental, the joining
/// servers added (or changed: ports, role) and the members whose ids are in leaving
/// removed (one of the two lists may be empty), or, with members non-empty, that whole new
/// membership (joining and leaving then empty). Each server is one config line,
/// "server.<id>=<host>:<quorum port>:<election port>[:participant|:observer];[<host>:]<client
/// port>", without ',' or a line break. Empty lists are NULL with 0. The servers need reconfigEnabled=true.
/// Besides the usual results: ZK_RESULT_RECONFIG_DISABLED (reconfig is off),
/// ZK_RESULT_NO_AUTH (only the super user may write /zookeeper/config, unless the servers
/// skip ACLs), ZK_RESULT_BAD_VERSION (from_config is stale), ZK_RESULT_NEW_CONFIG_NO_QUORUM
/// (no quorum of the new membership is connected and in sync with the leader),
/// ZK_RESULT_RECONFIG_IN_PROGRESS, ZK_RESULT_BAD_ARGUMENTS (a membership the server cannot
/// take), ZK_RESULT_UNIMPLEMENTED (a standalone server); ZK_RESULT_INVALID_ARGUMENT for no
/// change at all, both forms at once, a bad line, or from_config below -1. Never repeated
/// by the command retry.
#[no_mangle]
pub unsafe extern "C" fn zk_reconfig(
    client: *mut zk_client,
    joining: *const *const c_char,
    joining_len: usize,
    leaving: *const u64,
    leaving_len: usize,
    members: *const *const c_char,
    members_len: usize,
    from_config: i64,
    timeout_ms: u32,
    data_out: *mut zk_buffer,
    stat_out: *mut zk_stat,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract, for every argument below.
        let (c, lists) = unsafe {
            (
                client_arg(client)?,
                reconfig_lists(
                    joining,
                    joining_len,
                    leaving,
                    leaving_len,
                    members,
                    members_len,
                )?,
            )
        };
        out_arg(data_out)?;
        let change = lists.change()?;
        let (data, stat) = c.reconfig(&change, from_config, timeout(timeout_ms))?;
        // SAFETY: the caller's contract.
        unsafe {
            write_opt(data_out, zk_buffer::from_vec(data));
            write_opt(stat_out, stat.into());
        }
        Ok(())
    })
}
