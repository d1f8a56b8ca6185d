//! Jute binary primitives: the big-endian ints, length-prefixed buffers, strings and vectors
//! every record is made of, the `Encode`/`Decode` traits, `DecodeError`, and the `record!`
//! macro that derives a record's codec from its field list.

use thiserror::Error;

use super::consts::DEFAULT_MAX_FRAME;

/// Default limit for one buffer, string or vector count: `jute.maxbuffer` plus the same again,
/// the "maxbuffer + extrasize" the server's `BinaryInputArchive` accepts.
pub const DEFAULT_MAX_FIELD_LEN: usize = 2 * DEFAULT_MAX_FRAME;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// A read of `needed` bytes at offset `at` ran past the end of the input.
    #[error("input ends early: {needed} bytes needed at offset {at}")]
    Short { needed: usize, at: usize },
    /// A length or count below -1 (-1 itself means null).
    #[error("negative length {0}")]
    BadLength(i32),
    #[error("length {0} is over the limit")]
    TooLong(usize),
    #[error("string is neither UTF-8 nor CESU-8")]
    BadUtf8,
    #[error("unknown op code {0}")]
    UnknownOp(i32),
    #[error("invalid record: {0}")]
    Invalid(&'static str),
}

pub trait Encode {
    fn encode(&self, w: &mut Writer);
}

pub trait Decode: Sized {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError>;
}

/// Jute lengths are i32. Anything longer is far past every server's maxbuffer, so saturating
/// yields a frame the server rejects rather than a panic here.
fn wire_len(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[derive(Debug, Clone, Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            buf: Vec::with_capacity(capacity),
        }
    }

    /// Writes into `buf`, emptied first; its allocation is reused.
    pub fn reusing(mut buf: Vec<u8>) -> Self {
        buf.clear();
        Self { buf }
    }

    pub fn into_inner(self) -> Vec<u8> {
        self.buf
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.buf
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Reserves a frame's length prefix; pass the result to `finish_frame` once the payload
    /// is written, so the whole frame is built in place.
    pub fn begin_frame(&mut self) -> usize {
        let start = self.buf.len();
        self.buf.extend_from_slice(&[0; 4]);
        start
    }

    /// Patches the prefix reserved at `start` with the number of bytes written since.
    pub fn finish_frame(&mut self, start: usize) {
        let len = wire_len(self.buf.len().saturating_sub(start.saturating_add(4)));
        self.patch_i32(start, len);
    }

    fn patch_i32(&mut self, at: usize, value: i32) {
        let slot = at.checked_add(4).and_then(|end| self.buf.get_mut(at..end));
        debug_assert!(slot.is_some(), "patch position {at} was never reserved");
        if let Some(slot) = slot {
            slot.copy_from_slice(&value.to_be_bytes());
        }
    }

    pub fn write_i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    pub fn write_i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    pub fn write_bool(&mut self, v: bool) {
        self.buf.push(u8::from(v));
    }

    pub fn write_buffer(&mut self, b: &[u8]) {
        self.write_i32(wire_len(b.len()));
        self.buf.extend_from_slice(b);
    }

    pub fn write_opt_buffer(&mut self, b: Option<&[u8]>) {
        match b {
            Some(b) => self.write_buffer(b),
            None => self.write_i32(-1),
        }
    }

    pub fn write_ustring(&mut self, s: &str) {
        self.write_buffer(s.as_bytes());
    }

    pub fn write_opt_ustring(&mut self, s: Option<&str>) {
        self.write_opt_buffer(s.map(str::as_bytes));
    }

    pub fn write_vec<T: Encode>(&mut self, items: &[T]) {
        self.write_i32(wire_len(items.len()));
        for item in items {
            item.encode(self);
        }
    }

    /// Writes a `vector<ustring>` from any iterator (a watch set, a slice of `String`s, ...);
    /// the count is patched in afterwards so the iterator need not know its length.
    pub fn write_str_vec<I, S>(&mut self, items: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let at = self.buf.len();
        self.write_i32(0);
        let mut count = 0usize;
        for s in items {
            self.write_ustring(s.as_ref());
            count += 1;
        }
        self.patch_i32(at, wire_len(count));
    }
}

#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    max_len: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self::with_max_len(buf, DEFAULT_MAX_FIELD_LEN)
    }

    /// `max_len` bounds each buffer/string length and vector count, so a corrupt length
    /// cannot make the reader allocate more than the peer could legally send.
    pub fn with_max_len(buf: &'a [u8], max_len: usize) -> Self {
        Self {
            buf,
            pos: 0,
            max_len,
        }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let short = DecodeError::Short {
            needed: n,
            at: self.pos,
        };
        let bytes = self
            .pos
            .checked_add(n)
            .and_then(|end| self.buf.get(self.pos..end))
            .ok_or(short)?;
        self.pos += n;
        Ok(bytes)
    }

    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// A length or count prefix: `None` for null (-1), checked against the limit otherwise.
    fn read_len(&mut self) -> Result<Option<usize>, DecodeError> {
        match self.read_i32()? {
            -1 => Ok(None),
            n if n < 0 => Err(DecodeError::BadLength(n)),
            n => {
                let n = n as usize;
                if n > self.max_len {
                    return Err(DecodeError::TooLong(n));
                }
                Ok(Some(n))
            }
        }
    }

    pub fn read_i32(&mut self) -> Result<i32, DecodeError> {
        self.take_array().map(i32::from_be_bytes)
    }

    pub fn read_i64(&mut self) -> Result<i64, DecodeError> {
        self.take_array().map(i64::from_be_bytes)
    }

    /// Any non-zero byte is true, as Java's `readBoolean`.
    pub fn read_bool(&mut self) -> Result<bool, DecodeError> {
        self.take_array::<1>().map(|[b]| b != 0)
    }

    /// Null reads as empty: no caller distinguishes the two.
    /// Where the bytes of the next buffer lie in the input (empty for a null buffer),
    /// skipping them: for a caller that keeps the input's own bytes instead of a copy.
    pub fn read_buffer_range(&mut self) -> Result<std::ops::Range<usize>, DecodeError> {
        match self.read_len()? {
            None => Ok(self.pos..self.pos),
            Some(n) => {
                let at = self.pos;
                self.take(n)?;
                Ok(at..at + n)
            }
        }
    }

    pub fn read_buffer(&mut self) -> Result<Vec<u8>, DecodeError> {
        Ok(self.read_opt_buffer()?.unwrap_or_default())
    }

    pub fn read_opt_buffer(&mut self) -> Result<Option<Vec<u8>>, DecodeError> {
        match self.read_len()? {
            Some(n) => Ok(Some(self.take(n)?.to_vec())),
            None => Ok(None),
        }
    }

    /// Null reads as empty.
    pub fn read_ustring(&mut self) -> Result<String, DecodeError> {
        Ok(self.read_opt_ustring()?.unwrap_or_default())
    }

    pub fn read_opt_ustring(&mut self) -> Result<Option<String>, DecodeError> {
        match self.read_len()? {
            Some(n) => decode_string(self.take(n)?).map(Some),
            None => Ok(None),
        }
    }

    /// Null reads as empty.
    pub fn read_vec<T: Decode>(&mut self) -> Result<Vec<T>, DecodeError> {
        let Some(count) = self.read_len()? else {
            return Ok(Vec::new());
        };
        // Every element takes at least one byte, so this bounds the allocation by the input.
        let mut items = Vec::with_capacity(count.min(self.remaining()));
        for _ in 0..count {
            items.push(T::decode(self)?);
        }
        Ok(items)
    }

    pub fn read_str_vec(&mut self) -> Result<Vec<String>, DecodeError> {
        self.read_vec()
    }
}

fn decode_string(bytes: &[u8]) -> Result<String, DecodeError> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_owned()),
        Err(_) => cesu8_to_utf8(bytes).ok_or(DecodeError::BadUtf8),
    }
}

/// Java's jute writer encodes each UTF-16 unit by itself, so a character outside the BMP
/// arrives as two 3-byte surrogates (CESU-8), which strict UTF-8 rejects. Re-encode such
/// pairs; anything else still has to be valid UTF-8.
fn cesu8_to_utf8(mut bytes: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(bytes.len());
    loop {
        match bytes {
            [0xED, a @ 0xA0..=0xAF, b @ 0x80..=0xBF, 0xED, c @ 0xB0..=0xBF, d @ 0x80..=0xBF, rest @ ..] =>
            {
                let bits = |x: u8, y: u8| (u32::from(x & 0x0F) << 6) | u32::from(y & 0x3F);
                let ch = char::from_u32(0x10000 + ((bits(*a, *b) << 10) | bits(*c, *d)))?;
                out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                bytes = rest;
            }
            [first, rest @ ..] => {
                out.push(*first);
                bytes = rest;
            }
            [] => break,
        }
    }
    String::from_utf8(out).ok()
}

impl Encode for i32 {
    fn encode(&self, w: &mut Writer) {
        w.write_i32(*self);
    }
}

impl Decode for i32 {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.read_i32()
    }
}

impl Encode for String {
    fn encode(&self, w: &mut Writer) {
        w.write_ustring(self);
    }
}

impl Decode for String {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.read_ustring()
    }
}

/// Declares a record struct with public fields and derives its `Encode`/`Decode` from the
/// field list, so field order is written once. Each field names its jute kind:
/// `int long bool buffer ustring vec record`, `opt_ustring` for a string whose null (length
/// -1) means something else than empty, or `trailing_bool` for the hand-appended readOnly
/// byte that old peers omit. Invoke from a direct child module of `proto`.
macro_rules! record {
    (@put $w:ident, int, $v:expr) => { $w.write_i32($v) };
    (@put $w:ident, long, $v:expr) => { $w.write_i64($v) };
    (@put $w:ident, bool, $v:expr) => { $w.write_bool($v) };
    (@put $w:ident, trailing_bool, $v:expr) => { $w.write_bool($v) };
    (@put $w:ident, buffer, $v:expr) => { $w.write_buffer(&$v) };
    (@put $w:ident, ustring, $v:expr) => { $w.write_ustring(&$v) };
    (@put $w:ident, opt_ustring, $v:expr) => { $w.write_opt_ustring($v.as_deref()) };
    (@put $w:ident, vec, $v:expr) => { $w.write_vec(&$v) };
    (@put $w:ident, record, $v:expr) => { super::wire::Encode::encode(&$v, $w) };
    (@get $r:ident, int) => { $r.read_i32()? };
    (@get $r:ident, long) => { $r.read_i64()? };
    (@get $r:ident, bool) => { $r.read_bool()? };
    (@get $r:ident, trailing_bool) => { !$r.is_empty() && $r.read_bool()? };
    (@get $r:ident, buffer) => { $r.read_buffer()? };
    (@get $r:ident, ustring) => { $r.read_ustring()? };
    (@get $r:ident, opt_ustring) => { $r.read_opt_ustring()? };
    (@get $r:ident, vec) => { $r.read_vec()? };
    (@get $r:ident, record) => { super::wire::Decode::decode($r)? };
    ($(#[$meta:meta])* $name:ident { $($field:ident: $ty:ty = $kind:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Default)]
        pub struct $name {
            $(pub $field: $ty,)*
        }

        impl super::wire::Encode for $name {
            fn encode(&self, w: &mut super::wire::Writer) {
                $(record!(@put w, $kind, self.$field);)*
            }
        }

        impl super::wire::Decode for $name {
            fn decode(r: &mut super::wire::Reader<'_>) -> Result<Self, super::wire::DecodeError> {
                Ok(Self { $($field: record!(@get r, $kind),)* })
            }
        }
    };
}
pub(crate) use record;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::test_util::hex;

    #[test]
    fn primitives_are_big_endian() {
        let mut w = Writer::new();
        w.write_i32(-2);
        w.write_i64(0x0102_0304_0506_0708);
        w.write_bool(true);
        w.write_bool(false);
        assert_eq!(w.as_slice(), hex("fffffffe 0102030405060708 01 00"));
        let bytes = w.into_inner();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.read_i32(), Ok(-2));
        assert_eq!(r.read_i64(), Ok(0x0102_0304_0506_0708));
        assert_eq!(r.read_bool(), Ok(true));
        assert_eq!(r.read_bool(), Ok(false));
        assert!(r.is_empty());
    }

    #[test]
    fn any_nonzero_byte_reads_as_true() {
        assert_eq!(Reader::new(&[0x7f]).read_bool(), Ok(true));
    }

    #[test]
    fn buffers_strings_and_nulls_encode_as_jute() {
        let mut w = Writer::new();
        w.write_buffer(b"ab");
        w.write_opt_buffer(None);
        w.write_ustring("");
        w.write_opt_ustring(None);
        w.write_opt_ustring(Some("z"));
        assert_eq!(
            w.as_slice(),
            hex("00000002 6162 ffffffff 00000000 ffffffff 00000001 7a")
        );
    }

    #[test]
    fn null_buffer_reads_as_empty_or_none() {
        let null = hex("ffffffff");
        assert_eq!(Reader::new(&null).read_buffer(), Ok(vec![]));
        assert_eq!(Reader::new(&null).read_opt_buffer(), Ok(None));
        assert_eq!(Reader::new(&null).read_ustring(), Ok(String::new()));
        assert_eq!(Reader::new(&null).read_opt_ustring(), Ok(None));
        assert_eq!(
            Reader::new(&hex("00000000")).read_opt_buffer(),
            Ok(Some(vec![]))
        );
    }

    #[test]
    fn null_vector_reads_as_empty() {
        let null = hex("ffffffff");
        assert_eq!(Reader::new(&null).read_vec::<i32>(), Ok(vec![]));
        assert_eq!(Reader::new(&null).read_str_vec(), Ok(Vec::<String>::new()));
    }

    #[test]
    fn vectors_carry_a_count_then_elements() {
        let mut w = Writer::new();
        w.write_vec(&[1i32, -1]);
        w.write_str_vec(["/a", "/bc"].iter());
        w.write_str_vec(&[String::from("x")]);
        let bytes = w.into_inner();
        let expected = hex("00000002 00000001 ffffffff  00000002 00000002 2f61 00000003 2f6263  00000001 00000001 78");
        assert_eq!(bytes, expected);
        let mut r = Reader::new(&bytes);
        assert_eq!(r.read_vec::<i32>(), Ok(vec![1, -1]));
        assert_eq!(
            r.read_str_vec(),
            Ok(vec!["/a".to_owned(), "/bc".to_owned()])
        );
        assert_eq!(r.read_str_vec(), Ok(vec!["x".to_owned()]));
        assert!(r.is_empty());
    }

    #[test]
    fn negative_lengths_other_than_null_are_rejected() {
        let bytes = hex("fffffffe");
        assert_eq!(
            Reader::new(&bytes).read_buffer(),
            Err(DecodeError::BadLength(-2))
        );
        assert_eq!(
            Reader::new(&bytes).read_ustring(),
            Err(DecodeError::BadLength(-2))
        );
        assert_eq!(
            Reader::new(&hex("80000000")).read_vec::<i32>(),
            Err(DecodeError::BadLength(i32::MIN))
        );
    }

    #[test]
    fn lengths_over_the_limit_are_rejected_before_reading() {
        let huge = hex("7fffffff");
        assert_eq!(
            Reader::new(&huge).read_buffer(),
            Err(DecodeError::TooLong(0x7fff_ffff))
        );
        assert_eq!(
            Reader::new(&huge).read_str_vec(),
            Err(DecodeError::TooLong(0x7fff_ffff))
        );
        let at_limit = hex("00000003 616263");
        assert_eq!(
            Reader::with_max_len(&at_limit, 3).read_buffer(),
            Ok(b"abc".to_vec())
        );
        assert_eq!(
            Reader::with_max_len(&at_limit, 2).read_buffer(),
            Err(DecodeError::TooLong(3))
        );
        assert_eq!(DEFAULT_MAX_FIELD_LEN, 2 * 1_048_575);
    }

    #[test]
    fn short_input_reports_where_and_how_much() {
        let bytes = hex("00000005 6162");
        let mut r = Reader::new(&bytes);
        assert_eq!(
            r.read_buffer(),
            Err(DecodeError::Short { needed: 5, at: 4 })
        );
        assert_eq!(
            Reader::new(&[0, 0]).read_i64(),
            Err(DecodeError::Short { needed: 8, at: 0 })
        );
    }

    #[test]
    fn vector_count_beyond_the_input_is_short() {
        let bytes = hex("000fffff 00000001");
        assert!(matches!(
            Reader::new(&bytes).read_vec::<i32>(),
            Err(DecodeError::Short { .. })
        ));
    }

    #[test]
    fn cesu8_surrogate_pairs_decode_to_the_real_character() {
        // U+1F600 is D83D DE00 in UTF-16; each surrogate as 3-byte UTF-8.
        let bytes = hex("00000008 61 eda0bd edb880 62");
        assert_eq!(
            Reader::new(&bytes).read_ustring(),
            Ok("a\u{1F600}b".to_owned())
        );
        let utf8 = hex("00000004 f09f9880");
        assert_eq!(
            Reader::new(&utf8).read_ustring(),
            Ok("\u{1F600}".to_owned())
        );
    }

    #[test]
    fn invalid_strings_are_bad_utf8() {
        for body in [
            "00000003 eda0bd",
            "00000003 edb880 ",
            "00000001 ff",
            "00000006 edb880 eda0bd",
        ] {
            assert_eq!(
                Reader::new(&hex(body)).read_ustring(),
                Err(DecodeError::BadUtf8),
                "{body}"
            );
        }
    }

    #[test]
    fn finish_frame_patches_the_payload_length() {
        let mut w = Writer::with_capacity(16);
        w.write_i32(7); // bytes before the frame are not counted
        let start = w.begin_frame();
        w.write_i32(1);
        w.write_bool(true);
        w.finish_frame(start);
        assert_eq!(w.as_slice(), hex("00000007 00000005 00000001 01"));
        assert_eq!(w.len(), 13);
    }
}
