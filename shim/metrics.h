/* The session counters both modules keep (the Rust side:
 * src/ffi/metrics.rs): shared memory, mod_status' section, the
 * session-metrics handler. */
#ifndef SCR_METRICS_H
#define SCR_METRICS_H

#include "rust_entry.h"
#include "http_config.h"

/* Registers the counters of the module `name` (mod_session_cookie_rs or
 * mod_session_crypto_rs), whose module record is `record`. */
void scr_register_metrics(apr_pool_t *p, const char *name,
                          const scr_metrics_entries *metrics,
                          const module *record);

#endif
