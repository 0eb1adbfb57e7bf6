//! session_crypto_module's entry points: mod_session's `session_encode`
//! and `session_decode` hooks, and the directive helpers the shim calls
//! (through the table in module_record.rs).
//!
//! Keys are derived when the configuration is read (`add_secret`) and live
//! in a Rust-owned [`Keyring`] freed with the configuration pool. Sealing
//! and opening are in [`crate::seal`].

use std::ffi::{c_char, c_int, c_void};
use std::time::{SystemTime, UNIX_EPOCH};

use super::apr::{bytes, pool_str};
use super::bindings::{
    APLOG_DEBUG, APLOG_ERR, APR_EGENERAL, APR_SUCCESS, OK, apr_pool_cleanup_null,
    apr_pool_cleanup_register, apr_pool_t, apr_status_t, request_rec, scr_crypto_cookie_config,
    scr_crypto_dir_conf, scr_crypto_request_config, scr_keyring, scr_stock_format_SCR_STOCK_OFF,
    scr_stock_format_SCR_STOCK_SEAL, session_rec,
};
use super::log::{log, printable, write_c_message};
use super::{config_call, guarded};
use crate::seal::parse_cipher as cipher_by_name;
use crate::seal::{Format, Keyring, Policy, StockCipher, StockFormat, open_value, seal_value};

/// `SessionCryptoCipher`'s values as the shim stores them (an index here):
/// 0, what an unset directive leaves, is stock's default.
const CIPHERS: [StockCipher; 4] = [
    StockCipher::Aes256,
    StockCipher::Aes128,
    StockCipher::Aes192,
    StockCipher::TripleDes,
];

/// `session_encode`, after mod_session's own: seals the encoded session.
///
/// # Safety
/// Called by httpd with a live request and session.
pub(super) unsafe extern "C" fn encode(r: *mut request_rec, z: *mut session_rec) -> apr_status_t {
    // SAFETY: httpd passes a live request and session.
    guarded(
        || on_panic(r, "sealing"),
        || unsafe { encode_session(r, z) },
    )
}

/// `session_decode`, before mod_session's own: opens the sealed session.
///
/// # Safety
/// Called by httpd with a live request and session.
pub(super) unsafe extern "C" fn decode(r: *mut request_rec, z: *mut session_rec) -> apr_status_t {
    // SAFETY: httpd passes a live request and session.
    guarded(
        || on_panic(r, "opening"),
        || unsafe { decode_session(r, z) },
    )
}

/// Derives a secret's keys into `*ring`; see shim/rust_entry.h.
///
/// # Safety
/// `ring` points to a keyring pointer that is NULL or came from here,
/// `pool` is the live configuration pool, `secret` a C string, and `msg`
/// has room for `msg_len` bytes.
pub(super) unsafe extern "C" fn add_secret(
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

/// Parses `SessionCryptoCipher`'s value; see shim/rust_entry.h.
///
/// # Safety
/// `name` is a C string, `cipher` a valid out pointer and `err` has room
/// for `err_len` bytes.
pub(super) unsafe extern "C" fn parse_cipher(
    name: *const c_char,
    cipher: *mut c_int,
    err: *mut c_char,
    err_len: usize,
) -> c_int {
    // SAFETY: per the contract above.
    let outcome = unsafe {
        config_call("checking the cipher", err, err_len, || {
            let name = String::from_utf8_lossy(bytes(name).unwrap_or_default());
            let parsed = cipher_by_name(&name).map_err(|e| e.to_string())?;
            Ok(CIPHERS.iter().position(|&c| c == parsed).unwrap_or(0))
        })
    };
    let Some(index) = outcome else {
        return -1;
    };
    // SAFETY: the caller's out pointer is valid; the index is below 4.
    unsafe { *cipher = index as c_int };
    0
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
    unsafe { log(r, APLOG_ERR, || msg) };
    APR_EGENERAL as apr_status_t
}

/// How the request's directory seals and opens.
fn policy(conf: &scr_crypto_dir_conf) -> Policy {
    #[allow(non_upper_case_globals)]
    let stock = match conf.stock_format as u32 {
        scr_stock_format_SCR_STOCK_SEAL => StockFormat::Seal,
        scr_stock_format_SCR_STOCK_OFF => StockFormat::Off,
        _ => StockFormat::Open,
    };
    let cipher = usize::try_from(conf.cipher)
        .ok()
        .and_then(|i| CIPHERS.get(i))
        .copied()
        .unwrap_or_default();
    Policy { stock, cipher }
}

/// The names a sealed value is bound to: the request's session cookie
/// names (SessionCookieName, SessionCookieName2), whichever
/// session_cookie_module (stock's or ours) carries the session. With no
/// cookie module, or another provider, there are none.
unsafe fn cookie_names<'a>(r: *const request_rec) -> Vec<&'a [u8]> {
    // SAFETY: `r` is live; the configuration outlives the request.
    unsafe {
        let Some(c) = scr_crypto_cookie_config(r).as_ref() else {
            return Vec::new();
        };
        [(c.name_set, c.name), (c.name2_set, c.name2)]
            .into_iter()
            .filter(|&(set, _)| set != 0)
            .filter_map(|(_, name)| bytes(name))
            .collect()
    }
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
/// (see `encode_session`), a value is refused at most one second late,
/// never early.
fn unix_now() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    since.as_secs() + u64::from(since.subsec_nanos() > 0)
}

/// The request's keyring and policy, and the session's non-empty text:
/// what both hooks work on. `None`: nothing to seal or open here.
unsafe fn work<'a>(
    r: *const request_rec,
    session: &session_rec,
) -> Option<(&'a Keyring, Policy, &'a [u8])> {
    // SAFETY: `r` is live; the configuration and its keyring outlive the
    // request; the session's text lives in a pool.
    unsafe {
        let conf = scr_crypto_request_config(r).as_ref()?;
        let keyring = conf.keys.cast::<Keyring>().as_ref()?;
        let text = bytes(session.encoded).filter(|t| !t.is_empty())?;
        Some((keyring, policy(conf), text))
    }
}

unsafe fn encode_session(r: *mut request_rec, z: *mut session_rec) -> apr_status_t {
    // SAFETY (whole function): `r` and `z` are live.
    unsafe {
        let session = &mut *z;
        let Some((keyring, policy, plain)) = work(r, session) else {
            return OK as apr_status_t;
        };
        // mod_session's expiry (microseconds, from SessionMaxAge), rounded
        // up to whole seconds: 0 means the session does not expire.
        let not_after = u64::try_from(session.expiry).map_or(0, |us| us.div_ceil(1_000_000));
        match seal_value(keyring, policy, plain, not_after, &cookie_names(r)) {
            None => OK as apr_status_t,
            Some(Ok(sealed)) => {
                session.encoded = pool_str(session_pool(r, session), sealed.as_bytes());
                OK as apr_status_t
            }
            Some(Err(e)) => {
                log(r, APLOG_ERR, || {
                    format!("no randomness from the operating system ({e}), session not saved")
                });
                APR_EGENERAL as apr_status_t
            }
        }
    }
}

unsafe fn decode_session(r: *mut request_rec, z: *mut session_rec) -> apr_status_t {
    // SAFETY (whole function): `r` and `z` are live.
    unsafe {
        let session = &mut *z;
        let Some((keyring, policy, sealed)) = work(r, session) else {
            return OK as apr_status_t;
        };
        match open_value(keyring, policy, sealed, unix_now(), &cookie_names(r)) {
            Ok((plain, format)) => {
                session.encoded = pool_str(session_pool(r, session), &plain);
                if format == Format::Stock {
                    log(r, APLOG_DEBUG, || {
                        "session opened from stock mod_session_crypto's format".to_owned()
                    });
                }
            }
            Err(why) => {
                // Bad input is the client's problem, not the server's: no
                // session, a debug line, and never an error status.
                log(r, APLOG_DEBUG, || {
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
