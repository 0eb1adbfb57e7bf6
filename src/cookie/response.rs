//! Writing the session cookie: `Set-Cookie` / `Set-Cookie2` header values,
//! in exactly the text stock httpd's `ap_cookie_write` / `ap_cookie_remove`
//! produce, so that browsers and caches in front of httpd see no change.

use super::{trim_end, trim_start};

/// Attributes written when the admin gave none after the cookie name.
pub const DEFAULT_ATTRS: &[u8] = b"HttpOnly;Secure;Version=1";

/// The byte strings a `Set-Cookie` value is the concatenation of, in
/// order: the caller joins them where the line is to live (httpd's pool),
/// so that a session's value is copied once.
pub type LineParts<'a> = [&'a [u8]; 5];

/// A line made whole elsewhere, as [`LineParts`].
pub fn whole(line: &[u8]) -> LineParts<'_> {
    [line, b"", b"", b"", b""]
}

/// `;Max-Age=` and the 20 characters of `i64::MIN`, and `;`.
const BETWEEN: usize = 9 + 20 + 1;

/// `name=value;[Max-Age=N;]attrs`, with [`DEFAULT_ATTRS`] for empty `attrs`,
/// as its parts. A `max_age` of zero means a browser-session cookie (no
/// `Max-Age`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetCookieLine<'a> {
    name: &'a [u8],
    value: &'a [u8],
    /// `;` or `;Max-Age=N;`, in its first `between_len` bytes.
    between: [u8; BETWEEN],
    between_len: u8,
    attrs: &'a [u8],
}

impl<'a> SetCookieLine<'a> {
    pub fn new(name: &'a [u8], value: &'a [u8], max_age: i64, attrs: &'a [u8]) -> Self {
        let mut between = [0; BETWEEN];
        let mut len = 0;
        let mut put = |bytes: &[u8]| {
            between[len..len + bytes.len()].copy_from_slice(bytes);
            len += bytes.len();
        };
        put(b";");
        if max_age != 0 {
            put(b"Max-Age=");
            put(itoa::Buffer::new().format(max_age).as_bytes());
            put(b";");
        }
        SetCookieLine {
            name,
            value,
            between,
            between_len: len as u8,
            attrs: if attrs.is_empty() {
                DEFAULT_ATTRS
            } else {
                attrs
            },
        }
    }

    pub fn parts(&self) -> LineParts<'_> {
        [
            self.name,
            b"=",
            self.value,
            &self.between[..usize::from(self.between_len)],
            self.attrs,
        ]
    }

    /// How many bytes the line is.
    pub fn bytes_len(&self) -> usize {
        self.parts().iter().map(|p| p.len()).sum()
    }

    pub fn to_vec(&self) -> Vec<u8> {
        self.parts().concat()
    }
}

/// [`SetCookieLine`], made whole.
pub fn set_cookie_line(name: &[u8], value: &[u8], max_age: i64, attrs: &[u8]) -> Vec<u8> {
    SetCookieLine::new(name, value, max_age, attrs).to_vec()
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

    #[test]
    fn parts_join_to_the_line() {
        for (max_age, attrs) in [(0, &b""[..]), (7, b"path=/"), (i64::MIN, b"x")] {
            let line = SetCookieLine::new(b"s", b"a=1", max_age, attrs);
            assert_eq!(line.parts().concat(), line.to_vec());
            assert_eq!(line.bytes_len(), line.to_vec().len());
        }
        assert_eq!(whole(b"s=;x").concat(), b"s=;x");
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
