"""Signature mutations with valid keys: Authorization parts, X-Amz-Date,
X-Amz-Content-SHA256, credential scope (service / region / terminator), session tokens,
presigned query parameters and S3's SigV2. A mutation that breaks the signature must be
refused (a 2xx is a failure)."""

from __future__ import annotations

import hashlib
import random
import re
from typing import Iterator

from . import mutate as m
from .engine import Case, Ctx, serialize, sign
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from conftest import ACCESS_KEY, REGION, SECRET_KEY

STS_BODY = b"Action=GetCallerIdentity&Version=2011-06-15"


def _bases(ctx: Ctx):
    """(label, expect family, method, target, service, body, headers, s3)"""
    return [
        ("sts", "query", "POST", "/", "sts", STS_BODY, {"Content-Type": "application/x-www-form-urlencoded"}, False),
        ("dynamodb", "json", "POST", "/", "dynamodb", b"{}",
         {"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"}, False),
        ("sqs", "json", "POST", "/", "sqs", b"{}",
         {"X-Amz-Target": "AmazonSQS.ListQueues", "Content-Type": "application/x-amz-json-1.0"}, False),
        ("s3-get", "s3", "GET", f"/{ctx.BUCKET}/{ctx.OBJECT}", "s3", b"", {}, True),
        ("s3-put", "s3", "PUT", f"/{ctx.BUCKET}/sig-put", "s3", b"body", {}, True),
        ("s3-list", "s3", "GET", f"/{ctx.BUCKET}?list-type=2", "s3", b"", {}, True),
    ]


AUTH_MUTATIONS = [
    ("drop Credential", lambda a: re.sub(r"Credential=[^,]*,\s*", "", a), True),
    ("drop SignedHeaders", lambda a: re.sub(r"SignedHeaders=[^,]*,\s*", "", a), True),
    ("drop Signature", lambda a: re.sub(r",\s*Signature=[0-9a-f]*", "", a), True),
    ("algorithm only", lambda a: "AWS4-HMAC-SHA256", True),
    ("empty", lambda a: "", True),
    ("wrong algorithm", lambda a: a.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512", 1), True),
    ("SigV4a algorithm", lambda a: a.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1), True),
    ("lowercase algorithm", lambda a: a.replace("AWS4-HMAC-SHA256", "aws4-hmac-sha256", 1), True),
    ("no spaces", lambda a: a.replace(", ", ","), False),
    ("extra spaces", lambda a: a.replace(", ", " ,  ").replace("AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256    "), False),
    ("duplicate Credential", lambda a: a.replace("Credential=", "Credential=AKIAX/20200101/us-east-1/sts/aws4_request, Credential=", 1), True),
    ("scope with 3 parts", lambda a: re.sub(r"(Credential=[^/]+/[^/]+/[^/]+)/[^,]*", r"\1", a), True),
    ("scope with 7 parts", lambda a: re.sub(r"(Credential=[^,]*)", r"\1/x/y", a), True),
    ("unknown access key", lambda a: a.replace(ACCESS_KEY, "AKIAUNKNOWNKEY000000"), True),
    ("empty access key", lambda a: a.replace(ACCESS_KEY, ""), True),
    ("scope date mismatch", lambda a: re.sub(r"(Credential=[^/]+/)\d{8}", r"\g<1>20000101", a), True),
    ("scope date garbage", lambda a: re.sub(r"(Credential=[^/]+/)\d{8}", r"\g<1>2024-1-1", a), True),
    ("scope region garbage", lambda a: a.replace(f"/{REGION}/", "/xx-\u00e9-1/"), True),
    ("scope region other", lambda a: a.replace(f"/{REGION}/", "/eu-west-1/"), True),
    ("scope service swapped", lambda a: re.sub(r"/(sts|dynamodb|sqs|s3)/aws4_request", "/kms/aws4_request", a), True),
    ("scope service s3<->sqs", lambda a: re.sub(r"/(sts|dynamodb|sqs|s3)/aws4_request",
                                               lambda mm: "/sqs/aws4_request" if mm.group(1) == "s3" else "/s3/aws4_request", a), True),
    ("terminator wrong", lambda a: a.replace("aws4_request", "aws4_requestx"), True),
    ("SignedHeaders without host", lambda a: re.sub(r"host;?", "", a, count=1), True),
    ("SignedHeaders names an absent header", lambda a: a.replace("SignedHeaders=", "SignedHeaders=a-missing;", 1), True),
    ("SignedHeaders uppercase", lambda a: re.sub(r"SignedHeaders=([^,]*)", lambda mm: "SignedHeaders=" + mm.group(1).upper(), a), True),
    ("SignedHeaders duplicated", lambda a: re.sub(r"SignedHeaders=([^,]*)", r"SignedHeaders=\1;\1", a), True),
    ("SignedHeaders empty", lambda a: re.sub(r"SignedHeaders=[^,]*", "SignedHeaders=", a), True),
    ("signature flipped", lambda a: a[:-1] + ("0" if a[-1] != "0" else "1"), True),
    ("signature uppercase", lambda a: re.sub(r"Signature=([0-9a-f]+)", lambda mm: "Signature=" + mm.group(1).upper(), a), True),
    ("signature short", lambda a: a[:-2], True),
    ("signature long", lambda a: a + "00", True),
    ("signature non-hex", lambda a: a[:-4] + "zzzz", True),
    ("signature 10 KB", lambda a: a + "a" * 10000, True),
    ("Credential non-ASCII", lambda a: a.replace("Credential=", "Credential=\u00e9", 1), True),
    ("trailing comma", lambda a: a + ",", False),
]


SOFT = ("signature uppercase", "SignedHeaders uppercase", "duplicate Credential", "Authorization twice",
        "uppercase hex of the body hash")


def _mutate_headers(rng: random.Random, h: dict, s3: bool) -> tuple[dict, str, bool]:
    """Returns (headers, description, must_fail)."""
    k = rng.randrange(7)
    h = dict(h)
    if k <= 2:
        name, f, must = rng.choice(AUTH_MUTATIONS)
        h["Authorization"] = f(h["Authorization"])
        return h, f"Authorization: {name}", must
    if k == 3:
        v = rng.choice(["", "garbage", "20260101", "20260101T000000", "19700101T000000Z", "99991231T235959Z",
                        "20261304T250000Z", "2026-12-04T00:00:00Z", "\u00e9", "2" * 1000])
        if rng.random() < 0.2:
            del h["X-Amz-Date"]
            return h, "X-Amz-Date missing", True
        h["X-Amz-Date"] = v
        return h, f"X-Amz-Date {v[:20]!r}", True
    if k == 4:
        v = rng.choice(["abc", "z" * 64, "A" * 64, "0" * 63, "UNSIGNED-PAYLOAD ", "STREAMING-FOO", "unsigned-payload",
                        hashlib.sha256(b"other").hexdigest(), "", "\u00e9" * 3])
        if rng.random() < 0.3 and "X-Amz-Content-SHA256" in h:
            del h["X-Amz-Content-SHA256"]
            return h, "X-Amz-Content-SHA256 removed after signing", True
        h["X-Amz-Content-SHA256"] = v
        return h, f"X-Amz-Content-SHA256 {v[:20]!r} (after signing)", True
    if k == 5:
        h["X-Amz-Security-Token"] = rng.choice(["garbage", "", "t" * 5000, "\u00e9"])
        return h, "X-Amz-Security-Token added after signing", True
    # duplicated Authorization
    return h, "Authorization twice", True


def _resign_variants(rng: random.Random, ctx: Ctx, base) -> tuple[dict, str, bool, str]:
    """Validly signed requests with a suspicious element inside the signature:
    session token with long-term keys, scope service of another service, odd content hashes.
    Returns (headers, description, must_fail, expect override)."""
    label, expect, method, target, service, body, hdrs, s3 = base
    k = rng.randrange(4)
    if k == 0:
        h = sign(method, ctx.netloc, target, service, body, hdrs, s3=s3, token="FAKETOKEN" + "x" * rng.choice([0, 300]))
        return h, "session token with long-term (root) keys, signed", True, expect
    if k == 1:
        other = rng.choice([x for x in ["s3", "sqs", "sts", "dynamodb", "kms", "execute-api", "\u00e9"] if x != service])
        h = sign(method, ctx.netloc, target, other, body, hdrs, s3=s3)
        return h, f"signed for service {other!r}", True, "any"
    if k == 2:
        v = rng.choice(["abc", "z" * 64, "A" * 64, "0" * 63, "STREAMING-FOO", "unsigned-payload",
                        hashlib.sha256(body).hexdigest().upper()])
        h = sign(method, ctx.netloc, target, service, body, hdrs, s3=s3, content_sha=v)
        if v == hashlib.sha256(body).hexdigest().upper():
            return h, "X-Amz-Content-SHA256 uppercase hex of the body hash, signed", True, expect
        return h, f"X-Amz-Content-SHA256 {v[:20]!r}, signed", True, expect
    reg = rng.choice(["eu-west-1", "xx-fake-1", "", "us-east-1 ", "a" * 200])
    h = sign(method, ctx.netloc, target, service, body, hdrs, s3=s3, region=reg)
    return h, f"signed for region {reg[:20]!r}", False, expect


def gen_sigv4(rng: random.Random, ctx: Ctx) -> Iterator[Case]:
    bases = _bases(ctx)
    while True:
        base = rng.choice(bases)
        label, expect, method, target, service, body, hdrs, s3 = base
        r = rng.random()
        if r < 0.55:
            h = sign(method, ctx.netloc, target, service, body, hdrs, s3=s3)
            h, desc, must = _mutate_headers(rng, h, s3)
            items = list(h.items())
            if desc == "Authorization twice":
                items.append(("Authorization", h["Authorization"]))
            exp = "any" if "service" in desc else expect
            raw = serialize(method, target, items, body)
            # Unsure what AWS does with these: a 2xx is noted as lenient, not failed.
            soft = any(x in desc for x in SOFT)
            yield Case(raw, exp, f"sig:{m.klass(desc, 40)}", f"{label}: {desc}", must_fail=must and not soft,
                       should_fail=must and soft)
        elif r < 0.8:
            h, desc, must, exp = _resign_variants(rng, ctx, base)
            raw = serialize(method, target, h, body)
            soft = any(x in desc for x in SOFT)
            yield Case(raw, exp, f"sig:{m.klass(desc, 40)}", f"{label}: {desc}", must_fail=must and not soft,
                       should_fail=must and soft)
        elif r < 0.93:
            yield _presigned(rng, ctx)
        else:
            yield _sigv2(rng, ctx)


def _presigned(rng: random.Random, ctx: Ctx) -> Case:
    req = AWSRequest(method="GET", url=f"http://{ctx.netloc}/{ctx.BUCKET}/{ctx.OBJECT}")
    S3SigV4QueryAuth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION, expires=300).add_auth(req)
    url = req.url
    target = url.split(ctx.netloc, 1)[1]
    param = rng.choice(["X-Amz-Expires", "X-Amz-Signature", "X-Amz-Credential", "X-Amz-Algorithm", "X-Amz-Date",
                        "X-Amz-SignedHeaders"])
    v = rng.choice(["", "0", "-1", "abc", "999999999999", "604801", "\u00e9", "x" * 3000, None])
    if v is None:
        target = re.sub(rf"[&?]{param}=[^&]*", "", target)
        desc = f"presigned URL without {param}"
    else:
        from urllib.parse import quote
        target = re.sub(rf"({param}=)[^&]*", lambda mm: mm.group(1) + quote(v, safe=""), target)
        desc = f"presigned {param}={v[:20]!r}"
    extra = []
    if rng.random() < 0.15:
        extra = [("Authorization", sign("GET", ctx.netloc, f"/{ctx.BUCKET}/{ctx.OBJECT}", "s3", b"", s3=True)["Authorization"])]
        desc += " plus an Authorization header"
    raw = serialize("GET", target, [("Host", ctx.netloc)] + extra, b"")
    return Case(raw, "s3", f"presigned:{m.klass(desc, 40)}", desc, must_fail=True)


def _sigv2(rng: random.Random, ctx: Ctx) -> Case:
    v = rng.choice(["AWS " + ACCESS_KEY, "AWS :sig", f"AWS {ACCESS_KEY}:!!!", f"AWS {ACCESS_KEY}:", "AWS",
                    f"AWS  {ACCESS_KEY}:abc=", f"AWS {ACCESS_KEY}:" + "A" * 5000, "AWS \u00e9:x"])
    h = [("Host", ctx.netloc), ("Date", "Fri, 04 Dec 2026 00:00:00 GMT"),
         ("Authorization", v.encode("utf-8"))]
    target = f"/{ctx.BUCKET}/{ctx.OBJECT}"
    if rng.random() < 0.3:
        target += rng.choice(["?AWSAccessKeyId=" + ACCESS_KEY + "&Expires=abc&Signature=x",
                              "?AWSAccessKeyId=" + ACCESS_KEY + "&Expires=1&Signature=x",
                              "?AWSAccessKeyId=&Signature="])
        h = h[:2]
        desc = f"SigV2 presigned {target.split('?')[1][:50]}"
    else:
        desc = f"SigV2 Authorization {v[:40]!r}"
    return Case(serialize("GET", target, h, b""), "s3", f"sigv2:{m.klass(desc, 30)}", desc, must_fail=True)
