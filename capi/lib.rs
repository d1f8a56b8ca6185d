//! libzkclient, the C library: the zkclient crate, whose `ffi` functions (`#[no_mangle]`
//! extern "C") the cdylib and staticlib export. Nothing of its own.

extern crate zkclient_rs;
