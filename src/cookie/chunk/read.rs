//! The request side of chunked cookies: finding the session cookie and
//! its parts in the request's `Cookie` headers, putting the session back
//! together (or saying why not), and taking the cookies out
//! (`SessionCookieRemove`). Everything here reads what a client sent.

use super::{
    MAX_CHUNKED_LEN, MAX_PARTS, PartSet, cookie_line_len, is_session_or_part, parse_marker,
    part_index, part_name,
};
use crate::cookie::request::{Stripped, cookie_pairs, strip_cookies};
use crate::cookie::{CookieLookup, find_session_cookie};
use crate::status::Status;

/// Takes the session cookie `name` and all its parts (with the `$`
/// attributes that follow them) out of one cookie header
/// (`SessionCookieRemove On` with chunking on).
pub fn strip_session_and_parts(name: &[u8], header: &[u8]) -> Stripped {
    strip_cookies(header, |text| {
        text.iter()
            .position(|&b| b == b'=')
            .is_some_and(|eq| is_session_or_part(name, &text[..eq]))
    })
}

/// Why a request's chunked session was not loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadError {
    /// The session cookie twice with different values (as without chunks).
    Conflict,
    /// `chunks-N` with N below 2: never written.
    BadCount { count: u32 },
    /// `chunks-N` with N above [`MAX_PARTS`]: over the limits.
    TooManyParts { count: u32 },
    /// Part `index` of `count` is not in the request.
    Missing { index: u32, count: u32 },
    /// Part `index` is in the request more than once.
    Duplicate { index: u32 },
    /// Part `index` is in the request, but the session has `count` parts.
    Extra { index: u32, count: u32 },
    /// Parts, but no session cookie saying how many.
    PartsWithoutCookie { parts: usize },
    /// The parts hold `len` bytes, over [`MAX_CHUNKED_LEN`]: over the limits.
    TooLong { len: usize },
    /// The session's cookies make a `Cookie` line of `size` bytes, over the
    /// server's `LimitRequestFieldSize` (`limit`): over the limits.
    TooLarge { size: usize, limit: usize },
}

impl ReadError {
    /// Over a limit that bounds what a client can make us do (a warning),
    /// rather than an inconsistent set of parts (a debug line).
    pub fn over_limits(self) -> bool {
        matches!(
            self,
            Self::TooManyParts { .. } | Self::TooLong { .. } | Self::TooLarge { .. }
        )
    }

    /// The request's status word (`SESSION_COOKIE_STATUS`).
    pub fn status(self) -> Status {
        match self {
            Self::Conflict | Self::Duplicate { .. } => Status::Duplicate,
            Self::Missing { .. } | Self::PartsWithoutCookie { .. } => Status::Incomplete,
            Self::BadCount { .. }
            | Self::Extra { .. }
            | Self::TooManyParts { .. }
            | Self::TooLong { .. }
            | Self::TooLarge { .. } => Status::Malformed,
        }
    }

    /// What is wrong with the chunked session cookie `name`, for a log
    /// line: `show` renders a name (the caller's escaping for logs).
    pub fn explained(self, name: &[u8], show: impl Fn(&[u8]) -> String) -> String {
        let part = |index: u32| show(&part_name(name, index as usize));
        let shown = show(name);
        match self {
            Self::TooManyParts { count } => format!(
                "session cookie '{shown}' in the request announces {count} parts, over the \
                 limit of {MAX_PARTS}: session not loaded (no session needing more is ever \
                 written; a larger SessionCookieChunkSize needs fewer parts)"
            ),
            Self::TooLarge { size, limit } => format!(
                "session cookie '{shown}' in the request: with its parts it makes a \
                 {size}-byte Cookie header line, over LimitRequestFieldSize {limit}: session \
                 not loaded; raise LimitRequestFieldSize"
            ),
            Self::TooLong { len } => format!(
                "session cookie '{shown}' in the request: its parts hold {len} bytes, over the \
                 limit of {MAX_CHUNKED_LEN}: session not loaded (no longer session is ever \
                 written; keep less in the session)"
            ),
            refused => {
                let why = match refused {
                    Self::Conflict => "sent more than once with different values".to_owned(),
                    Self::BadCount { count } => {
                        format!("it announces {count} part(s), which is never written")
                    }
                    Self::Missing { index, count } => {
                        format!("part '{}' of {count} is missing", part(index))
                    }
                    Self::Duplicate { index } => {
                        format!("part '{}' was sent more than once", part(index))
                    }
                    Self::Extra { index, count } => format!(
                        "part '{}' was sent, but the session has {count} parts",
                        part(index)
                    ),
                    Self::PartsWithoutCookie { parts } => {
                        format!("{parts} part(s) were sent without the cookie itself")
                    }
                    Self::TooManyParts { .. } | Self::TooLarge { .. } | Self::TooLong { .. } => {
                        unreachable!("over the limits, above")
                    }
                };
                format!("chunked session cookie '{shown}' ignored: {why}; session not loaded")
            }
        }
    }
}

/// What the request holds as the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded<'a> {
    /// No session cookie and no parts.
    Absent,
    /// The session cookie's value; parts beside it are stale and ignored.
    Single(&'a [u8]),
    /// The value put together from `parts` parts.
    Chunked { value: Vec<u8>, parts: usize },
    /// No session, and why.
    Refused(ReadError),
}

/// The session cookie `name` and its parts, as a request carries them.
#[derive(Debug, Clone)]
pub struct RequestCookies<'a> {
    /// The session cookie itself, as without chunking.
    pub base: CookieLookup<'a>,
    /// Every part, in request order: (index, value).
    parts: Vec<(u32, &'a [u8])>,
}

impl<'a> RequestCookies<'a> {
    /// Looks for the session cookie `name` and its parts in `headers`.
    pub fn scan(name: &[u8], headers: &[&'a [u8]]) -> Self {
        let parts = cookie_pairs(headers)
            .filter_map(|(cookie, value)| Some((part_index(name, cookie)?, value)))
            .collect();
        RequestCookies {
            base: find_session_cookie(name, headers),
            parts,
        }
    }

    /// Whether the session cookie or any part is in the request.
    pub fn found(&self) -> bool {
        self.base.found || !self.parts.is_empty()
    }

    /// The parts (1 to [`MAX_PARTS`]) the request carried: the ones a
    /// response must remove when the session needs fewer.
    pub fn carried(&self) -> PartSet {
        let mut set = PartSet::default();
        for &(index, _) in &self.parts {
            set.insert(index);
        }
        set
    }

    /// The session: the cookie's value, or the parts it announces put
    /// together. `field_limit` is the server's `LimitRequestFieldSize`: a
    /// chunked session whose cookies alone would make a longer `Cookie`
    /// line is refused (it is never written either).
    pub fn load(&self, name: &[u8], field_limit: usize) -> Loaded<'a> {
        if self.base.conflict {
            return Loaded::Refused(ReadError::Conflict);
        }
        let Some(value) = self.base.value else {
            return match self.parts.len() {
                0 => Loaded::Absent,
                parts => Loaded::Refused(ReadError::PartsWithoutCookie { parts }),
            };
        };
        let Some(count) = parse_marker(value) else {
            return Loaded::Single(value);
        };
        match self.reassemble(name, value, count, field_limit) {
            Ok(value) => Loaded::Chunked {
                value,
                parts: count as usize,
            },
            Err(e) => Loaded::Refused(e),
        }
    }

    fn reassemble(
        &self,
        name: &[u8],
        marker: &[u8],
        count: u32,
        field_limit: usize,
    ) -> Result<Vec<u8>, ReadError> {
        if count as usize > MAX_PARTS {
            return Err(ReadError::TooManyParts { count });
        }
        if count < 2 {
            return Err(ReadError::BadCount { count });
        }
        let mut slots: [Option<&[u8]>; MAX_PARTS] = [None; MAX_PARTS];
        for &(index, value) in &self.parts {
            if index > count {
                return Err(ReadError::Extra { index, count });
            }
            let slot = &mut slots[index as usize - 1];
            if slot.is_some() {
                return Err(ReadError::Duplicate { index });
            }
            *slot = Some(value);
        }
        let mut pieces = Vec::with_capacity(count as usize);
        for index in 1..=count {
            match slots[index as usize - 1] {
                Some(piece) => pieces.push(piece),
                None => return Err(ReadError::Missing { index, count }),
            }
        }
        let len = pieces.iter().map(|p| p.len()).sum();
        if len > MAX_CHUNKED_LEN {
            return Err(ReadError::TooLong { len });
        }
        let size = cookie_line_len(
            std::iter::once((name.len(), marker.len())).chain(
                pieces
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (part_name(name, i + 1).len(), p.len())),
            ),
        );
        if size > field_limit {
            return Err(ReadError::TooLarge {
                size,
                limit: field_limit,
            });
        }
        Ok(pieces.concat())
    }
}

#[cfg(test)]
mod tests {
    use super::super::COOKIE_FIELD_PREFIX;
    use super::*;

    const LIMIT: usize = 8190;

    fn load<'a>(headers: &[&'a [u8]]) -> Loaded<'a> {
        RequestCookies::scan(b"session", headers).load(b"session", LIMIT)
    }

    #[test]
    fn refusals_say_their_word_and_why() {
        let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        assert_eq!(ReadError::Conflict.status(), Status::Duplicate);
        assert_eq!(
            ReadError::Missing { index: 2, count: 3 }.status(),
            Status::Incomplete
        );
        assert_eq!(
            ReadError::TooLong { len: 70000 }.status(),
            Status::Malformed
        );
        assert_eq!(
            ReadError::Missing { index: 2, count: 3 }.explained(b"s", show),
            "chunked session cookie 's' ignored: part 's~2' of 3 is missing; session not loaded"
        );
        assert!(
            ReadError::TooLarge {
                size: 9000,
                limit: 8190
            }
            .explained(b"s", show)
            .contains("9000-byte Cookie header line, over LimitRequestFieldSize 8190")
        );
    }

    #[test]
    fn reads_the_parts_in_any_order_among_other_cookies() {
        let got = load(&[
            b"a=1; session~2=def; session=chunks-3",
            b"session~3=gh; x=session~1; session~1=abc",
        ]);
        assert_eq!(
            got,
            Loaded::Chunked {
                value: b"abcdefgh".to_vec(),
                parts: 3
            }
        );
    }

    #[test]
    fn missing_duplicated_extra_parts_give_no_session() {
        assert_eq!(
            load(&[b"session=chunks-3; session~1=a; session~3=c"]),
            Loaded::Refused(ReadError::Missing { index: 2, count: 3 })
        );
        assert_eq!(
            load(&[b"session=chunks-2; session~1=a; session~2=b; session~1=a"]),
            Loaded::Refused(ReadError::Duplicate { index: 1 })
        );
        assert_eq!(
            load(&[b"session=chunks-2; session~1=a; session~2=b; session~3=c"]),
            Loaded::Refused(ReadError::Extra { index: 3, count: 2 })
        );
        assert_eq!(
            load(&[b"session~1=a; session~2=b"]),
            Loaded::Refused(ReadError::PartsWithoutCookie { parts: 2 })
        );
        assert_eq!(
            load(&[b"session=chunks-1; session~1=a"]),
            Loaded::Refused(ReadError::BadCount { count: 1 })
        );
        assert_eq!(
            load(&[b"session=chunks-17"]),
            Loaded::Refused(ReadError::TooManyParts { count: 17 })
        );
        assert_eq!(
            load(&[b"session=chunks-2; session=chunks-3"]),
            Loaded::Refused(ReadError::Conflict)
        );
    }

    #[test]
    fn a_plain_cookie_wins_over_stale_parts() {
        assert_eq!(
            load(&[b"session=a=1; session~1=x; session~2=y"]),
            Loaded::Single(b"a=1")
        );
        assert_eq!(load(&[b"x=1"]), Loaded::Absent);
        assert_eq!(load(&[]), Loaded::Absent);
        assert_eq!(load(&[b"session="]), Loaded::Single(b""));
    }

    #[test]
    fn a_request_over_the_field_limit_is_refused() {
        let header = b"session=chunks-2; session~1=aaaa; session~2=bbbb";
        let size = COOKIE_FIELD_PREFIX.len() + header.len();
        let scan = RequestCookies::scan(b"session", &[header]);
        assert!(matches!(
            scan.load(b"session", size),
            Loaded::Chunked { .. }
        ));
        assert_eq!(
            scan.load(b"session", size - 1),
            Loaded::Refused(ReadError::TooLarge {
                size,
                limit: size - 1
            })
        );
    }

    #[test]
    fn carried_parts_are_remembered() {
        let scan = RequestCookies::scan(b"session", &[b"session~2=a; session~20=b; session~1=c"]);
        assert_eq!(scan.carried().iter().collect::<Vec<_>>(), [1, 2]);
        assert!(scan.found());
        assert!(!RequestCookies::scan(b"session", &[b"a=1"]).found());
    }

    #[test]
    fn stripping_takes_the_cookie_and_every_part() {
        let got = strip_session_and_parts(
            b"session",
            b"a=1; session=chunks-2; session~1=x; b=2; session~2=y; $Path=/; session~0=z",
        );
        assert_eq!(got, Stripped::Rewritten(b"a=1; b=2; session~0=z".to_vec()));
        assert_eq!(
            strip_session_and_parts(b"session", b"session~1=x;session=chunks-2"),
            Stripped::Removed
        );
        assert_eq!(
            strip_session_and_parts(b"session", b"a=1"),
            Stripped::Unchanged
        );
    }
}
