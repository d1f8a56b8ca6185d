//! The queue recipes in C: zk_queue (a get removes the entry) and zk_locking_queue (a get
//! takes the entry, zk_locking_queue_consume removes it), on kazoo's znodes.

use std::ffi::c_char;

use super::client::zk_client;
use super::convert::*;
use super::types::{zk_buffer, zk_string_list};
use super::zk_result;
use crate::client::options::MAX_REQUEST_BYTES;
use crate::error::{Error, Result};
use crate::recipe::queue::{LockingQueue, Queue};

/// A queue (opaque), kazoo's Queue: each entry is a persistent sequential node
/// path/entry-<priority, 3 digits>-<sequence, 10 digits> holding its value; a get takes
/// the first by name and deletes it. Consumption is not reliable: an entry is gone before
/// it is processed (use zk_locking_queue for that). Thread-safe. Like every recipe handle
/// it outlives its client safely: after zk_client_free its calls return
/// ZK_RESULT_CLOSED.
pub struct zk_queue {
    inner: Queue,
}

/// Writes a created entry's name to *name_out (optional; free with zk_string_free).
///
/// # Safety
/// `name_out` is NULL or writable.
unsafe fn write_name(name_out: *mut *mut c_char, name: String) -> Result<()> {
    if !name_out.is_null() {
        let s = to_cstring(name)?.into_raw();
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(name_out, s) };
    }
    Ok(())
}

/// Makes a queue at path and writes it to *out (free with zk_queue_free). Nothing is sent;
/// the first put makes the path.
#[no_mangle]
pub unsafe extern "C" fn zk_queue_new(
    client: *mut zk_client,
    path: *const c_char,
    out: *mut *mut zk_queue,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client_arg(client)?, str_arg(path)?) };
        out_arg(out)?;
        let q = Queue::new(c, path)?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, to_handle(zk_queue { inner: q })) };
        Ok(())
    })
}

/// Adds the len bytes at value with priority (0 to 999, lower first; kazoo's default is
/// 100; else ZK_RESULT_INVALID_ARGUMENT). The entry's name,
/// "entry-<prio>-<seq10>", goes to *name_out (optional; free with zk_string_free).
/// ZK_RESULT_CONNECTION_LOSS when the reply was lost: the entry may or may not have been
/// added, and is not sent again (that could add it twice).
#[no_mangle]
pub unsafe extern "C" fn zk_queue_put(
    queue: *mut zk_queue,
    value: *const u8,
    len: usize,
    priority: i32,
    timeout_ms: u32,
    name_out: *mut *mut c_char,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (q, value) = unsafe { (ref_arg(queue)?, bytes_arg(value, len)?) };
        let name = q.inner.put(value, priority, timeout(timeout_ms))?;
        // SAFETY: the caller's contract.
        unsafe { write_name(name_out, name) }
    })
}

/// Removes the first entry (lowest priority number, then oldest) and writes its value to
/// *data_out (free with zk_buffer_free) and true to *found_out. An empty queue is no error:
/// *found_out false and *data_out {NULL, 0} (it does not wait, as kazoo's). Entries other
/// consumers take first are skipped. ZK_RESULT_CONNECTION_LOSS when the reply to our
/// delete was lost and the entry was gone after: it was removed, maybe by us, and is not
/// returned (an entry never goes to two consumers).
#[no_mangle]
pub unsafe extern "C" fn zk_queue_get(
    queue: *mut zk_queue,
    timeout_ms: u32,
    data_out: *mut zk_buffer,
    found_out: *mut bool,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let q = unsafe { ref_arg(queue) }?;
        out_arg(data_out)?;
        out_arg(found_out)?;
        let got = q.inner.get(timeout(timeout_ms))?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe {
            write_opt(found_out, got.is_some());
            write_opt(
                data_out,
                match got {
                    Some(v) => zk_buffer::from_vec(v),
                    None => zk_buffer {
                        data: std::ptr::null_mut(),
                        len: 0,
                    },
                },
            );
        }
        Ok(())
    })
}

/// The number of entries (the path's child count, as kazoo's len) into *out; 0 while the
/// path does not exist.
#[no_mangle]
pub unsafe extern "C" fn zk_queue_len(
    queue: *mut zk_queue,
    timeout_ms: u32,
    out: *mut usize,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let q = unsafe { ref_arg(queue) }?;
        out_arg(out)?;
        let n = q.inner.len(timeout(timeout_ms))?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, n) };
        Ok(())
    })
}

/// Frees a queue; its entries stay. NULL is a no-op. No call on it may be in progress.
#[no_mangle]
pub unsafe extern "C" fn zk_queue_free(queue: *mut zk_queue) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(queue) }
}

/// A consumer and producer of a locking queue (opaque), kazoo's LockingQueue: entries are
/// path/entries/entry-<prio>-<seq10>; a consumer takes one by creating
/// path/taken/<entry name>, EPHEMERAL, holding its id (a uuid4 in 32 hex digits), so an
/// entry whose consumer's session ends goes back to the queue. It holds one entry at a
/// time: zk_locking_queue_get takes it, zk_locking_queue_consume removes it (entries/ and
/// taken/ in one transaction), zk_locking_queue_release gives it back. Thread-safe: one
/// thread may wait in a get while another cancels. Outlives its client safely.
///
/// On a lost connection the entry stays ours while the session lives; once the session
/// has expired the entry is back in the queue, maybe taken by another consumer:
/// zk_locking_queue_holds_lock says whether it is still ours, and consume and release
/// then return *done_out false.
pub struct zk_locking_queue {
    inner: LockingQueue,
}

/// Makes a locking queue at path with a fresh consumer id and writes it to *out (free with
/// zk_locking_queue_free). Nothing is sent; the first call makes path/entries and
/// path/taken.
#[no_mangle]
pub unsafe extern "C" fn zk_locking_queue_new(
    client: *mut zk_client,
    path: *const c_char,
    out: *mut *mut zk_locking_queue,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client_arg(client)?, str_arg(path)?) };
        out_arg(out)?;
        let q = LockingQueue::new(c, path)?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, to_handle(zk_locking_queue { inner: q })) };
        Ok(())
    })
}

/// Adds one entry, as zk_queue_put.
#[no_mangle]
pub unsafe extern "C" fn zk_locking_queue_put(
    queue: *mut zk_locking_queue,
    value: *const u8,
    len: usize,
    priority: i32,
    timeout_ms: u32,
    name_out: *mut *mut c_char,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (q, value) = unsafe { (ref_arg(queue)?, bytes_arg(value, len)?) };
        let name = q.inner.put(value, priority, timeout(timeout_ms))?;
        // SAFETY: the caller's contract.
        unsafe { write_name(name_out, name) }
    })
}

/// Adds count entries with one priority in one transaction, all or none: values[i] is
/// lens[i] bytes (values[i] may be NULL when lens[i] is 0). The entries' names, in order,
/// go to *names_out (optional; free with zk_string_list_free). When the transaction fails,
/// the error of the op that failed is returned and nothing was added.
#[no_mangle]
pub unsafe extern "C" fn zk_locking_queue_put_all(
    queue: *mut zk_locking_queue,
    values: *const *const u8,
    lens: *const usize,
    count: usize,
    priority: i32,
    timeout_ms: u32,
    names_out: *mut *mut zk_string_list,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let q = unsafe { ref_arg(queue) }?;
        let mut items: Vec<&[u8]> = Vec::new();
        if count > 0 {
            if values.is_null() || lens.is_null() {
                return Err(Error::NullArgument);
            }
            // Every entry takes bytes of the one request: more than it can carry is refused
            // before the arrays are read.
            if count > MAX_REQUEST_BYTES {
                return Err(Error::TooLarge);
            }
            // SAFETY: count readable items in each array by the caller's contract.
            let (vs, ls) = unsafe {
                (
                    std::slice::from_raw_parts(values, count),
                    std::slice::from_raw_parts(lens, count),
                )
            };
            for (&v, &l) in vs.iter().zip(ls) {
                // SAFETY: values[i] points to lens[i] bytes by the caller's contract.
                items.push(unsafe { bytes_arg(v, l) }?);
            }
        }
        let names = q.inner.put_all(&items, priority, timeout(timeout_ms))?;
        if !names_out.is_null() {
            let list = zk_string_list::new(names)?;
            // SAFETY: non-null, writable by the caller's contract.
            unsafe { write_opt(names_out, list) };
        }
        Ok(())
    })
}

/// Takes the first entry no consumer has taken and writes its value to *data_out (free
/// with zk_buffer_free), waiting for one: a recipe wait, timeout_ms negative waits with no
/// deadline, 0 looks once, more is the deadline (ZK_RESULT_TIMED_OUT then);
/// ZK_RESULT_CANCELLED when zk_locking_queue_cancel is called. The wait is on child
/// watches (an entry put or given back wakes it), not polling. While an entry is in hand
/// (taken, not consumed or released) it gives that entry again, as kazoo's.
#[no_mangle]
pub unsafe extern "C" fn zk_locking_queue_get(
    queue: *mut zk_locking_queue,
    timeout_ms: i64,
    data_out: *mut zk_buffer,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let q = unsafe { ref_arg(queue) }?;
        out_arg(data_out)?;
        let v = q.inner.get(recipe_timeout(timeout_ms))?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(data_out, zk_buffer::from_vec(v)) };
        Ok(())
    })
}

/// Runs consume or release and writes whether it did to `done_out` (optional).
///
/// # Safety
/// `queue` is NULL or live; `done_out` is NULL or writable.
unsafe fn finish(
    queue: *mut zk_locking_queue,
    done_out: *mut bool,
    f: impl FnOnce(&LockingQueue) -> Result<bool>,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let q = unsafe { ref_arg(queue) }?;
        let done = f(&q.inner)?;
        // SAFETY: NULL or writable by the caller's contract.
        unsafe { write_opt(done_out, done) };
        Ok(())
    })
}

/// Removes the entry in hand from the queue (entries/<name> and taken/<name> in one
/// transaction). *done_out (optional): true if removed; false when there was none in hand,
/// or it was no longer ours (our session ended and the entry went back; it is let go).
/// ZK_RESULT_CONNECTION_LOSS when the reply was lost: call again (true if it was still
/// ours and is removed now, false if the lost one removed it).
#[no_mangle]
pub unsafe extern "C" fn zk_locking_queue_consume(
    queue: *mut zk_locking_queue,
    timeout_ms: u32,
    done_out: *mut bool,
) -> zk_result {
    // SAFETY: the caller's contract.
    unsafe { finish(queue, done_out, |q| q.consume(timeout(timeout_ms))) }
}

/// Gives the entry in hand back to the queue (deletes taken/<name> only). *done_out
/// (optional) as zk_locking_queue_consume's.
#[no_mangle]
pub unsafe extern "C" fn zk_locking_queue_release(
    queue: *mut zk_locking_queue,
    timeout_ms: u32,
    done_out: *mut bool,
) -> zk_result {
    // SAFETY: the caller's contract.
    unsafe { finish(queue, done_out, |q| q.release(timeout(timeout_ms))) }
}

/// Whether an entry is in hand and its taken/ node still holds our id (read after a sync)
/// into *out.
#[no_mangle]
pub unsafe extern "C" fn zk_locking_queue_holds_lock(
    queue: *mut zk_locking_queue,
    timeout_ms: u32,
    out: *mut bool,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let q = unsafe { ref_arg(queue) }?;
        out_arg(out)?;
        let held = q.inner.holds_lock(timeout(timeout_ms))?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, held) };
        Ok(())
    })
}

/// The number of entries, taken ones included (the child count of path/entries, as
/// kazoo's len) into *out; 0 while it does not exist.
#[no_mangle]
pub unsafe extern "C" fn zk_locking_queue_len(
    queue: *mut zk_locking_queue,
    timeout_ms: u32,
    out: *mut usize,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let q = unsafe { ref_arg(queue) }?;
        out_arg(out)?;
        let n = q.inner.len(timeout(timeout_ms))?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, n) };
        Ok(())
    })
}

/// Ends the zk_locking_queue_get calls waiting on this queue, on any thread, with
/// ZK_RESULT_CANCELLED; with none in progress, the next one (as zk_lock_cancel).
#[no_mangle]
pub unsafe extern "C" fn zk_locking_queue_cancel(queue: *mut zk_locking_queue) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(queue) }?.inner.cancel();
        Ok(())
    })
}

/// Forgets a zk_locking_queue_cancel that no get has ended with.
#[no_mangle]
pub unsafe extern "C" fn zk_locking_queue_clear_cancel(queue: *mut zk_locking_queue) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { ref_arg(queue) }?.inner.clear_cancel();
        Ok(())
    })
}

/// Frees a locking queue. An entry in hand stays taken until the session ends (consume or
/// release it first to hand it on at once). NULL is a no-op. No call on it may be in
/// progress.
#[no_mangle]
pub unsafe extern "C" fn zk_locking_queue_free(queue: *mut zk_locking_queue) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(queue) }
}
