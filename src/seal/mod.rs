//! Sealed sessions: what `session_crypto_module` does to a session's text.
//!
//! A sealed value is authenticated encryption (AES-256-GCM) of the encoded
//! session, bound to where it may be used, with an authenticated not-after
//! time, in cookie-safe unpadded base64url. See `format.rs` for the layout
//! and the reasoning behind it, `keyring.rs` for key derivation and
//! rotation.

mod cipher;
mod format;
mod keyring;

pub use cipher::{CipherError, check_cipher};
pub use format::{MAX_SEALED_LEN, OpenError, VERSION, open, seal, seal_with_salt};
pub use keyring::{KEY_ID_LEN, Keyring, SealKey, SecretWarning};
