//! libzkclient's TLS provider: rustls (with `ring`) behind `abi::Provider`, a small table
//! of C functions through which the core library speaks TLS.
//!
//! It reaches a program in one of two ways:
//! - Built into the library. The `zkclient` crate's `tls` feature (the default) depends
//!   on this crate with `rustls` and uses `PROVIDER` directly: the shared library,
//!   `cargo test`, and Rust users.
//! - As its own member of the installed static library (`make install`). The core is
//!   then built without TLS code (`--no-default-features --features tls-plugin`), and
//!   this crate, built as a static library with `plugin`, defines `zk_options_set_tls`.
//!   A program's linker takes this member, and rustls and ring with it, only when the
//!   program calls that function. A program that never asks for TLS carries none of it:
//!   1.3 MB less code, and about 50 KB less of relocations and tables that every process
//!   would otherwise touch at start. scripts/tlsplugin.py merges the member into the
//!   archive and makes its copy of the standard library private to it.

pub mod abi;

#[cfg(feature = "rustls")]
mod provider;
#[cfg(feature = "rustls")]
pub use provider::PROVIDER;

#[cfg(feature = "plugin")]
mod plugin;
