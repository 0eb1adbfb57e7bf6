#!/usr/bin/env bash
# Runs every test on a fresh Debian/Ubuntu machine, installing what is
# missing first:
#   1. unit tests of the safe core (cargo test, no httpd needed);
#   2. the module build (target/module/mod_session_cookie_rs.so);
#   3. integration tests in real Apache httpd: ours alone, and side by side
#      with the stock mod_session_cookie (tests/integration, pytest);
#   4. a bounded fuzzing run of the cookie-header parser (FUZZ_SECONDS, 30).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

scripts/install-deps.sh

echo "== unit tests"
cargo test --locked --release

echo "== module build"
scripts/build.sh

echo "== integration tests (real httpd)"
# Debian's python3 carries python3-pytest; another python3 first on PATH
# (pyenv, venv) may not.
/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration

echo "== fuzzing the cookie-header parser"
scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
