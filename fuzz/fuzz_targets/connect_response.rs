//! Fuzz target: zkclient::fuzzing::connect_response (what it checks is written there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| zkclient::fuzzing::connect_response(data));
