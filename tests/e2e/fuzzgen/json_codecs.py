"""JSON bodies: awsJson 1.0 (DynamoDB, SQS), awsJson 1.1 (KMS, Logs, Secrets Manager:
decoded, then 501) and restJson1 (Lambda, Scheduler: URI labels and bodies). Byte mutations of valid
documents, structure-aware type confusion, deep nesting, number and escape edge cases."""

from __future__ import annotations

import gzip
import json
import time
import random
import zlib
from typing import Iterator

from . import mutate as m
from .engine import Case, Ctx, serialize, sign

# (service for signing, X-Amz-Target prefix, content type, operation, valid input)
def _targets(ctx: Ctx):
    t = ctx.TABLE
    return [
        ("dynamodb", "DynamoDB_20120810", "1.0", "PutItem",
         {"TableName": t, "Item": {"pk": {"S": "j"}, "sk": {"N": "2"}, "m": {"M": {"a": {"L": [{"N": "1"}]}}}}}),
        ("dynamodb", "DynamoDB_20120810", "1.0", "GetItem",
         {"TableName": t, "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}, "ConsistentRead": True}),
        ("dynamodb", "DynamoDB_20120810", "1.0", "Query",
         {"TableName": t, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}},
          "Limit": 5}),
        ("dynamodb", "DynamoDB_20120810", "1.0", "BatchWriteItem",
         {"RequestItems": {t: [{"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": "1"}}}}]}}),
        ("dynamodb", "DynamoDB_20120810", "1.0", "CreateTable",
         {"TableName": "fz", "BillingMode": "PAY_PER_REQUEST",
          "AttributeDefinitions": [{"AttributeName": "h", "AttributeType": "S"}],
          "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"}]}),
        ("dynamodb", "DynamoDB_20120810", "1.0", "TransactWriteItems",
         {"TransactItems": [{"Put": {"TableName": t, "Item": {"pk": {"S": "t"}, "sk": {"N": "1"}}}}]}),
        ("sqs", "AmazonSQS", "1.0", "SendMessage",
         {"QueueUrl": ctx.queue_url, "MessageBody": "hi",
          "MessageAttributes": {"a": {"DataType": "String", "StringValue": "v"}}}),
        ("sqs", "AmazonSQS", "1.0", "SetQueueAttributes",
         {"QueueUrl": ctx.queue_url, "Attributes": {"Policy": json.dumps(
             {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:*",
                                                      "Resource": "*"}]})}}),
        ("sqs", "AmazonSQS", "1.0", "CreateQueue",
         {"QueueName": "fz-q", "Attributes": {"RedrivePolicy": json.dumps(
             {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:fuzz-queue", "maxReceiveCount": 3})}}),
        ("kms", "TrentService", "1.1", "Encrypt", {"KeyId": ctx.KMS_ALIAS, "Plaintext": "aGVsbG8="}),
        ("logs", "Logs_20140328", "1.1", "PutLogEvents",
         {"logGroupName": ctx.LOG_GROUP, "logStreamName": ctx.LOG_STREAM,
          "logEvents": [{"timestamp": int(time.time() * 1000), "message": "m"}]}),
        ("ssm", "AmazonSSM", "1.1", "PutParameter",
         {"Name": "/fz/p", "Value": "v", "Type": "String", "Tier": "Advanced", "Overwrite": True,
          "Policies": json.dumps([{"Type": "Expiration", "Version": "1.0",
                                   "Attributes": {"Timestamp": "2030-01-01T00:00:00.000Z"}}])}),
        ("secretsmanager", "secretsmanager", "1.1", "CreateSecret",
         {"Name": "s", "SecretString": "v", "ClientRequestToken": "fuzz-token-0000000000000000000000000"}),
    ]


def deep_json(d: int, kind: str) -> bytes:
    if kind == "array":
        return b"[" * d + b"]" * d
    if kind == "object":
        return b'{"a":' * d + b"1" + b"}" * d
    if kind == "unclosed":
        return b"[" * d
    return b'{"a":[' * (d // 2) + b"0" + b"]}" * (d // 2)


NUMBERS = [b"1e999999", b"-1e999999", b"1" * 100000, b"-0", b"01", b".5", b"1.", b"NaN", b"Infinity",
           b"-", b"1e", b"0x10", b"1_000", b"9" * 400 + b".5e-99999", b"1E+2147483648", b"+1"]
STRINGS = [b'"\\x"', b'"\\u12"', b'"\\ud800"', b'"\\udc00\\ud800"', b'"\\u0000"', b'"\x01"', b'"\n"',
           b'"\xff"', b'"\xc0\xaf"', b'"\xed\xa0\x80"', b'"' + b"s" * 3_000_000 + b'"', b'"', b'"\\',
           b'"\\uZZZZ"', b'"\\U0001F600"', b"'single'"]


_MEMBERS: dict = {}


def _members(n: int) -> bytes:
    if n not in _MEMBERS:
        _MEMBERS[n] = b",".join(b'"k%d":%d' % (i, i) for i in range(n))
    return _MEMBERS[n]


def _replace_random_value(rng: random.Random, doc, new):
    """Replace a random value inside ``doc`` (a parsed JSON object) with ``new`` (raw bytes).
    Returns the serialized document."""
    marker = "@@FUZZ@@"
    paths = []

    def walk(v, path):
        paths.append(path)
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, path + [k])
        elif isinstance(v, list):
            for i, x in enumerate(v):
                walk(x, path + [i])
    walk(doc, [])
    path = rng.choice(paths[1:] or paths)
    if not path:
        return new
    doc = json.loads(json.dumps(doc))
    cur = doc
    for p in path[:-1]:
        cur = cur[p]
    cur[path[-1]] = marker
    return json.dumps(doc).encode().replace(json.dumps(marker).encode(), new, 1)


def json_mutation(rng: random.Random, doc) -> tuple[bytes, str]:
    raw = json.dumps(doc).encode()
    k = rng.randrange(16)
    if k == 0:
        d = m.pick_depth(rng)
        kind = rng.choice(["array", "object", "unclosed", "mixed"])
        return _replace_random_value(rng, doc, deep_json(d, kind)), f"value replaced by {kind} nesting depth {d}"
    if k == 1:
        d = m.pick_depth(rng)
        return deep_json(d, rng.choice(["array", "object", "unclosed"])), f"whole body nested depth {d}"
    if k == 2:
        n = rng.choice(NUMBERS)
        return _replace_random_value(rng, doc, n), f"value replaced by number {n[:30]!r}"
    if k == 3:
        s = rng.choice(STRINGS)
        return _replace_random_value(rng, doc, s), f"value replaced by string {s[:30]!r}"
    if k == 4:
        v = rng.choice([b"null", b"true", b"[]", b"{}", b'""', b"0", b'[{"S":"x"}]', b'{"S":1}', b'{"":{}}',
                        b'{"a":1,"a":2}', b"[" + b"1," * 100000 + b"1]"])
        return _replace_random_value(rng, doc, v), f"value replaced by {v[:30]!r}"
    if k == 5:
        return m.insert_after(rng, raw, b'"')
    if k == 6:
        top = rng.choice([b"[]", b'"s"', b"null", b"1", b"", b" ", b"\xef\xbb\xbf{}", b"{}garbage", b"{}{}",
                          b"{", b"}", b'{"a"}', b'{"a":}', b"{,}", b'{"a":1,}', b"[1,]", b"\x00"])
        return top, f"body {top!r}"
    if k == 7:
        return raw[:-1] + b',"' + rng.choice([b"\xff", b"k" * 100000, b"\x00"]) + b'":1}', "odd extra key"
    if k == 8:
        n = rng.choice([1000, 50000])
        return raw[:-1] + b"," + _members(n) + b"}", f"{n} extra members"
    return m.generic(rng, raw)


def _case(ctx: Ctx, service, prefix, ver, op, body: bytes, name, desc, target_op=None) -> Case:
    ct = f"application/x-amz-json-{ver}"
    raw = ctx.json10(prefix, target_op if target_op is not None else op, body, service, ct=ct)
    return Case(raw, "json", f"json:{name}", f"{service} {op}: {desc}")


def gen_json(rng: random.Random, ctx: Ctx) -> Iterator[Case]:
    targets = _targets(ctx)
    yield _case(ctx, "dynamodb", "DynamoDB_20120810", "1.0", "PutItem", b"[" * 50000 + b"]" * 50000,
                "repro-deep", "array nested 50,000")
    big = b'{"TableName":"' + b"t" * (20 * 1024 * 1024 + 10) + b'"}'
    yield _case(ctx, "dynamodb", "DynamoDB_20120810", "1.0", "PutItem", big, "oversized", f"{len(big)} bytes")
    while True:
        r = rng.random()
        service, prefix, ver, op, doc = rng.choice(targets)
        if r < 0.06:  # hostile X-Amz-Target
            tgt = rng.choice(["", ".", "X", "\xff", "a" * 5000, "DynamoDB_20120810", "DynamoDB_20120810.",
                              "DynamoDB_20120810.PutItem.x", "DynamoDB_20120810.putitem", " PutItem"])
            h = sign("POST", ctx.netloc, "/", service, b"{}",
                     {"X-Amz-Target": f"{prefix}.{tgt}" if tgt.isascii() else "x",
                      "Content-Type": f"application/x-amz-json-{ver}"})
            if not tgt.isascii():
                h["X-Amz-Target"] = f"{prefix}.".encode() + tgt.encode("latin-1")
            yield Case(serialize("POST", "/", h, b"{}"), "any", "json:target", f"X-Amz-Target {prefix}.{tgt[:40]!r}")
        elif r < 0.09:  # restJson1: Lambda labels and bodies
            yield _lambda_case(rng, ctx)
        elif r < 0.12:  # restJson1: Scheduler labels, query strings and bodies
            yield _scheduler_case(rng, ctx)
        elif r < 0.27:  # documents inside strings, legacy conditions, tokens, gzip
            yield _extra_case(rng, ctx)
        else:
            body, desc = json_mutation(rng, doc)
            yield _case(ctx, service, prefix, ver, op, body, m.klass(desc), desc)


LABELS = [b"%FF", b"%00", b"a" * 5000, b"..", b"%2e%2e", b"a%2Fb", b"%", b"\xff", b"a b", b"%E2%80%AE"]


def _lambda_case(rng: random.Random, ctx: Ctx) -> Case:
    if rng.random() < 0.5:
        label = rng.choice(LABELS)
        target = b"/2015-03-31/functions/" + label + rng.choice([b"", b"/invocations", b"/configuration"])
        method = rng.choice(["GET", "POST", "DELETE"])
        t = target.decode("latin-1")
        h = sign(method, ctx.netloc, t, "lambda", b"")
        return Case(serialize(method, target, h, b""), "restjson", "restjson:label", f"{method} {target[:80]!r}")
    doc = {"FunctionName": "f", "Runtime": "python3.12", "Role": "arn:aws:iam::000000000000:role/r",
           "Handler": "h.h", "Code": {"ZipFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="},
           "Environment": {"Variables": {"A": "b"}}, "Timeout": 3}
    body, desc = json_mutation(rng, doc)
    h = sign("POST", ctx.netloc, "/2015-03-31/functions", "lambda", body, {"Content-Type": "application/json"})
    return Case(serialize("POST", "/2015-03-31/functions", h, body), "restjson", "restjson:body",
                f"Lambda CreateFunction: {desc}")


SCHEDULER_PATHS = [b"/schedules/", b"/schedule-groups/", b"/tags/"]


def _scheduler_case(rng: random.Random, ctx: Ctx) -> Case:
    """Scheduler (implemented): hostile URI labels and query strings, and mutations of a valid
    CreateSchedule body (a schedule expression, time zone, flexible window and SQS target)."""
    if rng.random() < 0.4:
        label = rng.choice(LABELS + [b"arn%3Aaws%3Ascheduler%3Aus-east-1%3A000000000000%3Aschedule-group%2F" + b"g" * 70])
        query = rng.choice([b"", b"?groupName=%FF", b"?groupName=" + b"g" * 100, b"?clientToken=%00",
                            b"?TagKeys=a&TagKeys=" + b"k" * 200])
        target = rng.choice(SCHEDULER_PATHS) + label + query
        method = rng.choice(["GET", "POST", "PUT", "DELETE"])
        t = target.decode("latin-1")
        h = sign(method, ctx.netloc, t, "scheduler", b"")
        return Case(serialize(method, target, h, b""), "restjson", "restjson:label", f"scheduler {method} {target[:80]!r}")
    doc = {"ScheduleExpression": rng.choice(["rate(5 minutes)", "cron(0 12 ? * MON-FRI *)", "at(2030-01-01T00:00:00)",
                                              "cron(0 0 L * ? *)", "cron(0 2 ? * SAT#3 2199)"]),
           "ScheduleExpressionTimezone": rng.choice(["UTC", "America/New_York"]),
           "FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 5},
           "Target": {"Arn": "arn:aws:sqs:us-east-1:000000000000:fuzz-queue",
                      "RoleArn": "arn:aws:iam::000000000000:role/r", "Input": "{}",
                      "RetryPolicy": {"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 60}},
           "State": "DISABLED"}
    body, desc = json_mutation(rng, doc)
    path = "/schedules/fz-" + str(rng.randrange(1000))
    h = sign("POST", ctx.netloc, path, "scheduler", body, {"Content-Type": "application/json"})
    return Case(serialize("POST", path, h, body), "restjson", "restjson:body", f"Scheduler CreateSchedule: {desc}")


# --------------------------------------------------------------------------------------
# Parsers behind the codec: JSON documents inside strings (SQS policies), DynamoDB's
# legacy conditions, opaque tokens (receipt handles, shard iterators, pagination), gzip.
# --------------------------------------------------------------------------------------

_BOMB: list = []


def gzip_bomb() -> bytes:
    """gzip of 256 MiB of zeros (~250 KB): far past the inflate limit, built once."""
    if not _BOMB:
        c = zlib.compressobj(9, zlib.DEFLATED, 31)
        block = b"\0" * (1 << 20)
        out = [c.compress(block) for _ in range(256)]
        out.append(c.flush())
        _BOMB.append(b"".join(out))
    return _BOMB[0]


def _inner_document(rng: random.Random) -> tuple[str, str]:
    d = m.pick_depth(rng)
    k = rng.randrange(7)
    if k == 0:
        return '{"a":' * d + "1" + "}" * d, f"policy object nested {d}"
    if k == 1:
        return "[" * d + "]" * d, f"policy array nested {d}"
    if k == 2:
        return '{"Version":"2012-10-17","Statement":[' + ",".join(['{"Effect":"Allow"}'] * 5000) + "]}", "5,000 statements"
    if k == 3:
        return rng.choice(['{"a":', "{", '{"a":1', '{"a":"\\ud800"}', '{"a":1e999999}', "null", "[]", '""', "{}{}",
                           '{"deadLetterTargetArn":1,"maxReceiveCount":"x"}', '{"redrivePermission":"byQueue","sourceQueueArns":' + "[" * d]), "malformed inner JSON"
    if k == 4:
        return '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:x","maxReceiveCount":' + "9" * rng.choice([20, 400]) + "}", "huge maxReceiveCount"
    if k == 5:
        return '{"Statement":[{"Condition":' + '{"StringEquals":' * d + '"x"' + "}" * d + "}]}", f"policy condition nested {d}"
    return "\u0000\u00ff\ud7ff" * 10, "control and non-ASCII characters"


def _extra_case(rng: random.Random, ctx: Ctx) -> Case:
    k = rng.randrange(4)
    if k == 0:  # SQS attributes holding JSON documents
        attr = rng.choice(["Policy", "RedrivePolicy", "RedriveAllowPolicy"])
        inner, desc = _inner_document(rng)
        if rng.random() < 0.5:
            doc = {"QueueUrl": ctx.queue_url, "Attributes": {attr: inner}}
            op = "SetQueueAttributes"
        else:
            doc = {"QueueName": ctx.unique("fzq"), "Attributes": {attr: inner}}
            op = "CreateQueue"
        return _case(ctx, "sqs", "AmazonSQS", "1.0", op, json.dumps(doc).encode(), f"inner:{attr}:{m.klass(desc, 24)}",
                     f"{attr}: {desc}")
    if k == 1:  # DynamoDB legacy conditions
        op = rng.choice(["Scan", "Query", "PutItem", "UpdateItem"])
        bad = rng.choice([
            {"ComparisonOperator": "XX", "AttributeValueList": [{"S": "a"}]},
            {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"S": "a"}]},
            {"ComparisonOperator": "IN", "AttributeValueList": [{"N": str(i)} for i in range(5000)]},
            {"ComparisonOperator": "EQ", "AttributeValueList": []},
            {"ComparisonOperator": "EQ"},
            {"ComparisonOperator": "NULL", "AttributeValueList": [{"S": "a"}]},
            {"Exists": "maybe"}, {"Exists": False, "Value": {"S": "a"}}, {"Value": {"Q": "a"}},
            {"ComparisonOperator": "EQ", "AttributeValueList": [{"M": {"a": {"M": {}}}}] * 1000},
        ])
        t = ctx.TABLE
        if op == "Scan":
            doc = {"TableName": t, "ScanFilter": {"n": bad}, "ConditionalOperator": rng.choice(["AND", "XOR", ""])}
        elif op == "Query":
            doc = {"TableName": t, "KeyConditions": {"pk": bad, "sk": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "0"}]}}}
        elif op == "PutItem":
            doc = {"TableName": t, "Item": {"pk": {"S": "lc"}, "sk": {"N": "1"}}, "Expected": {"n": bad}}
        else:
            doc = {"TableName": t, "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
                   "AttributeUpdates": {"n": rng.choice([{"Action": "XX"}, {"Action": "ADD", "Value": {"S": "a"}},
                                                         {"Action": "DELETE", "Value": {"SS": []}}, {"Value": bad}])},
                   "Expected": {"n": bad}}
        return _case(ctx, "dynamodb", "DynamoDB_20120810", "1.0", op, json.dumps(doc).encode(), f"legacy:{op}",
                     f"legacy condition {json.dumps(bad)[:80]}")
    if k == 2:  # opaque tokens
        tok = rng.choice(["", "x", "AAAA", "!!!", "\u00e9", "A" * 100000, "eyJhIjoxfQ==", "null", "0", "%00",
                          "a" * 1024 + "==", "-1"])
        which = rng.randrange(4)
        if which == 0:
            return _case(ctx, "sqs", "AmazonSQS", "1.0", "DeleteMessage",
                         json.dumps({"QueueUrl": ctx.queue_url, "ReceiptHandle": tok}).encode(), "token:receipt-handle",
                         f"ReceiptHandle {tok[:20]!r}")
        if which == 1:
            return _case(ctx, "sqs", "AmazonSQS", "1.0", "ChangeMessageVisibility",
                         json.dumps({"QueueUrl": ctx.queue_url, "ReceiptHandle": tok, "VisibilityTimeout": 5}).encode(),
                         "token:receipt-handle", f"ReceiptHandle {tok[:20]!r}")
        if which == 2:
            body = json.dumps({"ShardIterator": tok, "Limit": 10}).encode()
            return _case(ctx, "dynamodb", "DynamoDBStreams_20120810", "1.0", "GetRecords", body,
                         "token:shard-iterator", f"ShardIterator {tok[:20]!r}")
        body = json.dumps({"TableName": ctx.TABLE, "ExclusiveStartKey": {"pk": {"S": tok}, "zz": {"N": "1"}}}).encode()
        return _case(ctx, "dynamodb", "DynamoDB_20120810", "1.0", "Scan", body, "token:exclusive-start-key",
                     f"ExclusiveStartKey {tok[:20]!r}")
    # gzip bodies (inflated before decoding for JSON services)
    plain = json.dumps({"TableName": ctx.TABLE}).encode()
    g = rng.randrange(12)  # the bomb costs ~1 s a time: 1 in 12
    if g == 0:
        body, desc = gzip_bomb(), "gzip bomb (256 MiB of zeros)"
    elif g == 1:
        body, desc = gzip.compress(plain)[:-6], "truncated gzip"
    elif g == 2:
        body, desc = gzip.compress(plain) + b"trailing", "gzip + trailing bytes"
    elif g <= 6:
        body, desc = plain, "plain body labelled gzip"
    elif g <= 9:
        body, desc = gzip.compress(plain) + gzip.compress(plain), "two gzip members"
    else:
        body, desc = m.generic(rng, gzip.compress(plain))
        desc = f"gzip {desc}"
    h = sign("POST", ctx.netloc, "/", "dynamodb", body, {"X-Amz-Target": "DynamoDB_20120810.DescribeTable",
                                                         "Content-Type": "application/x-amz-json-1.0",
                                                         "Content-Encoding": "gzip"})
    return Case(serialize("POST", "/", h, body), "json", f"gzip:{m.klass(desc, 24)}", f"DynamoDB DescribeTable: {desc}")
