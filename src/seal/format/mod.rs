//! The sealed format, version 4 (and versions 2 and 3, which still open).
//!
//! ```text
//! sealed = base64url-nopad( header || ciphertext || tag )
//! header = version (1 byte, 0x04) || key id (4) || salt (16) || nonce (12)
//!          || not-after (8, big endian) || origin (8, big endian, milliseconds)
//!          || session id (16)
//!          || names length (2, big endian) || names (joined by NUL)
//! aad    = header || context
//! key    = HKDF-Expand(PRK of the secret, "process key" || salt)     (keyring.rs)
//! ```
//!
//! - AES-256-GCM is authenticated: any change to any byte fails as a whole,
//!   with one error, before anything is decrypted for use. There is no
//!   padding, so no padding oracle (CVE-2016-0736).
//! - The salt names the key of the process that sealed the value: each
//!   httpd process derives its key once (process_key.rs), and openers keep
//!   the keys they have met, so no key is derived per request.
//! - The nonce is 12 bytes from the operating system for every value
//!   (the C library's `getrandom()`: the system call, or the kernel's vDSO
//!   from glibc 2.41, with the same guarantees), never a counter in the
//!   process's memory: two copies of
//!   one process (a VM snapshot restored twice, a CRIU checkpoint, a fork
//!   nobody told us about) share its key but draw their nonces from the
//!   kernel, which they do not share. A process key seals at most
//!   2^24 values (process_key.rs), so two of its random nonces are equal
//!   with a chance below 2^48 / 2^97 = 2^-49.
//! - The session id (16 bytes from the operating system) names the session
//!   for revocation (src/revoke/mod.rs): it is drawn when a session begins and
//!   kept when the session is sealed again, like the origin; a new one
//!   comes with a new subject (a login as someone else).
//! - Version 3 values (a counter of 8 bytes for a nonce, origin in seconds,
//!   no session id) and version 2 values (no counter; key and nonce from
//!   HKDF-Expand(PRK, "value key" || salt) per value) open as before, so an
//!   upgrade logs nobody out; `SessionCryptoFormatVersion 2` or `3` still
//!   seals them while older nodes share the sessions. Version 1 (no
//!   origin) was never released and does not open.
//! - The key id picks the key.
//! - `not-after` (Unix seconds, 0 for none) comes from `SessionMaxAge` and is
//!   authenticated: an expired value is refused here even if its plaintext
//!   lost its own expiry field (CVE-2018-17199).
//! - `origin` is when the session was first sealed; a session re-sealed in
//!   a later request keeps it. It is what an absolute lifetime
//!   (`SessionCryptoMaxLifetime`), a logout of everyone
//!   (`SessionCryptoNotBefore`) and a subject's revocation are measured
//!   against, on every node alike, however active the user has been. In
//!   memory it is always milliseconds; versions 2 and 3 carry seconds.
//! - The context (`SessionCryptoContext`, empty unless set) is
//!   authenticated but not carried: a value sealed for one application
//!   opens only where the same context is set, even if two applications
//!   share a secret and a cookie name. Versions 2 and 3 have none: they do
//!   not open where a context is set.
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
//!
//! The code is split by direction: `seal.rs` writes values (every version
//! we still seal), `open.rs` parses, authenticates and checks them,
//! `text.rs` is their base64url text both ways; this file holds what they
//! share: the header's layout, the types and the errors.

use std::fmt;
use std::ops::Range;

use aes_gcm::{KeyInit, Nonce};
use zeroize::Zeroizing;

use super::keyring::KEY_ID_LEN;
use super::process_key::{Gcm, SALT_LEN};
use crate::revoke::{SESSION_ID_LEN, SessionId};

mod open;
mod seal;
#[cfg(test)]
mod tests;
mod text;

pub use open::{Parsed, open, open_in, opened_key_id, parse};
pub use seal::{new_session_id, raw_len, seal, seal_into, seal_v2_into, seal_v3_into};
pub use text::{decode, open_capacity, text_len, to_text, write_text};

/// The format version this code writes by default.
pub const VERSION: u8 = 4;

const TAG_LEN: usize = 16;
const NONCE_LEN: usize = 12;
const SALT_AT: usize = 1 + KEY_ID_LEN;

/// What a version's nonce field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NonceField {
    /// Version 2: none (each value has a key and nonce of its own).
    None,
    /// Version 3: an 8-byte counter of the sealing process.
    Counter,
    /// Version 4: 12 bytes from the operating system.
    Random,
}

impl NonceField {
    const fn len(self) -> usize {
        match self {
            Self::None => 0,
            Self::Counter => 8,
            Self::Random => NONCE_LEN,
        }
    }
}

/// Where a version's fields stand in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layout {
    version: u8,
    nonce: NonceField,
    not_after_at: usize,
    origin_at: usize,
    /// Whether the origin is in milliseconds (version 4) or seconds.
    origin_ms: bool,
    /// Version 4's session id.
    session_id_at: Option<usize>,
    names_len_at: usize,
    /// The fixed part of the header, before the names.
    fixed_len: usize,
}

impl Layout {
    const fn new(version: u8, nonce: NonceField, session_id: bool) -> Self {
        let nonce_at = SALT_AT + SALT_LEN;
        let not_after_at = nonce_at + nonce.len();
        let origin_at = not_after_at + 8;
        let id_at = origin_at + 8;
        let names_len_at = if session_id {
            id_at + SESSION_ID_LEN
        } else {
            id_at
        };
        Self {
            version,
            nonce,
            not_after_at,
            origin_at,
            origin_ms: session_id,
            session_id_at: if session_id { Some(id_at) } else { None },
            names_len_at,
            fixed_len: names_len_at + 2,
        }
    }

    fn of(version: u8) -> Option<&'static Self> {
        match version {
            2 => Some(&V2),
            3 => Some(&V3),
            4 => Some(&V4),
            _ => None,
        }
    }
}

const V2: Layout = Layout::new(2, NonceField::None, false);
const V3: Layout = Layout::new(3, NonceField::Counter, false);
const V4: Layout = Layout::new(4, NonceField::Random, true);

/// Longest sealed value (in base64 characters) we try to open. Browsers
/// keep cookies of at most about 4 KB; this leaves room for Cookie2 and
/// other providers without letting a client make us decode megabytes.
pub const MAX_SEALED_LEN: usize = 16 * 1024;

/// What a sealed value says of its session besides the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Unix seconds after which it does not open; 0 for never.
    pub not_after: u64,
    /// Unix milliseconds when the session was first sealed.
    pub origin_ms: u64,
    /// The session's id (version 4). Sealing version 4 without one draws a
    /// new one; versions 2 and 3 carry none.
    pub session_id: Option<SessionId>,
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

/// An opened value: the session's text (wiped when dropped) and what its
/// header says (authenticated).
#[derive(Debug, PartialEq, Eq)]
pub struct Opened {
    pub plaintext: Zeroizing<Vec<u8>>,
    pub stamp: Stamp,
}

impl Opened {
    /// The text at `buf[text]` (where [`open_in`] or
    /// [`super::open_value_in`] left it), alone in `buf`.
    pub(super) fn in_buffer(mut buf: Zeroizing<Vec<u8>>, text: Range<usize>, stamp: Stamp) -> Self {
        buf.truncate(text.end);
        buf.drain(..text.start);
        Self {
            plaintext: buf,
            stamp,
        }
    }
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
    /// Sealed in version 2 or 3, which carries no context, where
    /// `SessionCryptoContext` is set.
    NoContext,
    /// Began before `SessionCryptoNotBefore` (seconds).
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
            Self::NoContext => {
                f.write_str("sealed in format 2 or 3, which carries no SessionCryptoContext")
            }
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

/// Bytes in lower-case hex: key ids, session ids, store keys.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The associated data: the header, and after it the context if there is
/// one (copied only then: no allocation without a context).
enum Aad<'a> {
    Header(&'a [u8]),
    WithContext(Vec<u8>),
}

impl<'a> Aad<'a> {
    fn new(header: &'a [u8], context: &[u8]) -> Self {
        if context.is_empty() {
            Self::Header(header)
        } else {
            Self::WithContext([header, context].concat())
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Self::Header(h) => h,
            Self::WithContext(v) => v,
        }
    }
}

type GcmNonce = Nonce<<Gcm as aes_gcm::AeadCore>::NonceSize>;

/// A version-2 value's cipher and nonce: its derived key material is the
/// key (32 bytes) then the nonce (12).
fn value_cipher(okm: &[u8; 44]) -> (Gcm, GcmNonce) {
    let (k, n) = okm.split_first_chunk::<32>().expect("44 bytes");
    let n: [u8; 12] = n.try_into().expect("12 bytes");
    (Gcm::new(k.into()), n.into())
}
