//! Following the ensemble (`Options::follow_ensemble`): the client watches
//! `/zookeeper/config` and, when the members' client addresses differ from its host list,
//! moves the list to them with `set_hosts`, which keeps the session and its watches (it
//! reconnects at once only if its server left the list). Curator's EnsembleTracker does the
//! same. Built only on the client's own API — getConfig with a watch, `set_hosts`, a state
//! listener — so the session knows nothing of reconfiguration; everything here runs on the
//! event thread, one step at a time.
//!
//! The watch is armed after every event, and the config read again after every (re)connect:
//! a reconnect to the same session restores the watch (SetWatches), but the config may
//! have changed while no server was reachable, and after an expiry there is no watch left.
//! A config older than one already applied (a lagging server after a reconnect) is ignored.

use std::sync::Arc;

use parking_lot::Mutex;

use super::reconfig::CONFIG_NODE;
use super::{Client, KeeperState, LogLevel, WeakClient};
use crate::error::Result;
use crate::proto::config::EnsembleConfig;
use crate::proto::consts::EventType;
use crate::proto::Stat;
use crate::session::{WatchFn, WatchedEvent};

/// Starts following: a state listener that reads the config on every connect. A TLS
/// client follows the members' secure client addresses.
pub(super) fn start(client: &Client, tls: bool) {
    let f = Arc::new(Follower {
        client: client.downgrade(),
        tls,
        st: Mutex::new(Followed::default()),
    });
    client.add_listener(Box::new(move |_, keeper| {
        if matches!(keeper, KeeperState::Connected | KeeperState::ConnectedRo) {
            f.refresh();
        }
    }));
}

struct Follower {
    /// Weak: the follower lives in the client's listener and watch, and must not keep
    /// the client alive.
    client: WeakClient,
    tls: bool,
    st: Mutex<Followed>,
}

#[derive(Default)]
struct Followed {
    /// The token of the config watch set now, if any. A watch whose token is not this one
    /// is a stray (one registered by a read that timed out after all) and is ignored.
    armed: Option<u64>,
    tokens: u64,
    /// The version of the newest config applied.
    version: Option<i64>,
}

impl Follower {
    /// Reads the config, with a watch unless one is set already.
    fn refresh(self: &Arc<Self>) {
        let Some(client) = self.client.upgrade() else {
            return;
        };
        let token = {
            let mut st = self.st.lock();
            if st.armed.is_some() {
                None
            } else {
                st.tokens += 1;
                st.armed = Some(st.tokens);
                st.armed
            }
        };
        let watch = token.map(|t| {
            let me = Arc::clone(self);
            Box::new(move |ev: WatchedEvent| me.on_event(t, ev)) as WatchFn
        });
        let me = Arc::clone(self);
        let done = Box::new(move |r| me.on_config(token, r));
        if let Err(e) = client.get_config_async(watch, None, done) {
            self.disarm(token);
            client.log(LogLevel::Debug, format_args!("{CONFIG_NODE}: {e}"));
        }
    }

    fn disarm(&self, token: Option<u64>) {
        let mut st = self.st.lock();
        if token.is_some() && st.armed == token {
            st.armed = None;
        }
    }

    fn on_event(self: &Arc<Self>, token: u64, ev: WatchedEvent) {
        {
            let mut st = self.st.lock();
            match st.armed {
                Some(t) if t != token => return,
                _ => st.armed = None,
            }
            if ev.event_type == EventType::None {
                // The session ended (close, expiry, auth failure): the next one may be on
                // another ensemble, whose versions start over.
                st.version = None;
            }
        }
        // After a session event the next connect reads again, or this one if the client
        // is connected already (a new session).
        let Some(client) = self.client.upgrade() else {
            return;
        };
        client.log(
            LogLevel::Debug,
            format_args!("{CONFIG_NODE}: {:?}", ev.event_type),
        );
        if client.connected() {
            self.refresh();
        }
    }

    fn on_config(&self, token: Option<u64>, r: Result<(Vec<u8>, Stat)>) {
        let Some(client) = self.client.upgrade() else {
            return;
        };
        match r {
            Ok((data, _)) => self.apply(&client, &data),
            Err(e) => {
                // The watch was not set; the next connect reads again.
                self.disarm(token);
                client.log(
                    LogLevel::Debug,
                    format_args!("reading {CONFIG_NODE} failed: {e}"),
                );
            }
        }
    }

    /// Moves the host list to the config's members, if they differ and the config is not
    /// older than one applied before.
    fn apply(&self, client: &Client, data: &[u8]) {
        let cfg = match EnsembleConfig::parse(data) {
            Ok(cfg) => cfg,
            Err(e) => {
                client.log(LogLevel::Warn, format_args!("ignoring {CONFIG_NODE}: {e}"));
                return;
            }
        };
        let addrs = if self.tls {
            cfg.secure_client_addrs()
        } else {
            cfg.client_addrs()
        };
        let mut new: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
        if new.is_empty() {
            // A standalone server's config is empty; a member without a client port in
            // its line uses a static one the config does not show (and before 3.10 the
            // secure port is always static).
            client.log(
                LogLevel::Debug,
                format_args!("{CONFIG_NODE} names no client address: hosts kept"),
            );
            return;
        }
        {
            let mut st = self.st.lock();
            if let (Some(v), Some(seen)) = (cfg.version, st.version) {
                if v < seen {
                    return;
                }
            }
            st.version = cfg.version.or(st.version);
        }
        let mut old: Vec<String> = client.hosts().split(',').map(str::to_string).collect();
        new.sort();
        new.dedup();
        old.sort();
        if new == old {
            return;
        }
        let chroot = client.session.chroot().as_str().unwrap_or("");
        let version = cfg.version.map_or("none".into(), |v| format!("{v:#x}"));
        match client.set_hosts(&format!("{}{chroot}", new.join(","))) {
            Ok(()) => {
                let added: Vec<&str> = new
                    .iter()
                    .filter(|h| !old.contains(h))
                    .map(String::as_str)
                    .collect();
                let removed: Vec<&str> = old
                    .iter()
                    .filter(|h| !new.contains(h))
                    .map(String::as_str)
                    .collect();
                client.log(
                    LogLevel::Info,
                    format_args!(
                        "ensemble changed (config version {version}): hosts now {}; added [{}], removed [{}]",
                        new.join(","),
                        added.join(","),
                        removed.join(",")
                    ),
                );
            }
            Err(e) => client.log(
                LogLevel::Warn,
                format_args!(
                    "ensemble config version {version}: cannot use hosts {}: {e}",
                    new.join(",")
                ),
            ),
        }
    }
}
