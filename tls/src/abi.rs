//! The table of C functions through which libzkclient's core speaks TLS. Only C types
//! cross it: the static library's TLS member carries its own copy of Rust's standard
//! library, so a Rust value made on one side must never be used or freed on the other.
//!
//! Every call that can fail returns a status: `OK`, an OS error number (> 0) from the
//! socket (`EAGAIN`/`ETIMEDOUT` when its timeout passed), or one of the `ERR_*` values
//! below, and then writes a sentence into `why`.

use std::ffi::{c_char, c_int};

/// The layout of `Provider`; a core refuses a provider of another version.
pub const ABI_VERSION: u32 = 1;

/// Done.
pub const OK: i32 = 0;
/// TLS itself failed: an unusable file or certificate, a protocol error, an alert from
/// the peer (`io::ErrorKind::InvalidData`; `Error::Tls` when building a configuration).
pub const ERR_TLS: i32 = -1;
/// The peer closed the connection in the middle of a handshake or record.
pub const ERR_EOF: i32 = -2;
/// Settings or arguments that cannot be used (`Error::InvalidArgument`,
/// `io::ErrorKind::InvalidInput`).
pub const ERR_INVALID: i32 = -3;
/// A panic inside the provider, caught at its boundary.
pub const ERR_PANIC: i32 = -4;

/// Where Debian (and most Linux systems) keep the trusted CA bundle: the CA file used
/// when `Settings::ca_file` is NULL.
pub const SYSTEM_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// TLS settings of a client (kazoo's `verify_certs`, `check_hostname`, `ca`, `certfile`,
/// `keyfile`). Paths are NUL-terminated, or NULL.
#[repr(C)]
pub struct Settings {
    /// PEM CA certificates to trust; NULL = `SYSTEM_CA_BUNDLE`.
    pub ca_file: *const c_char,
    /// PEM certificate chain presented to the server, or NULL.
    pub cert_file: *const c_char,
    /// PEM private key of `cert_file`, or NULL.
    pub key_file: *const c_char,
    /// Verify the server's certificate chain.
    pub verify_certs: bool,
    /// Also check that the certificate names the host connected to.
    pub check_hostname: bool,
}

/// A failing call's sentence: up to `cap` bytes of UTF-8 written at `buf`, their count in
/// `len` (no NUL).
#[repr(C)]
pub struct Why {
    pub buf: *mut u8,
    pub cap: usize,
    pub len: usize,
}

impl Why {
    /// Writes `msg`, cut at a character boundary to fit.
    ///
    /// # Safety
    /// `self.buf` has room for `self.cap` bytes.
    pub unsafe fn set(&mut self, msg: &str) {
        let mut n = msg.len().min(self.cap);
        while !msg.is_char_boundary(n) {
            n -= 1;
        }
        // SAFETY: n <= cap, the room the caller promised; the regions cannot overlap.
        unsafe { std::ptr::copy_nonoverlapping(msg.as_ptr(), self.buf, n) };
        self.len = n;
    }
}

/// A client's built configuration (opaque; shared by its connections, used from any
/// thread).
#[repr(C)]
pub struct Config {
    _private: [u8; 0],
}

/// One connection's TLS state (opaque). `write_all` and `read` may run at the same time
/// on two threads (one writer, one reader); each of them is never entered twice at once.
#[repr(C)]
pub struct Conn {
    _private: [u8; 0],
}

/// A TLS implementation.
#[repr(C)]
pub struct Provider {
    /// `ABI_VERSION`.
    pub abi_version: u32,
    /// Reads the files and builds a configuration into `*out`.
    pub config_new: unsafe extern "C" fn(
        settings: *const Settings,
        out: *mut *mut Config,
        why: *mut Why,
    ) -> i32,
    pub config_free: unsafe extern "C" fn(cfg: *mut Config),
    /// The handshake on `fd`, a connected socket whose timeouts bound it; `host` (UTF-8,
    /// `host_len` bytes) is the name checked and sent as SNI.
    pub connect: unsafe extern "C" fn(
        cfg: *const Config,
        host: *const u8,
        host_len: usize,
        fd: c_int,
        out: *mut *mut Conn,
        why: *mut Why,
    ) -> i32,
    pub conn_free: unsafe extern "C" fn(conn: *mut Conn),
    /// Encrypts `len` bytes and writes them all to `fd`.
    pub write_all: unsafe extern "C" fn(
        conn: *const Conn,
        fd: c_int,
        data: *const u8,
        len: usize,
        why: *mut Why,
    ) -> i32,
    /// Reads up to `len` bytes of plaintext into `buf`, reading `fd` when nothing is
    /// buffered; `*n` = 0 is the end of the stream.
    pub read: unsafe extern "C" fn(
        conn: *const Conn,
        fd: c_int,
        buf: *mut u8,
        len: usize,
        n: *mut usize,
        why: *mut Why,
    ) -> i32,
}
