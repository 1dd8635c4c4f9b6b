"""End-to-end tests of SQS: boto3 on the JSON protocol (awsJson1_0 with x-amzn-query-mode),
a botocore client on the awsQuery protocol built from the awsQuery-era SQS model
(botocore 1.34.22, the legacy `Attribute.1.Name` wire names), signed raw form posts to
queue URLs, and the AWS CLI.

Timing-sensitive tests use short timeouts (1 s) and generous upper bounds.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import json
import struct
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from pathlib import Path

import botocore.session
import pytest
from botocore.exceptions import ClientError

from conftest import (
    ACCESS_KEY,
    ACCOUNT_ID,
    DEFAULT_CONFIG,
    FORM_CT,
    REGION,
    SECRET_KEY,
    form_body,
    signed_request,
    xml_find_text,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
LEGACY_WHEEL = REPO_ROOT / ".cache" / "botocore-1.34.22" / "botocore-1.34.22-py3-none-any.whl"
JSON_CT = "application/x-amz-json-1.0"


def unique(prefix: str = "q") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def attributes_md5(attrs: dict) -> str:
    """SQS's MD5OfMessageAttributes, as the AWS SDKs verify it."""
    h = hashlib.md5()

    def lv(b: bytes) -> None:
        h.update(struct.pack(">I", len(b)))
        h.update(b)

    for name in sorted(attrs):
        a = attrs[name]
        lv(name.encode())
        lv(a["DataType"].encode())
        if "StringValue" in a:
            h.update(b"\x01")
            lv(a["StringValue"].encode())
        else:
            h.update(b"\x02")
            lv(a["BinaryValue"])
    return h.hexdigest()


def error_of(exc: ClientError) -> tuple[int, str, str, str | None]:
    r = exc.response
    return (r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Code", ""), r["Error"].get("Message", ""),
            r["Error"].get("QueryErrorCode"))


# --------------------------------------------------------------------------------------
# Clients and fixtures
# --------------------------------------------------------------------------------------

_LEGACY_MODEL = None


def legacy_model() -> dict:
    global _LEGACY_MODEL
    if _LEGACY_MODEL is None:
        if not LEGACY_WHEEL.exists():
            # The awsQuery-era model is not in botocore any more; fetch that release's wheel
            # (as scripts/gen_models.py does) into the git-ignored .cache/.
            LEGACY_WHEEL.parent.mkdir(parents=True, exist_ok=True)
            subprocess.check_call([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                                   "botocore==1.34.22", "-d", str(LEGACY_WHEEL.parent)])
        with zipfile.ZipFile(LEGACY_WHEEL) as z:
            raw = z.read("botocore/data/sqs/2012-11-05/service-2.json.gz")
        _LEGACY_MODEL = json.loads(gzip.decompress(raw))
        assert _LEGACY_MODEL["metadata"]["protocol"] == "query"
    return _LEGACY_MODEL


def query_client(url: str):
    """A botocore SQS client speaking awsQuery, with the model of the awsQuery era: its
    requests use `Attribute.1.Name`, `MessageAttribute.1.Value.DataType`, ... and its
    parser expects the legacy XML output names and error codes."""
    session = botocore.session.Session()
    loader = session.get_component("data_loader")
    original = loader.load_service_model

    def patched(service_name, type_name, api_version=None):
        if service_name == "sqs" and type_name == "service-2":
            return copy.deepcopy(legacy_model())
        return original(service_name, type_name, api_version)

    loader.load_service_model = patched
    return session.create_client(
        "sqs", endpoint_url=url, region_name=REGION, aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY, config=DEFAULT_CONFIG)


@pytest.fixture
def sqs(client):
    return client("sqs")


@pytest.fixture
def qsqs(server):
    return query_client(server.url)


@pytest.fixture
def new_queue(sqs):
    """``new_queue(name=None, fifo=False, **attributes)`` -> queue URL; deleted afterwards."""
    urls = []

    def make(name=None, fifo=False, **attributes):
        name = name or unique("fifo" if fifo else "q")
        attrs = {k: str(v) for k, v in attributes.items()}
        if fifo:
            name += ".fifo"
            attrs["FifoQueue"] = "true"
        url = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
        urls.append(url)
        return url

    yield make
    for u in urls:
        try:
            sqs.delete_queue(QueueUrl=u)
        except ClientError:
            pass


def arn_of(sqs, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def receive_all(sqs, url, expected, timeout=5.0, **kw):
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < expected and time.monotonic() < deadline:
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, **kw)
        got += r.get("Messages", [])
    return got


# --------------------------------------------------------------------------------------
# Queues
# --------------------------------------------------------------------------------------

def test_create_get_list_delete(server, sqs):
    name = unique("life")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    assert url == f"{server.url}/{ACCOUNT_ID}/{name}"
    # Idempotent with identical attributes (and with none).
    assert sqs.create_queue(QueueName=name)["QueueUrl"] == url
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url
    assert url in sqs.list_queues(QueueNamePrefix=name)["QueueUrls"]
    sqs.delete_queue(QueueUrl=url)
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix=name)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as ei:
        sqs.get_queue_url(QueueName=name)
    status, code, message, query_code = error_of(ei.value)
    # boto3 reports the awsQuery code from x-amzn-query-error, and keeps the JSON name.
    assert (status, code, query_code) == (400, "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")
    assert message == "The specified queue does not exist."


def test_nonexistent_queue_errors_everywhere(sqs):
    url = sqs.create_queue(QueueName=unique("gone"))["QueueUrl"]
    sqs.delete_queue(QueueUrl=url)
    for call in (lambda: sqs.send_message(QueueUrl=url, MessageBody="x"),
                 lambda: sqs.receive_message(QueueUrl=url),
                 lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]),
                 lambda: sqs.purge_queue(QueueUrl=url),
                 lambda: sqs.delete_queue(QueueUrl=url)):
        with pytest.raises(sqs.exceptions.QueueDoesNotExist):
            call()


def test_nonexistent_queue_raw_json_has_query_error_header(server):
    body = json.dumps({"QueueName": unique("none")}).encode()
    r = signed_request("POST", server.url + "/", "sqs", body=body, headers={
        "Content-Type": JSON_CT, "X-Amz-Target": "AmazonSQS.GetQueueUrl", "x-amzn-query-mode": "true"})
    assert r.status_code == 400, r.text
    assert r.json()["__type"].endswith("#QueueDoesNotExist"), r.text
    assert r.headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"


def test_create_queue_conflict_and_attribute_validation(sqs, new_queue):
    url = new_queue(DelaySeconds=5)
    name = url.rsplit("/", 1)[1]
    assert sqs.create_queue(QueueName=name, Attributes={"DelaySeconds": "5"})["QueueUrl"] == url
    with pytest.raises(sqs.exceptions.QueueNameExists) as ei:
        sqs.create_queue(QueueName=name, Attributes={"DelaySeconds": "6"})
    assert error_of(ei.value)[1:3] == (
        "QueueAlreadyExists", "A queue already exists with the same name and a different value for attribute DelaySeconds")

    cases = [
        ({"DelaySeconds": "901"}, "InvalidAttributeValue", "Invalid value for the parameter DelaySeconds."),
        ({"MaximumMessageSize": "1023"}, "InvalidAttributeValue", "Invalid value for the parameter MaximumMessageSize."),
        ({"MaximumMessageSize": "1048577"}, "InvalidAttributeValue", None),
        ({"MessageRetentionPeriod": "59"}, "InvalidAttributeValue", None),
        ({"MessageRetentionPeriod": "1209601"}, "InvalidAttributeValue", None),
        ({"ReceiveMessageWaitTimeSeconds": "21"}, "InvalidAttributeValue", None),
        ({"VisibilityTimeout": "43201"}, "InvalidAttributeValue", None),
        ({"FifoQueue": "false"}, "InvalidAttributeName", "Unknown Attribute FifoQueue."),
        ({"ContentBasedDeduplication": "true"}, "InvalidAttributeName", "Unknown Attribute ContentBasedDeduplication."),
        ({"DeduplicationScope": "queue"}, "InvalidAttributeName",
         "You can specify the DeduplicationScope only when FifoQueue is set to true."),
        ({"FifoThroughputLimit": "perQueue"}, "InvalidAttributeName",
         "You can specify the FifoThroughputLimit only when FifoQueue is set to true."),
        ({"NoSuchAttribute": "1"}, "InvalidAttributeName", "Unknown Attribute NoSuchAttribute."),
        ({"RedrivePolicy": "not json"}, "InvalidParameterValue",
         "Value not json for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map."),
    ]
    for attrs, code, message in cases:
        with pytest.raises(ClientError) as ei:
            sqs.create_queue(QueueName=unique("bad"), Attributes=attrs)
        status, got_code, got_message, _ = error_of(ei.value)
        assert (status, got_code) == (400, code), (attrs, ei.value.response)
        if message:
            assert got_message == message, attrs


def test_queue_names(sqs, new_queue):
    for bad in ["has space", "a" * 81, "dot.name", "x.fifo"]:
        with pytest.raises(ClientError) as ei:
            sqs.create_queue(QueueName=bad)
        assert error_of(ei.value)[1:3] == (
            "InvalidParameterValue", "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
    with pytest.raises(ClientError) as ei:
        sqs.create_queue(QueueName=unique("nofifo"), Attributes={"FifoQueue": "true"})
    assert "must end with .fifo suffix" in error_of(ei.value)[2]
    assert new_queue(name="a" * 75, fifo=True).endswith("/" + "a" * 75 + ".fifo")


def test_list_queues_pagination(sqs, new_queue):
    prefix = unique("page")
    urls = sorted(new_queue(name=f"{prefix}-{i}") for i in range(5))
    seen, token = [], None
    while True:
        kw = {"QueueNamePrefix": prefix, "MaxResults": 2}
        if token:
            kw["NextToken"] = token
        page = sqs.list_queues(**kw)
        assert len(page.get("QueueUrls", [])) <= 2
        seen += page.get("QueueUrls", [])
        token = page.get("NextToken")
        if not token:
            break
    assert seen == urls
    assert len(sqs.list_queues(QueueNamePrefix=prefix)["QueueUrls"]) == 5
    with pytest.raises(ClientError) as ei:
        sqs.list_queues(MaxResults=1001)
    assert error_of(ei.value)[1] == "InvalidParameterValue"


def test_cross_account_get_queue_url(sqs, new_queue):
    url = new_queue()
    name = url.rsplit("/", 1)[1]
    assert sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=ACCOUNT_ID)["QueueUrl"] == url
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId="123456789012")


def test_queue_url_forms_accepted(server, sqs, new_queue):
    url = new_queue()
    name = url.rsplit("/", 1)[1]
    for form in (url, f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{name}",
                 f"http://sqs.{REGION}.localhost:{server.port}/{ACCOUNT_ID}/{name}", name):
        sqs.send_message(QueueUrl=form, MessageBody="x")
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "4"


def test_queue_url_follows_host_used(server):
    name = unique("host")
    host = f"sqs.{REGION}.localhost:{server.port}"
    r = signed_request("POST", server.url + "/", "sqs", body=json.dumps({"QueueName": name}).encode(), headers={
        "Host": host, "Content-Type": JSON_CT, "X-Amz-Target": "AmazonSQS.CreateQueue", "x-amzn-query-mode": "true"})
    assert r.status_code == 200, r.text
    assert r.json()["QueueUrl"] == f"http://{host}/{ACCOUNT_ID}/{name}"


def test_queue_attributes_all_and_set(sqs, new_queue):
    url = new_queue(VisibilityTimeout=20, ReceiveMessageWaitTimeSeconds=2)
    before = int(time.time())
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    name = url.rsplit("/", 1)[1]
    assert attrs["QueueArn"] == f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
    expected = {
        "ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesDelayed": "0",
        "ApproximateNumberOfMessagesNotVisible": "0", "DelaySeconds": "0", "MaximumMessageSize": "1048576",
        "MessageRetentionPeriod": "345600", "ReceiveMessageWaitTimeSeconds": "2", "SqsManagedSseEnabled": "true",
        "VisibilityTimeout": "20",
    }
    for k, v in expected.items():
        assert attrs[k] == v, k
    assert set(attrs) == set(expected) | {"QueueArn", "CreatedTimestamp", "LastModifiedTimestamp"}
    assert abs(int(attrs["CreatedTimestamp"]) - before) <= 5

    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "420", "MaximumMessageSize": "2048"})
    some = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["DelaySeconds", "MaximumMessageSize"])
    assert some["Attributes"] == {"DelaySeconds": "420", "MaximumMessageSize": "2048"}
    with pytest.raises(ClientError) as ei:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"FifoQueue": "true"})
    assert error_of(ei.value)[1:3] == ("InvalidAttributeName", "Unknown Attribute FifoQueue.")
    with pytest.raises(ClientError) as ei:
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["NoSuchName"])
    assert error_of(ei.value)[1:3] == ("InvalidAttributeName", "Unknown Attribute NoSuchName.")
    # No names asked, no attributes answered.
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url)


def test_fifo_queue_attributes(sqs, new_queue):
    url = new_queue(fifo=True, ContentBasedDeduplication="true")
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["FifoQueue"] == "true"
    assert attrs["ContentBasedDeduplication"] == "true"
    assert attrs["DeduplicationScope"] == "queue"
    assert attrs["FifoThroughputLimit"] == "perQueue"
    sqs.set_queue_attributes(QueueUrl=url, Attributes={
        "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"})
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attrs["DeduplicationScope"], attrs["FifoThroughputLimit"]) == ("messageGroup", "perMessageGroupId")
    with pytest.raises(ClientError) as ei:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"FifoQueue": "false"})
    assert error_of(ei.value)[1:3] == (
        "InvalidAttributeValue", "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.")


def test_purge_queue(sqs, new_queue):
    url = new_queue()
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    sqs.purge_queue(QueueUrl=url)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    with pytest.raises(sqs.exceptions.PurgeQueueInProgress) as ei:
        sqs.purge_queue(QueueUrl=url)
    status, code, message, query_code = error_of(ei.value)
    assert (status, code, query_code) == (403, "AWS.SimpleQueueService.PurgeQueueInProgress", "PurgeQueueInProgress")
    assert message == f"Only one PurgeQueue operation on {url.rsplit('/', 1)[1]} is allowed every 60 seconds."


def test_tags(sqs):
    name = unique("tags")
    url = sqs.create_queue(QueueName=name, tags={"a": "1"})["QueueUrl"]
    try:
        sqs.tag_queue(QueueUrl=url, Tags={"b": "2", "c": ""})
        assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"a": "1", "b": "2", "c": ""}
        sqs.untag_queue(QueueUrl=url, TagKeys=["a", "c"])
        assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"b": "2"}
        sqs.untag_queue(QueueUrl=url, TagKeys=["b"])
        assert "Tags" not in sqs.list_queue_tags(QueueUrl=url)
    finally:
        sqs.delete_queue(QueueUrl=url)


def test_permissions_and_policy(sqs, new_queue):
    url = new_queue()
    arn = arn_of(sqs, url)
    sqs.add_permission(QueueUrl=url, Label="p1", AWSAccountIds=["111111111111", ACCOUNT_ID],
                       Actions=["ReceiveMessage"])
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    assert policy == {
        "Version": "2008-10-17", "Id": f"{arn}/SQSDefaultPolicy",
        "Statement": [{
            "Sid": "p1", "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::111111111111:root", f"arn:aws:iam::{ACCOUNT_ID}:root"]},
            "Action": "SQS:ReceiveMessage", "Resource": arn}],
    }
    with pytest.raises(ClientError) as ei:
        sqs.add_permission(QueueUrl=url, Label="p1", AWSAccountIds=[ACCOUNT_ID], Actions=["SendMessage"])
    assert error_of(ei.value)[1:3] == (
        "InvalidParameterValue", "Value p1 for parameter Label is invalid. Reason: Already exists.")
    with pytest.raises(sqs.exceptions.OverLimit):
        sqs.add_permission(QueueUrl=url, Label="p2", AWSAccountIds=[ACCOUNT_ID], Actions=["SendMessage"] * 8)
    sqs.remove_permission(QueueUrl=url, Label="p1")
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
    with pytest.raises(ClientError) as ei:
        sqs.remove_permission(QueueUrl=url, Label="p1")
    assert error_of(ei.value)[2] == "Value p1 for parameter Label is invalid. Reason: can't find label."
    custom = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": arn}]})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": custom})
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"] == custom


# --------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------

def test_send_receive_delete_with_md5s(sqs, new_queue):
    url = new_queue()
    attrs = {
        "Hello": {"DataType": "String", "StringValue": "There"},
        "Help.Me": {"DataType": "String", "StringValue": "Me"},
        "General": {"DataType": "String", "StringValue": "Kenobi"},
        "Count": {"DataType": "Number.int", "StringValue": "42"},
        "Blob": {"DataType": "Binary", "BinaryValue": bytes(range(256))},
    }
    body = "héllo wörld ✓ 𝄞"
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    sent = sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attrs,
                            MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": trace}})
    assert sent["MD5OfMessageBody"] == md5_hex(body.encode())
    assert sent["MD5OfMessageAttributes"] == attributes_md5(attrs)
    assert sent["MD5OfMessageSystemAttributes"] == attributes_md5(
        {"AWSTraceHeader": {"DataType": "String", "StringValue": trace}})
    assert "SequenceNumber" not in sent

    got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"])
    [m] = got["Messages"]
    assert m["MessageId"] == sent["MessageId"]
    assert m["Body"] == body
    assert m["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert m["MessageAttributes"] == attrs
    assert m["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    a = m["Attributes"]
    assert a["SenderId"] == ACCOUNT_ID
    assert a["ApproximateReceiveCount"] == "1"
    assert a["AWSTraceHeader"] == trace
    now_ms = time.time() * 1000
    assert abs(int(a["SentTimestamp"]) - now_ms) < 10_000
    assert int(a["ApproximateFirstReceiveTimestamp"]) >= int(a["SentTimestamp"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    # Deleting twice is fine.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")


def test_message_attribute_name_filters(sqs, new_queue):
    url = new_queue(VisibilityTimeout=0)
    attrs = {
        "Help.Me": {"DataType": "String", "StringValue": "Me"},
        "Hello": {"DataType": "String", "StringValue": "There"},
        "General": {"DataType": "String", "StringValue": "Kenobi"},
    }
    sqs.send_message(QueueUrl=url, MessageBody="msg", MessageAttributes=attrs)

    def names(filters):
        [m] = sqs.receive_message(QueueUrl=url, MessageAttributeNames=filters)["Messages"]
        return m.get("MessageAttributes", {}), m.get("MD5OfMessageAttributes")

    assert names([]) == ({}, None)
    for everything in (["All"], ["*"], [".*"]):
        assert names(everything) == (attrs, "4c360f3fdafd970e05fae2f149d997f5")
    assert names(["Foo", "Help"]) == ({}, None)
    sub = {k: attrs[k] for k in ("Hello", "General")}
    assert names(["Hello", "General"]) == (sub, "fca026605781cb4126a1e9044df24232")
    pre = {k: attrs[k] for k in ("Hello", "Help.Me")}
    assert names(["Hel.*"]) == (pre, "83fee93c1bcd8b9a5a923ffacdc636c7")


def test_system_attribute_names_both_members(sqs, new_queue):
    url = new_queue(VisibilityTimeout=0)
    sqs.send_message(QueueUrl=url, MessageBody="msg")
    [m] = sqs.receive_message(QueueUrl=url, AttributeNames=["SenderId"])["Messages"]
    assert m["Attributes"] == {"SenderId": ACCOUNT_ID}
    [m] = sqs.receive_message(QueueUrl=url, AttributeNames=["SentTimestamp", "ApproximateReceiveCount"])["Messages"]
    assert set(m["Attributes"]) == {"SentTimestamp", "ApproximateReceiveCount"}
    [m] = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"], AttributeNames=["SenderId"])["Messages"]
    assert set(m["Attributes"]) == {"SenderId", "SentTimestamp", "ApproximateReceiveCount",
                                    "ApproximateFirstReceiveTimestamp"}
    [m] = sqs.receive_message(QueueUrl=url)["Messages"]
    assert "Attributes" not in m


def test_message_validation_errors(sqs, new_queue):
    url = new_queue(MaximumMessageSize=1024)

    def err(**kw):
        params = {"QueueUrl": url, "MessageBody": "ok"}
        params.update(kw)
        with pytest.raises(ClientError) as ei:
            sqs.send_message(**params)
        return error_of(ei.value)

    status, code, message, _ = err(MessageBody="bad\x00body")
    assert (status, code) == (400, "InvalidMessageContents")
    assert message == ("Invalid binary character '#x0' was found in the message body, the set of allowed characters "
                       "is #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].")
    assert err(MessageBody="\uffff")[1] == "InvalidMessageContents"
    assert err(MessageBody="")[1:3] == ("MissingParameter", "The request must contain the parameter MessageBody.")
    assert err(MessageBody="a" * 1025)[1:3] == (
        "InvalidParameterValue", "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.")
    sqs.send_message(QueueUrl=url, MessageBody="a" * 1024)
    # Attributes count towards the size.
    assert err(MessageBody="a" * 1020, MessageAttributes={"k": {"DataType": "String", "StringValue": "x"}})[1] \
        == "InvalidParameterValue"
    assert err(DelaySeconds=901)[2] == \
        "Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900."
    assert err(MessageAttributes={"E": {"DataType": "String", "StringValue": ""}})[2] == \
        "Message (user) attribute 'E' must contain a non-empty value of type 'String'."
    assert err(MessageAttributes={"AWS.x": {"DataType": "String", "StringValue": "v"}})[1] == "InvalidParameterValue"
    assert err(MessageAttributes={"n": {"DataType": "Number", "StringValue": "abc"}})[1] == "InvalidParameterValue"
    assert err(MessageDeduplicationId="d")[2] == ("Value d for parameter MessageDeduplicationId is invalid. Reason: "
                                                  "The request includes a parameter that is not valid for this queue type.")
    with pytest.raises(ClientError) as ei:
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=11)
    assert error_of(ei.value)[1:3] == (
        "InvalidParameterValue", "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.")
    with pytest.raises(ClientError) as ei:
        sqs.receive_message(QueueUrl=url, WaitTimeSeconds=21)
    assert error_of(ei.value)[2] == \
        "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided."


def test_one_mebibyte_message(sqs, new_queue):
    url = new_queue()
    body = "x" * 1_048_576
    sent = sqs.send_message(QueueUrl=url, MessageBody=body)
    [m] = sqs.receive_message(QueueUrl=url)["Messages"]
    assert m["Body"] == body and m["MD5OfBody"] == sent["MD5OfMessageBody"] == md5_hex(body.encode())
    with pytest.raises(ClientError) as ei:
        sqs.send_message(QueueUrl=url, MessageBody=body + "x")
    assert error_of(ei.value)[2] == \
        "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes."


def test_receipt_handle_errors(sqs, new_queue):
    url = new_queue()
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid) as ei:
        sqs.delete_message(QueueUrl=url, ReceiptHandle="garbage")
    assert error_of(ei.value)[1:3] == (
        "ReceiptHandleIsInvalid", 'The input receipt handle "garbage" is not a valid receipt handle.')
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [m] = sqs.receive_message(QueueUrl=url)["Messages"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=42)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    with pytest.raises(ClientError) as ei:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=42)
    assert error_of(ei.value)[1:3] == (
        "InvalidParameterValue",
        f"Value {m['ReceiptHandle']} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is "
        f"not available for visibility timeout change.")
    # A handle of another queue is not valid here.
    other = new_queue()
    sqs.send_message(QueueUrl=other, MessageBody="y")
    [o] = sqs.receive_message(QueueUrl=other)["Messages"]
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=url, ReceiptHandle=o["ReceiptHandle"])


def test_visibility_timeout_expiry(sqs, new_queue):
    url = new_queue(VisibilityTimeout=1)
    sqs.send_message(QueueUrl=url, MessageBody="again")
    [m1] = sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"]) == ("0", "1")
    time.sleep(1.2)
    [m2] = sqs.receive_message(QueueUrl=url, AttributeNames=["All"], VisibilityTimeout=30)["Messages"]
    assert m2["MessageId"] == m1["MessageId"]
    assert m2["ReceiptHandle"] != m1["ReceiptHandle"]
    assert m2["Attributes"]["ApproximateReceiveCount"] == "2"
    assert m2["Attributes"]["ApproximateFirstReceiveTimestamp"] == m1["Attributes"]["ApproximateFirstReceiveTimestamp"]
    # Changing visibility to 0 makes it visible at once.
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m2["ReceiptHandle"], VisibilityTimeout=0)
    [m3] = sqs.receive_message(QueueUrl=url)["Messages"]
    assert m3["MessageId"] == m1["MessageId"]


def test_standard_delete_after_visibility_expired(sqs, new_queue):
    url = new_queue(VisibilityTimeout=1)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [m] = sqs.receive_message(QueueUrl=url)["Messages"]
    time.sleep(1.2)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_delay_queue_and_message_delay(sqs, new_queue):
    url = new_queue(DelaySeconds=1)
    sqs.send_message(QueueUrl=url, MessageBody="queue-delay")
    sqs.send_message(QueueUrl=url, MessageBody="no-delay", DelaySeconds=0)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
    assert attrs["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == ["no-delay"]
    time.sleep(1.2)
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == ["queue-delay"]


# --------------------------------------------------------------------------------------
# Long polling
# --------------------------------------------------------------------------------------

def _receive_in_thread(sqs, url, **kw):
    out = {}

    def run():
        t0 = time.monotonic()
        out["resp"] = sqs.receive_message(QueueUrl=url, **kw)
        out["done"] = time.monotonic()
        out["took"] = out["done"] - t0

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


def test_long_poll_wakes_on_send(client, new_queue):
    url = new_queue()
    waiter, sender = client("sqs"), client("sqs")
    t, out = _receive_in_thread(waiter, url, WaitTimeSeconds=5)
    time.sleep(0.5)
    sent_at = time.monotonic()
    sender.send_message(QueueUrl=url, MessageBody="wake up")
    t.join(timeout=10)
    assert not t.is_alive()
    assert [m["Body"] for m in out["resp"]["Messages"]] == ["wake up"]
    assert out["done"] - sent_at < 0.5, f"receive returned {out['done'] - sent_at:.3f}s after the send"


def test_long_poll_times_out_empty(sqs, new_queue):
    url = new_queue()
    t0 = time.monotonic()
    resp = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    took = time.monotonic() - t0
    assert "Messages" not in resp
    assert 0.9 <= took < 2.5, took


def test_long_poll_queue_default_wait(sqs, new_queue):
    url = new_queue(ReceiveMessageWaitTimeSeconds=1)
    t0 = time.monotonic()
    sqs.receive_message(QueueUrl=url)
    assert time.monotonic() - t0 >= 0.9
    t0 = time.monotonic()
    sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)
    assert time.monotonic() - t0 < 0.5


def test_long_poll_wakes_when_delay_ends(sqs, new_queue):
    url = new_queue()
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    t0 = time.monotonic()
    resp = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)
    took = time.monotonic() - t0
    assert [m["Body"] for m in resp["Messages"]] == ["later"]
    assert 0.8 <= took < 2.5, took


def test_long_poll_ends_on_delete_queue(client, new_queue):
    url = new_queue()
    waiter, other = client("sqs"), client("sqs")
    t, out = _receive_in_thread(waiter, url, WaitTimeSeconds=10)
    time.sleep(0.5)
    deleted_at = time.monotonic()
    other.delete_queue(QueueUrl=url)
    t.join(timeout=15)
    assert not t.is_alive()
    assert "Messages" not in out["resp"]
    assert out["done"] - deleted_at < 1.0


def test_many_long_polls_share_a_batch(client, new_queue):
    url = new_queue()
    threads = [_receive_in_thread(client("sqs"), url, WaitTimeSeconds=5) for _ in range(4)]
    time.sleep(0.5)
    client("sqs").send_message_batch(QueueUrl=url, Entries=[{"Id": f"e{i}", "MessageBody": f"m{i}"} for i in range(4)])
    bodies = []
    for t, out in threads:
        t.join(timeout=10)
        bodies += [m["Body"] for m in out["resp"].get("Messages", [])]
    assert sorted(bodies) == ["m0", "m1", "m2", "m3"]


# --------------------------------------------------------------------------------------
# Batches
# --------------------------------------------------------------------------------------

def test_batch_operations(sqs, new_queue):
    url = new_queue()
    entries = [{"Id": f"e{i}", "MessageBody": f"m{i}",
                "MessageAttributes": {"i": {"DataType": "Number", "StringValue": str(i)}}} for i in range(10)]
    sent = sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert sent.get("Failed", []) == []
    assert sorted(s["Id"] for s in sent["Successful"]) == sorted(e["Id"] for e in entries)
    for s in sent["Successful"]:
        i = int(s["Id"][1:])
        assert s["MD5OfMessageBody"] == md5_hex(f"m{i}".encode())
        assert s["MD5OfMessageAttributes"] == attributes_md5(entries[i]["MessageAttributes"])
    msgs = receive_all(sqs, url, 10)
    assert sorted(m["Body"] for m in msgs) == [f"m{i}" for i in range(10)]
    vis = sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
        {"Id": "a", "ReceiptHandle": msgs[0]["ReceiptHandle"], "VisibilityTimeout": 60},
        {"Id": "b", "ReceiptHandle": "garbage", "VisibilityTimeout": 60}])
    assert [s["Id"] for s in vis["Successful"]] == ["a"]
    assert vis["Failed"] == [{"Id": "b", "SenderFault": True, "Code": "ReceiptHandleIsInvalid",
                              "Message": 'The input receipt handle "garbage" is not a valid receipt handle.'}]
    deleted = sqs.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])
    assert len(deleted["Successful"]) == 10
    assert deleted.get("Failed", []) == []


def test_batch_errors(sqs, new_queue):
    url = new_queue(MaximumMessageSize=1024)

    def batch_error(call, **kw):
        with pytest.raises(ClientError) as ei:
            call(QueueUrl=url, **kw)
        return error_of(ei.value)

    status, code, message, query_code = batch_error(
        sqs.send_message_batch, Entries=[{"Id": f"e{i}", "MessageBody": "x"} for i in range(11)])
    assert (status, code, query_code) == (
        400, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "TooManyEntriesInBatchRequest")
    assert message == "Maximum number of entries per request are 10. You have sent 11."
    assert batch_error(sqs.delete_message_batch, Entries=[{"Id": f"e{i}", "ReceiptHandle": "x"} for i in range(20)])[2] \
        == "Maximum number of entries per request are 10. You have sent 20."
    assert batch_error(sqs.send_message_batch, Entries=[])[1] == "AWS.SimpleQueueService.EmptyBatchRequest"
    assert batch_error(sqs.change_message_visibility_batch, Entries=[])[1] == "AWS.SimpleQueueService.EmptyBatchRequest"
    dup = batch_error(sqs.send_message_batch, Entries=[{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}])
    assert dup[1:4] == ("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id a repeated.", "BatchEntryIdsNotDistinct")
    bad = batch_error(sqs.send_message_batch, Entries=[{"Id": "not valid!", "MessageBody": "x"}])
    assert bad[1:3] == ("AWS.SimpleQueueService.InvalidBatchEntryId",
                        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
                        "It can be at most 80 letters long.")
    # Per-entry failures: the rest succeed.
    resp = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "ok", "MessageBody": "fine"},
        {"Id": "big", "MessageBody": "a" * 1025},
        {"Id": "ctl", "MessageBody": "\x01"}])
    assert [s["Id"] for s in resp["Successful"]] == ["ok"]
    failed = {f["Id"]: f for f in resp["Failed"]}
    assert failed["big"] == {"Id": "big", "SenderFault": True, "Code": "InvalidParameterValue",
                             "Message": "One or more parameters cannot be validated. Reason: Message must be shorter "
                                        "than 1024 bytes."}
    assert failed["ctl"]["Code"] == "InvalidMessageContents"


def test_batch_request_too_long(sqs, new_queue):
    url = new_queue()
    attrs = {"k": {"DataType": "String", "StringValue": "x"}}
    body = "a" * (1_048_576 - len("k") - len("String") - len("x"))
    with pytest.raises(ClientError) as ei:
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": "1", "MessageBody": body, "MessageAttributes": attrs}, {"Id": "2", "MessageBody": "a"}])
    assert error_of(ei.value) == (
        400, "AWS.SimpleQueueService.BatchRequestTooLong",
        "Batch requests cannot be longer than 1048576 bytes. You have sent 1048577 bytes.", "BatchRequestTooLong")


# --------------------------------------------------------------------------------------
# FIFO
# --------------------------------------------------------------------------------------

def test_fifo_ordering_and_group_blocking(sqs, new_queue):
    url = new_queue(fifo=True)
    seqs = []
    for i in range(5):
        r = sqs.send_message(QueueUrl=url, MessageBody=f"a{i}", MessageGroupId="A", MessageDeduplicationId=f"a{i}")
        seqs.append(int(r["SequenceNumber"]))
        assert len(r["SequenceNumber"]) == 20
    assert seqs == sorted(seqs) and len(set(seqs)) == 5
    sqs.send_message(QueueUrl=url, MessageBody="b0", MessageGroupId="B", MessageDeduplicationId="b0")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3, AttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in first] == ["a0", "a1", "a2"]
    assert first[0]["Attributes"]["MessageGroupId"] == "A"
    assert first[0]["Attributes"]["MessageDeduplicationId"] == "a0"
    assert int(first[0]["Attributes"]["SequenceNumber"]) == seqs[0]
    # Group A is blocked while a0..a2 are in flight: only B is served.
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == ["b0"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    for m in first:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == ["a3", "a4"]


def test_fifo_deduplication(sqs, new_queue):
    url = new_queue(fifo=True)
    a = sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="same")
    b = sqs.send_message(QueueUrl=url, MessageBody="y", MessageGroupId="g", MessageDeduplicationId="same")
    assert a["MessageId"] == b["MessageId"] and a["SequenceNumber"] == b["SequenceNumber"]
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in msgs] == ["x"]
    # Still deduplicated after the message was deleted (5-minute window).
    sqs.delete_message(QueueUrl=url, ReceiptHandle=msgs[0]["ReceiptHandle"])
    sqs.send_message(QueueUrl=url, MessageBody="z", MessageGroupId="g", MessageDeduplicationId="same")
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_fifo_content_based_deduplication(sqs, new_queue):
    url = new_queue(fifo=True, ContentBasedDeduplication="true")
    sqs.send_message(QueueUrl=url, MessageBody="abc", MessageGroupId="g")
    sqs.send_message(QueueUrl=url, MessageBody="abc", MessageGroupId="g")
    sqs.send_message(QueueUrl=url, MessageBody="abd", MessageGroupId="g")
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["MessageDeduplicationId"])["Messages"]
    assert [m["Body"] for m in msgs] == ["abc", "abd"]
    assert msgs[0]["Attributes"]["MessageDeduplicationId"] == hashlib.sha256(b"abc").hexdigest()


def test_fifo_deduplication_scope_message_group(sqs, new_queue):
    url = new_queue(fifo=True, DeduplicationScope="messageGroup", FifoThroughputLimit="perMessageGroupId")
    sqs.send_message(QueueUrl=url, MessageBody="1", MessageGroupId="g1", MessageDeduplicationId="d")
    sqs.send_message(QueueUrl=url, MessageBody="2", MessageGroupId="g2", MessageDeduplicationId="d")
    sqs.send_message(QueueUrl=url, MessageBody="3", MessageGroupId="g2", MessageDeduplicationId="d")
    msgs = receive_all(sqs, url, 2, timeout=3)
    assert sorted(m["Body"] for m in msgs) == ["1", "2"]


def test_fifo_errors(sqs, new_queue):
    url = new_queue(fifo=True)
    with pytest.raises(ClientError) as ei:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    assert error_of(ei.value)[1:4] == (
        "MissingParameter", "The request must contain the parameter MessageGroupId.", "MissingRequiredParameterException")
    with pytest.raises(ClientError) as ei:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    assert error_of(ei.value)[1:3] == (
        "InvalidParameterValue",
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
    with pytest.raises(ClientError) as ei:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d", DelaySeconds=2)
    assert error_of(ei.value)[2] == ("Value 2 for parameter DelaySeconds is invalid. Reason: The request include "
                                     "parameter that is not valid for this queue type.")
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d", DelaySeconds=0)
    with pytest.raises(ClientError) as ei:
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "x", "MessageDeduplicationId": "e"}])
    assert error_of(ei.value)[1:3] == ("InvalidParameterValue", "The request must contain the parameter MessageGroupId.")


def test_fifo_expired_receipt_handle(sqs, new_queue):
    url = new_queue(fifo=True, VisibilityTimeout=1, ContentBasedDeduplication="true")
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    [m] = sqs.receive_message(QueueUrl=url)["Messages"]
    time.sleep(1.3)
    with pytest.raises(ClientError) as ei:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert error_of(ei.value)[1:3] == (
        "InvalidParameterValue",
        f"Value {m['ReceiptHandle']} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.")


def test_fifo_receive_request_attempt_id(sqs, new_queue):
    url = new_queue(fifo=True, ContentBasedDeduplication="true")
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}", MessageGroupId=f"g{i}")
    a = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="try-1")["Messages"]
    b = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="try-1")["Messages"]
    assert [m["ReceiptHandle"] for m in a] == [m["ReceiptHandle"] for m in b]
    c = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="try-2")["Messages"]
    assert [m["Body"] for m in c] == ["m2"]


def test_standard_queue_accepts_message_group_id(sqs, new_queue):
    url = new_queue()
    sqs.send_message(QueueUrl=url, MessageBody="fair", MessageGroupId="tenant-1")
    [m] = sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"]
    assert m["Attributes"]["MessageGroupId"] == "tenant-1"
    with pytest.raises(ClientError) as ei:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="has space")
    assert error_of(ei.value)[2] == ("Value has space for parameter MessageGroupId is invalid. Reason: MessageGroupId can "
                                     "only include alphanumeric and punctuation characters. 1 to 128 in length.")


# --------------------------------------------------------------------------------------
# Dead-letter queues and redrive
# --------------------------------------------------------------------------------------

def test_dead_letter_redrive_and_move_task(sqs, new_queue):
    dlq = new_queue()
    dlq_arn = arn_of(sqs, dlq)
    src = new_queue(RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"}))
    src_arn = arn_of(sqs, src)
    policy = sqs.get_queue_attributes(QueueUrl=src, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"]
    assert json.loads(policy) == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1}
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [src]

    attrs = {"MyAttribute": {"StringValue": "foobar", "DataType": "String"}}
    sent = sqs.send_message(QueueUrl=src, MessageBody="poison", MessageAttributes=attrs)
    got = sqs.receive_message(QueueUrl=src, VisibilityTimeout=0)["Messages"]
    assert len(got) == 1
    # The receive that would exceed maxReceiveCount moves it instead.
    assert "Messages" not in sqs.receive_message(QueueUrl=src, VisibilityTimeout=0)
    [dead] = sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"], MessageAttributeNames=["All"],
                                 VisibilityTimeout=0)["Messages"]
    assert dead["MessageId"] == sent["MessageId"]
    assert dead["Body"] == "poison"
    assert dead["MessageAttributes"] == attrs
    assert dead["MD5OfMessageAttributes"] == "adb59cd4678ea5a855436b949cd07ab6"
    assert dead["Attributes"]["DeadLetterQueueSourceArn"] == src_arn
    assert dead["Attributes"]["ApproximateReceiveCount"] == "2"

    with pytest.raises(ClientError) as ei:
        sqs.start_message_move_task(SourceArn=src_arn)
    assert error_of(ei.value)[1:3] == ("InvalidParameterValue", "Source queue must be configured as a Dead Letter Queue.")
    with pytest.raises(ClientError) as ei:
        sqs.start_message_move_task(SourceArn=dlq_arn + "-nope")
    assert error_of(ei.value)[:3] == (
        404, "ResourceNotFoundException", "The resource that you specified for the SourceArn parameter doesn't exist.")

    handle = sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]
    deadline = time.monotonic() + 5
    while True:
        [task] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
        if task["Status"] != "RUNNING" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert task["Status"] == "COMPLETED"
    assert (task["ApproximateNumberOfMessagesMoved"], task["ApproximateNumberOfMessagesToMove"]) == (1, 1)
    assert task["SourceArn"] == dlq_arn and "TaskHandle" not in task
    [back] = sqs.receive_message(QueueUrl=src, AttributeNames=["All"])["Messages"]
    assert back["Body"] == "poison"
    assert "DeadLetterQueueSourceArn" not in back["Attributes"]
    with pytest.raises(ClientError) as ei:
        sqs.cancel_message_move_task(TaskHandle="not-a-handle")
    assert error_of(ei.value)[1:3] == ("InvalidParameterValue", "Value for parameter TaskHandle is invalid.")
    assert handle


def test_move_task_with_rate_and_cancel(sqs, new_queue):
    dlq = new_queue()
    dlq_arn = arn_of(sqs, dlq)
    new_queue(RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}))
    dest = new_queue()
    dest_arn = arn_of(sqs, dest)
    sqs.send_message_batch(QueueUrl=dlq, Entries=[{"Id": f"e{i}", "MessageBody": f"m{i}"} for i in range(10)])
    handle = sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=dest_arn,
                                         MaxNumberOfMessagesPerSecond=2)["TaskHandle"]
    with pytest.raises(ClientError) as ei:
        sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=dest_arn)
    assert error_of(ei.value)[2] == ("There is already a task running. Only one active task is allowed for a source "
                                     "queue arn at a given time.")
    time.sleep(1.2)
    [running] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert running["Status"] == "RUNNING"
    assert running["TaskHandle"] == handle
    assert running["MaxNumberOfMessagesPerSecond"] == 2
    assert running["DestinationArn"] == dest_arn
    assert 1 <= running["ApproximateNumberOfMessagesMoved"] < 10
    moved = sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
    time.sleep(0.7)
    [after] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert after["Status"] == "CANCELLED"
    assert after["ApproximateNumberOfMessagesMoved"] == moved
    n = sqs.get_queue_attributes(QueueUrl=dest, AttributeNames=["ApproximateNumberOfMessages"])
    assert int(n["Attributes"]["ApproximateNumberOfMessages"]) == moved


def test_redrive_policy_validation(sqs, new_queue):
    fifo_dlq = new_queue(fifo=True)
    with pytest.raises(ClientError) as ei:
        new_queue(RedrivePolicy=json.dumps({"deadLetterTargetArn": arn_of(sqs, fifo_dlq), "maxReceiveCount": 3}))
    assert "Dead-letter queue must be same type of queue as the source" in error_of(ei.value)[2]
    dlq = new_queue()
    for policy, reason in [
        ({"maxReceiveCount": 3}, "Redrive policy does not contain mandatory attribute: deadLetterTargetArn."),
        ({"deadLetterTargetArn": arn_of(sqs, dlq)}, "Redrive policy does not contain mandatory attribute: maxReceiveCount."),
        ({"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": 0},
         "Invalid value for maxReceiveCount: 0, valid values are from 1 to 1000 both inclusive."),
        ({"deadLetterTargetArn": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:does-not-exist", "maxReceiveCount": 3},
         "Dead letter target does not exist."),
    ]:
        text = json.dumps(policy)
        with pytest.raises(ClientError) as ei:
            new_queue(RedrivePolicy=text)
        assert error_of(ei.value)[1:3] == (
            "InvalidParameterValue", f"Value {text} for parameter RedrivePolicy is invalid. Reason: {reason}")
    # RedriveAllowPolicy denyAll keeps sources away; "" removes a redrive policy.
    deny = new_queue(RedriveAllowPolicy=json.dumps({"redrivePermission": "denyAll"}))
    with pytest.raises(ClientError):
        new_queue(RedrivePolicy=json.dumps({"deadLetterTargetArn": arn_of(sqs, deny), "maxReceiveCount": 3}))
    src = new_queue(RedrivePolicy=json.dumps({"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": 3}))
    sqs.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": ""})
    assert "RedrivePolicy" not in sqs.get_queue_attributes(QueueUrl=src, AttributeNames=["All"])["Attributes"]


def test_fifo_dead_letter_queue(sqs, new_queue):
    dlq = new_queue(fifo=True)
    src = new_queue(fifo=True, ContentBasedDeduplication="true",
                    RedrivePolicy=json.dumps({"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": 1}))
    sqs.send_message(QueueUrl=src, MessageBody="m1", MessageGroupId="g")
    sqs.send_message(QueueUrl=src, MessageBody="m2", MessageGroupId="g")
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=src, VisibilityTimeout=0)["Messages"]] == ["m1"]
    # m1 moves to the DLQ, which unblocks m2.
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=src)["Messages"]] == ["m2"]
    [dead] = sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"])["Messages"]
    assert dead["Body"] == "m1" and dead["Attributes"]["MessageGroupId"] == "g"


# --------------------------------------------------------------------------------------
# awsQuery (legacy wire names) and raw form posts
# --------------------------------------------------------------------------------------

def test_query_protocol_round_trip(qsqs, sqs):
    name = unique("query")
    url = qsqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "7"}, tags={"env": "test"})["QueueUrl"]
    try:
        assert qsqs.get_queue_url(QueueName=name)["QueueUrl"] == url
        assert url in qsqs.list_queues(QueueNamePrefix=name)["QueueUrls"]
        attrs = qsqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attrs["VisibilityTimeout"] == "7"
        assert qsqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "test"}
        msg_attrs = {"a": {"DataType": "String", "StringValue": "v"},
                     "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"}}
        sent = qsqs.send_message(QueueUrl=url, MessageBody="over query", MessageAttributes=msg_attrs)
        assert sent["MD5OfMessageAttributes"] == attributes_md5(msg_attrs)
        # The same queue through the JSON protocol.
        assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url
        [m] = qsqs.receive_message(QueueUrl=url, AttributeNames=["All"], MessageAttributeNames=["All"])["Messages"]
        assert m["Body"] == "over query"
        assert m["MessageAttributes"] == msg_attrs
        assert m["Attributes"]["ApproximateReceiveCount"] == "1"
        assert m["Attributes"]["SenderId"] == ACCOUNT_ID
        qsqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
        [m] = qsqs.receive_message(QueueUrl=url)["Messages"]
        qsqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        batch = qsqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": "1", "MessageBody": "b1"}, {"Id": "2", "MessageBody": "b2", "DelaySeconds": 0}])
        assert sorted(s["Id"] for s in batch["Successful"]) == ["1", "2"]
        msgs = receive_all(qsqs, url, 2)
        deleted = qsqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])
        assert len(deleted["Successful"]) == 2
        qsqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "3"})
        assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["DelaySeconds"])["Attributes"] == {"DelaySeconds": "3"}
    finally:
        qsqs.delete_queue(QueueUrl=url)


def test_query_protocol_errors(qsqs):
    with pytest.raises(qsqs.exceptions.QueueDoesNotExist) as ei:
        qsqs.get_queue_url(QueueName=unique("missing"))
    assert ei.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    url = qsqs.create_queue(QueueName=unique("qerr"))["QueueUrl"]
    try:
        with pytest.raises(qsqs.exceptions.TooManyEntriesInBatchRequest):
            qsqs.send_message_batch(QueueUrl=url, Entries=[{"Id": f"e{i}", "MessageBody": "x"} for i in range(11)])
        with pytest.raises(qsqs.exceptions.BatchEntryIdsNotDistinct):
            qsqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}])
        with pytest.raises(qsqs.exceptions.ReceiptHandleIsInvalid):
            qsqs.delete_message(QueueUrl=url, ReceiptHandle="garbage")
        with pytest.raises(ClientError) as ei:
            qsqs.create_queue(QueueName=url.rsplit("/", 1)[1], Attributes={"DelaySeconds": "9"})
        assert ei.value.response["Error"]["Code"] == "QueueAlreadyExists"
        with pytest.raises(ClientError) as ei:
            qsqs.send_message(QueueUrl=url, MessageBody="x" * 1_048_577)
        assert ei.value.response["Error"]["Code"] == "InvalidParameterValue"
        qsqs.purge_queue(QueueUrl=url)
        with pytest.raises(qsqs.exceptions.PurgeQueueInProgress):
            qsqs.purge_queue(QueueUrl=url)
    finally:
        qsqs.delete_queue(QueueUrl=url)


def _form_post(url: str, params: dict):
    body = form_body({"Version": "2012-11-05", **params})
    return signed_request("POST", url, "sqs", body=body, headers={"Content-Type": FORM_CT})


def test_raw_form_posts_to_queue_url_without_queue_url(server, sqs, new_queue):
    url = new_queue()
    r = _form_post(url, {"Action": "SendMessage", "MessageBody": "raw body",
                         "MessageAttribute.1.Name": "k", "MessageAttribute.1.Value.DataType": "String",
                         "MessageAttribute.1.Value.StringValue": "v"})
    assert r.status_code == 200, r.text
    assert xml_find_text(r.text, "MD5OfMessageBody") == md5_hex(b"raw body")
    assert xml_find_text(r.text, "MD5OfMessageAttributes") == attributes_md5(
        {"k": {"DataType": "String", "StringValue": "v"}})
    message_id = xml_find_text(r.text, "MessageId")
    r = _form_post(url, {"Action": "ReceiveMessage", "AttributeName.1": "All", "MessageAttributeName.1": "All"})
    assert r.status_code == 200, r.text
    assert "<ReceiveMessageResponse" in r.text
    assert xml_find_text(r.text, "MessageId") == message_id
    assert xml_find_text(r.text, "Body") == "raw body"
    handle = xml_find_text(r.text, "ReceiptHandle")
    r = _form_post(url, {"Action": "GetQueueAttributes", "AttributeName.1": "ApproximateNumberOfMessagesNotVisible"})
    assert r.status_code == 200, r.text
    assert "<Name>ApproximateNumberOfMessagesNotVisible</Name><Value>1</Value>" in r.text
    r = _form_post(url, {"Action": "DeleteMessage", "ReceiptHandle": handle})
    assert r.status_code == 200, r.text
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_raw_form_post_error_shape(server):
    missing = f"{server.url}/{ACCOUNT_ID}/{unique('absent')}"
    r = _form_post(missing, {"Action": "GetQueueAttributes", "AttributeName.1": "All"})
    assert r.status_code == 400, r.text
    assert xml_find_text(r.text, "Code") == "AWS.SimpleQueueService.NonExistentQueue"
    assert xml_find_text(r.text, "Type") == "Sender"
    r = _form_post(server.url + "/", {"Action": "GetQueueUrl", "QueueName": unique("absent")})
    assert r.status_code == 400, r.text
    assert xml_find_text(r.text, "Code") == "AWS.SimpleQueueService.NonExistentQueue"


# --------------------------------------------------------------------------------------
# AWS CLI
# --------------------------------------------------------------------------------------

def test_aws_cli(aws_cli):
    name = unique("cli")
    res = aws_cli("sqs", "create-queue", "--queue-name", name, "--attributes", "VisibilityTimeout=5")
    assert res.returncode == 0, res.stderr
    url = res.json["QueueUrl"]
    try:
        res = aws_cli("sqs", "send-message", "--queue-url", url, "--message-body", "from the cli",
                      "--message-attributes", '{"k":{"DataType":"String","StringValue":"v"}}')
        assert res.returncode == 0, res.stderr
        assert res.json["MD5OfMessageBody"] == md5_hex(b"from the cli")
        assert res.json["MD5OfMessageAttributes"] == attributes_md5({"k": {"DataType": "String", "StringValue": "v"}})
        res = aws_cli("sqs", "receive-message", "--queue-url", url, "--attribute-names", "All",
                      "--message-attribute-names", "All", "--wait-time-seconds", "1")
        assert res.returncode == 0, res.stderr
        [m] = res.json["Messages"]
        assert m["Body"] == "from the cli"
        assert m["MessageAttributes"] == {"k": {"DataType": "String", "StringValue": "v"}}
        res = aws_cli("sqs", "delete-message", "--queue-url", url, "--receipt-handle", m["ReceiptHandle"])
        assert res.returncode == 0, res.stderr
        res = aws_cli("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "All")
        assert res.json["Attributes"]["VisibilityTimeout"] == "5"
    finally:
        aws_cli("sqs", "delete-queue", "--queue-url", url)
    res = aws_cli("sqs", "get-queue-url", "--queue-name", name)
    assert res.returncode != 0
    assert "AWS.SimpleQueueService.NonExistentQueue" in res.stderr
    assert "The specified queue does not exist." in res.stderr
