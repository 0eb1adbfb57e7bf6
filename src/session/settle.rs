//! What a run of `apr_table_set` and `apr_table_unset` calls leaves in a
//! table that was empty, worked out before the table sees any of it.
//!
//! mod_session decodes a session into an APR table with one
//! `apr_table_set` per pair, and each of those compares the key with every
//! entry already there: a session of many keys costs the square of their
//! number (half a million instructions for 500 keys), which any client can
//! ask of a plain session cookie. [`Settled`] keeps the same table in a
//! hash map of its keys, case-insensitively as APR compares them, so that
//! the caller adds each surviving entry once (`apr_table_addn`).
//!
//! It reproduces APR exactly: a key set again keeps its place and the
//! spelling it was first set with, and takes the new value; an unset
//! removes the key (any case); a key set after its unset goes to the end.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use foldhash::fast::RandomState;

/// A key compared and hashed as APR compares table keys: ASCII letters in
/// either case are equal (`strcasecmp` in httpd's C locale).
#[derive(Clone, Copy)]
struct Folded<'a>(&'a [u8]);

impl PartialEq for Folded<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(other.0)
    }
}

impl Eq for Folded<'_> {}

impl Hash for Folded<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        // Eight bytes at a time, folded to lower case as one word.
        let mut words = self.0.chunks_exact(8);
        for word in &mut words {
            h.write_u64(folded(u64::from_le_bytes(
                word.try_into().expect("8 bytes"),
            )));
        }
        let mut last = [0; 8];
        last[..words.remainder().len()].copy_from_slice(words.remainder());
        h.write_u64(folded(u64::from_le_bytes(last)));
        h.write_usize(self.0.len());
    }
}

/// `word`'s bytes with ASCII upper-case letters made lower case (what
/// `to_ascii_lowercase` does to each), all eight at once: a byte of
/// 'A'..='Z' has bit 5 set, no other changes.
fn folded(word: u64) -> u64 {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGHS: u64 = ONES * 0x80;
    // Each byte's low seven bits plus a constant sets its high bit where
    // they reach 'A' (or pass 'Z'), with no carry into the next byte.
    let low = word & !HIGHS;
    let from_a = low + ONES * (0x80 - u64::from(b'A'));
    let past_z = low + ONES * (0x80 - u64::from(b'Z') - 1);
    let upper = from_a & !past_z & !word & HIGHS;
    word | upper >> 2
}

/// The entries of a table that was empty, after a run of sets and unsets,
/// in the table's order. Keys are hashed with foldhash seeded at random
/// per process (hashbrown's default): a client cannot choose keys that
/// collide without the seed, and std's SipHash would cost a hundred
/// instructions and more per short key.
pub struct Settled<'a, T> {
    /// (key, what it is set to), in the order APR's table would hold
    /// them; `None` where a key was unset.
    slots: Vec<Option<(&'a [u8], T)>>,
    /// Each key that is set, and its slot.
    index: HashMap<Folded<'a>, usize, RandomState>,
}

impl<'a, T> Settled<'a, T> {
    /// Room for about `n` keys.
    pub fn with_capacity(n: usize) -> Self {
        Settled {
            slots: Vec::with_capacity(n),
            index: HashMap::with_capacity_and_hasher(n, RandomState::default()),
        }
    }

    /// `apr_table_set(key, value)`: a key already set keeps its place and
    /// spelling and takes `value`; a new key goes last.
    pub fn set(&mut self, key: &'a [u8], value: T) {
        let next = self.slots.len();
        let at = *self.index.entry(Folded(key)).or_insert(next);
        match self.slots.get_mut(at) {
            Some(Some((_, held))) => *held = value,
            _ => self.slots.push(Some((key, value))),
        }
    }

    /// `apr_table_unset(key)`.
    pub fn unset(&mut self, key: &'a [u8]) {
        if let Some(at) = self.index.remove(&Folded(key)) {
            self.slots[at] = None;
        }
    }

    /// The entries, in the table's order.
    pub fn entries(self) -> impl Iterator<Item = (&'a [u8], T)> {
        self.slots.into_iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// APR's table, naively: what `Settled` must agree with.
    fn naive<'a>(steps: &[(&'a str, Option<&'a str>)]) -> Vec<(&'a str, &'a str)> {
        let mut table: Vec<(&str, &str)> = Vec::new();
        for &(key, value) in steps {
            let same = |k: &&str| k.eq_ignore_ascii_case(key);
            match value {
                Some(v) => match table.iter().position(|(k, _)| same(k)) {
                    Some(i) => table[i].1 = v,
                    None => table.push((key, v)),
                },
                None => table.retain(|(k, _)| !same(k)),
            }
        }
        table
    }

    fn settled<'a>(steps: &[(&'a str, Option<&'a str>)]) -> Vec<(&'a str, &'a str)> {
        let mut s = Settled::with_capacity(steps.len());
        for &(key, value) in steps {
            match value {
                Some(v) => s.set(key.as_bytes(), v),
                None => s.unset(key.as_bytes()),
            }
        }
        s.entries()
            .map(|(k, v)| (std::str::from_utf8(k).unwrap(), v))
            .collect()
    }

    #[test]
    fn words_fold_as_each_byte_would() {
        for b in 0..=255u8 {
            let word = u64::from_le_bytes([b, b'Z', b'a', b'@', b'[', b, 0x80 | b'A', b'M']);
            let want = word.to_le_bytes().map(|c| c.to_ascii_lowercase());
            assert_eq!(folded(word).to_le_bytes(), want, "byte {b:#x}");
        }
    }

    #[test]
    fn sets_replace_in_place_and_unsets_remove_any_case() {
        let steps = [
            ("a", Some("1")),
            ("B", Some("2")),
            ("A", Some("3")),
            ("c", Some("4")),
            ("b", None),
            ("b", Some("5")),
            ("Key", Some("6")),
            ("KEY", None),
            ("key", Some("7")),
        ];
        assert_eq!(
            settled(&steps),
            [("a", "3"), ("c", "4"), ("b", "5"), ("key", "7")]
        );
        assert_eq!(settled(&steps), naive(&steps));
    }

    #[test]
    fn agrees_with_the_naive_table_on_many_keys() {
        // A fixed pseudo-random run over a small alphabet of keys, long
        // ones included (hashed in chunks), so that keys repeat in every
        // case.
        let keys: Vec<String> = (0..40)
            .map(|i| {
                let base = format!("k{}{}", i % 13, "x".repeat(i % 3 * 20));
                if i % 2 == 0 {
                    base.to_ascii_uppercase()
                } else {
                    base
                }
            })
            .collect();
        let values: Vec<String> = (0..10).map(|i| format!("v{i}")).collect();
        let mut x: u64 = 7;
        let mut steps = Vec::new();
        for _ in 0..600 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            let key = keys[(x >> 33) as usize % keys.len()].as_str();
            let value = values[(x >> 40) as usize % values.len()].as_str();
            steps.push((key, if x >> 60 < 3 { None } else { Some(value) }));
            let n = steps.len();
            assert_eq!(settled(&steps[..n]), naive(&steps[..n]));
        }
    }
}
