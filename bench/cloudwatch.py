#!/usr/bin/env python3
"""CloudWatch benchmark (not a test): PutMetricData of one metric with 20 values, side by side
with moto_server, as requests per server CPU-second; and the memory a million metric points
cost in Simfra (RSS of the server before and after, read from /proc).

    python3 bench/cloudwatch.py [--duration 5] [--connections 1,16] [--points 1000000] [--skip-moto]

Throughput is measured in each wire protocol the model lists: the awsQuery form
(`Action=PutMetricData`) and JSON 1.0, which both servers speak, and Smithy RPC v2 CBOR (what
boto3 1.40+ sends by default), which moto 5.2.1 answers with 404, so that row is Simfra only. Requests are built by botocore's own serialisers from the service
model and SigV4-signed over their exact bodies, re-signed before each run.

Memory: points are put as 1,000 per request (50 metrics of 20 values, 100 series in all, so
10,000 points per series), then the server is left idle for a few seconds (Simfra trims its
heap once requests stop) and its RSS is read again. The figure is the RSS delta divided by the
number of points: everything the points cost, array growth slack included.
"""
from __future__ import annotations

import argparse
import http.client
import os
import sys
import tempfile
import time
import urllib.parse

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.serialize
import botocore.session

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import foundation as fb  # noqa: E402
from dynamodb import on_each_server  # noqa: E402

CREDS = botocore.credentials.Credentials(fb.ACCESS_KEY, fb.SECRET_KEY)
_session = botocore.session.get_session()


def signed_request(port: int, service: str, operation: str, params: dict, protocol: str | None = None):
    """(path, headers, body bytes) of one request as botocore would send it in `protocol`
    (default: the model's own), signed for 127.0.0.1:port."""
    model = _session.get_service_model(service)
    op = model.operation_model(operation)
    req = botocore.serialize.create_serializer(protocol or model.protocol).serialize_to_request(params, op)
    body = req["body"]
    if isinstance(body, dict):
        body = urllib.parse.urlencode(body, doseq=True)
    if isinstance(body, str):
        body = body.encode()
    path = req["url_path"] + (("?" + urllib.parse.urlencode(req["query_string"])) if req["query_string"] else "")
    headers = dict(req["headers"])
    if protocol == "query" or (protocol is None and model.protocol == "query"):
        headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    aws = botocore.awsrequest.AWSRequest(method=req["method"], url=f"http://{fb.HOST}:{port}{path}", data=body,
                                         headers=headers)
    botocore.auth.SigV4Auth(CREDS, model.signing_name or model.endpoint_prefix, fb.REGION).add_auth(aws)
    out = {"Host": f"{fb.HOST}:{port}"}
    for k, v in aws.headers.items():
        out[k] = v.decode() if isinstance(v, bytes) else str(v)
    return path, out, body


def call(port: int, service: str, operation: str, params: dict, protocol: str | None = None,
         conn: http.client.HTTPConnection | None = None) -> tuple[int, bytes]:
    path, headers, body = signed_request(port, service, operation, params, protocol)
    c = conn or http.client.HTTPConnection(fb.HOST, port, timeout=600)
    c.request("POST", path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    if conn is None:
        c.close()
    return r.status, data


def lua_bytes(b: bytes) -> str:
    """A Lua string literal holding exactly these bytes (CBOR bodies are binary)."""
    return '"' + "".join(chr(x) if (chr(x).isalnum() or chr(x) in " .,:/_-=&{}[]") and x < 128 else f"\\{x:03d}"
                         for x in b) + '"'


def write_lua(path: str, url_path: str, headers: dict, body: bytes) -> None:
    lines = ['wrk.method = "POST"', f"wrk.path = {lua_bytes(url_path.encode())}", f"wrk.body = {lua_bytes(body)}",
             "wrk.headers = {}"]
    for k, v in headers.items():
        lines.append(f"wrk.headers[{lua_bytes(k.encode())}] = {lua_bytes(v.encode())}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n" + fb.LUA_DONE)


def run_wrk(name: str, label: str, pid: int, port: int, request, conns: list[int], duration: float, wrk: str,
            workdir: str) -> dict:
    """`request()` builds a freshly signed (path, headers, body); one unmeasured second first."""
    out = {}
    for c in conns:
        lua = os.path.join(workdir, f"{name}-{label.replace(' ', '-').replace('/', '-')}-{c}.lua")
        write_lua(lua, *request())
        fb.run_wrk_lua(wrk, pid, port, lua, c, 2, 1, measure=False)
        r = fb.run_wrk_lua(wrk, pid, port, lua, c, 2, duration)
        r.pop("wrk_output", None)
        out[c] = r
        fb.progress(name, f"{label} c={c:<3}", r)
    return out


VALUES20 = [float(v) for v in (12, 15, 11, 40, 13, 12, 18, 95, 14, 12, 13, 16, 11, 22, 13, 12, 17, 14, 250, 12)]


def put20(namespace: str = "Bench") -> dict:
    return {"Namespace": namespace, "MetricData": [{
        "MetricName": "Latency", "Dimensions": [{"Name": "Service", "Value": "checkout"}],
        "Values": VALUES20, "Unit": "Milliseconds"}]}


def preflight(port: int, protocol: str) -> tuple[bool, str]:
    try:
        status, data = call(port, "cloudwatch", "PutMetricData", put20(), protocol)
    except Exception as e:  # noqa: BLE001 - reported as unsupported
        return False, str(e)
    return status == 200, f"HTTP {status}: {data[:200]!r}"


def memory_per_point(port: int, pid: int, points: int, settle: float) -> dict:
    """RSS before and after `points` points, 1,000 per request over 100 series."""
    time.sleep(settle)
    before = fb.tree_rss_mib(pid)
    conn = http.client.HTTPConnection(fb.HOST, port, timeout=600)
    now = time.time()
    per_request, per_datum = 1000, 20
    requests = points // per_request
    t0 = time.perf_counter()
    for i in range(requests):
        # Spread over the last 10 days (within the retention), as a long-running app would.
        ts = now - 10 * 86400 + i * (10 * 86400 / requests)
        data = [{"MetricName": "Latency", "Dimensions": [{"Name": "Host", "Value": f"h{(i * 50 + j) % 100}"}],
                 "Timestamp": ts, "Values": [float((i + j + k) % 997) for k in range(per_datum)], "Unit": "Milliseconds"}
                for j in range(per_request // per_datum)]
        status, body = call(port, "cloudwatch", "PutMetricData", {"Namespace": "Memory", "MetricData": data}, "query",
                            conn)
        if status != 200:
            raise RuntimeError(f"PutMetricData failed: HTTP {status} {body[:300]!r}")
    elapsed = time.perf_counter() - t0
    conn.close()
    peak = fb.tree_rss_mib(pid)
    time.sleep(settle)
    after = fb.tree_rss_mib(pid)
    stored = requests * per_request
    return {"points": stored, "rss_before_mib": before, "rss_peak_mib": peak, "rss_after_mib": after,
            "bytes_per_point": (after - before) * 1024 * 1024 / stored, "load_s": elapsed}


def run(name: str, proc, port: int, args, wrk: str, workdir: str) -> dict:
    out: dict = {"throughput": {}}
    for protocol in ("query", "json", "smithy-rpc-v2-cbor"):
        ok, why = preflight(port, protocol)
        if not ok:
            print(f"[{name}] PutMetricData over {protocol}: not supported ({why})", file=sys.stderr, flush=True)
            continue
        out["throughput"][protocol] = run_wrk(
            name, f"PutMetricData/20 values/{protocol}", proc.pid, port,
            lambda protocol=protocol: signed_request(port, "cloudwatch", "PutMetricData", put20(), protocol),
            args.conns, args.duration, wrk, workdir)
    if name == "simfra" or args.moto_memory:
        m = memory_per_point(port, proc.pid, args.points, args.settle)
        print(f"[{name}] {m['points']:,} points: RSS {m['rss_before_mib']:.1f} → {m['rss_after_mib']:.1f} MiB "
              f"(peak {m['rss_peak_mib']:.1f}), {m['bytes_per_point']:.1f} bytes/point, loaded in {m['load_s']:.1f} s",
              file=sys.stderr, flush=True)
        out["memory"] = m
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--simfra-bin", default=os.path.join(HERE, "..", ".build", "release", "simfra"))
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--connections", default="1,16")
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--settle", type=float, default=6.0, help="idle seconds before each RSS reading")
    ap.add_argument("--moto-memory", action="store_true", help="also put the points into moto (slow)")
    ap.add_argument("--skip-moto", action="store_true")
    ap.add_argument("--skip-simfra", action="store_true")
    args = ap.parse_args()
    args.conns = [int(c) for c in args.connections.split(",")]
    wrk = fb.shutil.which("wrk") or sys.exit("wrk missing: apt-get install -y wrk")
    workdir = tempfile.mkdtemp(prefix="simfra-cloudwatch-bench-")
    results = on_each_server(args, lambda name, proc, port: run(name, proc, port, args, wrk, workdir))
    s, m = results.get("simfra") or {}, results.get("moto") or {}
    print("| measure | Simfra | moto | per CPU-s |")
    print("|---|---:|---:|---|")
    for protocol in ("query", "json", "smithy-rpc-v2-cbor"):
        for c in args.conns:
            sr = s.get("throughput", {}).get(protocol, {}).get(c)
            mr = m.get("throughput", {}).get(protocol, {}).get(c)
            if not sr and not mr:
                continue
            scpu = (sr or {}).get("server_cpu_us_per_req") or 0
            mcpu = (mr or {}).get("server_cpu_us_per_req") or 0
            cell = lambda r, cpu: f"{r['req_per_s']:,.0f} req/s, {cpu:,.0f} µs CPU/req" if r else "—"  # noqa: E731
            print(f"| PutMetricData 20 values ({protocol}), c={c} | {cell(sr, scpu)} | {cell(mr, mcpu)} | "
                  + (f"{mcpu / scpu:.1f}×" if scpu and mcpu else "—") + " |")
    sm, mm = s.get("memory"), m.get("memory")
    if sm or mm:
        cell = lambda x: (f"{x['bytes_per_point']:.1f} bytes (RSS {x['rss_before_mib']:.1f} → "  # noqa: E731
                          f"{x['rss_after_mib']:.1f} MiB, loaded in {x['load_s']:.1f} s)") if x else "—"
        print(f"| memory per point, {args.points:,} points | {cell(sm)} | {cell(mm)} | |")

if __name__ == "__main__":
    try:
        main()
    finally:
        fb.cleanup_all()
