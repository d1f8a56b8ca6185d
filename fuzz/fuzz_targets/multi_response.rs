//! Fuzz target: zkclient::fuzzing::multi_response (what it checks is written there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| zkclient::fuzzing::multi_response(data));
