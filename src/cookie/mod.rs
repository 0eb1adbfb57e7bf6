//! The session cookie, as httpd's `mod_session_cookie` reads and writes it.
//!
//! All functions work on bytes: request headers may carry any octet, and
//! nothing here needs them to be UTF-8.

mod directive;
mod request;
mod response;

pub use directive::{CookieDirective, DirectiveError, parse_cookie_directive};
pub use request::{CookieLookup, Stripped, find_session_cookie, strip_session_cookie};
pub use response::{DEFAULT_ATTRS, removal_cookie_line, set_cookie_line, set_cookie_name};

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
