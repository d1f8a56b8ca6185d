//! Fuzz target: zkclient::fuzzing::request_roundtrip (what it checks is written there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| zkclient::fuzzing::request_roundtrip(data));
