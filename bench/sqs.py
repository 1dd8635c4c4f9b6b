#!/usr/bin/env python3
"""SQS benchmark: Simfra vs moto_server, side by side, in one run.

Measures, for each server:
  1. The send -> receive -> delete loop under wrk with N connections (awsJson1_0, as boto3
     sends it): requests/s, latency percentiles, and the server's own CPU time per request
     (utime+stime from /proc, children included) -> requests per server CPU-second.
     Each wrk thread cycles SendMessage, ReceiveMessage (MaxNumberOfMessages=1) and
     DeleteMessage of a handle it received, so the queue stays shallow.
  2. Latency at queue depth 0, 1k, 10k and 100k (filled with SendMessageBatch): SendMessage,
     and ReceiveMessage+DeleteMessage as a pair, from one keep-alive connection; p50/p99 over
     `--samples` operations. Flat numbers mean O(1)/O(log n) operations.

Requests are SigV4-signed with `X-Amz-Content-SHA256: UNSIGNED-PAYLOAD` (the signature
covers the headers, not the body), so one signature per operation serves every body in a
run; they are re-signed before each run (valid 15 minutes).

moto answers SendMessage in time that grows with queue depth, so filling it to 100k
messages would take hours: its depth series stops at `--moto-max-depth` (default 1000).

This is a benchmark, not a test. Requirements: wrk (`apt-get install -y wrk`), botocore,
and `pip install 'moto[server]==5.2.1'` for the moto half. Linux only (reads /proc).

Examples:
  python3 bench/sqs.py
  python3 bench/sqs.py --connections 1,8,32 --duration 10 --json out.json
  python3 bench/sqs.py --skip-moto --depths 0,1000,10000,100000
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import foundation as fb  # noqa: E402  (process management, /proc CPU accounting, wrk summary)

HOST = fb.HOST
REGION = fb.REGION
JSON_CT = "application/x-amz-json-1.0"
TARGET_CPU_EFFICIENCY_X = 20.0
OPS = ("SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage", "CreateQueue", "GetQueueAttributes")


# --------------------------------------------------------------------------
# signing and a raw keep-alive client
# --------------------------------------------------------------------------


def signed_headers(port: int, target: str) -> dict[str, str]:
    """SigV4 headers for a JSON SQS call to 127.0.0.1:port, valid for any body."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    req = AWSRequest(method="POST", url=f"http://{HOST}:{port}/", data=b"", headers={
        "Content-Type": JSON_CT,
        "X-Amz-Target": f"AmazonSQS.{target}",
        "x-amzn-query-mode": "true",
        "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD",
    })
    SigV4Auth(Credentials(fb.ACCESS_KEY, fb.SECRET_KEY), "sqs", REGION).add_auth(req)
    headers = {"Host": f"{HOST}:{port}"}
    for k, v in req.headers.items():
        headers[k] = v.decode() if isinstance(v, bytes) else str(v)
    return headers


class RawSQS:
    """One keep-alive connection; JSON protocol; pre-signed headers per operation."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection(HOST, port, timeout=120)
        self.signed_at = 0.0
        self.headers: dict[str, dict[str, str]] = {}

    def call(self, target: str, body: dict) -> dict:
        if time.monotonic() - self.signed_at > 300:
            self.headers = {op: signed_headers(self.port, op) for op in OPS}
            self.signed_at = time.monotonic()
        data = json.dumps(body).encode()
        self.conn.request("POST", "/", body=data, headers=self.headers[target])
        resp = self.conn.getresponse()
        raw = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"{target}: HTTP {resp.status}: {raw[:300]!r}")
        return json.loads(raw) if raw else {}

    def close(self) -> None:
        self.conn.close()


def fill(raw: RawSQS, url: str, n: int) -> None:
    entries = [{"Id": f"e{i}", "MessageBody": f"filler message {i}"} for i in range(10)]
    done = 0
    while done < n:
        k = min(10, n - done)
        raw.call("SendMessageBatch", {"QueueUrl": url, "Entries": entries[:k]})
        done += k


def pct(samples: list[float], p: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def depth_latency(raw: RawSQS, url: str, samples: int) -> dict:
    send, recv_del = [], []
    for i in range(samples):
        t0 = time.perf_counter()
        raw.call("SendMessage", {"QueueUrl": url, "MessageBody": f"probe {i}"})
        send.append((time.perf_counter() - t0) * 1000)
    for _ in range(samples):
        t0 = time.perf_counter()
        got = raw.call("ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": 1})
        msgs = got.get("Messages", [])
        if not msgs:
            raise RuntimeError("ReceiveMessage returned nothing on a non-empty queue")
        raw.call("DeleteMessage", {"QueueUrl": url, "ReceiptHandle": msgs[0]["ReceiptHandle"]})
        recv_del.append((time.perf_counter() - t0) * 1000)
    return {
        "send_p50_ms": pct(send, 50), "send_p99_ms": pct(send, 99), "send_mean_ms": statistics.fmean(send),
        "recv_del_p50_ms": pct(recv_del, 50), "recv_del_p99_ms": pct(recv_del, 99),
        "recv_del_mean_ms": statistics.fmean(recv_del),
    }


def approximate_depth(raw: RawSQS, url: str) -> int:
    a = raw.call("GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessages"]})
    return int(a["Attributes"]["ApproximateNumberOfMessages"])


# --------------------------------------------------------------------------
# wrk: the send -> receive -> delete loop
# --------------------------------------------------------------------------

LOOP_LUA = r"""
local send_h = %(send)s
local recv_h = %(recv)s
local del_h = %(delete)s
local url = %(url)s
local send_body = '{"QueueUrl":"' .. url .. '","MessageBody":"benchmark message body"}'
local recv_body = '{"QueueUrl":"' .. url .. '","MaxNumberOfMessages":1}'
local handles = {}
local n = 0
-- Counted as issued: with several connections per thread, responses do not come back in
-- request order, so a response is recognised by its content (a ReceiptHandle) instead.
sends, receives, deletes, got, failures = 0, 0, 0, 0, 0

request = function()
  n = n + 1
  local phase = n %% 3
  if phase == 0 and #handles > 0 then
    local h = table.remove(handles, 1)
    deletes = deletes + 1
    return wrk.format("POST", "/", del_h, '{"QueueUrl":"' .. url .. '","ReceiptHandle":"' .. h .. '"}')
  elseif phase == 1 then
    sends = sends + 1
    return wrk.format("POST", "/", send_h, send_body)
  else
    receives = receives + 1
    return wrk.format("POST", "/", recv_h, recv_body)
  end
end

response = function(status, headers, body)
  if status ~= 200 then failures = failures + 1 end
  local h = string.match(body, '"ReceiptHandle"%%s*:%%s*"([^"]+)"')
  if h then
    got = got + 1
    handles[#handles + 1] = h
  end
end

local threads = {}
setup = function(thread) threads[#threads + 1] = thread end

done = function(summary, latency, requests)
  local s, r, d, e, f = 0, 0, 0, 0, 0
  for _, t in ipairs(threads) do
    s = s + t:get("sends"); r = r + t:get("receives"); d = d + t:get("deletes")
    e = e + t:get("got"); f = f + t:get("failures")
  end
  local ev = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%%d,"duration_us":%%d,"sends":%%d,"receives":%%d,"deletes":%%d,"empty_receives":%%d,' ..
    '"non_200":%%d,"err_connect":%%d,"err_read":%%d,"err_write":%%d,"err_timeout":%%d,' ..
    '"lat_mean_us":%%.2f,"p50_us":%%d,"p90_us":%%d,"p99_us":%%d}\n',
    summary.requests, summary.duration, s, r, d, r - e, f, ev.connect, ev.read, ev.write, ev.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
"""


def lua_table(h: dict[str, str]) -> str:
    return "{" + ", ".join(f"[ {fb._lua_str(k)} ] = {fb._lua_str(v)}" for k, v in h.items()) + "}"


def run_loop(wrk: str, server: fb.Server, url: str, connections: int, threads: int, duration: float,
             workdir: str, measure: bool = True) -> dict:
    lua = os.path.join(workdir, f"sqs-loop-{server.name}.lua")
    with open(lua, "w") as f:
        f.write(LOOP_LUA % {
            "send": lua_table(signed_headers(server.port, "SendMessage")),
            "recv": lua_table(signed_headers(server.port, "ReceiveMessage")),
            "delete": lua_table(signed_headers(server.port, "DeleteMessage")),
            "url": fb._lua_str(url),
        })
    t = max(1, min(threads, connections))
    r = fb.run_wrk_lua(wrk, server.proc.pid, server.port, lua, connections, threads, duration, measure, latency=False)
    if not measure:
        return {}
    js, reqs, dur, cpu = r["raw"], r["requests"], r["duration_s"], r["server_cpu_s"]
    return {
        "connections": connections, "threads": t, "requests": reqs, "duration_s": dur,
        "req_per_s": reqs / dur if dur > 0 else 0.0,
        "sends": js["sends"], "receives": js["receives"], "deletes": js["deletes"],
        "empty_receives": js["empty_receives"], "non_200": js["non_200"],
        "socket_errors": {k[4:]: js[k] for k in ("err_connect", "err_read", "err_write", "err_timeout")},
        "p50_ms": js["p50_us"] / 1000, "p90_ms": js["p90_us"] / 1000, "p99_ms": js["p99_us"] / 1000,
        "mean_ms": js["lat_mean_us"] / 1000,
        "server_cpu_s": cpu, "server_cpu_us_per_req": cpu * 1e6 / reqs if reqs else None,
        "req_per_cpu_s": reqs / cpu if cpu > 0 else None,
    }


# --------------------------------------------------------------------------
# orchestration
# --------------------------------------------------------------------------


def preflight(raw: RawSQS, url: str) -> None:
    sent = raw.call("SendMessage", {"QueueUrl": url, "MessageBody": "preflight"})
    if "MessageId" not in sent:
        raise RuntimeError(f"SendMessage answered {sent}")
    got = raw.call("ReceiveMessage", {"QueueUrl": url})
    [m] = got["Messages"]
    raw.call("DeleteMessage", {"QueueUrl": url, "ReceiptHandle": m["ReceiptHandle"]})


def bench_server(server: fb.Server, args, wrk: str, workdir: str, res: dict) -> None:
    server.spawn_until_healthy(args.start_timeout)
    raw = RawSQS(server.port)
    try:
        loop_url = raw.call("CreateQueue", {"QueueName": "bench-loop"})["QueueUrl"]
        preflight(raw, loop_url)
        print(f"[{server.name}] preflight send/receive/delete OK", file=sys.stderr, flush=True)
        if args.warmup > 0:
            run_loop(wrk, server, loop_url, max(args.connections), args.threads, args.warmup, workdir, measure=False)
        res["loop"] = {}
        for c in args.connections:
            r = run_loop(wrk, server, loop_url, c, args.threads, args.duration, workdir)
            res["loop"][str(c)] = r
            print(f"[{server.name}]   c={c}: {r['req_per_s']:.0f} req/s, p50 {r['p50_ms']:.2f} ms, "
                  f"p99 {r['p99_ms']:.2f} ms, {fb.fmt(r['server_cpu_us_per_req'], 1)} CPU µs/req, "
                  f"{r['sends']}/{r['receives']}/{r['deletes']} send/recv/del, non-200 {r['non_200']}",
                  file=sys.stderr, flush=True)
            time.sleep(0.5)

        res["depth"] = {}
        depth_url = raw.call("CreateQueue", {"QueueName": "bench-depth"})["QueueUrl"]
        have = 0
        max_depth = args.moto_max_depth if server.name == "moto" else max(args.depths)
        for d in args.depths:
            if d > max_depth:
                print(f"[{server.name}]   depth {d}: skipped (> --moto-max-depth {max_depth})", file=sys.stderr)
                continue
            t0 = time.monotonic()
            fill(raw, depth_url, d - have)
            have = d
            fill_s = time.monotonic() - t0
            actual = approximate_depth(raw, depth_url)
            r = depth_latency(raw, depth_url, args.samples)
            r.update(depth=actual, fill_s=fill_s)
            res["depth"][str(d)] = r
            print(f"[{server.name}]   depth {actual}: SendMessage p50 {r['send_p50_ms']:.3f} ms p99 "
                  f"{r['send_p99_ms']:.3f} ms; Receive+Delete p50 {r['recv_del_p50_ms']:.3f} ms p99 "
                  f"{r['recv_del_p99_ms']:.3f} ms (filled in {fill_s:.1f} s)", file=sys.stderr, flush=True)
        res["rss_after_mib"] = fb.tree_rss_mib(server.proc.pid)
        res["ok"] = True
    finally:
        raw.close()
        server.stop()


def render(sim: dict | None, moto: dict | None, args) -> str:
    def get(d, *path):
        for p in path:
            if d is None or p not in d:
                return None
            d = d[p]
        return d

    rows = []
    for c in args.connections:
        k = str(c)
        L = lambda d, f: get(d, "loop", k, f)  # noqa: E731
        rows.append((f"loop c={c}: throughput (req/s)", L(sim, "req_per_s"), L(moto, "req_per_s"), "higher", 0, "", None))
        rows.append((f"loop c={c}: latency p50 (ms)", L(sim, "p50_ms"), L(moto, "p50_ms"), "lower", 2, "", None))
        rows.append((f"loop c={c}: latency p99 (ms)", L(sim, "p99_ms"), L(moto, "p99_ms"), "lower", 2, "", None))
        rows.append((f"loop c={c}: server CPU per request (µs)", L(sim, "server_cpu_us_per_req"),
                     L(moto, "server_cpu_us_per_req"), "lower", 1, "", None))
        rows.append((f"loop c={c}: requests per server CPU-second", L(sim, "req_per_cpu_s"), L(moto, "req_per_cpu_s"),
                     "higher", 0, f"≥ {TARGET_CPU_EFFICIENCY_X:g}× moto",
                     lambda s, m: m is not None and s >= TARGET_CPU_EFFICIENCY_X * m))
        rows.append((f"loop c={c}: non-200 responses", L(sim, "non_200"), L(moto, "non_200"), None, 0, "0",
                     lambda s, m: s == 0))
    for d in args.depths:
        k = str(d)
        D = lambda x, f: get(x, "depth", k, f)  # noqa: E731
        rows.append((f"depth {d:,}: SendMessage p50 (ms)", D(sim, "send_p50_ms"), D(moto, "send_p50_ms"), "lower", 3, "", None))
        rows.append((f"depth {d:,}: SendMessage p99 (ms)", D(sim, "send_p99_ms"), D(moto, "send_p99_ms"), "lower", 3, "", None))
        rows.append((f"depth {d:,}: Receive+Delete p50 (ms)", D(sim, "recv_del_p50_ms"), D(moto, "recv_del_p50_ms"),
                     "lower", 3, "", None))
        rows.append((f"depth {d:,}: Receive+Delete p99 (ms)", D(sim, "recv_del_p99_ms"), D(moto, "recv_del_p99_ms"),
                     "lower", 3, "", None))
    rows.append(("RSS after the run (MiB)", get(sim, "rss_after_mib"), get(moto, "rss_after_mib"), "lower", 1, "", None))

    out = ["| Metric | Simfra | moto_server | ratio | target | met? |", "|---|---:|---:|---:|---|:---:|"]
    for name, s, m, better, digits, ttext, tfn in rows:
        ratio = "—"
        if better and s is not None and m is not None:
            num, den = (m, s) if better == "lower" else (s, m)
            if den:
                ratio = f"{num / den:,.1f}×"
        met = ""
        if tfn is not None and s is not None:
            met = "n/a" if ("moto" in ttext and m is None) else ("✅" if tfn(s, m) else "❌")
        out.append(f"| {name} | {fb.fmt(s, digits)} | {fb.fmt(m, digits)} | {ratio} | {ttext} | {met} |")

    # Flatness: worst depth p50 over depth-0 p50, per server.
    for label, r in (("Simfra", sim), ("moto", moto)):
        ds = get(r, "depth") or {}
        if "0" in ds and len(ds) > 1:
            base_s, base_r = ds["0"]["send_p50_ms"], ds["0"]["recv_del_p50_ms"]
            worst = max(ds.values(), key=lambda v: v["depth"])
            out.append("")
            out.append(f"{label}: from depth 0 to {worst['depth']:,}, SendMessage p50 ×{worst['send_p50_ms'] / base_s:.2f}, "
                       f"Receive+Delete p50 ×{worst['recv_del_p50_ms'] / base_r:.2f}.")
    out.append("")
    out.append("ratio = how many times better Simfra is; > 1× means Simfra wins. Loop requests are the mix of "
               "SendMessage, ReceiveMessage and DeleteMessage.")
    return "\n".join(out)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--simfra-bin", default=None)
    ap.add_argument("--skip-moto", action="store_true")
    ap.add_argument("--skip-simfra", action="store_true")
    ap.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run (default 5)")
    ap.add_argument("--connections", default="1,8,32", help="wrk connection counts (default 1,8,32)")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads (default 2, capped at c)")
    ap.add_argument("--warmup", type=float, default=1.0, help="unmeasured wrk seconds first (default 1)")
    ap.add_argument("--depths", default="0,1000,10000,100000", help="queue depths (default 0,1000,10000,100000)")
    ap.add_argument("--moto-max-depth", type=int, default=1000,
                    help="deepest queue to fill on moto, whose sends slow down with depth (default 1000)")
    ap.add_argument("--samples", type=int, default=300, help="operations per depth latency sample (default 300)")
    ap.add_argument("--start-timeout", type=float, default=60.0)
    ap.add_argument("--json", metavar="PATH", help="also write raw numbers as JSON")
    args = ap.parse_args(argv)
    try:
        args.connections = [int(x) for x in args.connections.split(",") if x.strip()]
        args.depths = sorted(int(x) for x in args.depths.split(",") if x.strip())
    except ValueError:
        ap.error("--connections and --depths take comma-separated integers")
    if not args.connections or min(args.connections) < 1:
        ap.error("--connections needs positive integers")
    if not args.depths or min(args.depths) < 0:
        ap.error("--depths needs non-negative integers")
    if args.skip_moto and args.skip_simfra:
        ap.error("nothing to do: both --skip-moto and --skip-simfra given")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if not sys.platform.startswith("linux"):
        sys.exit("error: this benchmark reads /proc and needs Linux")
    wrk = shutil.which("wrk")
    if not wrk:
        sys.exit("error: wrk not found. Install it with: apt-get install -y wrk")
    if not args.skip_moto:
        try:
            import moto  # noqa: F401
            import flask  # noqa: F401
        except ImportError:
            sys.exit("error: moto server not importable: pip install 'moto[server]==5.2.1' (or --skip-moto)")
    simfra_bin = kind = None
    if not args.skip_simfra:
        simfra_bin, kind = fb.resolve_simfra_bin(args.simfra_bin)

    signal.signal(signal.SIGTERM, fb._on_signal)
    signal.signal(signal.SIGHUP, fb._on_signal)
    results: dict = {"meta": {
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cpus": os.cpu_count(),
        "duration_s": args.duration, "connections": args.connections, "depths": args.depths,
        "samples": args.samples, "simfra_bin": simfra_bin, "simfra_build": kind,
    }}
    exit_code = 0
    workdir = tempfile.mkdtemp(prefix="simfra-sqs-bench-")
    try:
        servers = []
        if not args.skip_simfra:
            servers.append(fb.simfra_server(simfra_bin, workdir))
        if not args.skip_moto:
            servers.append(fb.moto_server(workdir))
        for srv in servers:
            r = {"name": srv.name, "ok": False}
            try:
                bench_server(srv, args, wrk, workdir, r)
            except (RuntimeError, OSError, subprocess.SubprocessError, KeyError, ValueError) as e:
                print(f"[{srv.name}] FAILED: {e}", file=sys.stderr)
                r["error"] = str(e)
            finally:
                srv.stop()
            if not r.get("ok"):
                exit_code = 1
            results[srv.name] = r
    finally:
        fb.cleanup_all()
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print("## Simfra vs moto_server — SQS benchmark")
    print()
    print(f"{os.cpu_count()} CPUs; wrk {args.threads} threads, {args.duration:g} s per run; depth latency over "
          f"{args.samples} operations from one keep-alive connection; simfra: {simfra_bin or 'skipped'} ({kind or '-'}).")
    if kind == "debug":
        print("\n**WARNING: Simfra debug build — not representative.**")
    print()
    print(render(results.get("simfra"), results.get("moto"), args))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
        print(f"\nraw numbers written to {args.json}", file=sys.stderr)
    return exit_code


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        fb.cleanup_all()
