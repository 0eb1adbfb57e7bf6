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
    Format, FormatVersion, Keyring, Limits, NotOpened, OpenError, Policy, Stamp, StockCipher,
    StockFormat, open, open_value, seal,
};
use mod_session_cookie_rs::status::Status;

/// The seeds were sealed with these secrets for cookie "session", their
/// sessions beginning at NOW - 100 (tests/vectors/sealed_vector.py's seal).
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
/// With the origin limits on: the seeds began at NOW - 100.
const POLICY: Policy = Policy {
    stock: StockFormat::Open,
    version: FormatVersion::V4,
    cipher: StockCipher::Aes256,
    max_lifetime: Some(3600),
    not_before: Some(NOW - 1000),
    context: b"",
};
const LIMITS: Limits = Limits {
    now: NOW,
    max_lifetime: POLICY.max_lifetime,
    not_before: POLICY.not_before,
};

fuzz_target!(|data: &[u8]| {
    let got = open_value(&KEYRING, POLICY, data, NOW, NAMES);
    // No refusal's SESSION_COOKIE_STATUS word says the session opened.
    if let Err(e) = &got {
        assert!(!matches!(e.status(), Status::Ok | Status::StockFormat));
    }
    match got {
        Ok((opened, format)) => {
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
            assert!(!opened.plaintext.contains(&0), "NUL in an opened session");
            // What opens began within the limits.
            let origin = opened.stamp.origin_ms / 1000;
            assert!(origin >= NOW - 1000 && NOW - origin <= 3600);
        }
        Err(NotOpened::Ours(OpenError::Expired { not_after, now })) => assert!(not_after < now),
        Err(NotOpened::Ours(OpenError::Lifetime { age, max })) => assert!(age > max),
        Err(NotOpened::Ours(OpenError::Revoked { origin, not_before })) => {
            assert!(origin < not_before)
        }
        Err(_) => {}
    }

    // Whatever the bytes, sealing them opens to the same bytes, for this
    // cookie name only.
    if !data.contains(&0) {
        let key = KEYRING.sealing_key().unwrap();
        let stamp = Stamp {
            not_after: NOW + 1,
            origin_ms: (NOW - 100) * 1000 + 7,
            session_id: Some([3; 16]),
        };
        let sealed = seal(key, data, stamp, NAMES).unwrap();
        let opened = open(&KEYRING, sealed.as_bytes(), LIMITS, NAMES).unwrap();
        assert_eq!((opened.plaintext.as_slice(), opened.stamp), (data, stamp));
        assert_eq!(
            open(&KEYRING, sealed.as_bytes(), LIMITS, &[b"other"]),
            Err(OpenError::OtherCookie)
        );
    }
});
