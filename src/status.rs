//! The status words: what became of a request's session cookie, as
//! `SESSION_COOKIE_STATUS` tells logs, `<If>` and CGI (docs/operations.md,
//! "Status words"), and as the counters count it.
//!
//! A word is a [`Status`], not a string, from where it is decided to where
//! it is counted: the counters index by it without comparing text.

use std::ffi::CStr;

/// One status word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    /// A session came and is used.
    Ok,
    /// No session cookie came (or an empty one).
    Absent,
    /// A sealed value past its expiry.
    Expired,
    /// A sealed value older than `SessionCryptoMaxLifetime`.
    Lifetime,
    /// A sealed value begun before `SessionCryptoNotBefore`, or logged out
    /// (the revocation store).
    Revoked,
    /// A sealed value the revocation store could not be asked about
    /// (opened or refused, by `SessionCryptoRevocationFailMode`).
    Unchecked,
    /// A sealed value whose tag does not verify.
    Forged,
    /// A sealed value under a key id no secret here has.
    UnknownKey,
    /// A value of neither sealed format, or chunk parts beyond the count.
    Malformed,
    /// The session cookie sent twice with different values.
    Duplicate,
    /// A chunked session with parts missing.
    Incomplete,
    /// A value opened from stock mod_session_crypto's format.
    StockFormat,
}

impl Status {
    /// Every word, in the order the counters show them.
    pub const ALL: [Status; 12] = [
        Self::Ok,
        Self::Absent,
        Self::Expired,
        Self::Lifetime,
        Self::Revoked,
        Self::Unchecked,
        Self::Forged,
        Self::UnknownKey,
        Self::Malformed,
        Self::Duplicate,
        Self::Incomplete,
        Self::StockFormat,
    ];

    /// The word, as the environment carries it.
    pub const fn word(self) -> &'static CStr {
        match self {
            Self::Ok => c"ok",
            Self::Absent => c"absent",
            Self::Expired => c"expired",
            Self::Lifetime => c"lifetime",
            Self::Revoked => c"revoked",
            Self::Unchecked => c"unchecked",
            Self::Forged => c"forged",
            Self::UnknownKey => c"unknown_key",
            Self::Malformed => c"malformed",
            Self::Duplicate => c"duplicate",
            Self::Incomplete => c"incomplete",
            Self::StockFormat => c"stock_format",
        }
    }

    /// The word as text (for labels).
    pub fn name(self) -> &'static str {
        // The words are ASCII.
        self.word().to_str().unwrap_or_default()
    }

    /// Its place in [`Status::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_word_is_at_its_index_once() {
        for (i, s) in Status::ALL.iter().enumerate() {
            assert_eq!(s.index(), i);
            assert_eq!(
                Status::ALL.iter().filter(|t| t.word() == s.word()).count(),
                1
            );
        }
    }
}
