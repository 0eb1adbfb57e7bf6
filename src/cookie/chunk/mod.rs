//! Chunked session cookies (`SessionCookieChunkSize`): a session whose
//! `Set-Cookie` line would be longer than the chunk size is split over
//! several cookies, and put back together when the browser returns them.
//!
//! The naming follows ASP.NET Core's chunking cookie manager, with a part
//! suffix that cannot be read as an ordinary cookie name:
//!
//! ```text
//! session=chunks-3;Max-Age=1800;path=/     the session cookie holds the number of parts
//! session~1=<first piece>;Max-Age=1800;path=/
//! session~2=<second piece>;...
//! session~3=<third piece>;...
//! ```
//!
//! - The session cookie itself always exists while there is a session, so
//!   it alone says what the session is: a value, or `chunks-N`. There is
//!   no second authority (a count cookie beside a plain cookie) that could
//!   disagree with it, and going back to one cookie overwrites the marker.
//! - A reader knows how many parts to expect before it looks at them, so a
//!   missing, duplicated or extra part is seen and refused.
//! - `chunks-N` is never a session's value: mod_session's encoding always
//!   holds `key=value` pairs, and sealed values are longer. Part names are
//!   the session cookie's name, `~` and a decimal index without leading
//!   zero (1 to [`MAX_PARTS`]): `~` is a valid cookie-name character that
//!   ordinary cookie names do not use, so a part is not taken for another
//!   application's cookie (`session1`, `session_1`) nor the reverse.
//!   Prefixes (`__Host-`, `__Secure-`) stay at the front of every part.
//!
//! Nothing here knows httpd: the caller passes the request's cookie
//! headers, the limits and the attributes.
//!
//! This file holds the limits, the naming (part names, the marker) and
//! what both directions share; `read.rs` is the request side (finding the
//! parts, putting them back together, taking them out), `save.rs` the
//! response side (splitting a session into `Set-Cookie` lines).

mod read;
mod save;

pub use read::{Loaded, ReadError, RequestCookies, strip_session_and_parts};
pub use save::{CookieSpec, SaveError, SavePlan, plan_save};

/// The most parts a session is split into, or read from.
pub const MAX_PARTS: usize = 16;
/// The smallest `SessionCookieChunkSize`.
pub const MIN_CHUNK_SIZE: usize = 512;
/// The most a chunked session holds, written or read (16 KiB): what
/// session_crypto_module opens, so that a sealed session is never written
/// only to be silently refused on the next request.
pub const MAX_CHUNKED_LEN: usize = crate::seal::MAX_SEALED_LEN;
/// What browsers keep of one cookie: a `Set-Cookie` line longer than this
/// is dropped without a word (RFC 6265 asks for at least 4096 bytes; the
/// major browsers keep no more for name and value).
pub const BROWSER_COOKIE_LIMIT: usize = 4096;
/// What httpd counts of the `Cookie` request header line against
/// `LimitRequestFieldSize` besides the cookies: the field name and `: `
/// (HTTP/1.1 reads the line whole; HTTP/2 checks the joined crumbs the same
/// way).
pub const COOKIE_FIELD_PREFIX: &[u8] = b"Cookie: ";

const MARKER_PREFIX: &[u8] = b"chunks-";
const PART_SEPARATOR: u8 = b'~';

/// The name of part `index` (1-based) of the session cookie `name`.
pub fn part_name(name: &[u8], index: usize) -> Vec<u8> {
    [name, &[PART_SEPARATOR], index.to_string().as_bytes()].concat()
}

/// The index `cookie` has as a part of the session cookie `name`: `name~`
/// followed by decimal digits, the first not `0`. Large indexes saturate
/// at `u32::MAX` (they are refused as extra parts anyway).
pub fn part_index(name: &[u8], cookie: &[u8]) -> Option<u32> {
    let digits = cookie.strip_prefix(name)?.strip_prefix(&[PART_SEPARATOR])?;
    decimal(digits)
}

fn decimal(digits: &[u8]) -> Option<u32> {
    match digits {
        [b'1'..=b'9', ..] if digits.iter().all(u8::is_ascii_digit) => {
            Some(digits.iter().fold(0u32, |n, &d| {
                n.saturating_mul(10).saturating_add(u32::from(d - b'0'))
            }))
        }
        _ => None,
    }
}

/// The value the session cookie holds when the session is in `count` parts.
pub fn marker(count: usize) -> Vec<u8> {
    [MARKER_PREFIX, count.to_string().as_bytes()].concat()
}

/// The part count a session cookie's value announces, if it is a marker
/// (`chunks-` and a decimal number without leading zero).
pub fn parse_marker(value: &[u8]) -> Option<u32> {
    decimal(value.strip_prefix(MARKER_PREFIX)?)
}

/// Whether `cookie` is the session cookie `name` or one of its parts: what
/// `SessionCookieRemove On` takes out of the request.
pub fn is_session_or_part(name: &[u8], cookie: &[u8]) -> bool {
    cookie == name || part_index(name, cookie).is_some()
}

/// The length of the `Cookie` request header line that holds just these
/// cookies, as a browser sends them back: [`COOKIE_FIELD_PREFIX`], then the
/// `name=value` pairs joined by `; `. `pairs` gives (name length, value
/// length).
fn cookie_line_len(pairs: impl IntoIterator<Item = (usize, usize)>) -> usize {
    let mut len = COOKIE_FIELD_PREFIX.len();
    for (i, (name, value)) in pairs.into_iter().enumerate() {
        len += if i == 0 { 0 } else { 2 } + name + 1 + value;
    }
    len
}

/// A set of part indexes, 1 to [`MAX_PARTS`]: the parts a request carried.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PartSet(u32);

impl PartSet {
    const MASK: u32 = ((1 << MAX_PARTS) - 1) << 1;

    /// Adds `index`; indexes outside 1 to [`MAX_PARTS`] are never ours and
    /// are not kept.
    pub fn insert(&mut self, index: u32) {
        if (1..=MAX_PARTS as u32).contains(&index) {
            self.0 |= 1 << index;
        }
    }

    pub fn contains(self, index: usize) -> bool {
        index <= MAX_PARTS && self.0 & (1 << index) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The indexes, ascending: one step per index in the set (saving
    /// iterates an empty set on every request).
    pub fn iter(self) -> impl Iterator<Item = usize> {
        let mut bits = self.0 & Self::MASK;
        std::iter::from_fn(move || {
            let index = bits.trailing_zeros() as usize;
            bits &= bits.wrapping_sub(1);
            (index < 32).then_some(index)
        })
    }

    /// The indexes above `count`.
    pub fn above(self, count: usize) -> PartSet {
        PartSet(self.0 & !((2u32 << count.min(MAX_PARTS)) - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_markers() {
        assert_eq!(part_name(b"session", 1), b"session~1");
        assert_eq!(part_name(b"__Host-s", 16), b"__Host-s~16");
        assert_eq!(part_index(b"session", b"session~1"), Some(1));
        assert_eq!(part_index(b"session", b"session~16"), Some(16));
        assert_eq!(
            part_index(b"session", b"session~99999999999"),
            Some(u32::MAX)
        );
        for other in [
            &b"session"[..],
            b"session~",
            b"session~0",
            b"session~01",
            b"session~1a",
            b"session1",
            b"session_1",
            b"Session~1",
            b"xsession~1",
            b"session~~1",
        ] {
            assert_eq!(
                part_index(b"session", other),
                None,
                "{}",
                other.escape_ascii()
            );
        }
        assert_eq!(marker(3), b"chunks-3");
        assert_eq!(parse_marker(b"chunks-3"), Some(3));
        assert_eq!(parse_marker(b"chunks-16"), Some(16));
        for not in [
            &b"chunks-"[..],
            b"chunks-0",
            b"chunks-03",
            b"chunks-3=1",
            b"chunks-x",
            b"a=1",
        ] {
            assert_eq!(parse_marker(not), None, "{}", not.escape_ascii());
        }
    }

    #[test]
    fn part_sets() {
        let mut s = PartSet::default();
        for i in [0, 1, 3, 16, 17, u32::MAX] {
            s.insert(i);
        }
        assert_eq!(s.iter().collect::<Vec<_>>(), [1, 3, 16]);
        assert_eq!(s.above(1).iter().collect::<Vec<_>>(), [3, 16]);
        assert_eq!(s.above(0), s);
        assert!(s.above(16).is_empty());
        assert!(s.above(100).is_empty());
    }
}
