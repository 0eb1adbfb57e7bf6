//! Reading the session cookie from `Cookie` / `Cookie2` request headers.
//!
//! httpd merges repeated request headers into one line joined by ", " before
//! any module runs, so a header value is a list of cookie pairs separated by
//! `;` or `,`, and RFC 2965 `Cookie2`-style `$Version`, `$Path`, `$Domain`
//! attributes may follow a pair. Stock httpd splits on both separators and
//! matches a pair by the exact prefix `name=` after leading whitespace; we do
//! the same, so `xsession=`, `session2=`, `Session=` and `session =` are not
//! the cookie `session`.

use super::{trim_end, trim_start};

/// One `;`/`,`-separated piece of a cookie header, as it stands in the text.
#[derive(Debug, Clone, Copy)]
struct Piece<'a> {
    /// The piece untrimmed, so that a rewritten header keeps other cookies
    /// byte for byte.
    raw: &'a [u8],
    /// The separator that opens this piece in a rewritten header: `,` if a
    /// comma stood anywhere between it and the previous piece, else `;`.
    sep: u8,
}

/// What a piece is, relative to the session cookie `name`.
enum Kind<'a> {
    /// `name=value`: the session cookie, with its value (whitespace trimmed).
    Session(&'a [u8]),
    /// `$Path=...` and friends: they belong to the pair before them.
    Attribute,
    /// Any other cookie pair.
    Other,
}

fn pieces(header: &[u8]) -> impl Iterator<Item = Piece<'_>> {
    let mut start = 0;
    // The separator the next non-empty piece will be opened with.
    let mut pending = b';';
    std::iter::from_fn(move || {
        while start <= header.len() {
            let rest = &header[start..];
            let end = memchr::memchr2(b';', b',', rest);
            let raw = &rest[..end.unwrap_or(rest.len())];
            let opened_with = pending;
            let closing = end.map(|i| rest[i]);
            start += raw.len() + 1;
            if trim_start(raw).is_empty() {
                // An empty piece continues a run of separators: a comma in
                // the run starts a new group, as in stock's two-level split.
                if closing == Some(b',') {
                    pending = b',';
                }
                continue;
            }
            pending = closing.unwrap_or(b';');
            return Some(Piece {
                raw,
                sep: opened_with,
            });
        }
        None
    })
}

fn classify<'a>(name: &[u8], piece: &Piece<'a>) -> Kind<'a> {
    classify_with(piece, |text| text.strip_prefix(name)?.strip_prefix(b"="))
}

/// Classifies a piece by `ours`, which is given the piece after leading
/// whitespace and returns the value if the piece is one of our cookies.
fn classify_with<'a>(piece: &Piece<'a>, ours: impl Fn(&'a [u8]) -> Option<&'a [u8]>) -> Kind<'a> {
    let text = trim_start(piece.raw);
    match ours(text) {
        Some(value) => Kind::Session(trim_end(value)),
        None if text.first() == Some(&b'$') => Kind::Attribute,
        None => Kind::Other,
    }
}

/// Every `name=value` piece of `headers` (the values of the
/// `Cookie`/`Cookie2` headers, in request order) as `(name, value)`: the
/// name as it stands after leading whitespace, up to the first `=`; the
/// value trimmed as the session cookie's is. Pieces without `=` are
/// skipped; `$` attributes come out too (a caller looking for its own names
/// does not match them, as [`find_session_cookie`] does not).
///
/// For a name without `=`, `(name, v)` comes out exactly where
/// [`find_session_cookie`] would see the cookie `name` with value `v`.
pub fn cookie_pairs<'a>(headers: &[&'a [u8]]) -> impl Iterator<Item = (&'a [u8], &'a [u8])> {
    headers.iter().flat_map(|h| pieces(h)).filter_map(|piece| {
        let text = trim_start(piece.raw);
        let eq = text.iter().position(|&b| b == b'=')?;
        Some((&text[..eq], trim_end(&text[eq + 1..])))
    })
}

/// The result of looking for the session cookie in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookieLookup<'a> {
    /// The cookie's value, `None` when it is absent or in conflict.
    pub value: Option<&'a [u8]>,
    /// The cookie appeared at least once (in conflict or not).
    pub found: bool,
    /// The cookie appeared more than once with different values. The client
    /// (or something between it and us) is confused or malicious: such a
    /// request gets no session, as with stock httpd.
    pub conflict: bool,
}

/// Looks for the cookie `name` in `headers`: the values of every `Cookie`
/// header, then every `Cookie2` header, in request order.
///
/// The same cookie sent twice with the same value is accepted; sent twice
/// with different values it yields no session.
pub fn find_session_cookie<'a>(name: &[u8], headers: &[&'a [u8]]) -> CookieLookup<'a> {
    let mut first: Option<&'a [u8]> = None;
    let mut conflict = false;
    for piece in headers.iter().flat_map(|h| pieces(h)) {
        if let Kind::Session(value) = classify(name, &piece) {
            match first {
                None => first = Some(value),
                Some(seen) if seen != value => conflict = true,
                Some(_) => {}
            }
        }
    }
    CookieLookup {
        value: if conflict { None } else { first },
        found: first.is_some(),
        conflict,
    }
}

/// A cookie header after the session cookie was taken out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stripped {
    /// The header never held the session cookie.
    Unchanged,
    /// The header without the session cookie and its `$` attributes.
    Rewritten(Vec<u8>),
    /// Nothing but the session cookie and `$` attributes were in it: drop
    /// the whole header.
    Removed,
}

/// Takes every `name=...` pair, and the `$` attributes that follow it, out
/// of one cookie header (`SessionCookieRemove On`), so that neither a CGI
/// script nor a proxied back end sees the session.
///
/// Other cookies are kept byte for byte with the separators that stood
/// before them; the rewritten header starts with the first kept cookie.
pub fn strip_session_cookie(name: &[u8], header: &[u8]) -> Stripped {
    strip_cookies(header, |text| {
        text.strip_prefix(name).is_some_and(|v| v.starts_with(b"="))
    })
}

/// Takes every cookie pair for which `ours` holds, and the `$` attributes
/// that follow it, out of one cookie header, as [`strip_session_cookie`]
/// does for one name. `ours` is given the pair after leading whitespace.
pub fn strip_cookies(header: &[u8], ours: impl Fn(&[u8]) -> bool) -> Stripped {
    let mut out = Vec::with_capacity(header.len());
    let mut found = false;
    let mut others = 0usize;
    // `$` attributes after our cookie belong to it and go with it.
    let mut eating = false;
    for piece in pieces(header) {
        match classify_with(&piece, |text| ours(text).then_some(text)) {
            Kind::Session(_) => {
                found = true;
                eating = true;
                continue;
            }
            Kind::Attribute if eating => continue,
            Kind::Attribute => {}
            Kind::Other => {
                eating = false;
                others += 1;
            }
        }
        if out.is_empty() {
            out.extend_from_slice(trim_start(piece.raw));
        } else {
            out.push(piece.sep);
            out.extend_from_slice(piece.raw);
        }
    }
    match (found, others) {
        (false, _) => Stripped::Unchanged,
        (true, 0) => Stripped::Removed,
        (true, _) => Stripped::Rewritten(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find<'a>(headers: &[&'a str]) -> CookieLookup<'a> {
        let bytes: Vec<&[u8]> = headers.iter().map(|h| h.as_bytes()).collect();
        find_session_cookie(b"session", &bytes)
    }

    fn value(headers: &[&str]) -> Option<String> {
        find(headers)
            .value
            .map(|v| String::from_utf8(v.to_vec()).unwrap())
    }

    fn strip(header: &str) -> Stripped {
        strip_session_cookie(b"session", header.as_bytes())
    }

    fn rewritten(s: &str) -> Stripped {
        Stripped::Rewritten(s.as_bytes().to_vec())
    }

    #[test]
    fn absent_cookie_is_no_session() {
        assert_eq!(
            find(&[]),
            CookieLookup {
                value: None,
                found: false,
                conflict: false
            }
        );
        assert_eq!(value(&["other=1; more=2"]), None);
        assert_eq!(value(&[""]), None);
    }

    #[test]
    fn finds_the_cookie_between_separators_and_whitespace() {
        assert_eq!(value(&["session=a%3Db"]).as_deref(), Some("a%3Db"));
        assert_eq!(value(&["x=1; session=v; y=2"]).as_deref(), Some("v"));
        assert_eq!(value(&["x=1,session=v,y=2"]).as_deref(), Some("v"));
        assert_eq!(value(&["x=1;\t  session=v"]).as_deref(), Some("v"));
        assert_eq!(value(&["x=1", "session=v"]).as_deref(), Some("v"));
    }

    #[test]
    fn trailing_whitespace_is_not_part_of_the_value() {
        assert_eq!(value(&["session=v ; x=1"]).as_deref(), Some("v"));
        assert_eq!(value(&["session=v\t"]).as_deref(), Some("v"));
    }

    #[test]
    fn empty_value_is_found_but_empty() {
        let got = find(&["session=; x=1"]);
        assert_eq!(got.value, Some(&b""[..]));
        assert!(got.found);
    }

    #[test]
    fn names_must_match_exactly() {
        for header in [
            "xsession=a",
            "session2=a",
            "Session=a",
            "session =a",
            "session",
            "$session=a",
        ] {
            assert_eq!(value(&[header]), None, "{header}");
        }
    }

    #[test]
    fn value_may_contain_equals_signs() {
        assert_eq!(value(&["session=a=b&c=d"]).as_deref(), Some("a=b&c=d"));
    }

    #[test]
    fn cookie2_attributes_do_not_hide_the_cookie() {
        let header = r#"$Version="1"; session="v"; $Path="/"; $Domain=".example""#;
        assert_eq!(value(&[header]).as_deref(), Some("\"v\""));
    }

    #[test]
    fn duplicate_with_same_value_is_accepted() {
        assert_eq!(value(&["session=v; session=v"]).as_deref(), Some("v"));
        assert_eq!(value(&["session=v", "session=v"]).as_deref(), Some("v"));
    }

    #[test]
    fn duplicate_with_different_values_is_a_conflict() {
        let got = find(&["session=a, session=b"]);
        assert_eq!(
            got,
            CookieLookup {
                value: None,
                found: true,
                conflict: true
            }
        );
        let got = find(&["session=a", "session=a", "session=b"]);
        assert!(got.conflict);
        assert_eq!(got.value, None);
    }

    #[test]
    fn binary_and_degenerate_headers_do_not_panic() {
        for header in [
            "=",
            ";",
            ",",
            ";;,,",
            "session=",
            "=session",
            "\u{0}session=\u{ff}",
        ] {
            let _ = find(&[header]);
            let _ = strip(header);
        }
        let junk: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        let _ = find_session_cookie(b"session", &[&junk]);
        let _ = strip_session_cookie(b"session", &junk);
    }

    #[test]
    fn cookie_pairs_as_find_sees_them() {
        let headers: [&[u8]; 2] = [b" a=1;b = 2 ,c=x=y ;  flag; $Path=/", b"session=v\t"];
        let pairs: Vec<(&[u8], &[u8])> = cookie_pairs(&headers).collect();
        assert_eq!(
            pairs,
            [
                (&b"a"[..], &b"1"[..]),
                (b"b ", b" 2"),
                (b"c", b"x=y"),
                (b"$Path", b"/"),
                (b"session", b"v"),
            ]
        );
        for (name, value) in pairs {
            if !name.starts_with(b"$") {
                assert_eq!(find_session_cookie(name, &headers).value, Some(value));
            }
        }
    }

    #[test]
    fn strip_leaves_headers_without_the_cookie_alone() {
        assert_eq!(strip("a=1; b=2"), Stripped::Unchanged);
        assert_eq!(strip("xsession=1"), Stripped::Unchanged);
    }

    #[test]
    fn strip_keeps_other_cookies_byte_for_byte() {
        assert_eq!(strip("a=1; session=v; b=2"), rewritten("a=1; b=2"));
        assert_eq!(strip("a=1;session=v;b=2"), rewritten("a=1;b=2"));
        assert_eq!(strip("session=v; a=1;  b=2"), rewritten("a=1;  b=2"));
        assert_eq!(strip("a=1, session=v, b=2"), rewritten("a=1, b=2"));
        assert_eq!(strip("a=1; b=2, session=v"), rewritten("a=1; b=2"));
    }

    #[test]
    fn strip_takes_the_cookie_attributes_with_it() {
        let header = r#"$Version="1"; session="v"; $Path="/"; other="1"; $Path="/x""#;
        assert_eq!(
            strip(header),
            rewritten(r#"$Version="1"; other="1"; $Path="/x""#)
        );
    }

    #[test]
    fn strip_keeps_comma_before_next_group() {
        assert_eq!(strip("a=1, session=v; $Path=/, b=2"), rewritten("a=1, b=2"));
        assert_eq!(strip("a=1;, b=2; session=x"), rewritten("a=1, b=2"));
    }

    #[test]
    fn strip_removes_header_left_with_attributes_only() {
        assert_eq!(strip("session=v"), Stripped::Removed);
        assert_eq!(
            strip(r#"$Version="1"; session="v"; $Path="/""#),
            Stripped::Removed
        );
        assert_eq!(strip("session=a, session=b"), Stripped::Removed);
    }
}
