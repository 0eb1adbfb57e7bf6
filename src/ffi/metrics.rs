//! The session counters (src/metrics.rs), in memory shared by every child
//! of a server: the shim maps it (shim/metrics.c) and hands it
//! over in post_config, before the children are forked; each count is one
//! relaxed atomic add, with no lock on the request path. Until it is
//! attached (during configuration reading) nothing is counted, but the
//! secrets stretched at startup, which are added when it is.

use std::ffi::{c_char, c_int, c_void};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering::Relaxed};

use super::bindings::{request_rec, scr_metrics_entries};
use super::guarded;
use super::httpd::Request;
use crate::metrics::{
    COUNTERS, Counter, KEY_SLOTS, Module, Snapshot, prometheus, status_auto, status_html,
};
use crate::status::Status;

/// The counters as they lie in shared memory (zeroed when made).
#[repr(C)]
struct Block {
    words: [AtomicU64; Status::ALL.len()],
    counters: [AtomicU64; COUNTERS],
    /// Key ids counted one by one: `1 << 32 | id`, 0 for a free slot.
    key_ids: [AtomicU64; KEY_SLOTS],
    key_counts: [AtomicU64; KEY_SLOTS],
}

/// The attached block; null until post_config.
static BLOCK: AtomicPtr<Block> = AtomicPtr::new(ptr::null_mut());

/// Whether this module counts requests by status word.
static COUNTS_WORDS: AtomicBool = AtomicBool::new(false);

/// Secrets stretched while the configuration was read, before a block was
/// attached.
static STRETCHED_AT_STARTUP: AtomicU64 = AtomicU64::new(0);

#[cfg(feature = "session-cookie-module")]
const MODULE: Module = Module::Cookie;
#[cfg(feature = "session-crypto-module")]
const MODULE: Module = Module::Crypto;

/// The table the shim registers (see shim/rust_entry.h).
pub(super) const ENTRIES: scr_metrics_entries = scr_metrics_entries {
    size: Some(size),
    attach: Some(attach),
    render: Some(render),
    count_word: Some(count_word),
};

fn block() -> Option<&'static Block> {
    // SAFETY: null, or the shared mapping attach was given, which is never
    // unmapped (shim/metrics.c) and holds only atomics.
    unsafe { BLOCK.load(Relaxed).as_ref() }
}

/// Counts one `counter` (`n` times).
pub(super) fn add(counter: Counter, n: u64) {
    if let Some(b) = block() {
        b.counters[counter as usize].fetch_add(n, Relaxed);
    }
}

/// Counts one opening of a value sealed under `key_id`.
#[cfg(feature = "session-crypto-module")]
pub(super) fn opened(key_id: [u8; 4]) {
    let Some(b) = block() else {
        return;
    };
    let tagged = 1 << 32 | u64::from(u32::from_be_bytes(key_id));
    for (slot, count) in b.key_ids.iter().zip(&b.key_counts) {
        // A free slot is taken by the first process that needs it; a
        // process that loses the race finds the id there on its next look.
        let held = match slot.compare_exchange(0, tagged, Relaxed, Relaxed) {
            Ok(_) => tagged,
            Err(held) => held,
        };
        if held == tagged {
            count.fetch_add(1, Relaxed);
            return;
        }
    }
    add(Counter::OpenedOtherKey, 1);
}

/// Counts a secret stretched with Argon2id: in a running child (from
/// `.htaccess`), or while the configuration is read.
#[cfg(feature = "session-crypto-module")]
pub(super) fn stretched(runtime: bool) {
    if runtime {
        add(Counter::Argon2idHtaccess, 1);
    } else {
        STRETCHED_AT_STARTUP.fetch_add(1, Relaxed);
    }
}

extern "C" fn size() -> usize {
    size_of::<Block>()
}

/// # Safety
/// `base` is a shared mapping of at least `size()` bytes, zeroed when it
/// was made, that is never unmapped.
unsafe extern "C" fn attach(base: *mut c_void, count_words: c_int) {
    guarded(
        || (),
        || {
            let block = base.cast::<Block>();
            BLOCK.store(block, Relaxed);
            COUNTS_WORDS.store(count_words != 0, Relaxed);
            add(
                Counter::Argon2idStartup,
                STRETCHED_AT_STARTUP.swap(0, Relaxed),
            );
        },
    );
}

/// Counts a request's final status word, by its index in [`Status::ALL`]
/// (one a module's state on the request holds; shim/metrics.c).
extern "C" fn count_word(word: c_int) {
    guarded(
        || (),
        || {
            let slot = usize::try_from(word).ok();
            if let (Some(b), Some(i)) = (block(), slot) {
                if let Some(n) = b.words.get(i) {
                    n.fetch_add(1, Relaxed);
                }
            }
        },
    );
}

/// # Safety
/// `r` is a live request.
unsafe extern "C" fn render(r: *mut request_rec, format: c_int) -> *const c_char {
    // SAFETY: per the contract above.
    let r = unsafe { Request::from_raw(r) };
    guarded(
        || c"".as_ptr(),
        || {
            let s = snapshot();
            let text = match format {
                0 => prometheus(MODULE, &s),
                1 => status_html(MODULE, &s),
                _ => status_auto(MODULE, &s),
            };
            r.pool().c_str(text.as_bytes()).as_ptr()
        },
    )
}

/// The counters now.
fn snapshot() -> Snapshot {
    let mut s = Snapshot::default();
    let Some(b) = block() else {
        return s;
    };
    let load = |a: &AtomicU64| a.load(Relaxed);
    if COUNTS_WORDS.load(Relaxed) {
        s.words = Some(std::array::from_fn(|i| load(&b.words[i])));
    }
    s.counters = std::array::from_fn(|i| load(&b.counters[i]));
    s.keys = b
        .key_ids
        .iter()
        .zip(&b.key_counts)
        .filter(|(id, _)| load(id) != 0)
        .map(|(id, n)| ((load(id) as u32).to_be_bytes(), load(n)))
        .collect();
    s
}
