"""session_crypto_module with stock mod_session_dbd as the session provider,
on a real SQLite database (APR's sqlite3 DBD driver, Debian package
libaprutil1-dbd-sqlite3).

mod_session_dbd keeps the session in a table row and only a random key (a
UUID) in its own cookie, SessionDBDCookieName; the crypto module seals what
goes into the row. No SessionCookieName is configured, so the session cookie
module the harness always loads does nothing. With our crypto module the
harness loads our cookie module, and with stock's it loads stock's.

Stock and ours seal in different formats, so what must match is what the back
end sees (HTTP_SESSION).
"""
import os
import re
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import pytest

from harness import MODDIR
from sealed_support import (LOGLEVEL, NOT_OPENED, SECRET, STOCK_DECRYPT_ERRORS, VERSION, b64decode,
                            cookie_of, get, session_of, tampered)

IMPLS = ("stock", "ours")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# The table and statements of "Sample DBD configuration" in the 2.4 manual
# (docs/manual/mod/mod_session_dbd.xml). The labels are mod_session_dbd's
# defaults for SessionDBD{Select,Insert,Update,Delete}Label. There is no
# directive for cleansession: nothing in 2.4 runs it (dbd_clean is a stub).
# mod_session_dbd binds in this order (modules/session/mod_session_dbd.c):
#   select: key, now        (apr_time_now(), microseconds)
#   insert: value, expiry, newkey
#   update: value, expiry, newkey, oldkey  (the manual's statement uses the
#           first three only, so on a changed session it matches no row, an
#           insert follows under the new key, and the old row stays)
#   delete: key
# expiry is mod_session's: microseconds since the epoch, 0 for none.
SCHEMA = "create table session (key text primary key, value text, expiry integer)"
STATEMENTS = """\
DBDPrepareSQL "delete from session where key = %s" deletesession
DBDPrepareSQL "update session set value = %s, expiry = %lld where key = %s" updatesession
DBDPrepareSQL "insert into session (value, expiry, key) values (%s, %lld, %s)" insertsession
DBDPrepareSQL "select value from session where key = %s and (expiry = 0 or expiry > %lld)" selectsession
DBDPrepareSQL "delete from session where expiry != 0 and expiry < %lld" cleansession
"""


def dbd_body(db, maxage):
    return f"""LoadModule dbd_module {MODDIR}/mod_dbd.so
LoadModule session_dbd_module {MODDIR}/mod_session_dbd.so
DBDriver sqlite3
DBDParams "{db}"
{STATEMENTS}
Session On
SessionEnv On
SessionMaxAge {maxage}
SessionHeader X-Replace-Session
SessionDBDCookieName session path=/
SessionCryptoPassphrase "{SECRET}"
"""


@pytest.fixture(scope="module")
def dbdir():
    """A directory for the databases that httpd's user can write (SQLite
    writes its journal next to the database)."""
    path = Path(tempfile.mkdtemp(prefix="scr-dbd-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def dbd(dbdir, apache):
    """dbd(crypto, mpm, maxage) -> a started server keeping its sessions in
    its own SQLite database, srv.db. `crypto` picks both session modules."""
    def server(crypto, mpm="event", maxage=3600, loglevel=LOGLEVEL):
        db = dbdir / f"{crypto}-{mpm}-{maxage}.db"
        if not db.exists():  # before httpd starts: mod_dbd prepares the statements then
            with sqlite3.connect(db) as conn:
                conn.execute(SCHEMA)
            conn.close()
            if os.geteuid() == 0:  # the harness runs httpd as www-data
                for p in (dbdir, db):
                    shutil.chown(p, "www-data", "www-data")
        srv = apache(crypto, mpm, dbd_body(db, maxage), loglevel=loglevel, crypto=crypto)
        srv.db = db
        return srv
    return server


def rows(srv):
    """{key: (value, expiry)} of every stored session."""
    conn = sqlite3.connect(srv.db)
    try:
        return {k: (v, e) for k, v, e in conn.execute("select key, value, expiry from session")}
    finally:
        conn.close()


def update_row(srv, key, **cols):
    conn = sqlite3.connect(srv.db)
    try:
        with conn:
            sets = ", ".join(f"{c} = ?" for c in cols)
            n = conn.execute(f"update session set {sets} where key = ?", (*cols.values(), key)).rowcount
        assert n == 1, f"no row for {key}"
    finally:
        conn.close()


def login(srv, **keys):
    """Log in through the back end: the dbd cookie's key (a UUID)."""
    sets = ",".join(f"{k}={v}" for k, v in keys.items())
    key = cookie_of(get(srv, f"/env.sh?set={sets}"))
    assert key and UUID.fullmatch(key), f"{srv!r}: no dbd session key cookie: {key!r}"
    return key


def log_of(srv, action):
    """Run `action()`; return it and the error log lines it wrote."""
    before = len(srv.error_log())
    result = action()
    return result, srv.error_log()[before:]


def stored(srv, key):
    value, _ = rows(srv)[key]
    assert "alice" not in value and "user=" not in value, f"stored in the clear: {value}"
    return value


# ------------------------------------------------------------------ sealed --
@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_our_seal_is_what_the_database_keeps(dbd, mpm):
    srv = dbd("ours", mpm)
    resp = get(srv, "/env.sh?set=user=alice")
    key = cookie_of(resp)
    assert UUID.fullmatch(key), key
    # Only mod_session_dbd's key cookie is set (stock writes it twice: to
    # headers_out and err_headers_out); our cookie module has no name here.
    assert {c.split(";")[0] for c in resp.all("Set-Cookie")} == {f"session={key}"}
    value = stored(srv, key)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", value), value  # base64url, no padding
    assert b64decode(value)[0] == VERSION, "not sealed by our module"
    expiry = rows(srv)[key][1]
    assert abs(expiry / 1e6 - (time.time() + 3600)) < 60, expiry  # mod_session's, in µs

    resp = get(srv, cookie=key)
    assert session_of(resp) == {"user": "alice"}
    assert resp.cgi()["HTTP_COOKIE"] is None  # SessionDBDCookieRemove On (the default)
    assert rows(srv)[key][0] != value, "not sealed afresh when saved again"


# ------------------------------------------------------------ differential --
@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_login_update_tamper_same_as_stock(dbd, mpm):
    seen = {}
    for impl in IMPLS:
        srv = dbd(impl, mpm)
        k1 = login(srv, user="alice")
        stored(srv, k1)
        after_login = session_of(get(srv, cookie=k1))
        # A changed session gets a new key (and row).
        k2 = cookie_of(get(srv, "/env.sh?set=role=admin", cookie=k1))
        assert k2 != k1 and UUID.fullmatch(k2), k2
        stored(srv, k2)
        after_update = session_of(get(srv, cookie=k2))

        value = stored(srv, k2)
        update_row(srv, k2, value=tampered(value, len(value) - 20))
        resp, log = log_of(srv, lambda: get(srv, cookie=k2))  # get() asserts status 200
        after_tamper = session_of(resp)
        seen[impl] = (after_login, after_update, after_tamper)
        if impl == "stock":
            # Stock logs a value it cannot decrypt at error level (AH01842
            # from mod_session_crypto, AH01817 from mod_session).
            srv.expect_log(STOCK_DECRYPT_ERRORS)
        else:
            srv.expect_log(NOT_OPENED + "authentication failed")
            assert not re.search(r":(error|crit|alert|emerg)\]", log), log
    assert seen["ours"] == seen["stock"]
    assert seen["ours"] == ({"user": "alice"}, {"user": "alice", "role": "admin"}, {})


def test_expiry_same_as_stock(dbd):
    """SessionMaxAge 1. `by_db`: the row keeps mod_session_dbd's expiry, so
    its select no longer finds it and no decoder sees a value. `by_seal`: the
    row's expiry is cleared (0: never, for the select), so the value is read
    and the crypto layer must refuse it: ours by the seal's authenticated
    not-after, before mod_session's own check of the expiry field in the
    plaintext (its trace2 line "session is expired"), which is what refuses
    it with stock."""
    logins = {}
    for mpm in ("event", "prefork"):
        for impl in IMPLS:
            srv = dbd(impl, mpm, maxage=1, loglevel=LOGLEVEL + " session:trace2")
            by_db, by_seal = login(srv, user="alice"), login(srv, user="bob")
            update_row(srv, by_seal, expiry=0)
            logins[impl, mpm] = (srv, by_db, by_seal)
    time.sleep(2.2)
    for (impl, mpm), (srv, by_db, by_seal) in logins.items():
        resp, log = log_of(srv, lambda: get(srv, cookie=by_db))
        assert session_of(resp) == {}, (impl, mpm)
        assert NOT_OPENED not in log and "session is expired" not in log, log
        resp, log = log_of(srv, lambda: get(srv, cookie=by_seal))
        assert session_of(resp) == {}, (impl, mpm)
        if impl == "ours":
            assert re.search(NOT_OPENED + r"expired \d+ seconds ago", log), log
            assert "session is expired" not in log, log
        else:
            assert "session is expired" in log, log
