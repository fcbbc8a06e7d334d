#!/usr/bin/env python3
"""Writes blake2b-128.json, aes-256-gcm.json and scrypt.json next to this script.

Independent of the code under test: BLAKE2b from CPython's hashlib (its bundled reference
BLAKE2 code), cross-checked against GNU coreutils `b2sum -l 128`; AES-256-GCM from pyca
`cryptography` (its own bundled OpenSSL, not Node's); scrypt from hashlib.scrypt (the system OpenSSL).
Deterministic: inputs come from a seeded random.Random, so a re-run writes the same files.

    python3 test/vectors/make-crypto-vectors.py
"""
import hashlib
import json
import os
import random
import ssl
import subprocess
import sys
import unicodedata

import cryptography
from cryptography.hazmat.backends.openssl import backend
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(20240604)


def rand_bytes(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def pattern(n):
    """The message of a `pattern` case: byte i is i % 251."""
    return bytes(i % 251 for i in range(n))


def write(name, doc):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def b2sum128(data):
    out = subprocess.run(["b2sum", "-l", "128"], input=data, capture_output=True, check=True)
    return out.stdout.split()[0].decode()


# BLAKE2b-128 (spec zstor.md §2 steps 1 and 5, §3 keys).
cases = []
for text in ["", "abc", "The quick brown fox jumps over the lazy dog", "a/b"]:
    data = text.encode()
    cases.append({"utf8": text, "digest": hashlib.blake2b(data, digest_size=16).hexdigest()})
for n in [1, 3, 63, 64, 65, 127, 128, 129, 255, 256, 257, 1000, 4096, 65535, 65536, 1048576]:
    data = pattern(n)
    cases.append({"pattern": n, "digest": hashlib.blake2b(data, digest_size=16).hexdigest()})
for case in cases:
    data = case["utf8"].encode() if "utf8" in case else pattern(case["pattern"])
    assert b2sum128(data) == case["digest"], case
write("blake2b-128.json", {
    "about": "BLAKE2b with a 16-byte digest, unkeyed (Blake2bVar::new(16), b2sum -l 128). "
             "A case holds its message as UTF-8 text (`utf8`) or as `pattern`: n bytes, byte i = i % 251.",
    "source": f"Python {sys.version.split()[0]} hashlib.blake2b(digest_size=16), every digest checked "
              "equal to GNU coreutils `b2sum -l 128`; made by make-crypto-vectors.py",
    "cases": cases,
})

# AES-256-GCM, no AAD, sealed = nonce(12) || ciphertext || tag(16) (spec zstor.md §2 step 3).
gcm_spec = [
    # McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", test cases 13-15 (AES-256,
    # 96-bit IV, no AAD); the same values are in NIST CAVP gcmEncryptExtIV256.
    ("GCM spec test case 13", "00" * 32, "00" * 12, "", "", "530f8afbc74536b9a963b4f1c4cb738b"),
    ("GCM spec test case 14", "00" * 32, "00" * 12, "00" * 16, "cea7403d4d606b6e074ec5d3baf39d18",
     "d0d1c8a799996bf0265b98b5d48ab919"),
    ("GCM spec test case 15",
     "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"),
]
gcm_cases = []
for name, key, nonce, pt, ct, tag in gcm_spec:
    got = AESGCM(bytes.fromhex(key)).encrypt(bytes.fromhex(nonce), bytes.fromhex(pt), None)
    assert got.hex() == ct + tag, name
    gcm_cases.append({"name": name, "key": key, "nonce": nonce, "plaintext": pt,
                      "sealed": nonce + ct + tag})
for n in [0, 1, 15, 16, 17, 31, 255, 1000, 4096]:
    key, nonce, pt = rand_bytes(32), rand_bytes(12), rand_bytes(n)
    sealed = nonce + AESGCM(key).encrypt(nonce, pt, None)
    gcm_cases.append({"name": f"random {n} bytes", "key": key.hex(), "nonce": nonce.hex(),
                      "plaintext": pt.hex(), "sealed": sealed.hex()})
write("aes-256-gcm.json", {
    "about": "AES-256-GCM without AAD in upstream 0-stor's layout: sealed = nonce(12) || ciphertext || tag(16).",
    "source": "The first three are test cases 13-15 of McGrew & Viega's GCM specification (also in NIST "
              f"CAVP gcmEncryptExtIV256); all are computed with pyca cryptography {cryptography.__version__} "
              f"AESGCM ({backend.openssl_version_text()}), which reproduces the published ones; "
              "made by make-crypto-vectors.py",
    "cases": gcm_cases,
})

# scrypt key derivation (this project's passphrase keys; upstream has none).
scrypt_cases = []
for passphrase, log_n in [("correct horse battery staple", 14), ("p\u00e4ssw\u00f6rd \u2603", 14),
                          ("correct horse battery staple", 17)]:
    salt = rand_bytes(16)
    data = unicodedata.normalize("NFC", passphrase).encode()
    key = hashlib.scrypt(data, salt=salt, n=2**log_n, r=8, p=1, dklen=32, maxmem=2**28)
    scrypt_cases.append({"passphrase": passphrase, "salt": salt.hex(),
                         "params": {"N": 2**log_n, "r": 8, "p": 1}, "key": key.hex()})
write("scrypt.json", {
    "about": "scrypt(NFC-normalized UTF-8 passphrase, salt, N, r, p, dkLen = 32).",
    "source": f"Python {sys.version.split()[0]} hashlib.scrypt ({ssl.OPENSSL_VERSION}); "
              "made by make-crypto-vectors.py",
    "cases": scrypt_cases,
})
print("ok")
