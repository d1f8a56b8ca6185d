//! A connection's bytes, plain TCP or TLS (`tls::TlsConn`). The writing half is shared by
//! callers under the send lock; the reading half belongs to whoever holds the reading role.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use super::tls::{TlsConfig, TlsConn};

/// The writing half (cheap to clone: a dup'ed socket and an `Arc`).
pub(crate) struct Conn {
    tcp: TcpStream,
    tls: Option<TlsConn>,
}

/// The reading half.
pub(crate) struct ReadHalf {
    tcp: TcpStream,
    tls: Option<TlsConn>,
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
        Some((cfg, host)) => Some(TlsConn::handshake(cfg, host, &tcp)?),
    };
    let read = ReadHalf {
        tcp: tcp.try_clone()?,
        tls: tls.clone(),
    };
    Ok((Conn { tcp, tls }, read))
}

impl Conn {
    pub fn write_all(&self, data: &[u8]) -> io::Result<()> {
        match &self.tls {
            None => (&self.tcp).write_all(data),
            Some(c) => c.write_all(&self.tcp, data),
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
        match &self.tls {
            None => (&self.tcp).read(buf),
            Some(c) => c.read(&self.tcp, buf),
        }
    }

    /// Whether `wait_readable` tells the truth: with TLS, plaintext may be buffered where
    /// the socket shows nothing.
    pub fn pollable(&self) -> bool {
        self.tls.is_none()
    }

    /// Waits until the socket has something to read (or is closed): `Ok(true)`, or until
    /// `wake_fd` is poked or `timeout` passes: `Ok(false)`, the poke consumed.
    pub fn wait_readable(&self, wake_fd: RawFd, timeout: Duration) -> io::Result<bool> {
        let mut fds = [
            libc::pollfd {
                fd: self.tcp.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: wake_fd,
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: two initialised pollfd records, and their count.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, ms) };
        if n < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == ErrorKind::Interrupted {
                Ok(false)
            } else {
                Err(e)
            };
        }
        if fds[1].revents != 0 {
            let mut v = 0u64;
            // SAFETY: reads 8 bytes into a live u64 from a non-blocking eventfd.
            unsafe { libc::read(wake_fd, (&mut v as *mut u64).cast(), 8) };
        }
        Ok(fds[0].revents != 0)
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
