//! NonBlockingLease and MultiNonBlockingLease on kazoo's znodes: a lease is a record
//! `<path>/lease_holder` naming its holder and when it ends, written under a Lock on
//! `<path>` (kazoo's `<uuid4 hex>__lock__<seq>` nodes), so a kazoo program and ours compete
//! for the same lease. The record is kazoo's JSON, `{"version": 1, "holder": "<identifier>",
//! "end": "%Y-%m-%dT%H:%M:%S"}` with the end in UTC to the second. A multi-lease is leases
//! at `<path>/0` .. `<path>/<count-1>`, tried in order.
//!
//! As in kazoo, the end is the obtaining client's wall clock plus the duration: clients'
//! clocks must roughly agree. Obtaining again with the same identifier renews the lease.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::lock::{Lock, LockOptions};
use crate::client::{check_path, Client, CreateOptions};
use crate::error::{Error, Result};

/// The record version kazoo writes and reads (a different one is left to whoever knows it).
const RECORD_VERSION: i64 = 1;
const HOLDER: &str = "lease_holder";

/// How a lease is asked for.
#[derive(Debug, Clone, Default)]
pub struct LeaseOptions {
    /// Who holds the lease: the same identifier renews it. None: the host name, as kazoo's
    /// default.
    pub identifier: Option<String>,
    /// How long to wait for the lease's lock, which holders keep only for the few round
    /// trips of an attempt. None: the client's operation timeout.
    pub lock_timeout: Option<Duration>,
}

/// kazoo's NonBlockingLease: tries once to obtain (or renew) the lease at `path` for
/// `duration`; true when this identifier holds it now, false when someone else's lease
/// has not ended (or the record is a version this code does not know).
pub fn obtain(
    client: &Client,
    path: &str,
    duration: Duration,
    opts: &LeaseOptions,
) -> Result<bool> {
    obtain_at(client, path, duration, opts, SystemTime::now())
}

/// kazoo's MultiNonBlockingLease: tries the leases `<path>/0` .. `<path>/<count-1>` in
/// order and returns the index of the one obtained (or renewed), None when all are held.
pub fn obtain_one_of(
    client: &Client,
    count: u32,
    path: &str,
    duration: Duration,
    opts: &LeaseOptions,
) -> Result<Option<u32>> {
    if count == 0 {
        return Err(Error::InvalidArgument);
    }
    lease_path(path)?;
    for i in 0..count {
        if obtain(client, &format!("{path}/{i}"), duration, opts)? {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// `obtain` with `now` as the clock: the tests' way to an expired lease.
#[doc(hidden)]
pub fn obtain_at(
    client: &Client,
    path: &str,
    duration: Duration,
    opts: &LeaseOptions,
    now: SystemTime,
) -> Result<bool> {
    lease_path(path)?;
    let ident = match &opts.identifier {
        Some(i) => i.clone(),
        None => super::ids::host_name(),
    };
    let now = unix_seconds(now);
    let end = now
        .checked_add(i64::try_from(duration.as_secs()).map_err(|_| Error::InvalidArgument)?)
        .filter(|e| *e < MAX_SECONDS)
        .ok_or(Error::InvalidArgument)?;
    let timeout = opts
        .lock_timeout
        .unwrap_or_else(|| client.operation_timeout());
    let deadline = Instant::now() + timeout;
    let left = || deadline.saturating_duration_since(Instant::now());
    client.ensure_path(path, None, Some(left()))?;
    let lock = Lock::new(
        client,
        path,
        LockOptions {
            identifier: ident.clone(),
            ..LockOptions::default()
        },
    )?;
    lock.acquire(Some(left()))?;
    let holder = format!("{path}/{HOLDER}");
    let r = (|| {
        match client.get(&holder, None, Some(left())) {
            Ok((raw, _)) => {
                let Some(rec) = Record::decode(&raw) else {
                    // Not a record kazoo would write: leave it to whoever wrote it.
                    return Ok(false);
                };
                if rec.version != RECORD_VERSION {
                    return Ok(false);
                }
                // Someone else's lease that has not ended (or whose end is not a date
                // kazoo could read) stands.
                if rec.holder != ident && !matches!(rec.end, Some(e) if now >= e) {
                    return Ok(false);
                }
                match client.delete(&holder, -1, false, Some(left())) {
                    Ok(()) | Err(Error::NoNode) => {}
                    Err(e) => return Err(e),
                }
            }
            Err(Error::NoNode) => {}
            Err(e) => return Err(e),
        }
        let rec = Record::encode(&ident, end);
        client.create(
            &holder,
            rec.as_bytes(),
            &CreateOptions::default(),
            false,
            Some(left()),
        )?;
        Ok(true)
    })();
    let released = lock.release();
    let obtained = r?;
    released?;
    Ok(obtained)
}

/// A path a lease can live at: a node's, not the root (its record and lock go below it).
fn lease_path(path: &str) -> Result<()> {
    check_path(path)?;
    if path == "/" {
        return Err(Error::InvalidPath);
    }
    Ok(())
}

/// kazoo's lease record.
#[derive(Debug, PartialEq)]
struct Record {
    version: i64,
    holder: String,
    /// Unix seconds; None when the text is not kazoo's date format.
    end: Option<i64>,
}

impl Record {
    /// As Python's `json.dumps` writes it (ASCII only, `\uXXXX` escapes), so kazoo reads
    /// exactly what it would have written.
    fn encode(holder: &str, end: i64) -> String {
        format!(
            "{{\"version\": {RECORD_VERSION}, \"holder\": {}, \"end\": \"{}\"}}",
            json_string(holder),
            format_utc(end)
        )
    }

    fn decode(raw: &[u8]) -> Option<Record> {
        let text = std::str::from_utf8(raw).ok()?;
        let fields = parse_flat_object(text)?;
        let mut version = None;
        let mut holder = None;
        let mut end = None;
        for (k, v) in fields {
            match (k.as_str(), v) {
                ("version", Json::Number(n)) => version = Some(n),
                ("holder", Json::String(s)) => holder = Some(s),
                ("end", Json::String(s)) => end = Some(parse_utc(&s)),
                _ => {}
            }
        }
        Some(Record {
            version: version?,
            holder: holder?,
            end: end?,
        })
    }
}

/// A value of the flat JSON objects this recipe reads.
#[derive(Debug, PartialEq)]
enum Json {
    String(String),
    Number(i64),
    Other,
}

/// The members of a JSON object whose values are strings, integers or anything else that
/// holds no nested string with a brace (true, false, null, floats). None when it is not
/// such an object.
fn parse_flat_object(text: &str) -> Option<Vec<(String, Json)>> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    p.ws();
    p.eat(b'{')?;
    let mut out = Vec::new();
    p.ws();
    if p.peek() == Some(b'}') {
        p.i += 1;
    } else {
        loop {
            p.ws();
            let k = p.string()?;
            p.ws();
            p.eat(b':')?;
            p.ws();
            let v = match p.peek()? {
                b'"' => Json::String(p.string()?),
                b'-' | b'0'..=b'9' => p.number()?,
                _ => {
                    p.word()?;
                    Json::Other
                }
            };
            out.push((k, v));
            p.ws();
            match p.peek()? {
                b',' => p.i += 1,
                b'}' => {
                    p.i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    p.ws();
    (p.i == p.s.len()).then_some(out)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.i += 1)
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn word(&mut self) -> Option<()> {
        let start = self.i;
        while matches!(
            self.peek(),
            Some(b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'+' | b'-')
        ) {
            self.i += 1;
        }
        (self.i > start).then_some(())
    }

    fn number(&mut self) -> Option<Json> {
        let start = self.i;
        self.word()?;
        let text = std::str::from_utf8(&self.s[start..self.i]).ok()?;
        Some(text.parse().map(Json::Number).unwrap_or(Json::Other))
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.s.get(self.i..self.i + 4)?;
        self.i += 4;
        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    }

    fn string(&mut self) -> Option<String> {
        self.eat(b'"')?;
        let mut out = String::new();
        loop {
            let start = self.i;
            while !matches!(self.peek()?, b'"' | b'\\') {
                self.i += 1;
            }
            out.push_str(std::str::from_utf8(&self.s[start..self.i]).ok()?);
            let c = self.peek()?;
            self.i += 1;
            if c == b'"' {
                return Some(out);
            }
            let e = self.peek()?;
            self.i += 1;
            match e {
                b'"' => out.push('"'),
                b'\\' => out.push('\\'),
                b'/' => out.push('/'),
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'n' => out.push('\n'),
                b'r' => out.push('\r'),
                b't' => out.push('\t'),
                b'u' => {
                    let hi = self.hex4()?;
                    let code = if (0xd800..0xdc00).contains(&hi) {
                        self.eat(b'\\')?;
                        self.eat(b'u')?;
                        let lo = self.hex4()?;
                        if !(0xdc00..0xe000).contains(&lo) {
                            return None;
                        }
                        0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
                    } else {
                        hi
                    };
                    out.push(char::from_u32(code)?);
                }
                _ => return None,
            }
        }
    }
}

/// A JSON string as Python's `json.dumps` writes it: ASCII, with `\uXXXX` (surrogate pairs
/// beyond the BMP) for everything else.
fn json_string(s: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{u:04x}");
                }
            }
        }
    }
    out.push('"');
    out
}

/// Years past 9999 do not fit kazoo's format.
const MAX_SECONDS: i64 = 253_402_300_800; // 10000-01-01T00:00:00

fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's civil algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Unix seconds as kazoo's `%Y-%m-%dT%H:%M:%S` in UTC.
fn format_utc(t: i64) -> String {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// kazoo's `%Y-%m-%dT%H:%M:%S` (UTC) as Unix seconds; None if it is not that format.
fn parse_utc(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = &s[r];
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 61 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_kazoos_format_in_utc() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00");
        assert_eq!(format_utc(1_796_601_600 + 3723), "2026-12-07T01:02:03");
        for t in [0, 951_782_400, 1_796_605_323, 4_102_444_799, -86_400] {
            assert_eq!(parse_utc(&format_utc(t)), Some(t));
        }
        assert_eq!(parse_utc("2026-12-07 01:02:03"), None);
        assert_eq!(parse_utc("2026-13-07T01:02:03"), None);
        assert_eq!(parse_utc("2026-12-07T01:02:0x"), None);
    }

    #[test]
    fn the_record_is_what_pythons_json_dumps_writes_and_reads_back() {
        let r = Record::encode("host-1 \"é\" 😀", 1_796_605_323);
        assert_eq!(
            r,
            "{\"version\": 1, \"holder\": \"host-1 \\\"\\u00e9\\\" \\ud83d\\ude00\", \
             \"end\": \"2026-12-07T01:02:03\"}"
        );
        assert_eq!(
            Record::decode(r.as_bytes()),
            Some(Record {
                version: 1,
                holder: "host-1 \"é\" 😀".into(),
                end: Some(1_796_605_323),
            })
        );
        // Other spacing, member order, raw UTF-8 and extra members are read too.
        let other = "{\"end\":\"2026-12-07T01:02:03\",\"x\":[1],\"holder\":\"é\",\"version\":2}";
        assert_eq!(
            Record::decode(other.as_bytes()),
            None,
            "arrays are not read"
        );
        let other = "{\"end\":\"2026-12-07T01:02:03\",\"x\":null,\"holder\":\"é\",\"version\":2}";
        assert_eq!(
            Record::decode(other.as_bytes()).map(|r| (r.version, r.holder)),
            Some((2, "é".into()))
        );
        for bad in [
            "",
            "{",
            "[]",
            "{\"version\": 1}",
            "{\"holder\": \"\\ud800\"}",
            "{} x",
        ] {
            assert_eq!(Record::decode(bad.as_bytes()), None, "{bad}");
        }
    }
}
