/* Entry points the Rust side exports to the C shim (src/ffi). Each one
 * catches panics and turns them into an error return. */
#ifndef SCR_RUST_ENTRY_H
#define SCR_RUST_ENTRY_H

#include <stddef.h>
#include "mod_session.h"
#include "session_crypto.h"

/* The session_load / session_save hooks of session_cookie_module. */
apr_status_t scr_cookie_load(request_rec *r, session_rec **z);
apr_status_t scr_cookie_save(request_rec *r, session_rec *z);

/* Splits SessionCookieName's raw arguments. On success returns 0 with the
 * name at args[*name_at .. *name_at + *name_len] and the attributes from
 * args + *attrs_at on; on failure returns -1 with a NUL-terminated reason in
 * err (at most err_len bytes, truncated). */
int scr_cookie_parse_directive(const char *args, size_t *name_at,
                               size_t *name_len, size_t *attrs_at,
                               char *err, size_t err_len);

/* session_crypto_module's session_encode / session_decode hooks. */
apr_status_t scr_crypto_encode(request_rec *r, session_rec *z);
apr_status_t scr_crypto_decode(request_rec *r, session_rec *z);

/* Derives the key for secret and appends it to *ring, creating the ring
 * (owned by Rust, freed by a cleanup on pool) if *ring is NULL. Returns 0,
 * 1 with a warning in msg (a weak secret), or -1 with the reason in msg. */
int scr_crypto_add_secret(scr_keyring **ring, apr_pool_t *pool,
                          const char *secret, char *msg, size_t msg_len);

/* 0 if SessionCryptoCipher's value is supported, else -1 with the reason. */
int scr_crypto_check_cipher(const char *name, char *err, size_t err_len);

#endif
