//! Fuzz target: zkclient::fuzzing::reply (what it checks is written there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| zkclient::fuzzing::reply(data));
