//! TLS to ZooKeeper's secure client port (Netty, keystores made by the harness): operations
//! over TLS with a client certificate, certificates verified by default, host-name checking
//! as an option, four-letter words over TLS, and refusals that fail the connect. A build
//! without the `tls` feature is tested by tests/no_tls.rs instead.
#![cfg(feature = "tls")]

mod harness;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use zkclient::{Client, CreateOptions, Error, LogLevel, Options, RetryPolicy, TlsOptions};

fn cluster() -> &'static harness::Cluster {
    static C: OnceLock<harness::Cluster> = OnceLock::new();
    C.get_or_init(|| {
        harness::Cluster::start_with(
            1,
            &harness::ClusterOpts {
                tls: true,
                ..Default::default()
            },
        )
    })
}

fn tls_options(ca: bool, client_cert: bool) -> TlsOptions {
    let dir = cluster().tls_dir.clone().expect("tls dir");
    TlsOptions {
        ca_file: ca.then(|| dir.join("ca.pem")),
        cert_file: client_cert.then(|| dir.join("client.pem")),
        key_file: client_cert.then(|| dir.join("client-key.pem")),
        verify_certs: true,
        check_hostname: false,
    }
}

fn options(tls: TlsOptions) -> Options {
    let mut o = Options::new(cluster().secure_hosts.clone().expect("secure hosts"));
    o.tls = Some(tls);
    o.session_timeout = Duration::from_secs(6);
    o.connection_retry = RetryPolicy {
        max_tries: Some(2),
        ..RetryPolicy::connection_default()
    };
    o
}

#[test]
fn operations_work_over_tls_with_a_client_certificate() {
    let c = Client::new(options(tls_options(true, true))).unwrap();
    c.start(Duration::from_secs(10)).unwrap();
    let _ = c.delete("/tls-ops", -1, true, None);
    c.create(
        "/tls-ops",
        b"secret",
        &CreateOptions::default(),
        false,
        None,
    )
    .unwrap();
    let (data, stat) = c.get("/tls-ops", None, None).unwrap();
    assert_eq!(data, b"secret");
    assert_eq!(stat.version, 0);
    // 200 pipelined requests from 4 threads exercise the shared TLS state.
    let c = std::sync::Arc::new(c);
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let c = c.clone();
            std::thread::spawn(move || {
                for j in 0..50 {
                    let v = format!("{i}-{j}");
                    c.set("/tls-ops", v.as_bytes(), -1, None).unwrap();
                    c.get("/tls-ops", None, None).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // Four-letter words go to the secure port over TLS too.
    assert!(c.command("ruok", None).unwrap().contains("imok"));
    c.delete("/tls-ops", -1, false, None).unwrap();
    c.stop().unwrap();
}

#[test]
fn host_name_checking_accepts_a_certificate_that_names_the_host() {
    let mut t = tls_options(true, true);
    t.check_hostname = true;
    let c = Client::new(options(t)).unwrap();
    c.start(Duration::from_secs(10)).unwrap();
    assert!(c.exists("/", None, None).unwrap().is_some());
    c.stop().unwrap();
}

#[test]
fn an_untrusted_server_certificate_fails_the_connect() {
    // The system bundle does not contain the harness's CA. The reason comes back from the
    // TLS provider through its C table (the `why` of abi::Provider) into the log.
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let mut o = options(tls_options(false, true));
    o.logger = Some((
        Arc::new(move |_, m: &str| sink.lock().unwrap().push(m.to_string())),
        LogLevel::Debug,
    ));
    let c = Client::new(o).unwrap();
    assert_eq!(
        c.start(Duration::from_secs(20)),
        Err(Error::RetriesExhausted)
    );
    let lines = lines.lock().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("failed") && l.contains("invalid peer certificate: UnknownIssuer")),
        "log: {lines:?}"
    );
}

#[test]
fn without_verification_any_server_is_accepted() {
    let mut t = tls_options(false, true);
    t.verify_certs = false;
    let c = Client::new(options(t)).unwrap();
    c.start(Duration::from_secs(10)).unwrap();
    assert!(c.exists("/", None, None).unwrap().is_some());
    c.stop().unwrap();
}

#[test]
fn unusable_tls_files_fail_client_creation() {
    let mut t = tls_options(true, true);
    t.ca_file = Some("/no/such/ca.pem".into());
    assert_eq!(Client::new(options(t)).err(), Some(Error::Tls));
}
