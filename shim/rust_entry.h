/* The Rust side's entry points, as the C shim calls them.
 *
 * Rust hands each module's table to the shim when httpd registers the
 * module's hooks (before any of its directives is read). Nothing is
 * exported by name: httpd loads modules with RTLD_GLOBAL, and each .so
 * exports its module record only. bindgen turns these typedefs into the
 * Rust types the tables are built from, so a Rust function whose signature
 * drifts from its prototype here fails to compile (src/ffi/module_record.rs).
 * Each function catches panics and turns them into an error return. */
#ifndef SCR_RUST_ENTRY_H
#define SCR_RUST_ENTRY_H

#include <stddef.h>
#include "httpd.h"
#include "mod_session.h"

typedef struct scr_keyring scr_keyring;

/* What a configuration-time entry point says of its work. */
typedef enum {
    SCR_DONE = 0,    /* done */
    SCR_WARNED = 1,  /* done, with a warning in the message buffer */
    SCR_FAILED = -1, /* not done: the reason is in the message buffer */
    SCR_STOPPED = 2  /* parse_passfile: the callback refused an entry */
} scr_result;

/* The hooks on the session text both modules register
 * (shim/session_text.c). */
typedef struct {
    /* session_decode, last but before mod_session's own: decodes the
     * session text into z->entries and z->expiry exactly as mod_session's
     * session_identity_decode does and clears z->encoded
     * (src/ffi/session_text.rs). */
    apr_status_t (*decode)(request_rec *r, session_rec *z);
    /* session_encode, just before and just after mod_session's
     * session_identity_encode: the first encodes the session's entries
     * exactly as it does and hands it an empty stand-in, the second puts
     * the session back with our text in z->encoded
     * (src/ffi/session_encode.rs). */
    apr_status_t (*encode)(request_rec *r, session_rec *z);
    apr_status_t (*encode_done)(request_rec *r, session_rec *z);
} scr_text_entries;

/* What a module keeps on one request, in its slot of r->request_config:
 * made in r's pool by the Rust side when it first needs it (src/ffi/httpd.rs),
 * NULL in the slot until then. */
typedef struct {
    /* The Rust side's notes on the request, opaque here. */
    const void *notes;
    /* The session the text encoder's first hook took over, until its second
     * hook puts it back (src/ffi/session_encode.rs); NULL otherwise. */
    void *encoding;
    /* The text the session's entries were decoded from, and the entries as
     * decoding left them, while the text can stand for them
     * (src/ffi/session_text.rs); NULL otherwise. */
    void *decoded;
    /* The status word this module set last on r: its index in the words of
     * src/status.rs, or -1. Read by the counters' log_transaction hook. */
    int word;
    /* The session text this module last made a session's z->encoded on r
     * (a cookie's value, or the encoded entries), and its length: whoever
     * reads that text next need not measure it again. NULL otherwise. */
    const char *text;
    apr_size_t text_len;
} scr_request_state;

/* The counters both modules keep in memory shared by every child
 * (shim/metrics.c; the Rust side: src/ffi/metrics.rs, src/metrics.rs). */
typedef struct {
    /* Bytes of shared memory the counters take. */
    size_t (*size)(void);
    /* Counts into the zeroed or earlier-used shared memory at base from now
     * on; count_words: this module counts requests by status word (the
     * other of our modules does not). */
    void (*attach)(void *base, int count_words);
    /* The counters as text in r's pool: format 0 Prometheus' text format,
     * 1 mod_status' HTML section, 2 its ?auto lines. */
    const char *(*render)(request_rec *r, int format);
    /* log_transaction: counts a request's final status word, by its index
     * (scr_request_state.word). */
    void (*count_word)(int word);
} scr_metrics_entries;

typedef struct {
    /* mod_session's session_load / session_save hooks. */
    apr_status_t (*load)(request_rec *r, session_rec **z);
    apr_status_t (*save)(request_rec *r, session_rec *z);
    scr_text_entries text;
    scr_metrics_entries metrics;
    /* Splits SessionCookieName's raw arguments. Returns SCR_DONE with the
     * name at args[*name_at .. *name_at + *name_len] and the attributes
     * from args + *attrs_at on, or SCR_FAILED with a NUL-terminated reason
     * in err (at most err_len bytes, truncated). */
    scr_result (*parse_directive)(const char *args, size_t *name_at, size_t *name_len,
                           size_t *attrs_at, char *err, size_t err_len);
    /* Warnings about a session cookie's name and attributes (attrs as
     * configured, "" for the default ones) that browsers hold against it.
     * Writes one line per warning, each with its message id and ending in
     * '\n', into out (NUL-terminated, truncated to out_len bytes); `where`
     * (the directive and its place in the configuration) goes into each
     * line. Returns the number of lines. */
    int (*check_cookie)(const char *name, const char *attrs, const char *where,
                        char *out, size_t out_len);
    /* SessionCookieChunkSize's argument: returns SCR_DONE with the size in
     * *size (0 for Off), SCR_WARNED likewise with a warning line (message
     * id, `where`) in msg, or SCR_FAILED with the reason in msg. */
    scr_result (*parse_chunk_size)(const char *arg, const char *where, int *size,
                            char *msg, size_t msg_len);
} scr_cookie_entries;

typedef struct {
    /* mod_session's session_encode / session_decode hooks. */
    apr_status_t (*encode)(request_rec *r, session_rec *z);
    apr_status_t (*decode)(request_rec *r, session_rec *z);
    scr_text_entries text;
    scr_metrics_entries metrics;
    /* Derives the keys for secret and appends them to *ring, creating the
     * ring (owned by Rust, freed by a cleanup on pool) if *ring is NULL.
     * The secret's work factor is looked up in, and unless runtime is set
     * stored into, a cache kept in process_pool (it survives configuration
     * passes and graceful restarts); *stretch_ms is how long the work
     * factor took, or -1 when it came from a cache; key_id the secret's
     * public key id in hex (8 digits and a NUL). With stock 0 (the
     * context says SessionCryptoStockFormat Off), the ring keeps nothing
     * for stock's format, of this secret or any other. Returns SCR_DONE,
     * SCR_WARNED with a warning in msg (a weak secret), or SCR_FAILED with
     * the reason in msg. */
    scr_result (*add_secret)(scr_keyring **ring, apr_pool_t *pool,
                      apr_pool_t *process_pool, int runtime, int stock,
                      const char *secret, long *stretch_ms, char key_id[9],
                      char *msg, size_t msg_len);
    /* SessionCryptoStockFormat Off where secrets are set: the ring wipes
     * and drops what it kept for stock's format (each passphrase and its
     * MD5), and keeps none for secrets added later. */
    void (*drop_stock_keys)(scr_keyring *ring);
    /* SessionCryptoCipher: SCR_DONE and the cipher's number in *cipher if
     * name is one stock's openssl driver offers, else SCR_FAILED with the
     * reason in err. */
    scr_result (*parse_cipher)(const char *name, int *cipher, char *err,
                               size_t err_len);
    /* SessionCryptoNotBefore: SCR_DONE with Unix seconds or an RFC 3339
     * time in *unix_time, else SCR_FAILED with the reason in err. */
    scr_result (*parse_time)(const char *text, apr_int64_t *unix_time, char *err,
                             size_t err_len);
    /* SessionCryptoPassphraseFile: reads the file's text (len bytes) as
     * src/seal/passfile.rs does, and calls each(ctx, is_exec, value) for
     * every secret (is_exec 0) or exec: command line (1), in order, each
     * NUL-terminated. Returns SCR_DONE; SCR_STOPPED when a call of each
     * returned an error (then in *failed, and no further call is made); or
     * SCR_FAILED with the reason (the line's number) in err. */
    scr_result (*parse_passfile)(const char *text, size_t len,
                                 const char *(*each)(void *ctx, int is_exec,
                                                     const char *value),
                                 void *ctx, const char **failed, char *err,
                                 size_t err_len);
    /* SessionCryptoRevokeHeader: takes the header out of the response (both
     * header tables) and does what it asks; called once per request, by
     * the output filter the shim inserts before mod_session's, so before
     * the session is saved (src/ffi/revoke_header.rs). */
    void (*revoke_from_header)(request_rec *r);
} scr_crypto_entries;

#endif
