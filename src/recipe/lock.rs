//! Lock, ReadLock and WriteLock on kazoo's znodes (or, with `Layout::Curator`, on Curator's
//! InterProcessMutex / InterProcessReadWriteLock names), and the contention that the
//! election shares: one EPHEMERAL_SEQUENTIAL node per contender, the lowest sequence among
//! the nodes that block us holds it, each waiter watches only the node just before it.
//! docs/recipes.md says what a holder is told when its session falters, and why.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::common::{child, recipe_client};
use super::gate::{outcome_unknown, persist, remove_node, remove_node_now, request_timeout, Gate};
use super::hold::Holding;
use super::ids;
use crate::client::async_ops::Callback;
use crate::client::{Client, CreateOptions, Created};
use crate::error::{Error, Result};

/// Whose znode names a recipe writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// kazoo's: `<uuid4 hex>__lock__<seq>` (`__rlock__` for a reader).
    #[default]
    Kazoo,
    /// Curator's protected names: `_c_<uuid>-lock-<seq>` (InterProcessMutex),
    /// `_c_<uuid>-__READ__<seq>` / `-__WRIT__` (InterProcessReadWriteLock),
    /// `_c_<uuid>-latch-<seq>` (LeaderLatch, for an election).
    Curator,
}

/// Which lock of a path: the exclusive one, or a side of the shared one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LockKind {
    /// kazoo's Lock, Curator's InterProcessMutex: one holder.
    #[default]
    Exclusive,
    /// kazoo's ReadLock: held with other readers, never with a writer before it.
    Read,
    /// kazoo's WriteLock: held alone, after every reader and writer before it.
    Write,
}

/// What a lock (or a leadership) is, as its holder should see it.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockState {
    /// Not acquired, or released.
    NotHeld = 0,
    /// Acquired, and the session that owns our node is connected.
    Held = 1,
    /// Acquired, but the connection is down: the session (and the lock) may be lost
    /// without our hearing of it. Stop relying on the lock until it is Held again.
    Suspended = 2,
    /// The session that owned our node ended: the node is gone and someone else may hold
    /// the lock. Final for this acquisition; releasing forgets it.
    Lost = 3,
}

/// Called on the client's event thread when the session changes what a held lock is
/// (Suspended, Held again, Lost). Not called for the caller's own acquire and release.
pub type StateFn = Arc<dyn Fn(LockState) + Send + Sync + 'static>;

/// How a lock is made.
#[derive(Debug, Clone, Default)]
pub struct LockOptions {
    /// Written as our node's data (UTF-8), which `contenders()` reads back: kazoo's
    /// `identifier` ("" by default).
    pub identifier: String,
    pub layout: Layout,
    pub kind: LockKind,
}

/// The contention rules of a recipe: the name it gives its node, and which names in the
/// same parent count as contenders before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Exclusive,
    Read,
    Write,
    Leader,
}

// Name parts, as they appear before the sequence. A Curator name is `_c_<uuid>-` followed
// by the recipe's part, so the mutex's is matched as "-lock-" (kazoo's own pattern for it).
const KAZOO_LOCK: &str = "__lock__";
const KAZOO_READ: &str = "__rlock__";
const CURATOR_LOCK: &str = "-lock-";
const CURATOR_READ: &str = "__READ__";
const CURATOR_WRITE: &str = "__WRIT__";
const CURATOR_LATCH: &str = "-latch-";

impl Role {
    /// The text after our unique prefix, before the sequence, and the pattern that finds it.
    fn own(self, layout: Layout) -> (&'static str, &'static str) {
        match (self, layout) {
            (Role::Read, Layout::Kazoo) => (KAZOO_READ, KAZOO_READ),
            (_, Layout::Kazoo) => (KAZOO_LOCK, KAZOO_LOCK),
            (Role::Exclusive, Layout::Curator) => ("lock-", CURATOR_LOCK),
            (Role::Read, Layout::Curator) => (CURATOR_READ, CURATOR_READ),
            (Role::Write, Layout::Curator) => (CURATOR_WRITE, CURATOR_WRITE),
            (Role::Leader, Layout::Curator) => ("latch-", CURATOR_LATCH),
        }
    }

    /// The names that block us when their sequence is lower than ours, in either layout:
    /// so a lock excludes both peers, whichever names it writes itself.
    fn blockers(self) -> &'static [&'static str] {
        match self {
            Role::Exclusive => &[KAZOO_LOCK, CURATOR_LOCK],
            Role::Write => &[
                KAZOO_LOCK,
                CURATOR_LOCK,
                KAZOO_READ,
                CURATOR_READ,
                CURATOR_WRITE,
            ],
            Role::Read => &[KAZOO_LOCK, CURATOR_LOCK, CURATOR_WRITE],
            Role::Leader => &[KAZOO_LOCK, CURATOR_LOCK, CURATOR_LATCH],
        }
    }

    /// Every name `contenders()` lists: the blockers and the readers.
    fn contenders(self) -> &'static [&'static str] {
        match self {
            Role::Read | Role::Write => Role::Write.blockers(),
            r => r.blockers(),
        }
    }
}

/// The sequence suffix of a node whose name is one of `patterns` followed by a sequence:
/// kazoo's `(?:patterns)(-?\d{10})$`. The text is what is compared, as kazoo sorts.
pub(crate) fn sequence_of<'a>(name: &'a str, patterns: &[&str]) -> Option<&'a str> {
    let b = name.as_bytes();
    if b.len() < 10 || !b[b.len() - 10..].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let before = &name[..name.len() - 10];
    if let Some(rest) = before.strip_suffix('-') {
        if patterns.iter().any(|p| rest.ends_with(p)) {
            return Some(&name[rest.len()..]);
        }
    }
    if patterns.iter().any(|p| before.ends_with(p)) {
        return Some(&name[before.len()..]);
    }
    None
}

/// The names among `children` that match `patterns`, in kazoo's order (by sequence text).
pub(crate) fn ordered<'a>(children: &'a [String], patterns: &[&str]) -> Vec<&'a str> {
    let mut v: Vec<(&str, &str)> = children
        .iter()
        .filter_map(|c| sequence_of(c, patterns).map(|s| (s, c.as_str())))
        .collect();
    v.sort();
    v.into_iter().map(|(_, c)| c).collect()
}

/// Where our node stands among the children.
#[derive(Debug, PartialEq, Eq)]
enum Place {
    /// Our node is not there: its session ended, or somebody deleted it.
    Gone,
    /// Nothing that blocks us comes before us.
    First,
    /// The blocker just before us, the one node to watch.
    Behind(String),
}

fn place(children: &[String], me: &str, own: &str, blockers: &[&str]) -> Place {
    let Some(mine) = children
        .iter()
        .find(|c| *c == me)
        .and_then(|c| sequence_of(c, &[own]))
    else {
        return Place::Gone;
    };
    match children
        .iter()
        .filter_map(|c| sequence_of(c, blockers).map(|s| (s, c)))
        .filter(|(s, _)| *s < mine)
        .max()
    {
        Some((_, c)) => Place::Behind(c.clone()),
        None => Place::First,
    }
}

/// A lock contender: what acquiring one takes. Shared by Lock, Semaphore (its lock) and
/// Election.
pub(crate) struct Core {
    /// A non-owning handle on the client (`Client::non_owning`): once the client is closed
    /// or dropped, calls fail with CLOSED.
    pub(crate) client: Client,
    pub(crate) path: String,
    role: Role,
    layout: Layout,
    data: Vec<u8>,
    pub(crate) gate: Arc<Gate>,
    pub(crate) hold: Arc<Holding>,
}

impl Core {
    pub(crate) fn new(
        client: &Client,
        path: &str,
        role: Role,
        layout: Layout,
        identifier: &str,
    ) -> Result<Core> {
        let client = recipe_client(client, path)?;
        let gate = Gate::new();
        Ok(Core {
            hold: Holding::new(&client, gate.clone()),
            client,
            path: path.to_string(),
            role,
            layout,
            data: identifier.as_bytes().to_vec(),
            gate,
        })
    }

    /// Our node's path while acquired.
    pub(crate) fn node_path(&self) -> Option<String> {
        self.hold.node().map(|n| child(&self.path, &n))
    }

    /// Acquires, waiting until `deadline` (None: for ever) if `blocking`. Ok(false) only
    /// when not blocking and somebody is before us.
    pub(crate) fn acquire(&self, deadline: Option<Instant>, blocking: bool) -> Result<bool> {
        self.hold
            .acquire(deadline, || self.contend(&self.client, deadline, blocking))
    }

    /// Makes our node and waits for our turn. Some((node, owner)) when held; None when not
    /// blocking and somebody is before us. Whatever way it ends without the lock, our node
    /// is removed (now, or as soon as the connection is back).
    fn contend(
        &self,
        c: &Client,
        deadline: Option<Instant>,
        blocking: bool,
    ) -> Result<Option<(String, i64)>> {
        let prefix = match self.layout {
            Layout::Kazoo => ids::uuid4_hex()?,
            Layout::Curator => ids::curator_protected_prefix()?,
        };
        let mut me = Mine {
            prefix,
            node: None,
            owner: 0,
            unsure: false,
        };
        let r = persist(&self.gate, deadline, || {
            self.step(c, &mut me, deadline, blocking)
        });
        match r {
            Ok(true) => Ok(me.node.map(|n| (n, me.owner))),
            other => {
                if me.node.is_some() || me.unsure {
                    // Best effort: an error here leaves the node to its session's end.
                    let _ = remove_node_now(&self.client, &self.path, &me.prefix, me.node);
                }
                other.map(|_| None)
            }
        }
    }

    /// One round: make (or find) our node, read the contenders, and either hold, give up
    /// (not blocking), or wait for the one before us. Some(held?) ends the contest.
    fn step(
        &self,
        c: &Client,
        me: &mut Mine,
        deadline: Option<Instant>,
        blocking: bool,
    ) -> Result<Option<bool>> {
        let t = || request_timeout(deadline);
        let (part, own) = self.role.own(self.layout);
        if me.node.is_none() && me.unsure {
            // A create of ours may have been applied without our hearing the reply: find
            // the node by its unique prefix rather than make a second one.
            let children = self.children(c, deadline)?;
            if let Some(n) = children.into_iter().find(|n| n.starts_with(&me.prefix)) {
                let path = child(&self.path, &n);
                let stat =
                    self.gate
                        .call(deadline, |d| c.exists_async(&path, None, t(), d), None)?;
                // None: gone since; make another.
                if let Some(st) = stat {
                    me.node = Some(n);
                    me.owner = st.ephemeral_owner;
                }
            }
            me.unsure = false;
        }
        if me.node.is_none() {
            let path = child(&self.path, &format!("{}{part}", me.prefix));
            let opts = CreateOptions {
                ephemeral: true,
                sequence: true,
                ..Default::default()
            };
            me.unsure = true;
            let late = self.undo_late_create(&me.prefix);
            match self.gate.call(
                deadline,
                |d| c.create_async(&path, &self.data, &opts, true, t(), d),
                Some(late),
            ) {
                Ok(created) => {
                    me.node = Some(base_name(&created.path).to_string());
                    me.owner = created.stat.map_or(0, |s| s.ephemeral_owner);
                    me.unsure = false;
                }
                Err(Error::NoNode) => {
                    me.unsure = false;
                    c.ensure_path(&self.path, None, t())?;
                    return Ok(None);
                }
                Err(e) => {
                    me.unsure = outcome_unknown(e) || e == Error::Cancelled;
                    return Err(e);
                }
            }
        }
        let name = me.node.clone().unwrap_or_default();
        let children = self.children(c, deadline)?;
        match place(&children, &name, own, self.role.blockers()) {
            Place::Gone => {
                me.node = None;
                Ok(None)
            }
            Place::First => match c.client_id() {
                // The node is there, but a new session is ours: it is about to go.
                Some(id) if id.session_id != me.owner => {
                    me.node = None;
                    Ok(None)
                }
                _ => Ok(Some(true)),
            },
            Place::Behind(_) if !blocking => Ok(Some(false)),
            Place::Behind(pred) => {
                let since = self.gate.wakes();
                let path = child(&self.path, &pred);
                let waker = self.gate.waker();
                match self
                    .gate
                    .call(deadline, |d| c.get_async(&path, Some(waker), t(), d), None)
                {
                    Ok(_) => self.gate.wait(since, deadline)?,
                    Err(Error::NoNode) => {}
                    Err(e) => return Err(e),
                }
                Ok(None)
            }
        }
    }

    fn children(&self, c: &Client, deadline: Option<Instant>) -> Result<Vec<String>> {
        match self.gate.call(
            deadline,
            |d| c.get_children_async(&self.path, None, false, request_timeout(deadline), d),
            None,
        ) {
            Ok((children, _)) => Ok(children),
            Err(Error::NoNode) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// What to do with a create's reply that comes after the wait gave up: remove the node
    /// it made (or may have made).
    fn undo_late_create(&self, prefix: &str) -> Callback<Created> {
        let (client, parent, prefix) = (
            self.client.non_owning(),
            self.path.clone(),
            prefix.to_string(),
        );
        Box::new(move |r| match r {
            Ok(created) => {
                let name = base_name(&created.path).to_string();
                remove_node(client, parent, prefix, Some(name), None)
            }
            Err(e) if outcome_unknown(e) => remove_node(client, parent, prefix, None, None),
            Err(_) => {}
        })
    }

    /// Deletes our node if held; forgets a lost lock. Idempotent.
    pub(crate) fn release(&self) -> Result<()> {
        self.hold.release(&self.path)
    }

    /// The identifiers (node data) of every contender, in the order they hold or wait.
    pub(crate) fn contenders(&self) -> Result<Vec<String>> {
        let c = &self.client;
        let children = match c.get_children(&self.path, None, false, None) {
            Ok((ch, _)) => ch,
            Err(Error::NoNode) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        for n in ordered(&children, self.role.contenders()) {
            match c.get(&child(&self.path, n), None, None) {
                Ok((data, _)) => out.push(String::from_utf8_lossy(&data).into_owned()),
                Err(Error::NoNode) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}

/// Our node as contending makes it.
struct Mine {
    prefix: String,
    node: Option<String>,
    owner: i64,
    /// A create of ours may have been applied that we have not seen.
    unsure: bool,
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A distributed lock: kazoo's Lock, ReadLock or WriteLock (`LockOptions::kind`) on the
/// same znodes, or Curator's with `Layout::Curator`. Share it between threads (`&self`
/// everywhere): one thread acquires, another may cancel. Dropping a held lock releases it.
///
/// Not re-entrant: `acquire` on a held lock returns at once, and one `release` releases.
pub struct Lock {
    core: Core,
    listener: u64,
}

impl Lock {
    /// A lock on `path` (made, with its parents, on first use). Nothing is sent yet.
    pub fn new(client: &Client, path: &str, opts: LockOptions) -> Result<Lock> {
        let role = match opts.kind {
            LockKind::Exclusive => Role::Exclusive,
            LockKind::Read => Role::Read,
            LockKind::Write => Role::Write,
        };
        let core = Core::new(client, path, role, opts.layout, &opts.identifier)?;
        let listener = core.hold.listen();
        Ok(Lock { core, listener })
    }

    /// Acquires the lock, waiting at most `timeout` (None: for ever). TIMED_OUT when it
    /// passed, CANCELLED when `cancel` was called; either way our node is gone (or, if the
    /// connection is down, goes as soon as it is back). OK at once if already held. A zero
    /// timeout is one look (`try_acquire`), TIMED_OUT if somebody is before us.
    pub fn acquire(&self, timeout: Option<Duration>) -> Result<()> {
        if timeout == Some(Duration::ZERO) {
            // One look, as `try_acquire`, with a wait's answer.
            return match self.try_acquire()? {
                true => Ok(()),
                false => Err(Error::TimedOut),
            };
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        self.core.acquire(deadline, true).map(|_| ())
    }

    /// Acquires the lock if nobody holds it or waits before us; false otherwise. Takes a
    /// few round trips, bounded by the client's operation timeout.
    pub fn try_acquire(&self) -> Result<bool> {
        let deadline = Instant::now() + self.core.client.operation_timeout();
        self.core.acquire(Some(deadline), false)
    }

    /// Makes an acquire in progress in another thread return CANCELLED promptly; with none
    /// in progress, the next acquire returns CANCELLED at once (so a cancel that races the
    /// start of an acquire is not lost). Any thread.
    pub fn cancel(&self) {
        self.core.gate.cancel();
    }

    /// Forgets a cancel that no acquire has consumed: for a binding that cancels one
    /// acquire of its own (Go's context) and may have sent the cancel after it ended.
    pub fn clear_cancel(&self) {
        self.core.gate.clear_cancel();
    }

    /// Releases the lock: deletes our node (or, with the connection down, has it deleted
    /// as soon as the connection is back; the session's end removes it anyway). OK when
    /// not held. After Lost, forgets the lost lock.
    pub fn release(&self) -> Result<()> {
        self.core.release()
    }

    pub fn state(&self) -> LockState {
        self.core.hold.state()
    }

    /// Held and connected: the one state in which the lock can be relied on.
    pub fn is_held(&self) -> bool {
        self.state() == LockState::Held
    }

    /// Our node's path while acquired.
    pub fn node(&self) -> Option<String> {
        self.core.node_path()
    }

    pub fn path(&self) -> &str {
        &self.core.path
    }

    /// Sets (or, with None, clears) the function told of what the session does to the
    /// lock while it is acquired: Suspended, Held again, Lost.
    pub fn set_state_callback(&self, f: Option<StateFn>) {
        self.core.hold.set_state_callback(f);
    }

    /// The identifiers of the holder and the waiters, in order (kazoo's `contenders`).
    pub fn contenders(&self) -> Result<Vec<String>> {
        self.core.contenders()
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.core.release();
        self.core.hold.unlisten(self.listener);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn sequences_are_found_as_kazoos_pattern_finds_them() {
        let p = Role::Exclusive.blockers();
        assert_eq!(
            sequence_of("0123abcd__lock__0000000007", p),
            Some("0000000007")
        );
        assert_eq!(
            sequence_of("_c_9d5c1f7e-0000-4000-8000-000000000000-lock-0000000012", p),
            Some("0000000012")
        );
        assert_eq!(sequence_of("abc__lock__-000000001", p), None, "ten digits");
        assert_eq!(
            sequence_of("abc__lock__-0000000001", p),
            Some("-0000000001")
        );
        assert_eq!(sequence_of("abc__rlock__0000000001", p), None);
        assert_eq!(sequence_of("abc__lock__000000001x", p), None);
        assert_eq!(sequence_of("0000000001", p), None);
        assert_eq!(
            sequence_of("abc__rlock__0000000001", Role::Write.blockers()),
            Some("0000000001")
        );
    }

    #[test]
    fn a_waiter_watches_the_blocker_just_before_it() {
        let ch = names(&[
            "c__lock__0000000003",
            "a__lock__0000000001",
            "b__rlock__0000000002",
            "x__lock__0000000005",
            "other",
        ]);
        let own = KAZOO_LOCK;
        assert_eq!(
            place(&ch, "a__lock__0000000001", own, Role::Exclusive.blockers()),
            Place::First
        );
        assert_eq!(
            place(&ch, "x__lock__0000000005", own, Role::Exclusive.blockers()),
            Place::Behind("c__lock__0000000003".into())
        );
        assert_eq!(
            place(&ch, "c__lock__0000000003", own, Role::Write.blockers()),
            Place::Behind("b__rlock__0000000002".into())
        );
        // A reader waits only for the writer before it, not for one after it.
        assert_eq!(
            place(
                &ch,
                "b__rlock__0000000002",
                KAZOO_READ,
                Role::Read.blockers()
            ),
            Place::Behind("a__lock__0000000001".into())
        );
        assert_eq!(
            place(
                &ch,
                "gone__lock__0000000009",
                own,
                Role::Exclusive.blockers()
            ),
            Place::Gone
        );
    }

    #[test]
    fn contenders_are_ordered_by_sequence_across_layouts() {
        let ch = names(&[
            "_c_u-lock-0000000004",
            "z__lock__0000000002",
            "a__lock__0000000003",
            "y__rlock__0000000001",
        ]);
        assert_eq!(
            ordered(&ch, Role::Exclusive.contenders()),
            vec![
                "z__lock__0000000002",
                "a__lock__0000000003",
                "_c_u-lock-0000000004"
            ]
        );
        assert_eq!(ordered(&ch, Role::Read.contenders()).len(), 4);
    }
}
