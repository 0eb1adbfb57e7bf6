//! Every line the modules log, with its stable message id and level: what
//! an admin greps and alerts on (README, "Log messages"). Ids are never
//! reused: a line whose meaning changes gets a new id. The lines the C shim
//! logs at configuration time carry ids of the same series (SCR0210,
//! SCR0211 in shim/session_crypto.c).

#[cfg(feature = "session-cookie-module")]
use super::bindings::APLOG_INFO;
use super::bindings::{APLOG_DEBUG, APLOG_ERR};

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
}

impl Msg {
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
            #[cfg(feature = "session-crypto-module")]
            Self::CryptoPanic => ("SCR0200", APLOG_ERR),
            #[cfg(feature = "session-crypto-module")]
            Self::NotOpened => ("SCR0201", APLOG_DEBUG),
            #[cfg(feature = "session-crypto-module")]
            Self::OpenedStock => ("SCR0202", APLOG_DEBUG),
            #[cfg(feature = "session-crypto-module")]
            Self::NoRandomness => ("SCR0203", APLOG_ERR),
        }
    }
}
