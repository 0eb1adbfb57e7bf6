//! Builds the C shim with `cc` and generates the httpd/APR types the Rust
//! side uses with `bindgen`, both against the installed httpd headers
//! (`apxs -q INCLUDEDIR`, `apr-1-config --includes`: Debian's apache2-dev).
//!
//! Each module feature builds one Apache module: its own C shim and the
//! shared log helper. The shim's objects are linked into the cdylib only,
//! not into unit-test binaries: those test the safe core and must link
//! without httpd's symbols, which only exist inside a running httpd.

use std::env;
use std::path::PathBuf;
use std::process::Command;

const SHIM_SOURCES: &[&str] = &[
    "shim/session_cookie.c",
    "shim/session_crypto.c",
    "shim/revocation_store.c",
    "shim/config_checks.c",
    "shim/session_text.c",
    "shim/metrics.c",
    "shim/log.c",
];
const SHIM_HEADERS: &[&str] = &[
    "shim/bindings.h",
    "shim/session_cookie.h",
    "shim/session_crypto.h",
    "shim/revocation_store.h",
    "shim/config_checks.h",
    "shim/cookie_names.h",
    "shim/log.h",
    "shim/rust_entry.h",
    "shim/session_text.h",
    "shim/metrics.h",
];

/// The C shim of the module this build is for, if it is for one.
fn module_shim() -> Option<&'static [&'static str]> {
    let cookie = env::var_os("CARGO_FEATURE_SESSION_COOKIE_MODULE").is_some();
    let crypto = env::var_os("CARGO_FEATURE_SESSION_CRYPTO_MODULE").is_some();
    match (cookie, crypto) {
        (true, true) => panic!(
            "features session-cookie-module and session-crypto-module build two \
             different .so files: build them one at a time (scripts/build.sh)"
        ),
        (true, false) => Some(&["shim/session_cookie.c"]),
        (false, true) => Some(&[
            "shim/session_crypto.c",
            "shim/revocation_store.c",
            "shim/config_checks.c",
        ]),
        (false, false) => None,
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    for f in SHIM_SOURCES.iter().chain(SHIM_HEADERS) {
        println!("cargo:rerun-if-changed={f}");
    }
    println!("cargo:rerun-if-env-changed=APXS");
    println!("cargo:rerun-if-env-changed=APR_CONFIG");

    // Only the Apache modules need httpd's headers; a core-only build (unit
    // tests, benches, the fuzz targets) builds on machines without apache2-dev.
    if env::var_os("CARGO_FEATURE_HTTPD").is_none() {
        return;
    }
    let include_dirs = httpd_include_dirs();
    if let Some(shim) = module_shim() {
        let common = ["shim/session_text.c", "shim/metrics.c", "shim/log.c"];
        build_shim(&include_dirs, &[shim, &common].concat());
    }
    generate_bindings(&include_dirs);
}

/// Runs `program args` and returns its trimmed stdout, or stops the build
/// with a message that says which package is missing.
fn query(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `{program}` ({e}): install Debian's apache2-dev \
             (or set APXS / APR_CONFIG to the tools of your httpd build)"
            )
        });
    assert!(
        out.status.success(),
        "`{program} {}` failed",
        args.join(" ")
    );
    String::from_utf8(out.stdout)
        .expect("tool output is UTF-8")
        .trim()
        .to_owned()
}

fn httpd_include_dirs() -> Vec<PathBuf> {
    let apxs = env::var("APXS").unwrap_or_else(|_| "apxs".into());
    let apr_config = env::var("APR_CONFIG").unwrap_or_else(|_| "apr-1-config".into());
    let mut dirs = vec![PathBuf::from(query(&apxs, &["-q", "INCLUDEDIR"]))];
    dirs.extend(
        query(&apr_config, &["--includes"])
            .split_whitespace()
            .filter_map(|flag| flag.strip_prefix("-I"))
            .map(PathBuf::from),
    );
    dirs
}

/// The defines httpd's own modules are built with on Linux (`apxs -q CFLAGS`).
const HTTPD_DEFINES: &[&str] = &["LINUX", "_REENTRANT", "_GNU_SOURCE"];

fn build_shim(include_dirs: &[PathBuf], sources: &[&str]) {
    let mut build = cc::Build::new();
    build
        .files(sources)
        .include("shim")
        .includes(include_dirs)
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .cargo_metadata(false);
    for define in HTTPD_DEFINES {
        build.define(define, None);
    }
    for object in build.compile_intermediates() {
        println!("cargo:rustc-cdylib-link-arg={}", object.display());
    }
    // Bind our own references to our own definitions: httpd loads modules
    // with RTLD_GLOBAL, and a module loaded earlier that defines a symbol
    // of the same name would otherwise take precedence over ours.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-Bsymbolic");
}

/// Types request_rec and module_struct reach that the module never looks into.
const OPAQUE: &str = "conn_rec|server_rec|process_rec|apr_thread_mutex_t|apr_finfo_t|apr_uri_t\
    |ap_filter_t|apr_bucket_brigade|ap_conf_vector_t|htaccess_result|apr_uuid_t";

fn generate_bindings(include_dirs: &[PathBuf]) {
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    bindgen::Builder::default()
        .header("shim/bindings.h")
        .clang_args(include_dirs.iter().map(|d| format!("-I{}", d.display())))
        .clang_args(HTTPD_DEFINES.iter().map(|d| format!("-D{d}")))
        // What src/ffi uses, and nothing else: types reached from these are
        // generated too, but the rest of httpd's API is not.
        .allowlist_type("request_rec|session_rec|module_struct|scr_.*")
        .allowlist_type("apr_table_entry_t|apr_array_header_t")
        .allowlist_function("apr_table_(make|get|set|setn|addn|unset)")
        .allowlist_function("apr_palloc|apr_pstrmemdup|apr_pool_cleanup_(register|null)")
        .allowlist_function("apr_pool_userdata_(get|set)|apr_hash_(make|get|set)")
        .allowlist_function("scr_.*")
        .allowlist_var("scr_(cookie|crypto)_cmds")
        .allowlist_var("OK|DECLINED|APR_SUCCESS|APR_EGENERAL|APLOG_(ERR|WARNING|INFO|DEBUG)")
        .allowlist_var("MODULE_MAGIC_(COOKIE|NUMBER_MAJOR|NUMBER_MINOR)")
        // Types the module only passes along or embeds stay opaque: their
        // size is kept, their fields are not generated.
        .allowlist_type(OPAQUE)
        .opaque_type(OPAQUE)
        .derive_default(false)
        .layout_tests(false)
        .generate_comments(false)
        .generate()
        .expect("bindgen over shim/session_cookie.h (needs libclang-dev)")
        .write_to_file(out.join("httpd_bindings.rs"))
        .expect("write bindings");
}
