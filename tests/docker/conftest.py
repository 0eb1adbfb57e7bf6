"""Docker fixtures: the base image (built from Debian packages, cached), the
image built from docker/Dockerfile with the host-built module, and
containers/networks that are removed after each test; the load-balanced
cluster and the browser-like client the cluster tests share."""
import json
import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO / "tests"))
from http_client import raw_request  # noqa: E402
IMAGE = "mod-session-cookie-rs:test"


def sh(*cmd, check=True):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if check:
        assert p.returncode == 0, f"{' '.join(cmd)} failed:\n{p.stdout}{p.stderr}"
    return p.stdout.strip()


@pytest.fixture(scope="session")
def image():
    assert shutil.which("docker"), "docker is missing: the container tests need a Docker engine"
    if not all((REPO / f"target/module/mod_session_{m}_rs.so").exists() for m in ("cookie", "crypto")):
        sh(str(REPO / "scripts/build.sh"))
    base = sh(str(REPO / "scripts/docker-base.sh")).splitlines()[-1]
    sh("docker", "build", "-q", "--build-arg", f"BASE={base}", "-f", str(REPO / "docker/Dockerfile"),
       "-t", IMAGE, str(REPO))
    # The previous build of this tag is left untagged: remove ours only.
    sh("docker", "image", "prune", "-f", "--filter", "label=org.opencontainers.image.title=mod-session-cookie-rs")
    return IMAGE


class Docker:
    """Containers and networks of one test, all removed at its end."""

    def __init__(self, image):
        self.image = image
        self.prefix = f"scr-{secrets.token_hex(4)}"
        self.containers, self.networks = [], []

    def network(self):
        name = f"{self.prefix}-net"
        sh("docker", "network", "create", name)
        self.networks.append(name)
        return name

    def run(self, name, *args, env=None, publish=False, healthcheck=True):
        """Starts a container of the image; healthcheck=False for one that
        serves no HTTP (ROLE=redis)."""
        full = f"{self.prefix}-{name}"
        # The image's HEALTHCHECK, run every second rather than every 5 s,
        # so that wait_healthy returns soon after a container is ready.
        cmd = ["docker", "run", "-d", "--name", full]
        cmd += ["--health-interval", "1s"] if healthcheck else ["--no-healthcheck"]
        for k, v in (env or {}).items():
            cmd += ["-e", f"{k}={v}"]
        if publish:
            cmd += ["-p", "127.0.0.1::8080"]
        sh(*cmd, *args, self.image)
        self.containers.append(full)
        return full

    def port(self, container):
        return int(sh("docker", "port", container, "8080/tcp").splitlines()[0].rsplit(":", 1)[1])

    def address(self, container, network):
        nets = json.loads(sh("docker", "inspect", container))[0]["NetworkSettings"]["Networks"]
        return nets[network]["IPAddress"]

    def wait_healthy(self, container, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            state = json.loads(sh("docker", "inspect", container))[0]["State"]
            if state.get("Health", {}).get("Status") == "healthy":
                return
            assert state["Running"], f"{container} exited:\n{self.logs(container)}"
            assert time.monotonic() < deadline, f"{container} not healthy:\n{self.logs(container)}"
            time.sleep(0.5)

    def logs(self, container):
        p = subprocess.run(["docker", "logs", container], capture_output=True, text=True)
        return p.stdout + p.stderr

    def cleanup(self):
        for c in self.containers:
            subprocess.run(["docker", "rm", "-f", c], capture_output=True)
        for n in self.networks:
            subprocess.run(["docker", "network", "rm", n], capture_output=True)


@pytest.fixture
def docker(image):
    d = Docker(image)
    try:
        yield d
    finally:
        d.cleanup()


def http(port, path, cookie=None, data=None, retries=0):
    """(status, the Response, body text), redirects not followed; `data` is
    a form POST. Retries a refused connection `retries` times."""
    headers = [("Cookie", f"session={cookie}")] if cookie else []
    if data is not None:
        headers.append(("Content-Type", "application/x-www-form-urlencoded"))
    for attempt in range(retries + 1):
        try:
            resp = raw_request(port, path, headers, "POST" if data is not None else "GET",
                               data or b"")
            return resp.status, resp, resp.body.decode()
        except OSError:
            if attempt == retries:
                raise
            time.sleep(0.5)


def session_cookie(headers):
    for value in headers.all("Set-Cookie"):
        if value.startswith("session="):
            return value.split(";")[0][len("session="):]
    return None


def log_in(port, retries=0):
    """The session cookie a successful login sets, and the response headers."""
    status, headers, _ = http(port, "/login", data=b"httpd_username=demo&httpd_password=demo-password",
                              retries=retries)
    assert status == 302 and headers.get("Location").endswith("/private/"), (status, headers.headers)
    cookie = session_cookie(headers)
    assert cookie, headers.headers
    return cookie, headers


def start_cluster(docker, secrets_dir, node_env=None, net=None):
    """Nodes a and b (the demo, secrets bind-mounted from secrets_dir, extra
    environment node_env) behind a third container as round-robin balancer
    (no stickiness), on a private network (`net`, or a new one). Returns
    ({name: container}, the balancer's port on 127.0.0.1)."""
    net = net or docker.network()
    nodes = {name: docker.run(name, "--network", net, "-v", f"{secrets_dir}:/run/secrets:ro",
                              env={"NODE_NAME": name, **(node_env or {})})
             for name in ("a", "b")}
    for c in nodes.values():
        docker.wait_healthy(c)
    # By address, not by name: Docker's DNS forgets a stopped container, and
    # mod_proxy answers a failed lookup with 500 instead of failing over.
    members = " ".join(f"http://{docker.address(c, net)}:8080" for c in nodes.values())
    lb = docker.run("lb", "--network", net, publish=True,
                    env={"ROLE": "balancer", "BALANCER_MEMBERS": members})
    docker.wait_healthy(lb)
    return nodes, docker.port(lb)


def assert_no_errors(docker, containers):
    for c in containers:
        logs = docker.logs(c)
        assert not re.search(r"\[(error|crit|alert|emerg)\]|:(error|crit)\]|egmentation fault|exit signal",
                             logs), logs


RESTARTED = "resuming normal operations"


def graceful(docker, containers):
    """apache2ctl graceful in each container; returns once each has read its
    configuration (and loaded its modules) again and the previous generation
    of children has had time to stop taking requests."""
    for c in containers:
        before = docker.logs(c).count(RESTARTED)
        sh("docker", "exec", c, "apache2ctl", "graceful")
        deadline = time.monotonic() + 20
        while docker.logs(c).count(RESTARTED) == before:
            assert time.monotonic() < deadline, f"{c} did not restart:\n{docker.logs(c)}"
            time.sleep(0.2)
    time.sleep(1)


class Client:
    """A browser-like client behind the balancer: keeps whatever cookie it
    is given and remembers which node served each response and which node
    wrote the cookie each request carried."""

    def __init__(self, port):
        self.port = port
        self.cookie, headers = log_in(port, retries=5)
        self.writer = headers.get("X-Node")   # the node that set self.cookie
        self.given = [self.cookie]        # every cookie set, in order
        self.served_by = []
        self.reads = []                   # (node serving, node that wrote the cookie sent)

    def visit(self, path="/private/"):
        status, headers, body = http(self.port, path, self.cookie, retries=5)
        node = headers.get("X-Node")
        self.served_by.append(node)
        self.reads.append((node, self.writer))
        cookie = session_cookie(headers)
        if cookie:
            self.cookie, self.writer = cookie, node
            self.given.append(cookie)
        return status, body

    def assert_logged_in(self, *keys):
        status, body = self.visit()
        assert status == 200 and '<strong id="user">demo</strong>' in body, (status, body)
        for key in keys:
            assert f"<td>{key}</td>" in body, (key, body)

