"""CloudWatch Logs inputs: filter patterns in every dialect (terms, quoted phrases, JSON
selectors and conditions, space-delimited fields, ellipses), mutated and truncated, given to
TestMetricFilter, FilterLogEvents and PutMetricFilter; PutLogEvents batches with odd
timestamps (extremes, unordered, spans) and messages; paging tokens. Every answer must be a
well-formed awsJson error or a success, never a crash or a hang."""

from __future__ import annotations

import json
import random
from typing import Iterator

from . import mutate as m
from .engine import Case, Ctx

GROUP = "/fuzz/logs"
STREAM = "s"

SEEDS = [
    "", "ERROR", '"Out of memory"', "ERROR -DEBUG", "?ERROR ?WARN", '{ $.a = 1 }', '{ $.a.b[0] = "x*" }',
    '{ ($.a > 1 || $.b IS NULL) && $.c NOT EXISTS }', '{ $.list[*].id != 3 }', '{ $.f IS TRUE }',
    "[ip, user, ..., status = 4*, bytes > 1000]", "[..., a = 1 || a = 2, ...]", "[a, b, c]", "[]",
]
TOKENS = ["{", "}", "[", "]", "(", ")", "$", "$.", ".", "&&", "||", "=", "!=", "<=", ">=", "<", ">", "IS NULL",
          "NOT EXISTS", "...", ",", '"', "*", "-", "?", "\\", "\u0000", "é", " ", "$.a", "[0]", "[*]", "1e308", "-0"]
MESSAGES = ['{"a": 1, "b": null, "c": {"d": [1, 2]}, "list": [{"id": 3}]}', "1.2.3.4 - u [t] \"GET /\" 404 12", "",
            "x " * 500, '{"a": ' * 300, "[" * 200, "\"unterminated", "é\u0000ü", '{"a": 1e999}']


def _pattern(rng: random.Random) -> tuple[str, str]:
    base = rng.choice(SEEDS)
    k = rng.randrange(5)
    if k == 0:
        return base, "seed"
    if k == 1:
        s = list(base)
        for _ in range(rng.randrange(1, 5)):
            s.insert(rng.randrange(len(s) + 1), rng.choice(TOKENS))
        return "".join(s), "inserted tokens"
    if k == 2:
        return base[: rng.randrange(len(base) + 1)], "truncated"
    if k == 3:
        return "".join(rng.choice(TOKENS) for _ in range(rng.randrange(1, 40))), "token soup"
    depth = rng.choice([10, 63, 64, 65, 500])
    return "{ " + "(" * depth + "$.a = 1" + ")" * depth + " }", f"nesting {m.klass(str(depth), 4)}"


def gen_logs(rng: random.Random, ctx: Ctx) -> Iterator[Case]:
    def call(op: str, doc) -> bytes:
        body = json.dumps(doc).encode("utf-8", "surrogateescape")
        return ctx.json10("Logs_20140328", op, body, "logs", ct="application/x-amz-json-1.1")

    yield Case(call("CreateLogGroup", {"logGroupName": GROUP}), "json", "logs:setup", "create group")
    yield Case(call("CreateLogStream", {"logGroupName": GROUP, "logStreamName": STREAM}), "json", "logs:setup", "create stream")
    while True:
        r = rng.random()
        if r < 0.45:
            p, desc = _pattern(rng)
            op = rng.choice(["TestMetricFilter", "FilterLogEvents", "PutMetricFilter"])
            if op == "TestMetricFilter":
                doc = {"filterPattern": p, "logEventMessages": rng.sample(MESSAGES, rng.randrange(1, 5))}
            elif op == "FilterLogEvents":
                doc = {"logGroupName": GROUP, "filterPattern": p}
            else:
                doc = {"logGroupName": GROUP, "filterName": "f" + str(rng.randrange(3)), "filterPattern": p,
                       "metricTransformations": [{"metricName": "m", "metricNamespace": "n",
                                                  "metricValue": rng.choice(["1", "$.a", "$status", "x", "$"])}]}
            yield Case(call(op, doc), "json", f"logs:pattern:{op}:{desc}", f"{op} {p[:60]!r}")
        elif r < 0.6:
            q = rng.choice(["fields @message", "filter a = 1 | stats count(*) by bin(5m)", "parse @message /(?<x>\\w+)/",
                            "stats avg(x) by y | sort y desc | limit 5", "filter @message like /a/ and not b in [1, 2]"])
            k = rng.randrange(4)
            if k == 0:
                q = q[: rng.randrange(len(q) + 1)]
            elif k == 1:
                s = list(q)
                for _ in range(rng.randrange(1, 5)):
                    s.insert(rng.randrange(len(s) + 1), rng.choice(TOKENS + ["|", "/", "'", "`", "bin(", "not ", "by"]))
                q = "".join(s)
            elif k == 2:
                q = "filter " + rng.choice(["(", "not ", "-", "["]) * rng.choice([50, 99, 100, 101, 3000]) + "a"
            doc = {"logGroupName": GROUP, "startTime": rng.choice([0, 2 ** 62, -1]), "endTime": rng.choice([0, 2 ** 62, 2 ** 63 - 1]),
                   "queryString": q}
            yield Case(call("StartQuery", doc), "json", f"logs:insights:{k}", f"StartQuery {q[:60]!r}")
        elif r < 0.8:
            base = rng.choice([0, 1_700_000_000_000, 2 ** 63 - 1, -(2 ** 63), 2 ** 62])
            n = rng.choice([0, 1, 2, 50])
            events = [{"timestamp": base + rng.choice([0, 1, -1, 86_400_001, -(2 ** 40)]) * i,
                       "message": rng.choice(MESSAGES)} for i in range(n)]
            doc = {"logGroupName": GROUP, "logStreamName": rng.choice([STREAM, "missing", "", ":", "*"]), "logEvents": events}
            yield Case(call("PutLogEvents", doc), "json", "logs:put", f"PutLogEvents n={n} base={base}")
        else:
            token = rng.choice(["f/0", "b/0", "f/" + "9" * 60, "b/-1", "x", "", "f/", "Zm9v", "LTE=", "OTk5OTk5OTk5OTk5OTk5OTk5OTk5"])
            op = rng.choice(["GetLogEvents", "FilterLogEvents", "DescribeLogStreams", "DescribeLogGroups"])
            doc = {"nextToken": token, "limit": rng.choice([1, 50, 10000])}
            if op != "DescribeLogGroups":
                doc["logGroupName"] = GROUP
            if op == "GetLogEvents":
                doc["logStreamName"] = STREAM
                doc["startTime"] = rng.choice([0, -(2 ** 63), 2 ** 63 - 1])
            yield Case(call(op, doc), "json", f"logs:token:{op}", f"{op} token={token!r}")
