"""The .deb in a Debian 12 (bookworm) and a Debian 13 (trixie) container
with Debian's apache2, used as an admin would: install (enables nothing),
switch both modules with a2dismod/a2enmod, serve sealed sessions, apt
remove, back to stock, apt purge; and an upgrade that keeps an edited
conffile. The same .deb, built on Debian 12, goes into both releases (the
`container` fixture runs each test once per release): each release's
apache2-bin provides the module ABI the package depends on."""
import base64
import re

from .support import PACKAGE, sh

CGI = r"""#!/bin/sh
printf 'Content-Type: text/plain\r\n'
[ -n "$QUERY_STRING" ] && printf 'X-Replace-Session: %s\r\n' "$QUERY_STRING"
printf '\r\nsession=[%s]\n' "$HTTP_SESSION"
"""

# A sealed session for one CGI. The session directives sit in <IfModule>
# blocks, as Debian asks of configuration that needs a module which may be
# disabled: removing the package disables our modules, and the
# configuration stays valid until the admin enables stock's. Our modules
# call themselves mod_session_cookie.c and mod_session_crypto.c, as stock's.
SITE = """<IfModule mod_session_cookie.c>
<Location "/cgi-bin/session">
    Session On
    SessionCookieName session path=/
    SessionEnv On
    SessionHeader X-Replace-Session
    <IfModule mod_session_crypto.c>
        SessionCryptoPassphrase package-test-secret-0f1e2d3c4b5a69788796a5b4c3d2e1f0
    </IfModule>
</Location>
</IfModule>
"""

SWITCH = ["a2dismod session_cookie && a2enmod session_cookie_rs",
          "a2dismod session_crypto && a2enmod session_crypto_rs"]


def set_up_site(c):
    c.sh(f"mkdir -p /usr/lib/cgi-bin && cat > /usr/lib/cgi-bin/session <<'EOF'\n{CGI}EOF\n"
         "chmod 755 /usr/lib/cgi-bin/session")
    c.sh(f"cat > /etc/apache2/conf-available/session-test.conf <<'EOF'\n{SITE}EOF\n"
         "a2enmod -q cgid && a2enconf -q session-test serve-cgi-bin")


def enabled_modules(c):
    return set(c.sh("ls /etc/apache2/mods-enabled").split())


def restart(c):
    assert "Syntax OK" in c.sh("apache2ctl configtest 2>&1")
    c.sh("apache2ctl restart")
    c.wait_http()


def session_cookie(headers):
    m = re.search(r"(?mi)^Set-Cookie: session=([^;\r\n]*)", headers)
    assert m, headers
    return m.group(1)


def log_in(c, user):
    headers, body = c.curl(f"/cgi-bin/session?user={user}")
    assert headers.startswith("HTTP/1.1 200"), headers + body
    value = session_cookie(headers)
    _, body = c.curl("/cgi-bin/session", cookie=value)
    assert f"session=[user={user}]" in body, body
    return value


def assert_ours(c, value):
    """Our modules are the ones Apache loaded, and the sealed value is in
    our format: unpadded base64url (stock writes standard base64)."""
    maps = c.sh("cat /proc/$(cat /var/run/apache2/apache2.pid)/maps")
    for m in ("cookie", "crypto"):
        assert f"/usr/lib/apache2/modules/mod_session_{m}_rs.so" in maps
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", value), value
    base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def test_install_switch_remove_purge(container, deb):
    c = container
    set_up_site(c)
    c.sh("apache2ctl start")
    c.wait_http()

    # Install: nothing enabled, the two switch lines printed.
    out = c.apt("install", c.copy_in(deb))
    for line in SWITCH:
        assert line in out, out
    assert not {m for m in enabled_modules(c) if "_rs." in m}
    files = [f for f in c.sh(f"dpkg -L {PACKAGE}").split() if f != "/."]
    assert "/usr/lib/apache2/modules/mod_session_crypto_rs.so" in files
    conffiles = c.sh(f"dpkg-query -W -f='${{Conffiles}}' {PACKAGE}")
    for name in ("session_cookie_rs.load", "session_cookie_rs.conf", "session_crypto_rs.load"):
        assert f"/etc/apache2/mods-available/{name}" in conffiles

    # Switch both modules, as the admin does.
    c.sh("a2dismod -q session_cookie session_crypto && a2enmod -q session_cookie_rs session_crypto_rs")
    assert {"session.load", "session_cookie_rs.load", "session_crypto_rs.load"} <= enabled_modules(c)
    restart(c)
    cookie = log_in(c, "alice")
    assert_ours(c, cookie)
    # The admin CLI, installed beside the modules, opens what the server sealed.
    c.sh("echo package-test-secret-0f1e2d3c4b5a69788796a5b4c3d2e1f0 > /tmp/secrets")
    shown = c.sh(f"session-crypto-rs inspect --passphrase-file /tmp/secrets '{cookie}'")
    assert re.search(r"(?m)^session +\S*user=alice", shown), shown

    # Remove: ours disabled by dh_apache2's prerm, Apache restarted by the
    # helper on a configuration that still passes configtest.
    pid = c.apache_pid()
    out = c.apt("remove", PACKAGE)
    assert "to put stock back: a2enmod session_cookie" in out, out
    assert "to put stock back: a2enmod session_crypto" in out, out
    assert not {m for m in enabled_modules(c) if m.startswith("session_c")}, enabled_modules(c)
    assert "Syntax OK" in c.sh("apache2ctl configtest 2>&1")
    c.wait_http()
    assert c.apache_pid() != pid, "the helper did not restart Apache"
    assert c.run("test -e /usr/lib/apache2/modules/mod_session_cookie_rs.so")[0] != 0
    assert c.sh(f"dpkg-query -W -f='${{db:Status-Abbrev}}' {PACKAGE}").strip() == "rc"
    headers, body = c.curl("/cgi-bin/session?user=nobody")
    assert "Set-Cookie" not in headers and "session=[]" in body, headers + body

    # Back to stock: the same configuration serves sealed sessions again.
    c.sh("a2enmod -q session_cookie session_crypto")
    restart(c)
    log_in(c, "bob")

    # Purge: no file of ours left, nor the helper's state about our modules.
    c.apt("purge", PACKAGE)
    leftovers = c.run("for f in " + " ".join(files) + "; do"
                      "  if [ -e \"$f\" ] && ! { [ -d \"$f\" ] && dpkg -S \"$f\" >/dev/null 2>&1; }; then echo \"$f\"; fi;"
                      " done; ls -d /etc/apache2/mods-*/session_*_rs.* /var/lib/apache2/module/*/session_*_rs 2>/dev/null")[1]
    assert leftovers.strip() == "", leftovers
    assert c.run(f"dpkg -s {PACKAGE}")[0] != 0
    assert "Syntax OK" in c.sh("apache2ctl configtest 2>&1")
    log_in(c, "carol")


def test_upgrade_keeps_edited_conf(container, deb, deb_v2):
    c = container
    v1, v2 = c.copy_in(deb), c.copy_in(deb_v2)
    c.apt("install", v1)
    c.sh("a2enmod -q session_cookie_rs && echo '# edited by the admin' >> /etc/apache2/mods-available/session_cookie_rs.conf")

    out = c.apt("install", v2)
    version = c.sh(f"dpkg-query -W -f='${{Version}}' {PACKAGE}").strip()
    assert version.endswith("+upgradetest1"), version
    # The conffile did not change between the versions: dpkg keeps the
    # admin's edit without asking, and leaves no .dpkg-dist/.dpkg-new.
    assert c.sh("tail -n 1 /etc/apache2/mods-available/session_cookie_rs.conf").strip() == "# edited by the admin"
    assert c.sh("ls /etc/apache2/mods-available | grep -c dpkg- || true").strip() == "0"
    # An upgrade neither disables what the admin enabled nor repeats the message.
    assert "session_cookie_rs.load" in enabled_modules(c)
    assert SWITCH[0] not in out, out
    assert "Syntax OK" in c.sh("apache2ctl configtest 2>&1")


def test_module_abi_is_the_releases(container, deb):
    """The Apache module ABI the .deb depends on (dh_apache2's
    apache2-api-<magic number>) is what the release's apache2-bin provides,
    and the magic number its Apache reports."""
    (api,) = [d.strip() for d in sh("dpkg-deb", "-f", str(deb), "Depends").split(",")
              if d.strip().startswith("apache2-api-")]
    provides = container.sh("dpkg-query -W -f='${Provides}' apache2-bin").split(", ")
    assert api in provides, provides
    magic = re.search(r"Module Magic Number: (\d+):", container.sh("apache2ctl -V 2>&1"))
    assert magic and api == f"apache2-api-{magic.group(1)}", magic
