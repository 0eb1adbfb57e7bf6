/* Configuration warnings of session_crypto_module that no single directive
 * can give: they depend on which directives stand together. Checked over
 * the configuration tree (main file and its includes; not .htaccess, which
 * is read per request), at configtest and at each start: a directive counts
 * for its own section and every section inside it.
 *   SCR0214  SessionMaxAge where sessions are sealed, without
 *            SessionCryptoMaxLifetime: a session in use is re-sealed with
 *            a later expiry forever, so a copied cookie never dies on its
 *            own.
 *   SCR0215  SessionCryptoSubjectKey without SessionCryptoMaxLifetime: a
 *            subject's revocation must outlive every older session of it,
 *            and without an absolute lifetime it is kept 30 days only.
 *   SCR0216  SessionCryptoFormatVersion 2 or 3 with a revocation store:
 *            those values carry no session id, so logging out cannot
 *            revoke them.
 *   SCR0217  SessionCryptoNotBefore or SessionCryptoMaxLifetime with
 *            SessionCryptoStockFormat Seal: stock's format carries no
 *            origin, so neither applies to the values sealed there.
 *   SCR0218  A secret that opens or seals stock-format values also seals
 *            ours: stock's MAC is keyed by the MD5 of the passphrase, so one
 *            stock cookie lets it be guessed at MD5 speed, and our work
 *            factor protects nothing. Taken as: the secrets set in a
 *            section are one secret (stock's passphrase, as a drop-in
 *            switch leaves it) while stock's format opens there, or stock's
 *            format is sealed there (its first secret MACs stock values). */
#include "config_checks.h"

#include "http_config.h"
#include "http_log.h"
#include "revocation_store.h"
#include "scr_messages.h"

APLOG_USE_MODULE(session_crypto);

typedef struct {
    int lifetime; /* SessionCryptoMaxLifetime here or above */
    int sealed;   /* SessionCryptoPassphrase(File) here or above */
    int stock_seal; /* SessionCryptoStockFormat Seal here or above */
    int stock_off;  /* SessionCryptoStockFormat Off here or above */
} scope;

/* What the checks need besides the tree. */
typedef struct {
    server_rec *s;
    apr_pool_t *pool;
    int (*count_file)(apr_pool_t *pool, const char *path);
} checker;

static int named(const ap_directive_t *d, const char *name)
{
    return d->directive && !strcasecmp(d->directive, name);
}

/* Logs a warning about directive d, with its arguments unless they are
 * secrets (SessionCryptoPassphrase's never reach a log). */
static void warn(server_rec *s, const ap_directive_t *d, const char *id,
                 const char *why)
{
    int secret = named(d, "SessionCryptoPassphrase");
    const char *args = d->args && !secret ? d->args : "";

    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "%s: %s%s%s (%s:%d): %s", id,
                 d->directive, *args ? " " : "", args, d->filename, d->line_num,
                 why);
}

/* The secrets the directives of one section set (-1: unknown). */
static int secrets_set(const checker *c, const ap_directive_t *first)
{
    const ap_directive_t *d;
    int count = 0;

    for (d = first; d; d = d->next) {
        if (named(d, "SessionCryptoPassphrase")) {
            const char *args = d->args;

            while (*ap_getword_conf(c->pool, &args)) {
                count++;
            }
        }
        else if (named(d, "SessionCryptoPassphraseFile")) {
            const char *args = d->args;
            int n = c->count_file(c->pool, ap_getword_conf(c->pool, &args));

            if (n < 0) {
                return -1;
            }
            count += n;
        }
    }
    return count;
}

static void check_level(const checker *c, const ap_directive_t *first, scope above)
{
    server_rec *s = c->s;
    const ap_directive_t *d;
    const ap_directive_t *secret_line = NULL;
    scope here = above;

    for (d = first; d; d = d->next) {
        if (named(d, "SessionCryptoStockFormat") && d->args) {
            here.stock_seal = !strcasecmp(d->args, "Seal");
            here.stock_off = !strcasecmp(d->args, "Off");
        }
        if (!secret_line && (named(d, "SessionCryptoPassphrase")
                             || named(d, "SessionCryptoPassphraseFile"))) {
            secret_line = d;
        }
        here.lifetime |= named(d, "SessionCryptoMaxLifetime");
        here.sealed |= named(d, "SessionCryptoPassphrase")
                       || named(d, "SessionCryptoPassphraseFile");
    }
    if (secret_line && here.stock_seal) {
        warn(s, secret_line, SCR_STOCK_SECRET_SEALS_OURS, "SessionCryptoStockFormat Seal keys "
             "stock's MAC with the MD5 of the first secret: one stock cookie "
             "lets it be guessed at MD5 speed, so put a new secret "
             "(session-crypto-rs keygen) first once the switch is over");
    }
    else if (secret_line && !here.stock_off && secrets_set(c, first) == 1) {
        warn(s, secret_line, SCR_STOCK_SECRET_SEALS_OURS, "this one secret opens stock-format "
             "values and seals ours: one stock cookie lets it be guessed at "
             "MD5 speed, which undoes Argon2id; put a new secret "
             "(session-crypto-rs keygen) first and keep this one second "
             "(README, Switching from stock)");
    }
    for (d = first; d; d = d->next) {
        if (named(d, "SessionMaxAge") && here.sealed && !here.lifetime
            && d->args && strcmp(d->args, "0")) {
            warn(s, d, SCR_MAX_AGE_WITHOUT_LIFETIME, "sealed sessions are re-sealed with a later "
                 "expiry on every use, so a copied cookie can be kept alive "
                 "forever: set SessionCryptoMaxLifetime too");
        }
        if (named(d, "SessionCryptoSubjectKey") && !here.lifetime) {
            warn(s, d, SCR_SUBJECT_WITHOUT_LIFETIME, "without SessionCryptoMaxLifetime (30 days "
                 "or less) a subject's revocation is kept 30 days, after which "
                 "an older session of that subject could open again");
        }
        if (named(d, "SessionCryptoFormatVersion") && scr_revocation_named()
            && d->args && (!strcmp(d->args, "2") || !strcmp(d->args, "3"))) {
            warn(s, d, SCR_OLD_FORMAT_WITH_STORE, "values sealed in format 2 or 3 carry no "
                 "session id: a logout cannot revoke them (use 4 once every "
                 "node opens it)");
        }
        if ((named(d, "SessionCryptoNotBefore") || named(d, "SessionCryptoMaxLifetime"))
            && here.stock_seal) {
            warn(s, d, SCR_ORIGIN_LIMITS_WITH_STOCK_SEAL, "stock-format values carry no origin: while "
                 "SessionCryptoStockFormat Seal writes them, this limit does "
                 "not apply to them (it does once the switch is over)");
        }
        if (d->first_child) {
            check_level(c, d->first_child, here);
        }
    }
}

void scr_check_crypto_config(server_rec *s, apr_pool_t *pool,
                             int (*count_file)(apr_pool_t *pool, const char *path))
{
    checker c = {s, pool, count_file};
    scope top = {0, 0, 0, 0};

    check_level(&c, ap_conftree, top);
}
