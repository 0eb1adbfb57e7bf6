//! Fuzzes opening sealed session values (what a client can send us) and the
//! seal/open round trip.
//!
//! Input: the bytes of a sealed value, as they would arrive in a cookie.
//! The seed corpus holds valid values sealed under the secrets below, so the
//! fuzzer mutates around real values, not only random text.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use mod_session_cookie_rs::seal::{Keyring, OpenError, open, seal};

/// The seeds were sealed with these secrets (first one) for cookie "session".
static KEYRING: LazyLock<Keyring> = LazyLock::new(|| {
    let mut ring = Keyring::new();
    ring.add(b"fuzzing secret number one, 32+ characters")
        .unwrap();
    ring.add(b"fuzzing secret number two, 32+ characters")
        .unwrap();
    ring
});
const CONTEXT: &[u8] = b"session";
const NOW: u64 = 1_800_000_000;

fuzz_target!(|data: &[u8]| {
    match open(&KEYRING, data, NOW, CONTEXT) {
        Ok(plain) => {
            // Only canonical unpadded base64url opens: one encoding per value.
            assert!(
                data.iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
            );
            assert!(!plain.contains(&0), "NUL in an opened session");
        }
        Err(OpenError::Expired { not_after, now }) => assert!(not_after < now),
        Err(_) => {}
    }

    // Whatever the bytes, sealing them opens to the same bytes, for this
    // context only.
    if !data.contains(&0) {
        let key = KEYRING.sealing_key().unwrap();
        let sealed = seal(key, data, NOW + 1, CONTEXT).unwrap();
        assert_eq!(
            open(&KEYRING, sealed.as_bytes(), NOW, CONTEXT).unwrap(),
            data
        );
        assert_eq!(
            open(&KEYRING, sealed.as_bytes(), NOW, b"other"),
            Err(OpenError::Forged)
        );
    }
});
