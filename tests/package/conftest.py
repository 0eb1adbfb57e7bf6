"""Fixtures of the packaging tests: the .deb built by scripts/package.sh
(and a second one with a newer version, for the upgrade), the .rpm, the
debootstrap base image, and throw-away containers of it, removed after each
test."""
import shutil

import pytest

from .support import REPO, Container, package, sh


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


@pytest.fixture(scope="session")
def base_image():
    assert shutil.which("docker"), "docker is missing: the package tests need a Docker engine"
    return sh(str(REPO / "scripts/docker-base.sh")).splitlines()[-1]


@pytest.fixture
def container(base_image):
    c = Container(base_image)
    try:
        yield c
    finally:
        c.remove()
