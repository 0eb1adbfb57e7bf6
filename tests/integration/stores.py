"""Revocation stores for the integration tests: real memcached and
redis-server (Debian's packages) on 127.0.0.1, as subprocesses on free
ports, each with stop()/start() for the fault tests, and shmcb (inside
httpd, nothing to run). Each store knows the LoadModule line of its
mod_socache provider and its SessionCryptoRevocationStore argument.

A missing binary fails the test (assert), never skips it.
"""
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from harness import MODDIR
from http_client import free_port, listening

MEMCACHED = "/usr/bin/memcached"
REDIS = "/usr/bin/redis-server"


def socache_load_line(provider):
    """LoadModule line of the mod_socache provider `provider` (shmcb,
    memcache, redis); it must come before SessionCryptoRevocationStore."""
    path = f"{MODDIR}/mod_socache_{provider}.so"
    assert os.path.exists(path), f"{path} is missing (Debian's apache2 ships it)"
    return f"LoadModule socache_{provider}_module {path}"


class Shmcb:
    """shmcb: shared memory inside one httpd; `path` (optional) is the
    file form "shmcb:/path/file(bytes)"."""
    name = "shmcb"

    def __init__(self, path=None, size=512000):
        self.spec = f'"shmcb:{path}({size})"' if path else "shmcb"
        self.load_line = socache_load_line("shmcb")

    def __repr__(self):
        return f"<shmcb {self.spec}>"


class Daemon:
    """A store server on a free port, stopped and started again on the same
    port (and, for redis, the same data directory)."""
    name = provider = binary = package = None

    def __init__(self):
        assert os.path.exists(self.binary), (
            f"{self.binary} is missing: apt-get install {self.package}")
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix=f"scr-{self.name}-"))
        os.chmod(self.dir, 0o755)
        self.proc = None
        self.log = None
        self.load_line = socache_load_line(self.provider)
        self.spec = f"{self.provider}:127.0.0.1:{self.port}"

    def command(self):
        raise NotImplementedError

    def start(self, timeout=10):
        assert self.proc is None, f"{self!r} is running already"
        self.log = open(self.dir / f"{self.name}.log", "ab")
        self.proc = subprocess.Popen(self.command(), stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while not listening(self.port):
            if self.proc.poll() is not None:
                raise AssertionError(f"{self!r} exited at startup rc={self.proc.returncode}:\n"
                                     f"{self.output()}")
            assert time.monotonic() < deadline, f"{self!r} did not listen:\n{self.output()}"
            time.sleep(0.05)
        return self

    def stop(self):
        """Stops the server (SIGTERM: redis writes its append-only file) and
        waits until the port refuses connections."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.log.close()
        deadline = time.monotonic() + 5
        while listening(self.port):
            assert time.monotonic() < deadline, f"{self!r} still listens after stop"
            time.sleep(0.05)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def output(self):
        try:
            return (self.dir / f"{self.name}.log").read_text(errors="replace")[-4000:]
        except FileNotFoundError:
            return ""

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __repr__(self):
        return f"<{self.name} 127.0.0.1:{self.port}>"


class Memcached(Daemon):
    name, provider, binary, package = "memcached", "memcache", MEMCACHED, "memcached"

    def command(self):
        cmd = [self.binary, "-l", "127.0.0.1", "-p", str(self.port), "-U", "0"]
        if os.geteuid() == 0:  # memcached refuses to run as root without -u
            cmd += ["-u", "root"]
        return cmd


class Redis(Daemon):
    name, provider, binary, package = "redis", "redis", REDIS, "redis-server"

    def command(self):
        # appendonly: a redis restarted with the same --dir keeps what was
        # written before it stopped (the revocations of the fault tests).
        return [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "yes", "--dir", str(self.dir)]


def started(kind):
    store = kind()
    try:
        store.start()
    except BaseException:
        store.cleanup()
        raise
    return store


# --------------------------------------------------------------- fixtures --
# Import them into a test module (`from stores import memcached, redis`).
@pytest.fixture(scope="module")
def memcached():
    """A memcached for the whole test module."""
    store = started(Memcached)
    yield store
    store.cleanup()


@pytest.fixture(scope="module")
def redis():
    """A redis-server (append-only) for the whole test module."""
    store = started(Redis)
    yield store
    store.cleanup()


@pytest.fixture
def fresh_memcached():
    """A memcached of one test's own, free to stop and start."""
    store = started(Memcached)
    yield store
    store.cleanup()


@pytest.fixture
def fresh_redis():
    """A redis-server of one test's own, free to stop and start."""
    store = started(Redis)
    yield store
    store.cleanup()
