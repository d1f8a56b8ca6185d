//! Recipes: locks, elections, barriers, counters, parties, ... built only on the public
//! `client` API (design.md's layer between `client` and `ffi`). Each writes the same znodes
//! as kazoo's recipe of the same name (and, where it offers a Curator layout, as Curator's),
//! so a program using libzkclient and one using kazoo share a lock, an election or a
//! counter. The layouts, and where we choose between kazoo's and Curator's semantics, are
//! in `docs/recipes.md`.
//!
//! One file per recipe; what several recipes share (unique node names, ...) lives here.

pub mod election;
pub(crate) mod gate;
pub(crate) mod hold;
pub(crate) mod ids;
pub mod lease;
pub mod lock;
pub mod semaphore;

pub mod barrier;
mod common;
pub mod counter;
pub mod partitioner;
pub mod party;
pub mod queue;
pub mod tree_cache;
pub mod watchers;
