"""The fuzz tier's own checks: the unmutated inputs every generator starts from are accepted
(so mutations reach the parsers instead of dying at the signature), and the response
judge tells AWS-shaped errors from bare ones."""

from __future__ import annotations

import hashlib
import json
import random

import pytest

from conftest import RawResponse
from fuzzgen import cbor, framing, json_codecs, query, rpc_cbor, s3, sigv4
from fuzzgen.engine import Case, Ctx, Runner, serialize, sign


def _ok(r, what, allowed=(200, 204)):
    assert r.status in allowed, f"{what}: HTTP {r.status} {r.body[:300]!r}"


@pytest.fixture
def ctx(server_factory):
    c = Ctx(server_factory())
    c.setup()
    return c


def test_xml_documents_are_accepted_unmutated(ctx):
    for op, method, tmpl, doc in s3.DOCS:
        case = s3.xml_case(ctx, op, method, tmpl, doc, "base", "valid")
        _ok(ctx.send(case.raw), op)


def test_other_rest_xml_documents_decode_to_not_implemented(ctx):
    for entry in s3.OTHER_DOCS:
        r = ctx.send(s3.other_case(ctx, entry, entry[3], "base", "valid").raw)
        _ok(r, entry[0], (501,))


def test_json_targets_are_accepted_or_not_implemented(ctx):
    for service, prefix, ver, op, doc in json_codecs._targets(ctx):
        r = ctx.send(json_codecs._case(ctx, service, prefix, ver, op, json.dumps(doc).encode(), "base", "").raw)
        _ok(r, f"{service} {op}", (200,) if service in ("dynamodb", "sqs", "kms", "secretsmanager", "ssm", "logs") else (501,))


def test_query_forms_are_accepted_or_not_implemented(ctx):
    for service, _expect, pairs in query._bases(ctx):
        r = ctx.send(ctx.form(service, query._encode(pairs)))
        _ok(r, f"{service} {pairs[0][1]}", (200,) if service in ("sqs", "sts", "iam", "sns") else (501,))


def test_cbor_inputs_reach_the_handlers(ctx):
    # CloudWatch is implemented: every base decodes and gets its handler's answer — a result, or
    # an AWS-shaped validation or not-found error for the bases that probe limits — never 5xx or
    # NotImplemented.
    for op, doc in rpc_cbor.INPUTS:
        r = ctx.send(rpc_cbor._case(ctx, op, cbor.encode(doc), "base", "").raw)
        # 404 is CloudWatch's ResourceNotFound (DeleteAnomalyDetector of a detector never made).
        _ok(r, f"CloudWatch {op}", (200, 400, 404))
        if r.status in (400, 404):
            kind = cbor.decode(r.body)["__type"]
            assert not kind.endswith("NotImplemented") and not kind.endswith("SerializationException"), (op, kind)


def test_signature_bases_and_presigned_url_are_accepted(ctx):
    for label, _e, method, target, service, body, hdrs, is_s3 in sigv4._bases(ctx):
        h = sign(method, ctx.netloc, target, service, body, hdrs, s3=is_s3)
        _ok(ctx.send(serialize(method, target, h, body)), label)
    # The presigned generator's URL before mutation.
    from botocore.auth import S3SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from conftest import ACCESS_KEY, REGION, SECRET_KEY
    req = AWSRequest(method="GET", url=f"http://{ctx.netloc}/{ctx.BUCKET}/{ctx.OBJECT}")
    S3SigV4QueryAuth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION, expires=300).add_auth(req)
    target = req.url.split(ctx.netloc, 1)[1]
    _ok(ctx.send(serialize("GET", target, [("Host", ctx.netloc)])), "presigned GET")


def test_aws_chunked_baseline_stores_the_payload(ctx):
    payload = bytes(random.Random(1).randrange(256) for _ in range(9000))
    h, chunks = framing.signed_chunked(ctx, "chunked-base", payload, [8192, 808])
    _ok(ctx.send(serialize("PUT", f"/{ctx.BUCKET}/chunked-base", h, framing._frame(chunks))), "aws-chunked PUT")
    r = ctx.send(ctx.s3("GET", f"/{ctx.BUCKET}/chunked-base"))
    _ok(r, "GET back")
    assert hashlib.sha256(r.body).hexdigest() == hashlib.sha256(payload).hexdigest()


def test_framing_base_request_is_accepted(ctx):
    _ok(ctx.send(framing._valid(ctx)), "STS GetCallerIdentity")
    body = framing._chunked(framing.STS_BODY, [10, 20, 13])
    h = list(framing._sts_headers(ctx).items()) + [("Transfer-Encoding", "chunked")]
    _ok(ctx.send(serialize("POST", "/", h, b"", content_length=False) + body), "chunked STS")


# --------------------------------------------------------------------------------------
# The judge (no server)
# --------------------------------------------------------------------------------------

class _Srv:
    alive = True


def _judge(case_expect, status, headers, body, **case_kw):
    runner = Runner(Ctx(_Srv()), lambda: None, "t", 1, 1)
    case = Case(b"GET / HTTP/1.1\r\n\r\n", case_expect, "t", **case_kw)
    return runner._judge(case, RawResponse(status, "", headers, body))[0]


RID = [("x-amzn-RequestId", "r1")]


def test_judge_accepts_aws_shaped_errors_per_family():
    assert _judge("s3", 400, RID, b"<Error><Code>MalformedXML</Code></Error>") == "ok:4xx"
    assert _judge("query", 400, RID, b"<ErrorResponse><Error><Code>X</Code></Error></ErrorResponse>") == "ok:4xx"
    assert _judge("query", 400, RID, b"<Response><Errors><Error><Code>X</Code></Error></Errors></Response>") == "ok:4xx"
    assert _judge("json", 400, RID, b'{"__type":"com.amazonaws.dynamodb#ValidationException"}') == "ok:4xx"
    assert _judge("cbor", 400, RID, cbor.encode({"__type": "SerializationException"})) == "ok:4xx"
    assert _judge("restjson", 404, RID + [("x-amzn-ErrorType", "ResourceNotFoundException")], b"{}") == "ok:4xx"
    assert _judge("any", 413, RID, b"<Error><Code>RequestEntityTooLarge</Code></Error>") == "ok:413"
    assert _judge("json", 501, RID, b'{"__type":"NotImplemented"}') == "ok:501"
    assert _judge("s3", 404, RID, b"", head=True) == "ok:4xx"


def test_judge_refuses_bare_or_foreign_errors_and_5xx():
    assert _judge("any", 400, [("Content-Length", "0")], b"") == "FAIL:shape"  # no request id, no body
    assert _judge("s3", 400, [], b"<Error><Code>X</Code></Error>") == "FAIL:shape"  # no request id
    assert _judge("json", 413, RID, b"<Error><Code>RequestEntityTooLarge</Code></Error>") == "FAIL:shape"
    assert _judge("query", 400, RID, b"<ErrorResponse><Error><Code>X&#0;</Code></Error></ErrorResponse>") == "FAIL:shape"
    assert _judge("json", 500, RID, b'{"__type":"InternalFailure"}') == "FAIL:5xx"
    assert _judge("json", 503, RID, b'{"__type":"Oops"}') == "FAIL:5xx"
    assert _judge("json", 200, RID, b"{}", must_fail=True) == "FAIL:accepted"
    assert _judge("json", 200, RID, b"{}", should_fail=True) == "note:lenient"


def test_cbor_codec_round_trips():
    doc = {"a": [1, -2, 2 ** 40, 1.5, True, None, b"\x00\xff", "\u00e9"], "m": {"k": {}}}
    assert cbor.decode(cbor.encode(doc)) == doc
    with pytest.raises(cbor.CBORError):
        cbor.decode(b"\x81" * 100 + b"\x00")
