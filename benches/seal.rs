//! Seal, open and the session text decoder and encoder, in nanoseconds per
//! operation,
//! for sessions of 100 B, 451 B (the request benchmark's), 1 KB and 4 KB:
//! the per-request work of our modules beyond copying strings.
//! `cargo bench --bench seal`. Std only: each case runs batches of about
//! 100 ms and reports the median batch. Opening finds the sealing process's
//! key in its cache, as in a process that sealed the value itself or has
//! opened one of that process's values before.

use std::hint::black_box;
use std::time::{Duration, Instant};

use hkdf::Hkdf;
use mod_session_cookie_rs::seal::{
    Keyring, Limits, Stamp, StockCipher, StockKey, VERSION, open, open_capacity, open_in,
    open_stock, raw_len, seal, seal_into, seal_stock, stretch, text_len, write_text,
};
use mod_session_cookie_rs::session::{Encoder, Entry, buffer_len, decode};
use sha2::Sha256;

const BATCHES: usize = 9;
const BATCH_TIME: Duration = Duration::from_millis(100);
const NOW: u64 = 1_800_000_000;

/// Median ns per call of `f` over BATCHES batches of about BATCH_TIME.
fn ns_per_op(mut f: impl FnMut()) -> f64 {
    // Calibrate: how many calls fill a batch.
    let mut n = 1u64;
    loop {
        let start = Instant::now();
        for _ in 0..n {
            f();
        }
        if start.elapsed() >= BATCH_TIME / 10 {
            n *= 10;
            break;
        }
        n *= 2;
    }
    let mut batches: Vec<f64> = (0..BATCHES)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..n {
                f();
            }
            start.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    batches.sort_by(f64::total_cmp);
    batches[BATCHES / 2]
}

fn main() {
    let mut keyring = Keyring::new();
    keyring
        .add(b"benchmark secret, long enough to pass the check")
        .unwrap();
    let key = keyring.sealing_key().unwrap();

    println!(
        "{:>8} {:>12} {:>12} {:>16} {:>14} {:>14}",
        "session", "seal ns/op", "open ns/op", "open+seal ns/op", "decode ns/op", "encode ns/op"
    );
    for size in [100usize, 451, 1024, 4096] {
        // URL-encoded text as mod_session writes it, escapes included.
        let plain: Vec<u8> = b"user=alice&role=admin&cart=item001%2Citem002%2C"
            .iter()
            .copied()
            .cycle()
            .take(size)
            .collect();
        let stamp = Stamp {
            not_after: NOW + 3600,
            origin_ms: NOW * 1000,
            session_id: Some([1; 16]),
        };
        let limits = Limits {
            now: NOW,
            ..Limits::default()
        };
        // As the module does it: into memory it already has (the request
        // pool there, buffers reused here), text included.
        let names: &[&[u8]] = &[b"session"];
        let mut raw = vec![0; raw_len(VERSION, plain.len(), names)];
        let mut text = vec![0; text_len(raw.len())];
        let seal_ns = ns_per_op(|| {
            seal_into(key, black_box(&plain), stamp, names, b"", &mut raw).unwrap();
            write_text(&raw, &mut text);
            black_box(&text);
        });
        let mut opened = vec![0; open_capacity(text.len())];
        let open_ns = ns_per_op(|| {
            let got = open_in(&keyring, black_box(&text), limits, names, b"", &mut opened);
            black_box(got.unwrap());
        });
        // The same through the allocating API (the CLI's): a check that the
        // buffers above hold what opens.
        let sealed = seal(key, &plain, stamp, names).unwrap();
        assert_eq!(
            open(&keyring, sealed.as_bytes(), limits, names)
                .unwrap()
                .plaintext
                .as_slice(),
            &plain[..]
        );
        let mut buf = vec![0; buffer_len(plain.len())];
        let decode_ns = ns_per_op(|| {
            let mut entries = 0usize;
            decode(black_box(&plain), &mut buf, |entry| {
                black_box(entry);
                entries += 1;
            });
            black_box(entries);
        });
        // The decoded pairs encoded again (the module encodes from the
        // session's table), into a buffer reused as the pool's would be.
        let mut pairs = Vec::new();
        decode(&plain, &mut buf, |entry| {
            if let Entry::Set(key, value) = entry {
                pairs.push((key.bytes().to_vec(), value.bytes().to_vec()));
            }
        });
        let bytes = pairs.iter().map(|(k, v)| k.len() + v.len()).sum();
        let mut out = vec![0; Encoder::buffer_len(bytes, pairs.len())];
        let encode_ns = ns_per_op(|| {
            let mut encoder = Encoder::new(&mut out);
            for (key, value) in black_box(&pairs) {
                encoder.pair(key, value);
            }
            black_box(encoder.finish());
        });
        println!(
            "{size:>7}B {seal_ns:>12.0} {open_ns:>12.0} {:>16.0} {decode_ns:>14.0} {encode_ns:>14.0}",
            seal_ns + open_ns
        );
    }
    offline_guessing();
}

/// What one guess at a passphrase costs an attacker holding one cookie:
/// deriving the key id of the guess and comparing it with the cookie's.
/// Before the work factor (format v1): HKDF-Extract and one Expand. Now:
/// Argon2id first. Single-threaded, per core.
fn offline_guessing() {
    let guess = b"a passphrase guess";
    let hkdf_only = || {
        let hk = Hkdf::<Sha256>::new(Some(b"salt"), black_box(guess));
        let mut id = [0u8; 4];
        hk.expand(b"key id", &mut id).unwrap();
        black_box(id);
    };
    let before = 1e9 / ns_per_op(hkdf_only);
    let start = Instant::now();
    let rounds = 10;
    for _ in 0..rounds {
        black_box(stretch(black_box(guess)));
        hkdf_only();
    }
    let now = f64::from(rounds) / start.elapsed().as_secs_f64();
    // Against one cookie in stock's format: MD5 of the guess keys SipHash
    // over the cookie, checked against its MAC (a wrong guess never reaches
    // PBKDF2). Any stock cookie made under a passphrase that also seals
    // ours undoes the work factor above: hence the switch guide's new
    // secret first (README, "Switching from stock").
    let stock_cookie = seal_stock(
        &StockKey::from_passphrase(b"the real passphrase"),
        StockCipher::Aes256,
        b"user=alice&expiry=1800000000000000",
    )
    .unwrap();
    let stock_guess = || {
        let key = StockKey::from_passphrase(black_box(guess));
        let refused = open_stock(&[key], StockCipher::Aes256, stock_cookie.as_bytes());
        assert!(black_box(refused).is_err());
    };
    let stock = 1e9 / ns_per_op(stock_guess);
    println!();
    println!(
        "offline guessing, per core: {before:.0} guesses/s with HKDF only (v1), {now:.1} guesses/s with Argon2id (v2): {:.0}x slower",
        before / now
    );
    println!(
        "offline guessing against one stock-format cookie, per core: {stock:.0} guesses/s \
         (MD5 and SipHash per guess), {:.0}x more than against ours",
        stock / now
    );
}
