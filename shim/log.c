#include "httpd.h"
#include "http_log.h"

#include "log.h"

void scr_log(const request_rec *r, int module_index, int level, const char *msg)
{
    ap_log_rerror_(__FILE__, __LINE__, module_index, level, 0, r, "%s", msg);
}

int scr_log_enabled(const request_rec *r, int module_index, int level)
{
    return APLOG_R_MODULE_IS_LEVEL(r, module_index, level);
}
