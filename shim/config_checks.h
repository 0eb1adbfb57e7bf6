/* Configuration warnings of session_crypto_module over the whole
 * configuration (shim/config_checks.c). */
#ifndef SCR_CONFIG_CHECKS_H
#define SCR_CONFIG_CHECKS_H

#include "httpd.h"

/* Logs SCR0214-SCR0218 for the configuration just read; count_file
 * gives the number of secrets in a SessionCryptoPassphraseFile (-1 when
 * it cannot be read), allocating from pool. */
void scr_check_crypto_config(server_rec *s, apr_pool_t *pool,
                             int (*count_file)(apr_pool_t *pool,
                                               const char *path));

#endif
