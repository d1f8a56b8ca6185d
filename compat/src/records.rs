//! The official client's other jute records (zookeeper.jute.h): the requests, responses,
//! transactions and quorum packets its own code builds and decodes. zookeeper.h's calls
//! never hand one to a caller, but the official library exports their `deallocate_*`
//! functions (and `allocate_ClientInfo_vector`, `allocate_Txn_vector`), so a program may
//! link them. Each record here has the official layout, and its `deallocate_*` frees what
//! the record owns (strings, buffers, vectors: malloc'd, as jute's decoders make them),
//! leaving those fields NULL and empty; numbers and `Stat`s own nothing.

use std::ffi::{c_char, c_int};

use crate::errors::{ZBADARGUMENTS, ZOK};
use crate::jute::{
    alloc_entries, deallocate_ACL_vector, deallocate_Buffer, deallocate_Id_vector,
    deallocate_String, deallocate_String_vector, free_entries, AclVector, Buffer, IdVector, Stat,
    StringVector,
};

/// A field of a record, and what deallocating the record does to it.
trait Owned {
    /// Frees what the field owns and leaves it empty.
    ///
    /// # Safety
    /// What the field points to came from malloc (or is NULL).
    unsafe fn release(&mut self);
}

macro_rules! owns_nothing {
    ($($t:ty),*) => {
        $(impl Owned for $t {
            unsafe fn release(&mut self) {}
        })*
    };
}
owns_nothing!(i32, i64, Stat);

impl Owned for *mut c_char {
    unsafe fn release(&mut self) {
        deallocate_String(self);
    }
}

impl Owned for Buffer {
    unsafe fn release(&mut self) {
        deallocate_Buffer(self);
    }
}

impl Owned for StringVector {
    unsafe fn release(&mut self) {
        deallocate_String_vector(self);
    }
}

impl Owned for AclVector {
    unsafe fn release(&mut self) {
        deallocate_ACL_vector(self);
    }
}

impl Owned for IdVector {
    unsafe fn release(&mut self) {
        deallocate_Id_vector(self);
    }
}

impl Owned for ClientInfoVector {
    unsafe fn release(&mut self) {
        deallocate_ClientInfo_vector(self);
    }
}

impl Owned for TxnVector {
    unsafe fn release(&mut self) {
        deallocate_Txn_vector(self);
    }
}

/// Defines each record (`#[repr(C)]`, the fields in zookeeper.jute.h's order and types)
/// and its exported `deallocate_*` function, which releases every field.
macro_rules! records {
    ($($name:ident => $dealloc:ident { $($field:ident: $ty:ty),* $(,)? })*) => {
        $(
            #[repr(C)]
            #[allow(non_snake_case, dead_code)]
            pub struct $name {
                $(pub $field: $ty),*
            }

            /// Frees what the record owns; NULL is a no-op.
            ///
            /// # Safety
            /// `v` is NULL or a record whose pointers came from malloc (or are NULL).
            #[no_mangle]
            pub unsafe extern "C" fn $dealloc(v: *mut $name) {
                if let Some(_v) = v.as_mut() {
                    $(Owned::release(&mut _v.$field);)*
                }
            }
        )*
    };
}

records! {
    StatPersisted => deallocate_StatPersisted {
        czxid: i64, mzxid: i64, ctime: i64, mtime: i64, version: i32, cversion: i32,
        aversion: i32, ephemeralOwner: i64, pzxid: i64,
    }
    ClientInfo => deallocate_ClientInfo { authScheme: *mut c_char, user: *mut c_char }
    ConnectRequest => deallocate_ConnectRequest {
        protocolVersion: i32, lastZxidSeen: i64, timeOut: i32, sessionId: i64, passwd: Buffer,
    }
    ConnectResponse => deallocate_ConnectResponse {
        protocolVersion: i32, timeOut: i32, sessionId: i64, passwd: Buffer,
    }
    SetWatches => deallocate_SetWatches {
        relativeZxid: i64, dataWatches: StringVector, existWatches: StringVector,
        childWatches: StringVector,
    }
    SetWatches2 => deallocate_SetWatches2 {
        relativeZxid: i64, dataWatches: StringVector, existWatches: StringVector,
        childWatches: StringVector, persistentWatches: StringVector,
        persistentRecursiveWatches: StringVector,
    }
    RequestHeader => deallocate_RequestHeader { xid: i32, r#type: i32 }
    MultiHeader => deallocate_MultiHeader { r#type: i32, done: i32, err: i32 }
    AuthPacket => deallocate_AuthPacket { r#type: i32, scheme: *mut c_char, auth: Buffer }
    ReplyHeader => deallocate_ReplyHeader { xid: i32, zxid: i64, err: i32 }
    GetDataRequest => deallocate_GetDataRequest { path: *mut c_char, watch: i32 }
    SetDataRequest => deallocate_SetDataRequest { path: *mut c_char, data: Buffer, version: i32 }
    ReconfigRequest => deallocate_ReconfigRequest {
        joiningServers: *mut c_char, leavingServers: *mut c_char, newMembers: *mut c_char,
        curConfigId: i64,
    }
    SetDataResponse => deallocate_SetDataResponse { stat: Stat }
    GetSASLRequest => deallocate_GetSASLRequest { token: Buffer }
    SetSASLRequest => deallocate_SetSASLRequest { token: Buffer }
    SetSASLResponse => deallocate_SetSASLResponse { token: Buffer }
    CreateRequest => deallocate_CreateRequest {
        path: *mut c_char, data: Buffer, acl: AclVector, flags: i32,
    }
    CreateTTLRequest => deallocate_CreateTTLRequest {
        path: *mut c_char, data: Buffer, acl: AclVector, flags: i32, ttl: i64,
    }
    DeleteRequest => deallocate_DeleteRequest { path: *mut c_char, version: i32 }
    GetChildrenRequest => deallocate_GetChildrenRequest { path: *mut c_char, watch: i32 }
    GetAllChildrenNumberRequest => deallocate_GetAllChildrenNumberRequest { path: *mut c_char }
    GetChildren2Request => deallocate_GetChildren2Request { path: *mut c_char, watch: i32 }
    CheckVersionRequest => deallocate_CheckVersionRequest { path: *mut c_char, version: i32 }
    GetMaxChildrenRequest => deallocate_GetMaxChildrenRequest { path: *mut c_char }
    GetMaxChildrenResponse => deallocate_GetMaxChildrenResponse { max: i32 }
    SetMaxChildrenRequest => deallocate_SetMaxChildrenRequest { path: *mut c_char, max: i32 }
    SyncRequest => deallocate_SyncRequest { path: *mut c_char }
    SyncResponse => deallocate_SyncResponse { path: *mut c_char }
    GetACLRequest => deallocate_GetACLRequest { path: *mut c_char }
    SetACLRequest => deallocate_SetACLRequest { path: *mut c_char, acl: AclVector, version: i32 }
    SetACLResponse => deallocate_SetACLResponse { stat: Stat }
    AddWatchRequest => deallocate_AddWatchRequest { path: *mut c_char, mode: i32 }
    WatcherEvent => deallocate_WatcherEvent { r#type: i32, state: i32, path: *mut c_char }
    ErrorResponse => deallocate_ErrorResponse { err: i32 }
    CreateResponse => deallocate_CreateResponse { path: *mut c_char }
    Create2Response => deallocate_Create2Response { path: *mut c_char, stat: Stat }
    ExistsRequest => deallocate_ExistsRequest { path: *mut c_char, watch: i32 }
    ExistsResponse => deallocate_ExistsResponse { stat: Stat }
    GetDataResponse => deallocate_GetDataResponse { data: Buffer, stat: Stat }
    GetChildrenResponse => deallocate_GetChildrenResponse { children: StringVector }
    GetAllChildrenNumberResponse => deallocate_GetAllChildrenNumberResponse { totalNumber: i32 }
    GetChildren2Response => deallocate_GetChildren2Response { children: StringVector, stat: Stat }
    GetACLResponse => deallocate_GetACLResponse { acl: AclVector, stat: Stat }
    CheckWatchesRequest => deallocate_CheckWatchesRequest { path: *mut c_char, r#type: i32 }
    RemoveWatchesRequest => deallocate_RemoveWatchesRequest { path: *mut c_char, r#type: i32 }
    GetEphemeralsRequest => deallocate_GetEphemeralsRequest { prefixPath: *mut c_char }
    GetEphemeralsResponse => deallocate_GetEphemeralsResponse { ephemerals: StringVector }
    WhoAmIResponse => deallocate_WhoAmIResponse { clientInfo: ClientInfoVector }
    LearnerInfo => deallocate_LearnerInfo { serverid: i64, protocolVersion: i32, configVersion: i64 }
    QuorumPacket => deallocate_QuorumPacket {
        r#type: i32, zxid: i64, data: Buffer, authinfo: IdVector,
    }
    QuorumAuthPacket => deallocate_QuorumAuthPacket { magic: i64, status: i32, token: Buffer }
    FileHeader => deallocate_FileHeader { magic: i32, version: i32, dbid: i64 }
    TxnDigest => deallocate_TxnDigest { version: i32, treeDigest: i64 }
    TxnHeader => deallocate_TxnHeader {
        clientId: i64, cxid: i32, zxid: i64, time: i64, r#type: i32,
    }
    CreateTxnV0 => deallocate_CreateTxnV0 {
        path: *mut c_char, data: Buffer, acl: AclVector, ephemeral: i32,
    }
    CreateTxn => deallocate_CreateTxn {
        path: *mut c_char, data: Buffer, acl: AclVector, ephemeral: i32, parentCVersion: i32,
    }
    CreateTTLTxn => deallocate_CreateTTLTxn {
        path: *mut c_char, data: Buffer, acl: AclVector, parentCVersion: i32, ttl: i64,
    }
    CreateContainerTxn => deallocate_CreateContainerTxn {
        path: *mut c_char, data: Buffer, acl: AclVector, parentCVersion: i32,
    }
    DeleteTxn => deallocate_DeleteTxn { path: *mut c_char }
    SetDataTxn => deallocate_SetDataTxn { path: *mut c_char, data: Buffer, version: i32 }
    CheckVersionTxn => deallocate_CheckVersionTxn { path: *mut c_char, version: i32 }
    SetACLTxn => deallocate_SetACLTxn { path: *mut c_char, acl: AclVector, version: i32 }
    SetMaxChildrenTxn => deallocate_SetMaxChildrenTxn { path: *mut c_char, max: i32 }
    CreateSessionTxn => deallocate_CreateSessionTxn { timeOut: i32 }
    CloseSessionTxn => deallocate_CloseSessionTxn { paths2Delete: StringVector }
    ErrorTxn => deallocate_ErrorTxn { err: i32 }
    Txn => deallocate_Txn { r#type: i32, data: Buffer }
    MultiTxn => deallocate_MultiTxn { txns: TxnVector }
}

/// `struct ClientInfo_vector`.
#[repr(C)]
pub struct ClientInfoVector {
    pub count: i32,
    pub data: *mut ClientInfo,
}

/// `struct Txn_vector`.
#[repr(C)]
pub struct TxnVector {
    pub count: i32,
    pub data: *mut Txn,
}

/// Sets `*v` to `len` zeroed entries (calloc), as the official client does.
///
/// # Safety
/// `v` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn allocate_ClientInfo_vector(v: *mut ClientInfoVector, len: i32) -> c_int {
    match v.as_mut() {
        Some(v) => alloc_entries(&mut v.count, &mut v.data, len),
        None => ZBADARGUMENTS,
    }
}

/// Frees every entry's strings and the array, and leaves `*v` empty. NULL is a no-op.
///
/// # Safety
/// `v` is NULL or a vector whose strings and array came from malloc (or are NULL).
#[no_mangle]
pub unsafe extern "C" fn deallocate_ClientInfo_vector(v: *mut ClientInfoVector) -> c_int {
    if let Some(v) = v.as_mut() {
        free_entries(&mut v.count, &mut v.data, |e| deallocate_ClientInfo(e));
    }
    ZOK
}

/// As `allocate_ClientInfo_vector`.
///
/// # Safety
/// `v` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn allocate_Txn_vector(v: *mut TxnVector, len: i32) -> c_int {
    match v.as_mut() {
        Some(v) => alloc_entries(&mut v.count, &mut v.data, len),
        None => ZBADARGUMENTS,
    }
}

/// As `deallocate_ClientInfo_vector`, for each entry's buffer.
///
/// # Safety
/// `v` is NULL or a vector whose buffers and array came from malloc (or are NULL).
#[no_mangle]
pub unsafe extern "C" fn deallocate_Txn_vector(v: *mut TxnVector) -> c_int {
    if let Some(v) = v.as_mut() {
        free_entries(&mut v.count, &mut v.data, |e| deallocate_Txn(e));
    }
    ZOK
}
