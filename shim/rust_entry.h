/* Entry points the Rust side exports to the C shim (src/ffi). Each one
 * catches panics and turns them into an error return. */
#ifndef SCR_RUST_ENTRY_H
#define SCR_RUST_ENTRY_H

#include <stddef.h>
#include "mod_session.h"

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

#endif
