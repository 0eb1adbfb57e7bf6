//! Seal and open, in nanoseconds per operation, for sessions of 100 B, 1 KB
//! and 4 KB: the whole per-request cost of session_crypto_module beyond
//! copying strings. `cargo bench --bench seal`. Std only: each case runs
//! batches of about 100 ms and reports the median batch.

use std::hint::black_box;
use std::time::{Duration, Instant};

use mod_session_cookie_rs::seal::{Keyring, open, seal};

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

    println!("{:>8} {:>12} {:>12}", "session", "seal ns/op", "open ns/op");
    for size in [100usize, 1024, 4096] {
        let plain: Vec<u8> = b"user=alice&role=admin&"
            .iter()
            .copied()
            .cycle()
            .take(size)
            .collect();
        let sealed = seal(key, &plain, NOW + 3600, &[b"session"]).unwrap();
        let seal_ns = ns_per_op(|| {
            black_box(seal(key, black_box(&plain), NOW + 3600, &[b"session"]).unwrap());
        });
        let open_ns = ns_per_op(|| {
            black_box(open(&keyring, black_box(sealed.as_bytes()), NOW, &[b"session"]).unwrap());
        });
        println!("{size:>7}B {seal_ns:>12.0} {open_ns:>12.0}");
    }
}
