//! The jute records of zookeeper.jute.h that callers of zookeeper.h hold: `Stat`, `Id`,
//! `ACL`, `String_vector`, `ACL_vector`, `Id_vector`, `buffer`, with the official layout, and
//! their `allocate_*`/`deallocate_*` functions. Everything a caller may free is allocated
//! with the C library's malloc, as the official client does, so `free()` and the
//! `deallocate_*` functions both work on it. Also the conversions between these records and
//! the zkclient crate's.

use std::ffi::{c_char, c_int, CStr};
use std::ptr;

use zkclient::{Acl, Id, Stat as RStat};

use crate::errors::{ZBADARGUMENTS, ZOK, ZSYSTEMERROR};

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(non_snake_case)]
pub struct Stat {
    pub czxid: i64,
    pub mzxid: i64,
    pub ctime: i64,
    pub mtime: i64,
    pub version: i32,
    pub cversion: i32,
    pub aversion: i32,
    pub ephemeralOwner: i64,
    pub dataLength: i32,
    pub numChildren: i32,
    pub pzxid: i64,
}

impl From<&RStat> for Stat {
    fn from(s: &RStat) -> Stat {
        Stat {
            czxid: s.czxid,
            mzxid: s.mzxid,
            ctime: s.ctime,
            mtime: s.mtime,
            version: s.version,
            cversion: s.cversion,
            aversion: s.aversion,
            ephemeralOwner: s.ephemeral_owner,
            dataLength: s.data_length,
            numChildren: s.num_children,
            pzxid: s.pzxid,
        }
    }
}

#[repr(C)]
#[derive(Debug)]
pub struct CId {
    pub scheme: *mut c_char,
    pub id: *mut c_char,
}

#[repr(C)]
#[derive(Debug)]
pub struct CAcl {
    pub perms: i32,
    pub id: CId,
}

#[repr(C)]
#[derive(Debug)]
pub struct StringVector {
    pub count: i32,
    pub data: *mut *mut c_char,
}

#[repr(C)]
#[derive(Debug)]
pub struct AclVector {
    pub count: i32,
    pub data: *mut CAcl,
}

#[repr(C)]
#[derive(Debug)]
pub struct IdVector {
    pub count: i32,
    pub data: *mut CId,
}

#[repr(C)]
#[derive(Debug)]
pub struct Buffer {
    pub len: i32,
    pub buff: *mut c_char,
}

// The constants (ZOO_OPEN_ACL_UNSAFE, ...) hold pointers to static strings, never written.
unsafe impl Sync for CId {}
unsafe impl Sync for CAcl {}
unsafe impl Sync for AclVector {}

/// A malloc'd, NUL-terminated copy of `s` (NULs inside cut it short, as C would read it).
pub fn c_strdup(s: &str) -> *mut c_char {
    let bytes = s.as_bytes();
    let n = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    // SAFETY: malloc of n + 1 bytes, filled below before anyone reads it.
    unsafe {
        let p = libc::malloc(n + 1) as *mut u8;
        if p.is_null() {
            return ptr::null_mut();
        }
        ptr::copy_nonoverlapping(bytes.as_ptr(), p, n);
        *p.add(n) = 0;
        p as *mut c_char
    }
}

/// A C string as UTF-8, or None (NULL or not UTF-8).
///
/// # Safety
/// `p` is NULL or a NUL-terminated string.
pub unsafe fn str_of<'a>(p: *const c_char) -> Option<&'a str> {
    if p.is_null() {
        return None;
    }
    CStr::from_ptr(p).to_str().ok()
}

/// A String_vector of malloc'd copies of `items`; count 0 and data NULL when empty (or
/// when memory runs out).
pub fn string_vector(items: &[String]) -> StringVector {
    let mut v = StringVector {
        count: 0,
        data: ptr::null_mut(),
    };
    let len = i32::try_from(items.len()).unwrap_or(-1);
    // SAFETY: entries of a pointer each (zero is NULL), set below.
    unsafe {
        if alloc_entries(&mut v.count, &mut v.data, len) == ZOK {
            for (i, s) in items.iter().enumerate() {
                *v.data.add(i) = c_strdup(s);
            }
        }
    }
    v
}

/// An ACL_vector of malloc'd copies of `acl` (empty when memory runs out).
pub fn acl_vector(acl: &[Acl]) -> AclVector {
    let mut v = AclVector {
        count: 0,
        data: ptr::null_mut(),
    };
    let len = i32::try_from(acl.len()).unwrap_or(-1);
    // SAFETY: zeroed entries (NULL strings), each set below.
    unsafe {
        if alloc_entries(&mut v.count, &mut v.data, len) == ZOK {
            for (i, a) in acl.iter().enumerate() {
                let e = &mut *v.data.add(i);
                e.perms = a.perms;
                e.id.scheme = c_strdup(&a.id.scheme);
                e.id.id = c_strdup(&a.id.id);
            }
        }
    }
    v
}

/// The most ACL entries a request can carry (each takes 12 bytes at least of a frame of at
/// most 1 GiB): a larger count is a caller's mistake, refused before an entry is read.
const MAX_ACL_ENTRIES: i32 = (1 << 30) / 12;

/// A caller's ACL_vector as the crate's ACLs. NULL is the empty list (the server answers
/// INVALIDACL, as it does to the official client). A negative or impossible count, a NULL
/// data pointer with entries, or a NULL or non-UTF-8 scheme or id is ZBADARGUMENTS.
///
/// # Safety
/// `v` is NULL or points to an ACL_vector whose `count` entries are readable.
pub unsafe fn acls_of(v: *const AclVector) -> Result<Vec<Acl>, c_int> {
    if v.is_null() {
        return Ok(Vec::new());
    }
    let v = &*v;
    if v.count < 0 || v.count > MAX_ACL_ENTRIES || (v.count > 0 && v.data.is_null()) {
        return Err(ZBADARGUMENTS);
    }
    let mut out = Vec::with_capacity(v.count as usize);
    for i in 0..v.count as usize {
        let e = &*v.data.add(i);
        let (Some(scheme), Some(id)) = (str_of(e.id.scheme), str_of(e.id.id)) else {
            return Err(ZBADARGUMENTS);
        };
        out.push(Acl {
            perms: e.perms,
            id: Id {
                scheme: scheme.to_string(),
                id: id.to_string(),
            },
        });
    }
    Ok(out)
}

/// Sets a vector's `count` and `data` to `len` zeroed entries (calloc; NULL when `len` is
/// 0): ZOK, ZBADARGUMENTS for a negative `len`, ZSYSTEMERROR (and an empty vector) when
/// memory runs out.
///
/// # Safety
/// `T` is a C record for which all-zero bytes are a valid value.
pub unsafe fn alloc_entries<T>(count: &mut i32, data: &mut *mut T, len: i32) -> c_int {
    if len < 0 {
        return ZBADARGUMENTS;
    }
    *count = 0;
    *data = ptr::null_mut();
    if len == 0 {
        return ZOK;
    }
    let p = libc::calloc(len as usize, std::mem::size_of::<T>()) as *mut T;
    if p.is_null() {
        return ZSYSTEMERROR;
    }
    *count = len;
    *data = p;
    ZOK
}

/// Frees each of a vector's `count` entries with `free_entry`, then the array, and leaves
/// the vector empty. A NULL array is a no-op.
///
/// # Safety
/// `data` is NULL or a malloc'd array of at least `count` entries that `free_entry` takes.
pub unsafe fn free_entries<T>(count: &mut i32, data: &mut *mut T, free_entry: impl Fn(*mut T)) {
    if !data.is_null() {
        for i in 0..(*count).max(0) as usize {
            free_entry(data.add(i));
        }
        libc::free(*data as *mut libc::c_void);
    }
    *data = ptr::null_mut();
    *count = 0;
}

/// Sets `*v` to `len` zeroed entries (calloc), as the official client does.
///
/// # Safety
/// `v` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn allocate_String_vector(v: *mut StringVector, len: i32) -> c_int {
    match v.as_mut() {
        Some(v) => alloc_entries(&mut v.count, &mut v.data, len),
        None => ZBADARGUMENTS,
    }
}

/// Frees every string and the array, and leaves `*v` empty. NULL is a no-op.
///
/// # Safety
/// `v` is NULL or a String_vector whose strings and array came from malloc (or are NULL).
#[no_mangle]
pub unsafe extern "C" fn deallocate_String_vector(v: *mut StringVector) -> c_int {
    if let Some(v) = v.as_mut() {
        free_entries(&mut v.count, &mut v.data, |s| deallocate_String(s));
    }
    ZOK
}

/// # Safety
/// As `allocate_String_vector`.
#[no_mangle]
pub unsafe extern "C" fn allocate_ACL_vector(v: *mut AclVector, len: i32) -> c_int {
    match v.as_mut() {
        Some(v) => alloc_entries(&mut v.count, &mut v.data, len),
        None => ZBADARGUMENTS,
    }
}

/// # Safety
/// `v` is NULL or an ACL_vector whose strings and array came from malloc (or are NULL).
#[no_mangle]
pub unsafe extern "C" fn deallocate_ACL_vector(v: *mut AclVector) -> c_int {
    if let Some(v) = v.as_mut() {
        free_entries(&mut v.count, &mut v.data, |e| deallocate_ACL(e));
    }
    ZOK
}

/// # Safety
/// As `allocate_String_vector`.
#[no_mangle]
pub unsafe extern "C" fn allocate_Id_vector(v: *mut IdVector, len: i32) -> c_int {
    match v.as_mut() {
        Some(v) => alloc_entries(&mut v.count, &mut v.data, len),
        None => ZBADARGUMENTS,
    }
}

/// # Safety
/// As `deallocate_ACL_vector`.
#[no_mangle]
pub unsafe extern "C" fn deallocate_Id_vector(v: *mut IdVector) -> c_int {
    if let Some(v) = v.as_mut() {
        free_entries(&mut v.count, &mut v.data, |e| deallocate_Id(e));
    }
    ZOK
}

/// Frees the two strings and sets them to NULL.
///
/// # Safety
/// `v` is NULL or an Id whose strings came from malloc (or are NULL).
#[no_mangle]
pub unsafe extern "C" fn deallocate_Id(v: *mut CId) {
    if v.is_null() {
        return;
    }
    libc::free((*v).scheme as *mut libc::c_void);
    libc::free((*v).id as *mut libc::c_void);
    (*v).scheme = ptr::null_mut();
    (*v).id = ptr::null_mut();
}

/// # Safety
/// As `deallocate_Id`.
#[no_mangle]
pub unsafe extern "C" fn deallocate_ACL(v: *mut CAcl) {
    if !v.is_null() {
        deallocate_Id(&mut (*v).id);
    }
}

/// A Stat owns nothing: a no-op, as in the official client.
#[no_mangle]
pub extern "C" fn deallocate_Stat(_v: *mut Stat) {}

/// Frees a string that the library allocated (the field of a jute record).
///
/// # Safety
/// `s` is NULL or points to a malloc'd string pointer (or NULL).
#[no_mangle]
pub unsafe extern "C" fn deallocate_String(s: *mut *mut c_char) {
    if !s.is_null() {
        libc::free(*s as *mut libc::c_void);
        *s = ptr::null_mut();
    }
}

/// Frees a buffer's bytes.
///
/// # Safety
/// `b` is NULL or a buffer whose bytes came from malloc (or are NULL).
#[no_mangle]
pub unsafe extern "C" fn deallocate_Buffer(b: *mut Buffer) {
    if !b.is_null() {
        libc::free((*b).buff as *mut libc::c_void);
        (*b).buff = ptr::null_mut();
        (*b).len = 0;
    }
}
