#!/usr/bin/env python3
"""Test vectors for src/seal/kdf.rs and src/seal/format.rs (our sealed
format, version 4, and versions 3 and 2, which still open), computed
independently of the Rust code with Python's `cryptography` and
`argon2-cffi`:

    stretched = Argon2id(secret, salt="mod_session_cookie_rs session_crypto v2 argon2id",
                         m=19456 KiB, t=2, p=1, 32 bytes)
    PRK       = HKDF-Extract(SHA-256, salt="mod_session_cookie_rs session_crypto v2", stretched)
    key id    = HKDF-Expand(PRK, "key id", 4)

    version 4 (per-process key, random nonce, session id, origin in ms):
    key       = HKDF-Expand(PRK, "process key" || salt, 32)
    header    = 0x04 | key id | salt | nonce (12) | not-after (u64 BE) | origin ms (u64 BE)
                | session id (16) | len(names) (u16 BE) | names (NUL-joined)

    version 3 (per-process key, counter nonce):
    key       = HKDF-Expand(PRK, "process key" || salt, 32)
    nonce     = 0x00000000 | counter (u64 BE)
    header    = 0x03 | key id | salt | counter (u64 BE) | not-after (u64 BE) | origin (u64 BE)
                | len(names) (u16 BE) | names (NUL-joined)

    version 2 (per-value key):
    key|nonce = HKDF-Expand(PRK, "value key" || value salt, 44)
    header    = 0x02 | key id | value salt | not-after (u64 BE) | origin (u64 BE)
                | len(names) (u16 BE) | names (NUL-joined)

    sealed    = base64url-nopad(header | AES-256-GCM(key, nonce, plaintext, aad=header))

Run: python3 tests/vectors/sealed_vector.py   (needs `pip install cryptography argon2-cffi`)
"""
import base64
import hashlib
import hmac

from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

SECRET = b"correct horse battery staple, 32+"
SALT = bytes([7] * 16)
NOT_AFTER = 1_800_000_060
ORIGIN = 1_799_999_000
COUNTER = 5
ORIGIN_MS = 1_799_999_000_123
SESSION_ID = bytes([0x42] * 16)
PLAINTEXT = b"user=ada"


def stretch(secret):
    return hash_secret_raw(secret, b"mod_session_cookie_rs session_crypto v2 argon2id",
                           time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32,
                           type=Type.ID)


def expand(prk, info, length):
    return HKDFExpand(hashes.SHA256(), length, info).derive(prk)


def prk_of(secret):
    return hmac.new(b"mod_session_cookie_rs session_crypto v2", stretch(secret),
                    hashlib.sha256).digest()


def seal(secret, names, salt=SALT, counter=COUNTER, not_after=NOT_AFTER, origin=ORIGIN,
         plaintext=PLAINTEXT):
    """Version 3."""
    prk = prk_of(secret)
    key_id = expand(prk, b"key id", 4)
    key = expand(prk, b"process key" + salt, 32)
    nonce = bytes(4) + counter.to_bytes(8, "big")
    bound = b"\0".join(names)
    header = (b"\x03" + key_id + salt + counter.to_bytes(8, "big") + not_after.to_bytes(8, "big")
              + origin.to_bytes(8, "big") + len(bound).to_bytes(2, "big") + bound)
    sealed = AESGCM(key).encrypt(nonce, plaintext, header)
    return base64.urlsafe_b64encode(header + sealed).rstrip(b"=").decode()


def seal_v4(secret, names, salt=SALT, nonce=bytes([9] * 12), not_after=NOT_AFTER,
            origin_ms=ORIGIN_MS, session_id=SESSION_ID, plaintext=PLAINTEXT):
    prk = prk_of(secret)
    key_id = expand(prk, b"key id", 4)
    key = expand(prk, b"process key" + salt, 32)
    bound = b"\0".join(names)
    header = (b"\x04" + key_id + salt + nonce + not_after.to_bytes(8, "big")
              + origin_ms.to_bytes(8, "big") + session_id + len(bound).to_bytes(2, "big") + bound)
    sealed = AESGCM(key).encrypt(nonce, plaintext, header)
    return base64.urlsafe_b64encode(header + sealed).rstrip(b"=").decode()


def seal_v2(secret, names, salt=SALT, not_after=NOT_AFTER, origin=ORIGIN, plaintext=PLAINTEXT):
    prk = prk_of(secret)
    key_id = expand(prk, b"key id", 4)
    okm = expand(prk, b"value key" + salt, 44)
    bound = b"\0".join(names)
    header = (b"\x02" + key_id + salt + not_after.to_bytes(8, "big") + origin.to_bytes(8, "big")
              + len(bound).to_bytes(2, "big") + bound)
    sealed = AESGCM(okm[:32]).encrypt(okm[32:], plaintext, header)
    return base64.urlsafe_b64encode(header + sealed).rstrip(b"=").decode()


if __name__ == "__main__":
    print("stretched:", stretch(SECRET).hex())
    print("v4 one name:", seal_v4(SECRET, [b"session"]))
    print("v4 two names:", seal_v4(SECRET, [b"session", b"session2"]))
    print("v3 one name:", seal(SECRET, [b"session"]))
    print("v3 two names:", seal(SECRET, [b"session", b"session2"]))
    print("v2 one name:", seal_v2(SECRET, [b"session"]))
    print("v2 two names:", seal_v2(SECRET, [b"session", b"session2"]))
