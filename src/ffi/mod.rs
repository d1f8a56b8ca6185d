//! The C ABI: opaque handles, the result enum, callbacks and buffers. This layer only
//! translates: it checks pointers and UTF-8, converts C types to the Rust API's and back,
//! and catches panics. Every pointer cast lives in this file's helpers; the per-class files
//! (`client.rs`, `options.rs`, `types.rs`) call them and never dereference raw pointers
//! themselves.
//!
//! Conventions, repeated in the header: functions return `zk_result`; outputs go in
//! trailing out-parameters written only on success; everything the library allocates for
//! the caller has exactly one free function; `_free(NULL)` is a no-op.

#![allow(non_camel_case_types)]

pub mod async_ops;
pub mod client;
pub mod options;
pub mod txn;
pub mod types;

use std::ffi::{c_char, c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{Error, Result};

/// The result of every fallible function (the crate's `Error`, which cbindgen exports as
/// `zk_result`).
/// cbindgen:ignore
pub type zk_result = Error;

/// Runs an exported function's body, turning a panic into `ZK_RESULT_PANIC` so that no
/// unwind ever crosses into C.
pub(crate) fn guard(f: impl FnOnce() -> Result<()>) -> zk_result {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => Error::Ok,
        Ok(Err(e)) => e,
        Err(_) => Error::Panic,
    }
}

/// Like `guard` for functions that return a value instead of a result.
pub(crate) fn guard_value<T>(default: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(default)
}

/// Borrows a NUL-terminated UTF-8 string.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives the borrow.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char) -> Result<&'a str> {
    if p.is_null() {
        return Err(Error::NullArgument);
    }
    // SAFETY: non-null and NUL-terminated by the caller's contract.
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .map_err(|_| Error::InvalidUtf8)
}

/// Borrows `len` bytes; NULL is fine when `len` is 0.
///
/// # Safety
/// `p` is NULL or points to `len` readable bytes that outlive the borrow.
pub(crate) unsafe fn bytes_arg<'a>(p: *const u8, len: usize) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Error::NullArgument);
    }
    if len > isize::MAX as usize {
        return Err(Error::TooLarge);
    }
    // SAFETY: non-null, `len` bytes readable by the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// Borrows an array of `len` items; NULL is fine when `len` is 0.
///
/// # Safety
/// `p` is NULL or points to `len` valid items that outlive the borrow.
pub(crate) unsafe fn slice_arg<'a, T>(p: *const T, len: usize) -> Result<&'a [T]> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Error::NullArgument);
    }
    // SAFETY: non-null, `len` valid items by the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// Borrows an object behind a pointer the library handed out (or a caller's struct).
///
/// # Safety
/// `p` is NULL or points to a live `T`.
pub(crate) unsafe fn ref_arg<'a, T>(p: *const T) -> Result<&'a T> {
    // SAFETY: the caller's contract.
    unsafe { p.as_ref() }.ok_or(Error::NullArgument)
}

/// Mutable borrow of a caller's object or out-parameter.
///
/// # Safety
/// `p` is NULL or points to a live, writable `T` not aliased during the borrow.
pub(crate) unsafe fn mut_arg<'a, T>(p: *mut T) -> Result<&'a mut T> {
    // SAFETY: the caller's contract.
    unsafe { p.as_mut() }.ok_or(Error::NullArgument)
}

/// Writes an optional out-parameter (NULL = the caller does not want it).
///
/// # Safety
/// `p` is NULL or points to writable memory for a `T`.
pub(crate) unsafe fn write_opt<T>(p: *mut T, v: T) {
    if !p.is_null() {
        // SAFETY: non-null, writable by the caller's contract. `write` does not drop the
        // old (possibly uninitialised) value.
        unsafe { p.write(v) };
    }
}

/// Moves a value to the heap and hands its pointer to C.
pub(crate) fn to_handle<T>(v: T) -> *mut T {
    Box::into_raw(Box::new(v))
}

/// Takes back a handle made by `to_handle`; NULL gives None.
///
/// # Safety
/// `p` is NULL or came from `to_handle::<T>` and is not used again.
pub(crate) unsafe fn from_handle<T>(p: *mut T) -> Option<Box<T>> {
    if p.is_null() {
        None
    } else {
        // SAFETY: made by Box::into_raw in to_handle, ownership returns here once.
        Some(unsafe { Box::from_raw(p) })
    }
}

/// A C `void *userdata` with its optional finalizer, run exactly once when this is dropped.
pub(crate) struct UserData {
    ptr: *mut c_void,
    finalizer: types::zk_finalizer_fn,
}

// SAFETY: the header tells C callers that userdata is handed to callbacks on the library's
// event thread and finalized there or on the calling thread; they promise it may be.
unsafe impl Send for UserData {}
// SAFETY: the library only passes the pointer along; it never reads through it.
unsafe impl Sync for UserData {}

impl UserData {
    /// The pointer; a method so closures capture the whole (Send) wrapper, not the raw field.
    pub fn ptr(&self) -> *mut c_void {
        self.ptr
    }

    pub fn new(ptr: *mut c_void, finalizer: types::zk_finalizer_fn) -> UserData {
        UserData { ptr, finalizer }
    }
}

impl Drop for UserData {
    fn drop(&mut self) {
        if let Some(f) = self.finalizer.take() {
            // SAFETY: a C function pointer the caller gave with this userdata.
            unsafe { f(self.ptr) };
        }
    }
}

/// The library's version, `"MAJOR.MINOR.PATCH"`, as a static string.
#[no_mangle]
pub extern "C" fn zk_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr() as *const c_char
}

/// A static message for a result code; never NULL, never to be freed. Any integer is
/// fine: a code the library does not know gets a message saying so.
///
/// The parameter is a plain `int32_t` (which `zk_result` is in C) because C may pass any
/// integer, and a Rust enum holding a value outside its variants is undefined behaviour.
#[no_mangle]
pub extern "C" fn zk_result_message(result: i32) -> *const c_char {
    match Error::known(result) {
        Some(e) => e.message_cstr().as_ptr(),
        None => c"unknown result code".as_ptr(),
    }
}

/// For libzkclient's own tests, not part of the API (it is left out of the header): panics
/// inside the guard that every exported function runs in, and returns what the guard makes
/// of it, `ZK_RESULT_PANIC`. The install test calls it to prove that the unwinder linked
/// into the installed libraries (scripts/unwinder.py) unwinds, and that a panic never
/// takes the host process down.
/// cbindgen:ignore
#[no_mangle]
pub extern "C" fn zk__test_panic() -> zk_result {
    guard(|| panic!("zk__test_panic: a panic on purpose, for the test suite"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
            -1013,
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
