"""session_crypto_module in real httpd: sealed sessions side by side with
stock mod_session_crypto, across two nodes sharing secrets, under the bug
classes of stock's published CVEs, and its configuration errors.

Stock and ours seal in different formats, so each server keeps its own
cookie; what must match is what the back end sees (HTTP_SESSION).
"""
import re
import threading
import time

import pytest

from harness import CGI, CRASH_LOG, MIXES, Mix, ours_module
from sealed_support import (HEADER_LEN, NONCE, LOGLEVEL, SALT, VERSION, NEW, NOT_OPENED, OLD, SECRET,
                            STOCK_DECRYPT_ERRORS, b64decode, b64encode, cookie_of, get, login,
                            seal_stock, sealed_body, server, session_of, tampered)


# ------------------------------------------------------------ differential --
@pytest.mark.parametrize("mix", MIXES, ids=str)
@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_login_update_tamper_same_as_stock(apache, mpm, mix):
    """Stock's two modules against every mix of ours and stock's an admin
    can load, in both LoadModule orders: configtest passes and the back end
    sees the same sessions."""
    seen = {}
    for setup in (Mix("stock", "stock"), mix):
        srv = server(apache, setup.cookie, mpm, crypto=setup.crypto,
                     crypto_first=setup.crypto_first)
        rc, out = srv.configtest()
        assert rc == 0 and "Syntax OK" in out, out
        c1 = login(srv, user="alice")
        after_login = session_of(get(srv, cookie=c1))
        c2 = cookie_of(get(srv, "/env.sh?set=role=admin", cookie=c1))
        after_update = session_of(get(srv, cookie=c2))
        after_tamper = session_of(get(srv, cookie=tampered(c2, len(c2) - 20)))
        seen[setup] = (after_login, after_update, after_tamper)
        if setup.crypto == "stock":
            srv.expect_log(STOCK_DECRYPT_ERRORS)
        else:
            srv.expect_log(NOT_OPENED + "authentication failed")
    assert seen[mix] == seen[Mix("stock", "stock")]
    assert seen[mix] == ({"user": "alice"}, {"user": "alice", "role": "admin"}, {})


def test_expiry_same_as_stock(apache):
    cookies = {impl: login(server(apache, impl, maxage=1), user="alice") for impl in ("stock", "ours")}
    time.sleep(2.2)
    for impl, cookie in cookies.items():
        srv = server(apache, impl, maxage=1)
        assert session_of(get(srv, cookie=cookie)) == {}, impl
    server(apache, "ours", maxage=1).expect_log(NOT_OPENED + "expired")


def test_rotation_same_as_stock(apache):
    for impl in ("stock", "ours"):
        old_cookie = login(server(apache, impl, secrets=[OLD]), user="alice")
        rotated = server(apache, impl, secrets=[NEW, OLD])
        assert session_of(get(rotated, cookie=old_cookie)) == {"user": "alice"}, impl
        new_cookie = cookie_of(get(rotated, cookie=old_cookie))
        assert session_of(get(server(apache, impl, secrets=[NEW]), cookie=new_cookie)) == {"user": "alice"}
        retired = server(apache, impl, secrets=[NEW])
        assert session_of(get(retired, cookie=old_cookie)) == {}, impl
        retired.expect_log(STOCK_DECRYPT_ERRORS if impl == "stock" else NOT_OPENED + "sealed with an unknown key")


def test_our_crypto_with_stock_cookie_module(apache):
    srv = server(apache, "stock", crypto="ours")
    cookie = login(srv, user="alice")
    assert b64decode(cookie)[0] == VERSION, "not sealed by our module"
    cookie = cookie_of(get(srv, "/env.sh?set=n=2", cookie=cookie))
    assert session_of(get(srv, cookie=cookie)) == {"user": "alice", "n": "2"}


def test_sealed_for_one_cookie_does_not_open_as_another(apache):
    a = server(apache, "ours", cookie="a")
    value = cookie_of(get(a, "/env.sh?set=user=alice"), "a")
    b = server(apache, "ours", cookie="b")
    assert session_of(get(b, cookie=value, name="b")) == {}
    b.expect_log(NOT_OPENED + "sealed for another session cookie name")


@pytest.mark.parametrize("bad,reason", [
    ("", None),
    ("not base64!", "not canonical"),
    ("Aw", "too short"),
    ("A" * 20000, "longer than 16384"),
    ("AQ" + "A" * 80, "unknown format version 1"),
    ("Aw" + "A" * 90, "unknown key"),
    ("Ag" + "A" * 80, "unknown key"),
    ("&=", "not canonical"),
    ("%00", "not canonical"),
    ("=" * 5, "not canonical"),
], ids=["empty", "not_base64", "truncated", "oversized", "unknown_version", "unknown_key",
        "unknown_key_v2",
        "amp_eq", "percent", "padding"])
def test_bad_values_give_an_empty_session(apache, bad, reason):
    # httpd's own header limit (8190) would answer 400 before any module runs.
    srv = server(apache, "ours", extra="LimitRequestFieldSize 32768")
    resp = get(srv, cookie=bad)
    assert session_of(resp) == {}
    if reason:
        srv.expect_log(NOT_OPENED + ".*" + reason)


def test_character_added_or_dropped_does_not_open(apache):
    srv = server(apache, "ours")
    cookie = login(srv, user="alice")
    for variant in (cookie + "A", cookie[:-1], cookie + "=", " " + cookie):
        assert session_of(get(srv, cookie=variant)) == {}, variant


# -------------------------------------------------------- two cookie names --
NAMES_BODY = f"""Session On
SessionEnv On
SessionMaxAge 3600
SessionHeader X-Replace-Session
SessionCryptoPassphrase "{SECRET}"
<Directory "{{docroot}}/name">
    SessionCookieName session path=/
</Directory>
<Directory "{{docroot}}/both">
    SessionCookieName session path=/
    SessionCookieName2 session2 path=/
</Directory>
<Directory "{{docroot}}/name2">
    SessionCookieName2 session2 path=/
</Directory>
"""
NAMES_FILES = {f"{d}/env.sh": CGI for d in ("name", "both", "name2")}
PLACES = ("name", "both", "name2")


def visit(srv, path, jar):
    """A client that keeps Set-Cookie and Set-Cookie2 cookies alike and
    sends them all back in Cookie."""
    headers = [("Cookie", "; ".join(f"{k}={v}" for k, v in jar.items()))] if jar else []
    resp = srv.request(path, headers)
    assert resp.status == 200, resp.status
    for line in resp.all("Set-Cookie") + resp.all("Set-Cookie2"):
        name, _, rest = line.partition("=")
        jar[name] = rest.split(";")[0]
    return session_of(resp)


@pytest.mark.parametrize("crypto_first", [False, True])
@pytest.mark.parametrize("cookie", ["ours", "stock"])
def test_one_session_under_two_cookie_names_as_stock(apache, cookie, crypto_first):
    """A session written where SessionCookieName and SessionCookieName2 are
    both set travels under both names; wherever either name is read it must
    open, as with stock (which binds nothing to names), whichever cookie
    module carries it."""
    seen = {}
    for impl, crypto in (("stock", "stock"), (cookie, "ours")):
        srv = apache(impl, "event", NAMES_BODY, NAMES_FILES, loglevel=LOGLEVEL, crypto=crypto,
                     crypto_first=crypto_first)
        for written in PLACES:
            for read in PLACES:
                jar = {}
                visit(srv, f"/{written}/env.sh?set=user=alice", jar)
                seen[crypto, written, read] = visit(srv, f"/{read}/env.sh", jar)
    for (crypto, written, read), session in seen.items():
        if crypto == "ours":
            assert session == seen["stock", written, read], (written, read)
    # The case that logged users out: a session written where both names are
    # set, read back site-wide under SessionCookieName.
    assert seen["ours", "both", "name"] == {"user": "alice"}


# ---------------------------------------------------------------- two nodes --
def test_two_nodes_share_sessions(apache):
    a = server(apache, "ours", extra="# node A")
    b = server(apache, "ours", extra="# node B")
    cookie = login(a, user="alice")
    cookie = cookie_of(get(b, "/env.sh?set=cart=3", cookie=cookie))
    assert session_of(get(a, cookie=cookie)) == {"user": "alice", "cart": "3"}


@pytest.mark.parametrize("old", [2, 3])
def test_format_version_2_for_a_rolling_upgrade(apache, old):
    """SessionCryptoFormatVersion 2 (3) seals what an earlier build's nodes
    (the previous release's) open; every version opens everywhere, so
    upgraded and upgrading nodes share sessions both ways."""
    old_style = server(apache, "ours", extra=f"SessionCryptoFormatVersion {old}")
    current = server(apache, "ours", extra="# version 4")
    cookie = login(old_style, user="alice")
    assert b64decode(cookie)[0] == old, f"not sealed in version {old}"
    cookie = cookie_of(get(current, "/env.sh?set=cart=3", cookie=cookie))
    assert b64decode(cookie)[0] == VERSION
    resp = get(old_style, cookie=cookie)
    assert session_of(resp) == {"user": "alice", "cart": "3"}
    assert b64decode(cookie_of(resp))[0] == old


def test_rolling_rotation_across_two_nodes_logs_nobody_out(apache):
    """Each step is applied to both nodes; the client alternates between
    them and keeps whatever cookie it is given."""
    steps = [[OLD], [OLD, NEW], [NEW, OLD], [NEW]]
    cookie = login(server(apache, "ours", secrets=steps[0], extra="# A"), user="alice")
    for i, secrets in enumerate(steps):
        for node in ("A", "B"):
            srv = server(apache, "ours", secrets=secrets, extra=f"# {node}")
            resp = get(srv, cookie=cookie)
            assert session_of(resp) == {"user": "alice"}, f"step {i} node {node}"
            cookie = cookie_of(resp) or cookie


# -------------------------------------------------------- stock's CVE classes --
def test_cve_2016_0736_no_padding_oracle(apache):
    """Every single-bit change after the header fails the same way."""
    srv = server(apache, "ours")
    raw = bytearray(b64decode(login(srv, user="alice")))
    for i in range(HEADER_LEN, len(raw)):
        raw[i] ^= 0x01
        assert session_of(get(srv, cookie=b64encode(raw))) == {}, f"byte {i}"
        raw[i] ^= 0x01
    reasons = re.findall(NOT_OPENED + r"([^;]*);", srv.new_log())
    assert len(reasons) == len(raw) - HEADER_LEN
    assert set(reasons) == {"authentication failed (tampered)"}


def test_cve_2018_17199_expiry_is_enforced_by_the_seal(apache):
    """The authenticated not-after refuses the value itself: mod_session's
    own check of the plaintext's expiry never gets to run."""
    srv = server(apache, "ours", maxage=1, loglevel=LOGLEVEL + " session:trace2")
    cookie = login(srv, user="alice")
    time.sleep(2.2)
    resp = get(srv, cookie=cookie)
    assert session_of(resp) == {}
    srv.expect_log(NOT_OPENED + r"expired \d+ seconds ago")
    assert "session is expired" not in srv.new_log()  # mod_session's trace2 line


def test_cve_2021_26690_ampersand_equals(apache):
    """Stock httpd before 2.4.48 dereferenced NULL in mod_session's decoder
    for a session text with an empty key ("&="): a child crashed. Values
    with such a text, sealed in stock's format (a client cannot make
    mod_session seal one), open in ours and reach mod_session's decoder,
    which must make the same session of them as with stock's modules (no
    key from the empty pairs), with no child lost."""
    srv, stock = server(apache, "ours"), server(apache, "stock")
    before = {s: s.children() for s in (srv, stock)}
    # The bare value is not a sealed one: never decrypted, never decoded.
    assert session_of(get(srv, cookie="&=")) == {}
    srv.expect_log(NOT_OPENED + "value is not canonical")
    mark = len(srv.error_log())
    texts = ((b"&=", {}), (b"=", {}), (b"&=&&==", {}), (b"user=alice&=&&==", {"user": "alice"}))
    for text, keys in texts:
        seen = {"ours": get(srv, cookie=seal_stock(SECRET, text)),
                "stock": get(stock, cookie=seal_stock(SECRET, text))}
        sessions = {impl: session_of(resp) for impl, resp in seen.items()}
        assert sessions == dict.fromkeys(seen, keys), (text, sessions)
        # Beyond the keys: the back end's whole HTTP_SESSION, the fresh
        # expiry aside, is stock's.
        raw = {impl: re.sub(r"expiry=\d+", "expiry=T", resp.cgi()["HTTP_SESSION"] or "")
               for impl, resp in seen.items()}
        assert set(raw.values()) == {raw["stock"]}, (text, raw)
    # ... and every one of them was opened: an empty session above is
    # mod_session's reading of the text, not a refusal.
    opened = srv.error_log()[mark:]
    assert NOT_OPENED not in opened, opened
    assert opened.count("session opened from stock mod_session_crypto's format") == len(texts)
    # An empty key through the back end's SessionHeader is dropped before
    # anything is sealed.
    cookie = cookie_of(get(srv, "/env.sh?set=,="))
    assert session_of(get(srv, cookie=cookie)) == {}
    # No child died: the same children serve, and no crash was logged.
    assert {s: s.children() for s in (srv, stock)} == before
    for s in (srv, stock):
        assert not CRASH_LOG.search(s.error_log()), s.error_log()


def test_cve_2018_1283_request_header_is_not_the_session(apache):
    srv = server(apache, "ours")
    resp = srv.request("/env.sh", [("Session", "user=admin")])
    assert "admin" not in (resp.cgi().get("HTTP_SESSION") or "")
    cookie = login(srv, user="alice")
    resp = srv.request("/env.sh", [("Cookie", f"session={cookie}"), ("Session", "user=admin")])
    assert session_of(resp) == {"user": "alice"}


# -------------------------------------------------------------- fork safety --
PID_CGI = """#!/bin/sh
printf 'Content-Type: text/plain\\r\\nX-Replace-Session: n=%s\\r\\n\\r\\nPPID=[%s]\\n' "$$" "$PPID"
"""


def test_prefork_children_never_repeat_a_nonce(fresh_apache):
    """Each child forked from the parent that read the configuration seals
    under a process key of its own (a salt no other child has) with a
    counter: a key or generator set up before the fork would repeat across
    children."""
    body = sealed_body([SECRET]) + (
        "StartServers 4\nMinSpareServers 4\nMaxSpareServers 8\nMaxRequestWorkers 8\n")
    srv = fresh_apache("ours", "prefork", body, files={"pid.sh": PID_CGI}, loglevel=LOGLEVEL,
                       crypto="ours")
    results, lock = [], threading.Lock()

    def worker():
        for _ in range(25):
            resp = srv.request("/pid.sh")
            with lock:
                results.append((resp.cgi()["PPID"], cookie_of(resp)))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    nonces = [(b64decode(c)[SALT], b64decode(c)[NONCE]) for _, c in results]
    assert len(nonces) == 200 and len(set(nonces)) == 200, "a nonce repeated"
    children_of_salt = {}
    for (pid, _), (salt, _) in zip(results, nonces):
        children_of_salt.setdefault(salt, set()).add(pid)
    assert all(len(pids) == 1 for pids in children_of_salt.values()), "two children share a key"
    assert len({pid for pid, _ in results}) >= 2, "one child served everything"


# ------------------------------------------------------------ configuration --
def configtest(fresh_apache, body):
    srv = fresh_apache("ours", "event", "")
    return srv.configtest(f'LoadModule session_crypto_module "{ours_module("crypto")}"\n{body}')


@pytest.mark.parametrize("directive,message", [
    ("SessionCryptoCipher aes256-gcm",
     "cipher 'aes256-gcm' is not supported; supported: aes128, aes192, aes256, 3des192"),
    ("SessionCryptoStockFormat sometimes", "must be Off, Open or Seal, not sometimes"),
    ("SessionCryptoFormatVersion 5", "SessionCryptoFormatVersion must be 2, 3 or 4, not 5"),
    (f'SessionCryptoPassphrase "{SECRET}" "{SECRET}"', "this secret is given twice"),
    ("SessionCryptoPassphraseFile /nonexistent/secrets", "Could not open file"),
    ("<Directory />\nSessionCryptoDriver openssl\n</Directory>", "not allowed"),
])
def test_configtest_errors(fresh_apache, directive, message):
    rc, out = configtest(fresh_apache, directive)
    assert rc != 0 and message in out, out


@pytest.mark.parametrize("cipher", ["aes128", "aes192", "aes256", "3des192"])
def test_configtest_accepts_stock_ciphers(fresh_apache, cipher):
    rc, out = configtest(fresh_apache, f'SessionCryptoCipher {cipher}\nSessionCryptoPassphrase "{SECRET}"')
    assert rc == 0, out


def test_weak_secret_warns_without_printing_it(fresh_apache):
    rc, out = configtest(fresh_apache, "SessionCryptoPassphrase hunter2")
    assert rc == 0, out
    assert "a secret of 7 characters is weak" in out and "hunter2" not in out, out


def test_weak_secret_in_htaccess_warns_once_per_process(fresh_apache):
    """.htaccess is read again for every request: its weak secret gets one
    warning per child process, not one per request."""
    body = sealed_body([SECRET]).replace(f'SessionCryptoPassphrase "{SECRET}"', "")
    srv = fresh_apache("ours", "prefork", body, loglevel=LOGLEVEL, crypto="ours",
                       files={"ht/env.sh": CGI, "ht/.htaccess": "SessionCryptoPassphrase hunter2\n"})
    for _ in range(20):
        login(srv, user="alice")  # .htaccess applies to /ht/ only
        get(srv, "/ht/env.sh?set=user=alice")
    warnings = re.findall(r"SCR0210: SessionCryptoPassphrase .*\.htaccess.*weak", srv.error_log())
    children = len(set(re.findall(r"\[pid (\d+)[:\]].*SCR0210", srv.error_log())))
    assert 1 <= len(warnings) == children, srv.error_log()


def test_driver_is_accepted_with_one_notice(fresh_apache):
    body = sealed_body([SECRET], extra="SessionCryptoDriver openssl")
    srv = fresh_apache("ours", "event", body, loglevel=LOGLEVEL, crypto="ours")
    # httpd may accept connections before the parent's log line is written.
    srv.expect_log(r"SCR0211: SessionCryptoDriver openssl is ignored")
    notices = re.findall(r"SessionCryptoDriver openssl is ignored", srv.error_log())
    assert len(notices) == 1, srv.error_log()
    assert session_of(get(srv, cookie=login(srv, user="alice"))) == {"user": "alice"}


def test_exec_and_file_secrets_open_what_literal_secrets_sealed(apache, fresh_apache, tmp_path):
    cookie = login(server(apache, "ours", secrets=[NEW]), user="alice")
    program = tmp_path / "secret.sh"
    program.write_text(f"#!/bin/sh\necho '{NEW}'\n")
    program.chmod(0o755)
    by_exec = fresh_apache("ours", "event", sealed_body([f"exec:{program}"]), loglevel=LOGLEVEL,
                           crypto="ours")
    assert session_of(get(by_exec, cookie=cookie)) == {"user": "alice"}

    def from_file(text):
        secrets = tmp_path / "secrets"
        secrets.write_text(text)
        return sealed_body([SECRET]).replace(
            f'SessionCryptoPassphrase "{SECRET}"', f'SessionCryptoPassphraseFile "{secrets}"')

    # One secret per line, spaces included; quoted ones may carry a comment;
    # exec: runs the program, as stock does.
    for text in (f"# first seals, all open\n\"{OLD}\"\n\n\"{NEW}\"  # retiring\n",
                 f"{OLD}\n{NEW}\n", f"{OLD}\nexec:{program}\n"):
        by_file = fresh_apache("ours", "event", from_file(text), loglevel=LOGLEVEL, crypto="ours")
        assert session_of(get(by_file, cookie=cookie)) == {"user": "alice"}
        by_file.cleanup()
    rc, out = by_exec.configtest(from_file(f'"{NEW}" trailing words\n'))
    assert rc != 0 and "text after the quoted secret" in out, out
    # A line too long to read fails, rather than ending the file there and
    # dropping the secrets after it.
    rc, out = by_exec.configtest(from_file(f"{'x' * 9000}\n{NEW}\n"))
    assert rc != 0 and "line 1: cannot be read" in out, out
