"""SessionCookieChunkSize, SessionCookieMaxAge, the size warnings, the
lockout guard and the attribute checks, in real httpd.

A session grows through SessionHeader from a CGI (big.sh below: each
request adds one key with a value of N bytes), the client carries the
cookies it was given like a browser (names and values joined by "; "), and
the CGI (SessionEnv On) shows what came back whole. Without any of the new
directives, behaviour is stock's: test_differential.py, and the chunk-shaped
cookies compared against stock at the end of this file.
"""
import re
import time

import pytest

from harness import CGI, Mix

# X-Replace-Session: K=<N bytes> for ?key=K&bytes=N (a position-dependent
# value, "123456789101112..."), or K1=&K2= (removing them) for ?drop=K1,K2;
# Set-Cookie: C for ?cookie=C; the body shows HTTP_SESSION and HTTP_COOKIE
# as env.sh does.
BIG = r"""#!/bin/sh
set -f
key= bytes= cookie= drop=
IFS='&'
for kv in $QUERY_STRING; do
    case $kv in
        key=*) key=${kv#key=} ;;
        drop=*) drop=${kv#drop=} ;;
        bytes=*) bytes=${kv#bytes=} ;;
        cookie=*) cookie=${kv#cookie=} ;;
    esac
done
printf 'Content-Type: text/plain\r\n'
if [ -n "$key" ]; then
    printf 'X-Replace-Session: %s=' "$key"
    awk -v n="$bytes" \
        'BEGIN { for (i = 1; length(s) < n; i++) s = s i; printf "%s", substr(s, 1, n) }'
    printf '\r\n'
fi
[ -n "$drop" ] && printf 'X-Replace-Session: %s=\r\n' "$(printf '%s' "$drop" | sed 's/,/=\&/g')"
[ -n "$cookie" ] && printf 'Set-Cookie: %s\r\n' "$cookie"
printf '\r\n'
for v in HTTP_COOKIE HTTP_SESSION; do
    if eval "[ -n \"\${$v+x}\" ]"; then
        eval "printf '%s=[%s]\n' $v \"\$$v\""
    else
        printf '%s unset\n' "$v"
    fi
done
"""
FILES = {p: BIG for p in ("big.sh", "rm/big.sh", "sealed/big.sh", "off/big.sh",
                          "ht/big.sh", "name2/big.sh", "small/big.sh", "noattr/big.sh")}
FILES["ht/.htaccess"] = "SessionCookieChunkSize 1000\n"
SECRET = "chunked sessions test secret, 0123456789abcdef"

CHUNKED = f"""
LimitRequestFieldSize 16384
Session On
SessionEnv On
SessionHeader X-Replace-Session
SessionCookieName session path=/
SessionCookieChunkSize 4000
<Directory "{{docroot}}/rm">
    SessionCookieRemove On
</Directory>
<Directory "{{docroot}}/sealed">
    SessionCryptoPassphrase "{SECRET}"
</Directory>
<Directory "{{docroot}}/off">
    SessionCookieChunkSize Off
</Directory>
<Directory "{{docroot}}/ht">
    SessionCookieChunkSize Off
</Directory>
<Directory "{{docroot}}/name2">
    SessionCookieName2 s2 path=/
</Directory>
<Directory "{{docroot}}/small">
    SessionCookieChunkSize 512
</Directory>
<Directory "{{docroot}}/noattr">
    SessionCookieName session
</Directory>
"""
# The default LimitRequestFieldSize (8190).
DEFAULT_LIMIT = CHUNKED.replace("LimitRequestFieldSize 16384\n", "")
# No new directive at all: stock's behaviour.
PLAIN = """
Session On
SessionEnv On
SessionHeader X-Replace-Session
SessionCookieName session path=/
"""
MAXAGE = """
Session On
SessionEnv On
SessionMaxAge 600
SessionHeader X-Replace-Session
SessionCookieName session path=/
SessionCookieChunkSize 1000
<Directory "{docroot}/off">
    SessionCookieMaxAge Off
</Directory>
"""
MPMS = ("event", "prefork")


def digits(n):
    return "".join(str(i) for i in range(1, 100001))[:n]


def serve(apache, mpm="event", body=CHUNKED, files=FILES, crypto="ours"):
    return apache("ours", mpm, body, files, crypto=crypto)


class Browser:
    """A cookie jar that sends back what it was given, as browsers do:
    one Cookie header, `name=value` pairs joined by "; "."""

    def __init__(self, server, others=()):
        self.server = server
        self.jar = dict(others)

    def header(self):
        return [("Cookie", "; ".join(f"{k}={v}" for k, v in self.jar.items()))] if self.jar else []

    def get(self, path, extra=()):
        r = self.server.request(path, self.header() + list(extra))
        self.take(r)
        return r

    def take(self, r):
        for line in r.all("Set-Cookie"):
            name, _, rest = line.partition("=")
            value, _, attrs = rest.partition(";")
            if value and "Max-Age=0" not in attrs:
                self.jar[name] = value
            else:
                self.jar.pop(name, None)

    def session_names(self):
        return sorted(k for k in self.jar if k == "session" or k.startswith("session~"))


def set_cookies(r, name="session"):
    return [v for v in r.all("Set-Cookie") if re.match(rf"{re.escape(name)}(~\d+)?=", v)]


def grow(browser, path, sizes):
    """Adds keys k0, k1, ... of the given sizes, one request each; returns
    the session as {key: value}."""
    want = {}
    for i, n in enumerate(sizes):
        r = browser.get(f"{path}?key=k{i}&bytes={n}")
        assert r.status == 200, r.body[:300]
        want[f"k{i}"] = digits(n)
    return want


def session_of(r):
    text = r.cgi().get("HTTP_SESSION")
    if not text:
        return {}
    pairs = (p.partition("=") for p in text.split("&"))
    return {k: v for k, _, v in pairs if k != "expiry"}


# ------------------------------------------------------------- round trip --
@pytest.mark.parametrize("mpm", MPMS)
def test_ten_kb_session_comes_back_whole(apache, mpm):
    srv = serve(apache, mpm)
    b = Browser(srv, {"other": "1"})
    want = {}
    for i, n in enumerate([3000, 2500, 2500, 2500]):
        r = b.get(f"/big.sh?key=k{i}&bytes={n}")
        want[f"k{i}"] = digits(n)
        lines = set_cookies(r)
        assert lines, r.headers
        assert all(len(v) <= 4000 for v in r.all("Set-Cookie")), [len(v) for v in lines]
    # About 10.5 KB of session in the cookie session=chunks-3 and 3 parts.
    assert b.jar["session"] == "chunks-3"
    assert b.session_names() == ["session", "session~1", "session~2", "session~3"]
    assert sum(len(b.jar[k]) for k in b.session_names()) > 10000
    r = b.get("/big.sh")
    assert r.status == 200
    assert session_of(r) == want
    # A chunked session kept by another request unchanged.
    r = b.get("/big.sh")
    assert session_of(r) == want
    srv.expect_log(r"SCR0112: session cookie 'session' read from 3 parts \(10\d{3} bytes\)")
    srv.expect_log(r"SCR0113: set cookie 'session' \(10\d{3} bytes\) in 3 parts")


def test_line_of_exactly_the_chunk_size_is_one_cookie(apache):
    srv = serve(apache)
    # "session=k0=<n>;path=/" is 4000 bytes for n = 4000 - 18.
    r = Browser(srv).get(f"/big.sh?key=k0&bytes={4000 - 18}")
    assert [len(v) for v in set_cookies(r)] == [4000]
    r = Browser(srv).get(f"/big.sh?key=k0&bytes={4001 - 18}")
    lines = set_cookies(r)
    assert [v.split("=")[0] for v in lines] == ["session", "session~1", "session~2"], lines
    assert lines[0] == "session=chunks-2;path=/"
    assert len(lines[1]) == 4000


def test_shrinking_removes_the_stale_parts(apache):
    srv = serve(apache)
    b = Browser(srv)
    want = grow(b, "/big.sh", [3000, 3000, 3000])
    assert b.session_names() == ["session", "session~1", "session~2", "session~3"]

    # Three parts to two: the response removes session~3.
    r = b.get("/big.sh?drop=k2")
    del want["k2"]
    lines = set_cookies(r)
    assert "session=chunks-2;path=/" in lines
    assert "session~3=;Max-Age=0;path=/" in lines
    assert b.session_names() == ["session", "session~1", "session~2"]
    srv.expect_log(r"SCR0114: removing the parts of cookie 'session' no longer used: session~3")
    assert session_of(b.get("/big.sh")) == want

    # Back to one cookie: the parts are removed, the count overwritten.
    r = b.get("/big.sh?drop=k1")
    del want["k1"]
    assert sorted(set_cookies(r)) == sorted([
        f"session=k0={digits(3000)};path=/",
        "session~1=;Max-Age=0;path=/", "session~2=;Max-Age=0;path=/"])
    assert b.session_names() == ["session"]
    assert session_of(b.get("/big.sh")) == want


def test_back_to_one_cookie_in_one_step(apache):
    srv = serve(apache)
    b = Browser(srv)
    grow(b, "/big.sh", [3000, 3000, 3000])
    r = b.get("/big.sh?drop=k1,k2")
    assert sorted(set_cookies(r)) == sorted([
        f"session=k0={digits(3000)};path=/", "session~1=;Max-Age=0;path=/",
        "session~2=;Max-Age=0;path=/", "session~3=;Max-Age=0;path=/"])
    assert b.session_names() == ["session"]


def test_empty_session_removes_the_cookie_and_every_part(apache):
    srv = serve(apache)
    b = Browser(srv)
    grow(b, "/big.sh", [3000, 3000])
    r = b.get("/big.sh?drop=k0,k1")
    assert sorted(set_cookies(r)) == ["session=;Max-Age=0;path=/",
                                      "session~1=;Max-Age=0;path=/",
                                      "session~2=;Max-Age=0;path=/"]
    assert b.session_names() == []


# ------------------------------------------------------- damaged requests --
def chunked_jar(srv):
    b = Browser(srv)
    want = grow(b, "/big.sh", [3000, 3000, 3000])
    assert b.session_names() == ["session", "session~1", "session~2", "session~3"]
    return b, want


@pytest.mark.parametrize("damage,debug", [
    (lambda j: j.pop("session~2"), r"part 'session~2' of 3 is missing"),
    (lambda j: j.update({"session~4": "x"}), r"part 'session~4' was sent, but the session has 3"),
    (lambda j: j.pop("session"), r"3 part\(s\) were sent without the cookie itself"),
    (lambda j: j.update({"session": "chunks-1"}),
     r"it announces 1 part\(s\), which is never written"),
])
def test_damaged_parts_give_no_session(apache, damage, debug):
    srv = serve(apache)
    b, _ = chunked_jar(srv)
    damage(b.jar)
    r = srv.request("/big.sh", b.header())
    assert r.status == 200
    assert session_of(r) == {}
    srv.expect_log(r"\[session_cookie:debug\].*SCR0111: chunked session cookie 'session' ignored: "
                   + debug)


def test_duplicated_part_gives_no_session(apache):
    srv = serve(apache)
    b, _ = chunked_jar(srv)
    header = b.header()[0][1] + f"; session~1={b.jar['session~1']}"
    r = srv.request("/big.sh", [("Cookie", header)])
    assert session_of(r) == {}
    srv.expect_log(r"SCR0111: .*part 'session~1' was sent more than once")


def test_parts_in_any_order_and_in_several_headers(apache):
    srv = serve(apache)
    b, want = chunked_jar(srv)
    j = b.jar
    headers = [("Cookie", f"a=1; session~3={j['session~3']}"),
               ("Cookie", f"session~1={j['session~1']}; session=chunks-3"),
               ("Cookie", f"session~2={j['session~2']}; b=2")]
    assert session_of(srv.request("/big.sh", headers)) == want


def test_too_many_parts_warns_once(apache):
    srv = serve(apache)
    parts = "; ".join(f"session~{i}=x" for i in range(1, 18))
    r = srv.request("/big.sh?key=a&bytes=10", [("Cookie", "session=chunks-17; " + parts)])
    assert r.status == 200 and session_of(r) == {}
    assert f"session=a={digits(10)};path=/" in set_cookies(r)
    srv.expect_log(r"\[session_cookie:info\].*SCR0110: session cookie 'session' in the request "
                   r"announces 17 parts, over the limit of 16: session not loaded")
    time.sleep(0.2)
    assert srv.new_log().count("SCR0110") == 1, srv.new_log()


def test_request_over_the_field_limit_warns(apache):
    """A Cookie and a Cookie2 line, each within LimitRequestFieldSize
    (16384), whose session parts together are not: refused, as such a
    session is never written. (httpd refuses two Cookie lines that merge
    into a longer one itself, with a 400.)"""
    srv = serve(apache)
    a, b = "x" * 8170, "y" * 8170
    r = srv.request("/big.sh", [("Cookie", f"session=chunks-2; session~1={a}"),
                                ("Cookie2", f"session~2={b}")])
    assert r.status == 200 and session_of(r) == {}
    size = len("Cookie: session=chunks-2; session~1=; session~2=") + 16340
    srv.expect_log(rf"SCR0110: session cookie 'session' in the request: with its parts it makes "
                   rf"a {size}-byte Cookie header line, over LimitRequestFieldSize 16384: session "
                   rf"not loaded; raise LimitRequestFieldSize")


def test_request_over_16_kib_of_parts_warns(apache):
    srv = serve(apache)
    a, b = "x" * 8200, "y" * 8200
    r = srv.request("/big.sh", [("Cookie", f"session=chunks-2; session~1={a}"),
                                ("Cookie2", f"session~2={b}")])
    assert r.status == 200 and session_of(r) == {}
    srv.expect_log(r"\[session_cookie:info\].*SCR0110: session cookie 'session' in the request: "
                   r"its parts hold 16400 bytes, over the limit of 16384: session not loaded")


# -------------------------------------------------- SessionCookieRemove On --
def test_remove_hides_every_part_from_the_back_end(apache):
    srv = serve(apache)
    b, want = chunked_jar(srv)
    b.jar = {"a": "1", **b.jar, "z": "2"}
    r = srv.request("/rm/big.sh", b.header())
    assert r.cgi()["HTTP_COOKIE"] == "a=1; z=2"
    assert session_of(r) == want
    # Only parts: stripped too.
    r = srv.request("/rm/big.sh", [("Cookie", "session~1=x; a=1; session~2=y")])
    assert r.cgi()["HTTP_COOKIE"] == "a=1"


def test_remove_on_still_removes_stale_parts(apache):
    """The request headers no longer hold the parts when the session is
    saved; what was read is remembered."""
    srv = serve(apache)
    b, want = chunked_jar(srv)
    r = b.get("/rm/big.sh?drop=k2")
    assert "session~3=;Max-Age=0;path=/" in set_cookies(r)
    assert r.cgi()["HTTP_COOKIE"] is None or "session" not in r.cgi()["HTTP_COOKIE"]
    assert b.session_names() == ["session", "session~1", "session~2"]
    del want["k2"]
    assert session_of(b.get("/big.sh")) == want


# ---------------------------------------------------------------- sealed --
@pytest.mark.parametrize("mpm", MPMS)
def test_sealed_sessions_chunk_too(apache, mpm):
    srv = serve(apache, mpm)
    b = Browser(srv)
    want = grow(b, "/sealed/big.sh", [3000, 3000, 2500])
    assert b.session_names() == ["session", "session~1", "session~2", "session~3"]
    sealed = "".join(b.jar[f"session~{i}"] for i in (1, 2, 3))
    assert digits(50) not in sealed and re.fullmatch(r"[A-Za-z0-9_-]+", sealed)
    r = b.get("/sealed/big.sh")
    assert session_of(r) == want
    # A part from another session does not open: no session.
    other = Browser(srv)
    grow(other, "/sealed/big.sh", [3000, 3000, 2500])
    b.jar["session~2"] = other.jar["session~2"]
    assert session_of(srv.request("/sealed/big.sh", b.header())) == {}


# ------------------------------------------------------- never lock out --
def test_a_session_the_server_would_refuse_is_not_written(apache):
    """LimitRequestFieldSize 8190: a session whose parts would come back in a
    longer Cookie line is not written; the browser keeps its previous
    session, and the next request is served with it."""
    srv = serve(apache, body=DEFAULT_LIMIT)
    b = Browser(srv)
    want = grow(b, "/big.sh", [3000, 3000])
    before = dict(b.jar)
    r = b.get("/big.sh?key=k2&bytes=3000")
    assert r.status == 200
    assert set_cookies(r) == [], r.headers
    assert b.jar == before
    srv.expect_log(r"\[session_cookie:warn\].*SCR0108: session cookie 'session' not written: the "
                   r"session is 90\d\d bytes and the browser would send it back in a 9\d{3}-byte "
                   r"Cookie header line \(3 parts\), over LimitRequestFieldSize 8190, and httpd "
                   r"would refuse every later request with a 400; the browser keeps its previous "
                   r"session cookie")
    time.sleep(0.2)
    assert srv.new_log().count("SCR0108") == 1
    r = b.get("/big.sh")
    assert r.status == 200 and session_of(r) == want
    # Without the guard the browser would now send what httpd refuses:
    line = "session=chunks-3; " + "; ".join(f"session~{i}={'x' * 3000}" for i in (1, 2, 3))
    assert srv.request("/big.sh", [("Cookie", line)]).status == 400


def test_too_many_parts_are_not_written(apache):
    srv = serve(apache)
    b = Browser(srv)
    # 512-byte lines hold 495 bytes of value: 16 parts hold about 7.9 KB.
    r = b.get("/small/big.sh?key=k0&bytes=7000")
    assert len(set_cookies(r)) == 16
    assert all(len(v) <= 512 for v in r.all("Set-Cookie"))
    r = b.get("/small/big.sh?key=k1&bytes=2000")
    assert set_cookies(r) == []
    srv.expect_log(r"SCR0109: session cookie 'session' not written: the session is 9\d{3} bytes "
                   r"and it needs 19 parts of SessionCookieChunkSize 512 bytes, over the limit of "
                   r"16; .*raise SessionCookieChunkSize \(up to 4096\)")
    assert session_of(b.get("/small/big.sh")) == {"k0": digits(7000)}


def test_a_sealed_session_over_16_kib_is_not_written(apache):
    """With LimitRequestFieldSize raised, a sealed session past 16 KiB would
    be written, then refused by session_crypto_module on the next request
    (the user silently logged out): it is not written, the user keeps the
    previous session."""
    srv = serve(apache, body=CHUNKED.replace("LimitRequestFieldSize 16384",
                                            "LimitRequestFieldSize 32768"))
    b = Browser(srv)
    want = grow(b, "/sealed/big.sh", [3000] * 4)
    assert len(b.session_names()) == 6
    r = b.get("/sealed/big.sh?key=k4&bytes=600")
    assert set_cookies(r) == []
    srv.expect_log(r"SCR0109: session cookie 'session' not written: the session is 16\d{3} bytes "
                   r"and a chunked session holds at most 16384 bytes \(what session_crypto_module "
                   r"opens\); the browser keeps its previous session cookie, if any, so this "
                   r"session change is lost; keep less in the session")
    assert session_of(b.get("/sealed/big.sh")) == want


# ----------------------------------------------------------- chunking off --
def test_chunking_off_warns_about_a_line_browsers_drop(apache):
    srv = serve(apache, body=PLAIN)
    r = Browser(srv).get("/big.sh?key=k0&bytes=5000")
    # Written as stock writes it (a client other than a browser may keep it).
    assert [len(v) for v in set_cookies(r)] == [len("session=k0=;path=/") + 5000]
    srv.expect_log(r"\[session_cookie:warn\].*SCR0107: session cookie 'session': a 5018-byte "
                   r"Set-Cookie line, over the 4096 bytes browsers keep of a cookie: browsers drop "
                   r"it without a word and keep their previous session cookie, if any, so this "
                   r"session change is lost; SessionCookieChunkSize 4000 splits it over several "
                   r"cookies")
    time.sleep(0.2)
    assert srv.new_log().count("SCR0107") == 1


def test_chunking_off_still_never_locks_out(apache):
    srv = serve(apache, body=PLAIN)
    b = Browser(srv)
    b.get("/big.sh?key=k0&bytes=100")
    b.get("/big.sh?key=k1&bytes=4000")  # over 4096 bytes: SCR0107, but written
    srv.expect_log(r"SCR0107: session cookie 'session': a 4\d{3}-byte Set-Cookie line")
    r = b.get("/big.sh?key=k2&bytes=4200")
    assert set_cookies(r) == []
    srv.expect_log(r"SCR0108: session cookie 'session' not written: .*a 8\d{3}-byte Cookie header "
                   r"line, over LimitRequestFieldSize 8190")
    assert session_of(b.get("/big.sh")) == {"k0": digits(100), "k1": digits(4000)}


def test_off_in_a_directory_reads_and_writes_as_stock(apache):
    srv = serve(apache)
    b, _ = chunked_jar(srv)
    r = srv.request("/off/big.sh", b.header())
    # "chunks-3" is no key=value pair: an empty session, as stock reads it.
    assert session_of(r) == {}
    r = srv.request("/off/big.sh?key=a&bytes=10", b.header())
    assert set_cookies(r) == [f"session=a={digits(10)};path=/"]


def test_htaccess_sets_the_chunk_size(apache):
    srv = serve(apache)
    r = Browser(srv).get("/ht/big.sh?key=k0&bytes=2500")
    assert len(set_cookies(r)) == 4
    assert all(len(v) <= 1000 for v in r.all("Set-Cookie"))


def test_session_cookie_name2_is_never_chunked(apache):
    srv = serve(apache)
    r = Browser(srv).get("/name2/big.sh?key=k0&bytes=5000")
    assert [len(v) for v in r.all("Set-Cookie2")] == [len("s2=k0=;path=/") + 5000]
    # SessionCookieName is still written (chunked), as stock writes both.
    assert len(set_cookies(r)) == 3


def test_a_back_end_part_cookie_is_replaced(apache):
    srv = serve(apache)
    r = Browser(srv).get("/big.sh?key=k0&bytes=5000&cookie=session~2=evil")
    lines = set_cookies(r)
    assert len(lines) == 3 and "session~2=evil" not in lines


# ----------------------------------------------------- SessionCookieMaxAge --
def test_maxage_off_leaves_max_age_off(apache):
    srv = serve(apache, body=MAXAGE)
    r = Browser(srv).get("/off/big.sh?key=k0&bytes=10")
    (line,) = set_cookies(r)
    assert "Max-Age" not in line
    b = Browser(srv)
    r = b.get("/off/big.sh?key=k0&bytes=2500")
    assert len(set_cookies(r)) == 4 and not any("Max-Age" in v for v in set_cookies(r))
    r = b.get("/off/big.sh")
    assert re.search(r"(^|&)expiry=\d+", r.cgi()["HTTP_SESSION"]), r.cgi()
    # An expired session is refused although the browser would keep the cookie.
    expired = f"session=k0=1&expiry={int((time.time() - 5) * 1e6)}"
    assert session_of(srv.request("/off/big.sh", [("Cookie", expired)])) == {}


def test_maxage_on_by_default_on_every_part(apache):
    srv = serve(apache, body=MAXAGE)
    r = Browser(srv).get("/big.sh?key=k0&bytes=2500")
    lines = set_cookies(r)
    assert len(lines) == 4 and all(";Max-Age=600;path=/" in v for v in lines), lines


# --------------------------------------------------------------- configtest --
@pytest.mark.parametrize("arg,error", [
    ("511", "511 is below the minimum of 512 bytes"),
    ("0", "0 is below the minimum"),
    ("4k", "'4k' is neither a number of bytes nor Off"),
    ("On", "'On' is neither"),
    ("2147483648", "'2147483648' is too large (at most 2147483647 bytes)"),
])
def test_configtest_refuses_bad_chunk_sizes(apache, arg, error):
    srv = serve(apache, body=PLAIN)
    rc, out = srv.configtest(PLAIN + f"SessionCookieChunkSize {arg}\n")
    assert rc != 0 and "SessionCookieChunkSize: " + error in out, out


def test_configtest_chunk_sizes(apache):
    srv = serve(apache, body=PLAIN)
    for arg in ("512", "4096", "Off", "off"):
        rc, out = srv.configtest(PLAIN + f"SessionCookieChunkSize {arg}\n")
        assert rc == 0 and "SCR0119" not in out, out
    rc, out = srv.configtest(PLAIN + "SessionCookieChunkSize 8000\n")
    assert rc == 0, out
    assert re.search(r"SCR0119: SessionCookieChunkSize \(\S+:\d+\): 8000 bytes is over the 4096 "
                     r"bytes browsers keep of a cookie", out), out
    rc, out = srv.configtest(PLAIN + "SessionCookieMaxAge maybe\n")
    assert rc != 0 and "SessionCookieMaxAge" in out, out


@pytest.mark.parametrize("line,warning", [
    ("SessionCookieName __Host-s Path=/", r"SCR0116: .*'__Host-s': a __Host- cookie needs the "
                                          r"Secure attribute; browsers refuse the cookie"),
    ("SessionCookieName __Host-s Secure;Path=/app", r"SCR0116: .*needs Path=/"),
    ("SessionCookieName __Host-s", r"SCR0116: .*needs Path=/"),
    ("SessionCookieName __Host-s Secure;Path=/;Domain=example.org",
     r"SCR0116: .*must not have a Domain attribute"),
    ("SessionCookieName __Secure-s path=/", r"SCR0116: .*'__Secure-s': a __Secure- cookie needs "
                                            r"the Secure attribute"),
    ("SessionCookieName s path=/;SameSite=None", r"SCR0117: .*'s': SameSite=None needs the "
                                                 r"Secure attribute"),
    ("SessionCookieName s path=/;SameSite=Relaxed", r"SCR0118: .*SameSite=Relaxed is not Strict, "
                                                    r"Lax or None"),
    ("SessionCookieName2 __Host-s Path=/", r"SCR0116: SessionCookieName2 \("),
])
def test_configtest_warns_about_attributes_browsers_refuse(apache, line, warning):
    srv = serve(apache, body=PLAIN)
    rc, out = srv.configtest(f"Session On\n{line}\n")
    assert rc == 0, out  # stock accepts these: warnings, not errors
    assert re.search(r"SCR01\d\d: SessionCookieName2? \(\S+:\d+\): cookie ", out), out
    assert re.search(warning, out), out


def test_configtest_quiet_for_good_attributes(apache):
    srv = serve(apache, body=PLAIN)
    rc, out = srv.configtest("Session On\n"
                             "SessionCookieName __Host-s Path=/;Secure;HttpOnly;SameSite=Lax\n"
                             "SessionCookieName2 t path=/;SameSite=None;Secure\n")
    assert rc == 0 and "SCR01" not in out, out


def test_attribute_warning_logged_at_startup(fresh_apache):
    srv = fresh_apache("ours", "event", PLAIN + "SessionCookieName s SameSite=Nope\n")
    srv.expect_log(r"\[session_cookie:warn\].*SCR0118: SessionCookieName \(.*\): cookie 's': "
                   r"SameSite=Nope")
    assert srv.new_log().count("SCR0118") == 1, srv.new_log()


# ---------------------------------------------------- Secure on plain HTTP --
def test_secure_cookie_on_plain_http_noted_once_per_child(fresh_apache):
    srv = fresh_apache("ours", "prefork", CHUNKED, FILES, crypto="ours")
    for i in range(12):
        r = srv.request(f"/noattr/big.sh?key=k&bytes={i + 1}")
        assert "Secure" in set_cookies(r)[0]
    time.sleep(0.3)
    lines = [l for l in srv.new_log().splitlines() if "SCR0115" in l]
    assert lines, srv.new_log()
    pids = [re.search(r"\[pid (\d+)", l).group(1) for l in lines]
    assert len(pids) == len(set(pids)), lines  # at most one per child
    assert re.search(r"\[session_cookie:notice\].*SCR0115: session cookie 'session' has the "
                     r"Secure attribute, but this request came over plain HTTP", lines[0])
    # Not for a cookie without Secure.
    srv.mark_log()
    srv.request("/big.sh?key=k&bytes=1")
    time.sleep(0.2)
    assert "SCR0115" not in srv.new_log()


# --------------------------------------------- without the new directives --
CHUNK_SHAPED = [
    "session=chunks-2; session~1=a=1; session~2=&b=2",
    "session~1=a=1; session~2=b",
    "session=a=1; session~1=x",
    "session=chunks-17",
]


@pytest.mark.parametrize("cookie", CHUNK_SHAPED)
def test_without_the_directive_chunk_shaped_cookies_read_as_stock(apache, cookie):
    """Where SessionCookieChunkSize is not set, parts are other cookies and
    `chunks-N` is a value, exactly as stock sees them."""
    seen = {}
    for impl in ("stock", "ours"):
        srv = apache(impl, "event", PLAIN + "<Directory \"{docroot}/rm\">\nSessionCookieRemove On\n"
                     "</Directory>\n", {"env.sh": CGI, "rm/env.sh": CGI})
        seen[impl] = []
        for path in ("/env.sh", "/env.sh?set=c=3", "/rm/env.sh"):
            r = srv.request(path, [("Cookie", cookie)])
            cc = r.get("Cache-Control")
            seen[impl].append((r.status, r.all("Set-Cookie"), r.cgi().get("HTTP_SESSION"),
                               r.cgi().get("HTTP_COOKIE") if "rm" not in path else None,
                               cc if "rm" not in path else None))
    assert seen["ours"] == seen["stock"]
