//! What every blocking recipe call shares: a wait that ends when something happens (a
//! watch fired, a reply came, the session changed), when another thread cancels it, or at
//! the call's deadline; and requests made through the async API, so that waiting for a
//! reply can end early too (a blocking call would hold the caller until its own deadline
//! while the connection is down). Also the removal of a node a wait left behind, which
//! goes on in the background until it is done or the session is gone.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::common::child;
use crate::client::async_ops::Callback;
use crate::client::Client;
use crate::error::{Error, Result};

/// A wait's wake-ups and its cancel flag. Cancel is sticky: a cancel that comes while no
/// wait is running ends the next one, so a cancel racing the start of a wait is not lost.
pub(crate) struct Gate {
    st: Mutex<GateState>,
    cv: Condvar,
}

struct GateState {
    cancelled: bool,
    /// Bumped by every wake-up (and by a cancel): a waiter notes it before it arms what
    /// will wake it, so a wake-up in between is never missed.
    wakes: u64,
}

/// Where an async reply goes: to the waiter, or, once the waiter gave up, to what it left
/// to handle a late reply (the removal of a node a late create made).
enum Slot<T> {
    Pending,
    Done(Result<T>),
    Abandoned(Option<Callback<T>>),
}

impl Gate {
    pub(crate) fn new() -> Arc<Gate> {
        Arc::new(Gate {
            st: Mutex::new(GateState {
                cancelled: false,
                wakes: 0,
            }),
            cv: Condvar::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        // Nothing runs user code under this lock, so a poisoned one holds sound state.
        self.st.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Ends the wait in progress, or the next one, with CANCELLED.
    pub(crate) fn cancel(&self) {
        let mut g = self.lock();
        g.cancelled = true;
        g.wakes += 1;
        self.cv.notify_all();
    }

    /// Forgets a cancel nobody consumed.
    pub(crate) fn clear_cancel(&self) {
        self.lock().cancelled = false;
    }

    pub(crate) fn wake(&self) {
        let mut g = self.lock();
        g.wakes += 1;
        self.cv.notify_all();
    }

    /// A watch callback that wakes the gate, if it still exists.
    pub(crate) fn waker(self: &Arc<Gate>) -> crate::client::WatchFn {
        let weak = Arc::downgrade(self);
        Box::new(move |_| {
            if let Some(g) = weak.upgrade() {
                g.wake();
            }
        })
    }

    pub(crate) fn wakes(&self) -> u64 {
        self.lock().wakes
    }

    /// CANCELLED (consumed) or TIMED_OUT if either holds now.
    pub(crate) fn check(&self, deadline: Option<Instant>) -> Result<()> {
        let mut g = self.lock();
        Self::stopped(&mut g, deadline)
    }

    fn stopped(g: &mut GateState, deadline: Option<Instant>) -> Result<()> {
        if g.cancelled {
            g.cancelled = false;
            return Err(Error::Cancelled);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(Error::TimedOut);
        }
        Ok(())
    }

    /// Waits until a wake-up after `since` (`wakes()` read before arming what wakes us).
    pub(crate) fn wait(&self, since: u64, deadline: Option<Instant>) -> Result<()> {
        let mut g = self.lock();
        loop {
            Self::stopped(&mut g, deadline)?;
            if g.wakes != since {
                return Ok(());
            }
            g = self.park(g, deadline);
        }
    }

    /// Waits until a wake-up after `since` or the deadline, whichever is first, without
    /// looking at (or consuming) a cancel; false at the deadline.
    pub(crate) fn wait_quiet(&self, since: u64, deadline: Option<Instant>) -> bool {
        let mut g = self.lock();
        loop {
            if g.wakes != since {
                return true;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return false;
            }
            g = self.park(g, deadline);
        }
    }

    fn park<'a>(
        &self,
        g: MutexGuard<'a, GateState>,
        deadline: Option<Instant>,
    ) -> MutexGuard<'a, GateState> {
        match deadline {
            None => self.cv.wait(g).unwrap_or_else(|p| p.into_inner()),
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                self.cv
                    .wait_timeout(g, left)
                    .unwrap_or_else(|p| p.into_inner())
                    .0
            }
        }
    }

    /// Makes one async request (`submit` hands `done` to an `*_async` call) and waits for
    /// its reply, a cancel or the deadline. When the wait ends first, a reply that comes
    /// later goes to `late` (on the event thread), so a write the waiter no longer wants
    /// can be undone.
    pub(crate) fn call<T: Send + 'static>(
        self: &Arc<Gate>,
        deadline: Option<Instant>,
        submit: impl FnOnce(Callback<T>) -> Result<()>,
        late: Option<Callback<T>>,
    ) -> Result<T> {
        let slot = Arc::new(Mutex::new(Slot::Pending));
        let s = slot.clone();
        let gate = Arc::downgrade(self);
        submit(Box::new(move |r| {
            let mut g = s.lock().unwrap_or_else(|p| p.into_inner());
            match &mut *g {
                Slot::Abandoned(late) => {
                    let late = late.take();
                    drop(g);
                    if let Some(f) = late {
                        f(r);
                    }
                }
                _ => {
                    *g = Slot::Done(r);
                    drop(g);
                    if let Some(gate) = gate.upgrade() {
                        // Not a wake-up: a reply is not news a waiter arms for.
                        let _g = gate.lock();
                        gate.cv.notify_all();
                    }
                }
            }
        }))?;
        let mut g = self.lock();
        loop {
            {
                let mut s = slot.lock().unwrap_or_else(|p| p.into_inner());
                match std::mem::replace(&mut *s, Slot::Pending) {
                    Slot::Done(r) => return r,
                    other => *s = other,
                }
                if let Err(e) = Self::stopped(&mut g, deadline) {
                    *s = Slot::Abandoned(late);
                    return Err(e);
                }
            }
            g = self.park(g, deadline);
        }
    }
}

/// The time left before `deadline` for one request, None (the client's operation timeout)
/// when the wait has no deadline; never zero, which the client reads as "the default".
pub(crate) fn request_timeout(deadline: Option<Instant>) -> Option<Duration> {
    deadline.map(|d| {
        d.saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1))
    })
}

/// Whether a request that failed this way may work if made again: the connection broke
/// (or the request waited for one past its own timeout), or a new session replaced one
/// that ended.
pub(crate) fn retryable(e: Error) -> bool {
    matches!(
        e,
        Error::ConnectionLoss
            | Error::OperationTimeout
            | Error::TimedOut
            | Error::SessionExpired
            | Error::SessionMoved
    )
}

/// Runs `step` until it answers (Some), fails for good, or the wait is cancelled or past
/// its deadline. A step that fails in a way a retry may mend goes round again after a short
/// rest (so a fault that repeats at once does not spin); SESSION_EXPIRED only a few times
/// in a row, since a client told to stay expired answers it for ever.
pub(crate) fn persist<T>(
    gate: &Gate,
    deadline: Option<Instant>,
    mut step: impl FnMut() -> Result<Option<T>>,
) -> Result<T> {
    let mut expired = 0;
    loop {
        gate.check(deadline)?;
        match step() {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => expired = 0,
            Err(Error::SessionExpired) if expired < 3 => {
                expired += 1;
                pause(gate, deadline);
            }
            Err(e) if retryable(e) && e != Error::SessionExpired => pause(gate, deadline),
            Err(e) => return Err(e),
        }
    }
}

fn pause(gate: &Gate, deadline: Option<Instant>) {
    let until = Instant::now() + Duration::from_millis(50);
    let until = deadline.map_or(until, |d| d.min(until));
    let since = gate.wakes();
    gate.wait_quiet(since, Some(until));
}

/// Whether a request that failed this way might still have been applied.
pub(crate) fn outcome_unknown(e: Error) -> bool {
    matches!(
        e,
        Error::ConnectionLoss | Error::OperationTimeout | Error::TimedOut
    )
}

/// Removes a node of ours that a wait left behind: `parent/name` when its name is known,
/// else the child of `parent` whose name starts with `prefix` (a create whose reply was
/// lost). Runs in the background, on the event thread, one async request at a time: a
/// request made while the connection is down waits for the reconnect, and one cut off is
/// made again; it ends when the node is gone, when the session that owned it is gone
/// (SESSION_EXPIRED, CLOSED: the server removes an ephemeral node with its session), or on
/// any other error. `done` gets OK when the node is gone, or the error that stopped it.
/// `client` is a recipe's non-owning handle, moved from one request's callback to the next.
pub(crate) fn remove_node(
    client: Client,
    parent: String,
    prefix: String,
    name: Option<String>,
    done: Option<Box<dyn FnOnce(Result<()>) + Send>>,
) {
    let finish = |done: Option<Box<dyn FnOnce(Result<()>) + Send>>, r: Result<()>| {
        if let Some(d) = done {
            d(r)
        }
    };
    let timeout = Some(client.operation_timeout());
    let what = child(&parent, name.as_deref().unwrap_or(&prefix));
    let next = client.non_owning();
    let started = match name {
        Some(name) => {
            let path = child(&parent, &name);
            let mut done = Some(done);
            client.delete_async(
                &path,
                -1,
                timeout,
                Box::new(move |r| match r {
                    Ok(()) | Err(Error::NoNode) => finish(done.take().flatten(), Ok(())),
                    Err(e) if outcome_unknown(e) => {
                        remove_node(next, parent, prefix, Some(name), done.take().flatten())
                    }
                    Err(Error::SessionExpired) | Err(Error::Closed) => {
                        finish(done.take().flatten(), Ok(()))
                    }
                    Err(e) => finish(done.take().flatten(), Err(e)),
                }),
            )
        }
        None => {
            let p = parent.clone();
            let mut done = Some(done);
            client.get_children_async(
                &p,
                None,
                false,
                timeout,
                Box::new(move |r| {
                    let done = done.take().flatten();
                    match r {
                        Ok((children, _)) => {
                            match children.into_iter().find(|n| n.starts_with(&prefix)) {
                                Some(n) => remove_node(next, parent, prefix, Some(n), done),
                                None => finish(done, Ok(())),
                            }
                        }
                        Err(Error::NoNode) => finish(done, Ok(())),
                        Err(e) if outcome_unknown(e) => {
                            remove_node(next, parent, prefix, None, done)
                        }
                        Err(Error::SessionExpired) | Err(Error::Closed) => finish(done, Ok(())),
                        Err(e) => finish(done, Err(e)),
                    }
                }),
            )
        }
    };
    // The calls above fail at once only on arguments they checked before (paths we made
    // from a checked one), so this is a path the server would refuse too.
    if let Err(e) = started {
        client.log(
            crate::client::LogLevel::Warn,
            format_args!("recipe: cannot remove {what}: {e}"),
        );
    }
}

/// `remove_node`, and waits for it while the client stays connected (one round trip):
/// OK once the node is gone, or at once when the connection is down (the removal goes on
/// in the background); the error that stopped it otherwise.
pub(crate) fn remove_node_now(
    client: &Client,
    parent: &str,
    prefix: &str,
    name: Option<String>,
) -> Result<()> {
    let (tx, rx) = std::sync::mpsc::channel();
    remove_node(
        client.non_owning(),
        parent.to_string(),
        prefix.to_string(),
        name,
        Some(Box::new(move |r| {
            let _ = tx.send(r);
        })),
    );
    loop {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(r) => return r,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if !client.connected() {
                    return Ok(());
                }
            }
        }
    }
}
