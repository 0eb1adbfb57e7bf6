/* Logging for the Rust side, under either module's name, so that
 * `LogLevel session_cookie:debug` / `session_crypto:debug` select it. */
#ifndef SCR_LOG_H
#define SCR_LOG_H

#include "httpd.h"

/* Logs msg (plain text, not a format) for module_index at level, as
 * written at file:line (the Rust caller's place). */
void scr_log(const request_rec *r, const char *file, int line, int module_index,
             int level, const char *msg);

/* Whether a line at level would be logged: skips formatting otherwise. */
int scr_log_enabled(const request_rec *r, int module_index, int level);

/* Whether a configuration-time warning is worth logging now. The
 * configuration is read twice at startup: warn on the second reading (and
 * at configtest, which reads it once). A directive in .htaccess is read
 * again for every request: warn once per process, which *warned_at_runtime
 * (a static of the caller's) remembers. */
int scr_config_warning_due(int *warned_at_runtime);

#endif
