#!/usr/bin/env bash
# Installs the built module into httpd's module directory (apxs -q
# LIBEXECDIR) and, on Debian/Ubuntu, the a2enmod files into
# /etc/apache2/mods-available. Enables nothing: it prints the next steps.
# Builds the module first if needed. scripts/uninstall.sh undoes it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
module=$repo/target/module/mod_session_cookie_rs.so
[ -f "$module" ] || "$repo/scripts/build.sh"

libexec=$(apxs -q LIBEXECDIR)
install -m 0644 "$module" "$libexec/mod_session_cookie_rs.so"
echo "installed $libexec/mod_session_cookie_rs.so"

mods=/etc/apache2/mods-available
if [ -d "$mods" ]; then
    for f in session_cookie_rs.load session_crypto_rs.load; do
        # The .load files name Debian's module directory; follow apxs.
        sed "s|/usr/lib/apache2/modules/|$libexec/|" "$repo/conf/$f" > "$mods/$f"
        chmod 0644 "$mods/$f"
    done
    install -m 0644 "$repo/conf/session_cookie_rs.conf" "$mods/session_cookie_rs.conf"
    echo "installed $mods/session_cookie_rs.load, session_crypto_rs.load, session_cookie_rs.conf"
    cat <<STEPS

Next steps (ours replaces stock: both define the same modules):
  a2dismod -q session_cookie session_crypto
  a2enmod session_cookie_rs session_crypto_rs
  apache2ctl configtest && systemctl reload apache2
STEPS
else
    cat <<STEPS

Add to httpd.conf, after mod_session (and instead of the stock lines):
  LoadModule session_cookie_module $libexec/mod_session_cookie_rs.so
  LoadModule session_crypto_module $libexec/mod_session_cookie_rs.so
STEPS
fi
