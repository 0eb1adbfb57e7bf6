//! The attributes written after the session cookie's value, as browsers
//! read them: what `apachectl configtest` warns about (stock accepts all of
//! these, browsers then refuse or ignore the cookie without a word), and
//! `SessionCookieChunkSize`'s argument.

use std::fmt;

use super::chunk::{BROWSER_COOKIE_LIMIT, MIN_CHUNK_SIZE};
use super::response::DEFAULT_ATTRS;
use super::{trim_end, trim_start};

/// The attributes written for `attrs` as configured: the default ones when
/// none are given.
pub fn effective_attrs(attrs: &[u8]) -> &[u8] {
    if attrs.is_empty() {
        DEFAULT_ATTRS
    } else {
        attrs
    }
}

/// The cookie attributes that matter to the checks, read as browsers read
/// them (RFC 6265 section 5.2): `;`-separated, names case-insensitive,
/// whitespace around names and values ignored, the last of each kind wins.
#[derive(Debug, Default, PartialEq, Eq)]
struct Attributes<'a> {
    secure: bool,
    path: Option<&'a [u8]>,
    domain: Option<&'a [u8]>,
    same_site: Option<&'a [u8]>,
}

fn parse(attrs: &[u8]) -> Attributes<'_> {
    let mut out = Attributes::default();
    for av in effective_attrs(attrs).split(|&b| b == b';') {
        let (name, value) = match av.iter().position(|&b| b == b'=') {
            Some(eq) => (&av[..eq], Some(trim_end(trim_start(&av[eq + 1..])))),
            None => (av, None),
        };
        let name = trim_end(trim_start(name));
        let value = value.unwrap_or_default();
        if name.eq_ignore_ascii_case(b"secure") {
            out.secure = true;
        } else if name.eq_ignore_ascii_case(b"path") {
            out.path = Some(value);
        } else if name.eq_ignore_ascii_case(b"domain") {
            // Browsers ignore an empty Domain attribute.
            out.domain = (!value.is_empty()).then_some(value).or(out.domain);
        } else if name.eq_ignore_ascii_case(b"samesite") {
            out.same_site = Some(value);
        }
    }
    out
}

/// Whether the cookie is written with `Secure` (`attrs` as configured).
pub fn has_secure(attrs: &[u8]) -> bool {
    // Runs on every save: most attribute lists hold no "secure" at all,
    // and need no parsing to tell.
    let attrs = effective_attrs(attrs);
    attrs.windows(6).any(|w| w.eq_ignore_ascii_case(b"secure")) && parse(attrs).secure
}

/// Something browsers will hold against the session cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrWarning {
    /// A `__Host-` name without `Secure`, without `Path=/`, or with a
    /// `Domain`: browsers refuse the cookie.
    HostPrefix { name: Vec<u8>, problem: HostProblem },
    /// A `__Secure-` name without `Secure`: browsers refuse the cookie.
    SecurePrefix { name: Vec<u8> },
    /// `SameSite=None` without `Secure`: browsers refuse the cookie.
    SameSiteNoneInsecure { name: Vec<u8> },
    /// A `SameSite` value other than `Strict`, `Lax`, `None`: browsers
    /// ignore the attribute and apply their default.
    UnknownSameSite { name: Vec<u8>, value: Vec<u8> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostProblem {
    NoSecure,
    NoRootPath,
    Domain,
}

impl fmt::Display for AttrWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HostPrefix { name, problem } => {
                let what = match problem {
                    HostProblem::NoSecure => "needs the Secure attribute",
                    HostProblem::NoRootPath => "needs Path=/",
                    HostProblem::Domain => "must not have a Domain attribute",
                };
                write!(
                    f,
                    "cookie '{}': a __Host- cookie {what}; browsers refuse the cookie, \
                     so no session is ever kept",
                    name.escape_ascii()
                )
            }
            Self::SecurePrefix { name } => write!(
                f,
                "cookie '{}': a __Secure- cookie needs the Secure attribute; browsers refuse \
                 the cookie, so no session is ever kept",
                name.escape_ascii()
            ),
            Self::SameSiteNoneInsecure { name } => write!(
                f,
                "cookie '{}': SameSite=None needs the Secure attribute; browsers refuse the \
                 cookie, so no session is ever kept",
                name.escape_ascii()
            ),
            Self::UnknownSameSite { name, value } => write!(
                f,
                "cookie '{}': SameSite={} is not Strict, Lax or None; browsers ignore it and \
                 apply their default (Lax in Chromium)",
                name.escape_ascii(),
                value.escape_ascii()
            ),
        }
    }
}

fn has_prefix(name: &[u8], prefix: &[u8]) -> bool {
    // Matched case-insensitively, as current browsers do (RFC 6265bis).
    name.len() >= prefix.len() && name[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// What browsers will hold against the cookie `name` written with `attrs`
/// (as configured; empty means the default attributes).
pub fn check_cookie_attrs(name: &[u8], attrs: &[u8]) -> Vec<AttrWarning> {
    let a = parse(attrs);
    let mut out = Vec::new();
    let owned = || name.to_vec();
    if has_prefix(name, b"__Host-") {
        if !a.secure {
            out.push(AttrWarning::HostPrefix {
                name: owned(),
                problem: HostProblem::NoSecure,
            });
        }
        if a.path != Some(b"/") {
            out.push(AttrWarning::HostPrefix {
                name: owned(),
                problem: HostProblem::NoRootPath,
            });
        }
        if a.domain.is_some() {
            out.push(AttrWarning::HostPrefix {
                name: owned(),
                problem: HostProblem::Domain,
            });
        }
    } else if has_prefix(name, b"__Secure-") && !a.secure {
        out.push(AttrWarning::SecurePrefix { name: owned() });
    }
    match a.same_site {
        Some(v) if v.eq_ignore_ascii_case(b"none") && !a.secure => {
            out.push(AttrWarning::SameSiteNoneInsecure { name: owned() });
        }
        Some(v)
            if ![&b"strict"[..], b"lax", b"none"]
                .iter()
                .any(|known| v.eq_ignore_ascii_case(known)) =>
        {
            out.push(AttrWarning::UnknownSameSite {
                name: owned(),
                value: v.to_vec(),
            });
        }
        _ => {}
    }
    out
}

/// Why `SessionCookieChunkSize`'s argument was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkSizeError {
    NotANumber(Vec<u8>),
    TooSmall(u64),
    TooLarge(Vec<u8>),
}

impl fmt::Display for ChunkSizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotANumber(arg) => write!(
                f,
                "'{}' is neither a number of bytes nor Off",
                arg.escape_ascii()
            ),
            Self::TooSmall(n) => write!(f, "{n} is below the minimum of {MIN_CHUNK_SIZE} bytes"),
            Self::TooLarge(arg) => write!(
                f,
                "'{}' is too large (at most {} bytes)",
                arg.escape_ascii(),
                i32::MAX
            ),
        }
    }
}

/// `SessionCookieChunkSize bytes|Off`: `None` for Off. A size over
/// [`BROWSER_COOKIE_LIMIT`] is accepted (the caller warns).
pub fn parse_chunk_size(arg: &[u8]) -> Result<Option<usize>, ChunkSizeError> {
    if arg.eq_ignore_ascii_case(b"off") {
        return Ok(None);
    }
    if arg.is_empty() || !arg.iter().all(u8::is_ascii_digit) {
        return Err(ChunkSizeError::NotANumber(arg.to_vec()));
    }
    let n = std::str::from_utf8(arg)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|&n| n <= i32::MAX as u64)
        .ok_or_else(|| ChunkSizeError::TooLarge(arg.to_vec()))?;
    if n < MIN_CHUNK_SIZE as u64 {
        return Err(ChunkSizeError::TooSmall(n));
    }
    Ok(Some(n as usize))
}

/// The warning a chunk size that lets browsers drop parts deserves.
pub fn chunk_size_warning(size: usize) -> Option<ChunkSizeOverLimit> {
    (size > BROWSER_COOKIE_LIMIT).then_some(ChunkSizeOverLimit(size))
}

/// A chunk size over what browsers keep of a cookie, as `configtest` says
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkSizeOverLimit(usize);

impl fmt::Display for ChunkSizeOverLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} bytes is over the {BROWSER_COOKIE_LIMIT} bytes browsers keep of a cookie: they \
             drop longer parts without a word and the session is lost; use \
             {BROWSER_COOKIE_LIMIT} or less (4000 leaves room to spare)",
            self.0
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, attrs: &str) -> Vec<AttrWarning> {
        check_cookie_attrs(name.as_bytes(), attrs.as_bytes())
    }

    fn host(problem: HostProblem) -> AttrWarning {
        AttrWarning::HostPrefix {
            name: b"__Host-s".to_vec(),
            problem,
        }
    }

    #[test]
    fn good_cookies_pass() {
        for (name, attrs) in [
            ("session", "path=/;HttpOnly;Secure;SameSite=Lax"),
            ("session", "path=/"),
            ("session", ""),
            ("__Host-s", "Path=/; Secure; HttpOnly; SameSite=Strict"),
            ("__Host-s", " secure ;path = / "),
            ("__Secure-s", "Secure;Domain=example.org;Path=/app"),
            ("__Secure-s", ""),
            ("s", "SameSite=None;Secure"),
            ("s", "samesite=lax"),
        ] {
            assert_eq!(check(name, attrs), [], "{name} {attrs}");
        }
    }

    #[test]
    fn host_prefix_rules() {
        assert_eq!(check("__Host-s", "Path=/"), [host(HostProblem::NoSecure)]);
        assert_eq!(check("__Host-s", "Secure"), [host(HostProblem::NoRootPath)]);
        assert_eq!(
            check("__Host-s", "Secure;Path=/app"),
            [host(HostProblem::NoRootPath)]
        );
        assert_eq!(
            check("__Host-s", "Secure;Path=/;Domain=example.org"),
            [host(HostProblem::Domain)]
        );
        // The default attributes have Secure but no Path.
        assert_eq!(check("__Host-s", ""), [host(HostProblem::NoRootPath)]);
        assert_eq!(
            check("__host-s", "Domain=x"),
            [
                AttrWarning::HostPrefix {
                    name: b"__host-s".to_vec(),
                    problem: HostProblem::NoSecure
                },
                AttrWarning::HostPrefix {
                    name: b"__host-s".to_vec(),
                    problem: HostProblem::NoRootPath
                },
                AttrWarning::HostPrefix {
                    name: b"__host-s".to_vec(),
                    problem: HostProblem::Domain
                },
            ]
        );
        // An empty Domain attribute is ignored by browsers.
        assert_eq!(check("__Host-s", "Secure;Path=/;Domain="), []);
    }

    #[test]
    fn secure_prefix_and_same_site() {
        assert_eq!(
            check("__Secure-s", "path=/"),
            [AttrWarning::SecurePrefix {
                name: b"__Secure-s".to_vec()
            }]
        );
        assert_eq!(
            check("s", "SameSite=None"),
            [AttrWarning::SameSiteNoneInsecure {
                name: b"s".to_vec()
            }]
        );
        assert_eq!(
            check("s", "SameSite=Relaxed;Secure"),
            [AttrWarning::UnknownSameSite {
                name: b"s".to_vec(),
                value: b"Relaxed".to_vec()
            }]
        );
        assert_eq!(
            check("s", "SameSite"),
            [AttrWarning::UnknownSameSite {
                name: b"s".to_vec(),
                value: b"".to_vec()
            }]
        );
    }

    #[test]
    fn messages_say_what_browsers_do() {
        let m = host(HostProblem::NoSecure).to_string();
        assert!(
            m.contains("'__Host-s'") && m.contains("Secure") && m.contains("refuse"),
            "{m}"
        );
        let m = AttrWarning::UnknownSameSite {
            name: b"s".to_vec(),
            value: b"x\n".to_vec(),
        }
        .to_string();
        assert!(m.contains("SameSite=x\\n"), "{m}");
    }

    #[test]
    fn secure_detection() {
        assert!(has_secure(b""));
        assert!(has_secure(b"path=/; SECURE"));
        assert!(!has_secure(b"path=/;HttpOnly"));
        assert!(!has_secure(b"path=/secure"));
    }

    #[test]
    fn chunk_sizes() {
        assert_eq!(parse_chunk_size(b"Off"), Ok(None));
        assert_eq!(parse_chunk_size(b"off"), Ok(None));
        assert_eq!(parse_chunk_size(b"512"), Ok(Some(512)));
        assert_eq!(parse_chunk_size(b"4000"), Ok(Some(4000)));
        assert_eq!(parse_chunk_size(b"511"), Err(ChunkSizeError::TooSmall(511)));
        assert_eq!(parse_chunk_size(b"0"), Err(ChunkSizeError::TooSmall(0)));
        assert_eq!(parse_chunk_size(b"2147483647"), Ok(Some(2147483647)));
        assert_eq!(
            parse_chunk_size(b"2147483648"),
            Err(ChunkSizeError::TooLarge(b"2147483648".to_vec()))
        );
        assert!(matches!(
            parse_chunk_size(b"99999999999999999999999"),
            Err(ChunkSizeError::TooLarge(_))
        ));
        for bad in [&b""[..], b"-1", b"4k", b" 512", b"On", b"0x200"] {
            assert!(
                matches!(parse_chunk_size(bad), Err(ChunkSizeError::NotANumber(_))),
                "{}",
                bad.escape_ascii()
            );
        }
        assert_eq!(chunk_size_warning(4096), None);
        let warning = chunk_size_warning(4097).expect("over").to_string();
        assert!(
            warning.starts_with("4097 bytes is over the 4096 bytes browsers keep"),
            "{warning}"
        );
    }
}
