//! The Rust API in one screen: connect, create, read with a watch, change, clean up.
//! Run against a server: `ZK_HOSTS=127.0.0.1:2181 cargo run --example quickstart`.

use std::sync::mpsc;
use std::time::Duration;

use zkclient::{Client, CreateOptions, Error, Options};

fn main() -> Result<(), Error> {
    let hosts = std::env::var("ZK_HOSTS").unwrap_or_else(|_| "127.0.0.1:2181".into());
    let client = Client::new(Options::new(hosts))?;
    client.add_listener(Box::new(|state, detail| {
        println!("state: {state:?} ({detail:?})")
    }));
    client.start(Duration::from_secs(5))?;

    let base = format!("/quickstart-{}", std::process::id());
    let made = client.create(
        &format!("{base}/config"),
        b"v1",
        &CreateOptions {
            makepath: true,
            ..Default::default()
        },
        true,
        None,
    )?;
    println!(
        "created {} (version {})",
        made.path,
        made.stat.map_or(-1, |s| s.version)
    );

    let (tx, rx) = mpsc::channel();
    let (data, stat) = client.get(
        &made.path,
        Some(Box::new(move |ev| drop(tx.send(ev)))),
        None,
    )?;
    println!(
        "read {:?} at version {}",
        String::from_utf8_lossy(&data),
        stat.version
    );

    client.set(&made.path, b"v2", stat.version, None)?;
    match rx.recv_timeout(Duration::from_secs(5)) {
        Ok(ev) => println!("watch: {:?} on {}", ev.event_type, ev.path),
        Err(_) => println!("no watch event"),
    }

    match client.set(&made.path, b"v3", stat.version, None) {
        Err(Error::BadVersion) => println!("stale version refused, as it should be"),
        other => println!("unexpected: {other:?}"),
    }
    client.delete(&base, -1, true, None)?;
    client.stop()
}
