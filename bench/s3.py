#!/usr/bin/env python3
"""S3 benchmark: Simfra vs moto_server, side by side, in one run.

For each server, PutObject and GetObject of a 1 KiB and a 1 MiB object under wrk with N
connections: req/s, p50/p99 latency, and the server's own CPU time (utime+stime of the
process tree from /proc) -> CPU µs per request and requests per CPU-second. The issue's
target is >= 20x moto's requests per server-CPU-second.

Requests are SigV4-signed once per run with UNSIGNED-PAYLOAD (valid for 15 minutes), so
wrk can replay them: every PUT overwrites one key, every GET reads one key.

Requirements: wrk, botocore, and for the moto half `pip install 'moto[server]'`. Linux only.

Examples:
  python3 bench/s3.py
  python3 bench/s3.py --connections 1,16 --duration 5 --simfra-bin .build/release/simfra
  python3 bench/s3.py --data-dir        # Simfra with SIMFRA_DATA_DIR (fsync per PUT)
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import foundation as fb  # noqa: E402  (shared process, /proc and wrk helpers)

HOST = fb.HOST
BUCKET = "bench-bucket"
SIZES = {"1KiB": 1024, "1MiB": 1024 * 1024}
TARGET_X = 20.0


def signed_headers(port: int, method: str, path: str, length: int | None) -> dict[str, str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    headers = {"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}
    if length is not None:
        headers["Content-Length"] = str(length)
        headers["Content-Type"] = "application/octet-stream"
    req = AWSRequest(method=method, url=f"http://{HOST}:{port}{path}", headers=headers)
    # Plain SigV4Auth keeps X-Amz-Content-SHA256: UNSIGNED-PAYLOAD (S3SigV4Auth would hash the empty body).
    SigV4Auth(Credentials(fb.ACCESS_KEY, fb.SECRET_KEY), "s3", fb.REGION).add_auth(req)
    out = {"Host": f"{HOST}:{port}"}
    for k, v in req.headers.items():
        out[k] = v.decode() if isinstance(v, bytes) else str(v)
    return out


def write_lua(path: str, method: str, headers: dict[str, str], body_size: int) -> None:
    lines = [f'wrk.method = "{method}"', "wrk.headers = {}"]
    if body_size:
        lines.append(f'wrk.body = string.rep("x", {body_size})')
    for k, v in headers.items():
        if k.lower() == "content-length":
            continue  # wrk sends its own (same value); a second one would be a malformed request
        lines.append(f"wrk.headers[ {fb._lua_str(k)} ] = {fb._lua_str(v)}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n" + fb.LUA_DONE)


def setup(port: int) -> None:
    import boto3
    from botocore.config import Config
    s3 = boto3.session.Session().client(
        "s3", endpoint_url=f"http://{HOST}:{port}", region_name=fb.REGION, aws_access_key_id=fb.ACCESS_KEY,
        aws_secret_access_key=fb.SECRET_KEY, config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}))
    s3.create_bucket(Bucket=BUCKET)
    for name, size in SIZES.items():
        s3.put_object(Bucket=BUCKET, Key=f"obj-{name}", Body=b"x" * size)
        got = s3.get_object(Bucket=BUCKET, Key=f"obj-{name}")["Body"].read()
        if len(got) != size:
            raise RuntimeError(f"preflight GET of {name} returned {len(got)} bytes")


def run(wrk: str, server: fb.Server, op: str, size_name: str, connections: int, threads: int, duration: float,
        workdir: str, measure: bool = True) -> dict:
    size = SIZES[size_name]
    path = f"/{BUCKET}/obj-{size_name}"
    method = "PUT" if op == "PutObject" else "GET"
    lua = os.path.join(workdir, f"{server.name}-{op}-{size_name}.lua")
    write_lua(lua, method, signed_headers(server.port, method, path, size if method == "PUT" else None),
              size if method == "PUT" else 0)
    r = fb.run_wrk_lua(wrk, server.proc.pid, server.port, lua, connections, threads, duration, measure, path=path)
    if not measure:
        return {}
    js, reqs, dur, cpu = r["raw"], r["requests"], r["duration_s"], r["server_cpu_s"]
    return {
        "op": op, "size": size_name, "connections": connections, "requests": reqs,
        "req_per_s": reqs / dur if dur else 0.0, "p50_ms": js["p50_us"] / 1000, "p99_ms": js["p99_us"] / 1000,
        "non_2xx": r["non_2xx"],
        "server_cpu_s": cpu, "cpu_us_per_req": cpu * 1e6 / reqs if reqs else None,
        "req_per_cpu_s": reqs / cpu if cpu > 0 else None,
        "mib_per_s": reqs * size / dur / (1024 * 1024) if dur else 0.0,
    }


def bench(server: fb.Server, args, wrk: str, workdir: str) -> list[dict]:
    server.spawn_until_healthy(args.start_timeout)
    setup(server.port)
    print(f"[{server.name}] ready, RSS {fb.tree_rss_mib(server.proc.pid):.1f} MiB", file=sys.stderr, flush=True)
    rows = []
    for op in ("PutObject", "GetObject"):
        for size_name in SIZES:
            if args.warmup > 0:
                run(wrk, server, op, size_name, max(args.connections), args.threads, args.warmup, workdir, measure=False)
            for c in args.connections:
                r = run(wrk, server, op, size_name, c, args.threads, args.duration, workdir)
                rows.append(r)
                print(f"[{server.name}] {op:9} {size_name:4} c={c:<3} {r['req_per_s']:9.0f} req/s "
                      f"p50 {r['p50_ms']:7.2f} ms p99 {r['p99_ms']:7.2f} ms "
                      f"{fb.fmt(r['cpu_us_per_req'])} CPU µs/req non-2xx {r['non_2xx']}", file=sys.stderr, flush=True)
    rows.append({"rss_after_mib": fb.tree_rss_mib(server.proc.pid)})
    server.stop()
    return rows


def table(results: dict) -> str:
    sim = {(r["op"], r["size"], r["connections"]): r for r in results.get("simfra", []) if "op" in r}
    moto = {(r["op"], r["size"], r["connections"]): r for r in results.get("moto", []) if "op" in r}
    keys = sorted(set(sim) | set(moto), key=lambda k: (k[0] != "PutObject", k[1] != "1KiB", k[2]))
    lines = ["| op | size | conns | Simfra req/s | moto req/s | Simfra CPU µs/req | moto CPU µs/req | "
             "req per CPU-s ratio (target ≥ 20×) |",
             "|---|---|---|---|---|---|---|---|"]
    for k in keys:
        s, m = sim.get(k), moto.get(k)
        ratio = None
        if s and m and s["req_per_cpu_s"] and m["req_per_cpu_s"]:
            ratio = s["req_per_cpu_s"] / m["req_per_cpu_s"]
        lines.append(f"| {k[0]} | {k[1]} | {k[2]} | {fb.fmt(s and s['req_per_s'], 0)} | {fb.fmt(m and m['req_per_s'], 0)} | "
                     f"{fb.fmt(s and s['cpu_us_per_req'])} | {fb.fmt(m and m['cpu_us_per_req'])} | "
                     f"{'—' if ratio is None else f'{ratio:.1f}×' + (' ✓' if ratio >= TARGET_X else ' ✗')} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--simfra-bin", default=None)
    ap.add_argument("--skip-moto", action="store_true")
    ap.add_argument("--skip-simfra", action="store_true")
    ap.add_argument("--data-dir", action="store_true", help="run Simfra with a fresh SIMFRA_DATA_DIR")
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--connections", default="1,16")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--start-timeout", type=float, default=60.0)
    ap.add_argument("--json", metavar="PATH")
    args = ap.parse_args(argv)
    args.connections = [int(x) for x in args.connections.split(",") if x.strip()]
    wrk = shutil.which("wrk")
    if not wrk:
        sys.exit("error: wrk not found (apt-get install -y wrk)")
    signal.signal(signal.SIGTERM, fb._on_signal)
    workdir = tempfile.mkdtemp(prefix="simfra-s3-bench-")
    results: dict = {"meta": {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cpus": os.cpu_count(),
                              "duration_s": args.duration, "connections": args.connections, "data_dir": args.data_dir}}
    try:
        servers = []
        if not args.skip_simfra:
            simfra_bin, kind = fb.resolve_simfra_bin(args.simfra_bin)
            results["meta"]["simfra_bin"], results["meta"]["simfra_build"] = simfra_bin, kind

            def data_dir_env(port):
                return fb.simfra_env(port, SIMFRA_DATA_DIR=tempfile.mkdtemp(prefix="data-", dir=workdir))
            servers.append(fb.simfra_server(simfra_bin, workdir, data_dir_env if args.data_dir else None))
        if not args.skip_moto:
            servers.append(fb.moto_server(workdir))
        for srv in servers:
            try:
                results[srv.name] = bench(srv, args, wrk, workdir)
            except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                print(f"[{srv.name}] FAILED: {e}", file=sys.stderr)
                results[srv.name + "_error"] = str(e)
            finally:
                srv.stop()
        print(table(results))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=2)
    finally:
        fb.cleanup_all()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
