//! mod_session's `session_identity_decode`, reproduced exactly, in place.
//!
//! mod_session (2.4, `modules/session/mod_session.c`) decodes the session
//! text like this, and so do we:
//! - the text is split on `&` with `apr_strtok`, which skips empty tokens;
//! - each pair is split with `apr_strtok` on `=`: leading `=` are skipped,
//!   the key ends at the next `=`, and the value is everything after it
//!   (more `=` included);
//! - a pair with no value, or an empty one, unsets its key as written (not
//!   unescaped);
//! - otherwise key and value are unescaped (`+` is a space, `%XX` a byte);
//!   a pair where either has a `%` not followed by two hex digits, or a
//!   `%00`, is skipped whole;
//! - the key `expiry` (compared after unescaping, case-sensitively) sets the
//!   session's expiry with `apr_atoi64` (C `strtoll`, base 10) and is not
//!   an entry; every other key is set, replacing an earlier value.
//!
//! Unsetting and setting go to httpd's own table functions (the caller's),
//! so case-insensitive keys and repeated keys behave as they do in httpd.
//! `tests/integration/test_session_text.py` holds this to mod_session's
//! own decoder on random texts, through real httpd.

use memchr::{memchr, memchr2};

/// One step of decoding, in the order mod_session takes them. Keys and
/// values are C strings inside the caller's buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Entry<'a> {
    /// `apr_table_set(entries, key, value)`.
    Set(CText<'a>, CText<'a>),
    /// `apr_table_unset(entries, key)`.
    Unset(CText<'a>),
    /// `z->expiry = value` (microseconds).
    Expiry(i64),
}

/// A key or value in the caller's buffer, followed by its NUL, with no NUL
/// inside (decoding refuses `%00`, and the text ends at its first NUL): a C
/// string that needs no scan to be one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CText<'a>(&'a [u8]);

impl<'a> CText<'a> {
    /// The bytes and the NUL after them.
    pub fn with_nul(self) -> &'a [u8] {
        self.0
    }

    /// The bytes, without the NUL.
    pub fn bytes(self) -> &'a [u8] {
        &self.0[..self.0.len() - 1]
    }
}

/// Decodes the session text in `buf` (a copy the caller owns, ending with
/// its NUL: decoding writes into it, as mod_session's does into its copy),
/// handing each step to `apply`. A buffer without a NUL decodes nothing.
pub fn decode(buf: &mut [u8], mut apply: impl FnMut(Entry<'_>)) {
    let Some(end) = memchr(0, buf) else {
        return;
    };
    let mut rest = &mut buf[..=end];
    loop {
        let skip = rest.iter().take_while(|&&b| b == b'&').count();
        rest = &mut rest[skip..];
        if rest[0] == 0 {
            return;
        }
        // The pair and its terminator ('&' or the final NUL), which
        // becomes the pair's NUL, as apr_strtok makes it.
        let len = memchr2(b'&', 0, rest).expect("the buffer ends with a NUL");
        let (pair, tail) = std::mem::take(&mut rest).split_at_mut(len + 1);
        pair[len] = 0;
        decode_pair(pair, &mut apply);
        if tail.is_empty() {
            // That pair ended at the text's NUL.
            return;
        }
        rest = tail;
    }
}

/// One `&`-free pair, ending with its NUL.
fn decode_pair(pair: &mut [u8], apply: &mut impl FnMut(Entry<'_>)) {
    let start = pair.iter().take_while(|&&b| b == b'=').count();
    let pair = &mut pair[start..];
    if pair[0] == 0 {
        return;
    }
    let key_len = memchr2(b'=', 0, pair).expect("the pair ends with a NUL");
    let value_len = pair.len() - 1 - (key_len + 1).min(pair.len() - 1);
    if value_len == 0 {
        // No '=' after the key, or nothing after it: the key as written.
        pair[key_len] = 0;
        apply(Entry::Unset(CText(&pair[..=key_len])));
        return;
    }
    let (key, value) = pair.split_at_mut(key_len + 1);
    let (Some(key), Some(value)) = (unescape(key), unescape(value)) else {
        return;
    };
    let (key, value) = (CText(key), CText(value));
    if key.bytes() == b"expiry" {
        apply(Entry::Expiry(atoi64(value.bytes())));
    } else {
        apply(Entry::Set(key, value));
    }
}

/// `ap_unescape_urlencoded` on a field whose last byte is free for its NUL
/// (the `=` after a key, or the pair's NUL): `+` becomes a space and `%XX`
/// its byte. `None` where httpd's fails: a `%` without two hex digits after
/// it, or one that decodes to NUL. Returns the field with its new NUL.
fn unescape(field: &mut [u8]) -> Option<&mut [u8]> {
    let end = field.len() - 1;
    // '+' first, as httpd does: a '+' that %2B decodes to stays a '+'.
    let mut at = 0;
    while let Some(i) = memchr(b'+', &field[at..end]) {
        field[at + i] = b' ';
        at += i + 1;
    }
    // Then each escape, moving the run after it down. Runs between escapes
    // are short in URL-encoded text: a plain scan beats memchr's setup.
    let Some(first) = memchr(b'%', &field[..end]) else {
        field[end] = 0;
        return Some(field);
    };
    let (mut read, mut write) = (first, first);
    while read < end {
        if read + 2 >= end {
            return None;
        }
        field[write] = hex_pair(field[read + 1], field[read + 2]).filter(|&b| b != 0)?;
        read += 3;
        write += 1;
        let run = field[read..end]
            .iter()
            .position(|&b| b == b'%')
            .unwrap_or(end - read);
        field.copy_within(read..read + run, write);
        read += run;
        write += run;
    }
    field[write] = 0;
    Some(&mut field[..=write])
}

/// The byte two hex digits stand for.
fn hex_pair(high: u8, low: u8) -> Option<u8> {
    Some(hex_value(high)? << 4 | hex_value(low)?)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `apr_atoi64`: glibc's `strtoll(text, NULL, 10)`. Leading C-locale white
/// space, an optional sign, then digits; anything else ends the number (no
/// digits: 0); out of range saturates.
fn atoi64(text: &[u8]) -> i64 {
    let text = match text.iter().position(|b| !b" \t\n\x0b\x0c\r".contains(b)) {
        Some(at) => &text[at..],
        None => return 0,
    };
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    // Accumulated negatively: i64::MIN has no positive twin.
    let mut value: i64 = 0;
    for &b in digits.iter().take_while(|b| b.is_ascii_digit()) {
        let next = value
            .checked_mul(10)
            .and_then(|v| v.checked_sub(i64::from(b - b'0')));
        match next {
            Some(v) => value = v,
            None => return if negative { i64::MIN } else { i64::MAX },
        }
    }
    if negative {
        value
    } else {
        value.checked_neg().unwrap_or(i64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The steps decoding `text` takes, as strings.
    fn steps(text: &str) -> Vec<String> {
        let mut buf = text.as_bytes().to_vec();
        buf.push(0);
        let mut out = Vec::new();
        decode(&mut buf, |e| {
            let text = |t: CText<'_>| {
                assert_eq!(t.with_nul().last(), Some(&0));
                assert!(!t.bytes().contains(&0));
                String::from_utf8_lossy(t.bytes()).into_owned()
            };
            out.push(match e {
                Entry::Set(k, v) => format!("set {}={}", text(k), text(v)),
                Entry::Unset(k) => format!("unset {}", text(k)),
                Entry::Expiry(v) => format!("expiry {v}"),
            });
        });
        out
    }

    #[test]
    fn pairs_values_and_unsets() {
        assert_eq!(steps("a=1&b=2"), ["set a=1", "set b=2"]);
        assert_eq!(steps("&&a=1&&&b=x=y&"), ["set a=1", "set b=x=y"]);
        assert_eq!(steps("a=&b&c"), ["unset a", "unset b", "unset c"]);
        assert_eq!(steps("==a==b"), ["set a==b"]);
        assert_eq!(steps("===&=&"), Vec::<String>::new());
        assert_eq!(steps(""), Vec::<String>::new());
        assert_eq!(steps("&"), Vec::<String>::new());
    }

    #[test]
    fn unescaping_as_httpd_does() {
        assert_eq!(steps("a+b=c+d%26e%3D"), ["set a b=c d&e="]);
        assert_eq!(steps("k%41=v%7e%7E"), ["set kA=v~~"]);
        // Unset takes the key as written.
        assert_eq!(steps("k%41="), ["unset k%41"]);
        // Bad escapes and %00 skip the whole pair, in key or value.
        for bad in [
            "k%4=v", "k=v%", "k=v%4", "k=%zz", "k%00=v", "k=a%00b", "k=%G1",
        ] {
            assert_eq!(steps(&format!("{bad}&ok=1")), ["set ok=1"], "{bad}");
        }
        // Bytes above 0x7f pass through and decode.
        assert_eq!(steps("k=%C3%A9\u{e9}"), ["set k=\u{e9}\u{e9}"]);
    }

    #[test]
    fn long_fields_and_escapes_near_their_ends() {
        let plain = "abcdefghijklmnopqrstuvwxyz0123456789";
        assert_eq!(steps(&format!("k={plain}")), [format!("set k={plain}")]);
        assert_eq!(
            steps("key=abcdefgh%2Cijklmnop+qrstuvwx%2cyz012345%41"),
            ["set key=abcdefgh,ijklmnop qrstuvwx,yz012345A"]
        );
        // An escape split across the word boundary, and one cut off at the end.
        assert_eq!(steps("k=abcdefg%41bcdefgh"), ["set k=abcdefgAbcdefgh"]);
        assert_eq!(steps("k=abcdefghijklmn%4&ok=1"), ["set ok=1"]);
        assert_eq!(steps("k=abcdefghijklmn%00abcdefgh&ok=1"), ["set ok=1"]);
    }

    #[test]
    fn expiry_is_not_an_entry() {
        assert_eq!(steps("expiry=123&a=1"), ["expiry 123", "set a=1"]);
        assert_eq!(steps("expir%79=5"), ["expiry 5"]);
        assert_eq!(steps("Expiry=5"), ["set Expiry=5"]);
        assert_eq!(steps("expiry="), ["unset expiry"]);
    }

    #[test]
    fn expiry_parses_as_strtoll() {
        for (text, want) in [
            ("42", 42),
            ("+42", 42),
            ("-42", -42),
            (" \t\n\x0b\x0c\r7", 7),
            ("12abc", 12),
            ("abc", 0),
            ("-", 0),
            ("+-1", 0),
            ("", 0),
            ("   ", 0),
            ("9223372036854775807", i64::MAX),
            ("9223372036854775808", i64::MAX),
            ("99999999999999999999999", i64::MAX),
            ("-9223372036854775808", i64::MIN),
            ("-9223372036854775809", i64::MIN),
            ("0x10", 0),
        ] {
            assert_eq!(atoi64(text.as_bytes()), want, "{text:?}");
        }
    }

    #[test]
    fn a_buffer_without_its_nul_decodes_nothing() {
        let mut buf = b"a=1".to_vec();
        let mut called = false;
        decode(&mut buf, |_| called = true);
        assert!(!called);
    }

    #[test]
    fn text_stops_at_the_first_nul() {
        let mut buf = b"a=1\0b=2\0".to_vec();
        let mut n = 0;
        decode(&mut buf, |_| n += 1);
        assert_eq!(n, 1);
    }
}
