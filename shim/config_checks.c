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
 *            origin, so neither applies to the values sealed there. */
#include "config_checks.h"

#include "http_config.h"
#include "http_log.h"
#include "revocation_store.h"

APLOG_USE_MODULE(session_crypto);

typedef struct {
    int lifetime; /* SessionCryptoMaxLifetime here or above */
    int sealed;   /* SessionCryptoPassphrase(File) here or above */
    int stock_seal; /* SessionCryptoStockFormat Seal here or above */
} scope;

static int named(const ap_directive_t *d, const char *name)
{
    return d->directive && !strcasecmp(d->directive, name);
}

static void warn(server_rec *s, const ap_directive_t *d, const char *id,
                 const char *why)
{
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "%s: %s %s (%s:%d): %s", id,
                 d->directive, d->args ? d->args : "", d->filename, d->line_num,
                 why);
}

static void check_level(server_rec *s, const ap_directive_t *first, scope above)
{
    const ap_directive_t *d;
    scope here = above;

    for (d = first; d; d = d->next) {
        here.lifetime |= named(d, "SessionCryptoMaxLifetime");
        here.sealed |= named(d, "SessionCryptoPassphrase")
                       || named(d, "SessionCryptoPassphraseFile");
        here.stock_seal |= named(d, "SessionCryptoStockFormat") && d->args
                           && !strcasecmp(d->args, "Seal");
    }
    for (d = first; d; d = d->next) {
        if (named(d, "SessionMaxAge") && here.sealed && !here.lifetime
            && d->args && strcmp(d->args, "0")) {
            warn(s, d, "SCR0214", "sealed sessions are re-sealed with a later "
                 "expiry on every use, so a copied cookie can be kept alive "
                 "forever: set SessionCryptoMaxLifetime too");
        }
        if (named(d, "SessionCryptoSubjectKey") && !here.lifetime) {
            warn(s, d, "SCR0215", "without SessionCryptoMaxLifetime (30 days "
                 "or less) a subject's revocation is kept 30 days, after which "
                 "an older session of that subject could open again");
        }
        if (named(d, "SessionCryptoFormatVersion") && scr_revocation_named()
            && d->args && (!strcmp(d->args, "2") || !strcmp(d->args, "3"))) {
            warn(s, d, "SCR0216", "values sealed in format 2 or 3 carry no "
                 "session id: a logout cannot revoke them (use 4 once every "
                 "node opens it)");
        }
        if ((named(d, "SessionCryptoNotBefore") || named(d, "SessionCryptoMaxLifetime"))
            && here.stock_seal) {
            warn(s, d, "SCR0217", "stock-format values carry no origin: while "
                 "SessionCryptoStockFormat Seal writes them, this limit does "
                 "not apply to them (it does once the switch is over)");
        }
        if (d->first_child) {
            check_level(s, d->first_child, here);
        }
    }
}

void scr_check_crypto_config(server_rec *s)
{
    scope top = {0, 0, 0};

    check_level(s, ap_conftree, top);
}
