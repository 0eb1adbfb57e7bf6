#!/usr/bin/env bash
# Benchmarks stock mod_session_cookie/mod_session_crypto against ours in
# real httpd, side by side: requests/s under wrk (scripts/bench_httpd.py),
# instructions per request under callgrind (scripts/bench_callgrind.py),
# both drawn in docs/benchmark.png, and by session shape
# (scripts/bench_shapes.py), drawn in docs/benchmark-shapes.png
# (scripts/bench_chart.py); then seal/open in nanoseconds (benches/seal.rs). Installs wrk, valgrind and
# python3-matplotlib if missing. Prints numbers; never fails on speed.
#   BENCH_ROUNDS=12 BENCH_SECONDS=3 BENCH_CONNECTIONS=8 scripts/benchmark.sh
# Results (wrk.json, callgrind.json, shapes.json, the callgrind dumps) go to
# BENCH_RESULTS_DIR (target/bench).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v valgrind >/dev/null || missing+=(valgrind)
/usr/bin/python3 -c 'import matplotlib' 2>/dev/null || missing+=(python3-matplotlib)
if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
scripts/build.sh
/usr/bin/python3 scripts/bench_httpd.py
echo
/usr/bin/python3 scripts/bench_callgrind.py
echo
/usr/bin/python3 scripts/bench_shapes.py
echo
/usr/bin/python3 scripts/bench_chart.py
echo
cargo bench --locked --bench seal
