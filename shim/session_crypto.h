/* What the C shim and the Rust side of session_crypto_module share. */
#ifndef SCR_SESSION_CRYPTO_H
#define SCR_SESSION_CRYPTO_H

#include "httpd.h"
#include "http_config.h"
#include "mod_session.h"

/* Derived keys, owned by Rust (src/ffi/session_crypto.rs); freed by a
 * cleanup on the configuration pool they were created in. */
typedef struct scr_keyring scr_keyring;

typedef struct {
    scr_keyring *keys;  /* NULL until SessionCryptoPassphrase(File) here */
    int keys_set;
    int cipher_set;     /* SessionCryptoCipher, checked when read */
} scr_crypto_dir_conf;

typedef struct {
    const char *driver; /* SessionCryptoDriver: accepted, not used */
} scr_crypto_server_conf;

/* The module record's entries (the record is in src/ffi/module_record.rs). */
extern const command_rec scr_crypto_cmds[];
void *scr_crypto_create_dir_config(apr_pool_t *p, char *dir);
void *scr_crypto_merge_dir_config(apr_pool_t *p, void *basev, void *addv);
void *scr_crypto_create_server_config(apr_pool_t *p, server_rec *s);
void scr_crypto_register_hooks(apr_pool_t *p);

/* The merged per-directory configuration of a request. */
const scr_crypto_dir_conf *scr_crypto_request_config(const request_rec *r);

/* The module index, for logging from Rust. */
int scr_crypto_module_index(void);

#endif
