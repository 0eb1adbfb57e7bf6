"""What a sealed session value looks like, for the suites that check which
module sealed a cookie from outside httpd (system, package, source_httpd).
Suites import it by path, as tests/debian_container.py."""
import base64
import re


def is_our_seal(value):
    """Unpadded base64url, version byte 4 (docs/design.md: the sealed format)."""
    return (re.fullmatch(r"[A-Za-z0-9_-]{40,}", value) is not None
            and base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))[0] == 4)


def is_stock_seal(value):
    """Stock writes padded standard base64 of MAC (8) | salt (16) | IV | CBC blocks."""
    raw = base64.b64decode(value, validate=True)
    return base64.b64encode(raw).decode() == value and (len(raw) - 8 - 16) % 8 == 0


def tampered(sealed):
    """`sealed` with one base64 character changed, inside the ciphertext."""
    return sealed[:20] + ("B" if sealed[20] == "A" else "A") + sealed[21:]
