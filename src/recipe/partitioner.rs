//! SetPartitioner: kazoo's division of a set of items among the members of a party, on
//! kazoo's znodes, so that our members and kazoo's divide one set together. Each member is
//! a shallow party member at `<path>/party`; once the party has not changed for the time
//! boundary, each computes its share (by default kazoo's `sorted(items)[i::n]`, `i` its
//! place among the sorted identifiers) and takes a Lock at `<path>/locks/<item>` for each
//! item of it. A thread of the partitioner's own allocates; the party's watch and the
//! session listener move the state on; the caller releases. docs/recipes.md says how.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::common::{child, recipe_client, Deadline, Signal};
use super::gate::{persist, request_timeout, Gate};
use super::ids::host_pid;
use super::lock::{Lock, LockOptions};
use super::party::{shallow_identifier, Party};
use crate::client::{check_path, Client, EventType, State, WatchedEvent};
use crate::error::{Error, Result};

/// Where a partitioner is (kazoo's PartitionState).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartitionState {
    /// Waiting for the party to settle, then taking the locks of our share.
    Allocating = 0,
    /// Our share is ours: every lock of it is held (the items call lists it).
    Acquired = 1,
    /// The party or the connection changed: stop working on the share and call
    /// release_set, which releases it and allocates again.
    Release = 2,
    /// Final: the session ended, a request failed, or finish was called. Make a new
    /// partitioner to take part again.
    Failure = 3,
}

/// A partition function: given our identifier, the members' identifiers (in the order of
/// their node names) and the items (sorted, without duplicates), the items that are ours.
/// Every member must compute the same split, or two of them wait for one lock.
pub type PartitionFn = Arc<dyn Fn(&str, &[String], &[String]) -> Vec<String> + Send + Sync>;

/// Told of every change of a partitioner's state, on the thread that made it (the
/// client's event thread for the party's and the session's changes, the partitioner's own
/// thread for Acquired, the caller's for `release_set` and `finish`).
pub type PartitionStateFn = Arc<dyn Fn(PartitionState) + Send + Sync>;

/// How a partitioner is made (kazoo's SetPartitioner arguments).
#[derive(Clone)]
pub struct PartitionerOptions {
    /// Our identifier in the party: part of our party node's name, so no '/'. kazoo's
    /// default is `<fqdn>-<pid>`; ours (None or empty, as kazoo takes an empty one)
    /// `<host name>-<pid>`. Members must have different identifiers.
    pub identifier: Option<String>,
    /// How long the party must stay unchanged before we allocate (kazoo's
    /// `time_boundary`, 30 s).
    pub time_boundary: Duration,
    /// The longest a lock is waited for before we look whether the party changed, and wait
    /// again (kazoo's `max_reaction_time`, 1 s).
    pub max_reaction_time: Duration,
    /// Our share of the items; kazoo's split (`default_partition`) when None.
    pub partition_func: Option<PartitionFn>,
}

impl Default for PartitionerOptions {
    fn default() -> Self {
        PartitionerOptions {
            identifier: None,
            time_boundary: Duration::from_secs(30),
            max_reaction_time: Duration::from_secs(1),
            partition_func: None,
        }
    }
}

impl std::fmt::Debug for PartitionerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartitionerOptions")
            .field("identifier", &self.identifier)
            .field("time_boundary", &self.time_boundary)
            .field("max_reaction_time", &self.max_reaction_time)
            .field("partition_func", &self.partition_func.is_some())
            .finish()
    }
}

/// kazoo's split: the sorted items from our place among the sorted members, every n-th
/// (Python's `sorted(items)[i::n]`). Strings sort by code point in Python and by UTF-8
/// bytes here, which is the same order. None for a member not among them.
pub fn default_partition(identifier: &str, members: &[String], items: &[String]) -> Vec<String> {
    let mut workers: Vec<&String> = members.iter().collect();
    workers.sort();
    let Some(i) = workers.iter().position(|w| *w == identifier) else {
        return Vec::new();
    };
    let mut all: Vec<&String> = items.iter().collect();
    all.sort();
    all.into_iter()
        .skip(i)
        .step_by(workers.len())
        .cloned()
        .collect()
}

/// A member of a set partition (kazoo's SetPartitioner). Thread-safe. It starts allocating
/// when made: its own thread joins the party, waits for the party to settle and takes the
/// locks of our share, and returns (it runs again after each `release_set`). Dropping it
/// finishes it (releases the share and leaves the party).
pub struct SetPartitioner {
    sh: Arc<Shared>,
    listener: u64,
}

struct Shared {
    /// Ourselves, for the callbacks that must not keep us alive (the party's watches).
    me: Weak<Shared>,
    /// A non-owning handle (`Client::non_owning`): once the client is closed, requests
    /// fail with CLOSED and the partitioner fails.
    client: Client,
    path: String,
    lock_path: String,
    /// Sorted, without duplicates.
    items: Vec<String>,
    identifier: String,
    time_boundary: Duration,
    max_reaction_time: Duration,
    partition_func: Option<PartitionFn>,
    party: Party,
    st: Mutex<St>,
    /// `wait_for_acquire`'s wake-ups (every change of state) and its cancel.
    waiters: Arc<Signal>,
    on_state: Mutex<Option<PartitionStateFn>>,
    /// One `release_set` or `finish` at a time: each stops the allocating thread and
    /// waits for it before it touches the locks.
    control: Mutex<()>,
}

struct St {
    state: PartitionState,
    /// Our share while Acquired (and in the Release that follows, until released).
    share: Vec<String>,
    /// The locks we hold (all of the share once Acquired; a part while allocating).
    locks: Vec<Arc<Lock>>,
    /// The allocating run that may go on: its number, 0 for none. A run that finds
    /// another number has been stopped.
    run: u64,
    runs: u64,
    /// The running allocation's waits: woken by the party's watch, cancelled to stop it.
    run_gate: Arc<Gate>,
    /// The lock the run is waiting for, cancelled when the party changes or the run stops.
    current: Option<Arc<Lock>>,
    /// The number of the party read whose watch counts: a watch of an older read is
    /// ignored.
    epoch: u64,
    /// The watch of the current read fired: the party changed since.
    changed: bool,
    worker: Option<JoinHandle<()>>,
    /// The session that owns our party node; 0 before we joined.
    owner: i64,
    /// Why we failed, when a request did (None after `finish` or a lost session).
    failure: Option<Error>,
}

fn guard<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // No user code runs under these locks, so a poisoned one holds sound state.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What the allocating run does after a lock wait ended or a lock was taken.
enum Next {
    Go,
    /// The party changed: release what we took and wait for it to settle again.
    Again,
    /// The run was stopped: leave the locks to `release_set` or `finish`.
    Stop,
}

impl SetPartitioner {
    /// A member of the partition of `items` at `path`, which starts allocating at once (on
    /// a thread of its own; nothing is sent by this call). `InvalidArgument` when the
    /// identifier cannot be part of a node name, or an item cannot be part of a lock's path
    /// (`<path>/locks/<item>`: not empty, no "." or "..", no '/' at either end). Duplicate
    /// items count once.
    pub fn new<I>(
        client: &Client,
        path: &str,
        items: I,
        opts: PartitionerOptions,
    ) -> Result<SetPartitioner>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let client = recipe_client(client, path)?;
        let identifier = match opts.identifier {
            Some(ref id) if !id.is_empty() => id.clone(),
            _ => host_pid(),
        };
        let party_path = child(path, "party");
        let lock_path = child(path, "locks");
        let party = Party::new_shallow(&client, &party_path, &identifier)?;
        let mut items: Vec<String> = items.into_iter().map(|i| i.as_ref().to_string()).collect();
        items.sort();
        items.dedup();
        if items
            .iter()
            .any(|i| i.is_empty() || check_path(&child(&lock_path, i)).is_err())
        {
            return Err(Error::InvalidArgument);
        }
        let sh = Arc::new_cyclic(|me| Shared {
            me: me.clone(),
            client,
            path: path.to_string(),
            lock_path,
            items,
            identifier,
            time_boundary: opts.time_boundary,
            max_reaction_time: opts.max_reaction_time,
            partition_func: opts.partition_func,
            party,
            st: Mutex::new(St {
                state: PartitionState::Allocating,
                share: Vec::new(),
                locks: Vec::new(),
                run: 0,
                runs: 0,
                run_gate: Gate::new(),
                current: None,
                epoch: 0,
                changed: false,
                worker: None,
                owner: 0,
                failure: None,
            }),
            waiters: Signal::new(),
            on_state: Mutex::new(None),
            control: Mutex::new(()),
        });
        let weak = Arc::downgrade(&sh);
        let listener = sh.client.add_listener(Box::new(move |s, _| {
            if let Some(sh) = weak.upgrade() {
                sh.session_changed(s);
            }
        }));
        let started = sh.start_run(&mut guard(&sh.st));
        if started == PartitionState::Failure {
            sh.client.remove_listener(listener);
            return Err(Error::SystemError);
        }
        Ok(SetPartitioner { sh, listener })
    }

    pub fn path(&self) -> &str {
        &self.sh.path
    }

    /// Our identifier in the party.
    pub fn identifier(&self) -> &str {
        &self.sh.identifier
    }

    pub fn state(&self) -> PartitionState {
        guard(&self.sh.st).state
    }

    /// Our share while Acquired, and in the Release that follows until `release_set`
    /// (kazoo's iteration over the partitioner); empty otherwise.
    pub fn items(&self) -> Vec<String> {
        guard(&self.sh.st).share.clone()
    }

    /// Why the partitioner failed, when a request failed (None while it has not failed, or
    /// when it failed because its session ended or `finish` was called).
    pub fn failure(&self) -> Option<Error> {
        guard(&self.sh.st).failure
    }

    /// Waits until the partitioner is no longer Allocating, at most `timeout` (None: for
    /// ever; zero: one look), and returns the state it is in (Acquired; Release or Failure
    /// if that came first). TIMED_OUT while still allocating at the deadline, CANCELLED
    /// when `cancel` was called. The allocation goes on either way.
    pub fn wait_for_acquire(&self, timeout: Option<Duration>) -> Result<PartitionState> {
        let w = &self.sh.waiters;
        let deadline = Deadline::for_wait(timeout);
        let mark = w.begin();
        loop {
            w.check(&mark)?;
            let seen = w.mark().events;
            let s = self.state();
            if s != PartitionState::Allocating {
                return Ok(s);
            }
            match w.wait(seen, &mark, &deadline) {
                Err(Error::TimedOut) => {
                    return match self.state() {
                        PartitionState::Allocating => Err(Error::TimedOut),
                        s => Ok(s),
                    };
                }
                r => r?,
            }
        }
    }

    /// Makes every `wait_for_acquire` in progress on other threads return CANCELLED; with
    /// none in progress, the next one returns it at once. Any thread. The allocation goes
    /// on.
    pub fn cancel(&self) {
        self.sh.waiters.cancel();
    }

    /// Forgets a cancel that no wait has consumed (for a binding that cancels a wait of its
    /// own and may have done so after it ended).
    pub fn clear_cancel(&self) {
        self.sh.waiters.clear_cancel();
    }

    /// Releases our share (every lock we hold, also those of an allocation that did not
    /// finish) and allocates again: the state goes to Allocating. The call to make on
    /// Release; it may be made in any state but Failure, where it releases what is left and
    /// changes nothing. Waits for the allocating thread to stop first. A lock that cannot
    /// be released fails the partitioner (as kazoo's does) and returns why.
    pub fn release_set(&self) -> Result<()> {
        let sh = &self.sh;
        let _one = guard(&sh.control);
        sh.stop_and_join();
        if let Err(e) = sh.release_locks() {
            sh.fail_out(Some(e));
            return Err(e);
        }
        let mut st = guard(&sh.st);
        if st.state == PartitionState::Failure {
            return Ok(());
        }
        let now = sh.start_run(&mut st);
        drop(st);
        sh.moved(now);
        Ok(())
    }

    /// Releases our share, leaves the party and goes to Failure, for good (kazoo's
    /// `finish`). Idempotent. Returns the first error of a release or of the leave (the
    /// session's end removes what is left).
    pub fn finish(&self) -> Result<()> {
        let sh = &self.sh;
        let _one = guard(&sh.control);
        sh.to_failure(None);
        sh.stop_and_join();
        let released = sh.release_locks();
        let left = match sh.party.participating() {
            true => sh.party.leave(None).map(|_| ()),
            false => Ok(()),
        };
        released.and(left)
    }

    /// Sets (or, with None, clears) the function told of every change of state. It runs on
    /// the thread that made the change and must not call `release_set` or `finish` nor
    /// drop the partitioner (they wait for threads that may be waiting for it).
    pub fn set_state_callback(&self, f: Option<PartitionStateFn>) {
        *guard(&self.sh.on_state) = f;
    }
}

impl Drop for SetPartitioner {
    fn drop(&mut self) {
        let _ = self.finish();
        self.sh.client.remove_listener(self.listener);
    }
}

impl Shared {
    /// Tells the state callback.
    fn moved(&self, to: PartitionState) {
        self.waiters.notify();
        let f = guard(&self.on_state).clone();
        if let Some(f) = f {
            f(to);
        }
    }

    /// Stops the allocating run, if one may go on: its waits and its lock wait end at
    /// once.
    fn stop_run(st: &mut St) {
        st.run = 0;
        st.run_gate.cancel();
        if let Some(l) = st.current.take() {
            l.cancel();
        }
    }

    /// Starts an allocating run on a thread of its own: Allocating, or Failure when no
    /// thread could be made.
    fn start_run(self: &Arc<Self>, st: &mut St) -> PartitionState {
        st.runs += 1;
        st.run = st.runs;
        st.run_gate = Gate::new();
        st.state = PartitionState::Allocating;
        st.share.clear();
        let (sh, run) = (Arc::clone(self), st.run);
        match std::thread::Builder::new()
            .name("zk-partitioner".into())
            .spawn(move || sh.allocate(run))
        {
            Ok(h) => st.worker = Some(h),
            Err(_) => {
                st.run = 0;
                st.state = PartitionState::Failure;
                st.failure = Some(Error::SystemError);
            }
        }
        st.state
    }

    /// Stops the allocating run and waits for its thread to end.
    fn stop_and_join(&self) {
        let worker = {
            let mut st = guard(&self.st);
            Self::stop_run(&mut st);
            st.worker.take()
        };
        if let Some(w) = worker {
            let _ = w.join();
        }
    }

    /// Releases every lock we hold; the first error, the locks it left kept.
    fn release_locks(&self) -> Result<()> {
        let locks = {
            let mut st = guard(&self.st);
            st.share.clear();
            std::mem::take(&mut st.locks)
        };
        let mut first = Ok(());
        let mut kept = Vec::new();
        for l in locks {
            if let Err(e) = l.release() {
                first = first.and(Err(e));
                kept.push(l);
            }
        }
        guard(&self.st).locks.extend(kept);
        first
    }

    /// Goes to Failure (once) and stops the run; true if this call made the change.
    fn to_failure(&self, why: Option<Error>) -> bool {
        {
            let mut st = guard(&self.st);
            Self::stop_run(&mut st);
            if st.state == PartitionState::Failure {
                return false;
            }
            st.state = PartitionState::Failure;
            st.share.clear();
            st.failure = why;
        }
        self.moved(PartitionState::Failure);
        true
    }

    /// kazoo's `_fail_out` after an error: our locks released and the party left (best
    /// effort: the session's end removes what is left), then Failure, so that whoever
    /// sees the Failure sees our nodes gone. No run may be going on.
    fn fail_out(&self, why: Option<Error>) {
        let _ = self.release_locks();
        if self.party.participating() {
            let _ = self.party.leave(None);
        }
        self.to_failure(why);
    }

    /// The session listener (kazoo's `_establish_sessionwatch`): the end of our session
    /// fails the partitioner; any other change of the connection asks for a release.
    fn session_changed(&self, s: State) {
        let lost = {
            let st = guard(&self.st);
            if st.state == PartitionState::Failure {
                return;
            }
            s == State::Lost
                || match self.client.client_id() {
                    Some(id) => st.owner != 0 && id.session_id != st.owner,
                    None => self.client.state() == State::Lost,
                }
        };
        if lost {
            self.to_failure(None);
            return;
        }
        {
            let mut st = guard(&self.st);
            if matches!(st.state, PartitionState::Release | PartitionState::Failure) {
                return;
            }
            st.state = PartitionState::Release;
            Self::stop_run(&mut st);
        }
        self.moved(PartitionState::Release);
    }

    /// The watch of the party read numbered `epoch`: a change ends the wait for the party
    /// to settle, ends an acquire, or asks for a release of an acquired share.
    fn party_changed(&self, epoch: u64, ev: &WatchedEvent) {
        if !matches!(
            ev.event_type,
            EventType::NodeChildrenChanged | EventType::NodeDeleted
        ) {
            return; // the session's end: the listener deals with it
        }
        {
            let mut st = guard(&self.st);
            if st.epoch != epoch {
                return;
            }
            st.changed = true;
            match st.state {
                PartitionState::Allocating => {
                    st.run_gate.wake();
                    if let Some(l) = &st.current {
                        l.cancel();
                    }
                    return;
                }
                PartitionState::Acquired => st.state = PartitionState::Release,
                _ => return,
            }
        }
        self.moved(PartitionState::Release);
    }

    /// The allocating thread of run `run`.
    fn allocate(self: Arc<Self>, run: u64) {
        let r = self.allocate_run(run);
        let mut st = guard(&self.st);
        st.current = None;
        let live = st.run == run;
        if live {
            st.run = 0;
        }
        drop(st);
        if let Err(e) = r {
            // An error of a run that was stopped is the stop's doing (a cancel, a closed
            // session): whoever stopped it has moved the state on.
            if live {
                self.fail_out(Some(e));
            }
        }
    }

    fn allocate_run(&self, run: u64) -> Result<()> {
        let gate = guard(&self.st).run_gate.clone();
        if guard(&self.st).owner == 0 {
            self.join(&gate)?;
        }
        'settle: loop {
            let members = match self.settled(run, &gate)? {
                Some(m) => m,
                None => return Ok(()),
            };
            if !members.contains(&self.identifier) {
                // Our node is gone (deleted by someone) while our session lives: join again.
                self.join(&gate)?;
                continue;
            }
            let share = self.split(&members)?;
            for item in &share {
                let lock = Arc::new(Lock::new(
                    &self.client,
                    &child(&self.lock_path, item),
                    LockOptions::default(),
                )?);
                guard(&self.st).current = Some(lock.clone());
                loop {
                    match self.next(run) {
                        Next::Go => {}
                        Next::Again => {
                            self.release_locks()?;
                            continue 'settle;
                        }
                        Next::Stop => return Ok(()),
                    }
                    match lock.acquire(Some(self.max_reaction_time)) {
                        Ok(()) => break,
                        Err(Error::TimedOut) | Err(Error::Cancelled) => {}
                        Err(e) => return Err(e),
                    }
                }
                let mut st = guard(&self.st);
                st.current = None;
                st.locks.push(lock);
            }
            {
                let mut st = guard(&self.st);
                if st.run == run && !st.changed {
                    st.state = PartitionState::Acquired;
                    st.share = share;
                    drop(st);
                    self.moved(PartitionState::Acquired);
                    return Ok(());
                }
            }
            match self.next(run) {
                Next::Stop => return Ok(()),
                _ => self.release_locks()?,
            }
        }
    }

    /// Joins the party (and makes `<path>/locks`, as kazoo does), and notes the session
    /// that owns our node.
    fn join(&self, gate: &Arc<Gate>) -> Result<()> {
        let c = &self.client;
        let node = self.party.node_path();
        persist(gate, None, || {
            self.party.join(None)?;
            c.ensure_path(&self.lock_path, None, None)?;
            let stat = gate.call(
                None,
                |d| c.exists_async(&node, None, request_timeout(None), d),
                None,
            )?;
            Ok(stat.map(|s| guard(&self.st).owner = s.ephemeral_owner))
        })
    }

    /// kazoo's PatientChildrenWatch: reads the party with a watch until a read's watch has
    /// not fired for the time boundary; its members' identifiers, in the order of their
    /// node names. None when the run was stopped. That read's watch stays the one that
    /// counts (`party_changed`) while we allocate and hold.
    fn settled(&self, run: u64, gate: &Arc<Gate>) -> Result<Option<Vec<String>>> {
        loop {
            let epoch = {
                let mut st = guard(&self.st);
                if st.run != run {
                    return Ok(None);
                }
                st.epoch += 1;
                st.changed = false;
                st.epoch
            };
            let since = gate.wakes();
            let party_path = self.party.path();
            let mut children = persist(gate, None, || {
                let w = self.party_watch(epoch);
                match gate.call(
                    None,
                    |d| {
                        self.client
                            .get_children_async(party_path, Some(w), false, None, d)
                    },
                    None,
                ) {
                    Ok((c, _)) => Ok(Some(c)),
                    Err(Error::NoNode) => Ok(Some(Vec::new())),
                    Err(e) => Err(e),
                }
            })?;
            let until = Instant::now().checked_add(self.time_boundary);
            match gate.wait(since, until) {
                Ok(()) => continue,
                Err(Error::TimedOut) => {}
                Err(e) => return Err(e),
            }
            if guard(&self.st).changed {
                continue;
            }
            children.sort();
            return Ok(Some(
                children
                    .iter()
                    .map(|c| shallow_identifier(c).to_string())
                    .collect(),
            ));
        }
    }

    fn party_watch(&self, epoch: u64) -> crate::client::WatchFn {
        let weak = self.me.clone();
        Box::new(move |ev| {
            if let Some(sh) = weak.upgrade() {
                sh.party_changed(epoch, &ev);
            }
        })
    }

    /// Our share, by the partition function (a panic in it fails the partitioner), each
    /// item once (a second lock on an item would wait for our own first).
    fn split(&self, members: &[String]) -> Result<Vec<String>> {
        let mut share = match &self.partition_func {
            None => default_partition(&self.identifier, members, &self.items),
            Some(f) => catch_unwind(AssertUnwindSafe(|| {
                f(&self.identifier, members, &self.items)
            }))
            .map_err(|_| Error::Panic)?,
        };
        let mut seen = std::collections::HashSet::new();
        share.retain(|i| seen.insert(i.clone()));
        if share
            .iter()
            .any(|i| i.is_empty() || check_path(&child(&self.lock_path, i)).is_err())
        {
            return Err(Error::InvalidArgument);
        }
        Ok(share)
    }

    /// kazoo's `abort_if_needed`: whether the run goes on, allocates again (the party
    /// changed), or stops (the state moved on).
    fn next(&self, run: u64) -> Next {
        let st = guard(&self.st);
        if st.run != run {
            Next::Stop
        } else if st.changed {
            Next::Again
        } else {
            Next::Go
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn the_default_split_is_kazoos_every_nth_from_our_place() {
        let items = v(&["q5", "q1", "q3", "q2", "q4"]);
        let members = v(&["b", "c", "a"]);
        assert_eq!(default_partition("a", &members, &items), v(&["q1", "q4"]));
        assert_eq!(default_partition("b", &members, &items), v(&["q2", "q5"]));
        assert_eq!(default_partition("c", &members, &items), v(&["q3"]));
        assert!(default_partition("z", &members, &items).is_empty());
        assert!(default_partition("a", &members, &[]).is_empty());
    }

    #[test]
    fn strings_sort_by_code_point_as_python_sorts_them() {
        // Python: sorted(["é", "z", "Z", "a", "\U0001F600", "ÿ"]) puts upper case first,
        // then lower, then Latin-1, then the astral plane: code point order.
        let items = v(&["é", "z", "Z", "a", "\u{1F600}", "ÿ", "\u{FFFD}"]);
        let all = default_partition("m", &v(&["m"]), &items);
        assert_eq!(all, v(&["Z", "a", "z", "é", "ÿ", "\u{FFFD}", "\u{1F600}"]));
    }
}
