#!/usr/bin/env python3
"""DynamoDB benchmark (not a test): PutItem, GetItem and a 100-item Query side by side with
moto_server, and Query latency as the table grows (it must follow the page, not the table).

    python3 bench/dynamodb.py [--duration 5] [--connections 1,16] [--sizes 10000,100000,1000000]

Each request is signed once by botocore and replayed by wrk (valid for 15 minutes); PutItem
replays overwrite one item, which is still a full write (and, with a data dir, a commit).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import botocore.auth
import botocore.awsrequest
import botocore.credentials

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import foundation as fb  # noqa: E402
from persistence import send_all  # noqa: E402

CREDS = botocore.credentials.Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


def signed(port, target, payload):
    body = json.dumps(payload)
    req = botocore.awsrequest.AWSRequest(
        method="POST", url=f"http://{fb.HOST}:{port}/", data=body,
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"DynamoDB_20120810.{target}"})
    botocore.auth.SigV4Auth(CREDS, "dynamodb", "us-east-1").add_auth(req)
    return dict(req.headers), body


def fill(port, table, n, partition="p"):
    """n items in partition `partition` (sort keys 0..n-1) plus nothing else."""
    batches = []
    for off in range(0, n, 25):
        items = [{"PutRequest": {"Item": {"pk": {"S": partition}, "sk": {"N": str(i)}, "v": {"S": "x" * 100}}}}
                 for i in range(off, min(n, off + 25))]
        batches.append(signed(port, "BatchWriteItem", {"RequestItems": {table: items}}))
    failures = send_all(port, batches, 4)
    assert not failures, failures[:2]


def create(port, table):
    h, b = signed(port, "CreateTable", {
        "TableName": table, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "N"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]})
    assert not send_all(port, [(h, b)], 1)


def requests_for(port, table):
    return {
        "PutItem": signed(port, "PutItem", {"TableName": table, "Item": {
            "pk": {"S": "hot"}, "sk": {"N": "1"}, "v": {"S": "x" * 100}}}),
        "GetItem": signed(port, "GetItem", {"TableName": table, "Key": {"pk": {"S": "p"}, "sk": {"N": "7"}}}),
        "Query100": signed(port, "Query", {"TableName": table, "KeyConditionExpression": "pk = :p",
                                           "ExpressionAttributeValues": {":p": {"S": "p"}}, "Limit": 100}),
    }


def start_simfra(binary):
    port = fb.free_port()
    proc = subprocess.Popen([binary], env=fb.simfra_env(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fb.stop signals the process group
    while fb.probe(port, "/_simfra/health") != 200:
        time.sleep(0.01)
    return proc, port


def start_moto():
    port = fb.free_port()
    proc = subprocess.Popen(fb.MOTO_ARGV + [str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    while fb.probe(port, "/moto-api/") is None:
        time.sleep(0.05)
    return proc, port


def on_each_server(args, run):
    """``run(name, proc, port)`` against Simfra (``args.simfra_bin``) and then moto, either one
    skipped by ``--skip-simfra``/``--skip-moto``, each stopped afterwards: ``{name: result}``."""
    results = {}
    for name, start, skip in (("simfra", lambda: start_simfra(args.simfra_bin), args.skip_simfra),
                              ("moto", start_moto, args.skip_moto)):
        if skip:
            continue
        proc, port = start()
        try:
            results[name] = run(name, proc, port)
        finally:
            fb.stop(proc)
    return results


def query_latency(port, table, samples=200):
    import http.client
    h, b = signed(port, "Query", {"TableName": table, "KeyConditionExpression": "pk = :p",
                                  "ExpressionAttributeValues": {":p": {"S": "p"}}, "Limit": 100})
    conn = http.client.HTTPConnection(fb.HOST, port)
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        conn.request("POST", "/", body=b, headers=h)
        r = conn.getresponse()
        r.read()
        assert r.status == 200
        times.append((time.perf_counter() - t0) * 1000)
    conn.close()
    return statistics.median(times)


def run(name, proc, port, args, wrk, workdir):
    create(port, "bench")
    fill(port, "bench", 1000)
    return fb.bench_requests(name, proc.pid, port, requests_for(port, "bench"), args.conns, args.duration, wrk, workdir)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--simfra-bin", default=os.path.join(HERE, "..", ".build", "release", "simfra"))
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--connections", default="1,16")
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--skip-moto", action="store_true")
    args = ap.parse_args()
    args.conns = [int(c) for c in args.connections.split(",")]
    wrk = fb.shutil.which("wrk") or sys.exit("wrk missing: apt-get install -y wrk")
    workdir = tempfile.mkdtemp(prefix="simfra-ddb-bench-")
    results = {}
    proc, port = start_simfra(args.simfra_bin)
    try:
        results["simfra"] = run("simfra", proc, port, args, wrk, workdir)
        growth = []
        done = 0
        for size in [int(s) for s in args.sizes.split(",")]:
            # One growing table: a single big partition queried for its first 100 items.
            if done == 0:
                create(port, "grow")
            fill_more = size - done
            batches = []
            for off in range(done, size, 25):
                items = [{"PutRequest": {"Item": {"pk": {"S": "p" if i < 1000 else f"o{i % 997}"},
                                                  "sk": {"N": str(i)}, "v": {"S": "y" * 50}}}}
                         for i in range(off, min(size, off + 25))]
                batches.append(signed(port, "BatchWriteItem", {"RequestItems": {"grow": items}}))
            assert not send_all(port, batches, 4)
            done = size
            growth.append((size, query_latency(port, "grow")))
            print(f"[simfra] Query 100 on a {size:,}-item table: p50 {growth[-1][1]:.3f} ms", file=sys.stderr, flush=True)
            del fill_more
    finally:
        fb.stop(proc)
    if not args.skip_moto:
        proc, port = start_moto()
        try:
            results["moto"] = run("moto", proc, port, args, wrk, workdir)
        finally:
            fb.stop(proc)
    print("| op | conns | Simfra req/s | moto req/s | Simfra CPU µs/req | moto CPU µs/req | req per CPU-s ratio (≥ 20×) |")
    print("|---|---|---:|---:|---:|---:|---|")
    for (op, c), s in results["simfra"].items():
        m = results.get("moto", {}).get((op, c))
        ratio = m["server_cpu_us_per_req"] / s["server_cpu_us_per_req"] if m else None
        print(f"| {op} | {c} | {s['req_per_s']:,.0f} | {m['req_per_s'] if m else 0:,.0f} | "
              f"{s['server_cpu_us_per_req']:,.1f} | {m['server_cpu_us_per_req'] if m else 0:,.1f} | "
              + (f"{ratio:.1f}× {'✅' if ratio >= 20 else '❌'}" if ratio else "—") + " |")
    print("\n| table size | Query (100 items) p50 |\n|---:|---:|")
    for size, ms in growth:
        print(f"| {size:,} | {ms:.3f} ms |")


if __name__ == "__main__":
    main()
