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

use super::request::{Stripped, cookie_pairs, strip_cookies};
use super::response::{removal_cookie_line, set_cookie_line};
use super::{CookieLookup, find_session_cookie};

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

    /// A compact text form (for a request note), read back by [`PartSet::from_text`].
    pub fn to_text(self) -> String {
        self.0.to_string()
    }

    pub fn from_text(text: &[u8]) -> Option<PartSet> {
        let bits: u32 = std::str::from_utf8(text).ok()?.parse().ok()?;
        Some(PartSet(bits & Self::MASK))
    }
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

/// The session cookie to write, and where.
#[derive(Debug, Clone, Copy)]
pub struct CookieSpec<'a> {
    pub name: &'a [u8],
    /// As configured (empty: the default attributes).
    pub attrs: &'a [u8],
    /// `Max-Age`; 0 writes none.
    pub max_age: i64,
    /// `SessionCookieChunkSize`; `None` for Off.
    pub chunk_size: Option<usize>,
    /// The server's `LimitRequestFieldSize`.
    pub field_limit: usize,
    /// The parts the request carried (empty when chunking is off).
    pub carried: PartSet,
}

/// The `Set-Cookie` lines for a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavePlan {
    /// The session cookie: its value, the `chunks-N` marker, or a removal.
    pub cookie: Vec<u8>,
    /// The parts, in order; empty when the session fits in one cookie.
    pub parts: Vec<Vec<u8>>,
    /// Removal cookies for parts the request carried that are no longer
    /// used.
    pub removals: Vec<Vec<u8>>,
    /// Which parts `removals` removes.
    pub removed: PartSet,
    /// The length of the `Cookie` line the browser will send back for the
    /// session's cookies alone (0 for a removal).
    pub cookie_line: usize,
    /// The longest `Set-Cookie` value written.
    pub longest: usize,
}

impl SavePlan {
    /// Every line, in the order they are sent.
    pub fn lines(&self) -> impl Iterator<Item = &[u8]> {
        std::iter::once(&self.cookie)
            .chain(&self.parts)
            .chain(&self.removals)
            .map(Vec::as_slice)
    }
}

/// Why a session is not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveError {
    /// It would take `needed` parts of `chunk_size` bytes, over [`MAX_PARTS`].
    TooManyParts { needed: usize, chunk_size: usize },
    /// The browser would send it back in a `Cookie` line of `size` bytes,
    /// over `LimitRequestFieldSize` (`limit`): httpd would answer every
    /// later request with a 400.
    OverFieldLimit {
        size: usize,
        limit: usize,
        parts: usize,
    },
    /// The attributes leave no room for a value in `chunk_size` bytes
    /// (`overhead` bytes without any value).
    NoRoom { chunk_size: usize, overhead: usize },
    /// A session to chunk of `len` bytes, over [`MAX_CHUNKED_LEN`].
    TooLong { len: usize },
}

/// Plans the `Set-Cookie` lines for a session whose encoded text is
/// `value` (empty: the session is removed).
pub fn plan_save(spec: &CookieSpec<'_>, value: &[u8]) -> Result<SavePlan, SaveError> {
    let removals_above = |count: usize| {
        let removed = spec.carried.above(count);
        let lines = removed
            .iter()
            .map(|i| removal_cookie_line(&part_name(spec.name, i), spec.attrs))
            .collect();
        (lines, removed)
    };
    if value.is_empty() {
        let cookie = removal_cookie_line(spec.name, spec.attrs);
        let (removals, removed) = removals_above(0);
        return Ok(SavePlan {
            longest: cookie.len(),
            cookie,
            parts: Vec::new(),
            removals,
            removed,
            cookie_line: 0,
        });
    }

    let line = set_cookie_line(spec.name, value, spec.max_age, spec.attrs);
    let chunk_size = match spec.chunk_size {
        Some(size) if line.len() > size => size,
        _ => {
            let size = cookie_line_len([(spec.name.len(), value.len())]);
            if size > spec.field_limit {
                return Err(SaveError::OverFieldLimit {
                    size,
                    limit: spec.field_limit,
                    parts: 1,
                });
            }
            let (removals, removed) = removals_above(0);
            return Ok(SavePlan {
                longest: line.len(),
                cookie: line,
                parts: Vec::new(),
                removals,
                removed,
                cookie_line: size,
            });
        }
    };

    if value.len() > MAX_CHUNKED_LEN {
        return Err(SaveError::TooLong { len: value.len() });
    }
    // Room for the value in part `i`'s line.
    let room = |i: usize| -> Result<usize, SaveError> {
        let overhead =
            set_cookie_line(&part_name(spec.name, i), b"", spec.max_age, spec.attrs).len();
        chunk_size
            .checked_sub(overhead)
            .filter(|&room| room > 0)
            .ok_or(SaveError::NoRoom {
                chunk_size,
                overhead,
            })
    };
    let mut pieces: Vec<&[u8]> = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        let index = pieces.len() + 1;
        if index > MAX_PARTS {
            // Parts 10 to 99 all have the same room.
            let needed = MAX_PARTS + rest.len().div_ceil(room(index)?);
            return Err(SaveError::TooManyParts { needed, chunk_size });
        }
        let (piece, tail) = rest.split_at(room(index)?.min(rest.len()));
        pieces.push(piece);
        rest = tail;
    }

    let count = pieces.len();
    let marker = marker(count);
    let cookie = set_cookie_line(spec.name, &marker, spec.max_age, spec.attrs);
    if cookie.len() > chunk_size {
        return Err(SaveError::NoRoom {
            chunk_size,
            overhead: cookie.len(),
        });
    }
    let names: Vec<Vec<u8>> = (1..=count).map(|i| part_name(spec.name, i)).collect();
    let size = cookie_line_len(
        std::iter::once((spec.name.len(), marker.len()))
            .chain(names.iter().zip(&pieces).map(|(n, p)| (n.len(), p.len()))),
    );
    if size > spec.field_limit {
        return Err(SaveError::OverFieldLimit {
            size,
            limit: spec.field_limit,
            parts: count,
        });
    }
    let parts: Vec<Vec<u8>> = names
        .iter()
        .zip(&pieces)
        .map(|(n, p)| set_cookie_line(n, p, spec.max_age, spec.attrs))
        .collect();
    let (removals, removed) = removals_above(count);
    Ok(SavePlan {
        longest: parts
            .iter()
            .map(Vec::len)
            .chain([cookie.len()])
            .max()
            .unwrap_or(0),
        cookie,
        parts,
        removals,
        removed,
        cookie_line: size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: usize = 8190;

    fn spec(chunk_size: Option<usize>) -> CookieSpec<'static> {
        CookieSpec {
            name: b"session",
            attrs: b"path=/",
            max_age: 0,
            chunk_size,
            field_limit: LIMIT,
            carried: PartSet::default(),
        }
    }

    /// The `Cookie` header a browser sends back after `plan`.
    fn cookie_header(plan: &SavePlan) -> Vec<u8> {
        let pairs: Vec<&[u8]> = std::iter::once(&plan.cookie)
            .chain(&plan.parts)
            .map(|line| &line[..line.iter().position(|&b| b == b';').unwrap()])
            .collect();
        pairs.join(&b"; "[..])
    }

    fn load<'a>(headers: &[&'a [u8]]) -> Loaded<'a> {
        RequestCookies::scan(b"session", headers).load(b"session", LIMIT)
    }

    fn round_trip(spec: &CookieSpec<'_>, value: &[u8]) -> SavePlan {
        let plan = plan_save(spec, value).unwrap();
        let header = cookie_header(&plan);
        assert_eq!(plan.cookie_line, COOKIE_FIELD_PREFIX.len() + header.len());
        let got = RequestCookies::scan(spec.name, &[&header]).load(spec.name, spec.field_limit);
        match got {
            Loaded::Single(v) => assert_eq!(v, value),
            Loaded::Chunked { value: v, parts } => {
                assert_eq!(v, value);
                assert_eq!(parts, plan.parts.len());
            }
            other => panic!("{other:?}"),
        }
        if let Some(size) = spec.chunk_size {
            for line in plan.lines() {
                assert!(line.len() <= size, "{} > {size}", line.len());
            }
        }
        plan
    }

    fn value(len: usize) -> Vec<u8> {
        (0..len).map(|i| b"abcdefghij=&%0123"[i % 17]).collect()
    }

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
        assert_eq!(PartSet::from_text(s.to_text().as_bytes()), Some(s));
        assert_eq!(PartSet::from_text(b"x"), None);
        assert_eq!(
            PartSet::from_text(b"4294967295").unwrap().iter().count(),
            MAX_PARTS
        );
    }

    #[test]
    fn chunking_off_writes_one_cookie_as_stock() {
        let plan = plan_save(&spec(None), &value(5000)).unwrap();
        assert!(plan.parts.is_empty() && plan.removals.is_empty());
        assert_eq!(
            plan.cookie,
            set_cookie_line(b"session", &value(5000), 0, b"path=/")
        );
        assert_eq!(plan.longest, plan.cookie.len());
    }

    #[test]
    fn a_line_of_exactly_the_chunk_size_stays_whole() {
        // "session=" + value + ";path=/"
        let overhead = b"session=;path=/".len();
        let plan = round_trip(&spec(Some(1000)), &value(1000 - overhead));
        assert!(plan.parts.is_empty());
        assert_eq!(plan.cookie.len(), 1000);
    }

    #[test]
    fn one_byte_over_the_chunk_size_splits() {
        let overhead = b"session=;path=/".len();
        let v = value(1001 - overhead);
        let plan = round_trip(&spec(Some(1000)), &v);
        assert_eq!(plan.parts.len(), 2);
        assert_eq!(plan.cookie, b"session=chunks-2;path=/");
        // The first part is filled to the byte.
        assert_eq!(plan.parts[0].len(), 1000);
        assert!(plan.parts[0].starts_with(b"session~1="));
        assert!(plan.parts[1].starts_with(b"session~2="));
    }

    #[test]
    fn parts_fill_exactly_the_chunk_size() {
        let s = CookieSpec {
            max_age: 1800,
            ..spec(Some(600))
        };
        let plan = round_trip(&s, &value(5000));
        let n = plan.parts.len();
        for p in &plan.parts[..n - 1] {
            assert_eq!(p.len(), 600);
        }
        assert!(
            plan.parts
                .iter()
                .all(|p| p.ends_with(b";Max-Age=1800;path=/"))
        );
        assert!(plan.cookie.ends_with(b";Max-Age=1800;path=/"));
    }

    #[test]
    fn max_parts_and_one_more() {
        // Room per part: 512 - len("session~N=;path=/") = 495 (N < 10), 494 (N >= 10).
        let fits: usize = (1..=MAX_PARTS)
            .map(|i| if i < 10 { 495 } else { 494 })
            .sum();
        let s = CookieSpec {
            field_limit: 1 << 20,
            ..spec(Some(512))
        };
        let plan = round_trip(&s, &value(fits));
        assert_eq!(plan.parts.len(), MAX_PARTS);
        assert!(plan.parts.iter().all(|p| p.len() == 512));
        assert_eq!(
            plan_save(&s, &value(fits + 1)),
            Err(SaveError::TooManyParts {
                needed: 17,
                chunk_size: 512
            })
        );
    }

    #[test]
    fn empty_session_removes_the_cookie_and_every_carried_part() {
        let mut carried = PartSet::default();
        carried.insert(1);
        carried.insert(3);
        let s = CookieSpec {
            carried,
            ..spec(Some(1000))
        };
        let plan = plan_save(&s, b"").unwrap();
        assert_eq!(plan.cookie, b"session=;Max-Age=0;path=/");
        assert_eq!(
            plan.removals,
            [
                &b"session~1=;Max-Age=0;path=/"[..],
                b"session~3=;Max-Age=0;path=/"
            ]
        );
        assert_eq!(plan.removed, carried);
        // As stock, without chunking.
        let plan = plan_save(&spec(None), b"").unwrap();
        assert_eq!(plan.cookie, b"session=;Max-Age=0;path=/");
        assert!(plan.removals.is_empty());
    }

    #[test]
    fn shrinking_removes_the_parts_no_longer_used() {
        let mut carried = PartSet::default();
        for i in 1..=4 {
            carried.insert(i);
        }
        let s = CookieSpec {
            carried,
            ..spec(Some(1000))
        };
        let plan = round_trip(&s, &value(1500));
        assert_eq!(plan.parts.len(), 2);
        assert_eq!(plan.removed.iter().collect::<Vec<_>>(), [3, 4]);
        // Back to one cookie: every part goes, the marker is overwritten.
        let plan = round_trip(&s, b"a=1");
        assert_eq!(plan.cookie, b"session=a=1;path=/");
        assert_eq!(plan.removed, carried);
    }

    #[test]
    fn a_cookie_the_server_would_refuse_is_not_written() {
        let s = CookieSpec {
            field_limit: 8190,
            ..spec(Some(4000))
        };
        // "Cookie: session=chunks-3; session~1=...; session~2=...; session~3=..."
        let fits = 8190 - b"Cookie: session=chunks-3; session~1=; session~2=; session~3=".len();
        let plan = round_trip(&s, &value(fits));
        assert_eq!(plan.cookie_line, 8190);
        assert_eq!(
            plan_save(&s, &value(fits + 1)),
            Err(SaveError::OverFieldLimit {
                size: 8191,
                limit: 8190,
                parts: 3
            })
        );
        // The same guard without chunking.
        let s = CookieSpec {
            field_limit: 1000,
            ..spec(None)
        };
        let fits = 1000 - b"Cookie: session=".len();
        assert!(plan_save(&s, &value(fits)).is_ok());
        assert_eq!(
            plan_save(&s, &value(fits + 1)),
            Err(SaveError::OverFieldLimit {
                size: 1001,
                limit: 1000,
                parts: 1
            })
        );
    }

    #[test]
    fn a_chunked_session_holds_at_most_16_kib() {
        let s = CookieSpec {
            field_limit: 1 << 20,
            ..spec(Some(4000))
        };
        let plan = round_trip(&s, &value(MAX_CHUNKED_LEN));
        assert_eq!(plan.parts.len(), 5);
        assert_eq!(
            plan_save(&s, &value(MAX_CHUNKED_LEN + 1)),
            Err(SaveError::TooLong {
                len: MAX_CHUNKED_LEN + 1
            })
        );
        // Read: the same limit.
        let header = format!(
            "session=chunks-2; session~1={}; session~2=b",
            "a".repeat(MAX_CHUNKED_LEN)
        );
        let scan = RequestCookies::scan(b"session", &[header.as_bytes()]);
        assert_eq!(
            scan.load(b"session", 1 << 20),
            Loaded::Refused(ReadError::TooLong {
                len: MAX_CHUNKED_LEN + 1
            })
        );
        assert!(ReadError::TooLong { len: 1 }.over_limits());
        // A single cookie is not chunked: stock's, whatever its size.
        let s = CookieSpec {
            field_limit: 1 << 20,
            ..spec(None)
        };
        assert!(plan_save(&s, &value(MAX_CHUNKED_LEN + 1)).is_ok());
    }

    #[test]
    fn attributes_too_long_for_the_chunk_size() {
        let attrs = vec![b'a'; 600];
        let s = CookieSpec {
            attrs: &attrs,
            ..spec(Some(512))
        };
        assert!(matches!(
            plan_save(&s, &value(1000)),
            Err(SaveError::NoRoom {
                chunk_size: 512,
                ..
            })
        ));
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

    #[test]
    fn prefixes_stay_in_front() {
        let s = CookieSpec {
            name: b"__Host-s",
            attrs: b"Path=/;Secure",
            ..spec(Some(600))
        };
        let plan = round_trip(&s, &value(2000));
        assert!(plan.lines().all(|l| l.starts_with(b"__Host-s")));
    }
}
