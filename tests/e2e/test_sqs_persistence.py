"""SQS against the persistence contract: queues (attributes, redrive and redrive-allow
policies, FIFO settings, tags, permissions, timestamps) survive a restart or a kill -9;
messages, in-flight state and deduplication windows are transient by design."""

from __future__ import annotations

import json
import signal

import pytest

from conftest import ACCOUNT_ID, REGION, make_client
from persistence_contract import run_contract

COUNTS = {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"}


def scenario(url: str) -> None:
    sqs = make_client(url, "sqs")
    dlq = sqs.create_queue(QueueName="orders-dlq", Attributes={"MessageRetentionPeriod": "1209600"})["QueueUrl"]
    dlq_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:orders-dlq"
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={
        "RedriveAllowPolicy": json.dumps({"redrivePermission": "byQueue",
                                          "sourceQueueArns": [f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:orders"]})})
    orders = sqs.create_queue(QueueName="orders", Attributes={
        "VisibilityTimeout": "45", "DelaySeconds": "2", "ReceiveMessageWaitTimeSeconds": "3",
        "MaximumMessageSize": "4096",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "4"}),
    }, tags={"team": "payments", "env": "test"})["QueueUrl"]
    sqs.add_permission(QueueUrl=orders, Label="partner", AWSAccountIds=["111111111111"],
                       Actions=["SendMessage", "GetQueueUrl"])
    sqs.untag_queue(QueueUrl=orders, TagKeys=["env"])
    fifo = sqs.create_queue(QueueName="events.fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true", "DeduplicationScope": "messageGroup",
        "FifoThroughputLimit": "perMessageGroupId", "KmsMasterKeyId": "alias/aws/sqs",
        "KmsDataKeyReusePeriodSeconds": "600"})["QueueUrl"]
    gone = sqs.create_queue(QueueName="deleted-before-restart")["QueueUrl"]
    sqs.delete_queue(QueueUrl=gone)
    # Messages are transient: they are not part of the snapshot.
    sqs.send_message(QueueUrl=orders, MessageBody="not persisted")
    sqs.send_message(QueueUrl=fifo, MessageBody="not persisted either", MessageGroupId="g")


def snapshot(url: str) -> dict:
    sqs = make_client(url, "sqs")

    def strip(u: str) -> str:
        return u.replace(url, "<endpoint>")

    out = {"queues": {}}
    urls = sorted(sqs.list_queues().get("QueueUrls", []))
    out["urls"] = [strip(u) for u in urls]
    for u in urls:
        name = u.rsplit("/", 1)[1]
        attrs = sqs.get_queue_attributes(QueueUrl=u, AttributeNames=["All"])["Attributes"]
        out["queues"][name] = {
            "attributes": {k: v for k, v in attrs.items() if k not in COUNTS},
            "tags": sqs.list_queue_tags(QueueUrl=u).get("Tags", {}),
            "dead_letter_sources": [strip(x) for x in sqs.list_dead_letter_source_queues(QueueUrl=u)["queueUrls"]],
            "url": strip(sqs.get_queue_url(QueueName=name)["QueueUrl"]),
        }
    return out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_queues_survive_restart(server_factory, tmp_path, sig):
    second, before = run_contract(server_factory, tmp_path, scenario, snapshot, sig=sig)
    assert set(before["queues"]) == {"orders", "orders-dlq", "events.fifo"}
    orders = before["queues"]["orders"]
    assert orders["attributes"]["VisibilityTimeout"] == "45"
    assert json.loads(orders["attributes"]["RedrivePolicy"])["maxReceiveCount"] == 4
    assert json.loads(orders["attributes"]["Policy"])["Statement"][0]["Sid"] == "partner"
    assert orders["tags"] == {"team": "payments"}
    assert before["queues"]["orders-dlq"]["dead_letter_sources"] == ["<endpoint>/000000000000/orders"]
    fifo = before["queues"]["events.fifo"]["attributes"]
    assert (fifo["FifoQueue"], fifo["DeduplicationScope"], fifo["KmsDataKeyReusePeriodSeconds"]) == (
        "true", "messageGroup", "600")

    # Messages are documented as transient: the restarted queues are empty and usable.
    sqs = make_client(second.url, "sqs")
    orders_url = sqs.get_queue_url(QueueName="orders")["QueueUrl"]
    counts = sqs.get_queue_attributes(QueueUrl=orders_url, AttributeNames=["All"])["Attributes"]
    assert {k: counts[k] for k in COUNTS} == {k: "0" for k in COUNTS}
    sqs.send_message(QueueUrl=orders_url, MessageBody="after restart", DelaySeconds=0)
    [m] = sqs.receive_message(QueueUrl=orders_url, WaitTimeSeconds=2)["Messages"]
    assert m["Body"] == "after restart"
    sqs.delete_message(QueueUrl=orders_url, ReceiptHandle=m["ReceiptHandle"])


def test_changes_after_restart_are_durable_too(server_factory, tmp_path):
    data = tmp_path / "data"
    first = server_factory(data_dir=data)
    sqs = make_client(first.url, "sqs")
    url = sqs.create_queue(QueueName="mutable", tags={"a": "1"})["QueueUrl"]
    assert first.stop(signal.SIGTERM) == 0

    second = server_factory(data_dir=data)
    sqs = make_client(second.url, "sqs")
    url = sqs.get_queue_url(QueueName="mutable")["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "99"})
    sqs.tag_queue(QueueUrl=url, Tags={"b": "2"})
    sqs.create_queue(QueueName="second-life")
    second.kill()

    third = server_factory(data_dir=data)
    sqs = make_client(third.url, "sqs")
    url = sqs.get_queue_url(QueueName="mutable")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    assert attrs == {"VisibilityTimeout": "99"}
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"a": "1", "b": "2"}
    sqs.get_queue_url(QueueName="second-life")
    sqs.delete_queue(QueueUrl=url)
    third.kill()

    fourth = server_factory(data_dir=data)
    sqs = make_client(fourth.url, "sqs")
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName="mutable")
