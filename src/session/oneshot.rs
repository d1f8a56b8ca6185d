//! Where a blocked caller waits for its reply: one slot per thread, reused by every call
//! that thread makes, so a blocking request allocates nothing for its wait and the waiter
//! sleeps on a condvar instead of spinning (a channel's receive loop yields the CPU several
//! times per request, which on a small machine is taken from the server).
//!
//! A call takes a new sequence number; a reply is stored only if it carries the current
//! one, so a reply that arrives after its caller gave up can never be read by a later call.

use std::sync::Arc;
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

use crate::error::{Error, Result};

use super::Reply;

pub(crate) struct Slot {
    state: Mutex<State>,
    cv: Condvar,
}

struct State {
    seq: u64,
    value: Option<Result<Reply>>,
}

/// The handle a pending request keeps to deliver its reply.
pub(crate) struct Waiter {
    slot: Arc<Slot>,
    seq: u64,
}

thread_local! {
    static SLOT: Arc<Slot> = Arc::new(Slot {
        state: Mutex::new(State { seq: 0, value: None }),
        cv: Condvar::new(),
    });
}

/// Starts a call on this thread: the returned waiter goes with the request.
pub(crate) fn begin() -> Waiter {
    SLOT.with(|slot| {
        let mut st = slot.state.lock();
        st.seq = st.seq.wrapping_add(1);
        st.value = None;
        Waiter {
            slot: slot.clone(),
            seq: st.seq,
        }
    })
}

impl Waiter {
    /// Delivers the reply (from the I/O thread); dropped if the caller has moved on.
    pub(crate) fn deliver(self, r: Result<Reply>) {
        let mut st = self.slot.state.lock();
        if st.seq == self.seq {
            st.value = Some(r);
            drop(st);
            self.slot.cv.notify_one();
        }
    }
}

/// Waits on this thread's slot for the reply of call `seq` until `deadline`.
pub(crate) fn wait(seq: u64, deadline: Instant) -> Result<Reply> {
    SLOT.with(|slot| {
        let mut st = slot.state.lock();
        loop {
            if st.seq != seq {
                return Err(Error::ConnectionLoss);
            }
            if let Some(v) = st.value.take() {
                // Retire the number, so nothing else lands here for this call.
                st.seq = st.seq.wrapping_add(1);
                return v;
            }
            if slot.cv.wait_until(&mut st, deadline).timed_out() {
                st.seq = st.seq.wrapping_add(1);
                return Err(Error::TimedOut);
            }
        }
    })
}

impl Waiter {
    pub(crate) fn seq(&self) -> u64 {
        self.seq
    }
}
