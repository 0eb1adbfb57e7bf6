#!/usr/bin/env python3
"""Test vector for src/seal/format.rs (our sealed format, version 1),
computed independently of the Rust code with Python's `cryptography`:

    PRK      = HKDF-Extract(SHA-256, salt="mod_session_cookie_rs session_crypto v1", secret)
    key id   = HKDF-Expand(PRK, "key id", 4)
    key|nonce = HKDF-Expand(PRK, "value key" || value salt, 44)
    header   = 0x01 | key id | value salt | not-after (u64 BE) | len(names) (u16 BE) | names (NUL-joined)
    sealed   = base64url-nopad(header | AES-256-GCM(key, nonce, plaintext, aad=header))

Run: python3 tests/vectors/sealed_vector.py   (needs `pip install cryptography`)
"""
import base64
import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

SECRET = b"correct horse battery staple, 32+"
SALT = bytes([7] * 16)
NOT_AFTER = 1_800_000_060
PLAINTEXT = b"user=ada"


def expand(prk, info, length):
    return HKDFExpand(hashes.SHA256(), length, info).derive(prk)


def seal(names):
    prk = hmac.new(b"mod_session_cookie_rs session_crypto v1", SECRET, hashlib.sha256).digest()
    key_id = expand(prk, b"key id", 4)
    okm = expand(prk, b"value key" + SALT, 44)
    bound = b"\0".join(names)
    header = (b"\x01" + key_id + SALT + NOT_AFTER.to_bytes(8, "big")
              + len(bound).to_bytes(2, "big") + bound)
    sealed = AESGCM(okm[:32]).encrypt(okm[32:], PLAINTEXT, header)
    return base64.urlsafe_b64encode(header + sealed).rstrip(b"=").decode()


print("one name:", seal([b"session"]))
print("two names:", seal([b"session", b"session2"]))
