#!/usr/bin/env bash
# Installs mod_session_cookie_rs: the two built modules,
# mod_session_cookie_rs.so (session_cookie_module) and
# mod_session_crypto_rs.so (session_crypto_module), into httpd's module
# directory ($(apxs -q LIBEXECDIR); without apxs, Debian's
# /usr/lib/apache2/modules if it exists) and, on Debian/Ubuntu layouts
# (/etc/apache2/mods-available, or $APACHE_CONFDIR/mods-available), the
# a2enmod files session_cookie_rs.load, session_crypto_rs.load and
# session_cookie_rs.conf. Builds the modules first if either is not built yet.
#
# Enables nothing: it prints the next steps. Safe to run again (it
# overwrites its own files). scripts/uninstall.sh undoes it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
built=$repo/target/module
modules="mod_session_cookie_rs.so mod_session_crypto_rs.so"
confdir=${APACHE_CONFDIR:-/etc/apache2}
mods=$confdir/mods-available

debian_modules=/usr/lib/apache2/modules
if command -v apxs >/dev/null; then
    libexec=$(apxs -q LIBEXECDIR)
    echo "module directory: $libexec (apxs -q LIBEXECDIR)"
elif [ -d "$debian_modules" ]; then
    # Debian's apache2 without apache2-dev, as scripts/uninstall.sh assumes.
    libexec=$debian_modules
    echo "module directory: $libexec (apxs not found: Debian's module directory)"
else
    echo "install.sh: apxs not found and no $debian_modules: install apache2-dev (Debian/Ubuntu) or httpd-devel" >&2
    exit 1
fi
for so in $modules; do
    if [ ! -f "$built/$so" ]; then
        echo "== $built/$so not built yet: building the modules"
        "$repo/scripts/build.sh"
        break
    fi
done

[ -d "$libexec" ] || { echo "install.sh: module directory $libexec does not exist" >&2; exit 1; }
for so in $modules; do
    # install(1) replaces the file rather than writing into it: a running
    # httpd keeps the module it mapped until it reloads.
    install -m 0644 "$built/$so" "$libexec/$so"
    echo "installed $libexec/$so"
done

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

Nothing is enabled yet. Each of ours conflicts only with its own stock twin
(a2enmod refuses session_cookie_rs while stock session_cookie is enabled,
session_crypto_rs while stock session_crypto is), so any mix works: switch
one module at a time, in either order, or both. As root:
  a2dismod session_cookie && a2enmod session_cookie_rs   # also enables mod_session
  a2dismod session_crypto && a2enmod session_crypto_rs   # opens stock-sealed sessions too
  apache2ctl configtest && systemctl reload apache2      # after each switch
To go back to stock: scripts/uninstall.sh
STEPS
else
    cat <<STEPS

No $mods here (not a Debian/Ubuntu layout). In httpd.conf, load
mod_session first, then ours, each in place of its stock line (either may
stay stock: any mix works):
  LoadModule session_module        $libexec/mod_session.so
  LoadModule session_cookie_module $libexec/mod_session_cookie_rs.so
  LoadModule session_crypto_module $libexec/mod_session_crypto_rs.so
Then: apachectl configtest && apachectl graceful
STEPS
fi
