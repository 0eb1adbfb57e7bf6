"""The Debian admin path, for real, on this machine.

scripts/install.sh (both module files, the a2enmod files); a2enmod pulling
in mod_session (# Depends) and refusing each of ours beside its own stock
twin only (# Conflicts); then the switch an admin makes on a running stock
deployment, one module at a time, with the steps install.sh prints: stock
session_cookie + session_crypto, then stock session_cookie + our
session_crypto, then ours + ours. After each step: apache2ctl configtest, the
system's own Apache (/etc/apache2/apache2.conf with /etc/apache2/envvars,
through apache2ctl start) on a test port loading exactly the module files it
should (/proc/PID/maps), serving a sealed session, and the session sealed by
the step before still open (nobody is logged out by a switch). Then
apache2ctl stop and scripts/uninstall.sh putting stock back. /etc/apache2,
a2enmod's state (/var/lib/apache2) and both installed module paths are
restored exactly afterwards, pass or fail, and nothing is left running or
listening.

Needs root and Debian's apache2 + apache2-dev; it fails (never skips)
without them. Apache also binds port 80 (ports.conf) while it runs, and
writes to /var/log/apache2.
"""
import base64
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
STATE = Path("/var/lib/apache2")  # a2enmod's enabled_by_admin / disabled_by_admin markers
ENABLED = ETC / "mods-enabled"
AVAILABLE = ETC / "mods-available"
PIDFILE = Path("/var/run/apache2/apache2.pid")
ERROR_LOG = Path("/var/log/apache2/error.log")
SNIPPET = ETC / "conf-enabled/zz-session-cookie-rs-system-test.conf"
OUR_FILES = ("session_cookie_rs.load", "session_crypto_rs.load", "session_cookie_rs.conf")
# Ours -> the module file install.sh puts into $(apxs -q LIBEXECDIR), and the stock twin.
MODULES = {"session_cookie_rs": "mod_session_cookie_rs.so", "session_crypto_rs": "mod_session_crypto_rs.so"}
STOCK_TWIN = {"session_cookie_rs": "session_cookie", "session_crypto_rs": "session_crypto"}
RECORD = {"session_cookie_rs": "session_cookie_module", "session_crypto_rs": "session_crypto_module"}

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


def tree_digest(root, named=None):
    """Every path under root: type, mode, owner, and content hash or link target.
    named: report the paths as if root were there instead."""
    out = []
    for p in [root, *sorted(root.rglob("*"))]:
        st = p.lstat()
        meta = (str((named or root) / p.relative_to(root)), stat.filemode(st.st_mode), st.st_uid, st.st_gid)
        if stat.S_ISLNK(st.st_mode):
            out.append((*meta, os.readlink(p)))
        elif stat.S_ISREG(st.st_mode):
            out.append((*meta, hashlib.sha256(p.read_bytes()).hexdigest()))
        else:
            out.append(meta)
    return out


def file_state(path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def restore_tree(root, tar_path, digest):
    """Swap in root as saved in tar_path, so root is never missing. The saved
    copy must be the snapshot (digest): if not, root is left alone and so is
    tar_path."""
    restored = Path(tempfile.mkdtemp(prefix=f"{root.name}.restore-", dir=root.parent))
    with tarfile.open(tar_path) as tar:
        tar.extractall(restored, numeric_owner=True)
    if tree_digest(restored / root.name, named=root) != digest:
        shutil.rmtree(restored)
        raise AssertionError(f"{tar_path} is not the snapshot of {root}: {root} left as the test left it")
    old = root.with_name(f"{root.name}.scr-system-test-old")
    root.rename(old)
    (restored / root.name).rename(root)
    shutil.rmtree(old)
    restored.rmdir()


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


def session_value(headers):
    """The value of the one session cookie a response set (Max-Age=60;path=/)."""
    (cookie,) = set_cookies(headers)
    m = re.fullmatch(r"session=([A-Za-z0-9_+/=-]+);Max-Age=60;path=/", cookie)
    assert m, cookie
    return m.group(1)


def is_our_format(value):
    """Unpadded base64url, version byte 2 (README: The sealed format)."""
    return (re.fullmatch(r"[A-Za-z0-9_-]+", value) is not None
            and base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))[0] == 2)


def is_stock_format(value):
    """Stock writes padded standard base64 of MAC (8) | salt (16) | IV | CBC blocks."""
    raw = base64.b64decode(value, validate=True)
    return base64.b64encode(raw).decode() == value and (len(raw) - 8 - 16) % 8 == 0


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


def serving(port, expect_loaded):
    """configtest, then the system Apache through apache2ctl start: it must
    map exactly the mod_session* files in expect_loaded. Returns its pid."""
    test = sh("apache2ctl", "configtest")
    assert "Syntax OK" in test.stdout + test.stderr
    sh("apache2ctl", "start")
    deadline = time.monotonic() + 20
    while not (listening(port) and apache_pid()):  # it writes its pid file after binding
        assert time.monotonic() < deadline, "the system Apache did not come up"
        time.sleep(0.1)
    pid = apache_pid()
    maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
    loaded = {Path(l.split()[-1]) for l in maps if "/mod_session" in l}
    assert loaded == set(expect_loaded), f"the system Apache mapped {sorted(map(str, loaded))}"
    return pid


def stopped(pid, port):
    sh("apache2ctl", "stop")
    assert wait_gone(pid, 20), "the system Apache did not stop"
    assert not listening(port)


def run_step(step):
    """One of the command lines install.sh printed, as the admin types it."""
    return sh("sh", "-c", step)


@pytest.fixture
def machine():
    """Snapshot /etc/apache2, /var/lib/apache2 and both installed module paths; restore all after."""
    assert os.geteuid() == 0, "this test changes /etc/apache2: run it as root"
    for tool in ("apache2", "apache2ctl", "a2enmod", "a2dismod", "apxs"):
        assert shutil.which(tool) or Path("/usr/sbin", tool).exists(), (
            f"{tool} not found: install Debian's apache2 and apache2-dev")
    assert AVAILABLE.is_dir(), f"no {AVAILABLE}: not Debian's apache2 layout"
    assert apache_pid() is None, "the system Apache is running: stop it before this test"

    libexec = Path(sh("apxs", "-q", "LIBEXECDIR").stdout.strip())
    installed = {name: libexec / so for name, so in MODULES.items()}
    trees = [t for t in (ETC, STATE) if t.is_dir()]
    before = {t: tree_digest(t) for t in trees}
    modules_before = {name: file_state(path) for name, path in installed.items()}
    ports_before = {p: listening(p) for p in (80, 443)}
    backup = Path(tempfile.mkdtemp(prefix="scr-system-backup-"))
    saved = {t: backup / f"{str(t).strip('/').replace('/', '-')}.tar" for t in trees}  # etc-apache2.tar
    for t in trees:
        with tarfile.open(saved[t], "w") as tar:
            tar.add(t, arcname=t.name)
    for name, path in installed.items():
        if modules_before[name]:
            shutil.copy2(path, backup / MODULES[name])
    www = Path(tempfile.mkdtemp(prefix="scr-system-www-"))
    www.chmod(0o755)  # CGIs run as www-data
    log_from = ERROR_LOG.stat().st_size if ERROR_LOG.exists() else 0
    ctx = {"www": www, "libexec": libexec, "installed": installed, "port": free_port(),
           "log_from": log_from}
    try:
        yield ctx
    finally:
        stop_apache()
        for t in trees:
            restore_tree(t, saved[t], before[t])  # the backup stays if this fails
        for name, path in installed.items():
            if modules_before[name]:
                shutil.copy2(backup / MODULES[name], path)
            else:
                path.unlink(missing_ok=True)
        shutil.rmtree(backup)
        shutil.rmtree(www)
        for t in trees:
            assert tree_digest(t) == before[t], f"{t} not restored exactly"
        for name, path in installed.items():
            assert file_state(path) == modules_before[name], f"{path} not restored"
        assert apache_pid() is None, "the system Apache is still running"
        for port in (ctx["port"], 80, 443):
            assert listening(port) == ports_before.get(port, False), f"port {port} left listening"


def test_install_a2enmod_switch_one_at_a_time_serve_uninstall(machine):
    www, libexec, installed, port = machine["www"], machine["libexec"], machine["installed"], machine["port"]
    stock_so = {"session": libexec / "mod_session.so",
                "session_cookie": libexec / "mod_session_cookie.so",
                "session_crypto": libexec / "mod_session_crypto.so"}

    # install.sh: both module files and the a2enmod files, nothing enabled; twice (idempotent).
    for _ in range(2):
        out = sh(str(REPO / "scripts/install.sh")).stdout
    # One independent step per module: ours replaces its own stock twin only.
    steps = {ours: f"a2dismod {stock} && a2enmod {ours}" for ours, stock in STOCK_TWIN.items()}
    for step in steps.values():
        assert re.search(rf"^ +{re.escape(step)}( |$)", out, re.M), out
    assert "apache2ctl configtest" in out, out
    for name, path in installed.items():
        built = REPO / "target/module" / MODULES[name]
        assert built.exists(), f"{built} not built"
        assert file_state(path) == file_state(built), f"{path} is not {built}"
    for f in OUR_FILES:
        assert (AVAILABLE / f).is_file(), f
    for name, path in installed.items():
        loads = re.findall(r"^LoadModule .*$", (AVAILABLE / f"{name}.load").read_text(), re.M)
        assert loads == [f"LoadModule {RECORD[name]} {path}"], (name, loads)
    assert installed["session_cookie_rs"] != installed["session_crypto_rs"]
    assert not enabled("session_cookie_rs") and not enabled("session_crypto_rs")

    # Another layout (no mods-available): the plain LoadModule lines, a file each.
    other = sh(str(REPO / "scripts/install.sh"),
               env={**os.environ, "APACHE_CONFDIR": str(www / "no-such-dir")}).stdout
    for name, path in installed.items():
        assert re.search(rf"^ *LoadModule +{RECORD[name]} +{re.escape(str(path))}$", other, re.M), other
    assert re.search(rf"^ *LoadModule +session_module +{re.escape(str(stock_so['session']))}$", other, re.M), other

    # # Depends: each of ours, enabled with no session module on, pulls in mod_session.
    sh("a2dismod", "-q", "-f", "session")  # -f: and whatever depends on it
    for name in ("session", "session_cookie", "session_crypto", *MODULES):
        assert not enabled(name), name
    for ours in MODULES:
        alone = sh("a2enmod", ours)
        assert "Enabling module session." in alone.stdout, alone.stdout
        assert enabled("session") and enabled(ours)
        sh("a2dismod", "-q", "-f", "session")
        assert not enabled(ours)

    # A typical stock deployment first, serving stock-sealed sessions.
    sh("a2enmod", "-q", "session_cookie", "session_crypto", "cgid")
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
    pid = serving(port, stock_so.values())
    status, headers, body = get(port, "/env.sh?set=user=alice")
    assert status == 200, (headers, body)
    stock_sealed = session_value(headers)
    assert is_stock_format(stock_sealed), f"not sealed by stock: {stock_sealed}"
    stopped(pid, port)

    # # Conflicts: each of ours is refused beside its own stock twin.
    for ours, stock in STOCK_TWIN.items():
        refused = sh("a2enmod", ours, check=False)
        text = refused.stdout + refused.stderr
        assert refused.returncode != 0, text
        assert f"Module {stock} is enabled - cannot proceed due to conflicts" in text, text
        assert not enabled(ours)

    # Step 1, the crypto module only: stock session_cookie + our session_crypto.
    # session_crypto_rs is allowed beside stock session_cookie.
    mixed = run_step(steps["session_crypto_rs"])
    assert "Considering conflict session_crypto for session_crypto_rs" in mixed.stdout, mixed.stdout
    for name in ("session", "session_cookie", "session_crypto_rs"):
        assert enabled(name), name
    assert not enabled("session_crypto")
    # ... while session_cookie_rs is still refused beside stock session_cookie.
    refused = sh("a2enmod", "session_cookie_rs", check=False)
    text = refused.stdout + refused.stderr
    assert refused.returncode != 0, text
    assert "Module session_cookie is enabled - cannot proceed due to conflicts" in text, text
    assert not enabled("session_cookie_rs")

    pid = serving(port, (stock_so["session"], stock_so["session_cookie"], installed["session_crypto_rs"]))
    # Nobody is logged out: the stock-sealed session opens (same passphrase),
    # and the response re-seals it in our format (SessionMaxAge).
    status, headers, body = get(port, "/env.sh", f"session={stock_sealed}")
    assert status == 200
    assert re.search(r"HTTP_SESSION=\[user=alice&expiry=\d+\]", body), body
    mixed_sealed = session_value(headers)
    assert is_our_format(mixed_sealed), f"not re-sealed by our module: {mixed_sealed}"
    # A new session through stock's cookie module, sealed by ours.
    status, headers, body = get(port, "/env.sh?set=user=bob")
    assert status == 200, (headers, body)
    sealed = session_value(headers)
    assert is_our_format(sealed) and "bob" not in sealed, f"not sealed by our module: {sealed}"
    status, headers, body = get(port, "/env.sh", f"session={sealed}")
    assert status == 200 and re.search(r"HTTP_SESSION=\[user=bob&expiry=\d+\]", body), body
    flipped = sealed[:20] + ("B" if sealed[20] == "A" else "A") + sealed[21:]
    status, _, body = get(port, "/env.sh", f"session={flipped}")
    assert status == 200 and re.search(r"HTTP_SESSION=\[(expiry=\d+)?\]", body), body
    stopped(pid, port)

    # Step 2, the cookie module too: ours + ours.
    run_step(steps["session_cookie_rs"])
    for name in ("session", "session_cookie_rs", "session_crypto_rs"):
        assert enabled(name), name
    for name in ("session_cookie", "session_crypto"):
        assert not enabled(name), name
    assert (ENABLED / "session_cookie_rs.conf").is_symlink()

    pid = serving(port, (stock_so["session"], installed["session_cookie_rs"], installed["session_crypto_rs"]))
    # What step 1 sealed (under stock's cookie module) still opens, and so does stock's.
    for earlier in (mixed_sealed, stock_sealed):
        status, _, body = get(port, "/env.sh", f"session={earlier}")
        assert status == 200 and re.search(r"HTTP_SESSION=\[user=alice&expiry=\d+\]", body), (earlier, body)

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
    stopped(pid, port)

    if ERROR_LOG.exists():
        with ERROR_LOG.open("rb") as log:
            log.seek(machine["log_from"])
            lines = log.read().decode(errors="replace").splitlines()
        crashes = [l for l in lines if "exit signal" in l or "AH00052" in l]
        assert not crashes, crashes

    # uninstall.sh: ours out, stock back in for each; twice (idempotent).
    SNIPPET.unlink()
    out = sh(str(REPO / "scripts/uninstall.sh")).stdout
    assert "enabled stock session_cookie" in out and "enabled stock session_crypto" in out, out
    for path in installed.values():
        assert f"removed {path}" in out, out
    again = sh(str(REPO / "scripts/uninstall.sh")).stdout
    assert "nothing to do" in again, again
    for name in MODULES:
        assert not enabled(name), name
    for name in ("session", "session_cookie", "session_crypto"):
        assert enabled(name), f"stock {name} not put back"
    for f in OUR_FILES:
        assert not (AVAILABLE / f).exists(), f
    for path in installed.values():
        assert not path.exists(), path
    assert not list(ENABLED.glob("session_c*_rs.*")), "dangling links left in mods-enabled"
    sh("apache2ctl", "configtest")
