"""Headless Chromium for the browser tests (Debian's chromium,
chromium-driver and python3-selenium), and the demo's login: shared by
test_demo_browser.py and test_chunked_browser.py. Fails (never skips) when
any of them is missing."""
import contextlib
import shutil
import tempfile

import pytest

USER, PASSWORD = "demo", "demo-password"
ARGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--window-size=1000,800", "--no-first-run", "--disable-extensions")


@contextlib.contextmanager
def chromium(*extra_args):
    """A WebDriver on a fresh profile, quit and removed afterwards."""
    binary, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    assert binary and driver_path, (
        "headless Chromium is missing: apt-get install chromium chromium-driver python3-selenium")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("Selenium is missing for /usr/bin/python3: apt-get install python3-selenium")

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ARGS + extra_args:
        options.add_argument(arg)
    profile = tempfile.mkdtemp(prefix="scr-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for_url(browser, predicate, what):
    """A click returns before the navigation it starts has finished."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 15).until(lambda d: predicate(d.current_url),
                                     message=f"waiting for {what}")


def log_in(browser, base):
    """Logs into the demo through its form; on the protected page after."""
    from selenium.webdriver.common.by import By

    browser.get(base + "/login.html")
    browser.find_element(By.ID, "user").send_keys(USER)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "submit").click()
    wait_for_url(browser, lambda url: url == base + "/private/", "/private/ after logging in")
