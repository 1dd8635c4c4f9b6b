"""S3 → EventBridge → SQS: the whole event wiring across three services, as issue #13 measures it.

A bucket with EventBridge notifications on sends "Object Created"/"Object Deleted" events to the
account's default bus as the S3 service; a rule matching them targets a queue whose policy lets
events.amazonaws.com send for that rule, so the event arrives in the queue with AWS's envelope.
"""

from __future__ import annotations

import json
import time

from conftest import ACCOUNT_ID, REGION, unique_name


def _queue_allowing_rule(sqs, rule_arn: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=unique_name("s3eb"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    return url, arn


def _receive(sqs, url: str, want: int, timeout: float = 10.0) -> list[dict]:
    got: list[dict] = []
    deadline = time.time() + timeout
    while len(got) < want and time.time() < deadline:
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        got += [json.loads(m["Body"]) for m in r.get("Messages", [])]
    return got


def test_put_object_reaches_a_queue_through_a_default_bus_rule(client):
    s3, sqs, events = client("s3"), client("sqs"), client("events")
    bucket = unique_name("s3eb")
    s3.create_bucket(Bucket=bucket)
    rule = unique_name("s3-created")
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({
        "source": ["aws.s3"], "detail-type": ["Object Created", "Object Deleted"],
        "detail": {"bucket": {"name": [bucket]}, "object": {"key": [{"prefix": "in/"}]}}}))["RuleArn"]
    url, arn = _queue_allowing_rule(sqs, rule_arn)
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": arn}])
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}})

    s3.put_object(Bucket=bucket, Key="in/a.txt", Body=b"hello")
    s3.put_object(Bucket=bucket, Key="other/b.txt", Body=b"not matched by the rule")
    s3.delete_object(Bucket=bucket, Key="in/a.txt")

    got = _receive(sqs, url, 2)
    assert [e["detail-type"] for e in got] == ["Object Created", "Object Deleted"], got
    created = got[0]
    assert created["source"] == "aws.s3"
    assert created["account"] == ACCOUNT_ID and created["region"] == REGION
    assert created["version"] == "0" and created["id"]
    assert created["resources"] == [f"arn:aws:s3:::{bucket}"]
    assert created["detail"]["bucket"]["name"] == bucket
    assert created["detail"]["object"]["key"] == "in/a.txt"
    assert created["detail"]["object"]["size"] == 5
    assert created["detail"]["reason"] == "PutObject"
    assert got[1]["detail"]["object"]["key"] == "in/a.txt"
    # Nothing else: the other key did not match the rule's prefix.
    assert _receive(sqs, url, 1, timeout=2.0) == []


def test_without_eventbridge_configuration_nothing_reaches_the_bus(client):
    s3, sqs, events = client("s3"), client("sqs"), client("events")
    bucket = unique_name("s3eb")
    s3.create_bucket(Bucket=bucket)
    rule = unique_name("s3-any")
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({
        "source": ["aws.s3"], "detail": {"bucket": {"name": [bucket]}}}))["RuleArn"]
    url, arn = _queue_allowing_rule(sqs, rule_arn)
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": arn}])
    s3.put_object(Bucket=bucket, Key="in/a.txt", Body=b"hello")
    assert _receive(sqs, url, 1, timeout=2.0) == []
