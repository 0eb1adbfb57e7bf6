/* Everything bindgen generates Rust declarations from (build.rs). */
#include "session_cookie.h"
#include "session_crypto.h"
#include "revocation_store.h"
#include "log.h"
#include "apr_strings.h"
#include "http_log.h"
#include "apr_hash.h"
