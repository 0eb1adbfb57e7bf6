//! The sealed format, version 2.
//!
//! ```text
//! sealed = base64url-nopad( header || ciphertext || tag )
//! header = version (1 byte, 0x02) || key id (4) || salt (16) || not-after (8, big endian)
//!          || origin (8, big endian) || names length (2, big endian) || names (joined by NUL)
//! aad    = header
//! key, nonce = HKDF-Expand(PRK of the secret, "value key" || salt)   (keyring.rs)
//! ```
//!
//! - AES-256-GCM is authenticated: any change to any byte fails as a whole,
//!   with one error, before anything is decrypted for use. There is no
//!   padding, so no padding oracle (CVE-2016-0736).
//! - A fresh random salt per value gives a fresh key and nonce per value, so
//!   nonce reuse under one key cannot happen by random collision at any
//!   realistic volume (a bare random 96-bit nonce under one key would be
//!   unsafe well before 2^48 values).
//! - The version byte allows a future format; the key id picks the key.
//!   Version 1 (no origin) was never released and does not open.
//! - `not-after` (Unix seconds, 0 for none) comes from `SessionMaxAge` and is
//!   authenticated: an expired value is refused here even if its plaintext
//!   lost its own expiry field (CVE-2018-17199).
//! - `origin` (Unix seconds) is when the session was first sealed; a session
//!   re-sealed in a later request keeps it. It is what an absolute lifetime
//!   (`SessionCryptoMaxLifetime`) and a logout of everyone
//!   (`SessionCryptoNotBefore`) are measured against, on every node alike,
//!   however active the user has been.
//! - `names` bind the value to its use: the session cookie names it is
//!   written under (`SessionCookieName` and `SessionCookieName2` of the
//!   location that sealed it). It opens only where one of the reader's
//!   names is among them, so a value sealed for one cookie does not open as
//!   another, while one session written under two names opens wherever
//!   either is read, whatever the reading location names (a reader cannot
//!   know which other name a writer paired with its own: hence the names
//!   travel, authenticated, in the value; they are public anyway, as the
//!   cookie's own name).
//! - base64url without padding is decoded strictly (no padding, no
//!   whitespace, no non-zero trailing bits): each value has exactly one
//!   encoding, so a value with a character added or dropped does not open.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rand::rngs::OsRng;
use zeroize::Zeroizing;

use super::keyring::{KEY_ID_LEN, Keyring, SealKey};

/// The format version this code writes and reads.
pub const VERSION: u8 = 2;

const SALT_LEN: usize = 16;
const TAG_LEN: usize = 16;
/// Where not-after, origin and the names' length stand in the header.
const NOT_AFTER_AT: usize = 1 + KEY_ID_LEN + SALT_LEN;
const ORIGIN_AT: usize = NOT_AFTER_AT + 8;
const NAMES_LEN_AT: usize = ORIGIN_AT + 8;
/// The fixed part of the header, before the names.
const FIXED_LEN: usize = NAMES_LEN_AT + 2;

/// Longest sealed value (in base64 characters) we try to open. Browsers
/// keep cookies of at most about 4 KB; this leaves room for Cookie2 and
/// other providers without letting a client make us decode megabytes.
pub const MAX_SEALED_LEN: usize = 16 * 1024;

/// The times a sealed value carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Unix seconds after which it does not open; 0 for never.
    pub not_after: u64,
    /// Unix seconds when the session was first sealed.
    pub origin: u64,
}

/// What opening checks a value's times against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limits {
    /// Unix seconds.
    pub now: u64,
    /// `SessionCryptoMaxLifetime`: seconds a session may live after its
    /// origin, however active.
    pub max_lifetime: Option<u64>,
    /// `SessionCryptoNotBefore`: sessions that began earlier do not open.
    pub not_before: Option<u64>,
}

/// An opened value: the session's text (wiped when dropped) and when the
/// session began.
#[derive(Debug, PartialEq, Eq)]
pub struct Opened {
    pub plaintext: Zeroizing<Vec<u8>>,
    pub origin: u64,
}

/// Why a sealed value did not open. None of these carry secret material;
/// all of them mean "no session".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    Empty,
    TooLong {
        len: usize,
    },
    NotBase64,
    Truncated {
        len: usize,
    },
    UnknownVersion(u8),
    UnknownKey([u8; KEY_ID_LEN]),
    /// Sealed for cookie names none of which the reader uses.
    OtherCookie,
    /// Authentication failed: tampered, or under a different secret with a
    /// colliding id.
    Forged,
    Expired {
        not_after: u64,
        now: u64,
    },
    /// Older than `SessionCryptoMaxLifetime`.
    Lifetime {
        age: u64,
        max: u64,
    },
    /// Began before `SessionCryptoNotBefore`.
    Revoked {
        origin: u64,
        not_before: u64,
    },
    /// Decrypted to text with a NUL byte, which no session can hold.
    NotText,
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty value"),
            Self::TooLong { len } => {
                write!(
                    f,
                    "value of {len} characters is longer than {MAX_SEALED_LEN}"
                )
            }
            Self::NotBase64 => f.write_str("value is not canonical unpadded base64url"),
            Self::Truncated { len } => write!(f, "value of {len} bytes is too short"),
            Self::UnknownVersion(v) => write!(f, "unknown format version {v}"),
            Self::UnknownKey(id) => write!(
                f,
                "sealed with an unknown key (id {}): removed from SessionCryptoPassphrase?",
                hex(id)
            ),
            Self::OtherCookie => f.write_str("sealed for another session cookie name"),
            Self::Forged => f.write_str("authentication failed (tampered)"),
            Self::Expired { not_after, now } => {
                write!(f, "expired {} seconds ago (SessionMaxAge)", now - not_after)
            }
            Self::Lifetime { age, max } => write!(
                f,
                "session began {age} seconds ago, over SessionCryptoMaxLifetime {max}"
            ),
            Self::Revoked { origin, not_before } => write!(
                f,
                "session began at {origin}, before SessionCryptoNotBefore {not_before}"
            ),
            Self::NotText => f.write_str("decrypted value is not text"),
        }
    }
}

impl std::error::Error for OpenError {}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Seals `plaintext` under `key` with a fresh salt from the operating
/// system. The OS generator keeps no state in our process, so httpd's
/// forked children can never share a salt sequence.
pub fn seal(
    key: &SealKey,
    plaintext: &[u8],
    stamp: Stamp,
    names: &[&[u8]],
) -> Result<String, rand::Error> {
    let mut salt = [0u8; SALT_LEN];
    OsRng.try_fill_bytes(&mut salt)?;
    Ok(seal_with_salt(key, salt, plaintext, stamp, names))
}

/// [`seal`] with a given salt: deterministic, for test vectors only. Reusing
/// a salt reuses a key and nonce.
pub fn seal_with_salt(
    key: &SealKey,
    salt: [u8; SALT_LEN],
    plaintext: &[u8],
    stamp: Stamp,
    names: &[&[u8]],
) -> String {
    let names = names.join(&0);
    // Cookie names come from the configuration and are short; one that
    // does not fit the length field binds to its first 64 KiB.
    let names = &names[..names.len().min(usize::from(u16::MAX))];
    let mut header = Vec::with_capacity(FIXED_LEN + names.len());
    header.push(VERSION);
    header.extend_from_slice(&key.id());
    header.extend_from_slice(&salt);
    header.extend_from_slice(&stamp.not_after.to_be_bytes());
    header.extend_from_slice(&stamp.origin.to_be_bytes());
    header.extend_from_slice(&(names.len() as u16).to_be_bytes());
    header.extend_from_slice(names);

    let (cipher, nonce) = value_cipher(key, &salt);
    let sealed = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &header,
            },
        )
        .expect("AES-GCM encryption of an in-memory buffer cannot fail");
    header.extend_from_slice(&sealed);
    URL_SAFE_NO_PAD.encode(header)
}

/// The parts of a sealed value, before it is authenticated: the header's
/// fields are not to be trusted until [`open`] has checked the tag.
pub struct Parsed<'a> {
    pub header: &'a [u8],
    pub body: &'a [u8],
    pub key_id: [u8; KEY_ID_LEN],
}

/// Decodes and splits a sealed value (what opening does before any key).
pub fn parse(raw: &[u8]) -> Result<Parsed<'_>, OpenError> {
    let truncated = OpenError::Truncated { len: raw.len() };
    if raw.len() < FIXED_LEN + TAG_LEN {
        return Err(truncated);
    }
    if raw[0] != VERSION {
        return Err(OpenError::UnknownVersion(raw[0]));
    }
    let names_len = usize::from(u16::from_be_bytes([
        raw[NAMES_LEN_AT],
        raw[NAMES_LEN_AT + 1],
    ]));
    if raw.len() < FIXED_LEN + names_len + TAG_LEN {
        return Err(truncated);
    }
    let (header, body) = raw.split_at(FIXED_LEN + names_len);
    Ok(Parsed {
        header,
        body,
        key_id: header[1..1 + KEY_ID_LEN]
            .try_into()
            .expect("KEY_ID_LEN bytes"),
    })
}

impl Parsed<'_> {
    /// The cookie names the value says it was sealed for.
    pub fn names(&self) -> impl Iterator<Item = &[u8]> {
        let names = &self.header[FIXED_LEN..];
        names.split(|&b| b == 0).filter(move |_| !names.is_empty())
    }

    pub fn stamp(&self) -> Stamp {
        let at = |i: usize| u64::from_be_bytes(self.header[i..i + 8].try_into().expect("8 bytes"));
        Stamp {
            not_after: at(NOT_AFTER_AT),
            origin: at(ORIGIN_AT),
        }
    }
}

/// Decodes a sealed value's base64url, strictly, within the size cap.
pub fn decode(sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
    if sealed.is_empty() {
        return Err(OpenError::Empty);
    }
    if sealed.len() > MAX_SEALED_LEN {
        return Err(OpenError::TooLong { len: sealed.len() });
    }
    URL_SAFE_NO_PAD
        .decode(sealed)
        .map_err(|_| OpenError::NotBase64)
}

/// Opens a sealed value with whichever key of `keyring` its id names.
/// `names` are the reader's session cookie names, one of which the value
/// must have been sealed for (none for none); `limits` its times.
pub fn open(
    keyring: &Keyring,
    sealed: &[u8],
    limits: Limits,
    names: &[&[u8]],
) -> Result<Opened, OpenError> {
    let raw = decode(sealed)?;
    let parsed = parse(&raw)?;
    let key = keyring
        .find(parsed.key_id)
        .ok_or(OpenError::UnknownKey(parsed.key_id))?;
    if !for_reader(&parsed, names) {
        return Err(OpenError::OtherCookie);
    }
    let salt = &parsed.header[1 + KEY_ID_LEN..NOT_AFTER_AT];
    let (cipher, nonce) = value_cipher(key, salt);
    let payload = Payload {
        msg: parsed.body,
        aad: parsed.header,
    };
    let plaintext = Zeroizing::new(
        cipher
            .decrypt(Nonce::from_slice(&nonce), payload)
            .map_err(|_| OpenError::Forged)?,
    );
    // Checked only once authenticated: the times are trustworthy from here.
    let Stamp { not_after, origin } = parsed.stamp();
    if not_after != 0 && limits.now > not_after {
        return Err(OpenError::Expired {
            not_after,
            now: limits.now,
        });
    }
    check_origin(origin, limits)?;
    if plaintext.contains(&0) {
        return Err(OpenError::NotText);
    }
    Ok(Opened { plaintext, origin })
}

/// The absolute lifetime and the logout of everyone, against a session's
/// origin.
pub(super) fn check_origin(origin: u64, limits: Limits) -> Result<(), OpenError> {
    if let Some(max) = limits.max_lifetime {
        let age = limits.now.saturating_sub(origin);
        if age > max {
            return Err(OpenError::Lifetime { age, max });
        }
    }
    if let Some(not_before) = limits.not_before {
        if origin < not_before {
            return Err(OpenError::Revoked { origin, not_before });
        }
    }
    Ok(())
}

/// Whether a value is for a reader of `names`: one name in common, or
/// neither names any.
fn for_reader(parsed: &Parsed<'_>, names: &[&[u8]]) -> bool {
    let mut bound = parsed.names().peekable();
    if bound.peek().is_none() {
        return names.is_empty();
    }
    bound.any(|b| names.contains(&b))
}

fn value_cipher(key: &SealKey, salt: &[u8]) -> (Aes256Gcm, [u8; 12]) {
    let okm = key.value_key(salt);
    let (k, nonce) = okm.split_at(32);
    (
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(k)),
        nonce.try_into().expect("12 bytes"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
            origin: ORIGIN,
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
                origin: 1_799_999_000,
            };
            let s = seal_with_salt(&key, [7; 16], b"user=ada", stamp, names);
            assert_eq!(s, vector);
            let opened = open(&ring(&[SECRET]), vector.as_bytes(), at(NOW), &[b"session"]);
            let opened = opened.unwrap();
            assert_eq!(opened.plaintext.as_slice(), b"user=ada");
            assert_eq!(opened.origin, 1_799_999_000);
        }
    }
    const VECTOR_ONE_NAME: &str = "AmfAhkcHBwcHBwcHBwcHBwcHBwcHAAAAAGtJ0jwAAAAAa0nOGAAHc2Vzc2lvbiaMZl5Lh2N1uDnCITmir9K3OSFoK7thlA";
    const VECTOR_TWO_NAMES: &str = "AmfAhkcHBwcHBwcHBwcHBwcHBwcHAAAAAGtJ0jwAAAAAa0nOGAAQc2Vzc2lvbgBzZXNzaW9uMiaMZl5Lh2N1gzykIhPwy65G9cIzcrucjg";

    #[test]
    fn every_tampered_byte_is_refused() {
        let ring = ring(&[SECRET]);
        let s = sealed(&ring, b"user=ada");
        let mut raw = URL_SAFE_NO_PAD.decode(&s).unwrap();
        let names_end = FIXED_LEN + b"session".len();
        // From not-after on: the names (and their length) may no longer
        // name the reader's cookie; every other byte fails authentication.
        for i in NOT_AFTER_AT..raw.len() {
            raw[i] ^= 0x01;
            let t = URL_SAFE_NO_PAD.encode(&raw);
            let got = open(&ring, t.as_bytes(), at(NOW), &[b"session"]);
            if (NAMES_LEN_AT..names_end).contains(&i) {
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
        for version in [1, 3] {
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
        let open_with = |l| open(&ring, s.as_bytes(), l, &[b"session"]).map(|o| o.origin);
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
        raw[ORIGIN_AT + 7] ^= 0x40;
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
            Err(OpenError::Truncated { len: 1 })
        );
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
    fn no_salt_reuse_across_many_seals() {
        let ring = ring(&[SECRET]);
        let mut salts = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let raw = URL_SAFE_NO_PAD.decode(sealed(&ring, b"a=1")).unwrap();
            assert!(salts.insert(raw[1 + KEY_ID_LEN..1 + KEY_ID_LEN + SALT_LEN].to_vec()));
        }
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
}
