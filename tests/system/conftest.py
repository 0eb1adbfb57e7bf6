"""Fixtures of the system test: the debootstrap base image (cached by
scripts/docker-base.sh) and a throw-away container of it, removed after
the test, pass or fail. Nothing on this machine's own Apache is touched."""
import shutil

import pytest

from .support import MODULE_FILES, REPO, Container, sh


@pytest.fixture(scope="session")
def base_image():
    assert shutil.which("docker"), "docker is missing: the system test runs in a container"
    # Built on this machine as tests/docker does (scripts/test.sh builds them first).
    if not all((REPO / "target/module" / so).exists() for so in MODULE_FILES):
        sh(str(REPO / "scripts/build.sh"))
    return sh(str(REPO / "scripts/docker-base.sh")).splitlines()[-1]


@pytest.fixture
def server(base_image):
    c = Container(base_image)
    try:
        yield c
    finally:
        c.remove()
