"""Shared fixtures and helpers for Simfra's end-to-end tests.

The suite drives the built ``simfra`` binary over HTTP with boto3, the AWS CLI and raw
sockets. Nothing here imports Simfra code: the server is a black box on a TCP port.

Binary lookup order: ``$SIMFRA_BIN``, ``<repo>/.build/debug/simfra``,
``<repo>/.build/release/simfra``. If none exists every test errors with a clear message
(nothing is skipped).

Fixtures
    simfra_bin      path of the binary (session)
    server          one shared ``SimfraServer`` for the whole session
    server_factory  ``server_factory(data_dir=None, env=None)`` -> a fresh started server,
                    stopped at the end of the test (restart on the same data_dir to test
                    persistence)
    client          ``client(service, **kw)`` -> boto3 client bound to ``server``
    aws_cli         ``aws_cli(*args)`` -> ``CliResult`` run against ``server``

Module helpers (import with ``from conftest import ...``)
    make_client, run_aws_cli, sign_headers, signed_request, RawHTTP, read_http_response,
    error_code, form_body
"""

from __future__ import annotations

import gzip  # noqa: F401  (re-exported convenience for tests)
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

import boto3
import botocore
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

# --------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------

REPO_ROOT = Path(__file__).resolve().parents[2]
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
ACCOUNT_ID = "000000000000"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT_ID}:root"

START_TIMEOUT = 10.0  # seconds to wait for the start line and for /_simfra/health
STOP_TIMEOUT = 10.0
START_LINE_RE = re.compile(r"listening on http://([^:]+):(\d+)")

# Keep the test process hermetic: never read the developer's ~/.aws or IMDS.
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
for _var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
             "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
             "AWS_REGION", "AWS_CA_BUNDLE", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
    os.environ.pop(_var, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,.localhost"


# --------------------------------------------------------------------------------------
# Locating the binary
# --------------------------------------------------------------------------------------

def find_simfra_bin() -> Path:
    """Return the simfra binary or raise a clear error (tests must not silently skip)."""
    candidates = []
    env_bin = os.environ.get("SIMFRA_BIN")
    if env_bin:
        candidates.append(Path(env_bin))
    else:
        candidates += [REPO_ROOT / ".build" / "debug" / "simfra",
                       REPO_ROOT / ".build" / "release" / "simfra"]
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    raise RuntimeError(
        "simfra binary not found; looked at: " + ", ".join(str(c) for c in candidates)
        + ". Build it with `swift build` or point SIMFRA_BIN at it.")


# --------------------------------------------------------------------------------------
# Server process
# --------------------------------------------------------------------------------------

class SimfraStartError(RuntimeError):
    pass


def _server_env(port: Any = 0, data_dir: Optional[os.PathLike | str] = None,
                env: Optional[Mapping[str, str]] = None) -> dict:
    """Environment for a server process: inherited env minus any SIMFRA_* (hermetic), plus
    SIMFRA_PORT, SIMFRA_DATA_DIR (when data_dir is given) and the caller's extras."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("SIMFRA_")}
    e["SIMFRA_PORT"] = str(port)
    if data_dir is not None:
        e["SIMFRA_DATA_DIR"] = str(data_dir)
    if env:
        e.update({k: str(v) for k, v in env.items()})
    return e


class SimfraServer:
    """One simfra process. Use ``SimfraServer.start(...)`` to get a started, healthy server.

    Attributes: ``url`` (``http://127.0.0.1:<port>``), ``host``, ``port``, ``proc``
    (``subprocess.Popen``), ``start_line`` (the exact stdout line), ``data_dir``,
    ``stderr_path`` (temp file holding the process's stderr).
    """

    def __init__(self, binary: Optional[os.PathLike | str] = None,
                 data_dir: Optional[os.PathLike | str] = None,
                 env: Optional[Mapping[str, str]] = None):
        self.binary = Path(binary) if binary else find_simfra_bin()
        self.data_dir = data_dir
        self.extra_env = dict(env or {})
        self.proc: Optional[subprocess.Popen] = None
        self.host: Optional[str] = None
        self.port: Optional[int] = None
        self.start_line: Optional[str] = None
        self.stdout_lines: list[str] = []
        self._stderr_file = tempfile.NamedTemporaryFile(
            prefix="simfra-stderr-", suffix=".log", delete=False)
        self.stderr_path = self._stderr_file.name
        self._stdout_thread: Optional[threading.Thread] = None

    # ---- lifecycle -------------------------------------------------------------------

    @classmethod
    def start(cls, data_dir: Optional[os.PathLike | str] = None,
              env: Optional[Mapping[str, str]] = None,
              binary: Optional[os.PathLike | str] = None) -> "SimfraServer":
        """Start a server (SIMFRA_PORT=0), wait for its start line and a healthy
        ``/_simfra/health``; return it. Raises ``SimfraStartError`` with stderr on failure."""
        s = cls(binary=binary, data_dir=data_dir, env=env)
        s._launch()
        return s

    def _launch(self) -> None:
        self.proc = subprocess.Popen(
            [str(self.binary)],
            env=_server_env(0, self.data_dir, self.extra_env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr_file,
            cwd=tempfile.gettempdir(),
            start_new_session=True,  # a Ctrl-C on pytest must not reach the server first
        )
        try:
            self._wait_start_line()
            self._wait_healthy()
        except BaseException:
            self.kill()
            raise
        # Keep draining stdout so a chatty server never blocks on a full pipe.
        self._stdout_thread = threading.Thread(target=self._drain_stdout, daemon=True)
        self._stdout_thread.start()

    def _wait_start_line(self) -> None:
        assert self.proc and self.proc.stdout
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + START_TIMEOUT
        buf = b""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SimfraStartError(
                    f"no start line within {START_TIMEOUT}s; stdout so far: {buf!r}\n"
                    + self.stderr_tail())
            ready, _, _ = select.select([fd], [], [], min(remaining, 0.2))
            if not ready:
                if self.proc.poll() is not None:
                    raise SimfraStartError(
                        f"simfra exited with code {self.proc.returncode} before its start "
                        f"line; stdout: {buf!r}\n" + self.stderr_tail())
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                self.proc.wait(timeout=2)
                raise SimfraStartError(
                    f"simfra closed stdout (exit code {self.proc.returncode}) before its "
                    f"start line; stdout: {buf!r}\n" + self.stderr_tail())
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                text = line.decode("utf-8", "replace").rstrip("\r")
                self.stdout_lines.append(text)
                m = START_LINE_RE.search(text)
                if m:
                    self.start_line = text
                    self.host = m.group(1)
                    self.port = int(m.group(2))
                    if buf:
                        self.stdout_lines.append(buf.decode("utf-8", "replace"))
                    return

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        last: Any = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SimfraStartError(
                    f"simfra exited with code {self.proc.returncode} while waiting for "
                    f"health\n" + self.stderr_tail())
            try:
                r = requests.get(self.url + "/_simfra/health", timeout=1)
                if r.status_code == 200:
                    return
                last = f"HTTP {r.status_code}: {r.text[:500]}"
            except requests.RequestException as e:
                last = repr(e)
            time.sleep(0.05)
        raise SimfraStartError(
            f"/_simfra/health not 200 within {START_TIMEOUT}s (last: {last})\n"
            + self.stderr_tail())

    def _drain_stdout(self) -> None:
        try:
            for line in self.proc.stdout:
                self.stdout_lines.append(line.decode("utf-8", "replace").rstrip("\r\n"))
        except (ValueError, OSError):
            pass

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Send ``sig`` and wait up to ``timeout`` seconds; return the exit code.
        If the process does not exit in time it is SIGKILLed and ``TimeoutError`` raised."""
        if self.proc is None:
            raise RuntimeError("server was never started")
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise TimeoutError(
                    f"simfra (pid {self.proc.pid}) did not exit within {timeout}s of signal "
                    f"{sig}\n" + self.stderr_tail())
        self._close_pipes()
        return self.proc.returncode

    def kill(self) -> Optional[int]:
        """SIGKILL the process (no graceful shutdown) and reap it."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        self._close_pipes()
        return self.proc.returncode

    def _close_pipes(self) -> None:
        if self._stdout_thread is not None:
            self._stdout_thread.join(timeout=2)
        try:
            if self.proc and self.proc.stdout:
                self.proc.stdout.close()
        except OSError:
            pass
        try:
            self._stderr_file.flush()
        except (OSError, ValueError):
            pass

    def cleanup(self) -> None:
        """Delete the stderr capture file (call once the process is stopped)."""
        try:
            self._stderr_file.close()
        except OSError:
            pass
        try:
            os.unlink(self.stderr_path)
        except OSError:
            pass

    def restart(self, env: Optional[Mapping[str, str]] = None) -> "SimfraServer":
        """Stop this server gracefully and start a new one on the same data dir/env."""
        if self.proc and self.proc.poll() is None:
            self.stop()
        merged = dict(self.extra_env)
        merged.update(env or {})
        return SimfraServer.start(data_dir=self.data_dir, env=merged, binary=self.binary)

    # ---- introspection ---------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stderr_text(self) -> str:
        try:
            self._stderr_file.flush()
        except (OSError, ValueError):
            pass
        try:
            return Path(self.stderr_path).read_text("utf-8", "replace")
        except OSError:
            return ""

    def stderr_tail(self, n: int = 60) -> str:
        lines = self.stderr_text().splitlines()
        return "---- simfra stderr (last %d lines) ----\n%s" % (n, "\n".join(lines[-n:]))

    # ---- convenience -----------------------------------------------------------------

    def client(self, service: str, **kw):
        return make_client(self.url, service, **kw)

    def aws_cli(self, *args: str, **kw) -> "CliResult":
        return run_aws_cli(self.url, *args, **kw)

    def health(self) -> requests.Response:
        return requests.get(self.url + "/_simfra/health", timeout=5)

    def __repr__(self) -> str:
        pid = self.proc.pid if self.proc else None
        return f"<SimfraServer pid={pid} url={self.url if self.port else None}>"


# --------------------------------------------------------------------------------------
# boto3 / AWS CLI
# --------------------------------------------------------------------------------------

DEFAULT_CONFIG = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=60)


def make_client(url: str, service: str, **kw):
    """boto3 client for ``service`` at ``url`` with the test credentials.
    ``config=`` is merged over the defaults; other kwargs override client arguments."""
    config = DEFAULT_CONFIG
    if "config" in kw:
        config = config.merge(kw.pop("config"))
    args = dict(
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=config,
    )
    args.update(kw)
    return boto3.session.Session().client(service, **args)


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str
    json: Any = None

    def __iter__(self):  # allows ``rc, out, err = aws_cli(...)``
        return iter((self.returncode, self.stdout, self.stderr))


def run_aws_cli(url: str, *args: str, env: Optional[Mapping[str, str]] = None,
                region: str = REGION, access_key: str = ACCESS_KEY,
                secret_key: str = SECRET_KEY, timeout: float = 120,
                input: Optional[str] = None) -> CliResult:
    """Run AWS CLI v1 (``python -m awscli``) against ``url``; JSON output is parsed into
    ``.json`` when possible."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    e.update({
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret_key,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_PAGER": "",
    })
    if env:
        e.update(env)
    cmd = [sys.executable, "-m", "awscli", *args,
           "--endpoint-url", url, "--region", region, "--output", "json"]
    p = subprocess.run(cmd, env=e, capture_output=True, text=True, timeout=timeout,
                       input=input)
    parsed = None
    if p.stdout.strip():
        try:
            parsed = json.loads(p.stdout)
        except ValueError:
            parsed = None
    return CliResult(p.returncode, p.stdout, p.stderr, parsed)


# --------------------------------------------------------------------------------------
# Raw signed requests
# --------------------------------------------------------------------------------------

def form_body(params: Mapping[str, str] | Iterable[tuple[str, str]]) -> bytes:
    return urllib.parse.urlencode(params).encode()


def sign_headers(method: str, url: str, service: str, region: str = REGION,
                 body: bytes = b"", headers: Optional[Mapping[str, str]] = None,
                 key: str = ACCESS_KEY, secret: str = SECRET_KEY,
                 unsigned_payload: bool = False, token: Optional[str] = None) -> dict:
    """Return the request headers (input headers + X-Amz-Date + Authorization, etc.)
    SigV4-signed over ``method url body``. A ``Host`` header in ``headers`` is signed as
    given (to test Host-based routing); otherwise the URL's host:port is signed.
    ``unsigned_payload`` signs ``X-Amz-Content-SHA256: UNSIGNED-PAYLOAD`` instead of the
    body hash."""
    hdrs = dict(headers or {})
    if unsigned_payload:
        hdrs["X-Amz-Content-SHA256"] = "UNSIGNED-PAYLOAD"
    req = AWSRequest(method=method, url=url, data=body, headers=hdrs)
    SigV4Auth(Credentials(key, secret, token), service, region).add_auth(req)
    return dict(req.headers.items())


def signed_request(method: str, url: str, service: str, region: str = REGION,
                   body: bytes = b"", headers: Optional[Mapping[str, str]] = None,
                   key: str = ACCESS_KEY, secret: str = SECRET_KEY,
                   unsigned: bool = False, unsigned_payload: bool = False,
                   timeout: float = 30, session: Optional[requests.Session] = None
                   ) -> requests.Response:
    """Send a raw request with ``requests``. ``unsigned=True`` sends it with no
    Authorization at all. ``body`` may be bytes or str."""
    if isinstance(body, str):
        body = body.encode()
    if unsigned:
        hdrs = dict(headers or {})
    else:
        hdrs = sign_headers(method, url, service, region, body, headers, key, secret,
                            unsigned_payload=unsigned_payload)
    sender = session or requests
    return sender.request(method, url, data=body if body else None, headers=hdrs,
                          timeout=timeout, allow_redirects=False)


STS_GCI_BODY = b"Action=GetCallerIdentity&Version=2011-06-15"
FORM_CT = "application/x-www-form-urlencoded; charset=utf-8"


def sts_gci_request(url: str, **kw) -> requests.Response:
    """Signed GetCallerIdentity form POST to ``url`` (kwargs as for ``signed_request``)."""
    headers = {"Content-Type": FORM_CT}
    headers.update(kw.pop("headers", None) or {})
    return signed_request("POST", url + "/", "sts", body=kw.pop("body", STS_GCI_BODY),
                          headers=headers, **kw)


def raw_request_bytes(method: str, url: str, service: str, body: bytes = b"",
                      headers: Optional[Mapping[str, str]] = None, region: str = REGION,
                      sign: bool = True, extra_unsigned: Optional[Mapping[str, str]] = None,
                      include_body: bool = True, **sign_kw) -> bytes:
    """Serialise a (signed) HTTP/1.1 request to bytes for raw-socket tests.
    ``extra_unsigned`` headers (e.g. ``Expect``) are added after signing."""
    parsed = urllib.parse.urlsplit(url)
    hdrs = dict(headers or {})
    hdrs.setdefault("Host", parsed.netloc)
    if sign:
        hdrs = sign_headers(method, url, service, region, body, hdrs, **sign_kw)
    if extra_unsigned:
        hdrs.update(extra_unsigned)
    if body or method in ("POST", "PUT"):
        hdrs.setdefault("Content-Length", str(len(body)))
    target = parsed.path or "/"
    if parsed.query:
        target += "?" + parsed.query
    head = f"{method} {target} HTTP/1.1\r\n"
    # Host first, as clients do.
    head += f"Host: {hdrs.pop('Host', hdrs.pop('host', parsed.netloc))}\r\n"
    for k, v in hdrs.items():
        head += f"{k}: {v}\r\n"
    head += "\r\n"
    return head.encode() + (body if include_body else b"")


# --------------------------------------------------------------------------------------
# Raw HTTP response parsing
# --------------------------------------------------------------------------------------

@dataclass
class RawResponse:
    status: int
    reason: str
    headers: list = field(default_factory=list)
    body: bytes = b""
    raw_head: bytes = b""

    def header(self, name: str, default: Optional[str] = None) -> Optional[str]:
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default


def read_http_response(f, head_request: bool = False) -> RawResponse:
    """Read one HTTP/1.x response from buffered binary file ``f`` (``sock.makefile('rb')``).
    Handles Content-Length, chunked, and read-to-EOF bodies; 1xx/204/304/HEAD have none."""
    status_line = f.readline(65537)
    if not status_line:
        raise ConnectionError("connection closed before a response status line")
    raw_head = status_line
    parts = status_line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise ValueError(f"bad status line: {status_line!r}")
    status = int(parts[1])
    reason = parts[2] if len(parts) > 2 else ""
    headers = []
    while True:
        line = f.readline(65537)
        if not line:
            raise ConnectionError("connection closed inside response headers")
        raw_head += line
        if line in (b"\r\n", b"\n"):
            break
        k, _, v = line.decode("latin-1").partition(":")
        headers.append((k.strip(), v.strip()))
    resp = RawResponse(status, reason, headers, b"", raw_head)
    if head_request or 100 <= status < 200 or status in (204, 304):
        return resp
    te = (resp.header("Transfer-Encoding") or "").lower()
    if "chunked" in te:
        body = b""
        while True:
            size_line = f.readline(65537)
            if not size_line:
                raise ConnectionError("connection closed inside chunked body")
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while True:  # trailers
                    t = f.readline(65537)
                    if t in (b"\r\n", b"\n", b""):
                        break
                break
            body += _read_exact(f, size)
            f.readline(65537)
        resp.body = body
    elif resp.header("Content-Length") is not None:
        resp.body = _read_exact(f, int(resp.header("Content-Length")))
    else:
        resp.body = f.read()
    return resp


def _read_exact(f, n: int) -> bytes:
    data = f.read(n)
    if data is None or len(data) != n:
        raise ConnectionError(f"short body: wanted {n} bytes, got {len(data or b'')}")
    return data


class RawHTTP:
    """A raw TCP connection to the server for protocol-level tests."""

    def __init__(self, server_or_url, timeout: float = 10):
        url = server_or_url.url if hasattr(server_or_url, "url") else server_or_url
        p = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((p.hostname, p.port), timeout=timeout)
        self.rfile = self.sock.makefile("rb")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_response(self, head_request: bool = False) -> RawResponse:
        return read_http_response(self.rfile, head_request=head_request)

    def settimeout(self, t: Optional[float]) -> None:
        self.sock.settimeout(t)

    def read_until_eof(self, timeout: float = 5) -> tuple[bytes, str]:
        """Read everything until the peer closes. Returns (data, how) where how is 'eof',
        'reset' or 'timeout'."""
        self.sock.settimeout(timeout)
        data = b""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return data, "eof"
                data += chunk
        except socket.timeout:
            return data, "timeout"
        except (ConnectionResetError, BrokenPipeError):
            return data, "reset"
        return data, "timeout"

    def close(self) -> None:
        try:
            self.rfile.close()
        finally:
            self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --------------------------------------------------------------------------------------
# Error parsing
# --------------------------------------------------------------------------------------

def _strip_ns(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_xml(body: bytes | str) -> ET.Element:
    return ET.fromstring(body if isinstance(body, bytes) else body.encode())


def xml_find_text(body: bytes | str, name: str) -> Optional[str]:
    """Text of the first element named ``name`` (namespace-agnostic), or None."""
    try:
        root = parse_xml(body)
    except ET.ParseError:
        return None
    for el in root.iter():
        if _strip_ns(el.tag) == name:
            return el.text or ""
    return None


def error_code(resp) -> Optional[str]:
    """AWS error code from a ``requests.Response`` or ``RawResponse`` in any protocol:
    X-Amzn-ErrorType header, JSON ``__type``/``code``/``Code``, or XML ``<Code>``."""
    if isinstance(resp, RawResponse):
        body, get = resp.body, resp.header
    else:
        body, get = resp.content, resp.headers.get
    hdr = get("x-amzn-ErrorType") or get("X-Amzn-ErrorType")
    if hdr:
        return _clean_code(hdr)
    text = body.strip() if body else b""
    if text.startswith(b"{"):
        try:
            doc = json.loads(text)
        except ValueError:
            return None
        for k in ("__type", "code", "Code"):
            if isinstance(doc.get(k), str):
                return _clean_code(doc[k])
        return None
    if text.startswith(b"<"):
        return xml_find_text(text, "Code")
    return None


def _clean_code(code: str) -> str:
    # "aws.protocoltests#Foo" / "Foo:http://internal..." -> "Foo"
    code = code.split(":", 1)[0]
    return code.rsplit("#", 1)[-1]


def client_error_info(exc: botocore.exceptions.ClientError) -> tuple[int, str, str]:
    """(http status, error code, message) from a boto3 ClientError."""
    r = exc.response
    return (r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Code", ""),
            r["Error"].get("Message", ""))


# --------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def simfra_bin() -> Path:
    try:
        return find_simfra_bin()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def server(simfra_bin):
    try:
        s = SimfraServer.start(binary=simfra_bin)
    except SimfraStartError as e:
        pytest.fail(f"could not start simfra: {e}", pytrace=False)
    yield s
    try:
        code = s.stop()
    except TimeoutError as e:
        pytest.fail(str(e), pytrace=False)
    if code != 0:
        sys.stderr.write(f"\nshared simfra server exited with code {code}\n{s.stderr_tail()}\n")
    else:
        s.cleanup()


@pytest.fixture
def server_factory(simfra_bin):
    """``server_factory(data_dir=None, env=None)`` -> started SimfraServer; all are stopped
    (SIGTERM, then SIGKILL if needed) when the test ends."""
    started: list[SimfraServer] = []

    def factory(data_dir: Optional[os.PathLike | str] = None,
                env: Optional[Mapping[str, str]] = None) -> SimfraServer:
        try:
            s = SimfraServer.start(data_dir=data_dir, env=env, binary=simfra_bin)
        except SimfraStartError as e:
            pytest.fail(f"could not start simfra: {e}", pytrace=False)
        started.append(s)
        return s

    yield factory
    for s in started:
        try:
            if s.stop() == 0:
                s.cleanup()  # keep stderr of servers that crashed, for post-mortems
        except Exception:
            s.kill()


@pytest.fixture
def client(server):
    """``client(service, **kw)`` -> boto3 client against the shared server."""
    def factory(service: str, **kw):
        return make_client(server.url, service, **kw)
    return factory


def unique_name(prefix: str = "b") -> str:
    """A name no other test uses (buckets, queues, tables): ``<prefix>-<20 hex>``."""
    return f"{prefix}-{uuid.uuid4().hex[:20]}"


@pytest.fixture
def s3(client):
    """A boto3 S3 client against the shared server."""
    return client("s3")


@pytest.fixture
def bucket(s3):
    """A fresh bucket on the shared server."""
    b = unique_name()
    s3.create_bucket(Bucket=b)
    return b


@pytest.fixture
def aws_cli(server):
    """``aws_cli(*args, **kw)`` -> CliResult(returncode, stdout, stderr, json) against the
    shared server. ``rc, out, err = aws_cli(...)`` also works."""
    def run(*args: str, **kw) -> CliResult:
        return run_aws_cli(server.url, *args, **kw)
    return run


def pytest_runtest_makereport(item, call):
    """Attach the shared server's stderr tail to failing tests' reports."""
    if call.when != "call" or call.excinfo is None:
        return
    s = item.funcargs.get("server") if hasattr(item, "funcargs") else None
    if isinstance(s, SimfraServer):
        item.add_report_section("call", "simfra stderr", s.stderr_tail(40))
