#!/bin/sh
# Starts httpd in the foreground: the demo site, or with ROLE=balancer a
# round-robin load balancer (no stickiness) over $BALANCER_MEMBERS.
set -eu
export NODE_NAME="${NODE_NAME:-$(hostname)}"

if [ "${ROLE:-demo}" = balancer ]; then
    a2dissite -q demo
    {
        echo 'ServerName localhost'
        echo 'ErrorLog /dev/stderr'
        echo '<VirtualHost *:8080>'
        echo '    <Proxy "balancer://nodes">'
        for member in ${BALANCER_MEMBERS:?set BALANCER_MEMBERS}; do
            # No pooled connections: a stopped node leaves none stale behind.
            echo "        BalancerMember $member retry=1 disablereuse=On"
        done
        echo '        ProxySet lbmethod=byrequests'
        echo '    </Proxy>'
        echo '    ProxyPreserveHost On'
        echo '    ProxyPass "/" "balancer://nodes/"'
        echo '    ProxyPassReverse "/" "balancer://nodes/"'
        echo '</VirtualHost>'
    } > /etc/apache2/sites-enabled/balancer.conf
elif [ ! -s /run/secrets/session ]; then
    mkdir -p /run/secrets
    (umask 077 && head -c 32 /dev/urandom | base64 > /run/secrets/session)
fi
exec apache2ctl -D FOREGROUND
