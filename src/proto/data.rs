//! The `data.*` jute records shared by requests and responses: `Id`, `Acl`, `Stat`, `ClientInfo`.

use super::wire::record;

record! {
    /// An authentication identity, e.g. `world:anyone` or `digest:user:hash`.
    Id { scheme: String = ustring, id: String = ustring }
}

record! {
    /// `perms` is a mask of `consts::perms`.
    Acl { perms: i32 = int, id: Id = record }
}

record! {
    /// Node metadata; `ephemeral_owner` is the owning session id, 0 for non-ephemeral nodes.
    #[derive(Copy)]
    Stat {
        czxid: i64 = long,
        mzxid: i64 = long,
        ctime: i64 = long,
        mtime: i64 = long,
        version: i32 = int,
        cversion: i32 = int,
        aversion: i32 = int,
        ephemeral_owner: i64 = long,
        data_length: i32 = int,
        num_children: i32 = int,
        pzxid: i64 = long,
    }
}

record! {
    /// One identity of the session, as whoAmI reports it.
    ClientInfo { auth_scheme: String = ustring, user: String = ustring }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::proto::test_util::*;

    pub(crate) const STAT_HEX: &str =
        "0000000000000001 0000000000000002 0000000000000003 0000000000000004
        00000005 00000006 ffffffff 0123456789abcdef 00000009 0000000a 000000000000000b";

    pub(crate) fn sample_stat() -> Stat {
        Stat {
            czxid: 1,
            mzxid: 2,
            ctime: 3,
            mtime: 4,
            version: 5,
            cversion: 6,
            aversion: -1,
            ephemeral_owner: 0x0123_4567_89ab_cdef,
            data_length: 9,
            num_children: 10,
            pzxid: 11,
        }
    }

    pub(crate) fn world_anyone() -> Acl {
        Acl {
            perms: 31,
            id: Id {
                scheme: "world".into(),
                id: "anyone".into(),
            },
        }
    }

    #[test]
    fn stat_is_68_bytes_in_field_order() {
        assert_eq!(hex(STAT_HEX).len(), 68);
        assert_golden(&sample_stat(), STAT_HEX);
    }

    #[test]
    fn acl_world_anyone_all_perms() {
        assert_golden(
            &world_anyone(),
            "0000001f 00000005 776f726c64 00000006 616e796f6e65",
        );
    }

    #[test]
    fn data_records_round_trip() {
        assert_round_trip(&Id {
            scheme: "digest".into(),
            id: "u:h=".into(),
        });
        assert_round_trip(&world_anyone());
        assert_round_trip(&sample_stat());
        assert_round_trip(&ClientInfo {
            auth_scheme: "ip".into(),
            user: "127.0.0.1".into(),
        });
    }

    #[test]
    fn truncated_data_records_fail() {
        assert_truncations_fail::<Stat>(&hex(STAT_HEX));
        assert_truncations_fail::<Acl>(&encode(&world_anyone()));
        assert_truncations_fail::<ClientInfo>(&encode(&ClientInfo {
            auth_scheme: "a".into(),
            user: "b".into(),
        }));
    }
}
