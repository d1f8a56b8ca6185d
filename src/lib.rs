//! libzkclient: a ZooKeeper client with a C ABI.
//!
//! Layers, one way only (see `docs/design.md`): `proto` (pure codec) <- `session` (all I/O,
//! the state machine, the watch table) <- `client` (the public blocking Rust API) <- `ffi`
//! (the `extern "C"` translation that `include/zkclient.h` declares).

pub mod client;
pub mod error;
pub mod ffi;
pub mod proto;
pub mod session;

pub use client::multi;
pub use client::{
    acl, Acl, Client, CreateOptions, Created, Id, LogFn, LogLevel, Options, RetryPolicy, Stat,
    TlsOptions, WatchedEvent,
};
pub use error::{Error, Result};
pub use proto::consts::{EventType, WatcherType};
pub use session::state::PersistentFn;
pub use session::state::{KeeperState, State};
pub use session::ClientId;
