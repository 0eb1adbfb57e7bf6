#!/bin/sh
# Starts httpd in the foreground: the demo site, or with ROLE=balancer a
# round-robin load balancer (no stickiness) over $BALANCER_MEMBERS, or with
# ROLE=redis Debian's redis-server (a cluster's shared revocation store).
# REVOCATION_STORE=redis:HOST:PORT (or memcache:...) points the demo's
# SessionCryptoRevocationStore there (default: shmcb, this node alone).
# The demo runs on our session modules, or with SESSION_MODULES=stock on
# Debian's stock mod_session_cookie and mod_session_crypto; with ours,
# SESSION_STOCK_FORMAT=Off|Open|Seal sets SessionCryptoStockFormat (unset:
# not written, so Open). Set, they are applied at every start; with neither
# set, the modules stay as they are (the image's: ours, or what
# `session-modules` switched them to before a restart).
set -eu
export NODE_NAME="${NODE_NAME:-$(hostname)}"
# apache2ctl reads envvars: `docker exec C apache2ctl graceful` sees it too.
sed -i '/^export NODE_NAME=/d' /etc/apache2/envvars
echo "export NODE_NAME='$NODE_NAME'" >> /etc/apache2/envvars

if [ "${ROLE:-demo}" = redis ]; then
    # Revocations survive a restart of the store (appendonly).
    mkdir -p /var/lib/redis-revocations
    exec redis-server --bind 0.0.0.0 --protected-mode no --save '' --appendonly yes \
        --dir /var/lib/redis-revocations
fi
if [ -n "${REVOCATION_STORE:-}" ]; then
    echo "SessionCryptoRevocationStore $REVOCATION_STORE" > /etc/apache2/demo/revocation.conf
fi

if [ "${ROLE:-demo}" = balancer ]; then
    a2dissite -q demo
    {
        echo 'ServerName localhost'
        echo 'ErrorLog /dev/stderr'
        echo '<VirtualHost *:8080>'
        echo '    <Proxy "balancer://nodes">'
        for member in ${BALANCER_MEMBERS:?set BALANCER_MEMBERS}; do
            # No pooled connections: a stopped node leaves none stale behind.
            # A node that is gone is given up on after a second, not after
            # the kernel's own connect timeout.
            echo "        BalancerMember $member retry=1 disablereuse=On connectiontimeout=1"
        done
        echo '        ProxySet lbmethod=byrequests'
        echo '    </Proxy>'
        echo '    ProxyPreserveHost On'
        echo '    ProxyPass "/" "balancer://nodes/"'
        echo '    ProxyPassReverse "/" "balancer://nodes/"'
        echo '</VirtualHost>'
    } > /etc/apache2/sites-enabled/balancer.conf
else
    if [ -n "${SESSION_MODULES:-}${SESSION_STOCK_FORMAT:-}" ]; then
        session-modules "${SESSION_MODULES:-ours}" ${SESSION_STOCK_FORMAT:+"$SESSION_STOCK_FORMAT"}
    fi
    if [ ! -s /run/secrets/session ]; then
        mkdir -p /run/secrets
        (umask 077 && head -c 32 /dev/urandom | base64 > /run/secrets/session)
    fi
fi
exec apache2ctl -D FOREGROUND
