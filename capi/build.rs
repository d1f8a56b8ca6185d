//! Link settings of the C library that Cargo.toml cannot express:
//! - the shared library's SONAME, libzkclient.so.MAJOR, so that programs linked against it
//!   record the major version they were built for, and `make install` installs the very
//!   file cargo linked;
//! - what link.rs does for the memory every process that loads it keeps: the layout of its
//!   code (layout.ld: what a client seldom runs goes after what it runs), packed relative
//!   relocations, and the unwinder linked in (what gcc's `-static-libgcc` does), so it
//!   needs no libgcc_s.so at run time.

use std::path::PathBuf;

mod link;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=link.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let family = std::env::var("CARGO_CFG_TARGET_FAMILY").unwrap_or_default();
    // ELF systems; Apple's linker names a library by -install_name instead.
    if family != "unix" || os == "macos" || os == "ios" {
        return;
    }
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets it");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libzkclient.so.{major}");
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    link::lean_shared_library(&dir.join("layout.ld"));
}
