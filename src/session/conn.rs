//! The I/O thread: picks hosts, does the handshake, replays auth and watches, then reads
//! frames (or lends the reading to blocked callers, `await_reply`), matches replies to
//! pending requests in xid order, sends pings when idle and notices a dead connection
//! within the read timeout. On any fault it fails what is in
//! flight with CONNECTIONLOSS and tries the next host; it never re-sends a user request.

use std::io::ErrorKind;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::RawFd;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::proto::consts::{err, xid, EventType, OpCode, PROTOCOL_VERSION, SET_WATCHES_MAX_BYTES};
use crate::proto::frame::{frame_len, FrameError};
use crate::proto::wire::{Decode, Encode, Reader, Writer};
use crate::proto::{
    AuthPacket, ConnectRequest, ConnectResponse, ReplyHeader, RequestHeader, SetWatches,
    SetWatches2, WatcherEvent,
};

use super::hosts::{resolve, shuffle};
use super::retry::Rng;
use super::state::{KeeperState, WatchedEvent};
use super::transport::{self, Conn, ReadHalf};
use super::{complete, oneshot, ClientId, Completed, Inner, LogLevel, Reply};

/// Why a connection ended.
enum End {
    /// Lost: try the next host.
    Lost,
    /// stop() or closeSession: end the thread.
    Stop,
    /// AUTH_FAILED, final expiry, retries exhausted: end the thread, state already set.
    Terminal,
}

enum HsError {
    Failed(String),
    Expired,
}

/// Largest oversized reply we skip over to fail just that request; past this the length
/// is garbage and the connection is dropped.
const MAX_SKIP: usize = 256 << 20;

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

fn stopping(inner: &Inner) -> bool {
    inner.st.lock().stopping
}

/// Sleeps between passes, waking every 100 ms to fail queued requests whose deadline
/// passed, and at once on stop.
fn sleep_unless_stopping(inner: &Inner, d: Duration) {
    sleep_while(inner, d, |i| {
        i.expire_waiting();
        !stopping(i)
    });
}

fn local_expiry_due(inner: &Inner, disconnected_at: Option<Instant>) -> bool {
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
fn expire(inner: &Inner) -> bool {
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
fn close_for_good(inner: &Inner, why: Error) {
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

fn write_frame<F: FnOnce(&mut Writer)>(out: &mut Vec<u8>, f: F) {
    let mut w = Writer::with_capacity(64);
    let start = w.begin_frame();
    f(&mut w);
    w.finish_frame(start);
    out.extend_from_slice(w.as_slice());
}

/// A connection that finished its handshake.
struct Established {
    conn: Conn,
    read: ReadHalf,
    resp: ConnectResponse,
}

fn handshake(
    inner: &Inner,
    addr: SocketAddr,
    host: &str,
    n_hosts: u32,
) -> Result<Established, HsError> {
    let r = handshake_on(inner, addr, host, n_hosts);
    // The clone kept for stop() must not outlive the attempt, whatever its outcome.
    *inner.connecting.lock() = None;
    r
}

fn handshake_on(
    inner: &Inner,
    addr: SocketAddr,
    host: &str,
    n_hosts: u32,
) -> Result<Established, HsError> {
    let (requested, read_only, tls) = {
        let c = inner.cfg.lock();
        (c.session_timeout, c.read_only, c.tls.clone())
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
    let timeout =
        (requested / n_hosts.max(3)).clamp(Duration::from_millis(250), Duration::from_secs(10));
    let fail = |e: std::io::Error| HsError::Failed(e.to_string());
    let tcp = TcpStream::connect_timeout(&addr, timeout).map_err(fail)?;
    *inner.connecting.lock() = tcp.try_clone().ok();
    if stopping(inner) {
        return Err(HsError::Failed("stopping".into()));
    }
    let (conn, mut read) =
        transport::open(tcp, tls.as_ref().map(|t| (t, host)), timeout).map_err(fail)?;
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
    conn.write_all(&out).map_err(fail)?;
    let mut len = [0u8; 4];
    read.read_exact(&mut len).map_err(fail)?;
    let len = i32::from_be_bytes(len);
    // A ConnectResponse is 36 or 37 bytes. Anything else (a read-only server without local
    // sessions answers a bare 16-byte ReplyHeader) is a failed connect, not a reply to parse.
    if !(36..=37).contains(&len) {
        return Err(HsError::Failed(format!("handshake reply of {len} bytes")));
    }
    let mut payload = vec![0u8; len as usize];
    read.read_exact(&mut payload).map_err(fail)?;
    let resp = ConnectResponse::decode(&mut Reader::new(&payload))
        .map_err(|e| HsError::Failed(format!("bad handshake reply: {e}")))?;
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
            return Err(HsError::Failed("session expired (final)".into()));
        }
    }
    Ok(Established { conn, read, resp })
}

/// Runs one established connection until it ends.
fn serve(inner: &Arc<Inner>, est: Established, addr: SocketAddr, host: &str) -> End {
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
    let end = read_loop(inner, negotiated);
    // Shut the socket down first: a writer blocked on a stalled server (holding the send
    // lock) fails at once instead of at its write timeout, and a caller reading returns.
    inner.drop_connection();
    if let Some(rd) = inner.reader.lock().take() {
        rd.read.shutdown();
    }
    if let End::Lost = end {
        inner.fail_pending(Error::ConnectionLoss);
    }
    end
}

/// The frames that restore a session on a new connection: its credentials, then its
/// watches (setWatches, or setWatches2 when persistent watches are among them).
#[inline(never)]
fn replay_frames(inner: &Inner) -> Vec<u8> {
    let mut out = Vec::new();
    for (scheme, cred) in inner.auth.lock().iter() {
        write_frame(&mut out, |w| {
            RequestHeader {
                xid: xid::AUTH,
                op: OpCode::Auth as i32,
            }
            .encode(w);
            AuthPacket {
                auth_type: 0,
                scheme: scheme.clone(),
                auth: cred.clone(),
            }
            .encode(w);
        });
    }
    for (op, sw) in set_watches_batches(inner) {
        write_frame(&mut out, |w| {
            RequestHeader {
                xid: xid::SET_WATCHES,
                op: op as i32,
            }
            .encode(w);
            if op == OpCode::SetWatches {
                // The same fields, without the two persistent lists.
                SetWatches {
                    relative_zxid: sw.relative_zxid,
                    data_watches: sw.data_watches,
                    exist_watches: sw.exist_watches,
                    child_watches: sw.child_watches,
                }
                .encode(w);
            } else {
                sw.encode(w);
            }
        });
    }
    out
}

/// While connected to a read-only server, asks every other host `isro` (back-off 100 ms
/// doubling to 60 s, as the Java client) and, when one says `rw`, drops this connection so
/// the I/O thread moves there. kazoo only ever probes the first host; this probes them all.
#[cold]
#[inline(never)]
fn spawn_rw_prober(owner: &Arc<Inner>, current: SocketAddr, gen: u64) {
    let inner = owner.clone();
    let spawned = std::thread::Builder::new()
        .name("zk-rw-probe".into())
        .spawn(move || {
            let alive =
                |inner: &Inner| inner.conn_gen.load(Ordering::SeqCst) == gen && !stopping(inner);
            let mut delay = Duration::from_millis(100);
            loop {
                sleep_while(&inner, delay, |i| alive(i));
                if !alive(&inner) {
                    return;
                }
                let (hosts, tls) = {
                    let c = inner.cfg.lock();
                    (c.connect.hosts.clone(), c.tls.clone())
                };
                for (addr, host) in resolve(&hosts) {
                    if addr == current || !alive(&inner) {
                        continue;
                    }
                    let probe = super::fourlw::four_letter(
                        addr,
                        &host,
                        "isro",
                        Duration::from_secs(1),
                        tls.as_ref(),
                    );
                    if matches!(probe.as_deref(), Ok(s) if s.trim() == "rw") {
                        inner.log(
                            LogLevel::Info,
                            format_args!("read-write server {addr} found: moving there"),
                        );
                        *inner.preferred.lock() = Some(addr);
                        if alive(&inner) {
                            inner.drop_connection();
                        }
                        return;
                    }
                }
                delay = (delay * 2).min(Duration::from_secs(60));
            }
        });
    if spawned.is_err() {
        owner.log(
            LogLevel::Warn,
            format_args!("could not start the read-write prober"),
        );
    }
}

/// Sleeps up to `d`, waking early when `keep` turns false (checked on state changes and
/// every 100 ms).
fn sleep_while(inner: &Inner, d: Duration, keep: impl Fn(&Inner) -> bool) {
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

/// The watch table as SetWatches2 records of at most 128 KiB of paths each (ZOOKEEPER-706:
/// one huge SetWatches makes the server drop the connection on every reconnect). A batch
/// without persistent watches goes as the older SetWatches (op 101), as Java sends it.
fn set_watches_batches(inner: &Inner) -> Vec<(OpCode, SetWatches2)> {
    let paths = inner.watches.lock().paths();
    let rel = inner.last_zxid.load(Ordering::Relaxed);
    let fresh = || SetWatches2 {
        relative_zxid: rel,
        ..Default::default()
    };
    let mut out = Vec::new();
    let mut cur = fresh();
    let mut size = 0usize;
    let lists = [
        (0, paths.data),
        (1, paths.exist),
        (2, paths.child),
        (3, paths.persistent),
        (4, paths.recursive),
    ];
    for (kind, list) in lists {
        for p in list {
            if size + p.len() > SET_WATCHES_MAX_BYTES && size > 0 {
                out.push(std::mem::replace(&mut cur, fresh()));
                size = 0;
            }
            size += p.len();
            match kind {
                0 => cur.data_watches.push(p),
                1 => cur.exist_watches.push(p),
                2 => cur.child_watches.push(p),
                3 => cur.persistent_watches.push(p),
                _ => cur.persistent_recursive_watches.push(p),
            }
        }
    }
    if size > 0 {
        out.push(cur);
    }
    out.into_iter()
        .map(|sw| {
            if sw.persistent_watches.is_empty() && sw.persistent_recursive_watches.is_empty() {
                (OpCode::SetWatches, sw)
            } else {
                (OpCode::SetWatches2, sw)
            }
        })
        .collect()
}

fn send_ping(inner: &Inner) -> bool {
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

/// A read buffer that frames are cut from without moving bytes on every read.
struct ReadBuf {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl ReadBuf {
    fn avail(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }
    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }
    /// Makes room for at least `want` more bytes after `end`.
    fn reserve(&mut self, want: usize) {
        if self.buf.len() - self.end >= want {
            return;
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.end < want {
            self.buf.resize(self.end + want, 0);
        }
    }
}

/// How long the I/O thread stays away from the socket after it lent the reading role to
/// blocked callers or the event thread, before it looks whether they still read
/// (`read_loop`); doubled, up to `LEND_MAX`, each time it finds them still reading. What
/// cannot wait that long calls it back at once (an async request from another thread, a
/// watch, a lost connection, stop), so what can arrive unread meanwhile is the end of the
/// connection, noticed within about twice this.
const LEND: Duration = Duration::from_millis(1);
const LEND_MAX: Duration = Duration::from_millis(8);

/// The reading side of one connection and what has been read of it. Whoever holds
/// `Inner::reader` reads the socket: the I/O thread, or a blocked caller whose reply is
/// due (`await_reply`), so that the reply wakes the thread that wants it and no other.
pub(super) struct ReadSide {
    read: ReadHalf,
    rb: ReadBuf,
    /// An oversized reply being skipped: its header and the bytes still to skip.
    skip: Option<(ReplyHeader, usize)>,
    /// How many more bytes the next frame needs.
    want: usize,
    /// The connection ended while a caller was reading; the I/O thread takes it from here.
    end: Option<End>,
    /// The socket's read timeout: the longest one read blocks.
    tick: Duration,
}

/// What one read handed out.
#[derive(Default, Clone, Copy)]
struct Stepped {
    /// A blocked caller got its reply.
    woke_caller: bool,
    /// An async completion went to the event thread.
    queued: bool,
}

impl Stepped {
    fn add(&mut self, c: Completed) {
        match c {
            Completed::Caller => self.woke_caller = true,
            Completed::Queued => self.queued = true,
        }
    }
}

impl ReadSide {
    /// One read of the socket, then every frame it completed.
    fn step(&mut self, inner: &Arc<Inner>) -> Result<Stepped, End> {
        self.rb.reserve(self.want.max(4 * 1024));
        let end = self.rb.end;
        match self.read.read(&mut self.rb.buf[end..]) {
            Ok(0) => {
                inner.log(LogLevel::Info, format_args!("server closed the connection"));
                return Err(End::Lost);
            }
            Ok(n) => {
                self.rb.end += n;
                inner.touch_recv();
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) =>
            {
                return Ok(Stepped::default())
            }
            Err(e) => {
                inner.log(LogLevel::Info, format_args!("read failed: {e}"));
                return Err(End::Lost);
            }
        }
        // Everything this read completes goes to the event thread in one go.
        inner.events.hold(|| cut_frames(inner, self))
    }
}

/// Puts the reading side of a new connection where readers find it.
fn publish_reader(inner: &Inner, read: ReadHalf, negotiated: Duration) -> bool {
    // One fixed socket timeout, so a reader wakes often enough to ping and to notice a
    // silent server without a setsockopt per read.
    let tick = (negotiated / 6).clamp(Duration::from_millis(10), Duration::from_millis(500));
    if read.set_read_timeout(Some(tick)).is_err() {
        return false;
    }
    *inner.reader.lock() = Some(ReadSide {
        read,
        // Small to start (a client's resident memory); grows to fit the largest frame seen.
        rb: ReadBuf {
            buf: vec![0; 8 * 1024],
            start: 0,
            end: 0,
        },
        skip: None,
        want: 4,
        end: None,
        tick,
    });
    inner.touch_recv();
    true
}

/// The I/O thread's part while connected: reads when nobody else does, pings when idle,
/// and notices a silent server. After it hands a blocked caller its reply (and no async
/// request waits), it lends the socket to callers: it stays off it while they keep reading
/// their own replies, and comes back when they stop or when something needs it (an async
/// request, a connection that ended under a caller, stop).
fn read_loop(inner: &Arc<Inner>, negotiated: Duration) -> End {
    let read_timeout = negotiated * 2 / 3;
    let ping_every = negotiated / 3;
    let mut lent = false;
    let mut lend_for = LEND;
    loop {
        if inner.since_last_send() >= ping_every && !send_ping(inner) {
            return End::Lost;
        }
        if inner.since_last_recv() >= read_timeout {
            inner.log(
                LogLevel::Warn,
                format_args!(
                    "no reply within {} ms: connection dead",
                    read_timeout.as_millis()
                ),
            );
            return End::Lost;
        }
        if lent {
            let reads = inner.caller_reads.load(Ordering::Relaxed);
            let called = inner.park_io(lend_for.min(ping_every));
            // Stay away while callers keep reading, unless someone asked for us.
            lent = !called && inner.caller_reads.load(Ordering::Relaxed) != reads;
            lend_for = if lent {
                (lend_for * 2).min(LEND_MAX)
            } else {
                LEND
            };
            continue;
        }
        let Some(mut guard) = inner.reader.try_lock() else {
            // A caller or the event thread reads; we come back when it is done.
            inner.lend.store(true, Ordering::SeqCst);
            lent = true;
            continue;
        };
        inner.lend.store(false, Ordering::SeqCst);
        let Some(rd) = guard.as_mut() else {
            return End::Lost;
        };
        if let Some(end) = rd.end.take() {
            return end;
        }
        let stepped = match rd.step(inner) {
            Err(end) => return end,
            Ok(s) => s,
        };
        if stepped.queued && rd.read.pollable() && inner.events.reads_when_idle() {
            // The event thread runs those completions, then reads the next replies itself
            // (`event_thread_read`) instead of being woken by us for each read. Its own
            // async requests need nobody else; another thread's call us back (`lend`).
            inner.lend.store(true, Ordering::SeqCst);
            drop(guard);
            lent = true;
        } else if stepped.woke_caller {
            // A blocked caller is likely to call again: let it read its own reply. An
            // async request in flight or a live watch keeps us here (an async submitter
            // checks `lend` after counting itself, we count after setting it: one of us
            // sees the other; a watch is registered by whoever reads, and a caller that
            // registered one calls us back when it leaves the socket).
            inner.lend.store(true, Ordering::SeqCst);
            if inner.needs_io_reader() {
                inner.lend.store(false, Ordering::SeqCst);
            } else {
                drop(guard);
                inner.hand_on();
                lent = true;
            }
        }
    }
}

/// The event thread's turn at the socket, when it has nothing to run and async replies are
/// due: it waits on the socket (or on `wake_fd`, poked when something is queued for it) and
/// reads, so the completions it cuts run on it with no other thread woken — one wake-up per
/// read instead of two. Returns false when it cannot (nothing due, TLS, someone else
/// reads); it then sleeps as usual.
pub(super) fn event_thread_read(inner: &Arc<Inner>, wake_fd: RawFd, timeout: Duration) -> bool {
    if inner.async_pending.load(Ordering::SeqCst) == 0 {
        // Async replies are all in: a watch must not wait for the I/O thread to notice
        // that nobody reads.
        if inner.reader.try_lock().is_some_and(|g| g.is_some()) && inner.needs_io_reader() {
            inner.call_io();
        }
        return false;
    }
    let Some(mut guard) = inner.reader.try_lock() else {
        return false;
    };
    let Some(rd) = guard
        .as_mut()
        .filter(|rd| rd.end.is_none() && rd.read.pollable())
    else {
        return false;
    };
    inner.caller_reads.fetch_add(1, Ordering::Relaxed);
    let ended = match rd.read.wait_readable(wake_fd, timeout) {
        Ok(true) => rd.step(inner).err(),
        Ok(false) => None,
        Err(e) => {
            inner.log(LogLevel::Warn, format_args!("poll failed: {e}"));
            drop(guard);
            inner.call_io();
            return false;
        }
    };
    if let Some(end) = ended {
        if let End::Lost = end {
            rd.read.shutdown();
        }
        rd.end = Some(end);
        inner.call_io();
    }
    drop(guard);
    // A blocked caller waiting meanwhile reads its own reply while we run callbacks.
    inner.nudge_waiting_caller();
    true
}

/// How a blocked caller gets its reply: it reads the socket itself when nobody else does
/// (so the reply wakes this thread directly: one wake-up per request), and otherwise
/// sleeps until the reader hands it the reply, or nudges it to take over the reading.
pub(super) fn await_reply(
    inner: &Arc<Inner>,
    seq: u64,
    deadline: Instant,
) -> crate::error::Result<Reply> {
    loop {
        if let Some(r) = oneshot::try_take(seq) {
            return r;
        }
        let now = Instant::now();
        if now >= deadline {
            return oneshot::take_or_give_up(seq);
        }
        if let Some(mut guard) = inner.reader.try_lock() {
            // One read may block for `tick`: only a caller with that much time left reads.
            let usable = guard
                .as_mut()
                .filter(|rd| rd.end.is_none() && deadline - now >= rd.tick);
            if let Some(rd) = usable {
                inner.caller_reads.fetch_add(1, Ordering::Relaxed);
                loop {
                    if let Err(end) = rd.step(inner) {
                        if let End::Lost = end {
                            rd.read.shutdown();
                        }
                        rd.end = Some(end);
                        inner.call_io();
                        break;
                    }
                    if oneshot::has_reply(seq)
                        || deadline.saturating_duration_since(Instant::now()) < rd.tick
                    {
                        break;
                    }
                }
                drop(guard);
                inner.hand_on();
                continue;
            }
            // Nobody reads and we cannot: the I/O thread must.
            drop(guard);
            inner.call_io();
        }
        // Someone else reads (or the I/O thread will): sleep until it hands us the reply
        // or asks us to read.
        if let Some(r) = oneshot::wait(seq, deadline) {
            return r;
        }
    }
}

/// Cuts every whole frame out of what has been read and handles it; `Err` when the
/// connection must end.
fn cut_frames(inner: &Arc<Inner>, rd: &mut ReadSide) -> Result<Stepped, End> {
    let mut woke = Stepped::default();
    loop {
        if let Some((_, rem)) = rd.skip.as_mut() {
            let n = (*rem).min(rd.rb.avail().len());
            rd.rb.consume(n);
            *rem -= n;
            if *rem > 0 {
                rd.want = 1;
                return Ok(woke);
            }
            let hdr = rd.skip.take().expect("set above").0;
            if let Some(c) = fail_oversized(inner, hdr)? {
                woke.add(c);
            }
            continue;
        }
        let avail = rd.rb.avail();
        match frame_len(avail, inner.max_frame) {
            Ok(None) => {
                rd.want = 4;
                return Ok(woke);
            }
            Ok(Some(len)) => {
                if avail.len() < 4 + len {
                    rd.want = 4 + len - avail.len();
                    return Ok(woke);
                }
                let frame = avail[4..4 + len].to_vec();
                rd.rb.consume(4 + len);
                if let Some(c) = handle_frame(inner, frame)? {
                    woke.add(c);
                }
            }
            Err(FrameError::TooLarge(len)) if len <= MAX_SKIP => {
                if avail.len() < 4 + 16 {
                    rd.want = 20 - avail.len();
                    return Ok(woke);
                }
                let hdr = ReplyHeader::decode(&mut Reader::new(&avail[4..20]))
                    .map_err(|_| protocol_error(inner, "bad header"))?;
                rd.rb.consume(20);
                rd.skip = Some((hdr, len - 16));
            }
            Err(e) => return Err(protocol_error(inner, &format!("{e:?}"))),
        }
    }
}

#[cold]
#[inline(never)]
fn protocol_error(inner: &Inner, what: &str) -> End {
    inner.log(
        LogLevel::Error,
        format_args!("protocol error from the server: {what}"),
    );
    End::Lost
}

/// A reply over the frame limit: only its own request fails (TooLarge); the connection
/// and every other request carry on.
#[cold]
#[inline(never)]
fn fail_oversized(inner: &Inner, hdr: ReplyHeader) -> Result<Option<Completed>, End> {
    inner.log(
        LogLevel::Warn,
        format_args!("reply for xid {} exceeds the frame limit", hdr.xid),
    );
    if hdr.xid < 0 {
        return Ok(None);
    }
    let p = pop_matching(inner, hdr.xid)?;
    Ok(Some(complete(&inner.events, p.done, Err(Error::TooLarge))))
}

fn pop_matching(inner: &Inner, xid: i32) -> Result<super::Pending, End> {
    let mut q = inner.pending.lock();
    match q.pop_front() {
        Some(p) if p.xid == xid => {
            inner.popped(&p);
            Ok(p)
        }
        Some(p) => {
            let want = p.xid;
            q.push_front(p);
            drop(q);
            Err(protocol_error(
                inner,
                &format!("reply xid {xid} out of order (expected {want})"),
            ))
        }
        None => {
            drop(q);
            Err(protocol_error(inner, &format!("stray reply xid {xid}")))
        }
    }
}

/// Handles one frame; says whom a reply went to.
fn handle_frame(inner: &Arc<Inner>, frame: Vec<u8>) -> Result<Option<Completed>, End> {
    let mut r = Reader::new(&frame);
    let hdr =
        ReplyHeader::decode(&mut r).map_err(|_| protocol_error(inner, "short reply header"))?;
    let body_at = frame.len() - r.remaining();
    match hdr.xid {
        xid::NOTIFICATION => {
            let ev = WatcherEvent::decode(&mut r)
                .map_err(|_| protocol_error(inner, "bad watch event"))?;
            let Some(ty) = EventType::from_i32(ev.event_type) else {
                inner.log(
                    LogLevel::Warn,
                    format_args!("unknown event type {}", ev.event_type),
                );
                return Ok(None);
            };
            let fs = inner.watches.lock().trigger(ty, &ev.path);
            if fs.is_empty() {
                return Ok(None);
            }
            let path = inner.chroot.strip(&ev.path).to_string();
            let keeper = inner.st.lock().keeper;
            for f in fs {
                inner.events.deliver(
                    f,
                    WatchedEvent {
                        event_type: ty,
                        keeper_state: keeper,
                        path: path.clone(),
                    },
                );
            }
            Ok(None)
        }
        xid::PING => Ok(None),
        xid::AUTH => {
            if hdr.err != 0 {
                inner.log(
                    LogLevel::Error,
                    format_args!("authentication failed ({})", hdr.err),
                );
                enter_auth_failed(inner);
                return Err(End::Terminal);
            }
            Ok(None)
        }
        xid::SET_WATCHES => {
            if hdr.err != 0 {
                inner.log(
                    LogLevel::Warn,
                    format_args!("SetWatches failed ({})", hdr.err),
                );
            }
            Ok(None)
        }
        x => {
            let p = pop_matching(inner, x)?;
            if hdr.zxid > 0 {
                inner.last_zxid.fetch_max(hdr.zxid, Ordering::Relaxed);
            }
            if let Some(w) = p.watch {
                let kind = if hdr.err == err::OK {
                    Some(w.kind)
                } else if hdr.err == err::NONODE {
                    w.kind_on_nonode
                } else {
                    None
                };
                if let Some(kind) = kind {
                    // The caller may have given up (deadline) and taken it back already.
                    if let Some(f) = w.slot.lock().take() {
                        inner.watches.lock().register(kind, &w.server_path, f);
                    }
                }
            }
            let auth_failed = p.op == OpCode::Auth && hdr.err == err::AUTHFAILED;
            let closed = p.op == OpCode::CloseSession;
            // The state changes before the caller wakes, so it sees AUTH_FAILED at once.
            if auth_failed {
                enter_auth_failed(inner);
            }
            let woke = complete(
                &inner.events,
                p.done,
                Ok(Reply {
                    zxid: hdr.zxid,
                    err: hdr.err,
                    frame,
                    body_at,
                }),
            );
            if auth_failed {
                return Err(End::Terminal);
            }
            if closed {
                return Err(End::Stop);
            }
            Ok(Some(woke))
        }
    }
}
