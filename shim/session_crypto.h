/* What the C shim and the Rust side of session_crypto_module share. */
#ifndef SCR_SESSION_CRYPTO_H
#define SCR_SESSION_CRYPTO_H

#include "httpd.h"
#include "http_config.h"
#include "mod_session.h"
#include "cookie_names.h"
#include "rust_entry.h"

/* SessionCryptoStockFormat: what to do with stock mod_session_crypto's
 * format. */
typedef enum {
    SCR_STOCK_OPEN = 0, /* default: open it, seal ours */
    SCR_STOCK_SEAL = 1, /* open both, seal stock's (during a switch) */
    SCR_STOCK_OFF = 2   /* open ours only */
} scr_stock_format;

typedef struct {
    scr_keyring *keys;  /* derived keys (owned by Rust, freed with the
                         * configuration pool); NULL until
                         * SessionCryptoPassphrase(File) here */
    int keys_set;
    int cipher;         /* SessionCryptoCipher, for stock's format */
    int cipher_set;
    int stock_format;   /* scr_stock_format */
    int stock_format_set;
    int format_version; /* SessionCryptoFormatVersion: 2, 3 or 4 (0: unset, 4) */
    int format_version_set;
    apr_int64_t max_lifetime; /* SessionCryptoMaxLifetime, seconds; 0: none */
    int max_lifetime_set;
    apr_int64_t not_before;   /* SessionCryptoNotBefore, Unix seconds */
    int not_before_set;
    const char *subject_key;  /* SessionCryptoSubjectKey: the session entry
                               * naming the user; NULL: none */
    int subject_key_set;
    const char *revoke_header; /* SessionCryptoRevokeHeader; NULL: none */
    int revoke_header_set;
    const char *context;      /* SessionCryptoContext; NULL: none */
    int context_set;
} scr_crypto_dir_conf;

typedef struct {
    const char *driver; /* SessionCryptoDriver: accepted, not used */
} scr_crypto_server_conf;

/* The module record's entries (the record is in src/ffi/module_record.rs).
 * register_hooks also keeps `rust` for the directive handlers. */
extern const command_rec scr_crypto_cmds[];
void *scr_crypto_create_dir_config(apr_pool_t *p, char *dir);
void *scr_crypto_merge_dir_config(apr_pool_t *p, void *basev, void *addv);
void *scr_crypto_create_server_config(apr_pool_t *p, server_rec *s);
void scr_crypto_register_hooks(apr_pool_t *p, const scr_crypto_entries *rust);

/* The merged per-directory configuration of a request. */
const scr_crypto_dir_conf *scr_crypto_request_config(const request_rec *r);

/* The request's session_cookie_module configuration (stock's or ours, see
 * cookie_names.h), or NULL when no session_cookie_module is loaded. */
const scr_cookie_dir_conf *scr_crypto_cookie_config(const request_rec *r);

/* The module index, for logging from Rust. */
int scr_crypto_module_index(void);

/* This module's slot in a request's request_config: its state on the
 * request (rust_entry.h), NULL until the Rust side makes it. */
scr_request_state *scr_crypto_request_state(const request_rec *r);
void scr_crypto_set_request_state(request_rec *r, scr_request_state *state);

#endif
