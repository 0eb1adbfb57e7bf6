#!/usr/bin/env bash
# Fuzzes the safe core for a bounded time, each target starting from its
# committed seeds in fuzz/corpus/<target>:
#   cookie_header  the Cookie/Set-Cookie/directive parsing (fuzz_targets/cookie_header.rs)
#   open_sealed    opening sealed session values (fuzz_targets/open_sealed.rs)
#   chunk_reassembly  chunked session cookies: reassembly from any Cookie header,
#                  and split values read back (fuzz_targets/chunk_reassembly.rs)
#   session_text   decoding the session text, against a naive rendering of
#                  mod_session's C decoder, the table it leaves (Settled)
#                  against a naive APR table, and encoding it again, against
#                  httpd's escaping loop (fuzz_targets/session_text.rs)
#   scripts/fuzz.sh [seconds per target]     (default 60)
# Exits non-zero when the fuzzer finds a crash or a broken invariant; the
# input that did it is written to fuzz/artifacts/<target>/, and
#   cargo fuzz run <target> fuzz/artifacts/<target>/<file>
# (with RUSTC_BOOTSTRAP=1, as below) replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}

command -v cargo >/dev/null || {
    echo "cargo not found: install the Rust toolchain with rustup (https://rustup.rs)" >&2
    exit 1
}
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz from crates.io"
    cargo install cargo-fuzz --locked
fi

# cargo-fuzz builds with unstable rustc flags (-Zsanitizer=..., coverage
# instrumentation for libFuzzer) that only a nightly toolchain accepts.
# This machine has the stable toolchain only; RUSTC_BOOTSTRAP=1 lets stable
# rustc/cargo accept the -Z flags. It affects only this build.
export RUSTC_BOOTSTRAP=1

# libFuzzer writes new inputs into the first corpus directory and only reads
# the others: the scratch copy under fuzz/target (ignored by git) takes the
# new inputs, the committed seed corpus stays as it is.
for target in cookie_header open_sealed chunk_reassembly session_text; do
    echo "fuzzing $target for ${seconds}s"
    scratch=fuzz/target/corpus/$target
    mkdir -p "$scratch"
    cargo fuzz run "$target" "$scratch" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -print_final_stats=1
done
