//! What restores a session on a new connection: its credentials and its watches.

use std::sync::atomic::Ordering;

use crate::proto::consts::{xid, OpCode, SET_WATCHES_MAX_BYTES};
use crate::proto::wire::Encode;
use crate::proto::{AuthPacket, RequestHeader, SetWatches, SetWatches2};

use super::hostloop::write_frame;
use super::inner::Inner;

/// The frames that restore a session on a new connection: its credentials, then its
/// watches (setWatches, or setWatches2 when persistent watches are among them).
#[inline(never)]
pub(super) fn replay_frames(inner: &Inner) -> Vec<u8> {
    let mut out = Vec::new();
    let auth = inner.auth.lock();
    // Their replies come back as xid::AUTH before any user auth request's (`frames`).
    inner.replay_auths.store(auth.len(), Ordering::Relaxed);
    for (scheme, cred) in auth.iter() {
        write_frame(&mut out, |w| {
            RequestHeader {
                xid: xid::AUTH,
                op: OpCode::Auth as i32,
            }
            .encode(w);
            AuthPacket {
                auth_type: 0,
                scheme: scheme.clone(),
                auth: cred.clone(),
            }
            .encode(w);
        });
    }
    drop(auth);
    for (op, sw) in set_watches_batches(inner) {
        write_frame(&mut out, |w| {
            RequestHeader {
                xid: xid::SET_WATCHES,
                op: op as i32,
            }
            .encode(w);
            if op == OpCode::SetWatches {
                // The same fields, without the two persistent lists.
                SetWatches {
                    relative_zxid: sw.relative_zxid,
                    data_watches: sw.data_watches,
                    exist_watches: sw.exist_watches,
                    child_watches: sw.child_watches,
                }
                .encode(w);
            } else {
                sw.encode(w);
            }
        });
    }
    out
}

/// The watch table as SetWatches2 records of at most 128 KiB of paths each (ZOOKEEPER-706:
/// one huge SetWatches makes the server drop the connection on every reconnect). A batch
/// without persistent watches goes as the older SetWatches (op 101), as Java sends it.
pub(super) fn set_watches_batches(inner: &Inner) -> Vec<(OpCode, SetWatches2)> {
    let paths = inner.watches.lock().paths();
    let rel = inner.last_zxid.load(Ordering::Relaxed);
    let fresh = || SetWatches2 {
        relative_zxid: rel,
        ..Default::default()
    };
    let mut out = Vec::new();
    let mut cur = fresh();
    let mut size = 0usize;
    let lists = [
        (0, paths.data),
        (1, paths.exist),
        (2, paths.child),
        (3, paths.persistent),
        (4, paths.recursive),
    ];
    for (kind, list) in lists {
        for p in list {
            if size + p.len() > SET_WATCHES_MAX_BYTES && size > 0 {
                out.push(std::mem::replace(&mut cur, fresh()));
                size = 0;
            }
            size += p.len();
            match kind {
                0 => cur.data_watches.push(p),
                1 => cur.exist_watches.push(p),
                2 => cur.child_watches.push(p),
                3 => cur.persistent_watches.push(p),
                _ => cur.persistent_recursive_watches.push(p),
            }
        }
    }
    if size > 0 {
        out.push(cur);
    }
    out.into_iter()
        .map(|sw| {
            if sw.persistent_watches.is_empty() && sw.persistent_recursive_watches.is_empty() {
                (OpCode::SetWatches, sw)
            } else {
                (OpCode::SetWatches2, sw)
            }
        })
        .collect()
}
