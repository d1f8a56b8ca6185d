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
    // The server authenticated the client certificate: whoAmI names it (x509).
    let ids = c.who_am_i(None).unwrap();
    assert!(
        ids.iter()
            .any(|i| i.auth_scheme == "x509" && i.user.contains("CN=")),
        "{ids:?}"
    );
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

/// Options whose CA does not sign the server's certificate (the system bundle does not
/// hold the harness's CA), and the log they write, at every level.
fn untrusted(retries: Option<u32>) -> (Options, Log) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let mut o = options(tls_options(false, true));
    o.connection_retry.max_tries = retries;
    o.logger = Some((
        Arc::new(move |level, m: &str| sink.lock().unwrap().push((level, m.to_string()))),
        LogLevel::Debug,
    ));
    (o, lines)
}

type Log = Arc<Mutex<Vec<(LogLevel, String)>>>;

/// The failed attempts the log tells of, in order: (level, "ADDRESS: REASON").
fn attempts(log: &Log) -> Vec<(LogLevel, String)> {
    log.lock()
        .unwrap()
        .iter()
        .filter_map(|(l, m)| {
            let rest = m.strip_prefix("connecting to ")?;
            let (addr, why) = rest.split_once(" failed: ")?;
            Some((*l, format!("{addr}: {why}")))
        })
        .collect()
}

const UNTRUSTED: &str = "TLS handshake failed: invalid peer certificate: UnknownIssuer";

/// Every attempt failed at the TLS step (a cold server may also let one time out), at least
/// one said why the certificate was refused, and each was logged at WARN exactly when its
/// reason was new: the first, and after a change; repeats at DEBUG.
fn check_attempts(log: &Log) -> Vec<(LogLevel, String)> {
    let host = cluster().secure_hosts.clone().unwrap();
    let a = attempts(log);
    assert!(
        a.iter()
            .all(|(_, r)| r.starts_with(&format!("{host}: TLS handshake"))),
        "{a:?}"
    );
    assert!(
        a.iter().any(|(_, r)| r == &format!("{host}: {UNTRUSTED}")),
        "{a:?}"
    );
    for (i, (level, r)) in a.iter().enumerate() {
        let new = i == 0 || a[i - 1].1 != *r;
        let want = if new { LogLevel::Warn } else { LogLevel::Debug };
        assert_eq!(*level, want, "attempt {i} of {a:?}");
    }
    a
}

#[test]
fn an_untrusted_server_certificate_fails_the_connect_and_says_why_once_at_warn() {
    let (o, log) = untrusted(Some(5));
    let c = Client::new(o).unwrap();
    let e = c.start(Duration::from_secs(60)).unwrap_err();
    assert_eq!(e.code, Error::RetriesExhausted);
    let a = check_attempts(&log);
    assert!(
        a.iter().any(|(l, _)| *l == LogLevel::Debug),
        "no repeat went to DEBUG: {a:?}"
    );
    // The server was reached: the reason is the TLS step's, not "no server could be
    // reached", and it is the last attempt's.
    let last = a.last().unwrap().1.clone();
    assert_eq!(e.reason.as_deref(), Some(last.as_str()));
    assert_eq!(c.connect_error(), Some(last.clone()));
    assert!(
        log.lock()
            .unwrap()
            .iter()
            .any(|(l, m)| *l == LogLevel::Error
                && m == &format!("connection retries exhausted: {last}")),
        "{:?}",
        log.lock().unwrap()
    );
}

#[test]
fn with_unlimited_retries_an_untrusted_certificate_times_out_and_says_why() {
    let (o, log) = untrusted(None);
    let c = Client::new(o).unwrap();
    let e = c.start(Duration::from_secs(5)).unwrap_err();
    assert_eq!(e.code, Error::TimedOut);
    let last = check_attempts(&log).last().unwrap().1.clone();
    assert_eq!(e.reason.as_deref(), Some(last.as_str()));
    assert_eq!(e.to_string(), format!("{}: {last}", Error::TimedOut));
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
