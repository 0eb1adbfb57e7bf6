#!/usr/bin/env bash
# Installs what building and testing need on Debian/Ubuntu, skipping what is
# there already. --build-only: just what the module build needs.
#   build: apache2 (the server and its modules), apache2-dev (apxs, headers),
#          libclang-dev (bindgen), a C compiler;
#   tests: python3-pytest (the httpd test harness), curl,
#          python3-prometheus-client (its parser reads the session-metrics
#          handler's output in test_metrics.py), gdb (the backtrace of a
#          core a crashed httpd child leaves, in a failing test's report),
#          python3-cryptography (values sealed in stock's format by tests),
#          valgrind (tests/memcheck),
#          libaprutil1-dbd-sqlite3 (mod_session_dbd on SQLite, test_dbd.py),
#          memcached + redis-server (the revocation stores the tests start
#          on 127.0.0.1: tests/integration/stores.py, cli/tests/revoke.rs),
#          chromium + chromium-driver + python3-selenium (the browser test),
#          debootstrap + docker-compose (the container tests; the Docker
#          engine itself must be installed and running);
#          build-essential + lintian + rpm (scripts/package.sh and
#          tests/package: dpkg-buildpackage, lintian, rpmbuild; debhelper
#          and dh_apache2 come with apache2-dev).
# The Rust toolchain (cargo, rustc >= 1.85 for edition 2024) comes from rustup.
set -euo pipefail
packages=(apache2 apache2-dev libclang-dev gcc)
if [ "${1:-}" != "--build-only" ]; then
    packages+=(python3 python3-pytest python3-prometheus-client python3-cryptography gdb valgrind curl binutils libaprutil1-dbd-sqlite3 memcached redis-server chromium chromium-driver python3-selenium debootstrap docker-compose build-essential lintian rpm)
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing: ${missing[*]}"
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts the packaged apache2 service on install where it can; the
# tests and the demo run their own httpd and need none of it.
command -v cargo >/dev/null || {
    echo "cargo not found: install the Rust toolchain with rustup (https://rustup.rs)" >&2
    exit 1
}
