//! A connection's bytes, plain TCP or TLS (rustls over TCP). The writing half is shared by
//! callers under the send lock; the reading half belongs to the I/O thread. With TLS both
//! halves share the rustls state under a mutex: a writer encrypts and writes to the socket
//! while holding it, so records reach the socket in the order they were sealed; the reader
//! holds it only to decrypt bytes it has already read, never while blocked on the socket.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rustls::ClientConnection;

use super::tls::TlsConfig;

/// The writing half (cheap to clone: a dup'ed socket and an `Arc`).
pub(crate) struct Conn {
    tcp: TcpStream,
    tls: Option<Arc<Mutex<ClientConnection>>>,
}

/// The reading half, with ciphertext read but not yet fed to rustls.
pub(crate) struct ReadHalf {
    tcp: TcpStream,
    tls: Option<Arc<Mutex<ClientConnection>>>,
    cipher: Vec<u8>,
    cipher_at: usize,
}

fn tls_err(e: rustls::Error) -> io::Error {
    io::Error::new(ErrorKind::InvalidData, e)
}

/// Wraps a connected socket, doing the TLS handshake first when `tls` is set. The socket's
/// timeouts bound the handshake.
pub(crate) fn open(
    tcp: TcpStream,
    tls: Option<(&TlsConfig, &str)>,
    timeout: Duration,
) -> io::Result<(Conn, ReadHalf)> {
    tcp.set_nodelay(true)?;
    tcp.set_read_timeout(Some(timeout))?;
    tcp.set_write_timeout(Some(timeout))?;
    let tls = match tls {
        None => None,
        Some((cfg, host)) => {
            let name = TlsConfig::server_name(host)
                .map_err(|e| io::Error::new(ErrorKind::InvalidInput, e))?;
            let mut c = ClientConnection::new(cfg.client.clone(), name).map_err(tls_err)?;
            let mut sock = &tcp;
            while c.is_handshaking() {
                c.complete_io(&mut sock)?;
            }
            Some(Arc::new(Mutex::new(c)))
        }
    };
    let read = ReadHalf {
        tcp: tcp.try_clone()?,
        tls: tls.clone(),
        cipher: Vec::new(),
        cipher_at: 0,
    };
    Ok((Conn { tcp, tls }, read))
}

impl Conn {
    pub fn write_all(&self, data: &[u8]) -> io::Result<()> {
        let mut sock = &self.tcp;
        match &self.tls {
            None => sock.write_all(data),
            Some(c) => {
                let mut c = c.lock();
                c.writer().write_all(data)?;
                while c.wants_write() {
                    c.write_tls(&mut sock)?;
                }
                Ok(())
            }
        }
    }

    pub fn set_write_timeout(&self, d: Option<Duration>) -> io::Result<()> {
        self.tcp.set_write_timeout(d)
    }

    pub fn shutdown(&self) {
        let _ = self.tcp.shutdown(Shutdown::Both);
    }
}

impl ReadHalf {
    pub fn set_read_timeout(&self, d: Option<Duration>) -> io::Result<()> {
        self.tcp.set_read_timeout(d)
    }

    pub fn shutdown(&self) {
        let _ = self.tcp.shutdown(Shutdown::Both);
    }

    /// Reads plaintext. A socket timeout comes back as `WouldBlock`/`TimedOut`; 0 is the
    /// end of the stream.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(conn) = self.tls.clone() else {
            return (&self.tcp).read(buf);
        };
        let mut stalled = 0;
        loop {
            {
                let mut c = conn.lock();
                match c.reader().read(buf) {
                    Ok(n) => return Ok(n),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) => return Err(e),
                }
                // Feed what we already have; rustls may take only part of it at a time.
                if self.cipher_at < self.cipher.len() {
                    let mut rest = &self.cipher[self.cipher_at..];
                    let took = c.read_tls(&mut rest)?;
                    self.cipher_at += took;
                    c.process_new_packets().map_err(tls_err)?;
                    if c.wants_write() {
                        // Alerts or key-update answers: rare, and small.
                        let mut sock = &self.tcp;
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
            self.cipher.clear();
            self.cipher_at = 0;
            self.cipher.resize(16 * 1024 + 64, 0);
            let n = (&self.tcp).read(&mut self.cipher);
            match n {
                Ok(0) => {
                    self.cipher.clear();
                    return Ok(0);
                }
                Ok(n) => self.cipher.truncate(n),
                Err(e) => {
                    self.cipher.clear();
                    return Err(e);
                }
            }
        }
    }

    /// Reads exactly `buf.len()` bytes (the handshake reply).
    pub fn read_exact(&mut self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.read(buf)? {
                0 => return Err(ErrorKind::UnexpectedEof.into()),
                n => buf = &mut buf[n..],
            }
        }
        Ok(())
    }
}
