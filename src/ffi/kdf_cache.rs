//! Paying each secret's work factor (Argon2id, src/seal/kdf.rs) once per
//! process.
//!
//! httpd reads its configuration twice at startup and again at every
//! graceful restart, and unloads and reloads modules in between: a cache in
//! this module's memory would not survive. The cache lives in the process
//! pool instead (`process_rec::pool`, created once per httpd process), as
//! an APR hash from a digest of each secret (never the secret) to the
//! stretched secret. Forked children inherit it. A child reading a secret
//! from `.htaccess` only reads that cache (its threads share the process
//! pool, which is not for concurrent allocation) and keeps what it derives
//! in a cache of its own.
//!
//! The process pool's copies are not wiped: they live as long as the
//! process, as the keys derived from them do. Both caches are kept on pages
//! left out of core dumps (dump_guard.rs).

use std::ffi::{CStr, c_void};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use super::bindings::{
    apr_hash_get, apr_hash_make, apr_hash_set, apr_hash_t, apr_palloc, apr_pool_t,
    apr_pool_userdata_get, apr_pool_userdata_set,
};
use super::dump_guard;
use super::httpd::Pool;
use crate::seal::{PAGE, Paged, Stretched, cache_key, stretch};

/// The process pool's userdata keys of the cache, and of the page its
/// entries are written to.
const CACHE: &CStr = c"mod_session_crypto_rs:argon2id-cache";
const CACHE_PAGE: &CStr = c"mod_session_crypto_rs:argon2id-page";
const KEY_LEN: usize = 32;

/// A child's own cache, for secrets first seen in `.htaccess`: at most
/// [`RUNTIME_ENTRIES`], the oldest replaced first, so that a tenant editing
/// a `.htaccess` again and again cannot grow a child's memory without
/// bound. Made on first use, on pages of its own.
static RUNTIME: Mutex<Option<Paged<Runtime>>> = Mutex::new(None);

/// Secrets from `.htaccess` files a child keeps stretched.
const RUNTIME_ENTRIES: usize = 32;

/// The entries of [`RUNTIME`]: (cache key, stretched secret), a ring.
struct Runtime {
    entries: [([u8; KEY_LEN], [u8; KEY_LEN]); RUNTIME_ENTRIES],
    len: usize,
    next: usize,
}

/// `secret` through the work factor, from a cache when it was paid before;
/// with how long it took (`None`: from a cache). `runtime`: called from a
/// running child, which must not allocate from the process pool.
pub(super) fn stretched(
    secret: &[u8],
    process: Pool<'_>,
    runtime: bool,
) -> (Stretched, Option<u128>) {
    let key = cache_key(secret);
    if let Some(hit) = process_get(process, &key) {
        return (hit, None);
    }
    if runtime {
        if let Some(hit) = runtime_get(&key) {
            return (hit, None);
        }
        // Paid with no lock held: other threads' requests go on meanwhile
        // (two threads meeting a new secret at once both pay for it).
        let (value, ms) = timed_stretch(secret);
        runtime_put(key, &value);
        return (value, Some(ms));
    }
    let (value, ms) = timed_stretch(secret);
    process_put(process, &key, &value);
    (value, Some(ms))
}

fn runtime_get(key: &[u8; KEY_LEN]) -> Option<Stretched> {
    let cache = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner);
    let cache = cache.as_ref()?;
    cache.entries[..cache.len]
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| Stretched::new(*v))
}

fn runtime_put(key: [u8; KEY_LEN], value: &Stretched) {
    let mut cache = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner);
    let cache = cache.get_or_insert_with(|| {
        Paged::new(Runtime {
            entries: [([0; KEY_LEN], [0; KEY_LEN]); RUNTIME_ENTRIES],
            len: 0,
            next: 0,
        })
    });
    if cache.entries[..cache.len].iter().any(|(k, _)| *k == key) {
        return;
    }
    let at = cache.next;
    cache.entries[at] = (key, **value);
    cache.next = (at + 1) % RUNTIME_ENTRIES;
    cache.len = (cache.len + 1).min(RUNTIME_ENTRIES);
}

fn timed_stretch(secret: &[u8]) -> (Stretched, u128) {
    let start = Instant::now();
    let value = stretch(secret);
    (value, start.elapsed().as_millis())
}

/// The process pool's hash, if it was made.
fn process_hash(process: Pool<'_>) -> *mut apr_hash_t {
    let mut data: *mut c_void = std::ptr::null_mut();
    // SAFETY: a lookup of our own key in a live pool; the value, if any, is
    // the hash process_put stored.
    unsafe { apr_pool_userdata_get(&mut data, CACHE.as_ptr(), process.as_ptr()) };
    data.cast()
}

fn process_get(process: Pool<'_>, key: &[u8; KEY_LEN]) -> Option<Stretched> {
    let hash = process_hash(process);
    if hash.is_null() {
        return None;
    }
    // SAFETY: the hash's keys and values are KEY_LEN bytes in the process
    // pool, stored by process_put; nothing writes the hash concurrently
    // (only configuration reading, in one thread, does).
    unsafe {
        let value = apr_hash_get(hash, key.as_ptr().cast(), KEY_LEN as isize);
        (!value.is_null()).then(|| {
            let mut out = Stretched::default();
            out.copy_from_slice(std::slice::from_raw_parts(value.cast::<u8>(), KEY_LEN));
            out
        })
    }
}

fn process_put(process: Pool<'_>, key: &[u8; KEY_LEN], value: &Stretched) {
    let p = process.as_ptr();
    // SAFETY: configuration is read by one thread; the hash, its keys and
    // values are allocated from the process pool and live as long as it.
    unsafe {
        let mut hash = process_hash(process);
        if hash.is_null() {
            hash = apr_hash_make(p);
            apr_pool_userdata_set(hash.cast(), CACHE.as_ptr(), None, p);
        }
        let (k, v) = page_entry(p);
        std::ptr::copy_nonoverlapping(key.as_ptr(), k, KEY_LEN);
        std::ptr::copy_nonoverlapping(value.as_ptr(), v, KEY_LEN);
        apr_hash_set(hash, k.cast(), KEY_LEN as isize, v.cast());
    }
}

/// Room for one entry (a key and a value, [`KEY_LEN`] bytes each) on the
/// process pool's current page left out of core dumps, which is made (in
/// the pool, page-aligned) when there is none or it is full.
///
/// # Safety
/// `p` is the process pool, used by one thread (configuration reading).
unsafe fn page_entry(p: *mut apr_pool_t) -> (*mut u8, *mut u8) {
    const ENTRY: usize = 2 * KEY_LEN;
    // SAFETY: per the contract above: our own userdata key, whose value is
    // the page this function stored, `used` bytes of it taken.
    unsafe {
        let mut page: *mut c_void = std::ptr::null_mut();
        apr_pool_userdata_get(&mut page, CACHE_PAGE.as_ptr(), p);
        let mut page = page.cast::<CachePage>();
        if page.is_null() || (*page).used + ENTRY > PAGE {
            // Two pages' worth, to hold one whole page wherever APR puts it.
            let raw = apr_palloc(p, 2 * PAGE).cast::<u8>();
            let start = raw.add(raw.addr().next_multiple_of(PAGE) - raw.addr());
            dump_guard::exclude(start, PAGE);
            page = apr_palloc(p, size_of::<CachePage>()).cast::<CachePage>();
            page.write(CachePage { start, used: 0 });
            apr_pool_userdata_set(page.cast(), CACHE_PAGE.as_ptr(), None, p);
        }
        let at = (*page).start.add((*page).used);
        (*page).used += ENTRY;
        (at, at.add(KEY_LEN))
    }
}

/// The process pool's current page of cache entries.
struct CachePage {
    start: *mut u8,
    used: usize,
}
