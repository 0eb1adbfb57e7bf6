#!/usr/bin/python3
"""Instructions per request of httpd with no session, a plain cookie session
and a sealed session, stock modules against ours, counted by callgrind.

Unlike requests/s (scripts/bench_httpd.py, whose configurations, session
and checks this reuses), instruction counts barely move between runs or
machines, and a load generator sharing the CPU cannot skew them.

Each of the six servers runs as `apache2 -X` (prefork, one process serving
every connection itself) under callgrind, which counts only inside
ap_process_connection and dumps the count of each connection when it ends.
After the session is seeded and checked, and a warm-up connection, two
keep-alive connections send N1 and N2 identical requests
(GET /s/index.html with the session cookie); the difference of their counts
over N2 - N1 is one request's cost, free of the per-connection cost. The
two plain servers are measured once more with bench_httpd's SMALLEST
session: mod_session's fixed cost of a session. Ours sealed is measured
once more with each of bench_httpd's revocation stores (shmcb, memcached,
redis: one store lookup per request, the session being format 4), the
same session and requests: what the lookup costs in instructions, against
the target for shmcb. Only httpd's user-space instructions are counted:
for memcached and redis, neither the kernel's part of the round trip, nor
the wait for the answer, nor the daemon's own work is in the count
(bench_httpd's wrk runs show those).

Environment: CALLGRIND_REQUESTS ("20,220": N1,N2; the warm-up sends N1),
CALLGRIND_STOCK_SEALED_REQUESTS ("2,7": stock's sealed requests run PBKDF2,
~73 million instructions each), BENCH_RESULTS_DIR (target/bench:
callgrind.json goes there, and the dumps of the two measured connections
as callgrind/callgrind.out.<impl>-<mode>-<n>req, plain-34B for the
smallest session, sealed+shmcb and so on with a store, for
callgrind_annotate).
Nothing here asserts speed.
"""
import json
import os
import re
import shutil
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_httpd import (FILES, FULL, IMPLS, MODES, PAGE, RESULTS, SESSION_BYTES,  # noqa: E402
                         SMALLEST, STORES, body, print_stock_vs_ours,
                         print_stock_vs_ours_row, revocation_stores, session_cookie)
from harness import APACHE, Apache, Response, raw_request  # noqa: E402

TIMEOUT = 300  # startup under valgrind (the sealed configs derive keys with Argon2id), one request
COUNTS = {"default": os.environ.get("CALLGRIND_REQUESTS", "20,220"),
          "stock sealed": os.environ.get("CALLGRIND_STOCK_SEALED_REQUESTS", "2,7")}
TARGETS = {"plain": 1.6, "sealed": 2.2}  # ours, instructions per request / no session's
STORE_TARGET = ("shmcb", 2.4)  # ours sealed with this store, the same ratio


class CallgrindApache(Apache):
    """bench_httpd's server for (impl, mode) (with revocation store `store`,
    if any; `extra` configuration, and `files` in its document root) on
    prefork, run as `apache2 -X` under callgrind, one dump file per
    connection in self.out."""

    def __init__(self, impl, mode, store=None, extra="", files=FILES):
        # one connection carries all N2 requests (the default caps it at 100)
        super().__init__(impl, "prefork",
                         body(impl, mode, store) + f"\nMaxKeepAliveRequests 0\n{extra}", files,
                         loglevel="warn")
        self.out = self.root / "callgrind"
        self.out.mkdir()
        self.out.chmod(0o777)  # httpd writes the dumps as its User (www-data when root)

    def start(self):
        cmd = ["valgrind", "--tool=callgrind", "--toggle-collect=ap_process_connection",
               "--dump-after=ap_process_connection",
               f"--callgrind-out-file={self.out}/callgrind.out.%p",
               f"--log-file={self.out}/valgrind.log", APACHE, "-X", "-f", str(self.conf)]
        return self.launch(cmd, TIMEOUT, f"{self!r} under callgrind")

    def request(self, path, headers=(), method="GET", body=b""):
        return raw_request(self.port, path, headers, method, body, timeout=TIMEOUT)

    def dumps(self):
        return set(self.out.glob(f"callgrind.out.{self.proc.pid}.*"))

    def connection_ir(self, cookie, n, session=True):
        """Sends n requests on one keep-alive connection (with `cookie`, if
        any), checks each response (with `session`: the cookie's session
        written back); returns the connection's instructions and its dump."""
        request = b"GET /s/index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if cookie:
            request += f"Cookie: {cookie}\r\n".encode()
        request += b"\r\n"
        with socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT) as s:
            replies = s.makefile("rb")
            for i in range(n):
                s.sendall(request)
                check(self, cookie and session, read_response(replies))
                if i == 0:
                    # The one process serves connections one after the other:
                    # every earlier one has ended and been dumped by now.
                    before = self.dumps()
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            new = self.dumps() - before
            if new:
                assert len(new) == 1, f"{self!r}: dumps {new} for one connection"
                dump = new.pop()
                found = re.search(r"^totals: (\d+)$", dump.read_text(), re.M)
                if found:  # else still being written
                    return int(found.group(1)), dump
            time.sleep(0.1)
        raise AssertionError(f"{self!r}: no callgrind dump for the connection")


def read_response(replies):
    """One HTTP/1.1 response (Content-Length framed) off a keep-alive connection."""
    status_line = replies.readline()
    assert status_line.startswith(b"HTTP/1."), f"bad response: {status_line!r}"
    headers = []
    while (line := replies.readline().decode("latin-1").rstrip("\r\n")):
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    resp = Response(int(status_line.split()[1]), headers, b"")
    resp.body = replies.read(int(resp.get("Content-Length")))
    return resp


def check(srv, session, resp):
    """Each measured request must be the one meant: the page served, the
    session (if any) opened and written back."""
    assert resp.status == 200 and resp.body == PAGE.encode(), f"{srv!r}: {resp}"
    if session:
        resaved = [v for v in resp.all("Set-Cookie") if v.startswith("session=")]
        assert resaved, f"{srv!r}: session not re-saved: {resp.headers}"


def measure(impl, mode, seed=FULL, store=None):
    """Instructions per request of (impl, mode) with the session `seed`
    sets (and revocation store `store`, if any), and the (N1, N2) used."""
    n1, n2 = map(int, COUNTS["stock sealed" if (impl, mode) == ("stock", "sealed")
                             else "default"].split(","))
    srv = CallgrindApache(impl, mode, store).start()
    try:
        cookie = session_cookie(srv, mode, seed)
        srv.connection_ir(cookie, n1)  # warm-up: caches, lazily built state
        ir_a, dump_a = srv.connection_ir(cookie, n1)
        ir_b, dump_b = srv.connection_ir(cookie, n2)
        (RESULTS / "callgrind").mkdir(parents=True, exist_ok=True)
        label = mode if seed == FULL else f"{mode}-{seed.bytes}B"
        if store is not None:
            label += f"+{store.name}"
        for n, dump in ((n1, dump_a), (n2, dump_b)):
            shutil.copy(dump, RESULTS / "callgrind" / f"callgrind.out.{impl}-{label}-{n}req")
    finally:
        srv.cleanup()
    return (ir_b - ir_a) / (n2 - n1), (n1, n2)


def main():
    began = time.monotonic()
    ir, counts = {}, {}
    for impl in IMPLS:
        for mode in MODES:
            ir[impl, mode], counts[impl, mode] = measure(impl, mode)
            print(f"{impl} {mode}: {ir[impl, mode]:,.0f} instructions per request",
                  file=sys.stderr)
    # mod_session's fixed cost of a session: see bench_httpd's SMALLEST
    smallest = {impl: measure(impl, "plain", SMALLEST)[0] for impl in IMPLS}
    stored, stored_counts = {}, {}
    with revocation_stores() as stores:
        for name in STORES:
            stored[name], stored_counts[name] = measure("ours", "sealed", store=stores[name])
            print(f"ours sealed+{name}: {stored[name]:,.0f} instructions per request",
                  file=sys.stderr)
    report(ir, smallest)
    report_stores(ir, stored)
    print(f"\n(callgrind part: {time.monotonic() - began:.0f} s)")
    (RESULTS / "callgrind.json").write_text(json.dumps({
        "instructions_per_request": {impl: {mode: ir[impl, mode] for mode in MODES}
                                     for impl in IMPLS},
        "requests_n1_n2": {impl: {mode: counts[impl, mode] for mode in MODES} for impl in IMPLS},
        "smallest_session": {"bytes": SMALLEST.bytes, "instructions_per_request": smallest},
        # ours sealed with each store (with none: ours/sealed above)
        "sealed_with_revocation_store": {
            "instructions_per_request": stored,
            "ratio_to_no_session": {name: stored[name] / ir["ours", "none"] for name in STORES},
            "requests_n1_n2": stored_counts,
        },
    }, indent=2) + "\n")


def report(ir, smallest):
    print(f"\ninstructions per request (callgrind, apache2 -X prefork, static page, "
          f"live session of {SESSION_BYTES} bytes, SessionMaxAge set)\n")
    print_stock_vs_ours(ir, 12, ",.0f", ".3f")
    print_stock_vs_ours_row(f"smallest session ({SMALLEST.bytes} B)", smallest["stock"],
                            smallest["ours"], 12, ",.0f", ".3f")
    print()
    for mode, ceiling in TARGETS.items():
        ratio = ir["ours", mode] / ir["ours", "none"]
        print(f"ours {mode} / no session: {ratio:.2f}x "
              f"(target <= {ceiling}x: {'met' if ratio <= ceiling else 'NOT met'})")
    for mode in TARGETS:
        print(f"stock {mode} / no session: {ir['stock', mode] / ir['stock', 'none']:.2f}x")


def report_stores(ir, stored):
    """The table of ours sealed with each revocation store, and with none,
    and the shmcb target."""
    print("\nsealed session with a revocation store (ours): instructions per request, and over "
          "ours with no session; httpd's user-space instructions only: for memcached and "
          "redis, the kernel's part of the round trip, the wait for the answer and the "
          "daemon's own work are not counted (see bench_httpd's wrk runs)\n")
    print(f"| {'store':10} | {'instructions':>12} | {'/ no session':>12} |")
    print(f"|{'-' * 12}|{'-' * 14}|{'-' * 14}|")
    for name, value in (("no store", ir["ours", "sealed"]), *stored.items()):
        print(f"| {name:10} | {value:12,.0f} | {value / ir['ours', 'none']:11.3f}x |")
    name, ceiling = STORE_TARGET
    ratio = stored[name] / ir["ours", "none"]
    print(f"\nours sealed with {name} / no session: {ratio:.2f}x "
          f"(target <= {ceiling}x: {'met' if ratio <= ceiling else 'NOT met'})")


if __name__ == "__main__":
    main()
