"""Sealed format v2 in real httpd: the absolute lifetime, logging everyone
out (on two nodes reloaded at different times), the status word of every
request, the work factor paid once per secret per process, and the admin
CLI against the server."""
import os
import re
import signal
import subprocess
import time

import pytest

from harness import REPO
from sealed_support import (LOGLEVEL, ORIGIN_MS, SECRET, b64decode, b64encode, cookie_of, get,
                            login, sealed_body, session_of)

OTHER = "another secret of the lifetime tests, 0123456789"
STATUS_CGI = """#!/bin/sh
printf 'Content-Type: text/plain\\r\\n'
[ -n "$QUERY_STRING" ] && printf 'X-Replace-Session: %s\\r\\n' "$QUERY_STRING"
printf '\\r\\nSTATUS=[%s]\\nHTTP_SESSION=[%s]\\n' "$SESSION_COOKIE_STATUS" "$HTTP_SESSION"
"""
FILES = {"status.sh": STATUS_CGI}
CLI = REPO / "target/release/session-crypto-rs"


def serve(fresh_apache, extra="", secrets=(SECRET,), maxage=3600, mpm="event"):
    return fresh_apache("ours", mpm, sealed_body(list(secrets), maxage=maxage, extra=extra),
                        files=FILES, loglevel=LOGLEVEL, crypto="ours")


def status(srv, cookie=None, query="", headers=None):
    hdrs = headers if headers is not None else (
        [("Cookie", f"session={cookie}")] if cookie is not None else [])
    resp = srv.request(f"/status.sh?{query}" if query else "/status.sh", hdrs)
    assert resp.status == 200, resp.status
    return resp.cgi()["STATUS"], session_of(resp), cookie_of(resp)


def origin_of(cookie):
    """When the session began, Unix seconds."""
    return int.from_bytes(b64decode(cookie)[ORIGIN_MS], "big") // 1000


# ------------------------------------------------------ absolute lifetime --
def test_max_lifetime_ends_an_active_session(fresh_apache):
    srv = serve(fresh_apache, "SessionCryptoMaxLifetime 3", maxage=60)
    word, _, cookie = status(srv, query="user=alice")
    assert word == "absent"
    origin = origin_of(cookie)
    # Active every half second: each response re-seals it, keeping its origin.
    while time.time() < origin + 2.5:
        word, session, cookie = status(srv, cookie)
        assert (word, session) == ("ok", {"user": "alice"})
        assert origin_of(cookie) == origin, "re-sealing changed the origin"
        time.sleep(0.5)
    # Its last value is fresh (SessionMaxAge 60), but the session is too old.
    time.sleep(max(0.0, origin + 4 - time.time()))
    word, session, _ = status(srv, cookie)
    assert (word, session) == ("lifetime", {})
    srv.expect_log(r"SCR0201: sealed session not opened: session began \d+ seconds ago, "
                   r"over SessionCryptoMaxLifetime 3")


# ---------------------------------------------------- log everyone out --
def test_not_before_logs_out_older_sessions_on_each_node_as_it_reloads(fresh_apache):
    """Nodes A and B share secrets. NotBefore reaches A first: sessions that
    began before are refused there, even after B re-sealed them (the origin
    survives re-sealing); B refuses them once it reloads too. Sessions begun
    after open on both."""
    a = serve(fresh_apache, "# node A")
    b = serve(fresh_apache, "# node B")
    old = login(a, user="old")
    time.sleep(1.1)
    cutoff = int(time.time())
    time.sleep(1.1)
    a_new = serve(fresh_apache, f"# node A, reloaded\nSessionCryptoNotBefore {cutoff}")
    assert status(a_new, old)[:2] == ("revoked", {})
    # B has not reloaded: it still opens the old session and re-seals it...
    word, session, resealed = status(b, old)
    assert (word, session) == ("ok", {"user": "old"})
    assert origin_of(resealed) == origin_of(old) < cutoff
    # ... which A refuses all the same.
    assert status(a_new, resealed)[:2] == ("revoked", {})
    new = login(a_new, user="new")
    assert status(b, new)[:2] == ("ok", {"user": "new"})
    rfc3339 = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(cutoff))
    b_new = serve(fresh_apache, f"# node B, reloaded\nSessionCryptoNotBefore {rfc3339}")
    assert status(b_new, resealed)[:2] == ("revoked", {})
    assert status(b_new, new)[:2] == ("ok", {"user": "new"})
    a_new.expect_log(r"SCR0201: sealed session not opened: session began at \d+, "
                     rf"before SessionCryptoNotBefore {cutoff}")


@pytest.mark.parametrize("directive,message", [
    ("SessionCryptoMaxLifetime 0", "takes a whole number of seconds above 0, not 0"),
    ("SessionCryptoMaxLifetime soon", "takes a whole number of seconds above 0, not soon"),
    ("SessionCryptoNotBefore yesterday", "'yesterday' is neither Unix seconds nor an RFC 3339"),
])
def test_configtest_errors(fresh_apache, directive, message):
    srv = serve(fresh_apache)
    rc, out = srv.configtest(sealed_body([SECRET], extra=directive))
    assert rc != 0 and message in out, out


# ----------------------------------------------------------- status words --
def test_status_word_for_every_kind_of_cookie(fresh_apache, tmp_path):
    srv = serve(fresh_apache, "SessionCryptoMaxLifetime 3600", maxage=2)
    good = login(srv, user="alice")
    raw = bytearray(b64decode(good))
    raw[-1] ^= 1
    forged = b64encode(raw)
    other_key = login(serve(fresh_apache, secrets=[OTHER]), user="eve")
    stock = stock_value(tmp_path, "user=bob")
    cases = {
        "ok": [("Cookie", f"session={good}")],
        "absent": [],
        "forged": [("Cookie", f"session={forged}")],
        "unknown_key": [("Cookie", f"session={other_key}")],
        "malformed": [("Cookie", "session=not-a-sealed-value!")],
        "duplicate": [("Cookie", f"session={good}"), ("Cookie", "session=other")],
        # Stock's format cannot show its age: refused under the lifetime.
        "lifetime": [("Cookie", f"session={stock}")],
    }
    for word, headers in cases.items():
        assert status(srv, headers=headers)[0] == word, word
    # Where no origin limit applies, it opens.
    assert status(serve(fresh_apache), stock)[0] == "stock_format"
    time.sleep(3.2)
    assert status(srv, good)[0] == "expired"
    for regex in (r"SCR0104", r"SCR0201"):
        srv.expect_log(regex)


def test_status_word_incomplete_for_a_missing_part(fresh_apache):
    srv = serve(fresh_apache, "SessionCookieChunkSize 1000\nLimitRequestFieldSize 16384")
    resp = srv.request("/status.sh?big=" + "x" * 2500)
    jar = dict(c.split(";")[0].split("=", 1) for c in resp.all("Set-Cookie"))
    assert jar["session"].startswith("chunks-") and "session~2" in jar, jar
    assert status(srv, headers=[("Cookie", "; ".join(f"{k}={v}" for k, v in jar.items()))])[0] == "ok"
    del jar["session~2"]
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    assert status(srv, headers=[("Cookie", cookie)])[:2] == ("incomplete", {})


def stock_value(tmp_path, text):
    """`text` sealed in stock's format by the CLI (with SECRET)."""
    return cli(tmp_path, "seal", "--stock", "aes256", text).strip()


def test_status_word_survives_the_second_decode(fresh_apache):
    """mod_session runs the decode hooks again from its output filter; the
    word must still be the first run's, also for what the CGI saw and for a
    LogFormat that reads it at the end of the request."""
    extra = 'CustomLog "{root}/logs/status.log" "%{SESSION_COOKIE_STATUS}e"'
    srv = serve(fresh_apache, extra)
    good = login(srv, user="alice")
    assert status(srv, good)[0] == "ok"
    assert status(srv, "garbage!")[0] == "malformed"
    time.sleep(0.3)
    logged = (srv.root / "logs/status.log").read_text().split()
    assert logged[-2:] == ["ok", "malformed"], logged


# --------------------------------------------------- the work factor, once --
def test_work_factor_paid_once_per_secret_per_process(fresh_apache):
    """Three secrets: configtest pays Argon2id once each (and says how long
    it took); a started server pays it in the first configuration pass
    only, not in the second, nor at a graceful restart."""
    secrets = [SECRET, OTHER, "a third secret of the lifetime tests, 012345"]
    srv = serve(fresh_apache, secrets=secrets, mpm="prefork")
    rc, out = srv.configtest()
    assert rc == 0, out
    took = [int(ms) for ms in re.findall(r"SCR0212: .*stretched with Argon2id in (\d+) ms", out)]
    assert len(took) == 3, out
    print(f"Argon2id per secret at configtest: {took} ms")
    # Started: the first pass logged to the console, the error log (second
    # pass onward) has none; nor has a graceful restart.
    assert "SCR0212" not in srv.error_log()
    os.kill(srv.proc.pid, signal.SIGUSR1)
    deadline = time.monotonic() + 10
    while "resuming normal operations" not in srv.error_log().split("SIGUSR1")[-1]:
        assert time.monotonic() < deadline, srv.error_log()
        time.sleep(0.1)
    assert "SCR0212" not in srv.error_log()
    assert session_of(get(srv, "/status.sh", login(srv, user="alice"))) == {"user": "alice"}


def test_htaccess_secret_pays_once_per_child(fresh_apache):
    body = sealed_body([SECRET]).replace(f'SessionCryptoPassphrase "{SECRET}"', "")
    files = {**FILES, "ht/status.sh": STATUS_CGI,
             "ht/.htaccess": f'SessionCryptoPassphrase "{OTHER}"\n'}
    srv = fresh_apache("ours", "prefork", body, files=files, loglevel=LOGLEVEL, crypto="ours")
    for _ in range(20):
        srv.request("/ht/status.sh?user=alice")
    derived = re.findall(r"\[pid (\d+)[:\]].*SCR0212", srv.error_log())
    assert 1 <= len(derived) == len(set(derived)), srv.error_log()


# ------------------------------------------------------------- the CLI --
def cli(tmp_path, *args, check=True):
    assert CLI.exists(), f"{CLI} is missing: cargo build --release -p session-crypto-rs"
    secrets = tmp_path / "secrets"
    secrets.write_text(f"{SECRET}\n{OTHER}\n")
    p = subprocess.run([str(CLI), args[0], "--passphrase-file", str(secrets), *args[1:]],
                       capture_output=True, text=True)
    if check:
        assert p.returncode == 0, p.stderr
        return p.stdout
    return p


def test_cli_and_server_open_each_others_values(fresh_apache, tmp_path):
    srv = serve(fresh_apache, secrets=[SECRET, OTHER])
    cookie = login(srv, user="alice")
    shown = cli(tmp_path, "inspect", "--cookie-name", "session", cookie)
    assert re.search(r"session\s+\S*user=alice", shown), shown
    assert re.search(r"cookies\s+session\n", shown) and "origin" in shown, shown
    sealed = cli(tmp_path, "seal", "--max-age", "600", "user=bob").strip()
    assert status(srv, sealed)[:2] == ("ok", {"user": "bob"})
    # Precise refusals, exit code 1.
    p = cli(tmp_path, "inspect", "--cookie-name", "other", cookie, check=False)
    assert p.returncode == 1 and "sealed for another session cookie name" in p.stderr, p.stderr
    ids = cli(tmp_path, "key-ids").splitlines()
    assert [line.split()[0] for line in ids] == ["1", "2"] and SECRET not in "".join(ids)
