// The message ids of the lines the C shim logs, the C half of the one
// table of ids (the Rust half is `Msg` in src/ffi/messages.rs). build.rs
// reads this file (`include!`) and writes `scr_messages.h` for the shim:
// `#define SCR_<NAME> "SCRnnnn"`, so that no C file spells an id itself.
// It is data only: it compiles in build.rs, and the crate does not build
// it. docs/operations.md, "Log messages", says what each line means;
// tests/integration/test_docs.py holds both halves and that table to each
// other, every id once.

/// (name in C, id).
const SHIM_MESSAGES: &[(&str, &str)] = &[
    // session_crypto.c: a secret's directive warned (a weak secret).
    ("SECRET_WARNED", "SCR0210"),
    // session_crypto.c: SessionCryptoDriver is ignored.
    ("DRIVER_IGNORED", "SCR0211"),
    // session_crypto.c: a secret went through Argon2id.
    ("SECRET_STRETCHED", "SCR0212"),
    // revocation_store.c: the store could not be created, set up or locked.
    ("REVOCATION_STORE", "SCR0213"),
    // config_checks.c: the configuration warnings configtest prints.
    ("MAX_AGE_WITHOUT_LIFETIME", "SCR0214"),
    ("SUBJECT_WITHOUT_LIFETIME", "SCR0215"),
    ("OLD_FORMAT_WITH_STORE", "SCR0216"),
    ("ORIGIN_LIMITS_WITH_STOCK_SEAL", "SCR0217"),
    ("STOCK_SECRET_SEALS_OURS", "SCR0218"),
    // metrics.c: no shared memory for the counters.
    ("NO_COUNTER_MEMORY", "SCR0400"),
];
