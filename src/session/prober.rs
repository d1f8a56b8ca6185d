//! While connected read-only: looks for a read-write server to move to.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::hostloop::{sleep_while, stopping};
use super::hosts::resolve;
use super::inner::Inner;
use super::LogLevel;

/// While connected to a read-only server, asks every other host `isro` (back-off 100 ms
/// doubling to 60 s, as the Java client) and, when one says `rw`, drops this connection so
/// the I/O thread moves there. kazoo only ever probes the first host; this probes them all.
#[cold]
#[inline(never)]
pub(super) fn spawn_rw_prober(owner: &Arc<Inner>, current: SocketAddr, gen: u64) {
    let inner = owner.clone();
    let spawned = std::thread::Builder::new()
        .name("zk-rw-probe".into())
        .spawn(move || {
            let alive =
                |inner: &Inner| inner.conn_gen.load(Ordering::SeqCst) == gen && !stopping(inner);
            let mut delay = Duration::from_millis(100);
            loop {
                sleep_while(&inner, delay, |i| alive(i));
                if !alive(&inner) {
                    return;
                }
                let (hosts, tls) = {
                    let c = inner.cfg.lock();
                    (c.connect.hosts.clone(), c.tls.clone())
                };
                for (addr, host) in resolve(&hosts) {
                    if addr == current || !alive(&inner) {
                        continue;
                    }
                    let probe = super::fourlw::four_letter(
                        addr,
                        &host,
                        "isro",
                        Duration::from_secs(1),
                        tls.as_ref(),
                    );
                    if matches!(probe.as_deref(), Ok(s) if s.trim() == "rw") {
                        inner.log(
                            LogLevel::Info,
                            format_args!("read-write server {addr} found: moving there"),
                        );
                        *inner.preferred.lock() = Some(addr);
                        if alive(&inner) {
                            inner.drop_connection();
                        }
                        return;
                    }
                }
                delay = (delay * 2).min(Duration::from_secs(60));
            }
        });
    if spawned.is_err() {
        owner.log(
            LogLevel::Warn,
            format_args!("could not start the read-write prober"),
        );
    }
}
