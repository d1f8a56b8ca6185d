//! TLS settings and, when the library is built with the `tls` cargo feature (the
//! default), the rustls client configuration built from them once, at client creation:
//! CA certificates (a PEM file, or the system bundle), an optional client certificate and
//! key (PEM), certificate verification on by default, and host-name checking as an option
//! (kazoo's `verify_certs=True`, `check_hostname=False`). Built without the feature, the
//! options still exist (the C API is the same) but a client given them is refused with
//! `Error::Tls`, and the library carries no TLS code at all.

use std::path::PathBuf;

#[cfg(feature = "tls")]
#[path = "tls_rustls.rs"]
mod imp;

#[cfg(not(feature = "tls"))]
#[path = "tls_none.rs"]
mod imp;

pub use imp::TlsConfig;
pub(crate) use imp::TlsConn;

/// Where Debian (and most Linux systems) keep the trusted CA bundle.
pub const SYSTEM_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

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
