//! What the crypto module's revocation log lines say: each event the FFI
//! layer logs (src/ffi/revocation.rs, src/ffi/revoke_header.rs), with its
//! values, written out in English by `Display`. The FFI layer picks the
//! message id and level (src/ffi/messages.rs). Session ids, and the hash
//! in a subject's entry, are shown in hex: neither opens a session nor
//! names a user.

use std::fmt;

use super::{EntryId, SessionId};
use crate::seal::hex;

/// One revocation event.
pub enum RevocationEvent<'a> {
    /// The store did not answer a lookup; the session was refused
    /// (`fail_closed`) or opened unchecked.
    StoreUnreachable { fail_closed: bool },
    /// A revocation (`why`: a logout, a back end's header) of a session
    /// sealed without an id.
    NoSessionId { why: &'a str },
    /// The session `id` revoked for `seconds`.
    SessionRevoked {
        why: &'a str,
        id: &'a SessionId,
        seconds: u64,
    },
    /// The session `id` not revoked: the store did not take the entry.
    SessionNotRevoked { why: &'a str, id: &'a SessionId },
    /// Every session of the subject `entry` begun before now revoked for
    /// `seconds`.
    SubjectRevoked { entry: &'a EntryId, seconds: u64 },
    /// The subject `entry` not revoked: the store did not take the entry.
    SubjectNotRevoked { entry: &'a EntryId },
    /// The back end's revoke header `header` sent where no store is
    /// configured.
    HeaderWithoutStore { header: &'a [u8] },
    /// The back end's revoke header `header` with a value that means
    /// nothing.
    HeaderMeaningless { header: &'a [u8] },
}

impl fmt::Display for RevocationEvent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // An entry's first byte says its kind; the rest is the hash.
        let subject = |entry: &EntryId| hex(&entry[1..]);
        match *self {
            Self::StoreUnreachable { fail_closed } => write!(
                f,
                "revocation store unreachable: sessions {} unchecked \
                 (SessionCryptoRevocationFailMode {})",
                if fail_closed { "refused," } else { "opened" },
                if fail_closed { "closed" } else { "open" }
            ),
            Self::NoSessionId { why } => write!(
                f,
                "{why}: the session has no id (sealed in format 2 or 3, or stock's): not revoked"
            ),
            Self::SessionRevoked { why, id, seconds } => {
                write!(f, "{why}: session {} revoked for {seconds} s", hex(id))
            }
            Self::SessionNotRevoked { why, id } => write!(
                f,
                "revocation store unreachable: {why}: session {} NOT revoked",
                hex(id)
            ),
            Self::SubjectRevoked { entry, seconds } => write!(
                f,
                "every session of subject {} begun before now revoked for {seconds} s",
                subject(entry)
            ),
            Self::SubjectNotRevoked { entry } => write!(
                f,
                "revocation store unreachable: subject {} NOT revoked",
                subject(entry)
            ),
            Self::HeaderWithoutStore { header } => write!(
                f,
                "{} sent, but no SessionCryptoRevocationStore is configured: nothing revoked",
                header.escape_ascii()
            ),
            Self::HeaderMeaningless { header } => write!(
                f,
                "{} must be session, subject or subject NAME: nothing revoked",
                header.escape_ascii()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{session_entry, subject_entry};
    use super::*;

    #[test]
    fn ids_and_subjects_are_shown_as_hex_only() {
        let id = [0xab; 16];
        let line = RevocationEvent::SessionRevoked {
            why: "logout",
            id: &id,
            seconds: 60,
        };
        assert_eq!(
            line.to_string(),
            format!("logout: session {} revoked for 60 s", "ab".repeat(16))
        );
        let entry = subject_entry(b"alice");
        let line = RevocationEvent::SubjectRevoked {
            entry: &entry,
            seconds: 5,
        }
        .to_string();
        assert!(!line.contains("alice"), "{line}");
        assert!(line.contains(&hex(&entry[1..])), "{line}");
        assert_ne!(session_entry(&id)[0], entry[0]);
    }

    #[test]
    fn the_fail_mode_is_named() {
        let line = |fail_closed| RevocationEvent::StoreUnreachable { fail_closed }.to_string();
        assert!(
            line(true)
                .ends_with("sessions refused, unchecked (SessionCryptoRevocationFailMode closed)")
        );
        assert!(
            line(false)
                .ends_with("sessions opened unchecked (SessionCryptoRevocationFailMode open)")
        );
    }
}
