"""Fixtures of the system test: the debootstrap base images of Debian 12
(bookworm) and 13 (trixie), cached by scripts/docker-base.sh, and a
throw-away container of one, removed after the test, pass or fail; the
test runs once on each. Nothing on this machine's own Apache is touched."""
import shutil

import pytest

from .support import MODULE_FILES, REPO, Container, sh


@pytest.fixture(scope="session", params=["bookworm", "trixie"], ids=["debian12", "debian13"])
def base_image(request):
    """Each release the admin path is tested on, Debian 12 and 13, with the
    same modules built on this machine."""
    assert shutil.which("docker"), "docker is missing: the system test runs in a container"
    # Built on this machine as tests/docker does (scripts/test.sh builds them first).
    if not all((REPO / "target/module" / so).exists() for so in MODULE_FILES):
        sh(str(REPO / "scripts/build.sh"))
    tag = sh(str(REPO / "scripts/docker-base.sh"), request.param).splitlines()[-1]
    assert tag.startswith(f"mod-session-cookie-rs-base:{request.param}-"), tag
    return tag


@pytest.fixture
def server(base_image):
    c = Container(base_image)
    try:
        yield c
    finally:
        c.remove()
