//! What the shared libraries of the workspace do at link time to keep the memory small that
//! every process loading them keeps (docs/performance.md, "Peak RSS of the shared
//! library"): the code layout of capi/layout.ld, packed relative relocations, and gcc's
//! static unwinder instead of libgcc_s.so. capi/build.rs (libzkclient.so) and
//! compat/build.rs (libzookeeper_mt.so.2) both include this file, so both libraries are
//! linked the same way, from the one layout script.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Prints the cargo directives for a cdylib (and the staticlib built beside it) on an ELF
/// system other than Apple's; `layout` is capi/layout.ld.
pub fn lean_shared_library(layout: &Path) {
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();

    // The layout of the code: layout.ld says what it moves and why (docs/performance.md
    // has the figures). A script fragment that lld and GNU ld take, gold and mold do not.
    // (The path may hold no comma: -Wl splits there.)
    println!("cargo:rerun-if-changed={}", layout.display());
    let linker = configured_linker();
    if linker.contains("gold") || linker.contains("mold") {
        println!("cargo:warning=linking with {linker}, which takes no INSERT: layout.ld not used");
    } else {
        let layout = layout
            .canonicalize()
            .unwrap_or_else(|_| layout.to_path_buf());
        println!("cargo:rustc-cdylib-link-arg=-Wl,-T,{}", layout.display());
    }

    // Packed relative relocations (DT_RELR): the 1,680 relocations that only add the load
    // address take 504 bytes instead of 40 KB, which the dynamic linker reads at every
    // load (about 20 KB less resident). Only where the C library knows them (glibc 2.36
    // and later: the linker then makes the library require GLIBC_ABI_DT_RELR, which an
    // older glibc refuses to load), and not with gold, which does not know them.
    if env == "gnu" && !linker.contains("gold") && glibc_has_dt_relr() {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,pack-relative-relocs");
    }

    // The unwinder. `panic = "unwind"` needs one (the C entry points turn a panic into a
    // result code), and std links it as libgcc_s.so: about 100 KB more resident memory in
    // every process that loads us (its code and data pages; the C client needs none), for
    // the few functions a panic uses. gcc's `-static-libgcc` would link libgcc_eh.a, its
    // static form, instead, but rustc does not pass it on; naming the archive here does
    // the same. It comes before std's -lgcc_s on the link line, so the unwinder's symbols
    // resolve from it and --as-needed drops libgcc_s. They stay local: the .so exports
    // only its C API. Panics never unwind out of the library, so this private unwinder
    // only ever walks our own frames.
    //
    // `-bundle` keeps the archive out of the static library: a static program links its
    // own unwinder (zkclient.pc's Libs.private: -lgcc_s), and two in one program would
    // clash. Without gcc (musl, clang-only systems) there is no libgcc_eh.a, and std's
    // default stays.
    if env == "gnu" {
        if let Some(dir) = gcc_eh_dir() {
            println!("cargo:rustc-link-search=native={}", dir.display());
            println!("cargo:rustc-link-lib=static:-bundle=gcc_eh");
        }
    }
}

/// The file name of the linker the build names, if it names one (RUSTFLAGS' `-fuse-ld=`
/// or `--ld-path=`, a target's `linker`); empty when it does not (rustc's default).
fn configured_linker() -> String {
    println!("cargo:rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let target_linker = std::env::var("RUSTC_LINKER").unwrap_or_default();
    let named = flags
        .split('\x1f')
        .filter(|f| f.contains("fuse-ld=") || f.contains("ld-path="))
        .chain(std::iter::once(target_linker.as_str()))
        .map(|f| f.rsplit(['=', '/']).next().unwrap_or("").to_string())
        .filter(|name| !name.is_empty())
        .collect::<Vec<_>>();
    named.join(" ")
}

/// Whether the glibc the link uses knows packed relative relocations: its libc.so.6 defines
/// the version GLIBC_ABI_DT_RELR.
fn glibc_has_dt_relr() -> bool {
    let needle = b"GLIBC_ABI_DT_RELR";
    cc_file("libc.so.6")
        .and_then(|libc| std::fs::read(libc).ok())
        .is_some_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
}

/// The folder of gcc's libgcc_eh.a, if the C compiler cargo would use is gcc and has it.
fn gcc_eh_dir() -> Option<PathBuf> {
    cc_file("libgcc_eh.a")?.parent().map(PathBuf::from)
}

/// Where the C compiler cargo would use finds one of its files (`-print-file-name`), if it
/// has it.
fn cc_file(name: &str) -> Option<PathBuf> {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    println!("cargo:rerun-if-env-changed=CC");
    let out = Command::new(cc)
        .arg(format!("-print-file-name={name}"))
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    // A compiler without it echoes the bare name back.
    (path.is_absolute() && path.is_file()).then_some(path)
}
