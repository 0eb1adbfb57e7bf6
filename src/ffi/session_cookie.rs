//! session_cookie_module's entry points: mod_session's `session_load` and
//! `session_save` hooks, and the directive parsers and checks the shim
//! calls (through the table in module_record.rs).
//!
//! These functions translate between httpd's structures (as the safe types
//! of [`super::httpd`]) and the safe core ([`crate::cookie`]); the
//! behaviour itself is decided there: chunking (`SessionCookieChunkSize`)
//! in `cookie::chunk`, the attribute checks in `cookie::attrs`. What is
//! decided here is what httpd contributes: its `LimitRequestFieldSize`, the
//! request's scheme, the request notes that carry what loading saw to
//! saving, and which log line (with which id) says what happened.

use std::ffi::{CStr, c_char, c_int};
use std::sync::atomic::{AtomicBool, Ordering};

use super::bindings::{
    APR_EGENERAL, DECLINED, OK, apr_status_t, request_rec, scr_cookie_conf,
    scr_cookie_request_config, scr_result, scr_result_SCR_DONE, scr_result_SCR_FAILED,
    scr_result_SCR_WARNED, session_rec,
};
use super::httpd::{PoolCStr, Request, Session, c_bytes};
use super::log::{log, log_as, printable, write_c_message};
use super::messages::Msg;
use super::metrics;
use super::status;
use super::{config_call, guarded};
use crate::cookie::{
    AttrWarning, BROWSER_COOKIE_LIMIT, CookieSpec, Loaded, MAX_CHUNKED_LEN, MAX_PARTS, PartSet,
    ReadError, RequestCookies, SaveError, SavePlan, Stripped, check_cookie_attrs,
    chunk_size_over_browser_limit, find_session_cookie, has_secure, is_session_or_part,
    parse_chunk_size, parse_cookie_directive, part_name, plan_save, removal_cookie_line,
    set_cookie_line, set_cookie_name, strip_session_and_parts, strip_session_cookie,
};
use crate::metrics::Counter;

const COOKIE: &CStr = c"Cookie";
const COOKIE2: &CStr = c"Cookie2";
const SET_COOKIE: &CStr = c"Set-Cookie";
const SET_COOKIE2: &CStr = c"Set-Cookie2";

/// Prefix of the request note that keeps, per cookie name, which parts of
/// a chunked session the request carried ([`PartSet::to_text`]): saving
/// removes those no longer used, and `SessionCookieRemove On` has taken
/// them out of the request headers by then.
const PARTS_NOTE_PREFIX: &[u8] = b"mod_session_cookie_rs-parts:";

/// Request note set once a size warning was logged: one per request.
const WARNED_NOTE: &[u8] = b"mod_session_cookie_rs-warned";

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
    match bytes {
        Some(n) if chunk_size_over_browser_limit(n) => {
            let text = format!(
                "{}: {}: {n} bytes is over the {BROWSER_COOKIE_LIMIT} bytes browsers keep of \
                 a cookie: they drop longer parts without a word and the session is lost; \
                 use {BROWSER_COOKIE_LIMIT} or less (4000 leaves room to spare)",
                Msg::ChunkSizeOverBrowserLimit.id_and_level().0,
                printable(place)
            );
            // SAFETY: per the contract above.
            unsafe { write_c_message(msg, msg_len, &text) };
            scr_result_SCR_WARNED
        }
        _ => scr_result_SCR_DONE,
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

fn load_session(r: &Request) -> Option<&Session> {
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
        strip_request_cookies(r, |h| strip_session_cookie(name, h));
    }
    status::set(
        r,
        match lookup.value {
            _ if lookup.conflict => c"duplicate",
            Some(_) => c"ok",
            None => c"absent",
        },
    );

    let session = owner.pool().new_session(lookup.value);
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
        owner.set_note_text(
            &[PARTS_NOTE_PREFIX, name].concat(),
            carried.to_text().as_bytes(),
        );
    }
    let loaded = scan.load(name, r.limit_req_fieldsize());
    if conf.remove && scan.found() {
        strip_request_cookies(r, |h| strip_session_and_parts(name, h));
    }
    status::set(
        r,
        match loaded {
            Loaded::Single(_) | Loaded::Chunked { .. } => c"ok",
            Loaded::Absent => c"absent",
            Loaded::Refused(ReadError::Conflict | ReadError::Duplicate { .. }) => c"duplicate",
            Loaded::Refused(ReadError::Missing { .. } | ReadError::PartsWithoutCookie { .. }) => {
                c"incomplete"
            }
            Loaded::Refused(
                ReadError::BadCount { .. }
                | ReadError::Extra { .. }
                | ReadError::TooManyParts { .. }
                | ReadError::TooLong { .. }
                | ReadError::TooLarge { .. },
            ) => c"malformed",
        },
    );
    let pool = owner.pool();
    match loaded {
        Loaded::Absent => {
            log(r, Msg::NoCookie, || {
                format!("no session cookie '{}' in the request", printable(name))
            });
            pool.new_session(None)
        }
        Loaded::Single(value) => {
            log(r, Msg::CookieRead, || {
                format!(
                    "session cookie '{}' read ({} bytes)",
                    printable(name),
                    value.len()
                )
            });
            pool.new_session(Some(value))
        }
        Loaded::Chunked { value, parts } => {
            log(r, Msg::ChunkedRead, || {
                format!(
                    "session cookie '{}' read from {parts} parts ({} bytes)",
                    printable(name),
                    value.len()
                )
            });
            pool.new_session(Some(&value))
        }
        Loaded::Refused(ReadError::Conflict) => {
            log(r, Msg::CookieConflict, || {
                format!(
                    "client sent the session cookie '{}' more than once with different values, \
                     session not loaded: {}",
                    printable(name),
                    printable(r.uri())
                )
            });
            log(r, Msg::CookieIgnored, || {
                format!("session cookie '{}' ignored", printable(name))
            });
            pool.new_session(None)
        }
        Loaded::Refused(e) if e.over_limits() => {
            warn_once(r, Msg::RequestOverLimits, true, || {
                over_limits_text(name, e)
            });
            pool.new_session(None)
        }
        Loaded::Refused(e) => {
            log(r, Msg::PartsRefused, || refused_text(name, e));
            pool.new_session(None)
        }
    }
}

fn over_limits_text(name: &[u8], e: ReadError) -> String {
    let shown = printable(name);
    match e {
        ReadError::TooManyParts { count } => format!(
            "session cookie '{shown}' in the request announces {count} parts, over the limit \
             of {MAX_PARTS}: session not loaded (no session needing more is ever written; a \
             larger SessionCookieChunkSize needs fewer parts)"
        ),
        ReadError::TooLarge { size, limit } => format!(
            "session cookie '{shown}' in the request: with its parts it makes a {size}-byte \
             Cookie header line, over LimitRequestFieldSize {limit}: session not loaded; \
             raise LimitRequestFieldSize"
        ),
        ReadError::TooLong { len } => format!(
            "session cookie '{shown}' in the request: its parts hold {len} bytes, over the \
             limit of {MAX_CHUNKED_LEN}: session not loaded (no longer session is ever \
             written; keep less in the session)"
        ),
        other => refused_text(name, other),
    }
}

fn refused_text(name: &[u8], e: ReadError) -> String {
    let part = |index: u32| printable(&part_name(name, index as usize));
    let why = match e {
        ReadError::Conflict => "sent more than once with different values".to_owned(),
        ReadError::BadCount { count } => {
            format!("it announces {count} part(s), which is never written")
        }
        ReadError::TooManyParts { count } => format!("it announces {count} parts"),
        ReadError::Missing { index, count } => {
            format!("part '{}' of {count} is missing", part(index))
        }
        ReadError::Duplicate { index } => {
            format!("part '{}' was sent more than once", part(index))
        }
        ReadError::Extra { index, count } => {
            format!(
                "part '{}' was sent, but the session has {count} parts",
                part(index)
            )
        }
        ReadError::PartsWithoutCookie { parts } => {
            format!("{parts} part(s) were sent without the cookie itself")
        }
        ReadError::TooLarge { size, limit } => {
            format!("its parts make a {size}-byte Cookie line, over {limit}")
        }
        ReadError::TooLong { len } => format!("its parts hold {len} bytes"),
    };
    format!(
        "chunked session cookie '{}' ignored: {why}; session not loaded",
        printable(name)
    )
}

/// Logs `msg` unless a size warning was already logged for this request:
/// one per request. `client_made`: the session is the one the client sent,
/// saved again unchanged, so the line is the client's doing and at info.
fn warn_once(r: &Request, msg: Msg, client_made: bool, text: impl FnOnce() -> String) {
    let owner = r.session_owner();
    if owner.note_text(WARNED_NOTE).is_some() {
        return;
    }
    owner.set_note_text(WARNED_NOTE, b"1");
    if client_made {
        log_as(r, msg.client_made(), text);
    } else {
        log(r, msg, text);
    }
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

fn save_session(r: &Request, z: &Session) -> apr_status_t {
    let Some(conf) = Config::of(r) else {
        return DECLINED;
    };
    let encoded = z.encoded().unwrap_or_default();
    // SessionCookieMaxAge Off: a browser-session cookie, as on trunk.
    let max_age = if conf.max_age { z.max_age() } else { 0 };
    let [name, name2] = conf.cookies;
    if let Some(cookie) = name {
        save_cookie(r, &conf, cookie, encoded, max_age, !z.dirty());
    }
    if let Some(cookie) = name2 {
        // Never chunked: exactly stock's line.
        let line = if encoded.is_empty() {
            removal_cookie_line(cookie.name, cookie.attrs)
        } else {
            set_cookie_line(cookie.name, encoded, max_age, cookie.attrs)
        };
        replace_response_cookies(r, cookie, |n| n == cookie.name, [&line[..]]);
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
        let what = if encoded.is_empty() { "removed" } else { "set" };
        format!(
            "{what} cookie '{}' ({} bytes) with {}: Max-Age {}, attributes '{}'",
            printable(cookie.name),
            encoded.len(),
            cookie.header.to_string_lossy(),
            max_age,
            printable(cookie.attrs)
        )
    });
}

/// The parts of the chunked session `name` the request carried: what
/// loading noted, else what the request headers hold now.
fn carried_parts(r: &Request, name: &[u8]) -> PartSet {
    let owner = r.session_owner();
    if let Some(set) = owner
        .note_text(&[PARTS_NOTE_PREFIX, name].concat())
        .and_then(PartSet::from_text)
    {
        return set;
    }
    RequestCookies::scan(name, &CookieHeaders::of(r)).carried()
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
                    too_long_text(cookie.name, plan.longest, chunked)
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
                    format!(
                        "session cookie '{}' has the Secure attribute, but this request came \
                         over plain HTTP: browsers do not keep it, so users lose their \
                         session; serve the site over HTTPS (behind a TLS-terminating proxy, \
                         give ServerName an https:// scheme) or drop Secure (noted once per \
                         process)",
                        printable(cookie.name)
                    )
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
                not_written_text(cookie.name, encoded.len(), e)
            });
        }
    }
}

fn too_long_text(name: &[u8], longest: usize, chunked: bool) -> String {
    let fix = if chunked {
        format!("set SessionCookieChunkSize to {BROWSER_COOKIE_LIMIT} or less")
    } else {
        "SessionCookieChunkSize 4000 splits it over several cookies".to_owned()
    };
    format!(
        "session cookie '{}': a {longest}-byte Set-Cookie line, over the \
         {BROWSER_COOKIE_LIMIT} bytes browsers keep of a cookie: browsers drop it without a \
         word and keep their previous session cookie, if any, so this session change is \
         lost; {fix}",
        printable(name)
    )
}

fn not_written_text(name: &[u8], len: usize, e: SaveError) -> String {
    let why = match e {
        SaveError::OverFieldLimit { size, limit, parts } => format!(
            "the browser would send it back in a {size}-byte Cookie header line{}, over \
             LimitRequestFieldSize {limit}, and httpd would refuse every later request with a \
             400",
            if parts > 1 {
                format!(" ({parts} parts)")
            } else {
                String::new()
            }
        ),
        SaveError::TooManyParts { needed, chunk_size } => format!(
            "it needs {needed} parts of SessionCookieChunkSize {chunk_size} bytes, over the \
             limit of {MAX_PARTS}"
        ),
        SaveError::NoRoom {
            chunk_size,
            overhead,
        } => format!(
            "its attributes leave no room for a value in SessionCookieChunkSize {chunk_size} \
             ({overhead} bytes without any value)"
        ),
        SaveError::TooLong { .. } => format!(
            "a chunked session holds at most {MAX_CHUNKED_LEN} bytes (what \
             session_crypto_module opens)"
        ),
    };
    let fix = match e {
        SaveError::OverFieldLimit { .. } => {
            "raise LimitRequestFieldSize or keep less in the session"
        }
        SaveError::TooManyParts { .. } => {
            "raise SessionCookieChunkSize (up to 4096) or keep less in the session"
        }
        SaveError::NoRoom { .. } => "raise SessionCookieChunkSize or shorten the attributes",
        SaveError::TooLong { .. } => "keep less in the session",
    };
    format!(
        "session cookie '{}' not written: the session is {len} bytes and {why}; the browser \
         keeps its previous session cookie, if any, so this session change is lost; {fix}",
        printable(name)
    )
}

fn log_plan(r: &Request, cookie: Cookie<'_>, encoded: &[u8], max_age: i64, plan: &SavePlan) {
    if plan.parts.is_empty() {
        log_written(r, cookie, encoded, max_age);
    } else {
        metrics::add(Counter::ChunkedWrites, 1);
        metrics::add(Counter::ChunkParts, plan.parts.len() as u64);
        log(r, Msg::ChunkedWritten, || {
            format!(
                "set cookie '{}' ({} bytes) in {} parts, lines of at most {} bytes, with {}: \
                 Max-Age {}, attributes '{}'",
                printable(cookie.name),
                encoded.len(),
                plan.parts.len(),
                plan.longest,
                cookie.header.to_string_lossy(),
                max_age,
                printable(cookie.attrs)
            )
        });
    }
    if !plan.removed.is_empty() {
        log(r, Msg::StalePartsRemoved, || {
            let names: Vec<String> = plan
                .removed
                .iter()
                .map(|i| printable(&part_name(cookie.name, i)))
                .collect();
            format!(
                "removing the parts of cookie '{}' no longer used: {}",
                printable(cookie.name),
                names.join(", ")
            )
        });
    }
}

/// Adds `lines` as the headers for `cookie` in this response: any earlier
/// one for a name `ours` claims (from a back end, or stock's habit of
/// writing a removal cookie into both header tables) is taken out first.
/// They go into the error headers so that error pages carry them too.
fn replace_response_cookies<'l>(
    r: &Request,
    cookie: Cookie<'_>,
    ours: impl Fn(&[u8]) -> bool,
    lines: impl IntoIterator<Item = &'l [u8]>,
) {
    for table in [r.headers_out(), r.err_headers_out()] {
        let other = |v: &PoolCStr<'_>| !ours(set_cookie_name(v.to_bytes()));
        // Usually no earlier line is ours: then nothing is collected.
        if !table.values(cookie.header).all(|v| other(&v)) {
            let kept: Vec<PoolCStr<'_>> = table.values(cookie.header).filter(other).collect();
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
    for line in lines {
        r.err_headers_out().add(cookie.header, r.pool().c_str(line));
    }
}
