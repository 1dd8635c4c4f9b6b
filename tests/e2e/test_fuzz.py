"""The fuzz tier: seeded, bounded hostile input through a running simfra, for every codec
and parser (restXml bodies, headers and query strings; awsJson 1.0/1.1 and restJson1;
awsQuery and ec2Query forms; rpcv2Cbor; DynamoDB expressions, attribute values and
PartiQL), HTTP framing and SigV4 mutations.

Each category gets its own freshly started server (a crash in one cannot hide another) and
asserts: no crash, no hang (per-request timeout), only 2xx / AWS-shaped 4xx (413, 501 and
503 where AWS answers them), every error carrying a request id and the service's own error
body. After a crash the server is restarted and fuzzing goes on, so one run reports every
failing class; the test still fails. At the end the server must stop cleanly (exit 0, no
'Fatal error' on stderr).

Knobs (environment):
    SIMFRA_FUZZ_SEED     seed (default 10; printed)
    SIMFRA_FUZZ_SCALE    multiplies every category's input count (default 1)
    SIMFRA_FUZZ_BUDGET   seconds per category (default 11; the whole tier stays under ~2 min)
    SIMFRA_FUZZ_TIMEOUT  per-request timeout, seconds (default 10)
    SIMFRA_FUZZ_REPORT   write a JSON report (summary + one reproducer per failing class) here
    SIMFRA_FUZZ_MAX_RSS_MIB  the server's RSS after a category must stay below this (default 256)
    SIMFRA_FUZZ_ONLY     comma-separated input numbers (the #N of a reproducer): send only those,
                         e.g. SIMFRA_FUZZ_ONLY=17 pytest tests/e2e/test_fuzz.py -k s3_xml

Run one category:  python3 -m pytest tests/e2e/test_fuzz.py -k s3_xml -q -p no:cacheprovider
"""

from __future__ import annotations

import json
import os
import random
import re

import pytest

from conftest import SimfraServer, SimfraStartError
from fuzzgen import dynamodb, events, framing, iam, json_codecs, kms, logs, query, rpc_cbor, s3, sigv4
from fuzzgen.engine import Ctx, Runner, failure_report, summary_table

SEED = int(os.environ.get("SIMFRA_FUZZ_SEED", "10"))
SCALE = float(os.environ.get("SIMFRA_FUZZ_SCALE", "1"))
BUDGET = float(os.environ.get("SIMFRA_FUZZ_BUDGET", "11"))
# Resident memory a server may hold after a category: idle is ~30 MiB and a 20 MiB body is
# buffered a few times over; hundreds of MiB means an input is amplified.
MAX_RSS_MIB = float(os.environ.get("SIMFRA_FUZZ_MAX_RSS_MIB", "256"))
ONLY = {int(x) for x in os.environ.get("SIMFRA_FUZZ_ONLY", "").split(",") if x.strip()} or None

# category -> (generator, inputs at scale 1)
CATEGORIES = {
    "s3_xml": (s3.gen_xml, 700),
    "s3_headers": (s3.gen_headers, 400),
    "json": (json_codecs.gen_json, 700),
    "ddb_expr": (dynamodb.gen_expressions, 700),
    "partiql": (dynamodb.gen_partiql, 400),
    "query": (query.gen_query, 500),
    "cbor": (rpc_cbor.gen_cbor, 500),
    "framing": (framing.gen_framing, 400),
    "aws_chunked": (framing.gen_aws_chunked, 250),
    "sigv4": (sigv4.gen_sigv4, 450),
    "policies": (iam.gen_policies, 500),
    "kms": (kms.gen_kms, 300),
    "events": (events.gen_events, 300),
    "logs": (logs.gen_logs, 400),
}

FATAL_RE = re.compile(r"Fatal error|Illegal instruction|Segmentation fault|SIGILL|SIGSEGV|SIGABRT|"
                      r"Current stack trace|Abort", re.I)

_results: list = []


@pytest.fixture(scope="module")
def fuzz_summary(request):
    """Prints the summary table (inputs per category, outcome counts) when the module ends."""
    yield _results
    if not _results:
        return
    table = summary_table([r for r in _results], SEED)
    tr = request.config.pluginmanager.get_plugin("terminalreporter")
    capman = request.config.pluginmanager.get_plugin("capturemanager")
    if tr is not None and capman is not None:
        # Module teardown runs under capture: print past it, or a passing run shows nothing.
        with capman.global_and_fixture_disabled():
            tr.write_line("")
            for line in table.splitlines():
                tr.write_line(line)
    report = os.environ.get("SIMFRA_FUZZ_REPORT")
    if report:
        doc = {"seed": SEED, "table": table, "categories": []}
        for st in _results:
            doc["categories"].append({
                "category": st.category, "inputs": st.inputs, "outcomes": dict(st.outcomes),
                "codes": dict(st.codes.most_common(40)), "restarts": st.crashes, "seconds": round(st.seconds, 1),
                "slowest": [[round(t, 3), d] for t, d in st.slowest],
                "failures": [{"kind": k[0], "class": k[1], "count": n, "detail": f.detail[:500],
                              "reproducer": f.case.reproducer(400)}
                             for k, (f, n) in st.distinct_failures().items()]})
        with open(report, "w") as fh:
            json.dump(doc, fh, indent=1)


def _crash_excerpt(text: str, hit) -> str:
    """The crash line and the crashing thread's first frames, not the whole backtrace."""
    lines = text.splitlines()
    for pat in (r"Fatal error", r"^Thread .* crashed:", r"crashed"):
        for i, line in enumerate(lines):
            if re.search(pat, line):
                head = next((x for x in lines if "Program crashed" in x), "")
                return "\n".join(([head] if head and head != line else []) + lines[i:i + 4])
    return text[max(0, hit.start() - 200):hit.start() + 400]


@pytest.mark.parametrize("category", list(CATEGORIES))
def test_fuzz(category, simfra_bin, fuzz_summary, request):
    gen, count = CATEGORIES[category]
    started: list[SimfraServer] = []

    def start() -> SimfraServer:
        # Swift's backtracer takes ~1 s per crash; keep it for the first server only (its
        # trace names the crashing frame), so restarts after crashes stay cheap.
        env = None if not started or os.environ.get("SIMFRA_FUZZ_BACKTRACE") else {"SWIFT_BACKTRACE": "enable=no"}
        try:
            s = SimfraServer.start(binary=simfra_bin, env=env)
        except SimfraStartError as e:
            pytest.fail(f"could not start simfra: {e}", pytrace=False)
        started.append(s)
        return s

    tr = request.config.pluginmanager.get_plugin("terminalreporter")
    log = (lambda s: tr.write_line(s)) if tr is not None and request.config.option.verbose > 0 else (lambda s: None)
    ctx = Ctx(start())
    ctx.setup()
    # One stream of randomness per category, derived from the seed, so -k runs reproduce.
    rng = random.Random(f"{SEED}:{category}")
    runner = Runner(ctx, start, category, max_cases=max(1, int(count * SCALE)), budget_s=BUDGET, log=log,
                    only=ONLY)
    try:
        stats = runner.run(gen(rng, ctx))
    finally:
        exit_codes = []
        stderr_hits = []
        for s in started:
            try:
                code = s.stop() if s.alive else s.proc.returncode
            except TimeoutError:
                code = "hung on SIGTERM"
            exit_codes.append(code)
            text = s.stderr_text()
            hit = FATAL_RE.search(text)
            if hit:
                stderr_hits.append(_crash_excerpt(text, hit))
            if code == 0 and not hit:
                s.cleanup()
    _results.append(stats)
    problems = []
    if stats.failures:
        problems.append(failure_report(stats))
    if stats.rss_mib > MAX_RSS_MIB:
        problems.append(f"server RSS after the category: {stats.rss_mib:.0f} MiB (limit {MAX_RSS_MIB:.0f}); "
                        f"slowest inputs: {stats.slowest}")
    # The last server must stop cleanly; earlier ones are the crashes already counted.
    if exit_codes and exit_codes[-1] != 0:
        problems.append(f"final server exited with {exit_codes[-1]} on SIGTERM")
    if stderr_hits:
        problems.append("fatal output on stderr:\n" + "\n---\n".join(h[:1000] for h in stderr_hits[:3]))
    if problems:
        pytest.fail(f"seed {SEED}, category {category}, {stats.inputs} inputs, outcomes {dict(stats.outcomes)}\n"
                    + "\n".join(problems), pytrace=False)
