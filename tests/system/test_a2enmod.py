"""The Debian admin path, for real, on this machine.

scripts/install.sh; a2enmod refusing ours beside stock (# Conflicts) and
pulling in mod_session (# Depends); apache2ctl configtest; the system's own
Apache (/etc/apache2/apache2.conf with /etc/apache2/envvars, through
apache2ctl start) serving a sealed session on a test port; apache2ctl stop;
scripts/uninstall.sh putting stock back. /etc/apache2 and the installed
module path are restored exactly afterwards, pass or fail, and nothing is
left running or listening.

Needs root and Debian's apache2 + apache2-dev; it fails (never skips)
without them. Apache also binds port 80 (ports.conf) while it runs, and
writes to /var/log/apache2.
"""
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO / "tests" / "integration"))
from harness import free_port, listening  # noqa: E402
ETC = Path("/etc/apache2")
ENABLED = ETC / "mods-enabled"
AVAILABLE = ETC / "mods-available"
PIDFILE = Path("/var/run/apache2/apache2.pid")
SNIPPET = ETC / "conf-enabled/zz-session-cookie-rs-system-test.conf"
OUR_FILES = ("session_cookie_rs.load", "session_crypto_rs.load", "session_cookie_rs.conf")

# A CGI showing the session mod_session hands over (SessionEnv On);
# ?set=k=v replaces the session through the SessionHeader response header.
CGI = """#!/bin/sh
printf 'Content-Type: text/plain\\r\\n'
case "$QUERY_STRING" in set=*) printf 'X-Replace-Session: %s\\r\\n' "${QUERY_STRING#set=}" ;; esac
printf '\\r\\nHTTP_SESSION=[%s]\\n' "$HTTP_SESSION"
"""


def sh(*cmd, check=True, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    if check:
        assert p.returncode == 0, f"{' '.join(map(str, cmd))} exited {p.returncode}:\n{p.stdout}{p.stderr}"
    return p


def tree_digest(root):
    """Every path under root: type, mode, owner, and content hash or link target."""
    out = []
    for p in [root, *sorted(root.rglob("*"))]:
        st = p.lstat()
        meta = (str(p), stat.filemode(st.st_mode), st.st_uid, st.st_gid)
        if stat.S_ISLNK(st.st_mode):
            out.append((*meta, os.readlink(p)))
        elif stat.S_ISREG(st.st_mode):
            out.append((*meta, hashlib.sha256(p.read_bytes()).hexdigest()))
        else:
            out.append(meta)
    return out


def file_state(path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def get(port, path, cookie=None):
    """One HTTP/1.1 request; returns (status, [(header, value)], body)."""
    req = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    if cookie:
        req += f"Cookie: {cookie}\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall((req + "\r\n").encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.decode("latin-1").partition("\r\n\r\n")
    lines = head.split("\r\n")
    headers = [tuple(x.strip() for x in l.split(":", 1)) for l in lines[1:]]
    return int(lines[0].split()[1]), headers, body


def set_cookies(headers):
    return [v for k, v in headers if k.lower() == "set-cookie"]


def apache_pid():
    try:
        pid = int(PIDFILE.read_text().split()[0])
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError, IndexError):
        return None


def wait_gone(pid, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def stop_apache():
    """apache2ctl stop, then wait for the parent to be gone; signals as a last resort."""
    pid = apache_pid()
    if pid is None:
        return
    sh("apache2ctl", "stop", check=False)
    if not wait_gone(pid, 20):
        os.kill(pid, signal.SIGTERM)
        if not wait_gone(pid, 10):
            os.killpg(os.getpgid(pid), signal.SIGKILL)
            wait_gone(pid, 5)


def enabled(name):
    return (ENABLED / f"{name}.load").is_symlink()


@pytest.fixture
def machine():
    """Snapshot /etc/apache2 and the installed module path; restore both after."""
    assert os.geteuid() == 0, "this test changes /etc/apache2: run it as root"
    for tool in ("apache2", "apache2ctl", "a2enmod", "a2dismod", "apxs"):
        assert shutil.which(tool) or Path("/usr/sbin", tool).exists(), (
            f"{tool} not found: install Debian's apache2 and apache2-dev")
    assert AVAILABLE.is_dir(), f"no {AVAILABLE}: not Debian's apache2 layout"
    assert apache_pid() is None, "the system Apache is running: stop it before this test"

    libexec = Path(sh("apxs", "-q", "LIBEXECDIR").stdout.strip())
    installed = libexec / "mod_session_cookie_rs.so"
    before = tree_digest(ETC)
    module_before = file_state(installed)
    ports_before = {p: listening(p) for p in (80, 443)}
    backup = Path(tempfile.mkdtemp(prefix="scr-system-backup-"))
    with tarfile.open(backup / "etc-apache2.tar", "w") as tar:
        tar.add(ETC, arcname="apache2")
    if module_before:
        shutil.copy2(installed, backup / "module.so")
    www = Path(tempfile.mkdtemp(prefix="scr-system-www-"))
    www.chmod(0o755)  # CGIs run as www-data
    ctx = {"www": www, "installed": installed, "port": free_port()}
    try:
        yield ctx
    finally:
        stop_apache()
        # Swap in the restored tree, so /etc/apache2 is never missing.
        restored = Path(tempfile.mkdtemp(prefix="apache2.restore-", dir=ETC.parent))
        with tarfile.open(backup / "etc-apache2.tar") as tar:
            tar.extractall(restored, numeric_owner=True)
        old = ETC.with_name("apache2.scr-system-test-old")
        ETC.rename(old)
        (restored / "apache2").rename(ETC)
        shutil.rmtree(old)
        restored.rmdir()
        if module_before:
            shutil.copy2(backup / "module.so", installed)
        else:
            installed.unlink(missing_ok=True)
        shutil.rmtree(backup)
        shutil.rmtree(www)
        assert tree_digest(ETC) == before, "/etc/apache2 not restored exactly"
        assert file_state(installed) == module_before, f"{installed} not restored"
        assert apache_pid() is None, "the system Apache is still running"
        for port in (ctx["port"], 80, 443):
            assert listening(port) == ports_before.get(port, False), f"port {port} left listening"


def test_install_a2enmod_serve_uninstall(machine):
    www, installed, port = machine["www"], machine["installed"], machine["port"]
    built = REPO / "target/module/mod_session_cookie_rs.so"

    # install.sh: the module and the a2enmod files, nothing enabled; twice (idempotent).
    for _ in range(2):
        out = sh(str(REPO / "scripts/install.sh")).stdout
    assert "a2dismod session_cookie session_crypto" in out, out
    assert "a2enmod session_cookie_rs session_crypto_rs" in out, out
    assert "apache2ctl configtest" in out, out
    assert file_state(installed) == file_state(built)
    for f in OUR_FILES:
        assert (AVAILABLE / f).is_file(), f
    assert f"LoadModule session_cookie_module {installed}" in (AVAILABLE / "session_cookie_rs.load").read_text()
    assert f"LoadModule session_crypto_module {installed}" in (AVAILABLE / "session_crypto_rs.load").read_text()
    assert not enabled("session_cookie_rs") and not enabled("session_crypto_rs")

    # Another layout (no mods-available): the plain LoadModule lines.
    other = sh(str(REPO / "scripts/install.sh"),
               env={**os.environ, "APACHE_CONFDIR": str(www / "no-such-dir")}).stdout
    assert f"LoadModule session_cookie_module {installed}" in other, other
    assert f"LoadModule session_crypto_module {installed}" in other, other

    # A typical stock deployment first: # Conflicts refuses ours beside it.
    sh("a2enmod", "-q", "session_cookie", "session_crypto")
    for ours, stock in (("session_cookie_rs", "session_cookie"), ("session_crypto_rs", "session_crypto")):
        refused = sh("a2enmod", ours, check=False)
        text = refused.stdout + refused.stderr
        assert refused.returncode != 0, text
        assert f"Module {stock} is enabled - cannot proceed due to conflicts" in text, text
        assert not enabled(ours)

    # The documented swap. mod_session is disabled first, so that # Depends shows.
    sh("a2dismod", "-q", "session_cookie", "session_crypto")
    sh("a2dismod", "-q", "-f", "session")
    assert not enabled("session")
    swap = sh("a2enmod", "session_cookie_rs", "session_crypto_rs")
    assert "Enabling module session" in swap.stdout, swap.stdout
    for name in ("session", "session_cookie_rs", "session_crypto_rs"):
        assert enabled(name), name
    assert (ENABLED / "session_cookie_rs.conf").is_symlink()
    sh("a2enmod", "-q", "cgid")

    # A test site on the system's Apache, through its own apache2.conf.
    (www / "env.sh").write_text(CGI)
    (www / "env.sh").chmod(0o755)
    secret = secrets.token_urlsafe(30)  # 40 characters
    assert len(secret) == 40
    SNIPPET.write_text(f"""# mod_session_cookie_rs system test (tests/system), removed afterwards
Listen 127.0.0.1:{port}
<VirtualHost 127.0.0.1:{port}>
    ScriptAlias /env.sh {www}/env.sh
    <Directory {www}>
        Require all granted
    </Directory>
    Session On
    SessionCookieName session path=/
    SessionCryptoPassphrase "{secret}"
    SessionMaxAge 60
    SessionEnv On
    SessionHeader X-Replace-Session
</VirtualHost>
""")
    test = sh("apache2ctl", "configtest")
    assert "Syntax OK" in test.stdout + test.stderr
    sh("apache2ctl", "start")
    deadline = time.monotonic() + 20
    while not (listening(port) and apache_pid()):  # it writes its pid file after binding
        assert time.monotonic() < deadline, "the system Apache did not come up"
        time.sleep(0.1)
    pid = apache_pid()
    maps = Path(f"/proc/{pid}/maps").read_text()
    assert str(installed) in maps, "the system Apache did not load our module"
    assert "mod_session_cookie.so" not in maps and "mod_session_crypto.so" not in maps

    status, headers, body = get(port, "/env.sh?set=user=alice")
    assert status == 200, (headers, body)
    (cookie,) = set_cookies(headers)
    m = re.fullmatch(r"session=([A-Za-z0-9_-]+);Max-Age=60;path=/", cookie)
    assert m, cookie
    sealed = m.group(1)
    assert sealed.startswith("A") and "alice" not in sealed, f"not sealed by our module: {cookie}"

    status, headers, body = get(port, "/env.sh", f"session={sealed}")
    assert status == 200
    assert re.search(r"HTTP_SESSION=\[user=alice&expiry=\d+\]", body), body
    assert len(set_cookies(headers)) == 1  # re-sealed with a fresh expiry (SessionMaxAge)

    flipped = sealed[:20] + ("B" if sealed[20] == "A" else "A") + sealed[21:]
    status, _, body = get(port, "/env.sh", f"session={flipped}")
    # A fresh, empty session (mod_session gives it an expiry of its own).
    assert status == 200 and re.search(r"HTTP_SESSION=\[(expiry=\d+)?\]", body), body

    sh("apache2ctl", "stop")
    assert wait_gone(pid, 20), "the system Apache did not stop"
    assert not listening(port)
    log = Path("/var/log/apache2/error.log")
    if log.exists():
        crashes = [l for l in log.read_text(errors="replace").splitlines()
                   if "exit signal" in l or "AH00052" in l]
        assert not crashes, crashes

    # uninstall.sh: ours out, stock (enabled before the swap) back in; twice (idempotent).
    SNIPPET.unlink()
    out = sh(str(REPO / "scripts/uninstall.sh")).stdout
    assert "enabled stock session_cookie" in out and "enabled stock session_crypto" in out, out
    again = sh(str(REPO / "scripts/uninstall.sh")).stdout
    assert "nothing to do" in again, again
    for name in ("session_cookie_rs", "session_crypto_rs"):
        assert not enabled(name), name
    for name in ("session", "session_cookie", "session_crypto"):
        assert enabled(name), f"stock {name} not put back"
    for f in OUR_FILES:
        assert not (AVAILABLE / f).exists(), f
    assert not installed.exists()
    assert not list(ENABLED.glob("session_c*_rs.*")), "dangling links left in mods-enabled"
    sh("apache2ctl", "configtest")
