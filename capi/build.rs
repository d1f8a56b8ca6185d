//! Link settings of the C library that Cargo.toml cannot express:
//! - the shared library's SONAME, libzkclient.so.MAJOR, so that programs linked against it
//!   record the major version they were built for, and `make install` installs the very
//!   file cargo linked;
//! - the unwinder linked into the shared library (what gcc's `-static-libgcc` does), so
//!   it needs no libgcc_s.so at run time.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let family = std::env::var("CARGO_CFG_TARGET_FAMILY").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    // ELF systems; Apple's linker names a library by -install_name instead.
    if family != "unix" || os == "macos" || os == "ios" {
        return;
    }
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets it");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libzkclient.so.{major}");

    // The unwinder. `panic = "unwind"` needs one (the ffi layer turns a panic into a result
    // code), and std links it as libgcc_s.so: about 100 KB more resident memory in every
    // process that loads us (its code and data pages; the C client needs none), for the
    // few functions a panic uses. gcc's `-static-libgcc` would link libgcc_eh.a, its
    // static form, instead, but rustc does not pass it on; naming the archive here does
    // the same. It comes before std's -lgcc_s on the link line, so the unwinder's symbols
    // resolve from it and --as-needed drops libgcc_s. They stay local: the .so exports
    // only the zk_* functions. Panics never unwind out of the library, so this private
    // unwinder only ever walks our own frames.
    //
    // `-bundle` keeps the archive out of libzkclient.a: a static program links its own
    // unwinder (zkclient.pc's Libs.private: -lgcc_s), and two in one program would clash.
    // Without gcc (musl, clang-only systems) there is no libgcc_eh.a, and std's default
    // stays.
    if env == "gnu" {
        if let Some(dir) = gcc_eh_dir() {
            println!("cargo:rustc-link-search=native={}", dir.display());
            println!("cargo:rustc-link-lib=static:-bundle=gcc_eh");
        }
    }
}

/// The folder of gcc's libgcc_eh.a, if the C compiler cargo would use is gcc and has it.
fn gcc_eh_dir() -> Option<PathBuf> {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    println!("cargo:rerun-if-env-changed=CC");
    let out = Command::new(cc)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    // A compiler without it echoes the bare name back.
    if !path.is_absolute() || !path.is_file() {
        return None;
    }
    path.parent().map(PathBuf::from)
}
