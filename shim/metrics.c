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
 * Each module registers itself (its Rust entries and its module record) as
 * a provider of the group "session_metrics". The first of our modules to
 * register hooks the two calls every request passes, once for both: the
 * session-metrics handler, which shows every loaded module's counters, and
 * log_transaction, which counts the request's final status word. That word
 * is read from the modules' own request state (scr_request_state), not
 * from the environment: our crypto module's if it set one (it knows
 * more), else our cookie module's. It is counted by our crypto module when
 * it is loaded, else by our cookie module. */
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
#include "scr_messages.h"

#define GROUP "session_metrics"
#define VERSION "1"
#define HANDLER "session-metrics"

/* The modules that may provide counters, in the order they are shown. */
static const char *const providers[] = {"mod_session_cookie_rs",
                                        "mod_session_crypto_rs", NULL};

/* What a module registers in the provider group. */
typedef struct {
    const scr_metrics_entries *entries;
    const module *record;
} provider;

/* This module's. */
static const scr_metrics_entries *metrics;
static const char *module_name;

/* Set in post_config for the hooks of the first module to register (the
 * only one whose log_transaction is hooked): the modules whose words are
 * read, the one that says more first, and the one that counts them. */
static const provider *word_sources[2];
static const scr_metrics_entries *word_counter;

/* Finds this module's mapping through the process pool, or makes it. */
static int post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *s)
{
    apr_pool_t *process = s->process->pool;
    const char *key = apr_pstrcat(ptemp, module_name, ":metrics:v1", NULL);
    void *base = NULL;
    const provider *cookie = ap_lookup_provider(GROUP, "mod_session_cookie_rs", VERSION);
    const provider *crypto = ap_lookup_provider(GROUP, "mod_session_crypto_rs", VERSION);
    int counts_words;

    (void)pconf, (void)plog;
    apr_pool_userdata_get(&base, key, process);
    if (!base) {
        /* Zeroed by the kernel. */
        base = mmap(NULL, metrics->size(), PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (base == MAP_FAILED) {
            ap_log_error(APLOG_MARK, APLOG_ERR, errno, s,
                         SCR_NO_COUNTER_MEMORY ": %s: no shared memory for the session "
                         "counters: nothing is counted", module_name);
            return OK;
        }
        apr_pool_userdata_set(base, apr_pstrdup(process, key), NULL, process);
    }
    counts_words = strcmp(module_name, "mod_session_cookie_rs") != 0 || !crypto;
    metrics->attach(base, counts_words);
    word_sources[0] = crypto ? crypto : cookie;
    word_sources[1] = crypto ? cookie : NULL;
    word_counter = word_sources[0]->entries;
    return OK;
}

/* Counts the request's final status word: the last request of its chain
 * of internal redirects says what became of the session. A few loads and
 * one call, for the cost of counting to stay small beside a request's. */
static int log_transaction(request_rec *r)
{
    int i, word = -1;

    while (r->next) {
        r = r->next;
    }
    for (i = 0; i < 2 && word < 0 && word_sources[i]; i++) {
        const scr_request_state *state =
            ap_get_module_config(r->request_config, word_sources[i]->record);
        if (state) {
            word = state->word;
        }
    }
    if (word >= 0) {
        word_counter->count_word(word);
    }
    return DECLINED;
}

/* SetHandler session-metrics: every loaded module's counters in
 * Prometheus' text exposition format. Out of line: the hook every request
 * passes (handler below) stays a few instructions. */
static int __attribute__((noinline)) serve_metrics(request_rec *r)
{
    int i;

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
        const provider *m = ap_lookup_provider(GROUP, providers[i], VERSION);
        if (m) {
            ap_rputs(m->entries->render(r, 0), r);
        }
    }
    return OK;
}

static int handler(request_rec *r)
{
    const char *h = r->handler;

    /* Most handler names differ at once. */
    if (!h || h[0] != HANDLER[0] || strcmp(h, HANDLER)) {
        return DECLINED;
    }
    return serve_metrics(r);
}

/* mod_status: this module's section, HTML or ?auto. */
static int status_hook(request_rec *r, int flags)
{
    ap_rputs(metrics->render(r, (flags & AP_STATUS_SHORT) ? 2 : 1), r);
    return OK;
}

void scr_register_metrics(apr_pool_t *p, const char *name,
                          const scr_metrics_entries *entries,
                          const module *record)
{
    provider *me = apr_palloc(p, sizeof(*me));
    int first = 1;
    int i;

    metrics = entries;
    module_name = name;
    for (i = 0; providers[i]; i++) {
        first = first && !ap_lookup_provider(GROUP, providers[i], VERSION);
    }
    me->entries = entries;
    me->record = record;
    ap_register_provider(p, GROUP, name, VERSION, me);
    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_MIDDLE);
    if (first) {
        ap_hook_handler(handler, NULL, NULL, APR_HOOK_MIDDLE);
        ap_hook_log_transaction(log_transaction, NULL, NULL, APR_HOOK_MIDDLE);
    }
    APR_OPTIONAL_HOOK(ap, status_hook, status_hook, NULL, NULL, APR_HOOK_MIDDLE);
}
