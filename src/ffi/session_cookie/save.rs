//! Saving: the session written as `Set-Cookie` lines (one cookie, or its
//! chunks, stale parts removed), or not at all when the browser could
//! not send it back, with the line that says why.

use std::sync::atomic::Ordering;

use super::super::bindings::{DECLINED, OK, apr_status_t};
use super::super::httpd::{PoolCStr, Request, Session};
use super::super::log::log;
use super::super::messages::Msg;
use super::super::metrics;
use super::{Config, Cookie, CookieHeaders, SECURE_ON_HTTP_NOTED, warn_once};
use crate::cookie::{
    BROWSER_COOKIE_LIMIT, CookieEvent, CookieSpec, LineParts, PartSet, RequestCookies, SaveError,
    SavePlan, SetCookieLine, has_secure, is_session_or_part, plan_save, removal_cookie_line,
    set_cookie_name, whole,
};
use crate::metrics::Counter;

pub(super) fn save_session(r: &Request, z: &Session) -> apr_status_t {
    let Some(conf) = Config::of(r) else {
        return DECLINED;
    };
    let encoded = z.encoded_in(r).unwrap_or_default();
    // SessionCookieMaxAge Off: a browser-session cookie, as on trunk.
    let max_age = if conf.max_age { z.max_age() } else { 0 };
    let [name, name2] = conf.cookies;
    if let Some(cookie) = name {
        save_cookie(r, &conf, cookie, encoded, max_age, !z.dirty());
    }
    if let Some(cookie) = name2 {
        // Never chunked: exactly stock's line.
        let (set, removal);
        let line = if encoded.is_empty() {
            removal = removal_cookie_line(cookie.name, cookie.attrs);
            whole(&removal)
        } else {
            set = SetCookieLine::new(cookie.name, encoded, max_age, cookie.attrs);
            set.parts()
        };
        replace_response_cookies(r, cookie, |n| n == cookie.name, [line]);
        log_written(r, cookie, encoded, max_age);
    }
    if name.is_some() || name2.is_some() {
        OK as apr_status_t
    } else {
        DECLINED
    }
}

fn log_written(r: &Request, cookie: Cookie<'_>, encoded: &[u8], max_age: i64) {
    log(r, Msg::CookieWritten, || {
        CookieEvent::Written {
            name: cookie.name,
            bytes: encoded.len(),
            header: cookie.header.to_bytes(),
            max_age,
            attrs: cookie.attrs,
        }
        .to_string()
    });
}

/// The parts of the chunked session `name` the request carried: what
/// loading noted, else what the request headers hold now.
fn carried_parts(r: &Request, name: &[u8]) -> PartSet {
    r.session_owner()
        .parts(name)
        .unwrap_or_else(|| RequestCookies::scan(name, &CookieHeaders::of(r)).carried())
}

/// Writes the SessionCookieName cookie: in one piece or, with
/// SessionCookieChunkSize, in parts, removing the parts no longer used.
/// Writes nothing at all (the browser keeps the cookies it has) when the
/// browser could not send the new ones back.
/// `client_made`: the session is saved again as the client sent it (not
/// changed in this request), so a size line is the client's doing.
fn save_cookie(
    r: &Request,
    conf: &Config<'_>,
    cookie: Cookie<'_>,
    encoded: &[u8],
    max_age: i64,
    client_made: bool,
) {
    let chunked = conf.chunk_size.is_some();
    let ours = |n: &[u8]| {
        if chunked {
            is_session_or_part(cookie.name, n)
        } else {
            n == cookie.name
        }
    };
    let spec = CookieSpec {
        name: cookie.name,
        attrs: cookie.attrs,
        max_age,
        chunk_size: conf.chunk_size,
        field_limit: r.limit_req_fieldsize(),
        carried: if chunked {
            carried_parts(r, cookie.name)
        } else {
            PartSet::default()
        },
    };
    match plan_save(&spec, encoded) {
        Ok(plan) => {
            replace_response_cookies(r, cookie, ours, plan.lines());
            log_plan(r, cookie, encoded, max_age, &plan);
            if plan.longest > BROWSER_COOKIE_LIMIT {
                warn_once(r, Msg::CookieTooLong, client_made, || {
                    CookieEvent::TooLong {
                        name: cookie.name,
                        longest: plan.longest,
                        chunked,
                    }
                    .to_string()
                });
            }
            // Cheapest test first: after the first notice, none of this runs.
            if !SECURE_ON_HTTP_NOTED.load(Ordering::Relaxed)
                && !encoded.is_empty()
                && has_secure(cookie.attrs)
                && r.is_plain_http()
                && !SECURE_ON_HTTP_NOTED.swap(true, Ordering::Relaxed)
            {
                log(r, Msg::SecureOnPlainHttp, || {
                    CookieEvent::SecureOnPlainHttp { name: cookie.name }.to_string()
                });
            }
        }
        Err(e) => {
            // The browser keeps the cookies it has: take out any earlier
            // line for them (a back end's), add none.
            replace_response_cookies(r, cookie, ours, std::iter::empty());
            let (msg, counter) = match e {
                SaveError::OverFieldLimit { .. } => {
                    (Msg::NotWrittenFieldLimit, Counter::NotWrittenFieldLimit)
                }
                SaveError::TooManyParts { .. }
                | SaveError::NoRoom { .. }
                | SaveError::TooLong { .. } => (Msg::NotWrittenParts, Counter::NotWrittenParts),
            };
            metrics::add(counter, 1);
            warn_once(r, msg, client_made, || {
                CookieEvent::NotWritten {
                    name: cookie.name,
                    bytes: encoded.len(),
                    error: e,
                }
                .to_string()
            });
        }
    }
}

fn log_plan(r: &Request, cookie: Cookie<'_>, encoded: &[u8], max_age: i64, plan: &SavePlan) {
    if plan.parts.is_empty() {
        log_written(r, cookie, encoded, max_age);
    } else {
        metrics::add(Counter::ChunkedWrites, 1);
        metrics::add(Counter::ChunkParts, plan.parts.len() as u64);
        log(r, Msg::ChunkedWritten, || {
            CookieEvent::WrittenInParts {
                name: cookie.name,
                bytes: encoded.len(),
                parts: plan.parts.len(),
                longest: plan.longest,
                header: cookie.header.to_bytes(),
                max_age,
                attrs: cookie.attrs,
            }
            .to_string()
        });
    }
    if !plan.removed.is_empty() {
        log(r, Msg::StalePartsRemoved, || {
            CookieEvent::PartsRemoved {
                name: cookie.name,
                removed: plan.removed,
            }
            .to_string()
        });
    }
}

/// Adds `lines` as the headers for `cookie` in this response: any earlier
/// one for a name `ours` claims (from a back end, or stock's habit of
/// writing a removal cookie into both header tables) is taken out first.
/// They go into the error headers so that error pages carry them too.
/// Each line's parts are joined in the request's pool, where the line
/// lives: a session's value is copied once, there.
///
/// The parts of every line are the cookie's name and attributes (C strings
/// of the configuration), the session's text (a C string of the session)
/// or pieces of it, and separators and digits the line adds: none holds a
/// NUL byte.
fn replace_response_cookies<'l>(
    r: &Request,
    cookie: Cookie<'_>,
    ours: impl Fn(&[u8]) -> bool,
    lines: impl IntoIterator<Item = LineParts<'l>>,
) {
    for table in [r.headers_out(), r.err_headers_out()] {
        let other = |v: &PoolCStr<'_>| !ours(set_cookie_name(v.to_bytes()));
        // Usually no earlier line is ours: then nothing is collected.
        if !table.values(cookie.header).all(|v| other(&v)) {
            let kept: Vec<PoolCStr<'_>> = table.values(cookie.header).filter(other).collect();
            table.replace_all(cookie.header, &kept);
            log(r, Msg::CookieReplaced, || {
                CookieEvent::Replaced {
                    name: cookie.name,
                    header: cookie.header.to_bytes(),
                }
                .to_string()
            });
        }
    }
    for line in lines {
        // SAFETY: no part holds a NUL byte (above).
        let line = unsafe { r.pool().c_str_joined(&line) };
        r.err_headers_out().add(cookie.header, line);
    }
}
