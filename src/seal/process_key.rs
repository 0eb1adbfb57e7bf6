//! Per-process sealing keys (format v3): key derivation once per process,
//! not once per value.
//!
//! Each process seals under a key of its own, derived from the secret's
//! PRK and a random 16-byte salt it draws when it first seals
//! (keyring.rs), with nonces from a counter: the salt and the counter
//! travel in each value's header. Why no nonce repeats under one key:
//! - within a process, the counter hands out each nonce once (under a
//!   lock), and the key is replaced after [`SEALS_PER_KEY`] seals, long
//!   before the 96-bit nonce could wrap;
//! - a forked child never continues its parent's key: the fork handler the
//!   httpd module installs ([`forked`]) moves the child to a key with a
//!   fresh salt before its first seal;
//! - two processes (or cluster nodes sharing a secret) share a key only if
//!   they draw the same 128-bit salt: after 2^48 seals of one secret, that
//!   is 2^24 keys and a birthday chance below 2^-80.
//!
//! Each key also stays far inside AES-GCM's limits: at most 2^24 values of
//! at most 16 KiB (2^10 blocks) is 2^34 blocks, a distinguishing advantage
//! near 2^-60.
//!
//! Opening a value needs the key of the process that sealed it. Keys
//! derived for opening are kept (at most [`CACHED_OPENERS`] per secret, the
//! oldest replaced first) once a value under them has authenticated, so a
//! forged value never evicts a real one; a process knows its own sealing
//! keys from the start.

use super::key_pages::Paged;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use aes::Aes256Enc;
use aes_gcm::AesGcm;
use aes_gcm::aead::consts::U12;

/// AES-256-GCM with the encryption half of AES only: counter mode never
/// runs AES backwards, so the decryption key schedule is never computed.
pub(super) type Gcm = AesGcm<Aes256Enc, U12>;

pub(super) const SALT_LEN: usize = 16;

/// Seals under one process key before the next (see the module's notes).
/// Tests lower it to see the change happen.
pub(super) const SEALS_PER_KEY: u64 = if cfg!(test) { 1000 } else { 1 << 24 };

/// Other processes' keys kept per secret: a cluster's nodes times their
/// httpd children, with room to spare.
pub(super) const CACHED_OPENERS: usize = 64;

/// Forks seen by this process (its parent's count, plus one per fork).
static FORKS: AtomicU64 = AtomicU64::new(0);

/// Tells sealing that this process is a fork's new child, which must not
/// seal under its parent's key. One atomic add: safe in a fork handler.
pub fn forked() {
    FORKS.fetch_add(1, Ordering::Relaxed);
}

/// Set when forks cannot be watched (no fork handler could be installed):
/// then every seal takes a new key, as if after a fork.
static FORKS_UNSEEN: AtomicBool = AtomicBool::new(false);

/// Tells sealing that [`forked`] will not be called after a fork.
pub fn forks_unwatched() {
    FORKS_UNSEEN.store(true, Ordering::Relaxed);
}

/// The forks this process has seen, for [`ProcessKeys::sealing`]; a new
/// number every time when forks are not watched.
pub(super) fn forks() -> u64 {
    if FORKS_UNSEEN.load(Ordering::Relaxed) {
        forked();
    }
    FORKS.load(Ordering::Relaxed)
}

/// One process key: its salt (public, in each value it seals) and cipher.
pub(super) struct ProcessCipher {
    pub(super) salt: [u8; SALT_LEN],
    /// On pages of its own (key_pages.rs).
    pub(super) gcm: Paged<Gcm>,
}

struct Sealer {
    /// [`FORKS`] when this key was made: another value means a fork since.
    forks: u64,
    cipher: Arc<ProcessCipher>,
    next: u64,
}

/// The process keys of one secret: the one this process seals with, and
/// those values to open were sealed with.
#[derive(Default)]
pub(super) struct ProcessKeys {
    sealer: Mutex<Option<Sealer>>,
    openers: Mutex<Vec<Arc<ProcessCipher>>>,
}

/// A lock whose holder panicked still guards consistent data here: every
/// update is a single assignment.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ProcessKeys {
    /// The key to seal the next value with and that value's counter; a new
    /// key (salt from the OS, `derive`d) for a new process, after a fork
    /// (`forks`, from [`forks`], differs from the current key's) or after
    /// [`SEALS_PER_KEY`] seals.
    pub(super) fn sealing(
        &self,
        forks: u64,
        derive: impl FnOnce(&[u8; SALT_LEN]) -> Gcm,
    ) -> Result<(Arc<ProcessCipher>, u64), getrandom::Error> {
        let mut sealer = lock(&self.sealer);
        let current = sealer
            .as_mut()
            .filter(|s| s.forks == forks && s.next < SEALS_PER_KEY);
        let sealer = match current {
            Some(s) => s,
            None => {
                let mut salt = [0u8; SALT_LEN];
                getrandom::fill(&mut salt)?;
                let cipher = Arc::new(ProcessCipher {
                    salt,
                    gcm: Paged::derived(|| derive(&salt)),
                });
                self.remember(Arc::clone(&cipher));
                sealer.insert(Sealer {
                    forks,
                    cipher,
                    next: 0,
                })
            }
        };
        let counter = sealer.next;
        sealer.next += 1;
        Ok((Arc::clone(&sealer.cipher), counter))
    }

    /// The key for values sealed with `salt`, if it is known here.
    pub(super) fn cached(&self, salt: &[u8; SALT_LEN]) -> Option<Arc<ProcessCipher>> {
        // Newest first: a process's own current key, or the most recently
        // useful other one.
        lock(&self.openers)
            .iter()
            .rev()
            .find(|c| c.salt == *salt)
            .cloned()
    }

    /// Keeps a key whose value authenticated, dropping the oldest beyond
    /// [`CACHED_OPENERS`].
    pub(super) fn remember(&self, cipher: Arc<ProcessCipher>) {
        let mut openers = lock(&self.openers);
        if openers.iter().any(|c| c.salt == cipher.salt) {
            return;
        }
        if openers.len() == CACHED_OPENERS {
            openers.remove(0);
        }
        openers.push(cipher);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_gcm::KeyInit;

    fn derive(salt: &[u8; SALT_LEN]) -> Gcm {
        let mut key = [0u8; 32];
        key[..SALT_LEN].copy_from_slice(salt);
        Gcm::new(&key.into())
    }

    #[test]
    fn counters_count_and_keys_change_after_the_limit() {
        let keys = ProcessKeys::default();
        let (first, n) = keys.sealing(0, derive).unwrap();
        assert_eq!(n, 0);
        for want in 1..SEALS_PER_KEY {
            let (c, n) = keys.sealing(0, derive).unwrap();
            assert_eq!((c.salt, n), (first.salt, want));
        }
        let (next, n) = keys.sealing(0, derive).unwrap();
        assert_eq!(n, 0);
        assert_ne!(next.salt, first.salt);
        // Both stay known for opening.
        assert!(keys.cached(&first.salt).is_some() && keys.cached(&next.salt).is_some());
    }

    #[test]
    fn a_fork_moves_to_a_new_key() {
        let keys = ProcessKeys::default();
        let (before, _) = keys.sealing(0, derive).unwrap();
        let (after, n) = keys.sealing(1, derive).unwrap();
        assert_eq!(n, 0);
        assert_ne!(after.salt, before.salt);
        // What the module's fork handler calls moves the count on.
        let seen = forks();
        forked();
        assert!(forks() > seen);
    }

    #[test]
    fn the_cache_keeps_the_newest_keys() {
        let keys = ProcessKeys::default();
        let cipher = |i: u8| {
            let salt = [i; SALT_LEN];
            Arc::new(ProcessCipher {
                salt,
                gcm: Paged::new(derive(&salt)),
            })
        };
        for i in 0..=CACHED_OPENERS as u8 {
            keys.remember(cipher(i));
            keys.remember(cipher(i)); // once only
        }
        assert!(keys.cached(&[0; SALT_LEN]).is_none());
        assert!(keys.cached(&[1; SALT_LEN]).is_some());
        assert!(keys.cached(&[CACHED_OPENERS as u8; SALT_LEN]).is_some());
    }
}
