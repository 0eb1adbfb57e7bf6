/* The revocation store of session_crypto_module: one of httpd's mod_socache
 * providers (shmcb, memcache, redis, ...), set up as mod_authn_socache sets
 * up its cache. It holds revoked session ids and subjects, never session
 * data (src/revoke/mod.rs says what an entry is). */
#ifndef SCR_REVOCATION_STORE_H
#define SCR_REVOCATION_STORE_H

#include "httpd.h"
#include "http_config.h"

/* mod_socache's namespace for our entries: memcache and redis keys are
 * this, a colon and the entry in hex (src/revoke/mod.rs: STORE_NAMESPACE). */
#define SCR_REVOKE_NAMESPACE "scr-revoke"

/* What a store call gives. */
typedef enum {
    SCR_STORE_NOT_FOUND = 0, /* no such entry: not revoked */
    SCR_STORE_FOUND = 1,     /* the entry, with its value */
    SCR_STORE_FAILED = 2     /* the store did not answer (down, timeout) */
} scr_store_result;

/* Whether the store of SessionCryptoRevocationStore is ready (from
 * post_config on). */
int scr_revocation_configured(void);

/* SessionCryptoRevocationStore's argument, once the directive is read;
 * NULL without one. */
const char *scr_revocation_named(void);

/* Whether SessionCryptoRevocationFailMode is closed. */
int scr_revocation_fail_closed(void);

/* Looks up entry id; on SCR_STORE_FOUND its 8-byte value is in *value
 * (big endian as stored; a value of another length reads as 0). */
scr_store_result scr_revocation_lookup(request_rec *r, const unsigned char *id,
                                       unsigned int id_len,
                                       unsigned char value[8]);

/* Writes entry id with its 8-byte value, to expire in `seconds`: 1 when
 * written, 0 when the store did not take it. */
int scr_revocation_write(request_rec *r, const unsigned char *id,
                                      unsigned int id_len,
                                      const unsigned char value[8],
                                      apr_int64_t seconds);

/* The directives (server config only). */
const char *scr_set_revocation_store(cmd_parms *cmd, void *config,
                                     const char *arg);
const char *scr_set_revocation_fail_mode(cmd_parms *cmd, void *config,
                                         const char *arg);

/* pre_config, post_config and child_init of the store. */
void scr_revocation_register_hooks(apr_pool_t *p);

#endif
