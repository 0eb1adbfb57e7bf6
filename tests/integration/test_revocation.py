"""Revocation in real httpd: sealed format v4's session id, the
revocation store (SessionCryptoRevocationStore: shmcb inside httpd, a real
memcached, a real redis-server), logout (mod_auth_form's
form-logout-handler) revoking the session's id, SessionCryptoRevokeHeader
("session", "subject", "subject NAME") sent by a back end, two nodes
sharing a store, the store going away (SessionCryptoRevocationFailMode)
and coming back, and the configuration errors.

Logins are mod_auth_form's: it keeps the user name in the session under
"<AuthName>-user" (mod_auth_form.c, set_session_auth), here "realm-user",
which SessionCryptoSubjectKey names. What the module did is read from the
responses: SESSION_COOKIE_STATUS and HTTP_SESSION as a CGI saw them,
Set-Cookie, the status of a protected page.
"""
import base64
import hashlib
import re
import subprocess
import time

import pytest

from harness import APACHE, CGI, REPO
from sealed_support import LOGLEVEL, SECRET, b64decode, cookie_of, session_of
from stores import Shmcb, fresh_memcached, fresh_redis, memcached, redis  # noqa: F401

USER_KEY = "realm-user"  # mod_auth_form: "<AuthName>-user"
PASSWORD = "secret"
USERS = [f"user{i}" for i in range(1, 100)]
CLI = REPO / "target/release/session-crypto-rs"
FORMAT_VERSION = 4
# What mod_socache's providers log while their server is down.
PROVIDER_ERRORS = r"\[socache_(memcache|redis):|apr_(memcache|redis)|scache_(mc|rd)"

STATUS_CGI = """#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
printf 'STATUS=[%s]\\nHTTP_SESSION=[%s]\\nREMOTE_USER=[%s]\\n' \\
    "$SESSION_COOKIE_STATUS" "$HTTP_SESSION" "$REMOTE_USER"
"""


def revoke_cgi(header):
    """A back end that answers `header: <its query string, '+' read as a
    space>` and shows what it saw."""
    return f"""#!/bin/sh
printf 'Content-Type: text/plain\\r\\n'
[ -n "$QUERY_STRING" ] && printf '{header}: %s\\r\\n' "$(printf '%s' "$QUERY_STRING" | tr '+' ' ')"
printf '\\r\\nSTATUS=[%s]\\nHTTP_SESSION=[%s]\\n' "$SESSION_COOKIE_STATUS" "$HTTP_SESSION"
"""


def htpasswd(*users):
    return "".join(f"{u}:{{SHA}}{base64.b64encode(hashlib.sha1(PASSWORD.encode()).digest()).decode()}\n"
                   for u in users)


FILES = {
    "status.sh": STATUS_CGI,
    "private/env.sh": CGI,
    # SessionCryptoRevokeHeader X-Revoke (<Directory>).
    "revoke/revoke.sh": revoke_cgi("X-Revoke"),
    # SessionCryptoRevokeHeader X-Admin-Revoke (.htaccess, AuthConfig).
    "admin/revoke.sh": revoke_cgi("X-Admin-Revoke"),
    "admin/.htaccess": "SessionCryptoRevokeHeader X-Admin-Revoke\n",
    # No SessionCryptoRevokeHeader here: the header is the back end's own.
    "plain/revoke.sh": revoke_cgi("X-Revoke"),
    "../htpasswd": htpasswd(*USERS),
}

COMMON = f"""
Session On
SessionEnv On
SessionMaxAge 3600
SessionCookieName session path=/
SessionCryptoPassphrase "{SECRET}"
SessionCryptoSubjectKey {USER_KEY}
<Location "/login">
    SetHandler form-login-handler
    AuthType form
    AuthName realm
    AuthFormProvider file
    AuthUserFile "{{root}}/htpasswd"
    AuthFormLoginSuccessLocation /status.sh
</Location>
<Location "/logout">
    SetHandler form-logout-handler
    AuthName realm
    AuthFormLogoutLocation /status.sh
</Location>
<Directory "{{docroot}}/private">
    AuthType form
    AuthName realm
    AuthFormProvider file
    AuthUserFile "{{root}}/htpasswd"
    Require valid-user
</Directory>
<Directory "{{docroot}}/revoke">
    SessionCryptoRevokeHeader X-Revoke
</Directory>
"""


def body(store=None, mode=None, extra=""):
    """The configuration: the store's provider loaded before
    SessionCryptoRevocationStore, then the sessions and mod_auth_form."""
    lines = []
    if store is not None:
        lines += [store.load_line, f"SessionCryptoRevocationStore {store.spec}"]
    if mode:
        lines.append(f"SessionCryptoRevocationFailMode {mode}")
    return "\n".join(lines) + COMMON + extra


def serve(get, store=None, mpm="event", mode=None, extra="", impl="ours"):
    """A started server from `get` (the `apache` or `fresh_apache` fixture)."""
    return get(impl, mpm, body(store, mode, extra), FILES, loglevel=LOGLEVEL, crypto="ours")


_names = iter(USERS)


def new_user():
    """A user name no other test used, so that a subject revoked in one
    test (the stores outlive tests) cannot explain what another sees."""
    try:
        return next(_names)
    except StopIteration:  # pragma: no cover - add names to USERS
        raise AssertionError("test_revocation.py: more users needed in USERS")


# ------------------------------------------------------------------ client --
def cookie_header(cookie):
    return [("Cookie", f"session={cookie}")] if cookie is not None else []


def login(srv, user, cookie=None):
    """mod_auth_form's login (with `cookie`, the session open there): the
    new session cookie."""
    headers = [("Content-Type", "application/x-www-form-urlencoded"), *cookie_header(cookie)]
    resp = srv.request("/login", headers, "POST",
                       f"httpd_username={user}&httpd_password={PASSWORD}".encode())
    assert resp.status in (302, 303), (srv, "login", resp.status, resp.body[:300])
    value = cookie_of(resp)
    assert value, f"{srv!r}: login of {user} set no session cookie: {resp.headers}"
    return value


def logout(srv, cookie):
    """mod_auth_form's logout: the session is saved with no entries but its
    expiry. Returns the response (AuthFormLogoutLocation: a 307)."""
    resp = srv.request("/logout", cookie_header(cookie))
    assert resp.status == 307, (srv, "logout", resp.status, resp.body[:300])
    return resp


def status(srv, cookie=None, path="/status.sh"):
    """(SESSION_COOKIE_STATUS, the session the back end saw) for a request
    with `cookie`."""
    resp = srv.request(path, cookie_header(cookie))
    assert resp.status == 200, (srv, path, resp.status, resp.body[:300])
    seen = resp.cgi()
    return seen.get("STATUS"), session_of(resp)


def word_and_user(srv, cookie):
    word, session = status(srv, cookie)
    return word, session.get(USER_KEY)


def private(srv, cookie):
    """The protected page: (HTTP status, REMOTE_USER or None)."""
    resp = srv.request("/private/env.sh", cookie_header(cookie))
    assert resp.status < 500, (srv, "private", resp.status, resp.body[:300])
    return resp.status, (resp.cgi().get("REMOTE_USER") if resp.status == 200 else None)


def resealed(srv, cookie):
    """The value a request with `cookie` gets back (re-sealed with a later
    expiry): the session the browser keeps using."""
    resp = srv.request("/private/env.sh", cookie_header(cookie))
    assert resp.status == 200, (srv, resp.status)
    return cookie_of(resp) or cookie


def wait_word(srv, cookie, want, timeout=20):
    """Polls until a request with `cookie` gets status word `want` (httpd's
    apr_memcache / apr_redis retry a server they marked dead every 5
    seconds). Returns the session seen."""
    deadline = time.monotonic() + timeout
    while True:
        word, session = status(srv, cookie)
        if word == want:
            return session
        assert time.monotonic() < deadline, (
            f"{srv!r}: status word still {word!r} (session {session}) after {timeout} s, "
            f"wanted {want!r}")
        time.sleep(0.3)


def allow(srv, regex):
    """Whitelists error-log lines matching `regex` for the current test
    (they may or may not appear), as Apache.expect_log does."""
    srv.allowed.append(regex)


def version_of(cookie):
    return b64decode(cookie)[0]


# ------------------------------------------------------------------ stores --
STORES = ["shmcb", "memcached", "redis"]


@pytest.fixture
def store(request):
    """The store named by the test's `store_name` parameter."""
    name = request.node.callspec.params["store_name"]
    return Shmcb() if name == "shmcb" else request.getfixturevalue(name)


# ------------------------------------------------------ 1. logout revokes --
def logout_revokes(srv, user):
    """Log in, keep a copy of the session cookie, use the session (it is
    re-sealed), log out with the re-sealed value: the copy (same session id,
    kept through re-sealing) no longer opens."""
    copy = login(srv, user)
    assert version_of(copy) == FORMAT_VERSION, "a new session is not sealed in format 4"
    assert word_and_user(srv, copy) == ("ok", user)
    assert private(srv, copy) == (200, user)
    current = resealed(srv, copy)
    assert current != copy, "the session was not re-sealed"
    logout(srv, current)
    word, session = status(srv, copy)
    assert (word, session) == ("revoked", {}), "the copy of a logged-out session still opens"
    assert private(srv, copy) == (401, None)
    # The value in use at logout is revoked too (same id).
    assert status(srv, current) == ("revoked", {})


@pytest.mark.parametrize("mpm", ["event", "prefork"])
@pytest.mark.parametrize("store_name", STORES)
def test_logout_revokes_the_copied_cookie(apache, store, store_name, mpm):
    srv = serve(apache, store, mpm)
    logout_revokes(srv, new_user())


# -------------------------------------------- 2. X-Revoke: subject / session --
def test_revoke_header_subject_logs_a_user_out_everywhere(apache):
    srv = serve(apache, Shmcb())
    user, other = new_user(), new_user()
    first, second = login(srv, user), login(srv, user)
    bystander = login(srv, other)
    for cookie in (first, second):
        assert word_and_user(srv, cookie) == ("ok", user)
    resp = srv.request("/revoke/revoke.sh?subject", cookie_header(first))
    assert resp.status == 200, resp.status
    assert resp.cgi()["STATUS"] == "ok"
    assert resp.get("X-Revoke") is None, f"the revoke header reached the client: {resp.headers}"
    for cookie in (first, second):
        assert status(srv, cookie) == ("revoked", {})
        assert private(srv, cookie) == (401, None)
    # Another user's session is untouched.
    assert word_and_user(srv, bystander) == ("ok", other)
    # A login after the revocation (its origin is later, in milliseconds) opens.
    fresh = login(srv, user)
    assert word_and_user(srv, fresh) == ("ok", user)
    assert private(srv, fresh) == (200, user)


def test_revoke_header_session_revokes_this_session_only(apache):
    srv = serve(apache, Shmcb())
    user = new_user()
    this, other = login(srv, user), login(srv, user)
    resp = srv.request("/revoke/revoke.sh?session", cookie_header(this))
    assert resp.status == 200 and resp.get("X-Revoke") is None, resp.headers
    assert status(srv, this) == ("revoked", {})
    assert word_and_user(srv, other) == ("ok", user)


def test_revoke_header_elsewhere_is_left_alone(apache):
    """Where SessionCryptoRevokeHeader is not set, a header of that name is
    the back end's own: it reaches the client and revokes nothing."""
    srv = serve(apache, Shmcb())
    user = new_user()
    cookie = login(srv, user)
    resp = srv.request("/plain/revoke.sh?subject", cookie_header(cookie))
    assert resp.status == 200 and resp.get("X-Revoke") == "subject", resp.headers
    assert word_and_user(srv, cookie) == ("ok", user)


# ----------------------------------------------- 3. X-Revoke: subject NAME --
@pytest.mark.parametrize("store_name", ["shmcb", "redis"])
def test_revoke_header_subject_name_from_an_admin_back_end(apache, store, store_name):
    """An admin back end without a session names the user; the header is
    configured in .htaccess there."""
    srv = serve(apache, store)
    user, other = new_user(), new_user()
    sessions = [login(srv, user), login(srv, user)]
    bystander = login(srv, other)
    resp = srv.request(f"/admin/revoke.sh?subject+{user}")
    assert resp.status == 200, resp.status
    assert resp.get("X-Admin-Revoke") is None, resp.headers
    assert resp.cgi()["STATUS"] == "absent"
    for cookie in sessions:
        assert status(srv, cookie) == ("revoked", {})
    assert word_and_user(srv, bystander) == ("ok", other)
    assert word_and_user(srv, login(srv, user)) == ("ok", user)


# ------------------------------------------- 4. a new id for another user --
def cli(tmp_path, *args):
    """Runs the admin CLI: the CompletedProcess."""
    assert CLI.exists(), f"{CLI} is missing: scripts/build.sh builds it"
    return subprocess.run([str(CLI), *args], capture_output=True, text=True)


def session_id(tmp_path, cookie):
    """The session id `session-crypto-rs inspect` shows for `cookie`."""
    secrets = tmp_path / "secrets"
    secrets.write_text(f"{SECRET}\n")
    p = cli(tmp_path, "inspect", "--passphrase-file", str(secrets), "--cookie-name", "session",
            cookie)
    assert p.returncode == 0, p.stderr
    m = re.search(r"(?im)^session id\s+([0-9a-f]{32})$", p.stdout)
    assert m, f"inspect shows no session id:\n{p.stdout}"
    return m.group(1)


def test_login_as_another_user_gets_a_new_session_id(apache, tmp_path):
    """Logging in as another user over an open session changes the subject:
    the value gets a new id (inspect shows it), so logging the second user
    out leaves the first one's copy open. Re-sealing keeps the id."""
    srv = serve(apache, Shmcb())
    first, second = new_user(), new_user()
    a = login(srv, first)
    a_resealed = resealed(srv, a)
    b = login(srv, second, cookie=a)
    assert word_and_user(srv, b) == ("ok", second)
    ids = {name: session_id(tmp_path, c) for name, c in
           (("a", a), ("a_resealed", a_resealed), ("b", b))}
    assert ids["a"] == ids["a_resealed"], f"re-sealing changed the session id: {ids}"
    assert ids["a"] != ids["b"], f"a login as another user kept the session id: {ids}"
    # A login of the same user over her own session keeps it (no new subject).
    assert session_id(tmp_path, login(srv, first, cookie=a_resealed)) == ids["a"]
    logout(srv, b)
    assert status(srv, b) == ("revoked", {})
    assert word_and_user(srv, a) == ("ok", first), "logging out the second user revoked the first"
    # Then the first user logs out: her copies are revoked, a new login opens.
    logout(srv, a_resealed)
    assert status(srv, a) == ("revoked", {})
    assert word_and_user(srv, login(srv, second)) == ("ok", second)


@pytest.mark.parametrize("store_name", ["memcached", "redis"])
def test_cli_revoke_writes_what_httpd_reads(apache, store, store_name, tmp_path):
    """`session-crypto-rs revoke` writes the store directly; httpd refuses
    what it revoked."""
    srv = serve(apache, store)
    user, other = new_user(), new_user()
    one, two = login(srv, user), login(srv, user)
    theirs = login(srv, other)
    p = cli(tmp_path, "revoke", "--store", store.spec, "--session-id", session_id(tmp_path, one))
    assert p.returncode == 0, p.stderr
    assert status(srv, one) == ("revoked", {})
    assert word_and_user(srv, two) == ("ok", user)
    p = cli(tmp_path, "revoke", "--store", store.spec, "--subject", other)
    assert p.returncode == 0, p.stderr
    assert status(srv, theirs) == ("revoked", {})
    assert word_and_user(srv, two) == ("ok", user)
    assert word_and_user(srv, login(srv, other)) == ("ok", other)


# --------------------------------------------- 5. stock's cookie module --
def test_stock_cookie_module_with_our_crypto_module(apache):
    srv = serve(apache, Shmcb(path="{root}/run/revocations"), impl="stock")
    logout_revokes(srv, new_user())


# ------------------------------------------------------- 6. two nodes --
@pytest.mark.parametrize("store_name", ["memcached", "redis"])
def test_two_nodes_share_revocations(apache, store, store_name):
    a = serve(apache, store, extra="# node A\n")
    b = serve(apache, store, extra="# node B\n")
    user = new_user()
    copy = login(a, user)
    assert word_and_user(b, copy) == ("ok", user)
    logout(a, resealed(a, copy))
    assert status(b, copy) == ("revoked", {})
    assert private(b, copy) == (401, None)
    # And the other way: "log out everywhere" on B holds on A.
    again = login(a, user)
    assert word_and_user(b, again) == ("ok", user)
    resp = b.request("/revoke/revoke.sh?subject", cookie_header(again))
    assert resp.status == 200 and resp.get("X-Revoke") is None
    assert status(a, again) == ("revoked", {})


# ----------------------------------------------------------- 7. faults --
# httpd's clients (apr_memcache, apr_redis) mark a server dead at its first
# failed request and then, until a retry (every 5 seconds) reaches it,
# answer APR_NOTFOUND without asking anyone: the same answer as "not
# revoked". Hence several requests per outage: the first one meets the
# broken connection, the later ones the dead mark.
OUTAGE_REQUESTS = 4
DEAD_MARK = ("(apr_memcache/apr_redis answer APR_NOTFOUND, as for a missing entry, while "
             "their only server is marked dead: the store must not be read as 'not revoked' "
             "then)")


def during_outage(srv, cookie, want):
    """Every one of OUTAGE_REQUESTS requests with `cookie` gets (status word,
    user) `want`."""
    seen = [word_and_user(srv, cookie) for _ in range(OUTAGE_REQUESTS)]
    assert seen == [want] * OUTAGE_REQUESTS, f"{srv!r} while the store is down: {seen} {DEAD_MARK}"


def wait_until(what, check, timeout=20):
    """Polls `check()` until it returns a true value (httpd's clients retry
    a server they marked dead every 5 seconds); returns it."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.3)


def open_and_closed(fresh_apache, store, mpm="event"):
    """Two servers on `store`, SessionCryptoRevocationFailMode open and
    closed, with the provider's errors whitelisted (the store goes down)."""
    servers = (serve(fresh_apache, store, mpm, mode="open"),
               serve(fresh_apache, store, mpm, mode="closed"))
    for srv in servers:
        allow(srv, PROVIDER_ERRORS)
    return servers


def revoked_by_logout(srv, user, others=()):
    """Logs `user` in and out on `srv`: whether the copy is then refused
    there and on `others`."""
    copy = login(srv, user)
    logout(srv, resealed(srv, copy))
    return all(status(s, copy) == ("revoked", {}) for s in (srv, *others))


@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_memcached_down_fail_open_and_closed(fresh_apache, fresh_memcached, mpm):
    open_, closed = open_and_closed(fresh_apache, fresh_memcached, mpm)
    user = new_user()
    cookie = login(open_, user)
    assert word_and_user(open_, cookie) == ("ok", user)
    assert word_and_user(closed, cookie) == ("ok", user)

    fresh_memcached.stop()
    # open: the session opens, unchecked.
    during_outage(open_, cookie, ("unchecked", user))
    assert private(open_, cookie) == (200, user)
    open_.expect_log(r"SCR0222")
    # closed: an empty session, unchecked; never a 5xx.
    during_outage(closed, cookie, ("unchecked", None))
    assert private(closed, cookie) == (401, None)
    # A login and a logout while the store is down: no 5xx either.
    during = login(open_, user)
    assert word_and_user(open_, during) == ("unchecked", user)
    logout(open_, during)


def test_memcached_restarted_checks_work_again(fresh_apache, fresh_memcached):
    open_, closed = open_and_closed(fresh_apache, fresh_memcached)
    user = new_user()
    cookie = login(open_, user)
    fresh_memcached.stop()
    for srv in (open_, closed):  # each meets the outage
        status(srv, cookie)
    fresh_memcached.start()  # empty: memcached keeps nothing
    wait_until("a logout on the open server revokes on both again",
               lambda: revoked_by_logout(open_, user, [closed]))
    assert wait_word(closed, cookie, "ok").get(USER_KEY) == user
    assert word_and_user(open_, cookie) == ("ok", user)


def test_redis_down_fail_open_and_closed(fresh_apache, fresh_redis):
    open_, closed = open_and_closed(fresh_apache, fresh_redis)
    user, other = new_user(), new_user()
    revoked = login(open_, user)
    logout(open_, resealed(open_, revoked))
    assert status(open_, revoked) == ("revoked", {})
    assert status(closed, revoked) == ("revoked", {})
    valid = login(open_, other)
    assert word_and_user(closed, valid) == ("ok", other)

    fresh_redis.stop()
    # open: unchecked sessions open, even the revoked one (the store that
    # knows is away); closed: nothing opens. Never a 5xx.
    during_outage(open_, valid, ("unchecked", other))
    during_outage(open_, revoked, ("unchecked", user))
    open_.expect_log(r"SCR0222")
    during_outage(closed, valid, ("unchecked", None))
    during_outage(closed, revoked, ("unchecked", None))
    assert private(closed, valid) == (401, None)


def test_redis_restarted_keeps_revocations(fresh_apache, fresh_redis):
    """A revocation written before the outage holds once redis is back
    (append-only file, same --dir)."""
    open_, closed = open_and_closed(fresh_apache, fresh_redis)
    user, other = new_user(), new_user()
    revoked = login(open_, user)
    logout(open_, resealed(open_, revoked))
    assert status(closed, revoked) == ("revoked", {})
    valid = login(open_, other)
    fresh_redis.stop()
    for srv in (open_, closed):  # each meets the outage
        status(srv, valid)
    fresh_redis.start()
    for srv in (open_, closed):
        wait_word(srv, revoked, "revoked")
        assert word_and_user(srv, valid) == ("ok", other)
    assert revoked_by_logout(closed, new_user(), [open_])


# ----------------------------------------------------- 8. without a store --
@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_without_a_store_logout_leaves_copies_open(apache, mpm):
    """The old behaviour: a logged-out session's copy still opens."""
    srv = serve(apache, None, mpm)
    user = new_user()
    copy = login(srv, user)
    assert version_of(copy) == FORMAT_VERSION
    logout(srv, resealed(srv, copy))
    assert word_and_user(srv, copy) == ("ok", user)
    assert private(srv, copy) == (200, user)


# ---------------------------------------------------------- 9. configtest --
SHMCB = Shmcb().load_line


@pytest.mark.parametrize("conf,needles", [
    (f"{SHMCB}\nSessionCryptoRevocationStore nosuch",
     ["SessionCryptoRevocationStore", "unknown mod_socache provider", "nosuch"]),
    ("SessionCryptoRevocationStore shmcb",  # provider not loaded (before the line)
     ["SessionCryptoRevocationStore", "unknown mod_socache provider", "shmcb"]),
    (f"{SHMCB}\n<VirtualHost 127.0.0.1:80>\n    SessionCryptoRevocationStore shmcb\n</VirtualHost>",
     ["SessionCryptoRevocationStore", "VirtualHost"]),
    (f'{SHMCB}\n<Location "/x">\n    SessionCryptoRevocationStore shmcb\n</Location>',
     ["SessionCryptoRevocationStore"]),
    (f'{SHMCB}\n<Directory "/tmp">\n    SessionCryptoRevocationStore shmcb\n</Directory>',
     ["SessionCryptoRevocationStore"]),
    ("SessionCryptoRevocationFailMode maybe", ["SessionCryptoRevocationFailMode", "maybe"]),
    ("<VirtualHost 127.0.0.1:80>\n    SessionCryptoRevocationFailMode closed\n</VirtualHost>",
     ["SessionCryptoRevocationFailMode", "VirtualHost"]),
    ("SessionCryptoFormatVersion 5", ["SessionCryptoFormatVersion", "5"]),
], ids=["unknown_provider", "provider_not_loaded", "store_in_vhost",
        "store_in_location", "store_in_directory", "bad_fail_mode", "fail_mode_in_vhost",
        "format_version_5"])
def test_configtest_errors(apache, conf, needles):
    srv = serve(apache, None)
    rc, out = srv.configtest(conf)
    assert rc != 0, out
    for needle in needles:
        assert needle in out, (needle, out)


@pytest.mark.parametrize("conf", [
    f"{SHMCB}\nSessionCryptoRevocationStore shmcb\nSessionCryptoRevocationFailMode closed",
    f'{SHMCB}\nSessionCryptoRevocationStore "shmcb:{{root}}/run/r(512000)"',
    # httpd runs every LoadModule as it reads the file (EXEC_ON_READ), before
    # any other directive: a provider loaded on a later line is found too.
    f"SessionCryptoRevocationStore shmcb\n{SHMCB}",
    "LoadModule socache_memcache_module /usr/lib/apache2/modules/mod_socache_memcache.so\n"
    "SessionCryptoRevocationStore memcache:127.0.0.1:11211",
    "LoadModule socache_redis_module /usr/lib/apache2/modules/mod_socache_redis.so\n"
    "SessionCryptoRevocationStore redis:127.0.0.1:6379\nSessionCryptoRevocationFailMode open",
    'SessionCryptoFormatVersion 4\n<Location "/x">\n    SessionCryptoSubjectKey realm-user\n'
    "    SessionCryptoRevokeHeader X-Revoke\n</Location>",
    "SessionCryptoFormatVersion 3",
    "SessionCryptoFormatVersion 2",
], ids=["shmcb_closed", "shmcb_file", "provider_loaded_after", "memcache", "redis", "per_location", "version_3",
        "version_2"])
def test_configtest_accepts(apache, conf):
    srv = serve(apache, None)
    rc, out = srv.configtest(conf + f'\nSessionCryptoPassphrase "{SECRET}"')
    assert rc == 0 and "Syntax OK" in out, out


# ---------------------------------------------- 10. shmcb across a graceful --
@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_shmcb_after_a_graceful_restart(fresh_apache, mpm):
    """shmcb lives in httpd's configuration memory, as mod_ssl's session
    cache does: a graceful restart (new children, the configuration read
    again) starts it empty, so a revocation made before it no longer holds
    (docs/operations.md says so: where that matters, the store is memcached or redis),
    and the new store takes revocations at once."""
    srv = serve(fresh_apache, Shmcb(), mpm)
    user = new_user()
    copy = login(srv, user)
    logout(srv, copy)
    assert status(srv, copy) == ("revoked", {})
    before = set(srv.children())
    srv.mark_log()
    subprocess.run([APACHE, "-k", "graceful", "-f", str(srv.conf)], check=True)
    srv.expect_log("AH00493|AH00171|[Gg]raceful restart", timeout=10)
    deadline = time.monotonic() + 15
    while before & set(srv.children()):  # the old children are gone
        assert time.monotonic() < deadline, "old children still serving"
        time.sleep(0.2)
    assert word_and_user(srv, copy) == ("ok", user), "shmcb outlived a graceful restart"
    second = login(srv, user)
    assert word_and_user(srv, second) == ("ok", user)
    logout(srv, second)
    assert status(srv, second) == ("revoked", {})


# ------------------------------------------------ 11. configtest warnings --
WARN_CASES = [
    # SessionMaxAge where sessions are sealed, no absolute lifetime.
    (f'SessionMaxAge 600\nSessionCryptoPassphrase "{SECRET}"', "SCR0214", True),
    (f'SessionMaxAge 600\nSessionCryptoMaxLifetime 3600\nSessionCryptoPassphrase "{SECRET}"',
     "SCR0214", False),
    # The lifetime around the section counts for it.
    (f'SessionCryptoMaxLifetime 3600\n<Location "/a">\n    SessionMaxAge 600\n'
     f'    SessionCryptoPassphrase "{SECRET}"\n</Location>', "SCR0214", False),
    # Not sealed: nothing to re-seal.
    ("SessionMaxAge 600", "SCR0214", False),
    (f'SessionCryptoPassphrase "{SECRET}"\nSessionCryptoSubjectKey realm-user', "SCR0215", True),
    (f'SessionCryptoPassphrase "{SECRET}"\nSessionCryptoMaxLifetime 3600\n'
     "SessionCryptoSubjectKey realm-user", "SCR0215", False),
    (f'{SHMCB}\nSessionCryptoRevocationStore shmcb\nSessionCryptoFormatVersion 3\n'
     f'SessionCryptoPassphrase "{SECRET}"', "SCR0216", True),
    (f'SessionCryptoFormatVersion 3\nSessionCryptoPassphrase "{SECRET}"', "SCR0216", False),
]


@pytest.mark.parametrize("conf,message_id,warned", WARN_CASES,
                         ids=["maxage_no_lifetime", "maxage_lifetime", "lifetime_around",
                              "maxage_unsealed", "subject_no_lifetime", "subject_lifetime",
                              "version_3_with_store", "version_3_no_store"])
def test_configtest_warnings(apache, conf, message_id, warned):
    srv = serve(apache, None)
    rc, out = srv.configtest(conf)
    assert rc == 0 and "Syntax OK" in out, out
    assert (message_id in out) == warned, out


# -------------------------------------------------------- 12. a full shmcb --
def test_a_full_shmcb_drops_old_revocations_with_a_warning(fresh_apache):
    """More revocations than shmcb's smallest size (8192 bytes) holds: what
    users get is no crash and no 5xx, the oldest revocations dropped (their
    subjects' old sessions open again), and SCR0225 saying so."""
    srv = fresh_apache("ours", "event", body(Shmcb("{root}/run/small", 8192)), FILES,
                       loglevel=LOGLEVEL, crypto="ours")
    user = new_user()
    first = login(srv, user)
    assert srv.request(f"/admin/revoke.sh?subject+{user}").status == 200
    assert status(srv, first) == ("revoked", {})
    for i in range(400):
        resp = srv.request(f"/admin/revoke.sh?subject+filler{i}")
        assert resp.status == 200, (i, resp.status)
    srv.expect_log(r"\[session_crypto:warn\].*SCR0225: the revocation store dropped a revocation")
    # The first revocation went with the room: its session opens again.
    assert word_and_user(srv, first) == ("ok", user)


# ------------------------------------------- 13. only what opens revokes --
def test_a_forged_value_at_logout_revokes_nothing(apache):
    """A value whose header names a real session's id but does not
    authenticate (one byte of its ciphertext changed) does not open, so its
    logout revokes nothing: the real session still opens."""
    srv = serve(apache, Shmcb())
    user = new_user()
    real = login(srv, user)
    raw = bytearray(b64decode(real))
    raw[-1] ^= 1  # the tag: the header, session id included, stays as it is
    forged = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    assert status(srv, forged) == ("forged", {})
    logout(srv, forged)
    assert word_and_user(srv, real) == ("ok", user), "a forged value revoked a real session"
