#!/usr/bin/env bash
# Runs every test on a fresh Debian/Ubuntu machine, installing what is
# missing first:
#   0. static checks: rustfmt, and clippy with warnings denied (unsafe
#      blocks without a SAFETY comment too) for the core, the CLI and each
#      module build;
#   1. unit tests of the safe core and the admin CLI (cargo test, no httpd
#      needed);
#   2. the two module builds (target/module/mod_session_{cookie,crypto}_rs.so)
#      and the admin CLI (target/release/session-crypto-rs);
#   3. integration tests in real Apache httpd: ours alone, and side by side
#      with the stock mod_session_cookie / mod_session_crypto in every mix
#      (tests/integration, pytest);
#   4. the same flows once under valgrind memcheck, and a one-minute soak
#      with graceful restarts (tests/memcheck, tests/soak);
#   5. the Debian admin path in a container, on Debian 12 and 13:
#      install.sh (no apxs), a2enmod, configtest, Apache on a test port,
#      uninstall.sh (tests/system; the host's own Apache is never touched;
#      root for docker, sudo otherwise);
#   6. the demo in headless Chromium (tests/browser);
#   7. the Docker image, a load-balanced cluster and the switch from stock
#      in it, and the Debian package installed with apt in a Debian 12 and
#      a Debian 13 container, with Debian 13's lintian too (tests/docker,
#      tests/package; the base images are built from Debian packages with
#      debootstrap and cached);
#   8. our modules in httpd 2.4 built from Apache's own source tarball,
#      with Apache's layout and apxs, in a Debian 12 container: install.sh
#      through that apxs, the plain and sealed flows, and the switch from
#      its stock mod_session_cookie / mod_session_crypto (tests/source_httpd;
#      the image is built once by scripts/source-httpd-image.sh and cached);
#   9. a bounded fuzzing run of the safe core (FUZZ_SECONDS per target, 30).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

scripts/install-deps.sh

echo "== static checks: formatting, clippy for the core, the CLI and each module"
cargo fmt --all --check
(cd fuzz && cargo fmt --check)
for features in "" "--features session-cookie-module" "--features session-crypto-module"; do
    # shellcheck disable=SC2086 # one feature flag, or none
    cargo clippy --locked --release --all-targets $features -- \
        -D warnings -D clippy::undocumented_unsafe_blocks
done
cargo clippy --locked --release -p session-crypto-rs --all-targets -- -D warnings

echo "== unit tests"
cargo test --locked --release --workspace

echo "== module and CLI builds"
scripts/build.sh
cargo build --locked --release -p session-crypto-rs

# Debian's python3 carries python3-pytest; another python3 first on PATH
# (pyenv, venv) may not.
pytest=(/usr/bin/python3 -m pytest -q -p no:cacheprovider)
sudo=""
if [ "$(id -u)" != 0 ]; then sudo=sudo; fi

echo "== integration tests (real httpd)"
"${pytest[@]}" tests/integration

echo "== memcheck and soak"
"${pytest[@]}" tests/memcheck
"${pytest[@]}" tests/soak

echo "== the a2enmod path in a container"
$sudo "${pytest[@]}" tests/system

echo "== the demo in a browser"
"${pytest[@]}" tests/browser

echo "== containers: the image, a load-balanced cluster, the Debian package"
$sudo "${pytest[@]}" tests/docker
$sudo "${pytest[@]}" tests/package

echo "== httpd built from Apache's source, in a container"
$sudo "${pytest[@]}" tests/source_httpd

echo "== fuzzing the safe core"
scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
