//! Election: kazoo's (a Lock on the path, the holder leads, `contenders()` the identifiers
//! in order), or, with `Layout::Curator`, Curator's LeaderLatch names
//! (`_c_<uuid>-latch-<seq>`, data = the id). The leader is told when the session falters,
//! as a lock's holder is, and can be told to stop.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::lock::{Core, Layout, LockState, Role, StateFn};
use crate::client::Client;
use crate::error::{Error, Result};

/// How an election is joined.
#[derive(Debug, Clone, Default)]
pub struct ElectionOptions {
    /// Our node's data, which `contenders()` lists: kazoo's `identifier`, Curator's id.
    pub identifier: String,
    pub layout: Layout,
}

/// A contender in the election on a path. Share it between threads: one runs, another may
/// cancel.
pub struct Election {
    core: Core,
    listener: u64,
    /// A leader was asked to stop (`cancel` while leading).
    stop: AtomicBool,
}

/// What the leader function is handed: how its leadership stands.
pub struct Leadership<'a> {
    e: &'a Election,
}

impl Leadership<'_> {
    /// Held: still the leader, session connected; Suspended: the connection is down and
    /// leadership may be lost without our hearing of it; Lost: no longer the leader.
    pub fn state(&self) -> LockState {
        self.e.state()
    }

    /// Whether we lead and can rely on it now (Held).
    pub fn is_leader(&self) -> bool {
        self.state() == LockState::Held
    }

    /// Whether the leader function should return: `cancel` was called, or leadership is
    /// lost.
    pub fn should_stop(&self) -> bool {
        self.e.should_stop()
    }

    /// Waits until the leader should stop, the state changes, or `timeout` (None: no
    /// limit) passes; returns `should_stop()`.
    pub fn wait(&self, timeout: Option<Duration>) -> bool {
        self.e.wait(timeout)
    }
}

impl Election {
    /// Joins nothing yet: `run` (or `campaign`) does.
    pub fn new(client: &Client, path: &str, opts: ElectionOptions) -> Result<Election> {
        let core = Core::new(client, path, Role::Leader, opts.layout, &opts.identifier)?;
        let listener = core.hold.listen();
        Ok(Election {
            core,
            listener,
            stop: AtomicBool::new(false),
        })
    }

    /// Waits to be elected (at most `timeout`; None: for ever), then runs `lead` as the
    /// leader and resigns when it returns; returns what `lead` returned. TIMED_OUT or
    /// CANCELLED if never elected. `lead` should return when `should_stop()` (see
    /// `Leadership`); leadership is not taken from it otherwise.
    pub fn run<R>(
        &self,
        timeout: Option<Duration>,
        lead: impl FnOnce(&Leadership<'_>) -> R,
    ) -> Result<R> {
        self.campaign(timeout)?;
        let out = lead(&Leadership { e: self });
        let _ = self.resign();
        Ok(out)
    }

    /// Waits to be elected, as `run` does, and returns leading: for bindings whose leader
    /// code runs between this and `resign`. OK at once if already leading. A zero timeout
    /// is one look.
    pub fn campaign(&self, timeout: Option<Duration>) -> Result<()> {
        let r = if timeout == Some(Duration::ZERO) {
            // One look, as a lock's zero timeout.
            let deadline = Instant::now() + self.core.client.operation_timeout();
            match self.core.acquire(Some(deadline), false) {
                Ok(true) => Ok(()),
                Ok(false) => Err(Error::TimedOut),
                Err(e) => Err(e),
            }
        } else {
            let deadline = timeout.map(|t| Instant::now() + t);
            self.core.acquire(deadline, true).map(|_| ())
        };
        if r.is_err() {
            self.stop.store(false, Ordering::SeqCst);
        }
        r
    }

    /// Stops leading (or forgets a lost leadership), and forgets a cancel; idempotent.
    pub fn resign(&self) -> Result<()> {
        let r = self.core.release();
        self.stop.store(false, Ordering::SeqCst);
        self.core.gate.clear_cancel();
        r
    }

    /// Ends a wait to be elected with CANCELLED (or, with none running, the next one), and
    /// tells a leader to stop (`Leadership::should_stop`) until it resigns. Any thread.
    pub fn cancel(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.core.gate.cancel();
    }

    /// Forgets a cancel that no wait has consumed, and a stop request
    /// (`Lock::clear_cancel`).
    pub fn clear_cancel(&self) {
        self.stop.store(false, Ordering::SeqCst);
        self.core.gate.clear_cancel();
    }

    /// Whether a leader should stop: `cancel` was called, or leadership is lost
    /// (`Leadership::should_stop`, for bindings whose leader code runs after `campaign`).
    pub fn should_stop(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || self.state() == LockState::Lost
    }

    /// Waits until the leader should stop, the state changes, or `timeout` (None: no
    /// limit) passes; returns `should_stop()` (`Leadership::wait`).
    pub fn wait(&self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.map(|t| Instant::now() + t);
        let since = self.core.gate.wakes();
        if !self.should_stop() {
            self.core.gate.wait_quiet(since, deadline);
        }
        self.should_stop()
    }

    /// Held while we lead; Suspended, Lost as a lock's; NotHeld otherwise.
    pub fn state(&self) -> LockState {
        self.core.hold.state()
    }

    /// Sets (or clears) the function told of what the session does to our leadership:
    /// Suspended (may no longer be leader), Held again, Lost (no longer leader).
    pub fn set_state_callback(&self, f: Option<StateFn>) {
        self.core.hold.set_state_callback(f);
    }

    /// The identifiers of the contenders, the leader first.
    pub fn contenders(&self) -> Result<Vec<String>> {
        self.core.contenders()
    }

    pub fn path(&self) -> &str {
        &self.core.path
    }
}

impl Drop for Election {
    fn drop(&mut self) {
        let _ = self.core.release();
        self.core.hold.unlisten(self.listener);
    }
}
