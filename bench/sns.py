#!/usr/bin/env python3
"""SNS benchmark: Simfra vs moto_server, side by side, in one run.

A standard topic with 10 SQS subscriptions (each queue's policy allows the topic). For each
server:
  1. Publish under wrk with N connections (awsQuery form, as boto3 sends it): requests/s,
     latency percentiles, and requests per server CPU-second. Deliveries run after Publish
     answers, so the server's CPU is read until it is idle again: the fan-out's cost (ten
     SendMessage per publish) is in the figure, not left outside the measured window.
  2. End-to-end delivery latency: one client publishes and long-polls one subscribed queue
     until the message arrives; p50/p99 over `--samples` messages.

Requests are SigV4-signed over their exact body (one fixed Publish body), re-signed before
each run (valid 15 minutes).

This is a benchmark, not a test. Requirements: wrk, botocore/boto3, and
`pip install 'moto[server]==5.2.1'` for the moto half. Linux only (reads /proc).

Examples:
  python3 bench/sns.py
  python3 bench/sns.py --connections 1,8,32 --duration 10 --samples 500 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import foundation as fb  # noqa: E402

SUBSCRIBERS = 10


def client(port: int, service: str):
    import boto3
    from botocore.config import Config
    return boto3.client(service, endpoint_url=f"http://{fb.HOST}:{port}", region_name=fb.REGION,
                        aws_access_key_id=fb.ACCESS_KEY, aws_secret_access_key=fb.SECRET_KEY,
                        config=Config(retries={"max_attempts": 1}))


def setup(port: int) -> tuple[str, list[str]]:
    """The topic and its ten subscribed queues (raw delivery off: the full signed envelope)."""
    sns, sqs = client(port, "sns"), client(port, "sqs")
    topic = sns.create_topic(Name="bench-fanout")["TopicArn"]
    urls = []
    for i in range(SUBSCRIBERS):
        url = sqs.create_queue(QueueName=f"bench-sub-{i}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]}
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        urls.append(url)
    return topic, urls


def publish_request(port: int, topic: str) -> tuple[dict[str, str], str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    body = urllib.parse.urlencode({"Action": "Publish", "Version": "2010-03-31", "TopicArn": topic,
                                   "Message": "benchmark message " + "x" * 200})
    req = AWSRequest(method="POST", url=f"http://{fb.HOST}:{port}/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(fb.ACCESS_KEY, fb.SECRET_KEY), "sns", fb.REGION).add_auth(req)
    headers = {"Host": f"{fb.HOST}:{port}"}
    for k, v in req.headers.items():
        headers[k] = v.decode() if isinstance(v, bytes) else str(v)
    return headers, body


def wait_idle(pid: int, quiet_s: float = 0.5, limit_s: float = 120.0) -> None:
    """Until the server's CPU stops moving (the deliveries queued behind the run are done)."""
    deadline = time.monotonic() + limit_s
    last = fb.tree_cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(quiet_s)
        now = fb.tree_cpu_seconds(pid)
        if now - last < 0.02:
            return
        last = now


def purge(port: int, urls: list[str]) -> None:
    sqs = client(port, "sqs")
    for u in urls:
        try:
            sqs.purge_queue(QueueUrl=u)
        except Exception:  # noqa: BLE001 - best effort between runs
            pass


def throughput(server, topic, urls, args, wrk, workdir) -> dict:
    out = {}
    pid, port = server.proc.pid, server.port
    for c in args.connections:
        lua = os.path.join(workdir, f"{server.name}-publish.lua")
        fb.write_lua(lua, *publish_request(port, topic))
        fb.run_wrk_lua(wrk, pid, port, lua, c, args.threads, 1, measure=False)
        wait_idle(pid)
        purge(port, urls)
        wait_idle(pid)
        cpu0 = fb.tree_cpu_seconds(pid)
        r = fb.run_wrk_lua(wrk, pid, port, lua, c, args.threads, args.duration)
        wait_idle(pid)
        cpu = fb.tree_cpu_seconds(pid) - cpu0
        r["server_cpu_s_with_fanout"] = cpu
        r["req_per_cpu_s_with_fanout"] = r["requests"] / cpu if cpu > 0 else None
        r.pop("wrk_output", None)
        out[c] = r
        print(f"[{server.name}] Publish c={c:<3} {r['req_per_s']:>8,.0f} req/s  p50 {r['p50_ms']:.2f} ms  "
              f"{r['req_per_cpu_s_with_fanout'] or 0:,.0f} publishes/CPU-s (fan-out included)  "
              f"non-2xx {r['non_2xx']}", file=sys.stderr, flush=True)
        purge(port, urls)
    return out


def delivery_latency(port: int, topic: str, urls: list[str], samples: int) -> dict:
    sns, sqs = client(port, "sns"), client(port, "sqs")
    purge(port, urls)
    lat = []
    for i in range(samples):
        t0 = time.perf_counter()
        sns.publish(TopicArn=topic, Message=f"latency {i}")
        got = None
        while got is None and time.perf_counter() - t0 < 20:
            msgs = sqs.receive_message(QueueUrl=urls[0], WaitTimeSeconds=5, MaxNumberOfMessages=1).get("Messages", [])
            for m in msgs:
                sqs.delete_message(QueueUrl=urls[0], ReceiptHandle=m["ReceiptHandle"])
                if f"latency {i}\"" in m["Body"] or m["Body"].endswith(f"latency {i}"):
                    got = time.perf_counter()
        if got is None:
            raise RuntimeError(f"message {i} did not arrive within 20 s")
        lat.append((got - t0) * 1000)
        if i % 50 == 49:
            purge(port, urls[1:])
    lat.sort()
    return {"samples": len(lat), "p50_ms": statistics.median(lat), "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))],
            "mean_ms": statistics.fmean(lat)}


def bench(server, args, wrk, workdir) -> dict:
    res = {"name": server.name}
    server.spawn_until_healthy(args.start_timeout)
    topic, urls = setup(server.port)
    res["latency"] = delivery_latency(server.port, topic, urls, args.samples)
    lt = res["latency"]
    print(f"[{server.name}] delivery p50 {lt['p50_ms']:.2f} ms  p99 {lt['p99_ms']:.2f} ms", file=sys.stderr, flush=True)
    res["publish"] = throughput(server, topic, urls, args, wrk, workdir)
    res["ok"] = True
    return res


def render(results: dict, conns: list[int]) -> str:
    names = [n for n in ("simfra", "moto") if n in results and results[n].get("ok")]
    lines = ["| measure | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]

    def row(label, f):
        vals = []
        for n in names:
            try:
                vals.append(f(results[n]))
            except (KeyError, TypeError):
                vals.append("-")
        lines.append(f"| {label} | " + " | ".join(vals) + " |")

    row("delivery latency p50 (ms)", lambda r: f"{r['latency']['p50_ms']:.2f}")
    row("delivery latency p99 (ms)", lambda r: f"{r['latency']['p99_ms']:.2f}")
    for c in conns:
        row(f"Publish req/s, c={c}", lambda r, c=c: f"{r['publish'][c]['req_per_s']:,.0f}")
        row(f"Publish p50 ms, c={c}", lambda r, c=c: f"{r['publish'][c]['p50_ms']:.2f}")
        row(f"publishes per CPU-s (10-way fan-out), c={c}",
            lambda r, c=c: f"{r['publish'][c]['req_per_cpu_s_with_fanout']:,.0f}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--simfra-bin", default=None)
    ap.add_argument("--skip-moto", action="store_true")
    ap.add_argument("--skip-simfra", action="store_true")
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--connections", default="1,8,32")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--samples", type=int, default=200, help="delivery-latency samples (default 200)")
    ap.add_argument("--start-timeout", type=float, default=60.0)
    ap.add_argument("--json", metavar="PATH")
    args = ap.parse_args(argv)
    args.connections = [int(x) for x in args.connections.split(",") if x.strip()]
    wrk = shutil.which("wrk")
    if not wrk:
        sys.exit("error: wrk not found. Install it with: apt-get install -y wrk")
    signal.signal(signal.SIGTERM, fb._on_signal)
    results: dict = {"meta": {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cpus": os.cpu_count(),
                              "subscribers": SUBSCRIBERS, "duration_s": args.duration, "samples": args.samples}}
    workdir = tempfile.mkdtemp(prefix="simfra-bench-sns-")
    code = 0
    try:
        servers = []
        if not args.skip_simfra:
            binary, kind = fb.resolve_simfra_bin(args.simfra_bin)
            results["meta"]["simfra_build"] = kind
            servers.append(fb.simfra_server(binary, workdir))
        if not args.skip_moto:
            servers.append(fb.moto_server(workdir))
        for srv in servers:
            try:
                results[srv.name] = bench(srv, args, wrk, workdir)
            except Exception as e:  # noqa: BLE001 - reported per server
                print(f"[{srv.name}] FAILED: {e}", file=sys.stderr)
                results[srv.name] = {"ok": False, "error": str(e)}
                code = 1
            finally:
                srv.stop()
    finally:
        fb.cleanup_all()
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(f"## Simfra vs moto_server — SNS Publish to {SUBSCRIBERS} SQS subscribers")
    print()
    if results["meta"].get("simfra_build") == "debug":
        print("**WARNING: Simfra debug build — not representative.**\n")
    print(render(results, args.connections))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2, default=str)
    return code


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        fb.cleanup_all()
