"""Start a real /usr/sbin/apache2 with a generated config, talk raw HTTP/1.1 to it.

One job: an `Apache` instance = a fresh temp ServerRoot + config + process.
Nothing here knows about individual tests; see conftest.py for fixtures.
"""
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from http_client import Response, free_port, listening, raw_request  # noqa: E402,F401

APACHE = "/usr/sbin/apache2"
MODDIR = "/usr/lib/apache2/modules"
HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CGI_SOURCE = HERE / "cgi" / "env.sh"
STOCK_MODULES = {"cookie": f"{MODDIR}/mod_session_cookie.so",
                 "crypto": f"{MODDIR}/mod_session_crypto.so"}
DEFAULT_LOGLEVEL = "warn session:debug session_cookie:debug"
CGI = object()  # marker in `files`: install a copy of cgi/env.sh here

# A child that died of a signal: httpd's parent logs "exit signal", the
# kernel's name for the signal may follow ("Segmentation fault").
CRASH_LOG = re.compile(r"Segmentation fault|exit signal|panicked")
# Lines that fail a test unless whitelisted with Apache.expect_log().
BAD_LOG = re.compile(r"\[(error|crit|alert|emerg)\]|:(error|crit|alert|emerg)\]"
                     r"|Segmentation fault|exit signal|panicked")


def ours_module(kind="cookie"):
    """Our `cookie` or `crypto` module file (SCR_MODULE_DIR: where they are)."""
    where = Path(os.environ.get("SCR_MODULE_DIR") or REPO / "target/module")
    return str(where / f"mod_session_{kind}_rs.so")


def module_path(impl, kind="cookie"):
    """`stock` or `ours` -> the .so of session_`kind`_module; fails loudly
    (never skips) when missing."""
    path = STOCK_MODULES[kind] if impl == "stock" else ours_module(kind)
    assert os.path.exists(APACHE), f"{APACHE} is missing: install apache2"
    assert os.path.exists(path), (
        f"session_{kind} module for '{impl}' not found at {path} "
        "(build it with scripts/build.sh or set SCR_MODULE_DIR)")
    return path


@dataclass(frozen=True)
class Mix:
    """Which session_cookie_module and session_crypto_module (stock or ours)
    a server loads, and in which order. crypto=None loads no crypto module."""
    cookie: str = "ours"
    crypto: str = None
    crypto_first: bool = False

    def load_lines(self):
        lines = [f'LoadModule session_cookie_module "{module_path(self.cookie)}"']
        if self.crypto:
            crypto = f'LoadModule session_crypto_module "{module_path(self.crypto, "crypto")}"'
            lines.insert(0 if self.crypto_first else 1, crypto)
        return "\n".join(lines)

    def __str__(self):
        if not self.crypto:
            return f"cookie:{self.cookie}"
        first, second = (("crypto", "cookie") if self.crypto_first else ("cookie", "crypto"))
        return f"{first}:{getattr(self, first)}+{second}:{getattr(self, second)}"


# Every mix of our modules with stock's an admin can load, in both orders.
MIXES = [Mix(cookie, crypto, first)
         for cookie, crypto in (("ours", "ours"), ("ours", "stock"), ("stock", "ours"))
         for first in (False, True)]


def child_pids(parent):
    """PIDs of the processes whose parent is `parent`."""
    kids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            ppid = next(line.split()[1] for line in status.read_text().splitlines()
                        if line.startswith("PPid:"))
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
        if int(ppid) == parent:
            kids.append(int(status.parent.name))
    return sorted(kids)


BASE_CONF = """\
ServerRoot "{root}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{root}/run/httpd.pid"
DefaultRuntimeDir "{root}/run"
Mutex file:{root}/run default
ErrorLog "{root}/logs/error.log"
CoreDumpDirectory "{root}/cores"
LogLevel {loglevel}
{user}
LoadModule mpm_{mpm}_module {moddir}/mod_mpm_{mpm}.so
{mpm_conf}
LoadModule authz_core_module {moddir}/mod_authz_core.so
LoadModule authz_user_module {moddir}/mod_authz_user.so
LoadModule authn_core_module {moddir}/mod_authn_core.so
LoadModule authn_file_module {moddir}/mod_authn_file.so
LoadModule mime_module {moddir}/mod_mime.so
LoadModule dir_module {moddir}/mod_dir.so
LoadModule alias_module {moddir}/mod_alias.so
LoadModule rewrite_module {moddir}/mod_rewrite.so
LoadModule headers_module {moddir}/mod_headers.so
LoadModule env_module {moddir}/mod_env.so
LoadModule request_module {moddir}/mod_request.so
LoadModule session_module {moddir}/mod_session.so
{session_modules}
LoadModule auth_form_module {moddir}/mod_auth_form.so
TypesConfig /dev/null
DocumentRoot "{docroot}"
<Directory "{docroot}">
    Options +ExecCGI
    AddHandler cgi-script .sh
    AllowOverride AuthConfig
    Require all granted
</Directory>

{body}
"""
MPM_CONF = {
    "event": 'LoadModule cgid_module {moddir}/mod_cgid.so\nScriptSock "{root}/run/cgid.sock"\n'
             "StartServers 1\nServerLimit 2\nThreadsPerChild 25\nMaxRequestWorkers 50\n"
             "MinSpareThreads 5\nMaxSpareThreads 50\n",
    "prefork": "LoadModule cgi_module {moddir}/mod_cgi.so\n"
               "StartServers 2\nMinSpareServers 1\nMaxSpareServers 4\nMaxRequestWorkers 8\n",
}




def allow_cores():
    """In the child that becomes httpd: no limit on core size."""
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


class Apache:
    """A real apache2 on a free 127.0.0.1 port in a fresh temp ServerRoot.

    files: {relative path under DocumentRoot: str content or CGI}.
    `{docroot}` and `{root}` in body and file contents are substituted.
    """

    def __init__(self, impl="ours", mpm="event", body="", files=None,
                 loglevel=DEFAULT_LOGLEVEL, crypto=None, crypto_first=False):
        """impl: the session_cookie_module (`stock` or `ours`); crypto: the
        session_crypto_module, if any; crypto_first: load it first."""
        assert mpm in MPM_CONF, mpm
        self.impl, self.mpm = impl, mpm
        self.mix = Mix(impl, crypto, crypto_first)
        self.root = Path(tempfile.mkdtemp(prefix=f"scr-{impl}-{mpm}-"))
        self.docroot = self.root / "htdocs"
        self.port = free_port()
        self.proc = None
        self.log_offset = 0
        self.allowed = []  # regexes whitelisted for the current test
        for d in ("conf", "logs", "run", "htdocs", "cores"):
            (self.root / d).mkdir()
        self._write_files({"env.sh": CGI, **(files or {})})
        self.conf = self.root / "conf" / "httpd.conf"
        self.conf.write_text(self.render(body, loglevel))
        for p in [self.root, *self.root.rglob("*")]:  # www-data must read it
            if p.is_dir() or p.suffix == ".sh":
                p.chmod(0o755)
            else:
                p.chmod(0o644)
        (self.root / "cores").chmod(0o1777)  # and write its cores here

    def subst(self, text):
        return text.replace("{docroot}", str(self.docroot)).replace("{root}", str(self.root))

    def render(self, body, loglevel=DEFAULT_LOGLEVEL):
        fmt = dict(root=self.root, port=self.port, mpm=self.mpm, moddir=MODDIR,
                   session_modules=self.mix.load_lines(), docroot=self.docroot, loglevel=loglevel,
                   user="User www-data\nGroup www-data" if os.geteuid() == 0 else "")
        fmt["mpm_conf"] = MPM_CONF[self.mpm].format(**fmt)
        return BASE_CONF.format(**fmt, body=self.subst(body))

    def _write_files(self, files):
        for rel, content in files.items():
            path = self.docroot / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if content is CGI:
                shutil.copy(CGI_SOURCE, path)
            else:
                path.write_text(self.subst(content))

    # -- lifecycle ---------------------------------------------------------
    def configtest(self, body=None):
        """apache2 -t on this server's config (or on `body` instead): (rc, output)."""
        conf = self.conf
        if body is not None:
            conf = self.root / "conf" / f"test-{time.monotonic_ns()}.conf"
            conf.write_text(self.render(body))
        p = subprocess.run([APACHE, "-t", "-f", str(conf)], capture_output=True, text=True)
        return p.returncode, p.stdout + p.stderr

    def start(self):
        return self.launch([APACHE, "-f", str(self.conf), "-DFOREGROUND"], 15,
                           f"apache2 ({self.impl}/{self.mpm})")

    def launch(self, cmd, timeout, what):
        """Runs `cmd` (httpd serving this configuration, perhaps under a
        tool) and waits up to `timeout` seconds until it accepts on the port;
        `what` names it in the failure."""
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     # apache2 signals its whole process group on
                                     # shutdown: keep pytest out of it
                                     start_new_session=True,
                                     # a crashing child leaves a core (CoreDumpDirectory)
                                     preexec_fn=allow_cores)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read().decode(errors="replace")
                raise AssertionError(f"{what} exited at startup "
                                     f"rc={self.proc.returncode}:\n{out}\n{self.error_log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise AssertionError(f"{what} did not answer on port {self.port}:\n{self.error_log()}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM to the parent we started = apache2 -k stop
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.proc.stdout.close()
        self.proc = None

    def children(self):
        """PIDs of the running server's children: its workers, and mod_cgid's
        daemon under the event MPM."""
        assert self.proc and self.proc.poll() is None, f"{self!r} is not running"
        return child_pids(self.proc.pid)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- requests ----------------------------------------------------------
    def request(self, path, headers=(), method="GET", body=b""):
        return raw_request(self.port, path, headers, method, body)

    # -- error log -----------------------------------------------------------
    def error_log(self):
        try:
            return (self.root / "logs" / "error.log").read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def new_log(self):
        """Log text written since the last mark_log()."""
        return self.error_log()[self.log_offset:]

    def mark_log(self):
        self.log_offset = len(self.error_log())
        self.allowed = []

    def expect_log(self, regex, timeout=2.0):
        """Assert a line matching `regex` appears (since the last mark) and
        whitelist it for the bad-line check."""
        deadline = time.monotonic() + timeout
        while not any(re.search(regex, l) for l in self.new_log().splitlines()):
            assert time.monotonic() < deadline, (
                f"{self.impl}/{self.mpm}: no log line matches {regex!r}:\n{self.new_log()}")
            time.sleep(0.05)
        self.allowed.append(regex)

    def core_backtraces(self):
        """gdb's backtrace of every core a crashed child left (the keys
        themselves are on pages left out of cores)."""
        traces = []
        seen = self.root / "cores" / "seen"
        for core in sorted((self.root / "cores").glob("core*")):
            out = subprocess.run(["gdb", "-batch", "-ex", "thread apply all bt", APACHE,
                                  str(core)], capture_output=True, text=True, timeout=120)
            traces.append(f"{core}:\n{out.stdout[-6000:]}{out.stderr[-1000:]}")
            seen.mkdir(exist_ok=True)
            core.rename(seen / core.name)  # reported once
        return traces

    def bad_log_lines(self):
        return [l for l in self.new_log().splitlines()
                if BAD_LOG.search(l) and not any(re.search(a, l) for a in self.allowed)]

    def __repr__(self):
        return f"<Apache {self.mix}/{self.mpm} :{self.port}>"
