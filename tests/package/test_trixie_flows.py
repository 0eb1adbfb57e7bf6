"""A smoke test of the installed .deb on Debian 13 (trixie): the package
built on Debian 12, installed with apt in a trixie container, both our
modules enabled with a2enmod, serving through Debian 13's Apache a sealed
session (SessionCryptoPassphrase, SessionMaxAge), a chunked one
(SessionCookieChunkSize) and a sealed one in chunks, to a CGI that sets
them (SessionHeader) and shows what comes back (SessionEnv), with curl in
the container. Each cookie is sent back as a browser sends it: the session
comes back opened and whole; a tampered seal and a missing part give no
session."""
import re

from .test_install import assert_ours, enabled_modules
from sealed_values import is_our_seal, tampered  # noqa: E402 (path set by .support)

SECRET = "trixie-flows-secret-7c1d9e0b2a4f68355a0e9d7c3b1f2e4d"
CHUNK = 1000
BLOB = 3000  # bytes of session value: several chunks of CHUNK, sealed or not

# ?set=<session text> replaces the session; ?big=N replaces it with
# user=alice and a blob of N position-dependent digits ("123456789101112..."),
# so that parts joined in the wrong order cannot pass for the whole.
CGI = r"""#!/bin/sh
printf 'Content-Type: text/plain\r\n'
case "$QUERY_STRING" in
    set=*) printf 'X-Replace-Session: %s\r\n' "${QUERY_STRING#set=}" ;;
    big=*) printf 'X-Replace-Session: user=alice&blob=%s\r\n' "$(awk -v n="${QUERY_STRING#big=}" \
               'BEGIN { for (i = 1; length(s) < n; i++) s = s i; printf "%s", substr(s, 1, n) }')" ;;
esac
printf '\r\nsession=[%s]\n' "$HTTP_SESSION"
"""

SITE = f"""<Location "/cgi-bin/sealed">
    Session On
    SessionCookieName session path=/
    SessionCryptoPassphrase {SECRET}
    SessionMaxAge 600
    SessionEnv On
    SessionHeader X-Replace-Session
</Location>
<Location "/cgi-bin/chunked">
    Session On
    SessionCookieName big path=/
    SessionCookieChunkSize {CHUNK}
    SessionEnv On
    SessionHeader X-Replace-Session
</Location>
<Location "/cgi-bin/sealed-chunked">
    Session On
    SessionCookieName bigsealed path=/
    SessionCookieChunkSize {CHUNK}
    SessionCryptoPassphrase {SECRET}
    SessionMaxAge 600
    SessionEnv On
    SessionHeader X-Replace-Session
</Location>
"""


def digits(n):
    return "".join(str(i) for i in range(1, n + 1))[:n]


def get(c, path, cookies=()):
    """A GET with curl in the container: (status, [Set-Cookie values],
    body). `cookies` ([(name, value)]) go in one Cookie header, joined by
    "; " as a browser joins them."""
    extra = "-H 'Cookie: " + "; ".join(f"{n}={v}" for n, v in cookies) + "'" if cookies else ""
    out = c.sh(f"curl -sS -D /tmp/headers -o /tmp/body {extra} 'http://127.0.0.1{path}'"
               " && cat /tmp/headers && echo '--body--' && cat /tmp/body")
    head, body = out.split("--body--\n", 1)
    lines = [line.strip() for line in head.strip().splitlines()]
    set_cookies = [line.split(":", 1)[1].strip() for line in lines[1:] if line.lower().startswith("set-cookie:")]
    return int(lines[0].split()[1]), set_cookies, body


def parse(set_cookie):
    """(name, value, attributes) of a Set-Cookie value."""
    pair, _, attrs = set_cookie.partition(";")
    name, _, value = pair.partition("=")
    return name, value, attrs


def chunked(set_cookies, name, attrs):
    """The cookies of one chunked session: `name=chunks-N` and parts
    name~1..name~N, every line at most CHUNK bytes and with the session
    cookie's attributes. Returns [(name, value)] in that order, as the
    browser keeps them."""
    cookies = {}
    for line in set_cookies:
        assert len(line) <= CHUNK, f"a Set-Cookie line of {len(line)} bytes"
        n, value, line_attrs = parse(line)
        assert line_attrs == attrs, line
        cookies[n] = value
    m = re.fullmatch(r"chunks-(\d+)", cookies.get(name, ""))
    assert m, set_cookies
    count = int(m.group(1))
    assert count >= 3, set_cookies
    assert set(cookies) == {name} | {f"{name}~{i}" for i in range(1, count + 1)}, sorted(cookies)
    return [(name, cookies[name])] + [(f"{name}~{i}", cookies[f"{name}~{i}"]) for i in range(1, count + 1)]


def session_pairs(text):
    return dict(kv.split("=", 1) for kv in text.split("&") if kv)


def test_sealed_and_chunked_on_debian13(trixie_container, deb):
    c = trixie_container
    assert c.sh("cat /etc/debian_version").startswith("13."), "not a Debian 13 container"
    c.apt("install", c.copy_in(deb))
    c.sh("a2enmod -q session_cookie_rs session_crypto_rs cgid")
    assert {"session.load", "session_cookie_rs.load", "session_crypto_rs.load"} <= enabled_modules(c)
    assert not {"session_cookie.load", "session_crypto.load"} & enabled_modules(c)
    c.sh("mkdir -p /usr/lib/cgi-bin")
    for name in ("sealed", "chunked", "sealed-chunked"):
        c.sh(f"cat > /usr/lib/cgi-bin/{name} <<'EOF'\n{CGI}EOF\nchmod 755 /usr/lib/cgi-bin/{name}")
    c.sh(f"cat > /etc/apache2/conf-available/trixie-flows.conf <<'EOF'\n{SITE}EOF\n"
         "a2enconf -q trixie-flows serve-cgi-bin")
    assert "Syntax OK" in c.sh("apache2ctl configtest 2>&1")
    c.sh("apache2ctl start")
    c.wait_http()

    # Sealed: written once, sealed by our module, opened for the back end
    # with the expiry SessionMaxAge gave it; a tampered seal opens to nothing.
    status, set_cookies, body = get(c, "/cgi-bin/sealed?set=user=alice")
    assert status == 200, (set_cookies, body)
    assert len(set_cookies) == 1, set_cookies
    name, sealed, attrs = parse(set_cookies[0])
    assert (name, attrs) == ("session", "Max-Age=600;path=/"), set_cookies
    assert is_our_seal(sealed) and "alice" not in sealed, sealed
    assert_ours(c, sealed)  # and Apache mapped our two module files
    now = int(c.sh("date +%s"))
    status, _, body = get(c, "/cgi-bin/sealed", [("session", sealed)])
    assert status == 200
    m = re.fullmatch(r"session=\[user=alice&expiry=(\d+)\]\n", body)
    assert m, body
    # mod_session's expiry is in microseconds: within SessionMaxAge of now.
    assert (now - 5) * 10**6 <= int(m.group(1)) <= (now + 600 + 5) * 10**6, (now, body)
    status, _, body = get(c, "/cgi-bin/sealed", [("session", tampered(sealed))])
    assert status == 200 and re.fullmatch(r"session=\[(expiry=\d+)?\]\n", body), body

    # Chunked, not sealed: the session text split over parts of at most
    # CHUNK bytes a line, which join back into it; sent back, the back end
    # sees the whole session; one part missing, no session.
    status, set_cookies, body = get(c, f"/cgi-bin/chunked?big={BLOB}")
    assert status == 200, (set_cookies, body)
    cookies = chunked(set_cookies, "big", "path=/")
    joined = "".join(v for _, v in cookies[1:])
    assert session_pairs(joined) == {"user": "alice", "blob": digits(BLOB)}, joined[:200]
    status, _, body = get(c, "/cgi-bin/chunked", cookies)
    assert status == 200
    m = re.fullmatch(r"session=\[(.*)\]\n", body)
    assert m and session_pairs(m.group(1)) == {"user": "alice", "blob": digits(BLOB)}, body[:200]
    status, _, body = get(c, "/cgi-bin/chunked", [kv for kv in cookies if kv[0] != "big~2"])
    assert status == 200 and body == "session=[]\n", body[:200]

    # Sealed, then chunked: the parts are pieces of one seal of ours, and
    # the back end sees the whole session opened.
    status, set_cookies, body = get(c, f"/cgi-bin/sealed-chunked?big={BLOB}")
    assert status == 200, (set_cookies, body)
    cookies = chunked(set_cookies, "bigsealed", "Max-Age=600;path=/")
    joined = "".join(v for _, v in cookies[1:])
    assert is_our_seal(joined) and digits(40) not in joined, joined[:200]
    status, _, body = get(c, "/cgi-bin/sealed-chunked", cookies)
    assert status == 200
    m = re.fullmatch(r"session=\[(.*)\]\n", body)
    assert m, body[:200]
    pairs = session_pairs(m.group(1))
    assert pairs.pop("expiry").isdigit() and pairs == {"user": "alice", "blob": digits(BLOB)}, body[:200]

    # The log is this test's alone: no crash, no error line.
    log = c.sh("cat /var/log/apache2/error.log").splitlines()
    bad = [line for line in log if "exit signal" in line or re.search(r"\[\w*:(error|crit|alert|emerg)\]", line)]
    assert not bad, bad
