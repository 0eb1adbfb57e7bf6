//! `SessionCryptoRevokeHeader`: a back end (CGI, proxied application)
//! revokes sessions by sending a response header. The shim's output filter,
//! which runs before mod_session's saves the session, calls
//! [`revoke_from_header`] once per response; the header never reaches the
//! client.
//!
//! - `session`: this request's session, as a logout does;
//! - `subject`: every session of this request's subject that began before
//!   now ("log out everywhere", after a password change);
//! - `subject NAME`: every session of that subject (an admin back end).
//!
//! A session revoked by its own request is not saved again: its cookie is
//! removed in the same response.

use super::bindings::request_rec;
use super::guarded;
use super::httpd::{PoolCStr, Request};
use super::log::log;
use super::messages::Msg;
use super::revocation;
use super::session_crypto::config;
use super::target_policy;
use crate::revoke::{RevocationEvent, RevokeRequest};

/// The filter's call; see shim/rust_entry.h.
///
/// # Safety
/// Called by the shim's filter with a live request.
pub(super) unsafe extern "C" fn revoke_from_header(r: *mut request_rec) {
    // SAFETY: the filter passes its live request.
    let r = unsafe { Request::from_raw(r) };
    guarded(
        || {
            log(r, Msg::CryptoPanic, || {
                "internal error while reading the revoke header; nothing revoked".to_owned()
            });
        },
        || take_header(r),
    );
}

fn take_header(r: &Request) {
    let Some(conf) = config(r) else {
        return;
    };
    let Some(name) = conf.revoke_header else {
        return;
    };
    // Both tables: CGI puts a script's headers in headers_out, a module may
    // use err_headers_out. The values stay in the request's pool after
    // the entries are unset.
    let values: Vec<PoolCStr<'_>> = r
        .headers_out()
        .values(name)
        .chain(r.err_headers_out().values(name))
        .collect();
    if values.is_empty() {
        return;
    }
    r.headers_out().unset(name.to_bytes_with_nul());
    r.err_headers_out().unset(name.to_bytes_with_nul());
    if !revocation::configured() {
        log(r, Msg::RevokeHeaderUnused, || {
            RevocationEvent::HeaderWithoutStore {
                header: name.to_bytes(),
            }
            .to_string()
        });
        return;
    }
    let max_lifetime = conf.policy.max_lifetime;
    let owner = r.session_owner();
    for value in values {
        let Some(asked) = RevokeRequest::parse(value.to_bytes()) else {
            log(r, Msg::RevokeHeaderUnused, || {
                RevocationEvent::HeaderMeaningless {
                    header: name.to_bytes(),
                }
                .to_string()
            });
            continue;
        };
        // The session of this request: none where its policy does not
        // open the one its chain opened (target_policy.rs).
        let read = owner
            .last_opened()
            .filter(|n| target_policy::visible(r, n, Some(&conf)));
        let note = read.and_then(|n| n.opened.as_ref());
        match asked {
            RevokeRequest::Session => match note {
                Some(note) => {
                    revocation::revoke_session(r, note, max_lifetime, "revoke header");
                    note.revoked.set(true);
                }
                None => log(r, Msg::NothingToRevoke, || {
                    "revoke header session: this request opened no session".to_owned()
                }),
            },
            RevokeRequest::Subject => match note.and_then(|n| n.subject().map(|s| (n, s))) {
                Some((note, subject)) => {
                    revocation::revoke_subject(r, subject, max_lifetime);
                    note.revoked.set(true);
                }
                None => log(r, Msg::NothingToRevoke, || {
                    "revoke header subject: this request's session has no subject \
                     (SessionCryptoSubjectKey)"
                        .to_owned()
                }),
            },
            RevokeRequest::SubjectNamed(subject) => {
                revocation::revoke_subject(r, subject, max_lifetime);
                if let Some(note) = note.filter(|n| n.subject() == Some(subject)) {
                    note.revoked.set(true);
                }
            }
        }
    }
}
