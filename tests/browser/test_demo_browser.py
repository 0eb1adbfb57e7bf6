"""The demo (scripts/demo.sh) in a real browser: Debian's headless Chromium
driven by Selenium (Debian's python3-selenium, chromium, chromium-driver).

Logs in through the form; checks the session cookie's attributes and that
page scripts cannot read it; stays logged in across navigation and reload;
a tampered cookie sends the browser back to the login page; logout removes
the cookie. Fails (never skips) when Chromium, chromedriver or Selenium is
missing. SCREENSHOT_DIR=dir keeps the logged-in screenshot there (default:
pytest's temporary directory).
"""
import os
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
from harness import free_port, listening, raw_request  # noqa: E402
from chromium import USER, chromium, log_in, wait_for_url  # noqa: E402


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def demo_run_dir(pgid):
    """The demo's runtime directory, from its httpd's command line (-f DIR/httpd.conf)."""
    for proc in Path("/proc").iterdir():
        try:
            if not proc.name.isdigit() or os.getpgid(int(proc.name)) != pgid:
                continue
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"-f" in argv[:-1]:
            return Path(argv[argv.index(b"-f") + 1].decode()).parent
    return None


@pytest.fixture(scope="module")
def demo():
    """scripts/demo.sh on a free port, in its own process group; Ctrl-C after."""
    port = free_port()
    run_dir = None
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([str(REPO / "scripts/demo.sh")], env={**os.environ, "PORT": str(port)},
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)

    def output():
        log.seek(0)
        return log.read().decode(errors="replace")

    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240  # demo.sh builds first; a cold build takes minutes
    try:
        while True:
            try:
                raw_request(port, "/", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the demo did not start on {base}:\n{output()}")
                time.sleep(0.5)
        run_dir = demo_run_dir(proc.pid)
        yield base
    finally:
        # What Ctrl-C in its terminal does: SIGINT to the whole foreground group.
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
            deadline = time.monotonic() + 10
            while group_alive(proc.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            stopped = not group_alive(proc.pid)
        except subprocess.TimeoutExpired:
            stopped = False
        if not stopped:
            os.killpg(proc.pid, signal.SIGKILL)
    text = output()
    assert stopped, f"the demo did not stop on SIGINT:\n{text}"
    assert not listening(port), "the demo's httpd still listens"
    # Nothing outside the build directory is left: target/demo, or a
    # temporary directory (when www-data cannot reach the checkout) removed.
    assert run_dir, "no httpd of the demo found"
    assert (REPO / "target") in run_dir.parents or not run_dir.exists(), (
        f"the demo left its runtime directory {run_dir}")
    errors = [l for l in text.splitlines() if "[error]" in l or "[crit]" in l or "[emerg]" in l
              or "AH00052" in l]  # AH00052: a child crashed
    assert not errors, text


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


def shown_user(browser):
    from selenium.webdriver.common.by import By

    return browser.find_element(By.ID, "user").text


def session_table(browser):
    from selenium.webdriver.common.by import By

    rows = browser.find_elements(By.CSS_SELECTOR, "#session tr")
    return {cells[0].text: cells[1].text
            for cells in (r.find_elements(By.TAG_NAME, "td") for r in rows) if len(cells) == 2}


@pytest.fixture
def screenshot_dir(tmp_path):
    path = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_login_cookie_navigation_tamper_logout(demo, browser, screenshot_dir):
    from selenium.webdriver.common.by import By

    base = demo

    # Not logged in: the protected area sends the browser to the form.
    browser.get(base + "/private/")
    assert browser.current_url == base + "/login.html", "protected page served without login"

    # Logging in through the form.
    log_in(browser, base)
    assert shown_user(browser) == USER
    table = session_table(browser)
    # mod_auth_form's keys, prefixed with the AuthName; the password is not shown.
    assert table.get("demo-user") == USER and table.get("demo-pw") == "(hidden)", table
    assert table.get("expiry", "").isdigit(), f"the session's expiry row is missing: {table}"
    shot = screenshot_dir / "logged-in.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 1000
    print(f"screenshot of the logged-in page: {shot}")

    # The cookie: sealed, HttpOnly, SameSite=Lax, path=/, hidden from scripts.
    cookie = browser.get_cookie("session")
    assert cookie, browser.get_cookies()
    assert cookie["httpOnly"] is True, cookie
    assert cookie["sameSite"] == "Lax", cookie
    assert cookie["path"] == "/", cookie
    assert "expiry" in cookie, "no Max-Age from SessionMaxAge"
    value = cookie["value"]
    # Format version 4: its first byte, 0x04, is "B" in base64url.
    assert value.startswith("B") and USER not in value, f"not a sealed value: {value}"
    assert "session" not in browser.execute_script("return document.cookie")

    # Still logged in after going elsewhere, coming back through a link, and reloading.
    browser.get(base + "/")
    browser.find_element(By.CSS_SELECTOR, 'a[href="/private/"]').click()
    wait_for_url(browser, lambda url: url == base + "/private/", "/private/ from the home page")
    assert shown_user(browser) == USER
    browser.back()
    wait_for_url(browser, lambda url: url == base + "/", "/ after going back")
    browser.get(base + "/private/")
    assert shown_user(browser) == USER
    browser.refresh()
    assert browser.current_url == base + "/private/"
    assert shown_user(browser) == USER

    # A tampered cookie (one character flipped) opens as an empty session: back to the form.
    value = browser.get_cookie("session")["value"]
    i = len(value) // 2
    tampered = value[:i] + ("B" if value[i] == "A" else "A") + value[i + 1:]
    browser.delete_cookie("session")
    browser.add_cookie({"name": "session", "value": tampered, "path": "/",
                        "httpOnly": True, "sameSite": "Lax"})
    assert browser.get_cookie("session")["value"] == tampered
    browser.get(base + "/private/")
    assert browser.current_url == base + "/login.html", "tampered cookie still logged in"

    # Logging in again, then out through the link: the cookie is gone.
    log_in(browser, base)
    assert shown_user(browser) == USER
    browser.find_element(By.ID, "logout").click()
    wait_for_url(browser, lambda url: url.startswith(base + "/login.html"), "the login page after logout")
    assert browser.get_cookie("session") is None, f"logout left the cookie: {browser.get_cookies()}"
    browser.get(base + "/private/")
    assert browser.current_url == base + "/login.html", "still logged in after logout"

    # The counters saw it all: the sessions that opened, the tampered one,
    # the logout's revocation (read as Prometheus would).
    from prometheus_client.parser import text_string_to_metric_families
    port = int(base.rsplit(":", 1)[1])
    text = raw_request(port, "/session-metrics").body.decode()
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for f in text_string_to_metric_families(text) for s in f.samples}
    assert samples[("httpd_session_status_total", (("word", "ok"),))] >= 6, text
    assert samples[("httpd_session_status_total", (("word", "forged"),))] >= 1, text
    assert samples[("httpd_session_revocations_total", (("kind", "session"),))] == 1, text
