"""Two nodes running our modules with the same secrets, behind a third httpd
as round-robin load balancer (mod_proxy_balancer, byrequests, no
stickiness); each in its own container, with its own address on a private
Docker network. The secrets file is bind-mounted into both nodes, so a
rotation step is: rewrite it, then a graceful reload of every node."""
import subprocess

import pytest

from conftest import Client, assert_no_errors, graceful, start_cluster

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
