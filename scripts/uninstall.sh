#!/usr/bin/env bash
# Undoes scripts/install.sh and puts stock back. On Debian/Ubuntu layouts,
# each of our modules that is enabled (session_cookie_rs, session_crypto_rs)
# is disabled and the stock module it replaced (session_cookie,
# session_crypto) enabled in its place; then the installed files are
# removed: the a2enmod files in mods-available and both modules
# (mod_session_cookie_rs.so, mod_session_crypto_rs.so) in
# $(apxs -q LIBEXECDIR). Safe to run again. Reload Apache afterwards.
set -euo pipefail
confdir=${APACHE_CONFDIR:-/etc/apache2}
mods=$confdir/mods-available
enabled=$confdir/mods-enabled
if command -v apxs >/dev/null; then
    libexec=$(apxs -q LIBEXECDIR)
else
    libexec=/usr/lib/apache2/modules   # Debian's, when apache2-dev is gone
fi

changed=no removed=no
if [ -d "$mods" ]; then
    for pair in session_cookie_rs:session_cookie session_crypto_rs:session_crypto; do
        ours=${pair%%:*} stock=${pair##*:}
        if [ -e "$enabled/$ours.load" ] || [ -L "$enabled/$ours.load" ]; then
            a2dismod -q "$ours"
            echo "disabled $ours"
            a2enmod -q "$stock"
            echo "enabled stock $stock in its place"
            changed=yes
        fi
    done
    for f in session_cookie_rs.load session_crypto_rs.load session_cookie_rs.conf; do
        if [ -e "$mods/$f" ]; then
            rm -f "$mods/$f"
            removed=yes
            echo "removed $mods/$f"
        fi
    done
fi
for so in mod_session_cookie_rs.so mod_session_crypto_rs.so; do
    if [ -e "$libexec/$so" ]; then
        rm -f "$libexec/$so"
        removed=yes
        echo "removed $libexec/$so"
    fi
done
if [ "$changed" = yes ]; then
    echo "done; Apache's configuration changed: apache2ctl configtest && systemctl reload apache2"
elif [ "$removed" = yes ]; then
    echo "done; none of our modules was enabled, Apache's configuration is unchanged"
else
    echo "nothing to do: mod_session_cookie_rs is not installed"
fi
