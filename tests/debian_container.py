"""A throw-away container of a debootstrap base image (Debian 12 bookworm or
13 trixie, with apache2 and curl, scripts/docker-base.sh) standing in for
an admin's Debian server: --init reaps Apache's processes once they exit,
and a policy-rc.d allowing every action stands in for systemd, so that
invoke-rc.d (in apache2's maintainer scripts, in a2enmod's advice) acts as
on a real server instead of refusing for want of an init system.

The system and package suites build on it. Suites import it by path:
`sys.path.insert(0, <repo>/tests)`, then `from debian_container import
DebianContainer`, as they do tests/http_client.py.
"""
import io
import secrets
import subprocess
import tarfile


class DebianContainer:
    def __init__(self, image, prefix, env=None, timeout=None):
        """A container of `image` named `prefix`-<random>; `env` goes into
        every script run in it, which may take up to `timeout` seconds
        (None: no limit)."""
        self.name = f"{prefix}-{secrets.token_hex(4)}"
        self.env = dict(env or {})
        self.timeout = timeout
        p = subprocess.run(["docker", "run", "-d", "--init", "--name", self.name, image,
                            "sleep", "infinity"], capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, f"docker run {image} failed:\n{p.stdout}{p.stderr}"
        self.sh("printf '#!/bin/sh\\nexit 0\\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d"
                " && echo 'ServerName localhost' > /etc/apache2/conf-available/servername.conf"
                " && a2enconf -q servername")

    def run(self, script, env=None):
        """(exit status, stdout + stderr) of a shell script run as root in
        the container, with this container's environment and `env`."""
        cmd = ["docker", "exec"]
        for k, v in {**self.env, **(env or {})}.items():
            cmd += ["-e", f"{k}={v}"]
        p = subprocess.run([*cmd, self.name, "sh", "-c", script], capture_output=True, text=True,
                           timeout=self.timeout)
        return p.returncode, p.stdout + p.stderr

    def sh(self, script, env=None):
        """The output of a script that must succeed."""
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
        p = subprocess.run(["docker", "cp", "-", f"{self.name}:{dest}"], input=buf.getvalue(),
                           capture_output=True, timeout=300)
        assert p.returncode == 0, f"docker cp into {self.name} failed:\n{p.stderr.decode()}"

    def write(self, path, text, mode="644"):
        """A file of `text` at `path` in the container."""
        self.sh(f"cat > {path} <<'SCR_EOF'\n{text}SCR_EOF\nchmod {mode} {path}")

    def remove(self):
        subprocess.run(["docker", "rm", "-f", self.name], capture_output=True)
