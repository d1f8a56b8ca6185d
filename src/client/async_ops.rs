//! The async API: each call checks its arguments and returns at once; its callback runs
//! later on the event thread with the result, in reply order, after any watch event the
//! server sent before that reply (kazoo's `*_async`, the C client's `zoo_a*`). Without a
//! connection a request waits for the next one, or fails with TIMED_OUT at its deadline.
//! An `Err` from the call itself means the callback will never run.
//!
//! Multi-step operations (recursive delete, ensure_path, makepath) are blocking only.

use std::time::Duration;

use super::{
    count_from, created_from, decode_body, ephemerals_from, identities_from, Client, CreateOptions,
    Created,
};
use crate::error::{Error, Result};
use crate::proto::consts::OpCode;
use crate::proto::wire::Encode;
use crate::proto::*;
use crate::session::{Reply, WatchFn, WatchKind, WatchRequest, Watcher};

/// A completion callback.
pub type Callback<T> = Box<dyn FnOnce(Result<T>) + Send + 'static>;

impl Client {
    /// Sends one request; `done` gets the raw reply on the event thread (see `then`).
    pub(super) fn submit(
        &self,
        op: OpCode,
        body: &dyn Encode,
        server_path: Option<&str>,
        watch: Option<(WatchFn, WatchKind, Option<WatchKind>)>,
        timeout: Option<Duration>,
        done: Box<dyn FnOnce(Result<Reply>) + Send + 'static>,
    ) {
        let watch = watch.map(|(f, kind, kind_on_nonode)| WatchRequest {
            kind,
            kind_on_nonode,
            f: Watcher::Once(f),
        });
        self.session.submit(
            op,
            Some(body),
            server_path,
            watch,
            self.deadline(timeout),
            done,
        );
    }

    /// `create` without blocking (no `makepath`: that takes several round trips).
    pub fn create_async(
        &self,
        path: &str,
        data: &[u8],
        opts: &CreateOptions<'_>,
        want_stat: bool,
        timeout: Option<Duration>,
        cb: Callback<Created>,
    ) -> Result<()> {
        if opts.makepath {
            return Err(Error::InvalidArgument);
        }
        let (op, body) = self.create_request(path, data, opts, want_stat)?;
        let chroot = self.session.chroot().clone();
        let max = self.session.max_frame();
        let finish = move |r: Result<Reply>| {
            let rep = ok_reply(r)?;
            created_from(&rep, op, want_stat, &chroot, max)
        };
        self.submit(op, body.as_ref(), None, None, timeout, then(finish, cb));
        Ok(())
    }

    /// `delete` without blocking (not recursive).
    pub fn delete_async(
        &self,
        path: &str,
        version: i32,
        timeout: Option<Duration>,
        cb: Callback<()>,
    ) -> Result<()> {
        let req = DeleteRequest {
            path: self.server_path(path, false)?.into_owned(),
            version,
        };
        let finish = |r: Result<Reply>| ok_reply(r).map(|_| ());
        self.submit(OpCode::Delete, &req, None, None, timeout, then(finish, cb));
        Ok(())
    }

    /// `exists` without blocking: `Ok(None)` for a missing node (the watch is set either way).
    pub fn exists_async(
        &self,
        path: &str,
        watch: Option<WatchFn>,
        timeout: Option<Duration>,
        cb: Callback<Option<Stat>>,
    ) -> Result<()> {
        let sp = self.server_path(path, false)?;
        let req = ExistsRequest {
            path: sp.to_string(),
            watch: watch.is_some(),
        };
        let max = self.session.max_frame();
        let finish = move |r: Result<Reply>| match ok_reply(r) {
            Ok(rep) => Ok(Some(decode_body::<ExistsResponse>(&rep, max)?.stat)),
            Err(Error::NoNode) => Ok(None),
            Err(e) => Err(e),
        };
        let watch = watch.map(|f| (f, WatchKind::Data, Some(WatchKind::Exist)));
        self.submit(
            OpCode::Exists,
            &req,
            Some(&sp),
            watch,
            timeout,
            then(finish, cb),
        );
        Ok(())
    }

    /// `get` without blocking.
    pub fn get_async(
        &self,
        path: &str,
        watch: Option<WatchFn>,
        timeout: Option<Duration>,
        cb: Callback<(Vec<u8>, Stat)>,
    ) -> Result<()> {
        let sp = self.server_path(path, false)?;
        let req = GetDataRequest {
            path: sp.to_string(),
            watch: watch.is_some(),
        };
        let max = self.session.max_frame();
        let finish = move |r: Result<Reply>| {
            let r: GetDataResponse = decode_body(&ok_reply(r)?, max)?;
            Ok((r.data, r.stat))
        };
        let watch = watch.map(|f| (f, WatchKind::Data, None));
        self.submit(
            OpCode::GetData,
            &req,
            Some(&sp),
            watch,
            timeout,
            then(finish, cb),
        );
        Ok(())
    }

    /// `get_children` without blocking.
    pub fn get_children_async(
        &self,
        path: &str,
        watch: Option<WatchFn>,
        want_stat: bool,
        timeout: Option<Duration>,
        cb: Callback<(Vec<String>, Option<Stat>)>,
    ) -> Result<()> {
        let sp = self.server_path(path, false)?;
        let max = self.session.max_frame();
        let watch = watch.map(|f| (f, WatchKind::Child, None));
        let wants_watch = watch.is_some();
        if want_stat {
            let req = GetChildren2Request {
                path: sp.to_string(),
                watch: wants_watch,
            };
            let finish = move |r: Result<Reply>| {
                let r: GetChildren2Response = decode_body(&ok_reply(r)?, max)?;
                Ok((r.children, Some(r.stat)))
            };
            self.submit(
                OpCode::GetChildren2,
                &req,
                Some(&sp),
                watch,
                timeout,
                then(finish, cb),
            );
        } else {
            let req = GetChildrenRequest {
                path: sp.to_string(),
                watch: wants_watch,
            };
            let finish = move |r: Result<Reply>| {
                let r: GetChildrenResponse = decode_body(&ok_reply(r)?, max)?;
                Ok((r.children, None))
            };
            self.submit(
                OpCode::GetChildren,
                &req,
                Some(&sp),
                watch,
                timeout,
                then(finish, cb),
            );
        }
        Ok(())
    }

    /// `set` without blocking.
    pub fn set_async(
        &self,
        path: &str,
        data: &[u8],
        version: i32,
        timeout: Option<Duration>,
        cb: Callback<Stat>,
    ) -> Result<()> {
        let sp = self.server_path(path, false)?;
        self.check_data(data)?;
        let req = SetDataRequest {
            path: sp.into_owned(),
            data: data.to_vec(),
            version,
        };
        let max = self.session.max_frame();
        let finish =
            move |r: Result<Reply>| Ok(decode_body::<SetDataResponse>(&ok_reply(r)?, max)?.stat);
        self.submit(OpCode::SetData, &req, None, None, timeout, then(finish, cb));
        Ok(())
    }

    /// `sync` without blocking.
    pub fn sync_async(
        &self,
        path: &str,
        timeout: Option<Duration>,
        cb: Callback<String>,
    ) -> Result<()> {
        let req = SyncRequest {
            path: self.server_path(path, false)?.into_owned(),
        };
        let chroot = self.session.chroot().clone();
        let max = self.session.max_frame();
        let finish = move |r: Result<Reply>| {
            let r: SyncResponse = decode_body(&ok_reply(r)?, max)?;
            Ok(chroot.strip(&r.path).to_string())
        };
        self.submit(OpCode::Sync, &req, None, None, timeout, then(finish, cb));
        Ok(())
    }

    /// `get_ephemerals` without blocking.
    pub fn get_ephemerals_async(
        &self,
        prefix: &str,
        timeout: Option<Duration>,
        cb: Callback<Vec<String>>,
    ) -> Result<()> {
        let req = GetEphemeralsRequest {
            prefix_path: self.server_path(prefix, false)?.into_owned(),
        };
        let chroot = self.session.chroot().clone();
        let max = self.session.max_frame();
        let finish = move |r: Result<Reply>| ephemerals_from(&ok_reply(r)?, &chroot, max);
        self.submit(
            OpCode::GetEphemerals,
            &req,
            None,
            None,
            timeout,
            then(finish, cb),
        );
        Ok(())
    }

    /// `who_am_i` without blocking.
    pub fn who_am_i_async(
        &self,
        timeout: Option<Duration>,
        cb: Callback<Vec<ClientInfo>>,
    ) -> Result<()> {
        let max = self.session.max_frame();
        let finish = move |r: Result<Reply>| identities_from(&r?, max);
        self.session.submit(
            OpCode::WhoAmI,
            None,
            None,
            None,
            self.deadline(timeout),
            then(finish, cb),
        );
        Ok(())
    }

    /// `get_all_children_number` without blocking.
    pub fn get_all_children_number_async(
        &self,
        path: &str,
        timeout: Option<Duration>,
        cb: Callback<u32>,
    ) -> Result<()> {
        let req = GetAllChildrenNumberRequest {
            path: self.server_path(path, false)?.into_owned(),
        };
        let max = self.session.max_frame();
        let finish = move |r: Result<Reply>| count_from(&ok_reply(r)?, max);
        let op = OpCode::GetAllChildrenNumber;
        self.submit(op, &req, None, None, timeout, then(finish, cb));
        Ok(())
    }

    /// `get_acl` without blocking.
    pub fn get_acl_async(
        &self,
        path: &str,
        timeout: Option<Duration>,
        cb: Callback<(Vec<Acl>, Stat)>,
    ) -> Result<()> {
        let req = GetAclRequest {
            path: self.server_path(path, false)?.into_owned(),
        };
        let max = self.session.max_frame();
        let finish = move |r: Result<Reply>| {
            let r: GetAclResponse = decode_body(&ok_reply(r)?, max)?;
            Ok((r.acl, r.stat))
        };
        self.submit(OpCode::GetAcl, &req, None, None, timeout, then(finish, cb));
        Ok(())
    }

    /// `set_acl` without blocking.
    pub fn set_acl_async(
        &self,
        path: &str,
        acl: &[Acl],
        version: i32,
        timeout: Option<Duration>,
        cb: Callback<Stat>,
    ) -> Result<()> {
        let sp = self.server_path(path, false)?;
        if acl.is_empty() {
            return Err(Error::InvalidAcl);
        }
        for a in acl {
            super::acl::check(a)?;
        }
        let req = SetAclRequest {
            path: sp.into_owned(),
            acl: acl.to_vec(),
            version,
        };
        let max = self.session.max_frame();
        let finish =
            move |r: Result<Reply>| Ok(decode_body::<SetAclResponse>(&ok_reply(r)?, max)?.stat);
        self.submit(OpCode::SetAcl, &req, None, None, timeout, then(finish, cb));
        Ok(())
    }
}

impl Client {
    /// `add_auth` without blocking: `cb` gets the server's verdict on the event thread. A
    /// credential the server takes is sent again after every reconnect.
    pub fn add_auth_async(
        &self,
        scheme: &str,
        credential: &[u8],
        timeout: Option<Duration>,
        cb: Callback<()>,
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
        let session = self.session.downgrade();
        let (scheme, credential) = (scheme.to_string(), credential.to_vec());
        let finish = move |r: Result<Reply>| {
            ok_reply(r)?;
            if let Some(s) = session.upgrade() {
                s.remember_auth(&scheme, &credential);
            }
            Ok(())
        };
        self.submit(OpCode::Auth, &req, None, None, timeout, then(finish, cb));
        Ok(())
    }
}

/// Turns the raw reply into the caller's result with `finish`, then hands it to `cb`.
pub(super) fn then<T: 'static>(
    finish: impl FnOnce(Result<Reply>) -> Result<T> + Send + 'static,
    cb: Callback<T>,
) -> Box<dyn FnOnce(Result<Reply>) + Send + 'static> {
    Box::new(move |r| cb(finish(r)))
}

/// A reply whose header says OK, or the header's error.
pub(super) fn ok_reply(r: Result<Reply>) -> Result<Reply> {
    let rep = r?;
    if rep.err != 0 {
        return Err(Error::from_code(rep.err));
    }
    Ok(rep)
}
