//! What the barrier, counter and party recipes share: a recipe's own handle on the client,
//! child paths, the deadline of a blocking call, and the signal that a recipe's watches
//! raise and its waits (and `cancel`) wake.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::client::{check_path, Client, CreateOptions, WatchFn, WatchedEvent};
use crate::error::{Error, Result};

/// The handle a recipe keeps (a `Client::non_owning`), after checking the recipe's path:
/// a recipe borrows nothing, and once the client is closed its calls fail with `Closed`.
pub(crate) fn recipe_client(client: &Client, path: &str) -> Result<Client> {
    check_path(path)?;
    Ok(client.non_owning())
}

/// `parent/name`; the root's children are `/name`.
pub(crate) fn child(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

/// Creates our ephemeral node `parent/name` (and `parent`, if missing) with `data`. The
/// name must be ours alone (it holds a fresh uuid): then a NodeExists is our own node,
/// made by this call's earlier try or an earlier call, and after a lost reply
/// (CONNECTION_LOSS) the node is looked for by its name before anything is sent again, so
/// a lost reply never leaves two nodes.
pub(crate) fn create_own_ephemeral(
    client: &Client,
    parent: &str,
    name: &str,
    data: &[u8],
    d: &Deadline,
) -> Result<()> {
    let node = child(parent, name);
    let eph = CreateOptions {
        ephemeral: true,
        ..Default::default()
    };
    loop {
        match client.create(&node, data, &eph, false, d.left()?) {
            Ok(_) | Err(Error::NodeExists) => return Ok(()),
            Err(Error::NoNode) => client.ensure_path(parent, None, d.left()?)?,
            Err(e) if e.is_retryable() => {
                if client.exists(&node, None, d.left()?)?.is_some() {
                    return Ok(());
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// Deletes `path` (any version): true if this call removed it, false if it was not there.
/// Tried again after a lost reply, and then a NoNode most likely means our delete did it.
pub(crate) fn remove_node(client: &Client, path: &str, d: &Deadline) -> Result<bool> {
    let mut lost_reply = false;
    loop {
        match client.delete(path, -1, false, d.left()?) {
            Ok(()) => return Ok(true),
            Err(Error::NoNode) => return Ok(lost_reply),
            Err(e) if e.is_retryable() => lost_reply = true,
            Err(e) => return Err(e),
        }
    }
}

/// The end of a blocking recipe call: `timeout` from now, the client's operation timeout
/// when None. A timeout too long to add to the clock has no end.
pub(crate) struct Deadline(Option<Instant>);

impl Deadline {
    pub(crate) fn new(client: &Client, timeout: Option<Duration>) -> Deadline {
        let t = timeout.unwrap_or_else(|| client.operation_timeout());
        Deadline(Instant::now().checked_add(t))
    }

    /// The end of a wait (a barrier's, a member's at a double barrier): `timeout` from
    /// now, and none when None, as the lock recipes and kazoo's waits have it. Each
    /// request of the wait still has the client's own timeout.
    pub(crate) fn for_wait(timeout: Option<Duration>) -> Deadline {
        Deadline(timeout.and_then(|t| Instant::now().checked_add(t)))
    }

    /// The timeout for the next request: what is left (`TimedOut` once nothing is), or
    /// None (the client's own timeout per request) when there is no end.
    pub(crate) fn left(&self) -> Result<Option<Duration>> {
        match self.0 {
            None => Ok(None),
            Some(at) => match at.checked_duration_since(Instant::now()) {
                Some(d) if !d.is_zero() => Ok(Some(d)),
                _ => Err(Error::TimedOut),
            },
        }
    }
}

/// Counts the events of a recipe's watches and the calls of its `cancel`, and wakes the
/// recipe's waiting calls on each. A call takes `begin()` when it starts: a cancel after
/// that ends it with `Cancelled`. Cancel is sticky, as the lock recipes' (`gate.rs`): a
/// cancel that no call has seen ends the next call to begin, so a cancel that races the
/// start of a wait is not lost; `clear_cancel` forgets it (for a binding that cancels a
/// wait of its own and may do so just after the wait ended).
pub(crate) struct Signal {
    state: Mutex<SignalState>,
    cv: Condvar,
}

struct SignalState {
    counts: Counts,
    /// A cancel that no call has ended with yet.
    unseen_cancel: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) events: u64,
    pub(crate) cancels: u64,
}

impl Signal {
    pub(crate) fn new() -> Arc<Signal> {
        Arc::new(Signal {
            state: Mutex::new(SignalState {
                counts: Counts {
                    events: 0,
                    cancels: 0,
                },
                unseen_cancel: false,
            }),
            cv: Condvar::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, SignalState> {
        // The counts stay consistent even if a holder panicked: take them back.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The counts now: a call reads the event count before it sets a watch.
    pub(crate) fn mark(&self) -> Counts {
        self.lock().counts
    }

    /// The mark of a call that starts now; already cancelled if a cancel is unseen.
    pub(crate) fn begin(&self) -> Counts {
        let g = self.lock();
        let mut m = g.counts;
        if g.unseen_cancel {
            m.cancels = m.cancels.wrapping_sub(1);
        }
        m
    }

    /// A one-shot watch that counts its event (any event: a change, a deletion, or the end
    /// of the session all mean "look again").
    pub(crate) fn watch(self: &Arc<Self>) -> WatchFn {
        self.watch_with(|_| {})
    }

    /// `watch`, running `seen` on the event first (on the event thread), for a caller that
    /// must know what happened, not only that something did.
    pub(crate) fn watch_with(
        self: &Arc<Self>,
        seen: impl FnOnce(&WatchedEvent) + Send + 'static,
    ) -> WatchFn {
        let s = Arc::clone(self);
        Box::new(move |ev| {
            seen(&ev);
            s.notify();
        })
    }

    /// Counts an event that is not a watch's (a recipe's own change of state) and wakes
    /// the waiting calls, as a watch's event does.
    pub(crate) fn notify(&self) {
        self.lock().counts.events += 1;
        self.cv.notify_all();
    }

    /// Ends the calls waiting now with `Cancelled`, or, with none, the next one to begin.
    pub(crate) fn cancel(&self) {
        let mut g = self.lock();
        g.counts.cancels += 1;
        g.unseen_cancel = true;
        self.cv.notify_all();
    }

    /// Forgets a cancel that no call has ended with.
    pub(crate) fn clear_cancel(&self) {
        self.lock().unseen_cancel = false;
    }

    /// `Cancelled` (and the cancel seen) if the call that took `mark` was cancelled.
    fn cancelled(g: &mut SignalState, mark: &Counts) -> Result<()> {
        if g.counts.cancels != mark.cancels {
            g.unseen_cancel = false;
            return Err(Error::Cancelled);
        }
        Ok(())
    }

    /// `Cancelled` if the call that took `mark` was cancelled since.
    pub(crate) fn check(&self, mark: &Counts) -> Result<()> {
        Self::cancelled(&mut self.lock(), mark)
    }

    /// Waits for a watch event after `seen` (an event count read before the watch was
    /// set). `TimedOut` at the deadline, `Cancelled` when the call that took `mark` is
    /// cancelled.
    pub(crate) fn wait(&self, seen: u64, mark: &Counts, deadline: &Deadline) -> Result<()> {
        let mut g = self.lock();
        loop {
            Self::cancelled(&mut g, mark)?;
            if g.counts.events != seen {
                return Ok(());
            }
            g = match deadline.left()? {
                None => self.cv.wait(g).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    self.cv
                        .wait_timeout(g, d)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_of_the_root_have_one_slash() {
        assert_eq!(child("/", "a"), "/a");
        assert_eq!(child("/p/q", "a"), "/p/q/a");
    }

    #[test]
    fn a_cancel_ends_the_calls_in_progress_or_else_the_next_one() {
        let s = Signal::new();
        let forever = Deadline(None);
        let (a, b) = (s.begin(), s.begin());
        s.cancel();
        // Every call in progress ends.
        assert_eq!(s.wait(0, &a, &forever), Err(Error::Cancelled));
        assert_eq!(s.check(&b), Err(Error::Cancelled));
        // Seen: the next call is not cancelled.
        let after = s.begin();
        assert_eq!(s.check(&after), Ok(()));
        // A watch event wakes it.
        (s.watch())(crate::client::WatchedEvent {
            event_type: crate::client::EventType::NodeDeleted,
            keeper_state: crate::client::KeeperState::Connected,
            path: "/x".into(),
            zxid: -1,
        });
        assert_eq!(s.wait(0, &after, &forever), Ok(()));
        // A cancel with no call in progress ends the next call to begin, once.
        s.cancel();
        let next = s.begin();
        assert_eq!(s.check(&next), Err(Error::Cancelled));
        assert_eq!(s.check(&s.begin()), Ok(()));
        // Unless it is cleared first.
        s.cancel();
        s.clear_cancel();
        assert_eq!(s.check(&s.begin()), Ok(()));
    }

    #[test]
    fn a_wait_ends_at_its_deadline() {
        let s = Signal::new();
        let d = Deadline(Some(Instant::now() + Duration::from_millis(50)));
        let t = Instant::now();
        assert_eq!(s.wait(0, &s.begin(), &d), Err(Error::TimedOut));
        assert!(t.elapsed() >= Duration::from_millis(50));
        assert_eq!(Deadline(None).left(), Ok(None));
    }
}
