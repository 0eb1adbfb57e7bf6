//! Opening: parsing a sealed value's header, then authenticating and
//! decrypting it in place and checking its times and bindings. Nothing
//! the header says is trusted until the tag has been checked.

use std::ops::Range;

use aes_gcm::Tag;
use aes_gcm::aead::AeadInOut;
use memchr::memchr;
use zeroize::Zeroizing;

use super::text::decode_into;
use super::{
    Aad, Layout, Limits, NONCE_LEN, NonceField, OpenError, Opened, SALT_AT, Stamp, TAG_LEN,
    open_capacity, value_cipher,
};
use crate::revoke::{SESSION_ID_LEN, SessionId};
use crate::seal::keyring::{KEY_ID_LEN, Keyring};
use crate::seal::process_key::SALT_LEN;

/// The key id of the value [`open_in`] just opened into `buf`: it decrypts
/// in place, and the header (version, then key id) stays at the start.
pub fn opened_key_id(buf: &[u8]) -> [u8; KEY_ID_LEN] {
    buf[1..SALT_AT].try_into().expect("KEY_ID_LEN bytes")
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
    pub(super) fn nonce_field(&self) -> &[u8] {
        let at = SALT_AT + SALT_LEN;
        &self.header[at..at + self.layout.nonce.len()]
    }
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
