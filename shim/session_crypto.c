/* session_crypto_module, the C half: directives, per-directory and server
 * configuration, hook registration. Keys are derived and values sealed and
 * opened in Rust (src/ffi/session_crypto.rs, src/seal).
 *
 * The module record (`session_crypto_module`) is defined in Rust
 * (src/ffi/module_record.rs) and is the only symbol this .so exports. */
#include "session_crypto.h" /* first: httpd.h before any other httpd header */

#include <errno.h>

#include "apr_lib.h"
#include "apr_strings.h"
#include "config_checks.h"
#include "log.h"
#include "revocation_store.h"
#include "metrics.h"
#include "session_text.h"
#include "http_log.h"
#include "http_main.h"
#include "http_core.h"
#include "util_script.h"
#include "util_filter.h"
#include "http_protocol.h"
#include "http_request.h"
#include "scr_messages.h"

APLOG_USE_MODULE(session_crypto);

/* The Rust side's entry points, handed over by register_hooks. */
static const scr_crypto_entries *rust;

/* Whether a configuration warning of this module was logged at runtime
 * (from .htaccess) in this process: see scr_config_warning_due. */
static int warned_at_runtime;

/* The session_cookie_module httpd loaded (stock's or ours), if any; found
 * in post_config, when every LoadModule has been read. */
static module *cookie_module;

void *scr_crypto_create_dir_config(apr_pool_t *p, char *dir)
{
    (void)dir;
    return apr_pcalloc(p, sizeof(scr_crypto_dir_conf));
}

/* As stock: each setting a directory does not set is its parent's; a
 * directory that sets its own secrets replaces its parent's. */
void *scr_crypto_merge_dir_config(apr_pool_t *p, void *basev, void *addv)
{
    const scr_crypto_dir_conf *base = basev, *add = addv;
    scr_crypto_dir_conf *merged = apr_palloc(p, sizeof(*merged));

    merged->keys = add->keys_set ? add->keys : base->keys;
    merged->keys_set = add->keys_set || base->keys_set;
    merged->cipher = add->cipher_set ? add->cipher : base->cipher;
    merged->cipher_set = add->cipher_set || base->cipher_set;
    merged->stock_format = add->stock_format_set ? add->stock_format
                                                 : base->stock_format;
    merged->stock_format_set = add->stock_format_set || base->stock_format_set;
    merged->format_version = add->format_version_set ? add->format_version
                                                     : base->format_version;
    merged->format_version_set = add->format_version_set || base->format_version_set;
    merged->max_lifetime = add->max_lifetime_set ? add->max_lifetime
                                                 : base->max_lifetime;
    merged->max_lifetime_set = add->max_lifetime_set || base->max_lifetime_set;
    merged->not_before = add->not_before_set ? add->not_before : base->not_before;
    merged->not_before_set = add->not_before_set || base->not_before_set;
    merged->subject_key = add->subject_key_set ? add->subject_key : base->subject_key;
    merged->subject_key_set = add->subject_key_set || base->subject_key_set;
    merged->revoke_header = add->revoke_header_set ? add->revoke_header
                                                   : base->revoke_header;
    merged->revoke_header_set = add->revoke_header_set || base->revoke_header_set;
    merged->context = add->context_set ? add->context : base->context;
    merged->context_set = add->context_set || base->context_set;
    return merged;
}

void *scr_crypto_create_server_config(apr_pool_t *p, server_rec *s)
{
    (void)s;
    return apr_pcalloc(p, sizeof(scr_crypto_server_conf));
}

/* Whether this context itself says SessionCryptoStockFormat Off: its
 * secrets then keep nothing for stock's format (issue 20, finding 7). */
static int stock_off(const scr_crypto_dir_conf *conf)
{
    return conf->stock_format_set && conf->stock_format == SCR_STOCK_OFF;
}

/* Derives the keys for one secret into the directory's keyring. */
static const char *add_secret(cmd_parms *cmd, scr_crypto_dir_conf *conf,
                              const char *secret)
{
    char msg[256];
    char key_id[9] = "";
    long stretch_ms;
    /* .htaccess is read in a running child: threads share its process
     * pool, so the cache there is only read (a cache of the child's own
     * takes what it derives). */
    int runtime = ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_RUN_MPM;
    int stock = !stock_off(conf);
    scr_result rv = rust->add_secret(&conf->keys, cmd->pool,
                                     cmd->server->process->pool, runtime, stock,
                                     secret, &stretch_ms, key_id, msg, sizeof(msg));

    if (rv == SCR_FAILED) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, msg);
    }
    conf->keys_set = 1;
    if (stretch_ms >= 0) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, cmd->server,
                     SCR_SECRET_STRETCHED ": %s (%s:%d): secret (key id %s) stretched with "
                     "Argon2id in %ld ms, once per process", cmd->cmd->name,
                     cmd->directive->filename, cmd->directive->line_num,
                     key_id, stretch_ms);
    }
    if (rv == SCR_WARNED && scr_config_warning_due(&warned_at_runtime)) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                     SCR_SECRET_WARNED ": %s (%s:%d): %s", cmd->cmd->name,
                     cmd->directive->filename, cmd->directive->line_num, msg);
    }
    return NULL;
}

/* A secret as given, or for `exec:program [args]` the first line the
 * program prints, as stock does (in the directive and in the file alike). */
static const char *add_secret_or_exec(cmd_parms *cmd, scr_crypto_dir_conf *conf,
                                      const char *arg)
{
    char **argv;
    char *printed;
    const char *err;
    const char *secret = arg;

    if (strncmp(arg, "exec:", 5) == 0 && arg[5]) {
        /* A program run as the server's user, on every request that reads
         * the file: the main configuration's to decide, never a tenant's
         * (AllowOverride AuthConfig). */
        if (ap_check_cmd_context(cmd, NOT_IN_HTACCESS)) {
            return apr_pstrcat(cmd->pool, cmd->cmd->name, ": exec: is not "
                               "allowed in .htaccess (it would run a program "
                               "as the server's user on every request): give "
                               "the secret itself, or set it in the main "
                               "configuration", NULL);
        }
        if (apr_tokenize_to_argv(arg + 5, &argv, cmd->temp_pool) != APR_SUCCESS) {
            return apr_pstrcat(cmd->pool, cmd->cmd->name,
                               ": unable to parse exec arguments from ",
                               arg + 5, NULL);
        }
        argv[0] = ap_server_root_relative(cmd->temp_pool, argv[0]);
        if (!argv[0]) {
            return apr_pstrcat(cmd->pool, cmd->cmd->name,
                               ": invalid exec location: ", arg + 5, NULL);
        }
        printed = ap_get_exec_line(cmd->pool, argv[0],
                                   (const char *const *)argv);
        if (!printed) {
            return apr_pstrcat(cmd->pool, cmd->cmd->name,
                               ": no secret from exec of ", arg + 5, NULL);
        }
        /* The keyring has what it needs: no copy of the program's secret
         * is left in the configuration pool (or a core dump). */
        err = add_secret(cmd, conf, printed);
        memset(printed, 0, strlen(printed));
        return err;
    }
    return add_secret(cmd, conf, secret);
}

/* SessionCryptoPassphrase secret|exec:program [args] ... */
static const char *set_passphrase(cmd_parms *cmd, void *config, const char *arg)
{
    return add_secret_or_exec(cmd, config, arg);
}

/* What set_passphrase_file's callback needs. */
typedef struct {
    cmd_parms *cmd;
    scr_crypto_dir_conf *conf;
} passfile_ctx;

/* One secret of the file, or its exec: command line (run as the directive's
 * own exec: is). */
static const char *passfile_entry(void *ctx, int is_exec, const char *value)
{
    passfile_ctx *pf = ctx;

    if (is_exec) {
        return add_secret_or_exec(pf->cmd, pf->conf,
                                  apr_pstrcat(pf->cmd->temp_pool, "exec:", value, NULL));
    }
    return add_secret(pf->cmd, pf->conf, value);
}

/* The most a passphrase file may hold: secrets, not data. */
#define PASSFILE_MAX (1024 * 1024)

/* Reads a passphrase file whole into *text (*len bytes) from pool; NULL,
 * or why not. */
static const char *read_passfile(apr_pool_t *pool, const char *path,
                                 char **text, apr_size_t *len)
{
    apr_finfo_t info;
    apr_file_t *file;
    apr_status_t rv;

    rv = apr_file_open(&file, path, APR_FOPEN_READ, APR_OS_DEFAULT, pool);
    if (rv == APR_SUCCESS) {
        rv = apr_file_info_get(&info, APR_FINFO_SIZE, file);
        if (rv == APR_SUCCESS && info.size > PASSFILE_MAX) {
            apr_file_close(file);
            return apr_psprintf(pool, "%s holds more than %d bytes", path,
                                PASSFILE_MAX);
        }
    }
    if (rv != APR_SUCCESS) {
        return apr_psprintf(pool, "Could not open file %s: %pm", path, &rv);
    }
    *len = (apr_size_t)info.size;
    *text = apr_palloc(pool, *len + 1);
    rv = apr_file_read_full(file, *text, *len, len);
    apr_file_close(file);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        return apr_psprintf(pool, "%s cannot be read: %pm", path, &rv);
    }
    return NULL;
}

/* SessionCryptoPassphraseFile path: one secret per line, as the directive
 * is documented (stock's code split lines into words, so a secret with a
 * space became several weak ones). The file's lines are read by the Rust
 * core (src/seal/passfile.rs), the admin CLI's reader too, so that both
 * take the same secrets from the same file: httpd's line rules (a
 * backslash at the end goes on on the next line), blank lines and '#'
 * comments skipped, an unquoted line taken whole, a quoted secret that may
 * be followed by a '#' comment, `exec:program [args]`. A line too long to
 * read fails the configuration rather than silently dropping secrets. */
static const char *set_passphrase_file(cmd_parms *cmd, void *config,
                                       const char *filename)
{
    const char *path = ap_server_root_relative(cmd->temp_pool, filename);
    passfile_ctx ctx = {cmd, config};
    const char *failed = NULL;
    const char *err;
    char reason[256];
    apr_size_t len;
    char *text;
    scr_result parsed;

    if (!path) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": invalid path ",
                           filename, NULL);
    }
    err = read_passfile(cmd->temp_pool, path, &text, &len);
    if (err) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", err, NULL);
    }
    parsed = rust->parse_passfile(text, len, passfile_entry, &ctx, &failed,
                                  reason, sizeof(reason));
    /* The secrets are in the keyring now, and nowhere else of ours. */
    memset(text, 0, len);
    if (parsed == SCR_FAILED) {
        return apr_psprintf(cmd->pool, "%s: %s %s", cmd->cmd->name, path, reason);
    }
    return failed;
}

/* Counts the entries passfile_count is handed. */
static const char *count_entry(void *ctx, int is_exec, const char *value)
{
    (void)is_exec, (void)value;
    ++*(int *)ctx;
    return NULL;
}

/* The number of secrets a passphrase file holds (for config_checks.c);
 * -1 if it cannot be read. */
static int passfile_count(apr_pool_t *pool, const char *filename)
{
    const char *path = ap_server_root_relative(pool, filename);
    const char *failed = NULL;
    char reason[256];
    apr_size_t len;
    char *text;
    int count = 0;

    if (!path || read_passfile(pool, path, &text, &len)) {
        return -1;
    }
    if (rust->parse_passfile(text, len, count_entry, &count, &failed, reason,
                             sizeof(reason)) == SCR_FAILED) {
        count = -1;
    }
    memset(text, 0, len);
    return count;
}

static const char *set_cipher(cmd_parms *cmd, void *config, const char *name)
{
    scr_crypto_dir_conf *conf = config;
    char err[256];

    if (rust->parse_cipher(name, &conf->cipher, err, sizeof(err)) != SCR_DONE) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", err, NULL);
    }
    conf->cipher_set = 1;
    return NULL;
}

static const char *set_stock_format(cmd_parms *cmd, void *config,
                                    const char *arg)
{
    scr_crypto_dir_conf *conf = config;

    if (stock_off(conf) && conf->keys && strcasecmp(arg, "Off")) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, " ", arg, ": this context "
                           "said Off, and its secrets dropped what stock's "
                           "format needs: set it once", NULL);
    }
    if (!strcasecmp(arg, "Open")) {
        conf->stock_format = SCR_STOCK_OPEN;
    }
    else if (!strcasecmp(arg, "Seal")) {
        conf->stock_format = SCR_STOCK_SEAL;
    }
    else if (!strcasecmp(arg, "Off")) {
        conf->stock_format = SCR_STOCK_OFF;
    }
    else {
        return apr_pstrcat(cmd->pool, cmd->cmd->name,
                           " must be Off, Open or Seal, not ", arg, NULL);
    }
    conf->stock_format_set = 1;
    if (stock_off(conf) && conf->keys) {
        rust->drop_stock_keys(conf->keys);
    }
    return NULL;
}

static const char *set_format_version(cmd_parms *cmd, void *config,
                                      const char *arg)
{
    scr_crypto_dir_conf *conf = config;

    if (!strcmp(arg, "2")) {
        conf->format_version = 2;
    }
    else if (!strcmp(arg, "3")) {
        conf->format_version = 3;
    }
    else if (!strcmp(arg, "4")) {
        conf->format_version = 4;
    }
    else {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, " must be 2, 3 or 4, not ",
                           arg, NULL);
    }
    conf->format_version_set = 1;
    return NULL;
}

static const char *set_max_lifetime(cmd_parms *cmd, void *config,
                                    const char *arg)
{
    scr_crypto_dir_conf *conf = config;
    char *end;
    apr_int64_t seconds;

    errno = 0;
    seconds = apr_strtoi64(arg, &end, 10);
    if (*end || end == arg || seconds <= 0 || errno == ERANGE) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name,
                           " takes a whole number of seconds above 0, not ",
                           arg, NULL);
    }
    conf->max_lifetime = seconds;
    conf->max_lifetime_set = 1;
    return NULL;
}

static const char *set_not_before(cmd_parms *cmd, void *config, const char *arg)
{
    scr_crypto_dir_conf *conf = config;
    char err[256];

    if (rust->parse_time(arg, &conf->not_before, err, sizeof(err)) != SCR_DONE) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", err, NULL);
    }
    conf->not_before_set = 1;
    return NULL;
}

/* SessionCryptoSubjectKey key|none */
static const char *set_subject_key(cmd_parms *cmd, void *config, const char *arg)
{
    scr_crypto_dir_conf *conf = config;

    if (!*arg) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, " needs a session key", NULL);
    }
    conf->subject_key = strcasecmp(arg, "none") ? arg : NULL;
    conf->subject_key_set = 1;
    return NULL;
}

/* SessionCryptoRevokeHeader header-name|none */
static const char *set_revoke_header(cmd_parms *cmd, void *config,
                                     const char *arg)
{
    scr_crypto_dir_conf *conf = config;
    const char *c;

    for (c = arg; *c; c++) {
        /* An HTTP token: what a back end can send as a header name. */
        if (!apr_isalnum(*c) && !strchr("!#$%&'*+-.^_`|~", *c)) {
            return apr_pstrcat(cmd->pool, cmd->cmd->name,
                               " takes a header name, not ", arg, NULL);
        }
    }
    if (!*arg) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, " takes a header name", NULL);
    }
    conf->revoke_header = strcasecmp(arg, "none") ? arg : NULL;
    conf->revoke_header_set = 1;
    return NULL;
}

/* SessionCryptoContext label|none */
static const char *set_context(cmd_parms *cmd, void *config, const char *arg)
{
    scr_crypto_dir_conf *conf = config;

    (void)cmd;
    conf->context = (*arg && strcasecmp(arg, "none")) ? arg : NULL;
    conf->context_set = 1;
    return NULL;
}

static const char *set_driver(cmd_parms *cmd, void *config, const char *args)
{
    scr_crypto_server_conf *conf =
        ap_get_module_config(cmd->server->module_config, &session_crypto_module);
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    (void)config;
    if (err != NULL) {
        return err;
    }
    conf->driver = ap_getword_conf(cmd->pool, &args);
    return NULL;
}

/* Same names, argument kinds and contexts as stock mod_session_crypto, and
 * SessionCryptoStockFormat in the contexts of SessionCryptoPassphrase. */
const command_rec scr_crypto_cmds[] = {
    AP_INIT_ITERATE("SessionCryptoPassphrase", set_passphrase, NULL,
                    RSRC_CONF | OR_AUTHCFG,
                    "The passphrase(s) used to encrypt the session. First will "
                    "be used for encryption, all phrases will be accepted for "
                    "decryption"),
    AP_INIT_TAKE1("SessionCryptoPassphraseFile", set_passphrase_file, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "File containing passphrase(s) used to encrypt the session, "
                  "one per line. First will be used for encryption, all "
                  "phrases will be accepted for decryption"),
    AP_INIT_TAKE1("SessionCryptoCipher", set_cipher, NULL,
                  RSRC_CONF | OR_AUTHCFG,
                  "The cipher of values in stock mod_session_crypto's format: "
                  "aes128, aes192, aes256 (default) or 3des192"),
    AP_INIT_TAKE1("SessionCryptoStockFormat", set_stock_format, NULL,
                  RSRC_CONF | OR_AUTHCFG,
                  "Values in stock mod_session_crypto's format: Open (default: "
                  "open them, seal ours), Seal (open both, seal stock's) or "
                  "Off (open ours only)"),
    AP_INIT_TAKE1("SessionCryptoFormatVersion", set_format_version, NULL,
                  RSRC_CONF | OR_AUTHCFG,
                  "The version of our sealed format new values get: 4 (default), "
                  "or 3 or 2 while nodes of an earlier build, which open those "
                  "only, share the sessions"),
    AP_INIT_TAKE1("SessionCryptoMaxLifetime", set_max_lifetime, NULL,
                  RSRC_CONF | OR_AUTHCFG,
                  "Seconds a session may live after it was first sealed, "
                  "however active its user"),
    AP_INIT_TAKE1("SessionCryptoNotBefore", set_not_before, NULL,
                  RSRC_CONF | OR_AUTHCFG,
                  "Sessions first sealed before this time (Unix seconds or "
                  "RFC 3339) do not open: logs everyone out"),
    AP_INIT_TAKE1("SessionCryptoRevocationStore", scr_set_revocation_store, NULL,
                  RSRC_CONF,
                  "Where revoked sessions are kept: a mod_socache provider and "
                  "its arguments (shmcb, shmcb:/path(bytes), memcache:host:port, "
                  "redis:host:port)"),
    AP_INIT_TAKE1("SessionCryptoRevocationFailMode", scr_set_revocation_fail_mode,
                  NULL, RSRC_CONF,
                  "While the revocation store cannot be reached: open (default: "
                  "sessions open, unchecked) or closed (no session)"),
    AP_INIT_TAKE1("SessionCryptoSubjectKey", set_subject_key, NULL,
                  RSRC_CONF | OR_AUTHCFG,
                  "The session entry that names the user (mod_auth_form: "
                  "<AuthName>-user), for revoking every session of a user"),
    AP_INIT_TAKE1("SessionCryptoRevokeHeader", set_revoke_header, NULL,
                  RSRC_CONF | OR_AUTHCFG,
                  "A response header by which a back end revokes sessions: "
                  "session, subject or subject NAME; removed from the response"),
    AP_INIT_TAKE1("SessionCryptoContext", set_context, NULL, RSRC_CONF | OR_AUTHCFG,
                  "The application sessions are sealed for: a value opens only "
                  "where the same context is set (one secret shared by two "
                  "applications then opens neither's sessions in the other)"),
    AP_INIT_RAW_ARGS("SessionCryptoDriver", set_driver, NULL, RSRC_CONF,
                     "Accepted for compatibility: sealing is built in"),
    {NULL}
};

/* One notice per start for a SessionCryptoDriver line; finds the loaded
 * session_cookie_module. */
static int post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *s)
{
    const scr_crypto_server_conf *conf =
        ap_get_module_config(s->module_config, &session_crypto_module);

    (void)pconf, (void)plog;
    cookie_module = ap_find_linked_module("mod_session_cookie.c");
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    scr_check_crypto_config(s, ptemp, passfile_count);
    if (conf->driver) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     SCR_DRIVER_IGNORED ": SessionCryptoDriver %s is ignored: sessions are sealed "
                     "with the built-in AES-256-GCM of mod_session_cookie_rs",
                     conf->driver);
    }
    return OK;
}

#define REVOKE_FILTER "SCR_REVOKE_HEADER"

/* SessionCryptoRevokeHeader's filter: sees the response's headers before
 * mod_session's filter saves the session, hands them to Rust once, and
 * steps aside. */
static apr_status_t revoke_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    rust->revoke_from_header(f->r);
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

/* Inserted where a revoke header is configured, ahead of mod_session's
 * filter (inserted at APR_HOOK_MIDDLE; a filter of the same type inserted
 * earlier runs earlier). */
static void insert_revoke_filter(request_rec *r)
{
    const scr_crypto_dir_conf *conf = scr_crypto_request_config(r);

    if (conf && conf->revoke_header) {
        ap_add_output_filter(REVOKE_FILTER, NULL, r, r->connection);
    }
}

/* apachectl configtest: the warnings a start would log. */
static void test_config(apr_pool_t *pconf, server_rec *s)
{
    scr_check_crypto_config(s, pconf, passfile_count);
}

void scr_crypto_register_hooks(apr_pool_t *p, const scr_crypto_entries *entries)
{
    rust = entries;
    ap_register_output_filter(REVOKE_FILTER, revoke_filter, NULL,
                              AP_FTYPE_CONTENT_SET);
    ap_hook_insert_filter(insert_revoke_filter, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_insert_error_filter(insert_revoke_filter, NULL, NULL, APR_HOOK_FIRST);
    scr_revocation_register_hooks(p);
    /* After mod_session's own encoding, before its own decoding. */
    ap_hook_session_encode(rust->encode, NULL, NULL, APR_HOOK_LAST);
    ap_hook_session_decode(rust->decode, NULL, NULL, APR_HOOK_FIRST);
    scr_register_text_hooks(&rust->text);
    scr_register_metrics(p, "mod_session_crypto_rs", &rust->metrics,
                         &session_crypto_module);
    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_test_config(test_config, NULL, NULL, APR_HOOK_MIDDLE);
}

const scr_crypto_dir_conf *scr_crypto_request_config(const request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &session_crypto_module);
}

const scr_cookie_dir_conf *scr_crypto_cookie_config(const request_rec *r)
{
    if (!cookie_module) {
        return NULL;
    }
    return ap_get_module_config(r->per_dir_config, cookie_module);
}

int scr_crypto_module_index(void)
{
    return session_crypto_module.module_index;
}

scr_request_state *scr_crypto_request_state(const request_rec *r)
{
    return ap_get_module_config(r->request_config, &session_crypto_module);
}

void scr_crypto_set_request_state(request_rec *r, scr_request_state *state)
{
    ap_set_module_config(r->request_config, &session_crypto_module, state);
}
