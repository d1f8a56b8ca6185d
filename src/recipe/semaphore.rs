//! Semaphore on kazoo's znodes: `<path>` holds `str(max_leases)`, checked on every
//! acquire; each lease is `<path>/<uuid4 hex>`, EPHEMERAL, data = the identifier; taking a
//! lease is serialized by a kazoo Lock on the sibling `<path>-__lock__`, whose holder alone
//! watches the leases (no herd). Deadline, cancel and session rules as the lock's.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::common::child;
use super::gate::{outcome_unknown, persist, remove_node, remove_node_now, request_timeout};
use super::hold::Holding;
use super::ids;
use super::lock::{Core, Layout, LockState, Role, StateFn};
use crate::client::async_ops::Callback;
use crate::client::{Client, CreateOptions, Created};
use crate::error::{Error, Result};

/// How a semaphore is made.
#[derive(Debug, Clone)]
pub struct SemaphoreOptions {
    /// Each lease's data, which `lease_holders()` lists.
    pub identifier: String,
    /// How many leases at once. Every user of the path must say the same number: the
    /// node records it, and a different one is MISMATCH.
    pub max_leases: u32,
}

impl Default for SemaphoreOptions {
    fn default() -> Self {
        SemaphoreOptions {
            identifier: String::new(),
            max_leases: 1,
        }
    }
}

/// What a look at the leases found.
enum Look {
    /// Our lease, made by the session with this id.
    Got(i64),
    /// None free, and the caller would not wait.
    Busy,
    /// The lock that serializes the leases is no longer ours: take it again.
    Relock,
}

/// A lease of at most `max_leases` at once on a path. Share it between threads: one
/// acquires, another may cancel. Dropping a held lease releases it.
pub struct Semaphore {
    /// The lock that serializes taking a lease; its gate (cancel, deadline) is ours too.
    lock: Core,
    /// The lease: its node, its state.
    hold: Arc<Holding>,
    path: String,
    data: Vec<u8>,
    max: u32,
    listener: u64,
}

impl Semaphore {
    pub fn new(client: &Client, path: &str, opts: SemaphoreOptions) -> Result<Semaphore> {
        if opts.max_leases == 0 {
            return Err(Error::InvalidArgument);
        }
        if path == "/" {
            // Every child of the root would count as a lease.
            return Err(Error::InvalidPath);
        }
        let lock = Core::new(
            client,
            &format!("{path}-__lock__"),
            Role::Exclusive,
            Layout::Kazoo,
            &opts.identifier,
        )?;
        let hold = Holding::new(&lock.client, lock.gate.clone());
        let listener = hold.listen();
        Ok(Semaphore {
            lock,
            hold,
            path: path.to_string(),
            data: opts.identifier.into_bytes(),
            max: opts.max_leases,
            listener,
        })
    }

    /// Takes a lease, waiting at most `timeout` (None: for ever). TIMED_OUT, CANCELLED as
    /// a lock's acquire, with no lease left behind; MISMATCH when the path records another
    /// max_leases. OK at once if we hold a lease. A zero timeout is one look.
    pub fn acquire(&self, timeout: Option<Duration>) -> Result<()> {
        if timeout == Some(Duration::ZERO) {
            return match self.try_acquire()? {
                true => Ok(()),
                false => Err(Error::TimedOut),
            };
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        self.take(deadline, true).map(|_| ())
    }

    /// Takes a lease if one is free now; false otherwise. Bounded by the client's
    /// operation timeout.
    pub fn try_acquire(&self) -> Result<bool> {
        let deadline = Instant::now() + self.lock.client.operation_timeout();
        self.take(Some(deadline), false)
    }

    fn take(&self, deadline: Option<Instant>, blocking: bool) -> Result<bool> {
        self.hold.acquire(deadline, || {
            self.lease(&self.lock.client, deadline, blocking)
        })
    }

    /// Checks the recorded max_leases, takes the lock, and makes our lease once fewer than
    /// max_leases exist, waiting on the leases' children watch while holding the lock.
    fn lease(
        &self,
        c: &Client,
        deadline: Option<Instant>,
        blocking: bool,
    ) -> Result<Option<(String, i64)>> {
        persist(&self.lock.gate, deadline, || {
            self.check_max(c, deadline).map(Some)
        })?;
        let name = ids::uuid4_hex()?;
        let mut unsure = false;
        let r = loop {
            match self.lock.acquire(deadline, blocking) {
                Ok(true) => {}
                Ok(false) => break Ok(Look::Busy),
                Err(e) => break Err(e),
            }
            let r = persist(&self.lock.gate, deadline, || {
                self.step(c, &name, &mut unsure, deadline, blocking)
            });
            // Best effort: an error here leaves the lock's node to its session's end.
            let _ = self.lock.release();
            match r {
                Ok(Look::Relock) => continue,
                other => break other,
            }
        };
        match r {
            Ok(Look::Got(owner)) => Ok(Some((name, owner))),
            other => {
                if unsure {
                    let _ = remove_node_now(&self.lock.client, &self.path, "", Some(name));
                }
                other.map(|_| None)
            }
        }
    }

    /// Makes `<path>` recording max_leases, or checks what it records: a number other than
    /// ours is MISMATCH; data that is not a number (a node made by another recipe, or
    /// by kazoo between its create and its set) is left alone, as kazoo leaves it.
    fn check_max(&self, c: &Client, deadline: Option<Instant>) -> Result<()> {
        let t = request_timeout(deadline);
        let opts = CreateOptions {
            makepath: true,
            ..Default::default()
        };
        match c.create(&self.path, self.max.to_string().as_bytes(), &opts, false, t) {
            Ok(_) => return Ok(()),
            Err(Error::NodeExists) => {}
            Err(e) => return Err(e),
        }
        let (data, _) = c.get(&self.path, None, t)?;
        match std::str::from_utf8(&data)
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
        {
            Some(n) if n != i64::from(self.max) => Err(Error::Mismatch),
            _ => Ok(()),
        }
    }

    /// Whether the lock that lets us take a lease is still ours: the session that made its
    /// node is the client's. After an expiry it is not (the node went with the session),
    /// and another process may be taking a lease: take the lock again before counting.
    /// Unknown while disconnected: CONNECTION_LOSS, to look again.
    fn lock_still_ours(&self, c: &Client) -> Result<bool> {
        match c.client_id() {
            Some(id) => Ok(self.lock.hold.owned_by(id.session_id)),
            None => Err(Error::ConnectionLoss),
        }
    }

    /// One look at the leases, holding the lock: our lease (Got), none free and not
    /// blocking (Busy), the lock lost (Relock), or None to look again (after waiting for a
    /// change when blocking).
    fn step(
        &self,
        c: &Client,
        name: &str,
        unsure: &mut bool,
        deadline: Option<Instant>,
        blocking: bool,
    ) -> Result<Option<Look>> {
        let gate = &self.lock.gate;
        let t = || request_timeout(deadline);
        if !self.lock_still_ours(c)? {
            return Ok(Some(Look::Relock));
        }
        let since = gate.wakes();
        let waker = gate.waker();
        let (children, _) = gate.call(
            deadline,
            |d| c.get_children_async(&self.path, Some(waker), false, t(), d),
            None,
        )?;
        if children.iter().any(|n| n == name) {
            // Ours, made by a create whose reply was lost.
            let path = child(&self.path, name);
            return match gate.call(deadline, |d| c.exists_async(&path, None, t(), d), None)? {
                Some(st) => Ok(Some(Look::Got(st.ephemeral_owner))),
                None => Ok(None),
            };
        }
        if children.len() < self.max as usize {
            // The count was read under the lock; it still counts only if the lock is
            // still ours (the read may have waited across an expiry).
            if !self.lock_still_ours(c)? {
                return Ok(Some(Look::Relock));
            }
            let path = child(&self.path, name);
            let opts = CreateOptions {
                ephemeral: true,
                ..Default::default()
            };
            *unsure = true;
            let (client, parent, n) = (
                self.lock.client.non_owning(),
                self.path.clone(),
                name.to_string(),
            );
            let late: Callback<Created> = Box::new(move |r| match r {
                Ok(_) => remove_node(client, parent, String::new(), Some(n), None),
                Err(e) if outcome_unknown(e) => {
                    remove_node(client, parent, String::new(), Some(n), None)
                }
                Err(_) => {}
            });
            return match gate.call(
                deadline,
                |d| c.create_async(&path, &self.data, &opts, true, t(), d),
                Some(late),
            ) {
                Ok(created) => Ok(Some(Look::Got(
                    created.stat.map_or(0, |s| s.ephemeral_owner),
                ))),
                // Ours: a create whose reply was lost was made again.
                Err(Error::NodeExists) => Ok(None),
                Err(e) => {
                    *unsure = outcome_unknown(e) || e == Error::Cancelled;
                    Err(e)
                }
            };
        }
        if !blocking {
            return Ok(Some(Look::Busy));
        }
        gate.wait(since, deadline)?;
        Ok(None)
    }

    /// Releases our lease (deletes its node); forgets a lost one. Idempotent.
    pub fn release(&self) -> Result<()> {
        self.hold.release(&self.path)
    }

    /// Ends an acquire in progress with CANCELLED (or, with none running, the next one).
    /// Any thread.
    pub fn cancel(&self) {
        self.lock.gate.cancel();
    }

    /// Forgets a cancel that no acquire has consumed (`Lock::clear_cancel`).
    pub fn clear_cancel(&self) {
        self.lock.gate.clear_cancel();
    }

    /// The lease's state: Held, Suspended, Lost as a lock's; NotHeld without a lease.
    pub fn state(&self) -> LockState {
        self.hold.state()
    }

    pub fn is_held(&self) -> bool {
        self.state() == LockState::Held
    }

    /// Our lease's node while held.
    pub fn node(&self) -> Option<String> {
        self.hold.node().map(|n| child(&self.path, &n))
    }

    pub fn set_state_callback(&self, f: Option<StateFn>) {
        self.hold.set_state_callback(f);
    }

    pub fn max_leases(&self) -> u32 {
        self.max
    }

    /// The identifiers of the lease holders, in no order (kazoo's `lease_holders`).
    pub fn lease_holders(&self) -> Result<Vec<String>> {
        let c = &self.lock.client;
        let children = match c.get_children(&self.path, None, false, None) {
            Ok((ch, _)) => ch,
            Err(Error::NoNode) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        for n in children {
            match c.get(&child(&self.path, &n), None, None) {
                Ok((data, _)) => out.push(String::from_utf8_lossy(&data).into_owned()),
                Err(Error::NoNode) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}

impl Drop for Semaphore {
    fn drop(&mut self) {
        let _ = self.release();
        self.hold.unlisten(self.listener);
    }
}
