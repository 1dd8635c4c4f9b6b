"""Policy documents and identity tokens: IAM CreatePolicy / PutUserPolicy / CreateRole trust
policies, S3 bucket policies and SQS queue policies (stored, then evaluated by the authoriser
on the next request), and the JWTs of unsigned AssumeRoleWithWebIdentity calls."""

from __future__ import annotations

import base64
import json
import random
import urllib.parse
from typing import Iterator

from . import mutate as m
from .engine import Case, Ctx, serialize

VALID = {
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "A", "Effect": "Allow", "Action": ["s3:GetObject", "sqs:*"],
        "Resource": ["arn:aws:s3:::fuzz-bucket/${aws:username}/*", "*"],
        "Condition": {"StringLike": {"aws:PrincipalTag/team": "a*"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    }],
}

ODD_VALUES = ["", "*", "?", "${", "${aws:username", "${*}", "${?}", "${$}", "arn:", "arn:aws", "arn:::::",
              "\u0000", "\ufffd", "é" * 300, "x" * 70000, "s3:" + "*" * 2000, "a" * 5000 + "*" * 5000 + "b",
              "*" * 300 + "a", "1e999", "-0", "0.0.0.0/0", "::/0", "999.1.1.1/33", "2012-10-17T00:00:00Z",
              "${aws:PrincipalTag/" + "x" * 1000 + "}"]
ODD_KEYS = ["Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal",
            "Condition", "Sid", "Version", "Statement", "Id", "effect", "\u0000", "Extra"]
OPERATORS = ["StringEquals", "StringLikeIfExists", "ForAllValues:StringLike", "ForAnyValue:NumericLessThan",
             "DateGreaterThan", "Bool", "BinaryEquals", "IpAddress", "ArnLike", "Null", "Bogus", "ForAllValues:",
             ":StringEquals", "StringEqualsIfExistsIfExists", ""]


DEEP = "__simfra_deep__"


def _deep_text(d: int) -> str:
    """d levels of nesting as text (Python's encoder would recurse)."""
    return "[" * d + '"x"' + "]" * d if d % 2 else '{"a":' * d + '"x"' + "}" * d


def _dumps(doc, depth: int = 0) -> str:
    text = json.dumps(doc)
    return text.replace(f'"{DEEP}"', _deep_text(depth)) if depth else text


def _doc_mutation(rng: random.Random, resource: bool) -> tuple[str, str]:
    doc = json.loads(json.dumps(VALID))
    st = doc["Statement"][0]
    if resource:  # resource and trust policies name a principal
        st["Principal"] = {"AWS": "arn:aws:iam::000000000000:root"}
    depth = 0
    k = rng.randrange(14)
    if k == 0:
        key = rng.choice(ODD_KEYS)
        st[key] = rng.choice(ODD_VALUES + [[], {}, None, 1, True, [None], [[]], {"AWS": []}])
        desc = f"statement {key} = odd value"
    elif k == 1:
        depth = m.pick_depth(rng)
        st[rng.choice(["Action", "Resource", "Condition", "Principal"])] = DEEP
        desc = f"nesting {depth}"
    elif k == 2:
        n = rng.choice([100, 1000, 20000])
        doc["Statement"] = [st] * n
        desc = f"{n} statements"
    elif k == 3:
        n = rng.choice([100, 5000, 50000])
        st["Action"] = [f"s{i}:A{i}*" for i in range(n)]
        desc = f"{n} actions"
    elif k == 4:
        op = rng.choice(OPERATORS)
        st["Condition"] = {op: {rng.choice(["aws:SourceIp", "aws:CurrentTime", "s3:prefix", "", "aws:", "x" * 500]):
                                rng.choice(ODD_VALUES + [[], [1, 2], {"a": 1}, None])}}
        desc = f"condition {op!r}"
    elif k == 5:
        st["Principal"] = rng.choice([{"AWS": rng.choice(ODD_VALUES)}, {"Service": []}, {"Federated": 1},
                                      {"CanonicalUser": "x" * 10000}, "**", {"AWS": ["*"] * 10000}, {"": ""}])
        desc = "principal"
    elif k == 6:
        doc["Version"] = rng.choice(["2008-10-17", "2012-10-18", "", None, 2012, "2012-10-17\u0000"])
        desc = f"version {doc['Version']!r}"
    elif k == 7:
        doc["Statement"] = rng.choice([st, [], {}, "x", None, [[]], [None], [1]])
        desc = "statement container"
    elif k == 8:
        st["Resource"] = "arn:aws:s3:::" + rng.choice(["${", "${${${}}}", "$" * 1000, "${aws:username}" * 5000])
        desc = "resource variables"
    elif k == 9:
        text = json.dumps(doc)
        return text + rng.choice(["", "}", "{", "\u0000", "x", " " * 100000]), "trailing bytes"
    elif k == 10:
        text = json.dumps(doc)
        i = rng.randrange(len(text))
        return text[:i], f"truncated at {i}"
    elif k == 11:
        st["Condition"] = {"StringEquals": {f"k{i}": [f"v{j}" for j in range(50)] for i in range(rng.choice([10, 500]))}}
        desc = "wide condition block"
    elif k == 12:
        return json.dumps(doc).replace('"', rng.choice(["'", "\u201c", '\\"'])), "quotes replaced"
    else:
        data, desc = m.generic(rng, json.dumps(doc).encode())
        return data.decode("utf-8", "surrogateescape"), desc
    return _dumps(doc, depth), desc


def _pct(s: str) -> str:
    return urllib.parse.quote(s.encode("utf-8", "surrogateescape"), safe="")


def _b64url(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def _jwt(rng: random.Random) -> tuple[str, str]:
    header = {"alg": "RS256", "typ": "JWT"}
    payload = {"iss": "https://token.actions.githubusercontent.com", "sub": "repo:a/b", "aud": "sts.amazonaws.com",
               "exp": 4102444800}
    k = rng.randrange(8)
    if k == 0:
        payload[rng.choice(list(payload))] = rng.choice(ODD_VALUES + [None, [], {}, 1e308, -1])
        desc = "claim odd"
    elif k == 1:
        d = m.pick_depth(rng)
        return _b64url(json.dumps(header).encode()) + "." + _b64url(_deep_text(d).encode()) + ".c2ln", f"payload nesting {d}"
    elif k == 2:
        return rng.choice(["", ".", "..", "a.b", "a.b.c.d", "!!!.@@@.###", "x" * 20000]), "shape"
    elif k == 3:
        return _b64url(b"\xff\xfe") + "." + _b64url(b"\x00\x01") + ".sig", "non-UTF-8 parts"
    elif k == 4:
        payload["aud"] = ["a"] * rng.choice([10, 10000])
        desc = "many audiences"
    elif k == 5:
        payload["iss"] = rng.choice(["", "http://", "https://" + "a" * 5000, "https://x/../../etc", "\u0000"])
        desc = "issuer"
    elif k == 6:
        tok = _b64url(json.dumps(header).encode()) + "." + _b64url(json.dumps(payload).encode()) + ".sig"
        data, desc = m.generic(rng, tok.encode())
        return data.decode("latin-1"), desc
    else:
        desc = "valid shape"
    return _b64url(json.dumps(header).encode()) + "." + _b64url(json.dumps(payload).encode()) + ".c2ln", desc


def gen_policies(rng: random.Random, ctx: Ctx) -> Iterator[Case]:
    while True:
        r = rng.random()
        if r < 0.15:
            token, desc = _jwt(rng)
            body = (f"Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000"
                    f"%3Arole%2Fr&RoleSessionName=s&WebIdentityToken={_pct(token)}").encode()
            h = {"Host": ctx.netloc, "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                 "Content-Length": str(len(body))}
            yield Case(serialize("POST", "/", h, body), "query", f"jwt:{m.klass(desc, 30)}", f"web identity: {desc}")
            continue
        where = rng.choice(["create_policy", "user_policy", "trust", "bucket", "queue"])
        doc, desc = _doc_mutation(rng, resource=where in ("bucket", "queue", "trust"))
        if where == "bucket":
            raw = ctx.s3("PUT", f"/{ctx.BUCKET}?policy", doc.encode("utf-8", "surrogateescape"))
            yield Case(raw, "s3", f"policy:bucket:{m.klass(desc, 30)}", f"bucket policy: {desc}")
            # The stored policy (if any) is evaluated now: the owner's root reads through it.
            yield Case(ctx.s3("GET", f"/{ctx.BUCKET}/{ctx.OBJECT}"), "s3", "policy:bucket-eval", f"after: {desc}")
            continue
        if where == "queue":
            body = json.dumps({"QueueUrl": ctx.queue_url, "Attributes": {"Policy": doc}}).encode("utf-8", "surrogateescape")
            yield Case(ctx.json10("AmazonSQS", "SetQueueAttributes", body, "sqs"), "json",
                       f"policy:queue:{m.klass(desc, 30)}", f"queue policy: {desc}")
            body = json.dumps({"QueueUrl": ctx.queue_url, "MessageBody": "x"}).encode()
            yield Case(ctx.json10("AmazonSQS", "SendMessage", body, "sqs"), "json", "policy:queue-eval", f"after: {desc}")
            continue
        name = ctx.unique("p")
        if where == "create_policy":
            pairs = f"Action=CreatePolicy&Version=2010-05-08&PolicyName={name}&PolicyDocument={_pct(doc)}"
        elif where == "user_policy":
            pairs = (f"Action=PutUserPolicy&Version=2010-05-08&UserName=fuzz-user&PolicyName={name}"
                     f"&PolicyDocument={_pct(doc)}")
        else:
            pairs = f"Action=CreateRole&Version=2010-05-08&RoleName={name}&AssumeRolePolicyDocument={_pct(doc)}"
        yield Case(ctx.form("iam", pairs.encode()), "query", f"policy:{where}:{m.klass(desc, 30)}", f"{where}: {desc}")
