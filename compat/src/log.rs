//! Logging as zookeeper.h has it: one process-wide level (`logLevel`, a data symbol that
//! programs read through the LOG_* macros of zookeeper_log.h, and `zoo_set_debug_level`),
//! a stream (`zoo_set_log_stream`, in log.c) and a callback per handle. The library's own
//! messages (the zkclient crate's logger) go the same way.

#![allow(non_upper_case_globals)]

use std::ffi::{c_char, c_int, CString};
use std::sync::atomic::{AtomicPtr, Ordering};

pub type LogCallback = unsafe extern "C" fn(message: *const c_char);

/// The official default: INFO.
#[no_mangle]
pub static mut logLevel: c_int = 3;

extern "C" {
    fn zoo__log_line(
        callback: Option<LogCallback>,
        level: c_int,
        func: *const c_char,
        msg: *const c_char,
    );
}

/// Where `logLevel` lives for the whole process. A program that reads `logLevel` itself
/// (zookeeper_log.h's macros) has its own copy of it, which the dynamic linker made and
/// which every module then uses: dlsym finds that one, so a level set here is the level
/// the program's macros see.
fn level_cell() -> *mut c_int {
    static CELL: AtomicPtr<c_int> = AtomicPtr::new(std::ptr::null_mut());
    let p = CELL.load(Ordering::Acquire);
    if !p.is_null() {
        return p;
    }
    // SAFETY: dlsym with a NUL-terminated name; RTLD_DEFAULT searches the global scope.
    let found = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"logLevel".as_ptr()) } as *mut c_int;
    let p = if found.is_null() {
        // Statically linked: our own.
        std::ptr::addr_of_mut!(logLevel)
    } else {
        found
    };
    CELL.store(p, Ordering::Release);
    p
}

pub fn level() -> c_int {
    // SAFETY: an aligned int that lives as long as the process; a racy read of an int.
    unsafe { std::ptr::read_volatile(level_cell()) }
}

/// Sets the level: 0 turns logging off; others are clamped to ERROR..DEBUG.
#[no_mangle]
pub extern "C" fn zoo_set_debug_level(level: c_int) {
    let level = if level == 0 { 0 } else { level.clamp(1, 4) };
    // SAFETY: as in `level`.
    unsafe { std::ptr::write_volatile(level_cell(), level) }
}

/// Writes one of the library's messages at `level` (1 ERROR .. 4 DEBUG), if the level lets
/// it through, to `callback` or the log stream.
pub fn write(callback: Option<LogCallback>, level: c_int, msg: &str) {
    if level > self::level() {
        return;
    }
    let msg = CString::new(msg.replace('\0', " ")).unwrap_or_default();
    // SAFETY: NUL-terminated strings that outlive the call.
    unsafe { zoo__log_line(callback, level, c"zkclient".as_ptr(), msg.as_ptr()) }
}
