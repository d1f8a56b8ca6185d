//! Unique names for recipe nodes: kazoo's uuid4 hex prefix (32 lowercase hex digits) and
//! Curator's "protected" `_c_<uuid>-` prefix. The prefix is what lets a client that lost
//! the reply to its create find the node it made instead of making a second one. Also the
//! host name that kazoo's default identifiers are made of.

use crate::error::{Error, Result};

/// 16 random bytes shaped as an RFC 4122 version 4 UUID (version and variant bits set), as
/// Python's `uuid.uuid4()` and Java's `UUID.randomUUID()` make them.
fn uuid4_bytes() -> Result<[u8; 16]> {
    let mut b = [0u8; 16];
    // getrandom(2) fails only without a kernel random source; nothing to do but say so.
    crate::random::fill(&mut b).map_err(|_| Error::SystemError)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    Ok(b)
}

/// A fresh uuid4 as kazoo's `uuid.uuid4().hex`: 32 lowercase hex digits, no dashes.
pub(crate) fn uuid4_hex() -> Result<String> {
    Ok(crate::random::hex(&uuid4_bytes()?))
}

/// A fresh uuid4 as Java's `UUID.toString()`: 8-4-4-4-12 lowercase hex digits.
pub(crate) fn uuid4_dashed() -> Result<String> {
    let h = uuid4_hex()?;
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

/// Curator's protected-name prefix for a node: `_c_<dashed uuid>-`. Curator finds its own
/// node after a lost reply by this prefix, and so do we.
pub(crate) fn curator_protected_prefix() -> Result<String> {
    Ok(format!("_c_{}-", uuid4_dashed()?))
}

/// This machine's host name, of which kazoo's default identifiers are made (kazoo uses the
/// fully qualified name, which needs a DNS lookup; the plain name is what gethostname
/// gives). "localhost" if it cannot be read.
pub(crate) fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into the live local buffer.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "localhost".into();
    }
    let n = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// kazoo's default identifier for a party member, `<host name>-<pid>`.
pub(crate) fn host_pid() -> String {
    format!("{}-{}", host_name(), std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hex_uuid_is_kazoos_shape() {
        let h = uuid4_hex().unwrap();
        assert_eq!(h.len(), 32);
        assert!(h.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')));
        assert_eq!(&h[12..13], "4", "version 4");
        assert!(
            matches!(&h[16..17], "8" | "9" | "a" | "b"),
            "RFC 4122 variant"
        );
        assert_ne!(h, uuid4_hex().unwrap());
    }

    #[test]
    fn a_protected_prefix_is_curators_shape() {
        let p = curator_protected_prefix().unwrap();
        assert_eq!(p.len(), 3 + 36 + 1);
        assert!(p.starts_with("_c_") && p.ends_with('-'));
        let dashes: Vec<usize> = p[3..39].match_indices('-').map(|(i, _)| i).collect();
        assert_eq!(dashes, vec![8, 13, 18, 23]);
    }
}
