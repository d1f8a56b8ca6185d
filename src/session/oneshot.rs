//! Where a blocked caller waits for its reply: one slot per thread, reused by every call
//! that thread makes, so a blocking request allocates nothing for its wait and the waiter
//! sleeps on a condvar instead of spinning (a channel's receive loop yields the CPU several
//! times per request, which on a small machine is taken from the server).
//!
//! A call takes a new sequence number; a reply is stored only if it carries the current
//! one, so a reply that arrives after its caller gave up can never be read by a later call.
//! A sleeping caller can also be *nudged*: told that the socket has no reader and it should
//! take that role (see `reader::await_reply`).
//!
//! A reply frame is copied into the slot's own buffer by whichever thread read it, and the
//! caller makes the reply's allocation from it on its own thread (`take_locked`). Handing
//! over an allocation made by the reading thread instead had every get of a multi-threaded
//! program allocate in one thread's malloc arena and free into another's; glibc's per-thread
//! arenas then crept (32 threads on one client: about 0.5 MB of arena pages after a few
//! seconds, against 0.2 for the official C client, whose I/O thread allocates and frees).

use std::time::Instant;

use crate::error::{Error, Result};

use super::sync::{thread_local, Arc, Condvar, Mutex};
use super::Reply;

pub(crate) struct Slot {
    state: Mutex<State>,
    cv: Condvar,
}

struct State {
    seq: u64,
    value: Option<Result<Reply>>,
    /// `value`'s frame is in `buf` (delivered by `deliver_frame`), not in the Reply.
    in_buf: bool,
    /// The last frame delivered by copy; its capacity is kept for the next call.
    buf: Vec<u8>,
    nudged: bool,
}

/// Frames up to this size are delivered by copy into the slot's buffer; larger ones (a
/// node's data of up to the frame limit) move as they were read, so no thread keeps a big
/// buffer and the data is copied once.
pub(crate) const COPY_MAX: usize = 16 * 1024;

/// The handle a pending request keeps to deliver its reply.
pub(crate) struct Waiter {
    slot: Arc<Slot>,
    seq: u64,
}

thread_local! {
    static SLOT: Arc<Slot> = Arc::new(Slot {
        state: Mutex::new(State {
            seq: 0,
            value: None,
            in_buf: false,
            buf: Vec::new(),
            nudged: false,
        }),
        cv: Condvar::new(),
    });
}

/// Starts a call on this thread: the returned waiter goes with the request.
pub(crate) fn begin() -> Waiter {
    SLOT.with(|slot| {
        let mut st = slot.state.lock();
        st.seq = st.seq.wrapping_add(1);
        st.value = None;
        st.in_buf = false;
        st.nudged = false;
        Waiter {
            slot: slot.clone(),
            seq: st.seq,
        }
    })
}

impl Waiter {
    /// Delivers the reply (from whichever thread read it); dropped if the caller has moved
    /// on.
    pub(crate) fn deliver(self, r: Result<Reply>) {
        let mut st = self.slot.state.lock();
        if st.seq == self.seq {
            st.value = Some(r);
            drop(st);
            self.slot.cv.notify_one();
        }
    }

    /// Delivers a reply whose frame (`frame`, its body at `body_at`; at most `COPY_MAX`
    /// bytes) the reading thread still holds: copied into the slot's buffer, from which
    /// the caller makes the reply on its own thread. Dropped if the caller has moved on.
    pub(crate) fn deliver_frame(self, err: i32, frame: &[u8], body_at: usize) {
        let mut st = self.slot.state.lock();
        if st.seq == self.seq {
            st.buf.clear();
            st.buf.extend_from_slice(frame);
            st.in_buf = true;
            st.value = Some(Ok(Reply {
                err,
                frame: Vec::new(),
                body_at,
            }));
            drop(st);
            self.slot.cv.notify_one();
        }
    }

    /// Wakes the caller, if it still waits for this call, to read the socket itself.
    /// Returns false when it has given up (the nudge would reach nobody).
    pub(crate) fn nudge(&self) -> bool {
        let mut st = self.slot.state.lock();
        if st.seq != self.seq {
            return false;
        }
        st.nudged = true;
        drop(st);
        self.slot.cv.notify_one();
        true
    }

    /// Whether this request belongs to the calling thread.
    pub(crate) fn is_mine(&self) -> bool {
        SLOT.with(|s| Arc::ptr_eq(s, &self.slot))
    }

    pub(crate) fn seq(&self) -> u64 {
        self.seq
    }
}

/// Takes the outcome of call `seq` if there is one: its reply, or CONNECTIONLOSS when the
/// slot has moved on (it never does while the call waits, so this is a safety net).
pub(crate) fn try_take(seq: u64) -> Option<Result<Reply>> {
    SLOT.with(|slot| take_locked(&mut slot.state.lock(), seq))
}

fn take_locked(st: &mut State, seq: u64) -> Option<Result<Reply>> {
    if st.seq != seq {
        return Some(Err(Error::ConnectionLoss));
    }
    let mut v = st.value.take()?;
    if std::mem::take(&mut st.in_buf) {
        if let Ok(rep) = v.as_mut() {
            rep.frame = st.buf.clone();
        }
    }
    // Retire the number, so nothing else lands here for this call.
    st.seq = st.seq.wrapping_add(1);
    Some(v)
}

/// Whether the reply of call `seq` has arrived (without taking it).
pub(crate) fn has_reply(seq: u64) -> bool {
    SLOT.with(|slot| {
        let st = slot.state.lock();
        st.seq != seq || st.value.is_some()
    })
}

/// Gives up call `seq`: a reply that comes later is dropped.
pub(crate) fn give_up(seq: u64) {
    SLOT.with(|slot| {
        let mut st = slot.state.lock();
        if st.seq == seq {
            st.seq = st.seq.wrapping_add(1);
        }
    })
}

/// At the deadline of call `seq`: its outcome if it has just arrived, else TIMEDOUT with
/// the call given up — in one step, so a reply cannot slip in between.
pub(crate) fn take_or_give_up(seq: u64) -> Result<Reply> {
    SLOT.with(|slot| {
        let mut st = slot.state.lock();
        if let Some(v) = take_locked(&mut st, seq) {
            return v;
        }
        st.seq = st.seq.wrapping_add(1);
        Err(Error::TimedOut)
    })
}

/// Sleeps on this thread's slot until the outcome of call `seq` arrives (`Some`), a nudge
/// comes (`None`), or `deadline` passes (`Some(TimedOut)`, the call given up).
pub(crate) fn wait(seq: u64, deadline: Instant) -> Option<Result<Reply>> {
    SLOT.with(|slot| {
        let mut st = slot.state.lock();
        loop {
            if let Some(v) = take_locked(&mut st, seq) {
                return Some(v);
            }
            if std::mem::take(&mut st.nudged) {
                return None;
            }
            if slot.cv.wait_until(&mut st, deadline).timed_out() {
                if let Some(v) = take_locked(&mut st, seq) {
                    return Some(v);
                }
                st.seq = st.seq.wrapping_add(1);
                return Some(Err(Error::TimedOut));
            }
        }
    })
}
