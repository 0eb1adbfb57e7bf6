//! Small helpers over APR's C API: C strings as byte slices, pool copies.
//! The `'a` lifetimes below stand for "while the pool the string lives in
//! lives", which outlasts every hook call.

use std::ffi::{CStr, c_char};

use super::bindings::{apr_pool_t, apr_pstrmemdup};

/// A NUL-terminated string from httpd, as bytes; `None` for NULL.
///
/// # Safety
/// `s` is NULL or points to a NUL-terminated string that lives for `'a`.
pub(super) unsafe fn bytes<'a>(s: *const c_char) -> Option<&'a [u8]> {
    // SAFETY: per the contract above.
    (!s.is_null()).then(|| unsafe { CStr::from_ptr(s) }.to_bytes())
}

/// Copies `b` into `pool` as a NUL-terminated string.
///
/// # Safety
/// `pool` is a live APR pool.
pub(super) unsafe fn pool_str(pool: *mut apr_pool_t, b: &[u8]) -> *mut c_char {
    // SAFETY: `b` is valid for `b.len()` bytes; APR copies and terminates.
    unsafe { apr_pstrmemdup(pool, b.as_ptr().cast(), b.len()) }
}
