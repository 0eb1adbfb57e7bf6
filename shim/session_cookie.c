/* session_cookie_module, the C half: the command table, per-directory
 * configuration and hook registration, written against httpd's C macros.
 * Everything that reads or writes cookies is in Rust (src/ffi, src/cookie).
 *
 * The module record itself (`session_cookie_module`) is defined in Rust
 * (src/ffi/module_record.rs): a Rust cdylib exports only Rust symbols, and
 * httpd looks the record up by name with dlsym. It is the only symbol this
 * .so exports. */
#include "session_cookie.h" /* first: httpd.h before any other httpd header */

#include "apr_strings.h"
#include "log.h"
#include "metrics.h"
#include "session_text.h"
#include "http_log.h"
#include "http_core.h"
#include "http_protocol.h"

APLOG_USE_MODULE(session_cookie);

/* The Rust side's entry points, handed over by register_hooks. */
static const scr_cookie_entries *rust;

/* Whether a configuration warning of this module was logged at runtime
 * (from .htaccess) in this process: see scr_config_warning_due. */
static int warned_at_runtime;

void *scr_cookie_create_dir_config(apr_pool_t *p, char *dir)
{
    scr_cookie_conf *conf = apr_pcalloc(p, sizeof(*conf));

    (void)dir;
    conf->maxage = 1; /* SessionCookieMaxAge On, as on httpd trunk */
    return conf;
}

/* A directory inherits each setting its parent has, unless it sets its own:
 * the same merge as stock mod_session_cookie. */
void *scr_cookie_merge_dir_config(apr_pool_t *p, void *basev, void *addv)
{
    const scr_cookie_conf *basec = basev, *addc = addv;
    const scr_cookie_dir_conf *base = &basec->stock, *add = &addc->stock;
    scr_cookie_conf *mergedc = apr_palloc(p, sizeof(*mergedc));
    scr_cookie_dir_conf *merged = &mergedc->stock;

    if (add->name_set) {
        merged->name = add->name;
        merged->name_attrs = add->name_attrs;
    }
    else {
        merged->name = base->name;
        merged->name_attrs = base->name_attrs;
    }
    merged->name_set = add->name_set || base->name_set;
    if (add->name2_set) {
        merged->name2 = add->name2;
        merged->name2_attrs = add->name2_attrs;
    }
    else {
        merged->name2 = base->name2;
        merged->name2_attrs = base->name2_attrs;
    }
    merged->name2_set = add->name2_set || base->name2_set;
    merged->remove = add->remove_set ? add->remove : base->remove;
    merged->remove_set = add->remove_set || base->remove_set;
    mergedc->maxage = addc->maxage_set ? addc->maxage : basec->maxage;
    mergedc->maxage_set = addc->maxage_set || basec->maxage_set;
    mergedc->chunk_size = addc->chunk_size_set ? addc->chunk_size : basec->chunk_size;
    mergedc->chunk_size_set = addc->chunk_size_set || basec->chunk_size_set;
    return mergedc;
}

/* "Directive (file:line)", for the warnings' text. */
static const char *where(cmd_parms *cmd)
{
    return apr_psprintf(cmd->temp_pool, "%s (%s:%d)", cmd->cmd->name,
                        cmd->directive->filename, cmd->directive->line_num);
}

/* Logs each '\n'-terminated line of lines as a warning. */
static void log_warnings(cmd_parms *cmd, char *lines)
{
    char *line, *last;

    for (line = apr_strtok(lines, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server, "%s", line);
    }
}

/* SessionCookieName / SessionCookieName2 name [attributes]: cmd->info
 * tells which (NULL: the first). */
static const char *set_cookie(cmd_parms *cmd, void *config, const char *args)
{
    scr_cookie_dir_conf *conf = &((scr_cookie_conf *)config)->stock;
    size_t name_at, name_len, attrs_at;
    const char *name, *attrs;
    char err[256];

    if (rust->parse_directive(args, &name_at, &name_len, &attrs_at, err,
                              sizeof(err)) != SCR_DONE) {
        return apr_pstrcat(cmd->pool, cmd->directive->directive, ": ", err,
                           NULL);
    }
    name = apr_pstrmemdup(cmd->pool, args + name_at, name_len);
    attrs = apr_pstrdup(cmd->pool, args + attrs_at);
    if (scr_config_warning_due(&warned_at_runtime)) {
        char warnings[2048];

        if (rust->check_cookie(name, attrs, where(cmd), warnings,
                               sizeof(warnings)) > 0) {
            log_warnings(cmd, warnings);
        }
    }
    if (cmd->info) {
        conf->name2 = name;
        conf->name2_attrs = attrs;
        conf->name2_set = 1;
    }
    else {
        conf->name = name;
        conf->name_attrs = attrs;
        conf->name_set = 1;
    }
    return NULL;
}

static const char *set_remove(cmd_parms *cmd, void *config, int flag)
{
    scr_cookie_dir_conf *conf = &((scr_cookie_conf *)config)->stock;

    (void)cmd;
    conf->remove = flag;
    conf->remove_set = 1;
    return NULL;
}

/* SessionCookieMaxAge On|Off, as on httpd trunk. */
static const char *set_maxage(cmd_parms *cmd, void *config, int flag)
{
    scr_cookie_conf *conf = config;

    (void)cmd;
    conf->maxage = flag;
    conf->maxage_set = 1;
    return NULL;
}

/* SessionCookieChunkSize bytes|Off. */
static const char *set_chunk_size(cmd_parms *cmd, void *config, const char *arg)
{
    scr_cookie_conf *conf = config;
    char msg[512];
    int size;
    scr_result rv = rust->parse_chunk_size(arg, where(cmd), &size, msg, sizeof(msg));

    if (rv == SCR_FAILED) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", msg, NULL);
    }
    if (rv == SCR_WARNED && scr_config_warning_due(&warned_at_runtime)) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server, "%s", msg);
    }
    conf->chunk_size = size;
    conf->chunk_size_set = 1;
    return NULL;
}

/* Same names, argument kinds and contexts as stock: server config, virtual
 * host, <Directory>/<Location> and .htaccess under AllowOverride AuthConfig;
 * ours (SessionCookieChunkSize) and trunk's (SessionCookieMaxAge) in the
 * same contexts. */
const command_rec scr_cookie_cmds[] = {
    AP_INIT_RAW_ARGS("SessionCookieName", set_cookie, NULL,
                     RSRC_CONF | OR_AUTHCFG,
                     "The name of the RFC2109 cookie carrying the session"),
    AP_INIT_RAW_ARGS("SessionCookieName2", set_cookie, (void *)"2",
                     RSRC_CONF | OR_AUTHCFG,
                     "The name of the RFC2965 cookie carrying the session"),
    AP_INIT_FLAG("SessionCookieRemove", set_remove, NULL,
                 RSRC_CONF | OR_AUTHCFG,
                 "Set to 'On' to remove the session cookie from the headers "
                 "and hide the cookie from a backend server or process"),
    AP_INIT_FLAG("SessionCookieMaxAge", set_maxage, NULL,
                 RSRC_CONF | OR_AUTHCFG,
                 "Set to 'Off' to leave Max-Age off the session cookie (the "
                 "browser keeps it until it closes; SessionMaxAge still applies)"),
    AP_INIT_TAKE1("SessionCookieChunkSize", set_chunk_size, NULL,
                  RSRC_CONF | OR_AUTHCFG,
                  "Split a session cookie whose Set-Cookie line is longer than "
                  "this many bytes (512 or more) over several cookies; 'Off' "
                  "(the default) never splits"),
    {NULL}
};

void scr_cookie_register_hooks(apr_pool_t *p, const scr_cookie_entries *entries)
{
    rust = entries;
    ap_hook_session_load(rust->load, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_session_save(rust->save, NULL, NULL, APR_HOOK_MIDDLE);
    scr_register_text_hooks(&rust->text);
    scr_register_metrics(p, "mod_session_cookie_rs", &rust->metrics,
                         &session_cookie_module);
}

const scr_cookie_conf *scr_cookie_request_config(const request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &session_cookie_module);
}

int scr_cookie_module_index(void)
{
    return session_cookie_module.module_index;
}

scr_request_state *scr_cookie_request_state(const request_rec *r)
{
    return ap_get_module_config(r->request_config, &session_cookie_module);
}

void scr_cookie_set_request_state(request_rec *r, scr_request_state *state)
{
    ap_set_module_config(r->request_config, &session_cookie_module, state);
}

int scr_cookie_limit_req_fieldsize(const request_rec *r)
{
    return r->server->limit_req_fieldsize;
}

const char *scr_cookie_http_scheme(const request_rec *r)
{
    return ap_run_http_scheme(r);
}
