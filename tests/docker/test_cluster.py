"""Two nodes running our modules with the same secrets, behind a third httpd
as round-robin load balancer (mod_proxy_balancer, byrequests, no
stickiness); each in its own container, with its own address on a private
Docker network. The secrets file is bind-mounted into both nodes, so a
rotation step is: rewrite it, then a graceful reload of every node."""
import re
import subprocess
import time

import pytest

from conftest import http, log_in, session_cookie

OLD = "the old cluster secret, forty characters long"
NEW = "the new cluster secret, forty characters long"


@pytest.fixture
def cluster(docker, tmp_path):
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    secrets.chmod(0o755)
    (secrets / "session").write_text(OLD + "\n")
    net = docker.network()
    nodes = {name: docker.run(name, "--network", net, "-v", f"{secrets}:/run/secrets:ro",
                              env={"NODE_NAME": name})
             for name in ("a", "b")}
    for c in nodes.values():
        docker.wait_healthy(c)
    # By address, not by name: Docker's DNS forgets a stopped container, and
    # mod_proxy answers a failed lookup with 500 instead of failing over.
    members = " ".join(f"http://{docker.address(c, net)}:8080" for c in nodes.values())
    lb = docker.run("lb", "--network", net, publish=True,
                    env={"ROLE": "balancer", "BALANCER_MEMBERS": members})
    docker.wait_healthy(lb)
    yield nodes, docker.port(lb), secrets / "session"
    for c in nodes.values():
        logs = docker.logs(c)
        assert not re.search(r"\[(error|crit|alert|emerg)\]|:(error|crit)\]", logs), logs


class Client:
    """A browser-like client behind the balancer: keeps whatever cookie it
    is given and remembers which node served each response."""

    def __init__(self, port):
        self.port = port
        self.cookie = log_in(port)
        self.served_by = []

    def visit(self, path="/private/"):
        status, headers, body = http(self.port, path, self.cookie, retries=5)
        self.cookie = session_cookie(headers) or self.cookie
        self.served_by.append(headers["X-Node"])
        return status, body

    def assert_logged_in(self, *keys):
        status, body = self.visit()
        assert status == 200 and '<strong id="user">demo</strong>' in body, (status, body)
        for key in keys:
            assert f"<td>{key}</td>" in body, (key, body)


def reload_nodes(nodes):
    for c in nodes.values():
        subprocess.run(["docker", "exec", c, "apache2ctl", "graceful"], check=True,
                       capture_output=True)
    time.sleep(1)  # the new generation of children takes over


def test_session_created_on_one_node_is_read_and_updated_on_the_other(cluster):
    _, port, _ = cluster
    client = Client(port)
    for _ in range(4):
        client.assert_logged_in()
    assert set(client.served_by) == {"a", "b"}, f"not round robin: {client.served_by}"

    status, _ = client.visit("/private/?key=cart&value=3")
    assert status == 303
    updated_on = client.served_by[-1]
    for _ in range(4):  # until the other node serves a request
        client.assert_logged_in("cart")
        if client.served_by[-1] != updated_on:
            break
    assert client.served_by[-1] != updated_on, client.served_by


def test_sessions_continue_on_the_survivor_when_a_node_stops(cluster):
    nodes, port, _ = cluster
    client = Client(port)
    client.assert_logged_in()
    subprocess.run(["docker", "stop", "-t", "2", nodes["a"]], check=True, capture_output=True)
    for _ in range(6):
        client.assert_logged_in()
    assert client.served_by[-6:] == ["b"] * 6, client.served_by


def test_rolling_key_rotation_logs_nobody_out(cluster):
    nodes, port, secrets = cluster
    client = Client(port)
    client.visit("/private/?key=cart&value=3")
    for step in ([OLD, NEW], [NEW, OLD], [NEW]):  # add, switch sealing, retire
        secrets.write_text("\n".join(step) + "\n")
        reload_nodes(nodes)
        for _ in range(4):  # both nodes, each re-sealing what it serves
            client.assert_logged_in("cart")
    assert set(client.served_by[-4:]) == {"a", "b"}, client.served_by
