"""The .deb scripts/package.sh builds: name, version, dependencies, files,
conffiles, maintainer scripts, and lintian: this machine's (Debian 12's),
and Debian 13's in a trixie container, on the same file."""
import re
import subprocess

from .support import PACKAGE, REPO, sh

FILES = {
    "/usr/lib/apache2/modules/mod_session_cookie_rs.so",
    "/usr/lib/apache2/modules/mod_session_crypto_rs.so",
    "/etc/apache2/mods-available/session_cookie_rs.load",
    "/etc/apache2/mods-available/session_cookie_rs.conf",
    "/etc/apache2/mods-available/session_crypto_rs.load",
    f"/usr/share/doc/{PACKAGE}/README.md.gz",
    f"/usr/share/doc/{PACKAGE}/README.Debian",
    f"/usr/share/doc/{PACKAGE}/changelog.Debian.gz",
    f"/usr/share/doc/{PACKAGE}/copyright",
    f"/usr/share/lintian/overrides/{PACKAGE}",
    "/usr/bin/session-crypto-rs",
    "/usr/share/man/man1/session-crypto-rs.1.gz",
}
# The pages of docs/, as dh_installdocs and dh_compress leave them: text
# over 4 KiB compressed, pictures as they are.
FILES |= {f"/usr/share/doc/{PACKAGE}/docs/{p.name}"
          + (".gz" if p.suffix == ".md" and p.stat().st_size > 4096 else "")
          for p in (REPO / "docs").iterdir()}
CONFFILES = {
    "/etc/apache2/mods-available/session_cookie_rs.load",
    "/etc/apache2/mods-available/session_cookie_rs.conf",
    "/etc/apache2/mods-available/session_crypto_rs.load",
}


def cargo_version():
    return re.search(r'(?m)^version = "([^"]+)"', (REPO / "Cargo.toml").read_text()).group(1)


def field(deb, name):
    return sh("dpkg-deb", "-f", str(deb), name)


def control_file(deb, name):
    return subprocess.run(f"dpkg-deb --ctrl-tarfile '{deb}' | tar -xO ./{name}", shell=True,
                          capture_output=True, text=True, check=True).stdout


def test_name_version_dependencies(deb):
    arch = sh("dpkg", "--print-architecture")
    version = f"{cargo_version()}-1"
    assert deb.name == f"{PACKAGE}_{version}_{arch}.deb"
    assert deb.parent == REPO / "target/package"
    assert field(deb, "Package") == PACKAGE
    assert field(deb, "Version") == version
    assert field(deb, "Architecture") == arch
    assert field(deb, "Section") == "httpd"
    depends = [d.strip() for d in field(deb, "Depends").split(",")]
    # dh_apache2: the module ABI it was built against; dpkg-shlibdeps: the C libraries.
    assert "apache2-api-20120211" in depends, depends
    assert any(d.startswith("apache2-bin") for d in depends), depends
    assert any(d.startswith("libc6 ") for d in depends), depends
    assert not any(d.split()[0] == "apache2" for d in depends), depends


def test_files_and_conffiles(deb):
    listed = {line.split()[-1].lstrip(".") for line in sh("dpkg-deb", "-c", str(deb)).splitlines()
              if line.startswith("-")}
    assert listed == FILES
    assert set(control_file(deb, "conffiles").split()) == CONFFILES
    # What is installed is what the repository ships.
    for name in ("session_cookie_rs.load", "session_cookie_rs.conf", "session_crypto_rs.load"):
        packaged = subprocess.run(f"dpkg-deb --fsys-tarfile '{deb}' | tar -xO ./etc/apache2/mods-available/{name}",
                                  shell=True, capture_output=True, text=True, check=True).stdout
        assert packaged == (REPO / "conf" / name).read_text()


def test_maintainer_scripts(deb):
    postinst, prerm, postrm = (control_file(deb, s) for s in ("postinst", "prerm", "postrm"))
    # Installing enables nothing (dh_apache2 --noenable); it prints the switch.
    assert "apache2_invoke" not in postinst
    assert "a2dismod session_cookie && a2enmod session_cookie_rs" in postinst
    assert "a2dismod session_crypto && a2enmod session_crypto_rs" in postinst
    # Remove and purge disable ours through apache2-maintscript-helper.
    for script in (prerm, postrm):
        assert "/usr/share/apache2/apache2-maintscript-helper" in script
        assert re.search(r"for conf in session_cookie_rs session_crypto_rs\s*;", script), script
        assert "apache2_invoke dismod $conf" in script
    # No script runs a2enmod/a2dismod itself: they appear in messages only.
    for script in (postinst, prerm, postrm):
        for line in script.splitlines():
            if re.search(r"\ba2(en|dis)mod\b", line):
                assert re.match(r"\s*(a2dismod \S+ && a2enmod \S+$|echo )", line), line


def check_lintian(report, returncode, stderr):
    tags = [line for line in report.splitlines() if re.match(r"[EWIO]: ", line)]
    # No error, no warning left; each override is justified in
    # debian/libapache2-mod-session-cookie-rs.lintian-overrides. The info
    # tags (printed above) may stay: hardening-no-fortify-functions is
    # Rust's std calling memcpy/memmove/read, which _FORTIFY_SOURCE (a C
    # preprocessor feature) cannot wrap.
    assert not [t for t in tags if t[0] in "EW"], report
    assert returncode == 0, report + stderr


def test_lintian(deb):
    """This machine's lintian."""
    p = subprocess.run(["lintian", "--display-info", "--show-overrides", str(deb)], capture_output=True, text=True)
    print(p.stdout)
    check_lintian(p.stdout, p.returncode, p.stderr)


def test_lintian_debian13(deb, trixie_lintian_container):
    """Debian 13's lintian, in a trixie container, on the same .deb."""
    c = trixie_lintian_container
    assert c.sh("cat /etc/debian_version").startswith("13."), "not a Debian 13 container"
    print("lintian", c.sh("dpkg-query -W -f='${Version}' lintian"))
    path = c.copy_in(deb)
    returncode, report = c.run(f"lintian --display-info --show-overrides '{path}' 2>/tmp/lintian.err")
    stderr = c.sh("cat /tmp/lintian.err")
    print(report)
    check_lintian(report, returncode, stderr)
