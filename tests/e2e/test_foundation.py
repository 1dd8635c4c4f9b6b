"""End-to-end tests of Simfra's foundation: process lifecycle, the HTTP layer, SigV4
authentication, protocol/service detection, error contracts, and STS GetCallerIdentity."""

from __future__ import annotations

import gzip
import http.client
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.parse

import botocore
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import (
    ACCESS_KEY,
    ACCOUNT_ID,
    FORM_CT,
    ROOT_ARN,
    STS_GCI_BODY,
    RawHTTP,
    _server_env,
    client_error_info,
    error_code,
    parse_xml,
    raw_request_bytes,
    sign_headers,
    signed_request,
    sts_gci_request,
    xml_find_text,
)

ACCOUNT_XML = f"<Account>{ACCOUNT_ID}</Account>"


def _strip_ns(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def assert_server_ok(server) -> None:
    """The server still answers a signed GetCallerIdentity after some abuse."""
    assert server.alive, "simfra process died\n" + server.stderr_tail()
    r = sts_gci_request(server.url)
    assert r.status_code == 200, (r.status_code, r.text)
    assert ACCOUNT_XML in r.text


# ======================================================================================
# Start line and admin endpoints
# ======================================================================================

def test_start_line_format(server):
    m = re.fullmatch(
        r"simfra \S+ listening on http://127\.0\.0\.1:(\d+) "
        r"\(persistence: off, services: (\d+)\)",
        server.start_line)
    assert m, f"unexpected start line: {server.start_line!r}"
    assert int(m.group(1)) == server.port
    assert server.port > 0, "SIMFRA_PORT=0 must pick a real free port"
    assert int(m.group(2)) > 0


def test_health(server):
    r = requests.get(server.url + "/_simfra/health", timeout=5)
    assert r.status_code == 200, r.text
    assert "json" in r.headers.get("Content-Type", ""), r.headers
    doc = r.json()
    assert doc["status"] == "healthy"
    assert isinstance(doc["services"], int) and not isinstance(doc["services"], bool)
    assert doc["services"] > 0
    assert doc["dockerEnabled"] is False
    assert doc["persistenceEnabled"] is False


def test_services_listing(server):
    r = requests.get(server.url + "/_simfra/services", timeout=5)
    assert r.status_code == 200, r.text
    services = r.json()["services"]
    assert isinstance(services, list) and services
    for s in services:
        assert isinstance(s["name"], str) and s["name"], s
        assert isinstance(s["protocols"], list) and s["protocols"], s
        assert isinstance(s["implemented"], list), s
    by_name = {s["name"]: s for s in services}
    assert "sts" in by_name, sorted(by_name)
    assert "GetCallerIdentity" in by_name["sts"]["implemented"]


# ======================================================================================
# STS GetCallerIdentity
# ======================================================================================

def test_get_caller_identity_boto3(client):
    resp = client("sts").get_caller_identity()
    assert resp["Account"] == ACCOUNT_ID
    assert resp["Arn"] == ROOT_ARN
    assert resp["UserId"] == ACCOUNT_ID
    meta = resp["ResponseMetadata"]
    assert meta["HTTPStatusCode"] == 200
    assert meta["RequestId"], meta
    header_id = meta["HTTPHeaders"].get("x-amzn-requestid")
    assert header_id, meta["HTTPHeaders"]
    assert header_id == meta["RequestId"]


def test_request_ids_are_unique(client):
    sts = client("sts")
    ids = {sts.get_caller_identity()["ResponseMetadata"]["RequestId"] for _ in range(3)}
    assert len(ids) == 3, ids


def test_get_caller_identity_cli(aws_cli):
    res = aws_cli("sts", "get-caller-identity")
    assert res.returncode == 0, res.stderr
    assert res.json is not None, res.stdout
    assert res.json["Account"] == ACCOUNT_ID
    assert res.json["Arn"] == ROOT_ARN
    assert res.json["UserId"] == ACCOUNT_ID


# ======================================================================================
# Authentication
# ======================================================================================

def test_unsigned_form_post_is_403_xml(server):
    r = requests.post(server.url + "/", data=STS_GCI_BODY,
                      headers={"Content-Type": FORM_CT}, timeout=10)
    assert r.status_code == 403, r.text
    root = parse_xml(r.content)
    assert _strip_ns(root.tag) == "ErrorResponse", r.text
    names = {_strip_ns(e.tag) for e in root.iter()}
    assert {"Error", "Code"} <= names, r.text
    assert xml_find_text(r.content, "Code") in (
        "MissingAuthenticationToken", "AccessDenied", "InvalidClientTokenId"), r.text
    assert "x-amzn-requestid" in {k.lower() for k in r.headers}, r.headers


def test_unsigned_boto3_is_403(client):
    sts = client("sts", config=Config(signature_version=botocore.UNSIGNED))
    with pytest.raises(ClientError) as ei:
        sts.get_caller_identity()
    status, code, _ = client_error_info(ei.value)
    assert status == 403, ei.value.response
    assert code in ("MissingAuthenticationToken", "AccessDenied", "InvalidClientTokenId"), code


def test_wrong_secret_is_signature_does_not_match(client):
    sts = client("sts", aws_secret_access_key="wrongwrongwrongwrongwrongwrongwrongwrong")
    with pytest.raises(ClientError) as ei:
        sts.get_caller_identity()
    status, code, _ = client_error_info(ei.value)
    assert (status, code) == (403, "SignatureDoesNotMatch"), ei.value.response


def test_unknown_access_key_is_invalid_client_token_id(client):
    sts = client("sts", aws_access_key_id="AKIANOSUCHKEY0000000")
    with pytest.raises(ClientError) as ei:
        sts.get_caller_identity()
    status, code, _ = client_error_info(ei.value)
    assert (status, code) == (403, "InvalidClientTokenId"), ei.value.response


# ---- presigned URLs (SigV4 query auth) ---------------------------------------------------
# STS is a query-protocol (POST) service; a presigned URL is used as GET, so the signature
# must be computed for GET (this is how EKS tokens are built).

def _presign_gci(client, expires: int) -> str:
    return client("sts").generate_presigned_url(
        "get_caller_identity", ExpiresIn=expires, HttpMethod="GET")


def test_presigned_get_caller_identity(client):
    url = _presign_gci(client, 60)
    assert "X-Amz-Signature=" in url
    r = requests.get(url, timeout=10)
    assert r.status_code == 200, r.text
    assert ACCOUNT_XML in r.text


def test_presigned_url_expired(client):
    url = _presign_gci(client, 1)
    time.sleep(2.1)
    r = requests.get(url, timeout=10)
    assert r.status_code == 403, r.text
    assert ACCOUNT_XML not in r.text


def test_presigned_url_tampered_signature(client):
    url = _presign_gci(client, 60)
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    tampered = []
    for k, v in query:
        if k == "X-Amz-Signature":
            v = v[:-1] + ("0" if v[-1] != "0" else "1")
        tampered.append((k, v))
    bad = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(tampered)))
    assert bad != url
    r = requests.get(bad, timeout=10)
    assert r.status_code == 403, r.text
    assert error_code(r) == "SignatureDoesNotMatch", r.text


# ======================================================================================
# 501 for unimplemented operations, in every protocol
# ======================================================================================

def test_unimplemented_query_operation_is_501(client):
    with pytest.raises(ClientError) as ei:
        client("sts").assume_root(TargetPrincipal="111111111111",
                                  TaskPolicyArn={"arn": "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy"})
    status, code, message = client_error_info(ei.value)
    assert (status, code) == (501, "NotImplemented"), ei.value.response
    assert "AssumeRoot" in message, message


@pytest.mark.parametrize("service, method, operation", [
    ("eks", "list_clusters", "ListClusters"),                 # restJson1
    ("cloudformation", "list_stacks", "ListStacks"),          # awsQuery
    ("ecs", "list_clusters", "ListClusters"),                 # awsJson1_1 (Logs, the former example, is implemented)
])
def test_unimplemented_service_is_501(client, service, method, operation):
    with pytest.raises(ClientError) as ei:
        getattr(client(service), method)()
    status, code, message = client_error_info(ei.value)
    assert (status, code) == (501, "NotImplemented"), ei.value.response
    assert operation in message, message


# ======================================================================================
# Malformed requests -> 4xx, and the server keeps answering
# ======================================================================================

def test_malformed_json_body_is_serialization_exception(server):
    r = signed_request(
        "POST", server.url + "/", "logs", body=b"{not json",
        headers={"Content-Type": "application/x-amz-json-1.1",
                 "X-Amz-Target": "Logs_20140328.DescribeLogGroups"})
    assert r.status_code == 400, r.text
    assert error_code(r) == "SerializationException", (r.headers, r.text)
    assert_server_ok(server)


def test_unknown_query_action_is_invalid_action(server):
    r = sts_gci_request(server.url, body=b"Action=NoSuchAction&Version=2011-06-15")
    assert r.status_code == 400, r.text
    assert error_code(r) == "InvalidAction", r.text
    assert_server_ok(server)


def test_query_without_action_is_missing_action(server):
    r = sts_gci_request(server.url, body=b"Version=2011-06-15")
    assert r.status_code == 400, r.text
    assert error_code(r) == "MissingAction", r.text
    assert_server_ok(server)


# ======================================================================================
# Service and region detection
# ======================================================================================

def test_service_detected_with_aws_style_host_header(server):
    host = f"sts.us-east-1.localhost:{server.port}"
    r = sts_gci_request(server.url, headers={"Host": host})
    assert r.status_code == 200, r.text
    assert ACCOUNT_XML in r.text


def test_region_taken_from_credential_scope(server):
    r = sts_gci_request(server.url, region="eu-west-1")
    assert r.status_code == 200, r.text
    assert ACCOUNT_XML in r.text


def test_region_from_credential_scope_boto3(client):
    resp = client("sts", region_name="eu-west-1").get_caller_identity()
    assert resp["Account"] == ACCOUNT_ID


def test_unknown_service_is_aws_style_4xx(server):
    r = signed_request(
        "POST", server.url + "/", "nosuchsvc", body=b"{}",
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "NoSuch.Op"})
    assert r.status_code in (400, 404), (r.status_code, r.text)
    assert error_code(r), f"not an AWS-style error body: {r.headers} {r.text!r}"
    assert_server_ok(server)


# ======================================================================================
# HTTP layer details
# ======================================================================================

def _gci_headers(server) -> dict:
    return sign_headers("POST", server.url + "/", "sts", body=STS_GCI_BODY,
                        headers={"Content-Type": FORM_CT})


def test_keep_alive_reuses_connection(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("POST", "/", body=STS_GCI_BODY, headers=_gci_headers(server))
        r1 = conn.getresponse()
        body1 = r1.read()
        assert r1.status == 200, body1
        assert (r1.getheader("Connection") or "").lower() != "close"
        assert conn.sock is not None, "server asked to close the connection after 1 request"
        local1 = conn.sock.getsockname()

        conn.request("POST", "/", body=STS_GCI_BODY, headers=_gci_headers(server))
        r2 = conn.getresponse()
        body2 = r2.read()
        assert r2.status == 200, body2
        assert conn.sock is not None
        assert conn.sock.getsockname() == local1, "a new TCP connection was opened"
        assert ACCOUNT_XML.encode() in body1 and ACCOUNT_XML.encode() in body2
    finally:
        conn.close()


def test_keep_alive_requests_session(server):
    with requests.Session() as sess:
        for _ in range(3):
            r = sts_gci_request(server.url, session=sess)
            assert r.status_code == 200, r.text
        pools = sess.adapters["http://"].poolmanager.pools
        keys = list(pools.keys())
        assert len(keys) == 1, keys
        assert pools[keys[0]].num_connections == 1, "connections were not reused"


def test_expect_100_continue(server):
    raw_head = raw_request_bytes(
        "POST", server.url + "/", "sts", body=STS_GCI_BODY,
        headers={"Content-Type": FORM_CT}, extra_unsigned={"Expect": "100-continue"},
        include_body=False)
    with RawHTTP(server) as c:
        c.send(raw_head)
        c.settimeout(2.0)
        try:
            interim = c.read_response()
        except socket.timeout:
            pytest.fail("no '100 Continue' before the body was sent")
        assert interim.status == 100, interim.raw_head
        assert interim.raw_head.startswith(b"HTTP/1.1 100 Continue"), interim.raw_head
        c.settimeout(10)
        c.send(STS_GCI_BODY)
        final = c.read_response()
        assert final.status == 200, final.body
        assert ACCOUNT_XML.encode() in final.body


def test_head_health_has_no_body(server):
    with RawHTTP(server) as c:
        c.send(f"HEAD /_simfra/health HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
               "Connection: close\r\n\r\n".encode())
        data, _how = c.read_until_eof(timeout=3)
    assert data.startswith(b"HTTP/1.1 200"), data
    head, sep, body = data.partition(b"\r\n\r\n")
    assert sep, data
    assert body == b"", f"HEAD response carried a body: {body!r}"


def test_head_health_then_get_on_same_connection(server):
    # A body on the HEAD response would corrupt the framing of the next response.
    host = f"127.0.0.1:{server.port}"
    with RawHTTP(server) as c:
        c.send(f"HEAD /_simfra/health HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        head = c.read_response(head_request=True)
        assert head.status == 200
        c.send(f"GET /_simfra/health HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        get = c.read_response()
        assert get.status == 200, get.raw_head
        assert b"healthy" in get.body


def test_body_over_limit_is_413(server):
    size = 30 * 1024 * 1024
    head = raw_request_bytes(
        "POST", server.url + "/", "sts", body=b"",
        headers={"Content-Type": FORM_CT, "Content-Length": str(size)},
        unsigned_payload=True, include_body=False)
    assert b"Content-Length: %d" % size in head
    received = bytearray()
    done = threading.Event()

    with RawHTTP(server, timeout=15) as c:
        def reader():
            try:
                while True:
                    chunk = c.sock.recv(65536)
                    if not chunk:
                        break
                    received.extend(chunk)
            except OSError:
                pass
            finally:
                done.set()

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        c.send(head)
        chunk = b"Action=GetCallerIdentity&Version=2011-06-15&Pad=" + b"x" * (1 << 20)
        chunk = chunk[: 1 << 20]
        sent = 0
        try:
            while sent < size and b"\r\n\r\n" not in received:
                n = min(len(chunk), size - sent)
                c.sock.sendall(chunk[:n])
                sent += n
        except OSError:
            pass  # the server may close once it has answered 413
        deadline = time.monotonic() + 10
        while b"\r\n\r\n" not in received and not done.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        try:
            c.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        t.join(timeout=5)
    data = bytes(received)
    assert re.match(rb"HTTP/1\.[01] 413 ", data), f"expected a 413, read {data[:300]!r}"
    assert_server_ok(server)


def test_gzip_request_body(server):
    body = gzip.compress(STS_GCI_BODY)
    r = signed_request("POST", server.url + "/", "sts", body=body,
                       headers={"Content-Type": FORM_CT, "Content-Encoding": "gzip"})
    assert r.status_code == 200, r.text
    assert ACCOUNT_XML in r.text


def test_pipelined_requests(server):
    req = lambda: raw_request_bytes(  # noqa: E731
        "POST", server.url + "/", "sts", body=STS_GCI_BODY, headers={"Content-Type": FORM_CT})
    with RawHTTP(server) as c:
        c.send(req() + req())
        r1 = c.read_response()
        r2 = c.read_response()
    assert (r1.status, r2.status) == (200, 200), (r1.body, r2.body)
    assert ACCOUNT_XML.encode() in r1.body and ACCOUNT_XML.encode() in r2.body
    assert r1.header("x-amzn-RequestId") != r2.header("x-amzn-RequestId")


def test_garbage_request_line(server):
    with RawHTTP(server) as c:
        c.send(b"NOT HTTP\r\n\r\n")
        data, how = c.read_until_eof(timeout=5)
    if data:
        assert re.match(rb"HTTP/1\.[01] 400 ", data), data[:300]
    else:
        assert how in ("eof", "reset"), "server neither answered 400 nor closed"
    assert requests.get(server.url + "/_simfra/health", timeout=5).status_code == 200
    assert_server_ok(server)


# ======================================================================================
# Process lifecycle and configuration
# ======================================================================================

def test_sigterm_exits_zero(server_factory):
    s = server_factory()
    assert s.client("sts").get_caller_identity()["Account"] == ACCOUNT_ID
    t0 = time.monotonic()
    code = s.stop(signal.SIGTERM, timeout=5)
    assert code == 0, s.stderr_tail()
    assert time.monotonic() - t0 < 5


@pytest.mark.parametrize("port", ["99999", "abc"])
def test_bad_port_config_exits_2(simfra_bin, port):
    p = subprocess.run([str(simfra_bin)], env=_server_env(port), capture_output=True,
                       text=True, timeout=10, stdin=subprocess.DEVNULL)
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert "listening on" not in p.stdout
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, p.stderr
    assert "SIMFRA_PORT" in lines[0], p.stderr
