"""The image from docker/Dockerfile: the demo in a container, reached over
HTTP from the host."""
from conftest import http, log_in, session_cookie


def test_demo_in_a_container(docker):
    c = docker.run("demo", publish=True)
    docker.wait_healthy(c)
    port = docker.port(c)

    assert http(port, "/private/")[0] == 302
    cookie, _ = log_in(port)
    status, _, body = http(port, "/private/", cookie)
    assert status == 200 and '<strong id="user">demo</strong>' in body

    tampered = cookie[:-10] + ("B" if cookie[-10] == "A" else "A") + cookie[-9:]
    status, headers, _ = http(port, "/private/", tampered)
    assert status == 302 and headers.get("Location").endswith("/login.html")

    status, headers, _ = http(port, "/logout", cookie)
    assert status == 307 and session_cookie(headers) == "", "logout did not remove the cookie"
    assert "Max-Age=0" in headers.get("Set-Cookie")

    logs = docker.logs(c)
    assert "[error]" not in logs and "[crit]" not in logs, logs


def test_compose_file_is_valid(docker):
    import subprocess
    from conftest import REPO

    p = subprocess.run(["docker-compose", "-f", str(REPO / "docker/compose.yml"), "config"],
                       capture_output=True, text=True)
    assert p.returncode == 0 and "127.0.0.1" in p.stdout, p.stdout + p.stderr
