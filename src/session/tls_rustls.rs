//! The rustls side of `tls.rs`: the client configuration and one connection's TLS state.

use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::Mutex;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore,
    SignatureScheme,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

use super::{TlsOptions, SYSTEM_CA_BUNDLE};
use crate::error::{Error, Result};

/// A built configuration, shared by every connection of a client.
#[derive(Clone)]
pub struct TlsConfig {
    pub(crate) client: Arc<ClientConfig>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsConfig")
    }
}

impl TlsConfig {
    /// Reads the files and builds the rustls configuration. Unreadable or malformed files
    /// fail with `Error::Tls`, a key without a certificate or host-name checking without
    /// verification with `Error::InvalidArgument`; `build_explained` also says why.
    pub fn build(o: &TlsOptions) -> Result<TlsConfig> {
        TlsConfig::build_explained(o).map_err(|(e, _)| e)
    }

    /// `build`, with a sentence for the log when it fails.
    // Out of line, as are the other TLS paths below: a plaintext client's connect, read
    // and write paths then carry no TLS code (scripts/hotlayout.py says why that matters).
    #[inline(never)]
    pub fn build_explained(o: &TlsOptions) -> std::result::Result<TlsConfig, (Error, String)> {
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
                let bad_cert = |e: rustls_pki_types::pem::Error| {
                    tls(format!("client certificate {}: {e}", cert.display()))
                };
                let chain = CertificateDer::pem_file_iter(cert)
                    .map_err(bad_cert)?
                    .collect::<std::result::Result<Vec<_>, _>>()
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
        Ok(TlsConfig {
            client: Arc::new(config),
        })
    }

    /// The name the server's certificate is checked against (when host names are checked)
    /// and sent as SNI for names.
    pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>> {
        ServerName::try_from(host.to_string()).map_err(|_| Error::InvalidArgument)
    }
}

/// One connection's TLS state, shared by its writing and reading halves. A writer
/// encrypts and writes to the socket while holding the lock, so records reach the socket
/// in the order they were sealed; the reader holds it only to decrypt bytes it has
/// already read, never while blocked on the socket.
#[derive(Clone)]
pub(crate) struct TlsConn(Arc<Mutex<ClientConnection>>);

fn tls_err(e: rustls::Error) -> io::Error {
    io::Error::new(ErrorKind::InvalidData, e)
}

impl TlsConn {
    /// The TLS handshake on a connected socket (its timeouts bound it).
    #[inline(never)]
    pub(crate) fn handshake(cfg: &TlsConfig, host: &str, tcp: &TcpStream) -> io::Result<TlsConn> {
        let name =
            TlsConfig::server_name(host).map_err(|e| io::Error::new(ErrorKind::InvalidInput, e))?;
        let mut c = ClientConnection::new(cfg.client.clone(), name).map_err(tls_err)?;
        let mut sock = tcp;
        while c.is_handshaking() {
            c.complete_io(&mut sock)?;
        }
        Ok(TlsConn(Arc::new(Mutex::new(c))))
    }

    #[inline(never)]
    pub(crate) fn write_all(&self, mut sock: &TcpStream, data: &[u8]) -> io::Result<()> {
        let mut c = self.0.lock();
        c.writer().write_all(data)?;
        while c.wants_write() {
            c.write_tls(&mut sock)?;
        }
        Ok(())
    }

    /// Reads plaintext into `buf`, feeding rustls from `cipher` (ciphertext read but not
    /// yet taken, from `*cipher_at` on) and refilling it from the socket when it is used
    /// up. A socket timeout comes back as `WouldBlock`/`TimedOut`; 0 is the end.
    #[inline(never)]
    pub(crate) fn read(
        &self,
        tcp: &TcpStream,
        cipher: &mut Vec<u8>,
        cipher_at: &mut usize,
        buf: &mut [u8],
    ) -> io::Result<usize> {
        let mut stalled = 0;
        loop {
            {
                let mut c = self.0.lock();
                match c.reader().read(buf) {
                    Ok(n) => return Ok(n),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) => return Err(e),
                }
                // Feed what we already have; rustls may take only part of it at a time.
                if *cipher_at < cipher.len() {
                    let mut rest = &cipher[*cipher_at..];
                    let took = c.read_tls(&mut rest)?;
                    *cipher_at += took;
                    c.process_new_packets().map_err(tls_err)?;
                    if c.wants_write() {
                        // Alerts or key-update answers: rare, and small.
                        let mut sock = tcp;
                        while c.wants_write() {
                            c.write_tls(&mut sock)?;
                        }
                    }
                    // Never drop unread ciphertext: go round until rustls took it all, its
                    // plaintext drained above; a rustls that takes nothing twice is stuck.
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
            cipher.clear();
            *cipher_at = 0;
            cipher.resize(16 * 1024 + 64, 0);
            match (&*tcp).read(cipher) {
                Ok(0) => {
                    cipher.clear();
                    return Ok(0);
                }
                Ok(n) => cipher.truncate(n),
                Err(e) => {
                    cipher.clear();
                    return Err(e);
                }
            }
        }
    }
}

fn load_roots(ca_file: Option<&PathBuf>) -> std::result::Result<RootCertStore, String> {
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

/// Verifies the chain but not the host name: ZooKeeper ensembles are often addressed by IP
/// or by names their certificates do not carry (kazoo's default, `check_hostname=False`).
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
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        // webpki checks the chain first and the name last, so a name error means the chain
        // itself was good.
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
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
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
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
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_settings_are_refused_before_any_connect() {
        let missing = TlsOptions {
            ca_file: Some("/no/such/ca.pem".into()),
            ..Default::default()
        };
        assert_eq!(TlsConfig::build(&missing).err(), Some(Error::Tls));
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

    #[test]
    fn no_verification_needs_no_files() {
        let o = TlsOptions {
            verify_certs: false,
            ..Default::default()
        };
        assert!(TlsConfig::build(&o).is_ok());
    }
}
