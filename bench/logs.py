#!/usr/bin/env python3
"""CloudWatch Logs benchmark (not a test): PutLogEvents of 100 events side by side with
moto_server, as requests per server CPU-second; and FilterLogEvents latency (p50/p99) over a
group of a million events, for a term pattern and a JSON pattern.

    python3 bench/logs.py [--duration 5] [--connections 1,16] [--events 1000000] [--samples 30]
                          [--skip-moto] [--moto-filter]

PutLogEvents, two ways:
- in time order, as an application's log agent writes: `--threads` Python threads, each
  appending batches of 100 lines (about 130 bytes each) with advancing timestamps to its own
  stream, signed per request. The client is the bottleneck for req/s; the figure that counts
  is the server's CPU per request.
- one fixed batch (timestamps a second apart, ending now) replayed under wrk into one stream.
  AWS accepts duplicate batches (no sequence token since 2023), so every request stores 100
  more events; each one also reaches back in time over everything stored, the worst case for
  a store kept in time order.

FilterLogEvents: the group holds `--events` JSON log lines over 10 streams (put 5,000 per
request, in order); one in a thousand is an error. The term pattern `ERROR` and the JSON
pattern `{ $.status = 500 && $.latency_ms > 100 }` each match about a thousand events (one
page). Latency is the client's wall time for the whole answer, read to the last byte, over
`--samples` sequential calls. moto is asked only with `--moto-filter` (it has to store the
million events first, which takes minutes).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import foundation as fb  # noqa: E402
from cloudwatch import call, run_wrk, signed_request  # noqa: E402
from dynamodb import on_each_server  # noqa: E402

STREAMS = 10
PER_REQUEST = 5000
PATTERNS = {"term": "ERROR", "json": "{ $.status = 500 && $.latency_ms > 100 }"}


def logs(port: int, operation: str, params: dict, conn=None) -> dict:
    status, data = call(port, "logs", operation, params, conn=conn)
    if status != 200:
        raise RuntimeError(f"{operation}: HTTP {status} {data[:300]!r}")
    return json.loads(data or b"{}")


def line(i: int) -> str:
    error = i % 1000 == 999
    return json.dumps({
        "level": "ERROR" if error else "INFO", "path": f"/api/orders/{i % 7919}", "status": 500 if error else 200,
        "latency_ms": 100 + i % 400 if error else i % 97, "user": f"u{i % 4241}", "requestId": f"req-{i:010d}"},
        separators=(",", ":"))


def put_batch(now_ms: int) -> dict:
    return {"logGroupName": "bench-put", "logStreamName": "s",
            "logEvents": [{"timestamp": now_ms - (100 - k) * 1000, "message": line(k)} for k in range(100)]}


def put_in_order(name: str, pid: int, port: int, threads: int, duration: float) -> dict:
    """Each thread appends 100-event batches in time order to its own stream until time is up."""
    import threading
    for t in range(threads):
        logs(port, "CreateLogStream", {"logGroupName": "bench-put", "logStreamName": f"ordered-{threads}-{t}"})
    base = int(time.time() * 1000) - 3_600_000
    counts = [0] * threads
    stop = time.monotonic() + duration

    def run(t: int) -> None:
        conn = http.client.HTTPConnection(fb.HOST, port, timeout=60)
        ts = base
        while time.monotonic() < stop:
            batch = {"logGroupName": "bench-put", "logStreamName": f"ordered-{threads}-{t}",
                     "logEvents": [{"timestamp": ts + k, "message": line(counts[t] * 100 + k)} for k in range(100)]}
            ts += 100
            logs(port, "PutLogEvents", batch, conn)
            counts[t] += 1
        conn.close()

    cpu0, t0 = fb.tree_cpu_seconds(pid), time.monotonic()
    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall, cpu = time.monotonic() - t0, fb.tree_cpu_seconds(pid) - cpu0
    n = sum(counts)
    r = {"requests": n, "req_per_s": n / wall, "server_cpu_us_per_req": cpu * 1e6 / n if n else None}
    print(f"[{name}] PutLogEvents/100 events in time order, {threads} threads: {r['req_per_s']:,.0f} req/s  "
          f"{r['server_cpu_us_per_req'] or 0:,.1f} CPU µs/req", file=sys.stderr, flush=True)
    return r


def load(port: int, events: int) -> float:
    """`events` lines over STREAMS streams of the group bench-filter; returns seconds taken."""
    logs(port, "CreateLogGroup", {"logGroupName": "bench-filter"})
    for s in range(STREAMS):
        logs(port, "CreateLogStream", {"logGroupName": "bench-filter", "logStreamName": f"app-{s}"})
    conn = http.client.HTTPConnection(fb.HOST, port, timeout=600)
    per_stream = events // STREAMS
    start = int(time.time() * 1000) - per_stream * 50 - 60_000  # 50 ms apart, ending a minute ago
    t0 = time.perf_counter()
    for s in range(STREAMS):
        for lo in range(0, per_stream, PER_REQUEST):
            hi = min(per_stream, lo + PER_REQUEST)
            batch = [{"timestamp": start + i * 50, "message": line(i * STREAMS + s)} for i in range(lo, hi)]
            logs(port, "PutLogEvents", {"logGroupName": "bench-filter", "logStreamName": f"app-{s}", "logEvents": batch},
                 conn)
    conn.close()
    return time.perf_counter() - t0


def filter_latency(port: int, pattern: str, samples: int) -> dict:
    conn = http.client.HTTPConnection(fb.HOST, port, timeout=600)
    lat, matched = [], None
    for _ in range(samples):
        path, headers, body = signed_request(port, "logs", "FilterLogEvents",
                                             {"logGroupName": "bench-filter", "filterPattern": pattern})
        t0 = time.perf_counter()
        conn.request("POST", path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        lat.append((time.perf_counter() - t0) * 1000)
        if r.status != 200:
            raise RuntimeError(f"FilterLogEvents: HTTP {r.status} {data[:300]!r}")
        matched = len(json.loads(data)["events"])
    conn.close()
    lat.sort()
    return {"samples": samples, "matched": matched, "p50_ms": statistics.median(lat),
            "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))]}


def run(name: str, proc, port: int, args, wrk: str, workdir: str) -> dict:
    out: dict = {}
    logs(port, "CreateLogGroup", {"logGroupName": "bench-put"})
    logs(port, "CreateLogStream", {"logGroupName": "bench-put", "logStreamName": "s"})
    now_ms = int(time.time() * 1000)
    logs(port, "PutLogEvents", put_batch(now_ms))
    out["ordered"] = {t: put_in_order(name, proc.pid, port, t, args.duration) for t in args.threads}
    out["put"] = run_wrk(name, "PutLogEvents/100 events replayed", proc.pid, port,
                         lambda: signed_request(port, "logs", "PutLogEvents", put_batch(now_ms)),
                         args.conns, args.duration, wrk, workdir)
    if name == "simfra" or args.moto_filter:
        rss0 = fb.tree_rss_mib(proc.pid)
        secs = load(port, args.events)
        out["load_s"] = secs
        out["rss_delta_mib"] = fb.tree_rss_mib(proc.pid) - rss0
        print(f"[{name}] loaded {args.events:,} events in {secs:.1f} s (RSS +{out['rss_delta_mib']:.0f} MiB)",
              file=sys.stderr, flush=True)
        for kind, pattern in PATTERNS.items():
            r = filter_latency(port, pattern, args.samples if name == "simfra" else max(3, args.samples // 10))
            out[kind] = r
            print(f"[{name}] FilterLogEvents {kind} {pattern!r}: {r['matched']} events, p50 {r['p50_ms']:.1f} ms  "
                  f"p99 {r['p99_ms']:.1f} ms", file=sys.stderr, flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--simfra-bin", default=os.path.join(HERE, "..", ".build", "release", "simfra"))
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--connections", default="1,16")
    ap.add_argument("--threads", default="1,4", help="client threads for the in-order PutLogEvents loop")
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--samples", type=int, default=30)
    ap.add_argument("--moto-filter", action="store_true", help="also load the million events into moto and filter")
    ap.add_argument("--skip-moto", action="store_true")
    ap.add_argument("--skip-simfra", action="store_true")
    args = ap.parse_args()
    args.conns = [int(c) for c in args.connections.split(",")]
    args.threads = [int(t) for t in args.threads.split(",")]
    wrk = fb.shutil.which("wrk") or sys.exit("wrk missing: apt-get install -y wrk")
    workdir = tempfile.mkdtemp(prefix="simfra-logs-bench-")
    results = on_each_server(args, lambda name, proc, port: run(name, proc, port, args, wrk, workdir))
    s, m = results.get("simfra") or {}, results.get("moto") or {}
    print("| measure | Simfra | moto | per CPU-s |")
    print("|---|---:|---:|---|")
    for t in args.threads:
        sr, mr = s.get("ordered", {}).get(t), m.get("ordered", {}).get(t)
        scpu = (sr or {}).get("server_cpu_us_per_req") or 0
        mcpu = (mr or {}).get("server_cpu_us_per_req") or 0
        cell = lambda r, cpu: f"{r['req_per_s']:,.0f} req/s, {cpu:,.0f} µs CPU/req" if r else "—"  # noqa: E731
        print(f"| PutLogEvents 100 events in time order, {t} client thread(s) | {cell(sr, scpu)} | {cell(mr, mcpu)} | "
              + (f"{mcpu / scpu:.1f}×" if scpu and mcpu else "—") + " |")
    for c in args.conns:
        sr, mr = s.get("put", {}).get(c), m.get("put", {}).get(c)
        scpu = (sr or {}).get("server_cpu_us_per_req") or 0
        mcpu = (mr or {}).get("server_cpu_us_per_req") or 0
        cell = lambda r, cpu: f"{r['req_per_s']:,.0f} req/s, {cpu:,.0f} µs CPU/req" if r else "—"  # noqa: E731
        print(f"| PutLogEvents, one 100-event batch replayed (reaches back), c={c} | {cell(sr, scpu)} | {cell(mr, mcpu)} | "
              + (f"{mcpu / scpu:.1f}×" if scpu and mcpu else "—") + " |")
    for kind, pattern in PATTERNS.items():
        cell = lambda r: f"{r[kind]['p50_ms']:.1f} / {r[kind]['p99_ms']:.1f} ms ({r[kind]['matched']} events)" if kind in r else "—"  # noqa: E731,E501
        print(f"| FilterLogEvents `{pattern}` over {args.events:,} events, p50 / p99 | {cell(s)} | {cell(m)} | |")
    if "load_s" in s:
        print(f"| loading {args.events:,} events ({PER_REQUEST:,} per PutLogEvents) | {s['load_s']:.1f} s, "
              f"RSS +{s['rss_delta_mib']:.0f} MiB | " + (f"{m['load_s']:.1f} s" if "load_s" in m else "—") + " | |")


if __name__ == "__main__":
    try:
        main()
    finally:
        fb.cleanup_all()
