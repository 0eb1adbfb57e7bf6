"""Fixtures of the packaging tests: the .deb built by scripts/package.sh
(and a second one with a newer version, for the upgrade), the .rpm, the
debootstrap base images of Debian 12 (bookworm) and 13 (trixie), and
throw-away containers of them, removed after each test."""
import shutil

import pytest

from .support import REPO, Container, base_image_of, lintian_image_of, package, sh


@pytest.fixture(scope="session")
def deb():
    return package()


@pytest.fixture(scope="session")
def deb_v2():
    """The same tree packaged again with a newer version (0.1.0-1+upgradetest1)."""
    out = REPO / "target/package/upgrade-test"
    try:
        yield package(PACKAGE_VERSION_SUFFIX="+upgradetest1", PACKAGE_OUTDIR=str(out))
    finally:
        shutil.rmtree(out, ignore_errors=True)


@pytest.fixture(scope="session")
def rpm_file():
    assert shutil.which("rpmbuild"), "rpmbuild is missing: apt-get install rpm"
    return package("rpm")


@pytest.fixture(scope="session", params=["bookworm", "trixie"], ids=["debian12", "debian13"])
def base_image(request):
    """The base image of each release the package is installed on: the one
    .deb built on this machine goes into both."""
    return base_image_of(request.param)


@pytest.fixture(scope="session")
def trixie_image():
    """Debian 13's base image alone, for what runs there only (its lintian,
    the sealed and chunked flows)."""
    return base_image_of("trixie")


@pytest.fixture
def container(base_image):
    c = Container(base_image)
    try:
        yield c
    finally:
        c.remove()


@pytest.fixture
def trixie_container(trixie_image):
    c = Container(trixie_image)
    try:
        yield c
    finally:
        c.remove()


@pytest.fixture
def trixie_lintian_container():
    """A container of Debian 13 with Debian 13's lintian."""
    c = Container(lintian_image_of("trixie"))
    try:
        yield c
    finally:
        c.remove()
