#!/usr/bin/env bash
# Benchmarks stock mod_session_cookie/mod_session_crypto against ours in
# real httpd, side by side (scripts/bench_httpd.py), then seal/open in
# nanoseconds (benches/seal.rs). Installs wrk if missing. Prints numbers;
# never fails on speed.
#   BENCH_ROUNDS=5 BENCH_SECONDS=5 BENCH_CONNECTIONS=8 scripts/benchmark.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if ! command -v wrk >/dev/null; then
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null
fi
scripts/build.sh
/usr/bin/python3 scripts/bench_httpd.py
echo
cargo bench --locked --bench seal
