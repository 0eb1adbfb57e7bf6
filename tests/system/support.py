"""Helpers of the system test: a throw-away container of a debootstrap
base image (Debian 12 or 13 with apache2 and curl, scripts/docker-base.sh)
standing in for an admin's Debian server, and the admin's copy of this
project in it. A module of the tests/system package, not `conftest`, so
that it never shadows another suite's conftest when suites run together.
The container itself is tests/debian_container.py's, shared with the
package tests."""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO / "tests"))
from debian_container import DebianContainer  # noqa: E402

# Where the admin's copy of the project goes in the container.
TREE = "/opt/mod_session_cookie_rs"
MODULE_FILES = ("mod_session_cookie_rs.so", "mod_session_crypto_rs.so")


def sh(*cmd, check=True, input=None):
    p = subprocess.run(cmd, capture_output=True, input=input, timeout=300)
    out = p.stdout.decode(errors="replace")
    if check:
        assert p.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{out}{p.stderr.decode(errors='replace')}"
    return out.strip()


def admin_tree():
    """What an admin has of the project, {path in the tree: file on this
    machine}: the two scripts, conf/ and the two built modules. Not
    scripts/build.sh: install.sh must find the modules built."""
    files = {f"scripts/{s}": REPO / "scripts" / s for s in ("install.sh", "uninstall.sh")}
    files |= {str(p.relative_to(REPO)): p for p in sorted((REPO / "conf").rglob("*")) if p.is_file()}
    files |= {f"target/module/{so}": REPO / "target/module" / so for so in MODULE_FILES}
    return files


class Container(DebianContainer):
    """The base image's container (tests/debian_container.py; no
    apache2-dev, so no apxs), as the system test uses it: an admin's tree
    put in, files written. Apache's ports are the container's own."""

    def __init__(self, image):
        super().__init__(image, "scr-sys", timeout=120)
