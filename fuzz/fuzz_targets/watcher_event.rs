//! Fuzz target: zkclient::fuzzing::watcher_event (what it checks is written there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| zkclient::fuzzing::watcher_event(data));
