//! Wire constants of ZooKeeper 3.8: op codes, create modes, permissions, watch and event
//! types, keeper states, special xids, error codes and the size limits the protocol relies on.

/// Jute protocol version sent in `ConnectRequest`; the server only knows 0.
pub const PROTOCOL_VERSION: i32 = 0;
/// The server's default `jute.maxbuffer`: the largest request payload (the frame after its
/// length) it accepts; a longer one makes it drop the connection.
pub const DEFAULT_MAX_FRAME: usize = 0xfffff;
/// How much larger than the request limit a reply may be: the server answers a read of
/// data it accepted with that data plus a reply header and a Stat.
pub const REPLY_ROOM: usize = 1024;
/// Summed path length per SetWatches batch. Larger batches can exceed the server's
/// maxbuffer, and it would then drop every reconnect (ZOOKEEPER-706).
pub const SET_WATCHES_MAX_BYTES: usize = 128 * 1024;
/// Largest TTL in ms the server accepts (`EphemeralType`); 0 is invalid too.
pub const TTL_MAX: i64 = 0xFF_FFFF_FFFF;

/// Defines a `#[repr(i32)]` enum with explicit wire values, `from_i32` and `ALL`.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $value:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(i32)]
        pub enum $name { $($variant = $value,)* }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)*];

            /// The variant with this wire value; `None` for values the protocol does not define.
            pub fn from_i32(value: i32) -> Option<Self> {
                match value {
                    $($value => Some(Self::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

wire_enum! {
    /// Request types (`ZooDefs.OpCode`).
    OpCode {
        Notification = 0, Create = 1, Delete = 2, Exists = 3, GetData = 4, SetData = 5,
        GetAcl = 6, SetAcl = 7, GetChildren = 8, Sync = 9, Ping = 11, GetChildren2 = 12,
        Check = 13, Multi = 14, Create2 = 15, Reconfig = 16, CheckWatches = 17,
        RemoveWatches = 18, CreateContainer = 19, DeleteContainer = 20, CreateTtl = 21,
        MultiRead = 22, Auth = 100, SetWatches = 101, Sasl = 102, GetEphemerals = 103,
        GetAllChildrenNumber = 104, SetWatches2 = 105, AddWatch = 106, WhoAmI = 107,
        CreateSession = -10, CloseSession = -11, Error = -1,
    }
}

wire_enum! {
    /// The `flags` field of a create request (`CreateMode`).
    CreateMode {
        Persistent = 0, Ephemeral = 1, PersistentSequential = 2, EphemeralSequential = 3,
        Container = 4, PersistentWithTtl = 5, PersistentSequentialWithTtl = 6,
    }
}

impl CreateMode {
    pub fn is_ephemeral(self) -> bool {
        matches!(self, Self::Ephemeral | Self::EphemeralSequential)
    }

    pub fn is_sequential(self) -> bool {
        matches!(
            self,
            Self::PersistentSequential
                | Self::EphemeralSequential
                | Self::PersistentSequentialWithTtl
        )
    }

    pub fn is_container(self) -> bool {
        self == Self::Container
    }

    pub fn is_ttl(self) -> bool {
        matches!(
            self,
            Self::PersistentWithTtl | Self::PersistentSequentialWithTtl
        )
    }

    /// The mode with exactly these properties; `None` for combinations the server has no
    /// mode for (an ephemeral or sequential container, an ephemeral with a TTL, ...).
    pub fn from_flags(
        ephemeral: bool,
        sequential: bool,
        container: bool,
        ttl: bool,
    ) -> Option<Self> {
        Some(match (ephemeral, sequential, container, ttl) {
            (false, false, false, false) => Self::Persistent,
            (true, false, false, false) => Self::Ephemeral,
            (false, true, false, false) => Self::PersistentSequential,
            (true, true, false, false) => Self::EphemeralSequential,
            (false, false, true, false) => Self::Container,
            (false, false, false, true) => Self::PersistentWithTtl,
            (false, true, false, true) => Self::PersistentSequentialWithTtl,
            _ => return None,
        })
    }
}

/// ACL permission bits (`ZooDefs.Perms`).
pub mod perms {
    pub const READ: i32 = 1;
    pub const WRITE: i32 = 2;
    pub const CREATE: i32 = 4;
    pub const DELETE: i32 = 8;
    pub const ADMIN: i32 = 16;
    pub const ALL: i32 = 31;
}

wire_enum! {
    /// The `mode` of an addWatch request.
    AddWatchMode { Persistent = 0, PersistentRecursive = 1 }
}

wire_enum! {
    /// The `type` of checkWatches / removeWatches. Persistent and PersistentRecursive
    /// remove one kind of addWatch watch; servers before 3.9 refuse them.
    WatcherType { Children = 1, Data = 2, Any = 3, Persistent = 4, PersistentRecursive = 5 }
}

wire_enum! {
    /// `WatcherEvent.type`. 5..=7 are made up by clients; servers send 1..=4.
    EventType {
        None = -1, NodeCreated = 1, NodeDeleted = 2, NodeDataChanged = 3,
        NodeChildrenChanged = 4, DataWatchRemoved = 5, ChildWatchRemoved = 6,
        PersistentWatchRemoved = 7,
    }
}

wire_enum! {
    /// `WatcherEvent.state` as Java numbers it (the C client's session states differ).
    KeeperState {
        Unknown = -1, Disconnected = 0, NoSyncConnected = 1, SyncConnected = 3,
        AuthFailed = 4, ConnectedReadOnly = 5, SaslAuthenticated = 6, Expired = -112,
        Closed = 7,
    }
}

/// Reserved xids; normal requests must never use them.
pub mod xid {
    pub const NOTIFICATION: i32 = -1;
    pub const PING: i32 = -2;
    pub const AUTH: i32 = -4;
    pub const SET_WATCHES: i32 = -8;
}

/// `ReplyHeader.err` values (`KeeperException.Code`), plus the C client's own codes.
pub mod err {
    pub const OK: i32 = 0;
    pub const SYSTEMERROR: i32 = -1;
    pub const RUNTIMEINCONSISTENCY: i32 = -2;
    pub const DATAINCONSISTENCY: i32 = -3;
    pub const CONNECTIONLOSS: i32 = -4;
    pub const MARSHALLINGERROR: i32 = -5;
    pub const UNIMPLEMENTED: i32 = -6;
    pub const OPERATIONTIMEOUT: i32 = -7;
    pub const BADARGUMENTS: i32 = -8;
    /// C only.
    pub const INVALIDSTATE: i32 = -9;
    pub const UNKNOWNSESSION: i32 = -12;
    pub const NEWCONFIGNOQUORUM: i32 = -13;
    pub const RECONFIGINPROGRESS: i32 = -14;
    /// C only.
    pub const SSLCONNECTIONERROR: i32 = -15;
    pub const APIERROR: i32 = -100;
    pub const NONODE: i32 = -101;
    pub const NOAUTH: i32 = -102;
    pub const BADVERSION: i32 = -103;
    pub const NOCHILDRENFOREPHEMERALS: i32 = -108;
    pub const NODEEXISTS: i32 = -110;
    pub const NOTEMPTY: i32 = -111;
    pub const SESSIONEXPIRED: i32 = -112;
    pub const INVALIDCALLBACK: i32 = -113;
    pub const INVALIDACL: i32 = -114;
    pub const AUTHFAILED: i32 = -115;
    /// C only.
    pub const CLOSING: i32 = -116;
    /// C only.
    pub const NOTHING: i32 = -117;
    pub const SESSIONMOVED: i32 = -118;
    pub const NOTREADONLY: i32 = -119;
    pub const EPHEMERALONLOCALSESSION: i32 = -120;
    pub const NOWATCHER: i32 = -121;
    /// Java client-side only.
    pub const REQUESTTIMEOUT: i32 = -122;
    pub const RECONFIGDISABLED: i32 = -123;
    pub const SESSIONCLOSEDREQUIRESASLAUTH: i32 = -124;
    pub const QUOTAEXCEEDED: i32 = -125;
    pub const THROTTLEDOP: i32 = -127;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_i32_inverts_the_discriminant_of_every_variant() {
        for &op in OpCode::ALL {
            assert_eq!(OpCode::from_i32(op as i32), Some(op));
        }
        for &m in CreateMode::ALL {
            assert_eq!(CreateMode::from_i32(m as i32), Some(m));
        }
        for &s in KeeperState::ALL {
            assert_eq!(KeeperState::from_i32(s as i32), Some(s));
        }
        for &e in EventType::ALL {
            assert_eq!(EventType::from_i32(e as i32), Some(e));
        }
        assert_eq!(OpCode::ALL.len(), 33);
    }

    #[test]
    fn wire_values_match_the_spec_table() {
        assert_eq!(OpCode::WhoAmI as i32, 107);
        assert_eq!(OpCode::CloseSession as i32, -11);
        assert_eq!(OpCode::MultiRead as i32, 22);
        assert_eq!(KeeperState::Expired as i32, -112);
        assert_eq!(EventType::PersistentWatchRemoved as i32, 7);
        assert_eq!(WatcherType::Any as i32, 3);
        assert_eq!(AddWatchMode::PersistentRecursive as i32, 1);
        assert_eq!(
            perms::READ | perms::WRITE | perms::CREATE | perms::DELETE | perms::ADMIN,
            perms::ALL
        );
        assert_eq!(DEFAULT_MAX_FRAME, 1_048_575);
    }

    #[test]
    fn from_i32_rejects_undefined_values() {
        assert_eq!(OpCode::from_i32(10), None);
        assert_eq!(CreateMode::from_i32(7), None);
        assert_eq!(KeeperState::from_i32(2), None);
        assert_eq!(EventType::from_i32(0), None);
        assert_eq!(WatcherType::from_i32(0), None);
        assert_eq!(AddWatchMode::from_i32(2), None);
    }

    #[test]
    fn create_mode_flags_round_trip_through_the_helpers() {
        for &m in CreateMode::ALL {
            let back = CreateMode::from_flags(
                m.is_ephemeral(),
                m.is_sequential(),
                m.is_container(),
                m.is_ttl(),
            );
            assert_eq!(back, Some(m));
        }
        assert_eq!(CreateMode::from_flags(true, false, false, true), None);
        assert_eq!(CreateMode::from_flags(false, true, true, false), None);
        assert_eq!(CreateMode::from_flags(true, false, true, false), None);
    }
}
