//! session_crypto_module's entry points: mod_session's `session_encode`
//! and `session_decode` hooks, and the directive helpers the shim calls
//! (through the table in module_record.rs).
//!
//! Keys are derived when the configuration is read (`add_secret`) and live
//! in a [`Keyring`] owned by the configuration pool ([`PoolBox`]). Sealing
//! and opening are in [`crate::seal`].

use std::ffi::{CStr, c_char, c_int, c_long, c_void};
use std::ops::Range;

use zeroize::Zeroizing;

use super::bindings::{
    APR_EGENERAL, OK, apr_int64_t, apr_pool_t, apr_status_t, request_rec, scr_crypto_cookie_config,
    scr_crypto_dir_conf, scr_crypto_request_config, scr_keyring, scr_result, scr_result_SCR_DONE,
    scr_result_SCR_FAILED, scr_result_SCR_STOPPED, scr_result_SCR_WARNED,
    scr_stock_format_SCR_STOCK_OFF, scr_stock_format_SCR_STOCK_SEAL, session_rec,
};
use super::httpd::{Pool, PoolCStr, Request, Session, c_bytes, c_str_of, c_str_or_none};
use super::kdf_cache::stretched;
use super::log::{log, printable, write_c_message};
use super::messages::Msg;
use super::metrics;
use super::pool_box::PoolBox;
use super::revocation::{self, Verdict};
use super::status;
use super::target_policy;
use super::{config_call, guarded};
use crate::metrics::Counter;
use crate::revoke::subject_of;
use crate::seal::parse_cipher as cipher_by_name;
use crate::seal::{Entry, hex, parse_passfile, scrub_stack};
use crate::seal::{
    Format, FormatVersion, Keyring, NotOpened, Policy, Sealed, SecretWarning, Stamp, StockCipher,
    StockFormat, open_capacity, open_value_in, opened_key_id, parse_time, seal_value_in,
};
use crate::status::Status;

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
    // SAFETY: httpd passes a live request and session, which nothing else
    // touches while the hook runs.
    let (r, z) = unsafe { (Request::from_raw(r), Session::from_raw(z)) };
    guarded(|| on_panic(r, "sealing"), || encode_session(r, z))
}

/// `session_decode`, before mod_session's own: opens the sealed session.
///
/// # Safety
/// Called by httpd with a live request and session.
pub(super) unsafe extern "C" fn decode(r: *mut request_rec, z: *mut session_rec) -> apr_status_t {
    // SAFETY: as for `encode`.
    let (r, z) = unsafe { (Request::from_raw(r), Session::from_raw(z)) };
    guarded(|| on_panic(r, "opening"), || decode_session(r, z))
}

/// Derives a secret's keys into `*ring`; see shim/rust_entry.h.
///
/// # Safety
/// `ring` points to a keyring pointer that is NULL or came from here,
/// `pool` and `process_pool` are live pools, `secret` a C string,
/// `stretch_ms` a valid out pointer, `key_id` has room for 9 bytes and
/// `msg` for `msg_len` bytes.
pub(super) unsafe extern "C" fn add_secret(
    ring: *mut *mut scr_keyring,
    pool: *mut apr_pool_t,
    process_pool: *mut apr_pool_t,
    runtime: c_int,
    stock: c_int,
    secret: *const c_char,
    stretch_ms: *mut c_long,
    key_id: *mut c_char,
    msg: *mut c_char,
    msg_len: usize,
) -> scr_result {
    // One panic boundary around all of it: making the keyring and finding
    // it again can panic as well as the derivation.
    let derive = || {
        // SAFETY: per the contract above: `*ring` is NULL or a keyring
        // this function kept in `pool`, and a directory's configuration
        // is read by one thread.
        let (ring, pool, process, secret, stretch_ms) = unsafe {
            (
                &mut *ring,
                Pool::from_raw(pool),
                Pool::from_raw(process_pool),
                c_bytes(secret),
                &mut *stretch_ms,
            )
        };
        *stretch_ms = -1;
        if ring.is_null() {
            *ring = pool.keep(Keyring::new()).cast::<scr_keyring>();
        }
        // SAFETY: `*ring` came from pool.keep::<Keyring>, now or in an
        // earlier call for the same directory, and nothing else uses it
        // meanwhile.
        let keyring = unsafe { PoolBox::<Keyring>::get_mut(ring.cast()) }
            .ok_or_else(|| "no keyring".to_owned())?;
        let warning = derive_into(
            keyring,
            stock != 0,
            secret.unwrap_or_default(),
            process,
            runtime != 0,
            stretch_ms,
        )?;
        let id = keyring.ids().last().unwrap_or_default();
        // SAFETY: `key_id` has room for 8 digits and a NUL.
        unsafe { write_c_message(key_id, 9, &hex(&id)) };
        Ok(warning)
    };
    // SAFETY: `msg` has room for `msg_len` bytes.
    let outcome = unsafe { config_call("deriving the key", msg, msg_len, derive) };
    // Argon2id's and the stretched secret's temporaries were in
    // derive_into's frames, below this one: gone before a core dump could
    // find them.
    scrub_stack::<ARGON2_STACK>();
    match outcome {
        Some(None) => scr_result_SCR_DONE,
        Some(Some(warning)) => {
            // SAFETY: `msg` has room for `msg_len` bytes.
            unsafe { write_c_message(msg, msg_len, &warning.to_string()) };
            scr_result_SCR_WARNED
        }
        None => scr_result_SCR_FAILED,
    }
}

/// Adds `secret` to `keyring` (with its stock key if `stock`), its work
/// factor paid or found cached; `stretch_ms` says how long it took. In a
/// frame of its own, which [`add_secret`] zeroes after it.
#[inline(never)]
fn derive_into(
    keyring: &mut Keyring,
    stock: bool,
    secret: &[u8],
    process: Pool<'_>,
    runtime: bool,
    stretch_ms: &mut c_long,
) -> Result<Option<SecretWarning>, String> {
    if !stock {
        keyring.drop_stock_keys();
    }
    keyring
        .add_with(secret, |secret| {
            let (value, took) = stretched(secret, process, runtime);
            if let Some(ms) = took {
                metrics::stretched(runtime);
                *stretch_ms = c_long::try_from(ms).unwrap_or(c_long::MAX);
            }
            value
        })
        .map_err(|e| e.to_string())
}

/// Drops a keyring's material for stock's format; see shim/rust_entry.h.
///
/// # Safety
/// `ring` is a keyring pointer that came from `add_secret`, which nothing
/// else uses meanwhile (a directory's configuration is read by one thread).
pub(super) unsafe extern "C" fn drop_stock_keys(ring: *mut scr_keyring) {
    guarded(
        || (),
        || {
            // SAFETY: per the contract above.
            if let Some(keyring) = unsafe { PoolBox::<Keyring>::get_mut(ring.cast()) } {
                keyring.drop_stock_keys();
            }
        },
    );
}

/// What [`add_secret`] zeroes of the stack it used: more than Argon2id's
/// frames take.
const ARGON2_STACK: usize = 64 * 1024;

/// The shim's callback for each entry of a passphrase file.
type PassfileEach = unsafe extern "C" fn(*mut c_void, c_int, *const c_char) -> *const c_char;

/// Reads a `SessionCryptoPassphraseFile`'s text with the core's reader (the
/// admin CLI's too) and hands the shim each entry; see shim/rust_entry.h.
///
/// # Safety
/// `text` has `len` readable bytes; `each` is the shim's callback, which
/// takes `ctx`; `failed` is a valid out pointer; `err` has room for
/// `err_len` bytes.
pub(super) unsafe extern "C" fn parse_passfile_text(
    text: *const c_char,
    len: usize,
    each: Option<PassfileEach>,
    ctx: *mut c_void,
    failed: *mut *const c_char,
    err: *mut c_char,
    err_len: usize,
) -> scr_result {
    // SAFETY: per the contract above.
    let text = unsafe { std::slice::from_raw_parts(text.cast::<u8>(), len) };
    // SAFETY: `err` has room for `err_len` bytes.
    let entries = unsafe {
        config_call("reading the passphrase file", err, err_len, || {
            let entries = parse_passfile(text).map_err(|e| e.to_string())?;
            let nul = |v: &[u8]| v.contains(&0);
            if entries.iter().any(|e| match e {
                Entry::Secret(s) => nul(s),
                Entry::Exec(c) => nul(c.as_bytes()),
            }) {
                return Err("holds a NUL byte".to_owned());
            }
            Ok(entries)
        })
    };
    let (Some(entries), Some(each)) = (entries, each) else {
        return scr_result_SCR_FAILED;
    };
    guarded(
        || scr_result_SCR_FAILED,
        || hand_over(entries, each, ctx, failed),
    )
}

/// Calls the shim's `each` for every entry, stopping at the first error.
fn hand_over(
    entries: Vec<Entry>,
    each: PassfileEach,
    ctx: *mut c_void,
    failed: *mut *const c_char,
) -> scr_result {
    for entry in entries {
        let (is_exec, value) = match &entry {
            Entry::Secret(s) => (0, s.as_slice()),
            Entry::Exec(c) => (1, c.as_bytes()),
        };
        // Wiped when dropped, and made whole before the copy (no
        // reallocation leaves a copy behind).
        let mut c_value = Zeroizing::new(Vec::with_capacity(value.len() + 1));
        c_value.extend_from_slice(value);
        c_value.push(0);
        // SAFETY: the shim's callback with its context and a C string that
        // outlives the call (it copies what it keeps).
        let refused = unsafe { each(ctx, is_exec, c_value.as_ptr().cast()) };
        if !refused.is_null() {
            // SAFETY: the caller's out pointer.
            unsafe { *failed = refused };
            return scr_result_SCR_STOPPED;
        }
    }
    scr_result_SCR_DONE
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
) -> scr_result {
    // SAFETY: `name` is a C string that outlives the call.
    let name = String::from_utf8_lossy(unsafe { c_bytes(name) }.unwrap_or_default());
    // SAFETY: `err` has room for `err_len` bytes.
    let outcome = unsafe {
        config_call("checking the cipher", err, err_len, || {
            let parsed = cipher_by_name(&name).map_err(|e| e.to_string())?;
            Ok(CIPHERS.iter().position(|&c| c == parsed).unwrap_or(0))
        })
    };
    let Some(index) = outcome else {
        return scr_result_SCR_FAILED;
    };
    // SAFETY: the caller's out pointer is valid; the index is below 4.
    unsafe { *cipher = index as c_int };
    scr_result_SCR_DONE
}

/// Parses `SessionCryptoNotBefore`'s value; see shim/rust_entry.h.
///
/// # Safety
/// `text` is a C string, `unix_time` a valid out pointer and `err` has room
/// for `err_len` bytes.
pub(super) unsafe extern "C" fn parse_not_before(
    text: *const c_char,
    unix_time: *mut apr_int64_t,
    err: *mut c_char,
    err_len: usize,
) -> scr_result {
    // SAFETY: `text` is a C string that outlives the call.
    let text = String::from_utf8_lossy(unsafe { c_bytes(text) }.unwrap_or_default());
    // SAFETY: `err` has room for `err_len` bytes.
    let outcome = unsafe {
        config_call("reading the time", err, err_len, || {
            parse_time(&text).map_err(|e| e.to_string())
        })
    };
    let Some(seconds) = outcome else {
        return scr_result_SCR_FAILED;
    };
    // SAFETY: the caller's out pointer is valid.
    unsafe { *unix_time = seconds };
    scr_result_SCR_DONE
}

fn on_panic(r: &Request, doing: &str) -> apr_status_t {
    log(r, Msg::CryptoPanic, || {
        format!("internal error while {doing} the session; request served without it")
    });
    APR_EGENERAL as apr_status_t
}

/// The request's per-directory configuration, as safe values.
pub(super) struct Conf<'r> {
    /// Its keys (if secrets are configured here).
    pub(super) keyring: &'r Keyring,
    /// How it seals and opens.
    pub(super) policy: Policy<'r>,
    /// `SessionCryptoSubjectKey`.
    pub(super) subject_key: Option<&'r CStr>,
    /// `SessionCryptoRevokeHeader`.
    pub(super) revoke_header: Option<&'r CStr>,
}

/// The request's configuration, if secrets are configured for it.
pub(super) fn config(r: &Request) -> Option<Conf<'_>> {
    // SAFETY: the shim returns the merged configuration of a live request
    // (or NULL); it, and the keyring kept in the configuration pool, outlive
    // the request.
    let conf: &scr_crypto_dir_conf = unsafe { scr_crypto_request_config(r.as_ptr()).as_ref() }?;
    // SAFETY: `keys` is NULL or came from add_secret's pool.keep::<Keyring>.
    let keyring = unsafe { PoolBox::<Keyring>::get(conf.keys.cast()) }?;
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
    let seconds = |set: c_int, value: apr_int64_t| u64::try_from(value).ok().filter(|_| set != 0);
    // SAFETY: NULL or a string of the configuration pool, which outlives
    // the request.
    let context = unsafe { c_bytes(conf.context) }.unwrap_or_default();
    let policy = Policy {
        stock,
        version: match conf.format_version {
            2 => FormatVersion::V2,
            3 => FormatVersion::V3,
            _ => FormatVersion::V4,
        },
        cipher,
        max_lifetime: seconds(conf.max_lifetime_set, conf.max_lifetime),
        not_before: seconds(conf.not_before_set, conf.not_before),
        context,
    };
    // SAFETY: NULL or strings of the configuration pool, which outlives
    // the request.
    let (subject_key, revoke_header) = unsafe {
        (
            c_str_or_none(conf.subject_key),
            c_str_or_none(conf.revoke_header),
        )
    };
    Some(Conf {
        keyring,
        policy,
        subject_key,
        revoke_header,
    })
}

/// The names a sealed value is bound to: the request's session cookie
/// names (SessionCookieName, SessionCookieName2), whichever
/// session_cookie_module (stock's or ours) carries the session. With no
/// cookie module, or another provider, there are none. At most two: kept
/// on the stack, as this runs twice per request.
fn cookie_names(r: &Request) -> CookieNames<'_> {
    let mut names = CookieNames {
        names: [&[]; 2],
        len: 0,
    };
    // SAFETY: the shim returns the cookie module's merged configuration of
    // a live request (or NULL); its strings live in the configuration pool.
    unsafe {
        if let Some(c) = scr_crypto_cookie_config(r.as_ptr()).as_ref() {
            for (set, name) in [(c.name_set, c.name), (c.name2_set, c.name2)] {
                if let Some(name) = c_bytes(name).filter(|_| set != 0) {
                    names.names[names.len] = name;
                    names.len += 1;
                }
            }
        }
    }
    names
}

struct CookieNames<'a> {
    names: [&'a [u8]; 2],
    len: usize,
}

impl<'a> std::ops::Deref for CookieNames<'a> {
    type Target = [&'a [u8]];

    fn deref(&self) -> &Self::Target {
        &self.names[..self.len]
    }
}

/// When the request came (httpd's `request_time`, read once by httpd for
/// every request), in Unix seconds rounded up: with not-after rounded up
/// too (see `encode_session`), a value is refused at most one second late,
/// never early.
fn unix_now(r: &Request) -> u64 {
    u64::try_from(r.request_time()).map_or(0, |us| us.div_ceil(1_000_000))
}

/// Whether a session's entries are empty but for mod_session's `expiry`:
/// what a logout saves (mod_auth_form's logout handler, an application
/// emptying the session through `SessionHeader`).
fn emptied(z: &Session) -> bool {
    z.entries().is_none_or(|t| {
        t.pairs()
            .all(|(key, _)| key.to_bytes().eq_ignore_ascii_case(b"expiry"))
    })
}

fn encode_session(r: &Request, z: &mut Session) -> apr_status_t {
    let Some(conf) = config(r) else {
        return OK as apr_status_t;
    };
    let hidden = target_policy::hidden_value(r, z, &conf);
    if let Some(value) = hidden.filter(|_| !z.dirty()) {
        // A request that was not shown the session and wrote nothing in
        // its stand-in: the client's value goes back as it came.
        z.set_encoded(Some(z.pool(r).c_str(value)));
        return OK as apr_status_t;
    }
    // What it wrote is a new session, not the one it was not shown.
    let opened = r.session_owner().opened(z).filter(|_| hidden.is_none());
    let subject_now = conf
        .subject_key
        .and_then(|key| z.entries()?.get(key))
        .map(CStr::to_bytes);
    if let Some(note) = opened {
        if note.revoked.get() {
            // Revoked by this request's back end: the cookie goes.
            z.set_encoded(None);
            return OK as apr_status_t;
        }
        // A logout: the session saved empty, or its subject removed
        // (mod_auth_form's logout removes its user and password only).
        // The cheap tests first: without a store or an id, nothing to do.
        if revocation::configured()
            && note.stamp.session_id.is_some()
            && (emptied(z) || (note.subject().is_some() && subject_now.is_none()))
        {
            // The session's id is revoked, so a copy of the cookie no
            // longer opens, and the whole session goes with its cookie:
            // nothing of it outlives the logout in an anonymous session.
            revocation::revoke_session(r, note, conf.policy.max_lifetime, "logout");
            z.set_encoded(None);
            return OK as apr_status_t;
        }
    }
    let Some(plain) = z.encoded_in(r).filter(|t| !t.is_empty()) else {
        return OK as apr_status_t;
    };
    // mod_session's expiry (microseconds, from SessionMaxAge), rounded up
    // to whole seconds: 0 means the session does not expire.
    let not_after = u64::try_from(z.expiry()).map_or(0, |us| us.div_ceil(1_000_000));
    // A session opened in this request keeps its origin and id, unless its
    // subject changed (a login as someone else, or a login at all): then
    // a new session begins, with a new id (no session fixation).
    let kept = opened.filter(|note| note.subject() == subject_now);
    let stamp = Stamp {
        not_after,
        origin_ms: kept.map_or_else(revocation::now_ms, |n| n.stamp.origin_ms),
        session_id: kept.and_then(|n| n.stamp.session_id),
    };
    // Sealed into the request's memory, then its text beside it.
    let pool = z.pool(r);
    match seal_value_in(
        conf.keyring,
        conf.policy,
        plain,
        stamp,
        &cookie_names(r),
        |len| pool.zeroed(len),
    ) {
        None => OK as apr_status_t,
        Some(Ok(sealed)) => {
            metrics::add(
                match sealed {
                    Sealed::Ours(_) => Counter::SealedOurs,
                    Sealed::Stock(_) => Counter::SealedStock,
                },
                1,
            );
            let text = pool.c_str_filled(sealed.text_len(), |out| sealed.write_text(out));
            z.set_encoded(Some(text));
            OK as apr_status_t
        }
        Some(Err(e)) => {
            log(r, Msg::NoRandomness, || {
                format!("no randomness from the operating system ({e}), session not saved")
            });
            APR_EGENERAL as apr_status_t
        }
    }
}

/// A client's value that opened under a request's configuration, and
/// what the revocation store said of it.
pub(super) struct Checked {
    /// Where its session text is in the buffer it was opened into.
    text: Range<usize>,
    stamp: Stamp,
    format: Format,
    /// Its subject, under the configuration's `SessionCryptoSubjectKey`.
    subject: Option<Vec<u8>>,
    /// `Valid` or `Unchecked { fail_closed: false }`: the others refuse.
    verdict: Verdict,
}

/// Why a client's value gives a request no session.
#[derive(Clone, Copy)]
pub(super) enum Refused {
    /// It does not open (forged, expired, another key, ...).
    Value(NotOpened),
    /// It opens, and the store says it was revoked.
    Revoked,
    /// It opens, the store did not answer, and the fail mode is closed.
    Unchecked,
}

impl Refused {
    /// The request's status word.
    pub(super) fn word(self) -> Status {
        match self {
            Self::Value(why) => why.status(),
            Self::Revoked => Status::Revoked,
            Self::Unchecked => Status::Unchecked,
        }
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Value(why) => why.fmt(f),
            Self::Revoked => f.write_str("revoked"),
            Self::Unchecked => f.write_str("revocation unchecked"),
        }
    }
}

/// Opens `value` under `conf` into `buf` and asks the revocation store
/// about it: the one check of a client's value, whether it came in this
/// request (decode) or an earlier request of its chain opened it
/// (target_policy.rs). `asked`: the subject the store was already asked
/// about for this very value, if it was; the same answer is not asked for
/// twice.
pub(super) fn open_checked(
    r: &Request,
    conf: &Conf<'_>,
    value: &[u8],
    buf: &mut [u8],
    asked: Option<Option<&[u8]>>,
) -> Result<Checked, Refused> {
    let (text, stamp, format) = open_value_in(
        conf.keyring,
        conf.policy,
        value,
        unix_now(r),
        &cookie_names(r),
        buf,
    )
    .map_err(Refused::Value)?;
    let subject = conf
        .subject_key
        .and_then(|key| subject_of(&buf[text.clone()], key.to_bytes()));
    let verdict = if asked == Some(subject.as_deref()) {
        Verdict::Valid
    } else {
        revocation::check(r, &stamp, subject.as_deref())
    };
    match verdict {
        Verdict::Revoked => Err(Refused::Revoked),
        // SCR0222 has said why, once a minute.
        Verdict::Unchecked { fail_closed: true } => Err(Refused::Unchecked),
        _ => Ok(Checked {
            text,
            stamp,
            format,
            subject,
            verdict,
        }),
    }
}

/// No session for this request: the status word, a debug line (bad input
/// is the client's problem, not the server's: never an error status), and
/// the decrypted bytes wiped at once (a value refused after decryption,
/// expired or revoked, left its plaintext in `buf`).
fn refuse(r: &Request, z: &mut Session, buf: &mut [u8], why: Refused) -> apr_status_t {
    status::set(r, why.word());
    let msg = match why {
        Refused::Revoked => Msg::RevokedRefused,
        Refused::Value(_) | Refused::Unchecked => Msg::NotOpened,
    };
    log(r, msg, || {
        format!(
            "sealed session not opened: {why}; continuing without a session: {}",
            printable(r.uri())
        )
    });
    buf.fill(0);
    z.set_encoded(None);
    OK as apr_status_t
}

fn decode_session(r: &Request, z: &mut Session) -> apr_status_t {
    let conf = config(r);
    if z.written() {
        // Loaded again after mod_session saved it (an SSI include after the
        // page's first bytes went out): the entries are the session, the
        // text what was saved, not to be read again.
        z.set_encoded(None);
    }
    let Some(sealed) = z.encoded().filter(|t| !t.is_empty()) else {
        // No cookie, or a later load of a session already decoded (a
        // redirect's target, a subrequest, mod_session's save): shown here
        // only if this request's policy opens it. The word set before is
        // kept (a session this module opened has one; no need to look).
        target_policy::enforce(r, z, conf.as_ref());
        if conf.is_some() && r.session_owner().opened(z).is_none() {
            status::set_if_unset(r, Status::Absent);
        }
        return OK as apr_status_t;
    };
    let Some(conf) = conf else {
        // No secrets here: the text is mod_session's to decode. Noted, so
        // that a redirect's target or a subrequest with secrets does not
        // take it for a session it opened.
        r.session_owner().note_read(r, z, sealed, None);
        return OK as apr_status_t;
    };
    // Decoded and decrypted in the session's pool, where the text stays.
    let buf = z.pool(r).zeroed(open_capacity(sealed.len()) + 1);
    let Checked {
        text,
        stamp,
        format,
        subject,
        verdict,
    } = match open_checked(r, &conf, sealed, buf, None) {
        Ok(checked) => checked,
        Err(why) => return refuse(r, z, buf, why),
    };
    r.session_owner()
        .note_read(r, z, sealed, Some((stamp, subject.as_deref())));
    buf[text.end] = 0;
    // SAFETY: `buf` is memory of the session's pool (z.pool above).
    z.set_encoded(Some(unsafe {
        PoolCStr::in_pool(c_str_of(&buf[text.start..=text.end]))
    }));
    if verdict == Verdict::Valid {
        status::set(r, format.status());
    } else {
        status::set(r, Status::Unchecked);
    }
    if format == Format::Ours {
        metrics::opened(opened_key_id(buf));
    }
    if format == Format::Stock {
        log(r, Msg::OpenedStock, || {
            "session opened from stock mod_session_crypto's format".to_owned()
        });
    }
    OK as apr_status_t
}
