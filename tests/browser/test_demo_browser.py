"""The demo (scripts/demo.sh) in a real browser: headless Chromium from
Debian, driven by Selenium (python3-selenium, chromium-driver).

Logs in through the form; checks the session cookie's flags and that page
scripts cannot read it; survives navigation and reload; a tampered cookie
sends the browser back to the login page; logout removes the cookie.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def demo():
    """scripts/demo.sh on a free port; stopped with Ctrl-C (SIGINT) after."""
    port = free_port()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([str(REPO / "scripts/demo.sh")], env={**os.environ, "PORT": str(port)},
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300  # a cold build takes a while
    while True:
        try:
            urllib.request.urlopen(base + "/", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"the demo did not start:\n{log.read().decode(errors='replace')}")
            time.sleep(0.5)
    yield base
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=30) is not None
    log.seek(0)
    output = log.read().decode(errors="replace")
    assert "[error]" not in output.replace("AH01807", ""), output  # AH01807: bad password


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    driver_path = shutil.which("chromedriver")
    assert driver_path and shutil.which("chromium"), (
        "install Debian's chromium and chromium-driver (scripts/install-deps.sh does)")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1000,800"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def wait_for_url(browser, predicate):
    """A click returns before the navigation it starts has finished."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 15).until(lambda d: predicate(d.current_url))


def log_in(browser, base):
    from selenium.webdriver.common.by import By

    browser.get(base + "/login.html")
    browser.find_element(By.ID, "user").send_keys("demo")
    browser.find_element(By.ID, "password").send_keys("demo-password")
    browser.find_element(By.ID, "submit").click()
    wait_for_url(browser, lambda url: url == base + "/private/")


def shown_user(browser):
    from selenium.webdriver.common.by import By

    return browser.find_element(By.ID, "user").text


def test_login_cookie_navigation_tamper_logout(demo, browser):
    from selenium.webdriver.common.by import By

    base = demo
    browser.get(base + "/private/")
    assert browser.current_url == base + "/login.html", "protected page served without login"

    log_in(browser, base)
    assert shown_user(browser) == "demo"
    if os.environ.get("SCREENSHOT"):
        browser.save_screenshot(os.environ["SCREENSHOT"])

    cookie = browser.get_cookie("session")
    assert cookie, browser.get_cookies()
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    assert cookie["value"].startswith("A"), "not a sealed value (version byte 1)"
    assert "session=" not in browser.execute_script("return document.cookie")

    browser.get(base + "/")
    browser.get(base + "/private/")
    assert shown_user(browser) == "demo"
    browser.refresh()
    assert shown_user(browser) == "demo"

    value = cookie["value"]
    flipped = value[:-10] + ("B" if value[-10] == "A" else "A") + value[-9:]
    browser.delete_cookie("session")
    browser.add_cookie({"name": "session", "value": flipped, "path": "/", "httpOnly": True})
    browser.get(base + "/private/")
    assert browser.current_url == base + "/login.html", "tampered cookie still logged in"

    log_in(browser, base)
    browser.find_element(By.ID, "logout").click()
    wait_for_url(browser, lambda url: url.startswith(base + "/login.html"))
    assert browser.get_cookie("session") is None, "logout left the cookie"
    browser.get(base + "/private/")
    assert browser.current_url == base + "/login.html"
