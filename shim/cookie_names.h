/* session_cookie_module's per-directory configuration, as both stock's
 * module and ours lay it out: the fields below are the leading fields of
 * stock's session_cookie_dir_conf (2.4 and trunk alike), and ours is
 * exactly this struct. session_crypto_module (ours) reads the cookie names
 * from whichever session_cookie_module is loaded, so that a sealed value is
 * bound to the same name whether our cookie module or stock's carries it,
 * and an admin can switch either module without logging anybody out. */
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

#endif
