//! Where the bytes that mean something in a session text are: `&` (between
//! pairs), `=` (after a key) and `%` or `+` (escapes), one bit per byte of
//! the text for each, found sixteen bytes at a time (`wide`: SSE2 on
//! x86-64, NEON on aarch64, plain code elsewhere). The decoder then goes
//! from one to the next without looking at the bytes between.

use wide::u8x16;

/// Bytes of text per bitmap word.
pub(super) const BLOCK: usize = 64;

/// How many blocks a text of `len` bytes is read in: one more than it
/// fills, so that its end (where searches stop) lies in a block.
pub(super) fn blocks(len: usize) -> usize {
    len / BLOCK + 1
}

/// Bitmaps per block: one per [`Class`].
const CLASSES: usize = 3;

/// Texts of up to this many blocks (1 KB) keep their bitmaps on the stack;
/// longer ones on the heap, for the call. The room is zeroed on every call
/// (384 bytes here): a longer text pays an allocation instead, next to
/// the thousands of instructions its decoding takes.
const ON_STACK: usize = 16;

/// Room for a text's bitmaps, made by the caller (so that they are not
/// moved when found).
pub(super) struct Room {
    on_stack: [[u64; CLASSES]; ON_STACK],
    on_heap: Vec<[u64; CLASSES]>,
}

impl Room {
    pub(super) fn new() -> Room {
        Room {
            on_stack: [[0; CLASSES]; ON_STACK],
            on_heap: Vec::new(),
        }
    }
}

/// Where one text's special bytes are: for each block, a word per class,
/// bit `i` for the block's byte `i`. The text's end is marked in every
/// class as well (a sentinel), so that a search stops there at the
/// latest, with no bound of its own to check.
pub(super) struct Specials<'a> {
    masks: &'a [[u64; CLASSES]],
}

impl<'a> Specials<'a> {
    /// Finds the special bytes of the text's first `len` bytes in `padded`:
    /// [`blocks`] whole blocks (the text, then zeros, which are none of
    /// them).
    pub(super) fn find(padded: &[u8], len: usize, room: &'a mut Room) -> Specials<'a> {
        let blocks = padded.chunks_exact(BLOCK);
        let masks = if blocks.len() <= ON_STACK {
            &mut room.on_stack[..blocks.len()]
        } else {
            room.on_heap.resize(blocks.len(), [0; CLASSES]);
            &mut room.on_heap[..]
        };
        for (block, masks) in blocks.zip(masks.iter_mut()) {
            *masks = block_masks(block.try_into().expect("a block"));
        }
        for mask in &mut masks[len / BLOCK] {
            *mask |= 1 << (len % BLOCK);
        }
        Specials { masks }
    }

    /// Where the first byte of `class` at or after `from` is; the text's
    /// length if none is. `from` is at most the text's length.
    #[inline(always)]
    pub(super) fn next(&self, class: Class, from: usize) -> usize {
        let class = class as usize;
        let mut block = from / BLOCK;
        let mut word = self.masks[block][class] & (!0 << (from % BLOCK));
        // The sentinel at the text's end ends the walk.
        while word == 0 {
            block += 1;
            word = self.masks[block][class];
        }
        block * BLOCK + word.trailing_zeros() as usize
    }

    /// How many bytes of `class` lie in `from..to` (`to` at most the
    /// text's length).
    #[inline(always)]
    pub(super) fn count(&self, class: Class, from: usize, to: usize) -> usize {
        let class = class as usize;
        let (first, last) = (from / BLOCK, to / BLOCK);
        let mut count = 0;
        let mut word = self.masks[first][class] & (!0 << (from % BLOCK));
        for block in first..last {
            count += word.count_ones();
            word = self.masks[block + 1][class];
        }
        (count + (word & !(!0 << (to % BLOCK))).count_ones()) as usize
    }

    /// Whether a byte of `class` lies in `from..to` (`to` at most the
    /// text's length): unlike [`Specials::next`], it looks no further.
    #[inline(always)]
    pub(super) fn any(&self, class: Class, from: usize, to: usize) -> bool {
        let class = class as usize;
        let (mut block, last) = (from / BLOCK, to / BLOCK);
        let mut word = self.masks[block][class] & (!0 << (from % BLOCK));
        while block < last {
            if word != 0 {
                return true;
            }
            block += 1;
            word = self.masks[block][class];
        }
        word & !(!0 << (to % BLOCK)) != 0
    }
}

/// The bytes a bitmap marks.
#[derive(Clone, Copy)]
pub(super) enum Class {
    /// `&`.
    Amp = 0,
    /// `=`.
    Eq = 1,
    /// `%` or `+`.
    Escape = 2,
}

/// One block's bitmaps, in [`Class`] order.
fn block_masks(block: &[u8; BLOCK]) -> [u64; CLASSES] {
    let mut masks = [0; CLASSES];
    for (i, chunk) in block.chunks_exact(16).enumerate() {
        let bytes = u8x16::new(chunk.try_into().expect("16 bytes"));
        let is = |byte: u8| bytes.simd_eq(u8x16::splat(byte));
        for (mask, found) in masks
            .iter_mut()
            .zip([is(b'&'), is(b'='), is(b'%') | is(b'+')])
        {
            *mask |= u64::from(found.to_bitmask()) << (16 * i);
        }
    }
    masks
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each class, and its bytes.
    const CLASSES: [(Class, &[u8]); 3] = [
        (Class::Amp, b"&"),
        (Class::Eq, b"="),
        (Class::Escape, b"%+"),
    ];

    fn found<'a>(text: &[u8], room: &'a mut Room) -> Specials<'a> {
        let mut padded = text.to_vec();
        padded.resize(blocks(text.len()) * BLOCK, 0);
        Specials::find(&padded, text.len(), room)
    }

    /// Every byte of `class` from `from` on, as `next` finds them one
    /// after the other, up to the text's end.
    fn walked(specials: &Specials<'_>, class: Class, from: usize, len: usize) -> Vec<usize> {
        let mut at = from;
        let mut out = Vec::new();
        loop {
            let next = specials.next(class, at);
            assert!(next >= at && next <= len, "{next} from {at}");
            if next == len {
                return out;
            }
            out.push(next);
            at = next + 1;
        }
    }

    #[test]
    fn every_byte_of_each_class_and_no_other() {
        // Every byte value at every place of a block, in texts on the stack
        // and on the heap, ending anywhere in their last block.
        for len in [
            3 * BLOCK + 5,
            4 * BLOCK - 1,
            4 * BLOCK,
            ON_STACK * BLOCK + 70,
        ] {
            let mut text: Vec<u8> = (0..=255u8).cycle().take(len).collect();
            text.rotate_left(7);
            let mut room = Room::new();
            let specials = found(&text, &mut room);
            for (class, bytes) in CLASSES {
                let want: Vec<usize> = (0..len).filter(|&i| bytes.contains(&text[i])).collect();
                assert_eq!(walked(&specials, class, 0, len), want, "{len}");
            }
        }
    }

    #[test]
    fn searches_start_where_asked_and_stop_at_the_end() {
        let text = b"a=b&cc=dd&e%41=f+g";
        let len = text.len();
        let mut room = Room::new();
        let specials = found(text, &mut room);
        assert_eq!(walked(&specials, Class::Amp, 0, len), [3, 9]);
        assert_eq!(walked(&specials, Class::Amp, 4, len), [9]);
        assert_eq!(walked(&specials, Class::Eq, 4, len), [6, 14]);
        assert_eq!(walked(&specials, Class::Escape, 12, len), [16]);
        assert_eq!(specials.next(Class::Escape, 17), len);
        assert_eq!(specials.next(Class::Amp, len), len);
        // Blocks with none of a class are walked over, to the end.
        let long = [b"x".repeat(200), b"&".to_vec(), b"y".repeat(100)].concat();
        let mut room = Room::new();
        let specials = found(&long, &mut room);
        assert_eq!(specials.next(Class::Amp, 3), 200);
        assert_eq!(specials.next(Class::Amp, 201), long.len());
        assert_eq!(specials.next(Class::Eq, 0), long.len());
        // Counted in one block, or across many.
        for (from, to, want) in [
            (0, 200, 0),
            (0, 201, 1),
            (200, 201, 1),
            (201, 300, 0),
            (3, 150, 0),
        ] {
            assert_eq!(specials.count(Class::Amp, from, to), want, "{from}..{to}");
        }
        // Only what lies in the range counts, in one block or across many.
        for (from, to, want) in [
            (0, 200, false),
            (0, 201, true),
            (200, 201, true),
            (201, 300, false),
            (150, 150, false),
        ] {
            assert_eq!(specials.any(Class::Amp, from, to), want, "{from}..{to}");
        }
        // An empty text is its end.
        let mut room = Room::new();
        assert_eq!(found(b"", &mut room).next(Class::Eq, 0), 0);
    }
}
