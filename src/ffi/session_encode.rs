//! The two `session_encode` hooks both modules register around
//! mod_session's own `session_identity_encode`, so that our encoder
//! ([`crate::session::Encoder`]) does its work and mod_session's slower one
//! finds nothing to do.
//!
//! mod_session runs every encoder (RUN_ALL), its own first of all
//! (`APR_HOOK_REALLY_FIRST`), so it cannot be declined. Instead:
//! - [`encode_text`] runs just before it: it adds the `expiry` entry as
//!   mod_session would, encodes the entries exactly as it would, and then
//!   hands mod_session a stand-in, an empty table and no expiry, from which
//!   it makes an empty text in a few instructions;
//! - [`encode_text_done`] runs just after it and puts the session back: its
//!   entries, its expiry, and our text as `z->encoded`.
//!
//! Between the two, the session is only mod_session's encoder's to see
//! (the shim names `mod_session.c` as the successor of the first and the
//! predecessor of the second), and the first hook's work is kept for the
//! second in the module's state on the request, which the second hook
//! takes empty again. The second puts a session back only if it is the one
//! taken and still holds the stand-in. Should it not run (a hook between
//! failed, and mod_session gave up saving), the first hook of the next
//! save in the same request puts the session back before anything else.
//! Where both our modules are loaded, the first to run does the work; the
//! other sees an empty session, which it leaves to mod_session, as it does
//! any session without entries and expiry.
//!
//! A session saved unchanged, to move its expiry on (`SessionMaxAge`), is
//! not encoded again where the text it was decoded from is what encoding
//! its entries gives (src/ffi/session_text.rs): its new text is those bytes
//! and the new expiry pair, as mod_session's encoder would write it.

use std::ffi::{CStr, c_char};
use std::ptr;

use super::bindings::{APR_EGENERAL, OK, apr_status_t, apr_table_t, request_rec, session_rec};
use super::httpd::{PoolCStr, Request, Session};
use super::log::log;
use super::messages::Msg;
use super::session_text::text_hook;
use crate::session::Encoder;

/// What [`encode_text`] took out of a session, for [`encode_text_done`]
/// (kept in the module's state on the request: [`Request::set_encoding`]).
#[derive(Clone, Copy)]
pub(super) struct Taken {
    session: *const session_rec,
    entries: *mut apr_table_t,
    stand_in: *mut apr_table_t,
    expiry: i64,
    /// Our text: `len` bytes, none of them NUL, and a NUL.
    text: *const c_char,
    len: usize,
}

/// `session_encode`, just before mod_session's `session_identity_encode`.
///
/// # Safety
/// Called by httpd with a live request and session.
pub(super) unsafe extern "C" fn encode_text(
    r: *mut request_rec,
    z: *mut session_rec,
) -> apr_status_t {
    // The session is swapped only once our text is whole: on a panic it is
    // as it was, and mod_session encodes it itself.
    let on_panic = (
        "encoding the session text; mod_session encodes it",
        OK as apr_status_t,
    );
    // SAFETY: httpd's request and session, as passed to the hook.
    unsafe {
        text_hook(r, z, on_panic, |r, z| {
            // A session an earlier save took and did not put back.
            if let Some(taken) = r.take_encoding() {
                put_back(r, z, taken);
            }
            if let Some(taken) = take_over(r, z) {
                r.set_encoding(taken);
            }
            OK as apr_status_t
        })
    }
}

/// `session_encode`, just after mod_session's `session_identity_encode`.
///
/// # Safety
/// Called by httpd with a live request and session.
pub(super) unsafe extern "C" fn encode_text_done(
    r: *mut request_rec,
    z: *mut session_rec,
) -> apr_status_t {
    let on_panic = (
        "putting the encoded session back",
        APR_EGENERAL as apr_status_t,
    );
    // SAFETY: httpd's request and session, as passed to the hook.
    unsafe {
        text_hook(r, z, on_panic, |r, z| {
            if let Some(taken) = r.take_encoding() {
                put_back(r, z, taken);
            }
            OK as apr_status_t
        })
    }
}

/// Puts back what [`take_over`] took from `z`, with our text: if `z` is
/// the session it took, still holding the stand-in (mod_session's encoder
/// only reads the table).
fn put_back(r: &Request, z: &mut Session, taken: Taken) {
    if ptr::eq(taken.session, z.as_ptr()) && ptr::eq(z.entries_raw(), taken.stand_in) {
        // SAFETY: the session's own table, taken out by take_over, and our
        // text, in a pool that outlives the request (the request's, or the
        // session's), as mod_session's would be: `len` bytes with no NUL
        // (an encoding, or the C string's bytes it kept), then a NUL.
        unsafe {
            z.set_entries_raw(taken.entries);
            let text = std::slice::from_raw_parts(taken.text.cast(), taken.len + 1);
            z.set_encoded(Some(PoolCStr::in_pool(
                CStr::from_bytes_with_nul_unchecked(text),
            )));
            r.note_text(taken.text, taken.len);
        }
        z.set_expiry(taken.expiry);
    }
}

/// How many pairs [`take_over`] keeps measured for the encoder (sessions
/// hold a few); more are measured again.
const MEASURED: usize = 16;

/// Encodes `z` as mod_session would and swaps in the stand-in; `None`
/// (the session untouched, but for the `expiry` entry mod_session adds
/// again) where mod_session is left to do it.
fn take_over(r: &Request, z: &mut Session) -> Option<Taken> {
    let entries = z.entries()?;
    let decoded = r.take_decoded();
    let expiry = z.expiry();
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(expiry).as_bytes();
    let expiry_entry = (expiry != 0).then(|| {
        // As mod_session: apr_psprintf(z->pool, "%" APR_INT64_T_FMT) and
        // apr_table_setn (the first entry of any case keeps its place and
        // key, others of that key go).
        let value = z.pool(r).c_str(digits);
        // SAFETY: a static key, and a value in the session's pool, which
        // its table does not outlive.
        unsafe { entries.set_kept(EXPIRY.to_bytes_with_nul(), value.to_bytes_with_nul()) };
        value
    });
    let added = expiry_entry.as_ref().map(|value| (EXPIRY, &**value));
    let kept = decoded.and_then(|d| d.entries_text(z, added));
    // (No entries and no expiry: left to mod_session, as below.)
    if let Some(entries) = kept.filter(|e| !e.is_empty() || added.is_some()) {
        let text = kept_text(r, z, entries, expiry_entry.map(|_| digits));
        return Some(swap_in_stand_in(r, z, text.as_ptr(), text.to_bytes().len()));
    }
    // Keys and values are measured once (strlen), and the first pairs kept
    // for the encoder, measured.
    let mut measured: [(&[u8], &[u8]); MEASURED] = [(&[], &[]); MEASURED];
    let (mut pairs, mut bytes) = (0, 0);
    for (key, value) in entries.pairs() {
        // A value of NULL: left to mod_session, whatever it does with it.
        let (key, value) = (key.to_bytes(), value?.to_bytes());
        if let Some(slot) = measured.get_mut(pairs) {
            *slot = (key, value);
        }
        bytes += key.len() + value.len();
        pairs += 1;
    }
    if pairs == 0 {
        // No entries and no expiry: the text is empty, and mod_session's
        // encoder has nothing to do (this is also what the second of our
        // modules finds once the first took the session over).
        return None;
    }
    let mut encoder = Encoder::new(r.pool().zeroed(Encoder::buffer_len(bytes, pairs)));
    if pairs <= MEASURED {
        for &(key, value) in &measured[..pairs] {
            encoder.pair(key, value);
        }
    } else {
        for (key, value) in entries.pairs() {
            encoder.pair(key.to_bytes(), value?.to_bytes());
        }
    }
    let text = encoder.finish();
    log(r, Msg::TextEncoded, || {
        format!(
            "session text encoded: {pairs} entries, {} bytes",
            text.len() - 1
        )
    });
    Some(swap_in_stand_in(r, z, text.as_ptr().cast(), text.len() - 1))
}

/// The key of the entry mod_session's encoder adds (`SESSION_EXPIRY`),
/// one address for the entry added and the check that it was.
const EXPIRY: &CStr = c"expiry";

/// The text of a session saved unchanged: `entries` (the bytes its text
/// came with, before the old expiry pair) and, as mod_session's encoder
/// puts its new `expiry` entry last, `expiry=` and its digits.
fn kept_text<'r>(
    r: &'r Request,
    z: &Session,
    entries: &[u8],
    expiry: Option<&[u8]>,
) -> PoolCStr<'r> {
    // SAFETY: `entries` is part of the session's text, a C string; the
    // other parts are ASCII text and decimal digits.
    let text = unsafe {
        match expiry {
            Some(digits) => {
                let and: &[u8] = if entries.is_empty() { b"" } else { b"&" };
                z.pool(r).c_str_joined(&[entries, and, b"expiry=", digits])
            }
            None => z.pool(r).c_str_joined(&[entries]),
        }
    };
    log(r, Msg::TextKept, || {
        format!(
            "session saved unchanged, its text kept but for the expiry: {} bytes",
            text.to_bytes().len()
        )
    });
    text
}

/// Hands mod_session's encoder an empty stand-in for `z`'s entries and no
/// expiry; returns what [`put_back`] needs to restore them, with `text`
/// (`len` bytes, none of them NUL, then a NUL).
fn swap_in_stand_in(r: &Request, z: &mut Session, text: *const c_char, len: usize) -> Taken {
    let taken = Taken {
        session: z.as_ptr(),
        entries: z.entries_raw(),
        stand_in: r.pool().new_table().as_ptr(),
        expiry: z.expiry(),
        text,
        len,
    };
    // SAFETY: a table of the request's pool, which outlives the encoders'
    // run; encode_text_done puts the session's own table back after it.
    unsafe { z.set_entries_raw(taken.stand_in) };
    z.set_expiry(0);
    taken
}
