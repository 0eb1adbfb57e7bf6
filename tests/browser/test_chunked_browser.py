"""A session over 4 KB in a real browser: the demo site (conf/demo/site.conf)
with SessionCookieChunkSize 4000, served over HTTPS by mod_ssl (a
certificate this test makes with openssl) on two ports, one offering HTTP/2
(mod_http2, `Protocols h2 http/1.1`) and one HTTP/1.1 only, to Debian's
headless Chromium driven by Selenium.

The browser logs in through the form, grows its sealed session through the
protected page to about 10 KB (a `session` cookie saying `chunks-3` and
three parts, each Set-Cookie line within 4000 bytes, all Secure), and stays
logged in with the whole session across reloads and navigation: it really
keeps and sends back every part. Over HTTP/2 the browser sends cookies as
separate header fields, which httpd joins. Shrinking the session removes the
parts no longer used from the browser; logging out removes them all.

Fails (never skips) when Chromium, chromedriver, Selenium, openssl, mod_ssl
or mod_http2 is missing.
"""
import base64
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO / "tests" / "integration"))
from harness import free_port, listening  # noqa: E402

MODDIR = "/usr/lib/apache2/modules"
from chromium import USER, chromium, log_in, wait_for_url  # noqa: E402
CHUNK = 4000

CONF = """\
ServerRoot "{run}"
ServerName 127.0.0.1
Listen 127.0.0.1:{h2} https
Listen 127.0.0.1:{h1} https
PidFile "{run}/httpd.pid"
Mutex file:{run}
ErrorLog "{run}/error.log"
LogLevel warn session_cookie:debug session_crypto:info ssl:warn http2:warn
{user}
LoadModule mpm_event_module {moddir}/mod_mpm_event.so
LoadModule authz_core_module {moddir}/mod_authz_core.so
LoadModule authz_user_module {moddir}/mod_authz_user.so
LoadModule authn_core_module {moddir}/mod_authn_core.so
LoadModule authn_file_module {moddir}/mod_authn_file.so
LoadModule request_module {moddir}/mod_request.so
LoadModule auth_form_module {moddir}/mod_auth_form.so
LoadModule mime_module {moddir}/mod_mime.so
LoadModule dir_module {moddir}/mod_dir.so
LoadModule alias_module {moddir}/mod_alias.so
LoadModule cgid_module {moddir}/mod_cgid.so
LoadModule ssl_module {moddir}/mod_ssl.so
LoadModule http2_module {moddir}/mod_http2.so
LoadModule session_module {moddir}/mod_session.so
LoadModule session_cookie_module "{run}/mod_session_cookie_rs.so"
LoadModule session_crypto_module "{run}/mod_session_crypto_rs.so"
LoadModule socache_shmcb_module {moddir}/mod_socache_shmcb.so
TypesConfig /etc/mime.types
ScriptSock "{run}/cgid.sock"

Define DEMO_ROOT "{run}"
Define DEMO_SECRETS "{run}/secrets"
Include "{run}/site.conf"
# As the demo (conf/demo/httpd.conf.in): a logout revokes its session and
# removes its cookie, every part of it.
SessionCryptoRevocationStore shmcb

# The demo's session cookie, Secure (HTTPS only here), split into parts of
# at most {chunk} bytes per Set-Cookie line; requests may carry ~16 KB of
# cookies.
SessionCookieName session path=/;HttpOnly;Secure;SameSite=Lax
SessionCookieChunkSize {chunk}
LimitRequestFieldSize 16384

SSLCertificateFile "{run}/cert.pem"
SSLCertificateKeyFile "{run}/key.pem"
<VirtualHost 127.0.0.1:{h2}>
    SSLEngine on
    Protocols h2 http/1.1
</VirtualHost>
<VirtualHost 127.0.0.1:{h1}>
    SSLEngine on
    Protocols http/1.1
</VirtualHost>
"""


def error_lines(text):
    return [l for l in text.splitlines()
            if re.search(r"\[(\w+:)?(error|crit|alert|emerg)\]|AH00052|panicked", l)]


@pytest.fixture(scope="module")
def site():
    """The demo site over HTTPS on two ports (h2, http/1.1): (bases, run dir)."""
    for module in ("mod_ssl.so", "mod_http2.so"):
        assert os.path.exists(f"{MODDIR}/{module}"), f"{module} is missing (Debian's apache2)"
    assert shutil.which("openssl"), "openssl is missing: apt-get install openssl"
    build = subprocess.run([str(REPO / "scripts/build.sh")], capture_output=True, text=True)
    assert build.returncode == 0, build.stdout + build.stderr

    run = Path(tempfile.mkdtemp(prefix="scr-chunked-browser-"))
    run.chmod(0o755)
    for d in ("htdocs", "private"):
        shutil.copytree(REPO / "conf/demo" / d, run / d)
    for f in ("site.conf", "htpasswd"):
        shutil.copy(REPO / "conf/demo" / f, run / f)
    for kind in ("cookie", "crypto"):
        shutil.copy(REPO / f"target/module/mod_session_{kind}_rs.so", run)
    (run / "secrets").write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    (run / "secrets").chmod(0o600)
    cert = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(run / "key.pem"), "-out", str(run / "cert.pem")],
        capture_output=True, text=True)
    assert cert.returncode == 0, cert.stderr
    (run / "key.pem").chmod(0o600)
    h2, h1 = free_port(), free_port()
    user = "User www-data\nGroup www-data" if os.geteuid() == 0 else ""
    conf = run / "httpd.conf"
    conf.write_text(CONF.format(run=run, h2=h2, h1=h1, user=user, moddir=MODDIR, chunk=CHUNK))

    check = subprocess.run(["apache2", "-t", "-f", str(conf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "SCR01" not in check.stderr, f"configtest warned: {check.stderr}"
    proc = subprocess.Popen(["apache2", "-f", str(conf), "-DFOREGROUND"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    log = run / "error.log"
    try:
        deadline = time.monotonic() + 20
        while not (listening(h2) and listening(h1)):
            assert proc.poll() is None, f"httpd exited:\n{proc.stdout.read().decode()}"
            assert time.monotonic() < deadline, "httpd did not start"
            time.sleep(0.1)
        yield {"h2": f"https://127.0.0.1:{h2}", "http/1.1": f"https://127.0.0.1:{h1}"}, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        text = log.read_text(errors="replace") if log.exists() else ""
        shutil.rmtree(run, ignore_errors=True)
    assert not error_lines(text), "\n".join(error_lines(text))


@pytest.fixture(scope="module")
def browser():
    # The certificate is the test's own: accepted without a trust store. The
    # pages are still https://, so the browser keeps Secure cookies.
    with chromium("--ignore-certificate-errors") as driver:
        yield driver


def page(browser):
    """(who is logged in, the session table) of the protected page."""
    from selenium.webdriver.common.by import By

    users = browser.find_elements(By.ID, "user")
    assert users, f"not the protected page: {browser.current_url}\n{browser.page_source[:2000]}"
    rows = browser.find_elements(By.CSS_SELECTOR, "#session tr")
    table = {cells[0].text: cells[1].text
             for cells in (r.find_elements(By.TAG_NAME, "td") for r in rows) if len(cells) == 2}
    return users[0].text, table


def session_cookies(browser):
    """The session's cookies the browser keeps (HttpOnly ones included)."""
    return {c["name"]: c for c in browser.get_cookies()
            if c["name"] == "session" or c["name"].startswith("session~")}


def protocol(browser):
    return browser.execute_script(
        "return performance.getEntriesByType('navigation')[0].nextHopProtocol")


def value(i, n=2500):
    return "".join(str(j) for j in range(i * 10000, i * 10000 + n))[:n]


@pytest.mark.parametrize("proto", ["h2", "http/1.1"])
def test_logged_in_with_a_chunked_session(site, browser, proto):
    bases, log = site
    base = bases[proto]
    browser.delete_all_cookies()
    browser.get(base + "/private/")
    assert browser.current_url == base + "/login.html", "protected page served without login"

    log_in(browser, base)
    assert protocol(browser) == proto
    user, table = page(browser)
    assert user == USER and table.get("demo-user") == USER, table
    assert list(session_cookies(browser)) == ["session"]  # small: one cookie

    # Grow the session through the page's form handler: three keys of 2500
    # bytes make about 10 KB sealed.
    want = {}
    for i in range(3):
        browser.get(f"{base}/private/?key=k{i}&value={value(i)}")
        wait_for_url(browser, lambda url: url == base + "/private/", "the page after adding a key")
        want[f"k{i}"] = value(i)
        user, table = page(browser)
        assert user == USER
        assert {k: table.get(k) for k in want} == want, f"after adding k{i}"

    cookies = session_cookies(browser)
    assert sorted(cookies) == ["session", "session~1", "session~2", "session~3"], cookies
    assert cookies["session"]["value"] == "chunks-3"
    total = sum(len(c["name"]) + 1 + len(c["value"]) for c in cookies.values())
    assert total > 10000, total
    for c in cookies.values():
        assert c["secure"] and c["httpOnly"] and c["path"] == "/" and c["sameSite"] == "Lax", c
        assert len(c["name"]) + 1 + len(c["value"]) < CHUNK, c["name"]
        assert "expiry" in c, f"no Max-Age on {c['name']}"
    assert "session" not in browser.execute_script("return document.cookie")

    # Still logged in, with the whole session, across reloads and navigation.
    for _ in range(2):
        browser.refresh()
        assert browser.current_url == base + "/private/"
        user, table = page(browser)
        assert user == USER and {k: table.get(k) for k in want} == want
    browser.get(base + "/")
    from selenium.webdriver.common.by import By
    browser.find_element(By.CSS_SELECTOR, 'a[href="/private/"]').click()
    wait_for_url(browser, lambda url: url == base + "/private/", "/private/ from the home page")
    assert page(browser)[0] == USER
    assert protocol(browser) == proto
    assert re.search(r"SCR0112: session cookie 'session' read from 3 parts", log.read_text())

    # Shrinking: the parts no longer used leave the browser.
    browser.get(f"{base}/private/?key=k2&value=")
    wait_for_url(browser, lambda url: url == base + "/private/", "the page after removing k2")
    del want["k2"]
    user, table = page(browser)
    assert user == USER and "k2" not in table and {k: table.get(k) for k in want} == want
    cookies = session_cookies(browser)
    assert sorted(cookies) == ["session", "session~1", "session~2"], cookies
    assert cookies["session"]["value"] == "chunks-2"
    browser.refresh()
    assert page(browser)[0] == USER

    # Logging out removes the cookie and every part.
    browser.find_element(By.ID, "logout").click()
    wait_for_url(browser, lambda url: url.startswith(base + "/login.html"), "the login page")
    assert session_cookies(browser) == {}, browser.get_cookies()
    browser.get(base + "/private/")
    assert browser.current_url == base + "/login.html", "still logged in after logout"
