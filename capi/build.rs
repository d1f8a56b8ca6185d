//! Link settings of the C library that Cargo.toml cannot express:
//! - the shared library's SONAME, libzkclient.so.MAJOR, so that programs linked against it
//!   record the major version they were built for, and `make install` installs the very
//!   file cargo linked;
//! - the unwinder linked into the shared library (what gcc's `-static-libgcc` does), so
//!   it needs no libgcc_s.so at run time;
//! - the layout of its code (layout.ld: what a client seldom runs goes after what it runs)
//!   and packed relative relocations, for the memory every process that loads it keeps.

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

    // The layout of the code: layout.ld says what it moves and why (docs/performance.md
    // has the figures). A script fragment that lld and GNU ld take, gold and mold do not.
    // (The path may hold no comma: -Wl splits there.)
    println!("cargo:rerun-if-changed=layout.ld");
    let linker = configured_linker();
    if linker.contains("gold") || linker.contains("mold") {
        println!("cargo:warning=linking with {linker}, which takes no INSERT: layout.ld not used");
    } else {
        let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it");
        let layout = PathBuf::from(dir).join("layout.ld");
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
