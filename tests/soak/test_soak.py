"""A bounded soak (about a minute): real httpd, event MPM, a few children,
both our modules, under parallel load with graceful restarts.

- 50 users keep valid sealed sessions (10 of them start from a value stock
  mod_session_crypto sealed, which ours opens and moves to its format);
  each is driven by one client thread, which keeps whatever cookie it is
  given and knows what its session must hold;
- half the requests are hostile: tampered values, garbage Cookie headers
  (test_module.GARBAGE), oversized values, the session cookie twice with
  different values, forged and tampered values in stock's format, random
  bytes;
- `apache2 -k graceful` every ~10 s while the load runs.

The back end is a mod_lua handler (/app: sets X-Replace-Session from its
query string, prints the HTTP_SESSION it saw) and a static page whose
X-Session header shows HTTP_SESSION: no CGI, because a graceful restart
also restarts mod_cgid's daemon, and a CGI request in flight then gets a
503 ("failed reading PID from cgi daemon"), httpd's doing, not ours.

It asserts: no 5xx and no failed connection; no crash line in the error
log (Segmentation fault, exit signal, panicked) and no other error line but
our duplicate-cookie line; no hostile request ever sees a session; every
valid request, and one more per user after the load, sees its own session
with its latest keys; and the workers' RSS stays flat.

RSS: graceful restarts replace the children, so children are grouped in
generations (by the restart they were first seen after). The baseline is
the largest RSS of the first generation once warmed up (it serves the
warm-up and then 10 s of load), the final figure the largest RSS of the
last generation (which serves the last ~15 s): the final must stay within
20 % + 2 MB of the baseline, and each generation's within the same bound
(a leak per request grows a child over its life; a leak per restart grows
every new generation). The parent's RSS, which a leak per configuration
reading would grow, is held to the same bound across the restarts.

Run: /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/soak
"""
import base64
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))

from harness import (APACHE, BAD_LOG, CRASH_LOG, MODDIR, Apache, child_pids,  # noqa: E402
                     raw_request)
from sealed_support import SECRET, b64encode, cookie_of, sealed_body, session_of  # noqa: E402
from test_module import GARBAGE  # noqa: E402

USERS = 50
STOCK_USERS = 10  # of USERS, starting from a value stock sealed
THREADS = 8
WARMUP = 6.0  # seconds of load before the first restart
LOAD = 48.0  # seconds of load after the warm-up
GRACEFUL_EVERY = 10.0
MAX_REQUESTS_PER_THREAD = 40000  # a bound besides the clock
RSS_SLACK = (1.20, 2048)  # factor, kB
# Our log line for a session cookie sent twice with different values,
# whatever its level.
CONFLICT = r"session cookie 'session' more than once with different values"

BODY = sealed_body([SECRET]) + """
LimitRequestFieldSize 32768
StartServers 2
ServerLimit 8
ThreadsPerChild 10
MaxRequestWorkers 30
MinSpareThreads 10
MaxSpareThreads 30
LoadModule lua_module {moddir}/mod_lua.so
LuaMapHandler "^/app$" "{{docroot}}/app.lua"
<Files "page.txt">
    Header always set X-Session "%{{HTTP_SESSION}}e"
</Files>
""".format(moddir=MODDIR)
APP = """function handle(r)
    r.content_type = "text/plain"
    if r.args and r.args ~= "" then
        r.headers_out["X-Replace-Session"] = r.args
    end
    r:puts("HTTP_SESSION=[" .. (r.subprocess_env["HTTP_SESSION"] or "") .. "]\\n")
    return apache2.OK
end
"""
FILES = {"page.txt": "a page\n", "app.lua": APP}


def keys(text):
    pairs = (p.partition("=") for p in (text or "").split("&") if p)
    return {k: v for k, _, v in pairs if k != "expiry"}


class User:
    def __init__(self, name, cookie, n=0):
        self.name, self.cookie, self.n = name, cookie, n

    def expected(self):
        return {"user": self.name, "n": str(self.n)}


class Tally:
    """What the clients saw, shared by the threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = Counter()
        self.problems = defaultdict(list)  # kind -> examples (first few kept)

    def count(self, what):
        with self.lock:
            self.counts[what] += 1

    def problem(self, kind, detail):
        with self.lock:
            self.counts["problem:" + kind] += 1
            if len(self.problems[kind]) < 5:
                self.problems[kind].append(detail)


def stock_cookies(count):
    """Values a real stock mod_session_crypto sealed for users s0.. with the
    same passphrase, and one more for forgeries."""
    stock = Apache("stock", "event", sealed_body([SECRET]), loglevel="warn", crypto="stock")
    try:
        stock.start()
        values = [cookie_of(stock.request(f"/env.sh?set=user=s{i},n=0")) for i in range(count + 1)]
        assert all(values), values
        return values
    finally:
        stock.cleanup()


def hostile(rng, own, stock_value):
    """(path, headers, kind) of one hostile request."""
    path = rng.choice(["/page.txt", "/page.txt", "/page.txt", "/app"])
    kind = rng.choice(["tampered", "garbage", "oversized", "duplicated", "stock_forged",
                       "stock_tampered", "random"])
    if kind == "tampered":
        value = rng.choice(own).cookie
        at = rng.randrange(len(value))
        value = value[:at] + ("B" if value[at] != "B" else "C") + value[at + 1:]
        return path, [("Cookie", f"session={value}")], kind
    if kind == "garbage":
        name = rng.choice(sorted(GARBAGE))
        return path, GARBAGE[name], kind
    if kind == "oversized":
        size = rng.choice([5000, 17000, 30000])
        value = b64encode(os.urandom(size * 3 // 4))
        return path, [("Cookie", f"session={value}")], kind
    if kind == "duplicated":
        a, b = rng.sample(own, 2)
        return path, [("Cookie", f"session={a.cookie}; x=1"), ("Cookie", f"session={b.cookie}")], kind
    if kind == "stock_forged":
        raw = os.urandom(8 + 16 + 16 * rng.randrange(1, 6))
        return path, [("Cookie", f"session={base64.b64encode(raw).decode()}")], kind
    if kind == "stock_tampered":
        raw = bytearray(base64.b64decode(stock_value))
        raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
        return path, [("Cookie", f"session={base64.b64encode(bytes(raw)).decode()}")], kind
    value = "".join(chr(rng.randrange(0x21, 0x7f)) for _ in range(rng.randrange(1, 200)))
    return path, [("Cookie", f"session={value.replace(';', '')}")], kind


def client(port, own, stock_value, seed, deadline, tally):
    rng = random.Random(seed)
    turn = 0
    for _ in range(MAX_REQUESTS_PER_THREAD):
        if time.monotonic() >= deadline:
            break
        try:
            if rng.random() < 0.5:
                user = own[turn % len(own)]
                turn += 1
                valid_request(port, user, rng.random() < 0.2, tally)
            else:
                path, headers, kind = hostile(rng, own, stock_value)
                resp = raw_request(port, path, headers)
                tally.count("hostile")
                if resp.status >= 500:
                    tally.problem("5xx", f"hostile {kind} on {path}: {resp.status}")
                seen = resp.get("X-Session") if path == "/page.txt" else (
                    resp.cgi().get("HTTP_SESSION"))
                if resp.status == 200 and keys(seen):
                    tally.problem("hostile request saw a session", f"{kind}: {seen}")
        except Exception as e:  # a refused or reset connection, a bad answer
            tally.problem("client error", repr(e))


def valid_request(port, user, update, tally):
    """One request of `user`: a read of the static page, or an update of
    its counter through the CGI back end; checks what it saw."""
    headers = [("Cookie", f"session={user.cookie}")]
    if update:
        resp = raw_request(port, f"/app?n={user.n + 1}", headers)
        seen = keys(resp.cgi().get("HTTP_SESSION"))
    else:
        resp = raw_request(port, "/page.txt", headers)
        seen = keys(resp.get("X-Session"))
    tally.count("valid")
    if resp.status >= 500:
        tally.problem("5xx", f"{user.name}: {resp.status}")
    if seen != user.expected():
        tally.problem("valid session lost", f"{user.name} expected {user.expected()}, saw {seen}")
        return
    cookie = cookie_of(resp)
    if update:
        if cookie is None:
            tally.problem("valid session lost", f"{user.name}: update set no cookie")
            return
        user.n += 1
    if cookie:
        user.cookie = cookie


# ------------------------------------------------------------------ RSS --
def rss_kb(pid):
    """(VmRSS in kB, thread count) of `pid`, or None once it is gone."""
    try:
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text()
                      .splitlines() if ":" in line)
        return int(fields["VmRSS"].split()[0]), int(fields["Threads"])
    except (FileNotFoundError, ProcessLookupError, KeyError, ValueError):
        return None


class Sampler(threading.Thread):
    """Every 0.5 s: the RSS of the parent and of every worker (children with
    threads; mod_cgid's daemon has none), each worker tagged with the
    generation (restarts done) when it was first seen."""

    def __init__(self, parent, stop):
        super().__init__(daemon=True)
        self.parent, self.stop = parent, stop
        self.generation = 0
        self.first_seen = {}  # pid -> (generation, time)
        self.samples = []  # (time, generation of the child, pid, rss kB)
        self.parent_rss = []  # (time, generation, rss kB)

    def run(self):
        while not self.stop.wait(0.5):
            now = time.monotonic()
            got = rss_kb(self.parent)
            if got:
                self.parent_rss.append((now, self.generation, got[0]))
            for pid in child_pids(self.parent):
                got = rss_kb(pid)
                if not got or got[1] < 2:
                    continue
                gen, _ = self.first_seen.setdefault(pid, (self.generation, now))
                self.samples.append((now, gen, pid, got[0]))


# ---------------------------------------------------------------- the run --
@pytest.fixture(scope="module")
def soak():
    stock = stock_cookies(STOCK_USERS)
    srv = Apache("ours", "event", BODY, FILES, loglevel="warn", crypto="ours")
    srv.start()
    try:
        users = [User(f"s{i}", stock[i]) for i in range(STOCK_USERS)]
        for i in range(STOCK_USERS, USERS):
            users.append(User(f"u{i}", cookie_of(srv.request(f"/app?user=u{i}&n=0"))))
        assert all(u.cookie for u in users)
        tally, stop = Tally(), threading.Event()
        sampler = Sampler(srv.proc.pid, stop)
        sampler.start()
        t0 = time.monotonic()
        deadline = t0 + WARMUP + LOAD
        threads = [threading.Thread(target=client, daemon=True,
                                    args=(srv.port, users[i::THREADS], stock[-1], i, deadline, tally))
                   for i in range(THREADS)]
        for t in threads:
            t.start()
        restarts = []
        next_restart = t0 + WARMUP + GRACEFUL_EVERY
        while next_restart < deadline - 2:
            time.sleep(max(0.0, next_restart - time.monotonic()))
            p = subprocess.run([APACHE, "-k", "graceful", "-f", str(srv.conf)],
                               capture_output=True, text=True, timeout=30)
            assert p.returncode == 0, p.stdout + p.stderr
            sampler.generation += 1
            restarts.append(time.monotonic() - t0)
            next_restart += GRACEFUL_EVERY
        for t in threads:
            t.join(timeout=deadline - time.monotonic() + 30)
        assert not any(t.is_alive() for t in threads), "a client thread did not finish"
        elapsed = time.monotonic() - t0
        stop.set()
        sampler.join(timeout=5)
        # After the load and the last restart: every user's next request.
        after = Tally()
        for user in users:
            valid_request(srv.port, user, False, after)
        print(f"\nsoak: {elapsed:.1f} s, restarts at {[round(r, 1) for r in restarts]} s, "
              f"{dict(tally.counts)}", *(f"{k}: {v}" for k, v in tally.problems.items()),
              sep="\n")
        yield dict(srv=srv, tally=tally, after=after, sampler=sampler, restarts=restarts, t0=t0,
                   log=srv.error_log(), users=users)
    finally:
        srv.cleanup()


def test_load_ran_with_restarts(soak):
    counts = soak["tally"].counts
    assert len(soak["restarts"]) >= 4, soak["restarts"]
    assert counts["valid"] >= 2000 and counts["hostile"] >= 2000, counts
    assert "AH00493" in soak["log"] or "graceful restart" in soak["log"].lower(), "no restart logged"


def test_no_5xx_and_no_failed_connection(soak):
    problems = soak["tally"].problems
    assert not problems.get("5xx"), problems["5xx"]
    assert not problems.get("client error"), problems["client error"]


def test_no_crash_and_no_error_line(soak):
    assert not CRASH_LOG.search(soak["log"]), [l for l in soak["log"].splitlines()
                                               if CRASH_LOG.search(l)][:10]
    bad = [l for l in soak["log"].splitlines() if BAD_LOG.search(l) and not re.search(CONFLICT, l)]
    assert not bad, bad[:10]


def test_hostile_requests_never_saw_a_session(soak):
    problems = soak["tally"].problems
    assert not problems.get("hostile request saw a session"), problems


def test_no_valid_session_lost(soak):
    for tally in (soak["tally"], soak["after"]):
        assert not tally.problems.get("valid session lost"), tally.problems["valid session lost"]
    assert soak["after"].counts["valid"] == USERS
    assert sum(u.n for u in soak["users"]) > 0, "no session was updated"


def test_worker_rss_is_flat(soak):
    sampler, t0 = soak["sampler"], soak["t0"]
    by_gen = defaultdict(list)
    for t, gen, pid, rss in sampler.samples:
        if gen > 0 or t - t0 >= WARMUP:  # the first generation once warmed up
            by_gen[gen].append(rss)
    gens = sorted(by_gen)
    assert len(gens) >= 4, f"RSS sampled for generations {gens} only"
    peak = {g: max(by_gen[g]) for g in gens}
    factor, slack = RSS_SLACK
    bound = peak[gens[0]] * factor + slack
    print(f"\nworker RSS peak per generation (kB): {peak}; bound {bound:.0f}")
    assert peak[gens[-1]] <= bound, f"last generation grew: {peak}"
    assert all(p <= bound for p in peak.values()), f"a generation grew: {peak}"
    parent = [rss for _, gen, rss in sampler.parent_rss]
    first_after_restart = [rss for _, gen, rss in sampler.parent_rss if gen == 1]
    assert parent and first_after_restart, "parent RSS not sampled"
    print(f"parent RSS (kB): first {parent[0]}, after 1st restart {first_after_restart[0]}, "
          f"last {parent[-1]}")
    assert parent[-1] <= first_after_restart[0] * factor + slack, (
        f"the parent grew across restarts: {first_after_restart[0]} -> {parent[-1]} kB")
