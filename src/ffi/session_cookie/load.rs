//! Loading: the session cookie (one, or its chunks) read out of the
//! request's `Cookie` and `Cookie2` headers and handed to mod_session,
//! and `SessionCookieRemove On` taking it out of them.

use super::super::httpd::{PoolCStr, Request, Session};
use super::super::log::{log, printable};
use super::super::messages::Msg;
use super::super::status;
use super::{COOKIE, COOKIE2, Config, CookieHeaders, warn_once};
use crate::cookie::{
    CookieEvent, Loaded, ReadError, RequestCookies, Stripped, find_session_cookie,
    strip_session_and_parts, strip_session_cookie,
};
use crate::status::Status;

pub(super) fn load_session(r: &Request) -> Option<&Session> {
    let conf = Config::of(r)?;
    let name = conf.read_name()?;
    let owner = r.session_owner();
    // Internal redirects and subrequests reuse what their owner loaded.
    if let Some(loaded) = owner.loaded(name) {
        return Some(loaded);
    }

    let headers = CookieHeaders::of(r);
    let session = if conf.read_chunked() {
        load_chunked(r, owner, &conf, name, &headers)
    } else {
        load_single(r, owner, &conf, name, &headers)
    };
    owner.note_loaded(name, session);

    // Pages that depend on a session must not be cached by proxies.
    r.headers_out().add(
        c"Cache-Control",
        PoolCStr::from_static(c"no-cache, private"),
    );
    Some(session)
}

/// The session from the one cookie `name`, as stock reads it.
fn load_single<'r>(
    r: &Request,
    owner: &'r Request,
    conf: &Config<'_>,
    name: &[u8],
    headers: &[&[u8]],
) -> &'r Session {
    let lookup = find_session_cookie(name, headers);
    if lookup.conflict {
        log_conflict(r, name);
    }
    if conf.remove && lookup.found {
        strip_request_cookies(r, |h| strip_session_cookie(name, h));
    }
    status::set(
        r,
        match lookup.value {
            _ if lookup.conflict => Status::Duplicate,
            Some(_) => Status::Ok,
            None => Status::Absent,
        },
    );

    let session = session_of(r, owner, lookup.value);
    match lookup.value {
        Some(v) => log_read(r, name, v.len()),
        None if lookup.found => log_ignored(r, name),
        None => log_no_cookie(r, name),
    }
    session
}

/// The session from the cookie `name` and the parts it announces
/// (`SessionCookieChunkSize`).
fn load_chunked<'r>(
    r: &Request,
    owner: &'r Request,
    conf: &Config<'_>,
    name: &[u8],
    headers: &[&[u8]],
) -> &'r Session {
    let scan = RequestCookies::scan(name, headers);
    let carried = scan.carried();
    if !carried.is_empty() {
        owner.note_parts(name, carried);
    }
    let loaded = scan.load(name, r.limit_req_fieldsize());
    if conf.remove && scan.found() {
        strip_request_cookies(r, |h| strip_session_and_parts(name, h));
    }
    status::set(
        r,
        match loaded {
            Loaded::Single(_) | Loaded::Chunked { .. } => Status::Ok,
            Loaded::Absent => Status::Absent,
            Loaded::Refused(e) => e.status(),
        },
    );
    let pool = owner.pool();
    match loaded {
        Loaded::Absent => {
            log_no_cookie(r, name);
            pool.new_session(None)
        }
        Loaded::Single(value) => {
            log_read(r, name, value.len());
            session_of(r, owner, Some(value))
        }
        Loaded::Chunked { value, parts } => {
            log(r, Msg::ChunkedRead, || {
                CookieEvent::ReadInParts {
                    name,
                    parts,
                    bytes: value.len(),
                }
                .to_string()
            });
            session_of(r, owner, Some(&value))
        }
        Loaded::Refused(ReadError::Conflict) => {
            log_conflict(r, name);
            log_ignored(r, name);
            pool.new_session(None)
        }
        Loaded::Refused(e) if e.over_limits() => {
            warn_once(r, Msg::RequestOverLimits, true, || {
                e.explained(name, printable)
            });
            pool.new_session(None)
        }
        Loaded::Refused(e) => {
            log(r, Msg::PartsRefused, || e.explained(name, printable));
            pool.new_session(None)
        }
    }
}

/// A new session of `owner` with `value` as its text, noted on `r` with
/// its length: neither the decoder nor the save measures it again.
fn session_of<'r>(r: &Request, owner: &'r Request, value: Option<&[u8]>) -> &'r Session {
    let session = owner.pool().new_session(value);
    if let Some(value) = value {
        // SAFETY: the session's text was just copied from `value`: its
        // bytes and a NUL, in the pool of `owner` (`r` or the request it
        // belongs to), which outlives `r`; `value` is a cookie's value, cut
        // from the request's headers (C strings), so it holds no NUL.
        unsafe { r.note_text(session.encoded_raw(), value.len()) }
    }
    session
}

/// SCR0104: the cookie twice with different values.
fn log_conflict(r: &Request, name: &[u8]) {
    log(r, Msg::CookieConflict, || {
        CookieEvent::SentTwice { name, uri: r.uri() }.to_string()
    });
}

/// SCR0101: the cookie read, in one piece.
fn log_read(r: &Request, name: &[u8], len: usize) {
    log(r, Msg::CookieRead, || {
        CookieEvent::Read { name, bytes: len }.to_string()
    });
}

/// SCR0102: a cookie found and not used.
fn log_ignored(r: &Request, name: &[u8]) {
    log(r, Msg::CookieIgnored, || {
        CookieEvent::Ignored { name }.to_string()
    });
}

/// SCR0103: no cookie.
fn log_no_cookie(r: &Request, name: &[u8]) {
    log(r, Msg::NoCookie, || {
        CookieEvent::Missing { name }.to_string()
    });
}

/// `SessionCookieRemove On`: takes our cookie out of `Cookie`/`Cookie2`
/// before a CGI script or proxied back end sees the request headers.
fn strip_request_cookies(r: &Request, strip: impl Fn(&[u8]) -> Stripped) {
    let headers = r.headers_in();
    for key in [COOKIE, COOKIE2] {
        let kept: Vec<PoolCStr<'_>> = headers
            .values(key)
            .filter_map(|v| match strip(v.to_bytes()) {
                Stripped::Unchanged => Some(v),
                Stripped::Rewritten(text) => Some(r.pool().c_str(&text)),
                Stripped::Removed => None,
            })
            .collect();
        headers.replace_all(key, &kept);
    }
}
