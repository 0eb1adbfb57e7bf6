#!/usr/bin/env bash
# The main job: builds mod_session_cookie_rs and serves a small demo site
# with it on http://127.0.0.1:8080 (PORT=... to change), in the foreground.
# Ctrl-C stops it. The site runs from a temporary directory that is
# removed on exit: httpd's workers (www-data when started as root) must be
# able to read it, which a checkout under /root is not.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
port=${PORT:-8080}

"$repo/scripts/install-deps.sh" --build-only
"$repo/scripts/build.sh"

run=$(mktemp -d -t mod_session_cookie_rs-demo.XXXXXX)
trap 'rm -rf "$run"' EXIT
chmod 0755 "$run"
cp -r "$repo/conf/demo/htdocs" "$repo/conf/demo/cgi-bin" "$run/"
cp "$repo/target/module/mod_session_cookie_rs.so" "$run/"
user=""
if [ "$(id -u)" = 0 ]; then user=$'User www-data\nGroup www-data'; fi
sed -e "s|@RUN@|$run|g" -e "s|@PORT@|$port|g" -e "s|@MODULE@|$run/mod_session_cookie_rs.so|g" \
    "$repo/conf/demo/httpd.conf.in" | awk -v user="$user" '{ if ($0 == "@USER@") print user; else print }' \
    > "$run/httpd.conf"

apache2 -t -f "$run/httpd.conf"
echo "mod_session_cookie_rs demo: http://127.0.0.1:$port/  (Ctrl-C stops)"
# Not exec: the EXIT trap removes the runtime directory after httpd stops.
apache2 -f "$run/httpd.conf" -DFOREGROUND &
httpd=$!
trap 'kill -TERM $httpd 2>/dev/null; wait $httpd; rm -rf "$run"' INT TERM EXIT
wait $httpd
