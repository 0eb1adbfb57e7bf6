#!/usr/bin/python3
"""Requests/s of httpd with no session, a plain cookie session and a sealed
session, stock modules against ours, side by side in one run.

Six servers (tests/integration/harness.py starts them: event MPM, loopback)
serve the same small static file. For plain and sealed, every request
carries a live session of a few hundred bytes and SessionMaxAge is set, so
every request opens the session and writes it back (sealed: decrypts and
re-encrypts it). wrk loads each server in turn, round after round
(interleaved, so drift hits all alike); the table shows medians.

Environment: BENCH_ROUNDS (5), BENCH_SECONDS (5), BENCH_CONNECTIONS (8).
Nothing here asserts speed: it prints numbers and the targets beside them.
"""
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration"))
from harness import Apache, module_path  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", 5))
SECONDS = int(os.environ.get("BENCH_SECONDS", 5))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", 8))
SECRET = "benchmark secret of forty characters...."
PAGE = "<!doctype html><title>bench</title>" + "<p>static page served under a session</p>" * 6
# A few hundred bytes of session, set once through SessionHeader.
SEED_CGI = """#!/bin/sh
printf 'Content-Type: text/plain\\r\\nX-Replace-Session: user=alice&role=admin&cart=%s\\r\\n\\r\\nok\\n' \\
    "$(printf 'item%03d,' $(seq 1 40))"
"""
CHECK_CGI = "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n%s\\n' \"$HTTP_SESSION\"\n"
MODES = ("none", "plain", "sealed")
IMPLS = ("stock", "ours")


def body(impl, mode):
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
    return conf


def start(impl, mode):
    files = {"s/index.html": PAGE, "seed.sh": SEED_CGI, "check.sh": CHECK_CGI}
    return Apache(impl=impl, mpm="event", body=body(impl, mode), files=files, loglevel="warn").start()


def session_cookie(srv, mode):
    """A live session cookie for `srv`, checked to open; None without sessions."""
    if mode == "none":
        return None
    resp = srv.request("/seed.sh")
    values = [v for v in resp.all("Set-Cookie") if v.startswith("session=")]
    assert resp.status == 200 and values, f"{srv!r}: no session cookie from /seed.sh"
    cookie = values[0].split(";")[0]
    seen = srv.request("/check.sh", [("Cookie", cookie)]).body.decode()
    assert "user=alice" in seen and "item040" in seen, f"{srv!r}: session did not open: {seen!r}"
    resp = srv.request("/s/index.html", [("Cookie", cookie)])
    assert resp.status == 200 and resp.all("Set-Cookie"), f"{srv!r}: session not re-saved"
    return cookie


def wrk(srv, cookie):
    cmd = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{SECONDS}s",
           f"http://127.0.0.1:{srv.port}/s/index.html"]
    if cookie:
        cmd[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert not errors, f"{srv!r}: {errors.group(0)}\n{out}"
    return float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))


def main():
    servers, cookies = {}, {}
    try:
        for impl in IMPLS:
            for mode in MODES:
                servers[impl, mode] = start(impl, mode)
                cookies[impl, mode] = session_cookie(servers[impl, mode], mode)
        samples = {key: [] for key in servers}
        for r in range(ROUNDS):
            for key, srv in servers.items():
                samples[key].append(wrk(srv, cookies[key]))
            print(f"round {r + 1}/{ROUNDS} done", file=sys.stderr)
    finally:
        for srv in servers.values():
            srv.cleanup()
    med = {key: statistics.median(v) for key, v in samples.items()}
    report(med)


def report(med):
    label = {"none": "no session", "plain": "plain cookie session", "sealed": "sealed session"}
    print(f"\nrequests/s, median of {ROUNDS} rounds of wrk -t1 -c{CONNECTIONS} -d{SECONDS}s "
          f"(static page, live session of a few hundred bytes, SessionMaxAge set)\n")
    print(f"| {'':22} | {'stock':>9} | {'ours':>9} | {'ours/stock':>10} |")
    print(f"|{'-' * 24}|{'-' * 11}|{'-' * 11}|{'-' * 12}|")
    for mode in MODES:
        s, o = med["stock", mode], med["ours", mode]
        print(f"| {label[mode]:22} | {s:9.0f} | {o:9.0f} | {o / s:9.2f}x |")
    for impl in IMPLS:
        ratio = med[impl, "sealed"] / med[impl, "none"]
        print(f"| {impl + ' sealed/no session':22} | {'':9} | {'':9} | {ratio:9.2f}x |")
    sealed_gain = med["ours", "sealed"] / med["stock", "sealed"]
    vs_none = med["ours", "sealed"] / med["ours", "none"]
    print(f"\ntarget: ours sealed >= 40x stock sealed: {sealed_gain:.1f}x "
          f"({'met' if sealed_gain >= 40 else 'NOT met'})")
    print(f"target: ours sealed >= 0.9x no session:  {vs_none:.2f}x "
          f"({'met' if vs_none >= 0.9 else 'NOT met'})")


if __name__ == "__main__":
    main()
