//! Sealed sessions: what `session_crypto_module` does to a session's text.
//!
//! A sealed value is authenticated encryption (AES-256-GCM) of the encoded
//! session, bound to where it may be used, with an authenticated not-after
//! time, in cookie-safe unpadded base64url. See `format.rs` for the layout
//! and the reasoning behind it, `keyring.rs` for key derivation and
//! rotation, `stock.rs` for stock `mod_session_crypto`'s format (opened so
//! that switching from stock logs nobody out) and `formats.rs` for which
//! format is opened and sealed when.

mod cipher;
mod format;
mod formats;
mod keyring;
mod stock;

pub use cipher::{CipherError, parse_cipher};
pub use format::{MAX_SEALED_LEN, OpenError, VERSION, open, seal, seal_with_salt};
pub use formats::{Format, NotOpened, Policy, StockFormat, open_value, seal_value};
pub use keyring::{KEY_ID_LEN, Keyring, SealKey, SecretWarning};
pub use stock::{StockCipher, StockKey, StockOpenError, open_stock, seal_stock, seal_stock_with};
