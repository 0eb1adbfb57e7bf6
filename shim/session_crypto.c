/* session_crypto_module, the C half: directives, per-directory and server
 * configuration, hook registration. Keys are derived and values sealed and
 * opened in Rust (src/ffi/session_crypto.rs, src/seal). */
#include "session_crypto.h" /* first: httpd.h before any other httpd header */
#include "rust_entry.h"

#include "apr_lib.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_main.h"
#include "http_core.h"
#include "util_script.h"

APLOG_USE_MODULE(session_crypto);

void *scr_crypto_create_dir_config(apr_pool_t *p, char *dir)
{
    (void)dir;
    return apr_pcalloc(p, sizeof(scr_crypto_dir_conf));
}

/* As stock: a directory that sets its own secrets replaces its parent's. */
void *scr_crypto_merge_dir_config(apr_pool_t *p, void *basev, void *addv)
{
    const scr_crypto_dir_conf *base = basev, *add = addv;
    scr_crypto_dir_conf *merged = apr_palloc(p, sizeof(*merged));

    merged->keys = add->keys_set ? add->keys : base->keys;
    merged->keys_set = add->keys_set || base->keys_set;
    merged->cipher_set = add->cipher_set || base->cipher_set;
    return merged;
}

void *scr_crypto_create_server_config(apr_pool_t *p, server_rec *s)
{
    (void)s;
    return apr_pcalloc(p, sizeof(scr_crypto_server_conf));
}

/* Derives the key for one secret into the directory's keyring. */
static const char *add_secret(cmd_parms *cmd, scr_crypto_dir_conf *conf,
                              const char *secret)
{
    char msg[256];
    int rv = scr_crypto_add_secret(&conf->keys, cmd->pool, secret, msg,
                                   sizeof(msg));

    if (rv < 0) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, msg);
    }
    conf->keys_set = 1;
    /* The configuration is read twice at startup; warn once (and at
     * configtest, which reads it once). */
    if (rv > 0 && (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG
                   || ap_state_query(AP_SQ_RUN_MODE) != AP_SQ_RM_NORMAL)) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                     "%s (%s:%d): %s", cmd->cmd->name,
                     cmd->directive->filename, cmd->directive->line_num, msg);
    }
    return NULL;
}

/* SessionCryptoPassphrase secret|exec:program [args] ...: as stock, the
 * exec: form takes the first line the program prints. */
static const char *set_passphrase(cmd_parms *cmd, void *config, const char *arg)
{
    char **argv;
    const char *secret = arg;

    if (strncmp(arg, "exec:", 5) == 0 && arg[5]) {
        if (apr_tokenize_to_argv(arg + 5, &argv, cmd->temp_pool) != APR_SUCCESS) {
            return apr_pstrcat(cmd->pool, "Unable to parse exec arguments from ",
                               arg + 5, NULL);
        }
        argv[0] = ap_server_root_relative(cmd->temp_pool, argv[0]);
        if (!argv[0]) {
            return apr_pstrcat(cmd->pool, cmd->cmd->name,
                               ": invalid exec location: ", arg + 5, NULL);
        }
        secret = ap_get_exec_line(cmd->pool, argv[0],
                                  (const char *const *)argv);
        if (!secret) {
            return apr_pstrcat(cmd->pool, cmd->cmd->name,
                               ": no secret from exec of ", arg + 5, NULL);
        }
    }
    return add_secret(cmd, config, secret);
}

/* SessionCryptoPassphraseFile path: one secret per line, as the directive
 * is documented (stock's code split lines into words, so a secret with a
 * space became several weak ones). Blank lines and lines starting with '#'
 * are skipped; an unquoted line is taken whole; a quoted secret may be
 * followed by a '#' comment. */
static const char *set_passphrase_file(cmd_parms *cmd, void *config,
                                       const char *filename)
{
    char line[MAX_STRING_LEN];
    ap_configfile_t *file;
    const char *path = ap_server_root_relative(cmd->temp_pool, filename);
    const char *err = NULL;
    apr_status_t rv;

    if (!path) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": invalid path ",
                           filename, NULL);
    }
    rv = ap_pcfg_openfile(&file, cmd->temp_pool, path);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: Could not open file %s: %pm",
                            cmd->cmd->name, path, &rv);
    }
    /* ap_cfg_getline strips leading and trailing whitespace. */
    while (!err && !ap_cfg_getline(line, sizeof(line), file)) {
        const char *rest = line;
        const char *secret = line;

        if (!*line || *line == '#') {
            continue;
        }
        if (*line == '"' || *line == '\'') {
            secret = ap_getword_conf(cmd->temp_pool, &rest);
            while (apr_isspace(*rest)) {
                rest++;
            }
            if (*rest && *rest != '#') {
                err = apr_psprintf(cmd->pool, "%s: %s line %d: text after the "
                                   "quoted secret", cmd->cmd->name, path,
                                   file->line_number);
                break;
            }
        }
        err = add_secret(cmd, config, secret);
    }
    ap_cfg_closefile(file);
    return err;
}

static const char *set_cipher(cmd_parms *cmd, void *config, const char *cipher)
{
    scr_crypto_dir_conf *conf = config;
    char err[256];

    if (scr_crypto_check_cipher(cipher, err, sizeof(err)) != 0) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", err, NULL);
    }
    conf->cipher_set = 1;
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

/* Same names, argument kinds and contexts as stock mod_session_crypto. */
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
                  "The underlying crypto cipher to use: aes256 (AES-256-GCM)"),
    AP_INIT_RAW_ARGS("SessionCryptoDriver", set_driver, NULL, RSRC_CONF,
                     "Accepted for compatibility: sealing is built in"),
    {NULL}
};

/* One notice per start for a SessionCryptoDriver line. */
static int post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *s)
{
    const scr_crypto_server_conf *conf =
        ap_get_module_config(s->module_config, &session_crypto_module);

    (void)pconf, (void)plog, (void)ptemp;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    if (conf->driver) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     "SessionCryptoDriver %s is ignored: sessions are sealed "
                     "with the built-in AES-256-GCM of mod_session_cookie_rs",
                     conf->driver);
    }
    return OK;
}

void scr_crypto_register_hooks(apr_pool_t *p)
{
    (void)p;
    /* After mod_session's own encoding, before its own decoding. */
    ap_hook_session_encode(scr_crypto_encode, NULL, NULL, APR_HOOK_LAST);
    ap_hook_session_decode(scr_crypto_decode, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_MIDDLE);
}

const scr_crypto_dir_conf *scr_crypto_request_config(const request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &session_crypto_module);
}

int scr_crypto_module_index(void)
{
    return session_crypto_module.module_index;
}
