//! Helpers shared by the codec tests: hex literals, round trips, truncation checks and a
//! tiny PRNG for garbage input.

use std::fmt::Debug;

use super::wire::{Decode, Encode, Reader, Writer};

/// Parses hand-written hex; whitespace is ignored so goldens can be grouped by field.
pub fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(digits.len() % 2 == 0, "odd number of hex digits in {s:?}");
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

pub fn encode<T: Encode>(value: &T) -> Vec<u8> {
    let mut w = Writer::new();
    value.encode(&mut w);
    w.into_inner()
}

/// Decodes `bytes` as exactly one `T`; trailing bytes are a test failure.
pub fn decode_exact<T: Decode + Debug>(bytes: &[u8]) -> T {
    let mut r = Reader::new(bytes);
    let value = T::decode(&mut r).unwrap_or_else(|e| panic!("decode failed: {e}"));
    assert!(r.is_empty(), "{} bytes left after {value:?}", r.remaining());
    value
}

/// Checks that `value` encodes to `golden` and that `golden` decodes back to `value`.
pub fn assert_golden<T: Encode + Decode + PartialEq + Debug>(value: &T, golden: &str) {
    let golden = hex(golden);
    assert_eq!(encode(value), golden, "encoding of {value:?}");
    assert_eq!(&decode_exact::<T>(&golden), value);
}

pub fn assert_round_trip<T: Encode + Decode + PartialEq + Debug>(value: &T) {
    assert_eq!(&decode_exact::<T>(&encode(value)), value);
}

/// Every strict prefix of `bytes` must fail to decode (and must not panic).
pub fn assert_truncations_fail<T: Decode + Debug>(bytes: &[u8]) {
    for len in 0..bytes.len() {
        let result = T::decode(&mut Reader::new(&bytes[..len]));
        assert!(
            result.is_err(),
            "prefix of {len} bytes decoded to {result:?}"
        );
    }
}

/// xorshift64: deterministic, so a failing garbage input reproduces.
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Bytes biased towards 0x00 and 0xff, so lengths and counts are often small or -1 and
    /// decoding gets past the first field.
    pub fn garbage(&mut self, max_len: usize) -> Vec<u8> {
        let len = self.below(max_len + 1);
        (0..len)
            .map(|_| match self.below(4) {
                0 | 1 => 0,
                2 => 0xff,
                _ => self.next_u64() as u8,
            })
            .collect()
    }
}
