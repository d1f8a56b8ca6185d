//! One connection attempt: TCP (and TLS), the ConnectRequest and its reply, and the SASL
//! exchange when the client has a mechanism (`sasl.rs`).

use std::io::{self, ErrorKind};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::proto::consts::PROTOCOL_VERSION;
use crate::proto::wire::{Decode, Encode, Reader};
use crate::proto::{ConnectRequest, ConnectResponse};

use super::hostloop::{expire, stopping, write_frame, Failure};
use super::inner::Inner;
use super::transport::{self, Conn, ReadHalf};
use super::{ClientId, LogLevel};

pub(super) enum HsError {
    Failed(Failure),
    /// The server says the session expired.
    Expired,
    /// The server refused the client's SASL authentication, or could not prove it knows
    /// the password: final, as a refused credential is.
    AuthFailed(String),
    /// stop() cut the attempt short.
    Stopping,
}

fn timed_out(e: &io::Error) -> bool {
    // A socket timeout reads as WouldBlock (EAGAIN) on Unix.
    matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock)
}

/// Why the TCP connect failed: the server was not reached.
fn tcp_failure(e: io::Error, timeout: Duration) -> HsError {
    let reason = match e.kind() {
        ErrorKind::ConnectionRefused => "connection refused".to_string(),
        _ if timed_out(&e) => format!("no TCP connection within {} ms", timeout.as_millis()),
        _ => e.to_string(),
    };
    HsError::Failed(Failure {
        reached: false,
        reason,
    })
}

/// Why the TLS handshake failed (the provider's words: "invalid peer certificate:
/// UnknownIssuer", ...).
fn tls_failure(e: io::Error, timeout: Duration) -> HsError {
    let reason = if timed_out(&e) {
        format!("TLS handshake timed out after {} ms", timeout.as_millis())
    } else {
        format!("TLS handshake failed: {e}")
    };
    HsError::Failed(Failure {
        reached: true,
        reason,
    })
}

/// Why ZooKeeper's handshake (ConnectRequest, ConnectResponse) failed.
fn zk_failure(e: io::Error, timeout: Duration) -> HsError {
    let reason = match e.kind() {
        _ if timed_out(&e) => format!("no handshake reply within {} ms", timeout.as_millis()),
        ErrorKind::UnexpectedEof
        | ErrorKind::ConnectionReset
        | ErrorKind::ConnectionAborted
        | ErrorKind::BrokenPipe => "the server closed the connection in the handshake".to_string(),
        _ => format!("handshake failed: {e}"),
    };
    HsError::Failed(Failure {
        reached: true,
        reason,
    })
}

fn reached(reason: String) -> HsError {
    HsError::Failed(Failure {
        reached: true,
        reason,
    })
}

/// A connection that finished its handshake.
pub(super) struct Established {
    pub(super) conn: Conn,
    pub(super) read: ReadHalf,
    pub(super) resp: ConnectResponse,
    /// When the ConnectRequest was sent (milliseconds since `Inner::epoch`): the server
    /// (re)started the session's timer on receiving it.
    pub(super) asked_ms: u64,
}

pub(super) fn handshake(
    inner: &Inner,
    addr: SocketAddr,
    host: &str,
    n_hosts: u32,
    session_ends: Option<Instant>,
) -> Result<Established, HsError> {
    let r = handshake_on(inner, addr, host, n_hosts, session_ends);
    // The clone kept for stop() must not outlive the attempt, whatever its outcome.
    *inner.connecting.lock() = None;
    r
}

pub(super) fn handshake_on(
    inner: &Inner,
    addr: SocketAddr,
    host: &str,
    n_hosts: u32,
    session_ends: Option<Instant>,
) -> Result<Established, HsError> {
    let (requested, read_only, tls, sasl) = {
        let c = inner.cfg.lock();
        (
            c.session_timeout,
            c.read_only,
            c.tls.clone(),
            c.sasl.clone(),
        )
    };
    let (session, offer) = {
        let st = inner.st.lock();
        let offer = st.seen_rw;
        (st.session, offer)
    };
    // Java's connect timeout is the session timeout shared out over the hosts. We share it
    // out over three at least: a ZooKeeper 3.8 that is starting can accept a connection
    // and never answer it, and with one host Java's rule spends the whole session timeout
    // on that one attempt, so the session expires though the server was back at once.
    // No longer than the session has left by our clock either, so that its expiry is
    // said on time (each step of the attempt waits at most this).
    let left = session_ends.map_or(Duration::MAX, |at| {
        at.saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1))
    });
    let timeout = (requested / n_hosts.max(3))
        .clamp(Duration::from_millis(250), Duration::from_secs(10))
        .min(left);
    let tcp = TcpStream::connect_timeout(&addr, timeout).map_err(|e| tcp_failure(e, timeout))?;
    *inner.connecting.lock() = tcp.try_clone().ok();
    if stopping(inner) {
        return Err(HsError::Stopping);
    }
    let with_tls = tls.is_some();
    let (conn, mut read) = transport::open(tcp, tls.as_ref().map(|t| (t, host)), timeout).map_err(
        |e| match with_tls {
            true => tls_failure(e, timeout),
            false => zk_failure(e, timeout),
        },
    )?;
    let fail = |e: io::Error| zk_failure(e, timeout);
    let (sid, passwd) = match session {
        Some(ClientId { session_id, passwd }) if offer => (session_id, passwd),
        _ => (0, [0u8; 16]),
    };
    let req = ConnectRequest {
        protocol_version: PROTOCOL_VERSION,
        last_zxid_seen: inner.last_zxid.load(Ordering::Relaxed),
        time_out: requested.as_millis().min(i32::MAX as u128) as i32,
        session_id: sid,
        passwd: passwd.to_vec(),
        read_only,
    };
    let mut out = Vec::with_capacity(64);
    write_frame(&mut out, |w| req.encode(w));
    let asked_ms = inner.now_ms();
    conn.write_all(&out).map_err(fail)?;
    let mut len = [0u8; 4];
    read.read_exact(&mut len).map_err(fail)?;
    let len = i32::from_be_bytes(len);
    // A ConnectResponse is 36 or 37 bytes. Anything else (a read-only server without local
    // sessions answers a bare 16-byte ReplyHeader) is a failed connect, not a reply to parse.
    if !(36..=37).contains(&len) {
        return Err(reached(format!("handshake reply of {len} bytes")));
    }
    let mut payload = vec![0u8; len as usize];
    read.read_exact(&mut payload).map_err(fail)?;
    let resp = ConnectResponse::decode(&mut Reader::new(&payload))
        .map_err(|e| reached(format!("bad handshake reply: {e}")))?;
    if resp.time_out <= 0 {
        return Err(HsError::Expired);
    }
    if sid != 0 && resp.session_id != sid {
        // A server that hands out a new session instead of resuming ours (pain point 14):
        // the old one is gone, so it expired as far as the user is concerned.
        inner.log(
            LogLevel::Warn,
            format_args!("server gave a new session instead of 0x{sid:x}"),
        );
        if expire(inner) {
            return Err(reached(format!(
                "the server gave a new session instead of 0x{sid:x}, and expiry is final"
            )));
        }
    }
    // Before anything else on every connection, the replayed credentials included, and
    // while stop() can still cut the attempt short (`connecting`).
    if let Some(sasl) = &sasl {
        super::sasl::authenticate(inner, sasl, &conn, &mut read, timeout)?;
    }
    Ok(Established {
        conn,
        read,
        resp,
        asked_ms,
    })
}
