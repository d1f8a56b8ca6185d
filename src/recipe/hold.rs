//! What a held recipe (a lock, a semaphore lease, a leadership) knows about itself: its
//! state, the node that holds it and the session that owns that node, kept true by a
//! session listener; and the holder's callback, told of each change the session makes.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use super::gate::{remove_node_now, Gate};
use super::lock::{LockState, StateFn};
use crate::client::{Client, State};
use crate::error::Result;

pub(crate) struct Holding {
    /// A non-owning handle on the recipe's client: what the listener asks.
    client: Client,
    st: Mutex<Hold>,
    on_state: Mutex<Option<StateFn>>,
    /// Woken on every change, so a leader waiting for news hears of it.
    gate: Arc<Gate>,
}

struct Hold {
    state: LockState,
    /// Our node's name (not path) while held.
    node: Option<String>,
    /// The session that owns the node.
    owner: i64,
    /// An acquire of this object is running (a second one waits for it).
    acquiring: bool,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // No user code runs under the recipes' locks, so a poisoned one holds sound state.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What the session says now about a node owned by session `owner`: Held while that
/// session is connected, Suspended while the connection is down, Lost once the session is
/// gone. The client's present state is asked, not an event's, so an event that was queued
/// before we acquired (about an older session) cannot mislead us.
fn judge(c: &Client, owner: i64) -> LockState {
    match c.client_id() {
        Some(id) if id.session_id == owner => LockState::Held,
        Some(_) => LockState::Lost,
        None => match c.state() {
            State::Lost => LockState::Lost,
            _ => LockState::Suspended,
        },
    }
}

impl Holding {
    pub(crate) fn new(client: &Client, gate: Arc<Gate>) -> Arc<Holding> {
        Arc::new(Holding {
            client: client.non_owning(),
            st: Mutex::new(Hold {
                state: LockState::NotHeld,
                node: None,
                owner: 0,
                acquiring: false,
            }),
            on_state: Mutex::new(None),
            gate,
        })
    }

    /// Registers the session listener that keeps the state true; returns its id for
    /// `unlisten`. It holds the recipe weakly (the client holds the listener): a dropped
    /// recipe's listener does nothing.
    pub(crate) fn listen(self: &Arc<Holding>) -> u64 {
        let weak = Arc::downgrade(self);
        self.client.add_listener(Box::new(move |_, _| {
            if let Some(h) = weak.upgrade() {
                h.reconcile();
            }
        }))
    }

    pub(crate) fn unlisten(&self, id: u64) {
        self.client.remove_listener(id);
    }

    pub(crate) fn state(&self) -> LockState {
        lock(&self.st).state
    }

    /// Our node's name while acquired (Held or Suspended).
    pub(crate) fn node(&self) -> Option<String> {
        let st = lock(&self.st);
        match st.state {
            LockState::Held | LockState::Suspended => st.node.clone(),
            _ => None,
        }
    }

    /// Whether we hold it through session `session` (acquired, by a node that session
    /// made).
    pub(crate) fn owned_by(&self, session: i64) -> bool {
        let st = lock(&self.st);
        matches!(st.state, LockState::Held | LockState::Suspended)
            && st.node.is_some()
            && st.owner == session
    }

    pub(crate) fn set_state_callback(&self, f: Option<StateFn>) {
        *lock(&self.on_state) = f;
    }

    /// On every session change: moves an acquired recipe between Held, Suspended and Lost,
    /// and tells the holder.
    fn reconcile(&self) {
        let c = &self.client;
        let now = {
            let mut st = lock(&self.st);
            if !matches!(st.state, LockState::Held | LockState::Suspended) {
                return;
            }
            let now = judge(c, st.owner);
            if now == st.state {
                return;
            }
            st.state = now;
            if now == LockState::Lost {
                st.node = None;
            }
            now
        };
        self.gate.wake();
        let f = lock(&self.on_state).clone();
        if let Some(f) = f {
            f(now);
        }
    }

    /// One acquire: true at once when already acquired; else, after any acquire of the
    /// same object by another thread has ended, `take` contends and answers our node and
    /// its owner (held) or None (not, and not waiting). A cancel pending before it starts
    /// ends it with CANCELLED.
    pub(crate) fn acquire(
        &self,
        deadline: Option<Instant>,
        take: impl FnOnce() -> Result<Option<(String, i64)>>,
    ) -> Result<bool> {
        self.gate.check(deadline)?;
        if self.begin(deadline)? {
            return Ok(true);
        }
        let r = take();
        let got = r.as_ref().ok().and_then(|held| held.clone());
        self.end(got);
        r.map(|held| held.is_some())
    }

    /// Releases: deletes our node under `parent` if acquired (with the connection down,
    /// as soon as it is back); forgets a lost one. Idempotent. An error that leaves the
    /// node there (NOAUTH, ...) leaves it held.
    pub(crate) fn release(&self, parent: &str) -> Result<()> {
        let Some((node, owner)) = self.take() else {
            return Ok(());
        };
        remove_node_now(&self.client, parent, "", Some(node.clone())).inspect_err(|_| {
            self.restore(node, owner);
        })
    }

    /// Starts an acquire: true when already acquired (nothing to do); otherwise this call
    /// is now the one acquiring, after waiting for another thread's acquire of the same
    /// object to end. `end` must follow a false.
    fn begin(&self, deadline: Option<Instant>) -> Result<bool> {
        loop {
            let since = self.gate.wakes();
            {
                let mut st = lock(&self.st);
                if !st.acquiring {
                    if matches!(st.state, LockState::Held | LockState::Suspended) {
                        return Ok(true);
                    }
                    st.acquiring = true;
                    st.state = LockState::NotHeld;
                    st.node = None;
                    return Ok(false);
                }
            }
            self.gate.wait(since, deadline)?;
        }
    }

    /// Ends an acquire: acquired with our node and its owner, or not.
    fn end(&self, got: Option<(String, i64)>) {
        {
            let mut st = lock(&self.st);
            st.acquiring = false;
            if let Some((node, owner)) = got {
                st.state = judge(&self.client, owner);
                st.node = Some(node);
                st.owner = owner;
            }
        }
        self.gate.wake();
    }

    /// Starts a release: the node to delete and its owner when acquired (then NotHeld);
    /// None when there is nothing to delete (not held, or lost: the node went with its
    /// session), also NotHeld.
    fn take(&self) -> Option<(String, i64)> {
        let mut st = lock(&self.st);
        let was = st.state;
        st.state = LockState::NotHeld;
        match was {
            LockState::Held | LockState::Suspended => st.node.take().map(|n| (n, st.owner)),
            _ => None,
        }
    }

    /// Undoes `take` when the node could not be deleted: still ours, still held.
    fn restore(&self, node: String, owner: i64) {
        let mut st = lock(&self.st);
        if st.state == LockState::NotHeld && !st.acquiring {
            st.state = LockState::Held;
            st.node = Some(node);
            st.owner = owner;
        }
    }
}
