//! The party recipes in C: zk_party, a member of a party (kazoo's Party) or of a shallow
//! party (kazoo's ShallowParty), on kazoo's znodes.

use std::ffi::c_char;

use super::client::zk_client;
use super::convert::*;
use super::types::zk_string_list;
use super::zk_result;
use crate::recipe::party::Party;

/// Our membership of a party or a shallow party (opaque). Thread-safe. Like every recipe
/// handle it outlives its client safely: after zk_client_free its calls return
/// ZK_RESULT_CLOSED.
pub struct zk_party {
    inner: Party,
}

/// Makes our membership of the party at path, as kazoo's Party: our node will be
/// "<path>/<uuid4 hex>__party__", ephemeral, holding identifier (optional; NULL is "").
/// Writes it to *out (free with zk_party_free). Nothing is sent until zk_party_join.
#[no_mangle]
pub unsafe extern "C" fn zk_party_new(
    client: *mut zk_client,
    path: *const c_char,
    identifier: *const c_char,
    out: *mut *mut zk_party,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, path, ident) = unsafe {
            (
                client_arg(client)?,
                str_arg(path)?,
                opt_str_arg(identifier)?,
            )
        };
        out_arg(out)?;
        let p = Party::new(c, path, ident.unwrap_or(""))?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, to_handle(zk_party { inner: p })) };
        Ok(())
    })
}

/// Makes our membership of the shallow party at path, as kazoo's ShallowParty: our node
/// will be "<path>/<uuid4 hex>-<identifier>", ephemeral, without data, so listing members
/// is one read. ZK_RESULT_INVALID_ARGUMENT when identifier cannot be part of a node name
/// (a '/', a character the server refuses). Writes it to *out (free with zk_party_free).
#[no_mangle]
pub unsafe extern "C" fn zk_party_new_shallow(
    client: *mut zk_client,
    path: *const c_char,
    identifier: *const c_char,
    out: *mut *mut zk_party,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, path, ident) =
            unsafe { (client_arg(client)?, str_arg(path)?, str_arg(identifier)?) };
        out_arg(out)?;
        let p = Party::new_shallow(c, path, ident)?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, to_handle(zk_party { inner: p })) };
        Ok(())
    })
}

/// Joins (makes path if missing). Joining again is fine, and so is a join whose reply was
/// lost: either way there is one node, found by its unique name.
#[no_mangle]
pub unsafe extern "C" fn zk_party_join(party: *mut zk_party, timeout_ms: u32) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(party) }?.inner.join(timeout(timeout_ms))
    })
}

/// Leaves: *removed_out (optional) says whether our node was removed (false: it was not
/// there). Leaving again is fine.
#[no_mangle]
pub unsafe extern "C" fn zk_party_leave(
    party: *mut zk_party,
    timeout_ms: u32,
    removed_out: *mut bool,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let removed = unsafe { ref_arg(party) }?
            .inner
            .leave(timeout(timeout_ms))?;
        // SAFETY: NULL or writable by the caller's contract.
        unsafe { write_opt(removed_out, removed) };
        Ok(())
    })
}

/// Writes the members' identifiers to *out (free with zk_string_list_free), in the order
/// of their node names: a party's node data (read in batches, one round trip per 128
/// members; data that is not UTF-8 is read lossily), a shallow party's names after their
/// first '-'. None while path does not exist.
#[no_mangle]
pub unsafe extern "C" fn zk_party_members(
    party: *mut zk_party,
    timeout_ms: u32,
    out: *mut *mut zk_string_list,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let p = unsafe { ref_arg(party) }?;
        out_arg(out)?;
        let list = zk_string_list::new(p.inner.members(timeout(timeout_ms))?)?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, list) };
        Ok(())
    })
}

/// Writes the number of members to *out (one read; kazoo's len).
#[no_mangle]
pub unsafe extern "C" fn zk_party_len(
    party: *mut zk_party,
    timeout_ms: u32,
    out: *mut usize,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let p = unsafe { ref_arg(party) }?;
        out_arg(out)?;
        let n = p.inner.len(timeout(timeout_ms))?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, n) };
        Ok(())
    })
}

/// Writes our node's path to *out (free with zk_string_free).
#[no_mangle]
pub unsafe extern "C" fn zk_party_node_path(
    party: *const zk_party,
    out: *mut *mut c_char,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let p = unsafe { ref_arg(party) }?;
        out_arg(out)?;
        let s = to_cstring(p.inner.node_path())?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, s.into_raw()) };
        Ok(())
    })
}

/// True between a zk_party_join that returned ZK_RESULT_OK and the next leave; false for
/// NULL. It says nothing of the session: an expired session took our node with it.
#[no_mangle]
pub unsafe extern "C" fn zk_party_participating(party: *const zk_party) -> bool {
    guard_value(false, || {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(party) }.is_ok_and(|p| p.inner.participating())
    })
}

/// Frees a membership. One that has joined leaves first (a blocking delete, up to the
/// operation timeout). NULL is a no-op. No call on it may be in progress.
#[no_mangle]
pub unsafe extern "C" fn zk_party_free(party: *mut zk_party) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(party) }
}
