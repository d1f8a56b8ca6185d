//! The model check of the reading role's hand-off, with loom:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release -p zkclient \
//!     --lib reader::model
//! ```
//!
//! Checked, as shipped: `read_loop`, `await_reply`, `event_thread_read`, `hand_on`,
//! `nudge_first`, everything in `Role` (the side's lock, `lend`, `io_called`, the counts,
//! the async submitter's count-then-look) and the reply slots (`oneshot`). Stood in for
//! here: the socket and the server (a fake wire that holds the replies of the requests
//! written, read one frame per read), frame matching (the reply must be for the request at
//! the head of the queue), the event thread's queue, the send lock, and the host loop's
//! and stop's bookkeeping around the hand-off (retire the side, fail what is pending).
//!
//! Threads: the I/O thread, a blocked caller, the event thread, an async submitter and
//! `stop` (the model's main thread: it sends closeSession and waits for its reply as a
//! blocked caller, drops the connection, joins the I/O thread and fails what is left, as
//! `Session::stop`). Asserted in every execution: each reply is read once and handed to
//! its own request (blocked caller or callback) exactly once; every caller returns and
//! every callback runs (loom fails an execution where all threads block: nobody waits
//! forever); no side is read after its connection ended; nothing is left pending.
//!
//! Time: loom does not model it. A request's deadline never passes (a lost wake-up of a
//! blocked caller then shows as a deadlock); the I/O thread's short park (`sync`), a read
//! of an empty socket (the event thread's `QUICK` read among them, which then turns to
//! polling) and the event thread's poll return after the other threads have moved, as
//! their timers would. The lending I/O thread's park is part of the liveness
//! argument: when it reads the event thread's replies and lends to it (transition 2)
//! while a caller goes to sleep on its slot, nobody else nudges that caller, and the
//! I/O thread's return after its park (1 ms) reads its reply.

use std::collections::VecDeque;
use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use loom::sync::{Condvar as LoomCondvar, Mutex as LoomMutex};
use loom::thread;

use super::{await_reply, event_thread_read, nudge_first, read_loop, Host, Role, Side, Stepped};
use crate::error::{Error, Result};
use crate::session::hostloop::End;
use crate::session::oneshot;
use crate::session::sync::Arc;
use crate::session::Reply;

/// Far enough that no deadline passes in a run (loom does not model time).
const DEADLINE: Duration = Duration::from_secs(3600);
const NEGOTIATED: Duration = Duration::from_secs(30);
/// The id of the async submitter's callback.
const CALLBACK: u32 = 7;

enum Done {
    Wait(oneshot::Waiter),
    Callback(u32),
}

struct Pending {
    xid: i32,
    /// closeSession: its reply ends the connection.
    close: bool,
    done: Done,
}

/// The socket and the server: the replies written and not yet read.
#[derive(Default)]
struct WireState {
    frames: VecDeque<i32>,
    /// Shut down: reads return the end of the stream.
    closed: bool,
    /// The event thread's eventfd was poked.
    poked: bool,
}

#[derive(Default)]
struct EventQueue {
    calls: VecDeque<(u32, Result<i32>)>,
    stop: bool,
}

struct Model {
    role: Role<FakeSide>,
    /// The send lock: the next xid, and whether there is a connection to write to.
    send: LoomMutex<(i32, bool)>,
    pending: LoomMutex<VecDeque<Pending>>,
    wire: Arc<LoomMutex<WireState>>,
    events: LoomMutex<EventQueue>,
    events_cv: LoomCondvar,
    /// Every xid whose reply was read, in order.
    read: LoomMutex<Vec<i32>>,
    /// Every callback run, with its outcome.
    ran: LoomMutex<Vec<(u32, Result<i32>)>>,
}

struct FakeSide {
    wire: Arc<LoomMutex<WireState>>,
    end: Option<End>,
    /// The event thread reads without polling first (`Side::quick`).
    quick: bool,
}

/// Executions explored (loom runs every thread of a model on the test's own thread).
static EXECUTIONS: AtomicUsize = AtomicUsize::new(0);

fn xid_of(r: &Reply) -> i32 {
    i32::from_be_bytes(r.body().try_into().expect("4 bytes"))
}

impl Model {
    fn new() -> Arc<Model> {
        let wire = Arc::new(LoomMutex::new(WireState::default()));
        let m = Model {
            role: Role::new(),
            send: LoomMutex::new((1, true)),
            pending: LoomMutex::new(VecDeque::new()),
            wire: wire.clone(),
            events: LoomMutex::new(EventQueue::default()),
            events_cv: LoomCondvar::new(),
            read: LoomMutex::new(Vec::new()),
            ran: LoomMutex::new(Vec::new()),
        };
        m.role.publish(FakeSide {
            wire,
            end: None,
            quick: true,
        });
        Arc::new(m)
    }

    /// The send path (`Inner::write_locked`): under the send lock, takes an xid, counts an
    /// async request, queues it as pending and calls the I/O thread back if it lends; the
    /// server answers at once, so the reply is on the wire from then on. `None` without a
    /// connection.
    fn write(&self, done: Done, close: bool) -> Option<i32> {
        let mut s = self.send.lock().unwrap();
        if !s.1 {
            return None;
        }
        let xid = s.0;
        s.0 += 1;
        let is_async = matches!(done, Done::Callback(_));
        if is_async {
            self.role.async_sent();
        }
        self.pending
            .lock()
            .unwrap()
            .push_back(Pending { xid, close, done });
        if is_async {
            self.role.after_async_sent(false);
        }
        self.wire.lock().unwrap().frames.push_back(xid);
        Some(xid)
    }

    /// Queues a completion for the event thread and wakes it (its queue and its eventfd).
    fn queue(&self, id: u32, r: Result<i32>) {
        self.events.lock().unwrap().calls.push_back((id, r));
        self.events_cv.notify_all();
        self.wire.lock().unwrap().poked = true;
    }

    fn complete(&self, done: Done, r: Result<i32>) -> Stepped {
        let mut s = Stepped::default();
        match done {
            Done::Wait(w) => {
                // As the session does: a reply by copy into the caller's slot, an error
                // as it is.
                match r {
                    Ok(xid) => w.deliver_frame(0, &xid.to_be_bytes(), 0),
                    Err(e) => w.deliver(Err(e)),
                }
                s.woke_caller = true;
            }
            Done::Callback(id) => {
                self.role.async_done();
                self.queue(id, r);
                s.queued = true;
            }
        }
        s
    }

    /// A reply frame read off the wire: it must answer the oldest pending request.
    fn handle(&self, xid: i32) -> std::result::Result<Stepped, End> {
        {
            let mut read = self.read.lock().unwrap();
            assert!(!read.contains(&xid), "reply {xid} read twice");
            read.push(xid);
        }
        let p = self.pending.lock().unwrap().pop_front();
        let p = p.unwrap_or_else(|| panic!("reply {xid} with nothing pending"));
        assert_eq!(p.xid, xid, "reply matched out of order");
        let close = p.close;
        let s = self.complete(p.done, Ok(xid));
        if close {
            return Err(End::Stop);
        }
        Ok(s)
    }

    /// `Inner::drop_connection`: no more writes, the socket shut down, the I/O thread
    /// called back.
    fn drop_connection(&self) {
        self.send.lock().unwrap().1 = false;
        self.wire.lock().unwrap().closed = true;
        self.role.call_io();
    }

    /// `Inner::fail_pending`.
    fn fail_pending(&self, e: Error) {
        let all = std::mem::take(&mut *self.pending.lock().unwrap());
        for p in all {
            self.complete(p.done, Err(e));
        }
    }

    /// A blocked call (`Session::submit_frame`): its outcome, and its xid if it was sent.
    fn call(&self, close: bool) -> (Option<i32>, Result<Reply>) {
        let w = oneshot::begin();
        let seq = w.seq();
        match self.write(Done::Wait(w), close) {
            None => {
                oneshot::give_up(seq);
                (None, Err(Error::Closed))
            }
            Some(xid) => (Some(xid), await_reply(self, seq, Instant::now() + DEADLINE)),
        }
    }
}

impl Host for Model {
    type Side = FakeSide;

    fn role(&self) -> &Role<FakeSide> {
        &self.role
    }

    fn watches_live(&self) -> bool {
        false
    }

    fn nudge_waiting_caller(&self) -> bool {
        let q = self.pending.lock().unwrap();
        nudge_first(q.iter().filter_map(|p| match &p.done {
            Done::Wait(w) => Some(w),
            Done::Callback(_) => None,
        }))
    }

    fn keepalive(&self, _negotiated: Duration) -> std::result::Result<(), End> {
        Ok(())
    }

    fn event_thread_reads(&self) -> bool {
        true
    }

    fn warn(&self, msg: std::fmt::Arguments<'_>) {
        panic!("{msg}");
    }
}

impl Side<Model> for FakeSide {
    /// One read: a frame, or the end of the stream, or nothing after the read timeout
    /// (once the other threads have moved).
    fn step(&mut self, m: &Model) -> std::result::Result<Stepped, End> {
        assert!(self.end.is_none(), "read after the connection ended");
        let mut st = self.wire.lock().unwrap();
        let Some(xid) = st.frames.pop_front() else {
            let closed = st.closed;
            drop(st);
            if closed {
                return Err(End::Lost);
            }
            thread::yield_now();
            return Ok(Stepped {
                idle: true,
                ..Stepped::default()
            });
        };
        drop(st);
        m.handle(xid)
    }

    /// The same read: its timeout is as untimed as `step`'s.
    fn step_within(&mut self, m: &Model, _timeout: Duration) -> std::result::Result<Stepped, End> {
        self.step(m)
    }

    fn quick(&self) -> bool {
        self.quick
    }

    fn set_quick(&mut self, quick: bool) {
        self.quick = quick;
    }

    fn is_ended(&self) -> bool {
        self.end.is_some()
    }

    fn set_end(&mut self, end: End) {
        self.end = Some(end);
    }

    fn take_end(&mut self) -> Option<End> {
        self.end.take()
    }

    fn tick(&self) -> Duration {
        Duration::from_millis(100)
    }

    fn pollable(&self) -> bool {
        true
    }

    /// poll(2) on the socket and the eventfd: readable when a frame or the end is there;
    /// `false` when poked, or after the timeout (once the other threads have moved).
    fn wait_readable(&self, _wake_fd: RawFd, _timeout: Duration) -> io::Result<bool> {
        let mut st = self.wire.lock().unwrap();
        if !st.frames.is_empty() || st.closed {
            return Ok(true);
        }
        if !std::mem::take(&mut st.poked) {
            drop(st);
            thread::yield_now();
        }
        Ok(false)
    }

    fn shutdown(&self) {
        self.wire.lock().unwrap().closed = true;
    }
}

/// The I/O thread while connected, then what `serve` does when the connection ends.
fn io_thread(m: &Model) {
    let end = read_loop(m, NEGOTIATED);
    m.drop_connection();
    if let Some(rd) = m.role.retire() {
        rd.shutdown();
    }
    if let End::Lost = end {
        m.fail_pending(Error::ConnectionLoss);
    }
}

/// The event thread: runs what is queued, reads async replies itself when idle
/// (`Events`' idle read), sleeps on its queue otherwise; ends when stopped and drained.
fn event_thread(m: &Model) {
    loop {
        let (batch, stop) = {
            let mut q = m.events.lock().unwrap();
            (std::mem::take(&mut q.calls), q.stop)
        };
        if !batch.is_empty() {
            m.ran.lock().unwrap().extend(batch);
            continue;
        }
        if stop {
            return;
        }
        if event_thread_read(m, -1, Duration::from_millis(100)) {
            continue;
        }
        let mut q = m.events.lock().unwrap();
        while q.calls.is_empty() && !q.stop {
            q = m.events_cv.wait(q).unwrap();
        }
    }
}

/// One execution: the five threads, then the checks.
fn run() {
    EXECUTIONS.fetch_add(1, Ordering::Relaxed);
    let m = Model::new();
    let io = thread::spawn({
        let m = m.clone();
        move || io_thread(&m)
    });
    let events = thread::spawn({
        let m = m.clone();
        move || event_thread(&m)
    });
    let caller = thread::spawn({
        let m = m.clone();
        move || m.call(false)
    });
    let submitter = thread::spawn({
        let m = m.clone();
        move || m.write(Done::Callback(CALLBACK), false)
    });

    // stop (`Session::stop`), on this thread: closeSession as a blocked call, then the
    // connection dropped, the I/O thread joined, what is left failed, the events stopped.
    let (close_xid, close) = m.call(true);
    if let Some(xid) = close_xid {
        match &close {
            Ok(r) => assert_eq!(xid_of(r), xid, "closeSession got another's reply"),
            Err(e) => assert_eq!(*e, Error::ConnectionLoss),
        }
    }
    m.drop_connection();
    io.join().unwrap();
    m.fail_pending(Error::Closed);
    m.events.lock().unwrap().stop = true;
    m.events_cv.notify_all();

    let (xid, r) = caller.join().unwrap();
    match (xid, &r) {
        (Some(xid), Ok(rep)) => assert_eq!(xid_of(rep), xid, "a caller got another's reply"),
        (_, Err(Error::ConnectionLoss | Error::Closed)) => {}
        (xid, r) => panic!("caller {xid:?} ended with {r:?}"),
    }
    let sent = submitter.join().unwrap();
    events.join().unwrap();

    let ran = std::mem::take(&mut *m.ran.lock().unwrap());
    match sent {
        Some(xid) => match ran.as_slice() {
            [(CALLBACK, Ok(x))] => assert_eq!(*x, xid, "the callback got another's reply"),
            [(CALLBACK, Err(Error::ConnectionLoss | Error::Closed))] => {}
            other => panic!(
                "callback of xid {xid} ran {other:?}; replies read {:?}",
                m.read.lock().unwrap()
            ),
        },
        None => assert!(ran.is_empty(), "a callback ran for a request never sent"),
    }
    assert!(
        m.pending.lock().unwrap().is_empty(),
        "a request left pending"
    );
    assert_eq!(m.role.async_pending(), 0);
}

/// Preemptions per execution beyond the ones blocking forces (loom's bound).
const PREEMPTIONS: usize = 2;

#[test]
fn every_reply_reaches_its_waiter_once_and_nobody_waits_forever() {
    EXECUTIONS.store(0, Ordering::Relaxed);
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(PREEMPTIONS);
    b.check(run);
    let n = EXECUTIONS.load(Ordering::Relaxed);
    eprintln!("reader::model: {n} executions, preemption bound {PREEMPTIONS}");
    assert!(n > 1);
}
