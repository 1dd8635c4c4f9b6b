"""EventBridge inputs: PutEvents entries whose Detail is deep, huge, not an object or not JSON
at all, with odd sources and bus names; PutRule and TestEventPattern with mutated event
patterns (every operator, nesting, wrong types); PutTargets with odd InputPath and
InputTransformer templates. Every answer must be a well-formed awsJson error or a success
(a PutEvents with per-entry errors is a success), never a crash."""

from __future__ import annotations

import json
import random
from typing import Iterator

from . import mutate as m
from .engine import Case, Ctx
from .json_codecs import deep_json, json_mutation

PATTERNS = [
    {"source": ["a"]},
    {"detail": {"n": [{"numeric": [">", 0, "<=", 5]}]}},
    {"detail": {"s": [{"prefix": "x"}, {"suffix": "y"}, {"anything-but": ["z"]}]}},
    {"detail": {"ip": [{"cidr": "10.0.0.0/24"}], "e": [{"exists": False}]}},
    {"detail": {"w": [{"wildcard": "a*b*c"}], "i": [{"equals-ignore-case": "AbC"}]}},
    {"$or": [{"source": ["a"]}, {"detail": {"x": [1, None, True]}}]},
    {"detail": {"anything": [{"anything-but": {"prefix": "p"}}]}},
]

BUSES = ["default", "", "arn:aws:events:us-east-1:000000000000:event-bus/default", "arn:aws:events:::event-bus/",
         "arn:aws:sqs:us-east-1:000000000000:q", "nope", "a/b", "x" * 300, "\u0000", "arn:aws:events:us-east-1:1:event-bus/a/b"]


def gen_events(rng: random.Random, ctx: Ctx) -> Iterator[Case]:
    def call(op: str, doc) -> bytes:
        body = doc if isinstance(doc, (bytes, bytearray)) else json.dumps(doc).encode("utf-8", "surrogateescape")
        return ctx.json10("AWSEvents", op, bytes(body), "events", ct="application/x-amz-json-1.1")

    while True:
        r = rng.random()
        if r < 0.35:
            k = rng.randrange(6)
            if k == 0:
                d = m.pick_depth(rng)
                detail, desc = deep_json(d, rng.choice(["array", "object", "unclosed", "mixed"])).decode(), f"detail depth {d}"
            elif k == 1:
                detail, desc = rng.choice(['"s"', "[]", "null", "1", "", "{", "{}x", '{"a":1,"a":2}']), "detail not an object"
            elif k == 2:
                detail, desc = json.dumps({"a": "x" * rng.choice([10, 262_000, 300_000])}), "detail size"
            else:
                raw, desc = json_mutation(rng, {"a": {"b": [1, "c"]}})
                detail = raw.decode("utf-8", "surrogateescape")
            entry = {"Source": rng.choice(["a", "aws.s3", "aws.", "", "x" * 300]), "DetailType": rng.choice(["t", "", "é" * 40]),
                     "Detail": detail}
            if rng.random() < 0.4:
                entry["EventBusName"] = rng.choice(BUSES)
            if rng.random() < 0.2:
                entry["Resources"] = [rng.choice(["r", "", "x" * 3000])] * rng.choice([1, 10, 100])
            entries = [entry] * rng.choice([1, 1, 2, 10, 11])
            yield Case(call("PutEvents", {"Entries": entries}), "json", f"events:put:{m.klass(desc, 24)}", f"PutEvents {desc}")
        elif r < 0.7:
            raw, desc = json_mutation(rng, rng.choice(PATTERNS))
            pattern = raw.decode("utf-8", "surrogateescape")
            if rng.random() < 0.5:
                doc = {"Name": "fuzz-" + ctx.unique("r"), "EventPattern": pattern,
                       "EventBusName": rng.choice(BUSES[:2]), "State": rng.choice(["ENABLED", "DISABLED"])}
                if rng.random() < 0.2:
                    doc["ScheduleExpression"] = rng.choice(["rate(1 minute)", "rate(0 minutes)", "cron(0 12 * * ? *)",
                                                            "cron(* * * * * *)", "at(2030-01-01T00:00:00)", "rate(" + "9" * 40 + " days)"])
                yield Case(call("PutRule", doc), "json", f"events:rule:{m.klass(desc, 24)}", f"PutRule {desc}")
            else:
                event = json.dumps({"id": "1", "account": "000000000000", "source": "a", "time": "2026-01-01T00:00:00Z",
                                    "region": "us-east-1", "resources": [], "detail-type": "t",
                                    "detail": {"n": 3, "s": "xy", "ip": "10.0.0.1", "x": [1, None]}})
                yield Case(call("TestEventPattern", {"EventPattern": pattern, "Event": event}), "json",
                           f"events:test:{m.klass(desc, 24)}", f"TestEventPattern {desc}")
        else:
            template = rng.choice(['"<a> and <b>"', '{"x": <a>, "y": "<b>"}', "<a", "<>", "<" * 1000, "\"<aws.events.event>\"",
                                   '{"e": <aws.events.event.json>}', "<undefined>", "x" * 10000])
            paths = rng.choice([{"a": "$.detail", "b": "$.source"}, {"a": "$[", "b": "$..x"}, {"aws.x": "$"},
                                {str(i): "$.detail" for i in range(101)}, {"a": "$.detail.list[99999999999999999999]", "b": "$"}])
            target = {"Id": rng.choice(["t", "", "a b", "x" * 65]), "Arn": "arn:aws:sqs:us-east-1:000000000000:q"}
            choice = rng.randrange(3)
            if choice == 0:
                target["InputTransformer"] = {"InputPathsMap": paths, "InputTemplate": template}
            elif choice == 1:
                target["InputPath"] = rng.choice(["$", "$.detail", "detail", "$[", "$." + "a." * 500, "$['x']"])
            else:
                target["Input"] = rng.choice(["{}", "{", "", "x" * 9000])
            rule = "fuzz-" + ctx.unique("r")
            yield Case(call("PutRule", {"Name": rule, "EventPattern": '{"source":["a"]}'}), "json", "events:targets:rule",
                       "PutRule for PutTargets")
            yield Case(call("PutTargets", {"Rule": rule, "Targets": [target] * rng.choice([1, 2, 6])}), "json",
                       f"events:targets:{choice}", f"PutTargets input kind {choice}")
