/* The revocation store: SessionCryptoRevocationStore and
 * SessionCryptoRevocationFailMode, and the mod_socache provider behind them,
 * set up as mod_authn_socache and mod_ssl set up theirs:
 * - the provider is looked up by name when the directive is read, so a
 *   provider whose module is not loaded fails configtest;
 * - the instance is created and initialised in post_config, in the parent;
 *   children inherit it;
 * - a provider that is not safe across processes and threads (shmcb) is
 *   used under a global mutex (type "scr-revoke", so the Mutex directive
 *   can set it), re-attached in each child.
 * The instance lives in pconf, one per configuration generation: shmcb's
 * revocations do not outlive a restart, graceful or not (memcached's and
 * redis's do, being outside httpd). */
#include "revocation_store.h"

#include "apr_strings.h"
#include "ap_provider.h"
#include "ap_socache.h"
#include "http_log.h"
#include "util_mutex.h"
#include "scr_messages.h"

APLOG_USE_MODULE(session_crypto);

#define MUTEX_TYPE "scr-revoke"

/* The store of this configuration generation. The module's statics are
 * set again on every reading of the configuration (pre_config clears
 * them): a reload without the directive has no store. */
static struct {
    const char *spec;     /* provider[:args], as configured */
    const char *args;     /* what follows the provider's name, or NULL */
    const ap_socache_provider_t *provider;
    ap_socache_instance_t *instance;
    apr_global_mutex_t *mutex; /* for providers not safe across processes */
    int fail_closed;
} store;

int scr_revocation_configured(void)
{
    return store.instance != NULL;
}

const char *scr_revocation_named(void)
{
    return store.spec;
}

int scr_revocation_fail_closed(void)
{
    return store.fail_closed;
}

const char *scr_set_revocation_store(cmd_parms *cmd, void *config,
                                     const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    const char *colon = ap_strchr_c(arg, ':');
    const char *name = colon ? apr_pstrmemdup(cmd->pool, arg, colon - arg) : arg;

    (void)config;
    if (err) {
        return err;
    }
    store.provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                        AP_SOCACHE_PROVIDER_VERSION);
    if (!store.provider) {
        return apr_psprintf(cmd->pool, "%s: unknown mod_socache provider '%s': "
                            "load mod_socache_%s (a2enmod socache_%s) before "
                            "this line", cmd->cmd->name, name, name, name);
    }
    store.spec = apr_pstrdup(cmd->pool, arg);
    store.args = colon ? apr_pstrdup(cmd->pool, colon + 1) : NULL;
    return NULL;
}

const char *scr_set_revocation_fail_mode(cmd_parms *cmd, void *config,
                                         const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    (void)config;
    if (err) {
        return err;
    }
    if (!strcasecmp(arg, "open")) {
        store.fail_closed = 0;
    }
    else if (!strcasecmp(arg, "closed")) {
        store.fail_closed = 1;
    }
    else {
        return apr_pstrcat(cmd->pool, cmd->cmd->name,
                           " must be open or closed, not ", arg, NULL);
    }
    return NULL;
}

static int pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    (void)plog, (void)ptemp;
    memset(&store, 0, sizeof(store));
    return ap_mutex_register(pconf, MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0)
           == APR_SUCCESS ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

/* Creates and initialises the store's instance for this configuration
 * generation, in pconf (as mod_authn_socache and mod_ssl do): its
 * provider's module is unloaded with pconf, so nothing of it may outlive
 * it (an instance kept in the process pool across generations crashed
 * httpd at exit). */
static apr_status_t create_instance(server_rec *s, apr_pool_t *pconf,
                                    apr_pool_t *ptemp)
{
    /* Average entry: 17-byte id, 8-byte value; expired entries are swept
     * by shmcb itself. */
    static const struct ap_socache_hints hints = {17, 8, 60 * APR_USEC_PER_SEC};
    const char *err;
    apr_status_t rv;

    err = store.provider->create(&store.instance, store.args, ptemp, pconf);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     SCR_REVOCATION_STORE ": SessionCryptoRevocationStore %s: %s", store.spec, err);
        store.instance = NULL;
        return APR_EINVAL;
    }
    rv = store.provider->init(store.instance, SCR_REVOKE_NAMESPACE, &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     SCR_REVOCATION_STORE ": SessionCryptoRevocationStore %s: cannot be "
                     "initialised", store.spec);
        store.instance = NULL;
        return rv;
    }
    return APR_SUCCESS;
}

static int post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *s)
{
    (void)plog;
    if (!store.provider) {
        return OK;
    }
    if (store.provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE) {
        apr_status_t rv = ap_global_mutex_create(&store.mutex, NULL, MUTEX_TYPE,
                                                 NULL, s, pconf, 0);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                         SCR_REVOCATION_STORE ": SessionCryptoRevocationStore %s: cannot "
                         "create its mutex", store.spec);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return create_instance(s, pconf, ptemp) == APR_SUCCESS ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

static void child_init(apr_pool_t *p, server_rec *s)
{
    apr_status_t rv;

    if (!store.mutex) {
        return;
    }
    rv = apr_global_mutex_child_init(&store.mutex,
                                     apr_global_mutex_lockfile(store.mutex), p);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     SCR_REVOCATION_STORE ": SessionCryptoRevocationStore %s: cannot attach "
                     "its mutex in this child: revocations unchecked", store.spec);
        store.instance = NULL;
    }
}

/* When a store call of this process last failed. apr-util's memcache and
 * redis clients mark a server that failed dead for 5 seconds and, while no
 * server is live, answer every lookup "not found" without asking anyone:
 * the same answer as "not revoked". So a "not found" within DEAD_WINDOW of
 * a failure is taken for a failure too (fail mode decides). An answer only
 * a live server gives (an entry found, an entry written) ends the window
 * early; otherwise it ends 6 s after the last failure, by when the client
 * has retried the server: its retry either fails (a new failure) or the
 * server answers truly. */
#define DEAD_WINDOW apr_time_from_sec(6)
static apr_time_t failed_at;

static void note_failure(void)
{
    __atomic_store_n(&failed_at, apr_time_now(), __ATOMIC_RELAXED);
}

static void note_answer(void)
{
    __atomic_store_n(&failed_at, 0, __ATOMIC_RELAXED);
}

static int recently_failed(void)
{
    apr_time_t at = __atomic_load_n(&failed_at, __ATOMIC_RELAXED);

    return at && apr_time_now() - at < DEAD_WINDOW;
}

static int lock(request_rec *r)
{
    apr_status_t rv;

    if (!store.mutex) {
        return 1;
    }
    rv = apr_global_mutex_lock(store.mutex);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      SCR_REVOCATION_STORE ": revocation store mutex not taken");
        return 0;
    }
    return 1;
}

static void unlock(void)
{
    if (store.mutex) {
        apr_global_mutex_unlock(store.mutex);
    }
}

scr_store_result scr_revocation_lookup(request_rec *r, const unsigned char *id,
                                       unsigned int id_len,
                                       unsigned char value[8])
{
    unsigned char data[16];
    unsigned int len = sizeof(data);
    apr_status_t rv;

    if (!store.instance || !lock(r)) {
        return SCR_STORE_FAILED;
    }
    rv = store.provider->retrieve(store.instance, r->server, id, id_len, data,
                                  &len, r->pool);
    unlock();
    if (APR_STATUS_IS_NOTFOUND(rv) && !recently_failed()) {
        return SCR_STORE_NOT_FOUND;
    }
    if (rv != APR_SUCCESS) {
        if (!APR_STATUS_IS_NOTFOUND(rv)) {
            note_failure();
        }
        return SCR_STORE_FAILED;
    }
    note_answer();
    memset(value, 0, 8);
    if (len == 8) {
        memcpy(value, data, 8);
    }
    return SCR_STORE_FOUND;
}

int scr_revocation_write(request_rec *r, const unsigned char *id,
                                      unsigned int id_len,
                                      const unsigned char value[8],
                                      apr_int64_t seconds)
{
    unsigned char data[8];
    apr_status_t rv;

    if (!store.instance || !lock(r)) {
        return 0;
    }
    memcpy(data, value, sizeof(data));
    rv = store.provider->store(store.instance, r->server, id, id_len,
                               apr_time_now() + apr_time_from_sec(seconds),
                               data, sizeof(data), r->pool);
    unlock();
    if (rv != APR_SUCCESS) {
        note_failure();
        return 0;
    }
    note_answer();
    return 1;
}

void scr_revocation_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_pre_config(pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(child_init, NULL, NULL, APR_HOOK_MIDDLE);
}
