"""Internal redirects and subrequests under another policy (issue 20,
finding 4): mod_session hands the session its chain of requests opened to
an ErrorDocument, a mod_rewrite internal redirect or an SSI include. Where
that target's own policy (secrets, SessionCryptoNotBefore, context,
revocation) refuses the cookie asked directly, it is shown no session
either, and the client's cookie is left as it came."""
import time

import pytest

from harness import CGI, MODDIR
from sealed_support import LOGLEVEL, NEW, SECRET, cookie_of, session_of
from stores import Shmcb
from test_revocation import revoke_cgi

# /admin/ is under its own policy; the rest of the site under SECRET.
POLICIES = {
    "secret": f'SessionCryptoPassphrase "{NEW}"',
    "not_before": "SessionCryptoNotBefore {future}",
    "context": "SessionCryptoContext admin",
}

# Pages that reach /admin/env.sh from the rest of the site, three ways.
PAGES = f"""
LoadModule include_module {MODDIR}/mod_include.so
AddType text/html .shtml
AddOutputFilter INCLUDES .shtml
<Directory "{{docroot}}">
    Options +Includes
</Directory>
<Directory "{{docroot}}/pub">
    ErrorDocument 404 /admin/env.sh
    RewriteEngine On
    RewriteRule ^go$ /admin/env.sh [L]
</Directory>
<Directory "{{docroot}}/same">
    ErrorDocument 404 /env.sh
</Directory>
"""

PAGE_FILES = {
    "admin/env.sh": CGI,
    "pub/include.shtml": '<!--#include virtual="/admin/env.sh" -->\n',
    "pub/both.shtml": '<!--#include virtual="/admin/env.sh" -->\n---\n'
                      '<!--#include virtual="/env.sh" -->\n',
    "pub/keep": "",
    "same/keep": "",
}

WAYS = {
    "error_document": "/pub/missing",
    "rewrite": "/pub/go",
    "include": "/pub/include.shtml",
}


def body(policy, store=""):
    rule = POLICIES[policy].replace("{future}", str(int(time.time()) + 3600))
    return f"""Session On
SessionEnv On
SessionMaxAge 3600
SessionHeader X-Replace-Session
SessionCookieName session path=/
SessionCryptoPassphrase "{SECRET}"
{store}
<Location "/admin">
    {rule}
</Location>
{PAGES}"""


def dump_sections(resp):
    """The session each included page saw, in order (pub/both.shtml)."""
    text = resp.body.decode()
    sections = []
    for part in text.split("---"):
        seen = next((line for line in part.splitlines() if line.startswith("HTTP_SESSION")), "")
        value = seen.partition("=[")[2].rstrip("]")
        sections.append({k: v for k, _, v in (p.partition("=") for p in value.split("&") if p)
                         if k != "expiry"})
    return sections


@pytest.mark.parametrize("policy", sorted(POLICIES))
@pytest.mark.parametrize("way", sorted(WAYS))
def test_a_target_under_another_policy_is_shown_no_session(fresh_apache, policy, way):
    srv = fresh_apache("ours", "event", body(policy), files=PAGE_FILES, loglevel=LOGLEVEL,
                       crypto="ours")
    sealed = cookie_of(srv.request("/env.sh?set=user=mallory"))
    cookie = [("Cookie", f"session={sealed}")]
    # Under the site's policy it opens; /admin/ refuses it when asked.
    assert session_of(srv.request("/env.sh", cookie)) == {"user": "mallory"}
    assert session_of(srv.request("/admin/env.sh", cookie)) == {}
    resp = srv.request(WAYS[way], cookie)
    assert resp.status == (404 if way == "error_document" else 200), resp.status
    assert "HTTP_SESSION" in resp.body.decode(), resp.body
    assert session_of(resp) == {}, f"{way} showed /admin/ a session it refuses"
    back = cookie_of(resp)
    if way == "include":
        # The page itself is under the site's policy: it saves the whole
        # session again (SessionMaxAge), not the include's empty stand-in.
        again = srv.request("/env.sh", [("Cookie", f"session={back}")])
        assert session_of(again) == {"user": "mallory"}
    else:
        # The target's response leaves the client's cookie as it came: not
        # removed, not re-sealed under /admin/'s policy.
        assert back in (None, sealed), "the target wrote over the session it was not shown"
    srv.expect_log(r"SCR0204: session of an earlier request of this chain not shown here")


@pytest.mark.parametrize("way", sorted(WAYS))
def test_a_target_under_the_same_policy_is_shown_the_session(fresh_apache, way):
    """The check costs nothing where the target's policy is the chain's:
    the same session is shown, as before."""
    srv = fresh_apache("ours", "event", body("secret"), files=PAGE_FILES, loglevel=LOGLEVEL,
                       crypto="ours")
    sealed = cookie_of(srv.request("/env.sh?set=user=alice"))
    resp = srv.request("/same/missing", [("Cookie", f"session={sealed}")])
    assert resp.status == 404
    assert session_of(resp) == {"user": "alice"}


def test_an_include_hides_the_session_only_while_it_runs(fresh_apache):
    """An SSI page that includes /admin/ (refused) and then a page of its
    own policy: the first is shown nothing, the second the session, and the
    page's own response saves the whole session, not the empty stand-in."""
    srv = fresh_apache("ours", "event", body("secret"), files=PAGE_FILES, loglevel=LOGLEVEL,
                       crypto="ours")
    sealed = cookie_of(srv.request("/env.sh?set=user=alice,role=editor"))
    resp = srv.request("/pub/both.shtml", [("Cookie", f"session={sealed}")])
    assert resp.status == 200
    assert dump_sections(resp) == [{}, {"user": "alice", "role": "editor"}], resp.body
    saved = cookie_of(resp)
    if saved is not None:
        again = srv.request("/env.sh", [("Cookie", f"session={saved}")])
        assert session_of(again) == {"user": "alice", "role": "editor"}


def test_a_target_that_writes_starts_a_new_session(fresh_apache):
    """A refused target that writes to the session it was shown (empty)
    saves a new session of its own: nothing of the hidden one goes in it."""
    extra = PAGES.replace("ErrorDocument 404 /admin/env.sh",
                          'ErrorDocument 404 "/admin/env.sh?set=role=admin"')
    srv = fresh_apache("ours", "event", body("secret").replace(PAGES, extra), files=PAGE_FILES,
                       loglevel=LOGLEVEL, crypto="ours")
    sealed = cookie_of(srv.request("/env.sh?set=user=mallory"))
    resp = srv.request("/pub/missing", [("Cookie", f"session={sealed}")])
    assert resp.status == 404
    assert session_of(resp) == {}
    written = cookie_of(resp)
    assert written and written != sealed
    shown = srv.request("/admin/env.sh", [("Cookie", f"session={written}")])
    assert session_of(shown) == {"role": "admin"}


def test_a_plain_session_is_not_shown_where_secrets_apply(fresh_apache):
    """Where the site keeps plain sessions and only /admin/ seals them, a
    client's plain cookie reaches /admin/ through none of the three ways."""
    plain = f"""Session On
SessionEnv On
SessionCookieName session path=/
<Location "/admin">
    SessionCryptoPassphrase "{SECRET}"
</Location>
{PAGES}"""
    srv = fresh_apache("ours", "event", plain, files=PAGE_FILES, loglevel=LOGLEVEL,
                       crypto="ours")
    cookie = [("Cookie", "session=user=admin")]
    assert session_of(srv.request("/env.sh", cookie)) == {"user": "admin"}
    assert session_of(srv.request("/admin/env.sh", cookie)) == {}
    for way, path in WAYS.items():
        resp = srv.request(path, cookie)
        assert "HTTP_SESSION" in resp.body.decode(), (way, resp.body)
        assert session_of(resp) == {}, f"{way} showed a forged plain session"


@pytest.mark.parametrize("cookie_impl", ["stock", "ours"])
def test_stock_cookie_module_with_our_crypto(fresh_apache, cookie_impl):
    """The check is the crypto module's: it holds with either cookie
    module."""
    srv = fresh_apache(cookie_impl, "event", body("secret"), files=PAGE_FILES,
                       loglevel=LOGLEVEL, crypto="ours")
    sealed = cookie_of(srv.request("/env.sh?set=user=mallory"))
    for way, path in WAYS.items():
        resp = srv.request(path, [("Cookie", f"session={sealed}")])
        assert session_of(resp) == {}, way


def test_a_subject_revoked_where_the_target_names_it_is_not_shown(fresh_apache):
    """/admin/ names sessions by their user (SessionCryptoSubjectKey) and
    mallory was revoked there; the site does not name subjects, so it still
    opens her session. Through the site's ErrorDocument, /admin/ asks the
    revocation store about the subject it names, and shows nothing."""
    store = Shmcb()
    extra = (f"{store.load_line}\nSessionCryptoRevocationStore {store.spec}\n"
             "SessionCryptoMaxLifetime 86400\n")
    config = body("secret", store=extra).replace(
        f'    {POLICIES["secret"]}',
        "    SessionCryptoSubjectKey user\n    SessionCryptoRevokeHeader X-Revoke")
    files = {**PAGE_FILES, "admin/revoke.sh": revoke_cgi("X-Revoke")}
    srv = fresh_apache("ours", "event", config, files=files, loglevel=LOGLEVEL, crypto="ours")
    sealed = cookie_of(srv.request("/env.sh?set=user=mallory"))
    cookie = [("Cookie", f"session={sealed}")]
    assert session_of(srv.request("/admin/env.sh", cookie)) == {"user": "mallory"}
    assert srv.request("/admin/revoke.sh?subject+mallory").status == 200
    assert session_of(srv.request("/admin/env.sh", cookie)) == {}
    assert session_of(srv.request("/env.sh", cookie)) == {"user": "mallory"}
    resp = srv.request("/pub/missing", cookie)
    assert resp.status == 404
    assert session_of(resp) == {}, "a revoked subject reached /admin/ through a redirect"
