#!/usr/bin/python3
"""Requests/s of httpd with no session, a plain cookie session and a sealed
session, stock modules against ours, side by side in one run.

Six servers (tests/integration/harness.py starts them: event MPM, loopback)
serve the same small static file. For plain and sealed, every request
carries a live session of 451 bytes and SessionMaxAge is set, so every
request opens the session and writes it back (sealed: decrypts and
re-encrypts it). wrk loads each server in turn, round after round, in
reverse order every other round (interleaved, so drift hits all alike); the
table shows medians, and the CPU wrk and httpd used during the runs, so
that a wrk saturating its core is seen, and httpd's user and system CPU
per request (from /proc/<pid>/stat): where a request's time goes.

The targets compare a session with no session on the same implementation.
On a small shared machine one wrk run differs from the next by more than
those targets' margins, so each round's sealed and plain runs are divided
by the same round's no-session run (paired, minutes apart at most), and
the targets are judged on the median of those ratios, with their quartiles:
a verdict the quartiles straddle is printed as within noise.

A control server runs beside them: no session, but the same Cookie header
on every request and a response header as long as the plain session's
Set-Cookie line. Its ratio to no session is what carrying a session's
bytes costs by itself, before any module does any work.

The plain servers are also loaded with the smallest session mod_session
keeps, one pair and its expiry (SMALLEST): what having a session costs at
all, mod_session's and httpd's fixed work on every request that has one
(its hooks and output filter, Cache-Control, the headers), the same under
stock's cookie module and ours. No cookie module serves a session for
less, so it bounds what the plain target can reach.

Three more servers run ours sealed with a revocation store
(SessionCryptoRevocationStore): shmcb inside httpd, a memcached and a
redis-server on loopback (tests/integration/stores.py starts them, and
stops them at the end). Every request opens a format-4 session, which
carries an id, so each does one store lookup: their ratios to ours' no
session, beside ours sealed with no store, show what the lookup costs, and
what a network store's round trip adds to it; the store daemon's own CPU
per request is shown beside httpd's. The stores fail closed: a store that
did not answer would leave the session unopened and fail the checks,
never pass for a fast one.

scripts/bench_callgrind.py runs the same configurations (`body`, `FILES`,
`session_cookie`, `revocation_stores` are shared) under callgrind.

Environment: BENCH_ROUNDS (12), BENCH_SECONDS (3), BENCH_CONNECTIONS (8),
BENCH_RESULTS_DIR (target/bench: wrk.json goes there).
Nothing here asserts speed: it prints numbers and the targets beside them.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections import namedtuple
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration"))
from harness import REPO, Apache, module_path  # noqa: E402
from stores import Memcached, Redis, Shmcb, started  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", 12))
SECONDS = int(os.environ.get("BENCH_SECONDS", 3))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", 8))
RESULTS = Path(os.environ.get("BENCH_RESULTS_DIR") or REPO / "target" / "bench")
SECRET = "benchmark secret of forty characters...."
PAGE = "<!doctype html><title>bench</title>" + "<p>static page served under a session</p>" * 6
# The session, set once through SessionHeader: decoded (HTTP_SESSION, with
# mod_session's own expiry=<16 digits>) it is SESSION_BYTES long, the
# reference size of the targets.
SEED_CGI = """#!/bin/sh
printf 'Content-Type: text/plain\\r\\nX-Replace-Session: user=alice&role=admin&cart=%s\\r\\n\\r\\nok\\n' \\
    "$(printf 'item%03d,' $(seq 1 40))"
"""
SESSION_BYTES = 451
SMALLEST_SEED_CGI = """#!/bin/sh
printf 'Content-Type: text/plain\\r\\nX-Replace-Session: user=alice\\r\\n\\r\\nok\\n'
"""
CHECK_CGI = "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n%s\\n' \"$HTTP_SESSION\"\n"
FILES = {"s/index.html": PAGE, "seed.sh": SEED_CGI, "seed-smallest.sh": SMALLEST_SEED_CGI,
         "check.sh": CHECK_CGI}
# Where a session comes from (a CGI setting it through SessionHeader) and
# its decoded length.
Seed = namedtuple("Seed", "path bytes")
FULL = Seed("/seed.sh", SESSION_BYTES)
SMALLEST = Seed("/seed-smallest.sh", len("user=alice&expiry=") + 16)
MODES = ("none", "plain", "sealed")
IMPLS = ("stock", "ours")
LABEL = {"none": "no session", "plain": "plain cookie session", "sealed": "sealed session"}
WRK_BOTTLENECK = 0.9  # of one core: above, wrk (one thread) may limit what is measured
# The control server's key among the (impl, mode) ones.
CONTROL = ("control", "bytes only")
# The keys of the plain servers' runs with the SMALLEST session.
SMALLEST_KEY = {impl: (impl, "smallest session") for impl in IMPLS}
# The revocation stores ours sealed is also run with (revocation_stores()
# yields them under these names): shmcb inside httpd, and the daemons httpd
# reaches over loopback; and the keys of those servers.
NETWORK_STORES = ("memcached", "redis")
STORES = ("shmcb", *NETWORK_STORES)
STORE_KEY = {name: ("ours", f"sealed+{name}") for name in STORES}
# One wrk run: requests/s; the CPU wrk and httpd used, in cores (1.0 = one
# core busy); httpd's user and system CPU per request, in microseconds; the
# store daemon's (user + system) CPU per request, in microseconds, where
# one runs (0 otherwise).
Run = namedtuple("Run", "requests_per_second wrk_cpu httpd_cpu httpd_user_us httpd_system_us "
                 "store_us", defaults=(0.0,))
# The fields wrk.json gives for each (impl, mode).
HTTPD_FIELDS = Run._fields[:-1]


@contextmanager
def revocation_stores():
    """{name: store} for STORES: shmcb (inside httpd), and a memcached and a
    redis-server started on free loopback ports, stopped on the way out."""
    daemons = []
    try:
        for kind in (Memcached, Redis):
            daemons.append(started(kind))
        yield {store.name: store for store in (Shmcb(), *daemons)}
    finally:
        for daemon in daemons:
            daemon.cleanup()


def body(impl, mode, store=None):
    """The configuration of (impl, mode); with `store` (ours sealed only),
    sessions are looked up in that revocation store, which fails closed so
    that a store that does not answer fails the session checks."""
    assert store is None or (impl, mode) == ("ours", "sealed"), (impl, mode, store)
    if mode == "none":
        return "LogLevel warn"
    conf = """Session On
SessionMaxAge 3600
SessionCookieName session path=/
SessionHeader X-Replace-Session
<Location "/check.sh">
    SessionEnv On
</Location>
"""
    if mode == "sealed":
        conf = (f'LoadModule session_crypto_module "{module_path(impl, "crypto")}"\n{conf}'
                f'SessionCryptoPassphrase "{SECRET}"\nSessionCryptoCipher aes256\n')
    if store is not None:
        conf += (f"{store.load_line}\nSessionCryptoRevocationStore {store.spec}\n"
                 "SessionCryptoRevocationFailMode closed\n")
    return conf


def start(impl, mode, store=None):
    return Apache(impl, "event", body(impl, mode, store), FILES, loglevel="warn").start()


def start_control(srv, cookie):
    """A server with no session that answers with a header as long as the
    Set-Cookie line `srv` answers `cookie` with."""
    resp = srv.request("/s/index.html", [("Cookie", cookie)])
    line = next(v for v in resp.all("Set-Cookie") if v.startswith("session="))
    pad = "x" * len(line)
    control = Apache("ours", "event", f'LogLevel warn\nHeader always set X-Pad "{pad}"', FILES,
                     loglevel="warn").start()
    resp = control.request("/s/index.html", [("Cookie", cookie)])
    assert resp.status == 200 and resp.get("X-Pad") == pad, f"{control!r}: {resp}"
    return control


def session_cookie(srv, mode, seed=FULL):
    """A live session cookie for `srv`, set by `seed`, checked to open to
    the intended session and to be re-saved; None without sessions."""
    if mode == "none":
        return None
    resp = srv.request(seed.path)
    values = [v for v in resp.all("Set-Cookie") if v.startswith("session=")]
    assert resp.status == 200 and values, f"{srv!r}: no session cookie from {seed.path}"
    cookie = values[0].split(";")[0]
    seen = srv.request("/check.sh", [("Cookie", cookie)]).body.decode().rstrip("\n")
    assert seen.startswith("user=alice&"), f"{srv!r}: session did not open: {seen!r}"
    assert len(seen) == seed.bytes, f"{srv!r}: session of {len(seen)} bytes: {seen!r}"
    resp = srv.request("/s/index.html", [("Cookie", cookie)])
    assert resp.status == 200 and resp.all("Set-Cookie"), f"{srv!r}: session not re-saved"
    return cookie


def cpu_seconds(pids):
    """User and system CPU seconds (with reaped children's) the processes
    used so far."""
    user = system = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            continue
        # fields 14-17 (utime stime cutime cstime) count from the one after "(comm)"
        utime, stime, cutime, cstime = map(int, stat.rpartition(")")[2].split()[11:15])
        user, system = user + utime + cutime, system + stime + cstime
    tick = os.sysconf("SC_CLK_TCK")
    return user / tick, system / tick


def wrk(srv, cookie, daemon=None):
    """One wrk run against `srv`; `daemon`: the store daemon whose CPU is
    counted too."""
    cmd = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{SECONDS}s",
           f"http://127.0.0.1:{srv.port}/s/index.html"]
    if cookie:
        cmd[1:1] = ["-H", f"Cookie: {cookie}"]
    # the parent (whose cutime takes in the children it reaps) and its children
    server = [srv.proc.pid, *srv.children()]
    store_pids = [daemon.proc.pid] if daemon else []
    store_before = sum(cpu_seconds(store_pids))
    (user_before, system_before), began = cpu_seconds(server), time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)  # wait4: wrk's own rusage
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    wall = time.monotonic() - began
    # children started during the run count whole; exited ones are in the parent's cutime
    user, system = cpu_seconds({*server, *srv.children()})
    user, system = user - user_before, system - system_before
    store_cpu = sum(cpu_seconds(store_pids)) - store_before
    assert proc.returncode == 0, f"{srv!r}: wrk exited with {proc.returncode}\n{out}"
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert not errors, f"{srv!r}: {errors.group(0)}\n{out}"
    rps = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return Run(rps, (usage.ru_utime + usage.ru_stime) / wall, (user + system) / wall,
               user / requests * 1e6, system / requests * 1e6, store_cpu / requests * 1e6)


def main():
    # servers: one per key; a SMALLEST_KEY runs on its impl's plain server
    servers, cookies = {}, {}
    with revocation_stores() as stores:
        # the store daemons, by the key of the server that uses them
        daemons = {STORE_KEY[name]: stores[name] for name in NETWORK_STORES}
        try:
            for impl in IMPLS:
                for mode in MODES:
                    servers[impl, mode] = start(impl, mode)
                    cookies[impl, mode] = session_cookie(servers[impl, mode], mode)
                servers[SMALLEST_KEY[impl]] = servers[impl, "plain"]
                cookies[SMALLEST_KEY[impl]] = session_cookie(servers[impl, "plain"], "plain",
                                                             SMALLEST)
            cookies[CONTROL] = cookies["ours", "plain"]
            servers[CONTROL] = start_control(servers["ours", "plain"], cookies[CONTROL])
            for name, key in STORE_KEY.items():
                servers[key] = start("ours", "sealed", stores[name])
                cookies[key] = session_cookie(servers[key], "sealed")
            samples = {key: [] for key in servers}
            for r in range(ROUNDS):
                order = list(servers) if r % 2 == 0 else list(reversed(servers))
                for key in order:
                    samples[key].append(wrk(servers[key], cookies[key], daemons.get(key)))
                print(f"round {r + 1}/{ROUNDS} done", file=sys.stderr)
        finally:
            for srv in set(servers.values()):
                srv.cleanup()
    # each field's median on its own
    med = {key: Run(*map(statistics.median, zip(*runs))) for key, runs in samples.items()}
    paired = paired_ratios(samples)
    # the extra runs, each over the no-session server it is judged against
    extra = {CONTROL: ("ours", "none"),
             **{key: (impl, "none") for impl, key in SMALLEST_KEY.items()},
             **{key: ("ours", "none") for key in STORE_KEY.values()}}
    paired.update({key: ratios(samples[key], samples[none]) for key, none in extra.items()})
    report(med, paired)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "wrk.json").write_text(json.dumps({
        "rounds": ROUNDS, "seconds": SECONDS, "connections": CONNECTIONS,
        **{field: {impl: {mode: getattr(med[impl, mode], field) for mode in MODES}
                   for impl in IMPLS} for field in HTTPD_FIELDS},
        "paired_ratios_to_no_session": {impl: {mode: paired[impl, mode] for mode in MODES[1:]}
                                        for impl in IMPLS},
        "control_ratio_to_no_session": paired[CONTROL],
        "smallest_session_ratio_to_no_session": {impl: paired[SMALLEST_KEY[impl]]
                                                 for impl in IMPLS},
        # ours sealed with each store (with none: ours/sealed above)
        "sealed_with_revocation_store": {
            name: {**med[key]._asdict(), "paired_ratios_to_no_session": paired[key]}
            for name, key in STORE_KEY.items()},
    }, indent=2) + "\n")


def paired_ratios(samples):
    """{(impl, mode): [each round's requests/s of mode / of no session]}."""
    return {(impl, mode): ratios(samples[impl, mode], samples[impl, "none"])
            for impl in IMPLS for mode in MODES[1:]}


def ratios(runs, nones):
    """Each round's requests/s over the same round's no-session run."""
    return [run.requests_per_second / none.requests_per_second for run, none in zip(runs, nones)]


def spread(ratios):
    """(median, first quartile, third quartile)."""
    q1, q2, q3 = statistics.quantiles(ratios, n=4, method="inclusive")
    return q2, q1, q3


def spread_cell(ratios):
    """A table cell: the median ratio, and its quartiles."""
    return "{:.2f}x ({:.2f}-{:.2f})".format(*spread(ratios))


def print_stock_vs_ours(values, width, number, ratio):
    """A markdown table of `values` ({(impl, mode): number}), a row per mode:
    stock, ours (in `width` columns, `number` format) and ours/stock
    (`ratio` format). bench_callgrind prints its table with it too."""
    print(f"| {'':23} | {'stock':>{width}} | {'ours':>{width}} | {'ours/stock':>10} |")
    print(f"|{'-' * 25}|{'-' * (width + 2)}|{'-' * (width + 2)}|{'-' * 12}|")
    for mode in MODES:
        print_stock_vs_ours_row(LABEL[mode], values["stock", mode], values["ours", mode],
                                width, number, ratio)


def print_stock_vs_ours_row(label, s, o, width, number, ratio):
    """One row of print_stock_vs_ours's table."""
    print(f"| {label:23} | {s:{width}{number}} | {o:{width}{number}} | {o / s:9{ratio}}x |")


def report(med, paired):
    rps = {key: run.requests_per_second for key, run in med.items()}
    print(f"\nrequests/s, median of {ROUNDS} rounds of wrk -t1 -c{CONNECTIONS} -d{SECONDS}s "
          f"(static page, live session of {SESSION_BYTES} bytes, SessionMaxAge set)\n")
    print_stock_vs_ours(rps, 9, ".0f", ".2f")
    print(f"\neach round's requests/s over the same round's no session ({ROUNDS} rounds: "
          f"median, quartiles)\n")
    print(f"| {'':23} | {'stock':>17} | {'ours':>17} |")
    print(f"|{'-' * 25}|{'-' * 19}|{'-' * 19}|")
    for mode in MODES[1:]:
        cells = " | ".join(spread_cell(paired[impl, mode]) for impl in IMPLS)
        print(f"| {mode + ' / no session':23} | {cells} |")
    cells = " | ".join(spread_cell(paired[SMALLEST_KEY[impl]]) for impl in IMPLS)
    print(f"| {'smallest / no session':23} | {cells} |")
    print(f"| {'control / no session':23} | {'':17} | {spread_cell(paired[CONTROL]):>17} |")
    print(f"\nsmallest: the plain servers with a {SMALLEST.bytes}-byte session (user=alice and its "
          "expiry), mod_session's fixed cost of a session")
    print("control: no session, the plain session's Cookie header and a header as long "
          "as its Set-Cookie line (the bytes alone)")

    print(f"\nCPU during the runs, % of one core (median; {os.cpu_count()} cores)\n")
    print(f"| {'':23} | {'stock wrk':>9} | {'httpd':>7} | {'ours wrk':>9} | {'httpd':>7} |")
    print(f"|{'-' * 25}|{'-' * 11}|{'-' * 9}|{'-' * 11}|{'-' * 9}|")
    for mode in MODES:
        cells = " | ".join(f"{med[impl, mode].wrk_cpu:9.0%} | {med[impl, mode].httpd_cpu:7.0%}"
                           for impl in IMPLS)
        print(f"| {LABEL[mode]:23} | {cells} |")
    for (impl, mode), run in med.items():
        if run.wrk_cpu > WRK_BOTTLENECK:
            print(f"warning: {impl} {LABEL.get(mode, mode)}: wrk used {run.wrk_cpu:.0%} of a "
                  f"core: it may be the bottleneck")

    print("\nhttpd CPU per request, microseconds (median): user + system\n")
    print(f"| {'':23} | {'stock':>15} | {'ours':>15} |")
    print(f"|{'-' * 25}|{'-' * 17}|{'-' * 17}|")
    rows = [(LABEL[mode], {impl: (impl, mode) for impl in IMPLS}) for mode in MODES]
    rows += [("smallest session", SMALLEST_KEY), ("control", {"ours": CONTROL})]
    for label, keys in rows:
        cells = " | ".join(
            f"{med[keys[impl]].httpd_user_us:6.1f} + {med[keys[impl]].httpd_system_us:6.1f}"
            if impl in keys else f"{'':15}" for impl in IMPLS)
        print(f"| {label:23} | {cells} |")

    print()
    for mode, floor in (("sealed", 0.93), ("plain", 0.97)):
        median, q1, q3 = spread(paired["ours", mode])
        if q1 >= floor:
            verdict = "met"
        elif q3 < floor:
            verdict = "NOT met"
        else:
            verdict = f"{'met' if median >= floor else 'NOT met'} at the median, within noise"
        print(f"target: ours {mode} >= {floor}x no session: {median:.2f}x, quartiles "
              f"{q1:.2f}-{q3:.2f} ({verdict})")
    print(f"ours sealed vs stock sealed: {rps['ours', 'sealed'] / rps['stock', 'sealed']:.1f}x")
    report_stores(med, paired)


def report_stores(med, paired):
    """The table of ours sealed with each revocation store, and with none."""
    print("\nsealed session with a revocation store (ours): requests/s (median), each round's "
          "over the same round's ours no session (median, quartiles), CPU per request in "
          "microseconds (median): httpd's user + system, and the store daemon's\n")
    print(f"| {'store':10} | {'requests/s':>10} | {'/ no session':>17} | {'httpd CPU us':>15} "
          f"| {'store CPU us':>12} |")
    print(f"|{'-' * 12}|{'-' * 12}|{'-' * 19}|{'-' * 17}|{'-' * 14}|")
    rows = [("no store", ("ours", "sealed")), *STORE_KEY.items()]
    for name, key in rows:
        run = med[key]
        store_cpu = f"{run.store_us:12.1f}" if name in NETWORK_STORES else f"{'':12}"
        print(f"| {name:10} | {run.requests_per_second:10.0f} | {spread_cell(paired[key]):>17} "
              f"| {run.httpd_user_us:6.1f} + {run.httpd_system_us:6.1f} | {store_cpu} |")
    print("\nshmcb lives in httpd's shared memory (its CPU is httpd's); memcached and redis-server "
          "run on loopback, on the same cores as httpd and wrk")


if __name__ == "__main__":
    main()
