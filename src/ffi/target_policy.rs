//! Internal redirects and subrequests under another policy (issue 20,
//! finding 4).
//!
//! mod_session loads a session once per chain of requests: the cookie
//! provider (stock's and ours) keeps it on the first request of a chain of
//! internal redirects, or on the main request of subrequests, and hands the
//! same session, already decoded, to every later load. A session opened
//! under one location's secrets and limits would so be shown, as it is, to
//! an `ErrorDocument`, a `mod_rewrite` internal redirect or an SSI include
//! under another location, which refuses the same cookie asked directly.
//!
//! Every later load runs the decode hooks again, on the decoded session.
//! When the request's configuration is not the one the session was read
//! under, the client's value is opened again under the request's own
//! secrets, limits, context and cookie names (and, for another subject, the
//! revocation store is asked). Where it does not open, the request sees an
//! empty session: an empty stand-in takes the place of the session's
//! entries, until a subrequest ends (a cleanup of its pool), or for good in
//! a redirect's target, and they are put back whenever a request that may
//! see them loads the session (as the main request's save does, which
//! mod_session runs from a subrequest's output filter).
//!
//! What such a request writes is saved as a new session; if it wrote
//! nothing, the client's value is saved as it came: a page under another
//! policy neither sees nor ends the session it was not given.

use std::ffi::c_void;

use super::bindings::{apr_pool_cleanup_null, apr_pool_cleanup_register, apr_status_t};
use super::httpd::{ConfId, ReadNote, Request, Session};
use super::log::{log, printable};
use super::messages::Msg;
use super::session_crypto::{Conf, open_checked};
use super::status;
use crate::seal::open_capacity;

/// A later load of session `z` in `r` (`conf`: the request's crypto
/// configuration, if it has secrets): shows `r` the session's entries if
/// its policy opens the session's value, an empty stand-in if not.
pub(super) fn enforce(r: &Request, z: &mut Session, conf: Option<&Conf>) {
    let Some(note) = r.session_owner().read_note(z) else {
        // Nothing of the client's in it: empty, or what the server wrote.
        return;
    };
    if visible(r, note, conf) {
        if let Some(held) = note.hidden.take() {
            z.put_back(held);
        }
    } else {
        // A subrequest starts with a copy of its main request's
        // environment: SessionEnv's copy of the session goes too.
        r.subprocess_env().unset(b"HTTP_SESSION\0");
        if note.hidden.get().is_none() {
            let held = z.hide_behind(r.pool().new_table(), r);
            note.hidden.set(Some(held));
            if r.is_subrequest() {
                put_back_when_done(r, note);
            }
        }
    }
}

/// The client's value of session `z` if `r` may not see the session (what
/// `r` saves when it wrote nothing); `None` if it may.
pub(super) fn hidden_value<'r>(r: &'r Request, z: &Session, conf: &Conf) -> Option<&'r [u8]> {
    let note = r.session_owner().read_note(z)?;
    (!visible(r, note, Some(conf))).then(|| note.value())
}

/// Whether `r`, under `conf`, may see the session of `note`: under the
/// configuration it was read in, or without secrets (where a plain session
/// takes any text a client sends), yes; else if its value opens here.
pub(super) fn visible(r: &Request, note: &ReadNote, conf: Option<&Conf>) -> bool {
    let Some(conf) = conf else {
        return true;
    };
    let here = ConfId::of(r);
    if here == note.conf {
        return true;
    }
    if let Some(seen) = r.checked(note.session(), here) {
        return seen;
    }
    let seen = opens_here(r, note, conf);
    r.note_checked(note.session(), here, seen);
    seen
}

/// Opens the client's value again under `r`'s configuration, as decoding
/// does; the revocation store is asked only where the subject it names
/// here is not the one it was opened with (that value and subject were
/// asked about then).
fn opens_here(r: &Request, note: &ReadNote, conf: &Conf) -> bool {
    let value = note.value();
    let buf = r.pool().zeroed(open_capacity(value.len()) + 1);
    let asked = note.opened.as_ref().map(|o| o.subject());
    let checked = open_checked(r, conf, value, buf, asked);
    buf.fill(0);
    let Err(why) = checked else {
        return true;
    };
    status::set(r, why.word());
    log(r, Msg::NotShownHere, || {
        format!(
            "session of an earlier request of this chain not shown here ({why}): {}",
            printable(r.uri())
        )
    });
    false
}

/// What the cleanup of a subrequest's pool needs.
struct Done {
    note: *const ReadNote,
    by: *const super::bindings::request_rec,
}

/// Puts the session's entries back when subrequest `r` ends (its pool is
/// destroyed), if `r` is still the request they are hidden from.
fn put_back_when_done(r: &Request, note: &ReadNote) {
    let done = r
        .pool()
        .zeroed(size_of::<Done>())
        .as_mut_ptr()
        .cast::<Done>();
    // SAFETY: `done` is fresh memory of the subrequest's pool, sized for a
    // Done (apr_palloc aligns for any type); the cleanup runs when that
    // pool is destroyed, before its memory goes, while the owner's pool,
    // which holds the note and the session, lives on (a subrequest's pool
    // is a child of its main request's).
    unsafe {
        done.write(Done {
            note,
            by: r.as_ptr(),
        });
        apr_pool_cleanup_register(
            r.pool().as_ptr(),
            done.cast(),
            Some(put_back_at_cleanup),
            Some(apr_pool_cleanup_null),
        );
    }
}

/// The cleanup [`put_back_when_done`] registers.
///
/// # Safety
/// `data` is the `Done` it wrote.
unsafe extern "C" fn put_back_at_cleanup(data: *mut c_void) -> apr_status_t {
    // SAFETY: per the contract above; the note lives in the owner's pool,
    // which outlives this subrequest's.
    let note = unsafe { &*(*data.cast::<Done>()).note };
    // SAFETY: as above.
    let by = unsafe { (*data.cast::<Done>()).by };
    super::guarded(
        || 0,
        || {
            if let Some(held) = note.hidden.get().filter(|h| std::ptr::eq(h.by, by)) {
                note.hidden.set(None);
                // SAFETY: the session the note speaks of lives in the
                // owner's pool; no hook runs on it while a pool is being
                // destroyed.
                unsafe { Session::from_raw(note.session().cast_mut()) }.put_back(held);
            }
            0
        },
    )
}
