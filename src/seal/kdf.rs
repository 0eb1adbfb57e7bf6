//! The work factor on each secret: Argon2id, before HKDF (keyring.rs).
//!
//! Every cookie carries a key id and a GCM tag, so anyone holding one
//! cookie can test passphrase guesses offline. With HKDF alone a guess
//! costs two HMACs; behind Argon2id (OWASP's minimum: 19 MiB, 2 passes,
//! 1 lane) it costs tens of milliseconds and 19 MiB of memory. The cost is
//! paid once per secret per process: the module keeps the stretched secret
//! (src/ffi/kdf_cache.rs), so configuration passes, graceful restarts and
//! `.htaccess` secrets read per request do not pay it again.
//!
//! The salt is fixed: every node must derive the same key from the same
//! secret with nothing else shared. A fixed salt lets an attacker amortise
//! a dictionary over every installation of this module, not over one
//! guess; secrets from `openssl rand -base64 32` are out of any
//! dictionary's reach anyway.

use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Argon2id memory, KiB: OWASP's minimum recommendation.
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Argon2id passes over the memory.
pub const PASSES: u32 = 2;
/// Argon2id lanes.
pub const LANES: u32 = 1;
const SALT: &[u8] = b"mod_session_cookie_rs session_crypto v2 argon2id";

/// A secret after the work factor.
pub type Stretched = Zeroizing<[u8; 32]>;

/// Runs Argon2id over `secret`: tens of milliseconds.
pub fn stretch(secret: &[u8]) -> Stretched {
    let params =
        Params::new(MEMORY_KIB, PASSES, LANES, Some(32)).expect("valid Argon2id parameters");
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(secret, SALT, out.as_mut())
        .expect("Argon2id over any secret with a 48-byte salt");
    out
}

/// What a cache of stretched secrets is keyed by: a digest of the secret
/// and of the parameters, so that the cache holds no secret and a change of
/// parameters misses it.
pub fn cache_key(secret: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(SALT);
    for n in [MEMORY_KIB, PASSES, LANES] {
        h.update(n.to_be_bytes());
    }
    h.update(secret);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Computed independently with Python's argon2-cffi
    /// (tests/vectors/sealed_vector.py).
    #[test]
    fn argon2id_vector() {
        let out = stretch(b"correct horse battery staple, 32+");
        assert_eq!(hex(out.as_ref()), STRETCHED);
    }
    const STRETCHED: &str = "3926da30464c35fb360f5642a06444ed4203450fa6aa3263a1149ae59d0cde8e";

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn cache_keys_differ_per_secret_and_hold_no_secret() {
        let a = cache_key(b"secret one");
        assert_ne!(a, cache_key(b"secret two"));
        assert_eq!(a, cache_key(b"secret one"));
        assert!(!a.windows(6).any(|w| w == b"secret"));
    }
}
