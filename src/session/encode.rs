//! mod_session's `session_identity_encode`, reproduced exactly.
//!
//! mod_session (2.4, `modules/session/mod_session.c`) encodes a session's
//! entries like this when it saves the session, and so do we:
//! - every entry of the table, in table order, becomes `key=value`, the
//!   pairs joined with `&` (an entry with an empty key or value still makes
//!   its pair: `=v`, `k=`);
//! - keys and values go through `ap_escape_urlencoded`: ASCII letters,
//!   digits and `.-*_` stay as they are, a space becomes `+`, every other
//!   byte `%xx` with lower-case hex digits.
//!
//! The `expiry` entry it adds first is the caller's business (it is a table
//! operation). `tests/integration/test_session_text.py` holds the whole
//! save path to mod_session's own encoder through real httpd, and the
//! `session_text` fuzz target holds this encoder to a naive transcription
//! of httpd's escaping loop.

/// Room past the text that escaping a field's last bytes writes into: a
/// whole window from where they start.
const SLACK: usize = WINDOW - 1;

/// Writes the pairs of one session text into a buffer of
/// [`Encoder::buffer_len`] bytes for them.
pub struct Encoder<'a> {
    out: &'a mut [u8],
    len: usize,
}

impl<'a> Encoder<'a> {
    /// The buffer an encoding of `pairs` pairs with `field_bytes` bytes of
    /// keys and values in all needs: mod_session's own allocation (three
    /// bytes per byte, `=` and `&` per pair, the NUL) and [`SLACK`] that
    /// escaping writes into and the text never reaches.
    pub fn buffer_len(field_bytes: usize, pairs: usize) -> usize {
        3 * field_bytes + 2 * pairs + 1 + SLACK
    }

    pub fn new(out: &'a mut [u8]) -> Self {
        Encoder { out, len: 0 }
    }

    /// Appends `key=value`, after a `&` unless it is the first pair. Keys
    /// and values are C strings' bytes (no NUL inside).
    ///
    /// # Panics
    /// If the buffer is shorter than [`Encoder::buffer_len`] for the pairs so far.
    pub fn pair(&mut self, key: &[u8], value: &[u8]) {
        if self.len > 0 {
            self.out[self.len] = b'&';
            self.len += 1;
        }
        self.len += escape(key, &mut self.out[self.len..]);
        self.out[self.len] = b'=';
        self.len += 1;
        self.len += escape(value, &mut self.out[self.len..]);
    }

    /// The text and its NUL.
    pub fn finish(self) -> &'a [u8] {
        self.out[self.len] = 0;
        &self.out[..=self.len]
    }
}

/// `ap_escape_urlencoded` of `field` into the start of `out`; returns the
/// bytes written. `out` needs three bytes per byte of `field`, and
/// [`SLACK`] more.
///
/// Each byte stores its whole table entry and moves on by the entry's
/// length: no branch per byte, and the bytes past the length are
/// overwritten by what comes next. [`CHUNK`] bytes at a time write into
/// a window of their worst case, so that the compiler checks the window's
/// bounds once, not each byte's.
fn escape(field: &[u8], out: &mut [u8]) -> usize {
    let mut len = 0;
    let mut chunks = field.chunks_exact(CHUNK);
    for chunk in &mut chunks {
        len += escape_chunk(chunk, window(out, len));
    }
    len + escape_chunk(chunks.remainder(), window(out, len))
}

/// The [`WINDOW`] bytes of `out` from `at`: room for a chunk escaped, and
/// the last entry's spare byte. The buffer's [`SLACK`] keeps it inside for the
/// last bytes of a text.
fn window(out: &mut [u8], at: usize) -> &mut [u8; WINDOW] {
    (&mut out[at..at + WINDOW]).try_into().expect("a window")
}

/// Bytes escaped per step: the compiler unrolls the step whole (longer
/// ones measured slower, with bounds checks back in the loop).
const CHUNK: usize = 16;

const WINDOW: usize = 3 * CHUNK + 1;

/// Escapes up to [`CHUNK`] bytes into `window`; returns the bytes written.
#[inline(always)]
fn escape_chunk(chunk: &[u8], window: &mut [u8; WINDOW]) -> usize {
    let mut at = 0;
    for &b in chunk.iter().take(CHUNK) {
        // at <= 3 * (CHUNK - 1) before the last byte: inside the window.
        at += escape_byte(b, &mut window[at..]);
    }
    at
}

/// Writes `b`'s table entry at the start of `out` (four bytes: up to three
/// that count, and one that what comes next overwrites); returns how many
/// count (the entry's top two bits, which the compiler knows are at most
/// 3).
#[inline(always)]
fn escape_byte(b: u8, out: &mut [u8]) -> usize {
    let entry = ESCAPED[usize::from(b)];
    out[..4].copy_from_slice(&entry.to_le_bytes());
    (entry >> 30) as usize
}

/// Whether the encoder writes `byte` as an escape (`%` and two lower-case
/// hex digits).
pub(super) const fn escapes(byte: u8) -> bool {
    ESCAPED[byte as usize] >> 30 == 3
}

/// Whether the encoder writes `byte` as itself.
pub(super) const fn as_itself(byte: u8) -> bool {
    ESCAPED[byte as usize] == byte as u32 | 1 << 30
}

/// Each byte's encoding: its bytes (little endian) and, in the top two
/// bits, how many of them count (1 or 3).
const ESCAPED: [u32; 256] = escape_table();

const fn escape_table() -> [u32; 256] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut table = [0; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'*' | b'_') {
            byte as u32 | 1 << 30
        } else if byte == b' ' {
            b'+' as u32 | 1 << 30
        } else {
            b'%' as u32 | (HEX[b >> 4] as u32) << 8 | (HEX[b & 15] as u32) << 16 | 3 << 30
        };
        b += 1;
    }
    table
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// The text `pairs` encode to, in a buffer of exactly
    /// [`Encoder::buffer_len`] bytes full of garbage: escaping writes past
    /// the text into the slack, never past the buffer (slicing would
    /// panic).
    pub(in crate::session) fn encode(pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
        let bytes = pairs.iter().map(|(k, v)| k.len() + v.len()).sum();
        let mut buf = vec![0xaa; Encoder::buffer_len(bytes, pairs.len())];
        let mut encoder = Encoder::new(&mut buf);
        for (k, v) in pairs {
            encoder.pair(k, v);
        }
        let text = encoder.finish();
        let (&nul, text) = text.split_last().unwrap();
        assert_eq!(nul, 0);
        text.to_vec()
    }

    /// httpd's loop, naively: TEST_CHAR(c, T_ESCAPE_URLENCODED) is "not
    /// alphanumeric and not in `.-*_ `" (server/gen_test_char.c).
    fn naive(field: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for &c in field {
            if !c.is_ascii_alphanumeric() && !b".-*_ ".contains(&c) {
                out.extend(format!("%{c:02x}").bytes());
            } else if c == b' ' {
                out.push(b'+');
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn every_byte_escapes_as_httpd_does() {
        let all: Vec<u8> = (1..=255).collect();
        assert_eq!(
            encode(&[(&all, &all)]),
            [naive(&all), b"=".to_vec(), naive(&all)].concat()
        );
        assert_eq!(encode(&[(b"a b", b"x,y~")]), b"a+b=x%2cy%7e");
    }

    #[test]
    fn pairs_in_order_joined_with_ampersands() {
        assert_eq!(encode(&[]), b"");
        assert_eq!(
            encode(&[(b"user", b"alice"), (b"expiry", b"17")]),
            b"user=alice&expiry=17"
        );
        // Empty keys and values make their pairs all the same.
        assert_eq!(encode(&[(b"", b""), (b"k", b""), (b"", b"v")]), b"=&k=&=v");
    }

    #[test]
    fn every_byte_in_every_place_of_a_word() {
        // Each byte after 0 to 7 plain ones, with plain and other bytes
        // after it: the runs end exactly where they should.
        for b in 1..=255u8 {
            for run in 0..8 {
                for tail in [
                    &b"abcdefghijklmnop"[..],
                    b"%%%%%%%%%%%%%%%%",
                    b"~a~a~a~a~a~a~a~a",
                ] {
                    let field = [&b"Zz09.-*_"[..run], &[b], tail].concat();
                    assert_eq!(
                        encode(&[(&field, b"")]),
                        [naive(&field), b"=".to_vec()].concat()
                    );
                }
            }
        }
    }

    #[test]
    fn worst_case_fits_the_buffer() {
        // Every byte escaped: the most a text can take.
        let hard = [b'%'; 100];
        assert_eq!(encode(&[(&hard, &hard)]).len(), 300 + 1 + 300);
        assert_eq!(
            encode(&[(&hard[..1], &hard[..0]), (&hard, &hard)]).len(),
            3 + 1 + 1 + 601
        );
    }
}
