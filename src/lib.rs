//! libzkclient: a ZooKeeper client with a C ABI.
//!
//! Layers, one way only (see `docs/design.md`): `proto` (pure codec) <- `session` (all I/O,
//! the state machine, the watch table) <- `client` (the public blocking Rust API) <- `recipe`
//! (locks, elections, ... on the public API) <- `ffi`
//! (the `extern "C"` translation that `include/zkclient.h` declares).

pub mod client;
pub mod error;
pub mod ffi;
// The codec holds the whole protocol (every record, error code and constant, each proved
// by its unit tests); the client uses part of it so far.
#[allow(dead_code, unused_imports)]
pub(crate) mod proto;
pub(crate) mod random;
pub mod recipe;
pub(crate) mod session;
// Entry points for the fuzz targets in fuzz/ and the replay of their corpus; not API.
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;

pub use client::multi;
pub use client::{
    acl, Acl, Client, ClientId, ClientInfo, ConnectError, CreateOptions, Created, EnsembleConfig,
    EventType, Id, KeeperState, ListenerFn, LogFn, LogLevel, Options, PersistentFn, Reconfig,
    RetryPolicy, Sasl, Stat, State, TlsOptions, WatchFn, WatchedEvent, WatcherType,
};
pub use error::{Error, Result};
