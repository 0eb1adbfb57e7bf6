//! Writing the session cookie: `Set-Cookie` / `Set-Cookie2` header values,
//! in exactly the text stock httpd's `ap_cookie_write` / `ap_cookie_remove`
//! produce, so that browsers and caches in front of httpd see no change.

use super::{trim_end, trim_start};

/// Attributes written when the admin gave none after the cookie name.
pub const DEFAULT_ATTRS: &[u8] = b"HttpOnly;Secure;Version=1";

/// `name=value;[Max-Age=N;]attrs`, with [`DEFAULT_ATTRS`] for empty `attrs`.
/// A `max_age` of zero means a browser-session cookie (no `Max-Age`).
pub fn set_cookie_line(name: &[u8], value: &[u8], max_age: i64, attrs: &[u8]) -> Vec<u8> {
    let attrs = if attrs.is_empty() {
        DEFAULT_ATTRS
    } else {
        attrs
    };
    // Built by hand: this runs on every request that saves a session.
    let mut line = Vec::with_capacity(name.len() + value.len() + attrs.len() + 32);
    line.extend_from_slice(name);
    line.push(b'=');
    line.extend_from_slice(value);
    line.push(b';');
    if max_age != 0 {
        line.extend_from_slice(b"Max-Age=");
        line.extend_from_slice(itoa::Buffer::new().format(max_age).as_bytes());
        line.push(b';');
    }
    line.extend_from_slice(attrs);
    line
}

/// `name=;Max-Age=0;attrs`: tells the browser to drop the cookie. Stock
/// writes the admin's attributes verbatim here, and nothing when there are
/// none; so do we.
pub fn removal_cookie_line(name: &[u8], attrs: &[u8]) -> Vec<u8> {
    [name, b"=;Max-Age=0;", attrs].concat()
}

/// The cookie name a `Set-Cookie` value sets: the text before the first `=`
/// (or `;`), without surrounding whitespace.
pub fn set_cookie_name(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .position(|&b| b == b'=' || b == b';')
        .unwrap_or(line.len());
    trim_end(trim_start(&line[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_in_decimal_as_format_writes_it() {
        for n in [1, 9, 10, 3600, -1, -3600, i64::MAX, i64::MIN] {
            assert_eq!(
                text(set_cookie_line(b"s", b"v", n, b"x")),
                format!("s=v;Max-Age={n};x")
            );
        }
    }

    fn text(v: Vec<u8>) -> String {
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn default_attributes_when_none_given() {
        assert_eq!(
            text(set_cookie_line(b"session", b"a=1", 0, b"")),
            "session=a=1;HttpOnly;Secure;Version=1"
        );
    }

    #[test]
    fn admin_attributes_verbatim_with_max_age() {
        assert_eq!(
            text(set_cookie_line(b"session", b"v", 3600, b"path=/;httponly")),
            "session=v;Max-Age=3600;path=/;httponly"
        );
    }

    #[test]
    fn negative_max_age_is_written_as_given() {
        assert_eq!(
            text(set_cookie_line(b"s", b"v", -5, b"x")),
            "s=v;Max-Age=-5;x"
        );
    }

    #[test]
    fn removal_cookie_matches_stock_text() {
        assert_eq!(
            text(removal_cookie_line(b"session", b"")),
            "session=;Max-Age=0;"
        );
        assert_eq!(
            text(removal_cookie_line(b"session", b"path=/")),
            "session=;Max-Age=0;path=/"
        );
    }

    #[test]
    fn set_cookie_name_reads_the_name() {
        assert_eq!(set_cookie_name(b"session=v;Max-Age=1"), b"session");
        assert_eq!(set_cookie_name(b" session =v"), b"session");
        assert_eq!(set_cookie_name(b"session;HttpOnly"), b"session");
        assert_eq!(set_cookie_name(b"session"), b"session");
        assert_eq!(set_cookie_name(b""), b"");
    }
}
