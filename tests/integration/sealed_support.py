"""Helpers shared by the sealed-session tests: the config of a sealed
session, a server with it, and what a response carried (cookie, the
session the back end saw)."""
import base64

LOGLEVEL = "warn session:debug session_cookie:debug session_crypto:debug"
SECRET = "integration secret for sealed sessions, 0123456789"
OLD = "the old secret of the rotation tests, 0123456789"
NEW = "the new secret of the rotation tests, 0123456789"
# Our sealed format (docs/design.md, "The sealed format"): version, key id, salt,
# nonce, not-after, origin (milliseconds), session id, names length, names
# ("session").
VERSION = 4
HEADER_LEN = 1 + 4 + 16 + 12 + 8 + 8 + 16 + 2 + len("session")
SALT = slice(5, 21)
NONCE = slice(21, 33)
ORIGIN_MS = slice(41, 49)
SESSION_ID = slice(49, 65)
# Stock logs these for a value it cannot open; ours logs a debug line only.
STOCK_DECRYPT_ERRORS = r"AH01842|AH01817|AH10005|AH01840"
NOT_OPENED = "sealed session not opened: "


def sealed_body(secrets, maxage=3600, cookie="session", extra=""):
    quoted = " ".join(f'"{s}"' for s in secrets)
    return f"""Session On
SessionEnv On
SessionMaxAge {maxage}
SessionHeader X-Replace-Session
SessionCookieName {cookie} path=/
SessionCryptoPassphrase {quoted}
{extra}"""


def server(apache, impl, mpm="event", secrets=(SECRET,), crypto=None, loglevel=LOGLEVEL,
           crypto_first=False, **kw):
    """A started server: `impl` picks the cookie module, `crypto` (default:
    the same) the crypto module."""
    return apache(impl, mpm, sealed_body(secrets, **kw), loglevel=loglevel,
                  crypto=crypto or impl, crypto_first=crypto_first)


def cookie_of(resp, name="session"):
    for value in resp.all("Set-Cookie"):
        if value.startswith(f"{name}="):
            return value[len(name) + 1:].split(";")[0]
    return None


def session_of(resp):
    """What the back end saw, without mod_session's expiry: {key: value}."""
    seen = resp.cgi().get("HTTP_SESSION") or ""
    pairs = (p.partition("=") for p in seen.split("&") if p)
    return {k: v for k, _, v in pairs if k != "expiry"}


def get(srv, path="/env.sh", cookie=None, name="session"):
    headers = [("Cookie", f"{name}={cookie}")] if cookie is not None else []
    resp = srv.request(path, headers)
    assert resp.status == 200, (srv, path, resp.status)
    return resp


def login(srv, **keys):
    sets = ",".join(f"{k}={v}" for k, v in keys.items())
    cookie = cookie_of(get(srv, f"/env.sh?set={sets}"))
    assert cookie, f"{srv!r} set no session cookie"
    return cookie


def tampered(value, at):
    """`value` with the character at `at` replaced by another base64url one."""
    c = value[at]
    return value[:at] + ("B" if c == "A" else "A") + value[at + 1:]


def b64decode(value):
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def b64encode(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# ---------------------------------------------- sealing chosen plaintexts --
# A client cannot make mod_session seal an arbitrary plaintext (it
# URL-encodes every key and value), so the tests that need one, such as
# CVE-2021-26690's "&=", seal it here in stock mod_session_crypto's format
# (which our module opens too), independently of the Rust code, with
# tests/vectors/stock_vector.py (Python's `cryptography`, Debian
# python3-cryptography).
def seal_stock(passphrase, plaintext, cipher="aes256", salt=None, iv=None):
    """`plaintext` (bytes) sealed as stock mod_session_crypto does with
    SessionCryptoCipher `cipher` (src/seal/stock.rs); a random salt and IV
    unless given."""
    import os
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "vectors"))
    try:
        import stock_vector
    except ImportError as e:  # fail loudly, never skip
        raise AssertionError("python3-cryptography is needed to seal chosen plaintexts "
                             "(apt-get install python3-cryptography)") from e
    block = 8 if cipher == "3des192" else 16
    return stock_vector.seal(cipher, passphrase.encode(), salt or os.urandom(16),
                             iv or os.urandom(block), plaintext)
