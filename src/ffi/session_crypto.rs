//! session_crypto_module's entry points: mod_session's `session_encode`
//! and `session_decode` hooks, and the directive helpers the shim calls.
//!
//! Keys are derived when the configuration is read (`scr_crypto_add_secret`)
//! and live in a Rust-owned [`Keyring`] freed with the configuration pool.
//! Sealing and opening are in [`crate::seal`].

use std::ffi::{c_char, c_int, c_void};
use std::time::{SystemTime, UNIX_EPOCH};

use super::apr::{bytes, pool_str};
use super::bindings::{
    APLOG_DEBUG, APLOG_ERR, APR_EGENERAL, APR_SUCCESS, OK, apr_pool_cleanup_null,
    apr_pool_cleanup_register, apr_pool_t, apr_status_t, request_rec, scr_crypto_request_config,
    scr_keyring, session_rec,
};
use super::log::{Module, log, printable, write_c_message};
use super::session_cookie::session_cookie_name;
use super::{config_call, guarded};
use crate::seal::{Keyring, check_cipher, open, seal};

/// `session_encode`, after mod_session's own: seals the encoded session.
///
/// # Safety
/// Called by httpd with a live request and session.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn scr_crypto_encode(
    r: *mut request_rec,
    z: *mut session_rec,
) -> apr_status_t {
    // SAFETY: httpd passes a live request and session.
    guarded(|| on_panic(r, "sealing"), || unsafe { encode(r, z) })
}

/// `session_decode`, before mod_session's own: opens the sealed session.
///
/// # Safety
/// Called by httpd with a live request and session.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn scr_crypto_decode(
    r: *mut request_rec,
    z: *mut session_rec,
) -> apr_status_t {
    // SAFETY: httpd passes a live request and session.
    guarded(|| on_panic(r, "opening"), || unsafe { decode(r, z) })
}

/// Derives a secret's key into `*ring`; see shim/rust_entry.h.
///
/// # Safety
/// `ring` points to a keyring pointer that is NULL or came from here,
/// `pool` is the live configuration pool, `secret` a C string, and `msg`
/// has room for `msg_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn scr_crypto_add_secret(
    ring: *mut *mut scr_keyring,
    pool: *mut apr_pool_t,
    secret: *const c_char,
    msg: *mut c_char,
    msg_len: usize,
) -> c_int {
    // SAFETY: per the contract above.
    let outcome = unsafe {
        config_call("deriving the key", msg, msg_len, || {
            let keyring = keyring_for(ring, pool);
            keyring
                .add(bytes(secret).unwrap_or_default())
                .map_err(|e| e.to_string())
        })
    };
    match outcome {
        Some(None) => 0,
        Some(Some(warning)) => {
            // SAFETY: `msg` has room for `msg_len` bytes.
            unsafe { write_c_message(msg, msg_len, &warning.to_string()) };
            1
        }
        None => -1,
    }
}

/// Checks `SessionCryptoCipher`'s value; see shim/rust_entry.h.
///
/// # Safety
/// `name` is a C string and `err` has room for `err_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn scr_crypto_check_cipher(
    name: *const c_char,
    err: *mut c_char,
    err_len: usize,
) -> c_int {
    // SAFETY: per the contract above.
    let outcome = unsafe {
        config_call("checking the cipher", err, err_len, || {
            check_cipher(&String::from_utf8_lossy(bytes(name).unwrap_or_default()))
                .map_err(|e| e.to_string())
        })
    };
    outcome.map_or(-1, |()| 0)
}

/// The keyring behind `*ring`, created (and tied to `pool`'s lifetime by a
/// cleanup) on first use.
unsafe fn keyring_for<'a>(ring: *mut *mut scr_keyring, pool: *mut apr_pool_t) -> &'a mut Keyring {
    // SAFETY: `*ring` is NULL or a Box<Keyring> leaked below, freed only by
    // the pool cleanup, which runs after configuration is done with it.
    unsafe {
        if (*ring).is_null() {
            let owned = Box::into_raw(Box::new(Keyring::new()));
            apr_pool_cleanup_register(
                pool,
                owned.cast::<c_void>(),
                Some(free_keyring),
                Some(apr_pool_cleanup_null),
            );
            *ring = owned.cast::<scr_keyring>();
        }
        &mut *(*ring).cast::<Keyring>()
    }
}

unsafe extern "C" fn free_keyring(data: *mut c_void) -> apr_status_t {
    guarded(
        || APR_EGENERAL as apr_status_t,
        || {
            // SAFETY: `data` is the Box<Keyring> registered in keyring_for;
            // the pool runs this cleanup once.
            drop(unsafe { Box::from_raw(data.cast::<Keyring>()) });
            APR_SUCCESS as apr_status_t
        },
    )
}

fn on_panic(r: *mut request_rec, doing: &str) -> apr_status_t {
    let msg = format!("internal error while {doing} the session; request served without it");
    // SAFETY: `r` is the live request the hook was called with.
    unsafe { log(r, Module::Crypto, APLOG_ERR, || msg) };
    APR_EGENERAL as apr_status_t
}

/// The keyring of the request's directory, if secrets are configured.
unsafe fn request_keyring<'a>(r: *const request_rec) -> Option<&'a Keyring> {
    // SAFETY: the configuration and its keyring outlive the request.
    unsafe {
        let conf = scr_crypto_request_config(r).as_ref()?;
        conf.keys.cast::<Keyring>().as_ref()
    }
}

/// What a sealed value is bound to: our session cookie's name, when our
/// cookie module carries the session; empty with any other provider.
unsafe fn context<'a>(r: *const request_rec) -> &'a [u8] {
    // SAFETY: `r` is a live request.
    unsafe { session_cookie_name(r) }.unwrap_or_default()
}

/// Where the session's strings belong: its own pool (the main request's,
/// when a subrequest or redirect shares the session), else the request's.
unsafe fn session_pool(r: *const request_rec, session: &session_rec) -> *mut apr_pool_t {
    // SAFETY: `r` is a live request.
    if session.pool.is_null() {
        unsafe { (*r).pool }
    } else {
        session.pool
    }
}

/// Unix time in whole seconds, rounded up: with not-after rounded up too
/// (see `encode`), a value is refused at most one second late, never early.
fn unix_now() -> u64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    since.as_secs() + u64::from(since.subsec_nanos() > 0)
}

/// The request's keyring and the session's non-empty text: what both hooks
/// work on. `None`: nothing to seal or open here.
unsafe fn work<'a>(
    r: *const request_rec,
    session: &session_rec,
) -> Option<(&'a Keyring, &'a [u8])> {
    // SAFETY: `r` is live; the session's text lives in a pool.
    unsafe {
        let keyring = request_keyring(r)?;
        let text = bytes(session.encoded).filter(|t| !t.is_empty())?;
        Some((keyring, text))
    }
}

unsafe fn encode(r: *mut request_rec, z: *mut session_rec) -> apr_status_t {
    // SAFETY (whole function): `r` and `z` are live.
    unsafe {
        let session = &mut *z;
        let Some((keyring, plain)) = work(r, session) else {
            return OK as apr_status_t;
        };
        let Some(key) = keyring.sealing_key() else {
            return OK as apr_status_t;
        };
        // mod_session's expiry (microseconds, from SessionMaxAge), rounded
        // up to whole seconds: 0 means the session does not expire.
        let not_after = u64::try_from(session.expiry).map_or(0, |us| us.div_ceil(1_000_000));
        match seal(key, plain, not_after, context(r)) {
            Ok(sealed) => {
                session.encoded = pool_str(session_pool(r, session), sealed.as_bytes());
                OK as apr_status_t
            }
            Err(e) => {
                log(r, Module::Crypto, APLOG_ERR, || {
                    format!("no randomness from the operating system ({e}), session not saved")
                });
                APR_EGENERAL as apr_status_t
            }
        }
    }
}

unsafe fn decode(r: *mut request_rec, z: *mut session_rec) -> apr_status_t {
    // SAFETY (whole function): `r` and `z` are live.
    unsafe {
        let session = &mut *z;
        let Some((keyring, sealed)) = work(r, session) else {
            return OK as apr_status_t;
        };
        match open(keyring, sealed, unix_now(), context(r)) {
            Ok(plain) => session.encoded = pool_str(session_pool(r, session), &plain),
            Err(why) => {
                // Bad input is the client's problem, not the server's: no
                // session, a debug line, and never an error status.
                log(r, Module::Crypto, APLOG_DEBUG, || {
                    format!(
                        "sealed session not opened: {why}; continuing without a session: {}",
                        printable(bytes((*r).uri).unwrap_or_default())
                    )
                });
                session.encoded = std::ptr::null();
            }
        }
        OK as apr_status_t
    }
}
