//! Random bytes from the kernel (getrandom(2)), for what must not be guessed or repeated:
//! SASL nonces and the unique prefixes of recipe nodes. One place, so there is one way.

use std::io;

/// Fills `buf` from the kernel's random source, retrying on EINTR and short reads.
pub(crate) fn fill(buf: &mut [u8]) -> io::Result<()> {
    let mut got = 0;
    while got < buf.len() {
        // SAFETY: writes at most the rest of `buf`, a live buffer we borrow mutably.
        let n = unsafe { libc::getrandom(buf[got..].as_mut_ptr().cast(), buf.len() - got, 0) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        got += n as usize;
    }
    Ok(())
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}
