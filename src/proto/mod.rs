//! The ZooKeeper 3.8 wire codec: jute primitives, every client-visible record, multi,
//! framing, path validation and chroot arithmetic. Pure functions over byte slices; no I/O,
//! no threads, no session state.
//!
//! - `wire`: `Writer`, `Reader`, `Encode`, `Decode`, `DecodeError`.
//! - `consts`: `OpCode`, `CreateMode`, `AddWatchMode`, `WatcherType`, `EventType`,
//!   `KeeperState`, and the `perms`, `xid`, `err` constant modules.
//! - `data`: `Id`, `Acl`, `Stat`, `ClientInfo`.
//! - `requests`: `ConnectRequest`, `RequestHeader`, `AuthPacket`, `SetWatches`, `SetWatches2`,
//!   `CreateRequest`, `CreateTtlRequest`, `DeleteRequest`, `GetDataRequest`, `SetDataRequest`,
//!   `ExistsRequest`, `GetChildrenRequest`, `GetChildren2Request`, `GetAclRequest`,
//!   `SetAclRequest`, `SyncRequest`, `CheckVersionRequest`, `GetEphemeralsRequest`,
//!   `GetAllChildrenNumberRequest`, `AddWatchRequest`, `CheckWatchesRequest`,
//!   `RemoveWatchesRequest`, `ReconfigRequest`, `GetSaslRequest`, `SetSaslRequest`.
//! - `responses`: `ConnectResponse`, `ReplyHeader`, `WatcherEvent`, `CreateResponse`,
//!   `Create2Response`, `GetDataResponse`, `SetDataResponse`, `ExistsResponse`,
//!   `GetChildrenResponse`, `GetChildren2Response`, `GetAclResponse`, `SetAclResponse`,
//!   `SyncResponse`, `ErrorResponse`, `GetEphemeralsResponse`, `GetAllChildrenNumberResponse`,
//!   `WhoAmIResponse`, `SetSaslResponse`.
//! - `multi`: `MultiHeader`, `MultiOp`, `MultiRequest`, `MultiResult`, `MultiResponse`.
//! - `frame`: `frame_len`, `split_frame`, `FrameError`.
//! - `path`: `validate_path`, `Chroot`, `PathError`.
//! - `config`: `EnsembleConfig` (the text of `/zookeeper/config`), `Member`, `Role`,
//!   `QuorumAddr`, `HostAddr`, `ConfigError`.
//! - `sasl`: the DIGEST-MD5 mechanism (`DigestMd5`, `SaslError`), the tokens the SASL
//!   records carry.
//!
//! Records are named in Rust case (`GetAclRequest` for jute's `GetACLRequest`, `CreateTtlRequest`
//! for `CreateTTLRequest`). Field names are snake_case jute names; jute's `type` fields are
//! `op`, `event_type`, `auth_type` or `watcher_type`. Null strings, buffers and vectors decode
//! as empty.

pub mod config;
pub mod consts;
pub mod data;
pub mod frame;
pub mod multi;
pub mod path;
pub mod requests;
pub mod responses;
pub mod sasl;
pub mod wire;

#[cfg(test)]
mod test_util;

pub use consts::{
    err, perms, xid, AddWatchMode, CreateMode, EventType, KeeperState, OpCode, WatcherType,
    DEFAULT_MAX_FRAME, PROTOCOL_VERSION, SET_WATCHES_MAX_BYTES, TTL_MAX,
};
pub use data::{Acl, ClientInfo, Id, Stat};
pub use frame::{frame_len, split_frame, FrameError};
pub use multi::{MultiHeader, MultiOp, MultiRequest, MultiResponse, MultiResult};
pub use path::{validate_path, Chroot, PathError};
pub use requests::*;
pub use responses::*;
pub use wire::{Decode, DecodeError, Encode, Reader, Writer, DEFAULT_MAX_FIELD_LEN};
