//! The constants zookeeper.h declares `extern`: data symbols, as in the official library, so
//! programs built against it (which copy them into their own data at load time) find them
//! with the same sizes and values. The ints are read-only, the ACL and Id records writable,
//! as the official header declares them.

#![allow(non_upper_case_globals)]

use std::ffi::{c_char, c_int};
use std::ptr::addr_of_mut;

use crate::jute::{AclVector, CAcl, CId};

#[no_mangle]
pub static ZOO_PERM_READ: c_int = 1;
#[no_mangle]
pub static ZOO_PERM_WRITE: c_int = 1 << 1;
#[no_mangle]
pub static ZOO_PERM_CREATE: c_int = 1 << 2;
#[no_mangle]
pub static ZOO_PERM_DELETE: c_int = 1 << 3;
#[no_mangle]
pub static ZOO_PERM_ADMIN: c_int = 1 << 4;
#[no_mangle]
pub static ZOO_PERM_ALL: c_int = 0x1f;

#[no_mangle]
pub static ZOOKEEPER_WRITE: c_int = 1;
#[no_mangle]
pub static ZOOKEEPER_READ: c_int = 1 << 1;

#[no_mangle]
pub static ZOO_PERSISTENT: c_int = 0;
#[no_mangle]
pub static ZOO_EPHEMERAL: c_int = 1;
#[no_mangle]
pub static ZOO_PERSISTENT_SEQUENTIAL: c_int = 2;
#[no_mangle]
pub static ZOO_EPHEMERAL_SEQUENTIAL: c_int = 3;
#[no_mangle]
pub static ZOO_CONTAINER: c_int = 4;
#[no_mangle]
pub static ZOO_PERSISTENT_WITH_TTL: c_int = 5;
#[no_mangle]
pub static ZOO_PERSISTENT_SEQUENTIAL_WITH_TTL: c_int = 6;
#[no_mangle]
pub static ZOO_SEQUENCE: c_int = 1 << 1;

pub const EXPIRED_SESSION_STATE: c_int = -112;
pub const AUTH_FAILED_STATE: c_int = -113;
pub const CONNECTING_STATE: c_int = 1;
pub const ASSOCIATING_STATE: c_int = 2;
pub const CONNECTED_STATE: c_int = 3;
pub const READONLY_STATE: c_int = 5;
pub const SSL_CONNECTING_STATE: c_int = 7;
pub const NOTCONNECTED_STATE: c_int = 999;

#[no_mangle]
pub static ZOO_EXPIRED_SESSION_STATE: c_int = EXPIRED_SESSION_STATE;
#[no_mangle]
pub static ZOO_AUTH_FAILED_STATE: c_int = AUTH_FAILED_STATE;
#[no_mangle]
pub static ZOO_CONNECTING_STATE: c_int = CONNECTING_STATE;
#[no_mangle]
pub static ZOO_ASSOCIATING_STATE: c_int = ASSOCIATING_STATE;
#[no_mangle]
pub static ZOO_CONNECTED_STATE: c_int = CONNECTED_STATE;
#[no_mangle]
pub static ZOO_READONLY_STATE: c_int = READONLY_STATE;
#[no_mangle]
pub static ZOO_SSL_CONNECTING_STATE: c_int = SSL_CONNECTING_STATE;
#[no_mangle]
pub static ZOO_NOTCONNECTED_STATE: c_int = NOTCONNECTED_STATE;

pub const CREATED_EVENT: c_int = 1;
pub const DELETED_EVENT: c_int = 2;
pub const CHANGED_EVENT: c_int = 3;
pub const CHILD_EVENT: c_int = 4;
pub const SESSION_EVENT: c_int = -1;
pub const NOTWATCHING_EVENT: c_int = -2;

#[no_mangle]
pub static ZOO_CREATED_EVENT: c_int = CREATED_EVENT;
#[no_mangle]
pub static ZOO_DELETED_EVENT: c_int = DELETED_EVENT;
#[no_mangle]
pub static ZOO_CHANGED_EVENT: c_int = CHANGED_EVENT;
#[no_mangle]
pub static ZOO_CHILD_EVENT: c_int = CHILD_EVENT;
#[no_mangle]
pub static ZOO_SESSION_EVENT: c_int = SESSION_EVENT;
#[no_mangle]
pub static ZOO_NOTWATCHING_EVENT: c_int = NOTWATCHING_EVENT;

const fn s(b: &'static [u8]) -> *mut c_char {
    b.as_ptr() as *mut c_char
}

const fn acl(perms: c_int, scheme: &'static [u8], id: &'static [u8]) -> CAcl {
    CAcl {
        perms,
        id: CId {
            scheme: s(scheme),
            id: s(id),
        },
    }
}

static mut OPEN_ACL: [CAcl; 1] = [acl(0x1f, b"world\0", b"anyone\0")];
static mut READ_ACL: [CAcl; 1] = [acl(0x01, b"world\0", b"anyone\0")];
static mut CREATOR_ALL_ACL: [CAcl; 1] = [acl(0x1f, b"auth\0", b"\0")];

#[no_mangle]
pub static mut ZOO_ANYONE_ID_UNSAFE: CId = CId {
    scheme: s(b"world\0"),
    id: s(b"anyone\0"),
};
#[no_mangle]
pub static mut ZOO_AUTH_IDS: CId = CId {
    scheme: s(b"auth\0"),
    id: s(b"\0"),
};
#[no_mangle]
pub static mut ZOO_OPEN_ACL_UNSAFE: AclVector = AclVector {
    count: 1,
    // SAFETY: only the address is taken.
    data: addr_of_mut!(OPEN_ACL) as *mut CAcl,
};
#[no_mangle]
pub static mut ZOO_READ_ACL_UNSAFE: AclVector = AclVector {
    count: 1,
    data: addr_of_mut!(READ_ACL) as *mut CAcl,
};
#[no_mangle]
pub static mut ZOO_CREATOR_ALL_ACL: AclVector = AclVector {
    count: 1,
    data: addr_of_mut!(CREATOR_ALL_ACL) as *mut CAcl,
};
