//! Fuzzes the session text decoder (`session::decode`, what both modules
//! run in place of mod_session's `session_identity_decode`) against a
//! deliberately naive reference written here from mod_session 2.4's C:
//! `apr_strtok` on a byte buffer with an index, `ap_unescape_urlencoded`
//! as httpd's `unescape_url` loop, glibc `strtol` for `apr_atoi64`. The
//! two must take the same steps (set, unset, expiry) in the same order,
//! with the same bytes; neither may panic.
//!
//! The entries a table is left with: `session::Settled` (what decoding a
//! session of many pairs works out before filling httpd's table) against
//! the steps applied one by one to a naive APR table (a set replaces the
//! first key equal ignoring ASCII case and keeps its spelling, an unset
//! removes them all).
//!
//! Then the encoder (`session::Encoder`, what both modules run in place of
//! `session_identity_encode`): the pairs decoded (any bytes but NUL, from
//! the escapes) encoded again, in a buffer of exactly the size it asks
//! for, against httpd's `ap_escape_urlencoded_buffer` loop transcribed.
//!
//! And what a session saved unchanged keeps of its text
//! (`session::verbatim_entries`): whatever it keeps of a text is what
//! encoding the table decoded from it gives; and a text the encoder wrote
//! (the table's entries, then an expiry pair) is kept up to its expiry.
//!
//! Input: a session text, any bytes. A NUL is appended, and both sides
//! stop at the first NUL, as C does with `z->encoded`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mod_session_cookie_rs::session::{
    CText, Decoded, Encoder, Entry, Settled, buffer_len, decode, verbatim_entries,
};

#[derive(Debug, PartialEq, Eq)]
enum Step {
    Set(Vec<u8>, Vec<u8>),
    Unset(Vec<u8>),
    Expiry(i64),
}

fuzz_target!(|data: &[u8]| {
    let want = reference(data);
    // decode takes a C string's bytes: the caller (the hook, with strlen)
    // stops at the first NUL, as C does.
    let data = &data[..data.iter().position(|&b| b == 0).unwrap_or(data.len())];
    let (got, decoded) = ours(data);
    assert_eq!(
        got,
        want,
        "decode (left) != mod_session's reference (right) for {:?}",
        String::from_utf8_lossy(data)
    );
    assert_eq!(
        settled(data),
        naive_table(&want),
        "Settled (left) != APR's table (right)"
    );
    let pairs: Vec<(&[u8], &[u8])> = got
        .iter()
        .filter_map(|step| match step {
            Step::Set(k, v) => Some((&k[..], &v[..])),
            _ => None,
        })
        .collect();
    assert_eq!(
        encoded(&pairs),
        identity_encode(&pairs),
        "Encoder (left) != httpd's (right)"
    );
    let table = naive_table(&want);
    let entries: Vec<(&[u8], &[u8])> = table.iter().map(|(k, v)| (&k[..], &v[..])).collect();
    let encoded_entries = encoded(&entries);
    // Kept only where each entry was set once, as the hook checks.
    if table.len() == decoded.sets {
        if let Some(kept) = verbatim_entries(data, &decoded) {
            assert_eq!(
                kept,
                &encoded_entries[..],
                "kept bytes that encoding does not give"
            );
        }
    }
    let mut written = encoded_entries.clone();
    if !written.is_empty() {
        written.push(b'&');
    }
    written.extend_from_slice(b"expiry=17");
    let (_, rewritten) = ours(&written);
    assert_eq!(
        verbatim_entries(&written, &rewritten),
        Some(&encoded_entries[..]),
        "a text the encoder wrote was not kept: {:?}",
        String::from_utf8_lossy(&written)
    );
    // A buffer shorter than buffer_len decodes nothing.
    let mut short = vec![0; buffer_len(data.len()) - 1];
    decode(data, &mut short, |e| {
        panic!("decoded {e:?} into a buffer too short")
    });
});

/// The table `session::Settled` works out from decoding `data`.
fn settled(data: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut buf = vec![0xaa; buffer_len(data.len())];
    let mut table = Settled::with_capacity(8);
    decode(data, &mut buf, |entry| match entry {
        Entry::Set(key, value) => table.set(key.bytes(), value),
        Entry::Unset(key) => table.unset(key.bytes()),
        Entry::Expiry(_) => {}
    });
    table
        .entries()
        .map(|(k, v)| (k.to_vec(), v.bytes().to_vec()))
        .collect()
}

/// `apr_table_set` and `apr_table_unset`, one step at a time, on a table
/// that was empty.
fn naive_table(steps: &[Step]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut table: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for step in steps {
        match step {
            Step::Set(key, value) => {
                match table.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(key)) {
                    Some(entry) => entry.1 = value.clone(),
                    None => table.push((key.clone(), value.clone())),
                }
            }
            Step::Unset(key) => table.retain(|(k, _)| !k.eq_ignore_ascii_case(key)),
            Step::Expiry(_) => {}
        }
    }
    table
}

/// `pairs` through `session::Encoder`, in a buffer of exactly the size it
/// asks for, filled with garbage first.
fn encoded(pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
    let bytes = pairs.iter().map(|(k, v)| k.len() + v.len()).sum();
    let mut buf = vec![0xaa; Encoder::buffer_len(bytes, pairs.len())];
    let mut encoder = Encoder::new(&mut buf);
    for (key, value) in pairs {
        encoder.pair(key, value);
    }
    c_text(encoder.finish())
}

/// The steps of `session::decode` on `data`, into a buffer of garbage,
/// and what it found of the text; also checks that no string it handed
/// out was overwritten afterwards.
fn ours(data: &[u8]) -> (Vec<Step>, Decoded) {
    let mut buf = vec![0xaa; buffer_len(data.len())];
    let base = buf.as_ptr() as usize;
    let mut out = Vec::new();
    let mut kept = Vec::new();
    let decoded = decode(data, &mut buf, |entry| {
        let mut keep = |t: CText<'_>| {
            kept.push((t.with_nul().as_ptr() as usize - base, t.with_nul().to_vec()));
            c_text(t.with_nul())
        };
        out.push(match entry {
            Entry::Set(key, value) => Step::Set(keep(key), keep(value)),
            Entry::Unset(key) => Step::Unset(keep(key)),
            Entry::Expiry(at) => Step::Expiry(at),
        })
    });
    for (at, bytes) in kept {
        assert_eq!(
            &buf[at..at + bytes.len()],
            &bytes[..],
            "a string handed out was overwritten"
        );
    }
    (out, decoded)
}

/// A key or value handed out by `decode`: a C string, NUL last and only.
fn c_text(with_nul: &[u8]) -> Vec<u8> {
    let (&last, bytes) = with_nul.split_last().expect("a C string has its NUL");
    assert_eq!(last, 0, "a key or value without its NUL");
    assert!(!bytes.contains(&0), "a NUL inside a key or value");
    bytes.to_vec()
}

// ------------------------------------------------------------ reference --

/// mod_session 2.4's `session_identity_decode`, step by step.
fn reference(data: &[u8]) -> Vec<Step> {
    // apr_pstrdup(r->pool, z->encoded): up to the first NUL.
    let mut buf: Vec<u8> = data.iter().copied().take_while(|&b| b != 0).collect();
    buf.push(0);
    let mut out = Vec::new();
    let mut last = 0;
    let mut pair = strtok(&mut buf, Some(0), b"&", &mut last);
    while let Some(p) = pair {
        if buf[p] == 0 {
            break;
        }
        let mut plast = 0;
        let key = strtok(&mut buf, Some(p), b"=", &mut plast);
        if let Some(k) = key.filter(|&k| buf[k] != 0) {
            let val = strtok(&mut buf, None, b"&", &mut plast);
            match val {
                None => out.push(Step::Unset(c_string(&buf, k))),
                Some(v) if buf[v] == 0 => out.push(Step::Unset(c_string(&buf, k))),
                Some(v) => {
                    // `!ap_unescape_urlencoded(key) && !ap_unescape_urlencoded(val)`
                    if unescape_urlencoded(&mut buf, k) && unescape_urlencoded(&mut buf, v) {
                        let key = c_string(&buf, k);
                        if key == b"expiry" {
                            out.push(Step::Expiry(strtol(&c_string(&buf, v))));
                        } else {
                            out.push(Step::Set(key, c_string(&buf, v)));
                        }
                    }
                }
            }
        }
        pair = strtok(&mut buf, None, b"&", &mut last);
    }
    out
}

/// The C string at `at`: the bytes up to the next NUL.
fn c_string(buf: &[u8], at: usize) -> Vec<u8> {
    buf[at..].iter().copied().take_while(|&b| b != 0).collect()
}

/// `apr_strtok(str, sep, last)`: `start` is `str` (None: NULL, go on from
/// `last`). Returns the token's index; writes the NUL that ends it.
fn strtok(buf: &mut [u8], start: Option<usize>, sep: &[u8], last: &mut usize) -> Option<usize> {
    let mut s = start.unwrap_or(*last);
    while buf[s] != 0 && sep.contains(&buf[s]) {
        s += 1;
    }
    if buf[s] == 0 {
        return None;
    }
    let token = s;
    *last = token + 1;
    while buf[*last] != 0 && !sep.contains(&buf[*last]) {
        *last += 1;
    }
    if buf[*last] != 0 {
        buf[*last] = 0;
        *last += 1;
    }
    Some(token)
}

/// `ap_unescape_urlencoded` on the C string at `at`, in place: '+' to ' ',
/// then httpd's `unescape_url(url, NULL, NULL, 0)`. True where httpd
/// returns OK.
fn unescape_urlencoded(buf: &mut [u8], at: usize) -> bool {
    let mut i = at;
    while buf[i] != 0 {
        if buf[i] == b'+' {
            buf[i] = b' ';
        }
        i += 1;
    }
    // y = strchr(url, '%'); if (y == NULL) return OK;
    let mut y = at;
    while buf[y] != 0 && buf[y] != b'%' {
        y += 1;
    }
    if buf[y] == 0 {
        return true;
    }
    let (mut badesc, mut badpath) = (false, false);
    let mut x = y;
    while buf[y] != 0 {
        if buf[y] != b'%' {
            buf[x] = buf[y];
        } else if !buf[y + 1].is_ascii_hexdigit() || !buf[y + 2].is_ascii_hexdigit() {
            // (short-circuit: buf[y + 2] is read only when buf[y + 1] is
            // a hex digit, so not past the NUL)
            badesc = true;
            buf[x] = b'%';
        } else {
            let decoded = x2c(buf[y + 1], buf[y + 2]);
            if decoded == 0 {
                badpath = true;
            }
            buf[x] = decoded;
            y += 2;
        }
        x += 1;
        y += 1;
    }
    buf[x] = 0;
    !badesc && !badpath
}

/// mod_session's `identity_concat` over `pairs`: `&` between pairs, each
/// key and value through httpd's `ap_escape_urlencoded_buffer` loop, with
/// `TEST_CHAR(c, T_ESCAPE_URLENCODED)` as gen_test_char.c makes it.
fn identity_encode(pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
    let escape = |out: &mut Vec<u8>, field: &[u8]| {
        for &c in field {
            if !c.is_ascii_alphanumeric() && !b".-*_ ".contains(&c) {
                out.push(b'%');
                out.push(b"0123456789abcdef"[usize::from(c >> 4)]);
                out.push(b"0123456789abcdef"[usize::from(c & 0xf)]);
            } else if c == b' ' {
                out.push(b'+');
            } else {
                out.push(c);
            }
        }
    };
    let mut out = Vec::new();
    for (key, value) in pairs {
        if !out.is_empty() {
            out.push(b'&');
        }
        escape(&mut out, key);
        out.push(b'=');
        escape(&mut out, value);
    }
    out
}

/// httpd's `x2c`, ASCII branch, in C's arithmetic.
fn x2c(hi: u8, lo: u8) -> u8 {
    let digit = |c: u8| -> u8 {
        if c >= b'A' {
            ((c & 0xdf) - b'A') + 10
        } else {
            c - b'0'
        }
    };
    digit(hi).wrapping_mul(16).wrapping_add(digit(lo))
}

/// `apr_atoi64` = glibc `strtol(nptr, NULL, 10)` on LP64, C locale.
fn strtol(s: &[u8]) -> i64 {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let mut negative = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        negative = s[i] == b'-';
        i += 1;
    }
    // Magnitude, clamped once past anything i64 can hold.
    let mut magnitude: u128 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        magnitude = (magnitude * 10 + u128::from(s[i] - b'0')).min(1 << 64);
        i += 1;
    }
    if negative {
        if magnitude >= 1 << 63 {
            i64::MIN
        } else {
            -(magnitude as i64)
        }
    } else if magnitude > i64::MAX as u128 {
        i64::MAX
    } else {
        magnitude as i64
    }
}
