#!/usr/bin/env bash
# The main job: builds mod_session_cookie_rs and serves the demo site
# (conf/demo: a login form, a protected area, a logout, on a sealed session
# cookie) on http://127.0.0.1:8080 (PORT=... to change), in the foreground.
# Ctrl-C stops it.
#
# The site runs from target/demo. Started as root, httpd's workers run as
# www-data and must be able to read it: when they cannot reach the checkout
# (one under /root, say), a temporary directory, removed on exit, is used
# instead. The session secret is random per run.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
port=${PORT:-8080}

"$repo/scripts/install-deps.sh" --build-only
"$repo/scripts/build.sh"

run=$repo/target/demo
cleanup=""
if [ "$(id -u)" = 0 ] && ! runuser -u www-data -- test -x "$repo/target"; then
    run=$(mktemp -d -t mod_session_cookie_rs-demo.XXXXXX)
    cleanup=$run
    echo "www-data cannot reach $repo: serving from $run (removed on exit)"
fi
rm -rf "${run:?}" && mkdir -p "$run"
trap '[ -z "$cleanup" ] || rm -rf "$cleanup"' EXIT
chmod 0755 "$run"
cp -r "$repo/conf/demo/htdocs" "$repo/conf/demo/private" "$repo/conf/demo/site.conf" \
    "$repo/conf/demo/htpasswd" "$repo"/target/module/mod_session_{cookie,crypto}_rs.so "$run/"
(umask 077; head -c 32 /dev/urandom | base64 > "$run/secrets")
user=""
if [ "$(id -u)" = 0 ]; then
    user=$'User www-data\nGroup www-data'
    # Read at startup, as root; workers never need it.
    chown root:root "$run/secrets"
fi
sed -e "s|@RUN@|$run|g" -e "s|@PORT@|$port|g" -e "s|@MODULES@|$run|g" \
    "$repo/conf/demo/httpd.conf.in" |
    awk -v user="$user" '{ if ($0 == "@USER@") print user; else print }' > "$run/httpd.conf"

apache2 -t -f "$run/httpd.conf"
echo "mod_session_cookie_rs demo: http://127.0.0.1:$port/  (user demo, password demo-password; Ctrl-C stops)"
# Not exec: the trap stops httpd and removes a temporary directory.
apache2 -f "$run/httpd.conf" -DFOREGROUND &
httpd=$!
trap 'kill -TERM $httpd 2>/dev/null; wait $httpd; [ -z "$cleanup" ] || rm -rf "$cleanup"' INT TERM EXIT
wait $httpd
