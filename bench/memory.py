#!/usr/bin/env python3
"""Does memory come back after load? (issue #10: "Memory comes back")

Starts a release Simfra, reads its idle RSS, then runs rounds of 64-connection load with wrk
(three scripts at once: PutObject 1 MiB on 32 connections, PutObject 1 KiB and
GetCallerIdentity on 16 each), deletes every object, waits, and reads RSS again. The goal:
RSS within 2x idle a minute after load stops and the data is deleted, and no growth from round
to round. A benchmark, not a test: it prints figures and gates nothing.

    python3 bench/memory.py [--rounds 3] [--duration 60] [--settle 60] [--simfra-bin PATH]

Requirements: wrk (`apt-get install -y wrk`), boto3; a release build (`swift build -c release`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import foundation as fb  # noqa: E402
import s3 as s3bench  # noqa: E402

BUCKET = "memory-bench"


def s3_client(port: int):
    import boto3
    from botocore.config import Config
    return boto3.session.Session().client(
        "s3", endpoint_url=f"http://{fb.HOST}:{port}", region_name=fb.REGION, aws_access_key_id=fb.ACCESS_KEY,
        aws_secret_access_key=fb.SECRET_KEY, config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}))


def delete_everything(s3) -> None:
    """Empty and delete the bucket. wrk stops mid-request: a PUT whose body was fully sent can
    still complete after wrk has gone, so retry until the bucket really goes."""
    from botocore.exceptions import ClientError
    for _ in range(50):
        for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
            s3.delete_object(Bucket=BUCKET, Key=o["Key"])
        try:
            s3.delete_bucket(Bucket=BUCKET)
            return
        except ClientError as e:
            if e.response["Error"]["Code"] != "BucketNotEmpty":
                raise
            time.sleep(0.2)
    raise RuntimeError("the bucket would not empty")


def load_round(wrk: str, server: fb.Server, duration: float, workdir: str) -> list[subprocess.Popen]:
    """Three wrk processes at once, 64 connections in all; returns when they finish."""
    jobs = []
    for name, method, path, size, conns in (
        ("put1m", "PUT", f"/{BUCKET}/big", 1024 * 1024, 32),
        ("put1k", "PUT", f"/{BUCKET}/small", 1024, 16),
    ):
        lua = os.path.join(workdir, f"{name}.lua")
        s3bench.write_lua(lua, method, s3bench.signed_headers(server.port, method, path, size), size)
        jobs.append([wrk, "-t", "1", "-c", str(conns), "-d", f"{int(duration)}s", "--timeout", "10s", "-s", lua,
                     f"http://{fb.HOST}:{server.port}{path}"])
    sts = os.path.join(workdir, "sts.lua")
    fb.write_lua(sts, fb.signed_sts_headers(server.port), fb.STS_BODY)
    jobs.append([wrk, "-t", "1", "-c", "16", "-d", f"{int(duration)}s", "--timeout", "10s", "-s", sts,
                 f"http://{fb.HOST}:{server.port}/"])
    procs = [subprocess.Popen(j, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True) for j in jobs]
    peak = 0.0
    while any(p.poll() is None for p in procs):
        peak = max(peak, fb.tree_rss_mib(server.proc.pid))
        time.sleep(0.5)
    requests = 0
    for p in procs:
        out = p.stdout.read().decode("utf-8", "replace")
        for line in out.splitlines():
            if line.startswith("BENCHJSON "):
                import json
                requests += json.loads(line[len("BENCHJSON "):])["requests"]
    return requests, peak


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of load per round")
    ap.add_argument("--settle", type=float, default=60.0, help="seconds to wait after deleting everything")
    ap.add_argument("--simfra-bin", default=None)
    args = ap.parse_args()
    wrk = shutil.which("wrk")
    if not wrk:
        sys.exit("error: wrk not found. Install it with: apt-get install -y wrk")
    binary, _ = fb.resolve_simfra_bin(args.simfra_bin)
    workdir = tempfile.mkdtemp(prefix="simfra-membench-")
    server = fb.simfra_server(binary, workdir)
    try:
        server.spawn_until_healthy(10)
        s3 = s3_client(server.port)
        s3.create_bucket(Bucket=BUCKET)
        time.sleep(2)
        idle = fb.tree_rss_mib(server.proc.pid)
        print(f"binary {binary}\nidle RSS {idle:.1f} MiB", flush=True)
        print("| round | requests | peak RSS | RSS after delete + settle | ratio to idle |\n|---|---:|---:|---:|---:|")
        for r in range(1, args.rounds + 1):
            if r > 1:
                s3.create_bucket(Bucket=BUCKET)
            requests, peak = load_round(wrk, server, args.duration, workdir)
            delete_everything(s3)
            time.sleep(args.settle)
            after = fb.tree_rss_mib(server.proc.pid)
            print(f"| {r} | {requests:,} | {peak:.1f} MiB | {after:.1f} MiB | {after / idle:.2f}x |", flush=True)
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
