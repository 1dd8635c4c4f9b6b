#!/usr/bin/env python3
"""Foundation benchmark: Simfra vs moto_server, side by side, in one run.

Measures, for each server:
  1. spawn -> healthy time (ms), median of N spawns
     (Simfra: GET /_simfra/health == 200; moto: GET /moto-api/ == 200)
  2. idle RSS (MiB) 1 s after healthy (VmRSS of the process tree)
  3. STS GetCallerIdentity throughput under wrk for each connection count:
     req/s, p50/p99 latency, non-2xx count, and the server's own CPU time
     (utime+stime from /proc, children included) -> CPU µs per request and
     requests per CPU-second.

This is a benchmark, not a test. It exits non-zero only if a server fails to
start or fails the pre-flight GetCallerIdentity check.

Requirements: wrk (`apt-get install -y wrk`), botocore, and for the moto half
`pip install 'moto[server]==5.2.1'`. Linux only (reads /proc).

Examples:
  python3 bench/foundation.py
  python3 bench/foundation.py --duration 10 --connections 1,8,32,64 --json out.json
  python3 bench/foundation.py --skip-moto --simfra-bin .build/release/simfra
"""

from __future__ import annotations

import argparse
import errno
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "127.0.0.1"  # every connection this script makes goes here, nowhere else

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
STS_BODY = "Action=GetCallerIdentity&Version=2011-06-15"
STS_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"

TARGET_START_MS = 30.0
TARGET_RSS_MIB = 15.0
TARGET_CPU_EFFICIENCY_X = 20.0

CLK_TCK = os.sysconf("SC_CLK_TCK")

# --------------------------------------------------------------------------
# child-process bookkeeping: everything we spawn goes in here and is killed
# (SIGTERM, then SIGKILL) at exit, whatever happens.
# --------------------------------------------------------------------------

_children: list[subprocess.Popen] = []


def _kill_tree(proc: subprocess.Popen, grace: float = 3.0) -> None:
    if proc.poll() is not None:
        return
    # Each server is started in its own session (start_new_session=True), so
    # its process group id == its pid and contains only what it spawned.
    def _signal(sig):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        except PermissionError:
            try:
                proc.send_signal(sig)
            except ProcessLookupError:
                pass

    _signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        _signal(signal.SIGKILL)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    # Reap any survivors in the group (e.g. children that ignored SIGTERM).
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def stop(proc: subprocess.Popen) -> None:
    _kill_tree(proc)
    if proc in _children:
        _children.remove(proc)


def cleanup_all() -> None:
    for p in list(_children):
        stop(p)


def _on_signal(signum, _frame):
    raise SystemExit(128 + signum)


# --------------------------------------------------------------------------
# /proc helpers
# --------------------------------------------------------------------------


def _read_stat(pid: int):
    """Return (ppid, utime+stime+cutime+cstime ticks) or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode("ascii", "replace")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    rest = data[data.rfind(")") + 2:].split()
    # rest[0] is field 3 (state); field N is rest[N-3].
    ppid = int(rest[1])
    utime, stime, cutime, cstime = (int(x) for x in rest[11:15])
    return ppid, utime + stime + cutime + cstime


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        st = _read_stat(int(entry))
        if st is not None:
            children.setdefault(st[0], []).append(int(entry))
    out, stack = [], [pid]
    while stack:
        for c in children.get(stack.pop(), []):
            out.append(c)
            stack.append(c)
    return out


def tree_cpu_seconds(pid: int) -> float:
    """CPU (user+sys) of pid and all live descendants, plus reaped children."""
    ticks = 0
    for p in [pid] + descendants(pid):
        st = _read_stat(p)
        if st is not None:
            ticks += st[1]
    return ticks / CLK_TCK


def _vmrss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def tree_rss_mib(pid: int) -> float:
    return sum(_vmrss_kib(p) for p in [pid] + descendants(pid)) / 1024.0


# --------------------------------------------------------------------------
# networking helpers
# --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def probe(port: int, path: str) -> int | None:
    """One raw-socket HTTP GET. Returns the status code, or None if nothing
    is listening yet / the connection broke."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(5.0)
    try:
        s.connect((HOST, port))
        s.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        buf = b""
        while b"\r\n" not in buf:
            chunk = s.recv(256)
            if not chunk:
                break
            buf += chunk
        parts = buf.split(b" ", 2)
        if len(parts) >= 2 and parts[0].startswith(b"HTTP/"):
            return int(parts[1])
        return None
    except OSError as e:
        if isinstance(e, socket.timeout) or e.errno in (
            errno.ECONNREFUSED, errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED,
        ):
            return None
        raise
    finally:
        s.close()


def signed_sts_headers(port: int) -> dict[str, str]:
    """SigV4-sign a GetCallerIdentity POST with botocore; return every header
    the server needs to see (incl. Host, which botocore signs but does not
    add to the header map)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = f"http://{HOST}:{port}/"
    req = AWSRequest(method="POST", url=url, data=STS_BODY,
                     headers={"Content-Type": STS_CONTENT_TYPE})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "sts", REGION).add_auth(req)
    headers = {"Host": f"{HOST}:{port}"}
    for k, v in req.headers.items():
        headers[k] = v.decode() if isinstance(v, bytes) else str(v)
    return headers


def preflight_sts(port: int) -> tuple[bool, str]:
    headers = signed_sts_headers(port)
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("POST", "/", body=STS_BODY.encode(), headers=headers)
        resp = conn.getresponse()
        body = resp.read().decode("utf-8", "replace")
    finally:
        conn.close()
    ok = resp.status == 200 and "<Account>" in body
    return ok, f"HTTP {resp.status}: {body[:400]}"


# --------------------------------------------------------------------------
# servers
# --------------------------------------------------------------------------


def simfra_env(port: int, **extra: str) -> dict[str, str]:
    """A hermetic environment for Simfra on `port`: the calling shell's SIMFRA_* settings are dropped."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIMFRA_")}
    env.update(SIMFRA_HOST=HOST, SIMFRA_PORT=str(port), **extra)
    return env


MOTO_ARGV = [sys.executable, "-m", "moto.server", "-H", HOST, "-p"]


def simfra_server(binary: str, workdir: str, env_fn=None) -> "Server":
    return Server("simfra", lambda port: [binary], env_fn or simfra_env, "/_simfra/health", workdir)


def moto_server(workdir: str) -> "Server":
    return Server("moto", lambda port: MOTO_ARGV + [str(port)], lambda port: dict(os.environ, MOTO_PORT=str(port)),
                  "/moto-api/", workdir)


class Server:
    def __init__(self, name: str, argv_fn, env_fn, health_path: str, workdir: str):
        self.name = name
        self.argv_fn = argv_fn
        self.env_fn = env_fn
        self.health_path = health_path
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.log_path = ""

    def spawn_until_healthy(self, timeout: float) -> float:
        """Start a fresh instance; return ms from spawn to first 200 on health."""
        self.port = port = free_port()
        self.log_path = os.path.join(self.workdir, f"{self.name}-{port}.log")
        log = open(self.log_path, "wb")
        env = self.env_fn(port)
        argv = self.argv_fn(port)
        t0 = time.perf_counter_ns()
        proc = subprocess.Popen(argv, env=env, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        _children.append(proc)
        self.proc = proc
        deadline = time.monotonic() + timeout
        while True:
            status = probe(port, self.health_path)
            if status == 200:
                return (time.perf_counter_ns() - t0) / 1e6
            if proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with code {proc.returncode} before "
                                   f"becoming healthy; log tail:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not healthy after {timeout:.0f}s "
                                   f"(last status {status}); log tail:\n{self.log_tail()}")
            time.sleep(0.001)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc = None

    def log_tail(self, n: int = 2000) -> str:
        try:
            with open(self.log_path, "rb") as f:
                data = f.read()
            return data[-n:].decode("utf-8", "replace")
        except OSError:
            return "(no log)"


# --------------------------------------------------------------------------
# wrk
# --------------------------------------------------------------------------

LUA_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_timeout":%d,"err_status":%d,' ..
    '"lat_mean_us":%.2f,"lat_max_us":%d,"p50_us":%d,"p75_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.timeout, e.status,
    latency.mean, latency.max,
    latency:percentile(50), latency:percentile(75), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9)))
end
"""


def _lua_str(s: str) -> str:
    assert "]==]" not in s and "\n" not in s
    return f"[==[{s}]==]"


def write_lua(path: str, headers: dict[str, str], body: str, method: str = "POST") -> None:
    lines = [f'wrk.method = "{method}"', f"wrk.body = {_lua_str(body)}", "wrk.headers = {}"]
    for k, v in headers.items():
        lines.append(f"wrk.headers[ {_lua_str(k)} ] = {_lua_str(v)}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n" + LUA_DONE)


def _parse_non2xx(text: str) -> int:
    for line in text.splitlines():
        if "Non-2xx or 3xx responses:" in line:
            return int(line.split(":")[1].strip())
    return 0


def run_wrk(wrk: str, server: Server, connections: int, threads: int, duration: float,
            workdir: str, measure: bool = True) -> dict:
    lua = os.path.join(workdir, f"sts-{server.name}.lua")
    write_lua(lua, signed_sts_headers(server.port), STS_BODY)  # re-signed per run
    return run_wrk_lua(wrk, server.proc.pid, server.port, lua, connections, threads, duration, measure)


def run_wrk_lua(wrk: str, pid: int, port: int, lua: str, connections: int, threads: int,
                duration: float, measure: bool = True, path: str = "/", latency: bool = True) -> dict:
    """One wrk run with a request script; the server's CPU (pid's tree) is read around it.
    The script's `done` prints a BENCHJSON line (see LUA_DONE); its fields are in "raw"."""
    argv = [wrk, "-t", str(max(1, min(threads, connections))), "-c", str(connections),
            "-d", f"{max(1, int(round(duration)))}s", "--timeout", "10s"] + (["--latency"] if latency else []) + [
            "-s", lua, f"http://{HOST}:{port}{path}"]
    cpu0 = tree_cpu_seconds(pid)
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    _children.append(proc)
    try:
        out, err = proc.communicate(timeout=duration + 60)
    finally:
        stop(proc)
    wall = time.monotonic() - t0
    cpu1 = tree_cpu_seconds(pid)
    text = out.decode("utf-8", "replace")
    if not measure:
        return {}
    js = None
    for line in text.splitlines():
        if line.startswith("BENCHJSON "):
            js = json.loads(line[len("BENCHJSON "):])
    if js is None:
        raise RuntimeError(f"could not parse wrk output:\n{text}\n{err.decode(errors='replace')}")
    reqs = js["requests"]
    cpu = cpu1 - cpu0
    dur_s = js["duration_us"] / 1e6
    non2xx = _parse_non2xx(text) or js.get("err_status", 0)
    return {
        "connections": connections,
        "threads": max(1, min(threads, connections)),
        "requests": reqs,
        "duration_s": dur_s,
        "req_per_s": reqs / dur_s if dur_s > 0 else 0.0,
        "p50_ms": js.get("p50_us", 0) / 1000.0,
        "p75_ms": js.get("p75_us", 0) / 1000.0,
        "p90_ms": js.get("p90_us", 0) / 1000.0,
        "p99_ms": js.get("p99_us", 0) / 1000.0,
        "p999_ms": js.get("p999_us", 0) / 1000.0,
        "mean_ms": js.get("lat_mean_us", 0) / 1000.0,
        "max_ms": js.get("lat_max_us", 0) / 1000.0,
        "non_2xx": non2xx,
        "socket_errors": {k[4:]: js.get(k, 0) for k in ("err_connect", "err_read", "err_write", "err_timeout")},
        "server_cpu_s": cpu,
        "server_cpu_us_per_req": cpu * 1e6 / reqs if reqs else None,
        "req_per_cpu_s": reqs / cpu if cpu > 0 else None,
        "wall_s": wall,
        "cpu_resolution_s": 1.0 / CLK_TCK,
        "wrk_output": text,
        "raw": js,
    }


def progress(name: str, label: str, r: dict) -> None:
    """One stderr line per wrk run. A server too slow to finish a request in the run has no
    CPU-per-request figure (moto under PutEvents with 100 rules): it prints as "-"."""
    cpu = r["server_cpu_us_per_req"]
    print(f"[{name}] {label} {r['req_per_s']:>8,.0f} req/s  p50 {r['p50_ms']:.2f} ms  "
          f"{'-' if cpu is None else f'{cpu:,.1f}'} CPU µs/req  non-2xx {r['non_2xx']}", file=sys.stderr, flush=True)


def bench_requests(name: str, pid: int, port: int, requests: dict, conns: list[int], duration: float,
                   wrk: str, workdir: str, threads: int = 2) -> dict:
    """Every (operation → (headers, body)) request at every connection count, each after a
    one-second unmeasured warm-up; returns {(operation, connections): run_wrk_lua result}."""
    width = max((len(op) for op in requests), default=8)
    out = {}
    for op, (headers, body) in requests.items():
        lua = os.path.join(workdir, f"{name}-{''.join(ch if ch.isalnum() else '-' for ch in op)}.lua")
        write_lua(lua, headers, body)
        for c in conns:
            run_wrk_lua(wrk, pid, port, lua, c, threads, 1, measure=False)
            r = run_wrk_lua(wrk, pid, port, lua, c, threads, duration)
            out[(op, c)] = r
            progress(name, f"{op:{width}} c={c:<3}", r)
    return out


# --------------------------------------------------------------------------
# orchestration
# --------------------------------------------------------------------------


def bench_server(server: Server, args, wrk: str, workdir: str, res: dict) -> dict:
    """Fills `res` progressively, so partial numbers survive a later failure."""
    starts, rss = [], []
    print(f"[{server.name}] {args.spawns} spawns ...", file=sys.stderr, flush=True)
    for i in range(args.spawns):
        ms = server.spawn_until_healthy(args.start_timeout)
        starts.append(ms)
        time.sleep(1.0)
        rss.append(tree_rss_mib(server.proc.pid))
        print(f"[{server.name}]   spawn {i + 1}: healthy in {ms:.1f} ms, idle RSS "
              f"{rss[-1]:.1f} MiB", file=sys.stderr, flush=True)
        if i != args.spawns - 1:
            server.stop()
    res.update(start_ms_samples=starts, start_ms=statistics.median(starts),
               idle_rss_mib_samples=rss, idle_rss_mib=statistics.median(rss))

    # the last instance stays up for the load test
    ok, detail = preflight_sts(server.port)
    res["preflight"] = detail
    if not ok:
        print(f"[{server.name}] PREFLIGHT FAILED: {detail}", file=sys.stderr)
        server.stop()
        return res
    print(f"[{server.name}] preflight GetCallerIdentity OK", file=sys.stderr, flush=True)

    if args.warmup > 0:
        run_wrk(wrk, server, max(args.connections), args.threads, args.warmup, workdir,
                measure=False)
    res["load"] = {}
    for c in args.connections:
        r = run_wrk(wrk, server, c, args.threads, args.duration, workdir)
        res["load"][str(c)] = r
        print(f"[{server.name}]   c={c}: {r['req_per_s']:.0f} req/s, p50 {r['p50_ms']:.2f} ms, "
              f"p99 {r['p99_ms']:.2f} ms, {fmt(r['server_cpu_us_per_req'], 1)} CPU µs/req, "
              f"non-2xx {r['non_2xx']}", file=sys.stderr, flush=True)
        time.sleep(0.5)
    res["rss_after_load_mib"] = tree_rss_mib(server.proc.pid)
    res["ok"] = True
    server.stop()
    return res


def fmt(v, digits=1) -> str:
    if v is None:
        return "—"
    if isinstance(v, int):
        return f"{v:,}"
    return f"{v:,.{digits}f}"


def render_table(sim: dict | None, moto: dict | None, conns: list[int]) -> str:
    rows = []  # (metric, sim, moto, better: 'lower'|'higher'|None, digits, target_text, target_fn)

    def get(d, *path):
        for p in path:
            if d is None or p not in d:
                return None
            d = d[p]
        return d

    rows.append(("Spawn → healthy, median of spawns (ms)", get(sim, "start_ms"), get(moto, "start_ms"),
                 "lower", 1, f"≤ {TARGET_START_MS:g} ms", lambda s, m: s <= TARGET_START_MS))
    rows.append(("Idle RSS, healthy + 1 s (MiB)", get(sim, "idle_rss_mib"), get(moto, "idle_rss_mib"),
                 "lower", 1, f"≤ {TARGET_RSS_MIB:g} MiB", lambda s, m: s <= TARGET_RSS_MIB))
    for c in conns:
        k = str(c)
        L = lambda d, f: get(d, "load", k, f)
        rows.append((f"c={c}: throughput (req/s)", L(sim, "req_per_s"), L(moto, "req_per_s"),
                     "higher", 0, "", None))
        rows.append((f"c={c}: latency p50 (ms)", L(sim, "p50_ms"), L(moto, "p50_ms"),
                     "lower", 2, "", None))
        rows.append((f"c={c}: latency p99 (ms)", L(sim, "p99_ms"), L(moto, "p99_ms"),
                     "lower", 2, "", None))
        rows.append((f"c={c}: server CPU per request (µs)", L(sim, "server_cpu_us_per_req"),
                     L(moto, "server_cpu_us_per_req"), "lower", 1, "", None))
        rows.append((f"c={c}: requests per server CPU-second", L(sim, "req_per_cpu_s"),
                     L(moto, "req_per_cpu_s"), "higher", 0,
                     f"≥ {TARGET_CPU_EFFICIENCY_X:g}× moto",
                     lambda s, m: m is not None and s >= TARGET_CPU_EFFICIENCY_X * m))
        rows.append((f"c={c}: non-2xx responses", L(sim, "non_2xx"), L(moto, "non_2xx"),
                     None, 0, "0", lambda s, m: s == 0))
    rows.append(("RSS after load (MiB)", get(sim, "rss_after_load_mib"), get(moto, "rss_after_load_mib"),
                 "lower", 1, "", None))

    out = ["| Metric | Simfra | moto_server | ratio | target | met? |",
           "|---|---:|---:|---:|---|:---:|"]
    for name, s, m, better, digits, ttext, tfn in rows:
        ratio = "—"
        if better and s is not None and m is not None:
            num, den = (m, s) if better == "lower" else (s, m)
            if den:
                ratio = f"{num / den:,.1f}×"
        met = ""
        if tfn is not None and s is not None:
            try:
                if "moto" in ttext and m is None:
                    met = "n/a"
                else:
                    met = "✅" if tfn(s, m) else "❌"
            except TypeError:
                met = "n/a"
        out.append(f"| {name} | {fmt(s, digits)} | {fmt(m, digits)} | {ratio} | {ttext} | {met} |")
    out.append("")
    out.append("ratio = how many times better Simfra is (moto ÷ Simfra for lower-is-better rows, "
               "Simfra ÷ moto for higher-is-better rows); > 1× means Simfra wins.")
    return "\n".join(out)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--simfra-bin", default=None,
                    help="Simfra binary (default: <repo>/.build/release/simfra, "
                         "falling back to .build/debug/simfra)")
    ap.add_argument("--skip-moto", action="store_true", help="only benchmark Simfra")
    ap.add_argument("--skip-simfra", action="store_true", help="only benchmark moto_server")
    ap.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run (default 5)")
    ap.add_argument("--connections", default="1,8,32",
                    help="comma-separated wrk connection counts (default 1,8,32)")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads (default 2, capped at c)")
    ap.add_argument("--spawns", type=int, default=5, help="spawns for start-time/RSS (default 5)")
    ap.add_argument("--warmup", type=float, default=1.0,
                    help="seconds of unmeasured wrk warm-up before the runs (default 1, 0 = off)")
    ap.add_argument("--start-timeout", type=float, default=60.0,
                    help="give up if a server is not healthy after this many seconds (default 60)")
    ap.add_argument("--json", metavar="PATH", help="also write raw numbers as JSON to PATH")
    args = ap.parse_args(argv)
    try:
        args.connections = [int(x) for x in args.connections.split(",") if x.strip()]
    except ValueError:
        ap.error("--connections must be a comma-separated list of integers")
    if not args.connections or min(args.connections) < 1:
        ap.error("--connections needs positive integers")
    if args.duration < 1:
        ap.error("--duration must be >= 1 second (wrk's granularity)")
    if args.spawns < 1:
        ap.error("--spawns must be >= 1")
    if args.skip_moto and args.skip_simfra:
        ap.error("nothing to do: both --skip-moto and --skip-simfra given")
    return args


def resolve_simfra_bin(arg: str | None) -> tuple[str, str]:
    if arg:
        path = os.path.abspath(arg)
        if not os.access(path, os.X_OK):
            sys.exit(f"error: --simfra-bin {path} is not an executable file")
        kind = "debug" if "/debug/" in path else ("release" if "/release/" in path else "unknown")
        return path, kind
    rel = os.path.join(REPO, ".build", "release", "simfra")
    dbg = os.path.join(REPO, ".build", "debug", "simfra")
    if os.access(rel, os.X_OK):
        return rel, "release"
    if os.access(dbg, os.X_OK):
        print("WARNING: release build not found, using the DEBUG build "
              f"({dbg}); debug builds are much slower, numbers are not representative. "
              "Build with `swift build -c release`.", file=sys.stderr)
        return dbg, "debug"
    sys.exit(f"error: no Simfra binary at {rel} or {dbg}; build it (`swift build -c release`), "
             "pass --simfra-bin, or use --skip-simfra")


def main(argv=None) -> int:
    args = parse_args(argv)
    if not sys.platform.startswith("linux"):
        sys.exit("error: this benchmark reads /proc and needs Linux")
    wrk = shutil.which("wrk")
    if not wrk:
        sys.exit("error: wrk not found. Install it with: apt-get install -y wrk")
    try:
        import botocore  # noqa: F401
    except ImportError:
        sys.exit("error: botocore not importable. Install it with: pip install botocore")
    if not args.skip_moto:
        try:
            import moto  # noqa: F401
            import flask  # noqa: F401
        except ImportError:
            sys.exit("error: moto server not importable. Install it with: "
                     "pip install 'moto[server]==5.2.1'  (or pass --skip-moto)")

    simfra_bin = kind = None
    if not args.skip_simfra:
        simfra_bin, kind = resolve_simfra_bin(args.simfra_bin)

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    results: dict = {
        "meta": {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "host": platform.node(), "kernel": platform.release(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "clk_tck": CLK_TCK,
            "duration_s": args.duration, "connections": args.connections,
            "threads": args.threads, "spawns": args.spawns, "warmup_s": args.warmup,
            "simfra_bin": simfra_bin, "simfra_build": kind,
        }
    }
    try:
        import moto
        results["meta"]["moto_version"] = moto.__version__
    except ImportError:
        pass
    try:
        results["meta"]["wrk"] = subprocess.run([wrk, "-v"], capture_output=True, text=True,
                                                timeout=5).stdout.strip().splitlines()[0]
    except Exception:
        pass

    exit_code = 0
    workdir = tempfile.mkdtemp(prefix="simfra-bench-")
    try:
        servers = []
        if not args.skip_simfra:
            servers.append(simfra_server(simfra_bin, workdir))
        if not args.skip_moto:
            servers.append(moto_server(workdir))
        for srv in servers:
            r = {"name": srv.name, "ok": False}
            try:
                bench_server(srv, args, wrk, workdir, r)
            except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                print(f"[{srv.name}] FAILED: {e}", file=sys.stderr)
                r["error"] = str(e)
            finally:
                srv.stop()
            if not r.get("ok"):
                exit_code = 1
            results[srv.name] = r
    finally:
        cleanup_all()
        shutil.rmtree(workdir, ignore_errors=True)

    sim, mot = results.get("simfra"), results.get("moto")
    print()
    print(f"## Simfra vs moto_server — foundation benchmark")
    print()
    m = results["meta"]
    print(f"{m['cpus']} CPUs, kernel {m['kernel']}; wrk {args.threads} threads, "
          f"{args.duration:g} s per run; start/RSS = median of {args.spawns} spawns; "
          f"simfra: {simfra_bin or 'skipped'} ({kind or '-'}); "
          f"moto: {m.get('moto_version', 'skipped') if not args.skip_moto else 'skipped'}.")
    if kind == "debug":
        print()
        print("**WARNING: Simfra debug build — not representative.**")
    print()
    print(render_table(sim if sim and "start_ms" in sim else None,
                       mot if mot and "start_ms" in mot else None, args.connections))

    if args.json:
        for r in (sim, mot):
            for run in (r or {}).get("load", {}).values():
                run.pop("wrk_output", None)  # human-readable copy only; numbers are kept
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
        print(f"\nraw numbers written to {args.json}", file=sys.stderr)
    return exit_code


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        cleanup_all()
