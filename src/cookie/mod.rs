//! The session cookie, as httpd's `mod_session_cookie` reads and writes it.
//!
//! All functions work on bytes: request headers may carry any octet, and
//! nothing here needs them to be UTF-8.

mod attrs;
mod chunk;
mod directive;
mod report;
mod request;
mod response;

pub use attrs::{
    AttrWarning, ChunkSizeError, HostProblem, check_cookie_attrs, chunk_size_warning,
    effective_attrs, has_secure, parse_chunk_size,
};
pub use chunk::{
    BROWSER_COOKIE_LIMIT, COOKIE_FIELD_PREFIX, CookieSpec, Loaded, MAX_CHUNKED_LEN, MAX_PARTS,
    MIN_CHUNK_SIZE, PartSet, ReadError, RequestCookies, SaveError, SavePlan, is_session_or_part,
    marker, parse_marker, part_index, part_name, plan_save, strip_session_and_parts,
};
pub use directive::{CookieDirective, DirectiveError, parse_cookie_directive};
pub use report::CookieEvent;
pub use request::{
    CookieLookup, Stripped, cookie_pairs, find_session_cookie, strip_cookies, strip_session_cookie,
};
pub use response::{
    DEFAULT_ATTRS, LineParts, SetCookieLine, removal_cookie_line, set_cookie_line, set_cookie_name,
    whole,
};

/// Whitespace as httpd's `apr_isspace` sees it (C `isspace` in the C locale).
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

pub(crate) fn trim_start(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !is_space(*first) {
            break;
        }
        s = rest;
    }
    s
}

pub(crate) fn trim_end(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., last] = s {
        if !is_space(*last) {
            break;
        }
        s = rest;
    }
    s
}
