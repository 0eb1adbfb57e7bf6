//! session_cookie_module's entry points: mod_session's `session_load` and
//! `session_save` hooks, and the directive parsers and checks the shim
//! calls (through the table in module_record.rs). Loading is in
//! [`load`], saving in [`save`]; here, what both use: the request's
//! configuration, its cookie headers, and the once-per-request warning.
//!
//! These functions translate between httpd's structures (as the safe types
//! of [`super::httpd`]) and the safe core ([`crate::cookie`]); the
//! behaviour itself is decided there: chunking (`SessionCookieChunkSize`)
//! in `cookie::chunk`, the attribute checks in `cookie::attrs`. What is
//! decided here is what httpd contributes: its `LimitRequestFieldSize`, the
//! request's scheme, the request notes that carry what loading saw to
//! saving, and which log line (with which id) says what happened.

use std::ffi::{CStr, c_char, c_int};
use std::sync::atomic::AtomicBool;

use super::bindings::{
    APR_EGENERAL, DECLINED, OK, apr_status_t, request_rec, scr_cookie_conf,
    scr_cookie_request_config, scr_result, scr_result_SCR_DONE, scr_result_SCR_FAILED,
    scr_result_SCR_WARNED, session_rec,
};
use super::httpd::{Request, Session, c_bytes};
use super::log::{log, log_as, printable, write_c_message};
use super::messages::Msg;
use super::{config_call, guarded};
use crate::cookie::{
    AttrWarning, check_cookie_attrs, chunk_size_warning, parse_chunk_size, parse_cookie_directive,
};

mod load;
mod save;

use load::load_session;
use save::save_session;

const COOKIE: &CStr = c"Cookie";
const COOKIE2: &CStr = c"Cookie2";
const SET_COOKIE: &CStr = c"Set-Cookie";
const SET_COOKIE2: &CStr = c"Set-Cookie2";

/// Whether this process has logged the notice about a Secure cookie on
/// plain HTTP (SCR0115): once per child.
static SECURE_ON_HTTP_NOTED: AtomicBool = AtomicBool::new(false);

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
) -> scr_result {
    // SAFETY: `args` is a C string that outlives the call.
    let args = unsafe { c_bytes(args) }.unwrap_or_default();
    // SAFETY: per the contract above.
    let outcome = unsafe {
        config_call("parsing the directive", err, err_len, || {
            let d = parse_cookie_directive(args).map_err(|e| e.to_string())?;
            Ok(d.offsets(args))
        })
    };
    let Some((at, len, attrs)) = outcome else {
        return scr_result_SCR_FAILED;
    };
    // SAFETY: the caller's out pointers are valid.
    unsafe {
        *name_at = at;
        *name_len = len;
        *attrs_at = attrs;
    }
    scr_result_SCR_DONE
}

/// Warnings about a session cookie's name and attributes; see
/// shim/rust_entry.h.
///
/// # Safety
/// `name`, `attrs` and `place` are NUL-terminated strings; `out` has room
/// for `out_len` bytes.
pub(super) unsafe extern "C" fn check_cookie(
    name: *const c_char,
    attrs: *const c_char,
    place: *const c_char,
    out: *mut c_char,
    out_len: usize,
) -> c_int {
    // SAFETY: C strings that outlive the call.
    let (name, attrs, place) = unsafe { (c_bytes(name), c_bytes(attrs), c_bytes(place)) };
    let (name, attrs, place) = (
        name.unwrap_or_default(),
        attrs.unwrap_or_default(),
        place.unwrap_or_default(),
    );
    let lines = guarded(Vec::new, || {
        check_cookie_attrs(name, attrs)
            .iter()
            .map(|w| {
                let msg = match w {
                    AttrWarning::HostPrefix { .. } | AttrWarning::SecurePrefix { .. } => {
                        Msg::PrefixRules
                    }
                    AttrWarning::SameSiteNoneInsecure { .. } => Msg::SameSiteNoneInsecure,
                    AttrWarning::UnknownSameSite { .. } => Msg::UnknownSameSite,
                };
                format!("{}: {}: {w}\n", msg.id_and_level().0, printable(place))
            })
            .collect::<Vec<_>>()
    });
    // SAFETY: per the contract above.
    unsafe { write_c_message(out, out_len, &lines.concat()) };
    c_int::try_from(lines.len()).unwrap_or(c_int::MAX)
}

/// `SessionCookieChunkSize`'s argument; see shim/rust_entry.h.
///
/// # Safety
/// `arg` and `place` are NUL-terminated strings, `size` is valid and `msg`
/// has room for `msg_len` bytes.
pub(super) unsafe extern "C" fn parse_chunk_size_arg(
    arg: *const c_char,
    place: *const c_char,
    size: *mut c_int,
    msg: *mut c_char,
    msg_len: usize,
) -> scr_result {
    // SAFETY: C strings that outlive the call.
    let (arg, place) = unsafe { (c_bytes(arg), c_bytes(place)) };
    let place = place.unwrap_or_default();
    // SAFETY: per the contract above.
    let outcome = unsafe {
        config_call("parsing the directive", msg, msg_len, || {
            parse_chunk_size(arg.unwrap_or_default()).map_err(|e| e.to_string())
        })
    };
    let Some(bytes) = outcome else {
        return scr_result_SCR_FAILED;
    };
    // SAFETY: the caller's out pointer is valid.
    unsafe { *size = bytes.map_or(0, |n| c_int::try_from(n).unwrap_or(c_int::MAX)) };
    match bytes.and_then(chunk_size_warning) {
        Some(warning) => {
            let text = format!(
                "{}: {}: {warning}",
                Msg::ChunkSizeOverBrowserLimit.id_and_level().0,
                printable(place)
            );
            // SAFETY: per the contract above.
            unsafe { write_c_message(msg, msg_len, &text) };
            scr_result_SCR_WARNED
        }
        None => scr_result_SCR_DONE,
    }
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
    /// SessionCookieMaxAge.
    max_age: bool,
    /// SessionCookieChunkSize; `None` for Off. Applies to the
    /// SessionCookieName cookie only.
    chunk_size: Option<usize>,
}

impl<'a> Config<'a> {
    fn of(r: &'a Request) -> Option<Self> {
        // SAFETY: the shim returns the merged configuration of a live
        // request (or NULL); it and its strings live in the configuration
        // pool, which outlives the request.
        unsafe {
            let ours: &scr_cookie_conf = scr_cookie_request_config(r.as_ptr()).as_ref()?;
            let c = &ours.stock;
            let cookie = |set: c_int, name, attrs, header| {
                if set == 0 {
                    return None;
                }
                let name = c_bytes(name)?;
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
                max_age: ours.maxage != 0,
                chunk_size: usize::try_from(ours.chunk_size).ok().filter(|&n| n > 0),
            })
        }
    }

    /// The cookie the session is read from: SessionCookieName2 in
    /// preference, as in stock.
    fn read_name(&self) -> Option<&'a [u8]> {
        let [name, name2] = self.cookies;
        name2.or(name).map(|c| c.name)
    }

    /// Whether the session is read from chunks: chunking is on and the
    /// session is read from the SessionCookieName cookie (a
    /// SessionCookieName2 cookie is never chunked).
    fn read_chunked(&self) -> bool {
        self.chunk_size.is_some() && self.cookies[1].is_none() && self.cookies[0].is_some()
    }
}

/// Logs `msg` unless a size warning was already logged for this request:
/// one per request. `client_made`: the session is the one the client sent,
/// saved again unchanged, so the line is the client's doing and at info.
fn warn_once(r: &Request, msg: Msg, client_made: bool, text: impl FnOnce() -> String) {
    if !r.session_owner().first_size_warning() {
        return;
    }
    if client_made {
        log_as(r, msg.client_made(), text);
    } else {
        log(r, msg, text);
    }
}

/// The values of the request's `Cookie` then `Cookie2` headers, in order:
/// on the stack for the usual one or two (this runs on every request), on
/// the heap beyond.
enum CookieHeaders<'r> {
    Few([&'r [u8]; 4], usize),
    Many(Vec<&'r [u8]>),
}

impl<'r> CookieHeaders<'r> {
    fn of(r: &'r Request) -> Self {
        let mut headers = Self::Few([&[]; 4], 0);
        for value in [COOKIE, COOKIE2]
            .iter()
            .flat_map(|key| r.headers_in().values(key))
        {
            match &mut headers {
                Self::Few(few, n) if *n < few.len() => {
                    few[*n] = value.as_c_str().to_bytes();
                    *n += 1;
                }
                Self::Few(few, _) => {
                    let mut many = few.to_vec();
                    many.push(value.as_c_str().to_bytes());
                    headers = Self::Many(many);
                }
                Self::Many(many) => many.push(value.as_c_str().to_bytes()),
            }
        }
        headers
    }
}

impl<'r> std::ops::Deref for CookieHeaders<'r> {
    type Target = [&'r [u8]];

    fn deref(&self) -> &Self::Target {
        match self {
            Self::Few(few, n) => &few[..*n],
            Self::Many(many) => many,
        }
    }
}
