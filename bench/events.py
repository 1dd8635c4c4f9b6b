#!/usr/bin/env python3
"""EventBridge benchmark (not a test): PutEvents of one entry on a bus with 100 rules (one of
which matches and sends to an SQS queue) side by side with moto_server, as requests per server
CPU-second, and the end-to-end delivery latency (PutEvents sent → message received from the
queue) p50/p99.

    python3 bench/events.py [--duration 5] [--connections 1,16] [--samples 200] [--skip-moto]

The rules carry realistic patterns (source, detail-type, numeric and prefix matches on the
detail), so every event is matched against all 100.
"""
import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import time

import botocore.auth
import botocore.awsrequest
import botocore.credentials

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import foundation as fb  # noqa: E402
from dynamodb import on_each_server  # noqa: E402

CREDS = botocore.credentials.Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
TARGETS = {"events": ("AWSEvents", "1.1"), "sqs": ("AmazonSQS", "1.0")}
RULES = 100


def signed(port, service, op, payload):
    prefix, version = TARGETS[service]
    body = json.dumps(payload)
    req = botocore.awsrequest.AWSRequest(
        method="POST", url=f"http://{fb.HOST}:{port}/", data=body,
        headers={"Content-Type": f"application/x-amz-json-{version}", "X-Amz-Target": f"{prefix}.{op}"})
    botocore.auth.SigV4Auth(CREDS, service, "us-east-1").add_auth(req)
    return dict(req.headers), body


def call(port, service, op, payload):
    h, b = signed(port, service, op, payload)
    conn = http.client.HTTPConnection(fb.HOST, port)
    conn.request("POST", "/", body=b, headers=h)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    assert r.status == 200, (op, r.status, data[:300])
    return json.loads(data or b"{}")


def setup(port):
    """100 rules, the last of which matches the bench event and targets a queue."""
    url = call(port, "sqs", "CreateQueue", {"QueueName": "bench-events"})["QueueUrl"]
    qarn = call(port, "sqs", "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["QueueArn"]})["Attributes"]["QueueArn"]
    rule_arn = None
    for i in range(RULES):
        matching = i == RULES - 1
        pattern = {"source": ["shop" if matching else f"shop-{i}"], "detail-type": ["OrderPlaced"],
                   "detail": {"total": [{"numeric": [">", i % 10]}], "region": [{"prefix": "eu-"}]}}
        rule_arn = call(port, "events", "PutRule", {"Name": f"r{i}", "EventPattern": json.dumps(pattern)})["RuleArn"]
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": qarn, "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]}
    call(port, "sqs", "SetQueueAttributes", {"QueueUrl": url, "Attributes": {"Policy": json.dumps(policy)}})
    call(port, "events", "PutTargets", {"Rule": f"r{RULES - 1}", "Targets": [{"Id": "q", "Arn": qarn}]})
    return url


EVENT = {"Entries": [{"Source": "shop", "DetailType": "OrderPlaced",
                      "Detail": json.dumps({"total": 42, "region": "eu-west-1", "items": [1, 2, 3]})}]}


def latency(port, url, samples):
    """Sequential PutEvents, each followed by a long-poll receive of its message."""
    got = []
    for _ in range(samples):
        t0 = time.perf_counter()
        call(port, "events", "PutEvents", EVENT)
        while True:
            msgs = call(port, "sqs", "ReceiveMessage", {"QueueUrl": url, "WaitTimeSeconds": 5}).get("Messages", [])
            if msgs:
                break
        got.append((time.perf_counter() - t0) * 1000)
        for m in msgs:
            call(port, "sqs", "DeleteMessage", {"QueueUrl": url, "ReceiptHandle": m["ReceiptHandle"]})
    got.sort()
    return statistics.median(got), got[int(len(got) * 0.99) - 1]


def run(name, proc, port, args, wrk, workdir):
    url = setup(port)
    p50, p99 = latency(port, url, args.samples)
    print(f"[{name}] delivery latency p50 {p50:.2f} ms  p99 {p99:.2f} ms", file=sys.stderr, flush=True)
    out = {"latency": (p50, p99)}
    h, b = signed(port, "events", "PutEvents", EVENT)
    runs = fb.bench_requests(name, proc.pid, port, {"PutEvents/100 rules": (h, b)}, args.conns, args.duration,
                             wrk, workdir)
    out.update({c: r for (_, c), r in runs.items()})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--simfra-bin", default=os.path.join(HERE, "..", ".build", "release", "simfra"))
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--connections", default="1,16")
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--skip-moto", action="store_true")
    ap.add_argument("--skip-simfra", action="store_true")
    args = ap.parse_args()
    args.conns = [int(c) for c in args.connections.split(",")]
    wrk = fb.shutil.which("wrk") or sys.exit("wrk missing: apt-get install -y wrk")
    workdir = tempfile.mkdtemp(prefix="simfra-events-bench-")
    results = on_each_server(args, lambda name, proc, port: run(name, proc, port, args, wrk, workdir))
    s, m = results.get("simfra"), results.get("moto")
    print("| measure | Simfra | moto | ratio |")
    print("|---|---:|---:|---|")
    for label, i in (("delivery p50 ms", 0), ("delivery p99 ms", 1)):
        sv, mv = (s or {}).get("latency", (0, 0))[i], (m or {}).get("latency", (0, 0))[i]
        print(f"| {label} | {sv:.2f} | {mv:.2f} | " + (f"{mv / sv:.1f}×" if sv and mv else "—") + " |")
    for c in args.conns:
        sr, mr = (s or {}).get(c), (m or {}).get(c)
        scpu = (sr["server_cpu_us_per_req"] if sr else 0) or 0
        mcpu = (mr["server_cpu_us_per_req"] if mr else 0) or 0
        print(f"| PutEvents c={c} req/s | {sr['req_per_s'] if sr else 0:,.0f} | {mr['req_per_s'] if mr else 0:,.0f} | |")
        print(f"| PutEvents c={c} CPU µs/req | {scpu:,.1f} | {mcpu:,.1f} | "
              + (f"{mcpu / scpu:.1f}× req per CPU-s" if scpu and mcpu else "—") + " |")


if __name__ == "__main__":
    main()
