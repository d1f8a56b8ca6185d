//! The blocking operations on nodes, watches, ACLs and credentials, four-letter commands,
//! and what they share: typed create requests and reply decoding.

use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::proto::consts::{AddWatchMode, CreateMode, OpCode, TTL_MAX};
use crate::proto::wire::{Decode, Reader};
use crate::proto::*;
use crate::session::{parse_version, Reply, WatchKind, WatchRequest, Watcher};

use super::*;

impl Client {
    // ----- operations ------------------------------------------------------------------

    /// Creates a node. Returns the created path (with its sequence suffix, chroot
    /// stripped) and, if `want_stat`, its Stat.
    pub fn create(
        &self,
        path: &str,
        data: &[u8],
        opts: &CreateOptions<'_>,
        want_stat: bool,
        timeout: Option<Duration>,
    ) -> Result<Created> {
        let deadline = self.deadline(timeout);
        let r = self.create_once(path, data, opts, want_stat, deadline);
        match r {
            Err(Error::NoNode) if opts.makepath => {
                if let Some(parent) = parent_of(path) {
                    self.ensure_path_until(parent, opts.acl, deadline)?;
                }
                self.create_once(path, data, opts, want_stat, deadline)
            }
            other => other,
        }
    }

    pub(super) fn create_once(
        &self,
        path: &str,
        data: &[u8],
        o: &CreateOptions<'_>,
        want_stat: bool,
        deadline: Instant,
    ) -> Result<Created> {
        let (op, body) = self.create_request(path, data, o, want_stat)?;
        let rep = self.request(op, body.as_ref(), None, &mut None, deadline)?;
        created_from(
            &rep,
            op,
            want_stat,
            self.session.chroot(),
            self.session.max_frame(),
        )
    }

    /// Checks a create's arguments and builds its request: op 1 (create), 15 (create2, when
    /// the Stat is wanted), 19 (container) or 21 (TTL).
    pub(super) fn create_request(
        &self,
        path: &str,
        data: &[u8],
        o: &CreateOptions<'_>,
        want_stat: bool,
    ) -> Result<(OpCode, Box<dyn Encode + Send>)> {
        Ok(match self.create_parts(path, data, o, want_stat)? {
            CreateReq::Plain(op, r) => (op, Box::new(r)),
            CreateReq::Ttl(r) => (OpCode::CreateTtl, Box::new(r)),
        })
    }

    /// The typed request of a create (shared by create, create_async and multi).
    pub(super) fn create_parts(
        &self,
        path: &str,
        data: &[u8],
        o: &CreateOptions<'_>,
        want_stat: bool,
    ) -> Result<CreateReq> {
        let sp = self.server_path(path, o.sequence)?;
        self.check_data(data)?;
        let acl = o.acl.unwrap_or(&self.default_acl);
        if acl.is_empty() {
            return Err(Error::InvalidAcl);
        }
        for a in acl {
            acl::check(a)?;
        }
        let flags = create_mode(o)? as i32;
        let acl = acl.to_vec();
        let data = data.to_vec();
        Ok(if let Some(ttl) = o.ttl {
            let ttl = ttl.as_millis();
            if ttl == 0 || ttl > TTL_MAX as u128 {
                return Err(Error::InvalidArgument);
            }
            CreateReq::Ttl(CreateTtlRequest {
                path: sp.into_owned(),
                data,
                acl,
                flags,
                ttl: ttl as i64,
            })
        } else {
            let op = if o.container {
                OpCode::CreateContainer
            } else if want_stat {
                OpCode::Create2
            } else {
                OpCode::Create
            };
            CreateReq::Plain(
                op,
                CreateRequest {
                    path: sp.into_owned(),
                    data,
                    acl,
                    flags,
                },
            )
        })
    }

    /// Creates `path` and any missing parents; an existing node is fine.
    pub fn ensure_path(
        &self,
        path: &str,
        acl: Option<&[Acl]>,
        timeout: Option<Duration>,
    ) -> Result<()> {
        let deadline = self.deadline(timeout);
        self.ensure_path_until(path, acl, deadline)
    }

    pub(super) fn ensure_path_until(
        &self,
        path: &str,
        acl: Option<&[Acl]>,
        deadline: Instant,
    ) -> Result<()> {
        validate_path(path, false).map_err(|_| Error::InvalidPath)?;
        if path == "/" {
            return Ok(());
        }
        let o = CreateOptions {
            acl,
            ..Default::default()
        };
        // Fast path: the node (or most of the chain) usually exists already.
        match self.create_once(path, &[], &o, false, deadline) {
            Ok(_) | Err(Error::NodeExists) => return Ok(()),
            Err(Error::NoNode) => {}
            Err(e) => return Err(e),
        }
        let mut prefix = String::new();
        for seg in path.split('/').skip(1) {
            prefix.push('/');
            prefix.push_str(seg);
            match self.create_once(&prefix, &[], &o, false, deadline) {
                Ok(_) | Err(Error::NodeExists) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The node's Stat, or `None` if it does not exist. A watch is armed either way: it
    /// fires on create, change or delete.
    pub fn exists(
        &self,
        path: &str,
        watch: Option<WatchFn>,
        timeout: Option<Duration>,
    ) -> Result<Option<Stat>> {
        let sp = self.server_path(path, false)?;
        let deadline = self.deadline(timeout);
        let mut w = Self::watch_request(watch, WatchKind::Data, Some(WatchKind::Exist));
        let req = PathWatchRef {
            path: &sp,
            watch: w.is_some(),
        };
        self.retrying(deadline, || {
            match self.request(OpCode::Exists, &req, Some(&sp), &mut w, deadline) {
                Ok(rep) => Ok(Some(self.decode::<ExistsResponse>(&rep)?.stat)),
                Err(Error::NoNode) => Ok(None),
                Err(e) => Err(e),
            }
        })
    }

    /// The node's data and Stat. The watch fires on change or delete.
    pub fn get(
        &self,
        path: &str,
        watch: Option<WatchFn>,
        timeout: Option<Duration>,
    ) -> Result<(Vec<u8>, Stat)> {
        let sp = self.server_path(path, false)?;
        let deadline = self.deadline(timeout);
        let mut w = Self::watch_request(watch, WatchKind::Data, None);
        let req = PathWatchRef {
            path: &sp,
            watch: w.is_some(),
        };
        self.retrying(deadline, || {
            let rep = self.request(OpCode::GetData, &req, Some(&sp), &mut w, deadline)?;
            // The reply's allocation becomes the data: no copy.
            let (range, stat) = get_data_in_place(rep.body(), self.session.max_frame())
                .map_err(|_| Error::Protocol)?;
            Ok((rep.into_bytes(range), stat))
        })
    }

    /// The node's children (unsorted, as the server keeps them) and, if `want_stat`, its
    /// Stat. The watch fires when a child is added or removed, or the node is deleted.
    pub fn get_children(
        &self,
        path: &str,
        watch: Option<WatchFn>,
        want_stat: bool,
        timeout: Option<Duration>,
    ) -> Result<(Vec<String>, Option<Stat>)> {
        let sp = self.server_path(path, false)?;
        let deadline = self.deadline(timeout);
        let mut w = Self::watch_request(watch, WatchKind::Child, None);
        self.retrying(deadline, || {
            if want_stat {
                let req = PathWatchRef {
                    path: &sp,
                    watch: w.is_some(),
                };
                let rep = self.request(OpCode::GetChildren2, &req, Some(&sp), &mut w, deadline)?;
                let r: GetChildren2Response = self.decode(&rep)?;
                Ok((r.children, Some(r.stat)))
            } else {
                let req = PathWatchRef {
                    path: &sp,
                    watch: w.is_some(),
                };
                let rep = self.request(OpCode::GetChildren, &req, Some(&sp), &mut w, deadline)?;
                let r: GetChildrenResponse = self.decode(&rep)?;
                Ok((r.children, None))
            }
        })
    }

    /// The ephemeral nodes this session owns whose path starts with `prefix` (a path; "/"
    /// for all), relative to the chroot, unsorted (getEphemerals, ZooKeeper 3.6+). The match
    /// is the server's: a string prefix, so "/a" also finds "/ab".
    pub fn get_ephemerals(&self, prefix: &str, timeout: Option<Duration>) -> Result<Vec<String>> {
        let sp = self.server_path(prefix, false)?;
        let deadline = self.deadline(timeout);
        self.retrying(deadline, || {
            let req = GetEphemeralsRequest {
                prefix_path: sp.to_string(),
            };
            let rep = self.request(OpCode::GetEphemerals, &req, None, &mut None, deadline)?;
            ephemerals_from(&rep, self.session.chroot(), self.session.max_frame())
        })
    }

    /// How many nodes are below `path`, at any depth, `path` itself not counted
    /// (getAllChildrenNumber, ZooKeeper 3.6+).
    pub fn get_all_children_number(&self, path: &str, timeout: Option<Duration>) -> Result<u32> {
        let sp = self.server_path(path, false)?;
        let deadline = self.deadline(timeout);
        self.retrying(deadline, || {
            let req = GetAllChildrenNumberRequest {
                path: sp.to_string(),
            };
            let rep = self.request(
                OpCode::GetAllChildrenNumber,
                &req,
                None,
                &mut None,
                deadline,
            )?;
            count_from(&rep, self.session.max_frame())
        })
    }

    /// The identities the server has for this connection (whoAmI, ZooKeeper 3.7+): one per
    /// scheme it authenticated, e.g. `ip` with the client's address, `digest` with the user
    /// name after addAuth, `sasl` after SASL, `x509` with the certificate's name over TLS.
    pub fn who_am_i(&self, timeout: Option<Duration>) -> Result<Vec<ClientInfo>> {
        let deadline = self.deadline(timeout);
        self.retrying(deadline, || {
            let rep = self
                .session
                .call(OpCode::WhoAmI, None, None, &mut None, deadline)?;
            identities_from(&rep, self.session.max_frame())
        })
    }

    /// Adds a persistent watch (ZooKeeper 3.6+): `f` is called on the event thread for every
    /// event on `path` — or, with `recursive`, on `path` and every node below it, except
    /// child events — until `remove_watches(path, WatcherType::Any, ..)` or the end of the
    /// session; then once more with the removal (PersistentWatchRemoved) or session event
    /// (None), and dropped. It is restored after a reconnect (SetWatches2), but events that
    /// happened while disconnected are not replayed: the server does not keep them.
    /// One-shot and persistent watches on one path coexist, on every server: 3.9 keeps each
    /// kind apart; 3.8 keeps one mode per path and session (ZOOKEEPER-4466), so after a
    /// one-shot watch is set (or removed) on a path that has a persistent watch of this
    /// client, the client adds the persistent mode back at once, and serves the one-shot
    /// watch from its own table. On 3.8 an event that the server applies between those two
    /// requests can reach the one-shot watch but not the persistent one. Both persistent
    /// modes on one path do not coexist on 3.8: the recursive one is kept on the server,
    /// so the non-recursive watch there gets no NodeChildrenChanged; watch the path's
    /// children with a one-shot watch instead, or run 3.9.
    pub fn add_watch(
        &self,
        path: &str,
        recursive: bool,
        f: PersistentFn,
        timeout: Option<Duration>,
    ) -> Result<()> {
        let sp = self.server_path(path, false)?;
        let (mode, kind) = if recursive {
            (
                AddWatchMode::PersistentRecursive,
                WatchKind::PersistentRecursive,
            )
        } else {
            (AddWatchMode::Persistent, WatchKind::Persistent)
        };
        let req = AddWatchRequest {
            path: sp.to_string(),
            mode: mode as i32,
        };
        let mut w = Some(WatchRequest {
            kind,
            kind_on_nonode: None,
            f: Watcher::Persistent(f),
        });
        self.request(
            OpCode::AddWatch,
            &req,
            Some(&sp),
            &mut w,
            self.deadline(timeout),
        )?;
        Ok(())
    }

    /// Removes the client's watches of a kind on a path (removeWatches): Data ends data and
    /// exist watches, Children child watches, Persistent and PersistentRecursive the
    /// persistent watches of that mode, Any all of them. Each removed watcher gets its
    /// removal event (DataWatchRemoved, ChildWatchRemoved, PersistentWatchRemoved) and is
    /// dropped. NoWatcher if the client holds none. With `local`, they are removed here even
    /// if the server cannot be told (no connection).
    ///
    /// Persistent and PersistentRecursive are ZooKeeper 3.9's; on older servers they work
    /// when the path holds no other kind of watch of this client (then the client asks for
    /// Any), and are Unimplemented otherwise.
    pub fn remove_watches(
        &self,
        path: &str,
        ty: WatcherType,
        local: bool,
        timeout: Option<Duration>,
    ) -> Result<()> {
        let sp = self.server_path(path, false)?;
        if !local {
            // The answer any request gets from a closed or unstarted client comes first.
            self.session.terminal_error()?;
        }
        if !self.session.has_watches(ty, &sp) {
            return Err(Error::NoWatcher);
        }
        let deadline = self.deadline(timeout);
        let send = |ty: WatcherType| {
            let req = RemoveWatchesRequest {
                path: sp.to_string(),
                watcher_type: ty as i32,
            };
            self.request(OpCode::RemoveWatches, &req, None, &mut None, deadline)
        };
        let mut sent = send(ty);
        if matches!(sent, Err(Error::MarshallingError))
            && matches!(
                ty,
                WatcherType::Persistent | WatcherType::PersistentRecursive
            )
        {
            // A server before 3.9 knows only types 1-3 and refuses the type itself. It also
            // keeps one watch mode per path, so when every watch of ours on the path is of
            // this kind, removing them all (Any) removes exactly them; otherwise it cannot
            // be done on this server.
            sent = if self.session.has_only_watches(ty, &sp) {
                send(WatcherType::Any)
            } else {
                Err(Error::Unimplemented)
            };
        }
        match sent {
            Ok(_) => {}
            // The server may have fired (and so dropped) the watch meanwhile.
            Err(Error::NoWatcher) => {}
            Err(_) if local => {}
            Err(e) => return Err(e),
        }
        self.session.remove_watches(ty, &sp, path);
        // Before 3.9 removing one-shot watches clears the server's entry for the path,
        // persistent mode and all: add back what this client still holds.
        match ty {
            WatcherType::Data => self.session.restore_persistent_modes(WatchKind::Data, &sp),
            WatcherType::Children => self.session.restore_persistent_modes(WatchKind::Child, &sp),
            _ => {}
        }
        Ok(())
    }

    /// Sets the node's data if its version matches (`-1` = any). Not retried.
    pub fn set(
        &self,
        path: &str,
        data: &[u8],
        version: i32,
        timeout: Option<Duration>,
    ) -> Result<Stat> {
        let sp = self.server_path(path, false)?;
        self.check_data(data)?;
        let req = SetDataRef {
            path: &sp,
            data,
            version,
        };
        let rep = self.request(
            OpCode::SetData,
            &req,
            None,
            &mut None,
            self.deadline(timeout),
        )?;
        Ok(self.decode::<SetDataResponse>(&rep)?.stat)
    }

    /// Deletes the node if its version matches (`-1` = any). `recursive` deletes the
    /// children first, depth first, like kazoo (not atomic). With `recursive`, a `version`
    /// other than -1 is checked on the top node before anything is deleted, so a stale
    /// version leaves the tree alone (a change racing the delete can still slip between).
    pub fn delete(
        &self,
        path: &str,
        version: i32,
        recursive: bool,
        timeout: Option<Duration>,
    ) -> Result<()> {
        let sp = self.server_path(path, false)?;
        let deadline = self.deadline(timeout);
        if recursive {
            if path == "/" {
                return Err(Error::InvalidArgument);
            }
            if version != -1 {
                let left = deadline.saturating_duration_since(Instant::now());
                match self.exists(path, None, Some(left))? {
                    None => return Err(Error::NoNode),
                    Some(st) if st.version != version => return Err(Error::BadVersion),
                    Some(_) => {}
                }
            }
            match self.delete_children(path, deadline) {
                Ok(()) | Err(Error::NoNode) => {}
                Err(e) => return Err(e),
            }
        }
        let req = DeleteRef { path: &sp, version };
        self.request(OpCode::Delete, &req, None, &mut None, deadline)?;
        Ok(())
    }

    pub(super) fn delete_children(&self, path: &str, deadline: Instant) -> Result<()> {
        let left = deadline.saturating_duration_since(Instant::now());
        let (children, _) = self.get_children(path, None, false, Some(left))?;
        for c in children {
            let child = if path == "/" {
                format!("/{c}")
            } else {
                format!("{path}/{c}")
            };
            match self.delete_children(&child, deadline) {
                Ok(()) | Err(Error::NoNode) => {}
                Err(e) => return Err(e),
            }
            let req = DeleteRef {
                path: &self.server_path(&child, false)?,
                version: -1,
            };
            match self.request(OpCode::Delete, &req, None, &mut None, deadline) {
                Ok(_) | Err(Error::NoNode) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Waits until the server this client talks to has caught up with the leader for
    /// `path`. Returns the path (chroot stripped).
    pub fn sync(&self, path: &str, timeout: Option<Duration>) -> Result<String> {
        let sp = self.server_path(path, false)?;
        let deadline = self.deadline(timeout);
        let req = SyncRequest {
            path: sp.into_owned(),
        };
        self.retrying(deadline, || {
            let rep = self.request(OpCode::Sync, &req, None, &mut None, deadline)?;
            let r: SyncResponse = self.decode(&rep)?;
            Ok(self.session.chroot().strip(&r.path).to_string())
        })
    }

    pub fn get_acl(&self, path: &str, timeout: Option<Duration>) -> Result<(Vec<Acl>, Stat)> {
        let sp = self.server_path(path, false)?;
        let deadline = self.deadline(timeout);
        let req = GetAclRequest {
            path: sp.into_owned(),
        };
        self.retrying(deadline, || {
            let rep = self.request(OpCode::GetAcl, &req, None, &mut None, deadline)?;
            let r: GetAclResponse = self.decode(&rep)?;
            Ok((r.acl, r.stat))
        })
    }

    pub fn set_acl(
        &self,
        path: &str,
        acl: &[Acl],
        version: i32,
        timeout: Option<Duration>,
    ) -> Result<Stat> {
        let sp = self.server_path(path, false)?;
        if acl.is_empty() {
            return Err(Error::InvalidAcl);
        }
        for a in acl {
            acl::check(a)?;
        }
        let req = SetAclRequest {
            path: sp.into_owned(),
            acl: acl.to_vec(),
            version,
        };
        let rep = self.request(
            OpCode::SetAcl,
            &req,
            None,
            &mut None,
            self.deadline(timeout),
        )?;
        Ok(self.decode::<SetAclResponse>(&rep)?.stat)
    }

    /// Adds a credential to the session and waits for the server's verdict. It is sent
    /// again after every reconnect. A refused credential makes the client AUTH_FAILED.
    /// SASL is not a credential but an exchange at connect time (`Options::sasl`): scheme
    /// "sasl" here, which every server refuses, is InvalidArgument.
    pub fn add_auth(
        &self,
        scheme: &str,
        credential: &[u8],
        timeout: Option<Duration>,
    ) -> Result<()> {
        super::options::check_auth(scheme, credential, self.session.max_frame())?;
        if scheme == super::options::LEGACY_SASL_SCHEME {
            return Err(Error::InvalidArgument);
        }
        let req = AuthPacket {
            auth_type: 0,
            scheme: scheme.to_string(),
            auth: credential.to_vec(),
        };
        self.request(OpCode::Auth, &req, None, &mut None, self.deadline(timeout))?;
        self.session.remember_auth(scheme, credential);
        Ok(())
    }

    /// Sends a four-letter command to the server of the current connection (or, when not
    /// connected, to the first host that answers) and returns its text.
    pub fn command(&self, cmd: &str, timeout: Option<Duration>) -> Result<String> {
        self.session
            .command(cmd, timeout.unwrap_or(self.operation_timeout))
    }

    /// The server's version (major, minor, patch), from `srvr` (whitelisted by default).
    pub fn server_version(&self, timeout: Option<Duration>) -> Result<(u32, u32, u32)> {
        let text = self.command("srvr", timeout)?;
        parse_version(&text).ok_or(Error::BadReply)
    }

    /// The chroot-relative form of a server path.
    pub fn unchroot(&self, server_path: &str) -> String {
        self.session.chroot().strip(server_path).to_string()
    }

    /// Logs through the user's logger, if any.
    pub fn log(&self, level: LogLevel, msg: std::fmt::Arguments<'_>) {
        self.session.log(level, msg)
    }
}

/// A create request, typed: TTL creates have their own record.
pub(super) enum CreateReq {
    Plain(OpCode, CreateRequest),
    Ttl(CreateTtlRequest),
}

/// Decodes a reply body; bytes that do not parse are the server's fault: PROTOCOL.
pub(super) fn decode_body<T: Decode>(rep: &Reply, max_frame: usize) -> Result<T> {
    let mut r = Reader::with_max_len(rep.body(), max_frame);
    T::decode(&mut r).map_err(|_| Error::Protocol)
}

/// getEphemerals' paths from its reply, relative to the chroot. With a chroot the server
/// matches the prefix as a string, so "/app" would also find "/apple/x": those are left out.
pub(super) fn ephemerals_from(
    rep: &Reply,
    chroot: &Chroot,
    max_frame: usize,
) -> Result<Vec<String>> {
    let r: GetEphemeralsResponse = decode_body(rep, max_frame)?;
    Ok(r.ephemerals
        .iter()
        .filter(|p| chroot.contains(p))
        .map(|p| chroot.strip(p).to_string())
        .collect())
}

/// whoAmI's identities from its reply.
pub(super) fn identities_from(rep: &Reply, max_frame: usize) -> Result<Vec<ClientInfo>> {
    if rep.err != 0 {
        return Err(Error::from_code(rep.err));
    }
    let r: WhoAmIResponse = decode_body(rep, max_frame)?;
    Ok(r.client_info)
}

/// getAllChildrenNumber's count from its reply; a negative one is the server's fault.
pub(super) fn count_from(rep: &Reply, max_frame: usize) -> Result<u32> {
    let r: GetAllChildrenNumberResponse = decode_body(rep, max_frame)?;
    u32::try_from(r.total_number).map_err(|_| Error::Protocol)
}

/// A create's result from its reply: create answers a path, the others a path and a Stat.
pub(super) fn created_from(
    rep: &Reply,
    op: OpCode,
    want_stat: bool,
    chroot: &crate::proto::path::Chroot,
    max_frame: usize,
) -> Result<Created> {
    let (server_path, stat) = if op == OpCode::Create {
        (decode_body::<CreateResponse>(rep, max_frame)?.path, None)
    } else {
        let r: Create2Response = decode_body(rep, max_frame)?;
        (r.path, want_stat.then_some(r.stat))
    };
    Ok(Created {
        path: chroot.strip(&server_path).to_string(),
        stat,
    })
}

pub(super) fn parent_of(path: &str) -> Option<&str> {
    let i = path.rfind('/')?;
    if i == 0 {
        None
    } else {
        Some(&path[..i])
    }
}

pub(crate) fn create_mode(o: &CreateOptions<'_>) -> Result<CreateMode> {
    CreateMode::from_flags(o.ephemeral, o.sequence, o.container, o.ttl.is_some())
        .ok_or(Error::InvalidArgument)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn parents() {
        assert_eq!(parent_of("/a/b/c"), Some("/a/b"));
        assert_eq!(parent_of("/a"), None);
    }
}
