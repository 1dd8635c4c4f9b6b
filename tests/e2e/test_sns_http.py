"""SNS HTTP/HTTPS, email, SMS and Lambda subscriptions end to end: a local HTTP server receives
the signed SubscriptionConfirmation, the SubscribeURL confirms when followed unsigned, then
notifications arrive with AWS's headers, a 500 is retried per the delivery policy, and the
UnsubscribeURL works unsigned. Email and SMS land in the inbox (/_simfra/inbox); a Lambda
subscription's undeliverable message goes to its redrive DLQ.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import unique_name
from test_sns import err, queue_for, receive, verify_signature


class Endpoint:
    """A local HTTP endpoint that records every POST and answers from a script of statuses."""

    def __init__(self):
        self.requests: list[tuple[dict, bytes]] = []
        self.statuses: list[int] = []
        self.cond = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.cond:
                    status = outer.statuses.pop(0) if outer.statuses else 200
                    outer.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    outer.cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait(self, n, timeout=15):
        deadline = time.time() + timeout
        with self.cond:
            while len(self.requests) < n:
                left = deadline - time.time()
                assert left > 0, f"expected {n} requests, got {len(self.requests)}"
                self.cond.wait(left)
            return self.requests[:n]

    def close(self):
        self.httpd.shutdown()


@pytest.fixture
def endpoint():
    e = Endpoint()
    yield e
    e.close()


@pytest.fixture
def sns(client):
    return client("sns")


def inbox(server, **params):
    r = requests.get(f"{server.url}/_simfra/inbox", params=params, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["messages"]


def test_http_confirm_receive_retry_unsubscribe(sns, server, endpoint):
    topic = sns.create_topic(Name=unique_name("t"), Attributes={"DisplayName": "Hooks"})["TopicArn"]
    out = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url)
    assert out["SubscriptionArn"] == "pending confirmation"
    headers, body = endpoint.wait(1)[0]
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert headers["x-amz-sns-topic-arn"] == topic and headers["x-amz-sns-message-id"]
    conf = json.loads(body)
    assert conf["Type"] == "SubscriptionConfirmation" and conf["TopicArn"] == topic and conf["Token"]
    verify_signature(conf)
    # Pending: listed as such, counted as pending, nothing delivered yet.
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [s["SubscriptionArn"] for s in listed] == ["PendingConfirmation"]
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsPending"] == "1"
    # The confirmation is in the inbox with the SubscribeURL as its link.
    captured = [m for m in inbox(server, type="http-confirmation") if m["to"] == endpoint.url]
    assert captured and captured[0]["links"]["confirm"] == conf["SubscribeURL"]
    # Following the SubscribeURL (no signature) confirms, answering AWS's XML.
    r = requests.get(conf["SubscribeURL"], timeout=10)
    assert r.status_code == 200 and "<ConfirmSubscriptionResult>" in r.text, r.text
    sub = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"][0]["SubscriptionArn"]
    assert sub.startswith(topic + ":") and sub in r.text
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["PendingConfirmation"] == "false" and attrs["ConfirmationWasAuthenticated"] == "false"
    assert json.loads(attrs["EffectiveDeliveryPolicy"])["healthyRetryPolicy"]["numRetries"] == 3
    # A fast retry policy; the first notification attempt gets a 500 and is retried.
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(
        {"healthyRetryPolicy": {"minDelayTarget": 1, "maxDelayTarget": 1, "numRetries": 2}}))
    endpoint.statuses = [500]
    msg = sns.publish(TopicArn=topic, Message="hello hook", Subject="s")["MessageId"]
    (h1, b1), (h2, b2) = endpoint.wait(3)[1:]
    assert b1 == b2
    env = json.loads(b2)
    assert env["Type"] == "Notification" and env["MessageId"] == msg and env["Message"] == "hello hook"
    verify_signature(env)
    assert h2["x-amz-sns-message-type"] == "Notification" and h2["x-amz-sns-subscription-arn"] == sub
    assert h2["x-amz-sns-message-id"] == msg and h2["content-type"].startswith("text/plain")
    # Raw delivery posts the bare message.
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="true")
    sns.publish(TopicArn=topic, Message="raw body")
    h, b = endpoint.wait(4)[3]
    assert b == b"raw body" and h["x-amz-sns-rawdelivery"] == "true"
    # The UnsubscribeURL works unsigned too.
    r = requests.get(env["UnsubscribeURL"], timeout=10)
    assert r.status_code == 200, r.text
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    # The endpoint is told, signed; the SubscribeURL in that message restores the subscription.
    h, b = endpoint.wait(5)[4]
    bye = json.loads(b)
    assert h["x-amz-sns-message-type"] == "UnsubscribeConfirmation" and bye["Type"] == "UnsubscribeConfirmation"
    verify_signature(bye)
    assert requests.get(bye["SubscribeURL"], timeout=10).status_code == 200
    assert [s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]] == [sub]


def test_confirm_subscription_api_and_errors(sns, endpoint):
    topic = sns.create_topic(Name=unique_name("t"))["TopicArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url,
                        ReturnSubscriptionArn=True)["SubscriptionArn"]
    assert sub.startswith(topic + ":")
    token = json.loads(endpoint.wait(1)[0][1])["Token"]
    with pytest.raises(ClientError) as e:
        sns.confirm_subscription(TopicArn=topic, Token="nope")
    assert err(e) == (400, "InvalidParameter", "Invalid token")
    with pytest.raises(ClientError) as e:
        sns.confirm_subscription(TopicArn=topic + "x", Token=token)
    assert err(e) == (400, "InvalidParameter", "Invalid parameter: Token")
    out = sns.confirm_subscription(TopicArn=topic, Token=token, AuthenticateOnUnsubscribe="true")
    assert out["SubscriptionArn"] == sub
    assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["ConfirmationWasAuthenticated"] == "true"
    # Confirming again answers the same subscription.
    assert sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"] == sub
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol="https", Endpoint=endpoint.url)
    assert err(e) == (400, "InvalidParameter", "Invalid parameter: Endpoint must match the specified protocol")


def test_email_sms_inbox_and_lambda_dlq(sns, client, server):
    sqs = client("sqs")
    topic = sns.create_topic(Name=unique_name("t"))["TopicArn"]
    addr = unique_name("user") + "@example.com"
    assert sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=addr)["SubscriptionArn"] == "pending confirmation"
    sms = sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+15551234567")["SubscriptionArn"]
    assert sms.startswith(topic + ":")
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="invalid-number")
    assert err(e) == (400, "InvalidParameter", "Invalid SMS endpoint: invalid-number")
    dlq_url, dlq_arn = queue_for(sqs, topic)
    fn = "arn:aws:lambda:us-east-1:000000000000:function:absent"
    lam = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn, ReturnSubscriptionArn=True,
                        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})["SubscriptionArn"]
    # The email confirmation is in the inbox; following its link confirms.
    deadline = time.time() + 10
    while not (mails := [m for m in inbox(server, type="email") if m["to"] == addr]) and time.time() < deadline:
        time.sleep(0.1)
    assert mails and "Confirm subscription" in mails[0]["body"]
    assert requests.get(mails[0]["links"]["confirm"], timeout=10).status_code == 200
    sns.publish(TopicArn=topic, Message="to everyone", Subject="news")
    deadline = time.time() + 10
    while len(mails := [m for m in inbox(server, type="email") if m["to"] == addr]) < 2 and time.time() < deadline:
        time.sleep(0.1)
    assert mails[0]["subject"] == "news" and mails[0]["body"].startswith("to everyone")
    texts = [m for m in inbox(server, type="sms") if m["to"] == "+15551234567"]
    assert texts and texts[0]["body"] == "to everyone"
    # Lambda is not here yet: the message goes to the subscription's DLQ.
    dead = receive(sqs, dlq_url)
    assert len(dead) == 1
    env = json.loads(dead[0]["Body"])
    assert env["Message"] == "to everyone" and lam in env["UnsubscribeURL"]
