/* What the C shim and the Rust side of session_cookie_module share: the
 * per-directory configuration and the shim's helpers for what httpd only
 * offers as C macros. build.rs runs bindgen over this file. */
#ifndef SCR_SESSION_COOKIE_H
#define SCR_SESSION_COOKIE_H

#include "httpd.h"
#include "apr_strings.h"
#include "http_config.h"
#include "http_log.h"
#include "mod_session.h"

/* One configured cookie: SessionCookieName or SessionCookieName2. */
typedef struct {
    const char *name;   /* NULL until set */
    const char *attrs;  /* written verbatim; "" when none were given */
    int set;            /* set in this directory or inherited */
} scr_cookie_slot;

typedef struct {
    scr_cookie_slot cookie;   /* SessionCookieName: Set-Cookie (RFC 2109) */
    scr_cookie_slot cookie2;  /* SessionCookieName2: Set-Cookie2 (RFC 2965) */
    int remove;               /* SessionCookieRemove */
    int remove_set;
} scr_cookie_dir_conf;

/* The module record's entries (the record is in src/ffi/module_record.rs). */
extern const command_rec scr_cookie_cmds[];
void *scr_cookie_create_dir_config(apr_pool_t *p, char *dir);
void *scr_cookie_merge_dir_config(apr_pool_t *p, void *basev, void *addv);
void scr_cookie_register_hooks(apr_pool_t *p);

/* The merged per-directory configuration of a request; NULL when
 * session_cookie_module is not loaded from this .so (session_crypto_module
 * asks, to bind sealed values to the cookie name). */
const scr_cookie_dir_conf *scr_cookie_request_config(const request_rec *r);

/* The module index, for logging from Rust. */
int scr_cookie_module_index(void);

#endif
