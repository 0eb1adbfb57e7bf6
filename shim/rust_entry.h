/* The Rust side's entry points, as the C shim calls them.
 *
 * Rust hands each module's table to the shim when httpd registers the
 * module's hooks (before any of its directives is read). Nothing is
 * exported by name: httpd loads modules with RTLD_GLOBAL, and each .so
 * exports its module record only. bindgen turns these typedefs into the
 * Rust types the tables are built from, so a Rust function whose signature
 * drifts from its prototype here fails to compile (src/ffi/entries.rs).
 * Each function catches panics and turns them into an error return. */
#ifndef SCR_RUST_ENTRY_H
#define SCR_RUST_ENTRY_H

#include <stddef.h>
#include "httpd.h"
#include "mod_session.h"

typedef struct scr_keyring scr_keyring;

typedef struct {
    /* mod_session's session_load / session_save hooks. */
    apr_status_t (*load)(request_rec *r, session_rec **z);
    apr_status_t (*save)(request_rec *r, session_rec *z);
    /* Splits SessionCookieName's raw arguments. On success returns 0 with
     * the name at args[*name_at .. *name_at + *name_len] and the attributes
     * from args + *attrs_at on; on failure returns -1 with a NUL-terminated
     * reason in err (at most err_len bytes, truncated). */
    int (*parse_directive)(const char *args, size_t *name_at, size_t *name_len,
                           size_t *attrs_at, char *err, size_t err_len);
} scr_cookie_entries;

typedef struct {
    /* mod_session's session_encode / session_decode hooks. */
    apr_status_t (*encode)(request_rec *r, session_rec *z);
    apr_status_t (*decode)(request_rec *r, session_rec *z);
    /* Derives the keys for secret and appends them to *ring, creating the
     * ring (owned by Rust, freed by a cleanup on pool) if *ring is NULL.
     * Returns 0, 1 with a warning in msg (a weak secret), or -1 with the
     * reason in msg. */
    int (*add_secret)(scr_keyring **ring, apr_pool_t *pool, const char *secret,
                      char *msg, size_t msg_len);
    /* SessionCryptoCipher: 0 and the cipher's number in *cipher if name is
     * one stock's openssl driver offers, else -1 with the reason in err. */
    int (*parse_cipher)(const char *name, int *cipher, char *err, size_t err_len);
} scr_crypto_entries;

#endif
