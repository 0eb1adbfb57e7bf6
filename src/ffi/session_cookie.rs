//! session_cookie_module's entry points: mod_session's `session_load` and
//! `session_save` hooks, and the directive parser the shim calls (through
//! the table in module_record.rs).
//!
//! These functions translate between httpd's structures and the safe core
//! ([`crate::cookie`]); the behaviour itself is decided there.

use std::ffi::{CStr, c_char, c_int};
use std::ptr;

use super::apr::{bytes, pool_str};
use super::bindings::{
    APLOG_DEBUG, APLOG_ERR, APR_EGENERAL, DECLINED, OK, apr_palloc, apr_status_t, apr_table_addn,
    apr_table_get, apr_table_make, apr_table_setn, request_rec, scr_cookie_dir_conf,
    scr_cookie_request_config, session_rec,
};
use super::log::printable;
use super::table::{replace_all, values_of};
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
    // SAFETY: httpd passes a live request and a valid out pointer.
    guarded(|| on_panic(r, "loading"), || unsafe { load_session(r, z) })
}

/// `session_save`: writes the encoded session as `Set-Cookie(2)`, or a
/// removal cookie when the session is empty.
///
/// # Safety
/// Called by httpd with a live request and session.
pub(super) unsafe extern "C" fn save(r: *mut request_rec, z: *mut session_rec) -> apr_status_t {
    // SAFETY: httpd passes a live request and session.
    guarded(|| on_panic(r, "saving"), || unsafe { save_session(r, z) })
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
    // SAFETY: per the contract above.
    let outcome = unsafe {
        config_call("parsing the directive", err, err_len, || {
            let args = bytes(args).unwrap_or_default();
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

fn on_panic(r: *mut request_rec, doing: &str) -> apr_status_t {
    let msg = format!("internal error while {doing} the session cookie; request served without it");
    // SAFETY: `r` is the live request the hook was called with.
    unsafe { cookie_log(r, APLOG_ERR, || msg) };
    APR_EGENERAL as apr_status_t
}

unsafe fn cookie_log(r: *const request_rec, level: u32, msg: impl FnOnce() -> String) {
    // SAFETY: `r` is the live request of the calling hook.
    unsafe { super::log::log(r, level, msg) }
}

/// The cookie name and attributes of a configured name, if it is set.
unsafe fn configured<'a>(
    set: c_int,
    name: *const c_char,
    attrs: *const c_char,
) -> Option<(&'a [u8], &'a [u8])> {
    if set == 0 {
        return None;
    }
    // SAFETY: set names hold pool strings from configuration time.
    let name = unsafe { bytes(name) }?;
    Some((name, unsafe { bytes(attrs) }.unwrap_or_default()))
}

/// A configured cookie's name and attributes.
type Cookie<'a> = Option<(&'a [u8], &'a [u8])>;

/// SessionCookieName (Set-Cookie) and SessionCookieName2 (Set-Cookie2).
unsafe fn cookies(conf: &scr_cookie_dir_conf) -> [(Cookie<'_>, &'static CStr); 2] {
    // SAFETY: configuration strings live in the configuration pool.
    unsafe {
        [
            (
                configured(conf.name_set, conf.name, conf.name_attrs),
                SET_COOKIE,
            ),
            (
                configured(conf.name2_set, conf.name2, conf.name2_attrs),
                SET_COOKIE2,
            ),
        ]
    }
}

/// The cookie the session is read from: SessionCookieName2 in preference,
/// as in stock.
unsafe fn read_name(conf: &scr_cookie_dir_conf) -> Option<&[u8]> {
    let [(name, _), (name2, _)] = unsafe { cookies(conf) };
    name2.or(name).map(|(name, _)| name)
}

/// The request a session is cached on: the first of a chain of internal
/// redirects, then its main request, as in stock.
unsafe fn session_owner(r: *mut request_rec) -> *mut request_rec {
    let mut m = r;
    // SAFETY: prev/main links point to live requests of this connection.
    unsafe {
        while !(*m).prev.is_null() {
            m = (*m).prev;
        }
        while !(*m).main.is_null() {
            m = (*m).main;
        }
    }
    m
}

unsafe fn load_session(r: *mut request_rec, z: *mut *mut session_rec) -> apr_status_t {
    // SAFETY (whole function): `r` is a live request; the configuration and
    // every table and string reached from it live in its pools.
    unsafe {
        let Some(conf) = scr_cookie_request_config(r).as_ref() else {
            return DECLINED;
        };
        let Some(name) = read_name(conf) else {
            return DECLINED;
        };
        let owner = &*session_owner(r);
        let note = pool_str(owner.pool, &[NOTE_PREFIX, name].concat());
        let cached = apr_table_get(owner.notes, note);
        if !cached.is_null() {
            *z = cached.cast_mut().cast();
            return OK as apr_status_t;
        }

        let req = &*r;
        let headers: Vec<&[u8]> = [COOKIE, COOKIE2]
            .iter()
            .flat_map(|key| values_of(req.headers_in, key))
            .filter_map(|v| bytes(v))
            .collect();
        let lookup = find_session_cookie(name, &headers);
        if lookup.conflict {
            cookie_log(r, APLOG_ERR, || {
                format!(
                    "client sent the session cookie '{}' more than once with different values, \
                     session not loaded: {}",
                    printable(name),
                    printable(bytes(req.uri).unwrap_or_default())
                )
            });
        }
        if conf.remove != 0 && lookup.found {
            strip_request_cookies(r, name);
        }

        let session = apr_palloc(owner.pool, size_of::<session_rec>()).cast::<session_rec>();
        // An all-zero session_rec is a valid empty one (what apr_pcalloc gives).
        ptr::write_bytes(session, 0, 1);
        (*session).pool = owner.pool;
        (*session).entries = apr_table_make(owner.pool, 10);
        (*session).encoded = lookup
            .value
            .map_or(ptr::null(), |v| pool_str(owner.pool, v));
        *z = session;
        apr_table_setn(owner.notes, note, session.cast());

        // Pages that depend on a session must not be cached by proxies.
        apr_table_addn(
            req.headers_out,
            c"Cache-Control".as_ptr(),
            c"no-cache, private".as_ptr(),
        );

        cookie_log(r, APLOG_DEBUG, || match lookup.value {
            Some(v) => format!(
                "session cookie '{}' read ({} bytes)",
                printable(name),
                v.len()
            ),
            None if lookup.found => format!("session cookie '{}' ignored", printable(name)),
            None => format!("no session cookie '{}' in the request", printable(name)),
        });
        OK as apr_status_t
    }
}

/// `SessionCookieRemove On`: takes our cookie out of `Cookie`/`Cookie2`
/// before a CGI script or proxied back end sees the request headers.
unsafe fn strip_request_cookies(r: *mut request_rec, name: &[u8]) {
    // SAFETY (whole function): `r` is a live request.
    unsafe {
        let req = &*r;
        for key in [COOKIE, COOKIE2] {
            let kept: Vec<*const c_char> = values_of(req.headers_in, key)
                .into_iter()
                .filter_map(
                    |v| match strip_session_cookie(name, bytes(v).unwrap_or_default()) {
                        Stripped::Unchanged => Some(v),
                        Stripped::Rewritten(text) => Some(pool_str(req.pool, &text).cast_const()),
                        Stripped::Removed => None,
                    },
                )
                .collect();
            replace_all(req.headers_in, key, &kept);
        }
    }
}

unsafe fn save_session(r: *mut request_rec, z: *mut session_rec) -> apr_status_t {
    // SAFETY (whole function): `r` and `z` are live; see `load`.
    unsafe {
        let Some(conf) = scr_cookie_request_config(r).as_ref() else {
            return DECLINED;
        };
        let session = &*z;
        let encoded = bytes(session.encoded).filter(|e| !e.is_empty());
        // c_long: i64 here, i32 on 32-bit targets.
        #[allow(clippy::useless_conversion)]
        let max_age = i64::from(session.maxage);
        let mut wrote = false;
        for (cookie, header) in cookies(conf) {
            let Some((name, attrs)) = cookie else {
                continue;
            };
            let line = match encoded {
                Some(value) => set_cookie_line(name, value, max_age, attrs),
                None => removal_cookie_line(name, attrs),
            };
            set_response_cookie(r, header, name, &line);
            cookie_log(r, APLOG_DEBUG, || {
                let what = if encoded.is_some() { "set" } else { "removed" };
                let value_len = encoded.map_or(0, <[u8]>::len);
                format!(
                    "{what} cookie '{}' ({value_len} bytes) with {}: Max-Age {}, attributes '{}'",
                    printable(name),
                    header.to_string_lossy(),
                    max_age,
                    printable(attrs)
                )
            });
            wrote = true;
        }
        if wrote { OK as apr_status_t } else { DECLINED }
    }
}

/// Adds `line` as the one `header` for cookie `name` in this response: any
/// earlier one for the same name (from a back end, or stock's habit of
/// writing a removal cookie into both header tables) is taken out first.
/// It goes into the error headers so that error pages carry it too.
unsafe fn set_response_cookie(
    r: *mut request_rec,
    header: &'static CStr,
    name: &[u8],
    line: &[u8],
) {
    // SAFETY (whole function): `r` is a live request.
    unsafe {
        let req = &*r;
        for table in [req.headers_out, req.err_headers_out] {
            let existing = values_of(table, header);
            let other = |v: &*const c_char| set_cookie_name(bytes(*v).unwrap_or_default()) != name;
            if !existing.iter().all(other) {
                let kept: Vec<*const c_char> = existing.into_iter().filter(other).collect();
                replace_all(table, header, &kept);
                cookie_log(r, APLOG_DEBUG, || {
                    format!(
                        "replacing an earlier {} for '{}'",
                        header.to_string_lossy(),
                        printable(name)
                    )
                });
            }
        }
        apr_table_addn(
            req.err_headers_out,
            header.as_ptr(),
            pool_str(req.pool, line),
        );
    }
}
