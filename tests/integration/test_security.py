"""The ways around our own limits a security review found (each test here
failed before its fix): what a tenant's .htaccess may not do."""
from pathlib import Path

from sealed_support import LOGLEVEL, SECRET, sealed_body

# A secret program that leaves a mark each time it runs.
SECRET_PROGRAM = """#!/bin/sh
echo ran >> "{root}/ran"
echo a-secret-printed-by-a-program-0123456789
"""


def test_exec_secret_in_htaccess_is_refused_and_never_runs(fresh_apache):
    """`exec:` runs a program as the server's user, on every request that
    reads the file: in a tenant's .htaccess (AllowOverride AuthConfig) it is
    a configuration error, and the program does not run."""
    files = {
        "secret.sh": SECRET_PROGRAM,
        "tenant/.htaccess": 'SessionCryptoPassphrase "exec:{docroot}/secret.sh"\n',
        "tenant/page.txt": "tenant page\n",
    }
    srv = fresh_apache("ours", "event", sealed_body([SECRET]), files=files, loglevel=LOGLEVEL,
                       crypto="ours")
    for _ in range(3):
        resp = srv.request("/tenant/page.txt")
        # httpd's answer to an .htaccess it cannot read: the tenant's own
        # configuration error, not the client's.
        assert resp.status == 500, resp.status
    srv.expect_log(r"SessionCryptoPassphrase: exec: is not allowed in \.htaccess")
    assert not Path(srv.subst("{root}/ran")).exists(), "the tenant's program ran"
