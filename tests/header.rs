//! The committed header is exactly what the pinned cbindgen makes of src/ffi today, its
//! version macros match Cargo.toml, and it reads in the order its preamble promises, in C
//! words, with no test hooks. `ZK_BLESS_HEADER=1` rewrites it instead of failing.

use std::path::PathBuf;

fn generate() -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut config =
        cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    config.after_includes = Some(format!(
        "\n#define ZK_VERSION_MAJOR {}\n#define ZK_VERSION_MINOR {}\n#define ZK_VERSION_PATCH {}\n#define ZK_VERSION_STRING \"{}\"\n",
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH"),
        env!("CARGO_PKG_VERSION"),
    ));
    let mut out = Vec::new();
    cbindgen::Builder::new()
        .with_crate(&root)
        .with_config(config)
        .generate()
        .expect("cbindgen failed")
        .write(&mut out);
    String::from_utf8(out).expect("utf-8 header")
}

#[test]
fn committed_header_matches_the_source() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("include/zkclient.h");
    let fresh = generate();
    if std::env::var_os("ZK_BLESS_HEADER").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "include/zkclient.h is stale: run `ZK_BLESS_HEADER=1 cargo test --test header` and commit it"
    );
}

#[test]
fn version_macros_and_zk_version_match_cargo_toml() {
    let header = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("include/zkclient.h"),
    )
    .unwrap();
    let want = format!(
        "#define ZK_VERSION_STRING \"{}\"",
        env!("CARGO_PKG_VERSION")
    );
    assert!(header.contains(&want), "header lacks {want}");
    let v = unsafe { std::ffi::CStr::from_ptr(zkclient::ffi::zk_version()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

fn committed() -> String {
    std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("include/zkclient.h"))
        .unwrap()
}

#[test]
fn functions_come_in_the_order_the_preamble_gives() {
    let header = committed();
    // One function of each section, in the promised order.
    let order = [
        "zk_result_message(",
        "zk_options_new(",
        "zk_client_new(",
        "zk_create(",
        "zk_create_async(",
        "zk_txn_new(",
        "zk_buffer_free(",
    ];
    // The line that declares it: not a comment, not the preamble.
    let decl = |f: &str| {
        header
            .lines()
            .position(|l| !l.starts_with("//") && !l.starts_with(" *") && l.contains(f))
            .unwrap_or_else(|| panic!("{f} is not declared"))
    };
    let at: Vec<usize> = order.iter().map(|f| decl(f)).collect();
    for (w, pair) in at.windows(2).enumerate() {
        assert!(
            pair[0] < pair[1],
            "{} comes after {}",
            order[w],
            order[w + 1]
        );
    }
}

#[test]
fn the_header_has_no_test_hooks_and_no_rust_safety_headings() {
    let header = committed();
    assert!(
        !header.contains("zk__"),
        "a zk__ name (test hook or internal) is declared"
    );
    assert!(
        !header.contains("# Safety"),
        "a Rust `# Safety` heading reached the header"
    );
}
