//! The I/O thread's outer loop: picks hosts, connects, serves one connection until it
//! ends, expires or closes the session, and backs off between passes.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::proto::consts::{xid, OpCode};
use crate::proto::wire::{Encode, Writer};
use crate::proto::RequestHeader;

use super::frames::publish_reader;
use super::handshake::{handshake, Established, HsError};
use super::hosts::{resolve, shuffle};
use super::inner::Inner;
use super::prober::spawn_rw_prober;
use super::reader::read_loop;
use super::replay::replay_frames;
use super::retry::Rng;
use super::state::KeeperState;
use super::{ClientId, LogLevel};

/// Why a connection ended.
pub(super) enum End {
    /// Lost: try the next host.
    Lost,
    /// stop() or closeSession: end the thread.
    Stop,
    /// AUTH_FAILED, final expiry, retries exhausted: end the thread, state already set.
    Terminal,
}

pub(super) fn io_main(inner: Arc<Inner>) {
    let mut rng = Rng::new(Rng::seed());
    let policy = inner.cfg.lock().connection_retry;
    let mut backoff = policy.start(rng.next_u64());
    let mut disconnected_at: Option<Instant> = None;
    'outer: loop {
        if stopping(&inner) {
            break;
        }
        let (hosts, randomize) = {
            let c = inner.cfg.lock();
            (c.connect.hosts.clone(), c.randomize_hosts)
        };
        // Resolved again on every pass: addresses behind a name may have moved.
        let mut addrs = resolve(&hosts);
        if randomize {
            shuffle(&mut addrs, &mut rng);
        }
        // A read-write server found while we were read-only goes first.
        if let Some(p) = inner.preferred.lock().take() {
            if let Some(i) = addrs.iter().position(|(a, _)| *a == p) {
                let item = addrs.remove(i);
                addrs.insert(0, item);
            }
        }
        let n_hosts = addrs.len().max(1) as u32;
        let mut reached = false;
        for (addr, name) in addrs {
            if stopping(&inner) {
                break 'outer;
            }
            inner.expire_waiting();
            if local_expiry_due(&inner, disconnected_at) {
                inner.log(
                    LogLevel::Warn,
                    format_args!("disconnected longer than the session timeout: session expired"),
                );
                if expire(&inner) {
                    break 'outer;
                }
            }
            match handshake(&inner, addr, &name, n_hosts) {
                Ok(est) => {
                    let resp = &est.resp;
                    reached = true;
                    backoff.reset();
                    inner.log(
                        LogLevel::Info,
                        format_args!(
                            "connected to {name} ({addr}), session 0x{:x}, timeout {} ms{}",
                            resp.session_id,
                            resp.time_out,
                            if resp.read_only { ", read-only" } else { "" }
                        ),
                    );
                    match serve(&inner, est, addr, &name) {
                        End::Lost => {
                            disconnected_at = Some(Instant::now());
                            if !stopping(&inner) {
                                inner.set_state(KeeperState::Connecting);
                            }
                        }
                        End::Stop | End::Terminal => break 'outer,
                    }
                }
                Err(HsError::Expired) => {
                    reached = true;
                    inner.log(
                        LogLevel::Warn,
                        format_args!("server {addr} says the session expired"),
                    );
                    if expire(&inner) {
                        break 'outer;
                    }
                }
                Err(HsError::Failed(why)) => {
                    inner.log(
                        LogLevel::Debug,
                        format_args!("connect to {name} ({addr}) failed: {why}"),
                    );
                }
            }
        }
        if !reached {
            match backoff.next_delay() {
                Some(d) => sleep_unless_stopping(&inner, d),
                None => {
                    inner.log(
                        LogLevel::Error,
                        format_args!("connection retries exhausted"),
                    );
                    close_for_good(&inner, Error::RetriesExhausted);
                    break;
                }
            }
        }
    }
    // Whoever asked us to stop finishes the cleanup; a terminal state already did its own.
    inner.drop_connection();
}

pub(super) fn stopping(inner: &Inner) -> bool {
    inner.st.lock().stopping
}

/// Sleeps between passes, waking every 100 ms to fail queued requests whose deadline
/// passed, and at once on stop.
pub(super) fn sleep_unless_stopping(inner: &Inner, d: Duration) {
    sleep_while(inner, d, |i| {
        i.expire_waiting();
        !stopping(i)
    });
}

pub(super) fn local_expiry_due(inner: &Inner, disconnected_at: Option<Instant>) -> bool {
    let st = inner.st.lock();
    match disconnected_at {
        Some(t) => st.session.is_some() && !st.negotiated.is_zero() && t.elapsed() > st.negotiated,
        None => false,
    }
}

/// The session is gone: pending calls fail with SESSIONEXPIRED, every watch gets its one
/// terminal event, listeners see EXPIRED_SESSION (LOST). Returns true when expiry is final.
#[cold]
#[inline(never)]
pub(super) fn expire(inner: &Inner) -> bool {
    let fin = inner.cfg.lock().expiry_final;
    {
        let mut st = inner.st.lock();
        st.session = None;
        st.seen_rw = false;
        st.expiries += 1;
        if fin {
            st.closed_reason = Some(Error::SessionExpired);
        }
    }
    inner.fail_pending(Error::SessionExpired);
    inner.fail_waiting(Error::SessionExpired);
    inner.end_watches(KeeperState::ExpiredSession);
    inner.set_state(KeeperState::ExpiredSession);
    fin
}

#[cold]
#[inline(never)]
pub(super) fn close_for_good(inner: &Inner, why: Error) {
    inner.fail_pending(why);
    inner.fail_waiting(why);
    inner.end_watches(KeeperState::Closed);
    let mut st = inner.st.lock();
    st.closed_reason = Some(why);
    st.session = None;
    inner.set_state_locked(&mut st, KeeperState::Closed);
}

#[cold]
#[inline(never)]
pub(super) fn enter_auth_failed(inner: &Inner) {
    inner.drop_connection();
    inner.fail_pending(Error::AuthFailed);
    inner.fail_waiting(Error::AuthFailed);
    inner.end_watches(KeeperState::AuthFailed);
    let mut st = inner.st.lock();
    st.closed_reason = Some(Error::AuthFailed);
    inner.set_state_locked(&mut st, KeeperState::AuthFailed);
}

pub(super) fn write_frame<F: FnOnce(&mut Writer)>(out: &mut Vec<u8>, f: F) {
    let mut w = Writer::with_capacity(64);
    let start = w.begin_frame();
    f(&mut w);
    w.finish_frame(start);
    out.extend_from_slice(w.as_slice());
}

/// Runs one established connection until it ends.
pub(super) fn serve(inner: &Arc<Inner>, est: Established, addr: SocketAddr, host: &str) -> End {
    let Established { conn, read, resp } = est;
    let negotiated = Duration::from_millis(resp.time_out as u64);
    let mut passwd = [0u8; 16];
    let n = resp.passwd.len().min(16);
    passwd[..n].copy_from_slice(&resp.passwd[..n]);
    {
        let mut st = inner.st.lock();
        st.session = Some(ClientId {
            session_id: resp.session_id,
            passwd,
        });
        st.negotiated = negotiated;
        st.server = Some((addr, host.to_string()));
        if !resp.read_only {
            st.seen_rw = true;
        }
    }
    let writer = conn;
    // A server that stops reading must not block writers forever.
    let _ = writer.set_write_timeout(Some(negotiated));

    // Auth first, then the watches, then user requests: all under the send lock, so nothing
    // can slip in between.
    {
        let mut s = inner.send.lock();
        if stopping(inner) {
            return End::Stop;
        }
        // Only a session with credentials or watches has anything to replay; the frames
        // are built out of line, off the path every connect takes.
        if !inner.auth.lock().is_empty() || !inner.watches.lock().is_empty() {
            let out = replay_frames(inner);
            if !out.is_empty() && writer.write_all(&out).is_err() {
                return End::Lost;
            }
        }
        // The reading side first: a caller that writes may go straight to reading.
        if !publish_reader(inner, read, negotiated) {
            return End::Lost;
        }
        s.stream = Some(Arc::new(writer));
        inner.flush_waiting_locked(&mut s);
    }
    inner.touch_send();
    let gen = inner.conn_gen.fetch_add(1, Ordering::SeqCst) + 1;
    inner.set_state(if resp.read_only {
        KeeperState::ConnectedRo
    } else {
        KeeperState::Connected
    });
    if resp.read_only {
        spawn_rw_prober(inner, addr, gen);
    }
    let end = read_loop(&**inner, negotiated);
    // Shut the socket down first: a writer blocked on a stalled server (holding the send
    // lock) fails at once instead of at its write timeout, and a caller reading returns.
    inner.drop_connection();
    if let Some(rd) = inner.role.retire() {
        rd.read.shutdown();
    }
    if let End::Lost = end {
        inner.fail_pending(Error::ConnectionLoss);
    }
    end
}

/// Sleeps up to `d`, waking early when `keep` turns false (checked on state changes and
/// every 100 ms).
pub(super) fn sleep_while(inner: &Inner, d: Duration, keep: impl Fn(&Inner) -> bool) {
    let deadline = Instant::now() + d;
    while keep(inner) {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        let step = (deadline - now).min(Duration::from_millis(100));
        let mut st = inner.st.lock();
        let _ = inner.cv.wait_for(&mut st, step);
    }
}

pub(super) fn send_ping(inner: &Inner) -> bool {
    let mut out = Vec::with_capacity(12);
    write_frame(&mut out, |w| {
        RequestHeader {
            xid: xid::PING,
            op: OpCode::Ping as i32,
        }
        .encode(w)
    });
    inner.write_raw(&out)
}
