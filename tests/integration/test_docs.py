"""The documentation against the modules: every directive our modules
register (as `apache2 -L` lists them, from the loaded .so files) has its
section in its module's page, in the shape of Apache's manual, and every
directive documented there exists; every link between the pages lands on a
heading that exists."""
import re
import subprocess

import pytest

from harness import APACHE, MODDIR, REPO, module_path

PAGES = {"mod_session_cookie.c": REPO / "docs/mod_session_cookie_rs.md",
         "mod_session_crypto.c": REPO / "docs/mod_session_crypto_rs.md"}
FIELDS = ["Description", "Syntax", "Default", "Context", "Override", "Module"]


def registered(tmp_path):
    """{module name: [directive]} of our two modules, from `apache2 -L`."""
    conf = tmp_path / "httpd.conf"
    conf.write_text(f"""ServerRoot "{tmp_path}"
ServerName 127.0.0.1
Listen 127.0.0.1:9
ErrorLog "{tmp_path}/error.log"
LoadModule mpm_event_module {MODDIR}/mod_mpm_event.so
LoadModule authz_core_module {MODDIR}/mod_authz_core.so
LoadModule session_module {MODDIR}/mod_session.so
LoadModule session_cookie_module "{module_path("ours", "cookie")}"
LoadModule session_crypto_module "{module_path("ours", "crypto")}"
""")
    out = subprocess.run([APACHE, "-L", "-f", str(conf)], capture_output=True, text=True,
                         check=True).stdout
    found = {name: [] for name in PAGES}
    for directive, module in re.findall(r"^(\S+) \((\S+)\)$", out, re.M):
        if module in found:
            found[module].append(directive)
    return found


def sections(page):
    """{directive: its section's text}: the `### Name` sections under the
    page's `## Directives`."""
    text = page.read_text()
    directives = text.split("\n## Directives\n", 1)[1].split("\n## ", 1)[0]
    parts = re.split(r"^### (\S+)\n", directives, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


@pytest.mark.parametrize("module", sorted(PAGES))
def test_every_directive_has_its_section_and_every_section_a_directive(tmp_path, module):
    ours = registered(tmp_path)[module]
    assert len(ours) >= 3, ours
    documented = sections(PAGES[module])
    assert sorted(documented) == sorted(ours), (
        f"{PAGES[module].name}: documented but not registered "
        f"{sorted(set(documented) - set(ours))}, registered but not documented "
        f"{sorted(set(ours) - set(documented))}")
    for name, text in documented.items():
        rows = re.findall(r"^\| (\w+) \| .+ \|$", text, re.M)
        # As Apache's manual: Override only where .htaccess may use it.
        htaccess = re.search(r"^\| Context \| .*\.htaccess", text, re.M)
        assert rows == [f for f in FIELDS if htaccess or f != "Override"], (name, rows)
        assert re.search(rf"^\| Syntax \| `{name}\b", text, re.M), name


def anchor(heading):
    """GitHub's anchor of a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_links_between_the_pages_land_on_a_heading():
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    headings = {}
    for page in pages:
        text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.M | re.S)
        headings[page] = {anchor(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.M)}
    broken = []
    for page in pages:
        for target, frag in re.findall(r"\]\(([^)#\s]*)#([^)\s]+)\)", page.read_text()):
            dest = (page.parent / target).resolve() if target else page
            if dest not in headings or frag not in headings[dest]:
                broken.append(f"{page.relative_to(REPO)}: {target}#{frag}")
        for target in re.findall(r"\]\(([^)#:\s]+)\)", page.read_text()):
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(REPO)}: {target}")
    assert not broken, broken


def test_every_message_id_is_in_the_table_once():
    """The log messages table (docs/operations.md) lists every SCRnnnn id
    the code can log, each once, and nothing the code never logs; each id
    stands for one message in the one table of ids: src/ffi/messages.rs
    for the lines Rust logs, src/ffi/shim_messages.rs for the shim's (ids
    are never reused). The shim spells no id itself: it takes them from
    the header build.rs generates from that table."""
    code = set()
    for path in [*(REPO / "src").rglob("*.rs"), *(REPO / "shim").glob("*.[ch]")]:
        code |= set(re.findall(r"SCR\d{4}", path.read_text()))
    table = re.findall(r"^\| (SCR\d{4}) \|", (REPO / "docs/operations.md").read_text(), re.M)
    assert len(table) == len(set(table)), sorted(t for t in table if table.count(t) > 1)
    assert set(table) == code, (f"logged, not in the table: {sorted(code - set(table))}; "
                                f"in the table, never logged: {sorted(set(table) - code)}")
    rust = re.findall(r'\("(SCR\d{4})", APLOG_', (REPO / "src/ffi/messages.rs").read_text())
    shim = re.findall(r'\("\w+", "(SCR\d{4})"\)',
                      (REPO / "src/ffi/shim_messages.rs").read_text())
    ids = rust + shim
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert set(ids) == code, sorted(code ^ set(ids))
    for path in (REPO / "shim").glob("*.[ch]"):
        # comments may name ids; code takes them from scr_messages.h
        text = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
        assert not re.findall(r"SCR\d{4}", text), f"{path.name} spells an id itself"
