#!/usr/bin/env bash
# Builds the two Apache modules, one module record per file as stock ships
# them, and the admin CLI:
#   target/module/mod_session_cookie_rs.so   session_cookie_module
#   target/module/mod_session_crypto_rs.so   session_crypto_module
#   target/release/session-crypto-rs          the admin CLI (cli/)
# Each is one cargo build of this crate with that module's feature; the
# safe core is compiled into both (shared source, not a third .so).
# Needs cargo and Debian's apache2-dev + libclang-dev (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/module
for module in session_cookie session_crypto; do
    cargo build --release --locked --features "${module//_/-}-module"
    install -m 0644 target/release/libmod_session_cookie_rs.so "target/module/mod_${module}_rs.so"
    echo "built $(pwd)/target/module/mod_${module}_rs.so"
done
cargo build --release --locked -p session-crypto-rs
echo "built $(pwd)/target/release/session-crypto-rs"
