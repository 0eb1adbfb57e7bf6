//! Fuzzes opening sealed session values (what a client can send us), in our
//! format and in stock mod_session_crypto's, and the seal/open round trip.
//!
//! Input: the bytes of a sealed value, as they would arrive in a cookie.
//! The seed corpus holds valid values sealed under the secrets below, in
//! both formats, so the fuzzer mutates around real values, not only random
//! text.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use mod_session_cookie_rs::seal::{
    Format, Keyring, NotOpened, OpenError, Policy, StockCipher, StockFormat, open, open_value, seal,
};

/// The seeds were sealed with these secrets for cookie "session".
static KEYRING: LazyLock<Keyring> = LazyLock::new(|| {
    let mut ring = Keyring::new();
    ring.add(b"fuzzing secret number one, 32+ characters")
        .unwrap();
    ring.add(b"fuzzing secret number two, 32+ characters")
        .unwrap();
    ring
});
const NAMES: &[&[u8]] = &[b"session"];
const NOW: u64 = 1_800_000_000;
const POLICY: Policy = Policy {
    stock: StockFormat::Open,
    cipher: StockCipher::Aes256,
};

fuzz_target!(|data: &[u8]| {
    match open_value(&KEYRING, POLICY, data, NOW, NAMES) {
        Ok((plain, format)) => {
            // Only canonical base64 opens: one encoding per value, unpadded
            // base64url for ours, padded standard base64 for stock's.
            let alphabet: &[u8] = match format {
                Format::Ours => b"-_",
                Format::Stock => b"+/=",
            };
            assert!(
                data.iter()
                    .all(|b| b.is_ascii_alphanumeric() || alphabet.contains(b))
            );
            assert!(!plain.contains(&0), "NUL in an opened session");
        }
        Err(NotOpened::Ours(OpenError::Expired { not_after, now })) => assert!(not_after < now),
        Err(_) => {}
    }

    // Whatever the bytes, sealing them opens to the same bytes, for this
    // cookie name only.
    if !data.contains(&0) {
        let key = KEYRING.sealing_key().unwrap();
        let sealed = seal(key, data, NOW + 1, NAMES).unwrap();
        assert_eq!(
            open(&KEYRING, sealed.as_bytes(), NOW, NAMES).unwrap(),
            data
        );
        assert_eq!(
            open(&KEYRING, sealed.as_bytes(), NOW, &[b"other"]),
            Err(OpenError::OtherCookie)
        );
    }
});
