#!/usr/bin/env bash
# Builds the Apache module: target/module/mod_session_cookie_rs.so
# Needs cargo and Debian's apache2-dev + libclang-dev (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked
mkdir -p target/module
install -m 0644 target/release/libmod_session_cookie_rs.so target/module/mod_session_cookie_rs.so
echo "built $(pwd)/target/module/mod_session_cookie_rs.so"
