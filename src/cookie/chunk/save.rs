//! The response side of chunked cookies: the `Set-Cookie` lines for a
//! session, split into parts when one line would be longer than the chunk
//! size, and checked against what browsers keep and what the server will
//! accept back, so that nothing is written that would not be read.

use super::{MAX_CHUNKED_LEN, MAX_PARTS, PartSet, cookie_line_len, marker, part_name};
use crate::cookie::response::{
    LineParts, SetCookieLine, removal_cookie_line, set_cookie_line, whole,
};

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
pub struct SavePlan<'a> {
    /// The session cookie: its value, the `chunks-N` marker, or a removal.
    pub cookie: Line<'a>,
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

impl SavePlan<'_> {
    /// Every line, in the order they are sent, as the parts to join.
    pub fn lines(&self) -> impl Iterator<Item = LineParts<'_>> {
        std::iter::once(self.cookie.parts()).chain(
            self.parts
                .iter()
                .chain(&self.removals)
                .map(|line| whole(line)),
        )
    }
}

/// The session cookie's line in a [`SavePlan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line<'a> {
    /// The session's value, in one cookie: joined only where it is
    /// written, the value copied once.
    Value(SetCookieLine<'a>),
    /// Made here: the `chunks-N` marker, or a removal.
    Made(Vec<u8>),
}

impl Line<'_> {
    pub fn parts(&self) -> LineParts<'_> {
        match self {
            Self::Value(line) => line.parts(),
            Self::Made(line) => whole(line),
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        self.parts().concat()
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

impl SaveError {
    /// What the admin can do about it.
    pub fn fix(self) -> &'static str {
        match self {
            Self::OverFieldLimit { .. } => {
                "raise LimitRequestFieldSize or keep less in the session"
            }
            Self::TooManyParts { .. } => {
                "raise SessionCookieChunkSize (up to 4096) or keep less in the session"
            }
            Self::NoRoom { .. } => "raise SessionCookieChunkSize or shorten the attributes",
            Self::TooLong { .. } => "keep less in the session",
        }
    }
}

/// Why the session cannot be written, as the end of "the session is N
/// bytes and ...".
impl std::fmt::Display for SaveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Self::OverFieldLimit { size, limit, parts } => {
                write!(
                    f,
                    "the browser would send it back in a {size}-byte Cookie header line"
                )?;
                if parts > 1 {
                    write!(f, " ({parts} parts)")?;
                }
                write!(
                    f,
                    ", over LimitRequestFieldSize {limit}, and httpd would refuse every later \
                     request with a 400"
                )
            }
            Self::TooManyParts { needed, chunk_size } => write!(
                f,
                "it needs {needed} parts of SessionCookieChunkSize {chunk_size} bytes, over the \
                 limit of {MAX_PARTS}"
            ),
            Self::NoRoom {
                chunk_size,
                overhead,
            } => write!(
                f,
                "its attributes leave no room for a value in SessionCookieChunkSize \
                 {chunk_size} ({overhead} bytes without any value)"
            ),
            Self::TooLong { .. } => write!(
                f,
                "a chunked session holds at most {MAX_CHUNKED_LEN} bytes (what \
                 session_crypto_module opens)"
            ),
        }
    }
}

/// Plans the `Set-Cookie` lines for a session whose encoded text is
/// `value` (empty: the session is removed).
pub fn plan_save<'a>(spec: &CookieSpec<'a>, value: &'a [u8]) -> Result<SavePlan<'a>, SaveError> {
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
            cookie: Line::Made(cookie),
            parts: Vec::new(),
            removals,
            removed,
            cookie_line: 0,
        });
    }

    let line = SetCookieLine::new(spec.name, value, spec.max_age, spec.attrs);
    let chunk_size = match spec.chunk_size {
        Some(size) if line.bytes_len() > size => size,
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
                longest: line.bytes_len(),
                cookie: Line::Value(line),
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
        cookie: Line::Made(cookie),
        parts,
        removals,
        removed,
        cookie_line: size,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{COOKIE_FIELD_PREFIX, Loaded, ReadError, RequestCookies};
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
        let cookie = plan.cookie.to_vec();
        let pairs: Vec<&[u8]> = std::iter::once(&cookie)
            .chain(&plan.parts)
            .map(|line| &line[..line.iter().position(|&b| b == b';').unwrap()])
            .collect();
        pairs.join(&b"; "[..])
    }

    fn round_trip<'a>(spec: &CookieSpec<'a>, value: &'a [u8]) -> SavePlan<'a> {
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
                let len = line.concat().len();
                assert!(len <= size, "{len} > {size}");
            }
        }
        plan
    }

    /// `len` bytes of a value, of one text made once for every test (a
    /// plan borrows its value).
    fn value(len: usize) -> &'static [u8] {
        static TEXT: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
            (0..MAX_CHUNKED_LEN + 1)
                .map(|i| b"abcdefghij=&%0123"[i % 17])
                .collect()
        });
        &TEXT[..len]
    }

    #[test]
    fn errors_say_why_and_what_to_do() {
        let e = SaveError::OverFieldLimit {
            size: 9000,
            limit: 8190,
            parts: 3,
        };
        assert_eq!(
            e.to_string(),
            "the browser would send it back in a 9000-byte Cookie header line (3 parts), over \
             LimitRequestFieldSize 8190, and httpd would refuse every later request with a 400"
        );
        assert_eq!(
            e.fix(),
            "raise LimitRequestFieldSize or keep less in the session"
        );
    }

    #[test]
    fn chunking_off_writes_one_cookie_as_stock() {
        let plan = plan_save(&spec(None), value(5000)).unwrap();
        assert!(plan.parts.is_empty() && plan.removals.is_empty());
        assert_eq!(
            plan.cookie.to_vec(),
            set_cookie_line(b"session", value(5000), 0, b"path=/")
        );
        assert_eq!(plan.longest, plan.cookie.to_vec().len());
    }

    #[test]
    fn a_line_of_exactly_the_chunk_size_stays_whole() {
        // "session=" + value + ";path=/"
        let overhead = b"session=;path=/".len();
        let plan = round_trip(&spec(Some(1000)), value(1000 - overhead));
        assert!(plan.parts.is_empty());
        assert_eq!(plan.cookie.to_vec().len(), 1000);
    }

    #[test]
    fn one_byte_over_the_chunk_size_splits() {
        let overhead = b"session=;path=/".len();
        let v = value(1001 - overhead);
        let plan = round_trip(&spec(Some(1000)), v);
        assert_eq!(plan.parts.len(), 2);
        assert_eq!(plan.cookie.to_vec(), b"session=chunks-2;path=/");
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
        let plan = round_trip(&s, value(5000));
        let n = plan.parts.len();
        for p in &plan.parts[..n - 1] {
            assert_eq!(p.len(), 600);
        }
        assert!(
            plan.parts
                .iter()
                .all(|p| p.ends_with(b";Max-Age=1800;path=/"))
        );
        assert!(plan.cookie.to_vec().ends_with(b";Max-Age=1800;path=/"));
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
        let plan = round_trip(&s, value(fits));
        assert_eq!(plan.parts.len(), MAX_PARTS);
        assert!(plan.parts.iter().all(|p| p.len() == 512));
        assert_eq!(
            plan_save(&s, value(fits + 1)),
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
        assert_eq!(plan.cookie.to_vec(), b"session=;Max-Age=0;path=/");
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
        assert_eq!(plan.cookie.to_vec(), b"session=;Max-Age=0;path=/");
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
        let plan = round_trip(&s, value(1500));
        assert_eq!(plan.parts.len(), 2);
        assert_eq!(plan.removed.iter().collect::<Vec<_>>(), [3, 4]);
        // Back to one cookie: every part goes, the marker is overwritten.
        let plan = round_trip(&s, b"a=1");
        assert_eq!(plan.cookie.to_vec(), b"session=a=1;path=/");
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
        let plan = round_trip(&s, value(fits));
        assert_eq!(plan.cookie_line, 8190);
        assert_eq!(
            plan_save(&s, value(fits + 1)),
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
        assert!(plan_save(&s, value(fits)).is_ok());
        assert_eq!(
            plan_save(&s, value(fits + 1)),
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
        let plan = round_trip(&s, value(MAX_CHUNKED_LEN));
        assert_eq!(plan.parts.len(), 5);
        assert_eq!(
            plan_save(&s, value(MAX_CHUNKED_LEN + 1)),
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
        assert!(plan_save(&s, value(MAX_CHUNKED_LEN + 1)).is_ok());
    }

    #[test]
    fn attributes_too_long_for_the_chunk_size() {
        let attrs = vec![b'a'; 600];
        let s = CookieSpec {
            attrs: &attrs,
            ..spec(Some(512))
        };
        assert!(matches!(
            plan_save(&s, value(1000)),
            Err(SaveError::NoRoom {
                chunk_size: 512,
                ..
            })
        ));
    }

    #[test]
    fn prefixes_stay_in_front() {
        let s = CookieSpec {
            name: b"__Host-s",
            attrs: b"Path=/;Secure",
            ..spec(Some(600))
        };
        let plan = round_trip(&s, value(2000));
        assert!(plan.lines().all(|l| l.concat().starts_with(b"__Host-s")));
    }
}
