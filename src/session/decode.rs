//! mod_session's `session_identity_decode`, reproduced exactly.
//!
//! mod_session (2.4, `modules/session/mod_session.c`) decodes the session
//! text like this, and so do we (trunk differs: it ends a value at the
//! next `=`; Debian's 2.4 is what the tests compare against):
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
//! own decoder on random texts, through real httpd, and the `session_text`
//! fuzz target to a naive transcription of the rules above.
//!
//! Unlike mod_session, which splits a copy in place with `apr_strtok` and
//! then unescapes each field, we first find where the text's `&`, `=`, `%`
//! and `+` are, sixteen bytes at a time ([`super::specials`]), and then go
//! from pair to pair without looking at the bytes between. Keys and
//! values, each with its NUL, go into the caller's buffer, which can be the
//! table's own memory, so that nothing is copied again: the buffer starts
//! as a copy of the text, and each pair is decoded where it stands. A pair
//! with no escape is its key and value once its `=` and `&` are NULs; one
//! with escapes is unescaped over its own bytes, a word at a time between
//! its escapes, or a byte at a time where they are dense.
//!
//! Decoding also tells whether the text is written as our encoder (and
//! mod_session's) would write its entries again ([`Decoded::verbatim`]):
//! then a session saved unchanged can keep those bytes
//! ([`super::verbatim_entries`]) instead of being encoded anew.

use super::encode::{as_itself, escapes};
use super::specials::{BLOCK, Class, Room, Specials, blocks};
use super::verbatim::tally;

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
/// inside (decoding refuses `%00`, and a C string's bytes hold none): a C
/// string that needs no scan to be one. Only [`decode`] makes one (the
/// field is private), so the FFI layer hands it to C as it is.
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

/// What decoding found of a text as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded {
    /// Every pair set an entry, or was the expiry and came last; no pair
    /// was skipped, empty or unset, pairs were joined by one `&` each, no
    /// key began with `=`, and every escape was the one the encoder
    /// writes for its byte. What remains to be checked for the text to be
    /// its entries' encoding, byte for byte, is their bytes
    /// ([`super::verbatim_entries`]).
    pub verbatim: bool,
    /// How many pairs set an entry.
    pub sets: usize,
    /// The text's bytes before `tallied` are checked: those of fields
    /// dense with escapes by the loop that unescaped them, the others
    /// tallied into `tally` ([`super::verbatim_entries`]).
    pub tallied: usize,
    /// The tally of the bytes before `tallied` outside dense fields.
    pub tally: u64,
    /// Where the entries' pairs end: before the `&` of the expiry pair
    /// that came last, or the text's end.
    pub entries_end: usize,
}

impl Decoded {
    /// A text that was not decoded: nothing in it can be kept.
    const NOTHING: Decoded = Decoded {
        verbatim: false,
        sets: 0,
        tallied: 0,
        tally: 0,
        entries_end: 0,
    };
}

/// Room past the decoded bytes that word-at-a-time copying writes into,
/// and past the text's copy that words are read from.
const SLACK: usize = 8;

/// The buffer [`decode`] needs for a text of `text_len` bytes: a copy of
/// the text where the strings are decoded in place (each pair's key and
/// value, each with its NUL, take at most the pair's own bytes and its
/// `&`), then a copy of the text in whole blocks with zeros after it, read
/// from.
pub fn buffer_len(text_len: usize) -> usize {
    strings_len(text_len) + copy_len(text_len)
}

fn strings_len(text_len: usize) -> usize {
    text_len + 1 + SLACK
}

fn copy_len(text_len: usize) -> usize {
    blocks(text_len) * BLOCK + SLACK
}

/// Decodes the session `text` (a C string's bytes, up to its NUL: the
/// caller has measured it, so it is not scanned again here), writing keys
/// and values into `out` (at least [`buffer_len`] bytes: a shorter one
/// decodes nothing) and handing each step to `apply`. Every string handed
/// out keeps its own place in `out`, borrowed for as long as `out` is: none
/// is overwritten later, so the caller may keep them all.
pub fn decode<'o>(text: &[u8], out: &'o mut [u8], mut apply: impl FnMut(Entry<'o>)) -> Decoded {
    let len = text.len();
    let Some(out) = out.get_mut(..buffer_len(len)) else {
        return Decoded::NOTHING;
    };
    let (strings, copy) = out.split_at_mut(strings_len(len));
    // Each pair is decoded where it stands in `strings`: a pair with no
    // escape is its key and value already, once its `=` and `&` are NULs.
    strings[..len].copy_from_slice(text);
    strings[len..].fill(0);
    copy[..len].copy_from_slice(text);
    copy[len..].fill(0);
    let src: &[u8] = copy;
    let mut room = Room::new();
    let specials = Specials::find(&src[..blocks(len) * BLOCK], len, &mut room);
    let mut pairs = Pairs {
        src,
        specials: &specials,
        escape: specials.next(Class::Escape, 0),
        rest: strings,
        rest_at: 0,
        as_encoded: true,
        tallied: 0,
        tally: 0,
    };
    let mut shaped = true;
    let (mut sets, mut expiry_at) = (0, None);
    let mut begin = 0;
    loop {
        let end = specials.next(Class::Amp, begin);
        if end == begin {
            // Empty (`&&`, or `&` first or last): apr_strtok skips it. An
            // empty text is the encoding of no entries.
            shaped &= len == 0;
        } else {
            // One `&` before each pair but the first, none after the
            // expiry pair.
            shaped &= expiry_at.is_none();
            match pairs.pair(begin, end, &mut shaped) {
                Some(entry) => {
                    match entry {
                        Entry::Set(..) => sets += 1,
                        Entry::Expiry(_) => expiry_at = Some(begin),
                        Entry::Unset(_) => shaped = false,
                    }
                    // One call, for every step: the caller's `apply` is
                    // inlined here.
                    apply(entry);
                }
                None => shaped = false,
            }
        }
        if end == len {
            break;
        }
        begin = end + 1;
    }
    let entries_end = match expiry_at {
        Some(0) => 0,
        Some(start) => start - 1,
        None => len,
    };
    Decoded {
        verbatim: shaped && pairs.as_encoded,
        sets,
        tallied: pairs.tallied,
        tally: pairs.tally,
        entries_end,
    }
}

/// The text's copy (its bytes, then zeros), its special bytes, and the
/// part of the strings not handed out yet.
struct Pairs<'s, 'o> {
    src: &'s [u8],
    specials: &'s Specials<'s>,
    /// The first escape at or after the last pair's key: the pairs before
    /// it have none, and it is looked for again only once passed.
    escape: usize,
    /// `strings[rest_at..]`: the text where it is not handed out yet, but
    /// for the NULs and unescaped bytes of the pair being decoded.
    rest: &'o mut [u8],
    rest_at: usize,
    /// Every escape so far is the one the encoder writes for its byte, and
    /// every byte the byte loop went through one it writes as itself.
    as_encoded: bool,
    /// [`Decoded::tallied`] and [`Decoded::tally`].
    tallied: usize,
    tally: u64,
}

impl<'o> Pairs<'_, 'o> {
    /// The pair `src[begin..end]` (`end` is its `&`, or the text's end),
    /// decoded into its own place in the strings; `None` where it does
    /// nothing: only `=`, or an escape httpd's unescaping refuses.
    /// `shaped` is cleared where `=` lead the key.
    #[inline(always)]
    fn pair(&mut self, begin: usize, end: usize, shaped: &mut bool) -> Option<Entry<'o>> {
        let mut key_at = begin;
        let mut key_end = self.specials.next(Class::Eq, begin);
        if key_end == begin {
            // `=` before a key are skipped, as apr_strtok does.
            *shaped = false;
            key_at += self.src[begin..end]
                .iter()
                .take_while(|&&b| b == b'=')
                .count();
            if key_at == end {
                return None;
            }
            key_end = self.specials.next(Class::Eq, key_at);
        }
        // From here on, offsets are from the key's first byte, where the
        // pair is decoded.
        let here = key_at - self.rest_at;
        if key_end + 1 >= end {
            // No `=` after the key, or nothing after it: the key as written
            // is unset.
            let key_len = key_end.min(end) - key_at;
            let key = self.hand_out(here, key_len + 1);
            key[key_len] = 0;
            return Some(Entry::Unset(CText(key)));
        }
        let (key_len, value_len) = (key_end - key_at, end - key_end - 1);
        if self.escape < key_at {
            self.escape = self.specials.next(Class::Escape, key_at);
        }
        let (key_nul, value_nul) = if self.escape >= end {
            // As written: the `=` and the `&` (or the NUL after the text)
            // become the key's and the value's NULs.
            (key_len, key_len + 1 + value_len)
        } else {
            let unescaped = self.unescape_pair(key_at, key_end, end, here);
            // Word-at-a-time writes may have gone past the pair's `&`, into
            // the next pair's bytes: those are put back.
            let next = end + 1 - self.rest_at;
            self.rest[next..next + SLACK].copy_from_slice(&self.src[end + 1..end + 1 + SLACK]);
            unescaped?
        };
        let pair = self.hand_out(here, value_nul + 1);
        pair[key_nul] = 0;
        pair[value_nul] = 0;
        let (key, value) = (pair as &[u8]).split_at(key_nul + 1);
        if key == b"expiry\0" {
            return Some(Entry::Expiry(atoi64(&value[..value.len() - 1])));
        }
        Some(Entry::Set(CText(key), CText(value)))
    }

    /// Unescapes the key `src[key_at..key_end]` and the value up to `end`
    /// into `rest[here..]`, one after the other with room for a NUL
    /// between; where the key's and the value's NULs go, from `here`.
    #[inline(always)]
    fn unescape_pair(
        &mut self,
        key_at: usize,
        key_end: usize,
        end: usize,
        here: usize,
    ) -> Option<(usize, usize)> {
        let key_nul = if self.escape < key_end {
            self.unescape_field(key_at, key_end, here)?
        } else {
            key_end - key_at
        };
        let value_at = here + key_nul + 1;
        let value_len = if self.specials.any(Class::Escape, key_end + 1, end) {
            self.unescape_field(key_end + 1, end, value_at)?
        } else {
            // Moved up behind a key that unescaping shortened.
            let value = &self.src[key_end + 1..end];
            self.rest[value_at..value_at + value.len()].copy_from_slice(value);
            value.len()
        };
        Some((key_nul, key_nul + 1 + value_len))
    }

    /// `ap_unescape_urlencoded` of `src[from..to]` (which holds an escape)
    /// into `rest` at `write`; how many bytes it wrote. `None` where httpd's
    /// fails: a `%` without two hex digits after it, or one that decodes
    /// to NUL.
    #[inline(always)]
    fn unescape_field(&mut self, from: usize, to: usize, write: usize) -> Option<usize> {
        unescape(
            self.specials,
            self.src,
            from,
            to,
            &mut self.rest[write..],
            &mut Verbatim {
                as_encoded: &mut self.as_encoded,
                tallied: &mut self.tallied,
                tally: &mut self.tally,
            },
        )
    }

    /// `rest[here..here + len]` handed out for good, with what lies before
    /// it (bytes of pairs that decoded shorter, or did nothing), for the
    /// caller to write its NULs into before it hands it on.
    #[inline(always)]
    fn hand_out(&mut self, here: usize, len: usize) -> &'o mut [u8] {
        let (done, rest) = std::mem::take(&mut self.rest).split_at_mut(here + len);
        self.rest = rest;
        self.rest_at += here + len;
        &mut done[here..]
    }
}

/// [`Pairs::unescape_field`]: a long field of many escapes (URLs, quoted
/// text: more than one in [`DENSE`] bytes) goes a byte at a time, others a
/// word at a time between their escapes. Not inlined, and given plain
/// values: the pair loop, which most pairs take without an escape, keeps
/// its registers.
#[inline(never)]
fn unescape(
    specials: &Specials<'_>,
    src: &[u8],
    from: usize,
    to: usize,
    dst: &mut [u8],
    verbatim: &mut Verbatim<'_>,
) -> Option<usize> {
    let len = to - from;
    if len >= LONG && specials.count(Class::Escape, from, to) * DENSE > len {
        // The byte loop checks the field's bytes as it goes: the check of
        // a kept text tallies those before it now, and skips the field.
        if let Some(before) = src.get(*verbatim.tallied..from) {
            *verbatim.tally += tally(before);
            *verbatim.tallied = to;
        }
        unescape_bytes(&src[from..to], dst, verbatim.as_encoded)
    } else {
        unescape_field(&src[from..], len, dst, verbatim.as_encoded)
    }
}

/// Where [`unescape`] notes what it found of the text's being verbatim:
/// [`Pairs`]' fields, borrowed one by one. Kept in `Pairs` as one struct
/// and borrowed whole, they cost the pair loop 40 more instructions a
/// decode on app and 117 on 4k (callgrind, natively).
struct Verbatim<'p> {
    /// [`Pairs::as_encoded`].
    as_encoded: &'p mut bool,
    /// [`Decoded::tallied`] and [`Decoded::tally`].
    tallied: &'p mut usize,
    tally: &'p mut u64,
}

/// Fields shorter than this (an e-mail address, a time zone) are not
/// counted: they go a word at a time.
const LONG: usize = 32;

/// A field with more escapes than one in this many bytes is unescaped a
/// byte at a time: about 12 instructions a plain byte (one of them the
/// check for a kept text, which then skips the field) and 20 an escape,
/// where going a word at a time costs about 25 a run of plain bytes and 30
/// an escape (callgrind, the benchmark's shapes).
const DENSE: usize = 7;

/// [`unescape`] of a field dense with escapes: `field` into
/// the start of `dst`, a byte at a time; how many bytes it wrote. A byte
/// the encoder does not write as itself, or an escape other than the one
/// it writes, clears `verbatim`.
fn unescape_bytes(field: &[u8], dst: &mut [u8], verbatim: &mut bool) -> Option<usize> {
    // Unescaping never lengthens.
    let dst = &mut dst[..field.len()];
    let (mut read, mut write) = (0, 0);
    // Kept in registers while the loop runs.
    let mut as_encoded = true;
    let mut bytes_seen = 0;
    while let Some(&byte) = field.get(read) {
        dst[write] = if byte == b'%' {
            let byte = percent_escape(field, read, &mut as_encoded)?;
            read += 2;
            byte
        } else {
            // `+` is a space, any other byte itself: one load, no branch,
            // and one OR to note a byte the encoder escapes.
            let plain = PLAIN[usize::from(byte)];
            bytes_seen |= plain;
            plain as u8
        };
        read += 1;
        write += 1;
    }
    *verbatim &= as_encoded && bytes_seen & NOT_AS_ITSELF == 0;
    Some(write)
}

/// [`PLAIN`]'s mark of a byte the encoder does not write as itself.
const NOT_AS_ITSELF: u16 = 0x100;

/// Each byte as itself, but `+` as a space; with [`NOT_AS_ITSELF`] for the
/// bytes the encoder writes otherwise (`%` never comes here; `+` is how it
/// writes a space).
const PLAIN: [u16; 256] = {
    let mut table = [0; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = if byte == b'+' as usize {
            b' ' as u16
        } else if as_itself(byte as u8) {
            byte as u16
        } else {
            byte as u16 | NOT_AS_ITSELF
        };
        byte += 1;
    }
    table
};

/// [`unescape`] of a field of few escapes: the first `len` bytes of
/// `src` into the start of `dst`; how many bytes it wrote. `src` goes on
/// past the field (the rest of the text's copy): plain runs are read eight
/// bytes at a time, and may run past the field's end before they are cut
/// back. `dst` has [`SLACK`] bytes past the longest result. An escape other
/// than the one the encoder writes for its byte clears `verbatim`.
fn unescape_field(src: &[u8], len: usize, dst: &mut [u8], verbatim: &mut bool) -> Option<usize> {
    let field = &src[..len];
    let (mut read, mut write) = (0, 0);
    // Kept in a register while the loop runs.
    let mut as_encoded = true;
    while read < len {
        // Session values are runs of plain text between escapes: a word is
        // stored whole, and the run is as long as its plain bytes (the
        // bytes past them are overwritten next).
        if let Some(bytes) = src.get(read..read + 8) {
            let word = u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
            dst[write..write + 8].copy_from_slice(&word.to_le_bytes());
            let special = special_bytes(word);
            let plain = match special {
                0 => 8,
                mask => (mask.trailing_zeros() / 8) as usize,
            };
            read += plain;
            write += plain;
            if special == 0 || read >= len {
                continue;
            }
        }
        // field[read] is '%' or '+', or one of the text's last 7 bytes;
        // escapes that follow one another are taken here, without a word
        // between them.
        loop {
            dst[write] = match field[read] {
                b'+' => b' ',
                b'%' => {
                    let byte = percent_escape(field, read, &mut as_encoded)?;
                    read += 2;
                    byte
                }
                plain => plain,
            };
            read += 1;
            write += 1;
            if !matches!(field.get(read), Some(b'%' | b'+')) {
                break;
            }
        }
    }
    *verbatim &= as_encoded;
    // A run that went past the field copied that many bytes too many.
    Some(write - (read - len))
}

/// The high bit of each byte of `word` (little endian) that is '%' or '+',
/// exact up to the first such byte (the zero-byte test: a borrow only
/// runs upwards).
fn special_bytes(word: u64) -> u64 {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    zero(word ^ (ONES * u64::from(b'%'))) | zero(word ^ (ONES * u64::from(b'+')))
}

/// The byte the escape at `field[at]` (a `%`) stands for, noting in
/// `as_encoded` whether the encoder writes it so; `None` where httpd's
/// unescaping refuses it (the two digits missing, not hex, or `%00`).
#[inline(always)]
fn percent_escape(field: &[u8], at: usize, as_encoded: &mut bool) -> Option<u8> {
    let &[high, low] = field.get(at + 1..at + 3)? else {
        unreachable!("two bytes")
    };
    let (byte, encoded) = escaped_byte(high, low)?;
    *as_encoded &= encoded;
    Some(byte)
}

/// The byte `%` and two hex digits stand for, and whether the encoder
/// writes that byte so (it escapes the byte, in lower-case digits); `None`
/// where httpd's unescaping fails: not two hex digits, or `%00`.
#[inline(always)]
fn escaped_byte(high: u8, low: u8) -> Option<(u8, bool)> {
    // One OR of two loads: the byte, 0x100 if a digit is not hex (`%00`
    // gives 0), and 0x200 if one is an upper-case letter; then one load
    // says what that is.
    let found = HEX_HIGH[usize::from(high)] | HEX_LOW[usize::from(low)];
    match ESCAPES[usize::from(found & 0x3ff)] {
        Escape::Refused => None,
        Escape::Taken => Some((found as u8, false)),
        Escape::Encoded => Some((found as u8, true)),
    }
}

/// Each byte's value as the first hex digit of a pair (shifted), or 0x100;
/// with 0x200 for the letters in upper case.
const HEX_HIGH: [u16; 256] = hex_table(4);
/// Each byte's value as the second hex digit of a pair, or 0x100; with
/// 0x200 for the letters in upper case.
const HEX_LOW: [u16; 256] = hex_table(0);

const fn hex_table(shift: u32) -> [u16; 256] {
    let mut table = [0x100; 256];
    let mut i = 0;
    while i < 16 {
        let value = (i as u16) << shift;
        table[b"0123456789abcdef"[i] as usize] = value;
        if i >= 10 {
            table[b"0123456789ABCDEF"[i] as usize] = value | 0x200;
        }
        i += 1;
    }
    table
}

/// What an escape is, by the value [`escaped_byte`] finds for its digits.
#[derive(Clone, Copy)]
enum Escape {
    /// Not two hex digits, or `%00`: httpd's unescaping fails.
    Refused,
    /// A byte, but not as the encoder writes it.
    Taken,
    /// A byte the encoder escapes, in its lower-case digits.
    Encoded,
}

/// [`Escape`] for each value [`escaped_byte`] finds: a byte, 0x100 if a
/// digit is not hex, 0x200 if one is an upper-case letter.
const ESCAPES: [Escape; 0x400] = {
    let mut table = [Escape::Refused; 0x400];
    let mut found = 1;
    while found < 0x400 {
        if found & 0x100 == 0 && found & 0xff != 0 {
            table[found] = if found < 0x100 && escapes(found as u8) {
                Escape::Encoded
            } else {
                Escape::Taken
            };
        }
        found += 1;
    }
    table
};

/// `apr_atoi64`: glibc's `strtoll(text, NULL, 10)`. Leading C-locale white
/// space, an optional sign, then digits; anything else ends the number (no
/// digits: 0); out of range saturates.
fn atoi64(text: &[u8]) -> i64 {
    // What mod_session writes, microseconds since the epoch: sixteen digits
    // from 2001 to 2286.
    if let Ok(digits) = <&[u8; 16]>::try_from(text)
        && let Some(value) = sixteen_digits(digits)
    {
        return value;
    }
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

/// The number sixteen ASCII digits write (which no i64 overflows), eight
/// at a time; `None` if a byte is not a digit.
fn sixteen_digits(text: &[u8; 16]) -> Option<i64> {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    let eight = |bytes: &[u8]| {
        let word = u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
        // Each byte 0x30..=0x3f, and still below 0x40 with 6 added: '0'..='9'.
        let digits = word & (ONES * 0xf0) == ONES * 0x30
            && word.wrapping_add(ONES * 6) & (ONES * 0xf0) == ONES * 0x30;
        if !digits {
            return None;
        }
        // Pairs of digits, then fours, then all eight (the first digit is
        // the lowest byte); no step carries out of its lane.
        let v = word - ONES * 0x30;
        let v = (v * 10 + (v >> 8)) & 0x00ff_00ff_00ff_00ff;
        let v = (v * 100 + (v >> 16)) & 0x0000_ffff_0000_ffff;
        let v = (v * 10_000 + (v >> 32)) & 0xffff_ffff;
        Some(v as i64)
    };
    Some(eight(&text[..8])? * 100_000_000 + eight(&text[8..])?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The steps decoding `text` takes, as strings.
    fn steps(text: &str) -> Vec<String> {
        // Filled with garbage: decoding must write every byte it hands out.
        let mut buf = vec![0xaa; buffer_len(text.len())];
        let mut out = Vec::new();
        decode(text.as_bytes(), &mut buf, |e| {
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
    fn pairs_across_blocks_and_texts_longer_than_the_stack_holds() {
        // Pairs of every length from 1 to 150 bytes, so that `&`, `=` and
        // escapes fall on every place of a 64-byte block, in a text of
        // about 11 KB (its bitmaps on the heap).
        let mut text = String::new();
        let mut want = Vec::new();
        for i in 1..150 {
            let value: String = (0..i).map(|j| char::from(b'a' + (j % 26) as u8)).collect();
            let escaped = if i % 3 == 0 {
                format!("{value}%2c+")
            } else {
                value.clone()
            };
            let shown = if i % 3 == 0 {
                format!("{value}, ")
            } else {
                value
            };
            if !text.is_empty() {
                text.push('&');
            }
            text.push_str(&format!("k{i}={escaped}"));
            want.push(format!("set k{i}={shown}"));
        }
        assert!(text.len() > 11_000);
        assert_eq!(steps(&text), want);
    }

    #[test]
    fn pairs_after_an_unescaped_one_are_whole() {
        // Unescaping writes a word at a time over the pair's own bytes, and
        // may run past its `&` into the next pair's: those must read as
        // they came, whatever the next pairs are, and wherever they begin.
        for escapes in 1..12 {
            for pad in 0..9 {
                // Plain bytes after the escapes are moved up a word at a time.
                let value = format!("{}{}", "%41".repeat(escapes), "v".repeat(pad));
                for next in ["a=b&c=d", "a&b", "=a=b&c", "a=%42&b=c", "&&a=1", "expiry=7"] {
                    let text = format!("k={value}&{next}");
                    let alone = steps(next);
                    let mut want =
                        vec![format!("set k={}{}", "A".repeat(escapes), "v".repeat(pad))];
                    want.extend(alone);
                    assert_eq!(steps(&text), want, "{text}");
                    // And after a pair that is skipped for a bad escape at
                    // its end.
                    let text = format!("k={value}%zz&{next}");
                    assert_eq!(steps(&text), want[1..], "{text}");
                }
            }
        }
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
            ("1796000000000000", 1_796_000_000_000_000),
            ("0000000000000000", 0),
            ("9999999999999999", 9_999_999_999_999_999),
            ("0123456789012345", 123_456_789_012_345),
            ("179600000000000:", 179_600_000_000_000),
            ("17960/0000000000", 17960),
            ("-796000000000000", -796_000_000_000_000),
        ] {
            assert_eq!(atoi64(text.as_bytes()), want, "{text:?}");
        }
    }

    #[test]
    fn sixteen_digits_as_strtoll_reads_them() {
        // Every byte value at every place among digits.
        let digits = *b"8091726354453627";
        for at in 0..16 {
            for byte in 0..=255u8 {
                let mut text = digits;
                text[at] = byte;
                let want = if byte.is_ascii_digit() {
                    std::str::from_utf8(&text).unwrap().parse::<i64>().ok()
                } else {
                    None
                };
                assert_eq!(sixteen_digits(&text), want, "{text:?}");
            }
        }
    }

    #[test]
    fn strings_handed_out_are_never_overwritten() {
        let text = b"a=1&bb=x%2Cyyyyyyyyyyyyyyy&c&d=%41+&e=%zz&f=ffffffffffffffffffff";
        let mut buf = vec![0xaa; buffer_len(text.len())];
        let base = buf.as_ptr() as usize;
        let mut kept = Vec::new();
        decode(text, &mut buf, |e| {
            let mut keep = |t: CText<'_>| {
                kept.push((t.with_nul().as_ptr() as usize - base, t.with_nul().to_vec()));
            };
            match e {
                Entry::Set(k, v) => {
                    keep(k);
                    keep(v);
                }
                Entry::Unset(k) => keep(k),
                Entry::Expiry(_) => {}
            }
        });
        assert_eq!(kept.len(), 9);
        for (at, bytes) in kept {
            assert_eq!(&buf[at..at + bytes.len()], &bytes[..]);
        }
    }

    #[test]
    fn hex_digits_are_those_of_c() {
        for high in 0..=255u8 {
            for low in 0..=255u8 {
                let escape = [b'%', high, low];
                let byte = (high.is_ascii_hexdigit() && low.is_ascii_hexdigit())
                    .then(|| u8::from_str_radix(&format!("{}{}", high as char, low as char), 16))
                    .map(Result::unwrap)
                    .filter(|&b| b != 0);
                // As the encoder writes the byte, or otherwise.
                let want = byte.map(|b| {
                    let encoded = super::super::encode::tests::encode(&[(b"k", &[b])]);
                    (b, encoded[2..] == escape)
                });
                assert_eq!(escaped_byte(high, low), want, "{escape:?}");
            }
        }
    }

    #[test]
    fn a_short_buffer_decodes_nothing() {
        let mut buf = vec![0; buffer_len(3) - 1];
        let mut called = false;
        decode(b"a=1", &mut buf, |_| called = true);
        assert!(!called);
    }
}
