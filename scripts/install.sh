#!/usr/bin/env bash
# Installs mod_session_cookie_rs: the built module into httpd's module
# directory ($(apxs -q LIBEXECDIR)) and, on Debian/Ubuntu layouts
# (/etc/apache2/mods-available, or $APACHE_CONFDIR/mods-available), the
# a2enmod files session_cookie_rs.load, session_crypto_rs.load and
# session_cookie_rs.conf. Builds the module first if it is not built yet.
#
# Enables nothing: it prints the next steps. Safe to run again (it
# overwrites its own files). scripts/uninstall.sh undoes it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
module=$repo/target/module/mod_session_cookie_rs.so
confdir=${APACHE_CONFDIR:-/etc/apache2}
mods=$confdir/mods-available

command -v apxs >/dev/null || {
    echo "install.sh: apxs not found: install apache2-dev (Debian/Ubuntu) or httpd-devel" >&2
    exit 1
}
if [ ! -f "$module" ]; then
    echo "== $module not built yet: building it"
    "$repo/scripts/build.sh"
fi

libexec=$(apxs -q LIBEXECDIR)
[ -d "$libexec" ] || { echo "install.sh: module directory $libexec does not exist" >&2; exit 1; }
install -m 0644 "$module" "$libexec/mod_session_cookie_rs.so"
echo "installed $libexec/mod_session_cookie_rs.so"

if [ -d "$mods" ]; then
    for f in session_cookie_rs.load session_crypto_rs.load; do
        # The .load files name Debian's module directory; follow apxs.
        sed "s|/usr/lib/apache2/modules/|$libexec/|" "$repo/conf/$f" > "$mods/$f.tmp"
        chmod 0644 "$mods/$f.tmp"
        mv -f "$mods/$f.tmp" "$mods/$f"
        echo "installed $mods/$f"
    done
    install -m 0644 "$repo/conf/session_cookie_rs.conf" "$mods/session_cookie_rs.conf"
    echo "installed $mods/session_cookie_rs.conf (a commented example)"
    cat <<STEPS

Nothing is enabled yet. Next steps, as root (ours replaces the stock modules:
both define session_cookie_module / session_crypto_module, so a2enmod refuses
ours while stock is enabled):
  a2dismod session_cookie session_crypto
  a2enmod session_cookie_rs session_crypto_rs    # also enables mod_session
  apache2ctl configtest && systemctl reload apache2
To go back to stock: scripts/uninstall.sh
STEPS
else
    cat <<STEPS

No $mods here (not a Debian/Ubuntu layout). In httpd.conf, load
mod_session first, then ours in place of the stock modules:
  LoadModule session_module        $libexec/mod_session.so
  LoadModule session_cookie_module $libexec/mod_session_cookie_rs.so
  LoadModule session_crypto_module $libexec/mod_session_cookie_rs.so
Then: apachectl configtest && apachectl graceful
STEPS
fi
