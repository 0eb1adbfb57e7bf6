/* session_cookie_module's per-directory configuration, as both stock's
 * module and ours lay it out: scr_cookie_dir_conf is exactly stock 2.4's
 * session_cookie_dir_conf (its leading fields on trunk, in the same order
 * and types). session_crypto_module (ours) reads the cookie names from
 * whichever session_cookie_module is loaded, so that a sealed value is
 * bound to the same name whether our cookie module or stock's carries it,
 * and an admin can switch either module without logging anybody out.
 *
 * Our cookie module's configuration (scr_cookie_conf) starts with that
 * struct and adds its own fields after remove_set: a pointer to it is a
 * pointer to stock's layout, and the crypto module's type never claims more
 * memory than stock's module allocates. The first two added fields sit
 * where trunk has them. */
#ifndef SCR_COOKIE_NAMES_H
#define SCR_COOKIE_NAMES_H

typedef struct {
    const char *name;        /* SessionCookieName: Set-Cookie (RFC 2109) */
    int name_set;            /* set in this directory or inherited */
    const char *name_attrs;  /* written verbatim; "" when none were given */
    const char *name2;       /* SessionCookieName2: Set-Cookie2 (RFC 2965) */
    int name2_set;
    const char *name2_attrs;
    int remove;              /* SessionCookieRemove */
    int remove_set;
} scr_cookie_dir_conf;

typedef struct {
    scr_cookie_dir_conf stock; /* first: what any module may read */
    int maxage;              /* SessionCookieMaxAge (default On), as on trunk */
    int maxage_set;
    int chunk_size;          /* SessionCookieChunkSize in bytes; 0 for Off (default) */
    int chunk_size_set;
} scr_cookie_conf;

#endif
