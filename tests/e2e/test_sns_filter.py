"""SNS filter policies end to end: one topic fanning out to three queues with different
policies (attribute scope with exact/prefix/numeric/anything-but, body scope with nested keys),
and AWS's validation errors on Subscribe and SetSubscriptionAttributes.
"""
from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import unique_name
from test_sns import err, queue_for, receive


@pytest.fixture
def sns(client):
    return client("sns")


def bodies(sqs, url, wait=2):
    got = []
    while msgs := receive(sqs, url, wait=wait):
        got += [json.loads(m["Body"])["Message"] if m["Body"].startswith("{\"Type\"") else m["Body"] for m in msgs]
        wait = 1
    return sorted(got)


def test_fan_out_to_three_queues_with_filters(sns, client):
    sqs = client("sqs")
    topic = sns.create_topic(Name=unique_name("t"))["TopicArn"]
    red_url, red_arn = queue_for(sqs, topic)
    big_url, big_arn = queue_for(sqs, topic)
    body_url, body_arn = queue_for(sqs, topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=red_arn, Attributes={
        "FilterPolicy": json.dumps({"color": ["red", {"prefix": "crim"}], "store": [{"anything-but": "closed"}]})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=big_arn, Attributes={
        "FilterPolicy": json.dumps({"price": [{"numeric": [">=", 100, "<", 1000]}]})})
    sub3 = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=body_arn, Attributes={
        "RawMessageDelivery": "true", "FilterPolicyScope": "MessageBody",
        "FilterPolicy": json.dumps({"order": {"kind": ["return"], "total": [{"exists": True}]}})})["SubscriptionArn"]

    def pub(msg, **attrs):
        ma = {k: ({"DataType": "Number", "StringValue": str(v)} if isinstance(v, (int, float))
                  else {"DataType": "String", "StringValue": v}) for k, v in attrs.items()}
        sns.publish(TopicArn=topic, Message=msg, MessageAttributes=ma)

    pub("a", color="red", store="open")
    pub("b", color="crimson", store="open")
    pub("b2", color="crimson")  # anything-but needs the attribute present, as in AWS
    pub("c", color="red", store="closed")
    pub("d", color="blue", price=150)
    pub("e", price=5000)
    pub(json.dumps({"order": {"kind": "return", "total": 3}}), price=100)
    pub(json.dumps({"order": {"kind": "sale", "total": 3}}))
    assert bodies(sqs, red_url) == ["a", "b"]
    assert bodies(sqs, big_url) == ["d", json.dumps({"order": {"kind": "return", "total": 3}})]
    assert bodies(sqs, body_url) == [json.dumps({"order": {"kind": "return", "total": 3}})]
    # Switching the scope back re-checks the policy: nested keys are body-only.
    with pytest.raises(ClientError) as e:
        sns.set_subscription_attributes(SubscriptionArn=sub3, AttributeName="FilterPolicyScope",
                                        AttributeValue="MessageAttributes")
    assert err(e) == (400, "InvalidParameter",
                      "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy")


@pytest.mark.parametrize("policy,message", [
    ({"key": []}, 'Empty arrays are not allowed\n at [Source: (String)"{"key":[]}"; line: 1, column: 10]'),
    ({"key": [{"suffix": 100}]},
     'suffix match pattern must be a string\n at [Source: (String)"{"key":[{"suffix":100}]}"; line: 1, column: 22]'),
])
def test_invalid_policies(sns, client, policy, message):
    sqs = client("sqs")
    topic = sns.create_topic(Name=unique_name("t"))["TopicArn"]
    _, qarn = queue_for(sqs, topic)
    text = json.dumps(policy, separators=(",", ":"))
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"FilterPolicy": text})
    assert err(e) == (400, "InvalidParameter", "Invalid parameter: Attributes Reason: FilterPolicy: " + message)
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"]
    with pytest.raises(ClientError) as e:
        sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=text)
    assert err(e) == (400, "InvalidParameter", "Invalid parameter: FilterPolicy: " + message)
