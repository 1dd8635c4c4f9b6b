"""SQS server-side encryption end to end: KmsMasterKeyId queues ask KMS as the caller
(GenerateDataKey on send, Decrypt on receive), KMS's refusals come back as SQS words them,
SQS-managed SSE needs no KMS at all; messages never reach the data dir.
"""
from __future__ import annotations

import json
import os
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import make_client, run_aws_cli, unique_name


def err(excinfo):
    r = excinfo.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Code"), r["Error"].get("Message")


def make_user(server, iam, statements):
    name = unique_name("u")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return lambda service: make_client(server.url, service, aws_access_key_id=key["AccessKeyId"],
                                       aws_secret_access_key=key["SecretAccessKey"])


def test_kms_queue_round_trip_with_customer_and_managed_keys(client):
    sqs, kms = client("sqs"), client("kms")
    key = kms.create_key()["KeyMetadata"]
    for key_id in (key["KeyId"], key["Arn"], "alias/aws/sqs"):
        url = sqs.create_queue(QueueName=unique_name("q"), Attributes={
            "KmsMasterKeyId": key_id, "KmsDataKeyReusePeriodSeconds": "60"})["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attrs["KmsMasterKeyId"] == key_id and attrs["KmsDataKeyReusePeriodSeconds"] == "60"
        sqs.send_message(QueueUrl=url, MessageBody="hello " + key_id)
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "one"}, {"Id": "2", "MessageBody": "two"}])
        got = []
        for _ in range(5):
            got += sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if len(got) == 3:
                break
        assert sorted(m["Body"] for m in got) == sorted(["hello " + key_id, "one", "two"])
    assert kms.describe_key(KeyId="alias/aws/sqs")["KeyMetadata"]["KeyManager"] == "AWS"


def test_kms_errors_as_sqs_reports_them(server, client):
    sqs, kms = client("sqs"), client("kms")
    url = sqs.create_queue(QueueName=unique_name("q"), Attributes={"KmsMasterKeyId": "alias/does-not-exist"})["QueueUrl"]
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x")
    status, code, _ = err(e)
    assert (status, code) == (400, "KMS.NotFoundException")

    key = kms.create_key()["KeyMetadata"]
    url = sqs.create_queue(QueueName=unique_name("q"), Attributes={"KmsMasterKeyId": key["Arn"]})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="before")
    # A user allowed every SQS action but no KMS one: the send is refused by KMS.
    as_user = make_user(server, client("iam"), [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}])
    with pytest.raises(ClientError) as e:
        as_user("sqs").send_message(QueueUrl=url, MessageBody="x")
    status, code, message = err(e)
    assert (status, code) == (400, "KMS.AccessDeniedException")
    assert "kms:GenerateDataKey" in message
    with pytest.raises(ClientError) as e:
        as_user("sqs").receive_message(QueueUrl=url)
    assert err(e)[:2] == (400, "KMS.AccessDeniedException")
    # With the two KMS permissions it works.
    as_ok = make_user(server, client("iam"), [
        {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"},
        {"Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": key["Arn"]}])
    as_ok("sqs").send_message(QueueUrl=url, MessageBody="after")
    bodies = []
    for _ in range(5):
        bodies += [m["Body"] for m in as_ok("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]
        if len(bodies) == 2:
            break
    assert sorted(bodies) == ["after", "before"]

    # A disabled key: new data keys are refused (the reuse period does not outlive a
    # caller's first request here: a fresh queue).
    url2 = sqs.create_queue(QueueName=unique_name("q"), Attributes={"KmsMasterKeyId": key["Arn"]})["QueueUrl"]
    kms.disable_key(KeyId=key["Arn"])
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url2, MessageBody="x")
    assert err(e)[:2] == (400, "KMS.DisabledException")
    kms.enable_key(KeyId=key["Arn"])
    sqs.send_message(QueueUrl=url2, MessageBody="x")


def test_sqs_managed_sse_needs_no_kms_and_the_cli(server, client):
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=unique_name("q"), Attributes={"SqsManagedSseEnabled": "true"})["QueueUrl"]
    r = run_aws_cli(server.url, "sqs", "send-message", "--queue-url", url, "--message-body", "cli body")
    assert r.returncode == 0, r.stderr
    r = run_aws_cli(server.url, "sqs", "receive-message", "--queue-url", url)
    assert r.returncode == 0, r.stderr
    assert r.json["Messages"][0]["Body"] == "cli body"


def test_messages_never_reach_the_data_dir(server_factory, tmp_path):
    data = tmp_path / "data"
    srv = server_factory(data_dir=data)
    sqs = make_client(srv.url, "sqs")
    kms = make_client(srv.url, "kms")
    key = kms.create_key()["KeyMetadata"]
    url = sqs.create_queue(QueueName="enc", Attributes={"KmsMasterKeyId": key["Arn"]})["QueueUrl"]
    body = "SQS-PLAINTEXT-" + uuid.uuid4().hex
    sqs.send_message(QueueUrl=url, MessageBody=body)
    srv.stop()
    for dirpath, _, files in os.walk(data):
        for f in files:
            assert body.encode() not in open(os.path.join(dirpath, f), "rb").read()
    srv2 = server_factory(data_dir=data)
    attrs = make_client(srv2.url, "sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["KmsMasterKeyId"])
    assert attrs["Attributes"]["KmsMasterKeyId"] == key["Arn"]
