//! The SASL exchange of a new connection: right after the ConnectResponse and before any
//! other request, on the I/O thread, with the handshake's socket timeouts, while nobody
//! else can read or write the socket yet (the reading role and the send side are handed
//! out only after it). The mechanism itself is `proto::sasl`; this file moves its tokens in
//! GetSASLRequest / SetSASLResponse records (op 102) and says what each outcome means.

use std::io;
use std::time::Duration;

use crate::proto::consts::{err, OpCode, REPLY_ROOM};
use crate::proto::sasl::{DigestMd5, ZOOKEEPER_DIGEST_URI};
use crate::proto::wire::{Decode, Encode, Reader};
use crate::proto::{GetSaslRequest, ReplyHeader, RequestHeader, SetSaslResponse};

use super::handshake::HsError;
use super::hostloop::{write_frame, Failure};
use super::inner::Inner;
use super::transport::{Conn, ReadHalf};
use super::Sasl;

/// Runs `sasl` on a connection that just finished its handshake. A refusal, or a server
/// that cannot prove it knows the password, is `HsError::AuthFailed` (final); a connection
/// that breaks or answers out of turn is a failed attempt like a broken handshake.
pub(super) fn authenticate(
    inner: &Inner,
    sasl: &Sasl,
    conn: &Conn,
    read: &mut ReadHalf,
    timeout: Duration,
) -> Result<(), HsError> {
    let Sasl::DigestMd5 {
        username,
        password,
        authzid,
    } = sasl;
    let refused = |why: String| HsError::AuthFailed(format!("SASL DIGEST-MD5: {why}"));
    let cnonce = cnonce().map_err(|e| failed(format!("no random bytes for SASL: {e}")))?;
    let mut mech = DigestMd5::new(
        username,
        password,
        authzid.as_deref(),
        ZOOKEEPER_DIGEST_URI,
        &cnonce,
    );
    // DIGEST-MD5 has no initial response: an empty token asks for the challenge.
    let challenge = round_trip(inner, conn, read, &[], timeout)?.map_err(&refused)?;
    let response = mech
        .respond(&challenge)
        .map_err(|e| refused(e.to_string()))?;
    let last = round_trip(inner, conn, read, &response, timeout)?.map_err(&refused)?;
    mech.verify(&last).map_err(|e| refused(e.to_string()))
}

fn failed(reason: String) -> HsError {
    HsError::Failed(Failure {
        reached: true,
        reason,
    })
}

/// Sends one token and reads the server's: `Ok(Ok(token))`, or `Ok(Err(why))` when the
/// server refused it.
fn round_trip(
    inner: &Inner,
    conn: &Conn,
    read: &mut ReadHalf,
    token: &[u8],
    timeout: Duration,
) -> Result<Result<Vec<u8>, String>, HsError> {
    let xid = inner.send.lock().next_xid();
    let mut out = Vec::with_capacity(32 + token.len());
    write_frame(&mut out, |w| {
        RequestHeader {
            xid,
            op: OpCode::Sasl as i32,
        }
        .encode(w);
        GetSaslRequest {
            token: token.to_vec(),
        }
        .encode(w);
    });
    let io = |e: io::Error| failed(io_reason(&e, timeout));
    conn.write_all(&out).map_err(io)?;
    let mut len = [0u8; 4];
    read.read_exact(&mut len).map_err(io)?;
    let len = i32::from_be_bytes(len);
    // A ReplyHeader (16 bytes) at least; a token far under the frame limit at most.
    let max = inner.max_frame + REPLY_ROOM;
    if len < 16 || len as usize > max {
        return Err(failed(format!("SASL reply of {len} bytes")));
    }
    let mut frame = vec![0u8; len as usize];
    read.read_exact(&mut frame).map_err(io)?;
    let mut r = Reader::with_max_len(&frame, max);
    let bad = |e| failed(format!("bad SASL reply: {e}"));
    let h = ReplyHeader::decode(&mut r).map_err(bad)?;
    if h.xid != xid {
        return Err(failed(format!(
            "the server answered xid {} to the SASL request {xid}",
            h.xid
        )));
    }
    match h.err {
        0 => {}
        err::AUTHFAILED => return Ok(Err("the server refused the credentials".into())),
        err::SESSIONCLOSEDREQUIRESASLAUTH => {
            return Ok(Err(
                "the server refused the credentials, and requires SASL".into()
            ))
        }
        e => return Ok(Err(format!("the server answered error {e}"))),
    }
    // A null token (the server has nothing to say, or no SASL at all) decodes as empty.
    Ok(Ok(SetSaslResponse::decode(&mut r).map_err(bad)?.token))
}

fn io_reason(e: &io::Error, timeout: Duration) -> String {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            format!("no SASL reply within {} ms", timeout.as_millis())
        }
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => "the server closed the connection during SASL".into(),
        _ => format!("SASL failed: {e}"),
    }
}

/// 16 random bytes from the kernel, in hex: the client's nonce, which RFC 2831 wants
/// different on every exchange and which keeps the server from choosing every input of
/// the hash.
fn cnonce() -> io::Result<String> {
    let mut b = [0u8; 16];
    crate::random::fill(&mut b)?;
    Ok(crate::random::hex(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exchange_has_its_own_cnonce() {
        let (a, b) = (cnonce().unwrap(), cnonce().unwrap());
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
