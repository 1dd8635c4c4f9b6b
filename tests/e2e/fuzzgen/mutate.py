"""Byte-level mutation strategies shared by every codec's generator. Each returns
``(new_bytes, description)`` so a failure names how its input was made."""

from __future__ import annotations

import random

# Invalid or hostile UTF-8 / control sequences.
BAD_BYTES = [
    b"\xff", b"\xfe", b"\x00", b"\xc3\x28", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80", b"\xf8\x88\x80\x80\x80", b"\x80", b"\xbf", b"\xc3", b"\xe2\x82",
    b"\xef\xbb\xbf", b"\x1b", b"\x7f", b"\r", b"\n", b"\x0b", b"\xc2\x85",
]

# Depths for nesting: the crash depths and the 10..50,000 range.
DEPTHS = [10, 33, 64, 100, 101, 1000, 5000, 6150, 10000, 31000, 37500, 50000]


def pick_depth(rng: random.Random) -> int:
    return rng.choice(DEPTHS)


def byte_flip(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    if not data:
        return bytes([rng.randrange(256)]), "flip of empty"
    b = bytearray(data)
    n = rng.choice([1, 1, 2, 4, 16])
    for _ in range(n):
        i = rng.randrange(len(b))
        b[i] = rng.randrange(256)
    return bytes(b), f"{n} random byte(s) replaced"


def truncate(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    if len(data) < 2:
        return b"", "truncated to 0"
    n = rng.randrange(len(data))
    return data[:n], f"truncated to {n} of {len(data)} bytes"


def insert_bad(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    bad = rng.choice(BAD_BYTES)
    i = rng.randrange(len(data) + 1)
    return data[:i] + bad + data[i:], f"inserted {bad!r} at {i}"


def insert_after(rng: random.Random, data: bytes, marker: bytes) -> tuple[bytes, str]:
    """Insert a bad byte right after a random occurrence of ``marker`` (e.g. ``<`` or ``"``)."""
    spots = [i for i in range(len(data)) if data.startswith(marker, i)]
    if not spots:
        return insert_bad(rng, data)
    i = rng.choice(spots) + len(marker)
    bad = rng.choice(BAD_BYTES)
    return data[:i] + bad + data[i:], f"inserted {bad!r} after {marker!r} at {i}"


def repeat_slice(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    if len(data) < 2:
        return data * 2, "doubled"
    i = rng.randrange(len(data))
    j = min(len(data), i + rng.randint(1, 32))
    n = rng.choice([2, 10, 1000, 20000])
    return data[:i] + data[i:j] * n + data[j:], f"slice [{i}:{j}] repeated {n}x"


def delete_slice(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    if len(data) < 2:
        return b"", "deleted all"
    i = rng.randrange(len(data))
    j = min(len(data), i + rng.randint(1, 16))
    return data[:i] + data[j:], f"deleted [{i}:{j}]"


def random_bytes(rng: random.Random, _data: bytes = b"") -> tuple[bytes, str]:
    n = rng.choice([1, 7, 64, 1024])
    return bytes(rng.randrange(256) for _ in range(n)), f"{n} random bytes"


GENERIC = [byte_flip, truncate, insert_bad, repeat_slice, delete_slice]


def generic(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    f = rng.choice(GENERIC)
    out, d = f(rng, data)
    return out, f"{f.__name__}: {d}"


def klass(desc: str, width: int = 48) -> str:
    """A failure-class name from a description: digits and quoted bytes collapsed, so
    'nested <a> depth 5000' and '... depth 100' group together."""
    import re
    s = re.sub(r"b'[^']*'|b\"[^\"]*\"", "B", desc)
    s = re.sub(r"(?<![A-Za-z\d])\d+", "N", s)
    return s[:width]
