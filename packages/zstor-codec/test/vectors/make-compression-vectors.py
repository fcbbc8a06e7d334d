#!/usr/bin/python3
"""Writes snappy-frame.json and zstd.json next to this script.

Independent of the code under test: snappy framing from python-snappy's StreamCompressor over
Google's C++ libsnappy (Debian `python3-snappy`, run with the system /usr/bin/python3), checked by
python-snappy's own StreamDecompressor; zstd frames from the zstd command-line tool (Debian
`zstd`). Hand-built streams (padding and skippable chunks, concatenated streams) are assembled
here from the framing format's text (google/snappy framing_format.txt) and each is checked to
decode with python-snappy. python-snappy 0.5.3's C CRC-32C fails under Python 3.11
("PY_SSIZE_T_CLEAN macro must be defined"), so its CRC function is replaced by crcmod's
predefined 'crc-32c' (Debian `python3-crcmod`), checked against the standard check value first.
Deterministic: inputs come from a seeded random.Random.

    /usr/bin/python3 test/vectors/make-compression-vectors.py
"""
import json
import os
import random
import struct
import subprocess
import tempfile

import crcmod.predefined
import snappy
import snappy.snappy

_crc32c = crcmod.predefined.mkCrcFun("crc-32c")
assert _crc32c(b"123456789") == 0xE3069283
snappy.snappy._crc32c = _crc32c

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(20241121)


def rand_bytes(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def pattern(n):
    """The message of a `pattern` case: byte i is i % 251."""
    return bytes(i % 251 for i in range(n))


TEXT = "QSFS stores objects on 0-db backends; "


def message(case):
    if "hex" in case:
        return bytes.fromhex(case["hex"])
    if "pattern" in case:
        return pattern(case["pattern"])
    return (case["utf8"] * case.get("repeat", 1)).encode()


def framed(data, compress=None):
    return snappy.StreamCompressor().add_chunk(data, compress=compress)


def python_decodes(stream):
    d = snappy.StreamDecompressor()
    out = d.decompress(stream)
    d.flush()
    return out


def chunk(kind, body):
    return struct.pack("<L", kind + (len(body) << 8)) + body


def write(name, doc):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


inputs = [
    {"utf8": ""},
    {"utf8": "a"},
    {"utf8": "hello, quantum-safe storage"},
    {"utf8": TEXT, "repeat": 1000},
    {"utf8": TEXT, "repeat": 6000},
    {"pattern": 65536},
    {"pattern": 65537},
    {"pattern": 100000},
    {"hex": rand_bytes(3000).hex()},
    {"hex": rand_bytes(40000).hex()},
]

snappy_cases = []
for case in inputs:
    data = message(case)
    for mode, flag in (("auto", None), ("always", True)):
        stream = framed(data, flag)
        assert python_decodes(stream) == data
        snappy_cases.append({**case, "compress": mode, "framed": stream.hex()})

# Hand-built streams, from the framing format's text.
data = message({"utf8": TEXT, "repeat": 50})
one = framed(data, True)
ident = one[:10]
body = one[10:]
hand = [
    ("padding chunk (0xfe) before the data", ident + chunk(0xFE, b"\0" * 7) + body),
    ("skippable chunk (0x80) after the data", one + chunk(0x80, b"skip me")),
    ("skippable chunk (0xfd) with an empty body", ident + chunk(0xFD, b"") + body),
    ("two concatenated streams", one + one),
    ("an uncompressed chunk then a compressed one", framed(data[:100], False) + framed(data[100:], True)[10:]),
]
for description, stream in hand:
    expected = python_decodes(stream)
    snappy_cases.append({"description": description, "expected": expected.hex(), "framed": stream.hex()})

write(
    "snappy-frame.json",
    {
        "source": f"python-snappy 0.5.3 (Debian python3-snappy, over libsnappy) StreamCompressor with crcmod's CRC-32C; hand-built cases assembled from framing_format.txt and decoded by python-snappy's StreamDecompressor",
        "cases": snappy_cases,
    },
)

version = subprocess.run(["zstd", "--version"], capture_output=True, text=True, check=True).stdout.strip()
zstd_cases = []
with tempfile.TemporaryDirectory() as tmp:
    for case in inputs:
        data = message(case)
        path = os.path.join(tmp, "in")
        with open(path, "wb") as f:
            f.write(data)
        for flags in (["-3"], ["-19", "--no-check"]):
            frame = subprocess.run(["zstd", "-q", "-c", *flags, path], capture_output=True, check=True).stdout
            back = subprocess.run(["zstd", "-q", "-d", "-c"], input=frame, capture_output=True, check=True).stdout
            assert back == data
            zstd_cases.append({**case, "flags": " ".join(flags), "frame": frame.hex()})

write("zstd.json", {"source": f"the zstd command-line tool ({version}), compressing a file so that the frame states its size", "cases": zstd_cases})
