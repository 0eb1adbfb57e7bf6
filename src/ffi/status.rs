//! `SESSION_COOKIE_STATUS`: one word in the request's environment saying
//! what became of the session cookie (docs/operations.md, "Status words"), for
//! `LogFormat "%{SESSION_COOKIE_STATUS}e"`, `<If>`, `SetEnvIf` and CGI.
//!
//! The cookie module says whether a cookie came (`absent`, `duplicate`,
//! `ok`); the crypto module, which knows more, overwrites it when it opens
//! or refuses a value. mod_session runs the decode hooks a second time from
//! its output filter, on a session already decoded (no text left): that
//! run must not overwrite the word the first one set.
//!
//! Each module also keeps the last word it set in its own state on the
//! request, where the counters read it (shim/metrics.c) without searching
//! the environment.

use std::ffi::CStr;

use super::httpd::Request;
use crate::status::Status;

const STATUS: &CStr = c"SESSION_COOKIE_STATUS";

/// Sets the word, replacing an earlier one.
pub(super) fn set(r: &Request, word: Status) {
    r.subprocess_env().set(STATUS, word.word());
    r.set_status(word);
}

/// Sets the word unless one is set already.
#[cfg(feature = "session-crypto-module")]
pub(super) fn set_if_unset(r: &Request, word: Status) {
    if r.subprocess_env().get(STATUS).is_none() {
        set(r, word);
    }
}
