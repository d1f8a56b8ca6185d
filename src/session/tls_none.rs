//! `tls.rs` in a build without the `tls` cargo feature: the types exist so the rest of the
//! library (and the C API) is the same, but no configuration can be built and so no TLS
//! connection can exist.

use std::io;
use std::net::TcpStream;

use super::TlsOptions;
use crate::error::{Error, Result};

/// Never built in this configuration.
#[derive(Clone, Debug)]
pub struct TlsConfig {
    never: std::convert::Infallible,
}

impl TlsConfig {
    /// Always `Error::Tls`: this library was built without TLS.
    pub fn build(o: &TlsOptions) -> Result<TlsConfig> {
        TlsConfig::build_explained(o).map_err(|(e, _)| e)
    }

    /// `build`, with a sentence for the log.
    pub fn build_explained(_: &TlsOptions) -> std::result::Result<TlsConfig, (Error, String)> {
        Err((
            Error::Tls,
            "this libzkclient was built without TLS (cargo feature `tls`)".into(),
        ))
    }
}

/// Never exists in this configuration: every method is unreachable by construction.
#[derive(Clone)]
pub(crate) enum TlsConn {}

impl TlsConn {
    pub(crate) fn handshake(cfg: &TlsConfig, _: &str, _: &TcpStream) -> io::Result<TlsConn> {
        match cfg.never {}
    }

    pub(crate) fn write_all(&self, _: &TcpStream, _: &[u8]) -> io::Result<()> {
        match *self {}
    }

    pub(crate) fn read(
        &self,
        _: &TcpStream,
        _: &mut Vec<u8>,
        _: &mut usize,
        _: &mut [u8],
    ) -> io::Result<usize> {
        match *self {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_tls_settings_are_refused() {
        assert_eq!(
            TlsConfig::build(&TlsOptions::default()).err(),
            Some(Error::Tls)
        );
    }
}
