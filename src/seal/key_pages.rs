//! Key material on pages of its own, which the host keeps out of core
//! dumps (issue 20, finding 7).
//!
//! A core dump of an httpd child would otherwise carry every key, ready
//! for anyone who can read `/var/crash` or a bug report. Linux leaves a
//! range out of core dumps (`madvise(MADV_DONTDUMP)`), but only whole
//! pages: so each key lives in an allocation of whole pages, aligned to a
//! page ([`Paged`], [`PagedBytes`]), which nothing else shares. Calling
//! `madvise` is the host's (src/ffi/dump_guard.rs: `unsafe` lives at the
//! boundary); the core only says which memory holds keys, through the hook
//! the host sets once ([`set_hook`]). Without a host (the admin CLI, unit
//! tests) nothing is excluded.
//!
//! What is paged: each secret's derived key (keyring.rs), each process
//! cipher (process_key.rs), each stock key (stock.rs: the MAC key and the
//! HMAC key PBKDF2 runs with, rather than the passphrase itself), and the
//! stretched secrets the module caches (src/ffi/kdf_cache.rs).
//!
//! On Linux with pages larger than 4 KiB (some arm64 kernels), a 4 KiB
//! aligned allocation may share its page: the host then excludes only the
//! whole pages inside it, which may be none.

use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;

/// The page size the allocations are aligned to and made of.
pub const PAGE: usize = 4096;

/// The host's hook: `(start, len, exclude)`: from now on, leave the `len`
/// bytes at `start` out of core dumps (`exclude`), or put them back in
/// (they are about to be freed, and reused for anything).
pub type Hook = fn(start: *const u8, len: usize, exclude: bool);

static HOOK: OnceLock<Hook> = OnceLock::new();

/// Sets the host's hook, once per process (later calls are ignored).
pub fn set_hook(hook: Hook) {
    let _ = HOOK.set(hook);
}

/// Zeroes `N` bytes of the stack below the caller's frame, where the
/// functions it called to derive a key left their temporaries (a hash's
/// state keyed by a secret, a key before it was moved onto its pages): a
/// core dump would find them there.
#[inline(never)]
pub fn scrub_stack<const N: usize>() {
    let zeros = [0u8; N];
    // The array must be written where it stands, not optimised away.
    std::hint::black_box(&zeros);
}

/// What [`Paged::derived`] zeroes: more than HKDF's, MD5's, SHA-1's and
/// AES's key schedule's frames take.
const DERIVE_STACK: usize = 16 * 1024;

fn announce(start: *const u8, len: usize, exclude: bool) {
    if let Some(hook) = HOOK.get() {
        hook(start, len, exclude);
    }
}

/// A value on page-aligned memory of its own (the type's size rounds up to
/// whole pages).
#[repr(C, align(4096))]
struct Aligned<T>(T);

/// `T` on pages of its own, left out of core dumps where the host can.
/// `T` wipes itself when dropped (a `Zeroizing` array, a cipher with
/// `ZeroizeOnDrop`).
pub struct Paged<T> {
    inner: Box<Aligned<T>>,
}

impl<T> Paged<T> {
    /// `value`, moved onto its own pages.
    pub fn new(value: T) -> Self {
        let inner = Box::new(Aligned(value));
        announce(
            std::ptr::from_ref(&*inner).cast(),
            size_of::<Aligned<T>>(),
            true,
        );
        Self { inner }
    }

    /// What `derive` makes, on its own pages, with the stack `derive` used
    /// zeroed: every temporary copy of the key was in frames below this
    /// one, and is gone.
    pub fn derived(derive: impl FnOnce() -> T) -> Self {
        let paged = Self::placed(derive);
        scrub_stack::<DERIVE_STACK>();
        paged
    }

    /// `derive`'s value moved onto its pages, in a frame of its own.
    #[inline(never)]
    fn placed(derive: impl FnOnce() -> T) -> Self {
        Self::new(derive())
    }
}

impl<T> Deref for Paged<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner.0
    }
}

impl<T> DerefMut for Paged<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner.0
    }
}

impl<T: Clone> Clone for Paged<T> {
    fn clone(&self) -> Self {
        Self::new(self.inner.0.clone())
    }
}

impl<T> Drop for Paged<T> {
    fn drop(&mut self) {
        // T wipes itself when the box drops it, right after; the pages go
        // back to the allocator dumpable, as it handed them out.
        announce(
            std::ptr::from_ref(&*self.inner).cast(),
            size_of::<Aligned<T>>(),
            false,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// What the test hook was told: (start, len, exclude).
    static SEEN: Mutex<Vec<(usize, usize, bool)>> = Mutex::new(Vec::new());

    fn record(start: *const u8, len: usize, exclude: bool) {
        SEEN.lock().unwrap().push((start.addr(), len, exclude));
    }

    #[test]
    fn a_key_gets_whole_pages_announced_both_ways() {
        set_hook(record);
        let key = Paged::derived(|| [7u8; 32]);
        let start = std::ptr::from_ref(&*key).addr();
        assert_eq!(start % PAGE, 0, "not page aligned");
        assert_eq!(*key, [7; 32]);
        let copy = key.clone();
        assert_ne!(std::ptr::from_ref(&*copy).addr(), start);
        drop(key);
        let seen = SEEN.lock().unwrap().clone();
        assert!(seen.contains(&(start, PAGE, true)), "{seen:?}");
        assert!(seen.contains(&(start, PAGE, false)), "{seen:?}");
    }
}
