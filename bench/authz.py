#!/usr/bin/env python3
"""What IAM enforcement costs (a benchmark, not a test): server CPU per request for DynamoDB
GetItem and S3 GetObject, signed by the account root (no policy evaluation) and by an IAM user
with 10 attached managed policies of 10 statements each (the allowing statement is the last
one of the last policy, so every statement of the service is looked at).

    python3 bench/authz.py [--simfra-bin PATH] [--duration 5] [--connections 8] [--rounds 3]

Each request is signed once by botocore and replayed by wrk (valid for 15 minutes). Rounds
alternate root and user so machine noise falls on both; "added" is the median of the
paired (same-round) differences.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import foundation as fb  # noqa: E402

ROOT = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


def client(port, service, creds=ROOT):
    return boto3.client(service, endpoint_url=f"http://{fb.HOST}:{port}", region_name="us-east-1",
                        aws_access_key_id=creds[0], aws_secret_access_key=creds[1])


def setup(port):
    ddb, s3, iam = client(port, "dynamodb"), client(port, "s3"), client(port, "iam")
    ddb.create_table(TableName="bench", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    ddb.put_item(TableName="bench", Item={"pk": {"S": "k"}, "v": {"S": "x" * 100}})
    s3.create_bucket(Bucket="bench-bucket")
    s3.put_object(Bucket="bench-bucket", Key="k", Body=b"x" * 1024)
    iam.create_user(UserName="bench")
    for p in range(10):
        statements = []
        for i in range(10):
            # Nine statements that match the service but not the resource, then (in the last
            # policy only) the one that allows.
            statements.append({"Sid": f"S{p}x{i}", "Effect": "Allow",
                               "Action": ["dynamodb:GetItem", "dynamodb:Query", "s3:GetObject", "s3:ListBucket"],
                               "Resource": [f"arn:aws:dynamodb:us-east-1:000000000000:table/other-{p}-{i}",
                                            f"arn:aws:s3:::other-{p}-{i}/*"]})
        if p == 9:
            statements[-1]["Resource"] = ["arn:aws:dynamodb:us-east-1:000000000000:table/bench",
                                          "arn:aws:s3:::bench-bucket/*"]
        arn = iam.create_policy(PolicyName=f"bench-{p}",
                                PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))["Policy"]["Arn"]
        iam.attach_user_policy(UserName="bench", PolicyArn=arn)
    key = iam.create_access_key(UserName="bench")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def signed(port, creds, op):
    c = botocore.credentials.Credentials(*creds)
    if op == "GetItem":
        body = json.dumps({"TableName": "bench", "Key": {"pk": {"S": "k"}}})
        req = botocore.awsrequest.AWSRequest(
            method="POST", url=f"http://{fb.HOST}:{port}/", data=body,
            headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.GetItem"})
        botocore.auth.SigV4Auth(c, "dynamodb", "us-east-1").add_auth(req)
        return "POST", "/", dict(req.headers), body
    req = botocore.awsrequest.AWSRequest(method="GET", url=f"http://{fb.HOST}:{port}/bench-bucket/k")
    req.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
    botocore.auth.S3SigV4Auth(c, "s3", "us-east-1").add_auth(req)
    return "GET", "/bench-bucket/k", dict(req.headers), ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--simfra-bin", default=os.path.join(HERE, "..", ".build", "release", "simfra"))
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    wrk = shutil.which("wrk") or sys.exit("wrk is needed: apt-get install -y wrk")
    binary = args.simfra_bin if os.path.exists(args.simfra_bin) else os.path.join(HERE, "..", ".build", "debug", "simfra")
    if "debug" in binary:
        print("warning: using the debug build; numbers are not representative", file=sys.stderr)
    port = fb.free_port()
    proc = subprocess.Popen([binary], env=fb.simfra_env(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        while fb.probe(port, "/_simfra/health") != 200:
            time.sleep(0.01)
        user = setup(port)
        work = tempfile.mkdtemp(prefix="simfra-authz-")
        results = {}
        for op in ("GetItem", "GetObject"):
            for who, creds in (("root", ROOT), ("user", user)):
                method, path, h, b = signed(port, creds, op)
                lua = os.path.join(work, f"{op}-{who}.lua")
                fb.write_lua(lua, h, b, method)
                fb.run_wrk_lua(wrk, proc.pid, port, lua, args.connections, 2, 1, measure=False, path=path)
            for _ in range(args.rounds):
                for who in ("root", "user"):
                    lua = os.path.join(work, f"{op}-{who}.lua")
                    method, path, _, _ = signed(port, ROOT, op)
                    r = fb.run_wrk_lua(wrk, proc.pid, port, lua, args.connections, 2, args.duration, path=path)
                    assert r["non_2xx"] == 0, f"{op} as {who}: {r['non_2xx']} non-2xx responses"
                    results.setdefault((op, who), []).append(r)
        print(f"\nIAM enforcement cost, c={args.connections}, {args.rounds} rounds of {args.duration:.0f} s (median)")
        print(f"{'operation':10} {'root µs/req':>12} {'user µs/req':>12} {'added µs':>9} {'root req/s':>11} {'user req/s':>11}")
        for op in ("GetItem", "GetObject"):
            root = statistics.median(r["server_cpu_us_per_req"] for r in results[(op, "root")])
            usr = statistics.median(r["server_cpu_us_per_req"] for r in results[(op, "user")])
            # Each round runs root then user back to back: the median of those paired
            # differences cancels the machine's drift better than a difference of medians.
            added = statistics.median(u["server_cpu_us_per_req"] - r["server_cpu_us_per_req"]
                                      for r, u in zip(results[(op, "root")], results[(op, "user")]))
            rps_r = statistics.median(r["req_per_s"] for r in results[(op, "root")])
            rps_u = statistics.median(r["req_per_s"] for r in results[(op, "user")])
            print(f"{op:10} {root:12.1f} {usr:12.1f} {added:9.1f} {rps_r:11,.0f} {rps_u:11,.0f}")
    finally:
        fb.stop(proc)


if __name__ == "__main__":
    sys.exit(main())
