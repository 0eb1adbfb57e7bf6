#!/usr/bin/python3
"""Instructions per request for sessions of several shapes, stock modules
against ours, counted by callgrind (the same servers and method as
scripts/bench_callgrind.py: `apache2 -X` prefork, the difference of two
keep-alive connections' counts).

The benchmark's reference session (bench_httpd's, 451 bytes with 40
escapes) is one shape among those applications keep; the cost of ours
grows with a session's keys and escapes, so each shape is measured:

- auth_form: what mod_auth_form keeps (user, pw) and the expiry;
- profile: the shape issue 24 measured by hand (seven keys, 451 bytes);
- app: an application's session of many short keys with few escapes (an
  e-mail, a time zone, a CSRF token, a long hex value);
- escapes: one dominated by escapes (URLs and quoted text);
- token: one long opaque value (a bearer token);
- reference: bench_httpd's session (a cart of 40 items, each comma an
  escape);
- 4k: an application session of about 4 KB (64 keys);
- chunked_10k: about 10 KB (128 keys), sealed, in chunks (SessionCookieChunkSize 4000,
  LimitRequestFieldSize 32768), ours only (stock cannot chunk): its cost is
  also given per KB of session.

Every shape runs on the same servers: no session; plain and sealed for
stock and ours; ours sealed with the shmcb revocation store. Ratios are to
no session (no cookie), as the targets are; the "cookie only" column is a
server with no session sent the same Cookie header: what httpd itself
spends on those bytes (reading and checking the header line), which no
module can save.

Targets (issue 24): on every shape up to 4 KB, ours plain <= 1.6x no
session, sealed <= 2.2x, sealed with shmcb <= 2.4x. Each is reported met or
NOT met; nothing here asserts speed. The costliest functions of ours (per
request, exclusive instructions, from the two connections' dumps) are
printed for the shapes whose ratios are the highest.

Environment: CALLGRIND_REQUESTS ("20,220"), CALLGRIND_STOCK_SEALED_REQUESTS
("2,7": stock seals with PBKDF2, ~73 million instructions per request),
BENCH_SHAPES ("all", or names separated by commas), BENCH_COLUMNS ("all",
or columns such as ours-plain,ours-sealed+shmcb: the others are left out,
for quick runs while working on one path), BENCH_RESULTS_DIR
(target/bench: shapes.json and the dumps under callgrind/shapes/).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import namedtuple
from pathlib import Path
from urllib.parse import parse_qsl, quote_plus

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_callgrind import COUNTS, STORE_TARGET, TARGETS, CallgrindApache  # noqa: E402
from bench_httpd import CHECK_CGI, PAGE, RESULTS, revocation_stores  # noqa: E402

Shape = namedtuple("Shape", "name what pairs chunked")
KB = 1024


def hexed(seed, n):
    """n hex digits, fixed for a seed (the same session on every run)."""
    out, x = "", seed
    while len(out) < n:
        x = (x * 6364136223846793005 + 1442695040888963407) % 2**64
        out += f"{x:016x}"
    return out[:n]


def token(seed, n):
    """n characters of base64url, fixed for a seed."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return "".join(alphabet[int(hexed(seed + i, 2), 16) % 64] for i in range(n))


def app_pairs(n_keys, seed, width=6):
    """An application's session: user, e-mail, time zone, CSRF token, a
    long hex id, then flags and ids of `width` hex digits up to n_keys
    keys."""
    pairs = [("user", "alice"), ("email", "alice@example.com"), ("tz", "Europe/Berlin"),
             ("lang", "en-GB"), ("role", "editor"), ("csrf", token(seed, 43)),
             ("cart", hexed(seed, 64))]
    i = 0
    while len(pairs) < n_keys:
        i += 1
        pairs.append((f"f{i}", hexed(seed + i, width) if i % 3 else "1"))
    return pairs


SHAPES = [
    Shape("auth_form", "mod_auth_form's user and password",
          [("user", "alice"), ("pw", "correct horse battery staple")], False),
    Shape("profile", "issue 24's: seven keys, an e-mail, a time zone, a CSRF token, a long "
          "hex value", [("user", "alice"), ("email", "alice.smith@example.com"),
                        ("tz", "Europe/Berlin"), ("lang", "en-GB"), ("role", "editor"),
                        ("csrf", token(3, 43)), ("sid", hexed(3, 289))], False),
    Shape("app", "many short keys, few escapes", app_pairs(24, 7), False),
    Shape("escapes", "dominated by escapes",
          [("user", "alice"),
           ("back", "https://shop.example.com/cart?items=1,2,3&coupon=\"WINTER 25%\"&x=y#top"),
           ("q", "red shoes, size 42 & \"leather\" (brown/black); sort=price:asc"),
           ("path", "/a b/c,d/e;f/g=h/i&j/k+l/m%n/o?p/q:r/s@t"),
           ("note", "«Grüße» — 東京 & ünïcödé, [ok] {yes} <no> | 100%")], False),
    Shape("token", "one long opaque value", [("user", "alice"), ("token", token(11, 400))],
          False),
    Shape("reference", "bench_httpd's session: a cart of 40 items",
          [("user", "alice"), ("role", "admin"),
           ("cart", ",".join(f"item{i:03d}" for i in range(1, 41)) + ",")], False),
    Shape("4k", "about 4 KB: an application session of 64 keys", app_pairs(64, 13, 92), False),
    Shape("chunked_10k", "about 10 KB, sealed, in chunks", app_pairs(128, 17, 112), True),
]
TARGET_LIMIT = 4 * KB  # the targets hold for shapes up to this size

SEED_CGI = """#!/bin/sh
# Sets the session (SessionHeader): the pairs in shapes/$QUERY_STRING.
printf 'Content-Type: text/plain\\r\\nX-Replace-Session: %s\\r\\n\\r\\nok\\n' \\
    "$(cat "$DOCUMENT_ROOT/shapes/$QUERY_STRING")"
"""
PIECE = 3000  # bytes of session text per seeding request (CGI header lines stay short)
CHUNKED = """SessionCookieChunkSize 4000
LimitRequestFieldSize 32768
"""


def pieces(shape):
    """The shape's pairs as mod_session text, in pieces of up to PIECE
    bytes (SessionHeader merges each into the session)."""
    out, cur = [], []
    for k, v in shape.pairs:
        pair = f"{quote_plus(k)}={quote_plus(v)}"
        if cur and len("&".join(cur + [pair])) > PIECE:
            out.append("&".join(cur))
            cur = []
        cur.append(pair)
    out.append("&".join(cur))
    return out


def files():
    f = {"s/index.html": PAGE, "check.sh": CHECK_CGI, "seed.sh": SEED_CGI}
    for shape in SHAPES:
        for i, text in enumerate(pieces(shape)):
            f[f"shapes/{shape.name}.{i}"] = text
    return f


class ShapeServer(CallgrindApache):
    """bench_callgrind's server, serving the shapes' seed files."""

    def __init__(self, impl, mode, store=None, extra=""):
        super().__init__(impl, mode, store, extra=extra, files=files())


def session_cookies(srv, shape):
    """The Cookie header value of a live session of `shape` on `srv`,
    checked to hold exactly the shape's pairs; and the session text's
    length and escapes, as mod_session keeps it."""
    jar = {}
    for i in range(len(pieces(shape))):
        cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
        resp = srv.request(f"/seed.sh?{shape.name}.{i}", [("Cookie", cookie)] if cookie else [])
        assert resp.status == 200, f"{srv!r}: seeding {shape.name}: {resp}"
        for line in resp.all("Set-Cookie"):
            name, _, value = line.split(";")[0].partition("=")
            if name.startswith("session"):
                jar[name] = value
        # a part no longer written is not sent again
        jar = {k: v for k, v in jar.items() if v}
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    seen = srv.request("/check.sh", [("Cookie", cookie)]).body.decode().rstrip("\n")
    got = {k: v for k, v in parse_qsl(seen, keep_blank_values=True) if k != "expiry"}
    assert got == dict(shape.pairs), f"{srv!r}: {shape.name}: the session did not open as set"
    return cookie, len(seen), seen.count("%") + seen.count("+")


def per_function(dump_a, dump_b, n, total):
    """{function: exclusive instructions per request} between two dumps of
    connections n requests apart, whose difference per request is
    `total`."""
    def table(dump):
        out = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100",
                              "--auto=no", str(dump)], capture_output=True, text=True,
                             check=True).stdout
        rows = {}
        for m in re.finditer(r"^\s*([\d,]+) \([ \d.]+%\)\s+(\S.*?)(?: \[.*\])?$", out, re.M):
            if "PROGRAM TOTALS" in m.group(2):
                continue
            # "file:function"; a function inlined from several files has a
            # line per file
            fn = m.group(2).partition(":")[2]
            rows[fn] = rows.get(fn, 0) + int(m.group(1).replace(",", ""))
        return rows
    a, b = table(dump_a), table(dump_b)
    diff = {k: (b.get(k, 0) - a.get(k, 0)) / n for k in set(a) | set(b)}
    # The frames above the connection (main, the MPM) are listed with all
    # below them: not a function's own cost.
    return {k: v for k, v in diff.items() if v < total * 0.99}


def measure(srv, cookie, label, session=True):
    """Instructions per request of `srv` answering `cookie` (its session
    written back, with `session`), and ours' per-function table."""
    n1, n2 = map(int, COUNTS["stock sealed" if label.startswith("stock-sealed")
                             else "default"].split(","))
    srv.connection_ir(cookie, n1, session)  # warm-up
    ir_a, dump_a = srv.connection_ir(cookie, n1, session)
    ir_b, dump_b = srv.connection_ir(cookie, n2, session)
    keep = RESULTS / "callgrind" / "shapes"
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copy(dump_a, keep / f"callgrind.out.{label}-{n1}req")
    shutil.copy(dump_b, keep / f"callgrind.out.{label}-{n2}req")
    ir = (ir_b - ir_a) / (n2 - n1)
    functions = per_function(dump_a, dump_b, n2 - n1, ir) if label.startswith("ours") else {}
    print(f"{label}: {ir:,.0f} instructions per request", file=sys.stderr)
    return ir, functions


# The servers with sessions, (impl, mode, store), each a column.
COLUMNS = [("stock", "plain", None), ("ours", "plain", None), ("stock", "sealed", None),
           ("ours", "sealed", None), ("ours", "sealed", "shmcb")]
# Where each target applies: ours' column, and its ceiling.
TARGET_OF = {"ours-plain": TARGETS["plain"], "ours-sealed": TARGETS["sealed"],
             f"ours-sealed+{STORE_TARGET[0]}": STORE_TARGET[1]}


def name_of(impl, mode, store):
    return f"{impl}-{mode}" + (f"+{store}" if store else "")


def main():
    began = time.monotonic()
    wanted = os.environ.get("BENCH_SHAPES", "all")
    shapes = [s for s in SHAPES if wanted == "all" or s.name in wanted.split(",")]
    columns = os.environ.get("BENCH_COLUMNS", "all")
    ir, functions, cookies, sizes = {}, {}, {}, {}
    with revocation_stores() as stores:
        for impl, mode, store in COLUMNS:
            if columns != "all" and name_of(impl, mode, store) not in columns.split(","):
                continue
            col = name_of(impl, mode, store)
            for chunked in (False, True):
                todo = [s for s in shapes if s.chunked == chunked and
                        (not chunked or (impl, mode) == ("ours", "sealed"))]
                if not todo:
                    continue
                srv = ShapeServer(impl, mode, stores[store] if store else None,
                                  extra=CHUNKED if chunked else "").start()
                try:
                    for shape in todo:
                        cookie, length, escapes = session_cookies(srv, shape)
                        sizes[shape.name] = (length, escapes)
                        cookies[col, shape.name] = cookie
                        ir[col, shape.name], functions[col, shape.name] = \
                            measure(srv, cookie, f"{col}-{shape.name}")
                finally:
                    srv.cleanup()
        # No session: without a cookie (the targets' base), and, on ours,
        # sent ours' plain and sealed cookies of each shape: what httpd
        # itself spends on those header bytes.
        for impl in ("stock", "ours"):
            # (the longest cookies need the chunked servers' header limit)
            srv = ShapeServer(impl, "none", extra="LimitRequestFieldSize 32768\n").start()
            try:
                ir[f"{impl}-none", None], _ = measure(srv, None, f"{impl}-none")
                for shape in shapes if impl == "ours" else ():
                    for mode in ("plain", "sealed"):
                        cookie = cookies.get((f"ours-{mode}", shape.name))
                        if cookie:
                            ir[f"cookie only-{mode}", shape.name], _ = measure(
                                srv, cookie, f"none-{mode}-cookie-{shape.name}", session=False)
            finally:
                srv.cleanup()
    report(shapes, ir, sizes, cookies)
    report_functions(shapes, ir, functions)
    print(f"\n(shapes: {time.monotonic() - began:.0f} s)")
    (RESULTS / "shapes.json").write_text(json.dumps({
        "shapes": {s.name: {"what": s.what, "session_bytes": sizes[s.name][0],
                            "escapes": sizes[s.name][1], "chunked": s.chunked,
                            "cookie_bytes": {col: len(c) for (col, name), c in cookies.items()
                                             if name == s.name},
                            "instructions_per_request": {col: v for (col, name), v in ir.items()
                                                         if name == s.name}}
                   for s in shapes},
        "no_session": {impl: ir[f"{impl}-none", None] for impl in ("stock", "ours")},
    }, indent=2) + "\n")


def report(shapes, ir, sizes, cookies):
    none = ir["ours-none", None]
    print("\ninstructions per request by session shape (callgrind, apache2 -X prefork, static "
          f"page, SessionMaxAge set); no session: stock {ir['stock-none', None]:,.0f}, ours "
          f"{none:,.0f}; ratios are ours over ours with no session\n")
    cols = [name_of(*c) for c in COLUMNS]
    head = ["shape", "bytes", "escapes", *cols, "ours plain x", "ours sealed x",
            "sealed+shmcb x", "cookie only x (plain/sealed)"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|")
    for s in shapes:
        length, escapes = sizes[s.name]
        cells = [s.name, f"{length:,}", str(escapes)]
        cells += [f"{ir[c, s.name]:,.0f}" if (c, s.name) in ir else "-" for c in cols]
        for col in TARGET_OF:
            cells.append(f"{ir[col, s.name] / none:.3f}" if (col, s.name) in ir else "-")
        only = [ir.get((f"cookie only-{m}", s.name)) for m in ("plain", "sealed")]
        cells.append(" / ".join(f"{v / none:.3f}" if v else "-" for v in only))
        print("| " + " | ".join(cells) + " |")
    print()
    for s in shapes:
        length, _ = sizes[s.name]
        if length > TARGET_LIMIT:
            for col in TARGET_OF:
                if (col, s.name) in ir:
                    extra = ir[col, s.name] - none
                    print(f"{s.name} ({length:,} B, {len(cookies[col, s.name]):,} B of cookies), "
                          f"{col}: {extra / (length / KB):,.0f} instructions per KB of session "
                          f"over no session (no target above {TARGET_LIMIT // KB} KB)")
            continue
        for col, ceiling in TARGET_OF.items():
            if (col, s.name) in ir:
                ratio = ir[col, s.name] / none
                print(f"{s.name}, {col} / no session: {ratio:.2f}x (target <= {ceiling}x: "
                      f"{'met' if ratio <= ceiling else 'NOT met'})")


def report_functions(shapes, ir, functions, top=14):
    """The costliest functions of ours, per request, for the shape with the
    highest ratio of each of ours' columns."""
    for col in TARGET_OF:
        measured = [s for s in shapes if (col, s.name) in ir and not s.chunked]
        if not measured:
            continue
        worst = max(measured, key=lambda s: ir[col, s.name])
        rows = sorted(functions[col, worst.name].items(), key=lambda kv: -kv[1])[:top]
        print(f"\n{col}, shape {worst.name}: the {top} costliest functions, exclusive "
              "instructions per request")
        for fn, n in rows:
            print(f"  {n:9,.0f}  {fn[:100]}")


if __name__ == "__main__":
    main()
