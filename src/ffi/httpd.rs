//! httpd's and APR's objects as Rust types, in the way ngx-rust wraps
//! nginx's: each is `#[repr(transparent)]` over the C struct, its
//! constructor from a raw pointer is the only `unsafe` function, and its
//! methods are safe. The hooks work on these types; raw pointers appear
//! only where a hook is entered.
//!
//! Lifetimes: httpd keeps a request, its pools, tables and strings alive
//! until the request ends, which outlasts every hook call; a borrow of a
//! [`Request`] stands for that. Strings handed out by a [`Pool`] live as
//! long as the borrow of the pool they came from.

#[cfg(feature = "session-crypto-module")]
use std::cell::Cell;
use std::ffi::{CStr, c_char, c_int, c_void};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use super::session_encode::Taken;
use super::session_text::DecodedText;
#[cfg(feature = "session-cookie-module")]
use crate::cookie::PartSet;
#[cfg(feature = "session-crypto-module")]
use crate::seal::Stamp;
use crate::session::CText;
use crate::status::Status;

#[cfg(feature = "session-crypto-module")]
use super::bindings::apr_table_get;
use super::bindings::{
    apr_array_header_t, apr_palloc, apr_pool_t, apr_pstrmemdup, apr_table_addn, apr_table_clear,
    apr_table_entry_t, apr_table_make, apr_table_setn, apr_table_t, apr_table_unset, memcmp,
    request_rec, scr_request_state, session_rec,
};

/// A C string from httpd as bytes; `None` for NULL.
///
/// # Safety
/// `s` is NULL or points to a NUL-terminated string that lives for `'a`.
pub(super) unsafe fn c_bytes<'a>(s: *const c_char) -> Option<&'a [u8]> {
    // SAFETY: per the contract above.
    unsafe { c_str_or_none(s) }.map(CStr::to_bytes)
}

/// A C string from httpd; `None` for NULL.
///
/// # Safety
/// As for [`c_bytes`].
pub(super) unsafe fn c_str_or_none<'a>(s: *const c_char) -> Option<&'a CStr> {
    // SAFETY: per the contract above.
    (!s.is_null()).then(|| unsafe { CStr::from_ptr(s) })
}

/// Whether the C string `k` (or NULL) is `key` (its bytes and NUL),
/// ignoring ASCII case. It reads `k` only up to the first difference: a
/// table scan passes over every other header without measuring it, as
/// `apr_table_get` does.
///
/// # Safety
/// `k` is NULL or a NUL-terminated string.
unsafe fn key_is(k: *const c_char, key: &[u8]) -> bool {
    if k.is_null() {
        return false;
    }
    for (i, &want) in key.iter().enumerate() {
        // SAFETY: bytes up to k's NUL; `key` ends with a NUL, so the loop
        // stops at k's NUL at the latest.
        let got = unsafe { *k.add(i) } as u8;
        // Header names mostly come in one spelling: compare exactly first.
        if got != want && !got.eq_ignore_ascii_case(&want) {
            return false;
        }
    }
    true
}

/// `with_nul` as a C string: its last byte is its only NUL (checked, with
/// SIMD: session texts are hundreds of bytes, on every request).
#[cfg(feature = "session-crypto-module")]
pub(super) fn c_str_of(with_nul: &[u8]) -> &CStr {
    assert_eq!(
        memchr::memchr(0, with_nul).map(|at| at + 1),
        Some(with_nul.len()),
        "one NUL, at the end"
    );
    // SAFETY: the only NUL is the last byte, as just checked.
    unsafe { CStr::from_bytes_with_nul_unchecked(with_nul) }
}

/// `request_rec`.
#[repr(transparent)]
pub(super) struct Request(request_rec);

impl Request {
    /// # Safety
    /// `r` is a live request that httpd keeps alive for `'a`.
    pub(super) unsafe fn from_raw<'a>(r: *mut request_rec) -> &'a Request {
        // SAFETY: per the contract above; Request is repr(transparent).
        unsafe { &*r.cast::<Request>() }
    }

    pub(super) fn as_ptr(&self) -> *mut request_rec {
        ptr::from_ref(&self.0).cast_mut()
    }

    pub(super) fn pool(&self) -> Pool<'_> {
        // SAFETY: a live request's pool lives as long as the request.
        unsafe { Pool::from_raw(self.0.pool) }
    }

    #[cfg(feature = "session-cookie-module")]
    pub(super) fn headers_in(&self) -> Table<'_> {
        // SAFETY: a live request's tables live as long as the request.
        unsafe { Table::from_raw(self.0.headers_in) }
    }

    pub(super) fn headers_out(&self) -> Table<'_> {
        // SAFETY: as above.
        unsafe { Table::from_raw(self.0.headers_out) }
    }

    pub(super) fn err_headers_out(&self) -> Table<'_> {
        // SAFETY: as above.
        unsafe { Table::from_raw(self.0.err_headers_out) }
    }

    /// The environment CGI scripts, `SetEnvIf`, `<If>` and `LogFormat
    /// "%{...}e"` see.
    pub(super) fn subprocess_env(&self) -> Table<'_> {
        // SAFETY: as above.
        unsafe { Table::from_raw(self.0.subprocess_env) }
    }

    /// The request's path, for log lines.
    pub(super) fn uri(&self) -> &[u8] {
        // SAFETY: `uri` is NULL or a string in the request's pool.
        unsafe { c_bytes(self.0.uri) }.unwrap_or_default()
    }

    /// The request a session is cached on: the first of a chain of internal
    /// redirects, then its main request, as in stock.
    pub(super) fn session_owner(&self) -> &Request {
        let mut m = self;
        // SAFETY: prev/main link live requests of the same connection,
        // which outlive this one.
        unsafe {
            while !m.0.prev.is_null() {
                m = Request::from_raw(m.0.prev);
            }
            while !m.0.main.is_null() {
                m = Request::from_raw(m.0.main);
            }
        }
        m
    }

    /// When httpd read the request (`request_time`), microseconds since
    /// the epoch.
    #[cfg(feature = "session-crypto-module")]
    pub(super) fn request_time(&self) -> i64 {
        self.0.request_time
    }

    /// What the crypto module noted when it first read session `z`'s value
    /// on this request (the session's owner): [`Request::note_read`].
    #[cfg(feature = "session-crypto-module")]
    pub(super) fn read_note(&self, z: &Session) -> Option<&ReadNote> {
        self.notes().find_map(|n| match n {
            Note::Read(read) if ptr::eq(read.session, z.as_ptr()) => Some(read),
            _ => None,
        })
    }

    /// What the crypto module noted when it opened session `z` on this
    /// request (the session's owner).
    #[cfg(feature = "session-crypto-module")]
    pub(super) fn opened(&self, z: &Session) -> Option<&OpenedNote> {
        self.read_note(z)?.opened.as_ref()
    }

    /// The session the crypto module opened last on this request: the one
    /// a back end's revoke header speaks of.
    #[cfg(feature = "session-crypto-module")]
    pub(super) fn last_opened(&self) -> Option<&ReadNote> {
        self.notes().find_map(|n| match n {
            Note::Read(read) if read.opened.is_some() => Some(read),
            _ => None,
        })
    }

    /// Notes that the crypto module read `value`, the client's text of
    /// session `z`, under the configuration of the request `read_in` (this
    /// request, the session's owner, or a subrequest of it), and what
    /// it found if it opened it: its stamp and its subject. The note, the
    /// subject and (unless it is in this request's pool already) the value
    /// are kept in this request's pool, which outlives every request that
    /// shares the session.
    #[cfg(feature = "session-crypto-module")]
    pub(super) fn note_read(
        &self,
        read_in: &Request,
        z: &Session,
        value: &[u8],
        opened: Option<(Stamp, Option<&[u8]>)>,
    ) {
        let same_pool = read_in.pool().as_ptr() == self.pool().as_ptr();
        let value = if same_pool {
            value
        } else {
            self.pool().c_str(value).as_c_str().to_bytes()
        };
        let opened = opened.map(|(stamp, subject)| OpenedNote {
            stamp,
            subject: subject.map(|s| {
                let copy = self.pool().c_str(s);
                (copy.as_ptr().cast::<u8>(), s.len())
            }),
            revoked: Cell::new(false),
        });
        self.add_note(Note::Read(ReadNote {
            session: z.as_ptr(),
            value: (value.as_ptr(), value.len()),
            // A subrequest's configuration (its .htaccess) may go with its
            // pool, and another be made at the same address: only an
            // address that lives as long as the note is compared.
            conf: if same_pool {
                ConfId::of(read_in)
            } else {
                ConfId::NONE
            },
            opened,
            hidden: Cell::new(None),
        }));
    }

    /// Whether session `z` was found visible under the configuration
    /// `conf` of this request ([`Request::note_checked`]), if it was.
    #[cfg(feature = "session-crypto-module")]
    pub(super) fn checked(&self, z: *const session_rec, conf: ConfId) -> Option<bool> {
        self.notes().find_map(|n| match n {
            Note::Checked(c) if ptr::eq(c.session, z) && c.conf == conf => Some(c.visible),
            _ => None,
        })
    }

    /// Notes whether session `z` is visible under this request's
    /// configuration `conf`, so that mod_session's later loads in this
    /// request do not ask again.
    #[cfg(feature = "session-crypto-module")]
    pub(super) fn note_checked(&self, z: *const session_rec, conf: ConfId, visible: bool) {
        self.add_note(Note::Checked(CheckedNote {
            session: z,
            conf,
            visible,
        }));
    }

    /// Whether this is a subrequest (an SSI include, a lookup of
    /// mod_dir, mod_rewrite or mod_negotiation).
    #[cfg(feature = "session-crypto-module")]
    pub(super) fn is_subrequest(&self) -> bool {
        !self.0.main.is_null()
    }

    /// The session loaded on this request for the cookie `name`, if
    /// [`Request::note_loaded`] noted one.
    #[cfg(feature = "session-cookie-module")]
    pub(super) fn loaded(&self, name: &[u8]) -> Option<&Session> {
        let session = self.notes().find_map(|n| match n {
            Note::Loaded(loaded) if loaded.name.bytes() == name => Some(loaded.session),
            _ => None,
        })?;
        // SAFETY: note_loaded noted a session of this request's pool.
        unsafe { session.cast::<Session>().as_ref() }
    }

    /// Notes `session` as the one loaded on this request for the cookie
    /// `name`, in this module's state on the request: internal redirects
    /// and subrequests (whose owner this request is) reuse it, as stock's
    /// note by name does, without building and looking up a note name on
    /// every request.
    #[cfg(feature = "session-cookie-module")]
    pub(super) fn note_loaded(&self, name: &[u8], session: &Session) {
        self.add_note(Note::Loaded(LoadedNote {
            name: self.kept_name(name),
            session: session.as_ptr(),
        }));
    }

    /// Which parts of the chunked session `name` this request carried, if
    /// [`Request::note_parts`] noted them.
    #[cfg(feature = "session-cookie-module")]
    pub(super) fn parts(&self, name: &[u8]) -> Option<PartSet> {
        self.notes().find_map(|n| match n {
            Note::Parts { name: noted, parts } if noted.bytes() == name => Some(*parts),
            _ => None,
        })
    }

    /// Notes which parts of the chunked session `name` this request
    /// carried: saving removes those no longer used, after
    /// `SessionCookieRemove On` took them out of the request's headers.
    #[cfg(feature = "session-cookie-module")]
    pub(super) fn note_parts(&self, name: &[u8], parts: PartSet) {
        self.add_note(Note::Parts {
            name: self.kept_name(name),
            parts,
        });
    }

    /// Whether a size warning was logged for this request already; notes
    /// that one is now (one per request).
    #[cfg(feature = "session-cookie-module")]
    pub(super) fn first_size_warning(&self) -> bool {
        if self.notes().any(|n| matches!(n, Note::SizeWarned)) {
            return false;
        }
        self.add_note(Note::SizeWarned);
        true
    }

    /// A cookie name copied into this request's pool: a subrequest's
    /// configuration (.htaccess) may live in a pool that goes before it.
    #[cfg(feature = "session-cookie-module")]
    fn kept_name(&self, name: &[u8]) -> KeptName {
        KeptName(self.pool().c_str(name).as_ptr().cast(), name.len())
    }

    /// This module's notes on this request, newest first.
    fn notes(&self) -> impl Iterator<Item = &Note> {
        // SAFETY: the state's notes are NULL or the head of a list of
        // NoteLink that add_note allocated in this request's pool.
        let mut link = unsafe {
            self.state()
                .and_then(|st| st.notes.cast::<NoteLink>().as_ref())
        };
        std::iter::from_fn(move || {
            let current = link?;
            // SAFETY: as above, for each link.
            link = unsafe { current.next.as_ref() };
            Some(&current.note)
        })
    }

    /// Adds `note` in front of this module's notes on this request, in the
    /// request's pool.
    fn add_note(&self, note: Note) {
        let state = self.state_or_new();
        // SAFETY: `state` is this request's; a new NoteLink in its pool is
        // linked in front of its list (NULL or earlier links of this pool).
        unsafe {
            let link = apr_palloc(self.pool().as_ptr(), size_of::<NoteLink>()).cast::<NoteLink>();
            link.write(NoteLink {
                note,
                next: (*state).notes.cast(),
            });
            (*state).notes = link.cast_const().cast();
        }
    }

    /// Keeps `word` as the status word this module set last on this
    /// request, for the counters (shim/metrics.c).
    pub(super) fn set_status(&self, word: Status) {
        let state = self.state_or_new();
        // SAFETY: `state` is this request's, in its pool.
        unsafe { (*state).word = word.index() as c_int };
    }

    /// What the session text encoder's first hook handed its second on
    /// this request (src/ffi/session_encode.rs), taken: the slot is empty
    /// again.
    pub(super) fn take_encoding(&self) -> Option<Taken> {
        // SAFETY: the encoding slot holds NULL or a Taken that
        // set_encoding put there.
        unsafe { self.take_slot(|state| &mut state.encoding) }
    }

    /// Hands `value` from the session text encoder's first hook to its
    /// second on this request, in the request's pool.
    pub(super) fn set_encoding(&self, value: Taken) {
        // SAFETY: the encoding slot holds Taken values only.
        unsafe { self.put_slot(|state| &mut state.encoding, value) }
    }

    /// What the session text decoder kept of the text it decoded on this
    /// request (src/ffi/session_text.rs), taken: the slot is empty again.
    pub(super) fn take_decoded(&self) -> Option<DecodedText> {
        // SAFETY: the decoded slot holds NULL or a DecodedText that
        // set_decoded put there.
        unsafe { self.take_slot(|state| &mut state.decoded) }
    }

    /// Keeps what the session text decoder found of the text it decoded,
    /// for the encoder, in the request's pool (replacing what it held).
    pub(super) fn set_decoded(&self, value: DecodedText) {
        // SAFETY: the decoded slot holds DecodedText values only.
        unsafe { self.put_slot(|state| &mut state.decoded, value) }
    }

    /// Notes `text` as the session text this module just made a session's
    /// on this request, `len` bytes long: reading it back
    /// ([`Session::encoded_in`]) need not measure it.
    ///
    /// # Safety
    /// `text` points to `len` bytes, none of them NUL, and a NUL after
    /// them, in memory that outlives the request.
    pub(super) unsafe fn note_text(&self, text: *const c_char, len: usize) {
        let state = self.state_or_new();
        // SAFETY: `state` is this request's, in its pool.
        unsafe {
            (*state).text = text;
            (*state).text_len = len;
        }
    }

    /// The length [`Request::note_text`] noted for `text`, if it noted
    /// that string.
    fn noted_len(&self, text: *const c_char) -> Option<usize> {
        let state = self.state()?;
        (!text.is_null() && ptr::eq(state.text, text)).then_some(state.text_len)
    }

    /// The value in this module's state's `slot`, taken: NULL is left in it.
    ///
    /// # Safety
    /// The slot holds NULL or a `T` that [`Request::put_slot`] put there.
    unsafe fn take_slot<T: Copy>(
        &self,
        slot: impl FnOnce(&mut scr_request_state) -> &mut *mut c_void,
    ) -> Option<T> {
        // SAFETY: the request's slot is NULL or a state of its pool, read
        // and written through the raw pointer (no reference to it is held
        // past this call); per the contract, the value is NULL or a T in
        // this request's pool.
        unsafe {
            let state = request_state(self.as_ptr()).as_mut()?;
            let held = std::mem::replace(slot(state), ptr::null_mut());
            held.cast::<T>().as_ref().copied()
        }
    }

    /// Puts `value` in this module's state's `slot`, copied into the
    /// request's pool.
    ///
    /// # Safety
    /// The slot holds values of type `T` only.
    unsafe fn put_slot<T: Copy>(
        &self,
        slot: impl FnOnce(&mut scr_request_state) -> &mut *mut c_void,
        value: T,
    ) {
        let state = self.state_or_new();
        // SAFETY: `state` is this request's; the value is copied into
        // fresh memory of the request's pool (T is Copy: nothing to drop).
        unsafe {
            let held = apr_palloc(self.pool().as_ptr(), size_of::<T>()).cast::<T>();
            held.write(value);
            *slot(&mut *state) = held.cast();
        }
    }

    /// This module's state on this request, if it made one.
    fn state(&self) -> Option<&scr_request_state> {
        // SAFETY: the slot is NULL or a state state_or_new made in this
        // request's pool.
        unsafe { request_state(self.as_ptr()).as_ref() }
    }

    /// This module's state on this request, made in the request's pool if
    /// it has none yet. A raw pointer: callers write through it at once
    /// and keep no reference.
    fn state_or_new(&self) -> *mut scr_request_state {
        // SAFETY: the slot is NULL or a state of this request's pool; a new
        // one is made there and put in the slot.
        unsafe {
            let mut state = request_state(self.as_ptr());
            if state.is_null() {
                state = apr_palloc(self.pool().as_ptr(), size_of::<scr_request_state>()).cast();
                state.write(scr_request_state {
                    notes: ptr::null(),
                    encoding: ptr::null_mut(),
                    decoded: ptr::null_mut(),
                    word: -1,
                    text: ptr::null(),
                    text_len: 0,
                });
                set_request_state(self.as_ptr(), state);
            }
            state
        }
    }

    /// `LimitRequestFieldSize` of the request's server
    /// (`r->server->limit_req_fieldsize`): the longest request header line
    /// httpd accepts.
    #[cfg(feature = "session-cookie-module")]
    pub(super) fn limit_req_fieldsize(&self) -> usize {
        // SAFETY: a live request has a server; the shim reads one int.
        let limit = unsafe { super::bindings::scr_cookie_limit_req_fieldsize(self.as_ptr()) };
        usize::try_from(limit).unwrap_or(0)
    }

    /// Whether the request came over plain HTTP: httpd's scheme for it
    /// (`ap_http_scheme`) is `http`. False on TLS, and when no module
    /// names a scheme (ServerName https://... on a plain connection, as
    /// behind a TLS-terminating proxy).
    #[cfg(feature = "session-cookie-module")]
    pub(super) fn is_plain_http(&self) -> bool {
        // SAFETY: a live request; the scheme is NULL or a static or pool
        // string that outlives this call.
        unsafe { c_bytes(super::bindings::scr_cookie_http_scheme(self.as_ptr())) }
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case(b"http"))
    }
}

/// The configuration a request ran under, by address: the crypto
/// module's and the cookie module's merged per-directory configuration.
#[cfg(feature = "session-crypto-module")]
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct ConfId {
    crypto: *const c_void,
    cookie: *const c_void,
}

#[cfg(feature = "session-crypto-module")]
impl ConfId {
    /// No request's configuration.
    pub(super) const NONE: ConfId = ConfId {
        crypto: ptr::null(),
        cookie: ptr::null(),
    };

    /// The configuration `r` runs under now.
    pub(super) fn of(r: &Request) -> ConfId {
        // SAFETY: the shim reads two slots of a live request's
        // per-directory configuration; only the addresses are kept.
        unsafe {
            ConfId {
                crypto: super::bindings::scr_crypto_request_config(r.as_ptr()).cast(),
                cookie: super::bindings::scr_crypto_cookie_config(r.as_ptr()).cast(),
            }
        }
    }
}

/// A session value the crypto module read, as it notes it on the request
/// that owns the session (one request may carry several sessions).
#[cfg(feature = "session-crypto-module")]
pub(super) struct ReadNote {
    session: *const session_rec,
    /// The client's text: bytes in the owner's pool.
    value: (*const u8, usize),
    /// The configuration it was read under ([`ConfId::NONE`] if that may
    /// not outlive the note).
    pub(super) conf: ConfId,
    /// What it opened to, if it was opened.
    pub(super) opened: Option<OpenedNote>,
    /// The session's own entries while a request that may not see them has
    /// an empty stand-in in their place (target_policy.rs).
    pub(super) hidden: Cell<Option<Hidden>>,
}

#[cfg(feature = "session-crypto-module")]
impl ReadNote {
    /// The session it speaks of.
    pub(super) fn session(&self) -> *const session_rec {
        self.session
    }

    /// The client's text of the session.
    pub(super) fn value(&self) -> &[u8] {
        // SAFETY: note_read kept the value in the owner's pool, which
        // outlives the note (it lives in the same pool).
        unsafe { std::slice::from_raw_parts(self.value.0, self.value.1) }
    }
}

/// An opened session: what its value said of itself.
#[cfg(feature = "session-crypto-module")]
pub(super) struct OpenedNote {
    /// Its origin and id, authenticated.
    pub(super) stamp: Stamp,
    /// Its subject (`SessionCryptoSubjectKey`) when it was opened: bytes in
    /// the request's pool.
    subject: Option<(*const u8, usize)>,
    /// Revoked by this request (a back end's revoke header): not to be
    /// saved again.
    pub(super) revoked: Cell<bool>,
}

#[cfg(feature = "session-crypto-module")]
impl OpenedNote {
    /// Its subject when it was opened.
    pub(super) fn subject(&self) -> Option<&[u8]> {
        // SAFETY: note_read copied the subject into the request's pool,
        // which outlives the note (it lives in the same pool).
        self.subject
            .map(|(p, len)| unsafe { std::slice::from_raw_parts(p, len) })
    }
}

/// Whether a session is visible under one configuration of a request.
#[cfg(feature = "session-crypto-module")]
struct CheckedNote {
    session: *const session_rec,
    conf: ConfId,
    visible: bool,
}

/// What a session held before an empty stand-in took its place.
#[cfg(feature = "session-crypto-module")]
#[derive(Clone, Copy)]
pub(super) struct Hidden {
    entries: *mut apr_table_t,
    dirty: std::ffi::c_int,
    expiry: i64,
    /// The request that hid it.
    pub(super) by: *const request_rec,
}

/// A session loaded for a cookie name, as session_cookie_module notes it
/// on the request that owns the session (a subrequest may read another
/// cookie name).
#[cfg(feature = "session-cookie-module")]
struct LoadedNote {
    name: KeptName,
    session: *const session_rec,
}

/// A cookie name in a request's pool ([`Request::kept_name`]).
#[cfg(feature = "session-cookie-module")]
#[derive(Clone, Copy)]
struct KeptName(*const u8, usize);

#[cfg(feature = "session-cookie-module")]
impl KeptName {
    fn bytes(&self) -> &[u8] {
        // SAFETY: kept_name copied the name into the request's pool, which
        // outlives the note that holds it.
        unsafe { std::slice::from_raw_parts(self.0, self.1) }
    }
}

/// What this build's module notes on a request: one kind per module.
#[cfg(feature = "session-crypto-module")]
enum Note {
    Read(ReadNote),
    Checked(CheckedNote),
}
#[cfg(feature = "session-cookie-module")]
enum Note {
    Loaded(LoadedNote),
    /// The parts of a chunked session the request carried.
    Parts {
        name: KeptName,
        parts: PartSet,
    },
    /// A size warning was logged for the request.
    SizeWarned,
}

/// A request's notes: a list in the request's pool, newest first, its head
/// in the module's state on the request.
struct NoteLink {
    note: Note,
    next: *const NoteLink,
}

/// This build's module's state in `r`'s `request_config`.
///
/// # Safety
/// `r` is a live request.
unsafe fn request_state(r: *mut request_rec) -> *mut scr_request_state {
    // SAFETY: per the contract above.
    unsafe {
        #[cfg(feature = "session-cookie-module")]
        return super::bindings::scr_cookie_request_state(r);
        #[cfg(feature = "session-crypto-module")]
        return super::bindings::scr_crypto_request_state(r);
    }
}

/// Sets this build's module's state in `r`'s `request_config`.
///
/// # Safety
/// `r` is a live request; `state` lives as long as it.
unsafe fn set_request_state(r: *mut request_rec, state: *mut scr_request_state) {
    // SAFETY: per the contract above.
    unsafe {
        #[cfg(feature = "session-cookie-module")]
        super::bindings::scr_cookie_set_request_state(r, state);
        #[cfg(feature = "session-crypto-module")]
        super::bindings::scr_crypto_set_request_state(r, state);
    }
}

/// A C string that lives for `'p` in memory httpd keeps (a pool's, or a
/// static): the only kind of string the safe methods that hand C a pointer
/// to keep ([`Table::add`], [`Table::replace_all`], [`Session::set_encoded`])
/// accept. A pool makes them ([`Pool::c_str`]); a table hands out its own
/// ([`Table::values`]); a static string is one.
#[derive(Clone, Copy)]
pub(super) struct PoolCStr<'p>(&'p CStr);

impl<'p> PoolCStr<'p> {
    /// A static string, which lives as long as any pool.
    #[cfg(feature = "session-cookie-module")]
    pub(super) const fn from_static(s: &'static CStr) -> PoolCStr<'static> {
        PoolCStr(s)
    }

    /// # Safety
    /// `s` is in a pool (or static memory) that lives for `'p`.
    pub(super) unsafe fn in_pool(s: &'p CStr) -> PoolCStr<'p> {
        PoolCStr(s)
    }

    /// The string, for as long as its pool lives.
    pub(super) fn as_c_str(self) -> &'p CStr {
        self.0
    }
}

impl std::ops::Deref for PoolCStr<'_> {
    type Target = CStr;

    fn deref(&self) -> &CStr {
        self.0
    }
}

/// `apr_pool_t`: a handle to a pool that lives for `'a`. APR's types are
/// opaque (zero-sized in Rust): a reference to one would carry no
/// provenance for the memory behind it, so the handle holds the pointer.
/// It is neither `Send` nor `Sync` (a pool is not for two threads at once;
/// checked below), and only its constructor is `unsafe`.
#[derive(Clone, Copy)]
pub(super) struct Pool<'a> {
    raw: NonNull<apr_pool_t>,
    _pool: PhantomData<&'a apr_pool_t>,
}

impl<'a> Pool<'a> {
    /// # Safety
    /// `p` is a live pool that is not destroyed for `'a`.
    pub(super) unsafe fn from_raw(p: *mut apr_pool_t) -> Pool<'a> {
        Pool {
            raw: NonNull::new(p).expect("httpd hands out live pools"),
            _pool: PhantomData,
        }
    }

    pub(super) fn as_ptr(self) -> *mut apr_pool_t {
        self.raw.as_ptr()
    }

    /// A NUL-terminated copy of `b` in this pool.
    pub(super) fn c_str(self, b: &[u8]) -> PoolCStr<'a> {
        // SAFETY: APR copies `b.len()` bytes and terminates them; NUL bytes
        // inside `b` only shorten the string C sees. The copy lives as long
        // as the pool.
        PoolCStr(unsafe {
            CStr::from_ptr(apr_pstrmemdup(self.as_ptr(), b.as_ptr().cast(), b.len()))
        })
    }

    /// `len` zeroed bytes in this pool. A pool is an arena: each call hands
    /// out fresh memory, never memory another borrow holds (as bumpalo's
    /// `alloc` does).
    pub(super) fn zeroed(self, len: usize) -> &'a mut [u8] {
        // SAFETY: apr_palloc returns fresh memory for `len` bytes (aborting
        // on failure) that nothing else refers to and that lives as long as
        // the pool; it is zeroed before the slice is made.
        unsafe {
            let p = apr_palloc(self.as_ptr(), len).cast::<u8>();
            ptr::write_bytes(p, 0, len);
            std::slice::from_raw_parts_mut(p, len)
        }
    }

    /// A new, empty table in this pool, with room for no entry yet.
    pub(super) fn new_table(self) -> Table<'a> {
        // SAFETY: apr_table_make returns a live table (aborting on
        // failure) that lives as long as the pool.
        unsafe { Table::from_raw(apr_table_make(self.as_ptr(), 0)) }
    }

    /// The bytes of `parts` one after the other, as a C string in this
    /// pool, made without measuring it again.
    ///
    /// # Safety
    /// No part holds a NUL byte (each is a C string's bytes, or text known
    /// to have none).
    pub(super) unsafe fn c_str_joined(self, parts: &[&[u8]]) -> PoolCStr<'a> {
        let len = parts.iter().map(|p| p.len()).sum::<usize>();
        // SAFETY: apr_palloc returns fresh memory for len + 1 bytes
        // (aborting on failure) that lives as long as the pool; the parts
        // are copied into it one after the other, exactly len bytes with no
        // NUL among them (per the contract), and the NUL after them, before
        // the whole is read as a C string.
        PoolCStr(unsafe {
            let p = apr_palloc(self.as_ptr(), len + 1).cast::<u8>();
            let mut at = p;
            for part in parts {
                ptr::copy_nonoverlapping(part.as_ptr(), at, part.len());
                at = at.add(part.len());
            }
            at.write(0);
            CStr::from_bytes_with_nul_unchecked(std::slice::from_raw_parts(p, len + 1))
        })
    }

    /// A C string of `len` bytes in this pool, written by `fill` (which
    /// must write no NUL byte).
    #[cfg(feature = "session-crypto-module")]
    pub(super) fn c_str_filled(self, len: usize, fill: impl FnOnce(&mut [u8])) -> PoolCStr<'a> {
        let buf = self.zeroed(len + 1);
        fill(&mut buf[..len]);
        PoolCStr(c_str_of(buf))
    }

    /// A new, empty session in this pool with `encoded` as its text.
    #[cfg(feature = "session-cookie-module")]
    pub(super) fn new_session(self, encoded: Option<&[u8]>) -> &'a Session {
        // SAFETY: apr_palloc returns memory for one session_rec (aborting
        // on failure); an all-zero session_rec is a valid empty one (what
        // stock's apr_pcalloc gives). It lives as long as the pool.
        unsafe {
            let z = apr_palloc(self.as_ptr(), size_of::<session_rec>()).cast::<session_rec>();
            ptr::write_bytes(z, 0, 1);
            (*z).pool = self.as_ptr();
            (*z).entries = apr_table_make(self.as_ptr(), 10);
            (*z).encoded = encoded.map_or(ptr::null(), |v| self.c_str(v).as_ptr());
            &*z.cast::<Session>()
        }
    }
}

/// `apr_table_t`: headers, notes, the environment. A handle to a table
/// that lives for `'a`, as [`Pool`] is to a pool, and neither `Send` nor
/// `Sync`.
#[derive(Clone, Copy)]
pub(super) struct Table<'a> {
    raw: NonNull<apr_table_t>,
    _table: PhantomData<&'a apr_table_t>,
}

// Handles to httpd's memory stay on the thread httpd called in on.
static_assertions::assert_not_impl_any!(Pool<'static>: Send, Sync);
static_assertions::assert_not_impl_any!(Table<'static>: Send, Sync);

/// A table's entries at one time (the addresses of their keys and values,
/// and their keys' checksums), copied into a pool: what
/// [`Table::unchanged_since`] compares the table with later.
#[derive(Clone, Copy)]
pub(super) struct TableMark {
    table: *const apr_table_t,
    entries: *const apr_table_entry_t,
    len: usize,
}

impl<'a> Table<'a> {
    /// # Safety
    /// `t` is a live table that lives for `'a`.
    unsafe fn from_raw(t: *mut apr_table_t) -> Table<'a> {
        Table {
            raw: NonNull::new(t).expect("httpd hands out live tables"),
            _table: PhantomData,
        }
    }

    pub(super) fn as_ptr(self) -> *mut apr_table_t {
        self.raw.as_ptr()
    }

    /// The first value of `key`.
    #[cfg(feature = "session-crypto-module")]
    pub(super) fn get(self, key: &CStr) -> Option<&'a CStr> {
        // SAFETY: values are NULL or strings that live as long as the table.
        unsafe {
            let v = apr_table_get(self.as_ptr(), key.as_ptr());
            (!v.is_null()).then(|| CStr::from_ptr(v))
        }
    }

    /// Sets `key` to `value`, replacing what it held.
    pub(super) fn set(self, key: &'static CStr, value: &'static CStr) {
        // SAFETY: both strings are static: setn does not copy them.
        unsafe { apr_table_setn(self.as_ptr(), key.as_ptr(), value.as_ptr()) }
    }

    /// The pool the table keeps its strings in (what `apr_table_set`
    /// copies into).
    pub(super) fn pool(self) -> Pool<'a> {
        // SAFETY: an apr_table_t starts with its apr_array_header_t (what
        // apr_table_elts() relies on too), whose pool is the table's.
        unsafe { Pool::from_raw((*self.as_ptr().cast::<apr_array_header_t>()).pool) }
    }

    /// `apr_table_set` of strings already in the table's own pool, without
    /// copying them again (`apr_table_setn`: the same table afterwards).
    /// Both end with their NUL (checked: C reads up to it).
    ///
    /// # Safety
    /// `key` and `value` live in [`Table::pool`] and are not changed later.
    pub(super) unsafe fn set_kept(self, key: &[u8], value: &[u8]) {
        assert!(key.ends_with(&[0]) && value.ends_with(&[0]));
        // SAFETY: per the contract, and NUL-terminated (checked).
        unsafe { self.setn(key, value) }
    }

    /// `apr_table_addn` of strings already in the table's own pool: a new
    /// entry, whatever entries of the same key there are. Both end with
    /// their NUL (checked).
    ///
    /// # Safety
    /// As for [`Table::set_kept`].
    pub(super) unsafe fn add_kept(self, key: &[u8], value: &[u8]) {
        assert!(key.ends_with(&[0]) && value.ends_with(&[0]));
        // SAFETY: per the contract, and NUL-terminated (checked).
        unsafe { self.addn(key, value) }
    }

    /// [`Table::set_kept`] of a key and value the session decoder wrote:
    /// each ends with its NUL by construction ([`CText`]), unchecked.
    ///
    /// # Safety
    /// As for [`Table::set_kept`].
    pub(super) unsafe fn set_text_pair(self, key: CText<'_>, value: CText<'_>) {
        // SAFETY: per the contract; a CText ends with its NUL.
        unsafe { self.setn(key.with_nul(), value.with_nul()) }
    }

    /// [`Table::add_kept`] of a key and value the session decoder wrote,
    /// unchecked as for [`Table::set_text_pair`].
    ///
    /// # Safety
    /// As for [`Table::set_kept`].
    pub(super) unsafe fn add_text_pair(self, key: CText<'_>, value: CText<'_>) {
        // SAFETY: per the contract; a CText ends with its NUL.
        unsafe { self.addn(key.with_nul(), value.with_nul()) }
    }

    /// `apr_table_setn`, keeping both strings by address.
    ///
    /// # Safety
    /// Both end with a NUL and live as long as the table.
    unsafe fn setn(self, key: &[u8], value: &[u8]) {
        // SAFETY: per the contract.
        unsafe { apr_table_setn(self.as_ptr(), key.as_ptr().cast(), value.as_ptr().cast()) }
    }

    /// `apr_table_addn`, keeping both strings by address.
    ///
    /// # Safety
    /// As for [`Table::setn`].
    unsafe fn addn(self, key: &[u8], value: &[u8]) {
        // SAFETY: per the contract.
        unsafe { apr_table_addn(self.as_ptr(), key.as_ptr().cast(), value.as_ptr().cast()) }
    }

    /// `apr_table_clear`: no entries left.
    pub(super) fn clear(self) {
        // SAFETY: a live table; its entries are forgotten, not freed.
        unsafe { apr_table_clear(self.as_ptr()) }
    }

    /// Whether the table has no entries.
    pub(super) fn is_empty(self) -> bool {
        self.entries().is_empty()
    }

    /// `apr_table_unset`: removes every entry of `key` (ignoring ASCII
    /// case). `key` ends with its NUL (checked).
    pub(super) fn unset(self, key: &[u8]) {
        assert!(key.ends_with(&[0]));
        // SAFETY: a NUL-terminated live string, only read.
        unsafe { apr_table_unset(self.as_ptr(), key.as_ptr().cast()) }
    }

    /// How many entries the table has.
    pub(super) fn len(self) -> usize {
        self.entries().len()
    }

    /// The table's entries as they are now (their keys' and values'
    /// addresses), copied into `pool`.
    pub(super) fn mark(self, pool: Pool<'_>) -> TableMark {
        let entries = self.entries();
        // SAFETY: apr_palloc returns fresh memory for the entries (aborting
        // on failure), into which they are copied whole, before the mark
        // is made; it lives as long as `pool`.
        let copy = unsafe {
            let copy =
                apr_palloc(pool.as_ptr(), size_of_val(entries).max(1)).cast::<apr_table_entry_t>();
            ptr::copy_nonoverlapping(entries.as_ptr(), copy, entries.len());
            copy.cast_const()
        };
        TableMark {
            table: self.as_ptr().cast_const(),
            entries: copy,
            len: entries.len(),
        }
    }

    /// Whether this is the table `mark` was taken of, with the same
    /// entries (the same keys and values, by address: none set, added or
    /// removed since), and then `appended` (a key and value, by address),
    /// if given, as its last entry.
    ///
    /// # Safety
    /// The pool `mark` was copied into is alive.
    pub(super) unsafe fn unchanged_since(
        self,
        mark: &TableMark,
        appended: Option<(&CStr, &CStr)>,
    ) -> bool {
        let entries = self.entries();
        let (kept, added) = entries.split_at(entries.len().min(mark.len));
        let same = |e: &apr_table_entry_t, (key, val): (&CStr, &CStr)| {
            ptr::eq(e.key, key.as_ptr()) && ptr::eq(e.val, val.as_ptr())
        };
        // The entries and their copy compared as memory, all at once: equal
        // bytes are the same keys and values (an entry written again with
        // the same ones may differ in its padding, and is then taken as
        // changed: the session is encoded again, as it would be anyway).
        // SAFETY: `kept` is the table's `mark.len` entries, and the mark
        // holds as many, alive per the contract; memcmp only reads them.
        let kept_same = kept.len() == mark.len
            && unsafe {
                memcmp(
                    kept.as_ptr().cast(),
                    mark.entries.cast(),
                    size_of_val(kept) as _,
                )
            } == 0;
        ptr::eq(self.as_ptr(), mark.table)
            && kept_same
            && match (added, appended) {
                ([], None) => true,
                ([e], Some(pair)) => same(e, pair),
                _ => false,
            }
    }

    /// The table's entries, in order (what C's `apr_table_elts` gives).
    fn entries(self) -> &'a [apr_table_entry_t] {
        // SAFETY: an apr_table_t starts with its apr_array_header_t of
        // entries (what apr_table_elts() relies on too); elts holds nelts
        // initialised entries. Entries removed from a table are unlinked,
        // not freed: the slice stays valid while the borrow lasts.
        unsafe {
            let array = &*self.as_ptr().cast::<apr_array_header_t>();
            match usize::try_from(array.nelts) {
                Ok(n) if n > 0 && !array.elts.is_null() => {
                    std::slice::from_raw_parts(array.elts.cast::<apr_table_entry_t>(), n)
                }
                _ => &[],
            }
        }
    }

    /// The entries `apr_table_do` hands out, in order: those with a key.
    /// A value may be NULL (`None`).
    pub(super) fn pairs(self) -> impl Iterator<Item = (&'a CStr, Option<&'a CStr>)> + Clone {
        self.entries().iter().filter(|e| !e.key.is_null()).map(|e| {
            // SAFETY: keys and values are NULL or strings that live as long
            // as the table.
            unsafe { (CStr::from_ptr(e.key), c_str_or_none(e.val)) }
        })
    }

    /// The value of every entry whose key is `key` (ignoring ASCII case),
    /// in table order.
    pub(super) fn values<'t>(self, key: &'t CStr) -> impl Iterator<Item = PoolCStr<'a>> + 't
    where
        'a: 't,
    {
        let key = key.to_bytes_with_nul();
        self.entries()
            .iter()
            // SAFETY: keys and values are NULL or strings in the table's pool.
            .filter(move |e| unsafe { key_is(e.key, key) })
            .filter(|e| !e.val.is_null())
            // SAFETY: a non-NULL value is a string in the table's pool,
            // which outlives the borrow of the table.
            .map(|e| PoolCStr(unsafe { CStr::from_ptr(e.val) }))
    }

    /// Replaces every `key` entry by `values`, appended in order.
    #[cfg(feature = "session-cookie-module")]
    pub(super) fn replace_all(self, key: &'static CStr, values: &[PoolCStr<'a>]) {
        // SAFETY: `key` is static; the values are pool strings that outlive
        // the table (addn does not copy).
        unsafe {
            apr_table_unset(self.as_ptr(), key.as_ptr());
            for v in values {
                apr_table_addn(self.as_ptr(), key.as_ptr(), v.as_ptr());
            }
        }
    }

    /// Adds a `key` entry: `value` is a string of httpd's memory, which
    /// the table keeps without a copy.
    #[cfg(feature = "session-cookie-module")]
    pub(super) fn add(self, key: &'static CStr, value: PoolCStr<'a>) {
        // SAFETY: as for replace_all.
        unsafe { apr_table_addn(self.as_ptr(), key.as_ptr(), value.as_ptr()) }
    }
}

/// `session_rec`: mod_session's session.
#[repr(transparent)]
pub(super) struct Session(session_rec);

impl Session {
    /// # Safety
    /// `z` is a live session that lives for `'a`, and no other Rust
    /// reference to it is in use.
    pub(super) unsafe fn from_raw<'a>(z: *mut session_rec) -> &'a mut Session {
        // SAFETY: per the contract above.
        unsafe { &mut *z.cast::<Session>() }
    }

    pub(super) fn as_ptr(&self) -> *mut session_rec {
        ptr::from_ref(&self.0).cast_mut()
    }

    /// The session's text (encoded, or sealed, by the hooks in turn).
    pub(super) fn encoded(&self) -> Option<&[u8]> {
        // SAFETY: `encoded` is NULL or a string in a pool that outlives the
        // session.
        unsafe { c_bytes(self.0.encoded) }
    }

    /// The session's text, as [`Session::encoded`], measured only if `r`
    /// did not note it ([`Request::note_text`]).
    pub(super) fn encoded_in(&self, r: &Request) -> Option<&[u8]> {
        let text = self.0.encoded;
        match r.noted_len(text) {
            // SAFETY: noted with its length when it was made, in memory that
            // outlives the request, and so the session's use of it.
            Some(len) => Some(unsafe { std::slice::from_raw_parts(text.cast(), len) }),
            None => self.encoded(),
        }
    }

    /// The text as C has it: NULL or a string.
    #[cfg(feature = "session-cookie-module")]
    pub(super) fn encoded_raw(&self) -> *const c_char {
        self.0.encoded
    }

    /// Replaces the text: a string of httpd's memory (of [`Session::pool`],
    /// which the session does not outlive), kept without a copy.
    pub(super) fn set_encoded(&mut self, text: Option<PoolCStr<'_>>) {
        self.0.encoded = text.map_or(ptr::null(), |t| t.as_ptr());
    }

    /// The session's entries; `None` if the provider made none.
    pub(super) fn entries(&self) -> Option<Table<'_>> {
        // SAFETY: `entries` is NULL or a table in the session's pool, which
        // outlives the session.
        (!self.0.entries.is_null()).then(|| unsafe { Table::from_raw(self.0.entries) })
    }

    /// The entries table as it is, NULL included: what a hook that swaps
    /// it compares and puts back.
    pub(super) fn entries_raw(&self) -> *mut apr_table_t {
        self.0.entries
    }

    /// Replaces the entries table.
    ///
    /// # Safety
    /// `entries` is NULL or a live table that outlives the session's use of
    /// it.
    pub(super) unsafe fn set_entries_raw(&mut self, entries: *mut apr_table_t) {
        self.0.entries = entries;
    }

    /// Sets mod_session's expiry time (microseconds since the epoch).
    pub(super) fn set_expiry(&mut self, expiry: i64) {
        self.0.expiry = expiry;
    }

    /// mod_session's expiry time, microseconds since the epoch; 0 for none.
    pub(super) fn expiry(&self) -> i64 {
        self.0.expiry
    }

    /// Whether the session was changed in this request (`ap_session_set`,
    /// `SessionHeader`), rather than saved again as it came.
    pub(super) fn dirty(&self) -> bool {
        self.0.dirty != 0
    }

    /// Whether mod_session saved the session already in this chain of
    /// requests: its text is then what was saved, not what the client sent.
    #[cfg(feature = "session-crypto-module")]
    pub(super) fn written(&self) -> bool {
        self.0.written != 0
    }

    /// Puts the empty table `stand_in` in place of the session's entries,
    /// with no expiry and no change yet, for the request `by`; returns
    /// what the session held, for [`Session::put_back`].
    #[cfg(feature = "session-crypto-module")]
    pub(super) fn hide_behind(&mut self, stand_in: Table<'_>, by: &Request) -> Hidden {
        let held = Hidden {
            entries: self.0.entries,
            dirty: self.0.dirty,
            expiry: self.0.expiry,
            by: by.as_ptr(),
        };
        self.0.entries = stand_in.as_ptr();
        self.0.dirty = 0;
        self.0.expiry = 0;
        held
    }

    /// Puts back what [`Session::hide_behind`] took out (what a request
    /// that could not see it wrote in the stand-in is dropped).
    #[cfg(feature = "session-crypto-module")]
    pub(super) fn put_back(&mut self, held: Hidden) {
        self.0.entries = held.entries;
        self.0.dirty = held.dirty;
        self.0.expiry = held.expiry;
    }

    /// `SessionMaxAge`, seconds.
    #[cfg(feature = "session-cookie-module")]
    pub(super) fn max_age(&self) -> i64 {
        // c_long: i64 here, i32 on 32-bit targets.
        #[allow(clippy::useless_conversion)]
        i64::from(self.0.maxage)
    }

    /// Where the session's strings belong: its own pool (the main
    /// request's, when a subrequest or redirect shares the session), else
    /// the request's.
    pub(super) fn pool<'a>(&self, r: &'a Request) -> Pool<'a> {
        if self.0.pool.is_null() {
            r.pool()
        } else {
            // SAFETY: a session's pool outlives every request sharing it.
            unsafe { Pool::from_raw(self.0.pool) }
        }
    }
}
