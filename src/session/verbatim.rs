//! A session saved unchanged keeps the text it came in.
//!
//! With `SessionMaxAge` set, mod_session saves every session on every
//! request, changed or not, to move its expiry on: the entries are encoded
//! again only for the `expiry` pair at the end to differ. Where the text
//! they were decoded from is exactly what encoding them gives, its bytes
//! before the old expiry pair are that encoding already, and the new text is
//! those bytes and the new expiry pair. Decoding checks the text's shape
//! and escapes as it goes ([`super::Decoded`]), and the bytes of fields
//! dense with escapes, which it goes through a byte at a time anyway; the
//! other bytes are checked here, once the caller knows the entries did not
//! change (those before a dense field as decoding reaches it).

use super::Decoded;

/// The encoding of the entries decoded from `text` (`decoded` is how that
/// went): the bytes of `text` before its expiry pair, if encoding those
/// entries again, in the order decoding set them, gives exactly those
/// bytes; `None` where the encoder must run.
///
/// The caller knows that decoding set each entry once (the table has as
/// many entries as `decoded.sets`, the keys all different) and that none
/// changed since.
pub fn verbatim_entries<'t>(text: &'t [u8], decoded: &Decoded) -> Option<&'t [u8]> {
    if !decoded.verbatim {
        return None;
    }
    let entries = text.get(..decoded.entries_end)?;
    // The bytes before `decoded.tallied` were tallied while decoding, or
    // checked by its byte loop.
    let rest = entries.get(decoded.tallied..)?;
    (decoded.tally + tally(rest) == decoded.sets as u64).then_some(entries)
}

/// The tally of `bytes`: 1 for each `=`, and 1 << 32 for each byte the
/// encoder never writes. Each byte of an encoded text is one the encoder
/// writes as itself, or `+` (a space), `%` (an escape decoding checked),
/// `&` (a separator it checked) or `=`; one `=` per pair is the separator
/// decoding found, so no value holds one: a text's tally is its number of
/// pairs. Counted, not branched on.
pub(super) fn tally(bytes: &[u8]) -> u64 {
    let add = |tally: u64, &b: &u8| tally + TALLY[usize::from(b)];
    // Eight bytes a turn: a load and an add each, the loop's own steps
    // once.
    let mut eights = bytes.chunks_exact(8);
    let tally = (&mut eights).fold(0, |tally, eight| eight.iter().fold(tally, add));
    eights.remainder().iter().fold(tally, add)
}

/// What each byte adds to [`verbatim_entries`]' tally.
const TALLY: [u64; 256] = tally_table();

const fn tally_table() -> [u64; 256] {
    let mut table = [1 << 32; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        if byte.is_ascii_alphanumeric()
            || matches!(byte, b'.' | b'-' | b'*' | b'_' | b'+' | b'%' | b'&')
        {
            table[b] = 0;
        } else if byte == b'=' {
            table[b] = 1;
        }
        b += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    use super::super::{Entry, buffer_len, decode};
    use super::*;

    /// A table's entries, in order.
    type Entries = Vec<(Vec<u8>, Vec<u8>)>;

    /// The entries `text` decodes to, in order (a set replacing an earlier
    /// key of any case in place), and how decoding went.
    fn decoded(text: &[u8]) -> (Entries, Decoded) {
        let mut buf = vec![0xaa; buffer_len(text.len())];
        let mut table: Entries = Vec::new();
        let summary = decode(text, &mut buf, |e| match e {
            Entry::Set(k, v) => {
                let (k, v) = (k.bytes().to_vec(), v.bytes().to_vec());
                match table
                    .iter_mut()
                    .find(|(key, _)| key.eq_ignore_ascii_case(&k))
                {
                    Some(entry) => entry.1 = v,
                    None => table.push((k, v)),
                }
            }
            Entry::Unset(k) => table.retain(|(key, _)| !key.eq_ignore_ascii_case(k.bytes())),
            Entry::Expiry(_) => {}
        });
        (table, summary)
    }

    fn encoded(entries: &Entries) -> Vec<u8> {
        let pairs: Vec<(&[u8], &[u8])> = entries.iter().map(|(k, v)| (&k[..], &v[..])).collect();
        super::super::encode::tests::encode(&pairs)
    }

    /// What the caller does: kept only if each entry was set once.
    fn kept(text: &str) -> Option<Vec<u8>> {
        let (entries, summary) = decoded(text.as_bytes());
        if entries.len() != summary.sets {
            return None;
        }
        let kept = verbatim_entries(text.as_bytes(), &summary)?.to_vec();
        assert_eq!(
            kept,
            encoded(&entries),
            "{text:?} kept other bytes than encoding gives"
        );
        Some(kept)
    }

    #[test]
    fn texts_the_encoder_wrote_are_kept_up_to_their_expiry() {
        for (text, entries) in [
            ("user=alice&expiry=1700000000000000", "user=alice"),
            ("a=1&b=x%2cy+z&c=%e2%82%ac", "a=1&b=x%2cy+z&c=%e2%82%ac"),
            ("expiry=5", ""),
            ("", ""),
            ("k=.-*_AZaz09", "k=.-*_AZaz09"),
            ("a=1&expiry=5&", ""),
        ] {
            let got = kept(text).map(|k| String::from_utf8(k).unwrap());
            if text.ends_with('&') {
                assert_eq!(got, None, "{text:?}");
            } else {
                assert_eq!(got.as_deref(), Some(entries), "{text:?}");
            }
        }
    }

    #[test]
    fn texts_written_otherwise_are_encoded_again() {
        for text in [
            // Escapes the encoder writes otherwise, or not at all.
            "k=%2C",
            "k=%41",
            "k=%20",
            "expir%79=5",
            // Bytes it escapes, written raw.
            "k=a,b",
            "k=a b",
            "k=a=b",
            "k=caf\u{e9}",
            "k=~",
            // Pairs it never writes: empty, unset, skipped, or after the expiry.
            "&a=1",
            "a=1&&b=2",
            "a=1&",
            "=a=1",
            "a=1&b",
            "a=1&b=",
            "a=1&b=%zz",
            "a=1&b=%00",
            "expiry=5&a=1",
            "a=1&expiry=5&expiry=6",
        ] {
            let (_, summary) = decoded(text.as_bytes());
            assert_eq!(
                verbatim_entries(text.as_bytes(), &summary),
                None,
                "{text:?}"
            );
        }
    }

    /// A field of 32 bytes or more, one in three an escape: decoded a
    /// byte at a time, which checks its bytes itself.
    fn dense(middle: &str) -> String {
        format!("%2c%2c%2c%2c{middle}%2c%2c%2c%2c%2c%2c%2c")
    }

    #[test]
    fn dense_fields_are_checked_as_they_are_unescaped() {
        // Kept: the bytes before, between and after dense fields are
        // tallied, the fields' own checked by the byte loop.
        for text in [
            format!("k={}", dense("a+b")),
            format!("a=1&k={}&b=2&expiry=5", dense("x.y")),
            format!("{}=v&a=b%2c", dense("-_*")),
            format!("a=1&k={}&b=2&q={}", dense("0"), dense("Z")),
        ] {
            assert!(kept(&text).is_some(), "{text:?}");
        }
        // Not kept: a byte the encoder escapes, raw in a dense field, or an
        // escape it writes otherwise; and the same around a dense field.
        for text in [
            format!("k={}", dense(",")),
            format!("k={}", dense(" ")),
            format!("k={}", dense("=")),
            format!("k={}", dense("~")),
            format!("k={}", dense("%41")),
            format!("k={}", dense("%2C")),
            format!("{}=v", dense("\u{e9}")),
            format!("a=x,y&k={}", dense("a")),
            format!("k={}&a=x,y", dense("a")),
            format!("a=x=y&k={}", dense("a")),
            format!("k={}&b=%41", dense("a")),
        ] {
            let (_, summary) = decoded(text.as_bytes());
            assert_eq!(
                verbatim_entries(text.as_bytes(), &summary),
                None,
                "{text:?}"
            );
        }
    }

    #[test]
    fn repeated_keys_are_left_to_the_caller() {
        // Decoding sets "a" twice: the table holds one entry where decoding
        // counted two sets, which the caller sees.
        let (entries, summary) = decoded(b"a=1&A=2");
        assert_eq!((entries.len(), summary.sets), (1, 2));
        assert_eq!(kept("a=1&A=2"), None);
    }
}
