//! The ensemble's configuration: getConfig (a getData of `/zookeeper/config`) and reconfig,
//! blocking and async, and `Reconfig`, the membership change a caller asks for. The config
//! node is the servers' own and lies outside every chroot: its path goes to the server as
//! it is, as the Java client sends it, and so does the watch's.

use std::time::Duration;

use super::async_ops::{ok_reply, then, Callback};
use super::{decode_body, Client};
use crate::error::{Error, Result};
use crate::proto::consts::OpCode;
use crate::proto::{get_data_in_place, GetDataRequest, GetDataResponse, PathWatchRef};
use crate::proto::{ReconfigRequest, Stat};
use crate::session::{Reply, WatchFn, WatchKind};

/// Where the servers keep the ensemble's configuration (ZooKeeper's `ZooDefs.CONFIG_NODE`).
pub const CONFIG_NODE: &str = "/zookeeper/config";

/// A membership change for `Client::reconfig`. A server line is what the config holds,
/// `server.<id>=<host>:<quorumPort>:<electionPort>[:participant|:observer];[<host>:]<clientPort>`
/// (`<id>=...` will do too); `EnsembleConfig` reads the config back.
#[derive(Debug, Clone, Copy)]
pub enum Reconfig<'a> {
    /// Adds the `joining` servers (or changes them, when their id is a member already:
    /// ports, role) and removes the members whose ids are in `leaving`. One of the two may
    /// be empty, not both.
    Incremental {
        joining: &'a [&'a str],
        leaving: &'a [u64],
    },
    /// Makes these servers, one line each, the whole membership.
    Members(&'a [&'a str]),
}

impl Reconfig<'_> {
    /// The request, checked: no empty change, no line the comma-separated wire form would
    /// split or the server would read as two, and a config version of -1 (any) or more.
    fn request(&self, from_config: i64) -> Result<ReconfigRequest> {
        if from_config < -1 {
            return Err(Error::InvalidArgument);
        }
        let lines = |items: &[&str]| -> Result<Option<String>> {
            for line in items {
                if line.trim().is_empty() || line.contains([',', '\n', '\r', '\0']) {
                    return Err(Error::InvalidArgument);
                }
            }
            Ok((!items.is_empty()).then(|| items.join(",")))
        };
        let (joining_servers, leaving_servers, new_members) = match *self {
            Reconfig::Incremental { joining, leaving } => {
                if joining.is_empty() && leaving.is_empty() {
                    return Err(Error::InvalidArgument);
                }
                let ids: Vec<String> = leaving.iter().map(u64::to_string).collect();
                (
                    lines(joining)?,
                    (!ids.is_empty()).then(|| ids.join(",")),
                    None,
                )
            }
            Reconfig::Members(members) => {
                if members.is_empty() {
                    return Err(Error::InvalidArgument);
                }
                (None, None, lines(members)?)
            }
        };
        Ok(ReconfigRequest {
            joining_servers,
            leaving_servers,
            new_members,
            cur_config_id: from_config,
        })
    }
}

impl Client {
    /// The ensemble's configuration as the server this client talks to knows it: the bytes
    /// of `/zookeeper/config` (read them with `EnsembleConfig::parse`) and their Stat. The
    /// watch fires when the configuration changes (a reconfig). A read, under the command
    /// retry. A standalone server's config is empty. Like any read it may lag the leader:
    /// `sync` first for the latest.
    pub fn get_config(
        &self,
        watch: Option<WatchFn>,
        timeout: Option<Duration>,
    ) -> Result<(Vec<u8>, Stat)> {
        let deadline = self.deadline(timeout);
        let mut w = Self::watch_request(watch, WatchKind::Data, None);
        let req = PathWatchRef {
            path: CONFIG_NODE,
            watch: w.is_some(),
        };
        self.retrying(deadline, || {
            let rep = self.request(OpCode::GetData, &req, Some(CONFIG_NODE), &mut w, deadline)?;
            let (range, stat) = get_data_in_place(rep.body(), self.session.max_frame())
                .map_err(|_| Error::Protocol)?;
            Ok((rep.into_bytes(range), stat))
        })
    }

    /// `get_config` without blocking.
    pub fn get_config_async(
        &self,
        watch: Option<WatchFn>,
        timeout: Option<Duration>,
        cb: Callback<(Vec<u8>, Stat)>,
    ) -> Result<()> {
        let req = GetDataRequest {
            path: CONFIG_NODE.to_string(),
            watch: watch.is_some(),
        };
        let max = self.session.max_frame();
        let finish = move |r: Result<Reply>| {
            let r: GetDataResponse = decode_body(&ok_reply(r)?, max)?;
            Ok((r.data, r.stat))
        };
        let watch = watch.map(|f| (f, WatchKind::Data, None));
        let op = OpCode::GetData;
        self.submit(
            op,
            &req,
            Some(CONFIG_NODE),
            watch,
            timeout,
            then(finish, cb),
        );
        Ok(())
    }

    /// Changes the ensemble's membership (ZooKeeper 3.5+, servers with
    /// `reconfigEnabled=true`), if its config version is `from_config` (-1: any; a version
    /// is `EnsembleConfig::version`). Returns the new config and its Stat. The server
    /// answers ReconfigDisabled when reconfig is off, NoAuth unless the session may write
    /// `/zookeeper/config` (the super user, or servers with skipACL), BadVersion for a stale
    /// `from_config`, NewConfigNoQuorum when a quorum of the new membership is not connected
    /// and in sync with the leader, ReconfigInProgress while another runs, BadArguments for
    /// a membership it cannot take, Unimplemented from a standalone server. A write: never
    /// retried.
    pub fn reconfig(
        &self,
        change: &Reconfig<'_>,
        from_config: i64,
        timeout: Option<Duration>,
    ) -> Result<(Vec<u8>, Stat)> {
        let req = change.request(from_config)?;
        let rep = self.request(
            OpCode::Reconfig,
            &req,
            None,
            &mut None,
            self.deadline(timeout),
        )?;
        let r: GetDataResponse = self.decode(&rep)?;
        Ok((r.data, r.stat))
    }

    /// `reconfig` without blocking.
    pub fn reconfig_async(
        &self,
        change: &Reconfig<'_>,
        from_config: i64,
        timeout: Option<Duration>,
        cb: Callback<(Vec<u8>, Stat)>,
    ) -> Result<()> {
        let req = change.request(from_config)?;
        let max = self.session.max_frame();
        let finish = move |r: Result<Reply>| {
            let r: GetDataResponse = decode_body(&ok_reply(r)?, max)?;
            Ok((r.data, r.stat))
        };
        self.submit(
            OpCode::Reconfig,
            &req,
            None,
            None,
            timeout,
            then(finish, cb),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(change: Reconfig<'_>, from: i64) -> Result<ReconfigRequest> {
        change.request(from)
    }

    #[test]
    fn incremental_changes_send_null_for_an_empty_list() {
        let r = req(
            Reconfig::Incremental {
                joining: &["server.4=h:1:2;3", "5=h:4:5:observer;6"],
                leaving: &[],
            },
            -1,
        )
        .unwrap();
        assert_eq!(
            r.joining_servers.as_deref(),
            Some("server.4=h:1:2;3,5=h:4:5:observer;6")
        );
        assert_eq!((r.leaving_servers, r.new_members), (None, None));
        let r = req(
            Reconfig::Incremental {
                joining: &[],
                leaving: &[1, 22],
            },
            0x1_0000_0000,
        )
        .unwrap();
        assert_eq!(r.joining_servers, None);
        assert_eq!(r.leaving_servers.as_deref(), Some("1,22"));
        assert_eq!(r.cur_config_id, 0x1_0000_0000);
    }

    #[test]
    fn a_whole_membership_goes_in_new_members_alone() {
        let r = req(
            Reconfig::Members(&["server.1=h:1:2;3", "server.2=h:4:5;6"]),
            7,
        )
        .unwrap();
        assert_eq!(
            r.new_members.as_deref(),
            Some("server.1=h:1:2;3,server.2=h:4:5;6")
        );
        assert_eq!((r.joining_servers, r.leaving_servers), (None, None));
    }

    #[test]
    fn nothing_to_do_bad_lines_and_bad_versions_are_invalid_arguments() {
        let inc = |joining, leaving| Reconfig::Incremental { joining, leaving };
        for (change, from) in [
            (inc(&[], &[]), -1),
            (Reconfig::Members(&[]), -1),
            (inc(&["server.4=h:1:2;3"], &[]), -2),
            (inc(&[""], &[]), -1),
            (inc(&["  "], &[1]), -1),
            (inc(&["server.4=a:1:2;3,server.5=b:1:2;3"], &[]), -1),
            (
                Reconfig::Members(&["server.1=h:1:2;3\nserver.2=h:4:5;6"]),
                -1,
            ),
            (Reconfig::Members(&["server.1=h:1:2;3\0"]), -1),
        ] {
            assert_eq!(
                req(change, from).err(),
                Some(Error::InvalidArgument),
                "{change:?}"
            );
        }
    }
}
