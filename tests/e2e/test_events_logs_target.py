"""EventBridge → CloudWatch Logs targets: AWS writes each matched event as one log event in a
stream named after the event id, as events.amazonaws.com, allowed only by a CloudWatch Logs
resource policy (no role). Without the policy the delivery fails and lands in the DLQ; an input
transformer in AWS's {"timestamp", "message"} shape sets both fields.
"""
from __future__ import annotations

import json
import time

from conftest import ACCOUNT_ID, REGION, unique_name
from test_events_api_destinations import dlq, dlq_messages


def _log_group(logs):
    name = f"/aws/events/{unique_name('g')}"
    logs.create_log_group(logGroupName=name)
    return name, f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{name}"


def _allow_events(logs, name="events-to-logs"):
    logs.put_resource_policy(policyName=name, policyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": ["events.amazonaws.com", "delivery.logs.amazonaws.com"]},
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/aws/events/*:*"}]}))


def _events_in(logs, group, n, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        got = logs.filter_log_events(logGroupName=group)["events"]
        if len(got) >= n:
            return got
        time.sleep(0.1)
    return logs.filter_log_events(logGroupName=group)["events"]


def test_events_land_in_the_log_group(client):
    events, logs = client("events"), client("logs")
    _allow_events(logs)
    group, arn = _log_group(logs)
    source = unique_name("app")
    rule = unique_name("r")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    events.put_targets(Rule=rule, Targets=[
        {"Id": "raw", "Arn": arn + ":*"},
        {"Id": "shaped", "Arn": arn, "InputTransformer": {
            "InputPathsMap": {"t": "$.time", "v": "$.detail.v"},
            "InputTemplate": '{"timestamp": <t>, "message": "value <v>"}'}}])
    out = events.put_events(Entries=[{"Source": source, "DetailType": "d", "Detail": json.dumps({"v": 7})}])
    event_id = out["Entries"][0]["EventId"]
    got = _events_in(logs, group, 2)
    assert len(got) == 2
    assert {e["logStreamName"] for e in got} == {event_id}
    messages = sorted((e["message"] for e in got), key=lambda m: m.startswith("{"))
    assert messages[0] == "value 7"
    whole = json.loads(messages[1])
    assert whole["id"] == event_id and whole["source"] == source and whole["detail"] == {"v": 7}
    # The log event's timestamp is the event's time (whole seconds, as the envelope's).
    assert all(e["timestamp"] % 1000 == 0 for e in got)


def test_without_a_resource_policy_the_delivery_fails(client):
    events, logs = client("events"), client("logs")
    name = f"/other/{unique_name('g')}"  # outside the /aws/events/* policies other tests put
    logs.create_log_group(logGroupName=name)
    arn = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{name}"
    sqs, url, qarn = dlq(client)
    source = unique_name("app")
    rule = unique_name("r")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "logs", "Arn": arn, "DeadLetterConfig": {"Arn": qarn}}])
    events.put_events(Entries=[{"Source": source, "DetailType": "d", "Detail": "{}"}])
    msgs = dlq_messages(sqs, url)
    assert len(msgs) == 1
    assert msgs[0]["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "AccessDeniedException"
    assert logs.describe_log_streams(logGroupName=name)["logStreams"] == []
