"""Both our modules in real httpd under valgrind's memcheck.

One `apache2 -X` (a single process serving every request itself, under
valgrind) per MPM, prefork and event, loads our session_cookie_module and
session_crypto_module and serves a representative set of the integration
flows once:

- the differential flows of the plain cookie session (test_differential's
  "main" group: reading, SessionCookieRemove, writing, clearing, errors,
  internal redirects, .htaccess, <Location>);
- every garbage Cookie header of test_module.GARBAGE, on plain and sealed
  paths, with and without SessionCookieRemove;
- sealed sessions: login, update, tampered values, bad values of every
  class, a session cookie sent twice, an expired value, two cookie names,
  SessionCryptoStockFormat Seal;
- values stock mod_session_crypto sealed (from a real stock server beside
  it) opened by ours, forged and truncated ones, one sealed under the
  wrong cipher, and chosen plaintexts such as CVE-2021-26690's "&=";
- revocation in shmcb: a logout (the session emptied) and a back end's
  "log out everywhere" header, and the copies of the revoked cookies.

At the end httpd is stopped (SIGTERM), which destroys its pools, and the
tests read valgrind's XML report: any memcheck error (invalid read or
write, use of uninitialised memory, bad free, ...) fails, wherever its
frames are, unless memcheck.supp suppresses it (that file may only hold
errors whose every frame is outside our files); a definitely lost block
fails when a frame of its allocation stack is in our code (our two .so
files, or a function of our crate). Blocks httpd and APR still hold at exit
are expected and not counted.

valgrind must see our code, or all this proves nothing: the tests check
that it read our two files' symbols and that its heap profile (xtree)
holds allocation stacks through our crate's functions, and that every
request was served (access log) by the process valgrind ran.

Both MPMs run under valgrind: prefork's -X serves in the process itself,
event's -X (ONE_PROCESS) in that process's worker threads; mod_cgid's
daemon, forked from it, is not reported on (--child-silent-after-fork).

Run: /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/memcheck
(needs valgrind and python3-cryptography; never skipped). MEMCHECK_KEEP=dir
keeps valgrind's XML reports, logs and heap profiles, and httpd's error
log, under dir/<mpm>/.
"""
import base64
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))

from harness import (APACHE, BAD_LOG, CGI, CRASH_LOG, REPO, Apache,  # noqa: E402
                     module_path, raw_request)
from sealed_support import (LOGLEVEL, NOT_OPENED, SECRET, cookie_of,  # noqa: E402
                            seal_stock, session_of, tampered)
from test_differential import FLOWS, GROUPS, run_step  # noqa: E402
from test_module import GARBAGE  # noqa: E402
from test_stock_format import is_our_format, is_stock_format  # noqa: E402

SUPPRESSIONS = HERE / "memcheck.supp"
TIMEOUT = 120  # one request under valgrind, at worst
OUR_CRATE = "mod_session_cookie_rs"
# Our log line for a session cookie sent twice with different values,
# whatever its level.
CONFLICT = r"session cookie 'session' more than once with different values"
# Under -X the single process has dropped root (User www-data) before it
# exits, so mod_cgid cannot remove the socket root made at startup.
CGID_SOCKET = r"AH01240: Couldn't unlink unix domain socket"

SEALED_BODY = f"""
LoadModule socache_shmcb_module /usr/lib/apache2/modules/mod_socache_shmcb.so
SessionCryptoRevocationStore shmcb
LimitRequestFieldSize 32768
CustomLog "{{root}}/logs/access.log" "%>s %r"
<Directory "{{docroot}}/sealed">
    SessionCryptoPassphrase "{SECRET}"
    SessionMaxAge 3600
    SessionCryptoSubjectKey user
    SessionCryptoRevokeHeader X-Revoke
</Directory>
<Directory "{{docroot}}/sealed/short">
    SessionMaxAge 1
</Directory>
<Directory "{{docroot}}/sealed/rm">
    SessionCookieRemove On
</Directory>
<Directory "{{docroot}}/sealed/two">
    SessionCookieName2 session2 path=/
</Directory>
<Directory "{{docroot}}/sealed/seal">
    SessionCryptoStockFormat Seal
</Directory>
"""
SEALED_FILES = {f"sealed/{d}env.sh": CGI for d in ("", "short/", "rm/", "two/", "seal/")}
# A back end logging its user out everywhere (SessionCryptoRevokeHeader).
SEALED_FILES["sealed/everywhere.sh"] = (
    "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\nX-Revoke: subject\\r\\n\\r\\nok\\n'\n")
BAD_VALUES = ["", "not base64!", "AQ", "A" * 20000, "Ag" + "A" * 80, "AQ" + "A" * 80, "&=",
              "%00", "=" * 5]


def valgrind_command(out):
    return ["valgrind", "--tool=memcheck", "--leak-check=full",
            "--show-leak-kinds=definite,indirect,possible", "--errors-for-leak-kinds=definite",
            "--track-origins=yes", "--num-callers=50",
            # our modules are unloaded (pool cleanup) before the leak check:
            # keep their symbols so that their frames still have names
            "--keep-debuginfo=yes",
            # mod_cgi(d)'s forks until exec: not ours, no report of their own
            "--child-silent-after-fork=yes", "-v",
            # a hang at exit is answered with each thread's stack (vgdb)
            "--vgdb=yes", f"--vgdb-prefix={out}/vgdb",
            f"--suppressions={SUPPRESSIONS}",
            "--xml=yes", f"--xml-file={out}/memcheck.%p.xml", f"--log-file={out}/valgrind.%p.log",
            "--xtree-memory=full", f"--xtree-memory-file={out}/xtree.%p.kcg"]


class ValgrindApache(Apache):
    """The harness's server (config, ServerRoot, port), run as `apache2 -X`
    under valgrind."""

    def __init__(self, mpm, body, files):
        super().__init__("ours", mpm, body, files, loglevel=LOGLEVEL, crypto="ours")
        self.out = self.root / "valgrind"
        self.out.mkdir()
        self.out.chmod(0o777)  # httpd writes the xtree as its User at exit
        self.sent = 0

    def start(self):
        return self.launch(valgrind_command(self.out) + [APACHE, "-X", "-f", str(self.conf)],
                           TIMEOUT, "apache2 -X under valgrind")

    def stop(self):
        """SIGTERM once httpd is idle: httpd exits cleanly (pools destroyed),
        then valgrind runs its leak check; returns valgrind's exit status.

        prefork's child handles SIGTERM by destroying its pools from the
        signal handler (just_die), so a SIGTERM that lands while a request
        is still being torn down (the client has its answer before httpd has
        logged the request and freed its pool) can leave httpd's pool lists
        half changed: wait until every request sent is in the access log.
        A process that still does not exit fails with each thread's stack."""
        rc = None
        if self.proc and self.proc.poll() is None:
            self.wait_idle()
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                stacks = subprocess.run(
                    ["vgdb", f"--vgdb-prefix={self.out}/vgdb", f"--pid={self.proc.pid}",
                     "v.info", "scheduler"], capture_output=True, text=True, timeout=60)
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                self.proc.stdout.close()
                self.proc = None
                raise AssertionError(
                    f"apache2 -X under valgrind still ran {TIMEOUT} s after SIGTERM; its threads:\n"
                    f"{stacks.stdout}{stacks.stderr}\nerror log (end):\n{self.error_log()[-4000:]}")
        elif self.proc:
            rc = self.proc.returncode
        if self.proc:
            self.proc.stdout.close()
        self.proc = None
        return rc

    def wait_idle(self):
        """Until the access log holds every request sent, and a second more
        for the last one's pool to go."""
        access = self.root / "logs" / "access.log"
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if access.exists() and len(access.read_text().splitlines()) >= self.sent:
                time.sleep(1)
                return
            time.sleep(0.1)

    def request(self, path, headers=(), method="GET", body=b""):
        self.sent += 1
        return raw_request(self.port, path, headers, method, body, timeout=TIMEOUT)


# ----------------------------------------------------------------- flows --
class Checks:
    """Functional expectations along the way: recorded, not raised, so that
    one broken flow still leaves valgrind's report to read."""

    def __init__(self):
        self.failures = []

    def __call__(self, ok, what):
        if not ok:
            self.failures.append(what)
        return ok


def fetch(srv, path, cookie=None, name="session", check=None):
    headers = [("Cookie", f"{name}={cookie}")] if cookie is not None else []
    resp = srv.request(path, headers)
    if check:
        check(resp.status == 200, f"{path} with {name}={str(cookie)[:40]}: status {resp.status}")
    return resp


def plain_flows(srv, check):
    for flow in FLOWS:
        if flow.group != "main":
            continue
        jar = {}
        for step in flow.steps:
            got = run_step(srv, step, jar)
            check(got["status"] < 500 or "status=500" in step.path,
                  f"flow {flow.id}: {step.path} answered {got['status']}")


def garbage_flows(srv, check):
    for path in ("/env.sh?set=z=1", "/rm/env.sh", "/sealed/env.sh?set=z=1", "/sealed/rm/env.sh"):
        for name, headers in GARBAGE.items():
            resp = srv.request(path, headers)
            check(resp.status < 500, f"garbage {name} on {path}: status {resp.status}")


def stock_values():
    """Values a real stock mod_session_crypto sealed (aes256, and aes128 for
    the wrong-cipher case), from a stock server run natively beside."""
    body = (f'Session On\nSessionEnv On\nSessionMaxAge 3600\nSessionHeader X-Replace-Session\n'
            f'SessionCookieName session path=/\nSessionCryptoPassphrase "{SECRET}"\n'
            '<Directory "{docroot}/c128">\n    SessionCryptoCipher aes128\n</Directory>\n')
    stock = Apache("stock", "event", body, {"c128/env.sh": CGI}, loglevel=LOGLEVEL,
                   crypto="stock")
    try:
        stock.start()
        values = {"aes256": cookie_of(stock.request("/env.sh?set=user=stock")),
                  "aes128": cookie_of(stock.request("/c128/env.sh?set=user=stock"))}
        assert all(values.values()), values
        return values
    finally:
        stock.cleanup()


def sealed_flows(srv, check, stock):
    def session(path, cookie=None, name="session"):
        return session_of(fetch(srv, path, cookie, name, check))

    alice = cookie_of(fetch(srv, "/sealed/env.sh?set=user=alice", check=check))
    check(alice is not None and is_our_format(alice), f"login sealed nothing of ours: {alice}")
    check(session("/sealed/env.sh", alice) == {"user": "alice"}, "alice's session did not open")
    admin = cookie_of(fetch(srv, "/sealed/env.sh?set=role=admin", alice, check=check))
    check(session("/sealed/env.sh", admin) == {"user": "alice", "role": "admin"}, "update lost")
    for at in (0, 3, 10, 30, len(admin) // 2, len(admin) - 1):
        check(session("/sealed/env.sh", tampered(admin, at)) == {}, f"tampered at {at} opened")
    for bad in BAD_VALUES:
        check(session("/sealed/env.sh", bad) == {}, f"bad value {bad[:20]!r} opened")
    resp = srv.request("/sealed/env.sh", [("Cookie", f"session={alice}; session={admin}")])
    check(session_of(resp) == {}, "a session cookie sent twice was loaded")
    resp = fetch(srv, "/sealed/rm/env.sh?set=n=1", admin, check=check)
    check(session_of(resp) == {"user": "alice", "role": "admin"}, "SessionCookieRemove lost it")
    check("session=" not in (resp.cgi().get("HTTP_COOKIE") or ""), "cookie not removed")
    check(session("/sealed/env.sh", cookie_of(resp)) == {"user": "alice", "role": "admin", "n": "1"},
          "update under SessionCookieRemove lost")
    # One session under two names (Set-Cookie and Set-Cookie2); read back
    # under the second only.
    resp = fetch(srv, "/sealed/two/env.sh?set=user=carol", check=check)
    carol = next((v.split(";")[0][len("session2="):] for v in resp.all("Set-Cookie2")
                  if v.startswith("session2=")), None)
    check(carol is not None and cookie_of(resp) is not None, "not written under both names")
    check(session("/sealed/two/env.sh", carol, "session2") == {"user": "carol"}, "name2")
    # SessionCryptoStockFormat Seal writes stock's format; it opens again.
    dave = cookie_of(fetch(srv, "/sealed/seal/env.sh?set=user=dave", check=check))
    check(dave is not None and is_stock_format(dave), f"Seal wrote no stock-format value: {dave}")
    check(session("/sealed/seal/env.sh", dave) == {"user": "dave"}, "Seal's value did not open")
    # Stock's values: opened and moved to our format; forged ones refused.
    check(session("/sealed/env.sh", stock["aes256"]) == {"user": "stock"}, "stock value refused")
    moved = cookie_of(fetch(srv, "/sealed/env.sh?set=n=2", stock["aes256"], check=check))
    check(session("/sealed/env.sh", moved) == {"user": "stock", "n": "2"}, "moved value lost")
    raw = bytearray(base64.b64decode(stock["aes256"]))
    for at in (0, 7, 8, 23, 24, 40, len(raw) - 1):
        raw[at] ^= 0x55
        check(session("/sealed/env.sh", std64(raw)) == {}, f"stock forgery at {at}")
        raw[at] ^= 0x55
    check(session("/sealed/env.sh", std64(raw[:40])) == {}, "truncated stock value")
    check(session("/sealed/env.sh", std64(raw[:-3])) == {}, "not whole blocks")
    check(session("/sealed/env.sh", stock["aes128"]) == {}, "wrong cipher opened")
    # Chosen plaintexts (CVE-2021-26690 and neighbours), in stock's format.
    for text, keys in ((b"&=", {}), (b"=", {}), (b"user=eve&=&&==", {"user": "eve"}),
                       (b"%zz=%&%00=1", None), (b"a=1\x00b=2", {}), (b"\xff\xfe=\x80", None)):
        seen = session("/sealed/env.sh", seal_stock(SECRET, text))
        check(keys is None or seen == keys, f"plaintext {text!r}: {seen}")
    # Expiry enforced by the seal.
    short = cookie_of(fetch(srv, "/sealed/short/env.sh?set=user=frank", check=check))
    time.sleep(2.2)
    check(session("/sealed/short/env.sh", short) == {}, "an expired value opened")
    check(re.search(NOT_OPENED + "expired", srv.error_log()) is not None, "no expiry logged")


def revocation_flows(srv, check):
    def session(path, cookie=None):
        return session_of(fetch(srv, path, cookie, check=check))

    # A logout (the session emptied) revokes its id: the copy is refused.
    bob = cookie_of(fetch(srv, "/sealed/env.sh?set=user=bob", check=check))
    check(session("/sealed/env.sh", bob) == {"user": "bob"}, "bob's session did not open")
    resp = fetch(srv, "/sealed/env.sh?set=user=", bob, check=check)
    check(any("Max-Age=0" in v for v in resp.all("Set-Cookie")), "logout kept the cookie")
    check(session("/sealed/env.sh", bob) == {}, "a logged-out copy opened")
    # Every session of a subject, from a back end's header.
    one = cookie_of(fetch(srv, "/sealed/env.sh?set=user=erin", check=check))
    two = cookie_of(fetch(srv, "/sealed/env.sh?set=user=erin", check=check))
    resp = fetch(srv, "/sealed/everywhere.sh", one, check=check)
    check(resp.get("X-Revoke") is None, "the revoke header reached the client")
    for cookie in (one, two):
        check(session("/sealed/env.sh", cookie) == {}, "a revoked subject's session opened")
    check(re.search(r"SCR0220: sealed session not opened: revoked", srv.error_log()) is not None,
          "no revocation logged")


def std64(raw):
    """Padded standard base64, as stock writes."""
    return base64.b64encode(bytes(raw)).decode()


# ------------------------------------------------------- valgrind's report --
@dataclass
class Frame:
    obj: str
    fn: str
    file: str
    line: str = ""

    def ours(self, objects):
        return (self.obj in objects or OUR_CRATE in self.fn
                or any(self.file.startswith(str(REPO / d) + "/") for d in ("src", "shim")))

    def __str__(self):
        where = f"{self.file}:{self.line}" if self.line else (self.file or "?")
        return f"{self.fn or '???'} ({where}) [{self.obj or '?'}]"


@dataclass
class Error:
    pid: str
    kind: str
    what: str
    stacks: list = field(default_factory=list)  # [[Frame]]: the error's, then aux ones

    def ours(self, objects):
        return any(f.ours(objects) for stack in self.stacks for f in stack)

    def __str__(self):
        lines = [f"pid {self.pid}: {self.kind}: {self.what}"]
        for i, stack in enumerate(self.stacks):
            lines.append("  at" if i == 0 else "  and")
            lines += [f"    {f}" for f in stack]
        return "\n".join(lines)


def frame(f):
    obj, file = f.findtext("obj"), f.findtext("file")
    return Frame(os.path.realpath(obj) if obj else "", f.findtext("fn") or "",
                 os.path.join(f.findtext("dir") or "", file) if file else "",
                 f.findtext("line") or "")


def read_reports(out):
    """(errors, finished pids): every <error> of every process's XML."""
    errors, finished = [], []
    for path in sorted(out.glob("memcheck.*.xml")):
        root = ET.parse(path).getroot()  # a truncated report fails here
        pid = root.findtext("pid")
        if any(s.findtext("state") == "FINISHED" for s in root.iter("status")):
            finished.append(pid)
        for e in root.iter("error"):
            what = e.findtext("what") or e.findtext("xwhat/text") or ""
            stacks = []
            for stack in e.iter("stack"):
                stacks.append([frame(f) for f in stack.iter("frame")])
            errors.append(Error(pid, e.findtext("kind"), what, stacks))
    return errors, finished


@dataclass
class Run:
    mpm: str
    srv: ValgrindApache
    rc: int
    checks: Checks
    errors: list
    finished: list
    log: str
    objects: set


@pytest.fixture(scope="module", params=["prefork", "event"])
def run(request):
    assert shutil.which("valgrind"), "valgrind is missing: apt-get install valgrind"
    mpm = request.param
    stock = stock_values()
    main = GROUPS["main"]
    srv = ValgrindApache(mpm, main["body"] + SEALED_BODY, {**main["files"], **SEALED_FILES})
    checks = Checks()
    try:
        srv.start()
        t0 = time.monotonic()
        plain_flows(srv, checks)
        garbage_flows(srv, checks)
        sealed_flows(srv, checks, stock)
        revocation_flows(srv, checks)
        served = time.monotonic() - t0
        rc = srv.stop()
        errors, finished = read_reports(srv.out)
        print(f"\n{mpm}: {srv.sent} requests under valgrind in {served:.1f} s")
        yield Run(mpm, srv, rc, checks, errors, finished, srv.error_log(),
                  {os.path.realpath(module_path("ours", k)) for k in ("cookie", "crypto")})
    finally:
        keep = os.environ.get("MEMCHECK_KEEP")  # a directory: keep the reports there
        if keep:
            shutil.copytree(srv.out, Path(keep) / mpm, dirs_exist_ok=True)
            shutil.copy(srv.root / "logs" / "error.log", Path(keep) / mpm / "error.log")
        srv.cleanup()


def test_every_flow_behaved(run):
    assert run.rc == 0, f"apache2 -X under valgrind exited with {run.rc}"
    assert not run.checks.failures, "\n".join(run.checks.failures)
    access = (run.srv.root / "logs" / "access.log").read_text().splitlines()
    assert len(access) == run.srv.sent, (len(access), run.srv.sent)
    assert not CRASH_LOG.search(run.log), run.log
    bad = [line for line in run.log.splitlines()
           if BAD_LOG.search(line) and not re.search(f"{CONFLICT}|{CGID_SOCKET}", line)]
    assert not bad, "\n".join(bad)


def test_valgrind_saw_our_code(run):
    """Both our files were loaded with their symbols, and allocations were
    traced through our crate's functions to our source files."""
    main = [pid for pid in run.finished if (run.srv.out / f"valgrind.{pid}.log").exists()]
    assert main, f"no finished valgrind report in {run.srv.out}"
    vlog = "".join((run.srv.out / f"valgrind.{pid}.log").read_text() for pid in main)
    for path in run.objects:
        assert f"Reading syms from {path}" in vlog, f"valgrind did not read {path}"
    xtree = "".join(p.read_text(errors="replace") for p in run.srv.out.glob("xtree.*.kcg"))
    ours = set(re.findall(rf"^c?fn=\(\d+\) ({OUR_CRATE}::\S+)", xtree, re.M))
    files = set(re.findall(rf"^c?f[il]=\(\d+\) ({re.escape(str(REPO))}/(?:src|shim)/\S+)",
                           xtree, re.M))
    assert any("session_cookie" in f for f in ours), sorted(ours)
    assert any("session_crypto" in f for f in ours), sorted(ours)
    assert files, "no allocation stack through our source files"
    assert "[session_cookie:debug]" in run.log and "[session_crypto:debug]" in run.log


def test_no_memcheck_error(run):
    """Invalid reads and writes, uninitialised values, bad frees: none,
    in our code or elsewhere (memcheck.supp holds the only exceptions,
    whose frames are all outside our files)."""
    errors = [e for e in run.errors if not e.kind.startswith("Leak_")]
    ours = [e for e in errors if e.ours(run.objects)]
    assert not ours, "memcheck errors with a frame in our code:\n" + "\n\n".join(map(str, ours))
    assert not errors, ("memcheck errors outside our files (add to memcheck.supp only after "
                        "checking our code plays no part):\n" + "\n\n".join(map(str, errors)))


def test_no_definite_leak_in_our_code(run):
    leaks = [e for e in run.errors if e.kind == "Leak_DefinitelyLost" and e.ours(run.objects)]
    assert not leaks, "definitely lost, allocated through our code:\n" + "\n\n".join(map(str, leaks))
    others = [e for e in run.errors if e.kind.startswith("Leak_") and e not in leaks]
    if others:
        print(f"\n{run.mpm}: leak records not failing the test:", *others, sep="\n")
