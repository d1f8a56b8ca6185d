//! The C ABI that `include/zkclient.h` declares: opaque handles, the result enum,
//! callbacks and buffers. This layer only translates: `convert.rs` checks pointers and
//! UTF-8, converts C types to the Rust API's and back, and catches panics; the other files
//! convert their arguments, call `client`, and convert the result back.
//!
//! cbindgen writes functions in the order it reads them: this file, then the modules in
//! the order below, which is the header's reading order. The conventions every function
//! follows are the header's preamble (`header` in cbindgen.toml); each function's doc
//! comment is its entry in the header, so it is written in C words, and states its contract
//! there rather than under a Rust `# Safety` heading.

#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

mod convert;

pub mod options;

pub mod client;

pub mod ops;

pub mod async_ops;

pub mod txn;

pub mod config;

pub mod recipe_lock;

pub mod recipe_semaphore;

pub mod recipe_election;

pub mod recipe_barrier;

pub mod recipe_counter;

pub mod recipe_party;

pub mod recipe_partitioner;

pub mod recipe_lease;

pub mod recipe_queue;
pub mod recipe_watchers;

pub mod recipe_tree_cache;

pub mod types;

use std::ffi::c_char;

use crate::error::Error;

/// The result of every fallible function (the crate's `Error`, which cbindgen exports as
/// `zk_result`).
/// cbindgen:ignore
pub type zk_result = Error;

/// The library's version, "MAJOR.MINOR.PATCH", as a static string (never freed). It matches
/// the ZK_VERSION_* macros of the header the program was built with.
#[no_mangle]
pub extern "C" fn zk_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr() as *const c_char
}

/// A static message for a result code: never NULL, never freed. Any integer is accepted; a
/// code the library does not know gets a message saying so.
#[no_mangle]
pub extern "C" fn zk_result_message(result: i32) -> *const c_char {
    // The parameter is a plain int32_t, not zk_result: C may pass any integer, and a Rust
    // enum holding a value outside its variants is undefined behaviour.
    match Error::known(result) {
        Some(e) => e.message_cstr().as_ptr(),
        None => c"unknown result code".as_ptr(),
    }
}

/// A test hook, built only for the library's own tests (`--features test-hooks`) and never
/// declared in the header: panics inside the guard every exported function runs in, and
/// returns what the guard makes of it, `ZK_RESULT_PANIC`. The C tests call it to prove that
/// a panic comes back to C as a result and never takes the host process down.
/// cbindgen:ignore
#[cfg(any(test, feature = "test-hooks"))]
#[no_mangle]
pub extern "C" fn zk__test_panic() -> zk_result {
    convert::guard(|| panic!("zk__test_panic: a panic on purpose, for the test suite"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn result_message_accepts_any_integer() {
        for code in [
            0,
            -101,
            -1012,
            -10,
            -11,
            1,
            12345,
            -1099,
            i32::MIN,
            i32::MAX,
        ] {
            let m = unsafe { CStr::from_ptr(zk_result_message(code)) };
            assert!(!m.to_bytes().is_empty(), "{code}");
        }
        let known = unsafe { CStr::from_ptr(zk_result_message(-101)) };
        assert_eq!(known.to_str().unwrap(), Error::NoNode.message());
    }

    #[test]
    fn a_panic_comes_back_as_a_result() {
        assert_eq!(zk__test_panic(), Error::Panic);
        assert_eq!(zk__test_panic(), Error::Panic);
    }
}
