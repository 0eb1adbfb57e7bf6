//! Sealed sessions: what `session_crypto_module` does to a session's text.
//!
//! A sealed value is authenticated encryption (AES-256-GCM) of the encoded
//! session, bound to where it may be used, with an authenticated not-after
//! time, in cookie-safe unpadded base64url. See `format/mod.rs` for the layout
//! and the reasoning behind it, `keyring.rs` for key derivation and
//! rotation, `stock.rs` for stock `mod_session_crypto`'s format (opened so
//! that switching from stock logs nobody out) and `formats.rs` for which
//! format is opened and sealed when.

mod cipher;
mod format;
mod formats;
mod kdf;
mod key_pages;
mod keyring;
mod passfile;
mod process_key;
mod stock;
mod when;

pub use cipher::{CipherError, parse_cipher};
pub use format::{
    Limits, MAX_SEALED_LEN, OpenError, Opened, Parsed, Stamp, VERSION, decode, hex, new_session_id,
    open, open_capacity, open_in, opened_key_id, parse, raw_len, seal, seal_into, text_len,
    write_text,
};
pub use formats::{
    Format, FormatVersion, NotOpened, Policy, Sealed, StockFormat, open_value, open_value_in,
    seal_value, seal_value_in,
};
pub use kdf::{LANES, MEMORY_KIB, PASSES, Stretched, cache_key, stretch};
pub use key_pages::{PAGE, Paged, scrub_stack, set_hook as set_key_pages_hook};
pub use keyring::{KEY_ID_LEN, Keyring, SealKey, SecretWarning};
pub use passfile::{Entry, MAX_LINE, PassfileError, exec_argv, first_line, parse_passfile};
pub use process_key::{forked, forks_unwatched};
pub use stock::{StockCipher, StockKey, StockOpenError, open_stock, seal_stock};
pub use when::{TimeError, format_time, parse_time};
