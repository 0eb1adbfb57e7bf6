//! The httpd boundary: the only module with `unsafe` code.
//!
//! A build is for one module (feature `session-cookie-module` or
//! `session-crypto-module`): its record, its hooks, its C shim. httpd calls
//! in through the module record and the hooks; each entry point catches
//! panics (a panic must never unwind into C) and turns them into an error
//! return plus a log line. Everything else is delegated to the safe core in
//! [`crate::cookie`] and [`crate::seal`].

mod bindings;
#[cfg(feature = "session-crypto-module")]
mod dump_guard;
#[cfg(feature = "session-crypto-module")]
mod fork;
mod httpd;
#[cfg(feature = "session-crypto-module")]
mod kdf_cache;
mod log;
mod messages;
mod metrics;
mod module_record;
#[cfg(feature = "session-crypto-module")]
mod pool_box;
#[cfg(feature = "session-crypto-module")]
mod revocation;
#[cfg(feature = "session-crypto-module")]
mod revoke_header;
#[cfg(feature = "session-cookie-module")]
mod session_cookie;
#[cfg(feature = "session-crypto-module")]
mod session_crypto;
mod session_encode;
mod session_text;
mod status;
#[cfg(feature = "session-crypto-module")]
mod target_policy;

use std::ffi::c_char;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `f`, turning a panic into `on_panic`. The panic message itself has
/// already gone to stderr (httpd's error log) through the default hook.
fn guarded<T>(on_panic: impl FnOnce() -> T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| on_panic())
}

/// Runs a configuration-time step for a directive handler of the shim:
/// its error, or a panic, is written to the C buffer `err` (the shim turns
/// it into a configtest error) and gives `None`.
///
/// # Safety
/// `err` is NULL or has room for `err_len` bytes.
unsafe fn config_call<T>(
    doing: &str,
    err: *mut c_char,
    err_len: usize,
    f: impl FnOnce() -> Result<T, String>,
) -> Option<T> {
    let outcome = guarded(|| Err(format!("internal error while {doing}")), f);
    outcome
        .map_err(|message| {
            // SAFETY: per the contract above.
            unsafe { log::write_c_message(err, err_len, &message) }
        })
        .ok()
}
