"""EventBridge API destinations invoked for real: a rule's API destination target calls a local
HTTP server (loopback, http) with the connection's authorization (API_KEY header, BASIC
Authorization), the connection's and the target's header/query parameters, the `*` path
parameters and the event as the JSON body; a 500 is retried under the target's RetryPolicy; a
4xx is final and lands in the DLQ; a non-loopback endpoint is never called and its failure is
recorded (visible through the DLQ's ERROR_MESSAGE). OAUTH_CLIENT_CREDENTIALS connections fetch a
token from their (loopback) authorization endpoint with the client id/secret as Basic auth and the
OAuthHttpParameters, send it as a Bearer token and reuse it until it expires; the connection's
secret carries a policy letting events.amazonaws.com read it (how deliveries read it).
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import unique_name


class Capture:
    """A loopback HTTP server that records requests and answers the queued statuses (then 200)."""

    def __init__(self, tls=None):
        """``tls``: an ``ssl.SSLContext`` to serve HTTPS with instead of HTTP."""
        self.requests = []
        self.statuses = []
        self.tokens = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                with outer.lock:
                    outer.requests.append({"at": time.monotonic(), "method": self.command, "path": self.path,
                                           "headers": {k.lower(): v for k, v in self.headers.items()},
                                           "body": body.decode()})
                    status = outer.statuses.pop(0) if outer.statuses else 200
                    outer.tokens += self.path.startswith("/token")
                    # /token is an OAuth token endpoint handing out numbered tokens.
                    answer = (json.dumps({"access_token": f"tok-{outer.tokens}", "token_type": "Bearer",
                                          "expires_in": 3600}).encode()
                              if self.path.startswith("/token") else b"{}")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_POST = do_PUT = do_GET = _serve

            def log_message(self, *a):
                pass

        class Server(ThreadingHTTPServer):
            def get_request(self):
                sock, addr = self.socket.accept()
                if tls is None:
                    return sock, addr
                # The handshake runs on the handler's thread (first read), so a client that
                # refuses the certificate cannot stall the accept loop.
                return tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

            def handle_error(self, request, client_address):
                pass  # refused TLS handshakes are what some tests expect

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait(self, n, timeout=15):
        end = time.time() + timeout
        while time.time() < end:
            with self.lock:
                if len(self.requests) >= n:
                    return list(self.requests)
            time.sleep(0.1)
        with self.lock:
            return list(self.requests)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def capture():
    c = Capture()
    yield c
    c.close()


@pytest.fixture
def events(client):
    return client("events")


def dlq(client):
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=unique_name("dlq"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    # The DLQ is written as events.amazonaws.com, which the queue's policy must allow.
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                                                "Action": "sqs:SendMessage", "Resource": arn}]})})
    return sqs, url, arn


def dlq_messages(sqs, url, wait=10):
    end = time.time() + wait
    while time.time() < end:
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2, MaxNumberOfMessages=10,
                                  MessageAttributeNames=["All"]).get("Messages", [])
        if got:
            return got
    return []


def rule_to(events, dest_arn, **target):
    source = unique_name("app")
    rule = unique_name("r")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "api", "Arn": dest_arn, **target}])
    return source


def put(events, source, detail):
    out = events.put_events(Entries=[{"Source": source, "DetailType": "t", "Detail": json.dumps(detail)}])
    assert out["FailedEntryCount"] == 0
    return out["Entries"][0]["EventId"]


def test_api_key_connection_with_parameters(events, capture):
    conn = events.create_connection(
        Name=unique_name("c"), AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cr3t"},
                        "InvocationHttpParameters": {
                            "HeaderParameters": [{"Key": "x-conn", "Value": "c1", "IsValueSecret": False}],
                            "QueryStringParameters": [{"Key": "cq", "Value": "a b", "IsValueSecret": True}]}})
    dest = events.create_api_destination(
        Name=unique_name("d"), ConnectionArn=conn["ConnectionArn"], HttpMethod="PUT",
        InvocationEndpoint=f"http://127.0.0.1:{capture.port}/items/*/sub/*")["ApiDestinationArn"]
    source = rule_to(events, dest, HttpParameters={
        "PathParameterValues": ["42", "x"], "HeaderParameters": {"x-target": "t1"},
        "QueryStringParameters": {"tq": "1"}})
    event_id = put(events, source, {"n": 1})
    got = capture.wait(1)
    assert len(got) == 1
    r = got[0]
    assert r["method"] == "PUT"
    assert r["path"] == "/items/42/sub/x?tq=1&cq=a%20b"
    h = r["headers"]
    assert h["x-api-key"] == "s3cr3t" and h["x-conn"] == "c1" and h["x-target"] == "t1"
    assert h["user-agent"] == "Amazon/EventBridge/ApiDestinations"
    assert h["content-type"].startswith("application/json")
    body = json.loads(r["body"])
    assert body["id"] == event_id and body["source"] == source and body["detail"] == {"n": 1}


def test_basic_connection_retries_a_500(events, capture):
    conn = events.create_connection(
        Name=unique_name("c"), AuthorizationType="BASIC",
        AuthParameters={"BasicAuthParameters": {"Username": "user", "Password": "pass"}})
    dest = events.create_api_destination(
        Name=unique_name("d"), ConnectionArn=conn["ConnectionArn"], HttpMethod="POST",
        InvocationEndpoint=f"http://localhost:{capture.port}/hook")["ApiDestinationArn"]
    source = rule_to(events, dest, InputPath="$.detail", RetryPolicy={"MaximumRetryAttempts": 3})
    capture.statuses = [500]
    put(events, source, {"k": "v"})
    got = capture.wait(2)
    assert [r["path"] for r in got] == ["/hook", "/hook"]
    assert all(r["headers"]["authorization"] == "Basic dXNlcjpwYXNz" for r in got)
    assert [json.loads(r["body"]) for r in got] == [{"k": "v"}, {"k": "v"}]


def test_client_error_is_final_and_goes_to_the_dlq(events, client, capture):
    conn = events.create_connection(
        Name=unique_name("c"), AuthorizationType="BASIC",
        AuthParameters={"BasicAuthParameters": {"Username": "u", "Password": "p"}})
    dest = events.create_api_destination(
        Name=unique_name("d"), ConnectionArn=conn["ConnectionArn"], HttpMethod="POST",
        InvocationEndpoint=f"http://127.0.0.1:{capture.port}/bad")["ApiDestinationArn"]
    sqs, url, qarn = dlq(client)
    source = rule_to(events, dest, DeadLetterConfig={"Arn": qarn})
    capture.statuses = [400]
    put(events, source, {})
    msgs = dlq_messages(sqs, url)
    assert len(msgs) == 1
    attrs = msgs[0]["MessageAttributes"]
    assert "HTTP 400" in attrs["ERROR_MESSAGE"]["StringValue"]
    assert attrs["RETRY_ATTEMPTS"]["StringValue"] == "0"
    assert len(capture.wait(1, timeout=1)) == 1


def test_non_loopback_endpoint_is_not_called(events, client, capture):
    conn = events.create_connection(
        Name=unique_name("c"), AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})
    dest = events.create_api_destination(
        Name=unique_name("d"), ConnectionArn=conn["ConnectionArn"], HttpMethod="POST",
        InvocationEndpoint="http://example.com/hook")["ApiDestinationArn"]
    sqs, url, qarn = dlq(client)
    source = rule_to(events, dest, DeadLetterConfig={"Arn": qarn})
    put(events, source, {})
    msgs = dlq_messages(sqs, url)
    assert len(msgs) == 1
    assert "only on loopback endpoints" in msgs[0]["MessageAttributes"]["ERROR_MESSAGE"]["StringValue"]
    assert capture.requests == []


def test_oauth_client_credentials_connection(events, client, capture):
    conn = events.create_connection(
        Name=unique_name("c"), AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
        AuthParameters={"OAuthParameters": {
            "ClientParameters": {"ClientID": "my-client", "ClientSecret": "my-secret"},
            "AuthorizationEndpoint": f"http://127.0.0.1:{capture.port}/token", "HttpMethod": "POST",
            "OAuthHttpParameters": {
                "BodyParameters": [{"Key": "scope", "Value": "events:write", "IsValueSecret": False}],
                "HeaderParameters": [{"Key": "x-tenant", "Value": "t1", "IsValueSecret": False}]}}})
    # The secret lets EventBridge itself read it, for this connection.
    secret_arn = events.describe_connection(Name=conn["ConnectionArn"].split("/")[1])["SecretArn"]
    policy = json.loads(client("secretsmanager").get_resource_policy(SecretId=secret_arn)["ResourcePolicy"])
    st = policy["Statement"][0]
    assert st["Principal"] == {"Service": "events.amazonaws.com"} and st["Action"] == "secretsmanager:GetSecretValue"
    assert st["Condition"]["ArnEquals"]["aws:SourceArn"] == conn["ConnectionArn"]
    dest = events.create_api_destination(
        Name=unique_name("d"), ConnectionArn=conn["ConnectionArn"], HttpMethod="POST",
        InvocationEndpoint=f"http://127.0.0.1:{capture.port}/hook")["ApiDestinationArn"]
    source = rule_to(events, dest)
    put(events, source, {"n": 1})
    assert len(capture.wait(2)) == 2
    put(events, source, {"n": 2})
    got = capture.wait(3)
    assert [r["path"] for r in got] == ["/token", "/hook", "/hook"]
    token = got[0]
    assert token["method"] == "POST"
    assert token["headers"]["authorization"] == "Basic bXktY2xpZW50Om15LXNlY3JldA=="
    assert token["headers"]["x-tenant"] == "t1"
    assert token["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert token["body"] == "grant_type=client_credentials&scope=events%3Awrite"
    # The token is reused: one fetch for both events.
    assert all(r["headers"]["authorization"] == "Bearer tok-1" for r in got[1:])
    assert [json.loads(r["body"])["detail"] for r in got[1:]] == [{"n": 1}, {"n": 2}]


def test_oauth_token_endpoint_refusal_is_a_delivery_failure(events, client, capture):
    conn = events.create_connection(
        Name=unique_name("c"), AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
        AuthParameters={"OAuthParameters": {
            "ClientParameters": {"ClientID": "a", "ClientSecret": "b"},
            "AuthorizationEndpoint": f"http://127.0.0.1:{capture.port}/token", "HttpMethod": "POST"}})
    dest = events.create_api_destination(
        Name=unique_name("d"), ConnectionArn=conn["ConnectionArn"], HttpMethod="POST",
        InvocationEndpoint=f"http://127.0.0.1:{capture.port}/hook")["ApiDestinationArn"]
    sqs, url, qarn = dlq(client)
    source = rule_to(events, dest, DeadLetterConfig={"Arn": qarn})
    capture.statuses = [401]
    put(events, source, {})
    msgs = dlq_messages(sqs, url)
    assert len(msgs) == 1
    message = msgs[0]["MessageAttributes"]["ERROR_MESSAGE"]["StringValue"]
    assert "authorization endpoint" in message and "HTTP 401" in message
    assert [r["path"] for r in capture.wait(1, timeout=1)] == ["/token"]


def test_deauthorize_connection_and_authorize_again(events, client, capture):
    name = unique_name("c")
    conn = events.create_connection(
        Name=name, AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-key", "ApiKeyValue": "one"},
                        "InvocationHttpParameters": {"HeaderParameters": [{"Key": "x-kept", "Value": "yes"}]}})
    out = events.deauthorize_connection(Name=name)
    assert out["ConnectionArn"] == conn["ConnectionArn"] and out["ConnectionState"] == "DEAUTHORIZING"
    described = events.describe_connection(Name=name)
    assert described["ConnectionState"] == "DEAUTHORIZED"
    assert "ApiKeyAuthParameters" not in described["AuthParameters"]
    assert described["AuthParameters"]["InvocationHttpParameters"]["HeaderParameters"][0]["Key"] == "x-kept"
    names = [c["Name"] for c in events.list_connections(ConnectionState="DEAUTHORIZED")["Connections"]]
    assert name in names
    assert name not in [c["Name"] for c in events.list_connections(ConnectionState="AUTHORIZED")["Connections"]]
    # The secret no longer holds the key.
    secret = json.loads(client("secretsmanager").get_secret_value(SecretId=described["SecretArn"])["SecretString"])
    assert "api_key_value" not in secret
    dest = events.create_api_destination(
        Name=unique_name("d"), ConnectionArn=conn["ConnectionArn"], HttpMethod="POST",
        InvocationEndpoint=f"http://127.0.0.1:{capture.port}/hook")["ApiDestinationArn"]
    sqs, url, qarn = dlq(client)
    source = rule_to(events, dest, DeadLetterConfig={"Arn": qarn})
    put(events, source, {})
    msgs = dlq_messages(sqs, url)
    assert len(msgs) == 1 and "deauthorized" in msgs[0]["MessageAttributes"]["ERROR_MESSAGE"]["StringValue"]
    assert capture.requests == []
    # New authorization parameters authorize it again.
    events.update_connection(Name=name, AuthorizationType="API_KEY",
                             AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-key", "ApiKeyValue": "two"}})
    assert events.describe_connection(Name=name)["ConnectionState"] == "AUTHORIZED"
    put(events, source, {})
    got = capture.wait(1)
    assert got[0]["headers"]["x-key"] == "two" and got[0]["headers"]["x-kept"] == "yes"
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.deauthorize_connection(Name=unique_name("missing"))


def test_invocation_rate_limit_spreads_a_burst(events, capture):
    conn = events.create_connection(
        Name=unique_name("c"), AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})
    dest = events.create_api_destination(
        Name=unique_name("d"), ConnectionArn=conn["ConnectionArn"], HttpMethod="POST", InvocationRateLimitPerSecond=4,
        InvocationEndpoint=f"http://127.0.0.1:{capture.port}/hook")["ApiDestinationArn"]
    source = rule_to(events, dest)
    out = events.put_events(Entries=[{"Source": source, "DetailType": "t", "Detail": json.dumps({"n": i})} for i in range(6)])
    assert out["FailedEntryCount"] == 0
    got = capture.wait(6)
    assert len(got) == 6
    # Six invocations at 4 per second take at least 5 gaps of 250 ms; none is dropped.
    assert got[-1]["at"] - got[0]["at"] >= 1.1, [r["at"] - got[0]["at"] for r in got]
    assert sorted(json.loads(r["body"])["detail"]["n"] for r in got) == list(range(6))
