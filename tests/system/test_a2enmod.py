"""The Debian admin path, for real, on this machine: scripts/install.sh,
a2enmod (with its Depends/Conflicts), apache2ctl configtest, a request
through the system's own Apache configuration on a test port, then
scripts/uninstall.sh puts stock back. /etc/apache2 and the module
directory are restored exactly afterwards, pass or fail.

Needs root and Debian's apache2 (scripts/test.sh runs it as root in CI).
"""
import hashlib
import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
ETC = Path("/etc/apache2")
SECRET = "system test secret, forty characters long"
CGI = """#!/bin/sh
printf 'Content-Type: text/plain\\r\\n'
case "$QUERY_STRING" in set=*) printf 'X-Replace-Session: %s\\r\\n' "${QUERY_STRING#set=}" ;; esac
printf '\\r\\nHTTP_SESSION=[%s]\\n' "$HTTP_SESSION"
"""


def sh(*cmd, check=True):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if check:
        assert p.returncode == 0, f"{' '.join(cmd)} failed:\n{p.stdout}{p.stderr}"
    return p


def tree_digest(root):
    """Every path under root with its type, target or content hash."""
    out = []
    for p in sorted(root.rglob("*")):
        if p.is_symlink():
            out.append((str(p), "->", os.readlink(p)))
        elif p.is_file():
            out.append((str(p), hashlib.sha256(p.read_bytes()).hexdigest()))
        else:
            out.append((str(p), "dir"))
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path, cookie=None):
    req = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    if cookie:
        req += f"Cookie: {cookie}\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall((req + "\r\n").encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data.decode("latin-1")


def system_apache(action):
    """apache2 -k start|stop with Debian's envvars: the system's own config."""
    return sh("sh", "-c", f". /etc/apache2/envvars && exec /usr/sbin/apache2 -k {action}")


@pytest.fixture
def machine():
    """Snapshot /etc/apache2 and the installed module; restore both after."""
    assert os.geteuid() == 0, "the a2enmod test changes /etc/apache2: run it as root"
    assert shutil.which("a2enmod") and Path("/usr/sbin/apache2").exists(), "install apache2"
    libexec = Path(sh("apxs", "-q", "LIBEXECDIR").stdout.strip())
    installed = libexec / "mod_session_cookie_rs.so"
    had_module = installed.exists()
    before = tree_digest(ETC)
    backup = Path(tempfile.mkdtemp(prefix="scr-etc-backup-"))
    with tarfile.open(backup / "etc.tar", "w") as tar:
        tar.add(ETC, arcname="apache2")
    www = Path(tempfile.mkdtemp(prefix="scr-system-www-"))
    www.chmod(0o755)
    try:
        yield www
    finally:
        system_apache("stop") if Path("/var/run/apache2/apache2.pid").exists() else None
        for _ in range(100):
            if not Path("/var/run/apache2/apache2.pid").exists():
                break
            time.sleep(0.1)
        shutil.rmtree(ETC)
        with tarfile.open(backup / "etc.tar") as tar:
            tar.extractall(ETC.parent)
        if not had_module:
            installed.unlink(missing_ok=True)
        shutil.rmtree(backup)
        shutil.rmtree(www)
        assert tree_digest(ETC) == before, "/etc/apache2 not restored"


def test_install_a2enmod_serve_uninstall(machine):
    www = machine
    enabled = ETC / "mods-enabled"

    out = sh(str(REPO / "scripts/install.sh")).stdout
    assert "a2enmod session_cookie_rs session_crypto_rs" in out
    assert (ETC / "mods-available/session_cookie_rs.load").exists()

    # Conflicts: ours cannot be enabled beside stock.
    sh("a2enmod", "-q", "session_cookie")
    refused = sh("a2enmod", "session_cookie_rs", check=False)
    assert refused.returncode != 0 and "conflict" in (refused.stdout + refused.stderr).lower()
    sh("a2dismod", "-q", "session_cookie")

    sh("a2enmod", "-q", "session_cookie_rs", "session_crypto_rs", "cgid", "headers")
    assert (enabled / "session.load").exists(), "# Depends: session did not enable mod_session"

    port = free_port()
    (www / "env.sh").write_text(CGI)
    (www / "env.sh").chmod(0o755)
    (ETC / "conf-enabled/zz-scr-system-test.conf").write_text(f"""
Listen 127.0.0.1:{port}
<VirtualHost 127.0.0.1:{port}>
    ScriptAlias /env.sh {www}/env.sh
    <Directory {www}>
        Require all granted
    </Directory>
    Session On
    SessionEnv On
    SessionMaxAge 60
    SessionHeader X-Replace-Session
    SessionCookieName session path=/
    SessionCryptoPassphrase "{SECRET}"
</VirtualHost>
""")
    sh("apache2ctl", "configtest")
    system_apache("start")
    deadline = time.monotonic() + 15
    while True:
        try:
            first = get(port, "/env.sh?set=user=alice")
            break
        except OSError:
            assert time.monotonic() < deadline, "system apache did not come up"
            time.sleep(0.1)
    cookie = next(l.split(":", 1)[1].strip().split(";")[0]
                  for l in first.splitlines() if l.lower().startswith("set-cookie:"))
    assert cookie.startswith("session=A"), f"not sealed by our module (version byte 1): {cookie}"
    assert "HTTP_SESSION=[user=alice&expiry=" in get(port, "/env.sh", cookie)
    system_apache("stop")

    sh(str(REPO / "scripts/uninstall.sh"))
    assert not (ETC / "mods-available/session_cookie_rs.load").exists()
    assert (enabled / "session_cookie.load").exists(), "stock session_cookie not put back"
    assert (enabled / "session_crypto.load").exists(), "stock session_crypto not put back"
