"""Our modules in Apache httpd 2.4 built from Apache's own source, the way
an admin who does not use a distribution's package runs it.

The image (scripts/source-httpd-image.sh, docker/source-httpd/Dockerfile,
cached) is the Debian 12 debootstrap base with Debian's apache2 purged and
httpd 2.4.66 built from the upstream tarball Debian's apache2 source
package ships (apache2_2.4.66.orig.tar.gz, sha256 pinned): ./configure
--prefix=/usr/local/apache2 --enable-mods-shared=all
--enable-mpms-shared=all with Debian's APR and APR-util, Apache's own
layout (/usr/local/apache2/{bin,conf,modules,logs,cgi-bin}) and its own
apxs. In a container of it, as root: the admin's copy of the project
(scripts/install.sh, conf/, the two modules built on this machine in
target/module/) and the admin CLI (target/release/session-crypto-rs) go
in; install.sh finds Apache's apxs, installs into its LIBEXECDIR and
prints the LoadModule lines for a non-Debian layout; a httpd.conf of the
test's own (127.0.0.1:8080 in the container, event MPM, mod_cgid, a CGI
back end that sets the session through SessionHeader and shows it through
SessionEnv) is checked with `httpd -t` and served with `httpd -k start`,
driven with curl in the container. The tests assert:

- the build: Apache's layout and apxs, no Debian apache2 left, the stock
  session modules, mod_cgi(d) and mod_socache_shmcb built; the server's
  version string (Apache/2.4.66 (Unix)) and module magic number
  (20120211:141), and that the major our modules were built for (read from
  their module records: MODULE_MAGIC_NUMBER_MAJOR/MINOR, bindgen's copy of
  this machine's apache2-dev headers) is the server's; their minor may be
  larger (httpd checks the major only: server/config.c ap_add_module);
- install.sh with Apache's apxs: both files in /usr/local/apache2/modules,
  the non-Debian LoadModule advice;
- configtest with ours, `httpd -t -D DUMP_MODULES` listing
  session_cookie_module and session_crypto_module, and the running httpd
  mapping our two files (/proc/PID/maps), not the stock twins;
- the plain flow: a session set by the CGI comes back as a cookie, and
  sent back the CGI sees it in HTTP_SESSION;
- the sealed flow: SessionCryptoPassphrase; the cookie is ours (unpadded
  base64url, version byte 4, no 'alice' in clear), opens in httpd and in
  the admin CLI; a value sealed by the CLI opens in httpd; a tampered one
  gives an empty session;
- the switch from stock: the same configuration served by the stock
  mod_session_cookie + mod_session_crypto this build made, a stock-sealed
  cookie; the LoadModule lines switched to ours (stop, start): the stock
  cookie still opens (nobody is logged out) and the response re-seals it in
  our format, which opens too.

Our modules are the ones built on this machine (Debian 12, glibc 2.36),
copied in: the image is Debian 12 too. Building them with this httpd's own
apxs inside the container would need a Rust toolchain newer than Debian
12's rustc 1.63, which is not installable here without the network
(rustup), so it is not attempted; what the test shows is that modules
built against Debian's headers of the same 2.4 API (major 20120211) load
and serve in an httpd built from Apache's source.

Needs Docker (root, or the docker group) and the network for the first
image build only (Debian's archive: packages and the tarball). Nothing on
this machine's own Apache is touched; the container is removed afterwards.
"""
import contextlib
import hashlib
import io
import os
import re
import secrets
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO / "tests"))
from debian_container import DebianContainer  # noqa: E402
from sealed_values import is_our_seal, is_stock_seal, tampered  # noqa: E402

HTTPD_VERSION = "2.4.66"
MMN_MAJOR = 20120211
PREFIX = "/usr/local/apache2"
HTTPD = f"{PREFIX}/bin/httpd"
APXS = f"{PREFIX}/bin/apxs"
LIBEXEC = f"{PREFIX}/modules"
CONF = f"{PREFIX}/conf/httpd.conf"
SESSION_CONF = f"{PREFIX}/conf/session-modules.conf"  # the LoadModule lines the switch rewrites
PIDFILE = f"{PREFIX}/logs/httpd.pid"
ERROR_LOG = f"{PREFIX}/logs/error_log"
CGI_DIR = f"{PREFIX}/cgi-bin"
PORT = 8080
TREE = "/opt/mod_session_cookie_rs"  # the admin's copy of the project
CLI = "/usr/local/bin/session-crypto-rs"
SECRET = "source-httpd-secret-5e2b7d9c1a4f80366b1e9a8d7c2f3e4a"
SECRET_FILE = "/tmp/session-secret"  # the same secret, for the CLI
MODULE_FILES = ("mod_session_cookie_rs.so", "mod_session_crypto_rs.so")
RECORD = {"mod_session_cookie_rs.so": "session_cookie_module", "mod_session_crypto_rs.so": "session_crypto_module"}

OURS = {"cookie": f"{LIBEXEC}/mod_session_cookie_rs.so", "crypto": f"{LIBEXEC}/mod_session_crypto_rs.so"}
STOCK = {"cookie": f"{LIBEXEC}/mod_session_cookie.so", "crypto": f"{LIBEXEC}/mod_session_crypto.so"}
MOD_SESSION = f"{LIBEXEC}/mod_session.so"

# A CGI showing the session mod_session hands over (SessionEnv On);
# ?set=<session text> replaces the session through the SessionHeader
# response header.
CGI = r"""#!/bin/sh
printf 'Content-Type: text/plain\r\n'
case "$QUERY_STRING" in set=*) printf 'X-Replace-Session: %s\r\n' "${QUERY_STRING#set=}" ;; esac
printf '\r\nsession=[%s]\n' "$HTTP_SESSION"
"""

# Apache's layout, the modules a minimal server needs, and two locations:
# a plain session and a sealed one (SessionMaxAge: re-sealed on each request).
HTTPD_CONF = f"""# mod_session_cookie_rs: tests/source_httpd
ServerRoot "{PREFIX}"
Listen 127.0.0.1:{PORT}
ServerName localhost
LoadModule mpm_event_module modules/mod_mpm_event.so
LoadModule unixd_module modules/mod_unixd.so
LoadModule authz_core_module modules/mod_authz_core.so
LoadModule alias_module modules/mod_alias.so
LoadModule mime_module modules/mod_mime.so
LoadModule cgid_module modules/mod_cgid.so
Include conf/session-modules.conf
User daemon
Group daemon
PidFile logs/httpd.pid
ErrorLog logs/error_log
LogLevel warn
DocumentRoot "{PREFIX}/htdocs"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "{PREFIX}/htdocs">
    Require all granted
</Directory>
ScriptAlias /cgi-bin/ "{CGI_DIR}/"
<Directory "{CGI_DIR}">
    Require all granted
</Directory>
<Location "/cgi-bin/plain">
    Session On
    SessionCookieName plain path=/
    SessionEnv On
    SessionHeader X-Replace-Session
</Location>
<Location "/cgi-bin/sealed">
    Session On
    SessionCookieName session path=/
    SessionCryptoPassphrase {SECRET}
    SessionMaxAge 600
    SessionEnv On
    SessionHeader X-Replace-Session
</Location>
"""


def host(*cmd, input=None):
    p = subprocess.run(cmd, capture_output=True, input=input, timeout=900)
    out = p.stdout.decode(errors="replace")
    assert p.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{out}{p.stderr.decode(errors='replace')}"
    return out


class SourceHttpdContainer(DebianContainer):
    """tests/debian_container.py's container, minus its Debian apache2
    setup (policy-rc.d, a2enconf): this image has no Debian apache2."""

    def __init__(self, image):
        self.name = f"scr-srchttpd-{secrets.token_hex(4)}"
        self.env = {}
        self.timeout = 120
        p = subprocess.run(["docker", "run", "-d", "--init", "--name", self.name, image, "sleep", "infinity"],
                           capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, f"docker run {image} failed:\n{p.stdout}{p.stderr}"


def module_magic(so, symbol):
    """(version, minor_version) of a module record in a built .so: the first
    two ints of `module` (include/http_config.h), as httpd reads them."""
    assert shutil.which("nm") and shutil.which("readelf"), "binutils (nm, readelf) missing on this machine"
    syms = [l.split() for l in host("nm", "-D", "--defined-only", str(so)).splitlines()]
    (addr,) = [int(s[0], 16) for s in syms if len(s) == 3 and s[2] == symbol]
    for line in host("readelf", "-S", "-W", str(so)).splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+(PROGBITS)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
        if m:
            start, offset, size = (int(m.group(i), 16) for i in (3, 4, 5))
            if start <= addr < start + size:
                raw = Path(so).read_bytes()[addr - start + offset:addr - start + offset + 8]
                return int.from_bytes(raw[:4], "little"), int.from_bytes(raw[4:], "little")
    raise AssertionError(f"{symbol} of {so} is in no PROGBITS section")


def admin_tree():
    """What an admin has of the project: the two scripts, conf/ and the two
    built modules (as tests/system gives it)."""
    files = {f"scripts/{s}": REPO / "scripts" / s for s in ("install.sh", "uninstall.sh")}
    files |= {str(p.relative_to(REPO)): p for p in sorted((REPO / "conf").rglob("*")) if p.is_file()}
    files |= {f"target/module/{so}": REPO / "target/module" / so for so in MODULE_FILES}
    return files


@pytest.fixture(scope="module")
def image():
    assert shutil.which("docker"), "docker is missing: this suite runs httpd in a container"
    tag = host(str(REPO / "scripts/source-httpd-image.sh")).splitlines()[-1]
    assert tag.startswith(f"mod-session-cookie-rs-source-httpd:{HTTPD_VERSION}-"), tag
    return tag


@pytest.fixture(scope="module")
def httpd(image):
    """The container, with the project installed by install.sh through
    Apache's apxs, the CLI, the CGI and the test's httpd.conf; httpd not
    running. Yields (container, install.sh's output)."""
    for f in [REPO / "target/module" / so for so in MODULE_FILES] + [REPO / "target/release/session-crypto-rs"]:
        assert f.is_file(), f"{f} is not built (scripts/build.sh, cargo build --release -p session-crypto-rs)"
    c = SourceHttpdContainer(image)
    try:
        c.put(admin_tree(), TREE)
        c.put({"session-crypto-rs": REPO / "target/release/session-crypto-rs"}, "/usr/local/bin")
        installed = c.sh(f"{TREE}/scripts/install.sh")  # finds Apache's apxs on PATH
        c.write(f"{CGI_DIR}/plain", CGI, mode="755")
        c.write(f"{CGI_DIR}/sealed", CGI, mode="755")
        c.write(CONF, HTTPD_CONF)
        c.write(SECRET_FILE, SECRET + "\n", mode="600")
        yield c, installed
    finally:
        c.remove()


def load_lines(cookie, crypto):
    return (f"LoadModule session_module {MOD_SESSION}\n"
            f"LoadModule session_cookie_module {cookie}\n"
            f"LoadModule session_crypto_module {crypto}\n")


@contextlib.contextmanager
def serving(c, cookie, crypto):
    """httpd -t, then httpd -k start with these session_cookie_module and
    session_crypto_module files; it must map exactly them (and
    mod_session.so). Yields the parent's pid; stops it after, and then its
    error log must hold no crash and no error."""
    c.write(SESSION_CONF, load_lines(cookie, crypto))
    assert "Syntax OK" in c.sh(f"{HTTPD} -t 2>&1")
    c.sh(f": > {ERROR_LOG}; {HTTPD} -k start")
    rc, _ = c.run(f"for i in $(seq 200); do [ -s {PIDFILE} ] && curl -s -o /dev/null http://127.0.0.1:{PORT}/"
                  " && exit 0; sleep 0.1; done; exit 1")
    assert rc == 0, "httpd did not come up:\n" + c.sh(f"tail -n 20 {ERROR_LOG}")
    pid = c.sh(f"cat {PIDFILE}").split()[0]
    try:
        maps = c.sh(f"cat /proc/{pid}/maps").splitlines()
        loaded = {line.split()[-1] for line in maps if "/mod_session" in line}
        assert loaded == {MOD_SESSION, cookie, crypto}, f"httpd mapped {sorted(loaded)}"
        yield pid
    finally:
        c.run(f"{HTTPD} -k stop")
        rc, _ = c.run(f"for i in $(seq 200); do kill -0 {pid} 2>/dev/null || exit 0; sleep 0.1; done; exit 1")
        assert rc == 0, "httpd did not stop"
        assert c.run(f"curl -s -o /dev/null http://127.0.0.1:{PORT}/")[0] != 0, f"port {PORT} still listening"
    log = c.sh(f"cat {ERROR_LOG}").splitlines()
    bad = [line for line in log if "exit signal" in line or re.search(r"\[\w*:(error|crit|alert|emerg)\]", line)]
    assert not bad, bad


def get(c, path, cookies=()):
    """A GET with curl in the container: (status, [Set-Cookie values], body)."""
    extra = "-H 'Cookie: " + "; ".join(f"{n}={v}" for n, v in cookies) + "'" if cookies else ""
    out = c.sh(f"curl -sS -D /tmp/headers -o /tmp/body {extra} 'http://127.0.0.1:{PORT}{path}'"
               " && cat /tmp/headers && echo '--body--' && cat /tmp/body")
    head, body = out.split("--body--\n", 1)
    lines = [line.strip() for line in head.strip().splitlines()]  # docker exec's text mode folds \r\n
    set_cookies = [line.split(":", 1)[1].strip() for line in lines[1:] if line.lower().startswith("set-cookie:")]
    return int(lines[0].split()[1]), set_cookies, body


def sealed_value(set_cookies):
    """The value of the one sealed session cookie a response set."""
    (cookie,) = set_cookies
    m = re.fullmatch(r"session=([A-Za-z0-9_+/=-]+);Max-Age=600;path=/", cookie)
    assert m, cookie
    return m.group(1)


def inspect(c, value):
    """The admin CLI opening a value in the container: (exit status, output)."""
    return c.run(f"printf %s '{value}' | {CLI} inspect --passphrase-file {SECRET_FILE} --server-root {PREFIX}")


def inspected(out):
    """(format, session pairs) of what `inspect` printed."""
    # Labels padded to one column: "session id <hex>" is another line.
    fields = dict(re.findall(r"^(format|session) {2,}(.*)$", out, re.M))
    session = dict(kv.split("=", 1) for kv in fields.get("session", "").split("&") if kv)
    return fields.get("format", ""), session


def test_source_build_layout_version_and_magic_number(httpd):
    c, _ = httpd
    # Apache's layout and its own apxs; no Debian apache2 beside it.
    for d in ("bin", "conf", "modules", "include", "logs", "cgi-bin", "htdocs"):
        c.sh(f"test -d {PREFIX}/{d}")
    for absent in ("/usr/sbin/apache2", "/etc/apache2", "/usr/lib/apache2", "/usr/bin/apxs"):
        assert c.run(f"test -e {absent}")[0] != 0, f"{absent} exists: not a source-only httpd"
    # The only apxs is Apache's (the image puts its bin/ first on PATH).
    assert c.sh("command -v apxs").strip() == APXS
    q = {v: c.sh(f"{APXS} -q {v}").strip()
         for v in ("HTTPD_VERSION", "PREFIX", "LIBEXECDIR", "SYSCONFDIR", "INCLUDEDIR", "APR_CONFIG", "APU_CONFIG")}
    assert q == {"HTTPD_VERSION": HTTPD_VERSION, "PREFIX": PREFIX, "LIBEXECDIR": LIBEXEC,
                 "SYSCONFDIR": f"{PREFIX}/conf", "INCLUDEDIR": f"{PREFIX}/include",
                 "APR_CONFIG": "/usr/bin/apr-1-config", "APU_CONFIG": "/usr/bin/apu-1-config"}, q
    for m in ("session", "session_cookie", "session_crypto", "session_dbd", "cgi", "cgid", "socache_shmcb",
              "mpm_event", "mpm_prefork", "mpm_worker"):
        c.sh(f"test -f {LIBEXEC}/mod_{m}.so")

    # httpd -V without a configuration: no MPM loaded is the only complaint.
    info = c.sh(f"{HTTPD} -V -f /dev/null 2>&1 || true")
    assert f"Server version: Apache/{HTTPD_VERSION} (Unix)" in info, info
    m = re.search(r"Server's Module Magic Number: (\d+):(\d+)", info)
    assert m, info
    major, minor = int(m.group(1)), int(m.group(2))
    assert major == MMN_MAJOR, info
    # The headers apxs builds against say the same.
    header = c.sh(f"grep -E '^#define MODULE_MAGIC_NUMBER_(MAJOR|MINOR)' {q['INCLUDEDIR']}/ap_mmn.h")
    assert re.search(rf"MAJOR {major}\b", header) and re.search(rf"MINOR {minor}\b", header), header

    # Our modules' records: the major is the server's (httpd refuses any
    # other); the minor is whatever this machine's apache2-dev had, and
    # httpd does not check it (the loads below show it).
    for so, symbol in RECORD.items():
        ours = module_magic(REPO / "target/module" / so, symbol)
        assert ours[0] == major, (so, ours, (major, minor))
        assert ours[1] > 0, (so, ours)


def test_install_sh_uses_apaches_apxs(httpd):
    c, installed = httpd
    assert f"module directory: {LIBEXEC} (apxs -q LIBEXECDIR)" in installed, installed
    for so in MODULE_FILES:
        assert f"installed {LIBEXEC}/{so}" in installed, installed
        assert c.sh(f"cmp {TREE}/target/module/{so} {LIBEXEC}/{so} && echo same").strip() == "same"
    # Not a Debian layout: the LoadModule lines to put in httpd.conf.
    assert "No /etc/apache2/mods-available here (not a Debian/Ubuntu layout)" in installed, installed
    for name, so in (("session_cookie_module", MODULE_FILES[0]), ("session_crypto_module", MODULE_FILES[1])):
        assert re.search(rf"LoadModule {name} +{LIBEXEC}/{so}", installed), installed
    assert re.search(rf"LoadModule session_module +{LIBEXEC}/mod_session.so", installed), installed


def test_ours_configtest_and_modules(httpd):
    c, _ = httpd
    c.write(SESSION_CONF, load_lines(OURS["cookie"], OURS["crypto"]))
    assert "Syntax OK" in c.sh(f"{HTTPD} -t 2>&1")
    dump = c.sh(f"{HTTPD} -t -D DUMP_MODULES 2>&1")
    for name in ("session_module", "session_cookie_module", "session_crypto_module", "cgid_module"):
        assert re.search(rf"^\s*{name} \(shared\)$", dump, re.M), dump
    with serving(c, OURS["cookie"], OURS["crypto"]):  # maps ours, not the stock twins
        status, _, _ = get(c, "/cgi-bin/plain")
        assert status == 200


def test_plain_flow(httpd):
    c, _ = httpd
    with serving(c, OURS["cookie"], OURS["crypto"]):
        status, set_cookies, body = get(c, "/cgi-bin/plain?set=user=alice")
        assert status == 200 and body == "session=[]\n", (set_cookies, body)
        assert set_cookies == ["plain=user=alice;path=/"], set_cookies
        status, set_cookies, body = get(c, "/cgi-bin/plain", [("plain", "user=alice")])
        assert status == 200 and body == "session=[user=alice]\n", body
        assert set_cookies == [], set_cookies  # unchanged, no SessionMaxAge: not written again


def test_sealed_flow(httpd):
    c, _ = httpd
    with serving(c, OURS["cookie"], OURS["crypto"]):
        status, set_cookies, body = get(c, "/cgi-bin/sealed?set=user=alice")
        assert status == 200, (set_cookies, body)
        sealed = sealed_value(set_cookies)
        assert is_our_seal(sealed) and "alice" not in sealed, sealed
        status, set_cookies, body = get(c, "/cgi-bin/sealed", [("session", sealed)])
        assert status == 200 and re.fullmatch(r"session=\[user=alice&expiry=\d+\]\n", body), body
        assert is_our_seal(sealed_value(set_cookies))  # re-sealed with a fresh expiry (SessionMaxAge)
        # The admin CLI opens what httpd sealed, and httpd opens what it seals.
        rc, out = inspect(c, sealed)
        fmt, pairs = inspected(out)
        assert rc == 0 and fmt.startswith("mod_session_cookie_rs v4"), out
        assert pairs.pop("expiry").isdigit() and pairs == {"user": "alice"}, out
        cli_sealed = c.sh(f"printf 'user=carol' | {CLI} seal --passphrase-file {SECRET_FILE}"
                          f" --server-root {PREFIX} --max-age 600").strip()
        status, _, body = get(c, "/cgi-bin/sealed", [("session", cli_sealed)])
        assert status == 200 and re.fullmatch(r"session=\[user=carol(&expiry=\d+)?\]\n", body), body
        # Tampered: an empty session (mod_session gives it an expiry of its own).
        status, _, body = get(c, "/cgi-bin/sealed", [("session", tampered(sealed))])
        assert status == 200 and re.fullmatch(r"session=\[(expiry=\d+)?\]\n", body), body
        assert inspect(c, tampered(sealed))[0] == 1


def test_switch_from_stock_keeps_sessions(httpd):
    c, _ = httpd
    # A stock deployment of this httpd: its own mod_session_cookie and
    # mod_session_crypto, the same configuration.
    with serving(c, STOCK["cookie"], STOCK["crypto"]):
        status, set_cookies, body = get(c, "/cgi-bin/sealed?set=user=alice")
        assert status == 200, (set_cookies, body)
        stock_sealed = sealed_value(set_cookies)
        assert is_stock_seal(stock_sealed) and not is_our_seal(stock_sealed), stock_sealed
        status, _, body = get(c, "/cgi-bin/sealed", [("session", stock_sealed)])
        assert status == 200 and re.fullmatch(r"session=\[user=alice&expiry=\d+\]\n", body), body
    rc, out = inspect(c, stock_sealed)
    fmt, pairs = inspected(out)
    assert rc == 0 and fmt.startswith("stock mod_session_crypto"), out
    assert pairs.pop("expiry").isdigit() and pairs == {"user": "alice"}, out

    # The LoadModule lines switched to ours; stop, start.
    with serving(c, OURS["cookie"], OURS["crypto"]):
        # Nobody is logged out: the stock-sealed session opens, and the
        # response re-seals it in our format (SessionMaxAge).
        status, set_cookies, body = get(c, "/cgi-bin/sealed", [("session", stock_sealed)])
        assert status == 200 and re.fullmatch(r"session=\[user=alice&expiry=\d+\]\n", body), body
        resealed = sealed_value(set_cookies)
        assert is_our_seal(resealed) and "alice" not in resealed, resealed
        status, _, body = get(c, "/cgi-bin/sealed", [("session", resealed)])
        assert status == 200 and re.fullmatch(r"session=\[user=alice&expiry=\d+\]\n", body), body


def test_rpm_for_apaches_layout_installs_where_this_httpd_loads(httpd, tmp_path):
    """`scripts/package.sh rpm apache-layout`: the RPM built for Apache's
    own layout names the files this httpd's apxs says modules and
    configuration go to, requires the module ABI this httpd has, and its
    payload, unpacked into the container (a Debian image: no rpm database
    to install into), is what loads: its .conf's LoadModule lines,
    uncommented, pass configtest and serve a sealed session."""
    c, _ = httpd
    out = subprocess.run([str(REPO / "scripts/package.sh"), "rpm", "apache-layout"],
                         capture_output=True, text=True, timeout=900,
                         env={**os.environ, "PACKAGE_NO_BUILD": "1"})
    assert out.returncode == 0, out.stderr
    rpm = Path(out.stdout.splitlines()[-1])
    assert rpm.is_relative_to(REPO / "target/rpm-apache-layout"), rpm
    moddir = c.sh(f"{PREFIX}/bin/apxs -q LIBEXECDIR").strip()
    confdir = c.sh(f"{PREFIX}/bin/apxs -q SYSCONFDIR").strip()
    conf = f"{confdir}/extra/10-session_cookie_rs.conf"
    files = set(host("rpm", "-qpl", str(rpm)).splitlines())
    assert {f"{moddir}/{so}" for so in MODULE_FILES} | {conf} <= files, sorted(files)
    requires = host("rpm", "-qpR", str(rpm)).splitlines()
    # (httpd -V prints the build's numbers even when it then fails on the
    # configuration)
    major = re.search(r"Module Magic Number: (\d+):", c.run(f"{HTTPD} -V")[1]).group(1)
    assert f"httpd-mmn = {major}x8664" in requires, requires

    archive = subprocess.run(f"rpm2archive - < '{rpm}'", shell=True, capture_output=True,
                             timeout=300, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        tar.extractall(tmp_path)  # our own package, built just above
    payload = {str(p.relative_to(tmp_path)): p for p in tmp_path.rglob("*")
               if p.is_file() and str(p.relative_to(tmp_path)).startswith(PREFIX.lstrip("/"))}
    assert sorted(payload) == sorted([f"{moddir.lstrip('/')}/{so}" for so in MODULE_FILES]
                                     + [conf.lstrip("/")]), sorted(payload)
    # Over what install.sh put there: from here on httpd loads the RPM's
    # files (rpmbuild strips them, so they differ from target/module's).
    c.put(payload, "/")
    for rel, path in payload.items():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert c.sh(f"sha256sum /{rel}").split()[0] == digest, rel
    lines = [line.lstrip("#").strip() for line in (tmp_path / conf.lstrip("/")).read_text().splitlines()
             if re.match(r"#\s*LoadModule session_(cookie|crypto)_module \S*_rs\.so$", line)]
    assert len(lines) == 2, lines
    # ServerRoot-relative, as the .conf writes them: this httpd's modules/.
    cookie, crypto = (f"{PREFIX}/{line.split()[2]}" for line in lines)
    assert {cookie, crypto} == {f"{moddir}/{so}" for so in MODULE_FILES}
    with serving(c, cookie, crypto):
        status, set_cookies, body = get(c, "/cgi-bin/sealed?set=user=alice")
        assert status == 200, (set_cookies, body)
        sealed = sealed_value(set_cookies)
        assert is_our_seal(sealed), sealed
        status, _, body = get(c, "/cgi-bin/sealed", [("session", sealed)])
        assert status == 200 and re.fullmatch(r"session=\[user=alice&expiry=\d+\]\n", body), body
