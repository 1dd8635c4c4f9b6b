"""Form-encoded protocols: awsQuery (SQS query mode, STS, IAM/SNS decoded then 501) and
ec2Query (EC2, decoded then 501): percent-encoding, non-UTF-8, list/map index keys, sizes."""

from __future__ import annotations

import random
import urllib.parse
from typing import Iterator

from . import mutate as m
from .engine import Case, Ctx, serialize, sign


def _bases(ctx: Ctx):
    q = ctx.queue_url
    return [
        ("sqs", "query", [("Action", "SendMessage"), ("Version", "2012-11-05"), ("QueueUrl", q),
                          ("MessageBody", "hi"), ("MessageAttribute.1.Name", "a"),
                          ("MessageAttribute.1.Value.DataType", "String"),
                          ("MessageAttribute.1.Value.StringValue", "v")]),
        ("sqs", "query", [("Action", "SetQueueAttributes"), ("Version", "2012-11-05"), ("QueueUrl", q),
                          ("Attribute.1.Name", "VisibilityTimeout"), ("Attribute.1.Value", "30")]),
        ("sqs", "query", [("Action", "CreateQueue"), ("Version", "2012-11-05"), ("QueueName", "fzq"),
                          ("Tag.1.Key", "k"), ("Tag.1.Value", "v")]),
        ("sts", "query", [("Action", "GetCallerIdentity"), ("Version", "2011-06-15")]),
        ("iam", "query", [("Action", "CreateUser"), ("Version", "2010-05-08"), ("UserName", "u"),
                          ("Tags.member.1.Key", "k"), ("Tags.member.1.Value", "v")]),
        ("sns", "query", [("Action", "Publish"), ("Version", "2010-03-31"), ("TopicArn", ctx.topic_arn),
                          ("Message", "m"), ("MessageAttributes.entry.1.Name", "a"),
                          ("MessageAttributes.entry.1.Value.DataType", "String"),
                          ("MessageAttributes.entry.1.Value.StringValue", "v")]),
        # SNS's own JSON inputs: a filter policy (the shared pattern compiler), a topic policy,
        # a per-protocol message structure.
        ("sns", "query", [("Action", "Subscribe"), ("Version", "2010-03-31"), ("TopicArn", ctx.topic_arn),
                          ("Protocol", "sqs"), ("Endpoint", _queue_arn(ctx)),
                          ("Attributes.entry.1.key", "FilterPolicy"),
                          ("Attributes.entry.1.value", '{"a":["b",{"prefix":"c"}],"n":[{"numeric":[">",1]}]}')]),
        ("sns", "query", [("Action", "SetTopicAttributes"), ("Version", "2010-03-31"), ("TopicArn", ctx.topic_arn),
                          ("AttributeName", "Policy"),
                          ("AttributeValue", '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
                                             '"Principal":{"AWS":"*"},"Action":"sns:Publish","Resource":"'
                                             + ctx.topic_arn + '"}]}')]),
        ("sns", "query", [("Action", "Publish"), ("Version", "2010-03-31"), ("TopicArn", ctx.topic_arn),
                          ("MessageStructure", "json"), ("Message", '{"default":"d","sqs":"q"}')]),
        ("ec2", "query", [("Action", "DescribeInstances"), ("Version", "2016-11-15"), ("Filter.1.Name", "tag:a"),
                          ("Filter.1.Value.1", "b"), ("InstanceId.1", "i-1234567890abcdef0")]),
        ("ec2", "query", [("Action", "RunInstances"), ("Version", "2016-11-15"), ("ImageId", "ami-1"),
                          ("MinCount", "1"), ("MaxCount", "1"),
                          ("TagSpecification.1.Tag.1.Key", "k")]),
    ]


def _queue_arn(ctx: Ctx) -> str:
    """The fuzz queue's ARN from its URL (`http://host/<account>/<name>`)."""
    account, name = ctx.queue_url.rstrip("/").split("/")[-2:]
    return f"arn:aws:sqs:us-east-1:{account}:{name}"


def _encode(pairs) -> bytes:
    return urllib.parse.urlencode(pairs).encode()


def _form_mutation(rng: random.Random, pairs: list) -> tuple[bytes, str]:
    k = rng.randrange(13)
    if k == 0:
        bad = rng.choice([b"%", b"%z", b"%ZZ", b"%F", b"%%", b"%u0041", b"%00", b"+%2"])
        body = _encode(pairs)
        i = rng.randrange(len(body) + 1)
        return body[:i] + bad + body[i:], f"escape {bad!r} inserted"
    if k == 1:
        bad = rng.choice([b"%FF", b"%C0%AF", b"%ED%A0%80", b"%F4%90%80%80", b"%C3"])
        return _encode(pairs[:-1]) + b"&" + pairs[-1][0].encode() + b"=" + bad, f"value decodes to non-UTF-8 {bad!r}"
    if k == 2:
        return m.insert_bad(rng, _encode(pairs))
    if k == 3:
        junk = rng.choice([b"&&&&", b"====", b"=&=", b"novalue", b"&=x", b"Action", b"Action=",
                           b"Action=&Action=GetCallerIdentity", b"Version=&Version=x"])
        return _encode(pairs) + b"&" + junk, f"pairs {junk!r}"
    if k == 4:
        idx = rng.choice(["0", "-1", "99999999999999999999", "1.5", "", "a", "00001", "4294967296", "1e3"])
        key = rng.choice([p for p, _ in pairs if ".1" in p] or ["Attribute.1.Name"]).replace(".1", "." + idx, 1)
        return _encode(pairs + [(key, "x")]), f"index key {key!r}"
    if k == 5:
        d = rng.choice([10, 100, 1000, 5000, 20000])
        return _encode(pairs + [(".".join(["a"] * d), "x")]), f"dotted key of {d} parts"
    if k == 6:
        n = rng.choice([1000, 20000])
        return _encode(pairs + [(f"Attribute.{i}.Name", "x") for i in range(1, n)]), f"{n} list members"
    if k == 7:
        n = rng.choice([10 ** 4, 10 ** 5, 5 * 10 ** 6])
        return _encode(pairs + [("MessageBody", "x" * n)]), f"{n}-byte value"
    if k == 8:
        act = rng.choice(["", "\xff", "x" * 5000, "getcalleridentity", "Get CallerIdentity", "../", "GetCallerIdentity\x00"])
        p = [(a, b) for a, b in pairs if a != "Action"] + [("Action", act)]
        return _encode(p), f"Action {act[:20]!r}"
    if k == 9:
        return _encode([(a, b) for a, b in pairs if a != rng.choice(["Action", "Version"])]), "Action or Version missing"
    if k == 10:
        return _encode(pairs).replace(b"&", rng.choice([b";", b"&amp;", b"\n", b"&\x00"])), "separator changed"
    return m.generic(rng, _encode(pairs))


def gen_query(rng: random.Random, ctx: Ctx) -> Iterator[Case]:
    bases = _bases(ctx)
    while True:
        service, expect, pairs = rng.choice(bases)
        r = rng.random()
        if r < 0.08:  # the same actions as a GET query string
            body, desc = _form_mutation(rng, pairs)
            target = "/?" + body.decode("latin-1")
            try:
                h = sign("GET", ctx.netloc, target, service, b"")
            except Exception:
                h = sign("GET", ctx.netloc, "/", service, b"")
            yield Case(serialize("GET", b"/?" + body, h, b""), "any", f"query:get:{m.klass(desc, 30)}",
                       f"{service} GET query: {desc}")
            continue
        if r < 0.14:
            ct = rng.choice(["application/json", "text/plain", "", "application/x-www-form-urlencoded; charset=latin-1",
                             "multipart/form-data; boundary=x", "application/x-www-form-urlencoded\xff"])
            body = _encode(pairs)
            h = sign("POST", ctx.netloc, "/", service, body, {"Content-Type": ct} if ct.isascii() else {})
            if not ct.isascii():
                h["Content-Type"] = ct.encode("latin-1")
            yield Case(serialize("POST", "/", h, body), "any", "query:content-type", f"{service} Content-Type {ct!r}")
            continue
        body, desc = _form_mutation(rng, pairs)
        yield Case(ctx.form(service, body), expect, f"query:{service}:{m.klass(desc, 30)}",
                   f"{service} {pairs[0][1]}: {desc}")
