//! Party and ShallowParty: a set of live members, each an ephemeral node under the party's
//! path, as kazoo writes them. A party member is `<path>/<uuid4 hex>__party__` holding its
//! identifier; a shallow party member is `<path>/<uuid4 hex>-<identifier>` with no data, so
//! its members are one children read. One type for both: only the node's name and how
//! members are read differ.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::common::{child, create_own_ephemeral, recipe_client, remove_node, Deadline};
use super::ids::uuid4_hex;
use crate::client::multi::{ReadOp, ReadResult};
use crate::client::{check_path, Client};
use crate::error::{Error, Result};

/// What marks a party member's node (kazoo counts any child whose name contains it).
const PARTY_MARK: &str = "__party__";

/// Reads of member data per round trip: a few hundred small nodes fit in any frame.
const READ_BATCH: usize = 128;

/// Our membership of a party (kazoo's Party, `Party::new`) or of a shallow party (kazoo's
/// ShallowParty, `Party::new_shallow`). Thread-safe; one member per value. Dropping a
/// member that has joined leaves the party (with the client's operation timeout; the
/// session's end would remove the node too).
pub struct Party {
    client: Client,
    path: String,
    /// Our node's name, unique to this value (a fresh uuid4) and fixed for its life: after
    /// a lost create reply the node is found by its name, and a second create of it can
    /// only fail with NodeExists, never make a second member.
    node: String,
    /// The identifier (a party's node data); empty for a shallow party's.
    data: Vec<u8>,
    shallow: bool,
    participating: AtomicBool,
}

impl Party {
    /// Our membership of the party at `path`, with `identifier` as our node's data (kazoo's
    /// default is ""). Nothing is sent until `join`.
    pub fn new(client: &Client, path: &str, identifier: &str) -> Result<Party> {
        let node = format!("{}{PARTY_MARK}", uuid4_hex()?);
        Party::with_node(client, path, node, identifier.as_bytes().to_vec(), false)
    }

    /// Our membership of the shallow party at `path` as `identifier`, which is part of our
    /// node's name: `InvalidArgument` when it cannot be (a '/', a character the server
    /// refuses). Nothing is sent until `join`.
    pub fn new_shallow(client: &Client, path: &str, identifier: &str) -> Result<Party> {
        let node = format!("{}-{identifier}", uuid4_hex()?);
        Party::with_node(client, path, node, Vec::new(), true)
    }

    fn with_node(
        client: &Client,
        path: &str,
        node: String,
        data: Vec<u8>,
        shallow: bool,
    ) -> Result<Party> {
        let client = recipe_client(client, path)?;
        // A name with a '/' would be a grandchild; other bad characters the server refuses.
        if node.contains('/') || check_path(&child(path, &node)).is_err() {
            return Err(Error::InvalidArgument);
        }
        Ok(Party {
            client,
            path: path.to_string(),
            node,
            data,
            shallow,
            participating: AtomicBool::new(false),
        })
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// True for a shallow party's member.
    pub fn is_shallow(&self) -> bool {
        self.shallow
    }

    /// Our node's path: `<path>/<uuid4 hex>__party__`, or `<path>/<uuid4 hex>-<identifier>`
    /// in a shallow party.
    pub fn node_path(&self) -> String {
        child(&self.path, &self.node)
    }

    /// Joins (makes the path if missing). Joining again is fine: still one node, and so
    /// is a join whose create reply was lost.
    pub fn join(&self, timeout: Option<Duration>) -> Result<()> {
        let d = Deadline::new(&self.client, timeout);
        create_own_ephemeral(&self.client, &self.path, &self.node, &self.data, &d)?;
        self.participating.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Leaves: true if our node was removed, false if it was not there (leaving again is
    /// fine).
    pub fn leave(&self, timeout: Option<Duration>) -> Result<bool> {
        let d = Deadline::new(&self.client, timeout);
        self.participating.store(false, Ordering::SeqCst);
        remove_node(&self.client, &self.node_path(), &d)
    }

    /// True between a `join` that returned Ok and the next `leave`. Says nothing of the
    /// session: an expired session has taken our node with it.
    pub fn participating(&self) -> bool {
        self.participating.load(Ordering::SeqCst)
    }

    /// The members' identifiers (ours included while joined), in the order of their node
    /// names. A shallow party's are the text after the first '-' of each child's name
    /// (one read). A party's are its members' data, read in batches (a round trip per 128
    /// members); data that is not UTF-8 is read lossily, and a member that leaves during
    /// the read is left out.
    pub fn members(&self, timeout: Option<Duration>) -> Result<Vec<String>> {
        let d = Deadline::new(&self.client, timeout);
        let names = self.member_nodes(&d)?;
        if self.shallow {
            return Ok(names
                .into_iter()
                .map(|c| shallow_identifier(&c).to_string())
                .collect());
        }
        let mut out = Vec::with_capacity(names.len());
        for batch in names.chunks(READ_BATCH) {
            let ops: Vec<ReadOp> = batch
                .iter()
                .map(|n| ReadOp::get_data(child(&self.path, n)))
                .collect();
            for r in self.client.multi_read(&ops, d.left()?)? {
                match r {
                    ReadResult::Data { data, .. } => {
                        out.push(String::from_utf8_lossy(&data).into_owned())
                    }
                    ReadResult::Failed(Error::NoNode) => {}
                    ReadResult::Failed(e) => return Err(e),
                    ReadResult::Children(_) => return Err(Error::Protocol),
                }
            }
        }
        Ok(out)
    }

    /// The number of members (kazoo's `len`): one children read.
    pub fn len(&self, timeout: Option<Duration>) -> Result<usize> {
        let d = Deadline::new(&self.client, timeout);
        Ok(self.member_nodes(&d)?.len())
    }

    /// The members' node names, sorted: a party's children that carry its mark, every
    /// child of a shallow party's path; none while the path does not exist.
    fn member_nodes(&self, d: &Deadline) -> Result<Vec<String>> {
        let mut names = match self.client.get_children(&self.path, None, false, d.left()?) {
            Ok((c, _)) => c,
            Err(Error::NoNode) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        if !self.shallow {
            names.retain(|c| c.contains(PARTY_MARK));
        }
        names.sort();
        Ok(names)
    }
}

/// A shallow party member's identifier: the text after the first '-' of its node's name
/// (the whole name when it has none, as kazoo's `c[c.find('-') + 1:]` gives).
pub(crate) fn shallow_identifier(name: &str) -> &str {
    name.split_once('-').map_or(name, |(_, ident)| ident)
}

impl Drop for Party {
    fn drop(&mut self) {
        if self.participating() {
            let _ = self.leave(None);
        }
    }
}
