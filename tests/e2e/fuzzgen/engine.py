"""The fuzz runner: signs cases with real keys, sends them over raw sockets to a running
simfra, and classifies every answer.

Outcomes (``Stats.outcomes``):
  ok:2xx / ok:4xx / ok:413 / ok:501 / ok:503 / ok:closed  -- acceptable answers
  note:lenient    a 2xx where AWS (we believe) refuses: reported, not failed
  FAIL:crash      the process died (the in-flight request is the reproducer)
  FAIL:hang       no answer within the per-request timeout
  FAIL:5xx        a 5xx other than 501 NotImplemented / 503 ServiceUnavailable
  FAIL:shape      a non-2xx answer without a request id or without the service's error body
  FAIL:noanswer   the connection closed without a response where one is owed
  FAIL:accepted   a 2xx for an input that must be refused (e.g. a wrong signature)
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
import urllib.parse
import xml.etree.ElementTree as ET
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Optional

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import conftest
from conftest import ACCESS_KEY, REGION, SECRET_KEY, read_http_response

EMPTY_SHA = hashlib.sha256(b"").hexdigest()
REQUEST_TIMEOUT = float(os.environ.get("SIMFRA_FUZZ_TIMEOUT", "10"))


# --------------------------------------------------------------------------------------
# Signing
# --------------------------------------------------------------------------------------

class _RawPathAuth(SigV4Auth):
    """SigV4 with the path used as sent (S3 style: no normalisation, no double encoding).
    The payload hash is whatever ``X-Amz-Content-SHA256`` says when that header is set."""

    def _normalize_url_path(self, path):
        return path


def sign(method: str, netloc: str, target: str, service: str, body: bytes = b"",
         headers: Optional[dict] = None, region: str = REGION, s3: bool = False,
         content_sha: Optional[str] = None, token: Optional[str] = None,
         key: str = ACCESS_KEY, secret: str = SECRET_KEY) -> dict:
    """Headers (the given ones + Host, X-Amz-Date, Authorization, ...) signed with botocore.
    S3 requests always carry ``X-Amz-Content-SHA256`` (the body's hash unless given)."""
    hdrs = dict(headers or {})
    hdrs.setdefault("Host", netloc)
    if s3 and content_sha is None:
        content_sha = hashlib.sha256(body).hexdigest()
    if content_sha is not None:
        hdrs["X-Amz-Content-SHA256"] = content_sha
    req = AWSRequest(method=method, url=f"http://{netloc}{target}", data=body, headers=hdrs)
    auth = (_RawPathAuth if s3 else SigV4Auth)(Credentials(key, secret, token), service, region)
    auth.add_auth(req)
    return dict(req.headers.items())


def _b(v) -> bytes:
    return v if isinstance(v, (bytes, bytearray)) else str(v).encode("utf-8")


def serialize(method, target, headers, body: bytes = b"", version: bytes = b"HTTP/1.1",
              content_length: bool = True) -> bytes:
    """HTTP/1.1 request bytes; ``headers`` is a dict or list of pairs (str or bytes).
    Content-Length is added for a body (or POST/PUT) unless present or disabled."""
    items = list(headers.items()) if isinstance(headers, dict) else list(headers)
    names = {(_b(k).lower()) for k, _ in items}
    if content_length and (body or _b(method) in (b"POST", b"PUT")) \
            and b"content-length" not in names and b"transfer-encoding" not in names:
        items.append(("Content-Length", str(len(body))))
    # Host first, as clients send it.
    items.sort(key=lambda kv: 0 if _b(kv[0]).lower() == b"host" else 1)
    out = [_b(method), b" ", _b(target), b" ", version, b"\r\n"]
    for k, v in items:
        out += [_b(k), b": ", _b(v), b"\r\n"]
    out.append(b"\r\n")
    return b"".join(out) + body


# --------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------

@dataclass
class Case:
    """One fuzz input. ``raw`` is the exact bytes sent on a fresh connection.

    expect      error-body family owed: s3 | query | json | restjson | cbor | any
    name        the strategy (groups failures into classes)
    desc        how it was made, short enough for an assertion message
    half_close  shut our write side after sending (truncated bodies must not hang)
    may_close   closing without a response is acceptable (after half_close only)
    responses   how many responses are owed (pipelining)
    must_fail   a 2xx is a failure (wrong signature, ...)
    should_fail a 2xx is counted as note:lenient (AWS refuses it, we think; not failed)
    head        HEAD request: error responses carry no body
    """
    raw: bytes
    expect: str
    name: str
    desc: str = ""
    half_close: bool = False
    may_close: bool = False
    responses: int = 1
    must_fail: bool = False
    should_fail: bool = False
    head: bool = False
    timeout: float = REQUEST_TIMEOUT
    index: int = -1  # position in the category's deterministic stream (SIMFRA_FUZZ_ONLY replays it)

    def reproducer(self, limit: int = 600) -> str:
        head, sep, body = self.raw.partition(b"\r\n\r\n")
        h = head[:limit]
        hs = repr(h) + (f" ...(+{len(head) - limit} bytes of head)" if len(head) > limit else "")
        b = repr(body[:limit]) + (f" ...(+{len(body) - limit} bytes, {len(body)} total)"
                                 if len(body) > limit else "")
        extra = " half-close" if self.half_close else ""
        return f"#{self.index} [{self.name}] {self.desc}{extra}\n    head={hs}\n    body={b}"


class Ctx:
    """The server under test plus fixtures the generators need (bucket, table, queue...)."""

    BUCKET = "fuzz-bucket"
    OBJECT = "obj"
    MPU_KEY = "mpu-key"
    TABLE = "fuzz"
    QUEUE = "fuzz-queue"
    LOG_GROUP = "fuzz-group"
    LOG_STREAM = "fuzz-stream"
    KMS_ALIAS = "alias/fuzz-key"

    def __init__(self, server):
        self.server = server
        self.upload_id = ""
        self.queue_url = ""
        self.counter = 0

    @property
    def netloc(self) -> str:
        return f"{self.server.host}:{self.server.port}"

    def unique(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def send(self, raw: bytes, head: bool = False):
        """One request on a fresh connection; the parsed response."""
        with socket.create_connection((self.server.host, self.server.port), timeout=REQUEST_TIMEOUT) as sock:
            sock.sendall(raw)
            return read_http_response(sock.makefile("rb"), head_request=head)

    def _must(self, raw: bytes, what: str):
        r = self.send(raw)
        if r.status >= 300:
            raise RuntimeError(f"fuzz setup: {what} answered {r.status}: {r.body[:300]!r}")
        return r

    def setup(self) -> None:
        """Create what the generators refer to, on every (re)start. Raw signed requests, not
        boto3: a restart after a crash must cost milliseconds, not half a second."""
        b = self.BUCKET
        self._must(self.s3("PUT", f"/{b}"), "CreateBucket")
        self._must(self.s3("PUT", f"/{b}/{self.OBJECT}", b"hello"), "PutObject")
        r = self._must(self.s3("POST", f"/{b}/{self.MPU_KEY}?uploads"), "CreateMultipartUpload")
        self.upload_id = ET.fromstring(r.body).find("{*}UploadId").text
        self._must(self.s3("PUT", f"/{b}/{self.MPU_KEY}?partNumber=1&uploadId={self.upload_id}", b"x" * 16),
                   "UploadPart")
        ddb = lambda op, doc: self._must(self.json10("DynamoDB_20120810", op, json.dumps(doc).encode(),
                                                     "dynamodb"), op)
        ddb("CreateTable", {"TableName": self.TABLE, "BillingMode": "PAY_PER_REQUEST",
                            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                                     {"AttributeName": "sk", "AttributeType": "N"}],
                            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                          {"AttributeName": "sk", "KeyType": "RANGE"}]})
        ddb("PutItem", {"TableName": self.TABLE, "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "n": {"N": "5"},
                                                          "l": {"L": [{"S": "x"}]}, "m": {"M": {"k": {"S": "v"}}}}})
        r = self._must(self.json10("AmazonSQS", "CreateQueue", json.dumps({"QueueName": self.QUEUE}).encode(),
                                   "sqs"), "CreateQueue")
        self.queue_url = json.loads(r.body)["QueueUrl"]
        # S3 may send to it, so a notification configuration naming it passes S3's destination test.
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                                                          "Action": "sqs:SendMessage", "Resource": "*"}]}
        self._must(self.json10("AmazonSQS", "SetQueueAttributes", json.dumps(
            {"QueueUrl": self.queue_url, "Attributes": {"Policy": json.dumps(policy)}}).encode(), "sqs"),
            "SetQueueAttributes")
        # A customer key behind a fixed alias, so KMS inputs reach its crypto, not NotFound.
        kms = lambda op, doc: self._must(self.json10("TrentService", op, json.dumps(doc).encode(), "kms",
                                                     ct="application/x-amz-json-1.1"), op)
        key = json.loads(kms("CreateKey", {"Description": "fuzz"}).body)["KeyMetadata"]["KeyId"]
        kms("CreateAlias", {"AliasName": self.KMS_ALIAS, "TargetKeyId": key})
        # A log group and stream, so PutLogEvents inputs reach the event rules, not NotFound.
        logs = lambda op, doc: self._must(self.json10("Logs_20140328", op, json.dumps(doc).encode(), "logs",
                                                      ct="application/x-amz-json-1.1"), op)
        logs("CreateLogGroup", {"logGroupName": self.LOG_GROUP})
        logs("CreateLogStream", {"logGroupName": self.LOG_GROUP, "logStreamName": self.LOG_STREAM})
        r = self._must(self.form("sns", b"Action=CreateTopic&Version=2010-03-31&Name=fuzz-topic"), "CreateTopic")
        self.topic_arn = ET.fromstring(r.body).find(".//{*}TopicArn").text
        # Policies are fuzzed on an open bucket (new ones block public policies) and a user.
        self._must(self.s3("DELETE", f"/{b}?publicAccessBlock"), "DeletePublicAccessBlock")
        r = self.send(self.form("iam", b"Action=CreateUser&Version=2010-05-08&UserName=fuzz-user"))
        if r.status >= 300 and r.status != 501:
            raise RuntimeError(f"fuzz setup: CreateUser answered {r.status}: {r.body[:300]!r}")

    # ---- request builders -----------------------------------------------------------

    def s3(self, method: str, target: str, body: bytes = b"", headers: Optional[dict] = None,
           **kw) -> bytes:
        h = sign(method, self.netloc, target, "s3", body, headers, s3=True, **kw)
        return serialize(method, target, h, body)

    def json10(self, target_prefix: str, op: str, body: bytes, service: str,
               ct: str = "application/x-amz-json-1.0") -> bytes:
        h = sign("POST", self.netloc, "/", service, body,
                 {"X-Amz-Target": f"{target_prefix}.{op}", "Content-Type": ct})
        return serialize("POST", "/", h, body)

    def form(self, service: str, body: bytes, ct: str = "application/x-www-form-urlencoded; charset=utf-8",
             target: str = "/") -> bytes:
        h = sign("POST", self.netloc, target, service, body, {"Content-Type": ct})
        return serialize("POST", target, h, body)


# --------------------------------------------------------------------------------------
# Response checks
# --------------------------------------------------------------------------------------

def _xml_root(body: bytes) -> Optional[ET.Element]:
    try:
        return ET.fromstring(body)
    except ET.ParseError:
        return None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml_code(body: bytes, family: str) -> Optional[str]:
    root = _xml_root(body)
    if root is None:
        return None
    name = _local(root.tag)
    if family in ("s3", "any") and name == "Error":
        for c in root:
            if _local(c.tag) == "Code" and (c.text or "").strip():
                return c.text
    if family in ("query", "any") and name in ("ErrorResponse", "Response"):
        for el in root.iter():
            if _local(el.tag) == "Code" and (el.text or "").strip():
                return el.text
    return None


def _json_code(body: bytes) -> Optional[str]:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(doc, dict):
        return None
    for k in ("__type", "code", "Code"):
        if isinstance(doc.get(k), str) and doc[k]:
            return doc[k]
    return None


def _cbor_code(body: bytes) -> Optional[str]:
    from .cbor import decode
    try:
        doc = decode(body)
    except Exception:
        return None
    if isinstance(doc, dict) and isinstance(doc.get("__type"), str):
        return doc["__type"]
    return None


def error_code_of(resp, family: str, head: bool) -> Optional[str]:
    """The AWS error code if ``resp`` is a well-formed AWS error in ``family``, else None."""
    hdr = resp.header("x-amzn-ErrorType")
    body = resp.body or b""
    if head and not body:
        return hdr or f"HEAD-{resp.status}"
    if family == "s3":
        return _xml_code(body, "s3")
    if family == "query":
        return _xml_code(body, "query")
    if family == "json":
        return _json_code(body)
    if family == "restjson":
        return hdr if (hdr and (not body or _json_code(body) is not None or body.strip().startswith(b"{"))) \
            else _json_code(body)
    if family == "cbor":
        return _cbor_code(body)
    # any
    return (_xml_code(body, "any") or _json_code(body) or _cbor_code(body)
            or (hdr if body.strip().startswith(b"{") else None))


def request_id_of(resp) -> Optional[str]:
    return resp.header("x-amzn-RequestId") or resp.header("x-amz-request-id")


# --------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------

@dataclass
class Failure:
    kind: str
    case: Case
    detail: str

    def klass(self) -> tuple:
        return (self.kind, self.case.name)


@dataclass
class Stats:
    category: str
    inputs: int = 0
    outcomes: Counter = field(default_factory=Counter)
    failures: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    crashes: int = 0
    seconds: float = 0.0
    codes: Counter = field(default_factory=Counter)
    slowest: list = field(default_factory=list)  # (seconds, reproducer) of the 5 slowest inputs
    rss_mib: float = 0.0  # the last server's resident memory when the category ended

    def __repr__(self) -> str:
        return f"<Stats {self.category}: {self.inputs} inputs, {dict(self.outcomes)}>"

    def distinct_failures(self) -> "OrderedDict[tuple, tuple[Failure, int]]":
        out: OrderedDict = OrderedDict()
        for f in self.failures:
            k = f.klass()
            if k in out:
                out[k] = (out[k][0], out[k][1] + 1)
            else:
                out[k] = (f, 1)
        return out


class Runner:
    """Sends the cases of one category to ``ctx.server``, restarting the server after a
    crash so one crash does not hide the rest. ``restart()`` must return a new started server."""

    HEALTH_EVERY = 25

    def __init__(self, ctx: Ctx, restart: Callable[[], object], category: str,
                 max_cases: int, budget_s: float, log: Callable[[str], None] = lambda s: None,
                 only: Optional[set] = None):
        self.only = only
        self.ctx = ctx
        self.restart = restart
        self.stats = Stats(category)
        self.max_cases = max_cases
        self.budget_s = budget_s
        self.log = log

    # ---- one exchange ------------------------------------------------------------------

    def _exchange(self, case: Case) -> tuple[str, str, Optional[object]]:
        """(outcome, detail, last response) for one case."""
        srv = self.ctx.server
        # A debug build parses a few MB per second: big inputs get time in proportion, so
        # "hang" means no progress, not a slow build.
        timeout = case.timeout + len(case.raw) / 2e6
        try:
            sock = socket.create_connection((srv.host, srv.port), timeout=timeout)
        except OSError as e:
            return self._dead_or("FAIL:noanswer", f"connect failed: {e!r}")
        sock.settimeout(timeout)
        rfile = sock.makefile("rb")
        resp = None
        try:
            try:
                sock.sendall(case.raw)
                if case.half_close:
                    sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the server may answer early (413) and close; read what it said
            for i in range(case.responses):
                try:
                    resp = read_http_response(rfile, head_request=case.head)
                except socket.timeout:
                    return self._dead_or("FAIL:hang", f"no response {i + 1} within {timeout:.1f}s")
                except (ConnectionError, OSError, ValueError) as e:
                    if case.may_close and i == case.responses - 1:
                        return self._dead_or("ok:closed", f"closed: {e!r}")
                    return self._dead_or("FAIL:noanswer", f"response {i + 1}: {e!r}")
                outcome, detail = self._judge(case, resp)
                if not outcome.startswith("ok"):
                    return outcome, detail, resp
                if (resp.header("Connection") or "").lower() == "close":
                    break  # the server said so: later pipelined requests are not owed an answer
            return outcome, detail, resp
        finally:
            try:
                rfile.close()
                sock.close()
            except OSError:
                pass

    def _dead_or(self, outcome: str, detail: str):
        srv = self.ctx.server
        if not srv.alive:
            return "FAIL:crash", f"{detail}; simfra exited with {srv.proc.returncode}", None
        if outcome in ("FAIL:noanswer", "FAIL:hang", "ok:closed"):
            # A crash can take a moment to show; look again before blaming the connection.
            for _ in range(10):
                if not srv.alive:
                    return "FAIL:crash", f"{detail}; simfra exited with {srv.proc.returncode}", None
                time.sleep(0.02)
        return outcome, detail, None

    def _judge(self, case: Case, resp) -> tuple[str, str]:
        st = resp.status
        if 200 <= st < 300:
            if case.must_fail:
                return "FAIL:accepted", f"HTTP {st} for an input that must be refused"
            if case.should_fail:
                return "note:lenient", f"HTTP {st} for an input AWS refuses"
            return "ok:2xx", ""
        if st == 304 and case.head or st == 304 and b"If-" in case.raw[:4096]:
            return "ok:2xx", ""
        code = error_code_of(resp, case.expect, case.head)
        rid = request_id_of(resp)
        self.stats.codes[f"{st} {code}"] += 1
        if st >= 500 and st not in (501, 503):
            return "FAIL:5xx", f"HTTP {st} code={code} body={resp.body[:300]!r}"
        if not rid or not code:
            return "FAIL:shape", (f"HTTP {st} request-id={rid!r} {case.expect}-code={code!r} "
                                  f"headers={resp.headers!r} body={resp.body[:300]!r}")
        if st == 503 and code not in ("ServiceUnavailable", "SlowDown"):
            return "FAIL:5xx", f"HTTP 503 code={code}"
        if st in (413, 501, 503):
            return f"ok:{st}", ""
        if 400 <= st < 500:
            return "ok:4xx", ""
        return "FAIL:shape", f"HTTP {st} unexpected status code={code}"

    # ---- health --------------------------------------------------------------------------

    def _healthy(self) -> bool:
        srv = self.ctx.server
        if not srv.alive:
            return False
        try:
            with socket.create_connection((srv.host, srv.port), timeout=5) as s:
                s.settimeout(5)
                s.sendall(b"GET /_simfra/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                r = read_http_response(s.makefile("rb"))
                return r.status == 200
        except (OSError, ValueError, ConnectionError):
            return False

    def _recover(self, why: str) -> None:
        self.stats.crashes += 1
        srv = self.ctx.server
        tail = srv.stderr_tail(8) if hasattr(srv, "stderr_tail") else ""
        self.log(f"  {self.stats.category}: server down ({why}); restarting\n{tail}")
        if srv.alive:
            srv.kill()
        self.ctx.server = self.restart()
        self.ctx.setup()

    # ---- the loop ------------------------------------------------------------------------

    def run(self, cases: Iterable[Case]) -> Stats:
        start = time.monotonic()
        it: Iterator[Case] = iter(cases)
        since_check = 0
        index = -1
        while time.monotonic() - start < self.budget_s:
            index += 1
            if self.only is not None:
                if index > max(self.only):
                    break
            elif index >= self.max_cases:
                break
            try:
                case = next(it)
            except StopIteration:
                break
            case.index = index
            if self.only is not None and index not in self.only:
                continue
            self.stats.inputs += 1
            t0 = time.monotonic()
            outcome, detail, _ = self._exchange(case)
            took = time.monotonic() - t0
            if len(self.stats.slowest) < 5 or took > self.stats.slowest[-1][0]:
                self.stats.slowest = sorted(self.stats.slowest + [(took, f"{case.name}: {case.desc[:160]}")],
                                            reverse=True)[:5]
            self.stats.outcomes[outcome] += 1
            if outcome.startswith("FAIL"):
                self.stats.failures.append(Failure(outcome, case, detail))
            elif outcome.startswith("note"):
                self.stats.notes.append(Failure(outcome, case, detail))
            since_check += 1
            if outcome == "FAIL:crash":
                self._recover(detail)
                since_check = 0
            elif outcome == "FAIL:hang" or since_check >= self.HEALTH_EVERY:
                since_check = 0
                if not self._healthy():
                    # Blame the cases since the last check: the crash lies among them.
                    f = Failure("FAIL:crash", case, "server unhealthy at batch check (last case shown)")
                    self.stats.failures.append(f)
                    self.stats.outcomes["FAIL:crash"] += 1
                    self._recover("batch health check failed")
        self.stats.seconds = time.monotonic() - start
        self.stats.rss_mib = rss_mib(self.ctx.server)
        return self.stats


def rss_mib(server) -> float:
    try:
        with open(f"/proc/{server.proc.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, AttributeError, ValueError):
        pass
    return 0.0


def summary_table(all_stats: list[Stats], seed: int) -> str:
    cols = ["ok:2xx", "ok:4xx", "ok:413", "ok:501", "ok:503", "ok:closed", "note:lenient",
            "FAIL:crash", "FAIL:hang", "FAIL:5xx", "FAIL:shape", "FAIL:noanswer", "FAIL:accepted"]
    head = "| category | inputs | " + " | ".join(c.split(":")[1] for c in cols) + " | seconds | RSS after |"
    lines = [f"fuzz tier, seed {seed}", head, "|" + "---|" * (len(cols) + 4)]
    tot = Counter()
    n = 0
    secs = 0.0
    for s in all_stats:
        lines.append(f"| {s.category} | {s.inputs} | "
                     + " | ".join(str(s.outcomes.get(c, 0)) for c in cols)
                     + f" | {s.seconds:.1f} | {s.rss_mib:.0f} MiB |")
        tot.update(s.outcomes)
        n += s.inputs
        secs += s.seconds
    lines.append(f"| **total** | {n} | " + " | ".join(str(tot.get(c, 0)) for c in cols)
                 + f" | {secs:.1f} | |")
    return "\n".join(lines)


def failure_report(stats: Stats, limit: int = 25) -> str:
    d = stats.distinct_failures()
    out = [f"{stats.category}: {sum(n for _, n in d.values())} failing inputs in {len(d)} classes "
           f"(server restarts after crashes: {stats.crashes})"]
    for i, ((kind, name), (f, n)) in enumerate(d.items()):
        if i >= limit:
            out.append(f"  ... {len(d) - limit} more classes")
            break
        out.append(f"- {kind} x{n}: {f.detail[:400]}\n  {f.case.reproducer(300)}")
    return "\n".join(out)


def quote_bytes(b: bytes, safe: str = "") -> str:
    return urllib.parse.quote_from_bytes(b, safe=safe)
