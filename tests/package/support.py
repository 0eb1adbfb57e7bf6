"""Helpers of the packaging tests: scripts/package.sh, and containers of
the debootstrap base image (Debian's apache2) the packages are installed
into. A module of the tests/package package, not `conftest`, so that it
never shadows tests/docker's conftest when both suites run together."""
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO / "tests"))
from debian_container import DebianContainer  # noqa: E402
PACKAGE = "libapache2-mod-session-cookie-rs"


def sh(*cmd, check=True, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=None if env is None else {**os.environ, **env})
    if check:
        assert p.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{p.stdout}{p.stderr}"
    return p.stdout.strip()


def package(*args, **env):
    """scripts/package.sh's last line: the path of what it built. The
    modules are built first only when missing, as tests/docker does
    (scripts/test.sh builds them before any test)."""
    built = all((REPO / f"target/module/mod_session_{m}_rs.so").exists() for m in ("cookie", "crypto"))
    if built:
        env["PACKAGE_NO_BUILD"] = "1"
    path = Path(sh(str(REPO / "scripts/package.sh"), *args, env=env).splitlines()[-1])
    assert path.is_file() and path.is_relative_to(REPO / "target"), path
    return path


class Container(DebianContainer):
    """The base image's container (tests/debian_container.py) as the
    package tests use it: apt-get non-interactive, files copied in, Apache
    waited for and asked over HTTP."""

    def __init__(self, image):
        super().__init__(image, "scr-pkg", env={"DEBIAN_FRONTEND": "noninteractive"})

    def copy_in(self, path, dest="/tmp/"):
        sh("docker", "cp", str(path), f"{self.name}:{dest}")
        return dest + Path(path).name

    def apt(self, *args):
        """apt-get as an admin runs it, non-interactively; its output."""
        return self.sh("apt-get -y -q " + " ".join(args))

    def apache_pid(self):
        return self.sh("cat /var/run/apache2/apache2.pid").strip()

    def wait_http(self, timeout=20):
        deadline = time.monotonic() + timeout
        while self.run("curl -fsS -o /dev/null http://127.0.0.1/")[0] != 0:
            assert time.monotonic() < deadline, self.sh("tail -n 20 /var/log/apache2/error.log")
            time.sleep(0.2)

    def curl(self, path, cookie=None):
        """(headers, body) of a GET on the container's Apache."""
        extra = f"-H 'Cookie: session={cookie}'" if cookie else ""
        out = self.sh(f"curl -sS -D /tmp/headers {extra} 'http://127.0.0.1{path}'; echo; echo '--headers--'; cat /tmp/headers")
        body, headers = out.split("--headers--\n", 1)
        return headers, body
