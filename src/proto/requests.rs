//! Client → server records: the handshake, the request header, auth, SetWatches and the
//! body of every request op except multi (see `multi`).

use super::data::Acl;
use super::wire::{record, Encode, Writer};

record! {
    /// The first frame of a connection, with no RequestHeader. `read_only` is the byte Java
    /// appends by hand; decoding accepts its absence as old clients do.
    ConnectRequest {
        protocol_version: i32 = int,
        last_zxid_seen: i64 = long,
        time_out: i32 = int,
        session_id: i64 = long,
        passwd: Vec<u8> = buffer,
        read_only: bool = trailing_bool,
    }
}

record! {
    /// `op` is an `OpCode` value.
    RequestHeader { xid: i32 = int, op: i32 = int }
}

record! {
    /// `auth_type` is always 0.
    AuthPacket { auth_type: i32 = int, scheme: String = ustring, auth: Vec<u8> = buffer }
}

record! {
    SetWatches {
        relative_zxid: i64 = long,
        data_watches: Vec<String> = vec,
        exist_watches: Vec<String> = vec,
        child_watches: Vec<String> = vec,
    }
}

record! {
    /// SetWatches plus persistent watches (op 105).
    SetWatches2 {
        relative_zxid: i64 = long,
        data_watches: Vec<String> = vec,
        exist_watches: Vec<String> = vec,
        child_watches: Vec<String> = vec,
        persistent_watches: Vec<String> = vec,
        persistent_recursive_watches: Vec<String> = vec,
    }
}

record! {
    /// Used by create, create2 and createContainer; `flags` is a `CreateMode` value.
    CreateRequest { path: String = ustring, data: Vec<u8> = buffer, acl: Vec<Acl> = vec, flags: i32 = int }
}

record! {
    CreateTtlRequest {
        path: String = ustring,
        data: Vec<u8> = buffer,
        acl: Vec<Acl> = vec,
        flags: i32 = int,
        ttl: i64 = long,
    }
}

record! {
    /// `version` -1 matches any version.
    DeleteRequest { path: String = ustring, version: i32 = int }
}

record! { GetDataRequest { path: String = ustring, watch: bool = bool } }

record! {
    SetDataRequest { path: String = ustring, data: Vec<u8> = buffer, version: i32 = int }
}

record! { ExistsRequest { path: String = ustring, watch: bool = bool } }

record! { GetChildrenRequest { path: String = ustring, watch: bool = bool } }

record! { GetChildren2Request { path: String = ustring, watch: bool = bool } }

record! { GetAclRequest { path: String = ustring } }

record! { SetAclRequest { path: String = ustring, acl: Vec<Acl> = vec, version: i32 = int } }

record! { SyncRequest { path: String = ustring } }

record! {
    /// The `check` op of a multi.
    CheckVersionRequest { path: String = ustring, version: i32 = int }
}

record! { GetEphemeralsRequest { prefix_path: String = ustring } }

record! { GetAllChildrenNumberRequest { path: String = ustring } }

record! {
    /// `mode` is an `AddWatchMode` value.
    AddWatchRequest { path: String = ustring, mode: i32 = int }
}

record! {
    /// `watcher_type` is a `WatcherType` value.
    CheckWatchesRequest { path: String = ustring, watcher_type: i32 = int }
}

record! {
    /// `watcher_type` is a `WatcherType` value.
    RemoveWatchesRequest { path: String = ustring, watcher_type: i32 = int }
}

record! {
    /// The server tells the two forms apart by null: `new_members` set is a whole new
    /// membership, null an incremental change, where a null list means none. Lists are
    /// comma-separated; `cur_config_id` is the config version it applies to, -1 any.
    ReconfigRequest {
        joining_servers: Option<String> = opt_ustring,
        leaving_servers: Option<String> = opt_ustring,
        new_members: Option<String> = opt_ustring,
        cur_config_id: i64 = long,
    }
}

record! { GetSaslRequest { token: Vec<u8> = buffer } }

record! { SetSaslRequest { token: Vec<u8> = buffer } }

/// Borrowed forms of the requests a blocking get, exists, children, set or delete sends:
/// they encode byte for byte as the owned records (tests below), so a call copies neither
/// its path nor its data before the frame.
///
/// `PathWatchRef` is GetDataRequest, ExistsRequest, GetChildrenRequest and
/// GetChildren2Request, which share one layout.
pub struct PathWatchRef<'a> {
    pub path: &'a str,
    pub watch: bool,
}

impl Encode for PathWatchRef<'_> {
    fn encode(&self, w: &mut Writer) {
        w.write_ustring(self.path);
        w.write_bool(self.watch);
    }
}

/// SetDataRequest, borrowed.
pub struct SetDataRef<'a> {
    pub path: &'a str,
    pub data: &'a [u8],
    pub version: i32,
}

impl Encode for SetDataRef<'_> {
    fn encode(&self, w: &mut Writer) {
        w.write_ustring(self.path);
        w.write_buffer(self.data);
        w.write_i32(self.version);
    }
}

/// DeleteRequest, borrowed.
pub struct DeleteRef<'a> {
    pub path: &'a str,
    pub version: i32,
}

impl Encode for DeleteRef<'_> {
    fn encode(&self, w: &mut Writer) {
        w.write_ustring(self.path);
        w.write_i32(self.version);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::data::tests::world_anyone;
    use crate::proto::test_util::*;
    use crate::proto::wire::{Decode, Encode, Reader, Writer};

    const CONNECT_HEX: &str = "00000000 0102030405060708 00007530 1122334455667788
        00000010 000102030405060708090a0b0c0d0e0f 01";

    fn connect() -> ConnectRequest {
        ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0x0102_0304_0506_0708,
            time_out: 30_000,
            session_id: 0x1122_3344_5566_7788,
            passwd: (0..16).collect(),
            read_only: true,
        }
    }

    const CREATE_HEX: &str = "00000002 2f6e 00000002 6869 00000001
        0000001f 00000005 776f726c64 00000006 616e796f6e65 00000003";

    fn create() -> CreateRequest {
        CreateRequest {
            path: "/n".into(),
            data: b"hi".to_vec(),
            acl: vec![world_anyone()],
            flags: 3,
        }
    }

    const SET_WATCHES2_HEX: &str = "0000000000000005 00000001 00000002 2f61 00000000
        00000002 00000002 2f62 00000002 2f63 00000000 00000001 00000002 2f64";

    fn set_watches2() -> SetWatches2 {
        SetWatches2 {
            relative_zxid: 5,
            data_watches: vec!["/a".into()],
            exist_watches: vec![],
            child_watches: vec!["/b".into(), "/c".into()],
            persistent_watches: vec![],
            persistent_recursive_watches: vec!["/d".into()],
        }
    }

    #[test]
    fn connect_request_is_45_bytes_with_trailing_read_only() {
        assert_eq!(hex(CONNECT_HEX).len(), 45);
        assert_golden(&connect(), CONNECT_HEX);
    }

    #[test]
    fn connect_request_without_read_only_byte_decodes_as_false() {
        let mut bytes = hex(CONNECT_HEX);
        bytes.pop();
        let decoded: ConnectRequest = decode_exact(&bytes);
        assert_eq!(
            decoded,
            ConnectRequest {
                read_only: false,
                ..connect()
            }
        );
    }

    #[test]
    fn get_data_request_framed_in_one_buffer() {
        let mut w = Writer::new();
        let start = w.begin_frame();
        RequestHeader { xid: 1, op: 4 }.encode(&mut w);
        GetDataRequest {
            path: "/a".into(),
            watch: true,
        }
        .encode(&mut w);
        w.finish_frame(start);
        assert_eq!(
            w.as_slice(),
            hex("0000000f 00000001 00000004 00000002 2f61 01")
        );
    }

    #[test]
    fn request_header_then_body_decode_in_sequence() {
        let bytes = hex("00000001 00000004 00000002 2f61 01");
        let mut r = Reader::new(&bytes);
        let header = RequestHeader::decode(&mut r).unwrap();
        let body = GetDataRequest::decode(&mut r).unwrap();
        assert_eq!(header, RequestHeader { xid: 1, op: 4 });
        assert_eq!(
            body,
            GetDataRequest {
                path: "/a".into(),
                watch: true
            }
        );
        assert!(r.is_empty());
    }

    #[test]
    fn create_request_with_world_anyone_acl() {
        assert_golden(&create(), CREATE_HEX);
    }

    #[test]
    fn set_watches2_writes_five_path_vectors() {
        assert_golden(&set_watches2(), SET_WATCHES2_HEX);
    }

    #[test]
    fn auth_packet_golden() {
        let auth = AuthPacket {
            auth_type: 0,
            scheme: "digest".into(),
            auth: b"u:p".to_vec(),
        };
        assert_golden(&auth, "00000000 00000006 646967657374 00000003 753a70");
    }

    #[test]
    fn reconfig_golden_sends_absent_lists_as_null_not_empty() {
        // An empty new_members would be a whole new (empty) membership to the server.
        let leave = ReconfigRequest {
            joining_servers: None,
            leaving_servers: Some("1".into()),
            new_members: None,
            cur_config_id: -1,
        };
        assert_golden(&leave, "ffffffff 00000001 31 ffffffff ffffffffffffffff");
        let replace = ReconfigRequest {
            joining_servers: None,
            leaving_servers: None,
            new_members: Some("server.1=h:1:2;3".into()),
            cur_config_id: 0x1_0000_0000,
        };
        assert_golden(
            &replace,
            "ffffffff ffffffff 00000010 7365727665722e313d683a313a323b33 0000000100000000",
        );
    }

    #[test]
    fn truncated_requests_fail() {
        // The connect prefix missing only the read-only byte is valid, so stop before it.
        let connect = hex(CONNECT_HEX);
        assert_truncations_fail::<ConnectRequest>(&connect[..44]);
        assert_truncations_fail::<CreateRequest>(&hex(CREATE_HEX));
        assert_truncations_fail::<SetWatches2>(&hex(SET_WATCHES2_HEX));
    }

    #[test]
    fn every_request_record_round_trips() {
        let s = |v: &str| v.to_owned();
        assert_round_trip(&connect());
        assert_round_trip(&RequestHeader { xid: -8, op: 101 });
        assert_round_trip(&AuthPacket {
            auth_type: 0,
            scheme: s("ip"),
            auth: vec![0, 255],
        });
        assert_round_trip(&SetWatches {
            relative_zxid: -1,
            data_watches: vec![s("/d")],
            exist_watches: vec![s("/e"), s("/é")],
            child_watches: vec![s("/c")],
        });
        assert_round_trip(&set_watches2());
        assert_round_trip(&create());
        assert_round_trip(&CreateTtlRequest {
            path: s("/t"),
            data: vec![1],
            acl: vec![world_anyone(), world_anyone()],
            flags: 5,
            ttl: 0xFF_FFFF_FFFF,
        });
        assert_round_trip(&DeleteRequest {
            path: s("/d"),
            version: -1,
        });
        assert_round_trip(&GetDataRequest {
            path: s("/g"),
            watch: true,
        });
        assert_round_trip(&SetDataRequest {
            path: s("/s"),
            data: vec![9; 300],
            version: 4,
        });
        assert_round_trip(&ExistsRequest {
            path: s("/x"),
            watch: true,
        });
        assert_round_trip(&GetChildrenRequest {
            path: s("/c"),
            watch: true,
        });
        assert_round_trip(&GetChildren2Request {
            path: s("/c2"),
            watch: true,
        });
        assert_round_trip(&GetAclRequest { path: s("/acl") });
        assert_round_trip(&SetAclRequest {
            path: s("/acl"),
            acl: vec![world_anyone()],
            version: 2,
        });
        assert_round_trip(&SyncRequest { path: s("/sync") });
        assert_round_trip(&CheckVersionRequest {
            path: s("/v"),
            version: 3,
        });
        assert_round_trip(&GetEphemeralsRequest {
            prefix_path: s("/p"),
        });
        assert_round_trip(&GetAllChildrenNumberRequest { path: s("/n") });
        assert_round_trip(&AddWatchRequest {
            path: s("/w"),
            mode: 1,
        });
        assert_round_trip(&CheckWatchesRequest {
            path: s("/w"),
            watcher_type: 2,
        });
        assert_round_trip(&RemoveWatchesRequest {
            path: s("/w"),
            watcher_type: 3,
        });
        assert_round_trip(&ReconfigRequest {
            joining_servers: Some(s("server.4=h:2888:3888")),
            leaving_servers: Some(s("1")),
            new_members: None,
            cur_config_id: -1,
        });
        assert_round_trip(&GetSaslRequest { token: vec![1, 2] });
        assert_round_trip(&SetSaslRequest { token: vec![3] });
    }

    #[test]
    fn borrowed_requests_encode_as_the_owned_ones() {
        for watch in [false, true] {
            let r = PathWatchRef {
                path: "/a/b",
                watch,
            };
            let owned = encode(&GetDataRequest {
                path: "/a/b".into(),
                watch,
            });
            assert_eq!(encode(&r), owned);
            assert_eq!(
                encode(&ExistsRequest {
                    path: "/a/b".into(),
                    watch
                }),
                owned
            );
            assert_eq!(
                encode(&GetChildren2Request {
                    path: "/a/b".into(),
                    watch
                }),
                owned
            );
        }
        let set = SetDataRef {
            path: "/x",
            data: b"data",
            version: 7,
        };
        assert_eq!(
            encode(&set),
            encode(&SetDataRequest {
                path: "/x".into(),
                data: b"data".to_vec(),
                version: 7,
            })
        );
        let del = DeleteRef {
            path: "/x",
            version: -1,
        };
        assert_eq!(
            encode(&del),
            encode(&DeleteRequest {
                path: "/x".into(),
                version: -1,
            })
        );
    }
}
