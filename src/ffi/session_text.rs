//! The `session_decode` hook both modules register, last but before
//! mod_session's own: it decodes the session text into the session's
//! entries exactly as mod_session would ([`crate::session::decode`]) and
//! clears the text, so that mod_session's slower decoder finds nothing left
//! to do. Whichever of our modules runs it first does the work; the other
//! finds no text, as mod_session's does.

use super::bindings::{APR_EGENERAL, OK, apr_status_t, request_rec, session_rec};
use super::guarded;
use super::httpd::{Request, Session};
use super::log::log;
use super::messages::Msg;
use crate::session::{Entry, decode};

/// `session_decode`, just before mod_session's `session_identity_decode`.
///
/// # Safety
/// Called by httpd with a live request and session.
pub(super) unsafe extern "C" fn decode_text(
    r: *mut request_rec,
    z: *mut session_rec,
) -> apr_status_t {
    // SAFETY: httpd passes a live request and session, which nothing else
    // touches while the hook runs.
    let (r, z) = unsafe { (Request::from_raw(r), Session::from_raw(z)) };
    guarded(
        || {
            // As any decoder's error: mod_session goes on without a session.
            log(r, Msg::TextPanic, || {
                "internal error while decoding the session text; request served without it"
                    .to_owned()
            });
            APR_EGENERAL as apr_status_t
        },
        || {
            decode_into(r, z);
            OK as apr_status_t
        },
    )
}

fn decode_into(r: &Request, z: &mut Session) {
    let (Some(text), Some(entries)) = (z.encoded(), z.entries()) else {
        // Nothing to decode, or no table to decode into: mod_session's own
        // decoder sees the same and does what it does.
        return;
    };
    // mod_session decodes a copy in the request's pool, and so do we: the
    // text may be shared (a header's value), and apr_table_set copies what
    // it keeps into the table's own pool.
    let buf = r.pool().mut_copy(text);
    let mut expiry = None;
    decode(buf, |entry| match entry {
        Entry::Set(key, value) => entries.set_copy(key.with_nul(), value.with_nul()),
        Entry::Unset(key) => entries.unset(key.with_nul()),
        Entry::Expiry(at) => expiry = Some(at),
    });
    if let Some(at) = expiry {
        z.set_expiry(at);
    }
    z.set_encoded(None);
}
