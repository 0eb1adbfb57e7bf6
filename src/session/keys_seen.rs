//! Which keys a session decoded into an empty table may already hold.
//!
//! `apr_table_setn` compares a key with every entry of the same first
//! letter before it adds it (about 115 instructions a key at 24 keys);
//! `apr_table_addn` only adds (about 45). A key this filter has not seen
//! is not in the table, so adding it is what setting it would do. The
//! filter is a fold of the key's first and last bytes and its length:
//! cheap to take, and keys that differ only in case (the table's keys are
//! compared ignoring it) fold alike. A key that may have been seen goes to
//! `apr_table_setn`, as before.

/// One bit per fold: 256 of them.
pub struct KeysSeen([u64; 4]);

impl KeysSeen {
    pub fn new() -> KeysSeen {
        KeysSeen([0; 4])
    }

    /// Notes `key`; whether a key equal to it ignoring case may have been
    /// noted before (`false`: surely not).
    pub fn note(&mut self, key: &[u8]) -> bool {
        // Letters of either case (and any two bytes 0x20 apart) fold alike:
        // what strcasecmp calls equal, in any single-byte locale too.
        let fold = |byte: Option<&u8>| usize::from(byte.map_or(0, |b| b | 0x20));
        let at = (fold(key.first()) * 7 + fold(key.last()) * 31 + key.len()) & 255;
        let (word, bit) = (&mut self.0[at / 64], 1 << (at % 64));
        let seen = *word & bit != 0;
        *word |= bit;
        seen
    }
}

impl Default for KeysSeen {
    fn default() -> KeysSeen {
        KeysSeen::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_seen_again_in_any_case_is_seen() {
        // Each key, and the same key as a client may send it again.
        let keys: [(&[u8], &[u8]); 7] = [
            (b"user", b"USER"),
            (b"email", b"Email"),
            (b"tz", b"TZ"),
            (b"f1", b"F1"),
            (b"f10", b"f10"),
            (b"\xc9t\xc9", b"\xe9t\xe9"),
            (b"", b""),
        ];
        let mut seen = KeysSeen::new();
        for (key, _) in keys {
            assert!(!seen.note(key), "{key:?} is new");
        }
        for (_, again) in keys {
            assert!(seen.note(again), "{again:?} was seen");
        }
    }

    #[test]
    fn an_application_sessions_keys_are_mostly_told_apart() {
        // The benchmark's application session: 24 keys.
        let mut keys: Vec<Vec<u8>> = ["user", "email", "tz", "lang", "role", "csrf", "cart"]
            .iter()
            .map(|k| k.as_bytes().to_vec())
            .collect();
        keys.extend((1..=17).map(|i| format!("f{i}").into_bytes()));
        let mut seen = KeysSeen::new();
        let clashes = keys.iter().filter(|k| seen.note(k)).count();
        assert!(
            clashes <= 2,
            "{clashes} of {} keys taken for seen",
            keys.len()
        );
    }
}
