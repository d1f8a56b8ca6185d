//! The counter recipe in C: zk_counter, a number in one node changed by compare-and-set,
//! in kazoo's text form (an integer or a float) or Curator's 4-byte form.

use std::ffi::c_char;

use super::client::zk_client;
use super::convert::*;
use super::zk_result;
use crate::error::{Error, Result};
use crate::recipe::counter::{Counter, CounterForm, CounterValue};

/// How a zk_counter writes its value, and its type.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum zk_counter_form {
    /// kazoo's Counter: the integer as decimal ASCII text ("5", "-2"); int64_t.
    Int = 1,
    /// kazoo's Counter with a float default: Python's repr of the value ("3.0", "1e+16");
    /// double.
    Float = 2,
    /// Curator's SharedCount (kazoo's support_curator=True): a 4-byte big-endian int;
    /// int64_t calls, values in int32_t's range.
    Curator = 3,
}

/// A counter (opaque) at one path. Thread-safe. Like every recipe handle it outlives its
/// client safely: after zk_client_free its calls return ZK_RESULT_CLOSED.
pub struct zk_counter {
    inner: Counter,
}

/// Makes a counter at path in form (a zk_counter_form) and writes it to *out (free with
/// zk_counter_free). Its value is 0 while the node is missing or empty; the first read or
/// change makes the node. Nothing is sent here. ZK_RESULT_INVALID_ARGUMENT for an unknown
/// form.
#[no_mangle]
pub unsafe extern "C" fn zk_counter_new(
    client: *mut zk_client,
    path: *const c_char,
    form: u32,
    out: *mut *mut zk_counter,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let (c, path) = unsafe { (client_arg(client)?, str_arg(path)?) };
        out_arg(out)?;
        let (form, zero) = match form {
            1 => (CounterForm::Text, CounterValue::Int(0)),
            2 => (CounterForm::Text, CounterValue::Float(0.0)),
            3 => (CounterForm::Curator, CounterValue::Int(0)),
            _ => return Err(Error::InvalidArgument),
        };
        let n = Counter::with_default(c, path, form, zero)?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, to_handle(zk_counter { inner: n })) };
        Ok(())
    })
}

/// Whether the counter counts in floats (its calls are the _float ones).
fn is_float(n: &zk_counter) -> bool {
    matches!(n.inner.default_value(), CounterValue::Float(_))
}

fn int(v: CounterValue) -> Result<i64> {
    match v {
        CounterValue::Int(i) => Ok(i),
        CounterValue::Float(_) => Err(Error::InvalidArgument),
    }
}

fn float(v: CounterValue) -> Result<f64> {
    match v {
        CounterValue::Float(f) => Ok(f),
        CounterValue::Int(_) => Err(Error::InvalidArgument),
    }
}

/// Adds delta (negative to subtract) to an integer counter (ZK_COUNTER_FORM_INT or
/// _CURATOR; else ZK_RESULT_INVALID_ARGUMENT), by compare-and-set, tried again while other
/// clients change the node, until timeout_ms (ZK_RESULT_TIMED_OUT). The values before and
/// after this change go to *pre_out and *post_out (both optional): kazoo's pre_value and
/// post_value. A result beyond the form's range is ZK_RESULT_INVALID_ARGUMENT, and data
/// that is not this form's is ZK_RESULT_MARSHALLING_ERROR; nothing is written then.
/// ZK_RESULT_CONNECTION_LOSS when the connection was lost during the write: the change
/// may or may not have been made, and is not retried (a retry could count it twice).
#[no_mangle]
pub unsafe extern "C" fn zk_counter_add(
    counter: *mut zk_counter,
    delta: i64,
    timeout_ms: u32,
    pre_out: *mut i64,
    post_out: *mut i64,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let n = unsafe { ref_arg(counter) }?;
        if is_float(n) {
            return Err(Error::InvalidArgument);
        }
        let ch = n.inner.add(CounterValue::Int(delta), timeout(timeout_ms))?;
        let (pre, post) = (int(ch.pre)?, int(ch.post)?);
        // SAFETY: NULL or writable by the caller's contract.
        unsafe {
            write_opt(pre_out, pre);
            write_opt(post_out, post);
        }
        Ok(())
    })
}

/// zk_counter_add for a ZK_COUNTER_FORM_FLOAT counter (any other is
/// ZK_RESULT_INVALID_ARGUMENT).
#[no_mangle]
pub unsafe extern "C" fn zk_counter_add_float(
    counter: *mut zk_counter,
    delta: f64,
    timeout_ms: u32,
    pre_out: *mut f64,
    post_out: *mut f64,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let n = unsafe { ref_arg(counter) }?;
        if !is_float(n) {
            return Err(Error::InvalidArgument);
        }
        let ch = n
            .inner
            .add(CounterValue::Float(delta), timeout(timeout_ms))?;
        let (pre, post) = (float(ch.pre)?, float(ch.post)?);
        // SAFETY: NULL or writable by the caller's contract.
        unsafe {
            write_opt(pre_out, pre);
            write_opt(post_out, post);
        }
        Ok(())
    })
}

/// Reads an integer counter's value into *out (ZK_RESULT_INVALID_ARGUMENT for a float
/// counter; ZK_RESULT_MARSHALLING_ERROR when the node holds something else).
#[no_mangle]
pub unsafe extern "C" fn zk_counter_value(
    counter: *mut zk_counter,
    timeout_ms: u32,
    out: *mut i64,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let n = unsafe { ref_arg(counter) }?;
        out_arg(out)?;
        if is_float(n) {
            return Err(Error::InvalidArgument);
        }
        let v = int(n.inner.value(timeout(timeout_ms))?)?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, v) };
        Ok(())
    })
}

/// Reads a ZK_COUNTER_FORM_FLOAT counter's value into *out.
#[no_mangle]
pub unsafe extern "C" fn zk_counter_value_float(
    counter: *mut zk_counter,
    timeout_ms: u32,
    out: *mut f64,
) -> zk_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let n = unsafe { ref_arg(counter) }?;
        out_arg(out)?;
        if !is_float(n) {
            return Err(Error::InvalidArgument);
        }
        let v = float(n.inner.value(timeout(timeout_ms))?)?;
        // SAFETY: non-null, writable by the caller's contract.
        unsafe { write_opt(out, v) };
        Ok(())
    })
}

/// Frees a counter; its node stays. NULL is a no-op. No call on it may be in progress.
#[no_mangle]
pub unsafe extern "C" fn zk_counter_free(counter: *mut zk_counter) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(counter) }
}
