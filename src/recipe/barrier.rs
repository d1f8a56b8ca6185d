//! Barrier and DoubleBarrier, on kazoo's znodes. A Barrier is up while its node exists;
//! waiters block until it is removed. A DoubleBarrier holds its members at `enter` until
//! `num_clients` have entered and at `leave` until all have left: each member is an
//! ephemeral `<path>/<uuid4 hex>` holding its identifier, and the member that completes the
//! set creates `<path>/ready` (the shape of Curator's DistributedDoubleBarrier too).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::common::{
    child, create_own_ephemeral, recipe_client, remove_node, Counts, Deadline, Signal,
};
use super::ids::{host_pid, uuid4_hex};
use crate::client::{Client, CreateOptions, EventType};
use crate::error::{Error, Result};

/// A barrier: up while the node at its path exists (kazoo's and Curator's
/// DistributedBarrier). Thread-safe.
pub struct Barrier {
    client: Client,
    path: String,
    signal: Arc<Signal>,
    /// The watch our last `wait` left set, if it may still be: the event count before it
    /// was set, and whether the node existed then. Reused by the next `wait`, so a loop of
    /// timed waits sets one watch, not one per call.
    armed: Mutex<Option<(u64, bool)>>,
}

impl Barrier {
    /// A barrier at `path` (`InvalidPath` if the server would refuse it). Nothing is sent.
    pub fn new(client: &Client, path: &str) -> Result<Barrier> {
        Ok(Barrier {
            client: recipe_client(client, path)?,
            path: path.to_string(),
            signal: Signal::new(),
            armed: Mutex::new(None),
        })
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// Puts the barrier up: creates its node, and missing parents, unless it exists.
    pub fn create(&self, timeout: Option<Duration>) -> Result<()> {
        let d = Deadline::new(&self.client, timeout);
        self.client.ensure_path(&self.path, None, d.left()?)
    }

    /// Takes the barrier down: true if this call deleted the node, false if it was not
    /// there. `NotEmpty` if the node has children (the barrier stays up).
    pub fn remove(&self, timeout: Option<Duration>) -> Result<bool> {
        let d = Deadline::new(&self.client, timeout);
        remove_node(&self.client, &self.path, &d)
    }

    /// Waits until the barrier is down (its node does not exist), which may be at once.
    /// `TimedOut` if it is still up after `timeout` (None: no limit, as kazoo's; zero: one
    /// look), `Cancelled` when `cancel` is called meanwhile (or was, before this call).
    pub fn wait(&self, timeout: Option<Duration>) -> Result<()> {
        let mark = self.signal.begin();
        if timeout == Some(Duration::ZERO) {
            self.signal.check(&mark)?;
            return match self.client.exists(&self.path, None, None)? {
                None => Ok(()),
                Some(_) => Err(Error::TimedOut),
            };
        }
        let d = Deadline::for_wait(timeout);
        loop {
            self.signal.check(&mark)?;
            let events = self.signal.mark().events;
            let armed = *self.armed.lock().unwrap_or_else(|e| e.into_inner());
            match armed {
                // Our watch on the node is still set: it fires when the node goes.
                Some((seen, true)) if seen == events => {
                    self.signal.wait(seen, &mark, &d)?;
                    continue;
                }
                // Our watch saw no node and has not fired: the barrier is down unless it
                // was just created (and the event is on its way); look without a watch.
                Some((seen, false)) if seen == events => {
                    if self.client.exists(&self.path, None, d.left()?)?.is_none() {
                        return Ok(());
                    }
                    // Up again: wait for the event of our watch, then set one for removal.
                    self.signal.wait(seen, &mark, &d)?;
                    continue;
                }
                _ => {}
            }
            let exists = self
                .client
                .exists(&self.path, Some(self.signal.watch()), d.left()?)?;
            *self.armed.lock().unwrap_or_else(|e| e.into_inner()) =
                Some((events, exists.is_some()));
            if exists.is_none() {
                return Ok(());
            }
            self.signal.wait(events, &mark, &d)?;
        }
    }

    /// Ends the `wait` calls in progress on this barrier (on any thread) with `Cancelled`;
    /// with none in progress, the next one.
    pub fn cancel(&self) {
        self.signal.cancel();
    }

    /// Forgets a `cancel` that no wait has ended with.
    pub fn clear_cancel(&self) {
        self.signal.clear_cancel();
    }
}

/// A double barrier (kazoo's DoubleBarrier): `enter` blocks until `num_clients` members
/// have entered, `leave` until every member has left. Thread-safe; one member per value.
/// Dropping a member that has entered and not left removes its node, without waiting for
/// the others (they are then not held by a member that is gone).
pub struct DoubleBarrier {
    client: Client,
    path: String,
    num_clients: usize,
    identifier: String,
    /// Our member node's name, `<uuid4 hex>`: fixed for the life of the value, so a create
    /// whose reply was lost is found again, never made twice.
    node: String,
    signal: Arc<Signal>,
    participating: AtomicBool,
}

/// The name of the node the member that completes the set creates.
const READY: &str = "ready";

impl DoubleBarrier {
    /// A member of the double barrier at `path` that opens once `num_clients` (at least 1)
    /// have entered. `identifier` is our node's data; None gives kazoo's default,
    /// `<host name>-<pid>`. Nothing is sent.
    pub fn new(
        client: &Client,
        path: &str,
        num_clients: usize,
        identifier: Option<&str>,
    ) -> Result<DoubleBarrier> {
        if num_clients == 0 || num_clients > i32::MAX as usize {
            return Err(Error::InvalidArgument);
        }
        let client = recipe_client(client, path)?;
        let identifier = match identifier {
            Some(s) => s.to_string(),
            None => host_pid(),
        };
        Ok(DoubleBarrier {
            client,
            path: path.to_string(),
            num_clients,
            identifier,
            node: uuid4_hex()?,
            signal: Signal::new(),
            participating: AtomicBool::new(false),
        })
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// Our member node's path, `<path>/<uuid4 hex>`.
    pub fn node_path(&self) -> String {
        child(&self.path, &self.node)
    }

    pub fn identifier(&self) -> &str {
        &self.identifier
    }

    /// True between an `enter` that returned Ok and the next `leave`.
    pub fn participating(&self) -> bool {
        self.participating.load(Ordering::SeqCst)
    }

    /// Enters: adds our member node (and the path, if missing), then waits until
    /// `num_clients` members are in (`<path>/ready` exists), for at most `timeout` (None:
    /// no limit, as kazoo's). On any error, the deadline (`TimedOut`) or a `cancel`
    /// (`Cancelled`) included, our node is removed again before the call returns, so a
    /// member that gave up is not counted.
    pub fn enter(&self, timeout: Option<Duration>) -> Result<()> {
        let d = Deadline::for_wait(timeout);
        let mark = self.signal.begin();
        let r = self.enter_until(&d, &mark);
        match r {
            Ok(()) => self.participating.store(true, Ordering::SeqCst),
            Err(_) => self.abandon(),
        }
        r
    }

    fn enter_until(&self, d: &Deadline, mark: &Counts) -> Result<()> {
        create_own_ephemeral(
            &self.client,
            &self.path,
            &self.node,
            self.identifier.as_bytes(),
            d,
        )?;
        let ready = child(&self.path, READY);
        // Set by our watch when `ready` is created: that is the barrier opening, even if a
        // fast member has deleted it again (by leaving) before we look.
        let opened = Arc::new(AtomicBool::new(false));
        loop {
            self.signal.check(mark)?;
            if opened.load(Ordering::SeqCst) {
                return Ok(());
            }
            // The watch goes on first, so a `ready` made after the count still wakes us.
            let seen = self.signal.mark().events;
            let o = Arc::clone(&opened);
            let watch = self.signal.watch_with(move |ev| {
                if ev.event_type == EventType::NodeCreated {
                    o.store(true, Ordering::SeqCst);
                }
            });
            if self
                .client
                .exists(&ready, Some(watch), d.left()?)?
                .is_some()
            {
                return Ok(());
            }
            let (children, _) = self
                .client
                .get_children(&self.path, None, false, d.left()?)?;
            if children.iter().filter(|c| *c != READY).count() >= self.num_clients {
                return match self.client.create(
                    &ready,
                    &[],
                    &CreateOptions::default(),
                    false,
                    d.left()?,
                ) {
                    Ok(_) | Err(Error::NodeExists) => Ok(()),
                    Err(e) => Err(e),
                };
            }
            self.signal.wait(seen, mark, d)?;
        }
    }

    /// Leaves: removes `<path>/ready` and our node, then waits until every member has
    /// left. As kazoo's: the lowest member (by name) waits for the highest to go; the
    /// others remove themselves and wait for the lowest. At most `timeout` (None: no
    /// limit). On any error, the deadline or a `cancel` included, our node is removed
    /// before the call returns.
    pub fn leave(&self, timeout: Option<Duration>) -> Result<()> {
        let d = Deadline::for_wait(timeout);
        let mark = self.signal.begin();
        let r = self.leave_until(&d, &mark);
        if r.is_err() {
            self.abandon();
        }
        self.participating.store(false, Ordering::SeqCst);
        r
    }

    fn leave_until(&self, d: &Deadline, mark: &Counts) -> Result<()> {
        match self
            .client
            .delete(&child(&self.path, READY), -1, false, d.left()?)
        {
            Ok(()) | Err(Error::NoNode) => {}
            Err(e) => return Err(e),
        }
        loop {
            self.signal.check(mark)?;
            let mut members = match self.client.get_children(&self.path, None, false, d.left()?) {
                Ok((c, _)) => c,
                Err(Error::NoNode) => return Ok(()),
                Err(e) => return Err(e),
            };
            members.retain(|c| c != READY);
            members.sort();
            let (Some(lowest), Some(highest)) = (members.first(), members.last()) else {
                return Ok(());
            };
            if members.len() == 1 && *lowest == self.node {
                return self.delete_own(d);
            }
            let seen = self.signal.mark().events;
            let watched = if *lowest == self.node {
                highest
            } else {
                self.delete_own(d)?;
                lowest
            };
            let watch = Some(self.signal.watch());
            if self
                .client
                .exists(&child(&self.path, watched), watch, d.left()?)?
                .is_some()
            {
                self.signal.wait(seen, mark, d)?;
            }
        }
    }

    fn delete_own(&self, d: &Deadline) -> Result<()> {
        remove_node(&self.client, &self.node_path(), d).map(|_| ())
    }

    /// Removes our node after a failed enter or leave, with the client's own timeout (the
    /// call's deadline may be what failed). Best effort: the session's end removes it too.
    fn abandon(&self) {
        let _ = self.client.delete(&self.node_path(), -1, false, None);
        self.participating.store(false, Ordering::SeqCst);
    }

    /// Ends the `enter` and `leave` calls in progress on this member (on any thread) with
    /// `Cancelled` (they remove our node first); with none in progress, the next one.
    pub fn cancel(&self) {
        self.signal.cancel();
    }

    /// Forgets a `cancel` that no call has ended with.
    pub fn clear_cancel(&self) {
        self.signal.clear_cancel();
    }
}

impl Drop for DoubleBarrier {
    fn drop(&mut self) {
        if self.participating() {
            self.abandon();
        }
    }
}
