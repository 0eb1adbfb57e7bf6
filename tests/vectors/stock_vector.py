#!/usr/bin/env python3
"""Test vectors for src/seal/stock.rs: stock mod_session_crypto's format,
computed independently of the Rust code (hashlib, `cryptography`, and a
pure-Python SipHash-2-4 written from the SipHash paper).

    base64( siphash24(md5(pass), rest) LE || rest ),  rest = salt || iv || cbc
    key = PBKDF2-HMAC-SHA1(pass, salt, 4096, key length)

Run: python3 tests/vectors/stock_vector.py   (needs `pip install cryptography`)
"""
import base64
import hashlib

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

try:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # cryptography < 43
    TripleDES = algorithms.TripleDES

M64 = (1 << 64) - 1


def rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & M64


def siphash24(key, msg):
    k0 = int.from_bytes(key[:8], "little")
    k1 = int.from_bytes(key[8:], "little")
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D,
         k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573]

    def rnd():
        v[0] = (v[0] + v[1]) & M64; v[1] = rotl(v[1], 13); v[1] ^= v[0]; v[0] = rotl(v[0], 32)
        v[2] = (v[2] + v[3]) & M64; v[3] = rotl(v[3], 16); v[3] ^= v[2]
        v[0] = (v[0] + v[3]) & M64; v[3] = rotl(v[3], 21); v[3] ^= v[0]
        v[2] = (v[2] + v[1]) & M64; v[1] = rotl(v[1], 17); v[1] ^= v[2]; v[2] = rotl(v[2], 32)

    tail = len(msg) % 8
    for i in range(0, len(msg) - tail, 8):
        m = int.from_bytes(msg[i:i + 8], "little")
        v[3] ^= m; rnd(); rnd(); v[0] ^= m
    m = ((len(msg) & 0xFF) << 56) | int.from_bytes(msg[len(msg) - tail:], "little")
    v[3] ^= m; rnd(); rnd(); v[0] ^= m
    v[2] ^= 0xFF
    for _ in range(4):
        rnd()
    return v[0] ^ v[1] ^ v[2] ^ v[3]


# Reference vector from the SipHash paper (appendix A).
assert siphash24(bytes(range(16)), bytes(range(15))) == 0xA129CA6149BE45E5

CIPHERS = {  # name: (algorithm, key length, block/IV length)
    "aes128": (algorithms.AES, 16, 16),
    "aes192": (algorithms.AES, 24, 16),
    "aes256": (algorithms.AES, 32, 16),
    "3des192": (TripleDES, 24, 8),
}

PASSPHRASE = b"stock passphrase"
SALT = bytes(range(16))
PLAINTEXT = b"user=alice&expiry=1800000000000000"


def seal(name, passphrase, salt, iv, plaintext):
    alg, klen, blen = CIPHERS[name]
    key = hashlib.pbkdf2_hmac("sha1", passphrase, salt, 4096, klen)
    padder = padding.PKCS7(blen * 8).padder()
    padded = padder.update(plaintext) + padder.finalize()
    enc = Cipher(alg(key), modes.CBC(iv)).encryptor()
    rest = salt + iv + enc.update(padded) + enc.finalize()
    mac = siphash24(hashlib.md5(passphrase).digest(), rest).to_bytes(8, "little")
    return base64.b64encode(mac + rest).decode()


if __name__ == "__main__":
    for name, (_, _, blen) in CIPHERS.items():
        iv = bytes(range(0xA0, 0xA0 + blen))
        print(f"{name}: {seal(name, PASSPHRASE, SALT, iv, PLAINTEXT)}")
