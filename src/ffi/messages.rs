//! Every line the modules log, with its stable message id and level: what
//! an admin greps and alerts on (docs/operations.md, "Log messages"). Ids are never
//! reused: a line whose meaning changes gets a new id. The lines the C shim
//! logs carry ids of the same series, from the other half of the table,
//! src/ffi/shim_messages.rs (build.rs turns it into the shim's
//! `scr_messages.h`).

#[cfg(feature = "session-cookie-module")]
use super::bindings::scr_cookie_log_level_SCR_COOKIE_APLOG_NOTICE as APLOG_NOTICE;
use super::bindings::{APLOG_DEBUG, APLOG_ERR, APLOG_INFO, APLOG_WARNING};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Msg {
    /// A panic in a hook of session_cookie_module, caught.
    #[cfg(feature = "session-cookie-module")]
    CookiePanic,
    #[cfg(feature = "session-cookie-module")]
    CookieRead,
    #[cfg(feature = "session-cookie-module")]
    CookieIgnored,
    #[cfg(feature = "session-cookie-module")]
    NoCookie,
    /// The session cookie twice with different values: the client's
    /// doing, so not at a level a client can flood the error log with.
    #[cfg(feature = "session-cookie-module")]
    CookieConflict,
    #[cfg(feature = "session-cookie-module")]
    CookieWritten,
    #[cfg(feature = "session-cookie-module")]
    CookieReplaced,
    /// A `Set-Cookie` line over the 4096 bytes browsers keep. This and
    /// the two "not written" lines below are warnings when the server
    /// changed the session in the request, and logged at info when the
    /// session is the one the client sent, saved again unchanged (a plain
    /// session is the client's to fill: [`Msg::client_made`]).
    #[cfg(feature = "session-cookie-module")]
    CookieTooLong,
    /// A session not written: its cookies would come back in a `Cookie`
    /// line over `LimitRequestFieldSize`.
    #[cfg(feature = "session-cookie-module")]
    NotWrittenFieldLimit,
    /// A session not written: it needs more parts than allowed, or the
    /// attributes leave no room in `SessionCookieChunkSize`.
    #[cfg(feature = "session-cookie-module")]
    NotWrittenParts,
    /// A request's chunked session over the limits (parts, size): the
    /// client's doing, so at info (a client must not be able to write a
    /// warning per request).
    #[cfg(feature = "session-cookie-module")]
    RequestOverLimits,
    /// A request's chunked session refused: missing, duplicated, extra
    /// part; parts without the cookie. The client's doing: debug.
    #[cfg(feature = "session-cookie-module")]
    PartsRefused,
    #[cfg(feature = "session-cookie-module")]
    ChunkedRead,
    #[cfg(feature = "session-cookie-module")]
    ChunkedWritten,
    #[cfg(feature = "session-cookie-module")]
    StalePartsRemoved,
    /// A Secure cookie written on plain HTTP, once per child.
    #[cfg(feature = "session-cookie-module")]
    SecureOnPlainHttp,
    /// Configuration time: a `__Host-`/`__Secure-` cookie browsers refuse.
    #[cfg(feature = "session-cookie-module")]
    PrefixRules,
    /// Configuration time: `SameSite=None` without `Secure`.
    #[cfg(feature = "session-cookie-module")]
    SameSiteNoneInsecure,
    /// Configuration time: an unknown `SameSite` value.
    #[cfg(feature = "session-cookie-module")]
    UnknownSameSite,
    /// Configuration time: `SessionCookieChunkSize` over 4096.
    #[cfg(feature = "session-cookie-module")]
    ChunkSizeOverBrowserLimit,
    /// A panic in a hook of session_crypto_module, caught.
    #[cfg(feature = "session-crypto-module")]
    CryptoPanic,
    /// A value that does not open: the client's doing, debug only.
    #[cfg(feature = "session-crypto-module")]
    NotOpened,
    #[cfg(feature = "session-crypto-module")]
    OpenedStock,
    #[cfg(feature = "session-crypto-module")]
    NoRandomness,
    /// A redirect's target or a subrequest whose policy does not open the
    /// session its chain opened: shown an empty one. Debug, as any value
    /// that does not open.
    #[cfg(feature = "session-crypto-module")]
    NotShownHere,
    /// A session refused because the store says it was revoked: the
    /// client's copy, debug only.
    #[cfg(feature = "session-crypto-module")]
    RevokedRefused,
    /// A session id or a subject revoked (a logout, a back end's header).
    #[cfg(feature = "session-crypto-module")]
    Revoked,
    /// The revocation store did not answer: once a minute per process.
    #[cfg(feature = "session-crypto-module")]
    StoreUnreachable,
    /// A revocation asked for with nothing to revoke.
    #[cfg(feature = "session-crypto-module")]
    NothingToRevoke,
    /// A back end's revoke header that means nothing, or one sent where
    /// no revocation store is configured.
    #[cfg(feature = "session-crypto-module")]
    RevokeHeaderUnused,
    /// The store dropped a revocation before it expired (full): once a
    /// minute per process.
    #[cfg(feature = "session-crypto-module")]
    RevocationsDropped,
    /// A panic while decoding or encoding the session text (either
    /// module), caught.
    TextPanic,
    /// The session text decoded by our decoder (either module): counts only.
    TextDecoded,
    /// The session text encoded by our encoder (either module): counts only.
    TextEncoded,
    /// The session saved unchanged, its text kept but for the expiry
    /// (either module): counts only.
    TextKept,
}

impl Msg {
    /// The level of `self` when a client's own input, not the server, made
    /// it happen: info at most, so that no client can write a warning per
    /// request.
    #[cfg(feature = "session-cookie-module")]
    pub(super) fn client_made(self) -> (&'static str, u32) {
        let (id, level) = self.id_and_level();
        (id, level.max(APLOG_INFO))
    }

    /// (id, level).
    pub(super) fn id_and_level(self) -> (&'static str, u32) {
        match self {
            #[cfg(feature = "session-cookie-module")]
            Self::CookiePanic => ("SCR0100", APLOG_ERR),
            #[cfg(feature = "session-cookie-module")]
            Self::CookieRead => ("SCR0101", APLOG_DEBUG),
            #[cfg(feature = "session-cookie-module")]
            Self::CookieIgnored => ("SCR0102", APLOG_DEBUG),
            #[cfg(feature = "session-cookie-module")]
            Self::NoCookie => ("SCR0103", APLOG_DEBUG),
            #[cfg(feature = "session-cookie-module")]
            Self::CookieConflict => ("SCR0104", APLOG_INFO),
            #[cfg(feature = "session-cookie-module")]
            Self::CookieWritten => ("SCR0105", APLOG_DEBUG),
            #[cfg(feature = "session-cookie-module")]
            Self::CookieReplaced => ("SCR0106", APLOG_DEBUG),
            #[cfg(feature = "session-cookie-module")]
            Self::CookieTooLong => ("SCR0107", APLOG_WARNING),
            #[cfg(feature = "session-cookie-module")]
            Self::NotWrittenFieldLimit => ("SCR0108", APLOG_WARNING),
            #[cfg(feature = "session-cookie-module")]
            Self::NotWrittenParts => ("SCR0109", APLOG_WARNING),
            #[cfg(feature = "session-cookie-module")]
            Self::RequestOverLimits => ("SCR0110", APLOG_INFO),
            #[cfg(feature = "session-cookie-module")]
            Self::PartsRefused => ("SCR0111", APLOG_DEBUG),
            #[cfg(feature = "session-cookie-module")]
            Self::ChunkedRead => ("SCR0112", APLOG_DEBUG),
            #[cfg(feature = "session-cookie-module")]
            Self::ChunkedWritten => ("SCR0113", APLOG_DEBUG),
            #[cfg(feature = "session-cookie-module")]
            Self::StalePartsRemoved => ("SCR0114", APLOG_DEBUG),
            #[cfg(feature = "session-cookie-module")]
            Self::SecureOnPlainHttp => ("SCR0115", APLOG_NOTICE),
            #[cfg(feature = "session-cookie-module")]
            Self::PrefixRules => ("SCR0116", APLOG_WARNING),
            #[cfg(feature = "session-cookie-module")]
            Self::SameSiteNoneInsecure => ("SCR0117", APLOG_WARNING),
            #[cfg(feature = "session-cookie-module")]
            Self::UnknownSameSite => ("SCR0118", APLOG_WARNING),
            #[cfg(feature = "session-cookie-module")]
            Self::ChunkSizeOverBrowserLimit => ("SCR0119", APLOG_WARNING),
            #[cfg(feature = "session-crypto-module")]
            Self::CryptoPanic => ("SCR0200", APLOG_ERR),
            #[cfg(feature = "session-crypto-module")]
            Self::NotOpened => ("SCR0201", APLOG_DEBUG),
            #[cfg(feature = "session-crypto-module")]
            Self::OpenedStock => ("SCR0202", APLOG_DEBUG),
            #[cfg(feature = "session-crypto-module")]
            Self::NoRandomness => ("SCR0203", APLOG_ERR),
            #[cfg(feature = "session-crypto-module")]
            Self::NotShownHere => ("SCR0204", APLOG_DEBUG),
            #[cfg(feature = "session-crypto-module")]
            Self::RevokedRefused => ("SCR0220", APLOG_DEBUG),
            #[cfg(feature = "session-crypto-module")]
            Self::Revoked => ("SCR0221", APLOG_INFO),
            #[cfg(feature = "session-crypto-module")]
            Self::StoreUnreachable => ("SCR0222", APLOG_WARNING),
            #[cfg(feature = "session-crypto-module")]
            Self::NothingToRevoke => ("SCR0223", APLOG_DEBUG),
            #[cfg(feature = "session-crypto-module")]
            Self::RevokeHeaderUnused => ("SCR0224", APLOG_WARNING),
            #[cfg(feature = "session-crypto-module")]
            Self::RevocationsDropped => ("SCR0225", APLOG_WARNING),
            Self::TextPanic => ("SCR0300", APLOG_ERR),
            Self::TextDecoded => ("SCR0301", APLOG_DEBUG),
            Self::TextEncoded => ("SCR0302", APLOG_DEBUG),
            Self::TextKept => ("SCR0303", APLOG_DEBUG),
        }
    }
}
