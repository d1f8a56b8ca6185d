//! The I/O thread's outer loop: picks hosts, connects, serves one connection until it
//! ends, expires or closes the session, and backs off between passes; and why connecting
//! failed, per address.

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
use super::hosts::{resolve, shuffle, HostPort};
use super::inner::{Inner, NO_PING};
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
    // The back-off starts over only when a connection was usable (it answered a request),
    // not when a server merely completed a handshake: a server that is starting, shutting
    // down or sick may accept every handshake and then drop the connection, or answer
    // each one as expired, and the client must not reconnect in a tight loop. The first
    // pass after losing a usable connection does not wait.
    let mut lost_usable = false;
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
        note_pass(&inner, &hosts, &addrs);
        for (addr, name) in addrs {
            if stopping(&inner) {
                break 'outer;
            }
            inner.expire_waiting();
            if expire_if_due(&inner) {
                break 'outer;
            }
            // An attempt ends when the session does by our clock, so LOST is said on time.
            match handshake(&inner, addr, &name, n_hosts, inner.expires_at()) {
                Ok(est) => {
                    let resp = &est.resp;
                    inner.st.lock().failures.clear();
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
                            if inner.answered.load(Ordering::Relaxed) {
                                backoff.reset();
                                lost_usable = true;
                            }
                            if !stopping(&inner) {
                                inner.set_state(KeeperState::Connecting);
                            }
                        }
                        End::Stop | End::Terminal => break 'outer,
                    }
                }
                Err(HsError::Expired) => {
                    let why = Failure {
                        reached: true,
                        reason: "the server says the session expired".into(),
                    };
                    inner.st.lock().failures.record(label(addr, &name), why);
                    inner.log(
                        LogLevel::Warn,
                        format_args!("server {addr} says the session expired"),
                    );
                    if expire(&inner) {
                        break 'outer;
                    }
                }
                Err(HsError::AuthFailed(reason)) => {
                    let at = label(addr, &name);
                    inner.log(
                        LogLevel::Error,
                        format_args!("authentication at {at} failed: {reason}"),
                    );
                    auth_failed(&inner, Some(at), reason);
                    break 'outer;
                }
                Err(HsError::Failed(why)) => note_failure(&inner, label(addr, &name), why),
                Err(HsError::Stopping) => break 'outer,
            }
        }
        if std::mem::take(&mut lost_usable) {
            continue;
        }
        match backoff.next_delay() {
            Some(d) => {
                if sleep_between_passes(&inner, d) {
                    break;
                }
            }
            None => {
                let why = inner.st.lock().failures.describe().unwrap_or_default();
                inner.log(
                    LogLevel::Error,
                    format_args!("connection retries exhausted: {why}"),
                );
                close_for_good(&inner, Error::RetriesExhausted);
                break;
            }
        }
    }
    // Whoever asked us to stop finishes the cleanup; a terminal state already did its own.
    inner.drop_connection();
}

/// One failed connection attempt.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Failure {
    /// Whether the server answered at all: a TLS rejection or a failed ZooKeeper handshake
    /// reached it; a refused or timed-out TCP connect, or a name that did not resolve, did
    /// not.
    pub(super) reached: bool,
    pub(super) reason: String,
}

/// A reason said at WARN for an address is said at WARN again only this long after, while
/// it stays the same (at DEBUG meanwhile).
const REPEAT_WARN: Duration = Duration::from_secs(600);

/// Why connecting failed: the last failure of each address of the latest pass over the
/// host list, in the order they were tried. Cleared when a session is established and when
/// the client starts. It also decides what is logged at WARN: an address's first failure,
/// a change of its reason, and the same reason again every `REPEAT_WARN`; other repeats
/// go to DEBUG. A server that is down for an hour under the default retry (up to a
/// minute between passes) is then a few lines per address instead of one per try, and a
/// reader of the log still learns every new reason (a server that came back but refuses
/// our TLS) at once, and that the outage goes on.
#[derive(Default)]
pub(crate) struct ConnectFailures {
    entries: Vec<AddrFailure>,
}

struct AddrFailure {
    label: String,
    failure: Failure,
    warned: Instant,
}

impl ConnectFailures {
    /// Records the failure of the address `label`; returns whether to log it at WARN.
    pub(super) fn record(&mut self, label: String, failure: Failure) -> bool {
        self.record_at(label, failure, Instant::now())
    }

    fn record_at(&mut self, label: String, failure: Failure, now: Instant) -> bool {
        match self.entries.iter_mut().find(|e| e.label == label) {
            Some(e) if e.failure == failure && now.duration_since(e.warned) < REPEAT_WARN => false,
            Some(e) => {
                e.failure = failure;
                e.warned = now;
                true
            }
            None => {
                self.entries.push(AddrFailure {
                    label,
                    failure,
                    warned: now,
                });
                true
            }
        }
    }

    /// Forgets the addresses that are not in `labels` (the list resolved to others).
    fn keep_only(&mut self, labels: &[String]) {
        self.entries.retain(|e| labels.contains(&e.label));
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    /// "ADDRESS: REASON; ..."; led by "no server could be reached: " when none was.
    pub(crate) fn describe(&self) -> Option<String> {
        if self.entries.is_empty() {
            return None;
        }
        let list = self
            .entries
            .iter()
            .map(|e| format!("{}: {}", e.label, e.failure.reason))
            .collect::<Vec<_>>()
            .join("; ");
        Some(if self.entries.iter().any(|e| e.failure.reached) {
            list
        } else {
            format!("no server could be reached: {list}")
        })
    }
}

/// How an address is named in messages: as it was resolved, with the host name it came
/// from when that was not the address itself.
fn label(addr: SocketAddr, name: &str) -> String {
    match name.parse::<std::net::IpAddr>() {
        Ok(ip) if ip == addr.ip() => addr.to_string(),
        _ => format!("{name} ({addr})"),
    }
}

/// A new pass over `hosts`, resolved to `addrs`: forgets addresses no longer in the list,
/// and records the names that resolved to nothing (they get no attempt).
fn note_pass(inner: &Inner, hosts: &[HostPort], addrs: &[(SocketAddr, String)]) {
    let mut labels: Vec<String> = addrs.iter().map(|(a, n)| label(*a, n)).collect();
    let unresolved: Vec<String> = hosts
        .iter()
        .filter(|hp| !addrs.iter().any(|(_, n)| *n == hp.host))
        .map(|hp| hp.to_string())
        .collect();
    labels.extend(unresolved.iter().cloned());
    inner.st.lock().failures.keep_only(&labels);
    for l in unresolved {
        let why = Failure {
            reached: false,
            reason: "the name resolves to no address".into(),
        };
        note_failure(inner, l, why);
    }
}

/// Records a failed attempt and logs it (WARN or DEBUG, as `ConnectFailures` says).
fn note_failure(inner: &Inner, label: String, why: Failure) {
    let line = format!("connecting to {label} failed: {}", why.reason);
    let warn = inner.st.lock().failures.record(label, why);
    let level = if warn {
        LogLevel::Warn
    } else {
        LogLevel::Debug
    };
    inner.log(level, format_args!("{line}"));
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

/// Sleeps `d` between passes over the hosts. A session whose time runs out by our own
/// clock meanwhile expires then, not when the sleep ends. Returns true when that expiry
/// ends the client (expiry is final).
fn sleep_between_passes(inner: &Inner, d: Duration) -> bool {
    let until = Instant::now() + d;
    if let Some(at) = inner.expires_at().filter(|at| *at < until) {
        sleep_unless_stopping(inner, at.saturating_duration_since(Instant::now()));
        if stopping(inner) {
            return false;
        }
        if expire_if_due(inner) {
            return true;
        }
    }
    sleep_unless_stopping(inner, until.saturating_duration_since(Instant::now()));
    false
}

/// Expires the session when its time is up by our own clock (`Inner::expires_at`): no
/// server heard from us for the whole negotiated timeout, so each has ended it or is about
/// to, and a lock it held may already be someone else's. Returns true when expiry is final.
fn expire_if_due(inner: &Inner) -> bool {
    match inner.expires_at() {
        Some(at) if Instant::now() >= at => {}
        _ => return false,
    }
    inner.log(
        LogLevel::Warn,
        format_args!("no server heard from us for the session timeout: session expired"),
    );
    expire(inner)
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

/// The server of the current connection refused a credential (addAuth, or its replay).
#[cold]
#[inline(never)]
pub(super) fn enter_auth_failed(inner: &Inner) {
    let at = inner.st.lock().server.clone().map(|(a, n)| label(a, &n));
    auth_failed(
        inner,
        at,
        "the server refused a credential (auth failed)".into(),
    );
}

/// AUTH_FAILED, for good: calls fail with AUTHFAILED, watches end, nothing reconnects.
/// `at` names the server that said no; `reason` is what `connect_error` says of it.
#[cold]
#[inline(never)]
pub(super) fn auth_failed(inner: &Inner, at: Option<String>, reason: String) {
    inner.drop_connection();
    inner.fail_pending(Error::AuthFailed);
    inner.fail_waiting(Error::AuthFailed);
    inner.end_watches(KeeperState::AuthFailed);
    let mut st = inner.st.lock();
    if let Some(at) = at {
        st.failures.record(
            at,
            Failure {
                reached: true,
                reason,
            },
        );
    }
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
    let Established {
        conn,
        read,
        resp,
        asked_ms,
    } = est;
    let negotiated = Duration::from_millis(resp.time_out as u64);
    // The server (re)started the session's timer when it received our ConnectRequest.
    inner.heard_ms.store(asked_ms, Ordering::Relaxed);
    inner.ping_sent_ms.store(NO_PING, Ordering::Relaxed);
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
        inner.replay_auths.store(0, Ordering::Relaxed);
        if !inner.auth.lock().is_empty() || !inner.watches.lock().is_empty() {
            let out = replay_frames(inner);
            if !out.is_empty() && writer.write_all(&out).is_err() {
                return End::Lost;
            }
        }
        inner.answered.store(false, Ordering::Relaxed);
        // The reading side first: a caller that writes may go straight to reading.
        if !publish_reader(inner, read, negotiated) {
            return End::Lost;
        }
        s.stream = Some(Arc::new(writer));
        inner.flush_waiting_locked(&mut s);
    }
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

/// Sends a ping, noting when (before it can be answered).
pub(super) fn send_ping(inner: &Inner) -> bool {
    inner.ping_sent_ms.store(inner.now_ms(), Ordering::Relaxed);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn f(reached: bool, reason: &str) -> Failure {
        Failure {
            reached,
            reason: reason.into(),
        }
    }

    #[test]
    fn warn_on_a_new_address_or_reason_and_again_after_a_while_debug_on_repeats() {
        let mut c = ConnectFailures::default();
        let t = Instant::now();
        let a = || "127.0.0.1:1".to_string();
        assert!(c.record_at(a(), f(false, "connection refused"), t));
        assert!(!c.record_at(
            a(),
            f(false, "connection refused"),
            t + Duration::from_secs(1)
        ));
        assert!(c.record_at("127.0.0.1:2".into(), f(false, "connection refused"), t));
        assert!(c.record_at(
            a(),
            f(true, "TLS handshake failed: x"),
            t + Duration::from_secs(2)
        ));
        assert!(!c.record_at(a(), f(true, "TLS handshake failed: x"), t + REPEAT_WARN));
        assert!(c.record_at(
            a(),
            f(true, "TLS handshake failed: x"),
            t + Duration::from_secs(3) + REPEAT_WARN
        ));
    }

    #[test]
    fn no_server_could_be_reached_only_when_none_answered() {
        let mut c = ConnectFailures::default();
        assert_eq!(c.describe(), None);
        c.record("a:1".into(), f(false, "connection refused"));
        c.record("b:1".into(), f(false, "no TCP connection within 250 ms"));
        assert_eq!(
            c.describe().unwrap(),
            "no server could be reached: a:1: connection refused; \
             b:1: no TCP connection within 250 ms"
        );
        c.record("b:1".into(), f(true, "TLS handshake failed: x"));
        assert_eq!(
            c.describe().unwrap(),
            "a:1: connection refused; b:1: TLS handshake failed: x"
        );
        c.keep_only(&["b:1".to_string()]);
        assert_eq!(c.describe().unwrap(), "b:1: TLS handshake failed: x");
        c.clear();
        assert_eq!(c.describe(), None);
    }

    #[test]
    fn an_address_is_named_with_the_host_name_it_came_from() {
        let a: SocketAddr = "127.0.0.1:2181".parse().unwrap();
        assert_eq!(label(a, "127.0.0.1"), "127.0.0.1:2181");
        assert_eq!(label(a, "localhost"), "localhost (127.0.0.1:2181)");
        let v6: SocketAddr = "[::1]:2181".parse().unwrap();
        assert_eq!(label(v6, "::1"), "[::1]:2181");
    }
}
