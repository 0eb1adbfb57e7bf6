//! Revocation: what ends a session before its cookie would stop opening.
//!
//! A sealed value of format version 4 carries a random session id
//! (seal/format/). A revocation store, one of httpd's `mod_socache` providers
//! (`shmcb`, `memcache`, `redis`), holds two kinds of entry, and nothing
//! else, never session data:
//! - a **session entry** for an id that was logged out: the value with that
//!   id no longer opens, wherever it was copied to;
//! - a **subject entry** for a user (the session entry named by
//!   `SessionCryptoSubjectKey`) with a time: every session of that user
//!   that began before it no longer opens ("log out everywhere").
//!
//! Entries expire by themselves, once no value they refuse could open
//! anyway, and at the latest after [`MAX_ENTRY_SECONDS`]. The module writes
//! and reads them through mod_socache (shim/revocation_store.c); the admin
//! CLI writes the same keys to memcached or redis directly, so this file
//! is where both learn what an entry is.

mod report;

use sha2::{Digest, Sha256};

use crate::seal::hex;
use crate::session::{Entry, buffer_len, decode};

pub use report::RevocationEvent;

/// The namespace the module gives mod_socache: the memcache and redis
/// providers prefix every key with it and a colon (mod_socache_memcache.c,
/// mod_socache_redis.c: `namespace ":" hex(id)`). It must match
/// `SCR_REVOKE_NAMESPACE` in shim/revocation_store.h (a test checks).
pub const STORE_NAMESPACE: &str = "scr-revoke";

/// Length of a session id (random, from the operating system).
pub const SESSION_ID_LEN: usize = 16;

/// A session id.
pub type SessionId = [u8; SESSION_ID_LEN];

/// How long an entry may live: memcached reads an expiry of more than 30
/// days as an absolute Unix time (so one of 31 days would be long past and
/// the entry gone at once), and the memcache provider passes relative
/// seconds. Revocations are kept as long as this at most, on every store.
pub const MAX_ENTRY_SECONDS: u64 = 30 * 24 * 3600;

/// The id of an entry in the store (mod_socache's binary id): a kind byte
/// and 16 bytes.
pub type EntryId = [u8; 17];

/// The store entry of a logged-out session: `s` and its id.
pub fn session_entry(id: &SessionId) -> EntryId {
    let mut entry = [0; 17];
    entry[0] = b's';
    entry[1..].copy_from_slice(id);
    entry
}

/// The store entry of a subject (user name): `u` and the first 16 bytes of
/// SHA-256 of the name, so the store holds no user names.
pub fn subject_entry(subject: &[u8]) -> EntryId {
    let digest = Sha256::digest(subject);
    let mut entry = [0; 17];
    entry[0] = b'u';
    entry[1..].copy_from_slice(&digest[..16]);
    entry
}

/// The key memcached and redis see for `entry`: the namespace, a colon and
/// the entry in lower-case hex (httpd's `ap_bin2hex`).
pub fn store_key(entry: &EntryId) -> String {
    format!("{STORE_NAMESPACE}:{}", hex(entry))
}

/// An entry's value: when the revocation was made, Unix milliseconds, big
/// endian. For a subject entry, sessions that began before it are revoked.
pub fn entry_value(revoked_at_ms: u64) -> [u8; 8] {
    revoked_at_ms.to_be_bytes()
}

/// The time in an entry's value; `None` if it is not 8 bytes (not ours).
pub fn entry_time(value: &[u8]) -> Option<u64> {
    value.try_into().ok().map(u64::from_be_bytes)
}

/// Whether a session that began at `origin_ms` is revoked by a subject
/// entry made at `revoked_at_ms`: it began strictly before. A login right
/// after a "log out everywhere" begins at or after it, and opens.
pub fn subject_revokes(revoked_at_ms: u64, origin_ms: u64) -> bool {
    origin_ms < revoked_at_ms
}

/// Seconds a session entry must live: until the revoked value could no
/// longer open anyway (its not-after, or its origin plus
/// `SessionCryptoMaxLifetime`, whichever comes first), at most
/// [`MAX_ENTRY_SECONDS`], at least one.
pub fn session_entry_seconds(
    now: u64,
    not_after: u64,
    origin_ms: u64,
    max_lifetime: Option<u64>,
) -> u64 {
    let mut until = now.saturating_add(MAX_ENTRY_SECONDS);
    if not_after != 0 {
        until = until.min(not_after);
    }
    if let Some(max) = max_lifetime {
        until = until.min((origin_ms / 1000).saturating_add(max));
    }
    until.saturating_sub(now).max(1)
}

/// Seconds a subject entry must live: as long as a session begun before it
/// could still be re-sealed, which is `SessionCryptoMaxLifetime` (the
/// configtest warning SCR0215 says when it is not set), at most
/// [`MAX_ENTRY_SECONDS`].
pub fn subject_entry_seconds(max_lifetime: Option<u64>) -> u64 {
    max_lifetime
        .unwrap_or(MAX_ENTRY_SECONDS)
        .clamp(1, MAX_ENTRY_SECONDS)
}

/// What a back end asks for in `SessionCryptoRevokeHeader`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeRequest<'a> {
    /// `session`: this request's session, as a logout does.
    Session,
    /// `subject`: every session of this request's subject that began
    /// before now ("log out everywhere", after a password change).
    Subject,
    /// `subject NAME`: every session of that subject (an admin back end).
    SubjectNamed(&'a [u8]),
}

impl<'a> RevokeRequest<'a> {
    /// Reads a header value; `None` if it is none of the three forms.
    /// Keywords ignore ASCII case; the name is taken as sent, after the
    /// one space (or tab) that ends the keyword and any that follow it.
    pub fn parse(value: &'a [u8]) -> Option<Self> {
        let value = value.trim_ascii();
        if value.eq_ignore_ascii_case(b"session") {
            return Some(Self::Session);
        }
        if value.eq_ignore_ascii_case(b"subject") {
            return Some(Self::Subject);
        }
        let (word, rest) = value.split_at_checked(7)?;
        let name = rest
            .strip_prefix(b" ")
            .or_else(|| rest.strip_prefix(b"\t"))?
            .trim_ascii_start();
        (word.eq_ignore_ascii_case(b"subject") && !name.is_empty())
            .then_some(Self::SubjectNamed(name))
    }
}

/// The value of `key` in a session's text (mod_session's encoding), as
/// mod_session would decode it: keys ignore ASCII case (httpd's tables do),
/// a later pair replaces an earlier one and an empty value unsets it.
pub fn subject_of(text: &[u8], key: &[u8]) -> Option<Vec<u8>> {
    let mut buf = vec![0; buffer_len(text.len())];
    let mut subject = None;
    decode(text, &mut buf, |entry| match entry {
        Entry::Set(k, v) if k.bytes().eq_ignore_ascii_case(key) => {
            subject = Some(v.bytes().to_vec());
        }
        Entry::Unset(k) if k.bytes().eq_ignore_ascii_case(key) => subject = None,
        _ => {}
    });
    subject
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_and_their_keys() {
        let id = [0xab; SESSION_ID_LEN];
        assert_eq!(
            store_key(&session_entry(&id)),
            format!("scr-revoke:73{}", "ab".repeat(16))
        );
        // SHA-256("alice") = 2bd806c9 7f0e00af 1a1fc332 8fa763a9 ...
        assert_eq!(
            store_key(&subject_entry(b"alice")),
            "scr-revoke:752bd806c97f0e00af1a1fc3328fa763a9"
        );
        assert_eq!(
            entry_time(&entry_value(1_800_000_000_123)),
            Some(1_800_000_000_123)
        );
        assert_eq!(entry_time(b"short"), None);
    }

    /// The namespace the C side hands mod_socache is this one.
    #[test]
    fn namespace_matches_the_shim() {
        let header = include_str!("../../shim/revocation_store.h");
        assert!(
            header.contains(&format!(
                "#define SCR_REVOKE_NAMESPACE \"{STORE_NAMESPACE}\""
            )),
            "shim/revocation_store.h names another namespace"
        );
        // mod_socache's limit: the namespace, its colon and NUL in 16 bytes.
        assert!(STORE_NAMESPACE.len() + 2 <= 16);
    }

    #[test]
    fn a_subject_entry_revokes_what_began_before_it() {
        assert!(subject_revokes(2_000, 1_999));
        assert!(!subject_revokes(2_000, 2_000));
        assert!(!subject_revokes(2_000, 2_001));
    }

    #[test]
    fn entry_lifetimes() {
        let now = 1_800_000_000;
        // Until its not-after.
        assert_eq!(session_entry_seconds(now, now + 600, now * 1000, None), 600);
        // Or its origin plus the absolute lifetime, if sooner.
        assert_eq!(
            session_entry_seconds(now, now + 600, (now - 100) * 1000, Some(300)),
            200
        );
        // Never past the cap, never below a second.
        assert_eq!(
            session_entry_seconds(now, 0, now * 1000, None),
            MAX_ENTRY_SECONDS
        );
        assert_eq!(session_entry_seconds(now, now - 5, now * 1000, None), 1);
        assert_eq!(subject_entry_seconds(Some(3600)), 3600);
        assert_eq!(subject_entry_seconds(None), MAX_ENTRY_SECONDS);
        assert_eq!(subject_entry_seconds(Some(u64::MAX)), MAX_ENTRY_SECONDS);
    }

    #[test]
    fn header_values() {
        assert_eq!(
            RevokeRequest::parse(b"session"),
            Some(RevokeRequest::Session)
        );
        assert_eq!(
            RevokeRequest::parse(b" Subject "),
            Some(RevokeRequest::Subject)
        );
        assert_eq!(
            RevokeRequest::parse(b"subject  bob smith"),
            Some(RevokeRequest::SubjectNamed(b"bob smith"))
        );
        for bad in [&b""[..], b"sessions", b"subjectbob", b"everyone"] {
            assert_eq!(RevokeRequest::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_subject_is_read_as_mod_session_decodes() {
        let key = b"AuthName-user";
        assert_eq!(
            subject_of(b"a=1&AuthName-user=al%20ice", key),
            Some(b"al ice".to_vec())
        );
        assert_eq!(
            subject_of(b"authname-USER=bob&x=1", key),
            Some(b"bob".to_vec())
        );
        assert_eq!(
            subject_of(b"AuthName-user=bob&AuthName-user=eve", key),
            Some(b"eve".to_vec())
        );
        assert_eq!(subject_of(b"AuthName-user=bob&AuthName-user=", key), None);
        assert_eq!(subject_of(b"user=bob", key), None);
        assert_eq!(subject_of(b"", key), None);
    }
}
