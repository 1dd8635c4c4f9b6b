#!/usr/bin/env python3
"""Persistence cost (benchmark, not a test): the same DynamoDB PutItem mix with and without
SIMFRA_DATA_DIR, side by side, and the time to healthy with N persisted items.

Requests are signed up front (distinct items, so each is a real write-through), then sent on
persistent connections from several threads; the figure that matters is the server's CPU per
mutation (utime+stime from /proc, writer thread included) and the wall-clock throughput.

    python3 bench/persistence.py [--requests 20000] [--threads 8] [--items 100000]
"""
import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import botocore.auth
import botocore.awsrequest
import botocore.credentials

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from foundation import free_port, probe, simfra_env, tree_cpu_seconds, tree_rss_mib  # noqa: E402

CREDS = botocore.credentials.Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
TABLE = "bench"


def start(binary, data_dir=None):
    port = free_port()
    env = simfra_env(port, **({"SIMFRA_DATA_DIR": data_dir} if data_dir else {}))
    t0 = time.perf_counter()
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while probe(port, "/_simfra/health") != 200:
        if proc.poll() is not None:
            raise SystemExit("simfra exited during start")
        if time.perf_counter() - t0 > 120:
            raise SystemExit("simfra not healthy within 120 s")
        time.sleep(0.001)
    return proc, port, (time.perf_counter() - t0) * 1000


def signed(port, target, body):
    req = botocore.awsrequest.AWSRequest(
        method="POST", url=f"http://127.0.0.1:{port}/", data=body,
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"DynamoDB_20120810.{target}"})
    botocore.auth.SigV4Auth(CREDS, "dynamodb", "us-east-1").add_auth(req)
    return dict(req.headers), body


def send_all(port, requests, threads):
    """Sends pre-signed requests on one keep-alive connection per thread; returns failures."""
    failures = []
    chunks = [requests[i::threads] for i in range(threads)]

    def worker(chunk):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        for headers, body in chunk:
            conn.request("POST", "/", body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
            if r.status != 200:
                failures.append((r.status, data[:200]))
        conn.close()

    ts = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return failures


def create_table(port):
    h, b = signed(port, "CreateTable", json.dumps({
        "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}))
    assert not send_all(port, [(h, b)], 1)


def put_requests(port, n, offset=0):
    return [signed(port, "PutItem", json.dumps({"TableName": TABLE, "Item": {
        "pk": {"S": f"item-{offset + i:08d}"}, "v": {"S": "x" * 200}, "n": {"N": str(i)}}}))
        for i in range(n)]


def measure(binary, data_dir, n, threads):
    proc, port, _ = start(binary, data_dir)
    try:
        create_table(port)
        reqs = put_requests(port, n)
        cpu0, t0 = tree_cpu_seconds(proc.pid), time.perf_counter()
        failures = send_all(port, reqs, threads)
        wall, cpu = time.perf_counter() - t0, tree_cpu_seconds(proc.pid) - cpu0
        assert not failures, failures[:3]
        return {"req_s": n / wall, "cpu_us": cpu * 1e6 / n}
    finally:
        proc.terminate()
        proc.wait()


def time_to_healthy(binary, items, threads):
    d = tempfile.mkdtemp(prefix="simfra-bench-")
    try:
        proc, port, _ = start(binary, d + "/data")
        create_table(port)
        batches = []
        for off in range(0, items, 25):
            body = json.dumps({"RequestItems": {TABLE: [{"PutRequest": {"Item": {
                "pk": {"S": f"item-{i:08d}"}, "v": {"S": "x" * 100}}}} for i in range(off, min(items, off + 25))]}})
            batches.append(signed(port, "BatchWriteItem", body))
        assert not send_all(port, batches, threads)
        proc.terminate()
        proc.wait()
        times = []
        for _ in range(3):
            proc, port, ms = start(binary, d + "/data")
            rss = tree_rss_mib(proc.pid)
            times.append(ms)
            proc.terminate()
            proc.wait()
        size = sum(os.path.getsize(os.path.join(d, "data", f)) for f in os.listdir(d + "/data")
                   if f.startswith("simfra.db"))
        return {"items": items, "healthy_ms": sorted(times)[1], "rss_mib": rss, "db_mib": size / 2**20}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--simfra-bin", default=os.path.join(HERE, "..", ".build", "release", "simfra"))
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--items", type=int, default=100000)
    a = ap.parse_args()
    mem = measure(a.simfra_bin, None, a.requests, a.threads)
    d = tempfile.mkdtemp(prefix="simfra-bench-")
    try:
        disk = measure(a.simfra_bin, d + "/data", a.requests, a.threads)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    boot = time_to_healthy(a.simfra_bin, a.items, a.threads)
    print(f"| PutItem ({a.requests:,} distinct items, {a.threads} connections) | in memory | SIMFRA_DATA_DIR | ratio | target |")
    print("|---|---:|---:|---:|---|")
    print(f"| throughput (req/s) | {mem['req_s']:,.0f} | {disk['req_s']:,.0f} | {mem['req_s'] / disk['req_s']:.2f}× | |")
    print(f"| server CPU per mutation (µs) | {mem['cpu_us']:,.1f} | {disk['cpu_us']:,.1f} | "
          f"{disk['cpu_us'] / mem['cpu_us']:.2f}× | ≤ 1.5× {'✅' if disk['cpu_us'] <= 1.5 * mem['cpu_us'] else '❌'} |")
    print(f"\nTime to healthy with {boot['items']:,} persisted items (db {boot['db_mib']:.1f} MiB): "
          f"{boot['healthy_ms']:.0f} ms (target ≤ 1000 ms {'✅' if boot['healthy_ms'] <= 1000 else '❌'}), "
          f"RSS {boot['rss_mib']:.1f} MiB")


if __name__ == "__main__":
    main()
