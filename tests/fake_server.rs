//! A hand-made fake ZooKeeper that completes the handshake byte for byte and then
//! misbehaves on cue: garbage frames, impossible lengths, wrong xids, silence, a handshake
//! reply of the wrong size. The client must fail the affected call, never panic, never
//! allocate what a length prefix claims, and connect again. Normal behaviour is proven
//! against the real server in the other files; this covers what a real server never sends.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Once};
use std::thread;
use std::time::{Duration, Instant};

use common::{record_states, wait_for_state, WAIT};
use zkclient::{Client, Error, KeeperState, LogLevel, Options, RetryPolicy, Sasl, State};

const SESSION: i64 = 0x1234;
const PASSWD: [u8; 16] = *b"fake-passwd-0123";
const NONODE: i32 = -101;
const ZXID: i64 = 0x77;

const LOST_CONNECTING: (State, KeeperState) = (State::Lost, KeeperState::Connecting);
const CONNECTED: (State, KeeperState) = (State::Connected, KeeperState::Connected);
const SUSPENDED: (State, KeeperState) = (State::Suspended, KeeperState::Connecting);

/// What the first connection does wrong. Later connections behave.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    /// Answers the first request with random bytes under a sane length prefix.
    Garbage(u64),
    /// Answers the first request with this length prefix (and a few bytes after it).
    Length(i32),
    /// Answers the first request with a header for another xid.
    WrongXid,
    /// Answers the first request with the right header and a body too short to decode.
    BadBody,
    /// Never writes anything after the handshake, pings included.
    Stall,
    /// Answers the handshake with a bare 16-byte reply header and keeps the socket open.
    ShortHandshake,
    /// Sends a watch notification whose path is not UTF-8 before answering the first
    /// request (a real server decodes paths as Java strings and never does).
    BadUtf8Event,
    /// Sends a notification whose body is cut short (inside an intact frame) before
    /// answering the first request.
    ShortEvent,
    /// On every connection: completes the handshake, then closes (a server starting,
    /// shutting down or sick).
    DropAfterHandshake,
    /// On every connection: answers the handshake as expired (timeout 0), then closes.
    ExpireEveryHandshake,
    /// Answers the handshake with this length prefix and 64 bytes of noise.
    HandshakeLength(i32),
    /// Closes the connection as soon as it is accepted.
    CloseOnAccept,
    /// Reads the handshake and never answers it.
    SilentHandshake,
    /// Answers the first request one byte every 300 ms.
    Drip,
    /// Answers the first request with a vector that claims this many strings and holds two.
    VectorCount(i32),
    /// Answers the first request with a buffer (getData's data) of this length.
    BufferLength(i32),
    /// Answers the first request with a child whose name is not UTF-8.
    BadUtf8Child,
    /// Sends this many notifications for paths nobody watches before the first reply.
    NotificationFlood(usize),
    /// Answers the first request (a client with SASL: its SASL request) with a
    /// SetSASLResponse whose token is random bytes of this seed: not a digest-challenge.
    SaslChallenge(u64),
}

impl Fault {
    /// Whether the fault is the server's for good rather than its first connection's.
    fn every_connection(self) -> bool {
        matches!(
            self,
            Fault::DropAfterHandshake | Fault::ExpireEveryHandshake
        )
    }
}

/// The ConnectRequest as the fake read it.
#[derive(Debug, Clone, PartialEq)]
struct Handshake {
    len: i32,
    protocol: i32,
    last_zxid: i64,
    timeout: i32,
    session: i64,
    passwd: Vec<u8>,
    read_only: u8,
}

struct Fake {
    addr: SocketAddr,
    conns: Arc<AtomicUsize>,
    handshakes: Receiver<Handshake>,
    /// When each connection was accepted, and when the client closed one the fake was
    /// waiting on (after a short handshake reply).
    timeline: Receiver<(&'static str, Instant)>,
}

impl Fake {
    fn start(fault: Option<Fault>, timeout_ms: i32) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let conns = Arc::new(AtomicUsize::new(0));
        let (tx, handshakes) = channel();
        let (tl, timeline) = channel();
        let n = conns.clone();
        thread::spawn(move || {
            for s in listener.incoming() {
                let Ok(s) = s else { return };
                let _ = tl.send(("accepted", Instant::now()));
                let k = n.fetch_add(1, Ordering::SeqCst);
                let fault = fault.filter(|f| k == 0 || f.every_connection());
                let (tx, tl) = (tx.clone(), tl.clone());
                thread::spawn(move || {
                    let _ = serve(s, fault, timeout_ms, tx, tl);
                });
            }
        });
        Fake {
            addr,
            conns,
            handshakes,
            timeline,
        }
    }

    fn hosts(&self) -> String {
        self.addr.to_string()
    }

    fn conns(&self) -> usize {
        self.conns.load(Ordering::SeqCst)
    }

    fn handshake(&self) -> Handshake {
        self.handshakes.recv_timeout(WAIT).expect("a handshake")
    }
}

fn reply_header(xid: i32, zxid: i64, err: i32) -> Vec<u8> {
    let mut b = Vec::with_capacity(20);
    b.extend_from_slice(&16i32.to_be_bytes());
    b.extend_from_slice(&xid.to_be_bytes());
    b.extend_from_slice(&zxid.to_be_bytes());
    b.extend_from_slice(&err.to_be_bytes());
    b
}

fn connect_response(timeout_ms: i32) -> Vec<u8> {
    let mut b = Vec::with_capacity(41);
    b.extend_from_slice(&37i32.to_be_bytes());
    b.extend_from_slice(&0i32.to_be_bytes()); // protocolVersion
    b.extend_from_slice(&timeout_ms.to_be_bytes());
    b.extend_from_slice(&SESSION.to_be_bytes());
    b.extend_from_slice(&16i32.to_be_bytes()); // passwd buffer length
    b.extend_from_slice(&PASSWD);
    b.push(0); // readOnly
    assert_eq!(b.len(), 41);
    b
}

fn read_i32(b: &[u8]) -> i32 {
    i32::from_be_bytes(b[..4].try_into().unwrap())
}

fn read_i64(b: &[u8]) -> i64 {
    i64::from_be_bytes(b[..8].try_into().unwrap())
}

/// xorshift64: reproducible "random" bytes for a seed.
fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A reply frame: the header for `xid` (OK), then `body`.
fn reply_with(xid: i32, body: &[u8]) -> Vec<u8> {
    let mut out = reply_header(xid, ZXID, 0);
    out[..4].copy_from_slice(&(16 + body.len() as i32).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// A jute string: its length, then its bytes.
fn jute_bytes(b: &[u8]) -> Vec<u8> {
    let mut out = (b.len() as i32).to_be_bytes().to_vec();
    out.extend_from_slice(b);
    out
}

fn serve(
    mut s: TcpStream,
    mut fault: Option<Fault>,
    timeout_ms: i32,
    tx: Sender<Handshake>,
    tl: Sender<(&'static str, Instant)>,
) -> std::io::Result<()> {
    if fault == Some(Fault::CloseOnAccept) {
        return Ok(());
    }
    let mut hs = [0u8; 49];
    s.read_exact(&mut hs)?;
    let p = &hs[4..];
    let _ = tx.send(Handshake {
        len: read_i32(&hs),
        protocol: read_i32(p),
        last_zxid: read_i64(&p[4..]),
        timeout: read_i32(&p[12..]),
        session: read_i64(&p[16..]),
        passwd: if read_i32(&p[24..]) == 16 {
            p[28..44].to_vec()
        } else {
            Vec::new()
        },
        read_only: p[44],
    });
    if fault == Some(Fault::ShortHandshake) {
        // What a read-only server without local sessions sends: a bare ReplyHeader.
        s.write_all(&reply_header(0, 0, -119))?;
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink);
        let _ = tl.send(("closed", Instant::now()));
        return Ok(());
    }
    match fault {
        Some(Fault::DropAfterHandshake) => return s.write_all(&connect_response(timeout_ms)),
        Some(Fault::ExpireEveryHandshake) => return s.write_all(&connect_response(0)),
        Some(Fault::HandshakeLength(n)) => {
            s.write_all(&n.to_be_bytes())?;
            s.write_all(&noise(11, 64))?;
            let mut sink = Vec::new();
            let _ = s.read_to_end(&mut sink);
            return Ok(());
        }
        Some(Fault::SilentHandshake) => {
            let mut sink = Vec::new();
            let _ = s.read_to_end(&mut sink);
            return Ok(());
        }
        _ => {}
    }
    s.write_all(&connect_response(timeout_ms))?;
    loop {
        let mut len = [0u8; 4];
        s.read_exact(&mut len)?;
        let mut req = vec![0u8; read_i32(&len) as usize];
        s.read_exact(&mut req)?;
        let (xid, op) = (read_i32(&req), read_i32(&req[4..]));
        if fault == Some(Fault::Stall) {
            continue;
        }
        if xid == -2 {
            s.write_all(&reply_header(-2, 0, 0))?;
            continue;
        }
        if let Some(f) = fault.take() {
            let out = match f {
                Fault::Garbage(seed) => {
                    let mut body = noise(seed, 24);
                    body[0] = 0x5a; // a positive xid, and not this request's
                    let mut out = 24i32.to_be_bytes().to_vec();
                    out.extend(body);
                    out
                }
                Fault::Length(n) => {
                    let mut out = n.to_be_bytes().to_vec();
                    out.extend(noise(7, 64));
                    out
                }
                Fault::WrongXid => reply_header(xid + 7, ZXID, 0),
                Fault::BadBody => {
                    let mut out = reply_header(xid, ZXID, 0);
                    out[..4].copy_from_slice(&26i32.to_be_bytes());
                    out.extend(noise(3, 10));
                    out
                }
                Fault::BadUtf8Event | Fault::ShortEvent => {
                    // NodeDataChanged (3) in SyncConnected (3), then the path
                    let mut body = [3i32.to_be_bytes(), 3i32.to_be_bytes()].concat();
                    if f == Fault::BadUtf8Event {
                        body.extend_from_slice(&4i32.to_be_bytes());
                        body.extend_from_slice(b"/\xff\xfeq");
                    } else {
                        body.extend_from_slice(&40i32.to_be_bytes()); // 40 bytes promised
                        body.extend_from_slice(b"/cut");
                    }
                    let mut out = reply_header(-1, -1, 0);
                    out[..4].copy_from_slice(&(16 + body.len() as i32).to_be_bytes());
                    out.extend(body);
                    // then this request's own answer, as usual
                    out.extend(reply_header(xid, ZXID, NONODE));
                    out
                }
                Fault::Drip => {
                    for b in reply_header(xid, ZXID, NONODE) {
                        thread::sleep(Duration::from_millis(300));
                        s.write_all(&[b])?;
                    }
                    continue;
                }
                Fault::VectorCount(n) => {
                    let mut body = n.to_be_bytes().to_vec();
                    body.extend(jute_bytes(b"a"));
                    body.extend(jute_bytes(b"b"));
                    reply_with(xid, &body)
                }
                Fault::BufferLength(n) => {
                    let mut body = n.to_be_bytes().to_vec();
                    body.extend(noise(5, 80)); // whatever follows: data, then a Stat
                    reply_with(xid, &body)
                }
                Fault::BadUtf8Child => {
                    let mut body = 2i32.to_be_bytes().to_vec();
                    body.extend(jute_bytes(b"ok"));
                    body.extend(jute_bytes(b"\xff\xfe"));
                    reply_with(xid, &body)
                }
                Fault::NotificationFlood(n) => {
                    let mut out = Vec::new();
                    for i in 0..n {
                        let path = format!("/flood/{i}");
                        let mut body = [3i32.to_be_bytes(), 3i32.to_be_bytes()].concat();
                        body.extend(jute_bytes(path.as_bytes()));
                        out.extend(reply_with(-1, &body));
                        if out.len() > 64 * 1024 {
                            s.write_all(&out)?;
                            out.clear();
                        }
                    }
                    out.extend(reply_header(xid, ZXID, NONODE));
                    out
                }
                Fault::SaslChallenge(seed) => reply_with(xid, &jute_bytes(&noise(seed, 40))),
                Fault::Stall
                | Fault::ShortHandshake
                | Fault::DropAfterHandshake
                | Fault::ExpireEveryHandshake
                | Fault::HandshakeLength(_)
                | Fault::CloseOnAccept
                | Fault::SilentHandshake => unreachable!(),
            };
            s.write_all(&out)?;
            continue;
        }
        if op == -11 {
            s.write_all(&reply_header(xid, ZXID, 0))?;
            return Ok(());
        }
        // Every other request: the node does not exist.
        s.write_all(&reply_header(xid, ZXID, NONODE))?;
    }
}

/// Panics on the library's own threads, counted by a hook installed once per binary.
fn library_panics() -> usize {
    static HOOK: Once = Once::new();
    static PANICS: AtomicUsize = AtomicUsize::new(0);
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let name = thread::current().name().unwrap_or("").to_string();
            if name.starts_with("zk-") {
                PANICS.fetch_add(1, Ordering::SeqCst);
            }
            default(info)
        }));
    });
    PANICS.load(Ordering::SeqCst)
}

fn options(fake: &Fake) -> Options {
    let mut o = Options::new(fake.hosts());
    o.session_timeout = Duration::from_secs(8);
    // The faults must reach the caller, not be hidden by a retry on the next connection.
    o.command_retry = RetryPolicy::none();
    o.connection_retry = common::quick_retry(20);
    o
}

/// A started client on the fake, with its state changes recorded from the start.
fn client(fake: &Fake) -> (Client, Receiver<(State, KeeperState)>) {
    library_panics();
    let c = Client::new(options(fake)).unwrap();
    let (_, states) = record_states(&c);
    c.start(WAIT).unwrap();
    (c, states)
}

/// After the first connection broke: the client is back on a second one, with the same
/// session, and works.
fn assert_reconnected(fake: &Fake, c: &Client, states: &Receiver<(State, KeeperState)>) {
    wait_for_state(states, SUSPENDED, WAIT);
    wait_for_state(states, CONNECTED, WAIT);
    assert_eq!(fake.conns(), 2);
    assert_eq!(
        fake.handshake().session,
        0,
        "the first connect asks for a new session"
    );
    let again = fake.handshake();
    assert_eq!(
        (again.session, again.passwd.as_slice()),
        (SESSION, &PASSWD[..]),
        "resumes its session"
    );
    assert_eq!(
        c.exists("/x", None, None),
        Ok(None),
        "works on the new connection"
    );
    assert_eq!(c.client_id().unwrap().session_id, SESSION);
    assert_eq!(library_panics(), 0);
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn handshake_is_a_45_byte_connect_request_for_a_new_session() {
    let fake = Fake::start(None, 10_000);
    let mut o = options(&fake);
    o.read_only = true;
    let c = Client::new(o).unwrap();
    c.start(WAIT).unwrap();
    let hs = fake.handshake();
    let want = Handshake {
        len: 45,
        protocol: 0,
        last_zxid: 0,
        timeout: 8000,
        session: 0,
        passwd: vec![0; 16],
        read_only: 1,
    };
    assert_eq!(hs, want);
    let id = c.client_id().unwrap();
    assert_eq!((id.session_id, id.passwd), (SESSION, PASSWD));
    assert_eq!(c.negotiated_timeout(), Duration::from_millis(10_000));
    assert_eq!(c.keeper_state(), KeeperState::Connected);
}

#[test]
fn garbage_reply_fails_the_call_and_the_client_reconnects() {
    for seed in [1, 0xdead_beef, 42] {
        let fake = Fake::start(Some(Fault::Garbage(seed)), 10_000);
        let (c, states) = client(&fake);
        let r = c.exists("/x", None, None);
        assert!(
            matches!(r, Err(Error::ConnectionLoss | Error::Protocol)),
            "seed {seed}: {r:?}"
        );
        assert_reconnected(&fake, &c, &states);
    }
}

#[test]
fn negative_frame_length_drops_the_connection_not_the_client() {
    let fake = Fake::start(Some(Fault::Length(-5)), 10_000);
    let (c, states) = client(&fake);
    assert_eq!(c.exists("/x", None, None), Err(Error::ConnectionLoss));
    assert_reconnected(&fake, &c, &states);
}

/// A reply frame of 0 bytes, or shorter than a reply header (16 bytes), cannot be matched
/// to a request: the connection is dropped and the client reconnects.
#[test]
fn a_frame_shorter_than_a_reply_header_drops_the_connection_not_the_client() {
    for n in [0, 3] {
        let fake = Fake::start(Some(Fault::Length(n)), 10_000);
        let (c, states) = client(&fake);
        assert_eq!(
            c.exists("/x", None, None),
            Err(Error::ConnectionLoss),
            "{n}"
        );
        assert_reconnected(&fake, &c, &states);
    }
}

#[test]
fn a_2_gib_frame_length_is_refused_without_allocating_it() {
    let before = peak_rss_kib();
    let fake = Fake::start(Some(Fault::Length(i32::MAX)), 10_000);
    let (c, states) = client(&fake);
    assert_eq!(c.exists("/x", None, None), Err(Error::ConnectionLoss));
    assert_reconnected(&fake, &c, &states);
    let grown = peak_rss_kib().saturating_sub(before);
    assert!(grown < 256 * 1024, "peak RSS grew by {grown} KiB");
}

#[test]
fn a_reply_with_the_wrong_xid_is_connection_loss_and_the_client_reconnects() {
    let fake = Fake::start(Some(Fault::WrongXid), 10_000);
    let (c, states) = client(&fake);
    assert_eq!(c.exists("/x", None, None), Err(Error::ConnectionLoss));
    assert_reconnected(&fake, &c, &states);
}

#[test]
fn an_undecodable_body_fails_only_that_call() {
    let fake = Fake::start(Some(Fault::BadBody), 10_000);
    let (c, states) = client(&fake);
    assert_eq!(c.exists("/x", None, None), Err(Error::Protocol));
    // The framing was intact, so the connection may stay; either way the client works.
    assert_eq!(c.exists("/x", None, None), Ok(None));
    assert_eq!(c.client_id().unwrap().session_id, SESSION);
    assert_eq!(library_panics(), 0);
    drop(states);
}

/// A notification the client cannot decode matches no watch of ours: it is logged and
/// skipped, and the connection, the call in flight and the session carry on (it used to
/// end the connection and fail every call in flight with CONNECTIONLOSS).
fn an_undecodable_notification_is_skipped(fault: Fault) {
    let fake = Fake::start(Some(fault), 10_000);
    let (c, states) = client(&fake);
    assert_eq!(c.exists("/x", None, None), Ok(None), "{fault:?}");
    assert_eq!(c.exists("/x", None, None), Ok(None));
    assert_eq!(fake.conns(), 1, "{fault:?}: the connection stayed");
    // Connected once, never suspended since.
    wait_for_state(&states, CONNECTED, WAIT);
    let after: Vec<_> = states.try_iter().collect();
    assert!(after.is_empty(), "{fault:?}: {after:?}");
    assert_eq!(library_panics(), 0);
}

#[test]
fn a_notification_with_a_non_utf8_path_is_skipped() {
    an_undecodable_notification_is_skipped(Fault::BadUtf8Event);
}

#[test]
fn a_notification_cut_short_is_skipped() {
    an_undecodable_notification_is_skipped(Fault::ShortEvent);
}

/// A server that never gives a usable session (it answers no request) gets the back-off,
/// not a reconnect loop: with the default connection retry (0.1 s doubling, ±40 %
/// jitter) the sleeps in 3 s are about 0.1, 0.2, 0.4, 0.8 and 1.6 s, so at most about
/// seven connections; the bound is 10. (Reaching a server used to reset the back-off: about
/// 1,700 connections in 5 s.)
fn connections_in_3_s(fault: Fault) -> usize {
    let fake = Fake::start(Some(fault), 10_000);
    let mut o = options(&fake);
    o.connection_retry = RetryPolicy::connection_default();
    let c = Client::new(o).unwrap();
    let t0 = Instant::now();
    // Connected at once (then dropped), or refused until its wait ends: either way the
    // client keeps trying in the background until closed.
    let _ = c.start(Duration::from_secs(3));
    thread::sleep(Duration::from_secs(3).saturating_sub(t0.elapsed()));
    let n = fake.conns();
    eprintln!("{fault:?}: {n} connections in 3 s");
    c.close();
    assert_eq!(library_panics(), 0);
    n
}

#[test]
fn a_server_that_drops_every_session_after_the_handshake_gets_the_back_off() {
    let n = connections_in_3_s(Fault::DropAfterHandshake);
    assert!((2..=10).contains(&n), "{n} connections in 3 s");
}

#[test]
fn a_server_that_answers_every_handshake_as_expired_gets_the_back_off() {
    let n = connections_in_3_s(Fault::ExpireEveryHandshake);
    assert!((2..=10).contains(&n), "{n} connections in 3 s");
}

#[test]
fn a_silent_server_is_noticed_within_the_read_timeout() {
    // Negotiated 1.5 s: a ping once nothing has been heard for 0.3 s, dead when nothing
    // has been heard for 0.6 s (counted from the handshake, just before `t`), looked at
    // every 50 ms.
    let fake = Fake::start(Some(Fault::Stall), 1500);
    let (c, states) = client(&fake);
    let t = Instant::now();
    // The request is never answered: it fails when the connection is declared dead.
    assert_eq!(c.exists("/x", None, None), Err(Error::ConnectionLoss));
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(450),
        "gave up after {took:?}, before the read timeout"
    );
    assert!(
        took < Duration::from_millis(1500),
        "noticed only after {took:?}"
    );
    assert_reconnected(&fake, &c, &states);
}

#[test]
fn a_16_byte_handshake_reply_is_a_failed_connect_not_a_session() {
    let fake = Fake::start(Some(Fault::ShortHandshake), 10_000);
    let c = Client::new(options(&fake)).unwrap();
    let (_, states) = record_states(&c);
    library_panics();
    let t = Instant::now();
    c.start(WAIT).unwrap();
    // The handshake's own read timeout is 8 s here: a client waiting for the rest of a
    // ConnectResponse would take that long.
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "took {:?}",
        t.elapsed()
    );
    assert_eq!(fake.conns(), 2);
    let (first, second) = (fake.handshake(), fake.handshake());
    assert_eq!(first.session, 0);
    assert_eq!(second.session, 0, "nothing was taken from the short reply");
    assert_eq!(c.client_id().unwrap().session_id, SESSION);
    assert_eq!(c.exists("/x", None, None), Ok(None));
    let flushed = channel();
    c.defer(Box::new(move || flushed.0.send(()).unwrap()));
    flushed.1.recv_timeout(WAIT).unwrap();
    assert_eq!(
        states.try_iter().collect::<Vec<_>>(),
        vec![LOST_CONNECTING, CONNECTED]
    );
    assert_eq!(library_panics(), 0);
}

#[test]
fn a_failed_handshake_closes_its_socket_before_backing_off() {
    let fake = Fake::start(Some(Fault::ShortHandshake), 10_000);
    let mut o = options(&fake);
    o.connection_retry.delay = Duration::from_millis(1500);
    o.connection_retry.max_delay = Duration::from_millis(1500);
    let c = Client::new(o).unwrap();
    c.start(WAIT).unwrap();
    let events: Vec<&str> = fake.timeline.try_iter().map(|(what, _)| what).collect();
    assert_eq!(
        events,
        ["accepted", "closed", "accepted"],
        "the first socket stayed open during the back-off"
    );
}

/// A handshake answer the client cannot use fails that connection only: the client moves
/// on, the next connection (which behaves) gives it a session, within the handshake's own
/// time limit (a third of the 8 s session timeout), with bounded memory.
fn a_bad_handshake_costs_one_connection(fault: Fault) {
    let before = peak_rss_kib();
    let fake = Fake::start(Some(fault), 10_000);
    let t = Instant::now();
    let (c, _states) = client(&fake);
    let took = t.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "{fault:?}: connected after {took:?}"
    );
    assert_eq!(fake.conns(), 2, "{fault:?}");
    assert_eq!(c.exists("/x", None, None), Ok(None), "{fault:?}");
    assert_eq!(c.client_id().unwrap().session_id, SESSION);
    assert_eq!(library_panics(), 0);
    let grown = peak_rss_kib().saturating_sub(before);
    eprintln!(
        "{fault:?}: {} connections, peak RSS +{grown} KiB",
        fake.conns()
    );
    assert!(grown < 64 * 1024, "{fault:?}: peak RSS grew by {grown} KiB");
}

#[test]
fn a_handshake_answer_with_a_bad_length_costs_one_connection() {
    for n in [0, -7, 3, 1 << 20, i32::MAX] {
        a_bad_handshake_costs_one_connection(Fault::HandshakeLength(n));
    }
}

#[test]
fn a_connection_closed_on_accept_costs_one_connection() {
    a_bad_handshake_costs_one_connection(Fault::CloseOnAccept);
}

#[test]
fn a_handshake_never_answered_costs_one_connection() {
    a_bad_handshake_costs_one_connection(Fault::SilentHandshake);
}

/// A reply body the client cannot decode fails that call (PROTOCOL), never allocates what
/// a count or length claims, and leaves the connection and the next call working.
fn a_bad_reply_fails_only_its_call(fault: Fault, call: impl Fn(&Client) -> Result<(), Error>) {
    let before = peak_rss_kib();
    let fake = Fake::start(Some(fault), 10_000);
    let (c, _states) = client(&fake);
    let t = Instant::now();
    assert_eq!(call(&c), Err(Error::Protocol), "{fault:?}");
    assert!(t.elapsed() < Duration::from_secs(2), "{fault:?}");
    assert_eq!(c.exists("/x", None, None), Ok(None), "{fault:?}");
    assert_eq!(fake.conns(), 1, "{fault:?}");
    assert_eq!(library_panics(), 0);
    let grown = peak_rss_kib().saturating_sub(before);
    eprintln!(
        "{fault:?}: {} connections, peak RSS +{grown} KiB",
        fake.conns()
    );
    assert!(grown < 64 * 1024, "{fault:?}: peak RSS grew by {grown} KiB");
}

fn children(c: &Client) -> Result<(), Error> {
    c.get_children("/x", None, false, None).map(|_| ())
}

fn data(c: &Client) -> Result<(), Error> {
    c.get("/x", None, None).map(|_| ())
}

#[test]
fn a_vector_count_larger_than_its_frame_fails_only_its_call() {
    for n in [3, 1 << 20, i32::MAX, -5] {
        a_bad_reply_fails_only_its_call(Fault::VectorCount(n), children);
    }
}

#[test]
fn a_bad_buffer_length_fails_only_its_call() {
    for n in [-5, 1000, i32::MAX] {
        a_bad_reply_fails_only_its_call(Fault::BufferLength(n), data);
    }
}

#[test]
fn a_child_name_that_is_not_utf8_fails_only_its_call() {
    a_bad_reply_fails_only_its_call(Fault::BadUtf8Child, children);
}

/// A reply that arrives a byte at a time: the call ends at its own deadline, the late reply
/// is taken when it is complete, and the connection carries on. The session is long enough
/// for the drip (4.8 s): a connection on which nothing provably reached the server for 2/5
/// of the session is dead, bytes arriving or not, and this one's pings are answered only
/// after the dripped reply.
#[test]
fn a_reply_dripped_a_byte_at_a_time_ends_at_the_calls_deadline() {
    let fake = Fake::start(Some(Fault::Drip), 20_000);
    let (c, _states) = client(&fake);
    let t = Instant::now();
    let r = c.exists("/x", None, Some(Duration::from_secs(1)));
    let took = t.elapsed();
    assert_eq!(r, Err(Error::TimedOut));
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(2),
        "{took:?}"
    );
    // The drip ends about 5 s after it began; the next call waits behind it.
    assert_eq!(c.exists("/x", None, None), Ok(None));
    assert_eq!(fake.conns(), 1);
    assert_eq!(library_panics(), 0);
}

/// 100,000 notifications for paths nobody watches before a reply: each is dropped as it is
/// read, the reply comes through, and memory stays bounded.
#[test]
fn a_flood_of_notifications_is_read_and_dropped() {
    let before = peak_rss_kib();
    let fake = Fake::start(Some(Fault::NotificationFlood(100_000)), 10_000);
    let (c, _states) = client(&fake);
    assert_eq!(c.exists("/x", None, None), Ok(None));
    assert_eq!(c.exists("/x", None, None), Ok(None));
    assert_eq!(fake.conns(), 1);
    assert_eq!(library_panics(), 0);
    let grown = peak_rss_kib().saturating_sub(before);
    eprintln!("100,000 notifications: 1 connection, peak RSS +{grown} KiB");
    assert!(grown < 64 * 1024, "peak RSS grew by {grown} KiB");
}

fn sasl_client(fake: &Fake) -> (Client, Arc<std::sync::Mutex<Vec<String>>>) {
    library_panics();
    let mut o = options(fake);
    o.sasl = Some(Sasl::digest_md5("bob", "pw"));
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = log.clone();
    o.logger = Some((
        Arc::new(move |_, m: &str| sink.lock().unwrap().push(m.to_string())),
        LogLevel::Debug,
    ));
    (Client::new(o).unwrap(), log)
}

/// A SASL challenge that is not one (random bytes in a well-formed reply) cannot be
/// answered: AUTH_FAILED for good, saying why, on the one connection, without a panic.
#[test]
fn a_garbage_sasl_challenge_is_auth_failed_with_a_reason() {
    for seed in [1, 0xdead_beef, 42] {
        let fake = Fake::start(Some(Fault::SaslChallenge(seed)), 10_000);
        let (c, _log) = sasl_client(&fake);
        let e = c.start(WAIT).unwrap_err();
        assert_eq!(e.code, Error::AuthFailed, "seed {seed}: {e}");
        let why = e.reason.unwrap_or_default();
        assert!(
            why.starts_with(&format!("{}: SASL DIGEST-MD5: ", fake.hosts())),
            "seed {seed}: {why}"
        );
        thread::sleep(Duration::from_millis(300));
        assert_eq!(fake.conns(), 1, "seed {seed}: no reconnect");
        assert_eq!(c.keeper_state(), KeeperState::AuthFailed);
        assert_eq!(library_panics(), 0);
    }
}

/// A reply to the SASL request that is no reply to it (garbage for another xid) breaks
/// that connection attempt, with its reason logged; the next connection's answer (this
/// fake answers NONODE to everything) is a refusal: AUTH_FAILED.
#[test]
fn a_garbage_reply_to_the_sasl_request_is_a_failed_attempt() {
    let fake = Fake::start(Some(Fault::Garbage(7)), 10_000);
    let (c, log) = sasl_client(&fake);
    let e = c.start(WAIT).unwrap_err();
    assert_eq!(e.code, Error::AuthFailed, "{e}");
    assert!(
        e.reason
            .unwrap_or_default()
            .ends_with("SASL DIGEST-MD5: the server answered error -101"),
        "the second connection's refusal"
    );
    assert_eq!(fake.conns(), 2);
    let log = log.lock().unwrap();
    assert!(
        log.iter()
            .any(|l| l.contains("failed: the server answered xid") && l.contains("SASL request")),
        "{log:?}"
    );
    assert_eq!(library_panics(), 0);
}
