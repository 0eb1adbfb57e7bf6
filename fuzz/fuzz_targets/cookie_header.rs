//! Fuzzes the cookie core with a cookie name and request header values.
//!
//! Input: the first byte is the name length n, the next n bytes are the
//! name (also used as `SessionCookieName` arguments), and the rest is one or
//! more header values separated by `\n`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mod_session_cookie_rs::cookie::{
    Stripped, find_session_cookie, parse_cookie_directive, removal_cookie_line, set_cookie_line,
    set_cookie_name, strip_session_cookie,
};

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let (name, rest) = rest.split_at(usize::from(n).min(rest.len()));
    let headers: Vec<&[u8]> = rest.split(|&b| b == b'\n').collect();

    let lookup = find_session_cookie(name, &headers);
    assert_eq!(lookup.value.is_some(), lookup.found && !lookup.conflict);
    if let Some(value) = lookup.value {
        assert!(
            headers.iter().any(|h| within(h, value)),
            "value not from a header"
        );
    }

    for header in &headers {
        check_strip(name, header);
    }

    if let Ok(directive) = parse_cookie_directive(name) {
        // What the FFI side hands the C shim: offsets into the arguments.
        let (at, len, attrs_at) = directive.offsets(name);
        assert_eq!(&name[at..at + len], directive.name, "name offsets");
        assert_eq!(&name[attrs_at..], directive.attrs, "attribute offsets");
        let value: Vec<u8> = headers[0].iter().copied().filter(|&b| b != b';').collect();
        let max_age = i64::from(n) - 128;
        let line = set_cookie_line(directive.name, &value, max_age, directive.attrs);
        assert_eq!(set_cookie_name(&line), directive.name, "set-cookie name");
        let line = removal_cookie_line(directive.name, directive.attrs);
        assert_eq!(set_cookie_name(&line), directive.name, "removal name");
    }
});

fn check_strip(name: &[u8], header: &[u8]) {
    let found = find_session_cookie(name, &[header]).found;
    match strip_session_cookie(name, header) {
        Stripped::Unchanged => assert!(!found, "cookie found but not stripped"),
        Stripped::Removed => {
            assert!(found, "header removed without the cookie");
            assert!(others(name, header).is_empty(), "removed other cookies");
        }
        Stripped::Rewritten(text) => {
            assert!(found, "header rewritten without the cookie");
            assert!(text.len() <= header.len(), "strip made the header longer");
            let plain = !name.is_empty() && !name.iter().any(|b| b"=;,".contains(b));
            if plain {
                assert!(
                    !find_session_cookie(name, &[&text]).found,
                    "cookie still there"
                );
                assert_eq!(
                    others(name, &text),
                    others(name, header),
                    "other cookies changed"
                );
            }
        }
    }
}

/// The cookie pairs other than `name=...` and `$` attributes, in order, as
/// the core splits them: on `;` and `,`, leading whitespace dropped.
fn others<'a>(name: &[u8], header: &'a [u8]) -> Vec<&'a [u8]> {
    header
        .split(|&b| b == b';' || b == b',')
        .map(trim_start)
        .filter(|p| !p.is_empty() && p[0] != b'$')
        .filter(|p| !p.strip_prefix(name).is_some_and(|v| v.starts_with(b"=")))
        .collect()
}

/// httpd's `apr_isspace`: C `isspace` in the C locale.
fn trim_start(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|b| !b" \t\n\r\x0b\x0c".contains(b));
    &s[start.unwrap_or(s.len())..]
}

/// `inner` is a slice of `outer`'s bytes (not merely equal text elsewhere).
fn within(outer: &[u8], inner: &[u8]) -> bool {
    let (o, i) = (outer.as_ptr_range(), inner.as_ptr_range());
    o.start <= i.start && i.end <= o.end
}
