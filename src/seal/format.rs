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
//!   (`getrandom`), never a counter in the process's memory: two copies of
//!   one process (a VM snapshot restored twice, a CRIU checkpoint, a fork
//!   nobody told us about) share its key but draw their nonces from the
//!   kernel, which they do not share. A process key seals at most
//!   2^24 values (process_key.rs), so two of its random nonces are equal
//!   with a chance below 2^48 / 2^97 = 2^-49.
//! - The session id (16 bytes from the operating system) names the session
//!   for revocation (src/revoke.rs): it is drawn when a session begins and
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

use std::fmt;
use std::ops::Range;

use aes_gcm::aead::AeadInOut;
use aes_gcm::{KeyInit, Nonce, Tag};
use base64_simd::{Out, URL_SAFE_NO_PAD as TEXT};
use memchr::memchr;
use zeroize::Zeroizing;

use super::keyring::{KEY_ID_LEN, Keyring, SealKey};
use super::process_key::{Gcm, SALT_LEN};
use crate::revoke::{SESSION_ID_LEN, SessionId};
use rand::RngCore;
use rand::rngs::OsRng;

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

/// The key id of the value [`open_in`] just opened into `buf`: it decrypts
/// in place, and the header (version, then key id) stays at the start.
pub fn opened_key_id(buf: &[u8]) -> [u8; KEY_ID_LEN] {
    buf[1..SALT_AT].try_into().expect("KEY_ID_LEN bytes")
}

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

/// A new session id, from the operating system.
pub fn new_session_id() -> Result<SessionId, rand::Error> {
    let mut id = [0u8; SESSION_ID_LEN];
    OsRng.try_fill_bytes(&mut id)?;
    Ok(id)
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

/// Seals `plaintext` under this process's key of `key` (format v4), in
/// base64url. Fails only if the operating system gives no randomness.
pub fn seal(
    key: &SealKey,
    plaintext: &[u8],
    stamp: Stamp,
    names: &[&[u8]],
) -> Result<String, rand::Error> {
    let mut raw = vec![0; raw_len(VERSION, plaintext.len(), names)];
    seal_into(key, plaintext, stamp, names, b"", &mut raw)?;
    Ok(to_text(&raw))
}

/// The length of a value sealed in format `version` (2, 3 or 4) from
/// `plaintext_len` bytes for `names`, before base64url.
pub fn raw_len(version: u8, plaintext_len: usize, names: &[&[u8]]) -> usize {
    let layout = Layout::of(version).unwrap_or(&V4);
    layout.fixed_len + names_len(names) + plaintext_len + TAG_LEN
}

/// [`seal`], before base64url, for `context` (`SessionCryptoContext`;
/// empty for none), into `out` of exactly [`raw_len`] bytes: the httpd
/// module's buffer in the request's memory, so nothing is allocated per
/// seal. One `getrandom` for the nonce (and one more for a new session's
/// id).
pub fn seal_into(
    key: &SealKey,
    plaintext: &[u8],
    stamp: Stamp,
    names: &[&[u8]],
    context: &[u8],
    out: &mut [u8],
) -> Result<(), rand::Error> {
    let (cipher, _) = key.sealing()?;
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.try_fill_bytes(&mut nonce)?;
    let stamp = Stamp {
        session_id: Some(match stamp.session_id {
            Some(id) => id,
            None => new_session_id()?,
        }),
        ..stamp
    };
    let head = Head {
        layout: &V4,
        salt: &cipher.salt,
        nonce: &nonce,
        context,
    };
    seal_under(
        key,
        head,
        &cipher.gcm,
        &nonce.into(),
        plaintext,
        stamp,
        names,
        out,
    );
    Ok(())
}

/// [`seal_into`] in format version 3 (`SessionCryptoFormatVersion 3`), as
/// the previous release seals: the process key's counter for a nonce. It
/// carries no context (`_context`: the parameters of [`seal_into`]).
pub fn seal_v3_into(
    key: &SealKey,
    plaintext: &[u8],
    stamp: Stamp,
    names: &[&[u8]],
    _context: &[u8],
    out: &mut [u8],
) -> Result<(), rand::Error> {
    let (cipher, counter) = key.sealing()?;
    let head = Head {
        layout: &V3,
        salt: &cipher.salt,
        nonce: &counter.to_be_bytes(),
        context: b"",
    };
    let gcm = &cipher.gcm;
    seal_under(
        key,
        head,
        gcm,
        &nonce(counter),
        plaintext,
        stamp,
        names,
        out,
    );
    Ok(())
}

/// [`seal_into`] in format version 2 (`SessionCryptoFormatVersion 2`): a
/// fresh salt from the OS per value, and a key and nonce of the value's
/// own, as an earlier build seals and opens. No context either.
pub fn seal_v2_into(
    key: &SealKey,
    plaintext: &[u8],
    stamp: Stamp,
    names: &[&[u8]],
    _context: &[u8],
    out: &mut [u8],
) -> Result<(), rand::Error> {
    let mut salt = [0u8; SALT_LEN];
    OsRng.try_fill_bytes(&mut salt)?;
    seal_v2_with(key, salt, plaintext, stamp, names, out);
    Ok(())
}

fn seal_v2_with(
    key: &SealKey,
    salt: [u8; SALT_LEN],
    plaintext: &[u8],
    stamp: Stamp,
    names: &[&[u8]],
    out: &mut [u8],
) {
    let (gcm, nonce) = value_cipher(&key.value_key(&salt));
    let head = Head {
        layout: &V2,
        salt: &salt,
        nonce: &[],
        context: b"",
    };
    seal_under(key, head, &gcm, &nonce, plaintext, stamp, names, out);
}

/// The header fields that differ between versions.
#[derive(Clone, Copy)]
struct Head<'a> {
    layout: &'static Layout,
    salt: &'a [u8; SALT_LEN],
    /// The nonce field as written (the counter for version 3, nothing for
    /// version 2).
    nonce: &'a [u8],
    /// Authenticated after the header (version 4; empty for none).
    context: &'a [u8],
}

/// The length of the names field: the names joined by NUL. Cookie names
/// come from the configuration and are short; ones that do not fit the
/// length field bind to their first 64 KiB.
fn names_len(names: &[&[u8]]) -> usize {
    let joined = names.iter().map(|n| n.len() + 1).sum::<usize>();
    joined.saturating_sub(1).min(usize::from(u16::MAX))
}

/// Writes a sealed value into `out`, which holds exactly its length.
#[allow(clippy::too_many_arguments)] // the header's fields, the key, the value
fn seal_under(
    key: &SealKey,
    head: Head<'_>,
    gcm: &Gcm,
    nonce: &GcmNonce,
    plaintext: &[u8],
    stamp: Stamp,
    names: &[&[u8]],
    out: &mut [u8],
) {
    let layout = head.layout;
    let names_len = names_len(names);
    let header_len = layout.fixed_len + names_len;
    let mut at = 0;
    let mut put = |bytes: &[u8]| {
        // The names are cut at the length field's limit.
        let n = bytes.len().min(header_len - at);
        out[at..at + n].copy_from_slice(&bytes[..n]);
        at += n;
    };
    put(&[layout.version]);
    put(&key.id());
    put(head.salt);
    put(head.nonce);
    put(&stamp.not_after.to_be_bytes());
    let origin = if layout.origin_ms {
        stamp.origin_ms
    } else {
        stamp.origin_ms / 1000
    };
    put(&origin.to_be_bytes());
    if layout.session_id_at.is_some() {
        put(&stamp.session_id.unwrap_or_default());
    }
    put(&(names_len as u16).to_be_bytes());
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            put(&[0]);
        }
        put(name);
    }
    let (header, rest) = out.split_at_mut(header_len);
    let (body, tag_out) = rest.split_at_mut(plaintext.len());
    body.copy_from_slice(plaintext);
    let aad = Aad::new(header, head.context);
    let tag = gcm
        .encrypt_inout_detached(nonce, aad.bytes(), body.into())
        .expect("AES-GCM encryption of a buffer under 64 GiB cannot fail");
    tag_out.copy_from_slice(&tag);
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

/// Version 3's nonce: the counter, right-aligned.
fn nonce(counter: u64) -> GcmNonce {
    let mut n = [0u8; 12];
    n[4..].copy_from_slice(&counter.to_be_bytes());
    n.into()
}

type GcmNonce = Nonce<<Gcm as aes_gcm::AeadCore>::NonceSize>;

/// A version-2 value's cipher and nonce: its derived key material is the
/// key (32 bytes) then the nonce (12).
fn value_cipher(okm: &[u8; 44]) -> (Gcm, GcmNonce) {
    let (k, n) = okm.split_first_chunk::<32>().expect("44 bytes");
    let n: [u8; 12] = n.try_into().expect("12 bytes");
    (Gcm::new(k.into()), n.into())
}

/// The parts of a sealed value, before it is authenticated: the header's
/// fields are not to be trusted until [`open`] has checked the tag.
pub struct Parsed<'a> {
    pub header: &'a [u8],
    pub body: &'a [u8],
    pub key_id: [u8; KEY_ID_LEN],
    layout: &'static Layout,
}

/// Decodes and splits a sealed value (what opening does before any key).
pub fn parse(raw: &[u8]) -> Result<Parsed<'_>, OpenError> {
    let truncated = OpenError::Truncated { len: raw.len() };
    let Some(&version) = raw.first() else {
        return Err(truncated);
    };
    let layout = Layout::of(version).ok_or(OpenError::UnknownVersion(version))?;
    if raw.len() < layout.fixed_len + TAG_LEN {
        return Err(truncated);
    }
    let at = layout.names_len_at;
    let names_len = usize::from(u16::from_be_bytes([raw[at], raw[at + 1]]));
    if raw.len() < layout.fixed_len + names_len + TAG_LEN {
        return Err(truncated);
    }
    let (header, body) = raw.split_at(layout.fixed_len + names_len);
    Ok(Parsed {
        header,
        body,
        key_id: header[1..SALT_AT].try_into().expect("KEY_ID_LEN bytes"),
        layout,
    })
}

impl Parsed<'_> {
    /// The format version (2, 3 or 4).
    pub fn version(&self) -> u8 {
        self.layout.version
    }

    /// The cookie names the value says it was sealed for.
    pub fn names(&self) -> impl Iterator<Item = &[u8]> {
        let names = &self.header[self.layout.fixed_len..];
        names.split(|&b| b == 0).filter(move |_| !names.is_empty())
    }

    /// The header's times and session id (origin in milliseconds).
    pub fn stamp(&self) -> Stamp {
        let origin = self.u64_at(self.layout.origin_at);
        Stamp {
            not_after: self.u64_at(self.layout.not_after_at),
            origin_ms: if self.layout.origin_ms {
                origin
            } else {
                origin.saturating_mul(1000)
            },
            session_id: self.session_id(),
        }
    }

    /// The session id (version 4).
    pub fn session_id(&self) -> Option<SessionId> {
        self.layout.session_id_at.map(|at| {
            self.header[at..at + SESSION_ID_LEN]
                .try_into()
                .expect("16 bytes")
        })
    }

    fn u64_at(&self, i: usize) -> u64 {
        u64::from_be_bytes(self.header[i..i + 8].try_into().expect("8 bytes"))
    }

    fn salt(&self) -> [u8; SALT_LEN] {
        self.header[SALT_AT..SALT_AT + SALT_LEN]
            .try_into()
            .expect("SALT_LEN bytes")
    }

    /// The nonce field, as written.
    fn nonce_field(&self) -> &[u8] {
        let at = SALT_AT + SALT_LEN;
        &self.header[at..at + self.layout.nonce.len()]
    }
}

/// The length of `raw_len` bytes in unpadded base64url.
pub fn text_len(raw_len: usize) -> usize {
    TEXT.encoded_length(raw_len)
}

/// Writes `raw` in unpadded base64url into `out`, which holds exactly
/// [`text_len`] bytes.
pub fn write_text(raw: &[u8], out: &mut [u8]) {
    let written = TEXT.encode(raw, Out::from_slice(out));
    debug_assert_eq!(written.len(), out.len());
}

/// `raw` in unpadded base64url.
pub fn to_text(raw: &[u8]) -> String {
    TEXT.encode_type::<String>(raw)
}

/// The most bytes opening a value of `len` characters can need (its
/// decoded length, in either format): what the buffer of [`open_in`] and
/// [`super::open_value_in`] must hold.
pub fn open_capacity(len: usize) -> usize {
    len / 4 * 3 + 3
}

/// Decodes a sealed value's base64url, strictly, within the size cap, into
/// `buf`; returns the decoded length.
fn decode_into(sealed: &[u8], buf: &mut [u8]) -> Result<usize, OpenError> {
    if sealed.is_empty() {
        return Err(OpenError::Empty);
    }
    if sealed.len() > MAX_SEALED_LEN {
        return Err(OpenError::TooLong { len: sealed.len() });
    }
    let len = TEXT
        .decoded_length(sealed)
        .map_err(|_| OpenError::NotBase64)?;
    TEXT.decode(sealed, Out::from_slice(&mut buf[..len]))
        .map_err(|_| OpenError::NotBase64)?;
    Ok(len)
}

/// Decodes a sealed value's base64url, strictly, within the size cap, into
/// memory that is wiped when dropped.
pub fn decode(sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    let mut raw = Zeroizing::new(vec![0; open_capacity(sealed.len())]);
    let len = decode_into(sealed, &mut raw)?;
    raw.truncate(len);
    Ok(raw)
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
    let mut buf = Zeroizing::new(vec![0; open_capacity(sealed.len())]);
    let (text, stamp) = open_in(keyring, sealed, limits, names, b"", &mut buf)?;
    Ok(Opened::in_buffer(buf, text, stamp))
}

/// [`open`], decoding and decrypting in `buf` (at least
/// [`open_capacity`] bytes: the httpd module's buffer in the request's
/// memory, so the session's text is never copied): the text is
/// `buf[range]`, and the value's authenticated stamp comes with it.
/// `context` is `SessionCryptoContext` (empty for none).
pub fn open_in(
    keyring: &Keyring,
    sealed: &[u8],
    limits: Limits,
    names: &[&[u8]],
    context: &[u8],
    buf: &mut [u8],
) -> Result<(Range<usize>, Stamp), OpenError> {
    let len = decode_into(sealed, buf)?;
    let raw = &mut buf[..len];
    let parsed = parse(raw)?;
    let key = keyring
        .find(parsed.key_id)
        .ok_or(OpenError::UnknownKey(parsed.key_id))?;
    if !for_reader(&parsed, names) {
        return Err(OpenError::OtherCookie);
    }
    if !context.is_empty() && parsed.layout.version < 4 {
        return Err(OpenError::NoContext);
    }
    let (layout, salt, header_len) = (parsed.layout, parsed.salt(), parsed.header.len());
    // Trusted only once authenticated, below.
    let stamp = parsed.stamp();
    let nonce_field: [u8; NONCE_LEN] = {
        let mut n = [0u8; NONCE_LEN];
        let field = parsed.nonce_field();
        n[NONCE_LEN - field.len()..].copy_from_slice(field);
        n
    };

    // Decrypted in place: the plaintext replaces the ciphertext.
    let (header, body) = raw.split_at_mut(header_len);
    let (text, tag) = body.split_at_mut(body.len() - TAG_LEN);
    let tag: &Tag = (&*tag).try_into().expect("TAG_LEN bytes");
    let aad = Aad::new(header, context);
    match layout.nonce {
        // Version 3's counter is right-aligned in its nonce, version 4's
        // nonce is the whole field: either way, the field right-aligned.
        NonceField::Counter | NonceField::Random => {
            let (cipher, known) = key.opening(&salt);
            cipher
                .gcm
                .decrypt_inout_detached(&nonce_field.into(), aad.bytes(), text.into(), tag)
                .map_err(|_| OpenError::Forged)?;
            if !known {
                key.remember(cipher);
            }
        }
        NonceField::None => {
            let (gcm, nonce) = value_cipher(&key.value_key(&salt));
            gcm.decrypt_inout_detached(&nonce, aad.bytes(), text.into(), tag)
                .map_err(|_| OpenError::Forged)?;
        }
    }

    // The times are trustworthy from here.
    if stamp.not_after != 0 && limits.now > stamp.not_after {
        return Err(OpenError::Expired {
            not_after: stamp.not_after,
            now: limits.now,
        });
    }
    check_origin(stamp.origin_ms, limits)?;
    if memchr(0, text).is_some() {
        return Err(OpenError::NotText);
    }
    Ok((header_len..header_len + text.len(), stamp))
}

/// The absolute lifetime and the logout of everyone, against a session's
/// origin (milliseconds; the limits are whole seconds).
pub(super) fn check_origin(origin_ms: u64, limits: Limits) -> Result<(), OpenError> {
    let origin = origin_ms / 1000;
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

/// A value sealed with a given salt and nonce field: deterministic, for
/// the fixed test vectors only (reusing a salt and nonce reuses a nonce).
#[cfg(test)]
fn seal_fixed(
    key: &SealKey,
    version: u8,
    salt: [u8; SALT_LEN],
    nonce_field: &[u8],
    plaintext: &[u8],
    stamp: Stamp,
    names: &[&[u8]],
) -> String {
    let layout = Layout::of(version).expect("version 3 or 4");
    assert_eq!(nonce_field.len(), layout.nonce.len());
    let mut n = [0u8; NONCE_LEN];
    n[NONCE_LEN - nonce_field.len()..].copy_from_slice(nonce_field);
    let head = Head {
        layout,
        salt: &salt,
        nonce: nonce_field,
        context: b"",
    };
    let mut raw = vec![0; raw_len(version, plaintext.len(), names)];
    let gcm = key.process_cipher(&salt);
    seal_under(
        key,
        head,
        &gcm,
        &n.into(),
        plaintext,
        stamp,
        names,
        &mut raw,
    );
    to_text(&raw)
}

#[cfg(test)]
mod tests {
    use super::*;
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
}
