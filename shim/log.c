#include "httpd.h"
#include "http_log.h"

#include "http_core.h"

#include "log.h"

void scr_log(const request_rec *r, const char *file, int line, int module_index,
             int level, const char *msg)
{
    ap_log_rerror_(file, line, module_index, level, 0, r, "%s", msg);
}

int scr_log_enabled(const request_rec *r, int module_index, int level)
{
    return APLOG_R_MODULE_IS_LEVEL(r, module_index, level);
}

int scr_config_warning_due(int *warned_at_runtime)
{
    int state = ap_state_query(AP_SQ_MAIN_STATE);

    if (state == AP_SQ_MS_RUN_MPM) {
        /* Worker threads parse .htaccess files at once: one of them wins
         * the flag, atomically. */
        return !__atomic_exchange_n(warned_at_runtime, 1, __ATOMIC_RELAXED);
    }
    return state != AP_SQ_MS_CREATE_PRE_CONFIG
           || ap_state_query(AP_SQ_RUN_MODE) != AP_SQ_RM_NORMAL;
}
