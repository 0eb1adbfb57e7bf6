//! What the cookie module's log lines say: each event the FFI layer logs
//! (src/ffi/session_cookie/), with its values, written out in English by
//! `Display`. The FFI layer picks the message id and level
//! (src/ffi/messages.rs) and hands httpd the text; the words live here, next
//! to the rules they report, and are tested without httpd.
//!
//! Cookie names, attributes and URIs come from the configuration or the
//! client: their bytes are shown with every byte outside printable ASCII
//! escaped (`\xNN`), so that no log line carries a control character.

use std::fmt;

use super::{BROWSER_COOKIE_LIMIT, PartSet, SaveError, part_name};

/// One event of the cookie module, for a cookie `name`.
pub enum CookieEvent<'a> {
    /// The session read from one cookie of `bytes` bytes.
    Read { name: &'a [u8], bytes: usize },
    /// The session read from `parts` chunks, `bytes` bytes in all.
    ReadInParts {
        name: &'a [u8],
        parts: usize,
        bytes: usize,
    },
    /// The cookie sent more than once with different values, on `uri`.
    SentTwice { name: &'a [u8], uri: &'a [u8] },
    /// A cookie found and not used.
    Ignored { name: &'a [u8] },
    /// No cookie in the request.
    Missing { name: &'a [u8] },
    /// The session written in one cookie (removed, if it is empty) with
    /// the response header `header`.
    Written {
        name: &'a [u8],
        bytes: usize,
        header: &'a [u8],
        max_age: i64,
        attrs: &'a [u8],
    },
    /// The session written in `parts` chunks, whose longest line is
    /// `longest` bytes.
    WrittenInParts {
        name: &'a [u8],
        bytes: usize,
        parts: usize,
        longest: usize,
        header: &'a [u8],
        max_age: i64,
        attrs: &'a [u8],
    },
    /// Chunks of an earlier, longer session taken out.
    PartsRemoved { name: &'a [u8], removed: PartSet },
    /// An earlier `header` line for the cookie (a back end's) replaced.
    Replaced { name: &'a [u8], header: &'a [u8] },
    /// A `Secure` cookie written in answer to plain HTTP.
    SecureOnPlainHttp { name: &'a [u8] },
    /// A `Set-Cookie` line of `longest` bytes, longer than browsers keep.
    TooLong {
        name: &'a [u8],
        longest: usize,
        chunked: bool,
    },
    /// The session of `bytes` bytes not written, for `error`.
    NotWritten {
        name: &'a [u8],
        bytes: usize,
        error: SaveError,
    },
}

impl fmt::Display for CookieEvent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Read { name, bytes } => {
                write!(
                    f,
                    "session cookie '{}' read ({bytes} bytes)",
                    name.escape_ascii()
                )
            }
            Self::ReadInParts { name, parts, bytes } => write!(
                f,
                "session cookie '{}' read from {parts} parts ({bytes} bytes)",
                name.escape_ascii()
            ),
            Self::SentTwice { name, uri } => write!(
                f,
                "client sent the session cookie '{}' more than once with different values, \
                 session not loaded: {}",
                name.escape_ascii(),
                uri.escape_ascii()
            ),
            Self::Ignored { name } => write!(f, "session cookie '{}' ignored", name.escape_ascii()),
            Self::Missing { name } => {
                write!(
                    f,
                    "no session cookie '{}' in the request",
                    name.escape_ascii()
                )
            }
            Self::Written {
                name,
                bytes,
                header,
                max_age,
                attrs,
            } => write!(
                f,
                "{} cookie '{}' ({bytes} bytes) with {}: Max-Age {max_age}, attributes '{}'",
                if bytes == 0 { "removed" } else { "set" },
                name.escape_ascii(),
                header.escape_ascii(),
                attrs.escape_ascii()
            ),
            Self::WrittenInParts {
                name,
                bytes,
                parts,
                longest,
                header,
                max_age,
                attrs,
            } => write!(
                f,
                "set cookie '{}' ({bytes} bytes) in {parts} parts, lines of at most {longest} \
                 bytes, with {}: Max-Age {max_age}, attributes '{}'",
                name.escape_ascii(),
                header.escape_ascii(),
                attrs.escape_ascii()
            ),
            Self::PartsRemoved { name, removed } => {
                write!(
                    f,
                    "removing the parts of cookie '{}' no longer used: ",
                    name.escape_ascii()
                )?;
                for (n, i) in removed.iter().enumerate() {
                    let sep = if n == 0 { "" } else { ", " };
                    write!(f, "{sep}{}", part_name(name, i).escape_ascii())?;
                }
                Ok(())
            }
            Self::Replaced { name, header } => write!(
                f,
                "replacing an earlier {} for '{}'",
                header.escape_ascii(),
                name.escape_ascii()
            ),
            Self::SecureOnPlainHttp { name } => write!(
                f,
                "session cookie '{}' has the Secure attribute, but this request came over \
                 plain HTTP: browsers do not keep it, so users lose their session; serve the \
                 site over HTTPS (behind a TLS-terminating proxy, give ServerName an https:// \
                 scheme) or drop Secure (noted once per process)",
                name.escape_ascii()
            ),
            Self::TooLong {
                name,
                longest,
                chunked,
            } => {
                write!(
                    f,
                    "session cookie '{}': a {longest}-byte Set-Cookie line, over the \
                     {BROWSER_COOKIE_LIMIT} bytes browsers keep of a cookie: browsers drop it \
                     without a word and keep their previous session cookie, if any, so this session \
                     change is lost; ",
                    name.escape_ascii()
                )?;
                if chunked {
                    write!(
                        f,
                        "set SessionCookieChunkSize to {BROWSER_COOKIE_LIMIT} or less"
                    )
                } else {
                    f.write_str("SessionCookieChunkSize 4000 splits it over several cookies")
                }
            }
            Self::NotWritten { name, bytes, error } => write!(
                f,
                "session cookie '{}' not written: the session is {bytes} bytes and {error}; \
                 the browser keeps its previous session cookie, if any, so this session change \
                 is lost; {}",
                name.escape_ascii(),
                error.fix()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_attributes_are_shown_escaped() {
        let line = CookieEvent::Written {
            name: b"s\x1bid",
            bytes: 12,
            header: b"Set-Cookie",
            max_age: 3600,
            attrs: b"path=/\n",
        }
        .to_string();
        assert_eq!(
            line,
            "set cookie 's\\x1bid' (12 bytes) with Set-Cookie: Max-Age 3600, attributes 'path=/\\n'"
        );
    }

    #[test]
    fn a_removal_says_so() {
        let line = CookieEvent::Written {
            name: b"session",
            bytes: 0,
            header: b"Set-Cookie2",
            max_age: 0,
            attrs: b"",
        };
        assert!(
            line.to_string()
                .starts_with("removed cookie 'session' (0 bytes) with Set-Cookie2")
        );
    }

    #[test]
    fn removed_parts_are_listed_by_name() {
        let mut removed = PartSet::default();
        removed.insert(2);
        removed.insert(3);
        let line = CookieEvent::PartsRemoved {
            name: b"session",
            removed,
        };
        assert_eq!(
            line.to_string(),
            "removing the parts of cookie 'session' no longer used: session~2, session~3"
        );
    }

    #[test]
    fn a_session_not_written_says_why_and_what_to_do() {
        let line = CookieEvent::NotWritten {
            name: b"session",
            bytes: 9000,
            error: SaveError::TooLong { len: 9000 },
        }
        .to_string();
        assert!(
            line.starts_with(
                "session cookie 'session' not written: the session is 9000 bytes and "
            )
        );
        assert!(line.contains("; the browser keeps its previous session cookie, if any, so this session change is lost; "));
        assert!(line.ends_with("keep less in the session"), "{line}");
    }

    #[test]
    fn too_long_lines_say_what_to_set() {
        let line = |chunked| {
            CookieEvent::TooLong {
                name: b"session",
                longest: 5000,
                chunked,
            }
            .to_string()
        };
        assert!(
            line(false).ends_with("; SessionCookieChunkSize 4000 splits it over several cookies")
        );
        assert!(line(true).ends_with(&format!(
            "; set SessionCookieChunkSize to {BROWSER_COOKIE_LIMIT} or less"
        )));
        assert!(line(true).contains("browsers drop it without a word and keep their previous"));
    }
}
