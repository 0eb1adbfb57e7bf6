"""Differential tests: every flow runs against stock mod_session_cookie and
ours with the same config; status, Set-Cookie/Set-Cookie2, Cache-Control,
Location and what the CGI back end saw must be equal, except for the
deliberate differences spelled out per step in `diff`.

Each flow runs under every mix an admin can load (harness.MIXES: our cookie
module with ours or stock's crypto module, stock's cookie module with our
crypto module, each in both LoadModule orders), and with our cookie module
alone, against stock's two modules. With no passphrase configured the
crypto module must change nothing, whichever it is.

Some expectations pin stock's own behaviour (the doubled removal cookie, the
doubled Cache-Control of SessionCookieRemove): the `diff` entries name the
stock behaviour they rely on, so that a Debian update of stock that changes
it fails with that name in the message."""
import base64
import hashlib
import re
import time
from dataclasses import dataclass, field

import pytest

from harness import CGI, MIXES, Mix

MAXAGE = 600


def htpasswd_sha(user, password):
    return f"{user}:{{SHA}}{base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()}\n"


# ---------------------------------------------------------------- configs --
GROUPS = {
    # Server-level name "session"; per-directory/location overrides below.
    "main": dict(body="""
Session On
SessionEnv On
SessionHeader X-Replace-Session
SessionCookieName session path=/
SessionExclude /excl/
RewriteEngine On
RewriteRule ^/pt/(.*)$ /env.sh [PT]
<Directory "{docroot}/rm">
    SessionCookieRemove On
</Directory>
<Directory "{docroot}/rm/off">
    SessionCookieRemove Off
</Directory>
<Directory "{docroot}/defattrs">
    SessionCookieName session
</Directory>
<Directory "{docroot}/named">
    SessionCookieName other path=/named;httponly
</Directory>
<Location "/loc">
    SessionCookieName loc Path=/loc; SameSite=Strict
    SessionCookieRemove On
</Location>
<Directory "{docroot}/idx">
    DirectoryIndex index.sh
</Directory>
<Directory "{docroot}/noenv">
    SessionEnv Off
</Directory>
<Directory "{docroot}/errdoc">
    ErrorDocument 404 /errdoc/env.sh?set=err=1
</Directory>
""", files={p: CGI for p in ("rm/env.sh", "rm/off/env.sh", "defattrs/env.sh", "named/env.sh",
                             "loc/env.sh", "idx/index.sh", "noenv/env.sh", "ht/env.sh",
                             "excl/env.sh", "errdoc/env.sh")}
        | {"ht/.htaccess": "SessionCookieName htc path=/ht\nSessionCookieRemove On\n"}),

    # Only SessionCookieName2 at server level, SessionMaxAge everywhere.
    "maxage": dict(body=f"""
Session On
SessionEnv On
SessionMaxAge {MAXAGE}
SessionHeader X-Replace-Session
SessionCookieName2 s2 path=/
<Directory "{{docroot}}/both">
    SessionCookieName s1 path=/;HttpOnly
</Directory>
<Directory "{{docroot}}/upd">
    SessionExpiryUpdateInterval 60
</Directory>
<Directory "{{docroot}}/inc">
    SessionInclude /inc/yes/
</Directory>
""", files={p: CGI for p in ("both/env.sh", "upd/env.sh", "inc/yes/env.sh", "inc/no/env.sh")}),

    # mod_auth_form login / protected page / logout.
    "authform": dict(body="""
<Location "/login">
    SetHandler form-login-handler
    AuthType form
    AuthName realm
    AuthFormProvider file
    AuthUserFile "{root}/htpasswd"
    AuthFormLoginSuccessLocation /private/env.sh
    Session On
    SessionCookieName session path=/
</Location>
<Directory "{docroot}/private">
    AuthType form
    AuthName realm
    AuthFormProvider file
    AuthUserFile "{root}/htpasswd"
    Require valid-user
    Session On
    SessionEnv On
    SessionCookieName session path=/
</Directory>
<Location "/logout">
    SetHandler form-logout-handler
    AuthName realm
    AuthFormLogoutLocation /env.sh
    Session On
    SessionCookieName session path=/
</Location>
""", files={"private/env.sh": CGI, "../htpasswd": htpasswd_sha("alice", "secret")}),
}


# ------------------------------------------------------------------ flows --
@dataclass
class Step:
    path: str
    headers: list = field(default_factory=list)  # (name, value) or raw lines; "{exp:N}" = now+N s in µs
    method: str = "GET"
    body: bytes = b""
    carry: bool = False  # send the cookies this server set earlier in the flow
    diff: dict = field(default_factory=dict)  # field -> Pinned(stock expected, ours expected, why)
    logs: dict = field(default_factory=dict)  # impl -> regex that must be (and may be) logged


@dataclass(frozen=True)
class Pinned:
    """An expected difference in one field: `stock` pins stock's own
    behaviour (a Debian update may change it: the test then fails saying
    so, with `why`), `ours` is what ours does instead."""
    stock: object
    ours: object
    why: str


@dataclass
class Flow:
    id: str
    group: str
    steps: list
    mpms: tuple = ("event", "prefork")


def C(v):
    return ("Cookie", v)


def one(path, *headers, **kw):
    return [Step(path, list(headers), **kw)]


RM = "session=;Max-Age=0;path=/"
# DIFFERENCE (docs/differences.md, difference 2): with SessionCookieRemove On, stock
# 2.4.71 reads the cookie again at save time, after it was stripped: it adds
# Cache-Control twice and writes back a session that lost the cookie's keys.
# Ours reads the cookie once per request.
REREAD = ("with SessionCookieRemove On, stock 2.4.71 reads the cookie again when it saves "
          "the session, after it was stripped (docs/differences.md, difference 2)")
RM_CC = {"Cache-Control": Pinned("no-cache, private, no-cache, private", "no-cache, private",
                                 why=REREAD + ": it adds Cache-Control twice")}
# DIFFERENCE: stock adds its removal cookie to headers_out and
# err_headers_out, so it goes out twice; ours exactly once.
TWICE = ("stock 2.4.71 adds the removal cookie of a cleared session to both headers_out "
         "and err_headers_out, so it goes out twice")
DUP_LOG = {"stock": r"client submitted cookie 'session' more than once",
           "ours": r"\[session_cookie:info\].*SCR0104: .*'session'"}
LOGIN = Step("/login", [("Content-Type", "application/x-www-form-urlencoded")], "POST",
             b"httpd_username=alice&httpd_password=secret")

FLOWS = [
    # --- reading the cookie
    Flow("no_cookie", "main", one("/env.sh")),
    Flow("cookie_present", "main", one("/env.sh", C("session=a=1&b=2"))),
    Flow("semicolon_separated", "main", one("/env.sh", C("x=1; session=a=1; y=2"))),
    Flow("comma_separated", "main", one("/env.sh", C("x=1, session=a=1, y=2"))),
    Flow("multiple_cookie_lines", "main", one("/env.sh", C("x=1"), C("session=a=1"), C("y=2"))),
    Flow("leading_whitespace", "main", one("/env.sh", "Cookie:    session=a=1", C("x=1;    y=2"))),
    Flow("whitespace_before_name", "main", one("/env.sh", C("x=1;    session=a=1"))),
    Flow("no_space_after_colon", "main", one("/env.sh", "Cookie:session=a=1")),
    Flow("names_not_matching", "main",
         one("/env.sh", C("xsession=a=1; session2=b=2; Session=c=3; session =d=4"))),
    Flow("duplicate_same_value", "main", one("/env.sh", C("session=a=1; session=a=1"))),
    Flow("duplicate_different_values", "main",
         one("/env.sh", C("session=a=1; x=2"), C("session=a=2"), logs=DUP_LOG)),
    Flow("empty_value", "main", one("/env.sh", C("session="))),
    Flow("cve_2021_26690_shape", "main", one("/env.sh", C("session=&="))),
    Flow("cookie2_header", "main",
         one("/env.sh", ("Cookie2", "$Version=1; session=a=1; $Path=/; $Domain=127.0.0.1"))),
    Flow("cookie_and_cookie2", "main",
         one("/env.sh", C("x=1"), ("Cookie2", "$Version=1; session=a=1"))),
    Flow("trailing_whitespace", "main", one("/env.sh", C("session=a=b ; x=1"), diff={
        # DIFFERENCE: stock keeps the trailing blank as part of the value
        # ("b " encodes to "b+"); ours trims it.
        "HTTP_SESSION": Pinned("a=b+", "a=b", why="stock 2.4.71 keeps the blank before ';' "
                               "as part of the cookie's value")})),
    # --- SessionCookieRemove
    Flow("remove_cookie_in_middle", "main",
         one("/rm/env.sh", C('x=1; session=a=1; $Path="/"; y=2'), diff={**RM_CC})),
    Flow("remove_cookie_first", "main", one("/rm/env.sh", C("session=a=1; other=1"), diff={**RM_CC,
        # DIFFERENCE: stock leaves what preceded the next cookie (it strips the
        # header twice, so "; other=1" becomes " other=1"); ours gives "other=1".
        "HTTP_COOKIE": Pinned(" other=1", "other=1", why="stock 2.4.71 strips the Cookie header "
                              "twice when it removes the first cookie, leaving ' other=1'")})),
    Flow("remove_first_of_lines", "main",
         one("/rm/env.sh", C("session=a=1"), C("other=1"), diff={**RM_CC,
             # DIFFERENCE: same, with the ", " httpd uses to merge header lines.
             "HTTP_COOKIE": Pinned(" other=1", "other=1", why="stock 2.4.71 strips the merged "
                                   "Cookie header twice when it removes the first cookie, "
                                   "leaving ' other=1'")})),
    Flow("remove_only_cookie", "main", one("/rm/env.sh", C("session=a=1"), diff={**RM_CC})),
    Flow("remove_from_cookie2", "main",
         one("/rm/env.sh", C("x=1"), ("Cookie2", "$Version=1; session=a=1; $Path=/"), diff={**RM_CC})),
    Flow("remove_duplicate_different", "main",
         one("/rm/env.sh", C("x=1; session=a=1; session=a=2"), logs=DUP_LOG, diff={**RM_CC,
             # DIFFERENCE: stock forwards the duplicated cookies to the back
             # end unchanged (a leak); ours strips them anyway.
             "HTTP_COOKIE": Pinned("x=1; session=a=1; session=a=2", "x=1",
                                   why="with SessionCookieRemove On, stock 2.4.71 forwards a "
                                   "session cookie sent twice with different values to the "
                                   "back end")})),
    Flow("remove_off_nested_dir", "main", one("/rm/off/env.sh", C("x=1; session=a=1"))),
    Flow("remove_off_default", "main", one("/env.sh", C("session=a=1; other=1"))),
    # --- writing the cookie
    Flow("update_new_session", "main", one("/env.sh?set=user=alice,role=a%20b")),
    Flow("update_merges_existing", "main", one("/env.sh?set=b=2", C("session=a=1"))),
    Flow("clear_session", "main", one("/env.sh?set=a=", C("session=a=1"), diff={
        # DIFFERENCE: see TWICE.
        "Set-Cookie": Pinned([RM, RM], [RM], why=TWICE)})),
    Flow("default_attributes_write", "main", one("/defattrs/env.sh?set=a=1")),
    Flow("default_attributes_clear", "main", one("/defattrs/env.sh?set=a=", C("session=a=1"), diff={
        # DIFFERENCE: duplicated removal cookie in stock (see TWICE).
        "Set-Cookie": Pinned(["session=;Max-Age=0;"] * 2, ["session=;Max-Age=0;"],
                             why=TWICE + " (no cookie attributes)")})),
    Flow("directory_overrides_name", "main",
         one("/named/env.sh?set=b=3", C("session=a=1; other=b=2"))),
    Flow("location_overrides_all", "main",
         one("/loc/env.sh?set=c=1", C("session=a=1; loc=b=2; z=3"), diff={**RM_CC,
             # DIFFERENCE 2 (RM_CC): stock loses b=2 when it saves the update.
             "Set-Cookie": Pinned(["loc=c=1;Path=/loc; SameSite=Strict"],
                                  ["loc=b=2&c=1;Path=/loc; SameSite=Strict"],
                                  why=REREAD + ": the saved session loses the cookie's keys "
                                  "(<Location>)")})),
    Flow("htaccess_authconfig", "main",
         one("/ht/env.sh?set=z=1", C("a=1; htc=b=2; session=c=3"), diff={**RM_CC,
             # DIFFERENCE 2 (RM_CC): stock loses b=2 when it saves the update.
             "Set-Cookie": Pinned(["htc=z=1;path=/ht"], ["htc=b=2&z=1;path=/ht"],
                                  why=REREAD + ": the saved session loses the cookie's keys "
                                  "(.htaccess)")})),
    Flow("session_exclude", "main", one("/excl/env.sh?set=a=2", C("session=a=1"))),
    Flow("session_env_off", "main", one("/noenv/env.sh", C("session=a=1"), ("Session", "spoof=1"))),
    Flow("session_env_on_drops_spoof", "main", one("/env.sh", ("Session", "spoof=1"))),
    # --- errors, internal redirects, subrequests
    Flow("not_found", "main", one("/missing.html", C("session=a=1"))),
    Flow("cgi_status_500", "main", one("/env.sh?status=500&set=a=1", C("session=x=1"))),
    Flow("cgi_status_404_clear", "main", one("/env.sh?status=404&set=a=", C("session=a=1"), diff={
        # DIFFERENCE: a CGI's own 404 keeps headers_out, so stock's removal
        # cookie goes out twice here too; ours exactly once.
        "Set-Cookie": Pinned([RM, RM], [RM], why=TWICE + " (a CGI's own 404)")})),
    Flow("error_document_cgi", "main", one("/errdoc/missing", C("session=a=1"))),
    Flow("directory_index_cgi", "main", one("/idx/?set=i=1", C("session=a=1"))),
    Flow("rewrite_passthrough", "main", one("/pt/x?set=p=1", C("session=a=1"))),
    # --- SessionMaxAge, SessionCookieName2, include, expiry update
    Flow("maxage_new", "maxage", one("/env.sh")),
    Flow("maxage_cookie_name2", "maxage", one("/env.sh?set=b=2", C("s2=a=1"))),
    Flow("maxage_cookie2_header", "maxage", one("/env.sh", ("Cookie2", '$Version="1"; s2=a=1; $Path="/"'))),
    Flow("both_names_name2_wins", "maxage", one("/both/env.sh", C("s1=a=1; s2=b=2"))),
    Flow("both_names_only_name1_sent", "maxage", one("/both/env.sh", C("s1=a=1"))),
    Flow("maxage_not_found", "maxage", one("/missing.html", C("s2=a=1"))),
    Flow("maxage_not_found_both_names", "maxage", one("/both/missing.html", C("s2=a=1"))),
    Flow("maxage_expired", "maxage", one("/env.sh", C("s2=a=1&expiry=1000000"))),
    Flow("maxage_clear_keeps_expiry", "maxage", one("/env.sh?set=a=", C("s2=a=1"))),
    Flow("expiry_update_small_change", "maxage",
         one("/upd/env.sh", C(f"s2=a=1&expiry={{exp:{MAXAGE - 5}}}"))),
    Flow("expiry_update_large_change", "maxage",
         one("/upd/env.sh", C(f"s2=a=1&expiry={{exp:{MAXAGE - 300}}}"))),
    Flow("session_include_match", "maxage", one("/inc/yes/env.sh", C("s2=a=1"))),
    Flow("session_include_no_match", "maxage", one("/inc/no/env.sh", C("s2=a=1"))),
    # --- mod_auth_form
    Flow("auth_form_login_logout", "authform", [
        LOGIN,
        Step("/private/env.sh", carry=True),
        Step("/logout", carry=True, diff={
            # DIFFERENCE: the 307 keeps headers_out, so stock's removal cookie
            # goes out twice; ours exactly once.
            "Set-Cookie": Pinned([RM, RM], [RM], why=TWICE + " (mod_auth_form's logout, a 307)")}),
        Step("/private/env.sh"),
    ]),
    Flow("auth_form_bad_password", "authform", [
        Step(LOGIN.path, LOGIN.headers, "POST", b"httpd_username=alice&httpd_password=nope",
             logs={impl: "AH01807: user 'alice': authentication failure" for impl in ("stock", "ours")}),
    ], mpms=("event",)),
]


# ---------------------------------------------------------------- running --
def expand(value):
    return re.sub(r"\{exp:(\d+)\}", lambda m: str(int((time.time() + int(m.group(1))) * 1e6)), value)


def normalize(text, port):
    """expiry=<µs> -> expiry=<T> when within (now - 1 min, now + MaxAge + 1 min)."""
    now = time.time() * 1e6

    def sub(m):
        ok = now - 60e6 < int(m.group(1)) < now + (MAXAGE + 60) * 1e6
        return "expiry=<T>" if ok else m.group(0)

    return None if text is None else re.sub(r"expiry=(\d+)", sub, text.replace(f":{port}", ":PORT"))


def observe(resp, port):
    seen = resp.cgi()
    obs = {"status": resp.status}
    for name in ("Set-Cookie", "Set-Cookie2"):
        obs[name] = [normalize(v, port) for v in resp.all(name)]
    for name in ("Cache-Control", "Location"):
        obs[name] = normalize(resp.get(name), port)
    for var in ("HTTP_COOKIE", "HTTP_COOKIE2", "HTTP_SESSION", "REMOTE_USER"):
        obs[var] = normalize(seen.get(var), port)
    return obs


def run_step(server, step, jar):
    headers = [h if isinstance(h, str) else (h[0], expand(h[1])) for h in step.headers]
    if step.carry and jar:
        headers.append(C("; ".join(f"{k}={v}" for k, v in jar.items())))
    resp = server.request(step.path, headers, step.method, step.body)
    for sc in resp.all("Set-Cookie"):
        name, _, rest = sc.partition("=")
        value = rest.split(";")[0]
        if value:
            jar[name] = value
        else:
            jar.pop(name, None)
    return observe(resp, server.port)


STOCK = Mix("stock", "stock")
OURS = [Mix("ours"), *MIXES]


def serve(apache, mix, mpm, group):
    return apache(mix.cookie, mpm, crypto=mix.crypto, crypto_first=mix.crypto_first,
                  **GROUPS[group])


@pytest.mark.parametrize("flow,mpm,mix", [pytest.param(f, m, x, id=f"{f.id}-{m}-{x}")
                                          for f in FLOWS for m in f.mpms for x in OURS])
def test_flow(apache, flow, mpm, mix):
    servers = {"stock": serve(apache, STOCK, mpm, flow.group),
               "ours": serve(apache, mix, mpm, flow.group)}
    if mix.cookie == "stock":  # only the crypto module is ours: stock's cookie behaviour
        flow = Flow(flow.id, flow.group, [stock_only(step) for step in flow.steps], flow.mpms)
    jars = {impl: {} for impl in servers}
    for i, step in enumerate(flow.steps):
        got = {impl: run_step(srv, step, jars[impl]) for impl, srv in servers.items()}
        where = f"step {i} {step.method} {step.path} {step.headers} carry={step.carry}"
        for fld, pin in step.diff.items():
            assert isinstance(pin, Pinned), f"{flow.id}: diff[{fld!r}] must be a Pinned"
            assert got["stock"][fld] == pin.stock, (
                f"{where}: stock's behaviour changed: {pin.why}; if Debian fixed it, update the "
                f"expectation. stock's {fld}: {got['stock'][fld]!r}, pinned: {pin.stock!r}")
            assert got["ours"][fld] == pin.ours, (
                f"{where}: ours ({mix}) {fld}: {got['ours'][fld]!r}, expected {pin.ours!r} "
                f"(the difference: {pin.why})")
            del got["stock"][fld], got["ours"][fld]
        assert got["ours"] == got["stock"], f"{where}: ours (left) != stock (right)"
        for impl, regex in step.logs.items():
            servers[impl].expect_log(regex)


def stock_only(step):
    """`step` expecting stock's behaviour from both servers."""
    diff = {fld: Pinned(pin.stock, pin.stock, pin.why) for fld, pin in step.diff.items()}
    logs = {impl: step.logs["stock"] for impl in step.logs}
    return Step(step.path, step.headers, step.method, step.body, step.carry, diff, logs)


# ------------------------------------------------- non-request differences --
@pytest.mark.parametrize("name", ["se;ss", "se,ss"])
def test_configtest_separator_in_cookie_name(apache, name):
    """DIFFERENCE: stock accepts a cookie name containing ';' or ','; ours
    refuses it at configtest with a message naming the directive."""
    body = f"SessionCookieName {name} path=/\n"
    srv = apache("stock", "event", "")
    rc, out = srv.configtest(body)
    assert rc == 0, out
    srv = apache("ours", "event", "")
    rc, out = srv.configtest(body)
    assert rc != 0 and "SessionCookieName" in out, out


def test_debug_log_names_module_without_value(apache):
    """DIFFERENCE: ours logs debug lines under the session_cookie module (stock
    logs nothing there); no log line of ours contains the cookie value."""
    secret = "topsecret4711"
    for impl in ("stock", "ours"):
        srv = apache(impl, "event", **GROUPS["main"])
        srv.request(f"/env.sh?set=k={secret}x", [C(f"session=k={secret}")])
        srv.request("/env.sh?set=k=", [C(f"session=k={secret}")])
        time.sleep(0.2)
        lines = [l for l in srv.new_log().splitlines() if "[session_cookie:debug]" in l]
        if impl == "stock":
            assert lines == []
        else:
            assert lines, srv.new_log()
            assert secret not in srv.new_log()
