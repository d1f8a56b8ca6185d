//! multi (op 14) and multiRead (op 22): `MultiHeader`, the op list of a request, and the
//! per-op results of a reply, each op framed by a MultiHeader and the list ended by
//! `{-1, true, -1}`.

use super::consts::OpCode;
use super::data::Stat;
use super::requests::{
    CheckVersionRequest, CreateRequest, CreateTtlRequest, DeleteRequest, GetChildrenRequest,
    GetDataRequest, SetDataRequest,
};
use super::wire::{record, Decode, DecodeError, Encode, Reader, Writer};

record! {
    /// `op` is an `OpCode` value, or -1 for an error result and for the terminator.
    MultiHeader { op: i32 = int, done: bool = bool, err: i32 = int }
}

const END: MultiHeader = MultiHeader {
    op: -1,
    done: true,
    err: -1,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MultiOp {
    Create(CreateRequest),
    /// The server handles this as plain create inside a multi: the result has no Stat.
    Create2(CreateRequest),
    CreateContainer(CreateRequest),
    CreateTtl(CreateTtlRequest),
    Delete(DeleteRequest),
    SetData(SetDataRequest),
    Check(CheckVersionRequest),
    GetChildren(GetChildrenRequest),
    GetData(GetDataRequest),
}

impl MultiOp {
    pub fn op_code(&self) -> OpCode {
        match self {
            Self::Create(_) => OpCode::Create,
            Self::Create2(_) => OpCode::Create2,
            Self::CreateContainer(_) => OpCode::CreateContainer,
            Self::CreateTtl(_) => OpCode::CreateTtl,
            Self::Delete(_) => OpCode::Delete,
            Self::SetData(_) => OpCode::SetData,
            Self::Check(_) => OpCode::Check,
            Self::GetChildren(_) => OpCode::GetChildren,
            Self::GetData(_) => OpCode::GetData,
        }
    }

    /// Reads belong in multiRead, everything else in multi.
    pub fn is_read(&self) -> bool {
        matches!(self, Self::GetChildren(_) | Self::GetData(_))
    }

    fn encode_body(&self, w: &mut Writer) {
        match self {
            Self::Create(r) | Self::Create2(r) | Self::CreateContainer(r) => r.encode(w),
            Self::CreateTtl(r) => r.encode(w),
            Self::Delete(r) => r.encode(w),
            Self::SetData(r) => r.encode(w),
            Self::Check(r) => r.encode(w),
            Self::GetChildren(r) => r.encode(w),
            Self::GetData(r) => r.encode(w),
        }
    }

    fn decode_body(op: i32, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match OpCode::from_i32(op) {
            Some(OpCode::Create) => Self::Create(Decode::decode(r)?),
            Some(OpCode::Create2) => Self::Create2(Decode::decode(r)?),
            Some(OpCode::CreateContainer) => Self::CreateContainer(Decode::decode(r)?),
            Some(OpCode::CreateTtl) => Self::CreateTtl(Decode::decode(r)?),
            Some(OpCode::Delete) => Self::Delete(Decode::decode(r)?),
            Some(OpCode::SetData) => Self::SetData(Decode::decode(r)?),
            Some(OpCode::Check) => Self::Check(Decode::decode(r)?),
            Some(OpCode::GetChildren) => Self::GetChildren(Decode::decode(r)?),
            Some(OpCode::GetData) => Self::GetData(Decode::decode(r)?),
            _ => return Err(DecodeError::UnknownOp(op)),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MultiRequest {
    pub ops: Vec<MultiOp>,
}

impl MultiRequest {
    /// Whether this must go out as multiRead (op 22) rather than multi (op 14). Only
    /// meaningful once `validate` has passed.
    pub fn is_read(&self) -> bool {
        matches!(self.validate(), Ok(true))
    }

    /// `Ok(is_read)`, or the server's complaint when reads and writes are mixed. An empty
    /// list counts as a write multi.
    pub fn validate(&self) -> Result<bool, &'static str> {
        let mut kinds = self.ops.iter().map(MultiOp::is_read);
        let Some(first) = kinds.next() else {
            return Ok(false);
        };
        if kinds.all(|k| k == first) {
            Ok(first)
        } else {
            Err("Mixing different kind of ops")
        }
    }
}

impl Encode for MultiRequest {
    fn encode(&self, w: &mut Writer) {
        for op in &self.ops {
            MultiHeader {
                op: op.op_code() as i32,
                done: false,
                err: -1,
            }
            .encode(w);
            op.encode_body(w);
        }
        END.encode(w);
    }
}

impl Decode for MultiRequest {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut ops = Vec::new();
        loop {
            let header = MultiHeader::decode(r)?;
            if header.done {
                break;
            }
            ops.push(MultiOp::decode_body(header.op, r)?);
        }
        let request = Self { ops };
        request.validate().map_err(DecodeError::Invalid)?;
        Ok(request)
    }
}

/// One op's outcome. When a write multi fails the reply header still says OK and every
/// result is `Error`: 0 before the failing op, its code at it, -2 after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MultiResult {
    /// Also the result of create2 inside a multi.
    Create {
        path: String,
    },
    /// The result of createContainer and createTTL.
    Create2 {
        path: String,
        stat: Stat,
    },
    Delete,
    SetData {
        stat: Stat,
    },
    Check,
    GetChildren {
        children: Vec<String>,
    },
    GetData {
        data: Vec<u8>,
        stat: Stat,
    },
    Error {
        err: i32,
    },
}

impl MultiResult {
    fn header(&self) -> MultiHeader {
        let (op, err) = match self {
            Self::Create { .. } => (OpCode::Create, 0),
            Self::Create2 { .. } => (OpCode::Create2, 0),
            Self::Delete => (OpCode::Delete, 0),
            Self::SetData { .. } => (OpCode::SetData, 0),
            Self::Check => (OpCode::Check, 0),
            Self::GetChildren { .. } => (OpCode::GetChildren, 0),
            Self::GetData { .. } => (OpCode::GetData, 0),
            Self::Error { err } => (OpCode::Error, *err),
        };
        MultiHeader {
            op: op as i32,
            done: false,
            err,
        }
    }

    fn encode_body(&self, w: &mut Writer) {
        match self {
            Self::Create { path } => w.write_ustring(path),
            Self::Create2 { path, stat } => {
                w.write_ustring(path);
                stat.encode(w);
            }
            Self::Delete | Self::Check => {}
            Self::SetData { stat } => stat.encode(w),
            Self::GetChildren { children } => w.write_vec(children),
            Self::GetData { data, stat } => {
                w.write_buffer(data);
                stat.encode(w);
            }
            Self::Error { err } => w.write_i32(*err),
        }
    }

    fn decode_body(op: i32, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match OpCode::from_i32(op) {
            Some(OpCode::Create) => Self::Create {
                path: r.read_ustring()?,
            },
            Some(OpCode::Create2) => Self::Create2 {
                path: r.read_ustring()?,
                stat: Stat::decode(r)?,
            },
            Some(OpCode::Delete) => Self::Delete,
            Some(OpCode::SetData) => Self::SetData {
                stat: Stat::decode(r)?,
            },
            Some(OpCode::Check) => Self::Check,
            Some(OpCode::GetChildren) => Self::GetChildren {
                children: r.read_str_vec()?,
            },
            Some(OpCode::GetData) => Self::GetData {
                data: r.read_buffer()?,
                stat: Stat::decode(r)?,
            },
            Some(OpCode::Error) => Self::Error { err: r.read_i32()? },
            _ => return Err(DecodeError::UnknownOp(op)),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MultiResponse {
    pub results: Vec<MultiResult>,
}

impl Encode for MultiResponse {
    fn encode(&self, w: &mut Writer) {
        for result in &self.results {
            result.header().encode(w);
            result.encode_body(w);
        }
        END.encode(w);
    }
}

impl Decode for MultiResponse {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut results = Vec::new();
        loop {
            let header = MultiHeader::decode(r)?;
            if header.done {
                return Ok(Self { results });
            }
            results.push(MultiResult::decode_body(header.op, r)?);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::data::tests::{sample_stat, world_anyone, STAT_HEX};
    use crate::proto::test_util::*;

    const WORLD_ANYONE_HEX: &str = "00000001 0000001f 00000005 776f726c64 00000006 616e796f6e65";

    fn create_delete_check() -> MultiRequest {
        MultiRequest {
            ops: vec![
                MultiOp::Create(CreateRequest {
                    path: "/x".into(),
                    data: vec![],
                    acl: vec![world_anyone()],
                    flags: 0,
                }),
                MultiOp::Delete(DeleteRequest {
                    path: "/y".into(),
                    version: -1,
                }),
                MultiOp::Check(CheckVersionRequest {
                    path: "/z".into(),
                    version: 7,
                }),
            ],
        }
    }

    fn create_delete_check_hex() -> String {
        format!(
            "00000001 00 ffffffff  00000002 2f78 00000000 {WORLD_ANYONE_HEX} 00000000
             00000002 00 ffffffff  00000002 2f79 ffffffff
             0000000d 00 ffffffff  00000002 2f7a 00000007
             ffffffff 01 ffffffff"
        )
    }

    const FAILED_HEX: &str = "ffffffff 00 00000000 00000000
        ffffffff 00 ffffff9b ffffff9b
        ffffffff 00 fffffffe fffffffe
        ffffffff 01 ffffffff";

    #[test]
    fn multi_request_frames_each_op_and_terminates() {
        assert_golden(&create_delete_check(), &create_delete_check_hex());
    }

    #[test]
    fn failed_multi_is_all_error_results() {
        let failed = MultiResponse {
            results: vec![
                MultiResult::Error { err: 0 },
                MultiResult::Error { err: -101 },
                MultiResult::Error { err: -2 },
            ],
        };
        assert_golden(&failed, FAILED_HEX);
    }

    #[test]
    fn successful_multi_results_by_type() {
        let ok = MultiResponse {
            results: vec![
                MultiResult::Create { path: "/x".into() },
                MultiResult::Delete,
                MultiResult::Check,
            ],
        };
        let golden = "00000001 00 00000000 00000002 2f78  00000002 00 00000000
            0000000d 00 00000000  ffffffff 01 ffffffff";
        assert_golden(&ok, golden);
    }

    #[test]
    fn multi_read_results_carry_data_and_children() {
        let golden = format!(
            "00000004 00 00000000 00000001 07 {STAT_HEX}
             00000008 00 00000000 00000001 00000001 61
             ffffffff 01 ffffffff"
        );
        let expected = MultiResponse {
            results: vec![
                MultiResult::GetData {
                    data: vec![7],
                    stat: sample_stat(),
                },
                MultiResult::GetChildren {
                    children: vec!["a".into()],
                },
            ],
        };
        assert_golden(&expected, &golden);
    }

    #[test]
    fn unknown_result_type_is_rejected() {
        let bytes = hex("00000007 00 00000000 ffffffff 01 ffffffff");
        assert_eq!(
            MultiResponse::decode(&mut Reader::new(&bytes)),
            Err(DecodeError::UnknownOp(7))
        );
    }

    #[test]
    fn read_and_write_ops_must_not_mix() {
        let read = MultiOp::GetData(GetDataRequest {
            path: "/r".into(),
            watch: false,
        });
        let mut request = create_delete_check();
        assert_eq!(request.validate(), Ok(false));
        assert!(!request.is_read());
        request.ops.push(read.clone());
        assert_eq!(request.validate(), Err("Mixing different kind of ops"));
        assert!(!request.is_read());
        let reads = MultiRequest { ops: vec![read] };
        assert_eq!(reads.validate(), Ok(true));
        assert!(reads.is_read());
        assert_eq!(MultiRequest::default().validate(), Ok(false));

        let mixed = encode(&request);
        let decoded = MultiRequest::decode(&mut Reader::new(&mixed));
        assert_eq!(
            decoded,
            Err(DecodeError::Invalid("Mixing different kind of ops"))
        );
    }

    #[test]
    fn truncated_multis_fail() {
        assert_truncations_fail::<MultiRequest>(&hex(&create_delete_check_hex()));
        assert_truncations_fail::<MultiResponse>(&hex(FAILED_HEX));
    }

    #[test]
    fn every_multi_op_and_result_round_trips() {
        let create = CreateRequest {
            path: "/c".into(),
            data: vec![1],
            acl: vec![world_anyone()],
            flags: 2,
        };
        let writes = MultiRequest {
            ops: vec![
                MultiOp::Create(create.clone()),
                MultiOp::Create2(create.clone()),
                MultiOp::CreateContainer(CreateRequest {
                    flags: 4,
                    ..create.clone()
                }),
                MultiOp::CreateTtl(CreateTtlRequest {
                    path: "/t".into(),
                    data: vec![],
                    acl: vec![world_anyone()],
                    flags: 5,
                    ttl: 1000,
                }),
                MultiOp::Delete(DeleteRequest {
                    path: "/d".into(),
                    version: 3,
                }),
                MultiOp::SetData(SetDataRequest {
                    path: "/s".into(),
                    data: vec![2; 3],
                    version: -1,
                }),
                MultiOp::Check(CheckVersionRequest {
                    path: "/k".into(),
                    version: 0,
                }),
            ],
        };
        assert_round_trip(&writes);
        let reads = MultiRequest {
            ops: vec![
                MultiOp::GetChildren(GetChildrenRequest {
                    path: "/g".into(),
                    watch: false,
                }),
                MultiOp::GetData(GetDataRequest {
                    path: "/h".into(),
                    watch: false,
                }),
            ],
        };
        assert_round_trip(&reads);
        assert_round_trip(&MultiRequest::default());
        let stat = sample_stat();
        assert_round_trip(&MultiResponse {
            results: vec![
                MultiResult::Create { path: "/c".into() },
                MultiResult::Create2 {
                    path: "/c2".into(),
                    stat,
                },
                MultiResult::Delete,
                MultiResult::SetData { stat },
                MultiResult::Check,
                MultiResult::GetChildren {
                    children: vec!["a".into(), "b".into()],
                },
                MultiResult::GetData {
                    data: vec![9],
                    stat,
                },
                MultiResult::Error { err: -110 },
            ],
        });
        assert_round_trip(&MultiHeader {
            op: 5,
            done: false,
            err: 0,
        });
    }
}
