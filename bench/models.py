#!/usr/bin/env python3
"""First-request cost of Simfra's lazily indexed models (benchmark, not a test).

Starts a fresh server per service and times the first signed request (which indexes the
service's model and decodes the shapes the operation reaches; for REST services also builds
the routing table from every operation) against the median of the next 20.

    python3 bench/models.py [--simfra-bin .build/release/simfra]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from conftest import SimfraServer, signed_request  # noqa: E402

CASES = [
    # (label, service, method, path, headers, body)
    ("EC2 DescribeVpcs (ec2Query, 4,014 shapes)", "ec2", "POST", "/",
     {"Content-Type": "application/x-www-form-urlencoded"}, b"Action=DescribeVpcs&Version=2016-11-15"),
    ("S3 ListBuckets (restXml, 111 routes)", "s3", "GET", "/", {}, b""),
    ("DynamoDB ListTables (awsJson1_0)", "dynamodb", "POST", "/",
     {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.ListTables"}, b"{}"),
    ("STS GetCallerIdentity (awsQuery)", "sts", "POST", "/",
     {"Content-Type": "application/x-www-form-urlencoded"}, b"Action=GetCallerIdentity&Version=2011-06-15"),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--simfra-bin", default=os.path.join(os.path.dirname(__file__), "..", ".build", "release", "simfra"))
    args = ap.parse_args()
    print("| request | first (ms) | steady median (ms) |")
    print("|---|---:|---:|")
    for label, service, method, path, headers, body in CASES:
        s = SimfraServer.start(binary=args.simfra_bin)
        try:
            times = []
            for _ in range(21):
                t0 = time.perf_counter()
                r = signed_request(method, s.url + path, service, body=body, headers=dict(headers))
                times.append((time.perf_counter() - t0) * 1000)
                assert r.status_code in (200, 501), (r.status_code, r.text[:200])
            print(f"| {label} | {times[0]:.2f} | {statistics.median(times[1:]):.2f} |")
        finally:
            s.stop()
            s.cleanup()


if __name__ == "__main__":
    main()
