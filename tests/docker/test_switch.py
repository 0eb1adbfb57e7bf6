"""Switching a load-balanced cluster from stock mod_session_cookie and
mod_session_crypto to ours, one node at a time, with nobody logged out.

Two nodes behind the round-robin balancer (no stickiness), the same secrets
file. Each step is what an admin runs on a node: switch the modules with
a2dismod/a2enmod and set SessionCryptoStockFormat (the image's
`session-modules` does both), then `apache2ctl graceful`, which reads the
configuration and loads the modules anew. After each step a logged-in
client makes requests over both nodes, each node reading a cookie the other
wrote, and stays logged in with every cookie it is given."""
import base64
import re
import secrets

import pytest

from conftest import Client, assert_no_errors, graceful, http, sh, start_cluster


def our_format(value):
    """Our sealed format: unpadded base64url of a header (a version byte,
    key id, salt, not-after... at least 29 bytes), ciphertext and a 16-byte
    tag. Any version: only its being small is checked."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", value) or len(value) % 4 == 1:
        return False
    raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    return 1 <= raw[0] <= 15 and len(raw) >= 29 + 16


def stock_format(value):
    """Stock's: padded standard base64 of MAC (8) | salt (16) | IV (16) |
    AES-256-CBC ciphertext (whole blocks)."""
    if not re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", value) or len(value) % 4:
        return False
    raw = base64.b64decode(value)
    return len(raw) >= 8 + 16 + 16 + 16 and (len(raw) - 40) % 16 == 0 and not our_format(value)


def switch(docker, containers, modules, stock_format_directive):
    """`session-modules ours Seal` and so on, then a graceful restart."""
    for c in containers:
        sh("docker", "exec", c, "session-modules", modules, stock_format_directive)
    graceful(docker, containers)


def on_both_nodes(port, cookie, max_requests=6):
    """Requests /private/ with cookie until both nodes have answered;
    returns (status, headers, body) of each."""
    answers, served = [], set()
    while served != {"a", "b"}:
        assert len(answers) < max_requests, [h.get("X-Node") for _, h, _ in answers]
        answers.append(http(port, "/private/", cookie, retries=5))
        served.add(answers[-1][1].get("X-Node"))
    return answers


def requests_over_both_nodes(client, max_visits=8):
    """Visits /private/, logged in every time, until each node has read a
    cookie the other wrote since this step was applied; returns the cookies
    given meanwhile."""
    client.writer = "an earlier step"
    first_read, first_given = len(client.reads), len(client.given)
    for _ in range(max_visits):
        client.assert_logged_in()
        if {("a", "b"), ("b", "a")} <= set(client.reads[first_read:]):
            break
    reads = client.reads[first_read:]
    assert {("a", "b"), ("b", "a")} <= set(reads), f"(served by, cookie from): {reads}"
    given = client.given[first_given:]
    assert given, "no cookie was set"
    return given


@pytest.fixture
def stock_cluster(docker, tmp_path):
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    secrets_dir.chmod(0o755)
    # No spaces: stock splits SessionCryptoPassphraseFile lines into words.
    (secrets_dir / "session").write_text(secrets.token_urlsafe(32) + "\n")
    nodes, port = start_cluster(docker, secrets_dir, {"SESSION_MODULES": "stock"})
    yield nodes, port
    assert_no_errors(docker, nodes.values())


def test_switching_from_stock_node_by_node_logs_nobody_out(stock_cluster, docker):
    nodes, port = stock_cluster
    a, b = nodes["a"], nodes["b"]

    # Step 0: both nodes on stock modules; the client logs in.
    for c in nodes.values():
        enabled = sh("docker", "exec", c, "ls", "/etc/apache2/mods-enabled").split()
        assert "session_crypto.load" in enabled and "session_crypto_rs.load" not in enabled, enabled
    client = Client(port)
    given = requests_over_both_nodes(client)
    assert all(stock_format(v) for v in [client.given[0], *given]), given

    # Step 1: b on ours, sealing in stock's format: a (stock) still reads
    # what b writes.
    switch(docker, [b], "ours", "Seal")
    given = requests_over_both_nodes(client)
    assert all(stock_format(v) for v in given), given
    saved = client.cookie  # stock's format, for step 4

    # Step 2: a on ours, sealing in stock's format too: all nodes ours.
    switch(docker, [a], "ours", "Seal")
    given = requests_over_both_nodes(client)
    assert all(stock_format(v) for v in given), given

    # Step 3: all nodes Open: each session moves to our format the next
    # time it is written; stock-format values still open.
    switch(docker, [a, b], "ours", "Open")
    given = requests_over_both_nodes(client)
    assert all(our_format(v) for v in given), given
    for status, _, body in on_both_nodes(port, saved):
        assert status == 200 and '<strong id="user">demo</strong>' in body, (status, body)

    # Step 4: all nodes Off: the client, re-sealed in our format, stays
    # logged in; a value in stock's format no longer opens.
    switch(docker, [a, b], "ours", "Off")
    given = requests_over_both_nodes(client)
    assert all(our_format(v) for v in given), given
    for status, headers, _ in on_both_nodes(port, saved):
        assert status == 302 and headers.get("Location").endswith("/login.html"), (status, headers.headers)
