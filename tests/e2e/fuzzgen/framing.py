"""HTTP framing over raw sockets (Content-Length, Transfer-Encoding, chunked bodies, request
line, header syntax and sizes, pipelining) and S3 aws-chunked bodies (signed and unsigned
with trailers)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import re
import zlib
from typing import Iterator

from . import mutate as m
from .engine import EMPTY_SHA, Case, Ctx, serialize, sign
from conftest import SECRET_KEY, REGION

STS_BODY = b"Action=GetCallerIdentity&Version=2011-06-15"
FORM = "application/x-www-form-urlencoded; charset=utf-8"


def _sts_headers(ctx: Ctx, body: bytes = STS_BODY) -> dict:
    return sign("POST", ctx.netloc, "/", "sts", body, {"Content-Type": FORM})


def _ddb_headers(ctx: Ctx, body: bytes) -> dict:
    return sign("POST", ctx.netloc, "/", "dynamodb", body,
                {"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"})


def _s3_put_headers(ctx: Ctx, key: str, body: bytes) -> dict:
    return sign("PUT", ctx.netloc, f"/{ctx.BUCKET}/{key}", "s3", body, s3=True)


def _valid(ctx: Ctx) -> bytes:
    return serialize("POST", "/", _sts_headers(ctx), STS_BODY)


def _chunked(body: bytes, sizes=None) -> bytes:
    out = b""
    i = 0
    for n in (sizes or [len(body)]):
        part = body[i:i + n]
        i += n
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\n\r\n"


def gen_framing(rng: random.Random, ctx: Ctx) -> Iterator[Case]:
    while True:
        k = rng.randrange(12)
        if k == 0:  # Content-Length values
            cl = rng.choice([b"abc", b"-1", b"", b" 5", b"0x10", b"1e3", b"+43", b"99999999999999999999",
                             b"18446744073709551616", b"43, 43", b"43,44", b"4 3", b"\xff", b"43\x00"])
            h = [(k_, v) for k_, v in _sts_headers(ctx).items()] + [("Content-Length", cl)]
            yield Case(serialize("POST", "/", h, STS_BODY), "any", f"cl:{repr(cl)[:20]}",
                       f"Content-Length: {cl!r}", timeout=5)
        elif k == 1:  # duplicate / conflicting Content-Length
            v2 = rng.choice([b"43", b"44", b"0"])
            h = list(_sts_headers(ctx).items()) + [("Content-Length", b"43"), ("Content-Length", v2)]
            yield Case(serialize("POST", "/", h, STS_BODY), "any", f"cl:duplicate-{v2 == b'43'}",
                       f"Content-Length twice (43, {v2.decode()})", timeout=5)
        elif k == 2:  # body shorter than Content-Length, then EOF
            cut = rng.randrange(len(STS_BODY))
            h = list(_sts_headers(ctx).items()) + [("Content-Length", str(len(STS_BODY)))]
            raw = serialize("POST", "/", h, b"") + STS_BODY[:cut]
            yield Case(raw, "any", "cl:short-body", f"{cut} of {len(STS_BODY)} body bytes, then FIN",
                       half_close=True, may_close=True, timeout=5)
        elif k == 3:  # body longer than Content-Length: the extra bytes are a second request
            extra = rng.choice([b"garbage\r\n\r\n", b"\xff\xfe\r\n\r\n", b"\r\n\r\n", b"GET / HTTP/1.1\r\n"])
            raw = _valid(ctx) + extra
            # Empty lines and a head cut by EOF owe no second answer; bytes that are no request do.
            owed_close = extra in (b"\r\n\r\n", b"GET / HTTP/1.1\r\n")
            yield Case(raw, "any", f"cl:long-body", f"valid request + {extra!r} then FIN", responses=2,
                       half_close=owed_close, may_close=owed_close, timeout=5)
        elif k == 4:  # Transfer-Encoding values
            te = rng.choice([b"gzip", b"chunked, gzip", b"identity", b"xchunked", b"chunked\x00", b"CHUNKED",
                             b"chunked;q=1", b"\xff", b"deflate, chunked", b"chunked, chunked"])
            h = [(a, b) for a, b in _sts_headers(ctx).items()] + [("Transfer-Encoding", te)]
            raw = serialize("POST", "/", h, b"", content_length=False) + _chunked(STS_BODY)
            yield Case(raw, "any", f"te:{repr(te)[:20]}", f"Transfer-Encoding: {te!r}", timeout=5)
        elif k == 5:  # both Transfer-Encoding and Content-Length (smuggling shape)
            h = list(_sts_headers(ctx).items()) + [("Transfer-Encoding", "chunked"), ("Content-Length", "4")]
            raw = serialize("POST", "/", h, b"", content_length=False) + _chunked(STS_BODY)
            yield Case(raw, "any", "te+cl", "Transfer-Encoding: chunked and Content-Length: 4", timeout=5)
        elif k == 6:  # broken chunked framing
            body = _chunked(STS_BODY, [10, 20, 13])
            mut = rng.randrange(8)
            if mut == 0:
                body, desc = b"zz\r\n" + body, "chunk size 'zz'"
            elif mut == 1:
                body, desc = b"-1\r\nab\r\n" + body, "chunk size -1"
            elif mut == 2:
                body, desc = b"ffffffffffffffffff\r\nab\r\n", "chunk size 2^72"
            elif mut == 3:
                body, desc = body.replace(b"\r\n", b"", 2), "CRLF after a size missing"
            elif mut == 4:
                body, desc = body[:-5], "no last chunk, then FIN"
            elif mut == 5:
                body, desc = b"a;ext=\xff\r\n0123456789\r\n0\r\n\r\n", "chunk extension with a non-UTF-8 byte"
            elif mut == 6:
                body, desc = b"1" + b"0" * 70000 + b"\r\n", "70 KB chunk-size line"
            else:
                body, desc = body[:-2] + b"x-trailer\xff: \x00\r\n\r\n", "garbage trailer"
            h = list(_sts_headers(ctx).items()) + [("Transfer-Encoding", "chunked")]
            raw = serialize("POST", "/", h, b"", content_length=False) + body
            yield Case(raw, "any", f"chunked:{m.klass(desc, 24)}", desc, half_close=mut == 4, may_close=mut == 4, timeout=5)
        elif k == 7:  # request line
            line = rng.choice([
                b"POST /caf\xc3\xa9 HTTP/1.1", b"POST /\xff HTTP/1.1", b"POST /a b HTTP/1.1", b"POST / HTTP/9.9",
                b"POST / HTTP/1.1x", b"post / HTTP/1.1", b"FOO / HTTP/1.1", b"POST " + b"/a" * 50000 + b" HTTP/1.1",
                b"POST", b"POST / ", b"POST http://x/ HTTP/1.1", b"OPTIONS * HTTP/1.1", b"CONNECT x:1 HTTP/1.1",
                b"\x00POST / HTTP/1.1", b"POST /\x00 HTTP/1.1", b"P" * 10000 + b" / HTTP/1.1", b"POST / HTTP/1.0",
                b"POST /?\xff=1 HTTP/1.1", b"POST /%zz HTTP/1.1", b"POST // HTTP/1.1"])
            hdrs = b"".join(f"{a}: {b}\r\n".encode() for a, b in _sts_headers(ctx).items())
            raw = line + b"\r\n" + hdrs + b"Content-Length: %d\r\n\r\n" % len(STS_BODY) + STS_BODY
            yield Case(raw, "any", f"request-line:{repr(line[:24])}", f"request line {line[:80]!r}", timeout=5)
        elif k == 8:  # header syntax
            bad = rng.choice([b"Foo Bar: x", b"F\xffoo: x", b": x", b"NoColon", b"X-A: a\x00b", b" folded: x",
                              b"X-A: a\r\n continued", b"X-A: a\rb", b"X-\x01: x", b"X-A:\xff\xfe",
                              b"Host: a\r\nHost: b", b"X-A\t: x"])
            hdrs = b"".join(f"{a}: {b}\r\n".encode() for a, b in _sts_headers(ctx).items())
            raw = (b"POST / HTTP/1.1\r\n" + hdrs + bad + b"\r\nContent-Length: %d\r\n\r\n" % len(STS_BODY)
                   + STS_BODY)
            yield Case(raw, "any", f"header:{repr(bad)[:24]}", f"header line {bad!r}", timeout=5)
        elif k == 9:  # header sizes
            what = rng.randrange(4)
            h = list(_sts_headers(ctx).items())
            if what == 0:
                h.append(("X-Big", "v" * rng.choice([9000, 70000, 1_000_000])))
                desc = f"one {len(h[-1][1])}-byte header"
            elif what == 1:
                h += [(f"X-H{i}", "v") for i in range(rng.choice([200, 5000]))]
                desc = f"{len(h)} headers"
            elif what == 2:
                h.append(("X-" + "n" * 70000, "v"))
                desc = "70 KB header name"
            else:
                h.append(("Cookie", "c" * 100000))
                desc = "100 KB cookie"
            yield Case(serialize("POST", "/", h, STS_BODY), "any", f"header-size:{m.klass(desc, 24)}", desc, timeout=5)
        elif k == 10:  # pipelined garbage and odd preludes
            what = rng.randrange(7)
            if what == 0:
                raw, desc, n = _valid(ctx) + _valid(ctx) + b"\xff\x00garbage\r\n\r\n", "two requests + garbage", 3
            elif what == 5:
                # An error must not poison the connection: the next request is answered (or the
                # error said Connection: close).
                bad = b"{" * 10
                h = _ddb_headers(ctx, bad)
                raw, desc, n = serialize("POST", "/", h, bad) + _valid(ctx), "malformed JSON then a valid request", 2
            elif what == 6:
                h = list(_sts_headers(ctx).items()) + [("X-Big", "v" * 70000)]
                raw, desc, n = (_valid(ctx) + serialize("POST", "/", h, STS_BODY) + _valid(ctx),
                                "valid, 70 KB header, valid", 3)
            elif what == 1:
                raw, desc, n = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "HTTP/2 preface", 1
            elif what == 2:
                raw, desc, n = bytes.fromhex("16030100a5010000a10303") + b"\x00" * 40 + b"\r\n\r\n", "TLS ClientHello", 1
            elif what == 3:
                raw, desc, n = b"\r\n\r\n\r\n" + _valid(ctx), "empty lines before a request", 1
            else:
                raw, desc, n = _valid(ctx).replace(b"\r\n", b"\n"), "bare LF line endings", 1
            yield Case(raw, "any", f"pipeline:{m.klass(desc, 24)}", desc, responses=n, timeout=5)
        else:  # Expect / Connection / body to DynamoDB with gzip claims
            what = rng.randrange(3)
            body = b"{}"
            h = _ddb_headers(ctx, body)
            if what == 0:
                h["Expect"] = rng.choice(["200-nope", "100-continue, x", "\xff"])
                desc = f"Expect: {h['Expect']!r}"
            elif what == 1:
                h["Connection"] = rng.choice(["upgrade", "close, \xff", "keep-alive" * 1000])
                desc = "Connection header"
            else:
                h["Content-Encoding"] = "gzip"
                desc = "Content-Encoding gzip over a non-gzip body"
            h2 = {a: (b.encode("latin-1") if isinstance(b, str) else b) for a, b in h.items()}
            yield Case(serialize("POST", "/", h2, body), "any", f"misc:{m.klass(desc, 24)}", desc, timeout=5)


# --------------------------------------------------------------------------------------
# aws-chunked
# --------------------------------------------------------------------------------------

def _signing_key(date: str, region: str = REGION, service: str = "s3") -> bytes:
    k = hmac.new(("AWS4" + SECRET_KEY).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def _chunk_sig(key: bytes, amz_date: str, scope: str, prev: str, data: bytes) -> str:
    sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev, EMPTY_SHA,
                     hashlib.sha256(data).hexdigest()])
    return hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()


def signed_chunked(ctx: Ctx, key: str, payload: bytes, sizes: list[int], decoded_len=None,
                   headers_extra=None) -> tuple[dict, list[tuple[bytes, str]]]:
    """Headers and [(chunk data, chunk signature)] for a STREAMING-AWS4-HMAC-SHA256-PAYLOAD PUT."""
    hdrs = {"Content-Encoding": "aws-chunked",
            "x-amz-decoded-content-length": str(len(payload) if decoded_len is None else decoded_len)}
    hdrs.update(headers_extra or {})
    h = sign("PUT", ctx.netloc, f"/{ctx.BUCKET}/{key}", "s3", b"", hdrs, s3=True,
             content_sha="STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    amz_date = h["X-Amz-Date"]
    seed = re.search(r"Signature=([0-9a-f]+)", h["Authorization"]).group(1)
    scope = f"{amz_date[:8]}/{REGION}/s3/aws4_request"
    sk = _signing_key(amz_date[:8])
    chunks, prev, i = [], seed, 0
    for n in sizes + [0]:
        data = payload[i:i + n]
        i += n
        prev = _chunk_sig(sk, amz_date, scope, prev, data)
        chunks.append((data, prev))
    return h, chunks


def _frame(chunks) -> bytes:
    return b"".join(b"%x;chunk-signature=%s\r\n" % (len(d), s.encode()) + d + b"\r\n" for d, s in chunks)


def gen_aws_chunked(rng: random.Random, ctx: Ctx) -> Iterator[Case]:
    while True:
        key = ctx.unique("ac")
        payload = bytes(rng.randrange(256) for _ in range(rng.choice([1, 100, 9000])))
        sizes = [len(payload)] if len(payload) < 8192 else [8192, len(payload) - 8192]
        target = f"/{ctx.BUCKET}/{key}"
        r = rng.randrange(14)
        decoded = None
        extra = {}
        if r == 0:
            decoded, desc = rng.choice(["abc", "-1", "", "1e3", "0x10"]), "non-numeric decoded length"
        elif r == 1:
            decoded, desc = rng.choice(["99999999999999999999", "6000000000", "18446744073709551615"]), "huge decoded length"
        elif r == 2:
            decoded, desc = len(payload) + rng.choice([-1, 1, 1000]), "decoded length off"
        h, chunks = signed_chunked(ctx, key, payload, sizes, decoded, extra)
        if r == 0 or r == 1:
            h["x-amz-decoded-content-length"] = decoded
        body = _frame(chunks)
        if r == 3:
            del h["x-amz-decoded-content-length"]
            desc = "decoded length missing (unsigned)"
        elif r == 4:
            body += rng.choice([b"garbage", b"0;chunk-signature=00\r\n\r\n", b"\r\n"])
            desc = "bytes after the final chunk"
        elif r == 5:
            d, s = chunks[0]
            s2 = s[:-1] + ("0" if s[-1] != "0" else "1")
            body = _frame([(d, s2)] + chunks[1:])
            desc = "first chunk signature off by one hex digit"
        elif r == 6:
            d, s = chunks[0]
            body = _frame([(d, s.upper())] + chunks[1:])
            desc = "chunk signature in uppercase hex"
        elif r == 7:
            body = body.replace(b";chunk-signature=" + chunks[0][1].encode(), b"", 1)
            desc = "chunk without a signature"
        elif r == 8:
            body = body.replace(b"%x;" % len(chunks[0][0]), rng.choice([b"zz;", b"-1;", b"ffffffffffffffff;", b";"]), 1)
            desc = "chunk size garbage"
        elif r == 9:
            d, s = chunks[-1]
            body = _frame(chunks[:-1])
            desc = "final 0-size chunk missing"
        elif r == 10:
            body, desc = m.truncate(rng, body)
        elif r == 11:
            flipped, d = m.byte_flip(rng, body)
            desc = f"framing {d}" if flipped != body else "valid"
            body = flipped
        elif r == 12:
            # unsigned with a trailing checksum
            crc = base64.b64encode(zlib.crc32(payload).to_bytes(4, "big")).decode()
            bad = rng.choice([crc, "AAAAAA==", "!!", "", "x" * 100])
            hh = sign("PUT", ctx.netloc, target, "s3", b"",
                      {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(payload)),
                       "x-amz-trailer": "x-amz-checksum-crc32"}, s3=True,
                      content_sha="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
            tr = rng.choice([f"x-amz-checksum-crc32:{bad}\r\n", "", "garbage\r\n", f"x-amz-checksum-sha256:{bad}\r\n"])
            body = b"%x\r\n" % len(payload) + payload + b"\r\n0\r\n" + tr.encode() + b"\r\n"
            h = hh
            desc = f"unsigned trailer {tr.strip()[:40]!r}"
            if tr == f"x-amz-checksum-crc32:{crc}\r\n":
                desc = "valid unsigned trailer"
        else:
            desc = "valid"
        must_fail = desc not in ("valid", "valid unsigned trailer")
        raw = serialize("PUT", target, h, body)
        yield Case(raw, "s3", f"aws-chunked:{m.klass(desc, 30)}", f"PUT {target} aws-chunked: {desc}",
                   half_close=r in (9, 10), may_close=r in (9, 10), must_fail=must_fail and r != 6,
                   should_fail=r == 6, timeout=5)
