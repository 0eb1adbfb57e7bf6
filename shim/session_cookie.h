/* What the C shim and the Rust side of session_cookie_module share: the
 * shim's helpers for what httpd only offers as C macros. build.rs runs
 * bindgen over this file (through bindings.h). */
#ifndef SCR_SESSION_COOKIE_H
#define SCR_SESSION_COOKIE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "mod_session.h"
#include "cookie_names.h"
#include "rust_entry.h"

/* The module record's entries (the record is in src/ffi/module_record.rs).
 * register_hooks also keeps `rust` for the directive handlers. */
extern const command_rec scr_cookie_cmds[];
void *scr_cookie_create_dir_config(apr_pool_t *p, char *dir);
void *scr_cookie_merge_dir_config(apr_pool_t *p, void *basev, void *addv);
void scr_cookie_register_hooks(apr_pool_t *p, const scr_cookie_entries *rust);

/* The merged per-directory configuration of a request. */
const scr_cookie_conf *scr_cookie_request_config(const request_rec *r);

/* The module index, for logging from Rust. */
int scr_cookie_module_index(void);

/* This module's slot in a request's request_config: its state on the
 * request (rust_entry.h), NULL until the Rust side makes it. */
scr_request_state *scr_cookie_request_state(const request_rec *r);
void scr_cookie_set_request_state(request_rec *r, scr_request_state *state);

/* LimitRequestFieldSize of the request's server (r->server is opaque to
 * the Rust side). */
int scr_cookie_limit_req_fieldsize(const request_rec *r);

/* The request's scheme as httpd sees it (ap_http_scheme, a hook-based
 * macro): "https" on a TLS connection of mod_ssl, "http" on plain HTTP,
 * NULL when no module answers (ServerName https://... without TLS here,
 * e.g. behind a TLS-terminating proxy). */
const char *scr_cookie_http_scheme(const request_rec *r);

/* Log levels the Rust side needs beyond those build.rs has bindgen
 * generate; the values come from http_log.h. */
typedef enum {
    SCR_COOKIE_APLOG_NOTICE = APLOG_NOTICE
} scr_cookie_log_level;

#endif
