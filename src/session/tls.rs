//! TLS settings, and the client configuration and connections built from them through a
//! TLS provider (`zkclient_tls::abi::Provider`, a table of C functions; the rustls one is
//! the `zkclient-tls` crate): CA certificates (a PEM file, or the system bundle), an
//! optional client certificate and key (PEM), certificate verification on by default, and
//! host-name checking as an option (kazoo's `verify_certs=True`, `check_hostname=False`).
//!
//! Where the provider comes from:
//! - the `tls` cargo feature (the default) links rustls's into the library;
//! - the installed static library's core (`tls-plugin`) gets it from its TLS member,
//!   through `register`, when a program calls zk_options_set_tls (tls/src/lib.rs says why);
//! - with neither, there is none: the options still exist (the C API is the same), but a
//!   client given them is refused with `Error::Tls`.

use std::ffi::CString;
use std::io::{self, ErrorKind};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr::{self, NonNull};
use std::sync::Arc;

pub use zkclient_tls::abi::SYSTEM_CA_BUNDLE;
use zkclient_tls::abi::{self, Provider};

use crate::error::{Error, Result};

/// TLS options of a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsOptions {
    /// PEM file of CA certificates to trust; `None` = the system bundle.
    pub ca_file: Option<PathBuf>,
    /// PEM certificate chain presented to the server (ZooKeeper maps it to `x509` auth).
    pub cert_file: Option<PathBuf>,
    /// PEM private key of `cert_file`.
    pub key_file: Option<PathBuf>,
    /// Verify the server's certificate chain. Turning it off accepts any server.
    pub verify_certs: bool,
    /// Also check that the certificate names the host connected to.
    pub check_hostname: bool,
}

impl Default for TlsOptions {
    fn default() -> Self {
        TlsOptions {
            ca_file: None,
            cert_file: None,
            key_file: None,
            verify_certs: true,
            check_hostname: false,
        }
    }
}

#[cfg(feature = "tls")]
fn provider() -> Option<&'static Provider> {
    Some(&zkclient_tls::PROVIDER)
}

#[cfg(not(feature = "tls"))]
static REGISTERED: std::sync::atomic::AtomicPtr<Provider> =
    std::sync::atomic::AtomicPtr::new(ptr::null_mut());

#[cfg(not(feature = "tls"))]
fn provider() -> Option<&'static Provider> {
    // SAFETY: only `register` stores here, and only pointers to 'static providers.
    unsafe {
        REGISTERED
            .load(std::sync::atomic::Ordering::Acquire)
            .as_ref()
    }
}

/// Takes the provider of the static library's TLS member (`tls-plugin` builds). One of
/// another ABI version is refused with `Error::Tls`.
#[cfg(not(feature = "tls"))]
#[cfg_attr(not(feature = "tls-plugin"), allow(dead_code))] // and its test
pub(crate) fn register(p: &'static Provider) -> Result<()> {
    if p.abi_version != abi::ABI_VERSION {
        return Err(Error::Tls);
    }
    REGISTERED.store(
        p as *const Provider as *mut Provider,
        std::sync::atomic::Ordering::Release,
    );
    Ok(())
}

/// A failing provider call's sentence.
struct WhyBuf {
    buf: [u8; 256],
    why: abi::Why,
}

impl WhyBuf {
    fn new() -> WhyBuf {
        WhyBuf {
            buf: [0; 256],
            why: abi::Why {
                buf: ptr::null_mut(),
                cap: 0,
                len: 0,
            },
        }
    }

    /// The Why to hand to a call (pointing into self, so self must not move meanwhile).
    fn arg(&mut self) -> *mut abi::Why {
        self.why = abi::Why {
            buf: self.buf.as_mut_ptr(),
            cap: self.buf.len(),
            len: 0,
        };
        &mut self.why
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.buf[..self.why.len.min(self.buf.len())]).into_owned()
    }

    /// A failed I/O call's status as an io::Error.
    fn io_error(&self, status: i32) -> io::Error {
        let kind = match status {
            n if n > 0 => return io::Error::from_raw_os_error(n),
            abi::ERR_EOF => ErrorKind::UnexpectedEof,
            abi::ERR_INVALID => ErrorKind::InvalidInput,
            abi::ERR_TLS => ErrorKind::InvalidData,
            _ => ErrorKind::Other,
        };
        io::Error::new(kind, self.text())
    }
}

/// A built configuration, shared by every connection of a client.
#[derive(Clone)]
pub struct TlsConfig(Arc<ConfigHandle>);

struct ConfigHandle {
    provider: &'static Provider,
    raw: NonNull<abi::Config>,
}

// SAFETY: the ABI's contract: a configuration is immutable and usable from any thread.
unsafe impl Send for ConfigHandle {}
// SAFETY: as above.
unsafe impl Sync for ConfigHandle {}

impl Drop for ConfigHandle {
    fn drop(&mut self) {
        // SAFETY: made by this provider's config_new, freed once, here.
        unsafe { (self.provider.config_free)(self.raw.as_ptr()) }
    }
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsConfig")
    }
}

fn c_path(p: &Option<PathBuf>) -> std::result::Result<Option<CString>, (Error, String)> {
    p.as_deref()
        .map(|p: &Path| {
            CString::new(p.as_os_str().as_bytes()).map_err(|_| {
                (
                    Error::InvalidArgument,
                    format!("{}: NUL in a path", p.display()),
                )
            })
        })
        .transpose()
}

impl TlsConfig {
    /// Reads the files and builds the provider's configuration. Unreadable or malformed
    /// files fail with `Error::Tls`, a key without a certificate or host-name checking
    /// without verification with `Error::InvalidArgument`, and so does a library without
    /// TLS; `build_explained` also says why.
    pub fn build(o: &TlsOptions) -> Result<TlsConfig> {
        TlsConfig::build_explained(o).map_err(|(e, _)| e)
    }

    /// `build`, with a sentence for the log when it fails.
    // Out of line, as are the other TLS paths below: a plaintext client's connect, read
    // and write paths then carry no TLS code (scripts/hotlayout.py says why that matters).
    #[inline(never)]
    pub fn build_explained(o: &TlsOptions) -> std::result::Result<TlsConfig, (Error, String)> {
        let Some(provider) = provider() else {
            return Err((
                Error::Tls,
                "this libzkclient was built without TLS (cargo feature `tls`)".into(),
            ));
        };
        let (ca, cert, key) = (
            c_path(&o.ca_file)?,
            c_path(&o.cert_file)?,
            c_path(&o.key_file)?,
        );
        let arg = |p: &Option<CString>| p.as_ref().map_or(ptr::null(), |c| c.as_ptr());
        let settings = abi::Settings {
            ca_file: arg(&ca),
            cert_file: arg(&cert),
            key_file: arg(&key),
            verify_certs: o.verify_certs,
            check_hostname: o.check_hostname,
        };
        let mut out = ptr::null_mut();
        let mut why = WhyBuf::new();
        // SAFETY: live settings whose paths outlive the call, a live out and why.
        let st = unsafe { (provider.config_new)(&settings, &mut out, why.arg()) };
        match (st, NonNull::new(out)) {
            (abi::OK, Some(raw)) => Ok(TlsConfig(Arc::new(ConfigHandle { provider, raw }))),
            (abi::ERR_INVALID, _) => Err((Error::InvalidArgument, why.text())),
            _ => Err((Error::Tls, why.text())),
        }
    }
}

/// One connection's TLS state, shared by its writing and reading halves.
#[derive(Clone)]
pub(crate) struct TlsConn(Arc<ConnHandle>);

struct ConnHandle {
    provider: &'static Provider,
    raw: NonNull<abi::Conn>,
    // The configuration outlives its connections.
    _cfg: TlsConfig,
}

// SAFETY: the ABI's contract: one writer and one reader may use a connection at once, from
// any threads; the transport has one of each.
unsafe impl Send for ConnHandle {}
// SAFETY: as above.
unsafe impl Sync for ConnHandle {}

impl Drop for ConnHandle {
    fn drop(&mut self) {
        // SAFETY: made by this provider's connect, freed once, here.
        unsafe { (self.provider.conn_free)(self.raw.as_ptr()) }
    }
}

impl TlsConn {
    /// The TLS handshake on a connected socket (its timeouts bound it).
    #[inline(never)]
    pub(crate) fn handshake(cfg: &TlsConfig, host: &str, tcp: &TcpStream) -> io::Result<TlsConn> {
        let c = &cfg.0;
        let mut out = ptr::null_mut();
        let mut why = WhyBuf::new();
        // SAFETY: a live configuration of this provider, host's bytes, an open socket that
        // outlives the call, a live out and why.
        let st = unsafe {
            (c.provider.connect)(
                c.raw.as_ptr(),
                host.as_ptr(),
                host.len(),
                tcp.as_raw_fd(),
                &mut out,
                why.arg(),
            )
        };
        match (st, NonNull::new(out)) {
            (abi::OK, Some(raw)) => Ok(TlsConn(Arc::new(ConnHandle {
                provider: c.provider,
                raw,
                _cfg: cfg.clone(),
            }))),
            (abi::OK, None) => Err(io::Error::other("TLS provider made no connection")),
            _ => Err(why.io_error(st)),
        }
    }

    #[inline(never)]
    pub(crate) fn write_all(&self, tcp: &TcpStream, data: &[u8]) -> io::Result<()> {
        let c = &self.0;
        let mut why = WhyBuf::new();
        // SAFETY: a live connection, the socket it runs on, data's bytes, a live why; the
        // transport writes from one thread at a time (under its send lock).
        let st = unsafe {
            (c.provider.write_all)(
                c.raw.as_ptr(),
                tcp.as_raw_fd(),
                data.as_ptr(),
                data.len(),
                why.arg(),
            )
        };
        if st == abi::OK {
            Ok(())
        } else {
            Err(why.io_error(st))
        }
    }

    /// Reads plaintext into `buf`. A socket timeout comes back as `WouldBlock`/`TimedOut`;
    /// 0 is the end.
    #[inline(never)]
    pub(crate) fn read(&self, tcp: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
        let c = &self.0;
        let mut n = 0;
        let mut why = WhyBuf::new();
        // SAFETY: a live connection, the socket it runs on, room for buf.len() bytes, live
        // n and why; only the reading half (one thread at a time) calls this.
        let st = unsafe {
            (c.provider.read)(
                c.raw.as_ptr(),
                tcp.as_raw_fd(),
                buf.as_mut_ptr(),
                buf.len(),
                &mut n,
                why.arg(),
            )
        };
        if st == abi::OK {
            Ok(n.min(buf.len()))
        } else {
            Err(why.io_error(st))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "tls")]
    #[test]
    fn bad_settings_are_refused_before_any_connect() {
        let missing = TlsOptions {
            ca_file: Some("/no/such/ca.pem".into()),
            ..Default::default()
        };
        let (e, why) = TlsConfig::build_explained(&missing).unwrap_err();
        assert_eq!(e, Error::Tls);
        assert!(why.contains("/no/such/ca.pem"), "{why}");
        let name_without_verify = TlsOptions {
            verify_certs: false,
            check_hostname: true,
            ..Default::default()
        };
        assert_eq!(
            TlsConfig::build(&name_without_verify).err(),
            Some(Error::InvalidArgument)
        );
        let key_only = TlsOptions {
            verify_certs: false,
            key_file: Some("/k.pem".into()),
            ..Default::default()
        };
        assert_eq!(
            TlsConfig::build(&key_only).err(),
            Some(Error::InvalidArgument)
        );
    }

    #[cfg(feature = "tls")]
    #[test]
    fn no_verification_needs_no_files() {
        let o = TlsOptions {
            verify_certs: false,
            ..Default::default()
        };
        assert!(TlsConfig::build(&o).is_ok());
    }

    #[cfg(feature = "tls")]
    #[test]
    fn a_long_reason_is_cut_to_fit_at_a_character_boundary() {
        let long = format!("/{}/ca.pem", "é".repeat(300));
        let (e, why) = TlsConfig::build_explained(&TlsOptions {
            ca_file: Some(long.into()),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e, Error::Tls);
        assert!(why.len() <= 256 && why.starts_with("CA file /é"), "{why}");
        assert!(!why.contains('\u{fffd}'), "cut inside a character: {why}");
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn any_tls_settings_are_refused_without_a_provider() {
        assert_eq!(
            TlsConfig::build(&TlsOptions::default()).err(),
            Some(Error::Tls)
        );
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn a_provider_of_another_abi_version_is_refused() {
        unsafe extern "C" fn config_new(
            _: *const abi::Settings,
            _: *mut *mut abi::Config,
            _: *mut abi::Why,
        ) -> i32 {
            abi::ERR_TLS
        }
        unsafe extern "C" fn config_free(_: *mut abi::Config) {}
        unsafe extern "C" fn connect(
            _: *const abi::Config,
            _: *const u8,
            _: usize,
            _: std::ffi::c_int,
            _: *mut *mut abi::Conn,
            _: *mut abi::Why,
        ) -> i32 {
            abi::ERR_TLS
        }
        unsafe extern "C" fn conn_free(_: *mut abi::Conn) {}
        unsafe extern "C" fn write_all(
            _: *const abi::Conn,
            _: std::ffi::c_int,
            _: *const u8,
            _: usize,
            _: *mut abi::Why,
        ) -> i32 {
            abi::ERR_TLS
        }
        unsafe extern "C" fn read(
            _: *const abi::Conn,
            _: std::ffi::c_int,
            _: *mut u8,
            _: usize,
            _: *mut usize,
            _: *mut abi::Why,
        ) -> i32 {
            abi::ERR_TLS
        }
        static FUTURE: Provider = Provider {
            abi_version: abi::ABI_VERSION + 1,
            config_new,
            config_free,
            connect,
            conn_free,
            write_all,
            read,
        };
        assert_eq!(register(&FUTURE), Err(Error::Tls));
        assert!(provider().is_none());
    }
}
