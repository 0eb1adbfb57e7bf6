"""Helpers of the system test: a throw-away container of the debootstrap
base image (Debian bookworm with apache2 and curl, scripts/docker-base.sh)
standing in for an admin's Debian server, and the admin's copy of this
project in it. A module of the tests/system package, not `conftest`, so
that it never shadows another suite's conftest when suites run together.
(The container lines follow tests/package/support.py's Container; they are
copied rather than imported so that this suite also runs alone.)"""
import io
import secrets
import subprocess
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
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


class Container:
    """A bookworm container with Debian's apache2 (no apache2-dev, so no
    apxs), as a server an admin runs: --init reaps Apache's processes once
    apache2ctl stop has them exit, and a policy-rc.d allowing every action
    stands in for systemd. Apache's ports are the container's own."""

    def __init__(self, image):
        self.name = f"scr-sys-{secrets.token_hex(4)}"
        sh("docker", "run", "-d", "--init", "--name", self.name, image, "sleep", "infinity")
        self.sh("printf '#!/bin/sh\\nexit 0\\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d"
                " && echo 'ServerName localhost' > /etc/apache2/conf-available/servername.conf"
                " && a2enconf -q servername")

    def run(self, script, env=None):
        """(exit status, stdout + stderr) of a shell script run as root in the container."""
        cmd = ["docker", "exec"]
        for k, v in (env or {}).items():
            cmd += ["-e", f"{k}={v}"]
        p = subprocess.run([*cmd, self.name, "sh", "-c", script], capture_output=True, text=True, timeout=120)
        return p.returncode, p.stdout + p.stderr

    def sh(self, script, env=None):
        rc, out = self.run(script, env)
        assert rc == 0, f"{script!r} exited {rc}:\n{out}"
        return out

    def put(self, files, dest):
        """files ({relative path: local file}) into dest, owned by root,
        modes kept (one tar through `docker cp -`)."""
        self.sh(f"mkdir -p {dest}")
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for rel, path in files.items():
                info = tar.gettarinfo(str(path), arcname=rel)
                info.uid = info.gid = 0
                info.uname = info.gname = "root"
                with open(path, "rb") as f:
                    tar.addfile(info, f)
        sh("docker", "cp", "-", f"{self.name}:{dest}", input=buf.getvalue())

    def write(self, path, text, mode="644"):
        self.sh(f"cat > {path} <<'SCR_EOF'\n{text}SCR_EOF\nchmod {mode} {path}")

    def remove(self):
        subprocess.run(["docker", "rm", "-f", self.name], capture_output=True)
