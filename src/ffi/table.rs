//! APR tables (request and response headers) as slices of entries. APR
//! tables hand out pointers into pool memory that stays valid, unchanged,
//! until the pool is destroyed (entries removed from a table are unlinked,
//! not freed); the `'a` lifetimes below stand for "while the request's pool
//! lives", which outlasts every hook call.

use std::ffi::{CStr, c_char};

use super::apr::bytes;
use super::bindings::{
    apr_array_header_t, apr_table_addn, apr_table_entry_t, apr_table_t, apr_table_unset,
};

/// The entries of `t`, in order (what C's `apr_table_elts` macro gives).
///
/// # Safety
/// `t` is a live APR table, not modified while the slice is in use.
unsafe fn entries<'a>(t: *const apr_table_t) -> &'a [apr_table_entry_t] {
    // SAFETY: an apr_table_t starts with its apr_array_header_t of entries;
    // that is what apr_table_elts() relies on too.
    let array = unsafe { &*t.cast::<apr_array_header_t>() };
    match usize::try_from(array.nelts) {
        Ok(n) if n > 0 && !array.elts.is_null() => {
            // SAFETY: elts holds nelts initialised entries.
            unsafe { std::slice::from_raw_parts(array.elts.cast::<apr_table_entry_t>(), n) }
        }
        _ => &[],
    }
}

/// The value of every entry of `t` whose key is `key` (ignoring ASCII
/// case), in table order, as raw C strings.
///
/// # Safety
/// `t` is a live APR table.
pub(super) unsafe fn values_of(t: *const apr_table_t, key: &CStr) -> Vec<*const c_char> {
    let key = key.to_bytes();
    // SAFETY: per the contract above; keys are NUL-terminated strings.
    unsafe { entries(t) }
        .iter()
        .filter(|e| unsafe { bytes(e.key) }.is_some_and(|k| k.eq_ignore_ascii_case(key)))
        .map(|e| e.val.cast_const())
        .filter(|v| !v.is_null())
        .collect()
}

/// Replaces every `key` entry of `t` by `values`, appended in order.
///
/// # Safety
/// `t` is a live APR table; `key` and `values` outlive the table's pool.
pub(super) unsafe fn replace_all(
    t: *mut apr_table_t,
    key: &'static CStr,
    values: &[*const c_char],
) {
    // SAFETY: per the contract above.
    unsafe {
        apr_table_unset(t, key.as_ptr());
        for &v in values {
            apr_table_addn(t, key.as_ptr(), v);
        }
    }
}
