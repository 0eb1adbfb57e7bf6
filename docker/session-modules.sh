#!/bin/sh
# session-modules stock|ours [Off|Open|Seal]
#
# Which session modules the demo runs on: Debian's stock mod_session_cookie
# and mod_session_crypto, or ours (session_cookie_rs, session_crypto_rs),
# switched with a2dismod/a2enmod as an admin would. For ours, an optional
# SessionCryptoStockFormat for the demo site (written to $conf, which
# docker/demo.conf includes in the virtual host); without one, or for stock
# (whose configuration would fail on that directive), the file is removed.
#
# The entrypoint runs it at start with $SESSION_MODULES and
# $SESSION_STOCK_FORMAT. On a running node it is a step of a switch, taking
# effect at the next graceful restart, which loads the modules anew:
#   docker exec NODE session-modules ours Seal && docker exec NODE apache2ctl graceful
set -eu
conf=/etc/apache2/demo/stock-format.conf

usage() {
    echo "usage: session-modules stock|ours [Off|Open|Seal]" >&2
    exit 2
}
[ $# -ge 1 ] && [ $# -le 2 ] || usage
format=
case "${2:-}" in
    "") ;;
    [Oo][Ff][Ff]) format=Off ;;
    [Oo][Pp][Ee][Nn]) format=Open ;;
    [Ss][Ee][Aa][Ll]) format=Seal ;;
    *) usage ;;
esac

case "$1" in
    stock)
        if [ -n "$format" ]; then
            echo "session-modules: SessionCryptoStockFormat $format is a directive of our" \
                 "session_crypto_module only; stock's configuration would fail on it" >&2
            exit 2
        fi
        # Disabled first: each .load names the other as a conflict.
        a2dismod -q session_cookie_rs session_crypto_rs
        a2enmod -q session_cookie session_crypto
        rm -f "$conf"
        ;;
    ours)
        a2dismod -q session_cookie session_crypto
        a2enmod -q session_cookie_rs session_crypto_rs
        if [ -n "$format" ]; then
            echo "SessionCryptoStockFormat $format" > "$conf.new"
            mv "$conf.new" "$conf"
        else
            rm -f "$conf"
        fi
        ;;
    *) usage ;;
esac
