#!/usr/bin/env python3
"""KMS and Secrets Manager benchmark (not a test): Encrypt and Decrypt of 1 KiB and
GetSecretValue side by side with moto_server, as requests per server CPU-second.

    python3 bench/kms_secrets.py [--duration 5] [--connections 1,16] [--skip-moto]

Each request is signed once by botocore and replayed by wrk (valid for 15 minutes). Decrypt
replays one ciphertext made by Encrypt; GetSecretValue reads a secret encrypted under its
default key (Simfra: `alias/aws/secretsmanager`, a real KMS Decrypt as the caller per read).
"""
import argparse
import base64
import http.client
import json
import os
import sys
import tempfile

import botocore.auth
import botocore.awsrequest
import botocore.credentials

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import foundation as fb  # noqa: E402
from dynamodb import start_moto, start_simfra  # noqa: E402

CREDS = botocore.credentials.Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
TARGETS = {"kms": "TrentService", "secretsmanager": "secretsmanager"}


def signed(port, service, op, payload):
    body = json.dumps(payload)
    req = botocore.awsrequest.AWSRequest(
        method="POST", url=f"http://{fb.HOST}:{port}/", data=body,
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"{TARGETS[service]}.{op}"})
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
    return json.loads(data)


def requests_for(port):
    key = call(port, "kms", "CreateKey", {"Description": "bench"})["KeyMetadata"]["KeyId"]
    plaintext = base64.b64encode(os.urandom(1024)).decode()
    blob = call(port, "kms", "Encrypt", {"KeyId": key, "Plaintext": plaintext})["CiphertextBlob"]
    call(port, "secretsmanager", "CreateSecret", {"Name": "bench/secret", "SecretString": "s3cr3t" * 20,
                                                           "ClientRequestToken": "bench-0000-0000-0000-000000000001"})
    return {
        "Encrypt1KiB": signed(port, "kms", "Encrypt", {"KeyId": key, "Plaintext": plaintext}),
        "Decrypt1KiB": signed(port, "kms", "Decrypt", {"CiphertextBlob": blob}),
        "GetSecretValue": signed(port, "secretsmanager", "GetSecretValue", {"SecretId": "bench/secret"}),
    }


def run(name, proc, port, args, wrk, workdir):
    return fb.bench_requests(name, proc.pid, port, requests_for(port), args.conns, args.duration, wrk, workdir)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--simfra-bin", default=os.path.join(HERE, "..", ".build", "release", "simfra"))
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--connections", default="1,16")
    ap.add_argument("--skip-moto", action="store_true")
    ap.add_argument("--skip-simfra", action="store_true")
    args = ap.parse_args()
    args.conns = [int(c) for c in args.connections.split(",")]
    wrk = fb.shutil.which("wrk") or sys.exit("wrk missing: apt-get install -y wrk")
    workdir = tempfile.mkdtemp(prefix="simfra-kms-bench-")
    results = {"simfra": {}}
    if not args.skip_simfra:
        proc, port = start_simfra(args.simfra_bin)
        try:
            results["simfra"] = run("simfra", proc, port, args, wrk, workdir)
        finally:
            fb.stop(proc)
    if not args.skip_moto:
        proc, port = start_moto()
        try:
            results["moto"] = run("moto", proc, port, args, wrk, workdir)
        finally:
            fb.stop(proc)
    print("| op | conns | Simfra req/s | moto req/s | Simfra CPU µs/req | moto CPU µs/req | req per CPU-s ratio |")
    print("|---|---|---:|---:|---:|---:|---|")
    if not results["simfra"]:
        return  # moto alone: its lines above are the result
    for (op, c), s in results["simfra"].items():
        m = results.get("moto", {}).get((op, c))
        ratio = m["server_cpu_us_per_req"] / s["server_cpu_us_per_req"] if m else None
        print(f"| {op} | {c} | {s['req_per_s']:,.0f} | {m['req_per_s'] if m else 0:,.0f} | "
              f"{s['server_cpu_us_per_req']:,.1f} | {m['server_cpu_us_per_req'] if m else 0:,.1f} | "
              + (f"{ratio:.1f}×" if ratio else "—") + " |")


if __name__ == "__main__":
    main()
