//! The `session_decode` hook both modules register, last but before
//! mod_session's own: it decodes the session text into the session's
//! entries exactly as mod_session would ([`crate::session::decode`]) and
//! clears the text, so that mod_session's slower decoder finds nothing left
//! to do. Whichever of our modules runs it first does the work; the other
//! finds no text, as mod_session's does.
//!
//! Where the text is what encoding its entries gives, the hook keeps it
//! for the encoder ([`DecodedText`]): a session saved unchanged (to move
//! its expiry on, with `SessionMaxAge`) keeps those bytes instead of being
//! encoded again (src/ffi/session_encode.rs).

use std::ffi::CStr;
use std::ptr;

use super::bindings::{APR_EGENERAL, OK, apr_status_t, request_rec, session_rec};
use super::guarded;
use super::httpd::{Request, Session, Table, TableMark};
use super::log::log;
use super::messages::Msg;
use crate::session::{Decoded, Entry, KeysSeen, Settled, buffer_len, decode, verbatim_entries};

/// `session_decode`, just before mod_session's `session_identity_decode`.
///
/// # Safety
/// Called by httpd with a live request and session.
pub(super) unsafe extern "C" fn decode_text(
    r: *mut request_rec,
    z: *mut session_rec,
) -> apr_status_t {
    // As any decoder's error: mod_session goes on without a session.
    let on_panic = (
        "decoding the session text; request served without it",
        APR_EGENERAL as apr_status_t,
    );
    // SAFETY: httpd's request and session, as passed to the hook.
    unsafe {
        text_hook(r, z, on_panic, |r, z| {
            if let Some(steps) = decode_into(r, z) {
                log(r, Msg::TextDecoded, || {
                    format!(
                        "session text decoded: {} set, {} unset, {} expiry",
                        steps.set, steps.unset, steps.expiry
                    )
                });
            }
            OK as apr_status_t
        })
    }
}

/// Runs the body `f` of a hook on the session text (the decoder's here,
/// the encoder's in [`super::session_encode`]) with httpd's request and
/// session. A panic is logged (SCR0300, "internal error while" and what
/// `on_panic` says was being done) and gives `on_panic`'s status.
///
/// # Safety
/// `r` and `z` are the live request and session httpd passed to the hook,
/// which nothing else touches while it runs.
pub(super) unsafe fn text_hook(
    r: *mut request_rec,
    z: *mut session_rec,
    on_panic: (&str, apr_status_t),
    f: impl FnOnce(&Request, &mut Session) -> apr_status_t,
) -> apr_status_t {
    // SAFETY: per the contract above.
    let (r, z) = unsafe { (Request::from_raw(r), Session::from_raw(z)) };
    guarded(
        || {
            log(r, Msg::TextPanic, || {
                format!("internal error while {}", on_panic.0)
            });
            on_panic.1
        },
        || f(r, z),
    )
}

/// How many steps of each kind decoding took (for the debug line).
#[derive(Default)]
struct Steps {
    set: usize,
    unset: usize,
    expiry: usize,
}

/// Past this many keys set, a session decoded into a table that was empty
/// is worked out in [`Settled`] from there on, and each entry added once
/// at the end: `apr_table_set` compares each key with every entry before it
/// (those of the same first letter), which costs the square of the number
/// of keys. Below it, those compares cost less than hashing: about 160
/// instructions a key for `Settled` and 45 for `apr_table_addn`, against
/// `apr_table_setn`'s 115 at 24 keys and about 200 at 64 (callgrind, keys
/// of one first letter). Sessions that stay under it pay nothing for this.
const FEW_PAIRS: usize = 64;

/// The entries of `table` (the first keys of a session decoded into it
/// when it was empty) moved into a [`Settled`], and the table emptied.
fn settled_from(table: Table<'_>) -> Settled<'_, &[u8]> {
    let mut settled = Settled::with_capacity(4 * FEW_PAIRS);
    for (key, value) in table.pairs() {
        if let Some(value) = value {
            settled.set(key.to_bytes_with_nul(), value.to_bytes_with_nul());
        }
    }
    table.clear();
    settled
}

/// What the decoder found of the text it decoded into a session's
/// entries, which were then each set once: kept on the request for the
/// encoder.
#[derive(Clone, Copy)]
pub(super) struct DecodedText {
    session: *const session_rec,
    text: *const u8,
    len: usize,
    decoded: Decoded,
    entries: TableMark,
}

impl DecodedText {
    /// The encoding of `z`'s entries, if `z` is the session this text was
    /// decoded into and its entries are as decoding left them but for
    /// `expiry` (the key and value mod_session's encoder adds, by address)
    /// at the end: the text's bytes before its old expiry pair, where
    /// those are what encoding the entries gives.
    pub(super) fn entries_text<'z>(
        &self,
        z: &'z Session,
        expiry: Option<(&CStr, &CStr)>,
    ) -> Option<&'z [u8]> {
        if !ptr::eq(self.session, z.as_ptr()) {
            return None;
        }
        let entries = z.entries()?;
        // SAFETY: the mark was copied into this request's pool (it is kept
        // in the request's state), which is alive while its hooks run.
        if !unsafe { entries.unchanged_since(&self.entries, expiry) } {
            return None;
        }
        // SAFETY: the session's text when it was decoded: a string of a
        // pool that outlives the session (see Session::encoded), and no
        // hook writes into a text once it is decoded.
        let text = unsafe { std::slice::from_raw_parts(self.text, self.len) };
        verbatim_entries(text, &self.decoded)
    }
}

/// Decodes the session's text into its entries; `None` if there was no
/// text (or no table) to decode.
fn decode_into(r: &Request, z: &mut Session) -> Option<Steps> {
    let (Some(text), Some(entries)) = (z.encoded_in(r), z.entries()) else {
        // Nothing to decode, or no table to decode into: mod_session's own
        // decoder sees the same and does what it does.
        return None;
    };
    // Keys and values are written where apr_table_set would copy them to,
    // the table's pool, and kept there as they are.
    let out = entries.pool().zeroed(buffer_len(text.len()));
    let mut expiry = None;
    let mut steps = Steps::default();
    let was_empty = entries.is_empty();
    let mut seen = KeysSeen::new();
    // Sets that go to the table: past FEW_PAIRS where it began empty, the
    // rest are worked out in `settled`.
    let mut to_table = if was_empty { FEW_PAIRS } else { usize::MAX };
    let mut settled: Option<Settled<'_, &[u8]>> = None;
    let decoded = decode(text, out, |entry| match entry {
        Entry::Set(key, value) => {
            steps.set += 1;
            if to_table > 0 {
                to_table -= 1;
                // SAFETY: the strings are in the table's pool, and decode
                // never writes over a string it has handed out; a key not
                // seen before in a table that began empty is not in it, so
                // adding it is what setting it would do.
                unsafe {
                    if was_empty && !seen.note(key.bytes()) {
                        entries.add_text_pair(key, value);
                    } else {
                        entries.set_text_pair(key, value);
                    }
                }
            } else {
                settled
                    .get_or_insert_with(|| settled_from(entries))
                    .set(key.with_nul(), value.with_nul());
            }
        }
        Entry::Unset(key) => {
            steps.unset += 1;
            match &mut settled {
                Some(settled) => settled.unset(key.with_nul()),
                None => entries.unset(key.with_nul()),
            }
        }
        Entry::Expiry(at) => {
            steps.expiry += 1;
            expiry = Some(at);
        }
    });
    if let Some(settled) = settled {
        for (key, value) in settled.entries() {
            // SAFETY: as for add_text_pair above; each key is added once, so
            // the table is the one the sets and unsets would have left.
            unsafe { entries.add_kept(key, value) }
        }
    }
    // Kept for the encoder where the text may stand for the entries: each
    // set once, in a table that was empty.
    if decoded.verbatim && was_empty && entries.len() == decoded.sets {
        r.set_decoded(DecodedText {
            session: z.as_ptr(),
            text: text.as_ptr(),
            len: text.len(),
            decoded,
            entries: entries.mark(r.pool()),
        });
    } else {
        r.take_decoded();
    }
    if let Some(at) = expiry {
        z.set_expiry(at);
    }
    z.set_encoded(None);
    Some(steps)
}
