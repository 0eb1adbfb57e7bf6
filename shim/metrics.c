/* The session counters, the C half (see metrics.h).
 *
 * Each module keeps its counters in an anonymous shared mapping made in
 * post_config, its address kept in the process pool: children forked from
 * the parent share it, a graceful restart finds it again, a stop and start
 * begins at zero. It is never unmapped: a worker thread still ending a
 * request while its child exits (and APR tears its pools down) counts
 * into memory that is still there. The counting itself is atomic adds in
 * Rust, with no lock on the request path.
 *
 * Each module registers itself as a provider of the group
 * "session_metrics": the session-metrics handler (registered by both, the
 * first serves) shows every loaded module's counters, and the cookie
 * module leaves counting the status words to our crypto module when it is
 * loaded (its words are the last word). */
#include "metrics.h"

#include <errno.h>
#include <sys/mman.h>

#include "apr_optional.h"
#include "apr_strings.h"
#include "ap_provider.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_status.h"

#define GROUP "session_metrics"
#define VERSION "1"
#define HANDLER "session-metrics"

/* The modules that may provide counters, in the order they are shown. */
static const char *const providers[] = {"mod_session_cookie_rs",
                                        "mod_session_crypto_rs", NULL};

static const scr_metrics_entries *metrics;
static const char *module_name;
static int counts_words;

/* Finds this module's mapping through the process pool, or makes it. */
static int post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *s)
{
    apr_pool_t *process = s->process->pool;
    const char *key = apr_pstrcat(ptemp, module_name, ":metrics:v1", NULL);
    void *base = NULL;

    (void)pconf, (void)plog;
    apr_pool_userdata_get(&base, key, process);
    if (!base) {
        /* Zeroed by the kernel. */
        base = mmap(NULL, metrics->size(), PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (base == MAP_FAILED) {
            ap_log_error(APLOG_MARK, APLOG_ERR, errno, s,
                         "SCR0400: %s: no shared memory for the session "
                         "counters: nothing is counted", module_name);
            return OK;
        }
        apr_pool_userdata_set(base, apr_pstrdup(process, key), NULL, process);
    }
    counts_words = strcmp(module_name, "mod_session_cookie_rs") != 0
                   || !ap_lookup_provider(GROUP, "mod_session_crypto_rs", VERSION);
    metrics->attach(base, counts_words);
    return OK;
}

/* Counts the request's final status word: the last request of its chain
 * of internal redirects says what became of the session. Read here, so
 * that a request without a session costs a table lookup and no call. */
static int log_transaction(request_rec *r)
{
    const char *word;

    if (!counts_words) {
        return DECLINED;
    }
    while (r->next) {
        r = r->next;
    }
    word = apr_table_get(r->subprocess_env, "SESSION_COOKIE_STATUS");
    if (word) {
        metrics->count_word(word);
    }
    return DECLINED;
}

/* SetHandler session-metrics: every loaded module's counters in
 * Prometheus' text exposition format. */
static int handler(request_rec *r)
{
    const char *h = r->handler;
    int i;

    /* Every request passes here: most handler names differ at once. */
    if (!h || h[0] != HANDLER[0] || strcmp(h, HANDLER)) {
        return DECLINED;
    }
    r->allowed |= (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (r->header_only) {
        return OK;
    }
    for (i = 0; providers[i]; i++) {
        const scr_metrics_entries *m =
            ap_lookup_provider(GROUP, providers[i], VERSION);
        if (m) {
            ap_rputs(m->render(r, 0), r);
        }
    }
    return OK;
}

/* mod_status: this module's section, HTML or ?auto. */
static int status_hook(request_rec *r, int flags)
{
    ap_rputs(metrics->render(r, (flags & AP_STATUS_SHORT) ? 2 : 1), r);
    return OK;
}

void scr_register_metrics(apr_pool_t *p, const char *name,
                          const scr_metrics_entries *entries)
{
    int first = 1;
    int i;

    metrics = entries;
    module_name = name;
    for (i = 0; providers[i]; i++) {
        first = first && !ap_lookup_provider(GROUP, providers[i], VERSION);
    }
    ap_register_provider(p, GROUP, name, VERSION, entries);
    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_log_transaction(log_transaction, NULL, NULL, APR_HOOK_MIDDLE);
    /* One handler serves every loaded module's counters: the first of our
     * modules to load registers it (a hook each request passes). */
    if (first) {
        ap_hook_handler(handler, NULL, NULL, APR_HOOK_MIDDLE);
    }
    APR_OPTIONAL_HOOK(ap, status_hook, status_hook, NULL, NULL, APR_HOOK_MIDDLE);
}
