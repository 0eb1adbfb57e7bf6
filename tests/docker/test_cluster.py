"""Two nodes running our modules with the same secrets, behind a third httpd
as round-robin load balancer (mod_proxy_balancer, byrequests, no
stickiness); each in its own container, with its own address on a private
Docker network. The secrets file is bind-mounted into both nodes, so a
rotation step is: rewrite it, then a graceful reload of every node."""
import subprocess
import time

import pytest

from conftest import Client, assert_no_errors, graceful, http, session_cookie, sh, start_cluster

OLD = "the old cluster secret, forty characters long"
NEW = "the new cluster secret, forty characters long"


@pytest.fixture
def cluster(docker, tmp_path):
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    secrets.chmod(0o755)
    (secrets / "session").write_text(OLD + "\n")
    nodes, port = start_cluster(docker, secrets)
    yield nodes, port, secrets / "session"
    assert_no_errors(docker, nodes.values())


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


def test_rolling_key_rotation_logs_nobody_out(cluster, docker):
    nodes, port, secrets = cluster
    client = Client(port)
    client.visit("/private/?key=cart&value=3")
    for step in ([OLD, NEW], [NEW, OLD], [NEW]):  # add, switch sealing, retire
        secrets.write_text("\n".join(step) + "\n")
        graceful(docker, nodes.values())
        for _ in range(4):  # both nodes, each re-sealing what it serves
            client.assert_logged_in("cart")
    assert set(client.served_by[-4:]) == {"a", "b"}, client.served_by


def start_redis(docker, net):
    """A redis container (the image, ROLE=redis: Debian's redis-server) on
    `net`; its address once it answers."""
    redis = docker.run("redis", "--network", net, env={"ROLE": "redis"}, healthcheck=False)
    deadline = time.monotonic() + 30
    while sh("docker", "exec", redis, "redis-cli", "ping", check=False) != "PONG":
        assert time.monotonic() < deadline, f"redis did not start:\n{docker.logs(redis)}"
        time.sleep(0.3)
    return docker.address(redis, net)


def test_logout_through_the_balancer_revokes_the_copy_on_every_node(docker, tmp_path):
    """Both nodes keep revocations in one redis (REVOCATION_STORE): a copy of
    the cookie kept before the logout opens on neither node afterwards,
    whichever node served the logout."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    secrets.chmod(0o755)
    (secrets / "session").write_text(OLD + "\n")
    net = docker.network()
    address = start_redis(docker, net)
    nodes, port = start_cluster(docker, secrets, {"REVOCATION_STORE": f"redis:{address}:6379"},
                                net=net)
    client = Client(port)
    for _ in range(2):  # both nodes open it, before the logout
        client.assert_logged_in()
    assert set(client.served_by) == {"a", "b"}, client.served_by
    copy = client.cookie
    status, headers, _ = http(port, "/logout", copy)
    assert status == 307 and session_cookie(headers) == "", "logout did not remove the cookie"
    served = set()
    for _ in range(4):
        status, headers, _ = http(port, "/private/", copy)
        served.add(headers.get("X-Node"))
        assert status == 302 and headers.get("Location").endswith("/login.html"), (
            "a copy of the logged-out cookie still opens", status, headers.headers)
    assert served == {"a", "b"}, served
    # A new login works, on both nodes.
    again = Client(port)
    for _ in range(2):
        again.assert_logged_in()
    assert_no_errors(docker, nodes.values())
