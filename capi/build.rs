//! Gives the shared library its SONAME, libzkclient.so.MAJOR, so that programs linked
//! against it record the major version they were built for, and `make install` installs
//! the very file cargo linked.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let family = std::env::var("CARGO_CFG_TARGET_FAMILY").unwrap_or_default();
    // ELF systems; Apple's linker names a library by -install_name instead.
    if family == "unix" && os != "macos" && os != "ios" {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets it");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libzkclient.so.{major}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
