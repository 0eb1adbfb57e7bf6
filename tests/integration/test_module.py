"""Tests of our module alone (no stock comparison): symbol export, loading,
<IfModule>, logging, directive validation, one Set-Cookie per name, and
robustness against garbage Cookie headers on both MPMs."""
import os
import subprocess
from pathlib import Path

import pytest

from harness import APACHE, CGI, STOCK_MODULES, module_path

MPMS = ("event", "prefork")
BODY = """
Session On
SessionEnv On
SessionHeader X-Replace-Session
SessionCookieName session path=/
<Directory "{docroot}/rm">
    SessionCookieRemove On
</Directory>
<IfModule mod_session_cookie.c>
    Header always set X-IfModule session_cookie
</IfModule>
"""
FILES = {"rm/env.sh": CGI}


@pytest.fixture(params=MPMS)
def ours(request, apache):
    return apache("ours", request.param, BODY, FILES)


@pytest.mark.parametrize("kind", ["cookie", "crypto"])
def test_exports_its_module_record_only(kind):
    """httpd loads modules RTLD_GLOBAL: a second symbol in the dynamic table
    is one another module could bind to (stock's mod_session_crypto bound
    its own record to ours when one file exported both)."""
    out = subprocess.run(["nm", "-D", "--defined-only", module_path("ours", kind)],
                         capture_output=True, text=True, check=True).stdout
    assert [line.split()[-1] for line in out.splitlines()] == [f"session_{kind}_module"], out


def test_our_file_is_the_loaded_session_cookie_module(ours):
    """httpd lists session_cookie_module as a shared module, and the running
    children have our file mapped (not stock's)."""
    out = subprocess.run([APACHE, "-t", "-D", "DUMP_MODULES", "-f", str(ours.conf)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    listed = [line.strip() for line in out.stdout.splitlines()]
    assert "session_module (shared)" in listed, out.stdout
    assert "session_cookie_module (shared)" in listed, out.stdout
    assert ours.request("/env.sh").status == 200  # a child is up and has served
    ours_file = os.path.realpath(module_path("ours"))
    kids = ours.children()
    assert kids, f"{ours!r} has no child process"
    for pid in kids:
        maps = Path(f"/proc/{pid}/maps").read_text()
        mapped = {line.split(None, 5)[5].removesuffix(" (deleted)")
                  for line in maps.splitlines() if len(line.split(None, 5)) == 6}
        assert ours_file in mapped, f"child {pid} does not map {ours_file}"
        assert STOCK_MODULES["cookie"] not in mapped, f"child {pid} maps stock's module"


def test_ifmodule_block_honoured(ours):
    assert ours.request("/env.sh").all("X-IfModule") == ["session_cookie"]


def test_debug_log_lines_from_our_module(ours):
    """A request that reads and writes the session cookie logs debug lines
    under our module's name (LogLevel session_cookie:debug)."""
    r = ours.request("/env.sh?set=a=1", [("Cookie", "session=b=2")])
    assert r.status == 200
    ours.expect_log(r"\[session_cookie:debug\]")


@pytest.mark.parametrize("directive", [
    "SessionCookieName",
    "SessionCookieName a=b path=/",
    "SessionCookieName a&b path=/",
    "SessionCookieName a;b path=/",
    "SessionCookieName2",
    "SessionCookieName2 a=b",
    "SessionCookieName2 a;b",
    "SessionCookieRemove maybe",
])
def test_configtest_rejects(apache, directive):
    srv = apache("ours", "event", "")
    rc, out = srv.configtest(directive + "\n")
    assert rc != 0, out
    assert directive.split()[0] in out, out


@pytest.mark.parametrize("query", ["set=a=1&cookie=session=evil", "cookie=session=evil&set=a=1"])
def test_one_set_cookie_per_name(ours, query):
    """The back end's own Set-Cookie for the session name is replaced by the
    session's cookie; other cookies of the back end stay."""
    r = ours.request(f"/env.sh?{query}", [("Cookie", "session=b=2")])
    sessions = [v for v in r.all("Set-Cookie") if v.startswith("session=")]
    assert sessions == ["session=b=2&a=1;path=/"], r.headers


def test_other_cookie_of_back_end_kept(ours):
    r = ours.request("/env.sh?set=a=1&cookie=other=1", [("Cookie", "session=b=2")])
    assert sorted(r.all("Set-Cookie")) == ["other=1", "session=b=2&a=1;path=/"], r.headers


GARBAGE = {
    "value_8000_bytes": [b"Cookie: session=a=" + b"x" * 8000],
    "binary_bytes": [b"Cookie: session=" + bytes(b for b in range(1, 256) if b not in (10, 13))],
    "binary_name": [b"Cookie: \x01\xff=1; session=a=\x80\xfe"],
    "cookies_200": [("Cookie: " + "; ".join(f"c{i}={i}" for i in range(200)) + "; session=a=1").encode()],
    "lone_equals": [b"Cookie: ="],
    "lone_semicolon": [b"Cookie: ;"],
    "lone_comma": [b"Cookie: ,"],
    "separators_only": [b"Cookie: ;;,,;, ;,"],
    "name_only": [b"Cookie: session"],
    "equals_prefix": [b"Cookie: =session=a=1"],
    "empty_header": [b"Cookie:"],
    "many_lines": [b"Cookie: session=a=1"] * 50,
    "cookie2_garbage": [b"Cookie2: $Version; $; session; =; ,"],
    "percent_garbage": [b"Cookie: session=%; x=%zz&%%=%00"],
    "cve_shape": [b"Cookie: session=&=&&=="],
}


@pytest.mark.parametrize("path", ["/env.sh?set=z=1", "/rm/env.sh?set=z=1", "/rm/env.sh"])
@pytest.mark.parametrize("name", GARBAGE)
def test_garbage_cookie_headers(ours, name, path):
    r = ours.request(path, GARBAGE[name])
    assert r.status < 500, (r.status, r.body[:300])
    r = ours.request("/env.sh")  # the server still answers
    assert r.status == 200
