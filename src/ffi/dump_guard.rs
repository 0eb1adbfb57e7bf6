//! Keeps key material out of core dumps: the host's side of
//! src/seal/key_pages.rs, and the pages of the process pool's cache of
//! stretched secrets (kdf_cache.rs).
//!
//! `madvise(MADV_DONTDUMP)` marks whole pages, which a child inherits
//! across `fork`. It changes what a core dump holds, never the memory's
//! contents or mapping; a failure (an old kernel, pages larger than the
//! range) leaves the pages dumpable, as before.

use std::ffi::c_void;

use crate::seal::set_key_pages_hook;

/// Installs the hook the core announces its key pages through (once per
/// process: every key is made after the module is loaded).
pub(super) fn install() {
    set_key_pages_hook(advise);
}

/// `len` bytes at `start`, which hold keys and nothing else: left out of
/// core dumps (`exclude`), or put back in before they are freed.
fn advise(start: *const u8, len: usize, exclude: bool) {
    let Some((start, len)) = whole_pages(start, len) else {
        return;
    };
    let advice = if exclude {
        libc::MADV_DONTDUMP
    } else {
        libc::MADV_DODUMP
    };
    // SAFETY: the range is whole pages inside an allocation of the core's
    // that holds keys only (key_pages.rs) or a page of the process pool
    // kept for them (kdf_cache.rs); DONTDUMP and DODUMP change only what a
    // core dump holds.
    unsafe { libc::madvise(start.cast_mut().cast::<c_void>(), len, advice) };
}

/// Leaves `len` bytes at `start` out of core dumps, for good (the process
/// pool's pages, which live as long as the process).
pub(super) fn exclude(start: *const u8, len: usize) {
    advise(start, len, true);
}

/// The whole pages inside `len` bytes at `start`, if any.
fn whole_pages(start: *const u8, len: usize) -> Option<(*const u8, usize)> {
    // SAFETY: sysconf only reads a constant of the system.
    let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).ok()?;
    let skip = start.addr().next_multiple_of(page) - start.addr();
    let whole = len.checked_sub(skip)? / page * page;
    (whole > 0).then(|| (start.wrapping_add(skip), whole))
}
