//! The session's text: mod_session's identity encoding of the session's
//! entries (`key=value&key=value`, URL-encoded), decoded here exactly as
//! mod_session decodes it, so that both our modules can take that work off
//! mod_session's slower decoder.

mod decode;

pub use decode::{CText, Entry, buffer_len, decode};
