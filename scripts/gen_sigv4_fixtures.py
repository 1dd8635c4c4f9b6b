#!/usr/bin/env python3
"""Generate SigV4 verification fixtures with botocore's own signers.

Writes two files under Tests/SimfraProtocolsTests/Fixtures/:

  sigv4_botocore.json   requests signed by botocore (SigV4Auth, S3SigV4Auth,
                        SigV4QueryAuth, S3SigV4QueryAuth) at the fixed time
                        20261130T120000Z, plus tampered copies that must fail.
  sigv4_aws_suite.json  vectors from the AWS SigV4 test suite and the IAM
                        ListUsers documentation example, each re-signed by
                        botocore and kept only if botocore reproduces the
                        published signature.

Each fixture is an object:
  name, description, method,
  path      raw request path as sent on the wire (percent-encoded),
  query     raw query string as sent (no leading '?', may be empty),
  headers   [[name, value], ...] exactly as sent, in order (may repeat a name),
  body_b64  base64 of the body bytes ("" for none),
  access_key, secret_key, region, service,
  expected_valid,
  and, for valid fixtures, botocore's canonical_request and string_to_sign
  (for debugging a verifier). The suite file also has published_signature.

Usage: python3 scripts/gen_sigv4_fixtures.py   (needs botocore; output is deterministic)
"""

import base64
import copy
import datetime
import hashlib
import json
import os
import sys
from unittest import mock
from urllib.parse import urlsplit

import botocore.auth
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.utils import percent_encode, percent_encode_sequence

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "Tests", "SimfraProtocolsTests", "Fixtures")

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = (
    "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexample+token/with=chars"
    "+and/slashes==")
FIXED_TIME = datetime.datetime(2026, 11, 30, 12, 0, 0)
USER_AGENT = "aws-cli/2.0.0 simfra-fixture"

SUITE_ACCESS_KEY = "AKIDEXAMPLE"
SUITE_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SUITE_TIME = datetime.datetime(2015, 8, 30, 12, 36, 0)


class FixedClock:
    """Pins botocore's notion of 'now' (both the current helper and older datetime use)."""

    def __init__(self, when):
        self.when = when
        self.patches = []

    def __enter__(self):
        if hasattr(botocore.auth, "get_current_datetime"):
            self.patches.append(
                mock.patch("botocore.auth.get_current_datetime", lambda *a, **k: self.when))
        else:  # older botocore: datetime.datetime.utcnow()
            fake = mock.MagicMock(wraps=datetime.datetime)
            fake.utcnow.return_value = self.when
            fake.now.return_value = self.when
            self.patches.append(mock.patch("botocore.auth.datetime.datetime", fake))
        for p in self.patches:
            p.start()
        return self

    def __exit__(self, *exc):
        for p in reversed(self.patches):
            p.stop()
        return False


def capture(signer):
    """Wrap a signer so the canonical request and string to sign it computed are kept."""
    seen = {}
    orig_cr = signer.canonical_request
    orig_sts = signer.string_to_sign

    def canonical_request(request):
        seen["canonical_request"] = orig_cr(request)
        return seen["canonical_request"]

    def string_to_sign(request, cr):
        seen["string_to_sign"] = orig_sts(request, cr)
        return seen["string_to_sign"]

    signer.canonical_request = canonical_request
    signer.string_to_sign = string_to_sign
    return seen


def sign(name, description, signer_cls, service, region, method, url, headers=(), body=b"",
         token=None, context=None, expires=None, access_key=ACCESS_KEY, secret_key=SECRET_KEY,
         when=FIXED_TIME):
    """Sign one request with botocore and return the fixture for what goes on the wire."""
    creds = Credentials(access_key, secret_key, token)
    if expires is not None:
        signer = signer_cls(creds, service, region, expires=expires)
    else:
        signer = signer_cls(creds, service, region)
    seen = capture(signer)

    parts = urlsplit(url)
    request = AWSRequest(method=method, url=url, data=body)
    # Host is set explicitly (first, as HTTP clients send it) so the recorded headers are exactly
    # what is signed and sent; botocore derives the same value from the URL when it is absent.
    request.headers["Host"] = parts.netloc
    for k, v in headers:
        request.headers[k] = v  # HTTPHeaders appends: a repeated name stays repeated
    if context:
        request.context.update(context)

    with FixedClock(when):
        signer.add_auth(request)
    prepared = request.prepare()

    sent = urlsplit(prepared.url)
    wire_headers = [[k, v] for k, v in request.headers.items()]
    names = {k.lower() for k, _ in wire_headers}
    for k, v in prepared.headers.items():  # e.g. Content-Length, added after signing
        if k.lower() not in names:
            wire_headers.append([k, v])

    body_bytes = prepared.body or b""
    if isinstance(body_bytes, str):
        body_bytes = body_bytes.encode("utf-8")

    return {
        "name": name,
        "description": description,
        "method": method,
        "path": sent.path or "/",
        "query": sent.query,
        "headers": wire_headers,
        "body_b64": base64.b64encode(body_bytes).decode("ascii"),
        "access_key": access_key,
        "secret_key": secret_key,
        "region": region,
        "service": service,
        "expected_valid": True,
        "canonical_request": seen["canonical_request"],
        "string_to_sign": seen["string_to_sign"],
    }


# ---------------------------------------------------------------------------------------------
# Tampering helpers for negative fixtures


def negative(base, name, description):
    f = copy.deepcopy(base)
    f["name"] = name
    f["description"] = description
    f["expected_valid"] = False
    f.pop("canonical_request", None)
    f.pop("string_to_sign", None)
    return f


def flip_hex(sig):
    """Change exactly one hex digit (the last), keeping it lowercase hex."""
    last = sig[-1]
    return sig[:-1] + ("0" if last != "0" else "1")


def set_header(f, name, value):
    for h in f["headers"]:
        if h[0].lower() == name.lower():
            h[1] = value
            return
    raise KeyError(name)


def get_header(f, name):
    for h in f["headers"]:
        if h[0].lower() == name.lower():
            return h[1]
    raise KeyError(name)


def with_bad_auth_signature(base, name):
    f = negative(base, name, "one hex digit of the Authorization signature changed")
    auth = get_header(f, "Authorization")
    head, sig = auth.rsplit("Signature=", 1)
    set_header(f, "Authorization", head + "Signature=" + flip_hex(sig))
    return f


def with_bad_query_signature(base, name):
    f = negative(base, name, "one hex digit of X-Amz-Signature changed")
    pairs = f["query"].split("&")
    for i, p in enumerate(pairs):
        if p.startswith("X-Amz-Signature="):
            pairs[i] = "X-Amz-Signature=" + flip_hex(p.split("=", 1)[1])
    f["query"] = "&".join(pairs)
    return f


def with_body(f, body):
    f["body_b64"] = base64.b64encode(body).decode("ascii")
    for h in f["headers"]:
        if h[0].lower() == "content-length":
            h[1] = str(len(body))
    return f


# ---------------------------------------------------------------------------------------------


def botocore_fixtures():
    out = []
    add = out.append

    # STS, awsQuery protocol: form-encoded POST.
    sts_post = sign(
        "sts-form-post", "STS GetCallerIdentity, form-encoded POST body (awsQuery)",
        SigV4Auth, "sts", "us-east-1", "POST", "https://sts.amazonaws.com/",
        headers=[("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
                 ("User-Agent", USER_AGENT)],
        body=b"Action=GetCallerIdentity&Version=2011-06-15")
    add(sts_post)

    # SQS, awsJson1_0: X-Amz-Target + JSON body.
    sqs_body = json.dumps({
        "QueueUrl": "http://localhost:4566/000000000000/my-queue",
        "MessageBody": "hello \u00e9 world \u2603",
        "DelaySeconds": 0,
    }, ensure_ascii=False, sort_keys=True).encode("utf-8")
    sqs = sign(
        "sqs-json-post", "SQS SendMessage, awsJson1_0 POST with X-Amz-Target and SDK headers",
        SigV4Auth, "sqs", "us-east-1", "POST", "http://localhost:4566/",
        headers=[("X-Amz-Target", "AmazonSQS.SendMessage"),
                 ("Content-Type", "application/x-amz-json-1.0"),
                 ("User-Agent", USER_AGENT),
                 ("amz-sdk-invocation-id", "6f2e2a0e-1111-4222-8333-944445555666"),
                 ("amz-sdk-request", "attempt=1; max=3")],
        body=sqs_body)
    add(sqs)

    # DynamoDB with temporary credentials: X-Amz-Security-Token is sent and signed.
    ddb = sign(
        "dynamodb-session-token", "DynamoDB ListTables signed with temporary credentials "
        "(X-Amz-Security-Token header, signed)",
        SigV4Auth, "dynamodb", "eu-west-1", "POST", "https://dynamodb.eu-west-1.amazonaws.com/",
        headers=[("X-Amz-Target", "DynamoDB_20120810.ListTables"),
                 ("Content-Type", "application/x-amz-json-1.0"),
                 ("User-Agent", USER_AGENT)],
        body=b'{"Limit":10}', token=SESSION_TOKEN)
    add(ddb)

    # Lambda, restJson1: the wire path is already percent-encoded; non-S3 services sign the
    # path percent-encoded again (%3A -> %253A).
    fn_arn = "arn:aws:lambda:us-east-1:123456789012:function:my-fn"
    lam = sign(
        "lambda-path-double-encoded", "Lambda Invoke by ARN: the encoded path is encoded again "
        "in the canonical request (non-S3 services)",
        SigV4Auth, "lambda", "us-east-1", "POST",
        "http://localhost:4566/2015-03-31/functions/" + percent_encode(fn_arn) + "/invocations",
        headers=[("X-Amz-Invocation-Type", "RequestResponse"),
                 ("Content-Type", "application/json"), ("User-Agent", USER_AGENT)],
        body=b'{"ping":true}')
    add(lam)

    # S3 GET of a key with spaces, unicode, '+', '=', '~': the path is encoded once
    # (botocore: percent_encode(key, safe='/~')) and S3 signs it as sent, with no re-encoding.
    key = "dir/a b+c=d~e/\u00e9t\u00e9 \u00fc \u65e5\u672c.txt"
    s3_path = "/my-bucket/" + percent_encode(key, safe="/~")
    s3_get = sign(
        "s3-get-special-key", "S3 GetObject (path-style, host with port); key with space, "
        "unicode, '+', '=', '~'; S3 signs the path as sent",
        S3SigV4Auth, "s3", "us-east-1", "GET", "http://localhost:4566" + s3_path,
        headers=[("User-Agent", USER_AGENT)])
    add(s3_get)

    # S3 virtual-hosted GET with a subresource query without '=' (?acl -> "acl=").
    add(sign(
        "s3-get-acl-subresource", "S3 GetObjectAcl, virtual-hosted; query 'acl' has no '=' "
        "(canonical form 'acl=')",
        S3SigV4Auth, "s3", "us-west-2", "GET",
        "https://my-bucket.s3.us-west-2.amazonaws.com/photos/2026/a%20b.jpg?acl",
        headers=[("User-Agent", USER_AGENT)]))

    # S3 ListObjectsV2: query needs sorting, has encoded '/', ' ', and an empty value.
    list_query = percent_encode_sequence([
        ("list-type", "2"), ("prefix", "dir/a b"), ("delimiter", "/"),
        ("encoding-type", "url"), ("max-keys", "10"), ("start-after", ""),
    ])
    add(sign(
        "s3-list-objects-query", "S3 ListObjectsV2: unsorted query, encoded '/' and space, "
        "empty value",
        S3SigV4Auth, "s3", "us-east-1", "GET",
        "http://localhost:4566/my-bucket?" + list_query,
        headers=[("User-Agent", USER_AGENT)]))

    # S3 PUT with UNSIGNED-PAYLOAD (https + checksum header + payload signing disabled),
    # a flexible checksum header, Expect (unsigned) and a metadata value with repeated spaces.
    put_body = b"Hello world"
    crc = base64.b64encode((0x8BD69E52).to_bytes(4, "big")).decode("ascii")  # CRC32("Hello world")
    s3_put = sign(
        "s3-put-unsigned-payload", "S3 PutObject with x-amz-content-sha256: UNSIGNED-PAYLOAD, "
        "x-amz-checksum-crc32, Expect/User-Agent unsigned, metadata value with runs of spaces",
        S3SigV4Auth, "s3", "us-east-1", "PUT",
        "https://my-bucket.s3.us-east-1.amazonaws.com/uploads/file%2B1.txt",
        headers=[("Content-Type", "text/plain"), ("Content-MD5", base64.b64encode(
            hashlib.md5(put_body).digest()).decode("ascii")),
            ("x-amz-checksum-crc32", crc), ("x-amz-sdk-checksum-algorithm", "CRC32"),
            ("X-Amz-Meta-Note", "hello    big   world"), ("Expect", "100-continue"),
            ("User-Agent", USER_AGENT)],
        body=put_body,
        context={"client_config": Config(s3={"payload_signing_enabled": False})})
    assert get_header(s3_put, "X-Amz-Content-SHA256") == "UNSIGNED-PAYLOAD"
    add(s3_put)

    # S3 PUT with a signed payload (x-amz-content-sha256 = hex sha256 of the body).
    s3_put_signed = sign(
        "s3-put-signed-payload", "S3 PutObject over http: x-amz-content-sha256 is the body's "
        "SHA-256 and must match the body",
        S3SigV4Auth, "s3", "us-east-1", "PUT", "http://localhost:4566/my-bucket/data.bin",
        headers=[("Content-Type", "application/octet-stream"), ("User-Agent", USER_AGENT)],
        body=bytes(range(256)))
    add(s3_put_signed)

    # S3 CreateMultipartUpload: POST ?uploads.
    add(sign(
        "s3-post-uploads", "S3 CreateMultipartUpload: POST with query 'uploads' (no '=')",
        S3SigV4Auth, "s3", "us-east-1", "POST", "http://localhost:4566/my-bucket/big.iso?uploads",
        headers=[("User-Agent", USER_AGENT)]))

    # Query needs sorting (byte order of the encoded names, then values) and encoding.
    weird_query = percent_encode_sequence([
        ("a", "b"), ("A", "c"), (" ", "x"), ("empty", ""), ("b", "\u2713 \u00fc"),
        ("c", "~-._*+/=&:"), ("a", "a"), ("Z", "1"),
    ])
    add(sign(
        "query-sort-and-encode", "GET with query that needs sorting: upper before lower case, "
        "'%20' first, a repeated name sorted by value, empty value, reserved characters",
        SigV4Auth, "iam", "us-east-1", "GET", "https://iam.amazonaws.com/?" + weird_query,
        headers=[("User-Agent", USER_AGENT)]))

    # Header values: runs of spaces collapse; a repeated header joins with ','.
    hdr = sign(
        "header-whitespace-and-repeats", "signed headers with runs of spaces (collapsed to one) "
        "and a repeated header name (values joined with ',' in order)",
        SigV4Auth, "execute-api", "us-east-1", "GET",
        "https://abc123.execute-api.us-east-1.amazonaws.com/prod/items",
        headers=[("X-Custom-Spaces", "a   b    c  d"), ("X-Repeated", "first"),
                 ("X-Repeated", "second  value"), ("User-Agent", USER_AGENT)])
    assert sum(1 for k, _ in hdr["headers"] if k == "X-Repeated") == 2
    add(hdr)

    # Presigned URLs (query auth), X-Amz-Expires=300.
    s3_presign = sign(
        "s3-presigned-get", "S3 presigned GetObject URL (X-Amz-Expires=300, UNSIGNED-PAYLOAD)",
        S3SigV4QueryAuth, "s3", "us-east-1", "GET",
        "http://localhost:4566" + s3_path, expires=300)
    add(s3_presign)

    s3_presign_token = sign(
        "s3-presigned-get-session-token", "S3 presigned GetObject with temporary credentials "
        "(X-Amz-Security-Token in the query) and response-content-disposition",
        S3SigV4QueryAuth, "s3", "us-east-1", "GET",
        "https://my-bucket.s3.us-east-1.amazonaws.com/report.pdf?" + percent_encode_sequence(
            [("response-content-disposition", 'attachment; filename="r.pdf"')]),
        expires=300, token=SESSION_TOKEN)
    add(s3_presign_token)

    sts_presign = sign(
        "sts-presigned-get", "STS GetCallerIdentity presigned URL (SigV4QueryAuth, "
        "X-Amz-Expires=300)",
        SigV4QueryAuth, "sts", "us-east-1", "GET",
        "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", expires=300)
    add(sts_presign)

    add(sign(
        "sts-presigned-get-eks-token", "STS GetCallerIdentity presigned with a signed extra "
        "header x-k8s-aws-id (the EKS token flow), X-Amz-Expires=60",
        SigV4QueryAuth, "sts", "us-east-1", "GET",
        "https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
        headers=[("x-k8s-aws-id", "my-cluster")], expires=60))

    # Date header instead of X-Amz-Date (botocore rewrites it as RFC 1123 / email date).
    add(sign(
        "date-header-instead-of-x-amz-date", "timestamp carried by the Date header "
        "(email.utils.formatdate form), no X-Amz-Date",
        SigV4Auth, "sqs", "us-east-1", "POST", "http://localhost:4566/",
        headers=[("Date", "placeholder"), ("X-Amz-Target", "AmazonSQS.ListQueues"),
                 ("Content-Type", "application/x-amz-json-1.0")],
        body=b"{}"))

    # A header added after signing that is not in SignedHeaders is still valid.
    extra = copy.deepcopy(sqs)
    extra["name"] = "unsigned-header-added-after-signing"
    extra["description"] = "a header not listed in SignedHeaders was added after signing: valid"
    extra["headers"].append(["X-Forwarded-For", "10.0.0.1"])
    add(extra)

    # ---- negatives ----
    add(with_bad_auth_signature(sts_post, "neg-sts-signature-byte"))
    add(with_bad_auth_signature(s3_get, "neg-s3-get-signature-byte"))
    add(with_bad_query_signature(s3_presign, "neg-s3-presigned-signature-byte"))
    add(with_bad_query_signature(sts_presign, "neg-sts-presigned-signature-byte"))

    f = negative(sqs, "neg-sqs-header-changed", "signed header X-Amz-Target changed after signing")
    set_header(f, "X-Amz-Target", "AmazonSQS.DeleteQueue")
    add(f)

    f = negative(s3_put, "neg-s3-put-metadata-changed",
                 "signed header X-Amz-Meta-Note changed after signing")
    set_header(f, "X-Amz-Meta-Note", "hello    big   World")
    add(f)

    f = negative(ddb, "neg-dynamodb-token-removed",
                 "signed X-Amz-Security-Token header removed after signing")
    f["headers"] = [h for h in f["headers"] if h[0].lower() != "x-amz-security-token"]
    add(f)

    f = negative(sts_post, "neg-sts-body-changed", "form body changed after signing (same length)")
    add(with_body(f, b"Action=GetCallerIdentity&Version=2011-06-16"))

    f = negative(sqs, "neg-sqs-body-changed", "JSON body changed after signing")
    add(with_body(f, sqs_body.replace(b"hello", b"HELLO")))

    f = negative(s3_put_signed, "neg-s3-put-body-changed",
                 "body no longer matches the signed x-amz-content-sha256")
    add(with_body(f, bytes(range(255, -1, -1))))

    f = negative(s3_get, "neg-s3-path-changed", "one character of the object key changed")
    f["path"] = f["path"].replace("~e", "~f")
    add(f)

    f = negative(s3_presign, "neg-s3-presigned-expires-changed",
                 "X-Amz-Expires raised from 300 to 3600 after signing")
    f["query"] = f["query"].replace("X-Amz-Expires=300", "X-Amz-Expires=3600")
    add(f)

    f = negative(sts_presign, "neg-sts-presigned-extra-param",
                 "an extra query parameter appended after signing")
    f["query"] = f["query"] + "&extra=1"
    add(f)

    f = negative(sqs, "neg-sqs-wrong-secret", "verified with a different secret key")
    f["secret_key"] = SECRET_KEY[:-1] + "Z"
    add(f)

    names = [f["name"] for f in out]
    assert len(names) == len(set(names)), "duplicate fixture names"
    return out


# ---------------------------------------------------------------------------------------------
# AWS SigV4 test suite (2015-08-30) and the IAM documentation example.

SUITE = [
    dict(name="get-vanilla", method="GET", url="https://example.amazonaws.com/", headers=[],
         body=b"", service="service",
         published="5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    dict(name="get-vanilla-query-order-key-case", method="GET",
         url="https://example.amazonaws.com/?Param2=value2&Param1=value1", headers=[],
         body=b"", service="service",
         published="b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    dict(name="post-vanilla", method="POST", url="https://example.amazonaws.com/", headers=[],
         body=b"", service="service",
         published="5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
    dict(name="post-x-www-form-urlencoded", method="POST", url="https://example.amazonaws.com/",
         headers=[("Content-Type", "application/x-www-form-urlencoded")], body=b"Param1=value1",
         service="service",
         published="ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
    dict(name="get-header-value-trim", method="GET", url="https://example.amazonaws.com/",
         headers=[("My-Header1", "value1"), ("My-Header2", '"a   b   c"')], body=b"",
         service="service",
         published="acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
    dict(name="iam-list-users-doc-example", method="GET",
         url="https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
         headers=[("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
         body=b"", service="iam",
         published="5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"),
]


def suite_fixtures():
    out = []
    for v in SUITE:
        f = sign(v["name"], "AWS published vector, re-signed by botocore", SigV4Auth,
                 v["service"], "us-east-1", v["method"], v["url"], headers=v["headers"],
                 body=v["body"], access_key=SUITE_ACCESS_KEY, secret_key=SUITE_SECRET_KEY,
                 when=SUITE_TIME)
        got = get_header(f, "Authorization").rsplit("Signature=", 1)[1]
        if got != v["published"]:
            print(f"skipping {v['name']}: botocore signs {got}, published {v['published']}",
                  file=sys.stderr)
            continue
        f["published_signature"] = v["published"]
        out.append(f)
    return out


# ---------------------------------------------------------------------------------------------
# An independent, server-side style verifier (does not reuse botocore's signing code path): it
# rebuilds the canonical request from the wire form only. Every fixture must come out as its
# expected_valid says, which keeps the fixtures honest about what a server can check.

UNRESERVED = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def uri_encode(data, keep_slash=False):
    if isinstance(data, str):
        data = data.encode("utf-8")
    out = []
    for b in data:
        if b in UNRESERVED or (keep_slash and b == ord("/")):
            out.append(chr(b))
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def uri_decode(s):
    raw = s.encode("ascii")
    out = bytearray()
    i = 0
    while i < len(raw):
        if raw[i] == ord("%") and i + 2 < len(raw):
            out.append(int(raw[i + 1:i + 3], 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    return bytes(out)


def remove_dot_segments_strict(path):
    """RFC 3986 5.2.4 without collapsing empty segments."""
    segs = path.split("/")
    out = []
    for seg in segs[1:]:
        if seg == ".":
            continue
        if seg == "..":
            if out:
                out.pop()
            continue
        out.append(seg)
    trailing = path.endswith("/.") or path.endswith("/..")
    return "/" + "/".join(out) + ("/" if trailing and out else "")


def independent_verify(f):
    import hmac
    from email.utils import parsedate_to_datetime

    headers = f["headers"]
    body = base64.b64decode(f["body_b64"])
    service = f["service"]

    def values(name):
        return [v for k, v in headers if k.lower() == name]

    pairs = []
    if f["query"]:
        for part in f["query"].split("&"):
            k, _, v = part.partition("=")
            pairs.append((uri_decode(k), uri_decode(v)))
    qmap = {k: v for k, v in pairs}
    presigned = b"X-Amz-Signature" in qmap

    if presigned:
        credential = qmap[b"X-Amz-Credential"].decode()
        signed_headers = qmap[b"X-Amz-SignedHeaders"].decode().split(";")
        signature = qmap[b"X-Amz-Signature"].decode()
        amz_date = qmap[b"X-Amz-Date"].decode()
        pairs = [(k, v) for k, v in pairs if k != b"X-Amz-Signature"]
    else:
        auth = values("authorization")[0]
        algo, _, rest = auth.partition(" ")
        assert algo == "AWS4-HMAC-SHA256"
        fields = dict(p.strip().split("=", 1) for p in rest.split(","))
        credential = fields["Credential"]
        signed_headers = fields["SignedHeaders"].split(";")
        signature = fields["Signature"]
        if values("x-amz-date"):
            amz_date = values("x-amz-date")[0]
        else:
            amz_date = parsedate_to_datetime(values("date")[0]).strftime("%Y%m%dT%H%M%SZ")

    key_id, date, region, svc, term = credential.split("/")
    assert term == "aws4_request" and key_id == f["access_key"]
    if date != amz_date[:8] or svc != service or region != f["region"]:
        return False

    if service == "s3":
        canonical_uri = f["path"]
    else:
        canonical_uri = uri_encode(remove_dot_segments_strict(f["path"]), keep_slash=True)

    canonical_query = "&".join(
        f"{k}={v}" for k, v in sorted((uri_encode(k), uri_encode(v)) for k, v in pairs))

    canonical_headers = ""
    for name in signed_headers:
        vals = values(name)
        if not vals:
            return False
        canonical_headers += name + ":" + ",".join(" ".join(v.split()) for v in vals) + "\n"

    declared = values("x-amz-content-sha256")
    if declared:
        payload_hash = declared[0]
        if payload_hash != "UNSIGNED-PAYLOAD" and payload_hash != hashlib.sha256(body).hexdigest():
            return False
    elif presigned and service == "s3":
        payload_hash = "UNSIGNED-PAYLOAD"
    else:
        payload_hash = hashlib.sha256(body).hexdigest()

    canonical_request = "\n".join([f["method"], canonical_uri, canonical_query, canonical_headers,
                                   ";".join(signed_headers), payload_hash])
    if f.get("canonical_request") is not None:
        assert canonical_request == f["canonical_request"], (
            f["name"], canonical_request, f["canonical_request"])
    scope = f"{date}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                                hashlib.sha256(canonical_request.encode()).hexdigest()])

    def h(key, msg):
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    k = h(("AWS4" + f["secret_key"]).encode(), date)
    k = h(k, region)
    k = h(k, service)
    k = h(k, "aws4_request")
    expected = hmac.new(k, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def check(fixtures):
    for f in fixtures:
        got = independent_verify(f)
        if got != f["expected_valid"]:
            raise SystemExit(f"fixture {f['name']}: independent verifier says {got}")


def write(name, fixtures):
    path = os.path.join(OUT_DIR, name)
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(fixtures, fh, sort_keys=True, indent=1)
        fh.write("\n")
    print(f"wrote {len(fixtures)} fixtures to {os.path.relpath(path, ROOT)}")


def main():
    main_fixtures = botocore_fixtures()
    suite = suite_fixtures()
    check(main_fixtures)
    check(suite)
    write("sigv4_botocore.json", main_fixtures)
    write("sigv4_aws_suite.json", suite)


if __name__ == "__main__":
    main()
