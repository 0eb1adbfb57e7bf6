#!/usr/bin/env bash
# Runs every test on a fresh Debian/Ubuntu machine, installing what is
# missing first:
#   1. unit tests of the safe core (cargo test, no httpd needed);
#   2. the module build (target/module/mod_session_cookie_rs.so);
#   3. integration tests in real Apache httpd: ours alone, and side by side
#      with the stock mod_session_cookie / mod_session_crypto
#      (tests/integration, pytest);
#   4. the Debian admin path on this machine: install.sh, a2enmod,
#      configtest, the system Apache on a test port, uninstall.sh, with
#      /etc/apache2 restored (tests/system; needs root, uses sudo otherwise);
#   5. the demo in headless Chromium (tests/browser);
#   6. the Docker image, and two nodes behind a load balancer, each in its
#      own container on a private network (tests/docker; the base image is
#      built from Debian packages with debootstrap and cached);
#   7. a bounded fuzzing run of the safe core (FUZZ_SECONDS per target, 30).
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

echo "== the a2enmod path on this machine"
sudo=""
if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
$sudo /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/system

echo "== the demo in a browser"
/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/browser

echo "== containers: the image and a load-balanced cluster"
$sudo /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/docker

echo "== fuzzing the safe core"
scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
