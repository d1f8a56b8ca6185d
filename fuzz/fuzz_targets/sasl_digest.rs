//! Fuzz target: zkclient::fuzzing::sasl_digest (what it checks is written there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| zkclient::fuzzing::sasl_digest(data));
