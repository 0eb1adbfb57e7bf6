//! Sealing: a session's text into a value of format version 4 (the
//! default), 3 or 2 (`SessionCryptoFormatVersion`, while older nodes share
//! the sessions). Kept apart from opening, which trusts nothing it reads.

use aes_gcm::aead::AeadInOut;

use super::{
    Aad, GcmNonce, Layout, NONCE_LEN, Stamp, TAG_LEN, V2, V3, V4, VERSION, to_text, value_cipher,
};
use crate::revoke::{SESSION_ID_LEN, SessionId};
use crate::seal::keyring::SealKey;
use crate::seal::process_key::{Gcm, SALT_LEN};

/// A new session id, from the operating system.
pub fn new_session_id() -> Result<SessionId, getrandom::Error> {
    let mut id = [0u8; SESSION_ID_LEN];
    getrandom::fill(&mut id)?;
    Ok(id)
}

/// Seals `plaintext` under this process's key of `key` (format v4), in
/// base64url. Fails only if the operating system gives no randomness.
pub fn seal(
    key: &SealKey,
    plaintext: &[u8],
    stamp: Stamp,
    names: &[&[u8]],
) -> Result<String, getrandom::Error> {
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
) -> Result<(), getrandom::Error> {
    let (cipher, _) = key.sealing()?;
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce)?;
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
) -> Result<(), getrandom::Error> {
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
) -> Result<(), getrandom::Error> {
    let mut salt = [0u8; SALT_LEN];
    getrandom::fill(&mut salt)?;
    seal_v2_with(key, salt, plaintext, stamp, names, out);
    Ok(())
}

pub(super) fn seal_v2_with(
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

/// Version 3's nonce: the counter, right-aligned.
fn nonce(counter: u64) -> GcmNonce {
    let mut n = [0u8; 12];
    n[4..].copy_from_slice(&counter.to_be_bytes());
    n.into()
}

/// A value sealed with a given salt and nonce field: deterministic, for
/// the fixed test vectors only (reusing a salt and nonce reuses a nonce).
#[cfg(test)]
pub(super) fn seal_fixed(
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
