"""The Debian admin path, for real, in a throw-away container.

A container of a debootstrap base image (scripts/docker-base.sh: Debian 12
bookworm, then Debian 13 trixie, with apache2 and curl, no apache2-dev)
stands in for the admin's server; the admin's copy of the project goes into
/opt/mod_session_cookie_rs (scripts/install.sh, scripts/uninstall.sh,
conf/, the two built modules in target/module/, nothing to build with). In
it, as root: scripts/install.sh (twice; without apxs it uses Debian's
/usr/lib/apache2/modules, and refuses when that is missing too), both
module files and the a2enmod files; a2enmod pulling in mod_session
(# Depends) and refusing each of ours beside its own stock twin only
(# Conflicts); then the switch an admin makes on a running stock
deployment, one module at a time, with the steps install.sh prints: stock
session_cookie + session_crypto, then stock session_cookie + our
session_crypto, then ours + ours. After each step: apache2ctl configtest,
the container's Apache (apache2ctl start) on a test port loading exactly
the module files it should (/proc/PID/maps), serving a sealed session, and
the session sealed by the step before still open (nobody is logged out by a
switch). Then scripts/uninstall.sh (twice) putting stock back, and stock
serving again.

Needs Docker (root, or the docker group) and nothing else on this machine:
its own /etc/apache2, /var/lib/apache2, module directory and ports are not
touched. The container is removed afterwards, pass or fail.
"""
import hashlib
import re
import secrets

from .support import MODULE_FILES, REPO, TREE, admin_tree
from sealed_values import is_our_seal, is_stock_seal, tampered  # noqa: E402 (path set by .support)

LIBEXEC = "/usr/lib/apache2/modules"  # Debian's, what install.sh falls back to without apxs
ETC = "/etc/apache2"
AVAILABLE = f"{ETC}/mods-available"
ENABLED = f"{ETC}/mods-enabled"
PIDFILE = "/var/run/apache2/apache2.pid"
ERROR_LOG = "/var/log/apache2/error.log"
PORT = 8080  # the container's own; its Apache also listens on its port 80 (ports.conf)
WWW = "/var/www/scr-system-test"
INSTALL = f"{TREE}/scripts/install.sh"
UNINSTALL = f"{TREE}/scripts/uninstall.sh"
OUR_FILES = ("session_cookie_rs.load", "session_crypto_rs.load", "session_cookie_rs.conf")
MODULES = dict(zip(("session_cookie_rs", "session_crypto_rs"), MODULE_FILES))
INSTALLED = {name: f"{LIBEXEC}/{so}" for name, so in MODULES.items()}
STOCK_TWIN = {"session_cookie_rs": "session_cookie", "session_crypto_rs": "session_crypto"}
RECORD = {"session_cookie_rs": "session_cookie_module", "session_crypto_rs": "session_crypto_module"}
STOCK_SO = {m: f"{LIBEXEC}/mod_{m}.so" for m in ("session", "session_cookie", "session_crypto")}

# A CGI showing the session mod_session hands over (SessionEnv On);
# ?set=k=v replaces the session through the SessionHeader response header.
CGI = """#!/bin/sh
printf 'Content-Type: text/plain\\r\\n'
case "$QUERY_STRING" in set=*) printf 'X-Replace-Session: %s\\r\\n' "${QUERY_STRING#set=}" ;; esac
printf '\\r\\nHTTP_SESSION=[%s]\\n' "$HTTP_SESSION"
"""


def get(c, path, cookie=None):
    """One GET on the container's Apache, with curl in it; returns (status, [(header, value)], body)."""
    extra = f"-H 'Cookie: {cookie}'" if cookie else ""
    out = c.sh(f"curl -sS -D /tmp/headers -o /tmp/body {extra} 'http://127.0.0.1:{PORT}{path}'"
               " && cat /tmp/headers && echo '--body--' && cat /tmp/body")
    head, body = out.split("--body--\n", 1)
    lines = [l.strip() for l in head.strip().splitlines()]  # docker exec's text mode folds \r\n
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


def enabled(c):
    """The modules a2enmod has enabled (their .load links)."""
    out = c.sh(f"find {ENABLED} -maxdepth 1 -type l -name '*.load' -printf '%f\\n'")
    return {f.removesuffix(".load") for f in out.split()}


def serving(c, expect_loaded):
    """configtest, then the container's Apache through apache2ctl start: it
    must map exactly the mod_session* files in expect_loaded. Returns its pid."""
    assert "Syntax OK" in c.sh("apache2ctl configtest 2>&1")
    c.sh("apache2ctl start")
    # It writes its pid file after binding.
    rc, out = c.run(f"for i in $(seq 200); do [ -s {PIDFILE} ] && curl -s -o /dev/null http://127.0.0.1:{PORT}/"
                    " && exit 0; sleep 0.1; done; exit 1")
    assert rc == 0, "Apache did not come up:\n" + c.sh(f"tail -n 20 {ERROR_LOG}")
    pid = c.sh(f"cat {PIDFILE}").split()[0]
    maps = c.sh(f"cat /proc/{pid}/maps").splitlines()
    loaded = {l.split()[-1] for l in maps if "/mod_session" in l}
    assert loaded == set(expect_loaded), f"Apache mapped {sorted(loaded)}"
    return pid


def stopped(c, pid):
    c.sh("apache2ctl stop")
    rc, _ = c.run(f"for i in $(seq 200); do kill -0 {pid} 2>/dev/null || exit 0; sleep 0.1; done; exit 1")
    assert rc == 0, "Apache did not stop"
    assert c.run(f"curl -s -o /dev/null http://127.0.0.1:{PORT}/")[0] != 0, f"port {PORT} still listening"


def test_install_a2enmod_switch_one_at_a_time_serve_uninstall(server):
    c = server
    assert c.run("command -v apxs")[0] != 0, "the base image has apxs: the fallback is not tested"
    c.put(admin_tree(), TREE)
    assert c.run(f"test -e {TREE}/scripts/build.sh")[0] != 0  # install.sh cannot build: it must not need to

    # Neither apxs nor Debian's module directory: install.sh refuses, installs nothing.
    rc, out = c.run(f"mv {LIBEXEC} {LIBEXEC}.hidden; {INSTALL}; rc=$?; mv {LIBEXEC}.hidden {LIBEXEC}; exit $rc")
    assert rc != 0 and f"apxs not found and no {LIBEXEC}" in out, out
    assert not set(OUR_FILES) & set(c.sh(f"ls {AVAILABLE}").split()), "installed files without a module directory"

    # install.sh: both module files and the a2enmod files, nothing enabled; twice (idempotent).
    for _ in range(2):
        out = c.sh(INSTALL)
        assert f"module directory: {LIBEXEC} (apxs not found" in out, out
        assert "not built yet" not in out, out
    # One independent step per module: ours replaces its own stock twin only.
    steps = {ours: f"a2dismod {stock} && a2enmod {ours}" for ours, stock in STOCK_TWIN.items()}
    for step in steps.values():
        assert re.search(rf"^ +{re.escape(step)}( |$)", out, re.M), out
    assert "apache2ctl configtest" in out, out
    sums = dict(reversed(l.split()) for l in c.sh("sha256sum " + " ".join(INSTALLED.values())).splitlines())
    for name, path in INSTALLED.items():
        built = REPO / "target/module" / MODULES[name]
        assert sums[path] == hashlib.sha256(built.read_bytes()).hexdigest(), f"{path} is not {built}"
    for f in OUR_FILES:
        assert c.run(f"test -f {AVAILABLE}/{f}")[0] == 0, f
    for name, path in INSTALLED.items():
        loads = re.findall(r"^LoadModule .*$", c.sh(f"cat {AVAILABLE}/{name}.load"), re.M)
        assert loads == [f"LoadModule {RECORD[name]} {path}"], (name, loads)
    assert not enabled(c) & set(MODULES)

    # Another layout (no mods-available): the plain LoadModule lines, a file each.
    other = c.sh(INSTALL, env={"APACHE_CONFDIR": "/nonexistent"})
    for name, path in INSTALLED.items():
        assert re.search(rf"^ *LoadModule +{RECORD[name]} +{re.escape(path)}$", other, re.M), other
    assert re.search(rf"^ *LoadModule +session_module +{re.escape(STOCK_SO['session'])}$", other, re.M), other

    # # Depends: each of ours, enabled with no session module on, pulls in mod_session.
    c.sh("a2dismod -q -f session")  # -f: and whatever depends on it
    assert not enabled(c) & {"session", "session_cookie", "session_crypto", *MODULES}, enabled(c)
    for ours in MODULES:
        alone = c.sh(f"a2enmod {ours}")
        assert "Enabling module session." in alone, alone
        assert {"session", ours} <= enabled(c)
        c.sh("a2dismod -q -f session")
        assert ours not in enabled(c)

    # A typical stock deployment first, serving stock-sealed sessions.
    c.sh("a2enmod -q session_cookie session_crypto cgid")
    c.sh(f"mkdir -p {WWW}")
    c.write(f"{WWW}/env.sh", CGI, mode="755")
    secret = secrets.token_urlsafe(30)  # 40 characters
    assert len(secret) == 40
    c.write(f"{ETC}/conf-available/scr-system-test.conf", f"""# mod_session_cookie_rs system test (tests/system)
Listen 127.0.0.1:{PORT}
<VirtualHost 127.0.0.1:{PORT}>
    ScriptAlias /env.sh {WWW}/env.sh
    <Directory {WWW}>
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
    c.sh("a2enconf -q scr-system-test")
    pid = serving(c, STOCK_SO.values())
    status, headers, body = get(c, "/env.sh?set=user=alice")
    assert status == 200, (headers, body)
    stock_sealed = session_value(headers)
    assert is_stock_seal(stock_sealed), f"not sealed by stock: {stock_sealed}"
    stopped(c, pid)

    # # Conflicts: each of ours is refused beside its own stock twin.
    for ours, stock in STOCK_TWIN.items():
        rc, text = c.run(f"a2enmod {ours}")
        assert rc != 0, text
        assert f"Module {stock} is enabled - cannot proceed due to conflicts" in text, text
        assert ours not in enabled(c)

    # Step 1, the crypto module only: stock session_cookie + our session_crypto.
    # session_crypto_rs is allowed beside stock session_cookie.
    mixed = c.sh(steps["session_crypto_rs"])  # the line install.sh printed, as the admin types it
    assert "Considering conflict session_crypto for session_crypto_rs" in mixed, mixed
    assert {"session", "session_cookie", "session_crypto_rs"} <= enabled(c)
    assert "session_crypto" not in enabled(c)
    # ... while session_cookie_rs is still refused beside stock session_cookie.
    rc, text = c.run("a2enmod session_cookie_rs")
    assert rc != 0, text
    assert "Module session_cookie is enabled - cannot proceed due to conflicts" in text, text
    assert "session_cookie_rs" not in enabled(c)

    pid = serving(c, (STOCK_SO["session"], STOCK_SO["session_cookie"], INSTALLED["session_crypto_rs"]))
    # Nobody is logged out: the stock-sealed session opens (same passphrase),
    # and the response re-seals it in our format (SessionMaxAge).
    status, headers, body = get(c, "/env.sh", f"session={stock_sealed}")
    assert status == 200
    assert re.search(r"HTTP_SESSION=\[user=alice&expiry=\d+\]", body), body
    mixed_sealed = session_value(headers)
    assert is_our_seal(mixed_sealed), f"not re-sealed by our module: {mixed_sealed}"
    # A new session through stock's cookie module, sealed by ours.
    status, headers, body = get(c, "/env.sh?set=user=bob")
    assert status == 200, (headers, body)
    sealed = session_value(headers)
    assert is_our_seal(sealed) and "bob" not in sealed, f"not sealed by our module: {sealed}"
    status, headers, body = get(c, "/env.sh", f"session={sealed}")
    assert status == 200 and re.search(r"HTTP_SESSION=\[user=bob&expiry=\d+\]", body), body
    status, _, body = get(c, "/env.sh", f"session={tampered(sealed)}")
    assert status == 200 and re.search(r"HTTP_SESSION=\[(expiry=\d+)?\]", body), body
    stopped(c, pid)

    # Step 2, the cookie module too: ours + ours.
    c.sh(steps["session_cookie_rs"])
    assert {"session", "session_cookie_rs", "session_crypto_rs"} <= enabled(c)
    assert not enabled(c) & {"session_cookie", "session_crypto"}
    assert c.run(f"test -L {ENABLED}/session_cookie_rs.conf")[0] == 0

    pid = serving(c, (STOCK_SO["session"], INSTALLED["session_cookie_rs"], INSTALLED["session_crypto_rs"]))
    # What step 1 sealed (under stock's cookie module) still opens, and so does stock's.
    for earlier in (mixed_sealed, stock_sealed):
        status, _, body = get(c, "/env.sh", f"session={earlier}")
        assert status == 200 and re.search(r"HTTP_SESSION=\[user=alice&expiry=\d+\]", body), (earlier, body)

    status, headers, body = get(c, "/env.sh?set=user=alice")
    assert status == 200, (headers, body)
    (cookie,) = set_cookies(headers)
    m = re.fullmatch(r"session=([A-Za-z0-9_-]+);Max-Age=60;path=/", cookie)
    assert m, cookie
    sealed = m.group(1)
    assert is_our_seal(sealed) and "alice" not in sealed, f"not sealed by our module: {cookie}"

    status, headers, body = get(c, "/env.sh", f"session={sealed}")
    assert status == 200
    assert re.search(r"HTTP_SESSION=\[user=alice&expiry=\d+\]", body), body
    assert len(set_cookies(headers)) == 1  # re-sealed with a fresh expiry (SessionMaxAge)

    status, _, body = get(c, "/env.sh", f"session={tampered(sealed)}")
    # A fresh, empty session (mod_session gives it an expiry of its own).
    assert status == 200 and re.search(r"HTTP_SESSION=\[(expiry=\d+)?\]", body), body
    stopped(c, pid)

    # uninstall.sh: ours out, stock back in for each; twice (idempotent).
    out = c.sh(UNINSTALL)
    assert "enabled stock session_cookie" in out and "enabled stock session_crypto" in out, out
    for path in INSTALLED.values():
        assert f"removed {path}" in out, out
    again = c.sh(UNINSTALL)
    assert "nothing to do" in again, again
    assert not enabled(c) & set(MODULES)
    assert {"session", "session_cookie", "session_crypto"} <= enabled(c), "stock not put back"
    left = c.sh(f"ls {AVAILABLE} {ENABLED} {LIBEXEC}").split()
    for f in (*OUR_FILES, *MODULE_FILES):
        assert f not in left, f"{f} left behind"
    # Stock serves again with the same configuration (configtest in serving).
    pid = serving(c, STOCK_SO.values())
    status, headers, body = get(c, "/env.sh?set=user=carol")
    assert status == 200 and is_stock_seal(session_value(headers)), (headers, body)
    stopped(c, pid)

    # The container's log is this test's alone: no crash, no error line.
    log = c.sh(f"cat {ERROR_LOG}").splitlines()
    bad = [l for l in log if "exit signal" in l or "AH00052" in l or re.search(r"\[\w*:(error|crit|alert|emerg)\]", l)]
    assert not bad, bad
