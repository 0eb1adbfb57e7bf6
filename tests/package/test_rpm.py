"""The .rpm for RHEL-like systems (packaging/rpm/mod_session_cookie_rs.spec),
built here with Debian's rpm from the modules scripts/build.sh built:
contents and requirements only. It is not install-tested."""
import subprocess

from .support import REPO, sh

MODDIR = "/usr/lib64/httpd/modules"
CONF = "/etc/httpd/conf.modules.d/10-session_cookie_rs.conf"


def test_rpm_contents(rpm_file):
    assert rpm_file.is_relative_to(REPO / "target/rpm")
    assert sh("rpm", "-qp", "--qf", "%{NAME} %{VERSION} %{LICENSE}", str(rpm_file)) == \
        "mod_session_cookie_rs 0.1.0 Apache-2.0"
    files = set(sh("rpm", "-qpl", str(rpm_file)).splitlines())
    assert {f"{MODDIR}/mod_session_cookie_rs.so", f"{MODDIR}/mod_session_crypto_rs.so", CONF,
            "/usr/bin/session-crypto-rs",
            "/usr/share/doc/mod_session_cookie_rs-0.1.0/README.md",
            "/usr/share/doc/mod_session_cookie_rs-0.1.0/docs/operations.md"} <= files, files
    assert sh("rpm", "-qpc", str(rpm_file)).splitlines() == [CONF]


def test_rpm_requirements(rpm_file):
    requires = sh("rpm", "-qpR", str(rpm_file)).splitlines()
    assert "httpd-mmn = 20120211x8664" in requires, requires
    assert "mod_session" in requires, requires
    assert any(r.startswith("libc.so.6") for r in requires), requires


def test_rpm_loads_nothing(rpm_file):
    """Stock mod_session_cookie is loaded by 01-session.conf: our lines are
    commented out, with the steps to switch."""
    conf = subprocess.run(f"rpm2archive - < '{rpm_file}' | tar -xzO .{CONF}", shell=True,
                          capture_output=True, text=True, check=True).stdout
    assert "#LoadModule session_cookie_module modules/mod_session_cookie_rs.so" in conf
    assert "#LoadModule session_crypto_module modules/mod_session_crypto_rs.so" in conf
    assert not [line for line in conf.splitlines() if line.startswith("LoadModule")], conf
