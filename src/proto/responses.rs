//! Server → client records: the handshake reply, the reply header, watch notifications and
//! the body of every reply op except multi (see `multi`).

use super::data::{Acl, ClientInfo, Stat};
use super::wire::record;

record! {
    /// The first frame from the server, with no ReplyHeader. `time_out <= 0` means the
    /// session expired. Old servers omit `read_only`, which then decodes as false.
    ConnectResponse {
        protocol_version: i32 = int,
        time_out: i32 = int,
        session_id: i64 = long,
        passwd: Vec<u8> = buffer,
        read_only: bool = trailing_bool,
    }
}

record! {
    /// A body follows only when `err == 0` and the op has one.
    ReplyHeader { xid: i32 = int, zxid: i64 = long, err: i32 = int }
}

record! {
    /// Body of an xid -1 frame; `event_type` is an `EventType`, `state` a `KeeperState`.
    WatcherEvent { event_type: i32 = int, state: i32 = int, path: String = ustring }
}

record! { CreateResponse { path: String = ustring } }

record! {
    /// Reply to create2, createContainer and createTTL.
    Create2Response { path: String = ustring, stat: Stat = record }
}

record! {
    /// Also the reply to reconfig (the new config and its Stat).
    GetDataResponse { data: Vec<u8> = buffer, stat: Stat = record }
}

record! { SetDataResponse { stat: Stat = record } }

record! { ExistsResponse { stat: Stat = record } }

record! { GetChildrenResponse { children: Vec<String> = vec } }

record! { GetChildren2Response { children: Vec<String> = vec, stat: Stat = record } }

record! { GetAclResponse { acl: Vec<Acl> = vec, stat: Stat = record } }

record! { SetAclResponse { stat: Stat = record } }

record! { SyncResponse { path: String = ustring } }

record! {
    /// A failed op inside a multi; also addWatch's reply body, always `{0}`.
    ErrorResponse { err: i32 = int }
}

record! { GetEphemeralsResponse { ephemerals: Vec<String> = vec } }

record! { GetAllChildrenNumberResponse { total_number: i32 = int } }

record! { WhoAmIResponse { client_info: Vec<ClientInfo> = vec } }

record! { SetSaslResponse { token: Vec<u8> = buffer } }

/// A GetDataResponse read in place: where its data lies in `body`, and its Stat. A blocking
/// get then keeps the reply's own bytes as the data rather than a copy of them.
pub fn get_data_in_place(
    body: &[u8],
    max_len: usize,
) -> Result<(std::ops::Range<usize>, Stat), super::wire::DecodeError> {
    let mut r = super::wire::Reader::with_max_len(body, max_len);
    let range = r.read_buffer_range()?;
    let stat = <Stat as super::wire::Decode>::decode(&mut r)?;
    Ok((range, stat))
}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;

    use super::*;
    use crate::proto::data::tests::{sample_stat, world_anyone, STAT_HEX};
    use crate::proto::multi::{MultiResponse, MultiResult};
    use crate::proto::test_util::*;
    use crate::proto::wire::{Decode, Encode, Reader};

    const CONNECT_HEX: &str =
        "00000000 00000fa0 1122334455667788 00000010 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 01";

    fn connect() -> ConnectResponse {
        ConnectResponse {
            protocol_version: 0,
            time_out: 4000,
            session_id: 0x1122_3344_5566_7788,
            passwd: vec![0xaa; 16],
            read_only: true,
        }
    }

    #[test]
    fn connect_response_is_37_bytes() {
        assert_eq!(hex(CONNECT_HEX).len(), 37);
        assert_golden(&connect(), CONNECT_HEX);
    }

    #[test]
    fn connect_response_of_36_bytes_is_not_read_only() {
        let bytes = &hex(CONNECT_HEX)[..36];
        let decoded: ConnectResponse = decode_exact(bytes);
        assert_eq!(
            decoded,
            ConnectResponse {
                read_only: false,
                ..connect()
            }
        );
    }

    #[test]
    fn reply_header_golden() {
        assert_golden(
            &ReplyHeader {
                xid: 1,
                zxid: 0x10,
                err: -101,
            },
            "00000001 0000000000000010 ffffff9b",
        );
    }

    #[test]
    fn watcher_event_golden() {
        let event = WatcherEvent {
            event_type: 3,
            state: 3,
            path: "/w".into(),
        };
        assert_golden(&event, "00000003 00000003 00000002 2f77");
    }

    #[test]
    fn add_watch_reply_carries_error_response_zero() {
        let bytes = hex("00000005 0000000000000020 00000000 00000000");
        let mut r = Reader::new(&bytes);
        assert_eq!(
            ReplyHeader::decode(&mut r),
            Ok(ReplyHeader {
                xid: 5,
                zxid: 0x20,
                err: 0
            })
        );
        assert_eq!(ErrorResponse::decode(&mut r), Ok(ErrorResponse { err: 0 }));
        assert!(r.is_empty());
    }

    #[test]
    fn null_children_and_null_data_decode_as_empty() {
        let children: GetChildrenResponse = decode_exact(&hex("ffffffff"));
        assert!(children.children.is_empty());
        let data: GetDataResponse = decode_exact(&hex(&format!("ffffffff {STAT_HEX}")));
        assert_eq!(
            data,
            GetDataResponse {
                data: vec![],
                stat: sample_stat()
            }
        );
    }

    #[test]
    fn truncated_responses_fail() {
        // Without its last byte the connect response is a valid old-server reply.
        assert_truncations_fail::<ConnectResponse>(&hex(CONNECT_HEX)[..36]);
        assert_truncations_fail::<ReplyHeader>(&hex("00000001 0000000000000010 ffffff9b"));
        assert_truncations_fail::<WatcherEvent>(&hex("00000003 00000003 00000002 2f77"));
        assert_truncations_fail::<GetDataResponse>(&hex(&format!("00000001 07 {STAT_HEX}")));
    }

    #[test]
    fn every_response_record_round_trips() {
        let s = |v: &str| v.to_owned();
        let stat = sample_stat();
        assert_round_trip(&connect());
        assert_round_trip(&ReplyHeader {
            xid: -2,
            zxid: 77,
            err: 0,
        });
        assert_round_trip(&WatcherEvent {
            event_type: 4,
            state: 3,
            path: s("/kids"),
        });
        assert_round_trip(&CreateResponse {
            path: s("/n0000000001"),
        });
        assert_round_trip(&Create2Response {
            path: s("/n"),
            stat,
        });
        assert_round_trip(&GetDataResponse {
            data: vec![1, 2, 3],
            stat,
        });
        assert_round_trip(&SetDataResponse { stat });
        assert_round_trip(&ExistsResponse { stat });
        assert_round_trip(&GetChildrenResponse {
            children: vec![s("a"), s("b")],
        });
        assert_round_trip(&GetChildren2Response {
            children: vec![s("c")],
            stat,
        });
        assert_round_trip(&GetAclResponse {
            acl: vec![world_anyone()],
            stat,
        });
        assert_round_trip(&SetAclResponse { stat });
        assert_round_trip(&SyncResponse { path: s("/s") });
        assert_round_trip(&ErrorResponse { err: -101 });
        assert_round_trip(&GetEphemeralsResponse {
            ephemerals: vec![s("/e1"), s("/e2")],
        });
        assert_round_trip(&GetAllChildrenNumberResponse { total_number: 42 });
        assert_round_trip(&WhoAmIResponse {
            client_info: vec![ClientInfo {
                auth_scheme: s("ip"),
                user: s("10.0.0.1"),
            }],
        });
        assert_round_trip(&SetSaslResponse { token: vec![0; 5] });
    }

    /// Decoding must never panic, and whatever decodes must survive re-encoding unchanged.
    fn probe<T: Encode + Decode + PartialEq + Debug>(bytes: &[u8]) {
        for max_len in [DEFAULT_MAX, 8] {
            if let Ok(value) = T::decode(&mut Reader::with_max_len(bytes, max_len)) {
                let again = T::decode(&mut Reader::new(&encode(&value)));
                assert_eq!(again.as_ref(), Ok(&value), "from {bytes:02x?}");
            }
        }
    }
    const DEFAULT_MAX: usize = crate::proto::wire::DEFAULT_MAX_FIELD_LEN;

    #[test]
    fn garbage_never_panics_any_response_decoder() {
        let probes: &[fn(&[u8])] = &[
            probe::<ConnectResponse>,
            probe::<ReplyHeader>,
            probe::<WatcherEvent>,
            probe::<CreateResponse>,
            probe::<Create2Response>,
            probe::<GetDataResponse>,
            probe::<SetDataResponse>,
            probe::<ExistsResponse>,
            probe::<GetChildrenResponse>,
            probe::<GetChildren2Response>,
            probe::<GetAclResponse>,
            probe::<SetAclResponse>,
            probe::<SyncResponse>,
            probe::<ErrorResponse>,
            probe::<GetEphemeralsResponse>,
            probe::<GetAllChildrenNumberResponse>,
            probe::<WhoAmIResponse>,
            probe::<SetSaslResponse>,
            probe::<MultiResponse>,
        ];
        let seeds = [
            hex(CONNECT_HEX),
            encode(&GetAclResponse {
                acl: vec![world_anyone()],
                stat: sample_stat(),
            }),
            encode(&MultiResponse {
                results: vec![
                    MultiResult::Create2 {
                        path: "/a".into(),
                        stat: sample_stat(),
                    },
                    MultiResult::GetChildren {
                        children: vec!["x".into()],
                    },
                    MultiResult::Error { err: -2 },
                ],
            }),
        ];
        let mut rng = XorShift::new(0x5eed_1234_abcd);
        for i in 0..10_000 {
            let bytes = if i % 2 == 0 {
                rng.garbage(96)
            } else {
                // Mutated valid records get much deeper into the decoders than pure noise.
                let mut b = seeds[rng.below(seeds.len())].clone();
                for _ in 0..=rng.below(3) {
                    let at = rng.below(b.len());
                    b[at] = rng.next_u64() as u8;
                }
                b.truncate(rng.below(b.len() + 1));
                b
            };
            for probe in probes {
                probe(&bytes);
            }
        }
    }

    #[test]
    fn get_data_in_place_agrees_with_the_record() {
        for body in [
            format!("ffffffff {STAT_HEX}"),
            format!("00000000 {STAT_HEX}"),
            format!("00000003 0a0b0c {STAT_HEX}"),
        ] {
            let bytes = hex(&body);
            let owned: GetDataResponse = decode_exact(&bytes);
            let (range, stat) = get_data_in_place(&bytes, usize::MAX).unwrap();
            assert_eq!(&bytes[range], &owned.data[..]);
            assert_eq!(stat, owned.stat);
        }
        let short = hex(&format!("00000004 0a0b0c {STAT_HEX}"));
        assert!(get_data_in_place(&short[..short.len() - 1], usize::MAX).is_err());
        let long = hex(&format!("00000003 0a0b0c {STAT_HEX}"));
        assert!(get_data_in_place(&long, 2).is_err());
    }
}
