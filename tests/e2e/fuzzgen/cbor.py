"""A minimal CBOR (RFC 8949) encoder and decoder: enough to build rpcv2Cbor requests and to
read an error body's ``__type``. The decoder is iterative-free but depth-capped, since it
reads server output only."""

from __future__ import annotations

import struct


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    if n < 0x100:
        return bytes([major << 5 | 24, n])
    if n < 0x10000:
        return bytes([major << 5 | 25]) + struct.pack(">H", n)
    if n < 0x100000000:
        return bytes([major << 5 | 26]) + struct.pack(">I", n)
    return bytes([major << 5 | 27]) + struct.pack(">Q", n)


def encode(v) -> bytes:
    if v is None:
        return b"\xf6"
    if v is True:
        return b"\xf5"
    if v is False:
        return b"\xf4"
    if isinstance(v, int):
        return _head(0, v) if v >= 0 else _head(1, -1 - v)
    if isinstance(v, float):
        return b"\xfb" + struct.pack(">d", v)
    if isinstance(v, (bytes, bytearray)):
        return _head(2, len(v)) + bytes(v)
    if isinstance(v, str):
        b = v.encode("utf-8")
        return _head(3, len(b)) + b
    if isinstance(v, (list, tuple)):
        return _head(4, len(v)) + b"".join(encode(x) for x in v)
    if isinstance(v, dict):
        return _head(5, len(v)) + b"".join(encode(k) + encode(x) for k, x in v.items())
    raise TypeError(type(v))


class CBORError(ValueError):
    pass


def decode(data: bytes, max_depth: int = 64):
    v, pos = _item(data, 0, 0, max_depth)
    if pos != len(data):
        raise CBORError("trailing bytes")
    return v


def _arg(data: bytes, pos: int, info: int):
    if info < 24:
        return info, pos
    sizes = {24: 1, 25: 2, 26: 4, 27: 8}
    if info not in sizes:
        raise CBORError("indefinite or reserved")
    n = sizes[info]
    if pos + n > len(data):
        raise CBORError("short")
    return int.from_bytes(data[pos:pos + n], "big"), pos + n


def _item(data: bytes, pos: int, depth: int, max_depth: int):
    if depth > max_depth:
        raise CBORError("too deep")
    if pos >= len(data):
        raise CBORError("short")
    ib = data[pos]
    pos += 1
    major, info = ib >> 5, ib & 31
    if major == 7:
        if info == 20:
            return False, pos
        if info == 21:
            return True, pos
        if info in (22, 23):
            return None, pos
        if info == 25:
            return struct.unpack(">e", data[pos:pos + 2])[0], pos + 2
        if info == 26:
            return struct.unpack(">f", data[pos:pos + 4])[0], pos + 4
        if info == 27:
            return struct.unpack(">d", data[pos:pos + 8])[0], pos + 8
        raise CBORError("simple")
    if info == 31 and major in (2, 3, 4, 5):
        # indefinite length
        if major in (2, 3):
            parts = []
            while True:
                if pos >= len(data):
                    raise CBORError("short")
                if data[pos] == 0xFF:
                    pos += 1
                    break
                p, pos = _item(data, pos, depth + 1, max_depth)
                parts.append(p)
            return (b"".join(parts) if major == 2 else "".join(parts)), pos
        out_l, out_m, key = [], {}, None
        while True:
            if pos >= len(data):
                raise CBORError("short")
            if data[pos] == 0xFF:
                pos += 1
                break
            x, pos = _item(data, pos, depth + 1, max_depth)
            if major == 4:
                out_l.append(x)
            else:
                y, pos = _item(data, pos, depth + 1, max_depth)
                out_m[x if not isinstance(x, (list, dict)) else repr(x)] = y
        return (out_l if major == 4 else out_m), pos
    n, pos = _arg(data, pos, info)
    if major == 0:
        return n, pos
    if major == 1:
        return -1 - n, pos
    if major in (2, 3):
        if pos + n > len(data):
            raise CBORError("short")
        raw = data[pos:pos + n]
        return (raw if major == 2 else raw.decode("utf-8")), pos + n
    if major == 4:
        out = []
        for _ in range(n):
            x, pos = _item(data, pos, depth + 1, max_depth)
            out.append(x)
        return out, pos
    if major == 5:
        out = {}
        for _ in range(n):
            k, pos = _item(data, pos, depth + 1, max_depth)
            v, pos = _item(data, pos, depth + 1, max_depth)
            out[k if not isinstance(k, (list, dict)) else repr(k)] = v
        return out, pos
    # major 6: tag
    return _item(data, pos, depth + 1, max_depth)
