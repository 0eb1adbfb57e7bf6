/* Registration of the hooks on the session text, the same in both modules
 * (see session_text.h). */
#include "session_text.h"

static const char *const mod_session[] = {"mod_session.c", NULL};

void scr_register_text_hooks(const scr_text_entries *text)
{
    /* Our decoder of the session text runs just before mod_session's
     * (same order, mod_session.c named as its successor), after every
     * other decoder, the crypto modules' included. */
    ap_hook_session_decode(text->decode, NULL, mod_session,
                           APR_HOOK_REALLY_LAST);
    /* Our encoder of the session text: its two hooks run right around
     * mod_session's own (same order, mod_session.c their successor and
     * predecessor), before every other encoder, the crypto modules'
     * included. */
    ap_hook_session_encode(text->encode, NULL, mod_session,
                           APR_HOOK_REALLY_FIRST);
    ap_hook_session_encode(text->encode_done, mod_session, NULL,
                           APR_HOOK_REALLY_FIRST);
}
