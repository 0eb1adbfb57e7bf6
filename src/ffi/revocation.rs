//! The revocation store as the crypto module's hooks use it: a safe face on
//! the shim's mod_socache calls (shim/revocation_store.c), the checks made
//! when a session opens, and the entries written when one is revoked. What
//! an entry is, and how long it lives, is the safe core's
//! ([`crate::revoke`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use super::bindings::{
    scr_revocation_configured, scr_revocation_fail_closed, scr_revocation_lookup,
    scr_revocation_write, scr_store_result_SCR_STORE_FOUND, scr_store_result_SCR_STORE_NOT_FOUND,
};
use super::httpd::{OpenedNote, Request};
use super::log::log;
use super::messages::Msg;
use super::metrics;
use crate::metrics::Counter;
use crate::revoke::{
    EntryId, RevocationEvent, entry_time, entry_value, session_entry, session_entry_seconds,
    subject_entry, subject_entry_seconds, subject_revokes,
};
use crate::seal::Stamp;

/// Whether `SessionCryptoRevocationStore` is set (and its store ready).
pub(super) fn configured() -> bool {
    // SAFETY: reads a static of the shim's, set at configuration time.
    unsafe { scr_revocation_configured() != 0 }
}

/// What the store says of an entry.
enum Lookup {
    NotFound,
    /// The entry's time (Unix milliseconds).
    Found(u64),
    Failed,
}

fn lookup(r: &Request, entry: &EntryId) -> Lookup {
    let mut value = [0u8; 8];
    // SAFETY: a live request; `entry` and `value` outlive the call, which
    // reads 17 bytes and writes at most 8.
    let got = unsafe {
        scr_revocation_lookup(
            r.as_ptr(),
            entry.as_ptr(),
            entry.len() as u32,
            value.as_mut_ptr(),
        )
    };
    metrics::add(Counter::StoreLookups, 1);
    #[allow(non_upper_case_globals)]
    match got {
        scr_store_result_SCR_STORE_NOT_FOUND => Lookup::NotFound,
        scr_store_result_SCR_STORE_FOUND => Lookup::Found(entry_time(&value).unwrap_or(0)),
        _ => {
            metrics::add(Counter::StoreFailures, 1);
            Lookup::Failed
        }
    }
}

/// Writes a revocation, after checking that the store still holds the
/// oldest one this process wrote that has not expired yet: a store that
/// is full (shmcb's cyclic buffer, memcached's LRU) drops entries before
/// they expire, and that revocation would no longer hold.
fn write(r: &Request, entry: &EntryId, revoked_at_ms: u64, seconds: u64) -> bool {
    let now = revoked_at_ms / 1000;
    let oldest = {
        let mut written = WRITTEN.lock().unwrap_or_else(PoisonError::into_inner);
        // Entries that expired (with a second's margin) prove nothing.
        while written.front().is_some_and(|&(_, until)| until <= now + 1) {
            written.pop_front();
        }
        written.front().map(|&(id, _)| id)
    };
    if let Some(oldest) = oldest {
        if matches!(lookup(r, &oldest), Lookup::NotFound) {
            let mut written = WRITTEN.lock().unwrap_or_else(PoisonError::into_inner);
            if written.front().is_some_and(|&(id, _)| id == oldest) {
                written.pop_front();
            }
            drop(written);
            warn_dropped(r);
        }
    }
    let written = put(r, entry, revoked_at_ms, seconds);
    if written {
        WRITTEN
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back((*entry, now.saturating_add(seconds)));
    } else {
        metrics::add(Counter::StoreFailures, 1);
    }
    written
}

/// How many of its own revocations a process watches for.
const WATCHED: usize = 64;

/// This process's latest revocations and when they expire (Unix seconds),
/// oldest first: a ring in the module's static memory, not on the heap,
/// since httpd unloads the module at every restart and a heap buffer only
/// the module pointed to would be lost each time.
struct Watched {
    entries: [(EntryId, u64); WATCHED],
    start: usize,
    len: usize,
}

impl Watched {
    const fn new() -> Self {
        Self {
            entries: [([0; 17], 0); WATCHED],
            start: 0,
            len: 0,
        }
    }

    fn front(&self) -> Option<&(EntryId, u64)> {
        (self.len > 0).then(|| &self.entries[self.start])
    }

    fn pop_front(&mut self) {
        if self.len > 0 {
            self.start = (self.start + 1) % WATCHED;
            self.len -= 1;
        }
    }

    /// Adds the newest, forgetting the oldest when full.
    fn push_back(&mut self, watched: (EntryId, u64)) {
        if self.len == WATCHED {
            self.pop_front();
        }
        self.entries[(self.start + self.len) % WATCHED] = watched;
        self.len += 1;
    }
}

static WRITTEN: Mutex<Watched> = Mutex::new(Watched::new());

/// Unix seconds of the last SCR0225 line of this process.
static LAST_DROPPED_WARNING: AtomicU64 = AtomicU64::new(0);

/// SCR0225, at most once a minute per process.
fn warn_dropped(r: &Request) {
    if due(&LAST_DROPPED_WARNING) {
        log(r, Msg::RevocationsDropped, || {
            "the revocation store dropped a revocation before it expired: it is full \
             (SessionCryptoRevocationStore: give shmcb more bytes, memcached more memory); \
             sessions revoked earliest may open again"
                .to_owned()
        });
    }
}

fn put(r: &Request, entry: &EntryId, revoked_at_ms: u64, seconds: u64) -> bool {
    let value = entry_value(revoked_at_ms);
    let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
    // SAFETY: a live request; `entry` and `value` outlive the call, which
    // reads 17 and 8 bytes.
    unsafe {
        scr_revocation_write(
            r.as_ptr(),
            entry.as_ptr(),
            entry.len() as u32,
            value.as_ptr(),
            seconds,
        ) != 0
    }
}

/// Unix milliseconds now.
pub(super) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// What opening a session found in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Not revoked (or no store to ask).
    Valid,
    /// Its id was logged out, or its subject revoked after it began.
    Revoked,
    /// The store did not answer: `SessionCryptoRevocationFailMode` decides.
    Unchecked { fail_closed: bool },
}

/// Asks the store about an opened session: its id, then (if it has one)
/// its subject. One round trip per entry asked about: one for a session
/// with an id and no subject key, two with one.
pub(super) fn check(r: &Request, stamp: &Stamp, subject: Option<&[u8]>) -> Verdict {
    if !configured() {
        return Verdict::Valid;
    }
    let mut failed = false;
    if let Some(id) = &stamp.session_id {
        match lookup(r, &session_entry(id)) {
            Lookup::Found(_) => return Verdict::Revoked,
            Lookup::Failed => failed = true,
            Lookup::NotFound => {}
        }
    }
    if let Some(subject) = subject {
        match lookup(r, &subject_entry(subject)) {
            Lookup::Found(at) if subject_revokes(at, stamp.origin_ms) => return Verdict::Revoked,
            Lookup::Failed => failed = true,
            _ => {}
        }
    }
    if !failed {
        return Verdict::Valid;
    }
    // SAFETY: reads a static of the shim's, set at configuration time.
    let fail_closed = unsafe { scr_revocation_fail_closed() != 0 };
    warn_unreachable(r, || {
        RevocationEvent::StoreUnreachable { fail_closed }.to_string()
    });
    Verdict::Unchecked { fail_closed }
}

/// Revokes the opened session `note` (a logout, or a back end's `session`):
/// its id's entry lives until the value could no longer open anyway. A
/// session without an id (format 2 or 3, stock's) cannot be revoked alone.
pub(super) fn revoke_session(r: &Request, note: &OpenedNote, max_lifetime: Option<u64>, why: &str) {
    let Some(id) = &note.stamp.session_id else {
        log(r, Msg::NothingToRevoke, || {
            RevocationEvent::NoSessionId { why }.to_string()
        });
        return;
    };
    let now = now_ms();
    let stamp = &note.stamp;
    let seconds = session_entry_seconds(now / 1000, stamp.not_after, stamp.origin_ms, max_lifetime);
    if write(r, &session_entry(id), now, seconds) {
        metrics::add(Counter::RevokedSessions, 1);
        log(r, Msg::Revoked, || {
            RevocationEvent::SessionRevoked { why, id, seconds }.to_string()
        });
    } else {
        warn_unreachable(r, || {
            RevocationEvent::SessionNotRevoked { why, id }.to_string()
        });
    }
}

/// Revokes every session of `subject` that began before now.
pub(super) fn revoke_subject(r: &Request, subject: &[u8], max_lifetime: Option<u64>) {
    let seconds = subject_entry_seconds(max_lifetime);
    let entry = subject_entry(subject);
    if write(r, &entry, now_ms(), seconds) {
        metrics::add(Counter::RevokedSubjects, 1);
        log(r, Msg::Revoked, || {
            RevocationEvent::SubjectRevoked {
                entry: &entry,
                seconds,
            }
            .to_string()
        });
    } else {
        warn_unreachable(r, || {
            RevocationEvent::SubjectNotRevoked { entry: &entry }.to_string()
        });
    }
}

/// Unix seconds of the last SCR0222 line of this process.
static LAST_WARNING: AtomicU64 = AtomicU64::new(0);

/// Logs SCR0222 (a warning: the store is the admin's to fix) at most once a
/// minute per process, so an outage does not flood the log.
fn warn_unreachable(r: &Request, text: impl FnOnce() -> String) {
    if due(&LAST_WARNING) {
        log(r, Msg::StoreUnreachable, text);
    }
}

/// Whether a line rate-limited by `last` (Unix seconds of its last time in
/// this process) is due: once a minute, one thread of many.
fn due(last: &AtomicU64) -> bool {
    let now = now_ms() / 1000;
    let then = last.load(Ordering::Relaxed);
    if then != 0 && now.saturating_sub(then) < 60 {
        return false;
    }
    last.compare_exchange(then, now, Ordering::Relaxed, Ordering::Relaxed)
        .is_ok()
}
