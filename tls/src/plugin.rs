//! The static library's TLS member: `zk_options_set_tls` lives here, so that calling it
//! is what links TLS into a program. It hands `PROVIDER` to the core and lets the core
//! check and store the settings, exactly as the core's own `zk_options_set_tls` does in
//! the shared library.

use std::ffi::{c_char, c_void};

use crate::abi::Provider;
use crate::PROVIDER;

// Defined by the core when it is built with `tls-plugin` (src/ffi/options.rs). Both
// return a zk_result, an int.
extern "C" {
    fn zk__tls_register(provider: *const Provider) -> i32;
    fn zk__options_set_tls(
        opts: *mut c_void,
        ca_file: *const c_char,
        cert_file: *const c_char,
        key_file: *const c_char,
        verify_certs: bool,
        check_hostname: bool,
    ) -> i32;
}

/// See `zk_options_set_tls` in zkclient.h.
///
/// # Safety
/// As `zk_options_set_tls`: `opts` is a live zk_options; each path is NULL or
/// NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn zk_options_set_tls(
    opts: *mut c_void,
    ca_file: *const c_char,
    cert_file: *const c_char,
    key_file: *const c_char,
    verify_certs: bool,
    check_hostname: bool,
) -> i32 {
    // SAFETY: PROVIDER is a static of the ABI's layout; the rest is the caller's contract.
    unsafe {
        let r = zk__tls_register(&PROVIDER);
        if r != 0 {
            return r;
        }
        zk__options_set_tls(
            opts,
            ca_file,
            cert_file,
            key_file,
            verify_certs,
            check_hostname,
        )
    }
}
