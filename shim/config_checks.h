/* Configuration warnings of session_crypto_module over the whole
 * configuration (shim/config_checks.c). */
#ifndef SCR_CONFIG_CHECKS_H
#define SCR_CONFIG_CHECKS_H

#include "httpd.h"

/* Logs SCR0214-SCR0216 for the configuration just read. */
void scr_check_crypto_config(server_rec *s);

#endif
