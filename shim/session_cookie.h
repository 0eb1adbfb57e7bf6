/* What the C shim and the Rust side of session_cookie_module share: the
 * shim's helpers for what httpd only offers as C macros. build.rs runs
 * bindgen over this file (through bindings.h). */
#ifndef SCR_SESSION_COOKIE_H
#define SCR_SESSION_COOKIE_H

#include "httpd.h"
#include "http_config.h"
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
const scr_cookie_dir_conf *scr_cookie_request_config(const request_rec *r);

/* The module index, for logging from Rust. */
int scr_cookie_module_index(void);

#endif
