//! The format's tests: most seal a value and open it again (round trips,
//! fixed vectors of every version, tampering, bindings, limits), so they
//! test sealing and opening together and live beside both.

use super::seal::{seal_fixed, seal_v2_with};
use super::*;
use crate::seal::keyring::{Keyring, SealKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

const SECRET: &[u8] = b"correct horse battery staple, 32+";
const NOW: u64 = 1_800_000_000;

fn ring(secrets: &[&[u8]]) -> Keyring {
    let mut ring = Keyring::new();
    for s in secrets {
        ring.add(s).unwrap();
    }
    ring
}

const ORIGIN: u64 = NOW - 100;

fn stamp(not_after: u64) -> Stamp {
    Stamp {
        not_after,
        origin_ms: ORIGIN * 1000,
        session_id: None,
    }
}

fn at(now: u64) -> Limits {
    Limits {
        now,
        ..Limits::default()
    }
}

fn sealed(ring: &Keyring, text: &[u8]) -> String {
    seal(
        ring.sealing_key().unwrap(),
        text,
        stamp(NOW + 60),
        &[b"session"],
    )
    .unwrap()
}

#[test]
fn round_trip() {
    let ring = ring(&[SECRET]);
    for text in [&b""[..], b"user=ada&expiry=1", &[b'x'; 4096][..]] {
        let s = sealed(&ring, text);
        assert_eq!(
            open(&ring, s.as_bytes(), at(NOW), &[b"session"])
                .unwrap()
                .plaintext
                .as_slice(),
            text
        );
    }
}

/// Fixed vectors, computed independently with Python's `cryptography`
/// (tests/vectors/sealed_vector.py) from the layout above. The format
/// must not change silently: a change logs every user out.
#[test]
fn test_vectors() {
    let key = SealKey::from_secret(SECRET);
    for (names, vector) in [
        (&[&b"session"[..]][..], VECTOR_ONE_NAME),
        (&[b"session", b"session2"], VECTOR_TWO_NAMES),
    ] {
        let stamp = Stamp {
            not_after: 1_800_000_060,
            origin_ms: 1_799_999_000_000,
            session_id: None,
        };
        let s = seal_fixed(
            &key,
            3,
            [7; 16],
            &5u64.to_be_bytes(),
            b"user=ada",
            stamp,
            names,
        );
        assert_eq!(s, vector);
        let opened = open(&ring(&[SECRET]), vector.as_bytes(), at(NOW), &[b"session"]);
        let opened = opened.unwrap();
        assert_eq!(opened.plaintext.as_slice(), b"user=ada");
        assert_eq!(opened.stamp, stamp);
    }
}

/// Version 4's fixed vectors, computed independently in the same way
/// (tests/vectors/sealed_vector.py --version 4).
#[test]
fn version_4_vectors() {
    let key = SealKey::from_secret(SECRET);
    let stamp = Stamp {
        not_after: 1_800_000_060,
        origin_ms: 1_799_999_000_123,
        session_id: Some([0x42; 16]),
    };
    for (names, vector) in [
        (&[&b"session"[..]][..], V4_ONE_NAME),
        (&[b"session", b"session2"], V4_TWO_NAMES),
    ] {
        let s = seal_fixed(&key, 4, [7; 16], &[9; 12], b"user=ada", stamp, names);
        assert_eq!(s, vector);
        let opened = open(&ring(&[SECRET]), vector.as_bytes(), at(NOW), &[b"session"]);
        let opened = opened.unwrap();
        assert_eq!(opened.plaintext.as_slice(), b"user=ada");
        assert_eq!(opened.stamp, stamp);
        let raw = decode(vector.as_bytes()).unwrap();
        let parsed = parse(&raw).unwrap();
        assert_eq!(
            (parsed.version(), parsed.session_id()),
            (4, Some([0x42; 16]))
        );
    }
}
const V4_ONE_NAME: &str = "BGfAhkcHBwcHBwcHBwcHBwcHBwcHCQkJCQkJCQkJCQkJAAAAAGtJ0jwAAAGjGE0OO0JCQkJCQkJCQkJCQkJCQkIAB3Nlc3Npb2422GGpq7eK1LIRt9_2BN4QThbfjuo37Z8";
const V4_TWO_NAMES: &str = "BGfAhkcHBwcHBwcHBwcHBwcHBwcHCQkJCQkJCQkJCQkJAAAAAGtJ0jwAAAGjGE0OO0JCQkJCQkJCQkJCQkJCQkIAEHNlc3Npb24Ac2Vzc2lvbjI22GGpq7eK1FWpzOFOc9IyvZ5fu-b9mvA";

/// Sealing keeps the session id it is given and draws one otherwise;
/// every seal draws its own nonce.
#[test]
fn session_ids_and_nonces() {
    let ring = ring(&[SECRET]);
    let key = ring.sealing_key().unwrap();
    let kept = Stamp {
        session_id: Some([5; 16]),
        ..stamp(0)
    };
    let a = decode(seal(key, b"a=1", kept, &[b"session"]).unwrap().as_bytes()).unwrap();
    let b = decode(seal(key, b"a=1", kept, &[b"session"]).unwrap().as_bytes()).unwrap();
    let (pa, pb) = (parse(&a).unwrap(), parse(&b).unwrap());
    assert_eq!(
        (pa.session_id(), pb.session_id()),
        (Some([5; 16]), Some([5; 16]))
    );
    assert_ne!(pa.nonce_field(), pb.nonce_field());
    let fresh = decode(
        seal(key, b"a=1", stamp(0), &[b"session"])
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    let id = parse(&fresh).unwrap().session_id().unwrap();
    assert_ne!(id, [5; 16]);
    assert_ne!(id, [0; 16]);
}
const VECTOR_ONE_NAME: &str = "A2fAhkcHBwcHBwcHBwcHBwcHBwcHAAAAAAAAAAUAAAAAa0nSPAAAAABrSc4YAAdzZXNzaW9ubv4MI_wiPxqlLtUCb4t2fSmCIMUA9aUH";
const VECTOR_TWO_NAMES: &str = "A2fAhkcHBwcHBwcHBwcHBwcHBwcHAAAAAAAAAAUAAAAAa0nSPAAAAABrSc4YABBzZXNzaW9uAHNlc3Npb24ybv4MI_wiPxoPnmzjQ4YH_QmyaAnMfXaN";

/// Values of version 2, sealed by the previous release (the same
/// vectors it was tested with), still open: upgrading logs nobody out.
#[test]
fn version_2_values_still_open() {
    for vector in [V2_ONE_NAME, V2_TWO_NAMES] {
        let opened = open(&ring(&[SECRET]), vector.as_bytes(), at(NOW), &[b"session"]);
        let opened = opened.unwrap();
        assert_eq!(opened.plaintext.as_slice(), b"user=ada");
        assert_eq!(opened.stamp.origin_ms, 1_799_999_000_000);
        assert_eq!(opened.stamp.session_id, None);
        let raw = decode(vector.as_bytes()).unwrap();
        assert_eq!(parse(&raw).unwrap().version(), 2);
    }
    // Tampered, one still fails as a whole.
    let mut raw = decode(V2_ONE_NAME.as_bytes()).unwrap();
    let last = raw.len() - 1;
    raw[last] ^= 1;
    let t = URL_SAFE_NO_PAD.encode(&raw);
    assert_eq!(
        open(&ring(&[SECRET]), t.as_bytes(), at(NOW), &[b"session"]),
        Err(OpenError::Forged)
    );
}
#[test]
fn version_2_sealing_is_the_previous_release_s() {
    let key = SealKey::from_secret(SECRET);
    let stamp = Stamp {
        not_after: 1_800_000_060,
        origin_ms: 1_799_999_000_000,
        session_id: None,
    };
    for (names, vector) in [
        (&[&b"session"[..]][..], V2_ONE_NAME),
        (&[b"session", b"session2"], V2_TWO_NAMES),
    ] {
        let mut raw = vec![0; raw_len(2, 8, names)];
        seal_v2_with(&key, [7; 16], b"user=ada", stamp, names, &mut raw);
        assert_eq!(to_text(&raw), vector);
    }
    let mut raw = vec![0; raw_len(2, 3, &[b"session"])];
    seal_v2_into(&key, b"a=1", stamp, &[b"session"], b"", &mut raw).unwrap();
    let fresh = to_text(&raw);
    let opened = open(&ring(&[SECRET]), fresh.as_bytes(), at(NOW), &[b"session"]);
    assert_eq!(opened.unwrap().plaintext.as_slice(), b"a=1");
    assert_eq!(decode(fresh.as_bytes()).unwrap()[0], 2);
}

const V2_ONE_NAME: &str = "AmfAhkcHBwcHBwcHBwcHBwcHBwcHAAAAAGtJ0jwAAAAAa0nOGAAHc2Vzc2lvbiaMZl5Lh2N1uDnCITmir9K3OSFoK7thlA";
const V2_TWO_NAMES: &str = "AmfAhkcHBwcHBwcHBwcHBwcHBwcHAAAAAGtJ0jwAAAAAa0nOGAAQc2Vzc2lvbgBzZXNzaW9uMiaMZl5Lh2N1gzykIhPwy65G9cIzcrucjg";

#[test]
fn every_tampered_byte_is_refused() {
    let ring = ring(&[SECRET]);
    let s = sealed(&ring, b"user=ada");
    let mut raw = URL_SAFE_NO_PAD.decode(&s).unwrap();
    let names_end = V4.fixed_len + b"session".len();
    // From the salt on: the names (and their length) may no longer
    // name the reader's cookie; every other byte fails authentication
    // (a changed salt or nonce is another key or nonce).
    for i in SALT_AT..raw.len() {
        raw[i] ^= 0x01;
        let t = URL_SAFE_NO_PAD.encode(&raw);
        let got = open(&ring, t.as_bytes(), at(NOW), &[b"session"]);
        if (V4.names_len_at..names_end).contains(&i) {
            assert!(got.is_err(), "byte {i}: {got:?}");
        } else {
            assert_eq!(got, Err(OpenError::Forged), "byte {i}");
        }
        raw[i] ^= 0x01;
    }
}

#[test]
fn header_tampering_is_refused() {
    let ring = ring(&[SECRET]);
    let mut raw = URL_SAFE_NO_PAD.decode(sealed(&ring, b"a=1")).unwrap();
    // Version 1 (never released) and unknown later ones do not open.
    for version in [1, 5] {
        raw[0] = version;
        let t = URL_SAFE_NO_PAD.encode(&raw);
        assert_eq!(
            open(&ring, t.as_bytes(), at(NOW), &[b"session"]),
            Err(OpenError::UnknownVersion(version))
        );
    }
    raw[0] = VERSION;
    raw[1] ^= 0xff;
    let t = URL_SAFE_NO_PAD.encode(&raw);
    assert!(matches!(
        open(&ring, t.as_bytes(), at(NOW), &[b"session"]),
        Err(OpenError::UnknownKey(_))
    ));
    raw[1] ^= 0xff;
    raw[10] ^= 0x01; // salt
    let t = URL_SAFE_NO_PAD.encode(&raw);
    assert_eq!(
        open(&ring, t.as_bytes(), at(NOW), &[b"session"]),
        Err(OpenError::Forged)
    );
}

#[test]
fn bound_to_its_cookie_names() {
    let ring = ring(&[SECRET]);
    let s = sealed(&ring, b"a=1");
    for other in [&[&b"other"[..]][..], &[], &[b"session2"]] {
        assert_eq!(
            open(&ring, s.as_bytes(), at(NOW), other),
            Err(OpenError::OtherCookie)
        );
    }
    // A reader naming two cookies opens what was sealed for either.
    assert!(open(&ring, s.as_bytes(), at(NOW), &[b"session2", b"session"]).is_ok());
    // Sealed where two names are set: opens where either is read.
    let key = ring.sealing_key().unwrap();
    let both = seal(key, b"a=1", stamp(0), &[b"session", b"session2"]).unwrap();
    for reader in [&[&b"session"[..]][..], &[b"session2"], &[b"x", b"session2"]] {
        assert!(open(&ring, both.as_bytes(), at(NOW), reader).is_ok());
    }
    assert_eq!(
        open(&ring, both.as_bytes(), at(NOW), &[b"session3"]),
        Err(OpenError::OtherCookie)
    );
    // No cookie names (another session provider) on both sides.
    let unbound = seal(key, b"a=1", stamp(0), &[]).unwrap();
    assert!(open(&ring, unbound.as_bytes(), at(NOW), &[]).is_ok());
    assert_eq!(
        open(&ring, unbound.as_bytes(), at(NOW), &[b"session"]),
        Err(OpenError::OtherCookie)
    );
}

#[test]
fn expiry_is_enforced_after_authentication() {
    let ring = ring(&[SECRET]);
    let s = sealed(&ring, b"a=1");
    assert!(open(&ring, s.as_bytes(), at(NOW + 60), &[b"session"]).is_ok());
    assert_eq!(
        open(&ring, s.as_bytes(), at(NOW + 61), &[b"session"]),
        Err(OpenError::Expired {
            not_after: NOW + 60,
            now: NOW + 61
        })
    );
    let forever = seal(ring.sealing_key().unwrap(), b"a=1", stamp(0), &[b"session"]).unwrap();
    assert!(open(&ring, forever.as_bytes(), at(u64::MAX), &[b"session"]).is_ok());
}

#[test]
fn encoding_is_strict() {
    let ring = ring(&[SECRET]);
    let s = sealed(&ring, b"a=1");
    for bad in [
        format!("{s}A"),
        s[..s.len() - 1].to_string(),
        format!("{s}="),
        format!(" {s}"),
    ] {
        let got = open(&ring, bad.as_bytes(), at(NOW), &[b"session"]);
        assert!(
            matches!(got, Err(OpenError::NotBase64 | OpenError::Forged)),
            "{bad}: {got:?}"
        );
    }
    let std_alphabet = s.replace('-', "+").replace('_', "/");
    if std_alphabet != s {
        assert_eq!(
            open(&ring, std_alphabet.as_bytes(), at(NOW), &[b"session"]),
            Err(OpenError::NotBase64)
        );
    }
}

#[test]
fn absolute_lifetime_and_not_before_count_from_the_origin() {
    let ring = ring(&[SECRET]);
    let s = sealed(&ring, b"a=1"); // origin NOW - 100
    let limits = |max_lifetime, not_before| Limits {
        now: NOW,
        max_lifetime,
        not_before,
    };
    let open_with =
        |l| open(&ring, s.as_bytes(), l, &[b"session"]).map(|o| o.stamp.origin_ms / 1000);
    assert_eq!(open_with(limits(Some(100), None)), Ok(ORIGIN));
    assert_eq!(
        open_with(limits(Some(99), None)),
        Err(OpenError::Lifetime { age: 100, max: 99 })
    );
    assert_eq!(open_with(limits(None, Some(ORIGIN))), Ok(ORIGIN));
    assert_eq!(
        open_with(limits(None, Some(ORIGIN + 1))),
        Err(OpenError::Revoked {
            origin: ORIGIN,
            not_before: ORIGIN + 1
        })
    );
    // The origin is authenticated: changing it forges the value.
    let mut raw = URL_SAFE_NO_PAD.decode(&s).unwrap();
    raw[V4.origin_at + 7] ^= 0x40;
    let t = URL_SAFE_NO_PAD.encode(&raw);
    assert_eq!(
        open(&ring, t.as_bytes(), limits(Some(100), None), &[b"session"]),
        Err(OpenError::Forged)
    );
}

#[test]
fn degenerate_values() {
    let ring = ring(&[SECRET]);
    assert_eq!(open(&ring, b"", at(NOW), &[b""]), Err(OpenError::Empty));
    assert_eq!(
        open(&ring, b"&=", at(NOW), &[b""]),
        Err(OpenError::NotBase64)
    );
    assert_eq!(
        open(&ring, b"AQ", at(NOW), &[b""]),
        Err(OpenError::UnknownVersion(1))
    );
    for version_only in ["Aw", "Ag"] {
        assert_eq!(
            open(&ring, version_only.as_bytes(), at(NOW), &[b""]),
            Err(OpenError::Truncated { len: 1 })
        );
    }
    let long = vec![b'A'; MAX_SEALED_LEN + 1];
    assert_eq!(
        open(&ring, &long, at(NOW), &[b""]),
        Err(OpenError::TooLong {
            len: MAX_SEALED_LEN + 1
        })
    );
}

#[test]
fn rotation() {
    let old: &[u8] = b"the old secret, long enough to pass";
    let new: &[u8] = b"the new secret, long enough to pass";
    let before = sealed(&ring(&[old]), b"a=1");
    // Step 1: new secret added as opener, old still seals.
    let during = ring(&[old, new]);
    assert!(open(&during, before.as_bytes(), at(NOW), &[b"session"]).is_ok());
    // Step 2: new secret seals, old still opens.
    let after = ring(&[new, old]);
    assert!(open(&after, before.as_bytes(), at(NOW), &[b"session"]).is_ok());
    let fresh = sealed(&after, b"a=1");
    assert!(open(&during, fresh.as_bytes(), at(NOW), &[b"session"]).is_ok());
    // Step 3: old secret removed: its values no longer open.
    let done = ring(&[new]);
    assert!(matches!(
        open(&done, before.as_bytes(), at(NOW), &[b"session"]),
        Err(OpenError::UnknownKey(_))
    ));
    assert!(open(&done, fresh.as_bytes(), at(NOW), &[b"session"]).is_ok());
}

#[test]
fn no_nonce_reuse_across_many_seals_and_key_changes() {
    let ring = ring(&[SECRET]);
    let mut nonces = std::collections::HashSet::new();
    let mut salts = std::collections::HashSet::new();
    for _ in 0..10_000 {
        let raw = decode(sealed(&ring, b"a=1").as_bytes()).unwrap();
        let salt = &raw[SALT_AT..SALT_AT + SALT_LEN];
        let nonce = &raw[SALT_AT + SALT_LEN..V4.not_after_at];
        assert!(nonces.insert((salt.to_vec(), nonce.to_vec())));
        salts.insert(salt.to_vec());
    }
    // The process key changed every SEALS_PER_KEY (1000 under test).
    assert_eq!(salts.len(), 10);
}

#[test]
fn values_of_other_processes_open_and_their_keys_are_kept() {
    let ring = ring(&[SECRET]);
    let other = ring.sealing_key().unwrap();
    let value = seal_fixed(other, 4, [9; 16], &[0; 12], b"a=1", stamp(0), &[b"session"]);
    assert!(open(&ring, value.as_bytes(), at(NOW), &[b"session"]).is_ok());
    assert!(other.opening(&[9; 16]).1, "kept after opening");
    // A forged value under an unknown salt is not kept.
    let forged = seal_fixed(other, 4, [8; 16], &[0; 12], b"a=1", stamp(0), &[b"session"]);
    let mut raw = decode(forged.as_bytes()).unwrap();
    let last = raw.len() - 1;
    raw[last] ^= 1;
    let t = URL_SAFE_NO_PAD.encode(&raw);
    assert_eq!(
        open(&ring, t.as_bytes(), at(NOW), &[b"session"]),
        Err(OpenError::Forged)
    );
    assert!(!other.opening(&[8; 16]).1);
}

#[test]
fn errors_show_no_secret_material() {
    let ring = ring(&[SECRET]);
    let s = sealed(&ring, b"user=ada");
    let mut raw = URL_SAFE_NO_PAD.decode(&s).unwrap();
    raw[1] ^= 1;
    let err = open(
        &ring,
        URL_SAFE_NO_PAD.encode(&raw).as_bytes(),
        at(NOW),
        &[b"session"],
    )
    .unwrap_err();
    let shown = err.to_string();
    assert!(
        !shown.contains("ada") && !shown.contains("correct horse"),
        "{shown}"
    );
}

/// A value is bound to its application's context: it opens under the
/// same one only, and versions 2 and 3, which carry none, do not open
/// where one is set.
#[test]
fn bound_to_its_context() {
    let ring = ring(&[SECRET]);
    let key = ring.sealing_key().unwrap();
    let mut raw = vec![0; raw_len(4, 3, &[b"session"])];
    seal_into(key, b"a=1", stamp(0), &[b"session"], b"app-a", &mut raw).unwrap();
    let value = to_text(&raw);
    let open_under = |value: &str, context: &[u8]| {
        let mut buf = vec![0; open_capacity(value.len())];
        open_in(
            &ring,
            value.as_bytes(),
            at(NOW),
            &[b"session"],
            context,
            &mut buf,
        )
        .map(|(text, _)| buf[text].to_vec())
    };
    assert_eq!(open_under(&value, b"app-a"), Ok(b"a=1".to_vec()));
    assert_eq!(open_under(&value, b"app-b"), Err(OpenError::Forged));
    assert_eq!(open_under(&value, b""), Err(OpenError::Forged));
    // Without a context, values sealed without one open as before.
    let plain = sealed(&ring, b"a=1");
    assert_eq!(open_under(&plain, b""), Ok(b"a=1".to_vec()));
    assert_eq!(open_under(&plain, b"app-a"), Err(OpenError::Forged));
    assert_eq!(
        open_under(VECTOR_ONE_NAME, b"app-a"),
        Err(OpenError::NoContext)
    );
}
