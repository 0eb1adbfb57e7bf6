//! mod_session_cookie_rs: Apache httpd's `mod_session_cookie`, in Rust.
//!
//! The safe core, which knows nothing about httpd and is unit-tested
//! without one:
//! - [`cookie`]: it reads the session cookie out of `Cookie` and `Cookie2`
//!   request headers, strips it before a back end sees them, writes
//!   `Set-Cookie(2)` lines and checks directive arguments;
//! - [`session`]: mod_session's encoding of the session text, both ways;
//! - [`seal`], of `session_crypto_module`: sealing and opening session
//!   values, in our format and in stock `mod_session_crypto`'s, and the
//!   passphrase files;
//! - [`revoke`]: what the revocation store holds and for how long;
//! - [`status`]: the status words (`SESSION_COOKIE_STATUS`);
//! - [`metrics`]: the session counters' names and labels, and their texts
//!   for mod_status and Prometheus.
//!
//! And the boundary:
//! - `ffi` (feature `session-cookie-module` or `session-crypto-module`: one
//!   Apache module per build), the only place with `unsafe`: bindgen's httpd
//!   types, the hooks httpd calls and the exported module record. The C shim
//!   in `shim/` holds what httpd only offers as C macros (command table,
//!   hook registration, logging).

// Unsafe code lives at the httpd boundary only (`ffi`), and the compiler
// holds every other module to that.
#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod cookie;
pub mod metrics;
pub mod revoke;
pub mod seal;
pub mod session;
pub mod status;

#[cfg(any(feature = "session-cookie-module", feature = "session-crypto-module"))]
#[allow(unsafe_code)]
mod ffi;
