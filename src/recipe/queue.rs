//! Queue and LockingQueue: work handed from producers to consumers through persistent
//! sequential nodes, on kazoo's znodes. A Queue's entry is `<path>/entry-<prio %03d>-<seq10>`
//! and a get removes it; a LockingQueue keeps entries under `<path>/entries` and a consumer
//! takes one by creating `<path>/taken/<entry>` (ephemeral), so an entry whose consumer dies
//! goes back to the queue, and is removed only by `consume`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::common::{child, recipe_client, Deadline, Signal};
use super::ids::uuid4_hex;
use crate::client::multi::{Op, OpResult};
use crate::client::{Client, CreateOptions, WatchFn};
use crate::error::{Error, Result};

/// kazoo's default priority (lower values are taken first).
pub const DEFAULT_PRIORITY: i32 = 100;

/// The highest priority kazoo accepts (it writes three digits).
pub const MAX_PRIORITY: i32 = 999;

/// `entry-<priority %03d>-`: the name of a new entry before the server's sequence suffix.
fn entry_prefix(priority: i32) -> Result<String> {
    if !(0..=MAX_PRIORITY).contains(&priority) {
        return Err(Error::InvalidArgument);
    }
    Ok(format!("entry-{priority:03}-"))
}

/// The last path element of a created node.
fn base_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

/// The children of `parent` in the order entries are taken: by name, as kazoo sorts them
/// (priority first, then the sequence text); none while `parent` is missing.
fn sorted_children(
    client: &Client,
    parent: &str,
    watch: Option<WatchFn>,
    d: &Deadline,
) -> Result<Vec<String>> {
    let mut names = client.get_children(parent, watch, false, d.left()?)?.0;
    names.sort();
    Ok(names)
}

/// Creates a persistent sequential `parent/<prefix><seq10>` holding `value`, making
/// `parent` when missing. The created node's name. Not sent again after a lost reply (the
/// entry may have been made: a second create would queue it twice): `ConnectionLoss`.
fn create_entry(
    client: &Client,
    parent: &str,
    prefix: &str,
    value: &[u8],
    d: &Deadline,
) -> Result<String> {
    let seq = CreateOptions {
        sequence: true,
        ..Default::default()
    };
    let path = child(parent, prefix);
    match client.create(&path, value, &seq, false, d.left()?) {
        Err(Error::NoNode) => {
            client.ensure_path(parent, None, d.left()?)?;
            Ok(base_name(
                &client.create(&path, value, &seq, false, d.left()?)?.path,
            ))
        }
        r => Ok(base_name(&r?.path)),
    }
}

/// A simple queue (kazoo's Queue): `put` adds an entry, `get` removes the first one and
/// returns its value. Consumption is not reliable, as kazoo's: an entry is removed before
/// it is processed, and a consumer that fails after `get` loses it. Thread-safe.
pub struct Queue {
    client: Client,
    path: String,
}

impl Queue {
    /// The queue at `path`. Nothing is sent; the path is made by the first `put`.
    pub fn new(client: &Client, path: &str) -> Result<Queue> {
        Ok(Queue {
            client: recipe_client(client, path)?,
            path: path.to_string(),
        })
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// Adds `value` with `priority` (0 to 999, lower first; kazoo's default is
    /// `DEFAULT_PRIORITY`; else `InvalidArgument`) and returns the entry's name,
    /// `entry-<prio>-<seq10>`. `ConnectionLoss` when the reply was lost: the entry may or
    /// may not be in the queue, and is not sent again.
    pub fn put(&self, value: &[u8], priority: i32, timeout: Option<Duration>) -> Result<String> {
        let prefix = entry_prefix(priority)?;
        let d = Deadline::new(&self.client, timeout);
        create_entry(&self.client, &self.path, &prefix, value, &d)
    }

    /// Removes the first entry by name (the lowest priority number, then the oldest) and
    /// returns its value; None when the queue is empty (it does not wait, as kazoo's).
    /// An entry another consumer removes first is skipped for the next. `ConnectionLoss`
    /// when the reply to our delete was lost and the entry was then gone: it was removed,
    /// by us or by another consumer, and is not returned (never to two consumers).
    pub fn get(&self, timeout: Option<Duration>) -> Result<Option<Vec<u8>>> {
        let d = Deadline::new(&self.client, timeout);
        loop {
            let names = match sorted_children(&self.client, &self.path, None, &d) {
                Err(Error::NoNode) => return Ok(None),
                r => r?,
            };
            if names.is_empty() {
                return Ok(None);
            }
            for name in names {
                let node = child(&self.path, &name);
                let value = match self.client.get(&node, None, d.left()?) {
                    Ok((v, _)) => v,
                    Err(Error::NoNode) => continue,
                    Err(e) => return Err(e),
                };
                let mut lost_reply = false;
                loop {
                    match self.client.delete(&node, -1, false, d.left()?) {
                        Ok(()) => return Ok(Some(value)),
                        Err(Error::NoNode) if lost_reply => return Err(Error::ConnectionLoss),
                        Err(Error::NoNode) => break,
                        Err(e) if e.is_retryable() => lost_reply = true,
                        Err(e) => return Err(e),
                    }
                }
            }
            // Every entry listed was taken by others: look again.
        }
    }

    /// The number of entries (the path's child count, as kazoo's `len`); 0 while the path
    /// does not exist.
    pub fn len(&self, timeout: Option<Duration>) -> Result<usize> {
        match self.client.exists(&self.path, None, timeout)? {
            Some(st) => Ok(st.num_children.max(0) as usize),
            None => Ok(0),
        }
    }

    /// True when `len` is 0.
    pub fn is_empty(&self, timeout: Option<Duration>) -> Result<bool> {
        Ok(self.len(timeout)? == 0)
    }
}

/// Which of a LockingQueue's two child watches is set and has not fired yet, so a wait
/// that loops sets each again only after it fired (one registration each, not one per
/// look).
#[derive(Default)]
struct Armed {
    entries: bool,
    taken: bool,
}

/// A queue whose entries are taken before they are removed (kazoo's LockingQueue): `get`
/// takes the first entry no consumer has taken, `consume` removes it, `release` gives it
/// back; an entry taken by a consumer whose session ends goes back by itself. One entry
/// at a time per value, as kazoo's: `get` returns the entry in hand until it is consumed
/// or released. Thread-safe.
pub struct LockingQueue {
    client: Client,
    path: String,
    entries: String,
    taken: String,
    /// This consumer's id, the data of the `taken/` nodes it makes (kazoo's uuid4 hex).
    id: String,
    /// The entry in hand: its name and value.
    processing: Mutex<Option<(String, Vec<u8>)>>,
    ensured: AtomicBool,
    signal: Arc<Signal>,
    armed: Arc<Mutex<Armed>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl LockingQueue {
    /// The locking queue at `path` with a fresh consumer id. Nothing is sent; `path/entries`
    /// and `path/taken` are made by the first call.
    pub fn new(client: &Client, path: &str) -> Result<LockingQueue> {
        Ok(LockingQueue {
            client: recipe_client(client, path)?,
            path: path.to_string(),
            entries: child(path, "entries"),
            taken: child(path, "taken"),
            id: uuid4_hex()?,
            processing: Mutex::new(None),
            ensured: AtomicBool::new(false),
            signal: Signal::new(),
            armed: Arc::new(Mutex::new(Armed::default())),
        })
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// This consumer's id: 32 lowercase hex digits, the data of the `taken/` nodes it makes.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Makes `entries` and `taken` (once per value, as kazoo; again after a NoNode).
    fn ensure_paths(&self, d: &Deadline) -> Result<()> {
        if !self.ensured.load(Ordering::SeqCst) {
            self.client.ensure_path(&self.taken, None, d.left()?)?;
            self.client.ensure_path(&self.entries, None, d.left()?)?;
            self.ensured.store(true, Ordering::SeqCst);
        }
        Ok(())
    }

    /// Adds `value` with `priority` (0 to 999, lower first) and returns the entry's name.
    /// `ConnectionLoss` when the reply was lost (the entry may or may not be there).
    pub fn put(&self, value: &[u8], priority: i32, timeout: Option<Duration>) -> Result<String> {
        let prefix = entry_prefix(priority)?;
        let d = Deadline::new(&self.client, timeout);
        self.ensure_paths(&d)?;
        create_entry(&self.client, &self.entries, &prefix, value, &d)
    }

    /// Adds every value with one priority in one transaction: all or none. The entries'
    /// names, in the order of `values`. A failed transaction returns the error of the op
    /// that failed, and nothing was added.
    pub fn put_all(
        &self,
        values: &[&[u8]],
        priority: i32,
        timeout: Option<Duration>,
    ) -> Result<Vec<String>> {
        let prefix = entry_prefix(priority)?;
        let d = Deadline::new(&self.client, timeout);
        let path = child(&self.entries, &prefix);
        let ops: Vec<Op> = values
            .iter()
            .map(|v| Op::Create {
                path: path.clone(),
                data: v.to_vec(),
                acl: None,
                ephemeral: false,
                sequence: true,
                container: false,
                ttl: None,
            })
            .collect();
        self.ensure_paths(&d)?;
        let mut made_paths = false;
        loop {
            let results = self.client.multi(&ops, d.left()?)?;
            let failed = results.iter().find_map(|r| match r {
                OpResult::Failed(e) if *e != Error::RuntimeInconsistency => Some(*e),
                _ => None,
            });
            match failed {
                None => {
                    return results
                        .iter()
                        .map(|r| match r {
                            OpResult::Created { path, .. } => Ok(base_name(path)),
                            _ => Err(Error::Protocol),
                        })
                        .collect()
                }
                Some(Error::NoNode) if !made_paths => {
                    made_paths = true;
                    self.client.ensure_path(&self.entries, None, d.left()?)?;
                }
                Some(e) => return Err(e),
            }
        }
    }

    /// Takes the first entry no consumer has taken and returns its value, waiting for one
    /// as long as `timeout` allows: None waits without end, `Duration::ZERO` looks once.
    /// The wait sets child watches on `entries` and `taken` (an entry put, or one given
    /// back, wakes it) and polls nothing. `TimedOut` at the deadline, `Cancelled` on
    /// `cancel`. While an entry is in hand (taken and not consumed or released) it returns
    /// that entry's value again, as kazoo's, without looking at the server.
    pub fn get(&self, timeout: Option<Duration>) -> Result<Vec<u8>> {
        let mark = self.signal.begin();
        let once = timeout == Some(Duration::ZERO);
        let d = Deadline::for_wait(if once { None } else { timeout });
        loop {
            if let Some(v) = self.in_hand() {
                return Ok(v);
            }
            self.signal.check(&mark)?;
            let seen = self.signal.mark().events;
            match self.look(&d, !once) {
                Ok(Some(taken)) => return Ok(self.keep(taken)),
                Ok(None) if once => return Err(Error::TimedOut),
                Ok(None) => self.signal.wait(seen, &mark, &d)?,
                Err(Error::NoNode) => self.ensured.store(false, Ordering::SeqCst),
                Err(e) => return Err(e),
            }
        }
    }

    /// The value of the entry in hand, if any.
    fn in_hand(&self) -> Option<Vec<u8>> {
        lock(&self.processing).as_ref().map(|(_, v)| v.clone())
    }

    /// Makes the entry just taken the one in hand, and wakes the other threads' gets on
    /// this value to return it too. If another thread's get took one first, ours is given
    /// back and theirs returned: one entry in hand per value.
    fn keep(&self, taken: (String, Vec<u8>)) -> Vec<u8> {
        let mut p = lock(&self.processing);
        if let Some((name, v)) = p.as_ref() {
            let (v, same) = (v.clone(), *name == taken.0);
            drop(p);
            // Ours goes back (unless it is the same entry: threads of one value share its
            // id, so each finds the other's taken node its own); if this delete fails, the
            // session's end gives it back.
            if !same {
                let _ = self
                    .client
                    .delete(&child(&self.taken, &taken.0), -1, false, None);
            }
            return v;
        }
        let v = taken.1.clone();
        *p = Some(taken);
        drop(p);
        self.signal.notify();
        v
    }

    /// One look: lists the entries and the taken ones (with watches when `watch`, each set
    /// only if ours is not already) and tries to take the free ones in order.
    fn look(&self, d: &Deadline, watch: bool) -> Result<Option<(String, Vec<u8>)>> {
        self.ensure_paths(d)?;
        let entries = self.list(&self.entries, watch, d, |a| &mut a.entries)?;
        let taken = self.list(&self.taken, watch, d, |a| &mut a.taken)?;
        for name in entries {
            if taken.binary_search(&name).is_ok() {
                continue;
            }
            if let Some(value) = self.take(&name, d)? {
                return Ok(Some((name, value)));
            }
        }
        Ok(None)
    }

    /// The sorted children of `parent`, setting our watch on it unless it is still set.
    fn list(
        &self,
        parent: &str,
        watch: bool,
        d: &Deadline,
        flag: fn(&mut Armed) -> &mut bool,
    ) -> Result<Vec<String>> {
        let w = if watch && !std::mem::replace(flag(&mut lock(&self.armed)), true) {
            let armed = Arc::clone(&self.armed);
            Some(
                self.signal
                    .watch_with(move |_| *flag(&mut lock(&armed)) = false),
            )
        } else {
            None
        };
        let set = w.is_some();
        let r = sorted_children(&self.client, parent, w, d);
        if r.is_err() && set {
            // The watch may not be set: set it again on the next look.
            *flag(&mut lock(&self.armed)) = false;
        }
        r
    }

    /// Takes entry `name`: creates `taken/<name>` holding our id. None when another
    /// consumer has it, or the entry is gone (consumed meanwhile; our taken node is then
    /// removed again). After a lost create reply, a `taken/<name>` holding our id is ours.
    fn take(&self, name: &str, d: &Deadline) -> Result<Option<Vec<u8>>> {
        let eph = CreateOptions {
            ephemeral: true,
            ..Default::default()
        };
        let mark = child(&self.taken, name);
        loop {
            match self
                .client
                .create(&mark, self.id.as_bytes(), &eph, false, d.left()?)
            {
                Ok(_) => break,
                Err(Error::NodeExists) => {
                    if self.held_by_us(&mark, d)? {
                        break;
                    }
                    return Ok(None);
                }
                Err(e) if e.is_retryable() => {
                    if self.client.exists(&mark, None, d.left()?).is_ok() {
                        // The create's fate is now known: NodeExists next time if it was
                        // made.
                        continue;
                    }
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
        }
        match self
            .client
            .get(&child(&self.entries, name), None, d.left()?)
        {
            Ok((value, _)) => Ok(Some(value)),
            Err(Error::NoNode) => {
                match self.client.delete(&mark, -1, false, d.left()?) {
                    Ok(()) | Err(Error::NoNode) => {}
                    Err(e) => return Err(e),
                }
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// True when `node` exists and holds our id.
    fn held_by_us(&self, node: &str, d: &Deadline) -> Result<bool> {
        match self.client.get(node, None, d.left()?) {
            Ok((data, _)) => Ok(data == self.id.as_bytes()),
            Err(Error::NoNode) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// True when this value has an entry in hand and its `taken/` node still holds our id
    /// (read after a `sync`, as kazoo's: our session may have ended and another consumer
    /// taken the entry).
    pub fn holds_lock(&self, timeout: Option<Duration>) -> Result<bool> {
        let name = match lock(&self.processing).as_ref() {
            Some((n, _)) => n.clone(),
            None => return Ok(false),
        };
        let d = Deadline::new(&self.client, timeout);
        let mark = child(&self.taken, &name);
        self.client.sync(&mark, d.left()?)?;
        self.held_by_us(&mark, &d)
    }

    /// The name of the entry in hand (`entry-<prio>-<seq10>`), if any.
    pub fn processing(&self) -> Option<String> {
        lock(&self.processing).as_ref().map(|(n, _)| n.clone())
    }

    /// Removes the entry in hand from the queue: `entries/<name>` and `taken/<name>` in one
    /// transaction. False when there is none, or when we no longer hold it (our session
    /// ended; the entry went back to the queue and is no longer ours: it is let go).
    /// `ConnectionLoss` when the reply was lost: call again (true if the entry was still
    /// ours and is removed now, false if it had been removed).
    pub fn consume(&self, timeout: Option<Duration>) -> Result<bool> {
        self.finish(true, timeout)
    }

    /// Gives the entry in hand back to the queue (deletes `taken/<name>` only). False when
    /// there is none or we no longer hold it (it is let go).
    pub fn release(&self, timeout: Option<Duration>) -> Result<bool> {
        self.finish(false, timeout)
    }

    fn finish(&self, consume: bool, timeout: Option<Duration>) -> Result<bool> {
        let name = match lock(&self.processing).as_ref() {
            Some((n, _)) => n.clone(),
            None => return Ok(false),
        };
        if !self.holds_lock(timeout)? {
            *lock(&self.processing) = None;
            return Ok(false);
        }
        let mut ops = Vec::with_capacity(2);
        if consume {
            ops.push(Op::Delete {
                path: child(&self.entries, &name),
                version: -1,
            });
        }
        ops.push(Op::Delete {
            path: child(&self.taken, &name),
            version: -1,
        });
        let results = self.client.multi(&ops, timeout)?;
        for r in results {
            match r {
                OpResult::Failed(e) if e != Error::RuntimeInconsistency => return Err(e),
                _ => {}
            }
        }
        *lock(&self.processing) = None;
        // Our taken node is gone: other consumers' watches see it; ours too.
        Ok(true)
    }

    /// The number of entries, taken ones included (the child count of `entries`, as
    /// kazoo's `len`); 0 while it does not exist.
    pub fn len(&self, timeout: Option<Duration>) -> Result<usize> {
        match self.client.exists(&self.entries, None, timeout)? {
            Some(st) => Ok(st.num_children.max(0) as usize),
            None => Ok(0),
        }
    }

    /// True when `len` is 0.
    pub fn is_empty(&self, timeout: Option<Duration>) -> Result<bool> {
        Ok(self.len(timeout)? == 0)
    }

    /// Ends the `get` waits in progress on this queue (on any thread) with `Cancelled`;
    /// with none in progress, the next one.
    pub fn cancel(&self) {
        self.signal.cancel();
    }

    /// Forgets a `cancel` that no wait has ended with.
    pub fn clear_cancel(&self) {
        self.signal.clear_cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_have_three_digit_priorities_as_kazoo_writes_them() {
        assert_eq!(entry_prefix(100).unwrap(), "entry-100-");
        assert_eq!(entry_prefix(0).unwrap(), "entry-000-");
        assert_eq!(entry_prefix(7).unwrap(), "entry-007-");
        assert_eq!(entry_prefix(999).unwrap(), "entry-999-");
        assert_eq!(entry_prefix(-1), Err(Error::InvalidArgument));
        assert_eq!(entry_prefix(1000), Err(Error::InvalidArgument));
        assert_eq!(
            base_name("/q/entries/entry-100-0000000003"),
            "entry-100-0000000003"
        );
    }
}
