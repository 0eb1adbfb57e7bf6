"""The session counters (issue 22): a known mix of requests against real
httpd, under both MPMs with several children sharing the counters, and the
exact count of each, from mod_status' `?auto` form and from the
session-metrics handler (parsed by prometheus_client's own parser); the
counters survive a graceful restart."""
import subprocess
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness import APACHE, CGI, MODDIR, REPO
from http_client import free_port
from sealed_support import LOGLEVEL, SECRET, cookie_of, session_of
from stores import Shmcb, socache_load_line

CLI = REPO / "target/release/session-crypto-rs"

BODY = f"""LoadModule status_module {MODDIR}/mod_status.so
LimitRequestFieldSize 4000
Session On
SessionEnv On
SessionMaxAge 3600
SessionHeader X-Replace-Session
SessionCookieName session path=/
SessionCryptoPassphrase "{SECRET}"
<Location "/chunked">
    SessionCookieChunkSize 1000
</Location>
<Location "/server-status">
    SetHandler server-status
    Session Off
</Location>
<Location "/session-metrics">
    SetHandler session-metrics
    Session Off
</Location>
"""

FILES = {"chunked/env.sh": CGI}

WORDS = ["ok", "absent", "expired", "lifetime", "revoked", "unchecked", "forged", "unknown_key",
         "malformed", "duplicate", "incomplete", "stock_format"]


def prometheus(srv):
    """{(sample name, ((label, value), ...)): value} from session-metrics."""
    resp = srv.request("/session-metrics")
    assert resp.status == 200
    assert resp.get("Content-Type").startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(resp.body.decode()):
        assert family.type == "counter", family.name
        for s in family.samples:
            if s.name.endswith("_created"):
                continue
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def auto(srv):
    """{key: value} of mod_status' ?auto lines of ours."""
    resp = srv.request("/server-status?auto")
    assert resp.status == 200
    pairs = (line.partition(": ") for line in resp.body.decode().splitlines())
    return {k: int(v) for k, _, v in pairs if k.startswith("Session")}


def seal(*args, text="user=carol"):
    secrets = CLI.parent / "metrics-test-secret"
    secrets.write_text(SECRET + "\n")
    return subprocess.run([str(CLI), "seal", "--passphrase-file", str(secrets), *args],
                          input=text + "\n", capture_output=True, text=True,
                          check=True).stdout.strip()


def drive(srv):
    """The mix; returns what each counter must say, and the key id."""
    words = dict.fromkeys(WORDS, 0)
    requests = 0

    def get(path, cookie=None):
        nonlocal requests
        requests += 1
        headers = [("Cookie", f"session={cookie}")] if cookie else []
        resp = srv.request(path, headers)
        assert resp.status == 200, (path, resp.status)
        return resp

    for _ in range(3):
        good = cookie_of(get("/env.sh?set=user=alice"))
        words["absent"] += 1
    for _ in range(4):
        assert session_of(get("/env.sh", good)) == {"user": "alice"}
        words["ok"] += 1
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    for _ in range(2):
        assert session_of(get("/env.sh", forged)) == {}
        words["forged"] += 1
    stale = seal("--max-age", "1")
    stock = seal("--stock", "aes256")
    time.sleep(2.1)
    for _ in range(2):
        assert session_of(get("/env.sh", stale)) == {}
        words["expired"] += 1
    assert session_of(get("/env.sh", stock)) == {"user": "carol"}
    words["stock_format"] += 1
    get("/env.sh", "not a sealed value")
    words["malformed"] += 1
    # Sent twice, differently: our cookie module's word, which the crypto
    # module keeps (it has no value to open).
    assert session_of(get("/env.sh", f"{good}; session={forged}")) == {}
    words["duplicate"] += 1
    # In chunks, then too large for LimitRequestFieldSize to take back.
    chunked = get("/chunked/env.sh?set=big=" + "x" * 2500)
    parts = sum(1 for v in chunked.all("Set-Cookie") if v.startswith("session~"))
    assert parts >= 3, chunked.all("Set-Cookie")
    words["absent"] += 1
    get("/chunked/env.sh?set=big=" + "y" * 5000)
    words["absent"] += 1
    return words, requests, parts


def expected(words, requests, parts, key_id):
    """What the handler must show, as (sample name, labels) -> value."""
    want = {(f"httpd_session_status_total", (("word", w),)): n for w, n in words.items()}
    want.update({
        # Every request under SessionMaxAge saves its session, sealed.
        ("httpd_session_sealed_total", (("format", "ours"),)): requests,
        ("httpd_session_sealed_total", (("format", "stock"),)): 0,
        ("httpd_session_opened_total", (("key_id", key_id),)): words["ok"],
        ("httpd_session_opened_total", (("key_id", "other"),)): 0,
        ("httpd_session_chunked_writes_total", ()): 1,
        ("httpd_session_chunk_parts_total", ()): parts,
        ("httpd_session_not_written_total", (("reason", "field_limit"),)): 1,
        ("httpd_session_not_written_total", (("reason", "parts"),)): 0,
        ("httpd_session_argon2id_runs_total", (("when", "startup"),)): 1,
        ("httpd_session_argon2id_runs_total", (("when", "htaccess"),)): 0,
        ("httpd_session_revocation_lookups_total", ()): 0,
        ("httpd_session_revocation_store_failures_total", ()): 0,
        ("httpd_session_revocations_total", (("kind", "session"),)): 0,
        ("httpd_session_revocations_total", (("kind", "subject"),)): 0,
    })
    return want


def good_cookie_part(srv):
    """A piece of a live sealed value."""
    return cookie_of(srv.request("/env.sh?set=user=alice"))[10:30]


def key_id_of(samples):
    ids = [dict(labels)["key_id"] for name, labels in samples
           if name == "httpd_session_opened_total" and dict(labels)["key_id"] != "other"]
    assert len(ids) == 1, ids
    return ids[0]


@pytest.mark.parametrize("mpm, crypto_first", [("event", False), ("prefork", True)])
def test_each_counter_counts_the_mix_exactly(fresh_apache, mpm, crypto_first):
    """Whichever of our modules httpd loads first (it hooks the counting)."""
    srv = fresh_apache("ours", mpm, BODY, files=FILES, loglevel=LOGLEVEL, crypto="ours",
                       crypto_first=crypto_first)
    srv.allowed.append(r"SCR0108")  # the session too large to come back
    words, requests, parts = drive(srv)
    samples = prometheus(srv)
    key_id = key_id_of(samples)
    assert samples == expected(words, requests, parts, key_id)
    # mod_status shows the same counts, in its ?auto form and in HTML.
    lines = auto(srv)
    assert lines["SessionStatusOk"] == words["ok"]
    assert lines["SessionStatusUnknownKey"] == 0
    assert lines["SessionStatusStockFormat"] == 1
    assert lines[f"SessionOpenedKey{key_id.capitalize()}"] == words["ok"]
    assert lines["SessionChunkParts"] == parts
    assert lines["SessionNotWrittenFieldLimit"] == 1
    html = srv.request("/server-status").body.decode()
    # Each module's section, in the order httpd loaded them.
    first = min(html.index("<h2>Session cookies (mod_session_cookie_rs)</h2>"),
                html.index("<h2>Sealed sessions (mod_session_crypto_rs)</h2>"))
    ours = html[first:]
    assert "httpd_session_chunked_writes_total</td><td>1<" in ours
    # Nothing of a session, cookie or secret in any of it (mod_status'
    # own table of requests above ours shows their URLs).
    text = srv.request("/session-metrics").body.decode()
    for secret in ("alice", "carol", SECRET, "xxxx", good_cookie_part(srv)):
        assert secret not in text and secret not in ours


@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_counters_survive_a_graceful_restart(fresh_apache, mpm):
    srv = fresh_apache("ours", mpm, BODY, files=FILES, loglevel=LOGLEVEL, crypto="ours")
    cookie = cookie_of(srv.request("/env.sh?set=user=alice"))
    srv.request("/env.sh", [("Cookie", f"session={cookie}")])
    before = prometheus(srv)
    assert before[("httpd_session_status_total", (("word", "ok"),))] == 1
    children = set(srv.children())
    srv.mark_log()
    subprocess.run([APACHE, "-k", "graceful", "-f", str(srv.conf)], check=True)
    srv.expect_log("AH00493|AH00171|[Gg]raceful restart", timeout=10)
    deadline = time.monotonic() + 15
    while children & set(srv.children()):
        assert time.monotonic() < deadline, "old children still serving"
        time.sleep(0.2)
    srv.request("/env.sh", [("Cookie", f"session={cookie}")])
    after = prometheus(srv)
    assert after[("httpd_session_status_total", (("word", "ok"),))] == 2
    # The secret was stretched once: the restart took it from the cache.
    assert after[("httpd_session_argon2id_runs_total", (("when", "startup"),))] == 1


@pytest.mark.parametrize("cookie, crypto", [("ours", None), ("stock", "ours"), ("ours", "stock")])
def test_each_mix_shows_the_counters_of_ours_it_loads(fresh_apache, cookie, crypto):
    """With one of our modules beside stock's (or our cookie module alone),
    the handler shows that module's counters; the status words are counted
    by our crypto module where it is loaded, else by our cookie module."""
    body = BODY if crypto else BODY.replace(f'SessionCryptoPassphrase "{SECRET}"\n', "")
    if cookie == "stock":  # SessionCookieChunkSize is ours only
        body = body.replace('<Location "/chunked">\n    SessionCookieChunkSize 1000\n</Location>\n',
                            "")
    loglevel = LOGLEVEL if crypto else LOGLEVEL.replace(" session_crypto:debug", "")
    srv = fresh_apache(cookie, "event", body, files=FILES, loglevel=loglevel, crypto=crypto)
    srv.request("/env.sh?set=user=alice")
    names = {name for name, _ in prometheus(srv)}
    assert ("httpd_session_status_total" in names) == ("ours" in (cookie, crypto))
    assert ("httpd_session_sealed_total" in names) == (crypto == "ours")
    assert ("httpd_session_chunk_parts_total" in names) == (cookie == "ours")
    words = prometheus(srv)
    assert words[("httpd_session_status_total", (("word", "absent"),))] == 1


def test_htaccess_secrets_and_the_revocation_store_are_counted(fresh_apache):
    """Argon2id runs for an .htaccess secret in the child that reads it;
    revocation store lookups, a logout's revocation, and a store that does
    not answer."""
    store = Shmcb()
    body = (f"{store.load_line}\nSessionCryptoRevocationStore {store.spec}\n"
            "SessionCryptoMaxLifetime 86400\n" + BODY)
    files = {**FILES, "tenant/env.sh": CGI,
             "tenant/.htaccess": 'SessionCryptoPassphrase "a tenant\'s own secret, 0123456789"\n'}
    srv = fresh_apache("ours", "event", body, files=files, loglevel=LOGLEVEL, crypto="ours")
    assert srv.request("/tenant/env.sh").status == 200
    cookie = cookie_of(srv.request("/env.sh?set=user=alice"))
    for _ in range(3):
        assert session_of(srv.request("/env.sh", [("Cookie", f"session={cookie}")])) == {
            "user": "alice"}
    # The logout: the session saved empty, its id revoked.
    srv.request("/env.sh?set=user=", [("Cookie", f"session={cookie}")])
    assert session_of(srv.request("/env.sh", [("Cookie", f"session={cookie}")])) == {}
    samples = prometheus(srv)
    runs = samples[("httpd_session_argon2id_runs_total", (("when", "htaccess"),))]
    assert runs == len(srv.children()) or runs == 1, runs
    # One lookup per value opened: three, the logout's, the copy's.
    assert samples[("httpd_session_revocation_lookups_total", ())] == 5
    assert samples[("httpd_session_revocations_total", (("kind", "session"),))] == 1
    assert samples[("httpd_session_status_total", (("word", "revoked"),))] == 1
    assert samples[("httpd_session_revocation_store_failures_total", ())] == 0


def test_a_store_that_does_not_answer_is_counted(fresh_apache):
    """memcached on a port nothing listens on: each lookup fails, the
    session opens unchecked (fail mode open), and both are counted."""
    dead = f"memcache:127.0.0.1:{free_port()}"
    body = (f"{socache_load_line('memcache')}\nSessionCryptoRevocationStore {dead}\n"
            "SessionCryptoMaxLifetime 86400\n" + BODY)
    srv = fresh_apache("ours", "event", body, files=FILES, loglevel=LOGLEVEL, crypto="ours")
    srv.allowed.append(r"SCR0222|socache_memcache")
    cookie = cookie_of(srv.request("/env.sh?set=user=alice"))
    for _ in range(2):
        assert session_of(srv.request("/env.sh", [("Cookie", f"session={cookie}")])) == {
            "user": "alice"}
    samples = prometheus(srv)
    assert samples[("httpd_session_status_total", (("word", "unchecked"),))] == 2
    assert samples[("httpd_session_revocation_lookups_total", ())] == 2
    assert samples[("httpd_session_revocation_store_failures_total", ())] == 2
