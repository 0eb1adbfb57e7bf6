//! Log lines from Rust, under the module they concern, through the shim's
//! helpers (httpd's logging API is C macros and varargs).

use std::ffi::{c_char, c_int};
use std::ptr;

use super::bindings::{scr_log, scr_log_enabled};
use super::httpd::Request;
use super::messages::Msg;

/// The index httpd gave this .so's module, which `LogLevel module:level`
/// selects by.
fn module_index() -> c_int {
    // SAFETY: plain reads of the module record's index.
    unsafe {
        #[cfg(feature = "session-cookie-module")]
        return super::bindings::scr_cookie_module_index();
        #[cfg(feature = "session-crypto-module")]
        return super::bindings::scr_crypto_module_index();
    }
}

/// Logs `msg`'s line, `SCRnnnn: ` and the text `text()` builds, if its
/// level is enabled for this request and this .so's module; `text` is not
/// called otherwise. The line names the caller's file and line, as httpd's
/// own lines name theirs.
#[track_caller]
pub(super) fn log(r: &Request, msg: Msg, text: impl FnOnce() -> String) {
    log_as(r, msg.id_and_level(), text);
}

/// [`log`] at the level given with the message's id (see
/// [`Msg::client_made`]).
#[track_caller]
pub(super) fn log_as(r: &Request, (id, level): (&str, u32), text: impl FnOnce() -> String) {
    let (index, level) = (module_index(), level as c_int);
    // SAFETY: `r` is a live request.
    if unsafe { scr_log_enabled(r.as_ptr(), index, level) } == 0 {
        return;
    }
    let at = std::panic::Location::caller();
    let file = c_line(at.file().to_owned());
    let line = c_line(format!("{id}: {}", text()));
    let number = c_int::try_from(at.line()).unwrap_or(0);
    // SAFETY: `file` and `line` are NUL-terminated and outlive the call.
    unsafe {
        scr_log(
            r.as_ptr(),
            file.as_ptr().cast(),
            number,
            index,
            level,
            line.as_ptr().cast(),
        )
    };
}

/// `msg` as a C string: NUL bytes dropped, NUL-terminated.
fn c_line(msg: String) -> Vec<u8> {
    let mut line = msg.into_bytes();
    line.retain(|&b| b != 0);
    line.push(0);
    line
}

/// Bytes from the network or the configuration, safe in a log line.
pub(super) fn printable(b: &[u8]) -> String {
    b.escape_ascii().to_string()
}

/// Copies `message` into the C buffer `buf` of `len` bytes, truncated and
/// NUL-terminated (how directive handlers get their error text).
///
/// # Safety
/// `buf` is NULL or has room for `len` bytes.
pub(super) unsafe fn write_c_message(buf: *mut c_char, len: usize, message: &str) {
    if buf.is_null() || len == 0 {
        return;
    }
    let n = message.len().min(len - 1);
    // SAFETY: `buf` has room for `len` > n bytes.
    unsafe {
        ptr::copy_nonoverlapping(message.as_ptr().cast::<c_char>(), buf, n);
        *buf.add(n) = 0;
    }
}
