"""The ways around our own limits a security review found (each test here
failed before its fix): what a tenant's .htaccess may not do, what a
client may make us log, what a stock-format session may step around, how
passphrase files are read, and the stock passphrase's weak MAC."""
import hashlib
import re
import subprocess
from pathlib import Path

import pytest

from harness import CGI, REPO
from sealed_support import LOGLEVEL, SECRET, b64decode, cookie_of, sealed_body, session_of

CLI = REPO / "target/release/session-crypto-rs"

# A secret program that leaves a mark each time it runs.
SECRET_PROGRAM = """#!/bin/sh
echo ran >> "{root}/ran"
echo a-secret-printed-by-a-program-0123456789
"""


def test_exec_secret_in_htaccess_is_refused_and_never_runs(fresh_apache):
    """`exec:` runs a program as the server's user, on every request that
    reads the file: in a tenant's .htaccess (AllowOverride AuthConfig) it is
    a configuration error, and the program does not run."""
    files = {
        "secret.sh": SECRET_PROGRAM,
        "tenant/.htaccess": 'SessionCryptoPassphrase "exec:{docroot}/secret.sh"\n',
        "tenant/page.txt": "tenant page\n",
    }
    srv = fresh_apache("ours", "event", sealed_body([SECRET]), files=files, loglevel=LOGLEVEL,
                       crypto="ours")
    for _ in range(3):
        resp = srv.request("/tenant/page.txt")
        # httpd's answer to an .htaccess it cannot read: the tenant's own
        # configuration error, not the client's.
        assert resp.status == 500, resp.status
    srv.expect_log(r"SessionCryptoPassphrase: exec: is not allowed in \.htaccess")
    assert not Path(srv.subst("{root}/ran")).exists(), "the tenant's program ran"


HOSTILE_BODY = f"""
LimitRequestFieldSize 32768
Session On
SessionEnv On
SessionMaxAge 600
SessionCookieName session path=/
SessionCookieChunkSize 1000
SessionCryptoPassphrase "{SECRET}"
"""


def hostile_cookies(valid):
    """One Cookie header of each class a client can send: malformed,
    oversized, duplicated, tampered, expired-looking, chunked wrong."""
    tampered = valid[:-4] + ("AAAA" if not valid.endswith("AAAA") else "BBBB")
    return [
        "session=chunks-99999",                            # parts over the limit
        "session=chunks-2; session~1=AAAA",                # a part missing
        "session=chunks-2; session~1=AA; session~1=BB; session~2=CC",  # part sent twice
        "session=" + "A" * 20000,                          # over 16 KiB
        f"session={valid}; session={tampered}",            # the cookie twice
        f"session={tampered}",                             # tampered
        "session=not base64!",                             # malformed
        "session=" + "B" * 90,                             # unknown key
        "session=%00%00",                                  # NULs, escaped
        "session=" + "chunks-2; session~1=" + "x" * 16000 + "; session~2=" + "y" * 16000,
    ]


def test_hostile_requests_write_no_line_at_loglevel_warn(fresh_apache):
    """Every line a client can make the modules write is at info or below:
    200 hostile requests of every class add nothing to an error log at
    `LogLevel warn` (the default), and none gets a 5xx."""
    srv = fresh_apache("ours", "event", HOSTILE_BODY, loglevel="warn", crypto="ours")
    seeded = srv.request("/env.sh?set=user=alice")
    valid = next(v for v in seeded.all("Set-Cookie") if v.startswith("session="))
    valid = valid.split(";")[0][len("session="):]
    srv.mark_log()
    cookies = hostile_cookies(valid)
    for i in range(200):
        resp = srv.request("/env.sh", [("Cookie", cookies[i % len(cookies)])])
        assert resp.status < 500, (cookies[i % len(cookies)][:60], resp.status)
    assert srv.new_log() == "", f"hostile requests wrote to the log:\n{srv.new_log()}"


# A passphrase file using every rule of the reader: comments, blank lines,
# quotes with an escaped quote and a trailing comment, a line going on on
# the next one, CR LF, a vertical tab, and exec: with a program relative to
# the ServerRoot, a quoted argument and output with trailing spaces.
EVERY_RULE = (
    "# the first secret seals\n"
    "\n"
    '   "quoted \\" secret of the rules test, forty"   # a comment\n'
    "'single quoted secret of the rules test, forty'\n"
    "a plain secret with spaces that goes on \\\n"
    "on the next line, long enough\n"
    "a line ending in CR LF, thirty-two characters\r\n"
    "\x0ba secret between vertical tabs, thirty-two\x0b\n"
    'exec:bin/secret.sh "an argument with  spaces"\n'
)
ECHO_PROGRAM = "#!/bin/sh\nprintf '%s-printed  \\nsecond line\\n' \"$1\"\n"


def test_module_and_cli_read_a_passphrase_file_alike(fresh_apache, tmp_path):
    """One reader of passphrase files (src/seal/passfile.rs) for the module
    and the admin CLI: from a file using every rule both derive the same
    secrets, in the same order (their key ids: SCR0212 at startup, the
    CLI's key-ids)."""
    srv = fresh_apache("ours", "event", "", loglevel=LOGLEVEL, crypto="ours")
    (srv.root / "bin").mkdir()
    program = srv.root / "bin" / "secret.sh"
    program.write_text(ECHO_PROGRAM)
    program.chmod(0o755)
    secrets = srv.root / "conf" / "secrets"
    secrets.write_bytes(EVERY_RULE.encode())
    rc, out = srv.configtest(f'LogLevel warn session_crypto:info\nSessionCryptoPassphraseFile "{secrets}"')
    assert rc == 0, out
    module = re.findall(r"SCR0212: .*secret \(key id ([0-9a-f]{8})\)", out)
    cli = subprocess.run([str(CLI), "key-ids", "--passphrase-file", str(secrets),
                          "--server-root", str(srv.root)], capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr
    ids = [line.split()[1] for line in cli.stdout.splitlines()]
    assert len(ids) == 6, cli.stdout
    assert module == ids, (module, ids)


def test_cli_reads_a_live_cookie_from_standard_input(fresh_apache, tmp_path):
    """A cookie on the command line shows in `ps` and shell history: the CLI
    reads it from standard input (no operand, or `-`)."""
    srv = fresh_apache("ours", "event", sealed_body([SECRET]), loglevel=LOGLEVEL, crypto="ours")
    resp = srv.request("/env.sh?set=user=alice")
    value = next(v for v in resp.all("Set-Cookie") if v.startswith("session="))
    value = value.split(";")[0][len("session="):]
    secrets = tmp_path / "secrets"
    secrets.write_text(SECRET + "\n")
    for operand in ([], ["-"]):
        shown = subprocess.run([str(CLI), "inspect", "--passphrase-file", str(secrets), *operand],
                               input=value + "\n", capture_output=True, text=True)
        assert shown.returncode == 0, shown.stderr
        assert re.search(r"(?m)^session +\S*user=alice", shown.stdout), shown.stdout


def test_a_stock_session_cannot_dodge_not_before_through_a_location_without_it(fresh_apache,
                                                                              tmp_path):
    """A stock-format value opened where no origin limit applies keeps the
    epoch as its origin when it is sealed in our format: where
    SessionCryptoNotBefore or SessionCryptoMaxLifetime applies, it is
    refused (before, it began again at its first re-sealing, and opened)."""
    body = sealed_body([SECRET], extra=(
        '<Location "/strict">\n'
        "    SessionCryptoNotBefore 2026-01-01T00:00:00Z\n"
        "</Location>\n"
        '<Location "/aged">\n'
        "    SessionCryptoMaxLifetime 3600\n"
        "</Location>\n"))
    files = {"strict/env.sh": CGI, "aged/env.sh": CGI}
    srv = fresh_apache("ours", "event", body, files=files, loglevel=LOGLEVEL, crypto="ours")
    stock = subprocess.run(
        [str(CLI), "seal", "--passphrase-file", str(secret_file(tmp_path)), "--stock", "aes256"],
        input="user=mallory\n", capture_output=True, text=True, check=True).stdout.strip()
    # Straight to the strict locations: refused.
    for path in ("/strict/env.sh", "/aged/env.sh"):
        assert session_of(srv.request(path, [("Cookie", f"session={stock}")])) == {}, path
    # Through the lax one: it opens and comes back in our format ...
    resp = srv.request("/env.sh", [("Cookie", f"session={stock}")])
    assert session_of(resp) == {"user": "mallory"}
    ours = cookie_of(resp)
    assert b64decode(ours)[0] == 4, "not re-sealed in our format"
    # ... with the epoch for its origin: still refused where limits apply.
    for path in ("/strict/env.sh", "/aged/env.sh"):
        resp = srv.request(path, [("Cookie", f"session={ours}")])
        assert session_of(resp) == {}, (path, "a stock session stepped around the limit")


def secret_file(tmp_path):
    path = tmp_path / "secrets"
    path.write_text(SECRET + "\n")
    return path


def test_seal_with_not_before_opens_what_it_sealed_and_configtest_says_why(fresh_apache):
    """Under SessionCryptoStockFormat Seal a location writes stock's format,
    which carries no origin: its own values open on the next request
    whatever SessionCryptoNotBefore says, and configtest warns (SCR0217)."""
    limits = "SessionCryptoStockFormat Seal\nSessionCryptoNotBefore 2026-01-01T00:00:00Z"
    srv = fresh_apache("ours", "event", sealed_body([SECRET], extra=limits), loglevel=LOGLEVEL,
                       crypto="ours")
    sealed = cookie_of(srv.request("/env.sh?set=user=alice"))
    resp = srv.request("/env.sh", [("Cookie", f"session={sealed}")])
    assert session_of(resp) == {"user": "alice"}, "Seal refused what it had just sealed"
    rc, out = srv.configtest(sealed_body([SECRET], extra=limits))
    assert rc == 0 and "SCR0217" in out, out
    rc, out = srv.configtest(sealed_body([SECRET], extra="SessionCryptoNotBefore 1767225600"))
    assert rc == 0 and "SCR0217" not in out, out


NEW_SECRET = "a new random secret from session-crypto-rs keygen, 0123"


@pytest.mark.parametrize("secrets,extra,warned", [
    ([SECRET], "", True),                                  # the drop-in switch
    ([NEW_SECRET, SECRET], "", False),                     # the switch guide
    ([SECRET], "SessionCryptoStockFormat Off", False),     # stock's format no more
    ([NEW_SECRET, SECRET], "SessionCryptoStockFormat Seal", True),
], ids=["one_secret", "new_first", "stock_off", "seal"])
def test_configtest_warns_while_the_stock_passphrase_seals_ours(fresh_apache, secrets, extra,
                                                              warned):
    srv = fresh_apache("ours", "event", "", loglevel=LOGLEVEL, crypto="ours")
    rc, out = srv.configtest(sealed_body(secrets, extra=extra))
    assert rc == 0, out
    assert ("SCR0218" in out) == warned, out


@pytest.mark.parametrize("lines,warned", [(1, True), (2, False)])
def test_configtest_counts_the_secrets_of_a_passphrase_file(fresh_apache, lines, warned):
    srv = fresh_apache("ours", "event", "", loglevel=LOGLEVEL, crypto="ours")
    secrets = srv.root / "conf" / "secrets"
    secrets.write_text("# the first seals\n" + "\n".join([NEW_SECRET, SECRET][:lines]) + "\n")
    rc, out = srv.configtest(f'Session On\nSessionCryptoPassphraseFile "{secrets}"')
    assert rc == 0, out
    assert ("SCR0218" in out) == warned, out


def test_configuration_warnings_never_show_a_secret(fresh_apache):
    """SCR0218 names the line of a secret, never the secret."""
    srv = fresh_apache("ours", "event", "", loglevel=LOGLEVEL, crypto="ours")
    rc, out = srv.configtest(sealed_body([SECRET]))
    assert rc == 0 and "SCR0218: SessionCryptoPassphrase (" in out, out
    assert SECRET not in out, out


def test_two_applications_sharing_a_secret_do_not_open_each_others_sessions(fresh_apache):
    """Values were bound to the cookie name only: two applications sharing
    a secret and a cookie name accepted each other's sessions. With a
    SessionCryptoContext each, a session of one does not open in the other
    (status forged), and opens in its own."""
    body = sealed_body([SECRET], extra=(
        '<Location "/a">\n    SessionCryptoContext shop\n</Location>\n'
        '<Location "/b">\n    SessionCryptoContext admin\n</Location>\n'))
    files = {"a/env.sh": CGI, "b/env.sh": CGI}
    srv = fresh_apache("ours", "event", body, files=files, loglevel=LOGLEVEL, crypto="ours")
    shop = cookie_of(srv.request("/a/env.sh?set=user=alice"))
    assert session_of(srv.request("/a/env.sh", [("Cookie", f"session={shop}")])) == {
        "user": "alice"}
    resp = srv.request("/b/env.sh", [("Cookie", f"session={shop}")])
    assert session_of(resp) == {}, "the admin application opened the shop's session"
    srv.expect_log(r"SCR0201: sealed session not opened: authentication failed")


def test_a_client_filling_a_plain_session_writes_no_warning(fresh_apache):
    """A plain (unsealed) session is the client's to fill: one sent back
    too large for browsers (or for LimitRequestFieldSize once chunked) is
    logged at info, since the server only saved it again (SessionMaxAge);
    the same session set by the server itself stays a warning (SCR0107)."""
    body = ("Session On\nSessionEnv On\nSessionMaxAge 600\nSessionHeader X-Replace-Session\n"
            "SessionCookieName session path=/\n")
    srv = fresh_apache("ours", "event", body, loglevel="warn", crypto="ours")
    # After httpd's own startup notices, which may come after the port opens.
    srv.request("/env.sh")
    srv.mark_log()
    hostile = "session=user=" + "x" * 6000
    for _ in range(50):
        resp = srv.request("/env.sh", [("Cookie", hostile)])
        assert resp.status == 200, resp.status
        assert session_of(resp) == {"user": "x" * 6000}
    assert srv.new_log() == "", f"a client's own session wrote to the log:\n{srv.new_log()}"
    # Set by the server (the back end's SessionHeader): the admin is told.
    srv.request("/env.sh?set=user=" + "y" * 6000)
    srv.expect_log(r"\[session_cookie:warn\].*SCR0107")


def test_cli_opens_a_value_only_under_its_context(fresh_apache, tmp_path):
    """The admin CLI takes SessionCryptoContext as --context: it opens what
    the server sealed under a label with that label only."""
    body = sealed_body([SECRET], extra='<Location "/a">\n    SessionCryptoContext shop\n</Location>\n')
    srv = fresh_apache("ours", "event", body, files={"a/env.sh": CGI}, loglevel=LOGLEVEL,
                       crypto="ours")
    value = cookie_of(srv.request("/a/env.sh?set=user=alice"))
    inspect = [str(CLI), "inspect", "--passphrase-file", str(secret_file(tmp_path))]
    shown = subprocess.run(inspect + ["--context", "shop"], input=value + "\n",
                           capture_output=True, text=True)
    assert shown.returncode == 0 and re.search(r"(?m)^session +\S*user=alice", shown.stdout), (
        shown.stdout, shown.stderr)
    other = subprocess.run(inspect + ["--context", "admin"], input=value + "\n",
                           capture_output=True, text=True)
    assert other.returncode == 1, (other.stdout, other.stderr)


@pytest.mark.parametrize("off_first", [False, True])
def test_stock_format_off_next_to_the_secrets_keeps_no_stock_key(fresh_apache, tmp_path,
                                                                 off_first):
    """`SessionCryptoStockFormat Off` where the secrets are set drops what
    stock's format needs (each passphrase and its MD5) from memory: a
    location below that turns stock's format back on opens no stock value
    with those secrets (before, they were kept, and it did). Secrets set
    without Off keep them, and Off then Open in one context is an error."""
    body = sealed_body([SECRET], extra=(
        "SessionCryptoStockFormat Off\n"
        '<Location "/open">\n'
        "    SessionCryptoStockFormat Open\n"
        "</Location>\n"))
    if off_first:  # Off before the secrets: they never keep a stock key
        body = "SessionCryptoStockFormat Off\n" + body.replace("SessionCryptoStockFormat Off\n", "", 1)
    files = {"open/env.sh": CGI}
    srv = fresh_apache("ours", "event", body, files=files, loglevel=LOGLEVEL, crypto="ours")
    stock = subprocess.run(
        [str(CLI), "seal", "--passphrase-file", str(secret_file(tmp_path)), "--stock", "aes256"],
        input="user=alice\n", capture_output=True, text=True, check=True).stdout.strip()
    cookie = [("Cookie", f"session={stock}")]
    assert session_of(srv.request("/env.sh", cookie)) == {}
    assert session_of(srv.request("/open/env.sh", cookie)) == {}, "a dropped stock key opened"
    # Control: the same secrets without Off keep their stock keys.
    kept = fresh_apache("ours", "event", sealed_body([SECRET], extra=(
        '<Location "/open">\n    SessionCryptoStockFormat Open\n</Location>\n')),
        files=files, loglevel=LOGLEVEL, crypto="ours")
    assert session_of(kept.request("/open/env.sh", cookie)) == {"user": "alice"}
    rc, out = srv.configtest(sealed_body([SECRET], extra=(
        "SessionCryptoStockFormat Off\nSessionCryptoStockFormat Open")))
    assert rc != 0 and "set it once" in out, out


def mappings(pid):
    """The child's mappings: (start, end, perms, name, left out of core
    dumps), from /proc/PID/smaps (VmFlags `dd`: MADV_DONTDUMP)."""
    maps = []
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)", line)
        if m:
            maps.append([int(m.group(1), 16), int(m.group(2), 16), m.group(3), m.group(4), False])
        elif line.startswith("VmFlags:"):
            maps[-1][4] = " dd" in line
    return maps


def copies_in_memory(pid, needle):
    """Where `needle` is in the child's readable memory: [(address, mapping
    name, left out of core dumps)]."""
    found = []
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for start, end, perms, name, dd in mappings(pid):
            if "r" not in perms or name in ("[vvar]", "[vsyscall]"):
                continue
            try:
                mem.seek(start)
                data = mem.read(end - start)
            except OSError:
                continue
            at = data.find(needle)
            while at >= 0:
                found.append((hex(start + at), name or "anonymous", dd))
                at = data.find(needle, at + 1)
    return found


def test_key_material_is_left_out_of_core_dumps(fresh_apache):
    """Keys live on pages of their own marked MADV_DONTDUMP, which children
    inherit: in every child, each copy of a secret's stock MAC key (the MD5
    of the passphrase, which the test can compute) is on such a page, none
    is left on a stack, and each secret has its pages. Stock's module keeps
    no such key between requests (the control)."""
    second = "the second secret of the core dump test, 0123456789"
    srv = fresh_apache("ours", "event", sealed_body([SECRET, second]), loglevel=LOGLEVEL,
                       crypto="ours")
    sealed = cookie_of(srv.request("/env.sh?set=user=alice"))
    assert session_of(srv.request("/env.sh", [("Cookie", f"session={sealed}")])) == {
        "user": "alice"}
    children = srv.children()
    assert children
    pages = []
    for pid in children:
        for secret in (SECRET, second):
            copies = copies_in_memory(pid, hashlib.md5(secret.encode()).digest())
            assert copies, f"child {pid} holds no stock key: the probe finds nothing"
            assert all(dd for _, _, dd in copies), f"child {pid}: a key copy is dumpable: {copies}"
        pages.append(sum(end - start for start, end, _, name, dd in mappings(pid)
                         if dd and name in ("", "[heap]")) // 4096)
    # In every child, per secret its derived key and its stock key, and the
    # cache of stretched secrets (from the parent); in the child that
    # sealed, its process key too.
    assert min(pages) >= 2 * 2 + 1 and max(pages) >= 2 * 2 + 2, pages
    control = fresh_apache("stock", "event", sealed_body([SECRET]), loglevel=LOGLEVEL,
                           crypto="stock")
    control.request("/env.sh?set=user=alice")
    for pid in control.children():
        assert not copies_in_memory(pid, hashlib.md5(SECRET.encode()).digest())
