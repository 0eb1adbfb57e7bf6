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

/// Texts of up to this many blocks (4 KB) keep their bitmaps on the stack;
/// longer ones (chunked sessions) on the heap, for the call.
const ON_STACK: usize = 64;

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
/// bit `i` for the block's byte `i`.
pub(super) struct Specials<'a> {
    masks: &'a [[u64; CLASSES]],
}

impl<'a> Specials<'a> {
    /// Finds the special bytes of `text`: [`blocks`] whole blocks (the
    /// text, then zeros, which are none of them).
    pub(super) fn find(text: &[u8], room: &'a mut Room) -> Specials<'a> {
        let blocks = text.chunks_exact(BLOCK);
        let masks = if blocks.len() <= ON_STACK {
            &mut room.on_stack[..blocks.len()]
        } else {
            room.on_heap.resize(blocks.len(), [0; CLASSES]);
            &mut room.on_heap[..]
        };
        for (block, masks) in blocks.zip(masks.iter_mut()) {
            *masks = block_masks(block.try_into().expect("a block"));
        }
        Specials { masks }
    }

    /// The bytes of `class` from `from` on, in order, up to `end` (both at
    /// most the text's length).
    #[inline(always)]
    pub(super) fn scan(&self, class: Class, from: usize, end: usize) -> Scan<'a> {
        let masks = self.masks;
        let block = from / BLOCK;
        Scan {
            masks,
            class: class as usize,
            block,
            word: masks[block][class as usize] & (!0 << (from % BLOCK)),
            end,
        }
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

/// A walk through the bytes of one class ([`Specials::scan`]), keeping the
/// word it is in.
pub(super) struct Scan<'a> {
    masks: &'a [[u64; CLASSES]],
    class: usize,
    block: usize,
    /// The bits of the block not yet walked.
    word: u64,
    end: usize,
}

impl Scan<'_> {
    /// Where the next byte is; the scan's end once there is none before it.
    #[inline(always)]
    pub(super) fn next(&mut self) -> usize {
        loop {
            if self.word != 0 {
                let at = self.block * BLOCK + self.word.trailing_zeros() as usize;
                self.word &= self.word - 1;
                return at.min(self.end);
            }
            if (self.block + 1) * BLOCK >= self.end {
                return self.end;
            }
            self.block += 1;
            self.word = self.masks[self.block][self.class];
        }
    }
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
        Specials::find(&padded, room)
    }

    /// What a scan gives until it reaches its end.
    fn walked(mut scan: Scan<'_>, end: usize) -> Vec<usize> {
        std::iter::from_fn(|| Some(scan.next()).filter(|&at| at != end)).collect()
    }

    #[test]
    fn every_byte_of_each_class_and_no_other() {
        // Every byte value at every place of a block, in texts on the stack
        // and on the heap.
        for len in [3 * BLOCK + 5, ON_STACK * BLOCK + 70] {
            let mut text: Vec<u8> = (0..=255u8).cycle().take(len).collect();
            text.rotate_left(7);
            let mut room = Room::new();
            let specials = found(&text, &mut room);
            for (class, bytes) in CLASSES {
                let want: Vec<usize> = (0..len).filter(|&i| bytes.contains(&text[i])).collect();
                assert_eq!(walked(specials.scan(class, 0, len), len), want, "{len}");
            }
        }
    }

    #[test]
    fn scans_start_where_asked_and_stop_at_their_end() {
        let text = b"a=b&cc=dd&e%41=f+g";
        let mut room = Room::new();
        let specials = found(text, &mut room);
        assert_eq!(
            walked(specials.scan(Class::Amp, 0, text.len()), text.len()),
            [3, 9]
        );
        assert_eq!(
            walked(specials.scan(Class::Amp, 4, text.len()), text.len()),
            [9]
        );
        assert_eq!(walked(specials.scan(Class::Amp, 4, 6), 6), [] as [usize; 0]);
        assert_eq!(
            walked(specials.scan(Class::Eq, 4, text.len()), text.len()),
            [6, 14]
        );
        assert_eq!(
            walked(specials.scan(Class::Escape, 0, 11), 11),
            [] as [usize; 0]
        );
        assert_eq!(walked(specials.scan(Class::Escape, 11, 17), 17), [11, 16]);
        let mut scan = specials.scan(Class::Escape, 12, 16);
        assert_eq!((scan.next(), scan.next()), (16, 16));
        let long = [b"x".repeat(200), b"&".to_vec(), b"y".repeat(100)].concat();
        let mut room = Room::new();
        let specials = found(&long, &mut room);
        assert_eq!(
            walked(specials.scan(Class::Amp, 3, 150), 150),
            [] as [usize; 0]
        );
        assert_eq!(
            walked(specials.scan(Class::Amp, 3, long.len()), long.len()),
            [200]
        );
        assert_eq!(
            walked(specials.scan(Class::Amp, 201, long.len()), long.len()),
            [] as [usize; 0]
        );
    }
}
