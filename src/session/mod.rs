//! The session's text: mod_session's identity encoding of the session's
//! entries (`key=value&key=value`, URL-encoded), decoded and encoded here
//! exactly as mod_session does it, so that both our modules can take that
//! work off mod_session's slower decoder and encoder.

mod decode;
mod encode;
mod keys_seen;
mod settle;
mod specials;
mod verbatim;

pub use decode::{CText, Decoded, Entry, buffer_len, decode};
pub use encode::Encoder;
pub use keys_seen::KeysSeen;
pub use settle::Settled;
pub use verbatim::verbatim_entries;
