//! ACL helpers: the well-known sets, and digest ids `user:base64(sha1("user:password"))`
//! as ZooKeeper's DigestAuthenticationProvider computes them. SHA-1 and base64 are a few
//! dozen lines each, so they live here rather than pulling in two crates for one helper.

use crate::error::{Error, Result};
use crate::proto::{Acl, Id};

/// The permission bits of an ACL entry (READ, WRITE, CREATE, DELETE, ADMIN, ALL).
pub use crate::proto::consts::perms;

pub fn make_acl(perms: i32, scheme: &str, id: &str) -> Acl {
    Acl {
        perms,
        id: Id {
            scheme: scheme.to_string(),
            id: id.to_string(),
        },
    }
}

/// world:anyone with every permission (ZooKeeper's OPEN_ACL_UNSAFE).
pub fn open_acl_unsafe() -> Vec<Acl> {
    vec![make_acl(perms::ALL, "world", "anyone")]
}

/// world:anyone may read (READ_ACL_UNSAFE).
pub fn read_acl_unsafe() -> Vec<Acl> {
    vec![make_acl(perms::READ, "world", "anyone")]
}

/// Every permission for the identities this session authenticated with (CREATOR_ALL_ACL).
pub fn creator_all_acl() -> Vec<Acl> {
    vec![make_acl(perms::ALL, "auth", "")]
}

/// The digest id of a user and password: `user:base64(sha1("user:password"))`.
/// A user with a ':' is refused (`InvalidArgument`): the server splits "user:password" at
/// the first ':', so no credential could ever match the id.
pub fn digest_id(user: &str, password: &str) -> Result<String> {
    if user.contains(':') {
        return Err(Error::InvalidArgument);
    }
    let hash = sha1(format!("{user}:{password}").as_bytes());
    Ok(format!("{user}:{}", base64(&hash)))
}

/// A digest ACL for a user and password; a user with a ':' is refused, as by `digest_id`.
pub fn make_digest_acl(user: &str, password: &str, perms: i32) -> Result<Acl> {
    Ok(make_acl(perms, "digest", &digest_id(user, password)?))
}

/// Rejects ACL entries the server would refuse, before anything is sent.
pub fn check(a: &Acl) -> Result<()> {
    if a.perms & !perms::ALL != 0 || a.id.scheme.is_empty() {
        return Err(Error::InvalidAcl);
    }
    Ok(())
}

pub(crate) fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 80];
        for (i, c) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

pub(crate) fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn sha1_matches_the_fips_vectors() {
        assert_eq!(
            hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(hex(&sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            hex(&sha1(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
    }

    #[test]
    fn base64_pads() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn digest_id_matches_zookeeper() {
        // The super digest kazoo's test harness configures for super:test.
        assert_eq!(
            digest_id("super", "test").unwrap(),
            "super:D/InIHSb7yEEbrWz8b9l71RjZJU="
        );
    }

    #[test]
    fn a_digest_user_with_a_colon_is_refused() {
        assert_eq!(digest_id("a:b", "pw"), Err(Error::InvalidArgument));
        assert_eq!(
            make_digest_acl("a:b", "pw", 31),
            Err(Error::InvalidArgument)
        );
        // The password may hold colons: the server splits at the first one.
        assert!(digest_id("a", "b:c").is_ok());
    }

    #[test]
    fn check_rejects_bad_perms() {
        assert!(check(&make_acl(32, "world", "anyone")).is_err());
        assert!(check(&make_acl(1, "", "x")).is_err());
        assert!(check(&make_acl(31, "world", "anyone")).is_ok());
    }
}
