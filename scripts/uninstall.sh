#!/usr/bin/env bash
# Undoes scripts/install.sh and puts stock back: where our modules were
# enabled, they are disabled and the stock mod_session_cookie /
# mod_session_crypto enabled in their place. Reload Apache afterwards.
set -euo pipefail
libexec=$(apxs -q LIBEXECDIR)
mods=/etc/apache2/mods-available

if [ -d "$mods" ]; then
    for pair in session_cookie_rs:session_cookie session_crypto_rs:session_crypto; do
        ours=${pair%%:*} stock=${pair##*:}
        if [ -e "/etc/apache2/mods-enabled/$ours.load" ]; then
            a2dismod -q "$ours"
            a2enmod -q "$stock"
            echo "disabled $ours, enabled stock $stock"
        fi
        rm -f "$mods/$ours.load"
    done
    rm -f "$mods/session_cookie_rs.conf"
fi
rm -f "$libexec/mod_session_cookie_rs.so"
echo "removed mod_session_cookie_rs; run: apache2ctl configtest && systemctl reload apache2"
