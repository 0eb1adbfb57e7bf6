//! Tells sealing about forks. A process seals under a key of its own
//! (src/seal/process_key.rs); a forked child must never go on with its
//! parent's key and counter. httpd forks its children after loading the
//! modules, so the handler is installed when the crypto module registers
//! its hooks. glibc runs it in every new child, before anything else runs
//! there, and drops it when httpd unloads the module (pthread_atfork
//! records which shared object installed it).

use std::sync::Once;

use crate::seal::{forked, forks_unwatched};

extern "C" fn in_child() {
    // One atomic add: nothing here can panic, allocate or lock.
    forked();
}

/// Installs the fork handler once per load of the module.
pub(super) fn watch_forks() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // SAFETY: registers a function of this module, which stays loaded
        // as long as the registration (see above); the handler only does
        // an atomic add, which is safe in a child after fork.
        let rc = unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
        if rc != 0 {
            // Out of memory: without the handler, every seal takes a new
            // key (the cost of format v2), never a parent's.
            forks_unwatched();
        }
    });
}
