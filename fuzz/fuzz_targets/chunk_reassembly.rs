//! Fuzzes chunked session cookies (SessionCookieChunkSize): reassembling a
//! session from arbitrary Cookie headers, and splitting a value then
//! reading it back as a browser would send it.
//!
//! Input: the first byte is the name length n, the next n bytes are the
//! `SessionCookieName` arguments (name and attributes), the next two bytes
//! pick the chunk size (512 to 4607), the next two the
//! `LimitRequestFieldSize` (0 to 131070), and the rest is one or more header
//! values separated by `\n`; the last one is also the value split.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mod_session_cookie_rs::cookie::{
    COOKIE_FIELD_PREFIX, CookieSpec, Loaded, MAX_CHUNKED_LEN, MAX_PARTS, RequestCookies,
    find_session_cookie, parse_cookie_directive, parse_marker, part_name, plan_save,
};

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let (args, rest) = rest.split_at(usize::from(n).min(rest.len()));
    let Some((sizes, rest)) = rest.split_first_chunk::<4>() else {
        return;
    };
    let chunk_size = 512 + usize::from(u16::from_le_bytes([sizes[0], sizes[1]])) % 4096;
    let field_limit = usize::from(u16::from_le_bytes([sizes[2], sizes[3]])) * 2;
    let headers: Vec<&[u8]> = rest.split(|&b| b == b'\n').collect();

    let name = parse_cookie_directive(args).map_or(args, |d| d.name);
    let scan = RequestCookies::scan(name, &headers);
    check_load(name, &headers, &scan, field_limit);

    if let Ok(directive) = parse_cookie_directive(args) {
        let value: Vec<u8> = headers[headers.len() - 1]
            .iter()
            .copied()
            .filter(|&b| is_cookie_octet(b))
            .collect();
        let spec = CookieSpec {
            name: directive.name,
            attrs: directive.attrs,
            max_age: i64::from(n) - 128,
            chunk_size: (sizes[0] & 1 == 0).then_some(chunk_size),
            field_limit,
            carried: RequestCookies::scan(directive.name, &headers).carried(),
        };
        round_trip(&spec, &value);
    }
});

/// What a request's cookies load as is consistent with the cookies.
fn check_load(name: &[u8], headers: &[&[u8]], scan: &RequestCookies<'_>, field_limit: usize) {
    match scan.load(name, field_limit) {
        Loaded::Absent => assert!(!scan.found(), "absent, but cookies found"),
        Loaded::Single(value) => {
            assert!(
                headers.iter().any(|h| within(h, value)),
                "value not from a header"
            );
            assert_eq!(parse_marker(value), None, "a marker read as a value");
        }
        Loaded::Chunked { value, parts } => {
            assert!((2..=MAX_PARTS).contains(&parts), "{parts} parts");
            assert!(value.len() <= MAX_CHUNKED_LEN, "over the size cap");
            assert_eq!(scan.base.value.and_then(parse_marker), Some(parts as u32));
            assert!(
                COOKIE_FIELD_PREFIX.len() + value.len() <= field_limit,
                "over the field limit"
            );
            // Read again, one part at a time, by the plain single-cookie
            // lookup: every part is there once, and they make the value.
            let plain = !name.iter().any(|b| b"=;,".contains(b)) && !name.is_empty();
            if plain {
                let again: Vec<u8> = (1..=parts)
                    .flat_map(|i| {
                        let part = find_session_cookie(&part_name(name, i), headers);
                        assert!(part.found && !part.conflict, "part {i}");
                        part.value.unwrap().to_vec()
                    })
                    .collect();
                assert_eq!(again, value, "parts do not make the value");
            }
        }
        Loaded::Refused(_) => assert!(scan.found(), "refused without cookies"),
    }
}

/// A value split into `Set-Cookie` lines comes back whole from the `Cookie`
/// header a browser makes of them, and every line keeps to the limits.
fn round_trip(spec: &CookieSpec<'_>, value: &[u8]) {
    let Ok(plan) = plan_save(spec, value) else {
        return;
    };
    if let Some(size) = spec.chunk_size {
        for line in plan.lines() {
            let len = line.concat().len();
            assert!(len <= size, "a {len}-byte line over {size}");
        }
    }
    assert!(plan.parts.len() <= MAX_PARTS);
    if !plan.parts.is_empty() {
        assert!(
            value.len() <= MAX_CHUNKED_LEN,
            "a chunked session over the size cap"
        );
    }
    let count = plan.parts.len();
    assert_eq!(plan.removed, spec.carried.above(count), "stale parts");
    if value.is_empty() || parse_marker(value).is_some() {
        // A removal; and no session's value ever looks like a marker
        // (mod_session's encoding always holds '=').
        return;
    }
    let cookie = plan.cookie.to_vec();
    let pairs: Vec<&[u8]> = std::iter::once(&cookie)
        .chain(&plan.parts)
        // `name=value;...`: neither holds a ';'.
        .map(|line| &line[..line.iter().position(|&b| b == b';').unwrap()])
        .collect();
    let header = pairs.join(&b"; "[..]);
    assert_eq!(plan.cookie_line, COOKIE_FIELD_PREFIX.len() + header.len());
    assert!(
        plan.cookie_line <= spec.field_limit,
        "written over the field limit"
    );
    let scan = RequestCookies::scan(spec.name, &[&header]);
    match scan.load(spec.name, spec.field_limit) {
        Loaded::Single(v) => {
            assert_eq!(count, 0);
            assert_eq!(v, value);
        }
        Loaded::Chunked { value: v, parts } => {
            assert_eq!(parts, count);
            assert_eq!(v, value);
        }
        other => panic!("a written session did not load: {other:?}"),
    }
}

/// RFC 6265 cookie-octet: what a session value is made of.
fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e)
}

/// `inner` is a slice of `outer`'s bytes (not merely equal text elsewhere).
fn within(outer: &[u8], inner: &[u8]) -> bool {
    let (o, i) = (outer.as_ptr_range(), inner.as_ptr_range());
    o.start <= i.start && i.end <= o.end
}
