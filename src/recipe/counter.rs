//! Counter: a shared number in one node, changed by compare-and-set (a `set` at the version
//! read, tried again on BADVERSION). The node holds kazoo's text form by default, Python's
//! `repr` of the value in ASCII ("5", "-2", "3.0", "1e+16"), or with `CounterForm::Curator`
//! a 4-byte big-endian int, as Curator's SharedCount and kazoo's `support_curator=True`.

use std::sync::Mutex;
use std::time::Duration;

use super::common::{recipe_client, Deadline};
use crate::client::Client;
use crate::error::{Error, Result};

/// How the value is written in the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterForm {
    /// kazoo's default: `repr(value)` in ASCII. Integers or floats, as the counter's
    /// default value is.
    Text,
    /// A 4-byte big-endian signed int (Curator's SharedCount, kazoo's
    /// `support_curator=True`). Integers only, in i32's range.
    Curator,
}

/// A counter's value: kazoo counts in the type of its default, int or float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CounterValue {
    Int(i64),
    Float(f64),
}

/// The values around one change: kazoo's `pre_value` and `post_value`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CounterChange {
    pub pre: CounterValue,
    pub post: CounterValue,
}

/// A counter at one path. Thread-safe; `pre_value` and `post_value` are those of the last
/// change made through this value, by any thread.
pub struct Counter {
    client: Client,
    path: String,
    form: CounterForm,
    /// The value of an empty node (one just made by this or another counter's create), and
    /// the type every change must have.
    default: CounterValue,
    last: Mutex<Option<CounterChange>>,
}

impl Counter {
    /// An integer counter in kazoo's text form, default 0. Nothing is sent; the node (and
    /// its parents) is made by the first read or change.
    pub fn new(client: &Client, path: &str) -> Result<Counter> {
        Counter::with_default(client, path, CounterForm::Text, CounterValue::Int(0))
    }

    /// A counter in `form` whose empty node reads as `default` and whose changes have its
    /// type. The Curator form takes integers in i32's range only (`InvalidArgument`).
    pub fn with_default(
        client: &Client,
        path: &str,
        form: CounterForm,
        default: CounterValue,
    ) -> Result<Counter> {
        match (form, default) {
            (CounterForm::Curator, CounterValue::Int(v)) if i32::try_from(v).is_err() => {
                return Err(Error::InvalidArgument)
            }
            (CounterForm::Curator, CounterValue::Float(_)) => return Err(Error::InvalidArgument),
            _ => {}
        }
        Ok(Counter {
            client: recipe_client(client, path)?,
            path: path.to_string(),
            form,
            default,
            last: Mutex::new(None),
        })
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn form(&self) -> CounterForm {
        self.form
    }

    /// What an empty node reads as; its type is the counter's.
    pub fn default_value(&self) -> CounterValue {
        self.default
    }

    /// The value now (the default while the node is empty). `MarshallingError` when the
    /// node holds something this counter cannot read (not a number of its type, a
    /// Curator node not 4 bytes long, an integer beyond i64).
    pub fn value(&self, timeout: Option<Duration>) -> Result<CounterValue> {
        let d = Deadline::new(&self.client, timeout);
        Ok(self.read(&d)?.0)
    }

    /// Adds `delta` (of the default's type, else `InvalidArgument`) and returns the values
    /// before and after. Retried while another client changes the node between our read
    /// and our set, until the deadline (`TimedOut`). A result beyond the form's range is
    /// `InvalidArgument`, and nothing is written. `ConnectionLoss` when the connection was
    /// lost during the set: the change may or may not have been made, and is not retried
    /// (a retry could count it twice).
    pub fn add(&self, delta: CounterValue, timeout: Option<Duration>) -> Result<CounterChange> {
        let d = Deadline::new(&self.client, timeout);
        loop {
            let (pre, version) = self.read(&d)?;
            let post = sum(pre, delta)?;
            let data = self.encode(post)?;
            match self.client.set(&self.path, &data, version, d.left()?) {
                Ok(_) => {
                    let change = CounterChange { pre, post };
                    *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(change);
                    return Ok(change);
                }
                Err(Error::BadVersion) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// `add` of `-delta`.
    pub fn subtract(
        &self,
        delta: CounterValue,
        timeout: Option<Duration>,
    ) -> Result<CounterChange> {
        let neg = match delta {
            CounterValue::Int(v) => {
                CounterValue::Int(v.checked_neg().ok_or(Error::InvalidArgument)?)
            }
            CounterValue::Float(v) => CounterValue::Float(-v),
        };
        self.add(neg, timeout)
    }

    /// The value before the last change made through this counter (kazoo's `pre_value`).
    pub fn pre_value(&self) -> Option<CounterValue> {
        self.last().map(|c| c.pre)
    }

    /// The value after the last change made through this counter (kazoo's `post_value`).
    pub fn post_value(&self) -> Option<CounterValue> {
        self.last().map(|c| c.post)
    }

    fn last(&self) -> Option<CounterChange> {
        *self.last.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The value and the node's version, making the node (empty) if it is missing.
    fn read(&self, d: &Deadline) -> Result<(CounterValue, i32)> {
        loop {
            match self.client.get(&self.path, None, d.left()?) {
                Ok((data, stat)) => return Ok((self.decode(&data)?, stat.version)),
                Err(Error::NoNode) => self.client.ensure_path(&self.path, None, d.left()?)?,
                Err(e) => return Err(e),
            }
        }
    }

    fn decode(&self, data: &[u8]) -> Result<CounterValue> {
        if data.is_empty() {
            return Ok(self.default);
        }
        let v = match self.form {
            CounterForm::Curator => {
                let b: [u8; 4] = data.try_into().map_err(|_| Error::MarshallingError)?;
                CounterValue::Int(i32::from_be_bytes(b) as i64)
            }
            CounterForm::Text => {
                let text = std::str::from_utf8(data).map_err(|_| Error::MarshallingError)?;
                match self.default {
                    CounterValue::Int(_) => CounterValue::Int(parse_int(text)?),
                    CounterValue::Float(_) => CounterValue::Float(parse_float(text)?),
                }
            }
        };
        Ok(v)
    }

    fn encode(&self, v: CounterValue) -> Result<Vec<u8>> {
        Ok(match (self.form, v) {
            (CounterForm::Curator, CounterValue::Int(i)) => i32::try_from(i)
                .map_err(|_| Error::InvalidArgument)?
                .to_be_bytes()
                .to_vec(),
            (CounterForm::Curator, CounterValue::Float(_)) => return Err(Error::InvalidArgument),
            (CounterForm::Text, CounterValue::Int(i)) => i.to_string().into_bytes(),
            (CounterForm::Text, CounterValue::Float(f)) => python_float_repr(f).into_bytes(),
        })
    }
}

/// `a + b` when both have the same type; `InvalidArgument` for mixed types or an integer
/// overflow.
fn sum(a: CounterValue, b: CounterValue) -> Result<CounterValue> {
    match (a, b) {
        (CounterValue::Int(x), CounterValue::Int(y)) => x
            .checked_add(y)
            .map(CounterValue::Int)
            .ok_or(Error::InvalidArgument),
        (CounterValue::Float(x), CounterValue::Float(y)) => Ok(CounterValue::Float(x + y)),
        _ => Err(Error::InvalidArgument),
    }
}

/// Python's `int(text)` for what a counter writes: surrounding whitespace, a sign, and
/// underscores between digits.
fn parse_int(text: &str) -> Result<i64> {
    let t = text.trim();
    if t.starts_with('_') || t.ends_with('_') || t.contains("__") {
        return Err(Error::MarshallingError);
    }
    t.replace('_', "")
        .parse()
        .map_err(|_| Error::MarshallingError)
}

/// Python's `float(text)` for what a counter writes: decimal and exponent forms, "inf",
/// "nan", surrounding whitespace.
fn parse_float(text: &str) -> Result<f64> {
    text.trim().parse().map_err(|_| Error::MarshallingError)
}

/// Python's `repr(float)`: the shortest digits that read back to the same value; positional
/// from 1e-4 up to 1e16, with ".0" on whole numbers, scientific outside it ("1e-05",
/// "1.5e+16"); "inf", "-inf", "nan".
fn python_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "-1.2345e-7", "5e0".
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        let (int, frac) = if point <= 0 {
            (
                "0".to_string(),
                format!("{}{digits}", "0".repeat((-point) as usize)),
            )
        } else if point as usize >= digits.len() {
            (
                format!("{digits}{}", "0".repeat(point as usize - digits.len())),
                String::new(),
            )
        } else {
            (
                digits[..point as usize].to_string(),
                digits[point as usize..].to_string(),
            )
        };
        let frac = if frac.is_empty() {
            "0".to_string()
        } else {
            frac
        };
        format!("{sign}{int}.{frac}")
    } else {
        let m = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{m}e{esign}{:02}", exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_written_as_python_repr_writes_them() {
        // Each pair is (value, what CPython's repr gives).
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (3.0, "3.0"),
            (-2.5, "-2.5"),
            (0.1, "0.1"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e-4, "0.0001"),
            (1.5e-4, "0.00015"),
            (1e-5, "1e-05"),
            (-1.25e-7, "-1.25e-07"),
            (1e15, "1000000000000000.0"),
            (123456789012345.6, "123456789012345.6"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (1e300, "1e+300"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
        ];
        for &(v, want) in cases {
            assert_eq!(python_float_repr(v), want, "{v:e}");
            let back = parse_float(want).unwrap();
            assert!(back == v || (v.is_nan() && back.is_nan()), "{want}");
        }
    }

    #[test]
    fn text_reads_as_python_int_and_float_read_it() {
        assert_eq!(parse_int(" 42\n"), Ok(42));
        assert_eq!(parse_int("-7"), Ok(-7));
        assert_eq!(parse_int("+7"), Ok(7));
        assert_eq!(parse_int("1_000"), Ok(1000));
        for bad in ["", "3.0", "abc", "1__0", "_1", "99999999999999999999"] {
            assert_eq!(parse_int(bad), Err(Error::MarshallingError), "{bad:?}");
        }
        assert_eq!(parse_float("5"), Ok(5.0));
        assert_eq!(parse_float("1e+16"), Ok(1e16));
        assert_eq!(parse_float("x"), Err(Error::MarshallingError));
    }

    #[test]
    fn sums_keep_the_type_and_refuse_overflow() {
        use CounterValue::*;
        assert_eq!(sum(Int(2), Int(-5)), Ok(Int(-3)));
        assert_eq!(sum(Float(0.5), Float(1.0)), Ok(Float(1.5)));
        assert_eq!(sum(Int(i64::MAX), Int(1)), Err(Error::InvalidArgument));
        assert_eq!(sum(Int(1), Float(1.0)), Err(Error::InvalidArgument));
    }
}
