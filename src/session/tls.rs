//! TLS to ZooKeeper's secure client port: the settings of a client, and the configuration
//! and connections built from them with rustls (the `tls` cargo feature, on by default):
//! CA certificates (a PEM file, or the system bundle), an optional client certificate and
//! key (PEM), certificate verification on by default, and host-name checking as an option
//! (kazoo's `verify_certs=True`, `check_hostname=False`). Built without the feature, the
//! options still exist (the C API is the same), but a client given them is refused with
//! `Error::Tls`. capi/layout.ld names this module's path: the shared library keeps its code
//! with the TLS crates', away from what a plain-TCP client runs (a rename goes there too).

use std::io;
use std::net::TcpStream;
use std::path::PathBuf;

use crate::error::{Error, Result};

/// Where Debian (and most Linux systems) keep the trusted CA bundle: the CA file used
/// when `TlsOptions::ca_file` is `None`.
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

/// A built configuration, shared by every connection of a client.
#[derive(Clone)]
pub struct TlsConfig(imp::Config);

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsConfig")
    }
}

impl TlsConfig {
    /// Reads the files and builds the configuration. Unreadable or malformed files fail
    /// with `Error::Tls`, a key without a certificate or host-name checking without
    /// verification with `Error::InvalidArgument`; a library built without TLS refuses any
    /// settings with `Error::Tls`. `build_explained` also says why.
    pub fn build(o: &TlsOptions) -> Result<TlsConfig> {
        TlsConfig::build_explained(o).map_err(|(e, _)| e)
    }

    /// `build`, with a sentence for the log when it fails.
    // Out of line, as are the other TLS paths below: a plaintext client's connect, read
    // and write paths then carry no TLS code.
    #[inline(never)]
    pub fn build_explained(o: &TlsOptions) -> std::result::Result<TlsConfig, (Error, String)> {
        imp::config(o).map(TlsConfig)
    }
}

/// One connection's TLS state, shared by its writing and reading halves: one writer and
/// one reader may use it at once, from any threads.
#[derive(Clone)]
pub(crate) struct TlsConn(imp::Conn);

impl TlsConn {
    /// The TLS handshake on a connected socket (its timeouts bound it); `host` is the name
    /// checked and sent as SNI.
    #[inline(never)]
    pub(crate) fn handshake(cfg: &TlsConfig, host: &str, tcp: &TcpStream) -> io::Result<TlsConn> {
        imp::Conn::handshake(&cfg.0, host, tcp).map(TlsConn)
    }

    /// Encrypts `data` and writes it all to `tcp`.
    #[inline(never)]
    pub(crate) fn write_all(&self, tcp: &TcpStream, data: &[u8]) -> io::Result<()> {
        self.0.write_all(tcp, data)
    }

    /// Reads plaintext into `buf`. A socket timeout comes back as `WouldBlock`/`TimedOut`;
    /// 0 is the end.
    #[inline(never)]
    pub(crate) fn read(&self, tcp: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(tcp, buf)
    }
}

/// rustls, with `ring` as its cryptography.
#[cfg(feature = "tls")]
mod imp {
    use std::io::{self, ErrorKind, Read, Write};
    use std::net::TcpStream;
    use std::path::PathBuf;
    use std::sync::Arc;

    use parking_lot::Mutex;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::client::WebPkiServerVerifier;
    use rustls::crypto::CryptoProvider;
    use rustls::pki_types::pem::{self, PemObject};
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
    use rustls::{
        CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore,
        SignatureScheme,
    };

    use super::{TlsOptions, SYSTEM_CA_BUNDLE};
    use crate::error::Error;

    pub(super) type Config = Arc<ClientConfig>;

    /// Reads the files and builds the rustls configuration.
    pub(super) fn config(o: &TlsOptions) -> Result<Config, (Error, String)> {
        let tls = |why: String| (Error::Tls, why);
        if o.check_hostname && !o.verify_certs {
            return Err((
                Error::InvalidArgument,
                "check_hostname needs verify_certs".into(),
            ));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| tls(e.to_string()))?;
        let verifier: Arc<dyn ServerCertVerifier> = if o.verify_certs {
            let roots = Arc::new(load_roots(o.ca_file.as_ref()).map_err(tls)?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                .build()
                .map_err(|e| tls(e.to_string()))?;
            if o.check_hostname {
                webpki
            } else {
                Arc::new(ChainOnly(webpki))
            }
        } else {
            Arc::new(AnyServer(provider))
        };
        let builder = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let config = match (&o.cert_file, &o.key_file) {
            (Some(cert), Some(key_path)) => {
                let bad_cert =
                    |e: pem::Error| tls(format!("client certificate {}: {e}", cert.display()));
                let chain = CertificateDer::pem_file_iter(cert)
                    .map_err(bad_cert)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(bad_cert)?;
                let key = PrivateKeyDer::from_pem_file(key_path)
                    .map_err(|e| tls(format!("client key {}: {e}", key_path.display())))?;
                builder.with_client_auth_cert(chain, key).map_err(|e| {
                    tls(format!(
                        "client key {}: {e} (an EC key must carry its public key; \
                         `openssl ec -in KEY | openssl pkcs8 -topk8 -nocrypt -out KEY` adds it)",
                        key_path.display()
                    ))
                })?
            }
            (None, None) => builder.with_no_client_auth(),
            _ => {
                return Err((
                    Error::InvalidArgument,
                    "a client certificate needs its key, and a key its certificate".into(),
                ))
            }
        };
        Ok(Arc::new(config))
    }

    fn load_roots(ca_file: Option<&PathBuf>) -> Result<RootCertStore, String> {
        let path = ca_file
            .cloned()
            .unwrap_or_else(|| PathBuf::from(SYSTEM_CA_BUNDLE));
        let why = |e: &dyn std::fmt::Display| format!("CA file {}: {e}", path.display());
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(&path).map_err(|e| why(&e))? {
            let cert = cert.map_err(|e| why(&e))?;
            roots.add(cert).map_err(|e| why(&e))?;
        }
        if roots.is_empty() {
            return Err(why(&"no certificates"));
        }
        Ok(roots)
    }

    /// One connection: the rustls state, locked by a writer while it encrypts and writes
    /// (so records reach the socket in the order they were sealed) and by the reader only
    /// to decrypt bytes it already read, never while blocked on the socket; and the
    /// reader's ciphertext read but not yet taken by rustls.
    #[derive(Clone)]
    pub(super) struct Conn(Arc<State>);

    struct State {
        tls: Mutex<ClientConnection>,
        rd: Mutex<Cipher>,
    }

    #[derive(Default)]
    struct Cipher {
        buf: Vec<u8>,
        at: usize,
    }

    impl Conn {
        pub(super) fn handshake(cfg: &Config, host: &str, tcp: &TcpStream) -> io::Result<Conn> {
            let name = ServerName::try_from(host.to_string()).map_err(|_| {
                io::Error::new(ErrorKind::InvalidInput, format!("not a host name: {host}"))
            })?;
            let mut c = ClientConnection::new(cfg.clone(), name)
                .map_err(|e| io::Error::new(ErrorKind::InvalidData, e))?;
            let mut s = tcp;
            while c.is_handshaking() {
                c.complete_io(&mut s)?;
            }
            Ok(Conn(Arc::new(State {
                tls: Mutex::new(c),
                rd: Mutex::new(Cipher::default()),
            })))
        }

        pub(super) fn write_all(&self, tcp: &TcpStream, data: &[u8]) -> io::Result<()> {
            let mut c = self.0.tls.lock();
            c.writer().write_all(data)?;
            let mut s = tcp;
            while c.wants_write() {
                c.write_tls(&mut s)?;
            }
            Ok(())
        }

        /// Reads plaintext into `buf`, feeding rustls from the ciphertext already read and
        /// refilling that from the socket when it is used up.
        pub(super) fn read(&self, tcp: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
            let st = &*self.0;
            let mut rd = st.rd.lock();
            let rd = &mut *rd;
            let mut stalled = 0;
            loop {
                {
                    let mut c = st.tls.lock();
                    match c.reader().read(buf) {
                        Ok(n) => return Ok(n),
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                        Err(e) => return Err(e),
                    }
                    // Feed what we already have; rustls may take only part of it at a time.
                    if rd.at < rd.buf.len() {
                        let mut rest = &rd.buf[rd.at..];
                        let took = c.read_tls(&mut rest)?;
                        rd.at += took;
                        c.process_new_packets()
                            .map_err(|e| io::Error::new(ErrorKind::InvalidData, e))?;
                        if c.wants_write() {
                            // Alerts or key-update answers: rare, and small.
                            let mut sock = tcp;
                            while c.wants_write() {
                                c.write_tls(&mut sock)?;
                            }
                        }
                        // Never drop unread ciphertext: go round until rustls took it all,
                        // its plaintext drained above; a rustls that takes nothing twice is
                        // stuck.
                        stalled = if took == 0 { stalled + 1 } else { 0 };
                        if stalled > 2 {
                            return Err(io::Error::new(
                                ErrorKind::InvalidData,
                                "TLS input not accepted",
                            ));
                        }
                        continue;
                    }
                }
                rd.buf.clear();
                rd.at = 0;
                rd.buf.resize(16 * 1024 + 64, 0);
                match (&*tcp).read(&mut rd.buf) {
                    Ok(0) => {
                        rd.buf.clear();
                        return Ok(0);
                    }
                    Ok(n) => rd.buf.truncate(n),
                    Err(e) => {
                        rd.buf.clear();
                        return Err(e);
                    }
                }
            }
        }
    }

    /// Verifies the chain but not the host name: ZooKeeper ensembles are often addressed by
    /// IP or by names their certificates do not carry (kazoo's default,
    /// `check_hostname=False`).
    #[derive(Debug)]
    struct ChainOnly(Arc<WebPkiServerVerifier>);

    impl ServerCertVerifier for ChainOnly {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            server_name: &ServerName<'_>,
            ocsp: &[u8],
            now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            // webpki checks the chain first and the name last, so a name error means the
            // chain itself was good.
            match self
                .0
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
            {
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                )) => Ok(ServerCertVerified::assertion()),
                other => other,
            }
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            self.0.verify_tls12_signature(message, cert, dss)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            self.0.verify_tls13_signature(message, cert, dss)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.supported_verify_schemes()
        }
    }

    /// No verification at all (`verify_certs = false`): encryption without authentication.
    /// Handshake signatures are still checked, so the peer holds the key of the certificate
    /// it shows.
    #[derive(Debug)]
    struct AnyServer(Arc<CryptoProvider>);

    impl ServerCertVerifier for AnyServer {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
}

/// Built without TLS: no configuration can be made, so no connection either.
#[cfg(not(feature = "tls"))]
mod imp {
    use std::io;
    use std::net::TcpStream;

    use super::TlsOptions;
    use crate::error::Error;

    #[derive(Clone)]
    pub(super) enum Config {}

    #[derive(Clone)]
    pub(super) enum Conn {}

    pub(super) fn config(_: &TlsOptions) -> Result<Config, (Error, String)> {
        Err((
            Error::Tls,
            "this libzkclient was built without TLS (cargo feature `tls`)".into(),
        ))
    }

    impl Conn {
        pub(super) fn handshake(cfg: &Config, _: &str, _: &TcpStream) -> io::Result<Conn> {
            match *cfg {}
        }

        pub(super) fn write_all(&self, _: &TcpStream, _: &[u8]) -> io::Result<()> {
            match *self {}
        }

        pub(super) fn read(&self, _: &TcpStream, _: &mut [u8]) -> io::Result<usize> {
            match *self {}
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
    fn a_ca_file_without_certificates_is_refused_with_the_reason() {
        let empty =
            std::env::temp_dir().join(format!("zkclient-empty-ca-{}.pem", std::process::id()));
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let got = TlsConfig::build_explained(&TlsOptions {
            ca_file: Some(empty.clone()),
            ..Default::default()
        });
        std::fs::remove_file(&empty).unwrap();
        let (e, why) = got.unwrap_err();
        assert_eq!(e, Error::Tls);
        assert!(why.contains("no certificates"), "{why}");
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn any_tls_settings_are_refused_without_tls() {
        let (e, why) = TlsConfig::build_explained(&TlsOptions::default()).unwrap_err();
        assert_eq!(e, Error::Tls);
        assert!(why.contains("built without TLS"), "{why}");
    }
}
