//! `PROVIDER`: rustls with `ring`, for `abi::Provider`. A configuration is built once per
//! client; a connection's state is shared by its writing and reading halves.

use std::ffi::{c_char, c_int, CStr, OsStr};
use std::io::{self, ErrorKind, Read, Write};
use std::mem::ManuallyDrop;
use std::net::TcpStream;
use std::os::fd::FromRawFd;
use std::os::unix::ffi::OsStrExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore,
    SignatureScheme,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

use crate::abi::{self, Config, Conn, Settings, Why, SYSTEM_CA_BUNDLE};

/// rustls behind the ABI.
pub static PROVIDER: abi::Provider = abi::Provider {
    abi_version: abi::ABI_VERSION,
    config_new,
    config_free,
    connect,
    conn_free,
    write_all,
    read,
};

/// A failure: an `abi` status and the sentence for `why`.
type Fail = (i32, String);

/// Runs `f`, turning a panic into `ERR_PANIC` and a failure into its status and sentence.
fn boundary(why: *mut Why, f: impl FnOnce() -> Result<(), Fail>) -> i32 {
    let (st, msg) = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => return abi::OK,
        Ok(Err(fail)) => fail,
        Err(_) => (abi::ERR_PANIC, "panic in the TLS provider".to_string()),
    };
    // SAFETY: the ABI's contract: `why` is NULL or a live Why with room for `cap` bytes.
    if let Some(w) = unsafe { why.as_mut() } {
        unsafe { w.set(&msg) };
    }
    st
}

/// An I/O error as a status: the OS error number, or the `ERR_*` of its kind.
fn io_fail(e: io::Error) -> Fail {
    let st = match (e.raw_os_error(), e.kind()) {
        (Some(n), _) if n > 0 => n,
        (_, ErrorKind::UnexpectedEof) => abi::ERR_EOF,
        (_, ErrorKind::InvalidInput) => abi::ERR_INVALID,
        (_, ErrorKind::WouldBlock) => 11, // EAGAIN on Linux
        (_, ErrorKind::TimedOut) => 110,  // ETIMEDOUT
        _ => abi::ERR_TLS,
    };
    (st, e.to_string())
}

fn tls_fail(e: rustls::Error) -> Fail {
    (abi::ERR_TLS, e.to_string())
}

/// A path argument: NULL is `None`.
///
/// # Safety
/// `p` is NULL or NUL-terminated.
unsafe fn path(p: *const c_char) -> Option<PathBuf> {
    // SAFETY: the caller's contract.
    (!p.is_null())
        .then(|| PathBuf::from(OsStr::from_bytes(unsafe { CStr::from_ptr(p) }.to_bytes())))
}

/// The socket `fd` as a stream, borrowed: never closed here.
///
/// # Safety
/// `fd` is an open socket for as long as the result lives.
unsafe fn socket(fd: c_int) -> ManuallyDrop<TcpStream> {
    // SAFETY: the caller's contract; ManuallyDrop keeps the borrowed fd open.
    ManuallyDrop::new(unsafe { TcpStream::from_raw_fd(fd) })
}

unsafe extern "C" fn config_new(s: *const Settings, out: *mut *mut Config, why: *mut Why) -> i32 {
    boundary(why, || {
        // SAFETY: the ABI's contract: a live Settings whose paths are NULL or NUL-terminated.
        let s = unsafe { &*s };
        let cfg = build(
            unsafe { path(s.ca_file) },
            unsafe { path(s.cert_file) },
            unsafe { path(s.key_file) },
            s.verify_certs,
            s.check_hostname,
        )?;
        // SAFETY: `out` is a live pointer (the ABI's contract).
        unsafe { *out = Arc::into_raw(cfg) as *mut Config };
        Ok(())
    })
}

unsafe extern "C" fn config_free(cfg: *mut Config) {
    if !cfg.is_null() {
        // SAFETY: made by config_new from Arc::into_raw, freed once (the ABI's contract).
        drop(unsafe { Arc::from_raw(cfg as *const ClientConfig) });
    }
}

/// Reads the files and builds the rustls configuration. Unreadable or malformed files
/// fail with `ERR_TLS`, a key without a certificate or host-name checking without
/// verification with `ERR_INVALID`.
fn build(
    ca_file: Option<PathBuf>,
    cert_file: Option<PathBuf>,
    key_file: Option<PathBuf>,
    verify_certs: bool,
    check_hostname: bool,
) -> Result<Arc<ClientConfig>, Fail> {
    let tls = |why: String| (abi::ERR_TLS, why);
    if check_hostname && !verify_certs {
        return Err((abi::ERR_INVALID, "check_hostname needs verify_certs".into()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(e.to_string()))?;
    let verifier: Arc<dyn ServerCertVerifier> = if verify_certs {
        let roots = Arc::new(load_roots(ca_file.as_ref()).map_err(tls)?);
        let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(|e| tls(e.to_string()))?;
        if check_hostname {
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
    let config = match (&cert_file, &key_file) {
        (Some(cert), Some(key_path)) => {
            let bad_cert = |e: rustls_pki_types::pem::Error| {
                tls(format!("client certificate {}: {e}", cert.display()))
            };
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
                abi::ERR_INVALID,
                "a client certificate needs its key, and a key its certificate".into(),
            ))
        }
    };
    Ok(Arc::new(config))
}

/// One connection: the rustls state, locked by a writer while it encrypts and writes (so
/// records reach the socket in the order they were sealed) and by the reader only to
/// decrypt bytes it already read, never while blocked on the socket; and the reader's
/// ciphertext read but not yet taken by rustls.
struct State {
    tls: Mutex<ClientConnection>,
    rd: Mutex<Cipher>,
}

#[derive(Default)]
struct Cipher {
    buf: Vec<u8>,
    at: usize,
}

/// A lock that a panic elsewhere did not make unusable (the panic already failed that
/// call; the state is rustls's, which stays consistent).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

unsafe extern "C" fn connect(
    cfg: *const Config,
    host: *const u8,
    host_len: usize,
    fd: c_int,
    out: *mut *mut Conn,
    why: *mut Why,
) -> i32 {
    boundary(why, || {
        // SAFETY: the ABI's contract: a live config from config_new, host_len bytes of
        // UTF-8 at host, an open socket, a live `out`.
        let (cfg, host, sock) = unsafe {
            (
                &*(cfg as *const ClientConfig),
                std::str::from_utf8(std::slice::from_raw_parts(host, host_len))
                    .map_err(|_| (abi::ERR_INVALID, "host name is not UTF-8".to_string()))?,
                socket(fd),
            )
        };
        let name = ServerName::try_from(host.to_string())
            .map_err(|_| (abi::ERR_INVALID, format!("not a host name: {host}")))?;
        // SAFETY: cfg came from Arc::into_raw and lives; take a counted reference of it.
        let arc = unsafe {
            Arc::increment_strong_count(cfg);
            Arc::from_raw(cfg)
        };
        let mut c = ClientConnection::new(arc, name).map_err(tls_fail)?;
        let mut s = &*sock;
        while c.is_handshaking() {
            c.complete_io(&mut s).map_err(io_fail)?;
        }
        let state = Box::new(State {
            tls: Mutex::new(c),
            rd: Mutex::new(Cipher::default()),
        });
        // SAFETY: `out` is live (the ABI's contract).
        unsafe { *out = Box::into_raw(state) as *mut Conn };
        Ok(())
    })
}

unsafe extern "C" fn conn_free(conn: *mut Conn) {
    if !conn.is_null() {
        // SAFETY: made by connect from Box::into_raw, freed once (the ABI's contract).
        drop(unsafe { Box::from_raw(conn as *mut State) });
    }
}

unsafe extern "C" fn write_all(
    conn: *const Conn,
    fd: c_int,
    data: *const u8,
    len: usize,
    why: *mut Why,
) -> i32 {
    boundary(why, || {
        // SAFETY: the ABI's contract: a live conn, an open socket, len bytes at data.
        let (st, sock, data) = unsafe {
            (
                &*(conn as *const State),
                socket(fd),
                std::slice::from_raw_parts(data, len),
            )
        };
        let mut c = lock(&st.tls);
        c.writer().write_all(data).map_err(io_fail)?;
        let mut s = &*sock;
        while c.wants_write() {
            c.write_tls(&mut s).map_err(io_fail)?;
        }
        Ok(())
    })
}

unsafe extern "C" fn read(
    conn: *const Conn,
    fd: c_int,
    buf: *mut u8,
    len: usize,
    n: *mut usize,
    why: *mut Why,
) -> i32 {
    boundary(why, || {
        // SAFETY: the ABI's contract: a live conn, an open socket, room for len bytes at
        // buf, a live `n`.
        let (st, sock, buf) = unsafe {
            (
                &*(conn as *const State),
                socket(fd),
                std::slice::from_raw_parts_mut(buf, len),
            )
        };
        let got = read_plain(st, &sock, buf).map_err(io_fail)?;
        // SAFETY: as above.
        unsafe { *n = got };
        Ok(())
    })
}

/// Reads plaintext into `buf`, feeding rustls from the ciphertext already read and
/// refilling that from the socket when it is used up. A socket timeout comes back as
/// `WouldBlock`/`TimedOut`; 0 is the end.
fn read_plain(st: &State, tcp: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    let mut rd = lock(&st.rd);
    let rd = &mut *rd;
    let mut stalled = 0;
    loop {
        {
            let mut c = lock(&st.tls);
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
