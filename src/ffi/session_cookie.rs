//! session_cookie_module's entry points: mod_session's `session_load` and
//! `session_save` hooks, and the directive parser the shim calls (through
//! the table in module_record.rs).
//!
//! These functions translate between httpd's structures (as the safe types
//! of [`super::httpd`]) and the safe core ([`crate::cookie`]); the
//! behaviour itself is decided there.

use std::ffi::{CStr, c_char, c_int};

use super::bindings::{
    APR_EGENERAL, DECLINED, OK, apr_status_t, request_rec, scr_cookie_dir_conf,
    scr_cookie_request_config, session_rec,
};
use super::httpd::{Request, Session, c_bytes};
use super::log::{log, printable};
use super::messages::Msg;
use super::{config_call, guarded};
use crate::cookie::{
    Stripped, find_session_cookie, parse_cookie_directive, removal_cookie_line, set_cookie_line,
    set_cookie_name, strip_session_cookie,
};

const COOKIE: &CStr = c"Cookie";
const COOKIE2: &CStr = c"Cookie2";
const SET_COOKIE: &CStr = c"Set-Cookie";
const SET_COOKIE2: &CStr = c"Set-Cookie2";

/// Prefix of the request note that caches the loaded session per cookie
/// name, so that internal redirects and subrequests reuse it.
const NOTE_PREFIX: &[u8] = b"mod_session_cookie_rs:";

/// `session_load`: finds the session cookie in the request and hands its
/// raw value to mod_session, which decodes it.
///
/// # Safety
/// Called by httpd with a live request and a place for the session.
pub(super) unsafe extern "C" fn load(
    r: *mut request_rec,
    z: *mut *mut session_rec,
) -> apr_status_t {
    // SAFETY: httpd passes a live request.
    let r = unsafe { Request::from_raw(r) };
    guarded(
        || on_panic(r, "loading"),
        || match load_session(r) {
            Some(session) => {
                // SAFETY: httpd passes a valid place for the session.
                unsafe { *z = session.as_ptr() };
                OK as apr_status_t
            }
            None => DECLINED,
        },
    )
}

/// `session_save`: writes the encoded session as `Set-Cookie(2)`, or a
/// removal cookie when the session is empty.
///
/// # Safety
/// Called by httpd with a live request and session.
pub(super) unsafe extern "C" fn save(r: *mut request_rec, z: *mut session_rec) -> apr_status_t {
    // SAFETY: httpd passes a live request and session, which nothing else
    // touches while the hook runs.
    let (r, z) = unsafe { (Request::from_raw(r), Session::from_raw(z)) };
    guarded(|| on_panic(r, "saving"), || save_session(r, z))
}

/// Splits `SessionCookieName`'s raw arguments; see shim/rust_entry.h.
///
/// # Safety
/// `args` is a NUL-terminated string, the out pointers are valid and `err`
/// has room for `err_len` bytes.
pub(super) unsafe extern "C" fn parse_directive(
    args: *const c_char,
    name_at: *mut usize,
    name_len: *mut usize,
    attrs_at: *mut usize,
    err: *mut c_char,
    err_len: usize,
) -> c_int {
    // SAFETY: `args` is a C string that outlives the call.
    let args = unsafe { c_bytes(args) }.unwrap_or_default();
    // SAFETY: per the contract above.
    let outcome = unsafe {
        config_call("parsing the directive", err, err_len, || {
            let d = parse_cookie_directive(args).map_err(|e| e.to_string())?;
            let base = args.as_ptr() as usize;
            Ok((
                d.name.as_ptr() as usize - base,
                d.name.len(),
                args.len() - d.attrs.len(),
            ))
        })
    };
    let Some((at, len, attrs)) = outcome else {
        return -1;
    };
    // SAFETY: the caller's out pointers are valid.
    unsafe {
        *name_at = at;
        *name_len = len;
        *attrs_at = attrs;
    }
    0
}

fn on_panic(r: &Request, doing: &str) -> apr_status_t {
    log(r, Msg::CookiePanic, || {
        format!("internal error while {doing} the session cookie; request served without it")
    });
    APR_EGENERAL as apr_status_t
}

/// A configured cookie: its name and attributes, and the header it is
/// written with.
#[derive(Clone, Copy)]
struct Cookie<'a> {
    name: &'a [u8],
    attrs: &'a [u8],
    header: &'static CStr,
}

/// The request's per-directory configuration, as safe values.
struct Config<'a> {
    /// SessionCookieName (Set-Cookie), SessionCookieName2 (Set-Cookie2).
    cookies: [Option<Cookie<'a>>; 2],
    remove: bool,
}

impl<'a> Config<'a> {
    fn of(r: &'a Request) -> Option<Self> {
        // SAFETY: the shim returns the merged configuration of a live
        // request (or NULL); it and its strings live in the configuration
        // pool, which outlives the request.
        unsafe {
            let c: &scr_cookie_dir_conf = scr_cookie_request_config(r.as_ptr()).as_ref()?;
            let cookie = |set: c_int, name, attrs, header| {
                let name = c_bytes(name).filter(|_| set != 0)?;
                let attrs = c_bytes(attrs).unwrap_or_default();
                Some(Cookie {
                    name,
                    attrs,
                    header,
                })
            };
            Some(Config {
                cookies: [
                    cookie(c.name_set, c.name, c.name_attrs, SET_COOKIE),
                    cookie(c.name2_set, c.name2, c.name2_attrs, SET_COOKIE2),
                ],
                remove: c.remove != 0,
            })
        }
    }

    /// The cookie the session is read from: SessionCookieName2 in
    /// preference, as in stock.
    fn read_name(&self) -> Option<&'a [u8]> {
        let [name, name2] = self.cookies;
        name2.or(name).map(|c| c.name)
    }
}

fn load_session(r: &Request) -> Option<&Session> {
    let conf = Config::of(r)?;
    let name = conf.read_name()?;
    let owner = r.session_owner();
    let note = owner.pool().c_str(&[NOTE_PREFIX, name].concat());
    if let Some(cached) = owner.notes().cached_session(note) {
        return Some(cached);
    }

    let headers: Vec<&[u8]> = [COOKIE, COOKIE2]
        .iter()
        .flat_map(|key| r.headers_in().values(key))
        .map(CStr::to_bytes)
        .collect();
    let lookup = find_session_cookie(name, &headers);
    if lookup.conflict {
        log(r, Msg::CookieConflict, || {
            format!(
                "client sent the session cookie '{}' more than once with different values, \
                 session not loaded: {}",
                printable(name),
                printable(r.uri())
            )
        });
    }
    if conf.remove && lookup.found {
        strip_request_cookies(r, name);
    }

    let session = owner.pool().new_session(lookup.value);
    owner.notes().cache_session(note, session);

    // Pages that depend on a session must not be cached by proxies.
    r.headers_out().add(c"Cache-Control", c"no-cache, private");

    match lookup.value {
        Some(v) => log(r, Msg::CookieRead, || {
            format!(
                "session cookie '{}' read ({} bytes)",
                printable(name),
                v.len()
            )
        }),
        None if lookup.found => log(r, Msg::CookieIgnored, || {
            format!("session cookie '{}' ignored", printable(name))
        }),
        None => log(r, Msg::NoCookie, || {
            format!("no session cookie '{}' in the request", printable(name))
        }),
    }
    Some(session)
}

/// `SessionCookieRemove On`: takes our cookie out of `Cookie`/`Cookie2`
/// before a CGI script or proxied back end sees the request headers.
fn strip_request_cookies(r: &Request, name: &[u8]) {
    let headers = r.headers_in();
    for key in [COOKIE, COOKIE2] {
        let kept: Vec<&CStr> = headers
            .values(key)
            .into_iter()
            .filter_map(|v| match strip_session_cookie(name, v.to_bytes()) {
                Stripped::Unchanged => Some(v),
                Stripped::Rewritten(text) => Some(r.pool().c_str(&text)),
                Stripped::Removed => None,
            })
            .collect();
        headers.replace_all(key, &kept);
    }
}

fn save_session(r: &Request, z: &Session) -> apr_status_t {
    let Some(conf) = Config::of(r) else {
        return DECLINED;
    };
    let encoded = z.encoded().filter(|e| !e.is_empty());
    let max_age = z.max_age();
    let mut wrote = false;
    for cookie in conf.cookies.into_iter().flatten() {
        let line = match encoded {
            Some(value) => set_cookie_line(cookie.name, value, max_age, cookie.attrs),
            None => removal_cookie_line(cookie.name, cookie.attrs),
        };
        set_response_cookie(r, cookie, &line);
        log(r, Msg::CookieWritten, || {
            let what = if encoded.is_some() { "set" } else { "removed" };
            let value_len = encoded.map_or(0, <[u8]>::len);
            format!(
                "{what} cookie '{}' ({value_len} bytes) with {}: Max-Age {}, attributes '{}'",
                printable(cookie.name),
                cookie.header.to_string_lossy(),
                max_age,
                printable(cookie.attrs)
            )
        });
        wrote = true;
    }
    if wrote { OK as apr_status_t } else { DECLINED }
}

/// Adds `line` as the one header for `cookie` in this response: any
/// earlier one for the same name (from a back end, or stock's habit of
/// writing a removal cookie into both header tables) is taken out first.
/// It goes into the error headers so that error pages carry it too.
fn set_response_cookie(r: &Request, cookie: Cookie<'_>, line: &[u8]) {
    for table in [r.headers_out(), r.err_headers_out()] {
        let existing = table.values(cookie.header);
        let other = |v: &&CStr| set_cookie_name(v.to_bytes()) != cookie.name;
        if !existing.iter().all(other) {
            let kept: Vec<&CStr> = existing.into_iter().filter(other).collect();
            table.replace_all(cookie.header, &kept);
            log(r, Msg::CookieReplaced, || {
                format!(
                    "replacing an earlier {} for '{}'",
                    cookie.header.to_string_lossy(),
                    printable(cookie.name)
                )
            });
        }
    }
    r.err_headers_out().add(cookie.header, r.pool().c_str(line));
}
