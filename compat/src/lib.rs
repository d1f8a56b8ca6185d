//! libzookeeper_mt: the API and ABI of the official ZooKeeper C client's zookeeper.h
//! (3.8, multi-threaded), built on the zkclient crate's public `Client` API. A program
//! written for the official client links this library instead, or runs on it unchanged
//! through LD_LIBRARY_PATH (the same SONAME, libzookeeper_mt.so.2). docs/compat.md lists
//! the functions and every difference from the official client.
//!
//! - `handle`: zhandle_t, its life cycle, state, session events, handle-level calls
//! - `watch`: the watcher tables (one event per watcher and path, as zookeeper.h has it)
//! - `ops`: the node operations, blocking and async, and `zoo_add_auth`
//! - `multi`: zoo_op_t, zoo_multi, zoo_amulti
//! - `admin`: getconfig, reconfig, watch removal, small exported helpers
//! - `jute`, `consts`, `errors`, `log` (and log.c): records, constants, codes, logging
//! - `records`: the official library's other jute records and their `deallocate_*`

#![allow(clippy::missing_safety_doc)]

mod admin;
mod consts;
mod errors;
mod handle;
mod jute;
mod log;
mod multi;
mod ops;
mod records;
mod watch;
