"""Helpers of the packaging tests: scripts/package.sh, and containers of
the debootstrap base images (Debian 12 and 13, with Debian's apache2) the
packages are installed into. A module of the tests/package package, not
`conftest`, so that it never shadows tests/docker's conftest when both
suites run together."""
import functools
import os
import shutil
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


@functools.cache
def base_image_of(suite):
    """scripts/docker-base.sh's image of a Debian release (bookworm, trixie):
    built once, then cached by Docker under a tag naming the suite."""
    assert shutil.which("docker"), "docker is missing: the package tests need a Docker engine"
    tag = sh(str(REPO / "scripts/docker-base.sh"), suite).splitlines()[-1]
    assert tag.startswith(f"mod-session-cookie-rs-base:{suite}-"), tag
    return tag


@functools.cache
def lintian_image_of(suite):
    """The release's base image with the release's own lintian, installed
    by apt-get in a container of it from the release's archive, committed
    once (the download and install take about 45 s) under a tag naming the
    base image's id: a rebuilt base image gets a lintian image of its own."""
    base = base_image_of(suite)
    base_id = sh("docker", "image", "inspect", "-f", "{{.Id}}", base).removeprefix("sha256:")
    tag = f"mod-session-cookie-rs-lintian:{suite}-{base_id[:12]}"
    if subprocess.run(["docker", "image", "inspect", tag], capture_output=True).returncode != 0:
        c = Container(base)
        try:
            c.apt("update")
            c.apt("install", "lintian")
            c.sh("apt-get clean && rm -rf /var/lib/apt/lists/*")  # as the base image: no lists, no .debs
            sh("docker", "commit", c.name, tag)
        finally:
            c.remove()
    return tag


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
