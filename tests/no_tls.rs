//! The library built without its `tls` cargo feature (`cargo test --no-default-features`,
//! run by scripts/test.sh): TLS settings are refused at creation with Error::Tls and a log
//! line that says why, and everything else works against a real server.
#![cfg(not(feature = "tls"))]

mod common;
mod harness;

use std::sync::{Arc, Mutex};

use common::{connect, options};
use zkclient::{Client, CreateOptions, Error, LogLevel, TlsOptions};

#[test]
fn tls_settings_are_refused_with_the_reason() {
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let mut o = options(harness::shared().hosts());
    o.tls = Some(TlsOptions {
        verify_certs: false,
        ..Default::default()
    });
    o.logger = Some((
        Arc::new(move |_, m: &str| sink.lock().unwrap().push(m.to_string())),
        LogLevel::Error,
    ));
    assert_eq!(Client::new(o).err(), Some(Error::Tls));
    let lines = lines.lock().unwrap();
    assert!(
        lines.iter().any(|l| l.contains("built without TLS")),
        "log: {lines:?}"
    );
}

#[test]
fn a_client_without_tls_works() {
    let c = connect(harness::shared().hosts());
    let p = "/it-notls";
    let _ = c.delete(p, -1, true, None);
    c.create(p, b"plain", &CreateOptions::default(), false, None)
        .unwrap();
    assert_eq!(c.get(p, None, None).unwrap().0, b"plain");
    c.delete(p, -1, false, None).unwrap();
}
