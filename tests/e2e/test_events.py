"""EventBridge end to end with boto3 and the AWS CLI: the implicit default bus, custom buses,
bus policies (PutPermission) and cross-account PutEvents allowed by them and denied without,
rules with event patterns and their targets, PutEvents' per-entry errors, delivery to an SQS
queue whose policy allows the rule (and none to one whose policy does not), InputPath and
InputTransformer, tags, and the persistence contract for buses, rules and targets.
"""
from __future__ import annotations

import json
import signal
import time

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, make_client, run_aws_cli, unique_name
from persistence_contract import run_contract


def err(excinfo):
    r = excinfo.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Code"), r["Error"].get("Message")


@pytest.fixture
def events(client):
    return client("events")


def queue_for(sqs, rule_arn=None):
    """A queue, with a policy letting the rule send to it when one is given (as AWS requires)."""
    url = sqs.create_queue(QueueName=unique_name("q"))["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if rule_arn:
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": qarn, "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]}
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    return url, qarn


def receive(sqs, url, wait=5):
    return sqs.receive_message(QueueUrl=url, WaitTimeSeconds=wait, MaxNumberOfMessages=10,
                               MessageAttributeNames=["All"]).get("Messages", [])


def test_default_bus_and_custom_bus_crud(events, aws_cli):
    default = events.describe_event_bus()
    assert default["Name"] == "default"
    assert default["Arn"] == f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/default"
    name = unique_name("bus")
    arn = events.create_event_bus(Name=name, Description="orders", Tags=[{"Key": "team", "Value": "a"}])["EventBusArn"]
    assert arn == f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/{name}"
    with pytest.raises(ClientError) as e:
        events.create_event_bus(Name=name)
    assert err(e) == (400, "ResourceAlreadyExistsException", f"Event bus {name} already exists.")
    d = events.describe_event_bus(Name=name)
    assert d["Description"] == "orders" and "CreationTime" in d and "Policy" not in d
    events.update_event_bus(Name=name, Description="changed")
    assert events.describe_event_bus(Name=name)["Description"] == "changed"
    listed = aws_cli("events", "list-event-buses", "--name-prefix", name).json
    assert [b["Name"] for b in listed["EventBuses"]] == [name]
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "a"}]
    events.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "dev"}])
    events.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    with pytest.raises(ClientError) as e:
        events.delete_event_bus(Name="default")
    assert err(e) == (400, "ValidationException", "Cannot delete event bus default.")
    events.delete_event_bus(Name=name)
    with pytest.raises(ClientError) as e:
        events.describe_event_bus(Name=name)
    assert err(e) == (400, "ResourceNotFoundException", f"Event bus {name} does not exist.")


def test_permissions(events):
    name = unique_name("bus")
    events.create_event_bus(Name=name)
    events.put_permission(EventBusName=name, Action="events:PutEvents", Principal="111111111111", StatementId="one")
    events.put_permission(EventBusName=name, Action="events:PutEvents", Principal="*", StatementId="org",
                          Condition={"Type": "StringEquals", "Key": "aws:PrincipalOrgID", "Value": "o-abc"})
    policy = json.loads(events.describe_event_bus(Name=name)["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["one", "org"]
    assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::111111111111:root"}
    assert policy["Statement"][1]["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}
    with pytest.raises(ClientError) as e:
        events.remove_permission(EventBusName=name, StatementId="nope")
    assert err(e) == (400, "ResourceNotFoundException", "Statement with the provided id does not exist.")
    events.remove_permission(EventBusName=name, StatementId="one")
    events.remove_permission(EventBusName=name, RemoveAllPermissions=True)
    assert "Policy" not in events.describe_event_bus(Name=name)


def test_rules_and_targets(events):
    bus = unique_name("bus")
    events.create_event_bus(Name=bus)
    pattern = json.dumps({"source": ["shop"], "detail": {"n": [{"numeric": [">", 5]}]}})
    arn = events.put_rule(Name="r1", EventBusName=bus, EventPattern=pattern, Description="d")["RuleArn"]
    assert arn == f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{bus}/r1"
    d = events.describe_rule(Name="r1", EventBusName=bus)
    assert d["EventPattern"] == pattern and d["State"] == "ENABLED" and d["CreatedBy"] == ACCOUNT_ID
    events.disable_rule(Name="r1", EventBusName=bus)
    assert events.describe_rule(Name="r1", EventBusName=bus)["State"] == "DISABLED"
    events.enable_rule(Name="r1", EventBusName=bus)
    for i in range(2, 5):
        events.put_rule(Name=f"r{i}", EventBusName=bus, EventPattern=pattern)
    page = events.list_rules(EventBusName=bus, Limit=3)
    assert [r["Name"] for r in page["Rules"]] == ["r1", "r2", "r3"]
    rest = events.list_rules(EventBusName=bus, Limit=3, NextToken=page["NextToken"])
    assert [r["Name"] for r in rest["Rules"]] == ["r4"] and "NextToken" not in rest
    assert [r["Name"] for r in events.list_rules(EventBusName=bus, NamePrefix="r4")["Rules"]] == ["r4"]
    with pytest.raises(ClientError) as e:
        events.put_rule(Name="bad", EventPattern="[1]")
    assert err(e)[:2] == (400, "InvalidEventPatternException")
    assert err(e)[2].startswith("Event pattern is not valid. Reason: ")
    with pytest.raises(ClientError) as e:
        events.put_rule(Name="sched", EventBusName=bus, ScheduleExpression="rate(5 minutes)")
    assert err(e) == (400, "ValidationException", "ScheduleExpression is supported only on the default event bus.")
    with pytest.raises(ClientError) as e:
        events.put_rule(Name="sched", ScheduleExpression="rate(5 minute)")
    assert err(e) == (400, "ValidationException", "Parameter ScheduleExpression is not valid.")
    with pytest.raises(ClientError) as e:
        events.describe_rule(Name="nope", EventBusName=bus)
    assert err(e) == (400, "ResourceNotFoundException", f"Rule nope does not exist on EventBus {bus}.")

    target = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:somewhere"
    out = events.put_targets(Rule="r1", EventBusName=bus, Targets=[{"Id": "t1", "Arn": target}])
    assert out["FailedEntryCount"] == 0
    with pytest.raises(ClientError) as e:
        events.put_targets(Rule="r1", EventBusName=bus,
                           Targets=[{"Id": f"x{i}", "Arn": target} for i in range(5)])
    assert err(e) == (400, "LimitExceededException", "The requested resource exceeds the maximum number allowed.")
    with pytest.raises(ClientError) as e:
        events.put_targets(Rule="r1", EventBusName=bus, Targets=[{"Id": "t2", "Arn": target, "Input": "{}", "InputPath": "$"}])
    assert err(e) == (400, "ValidationException", "Only one of Input, InputPath, or InputTransformer must be provided for target t2.")
    with pytest.raises(ClientError) as e:
        events.put_targets(Rule="r1", EventBusName=bus, Targets=[{"Id": "t3", "Arn": target, "InputTransformer": {
            "InputPathsMap": {"a": "$.detail"}, "InputTemplate": '"<notdefinedkey>"'}}])
    assert err(e) == (400, "ValidationException", "InputTemplate for target t3 contains invalid placeholder notdefinedkey.")
    assert [t["Id"] for t in events.list_targets_by_rule(Rule="r1", EventBusName=bus)["Targets"]] == ["t1"]
    assert events.list_rule_names_by_target(TargetArn=target, EventBusName=bus)["RuleNames"] == ["r1"]
    with pytest.raises(ClientError) as e:
        events.delete_rule(Name="r1", EventBusName=bus)
    assert err(e) == (400, "ValidationException", "Rule can't be deleted since it has targets.")
    events.remove_targets(Rule="r1", EventBusName=bus, Ids=["t1"])
    events.delete_rule(Name="r1", EventBusName=bus)
    assert "r1" not in [r["Name"] for r in events.list_rules(EventBusName=bus)["Rules"]]


def test_put_events_entry_errors(events):
    out = events.put_events(Entries=[
        {"Source": "a", "DetailType": "t", "Detail": "{}"},
        {"DetailType": "t", "Detail": "{}"},
        {"Source": "a", "DetailType": "t", "Detail": "[1]"},
        {"Source": "aws.s3", "DetailType": "t", "Detail": "{}"},
    ])
    assert out["FailedEntryCount"] == 3
    e = out["Entries"]
    assert len(e[0]["EventId"]) == 36
    assert e[1] == {"ErrorCode": "InvalidArgument",
                    "ErrorMessage": "Parameter Source is not valid. Reason: Source is a required argument."}
    assert e[2] == {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    assert e[3]["ErrorCode"] == "NotAuthorizedForSourceException"
    with pytest.raises(ClientError) as x:
        events.put_events(Entries=[{"Source": "a", "DetailType": "t", "Detail": json.dumps({"x": "y" * 262_144})}])
    assert err(x) == (400, "ValidationException", "Total size of the entries in the request is over the limit.")
    result = events.test_event_pattern(EventPattern=json.dumps({"source": ["a"]}), Event=json.dumps({
        "id": "1", "account": ACCOUNT_ID, "source": "a", "time": "2026-01-01T00:00:00Z", "region": REGION,
        "resources": [], "detail-type": "t", "detail": {}}))
    assert result["Result"] is True


def test_delivery_to_sqs_needs_the_queue_policy(events, client):
    sqs = client("sqs")
    rule = unique_name("r")
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["shop"], "detail-type": ["order"]}))["RuleArn"]
    url, qarn = queue_for(sqs, rule_arn)
    closed_url, closed_arn = queue_for(sqs)
    events.put_targets(Rule=rule, Targets=[{"Id": "open", "Arn": qarn}, {"Id": "closed", "Arn": closed_arn}])
    out = events.put_events(Entries=[
        {"Source": "shop", "DetailType": "order", "Detail": json.dumps({"n": 1}), "Resources": ["r:1"]},
        {"Source": "shop", "DetailType": "refund", "Detail": "{}"},
    ])
    msgs = receive(sqs, url)
    assert len(msgs) == 1
    body = json.loads(msgs[0]["Body"])
    assert list(body) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
    assert body["id"] == out["Entries"][0]["EventId"] and body["version"] == "0"
    assert body["detail-type"] == "order" and body["source"] == "shop" and body["account"] == ACCOUNT_ID
    assert body["region"] == REGION and body["resources"] == ["r:1"] and body["detail"] == {"n": 1}
    assert time.strptime(body["time"], "%Y-%m-%dT%H:%M:%SZ")
    # A queue whose policy does not allow the rule receives nothing, as in AWS.
    assert receive(sqs, closed_url, wait=1) == []
    events.remove_targets(Rule=rule, Ids=["open", "closed"])
    events.delete_rule(Name=rule)


def test_input_path_and_transformer(events, client):
    sqs = client("sqs")
    rule = unique_name("r")
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["acct"]}))["RuleArn"]
    path_url, path_arn = queue_for(sqs, rule_arn)
    json_url, json_arn = queue_for(sqs, rule_arn)
    text_url, text_arn = queue_for(sqs, rule_arn)
    events.put_targets(Rule=rule, Targets=[
        {"Id": "path", "Arn": path_arn, "InputPath": "$.detail.payload"},
        {"Id": "json", "Arn": json_arn, "InputTransformer": {
            "InputPathsMap": {"id": "$.detail.payload.acc_id", "payload": "$.detail.payload"},
            "InputTemplate": '{"method": "PUT", "path": "users/<id>", "body": <payload>}'}},
        {"Id": "text", "Arn": text_arn, "InputTransformer": {
            "InputPathsMap": {"cmd": "$.detail.command"},
            "InputTemplate": '"Command <cmd> on <aws.events.rule-name>"'}},
    ])
    events.put_events(Entries=[{"Source": "acct", "DetailType": "t", "Detail": json.dumps(
        {"command": "update", "payload": {"acc_id": "0a78", "sf_id": "baz"}})}])
    assert json.loads(receive(sqs, path_url)[0]["Body"]) == {"acc_id": "0a78", "sf_id": "baz"}
    assert json.loads(receive(sqs, json_url)[0]["Body"]) == {
        "method": "PUT", "path": "users/0a78", "body": {"acc_id": "0a78", "sf_id": "baz"}}
    assert receive(sqs, text_url)[0]["Body"] == f'"Command update on {rule}"'


def test_cross_account_put_events_needs_the_bus_policy(events, client, server):
    sqs = client("sqs")
    bus = unique_name("bus")
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    rule_arn = events.put_rule(Name="in", EventBusName=bus, EventPattern=json.dumps({"source": ["partner"]}))["RuleArn"]
    url, qarn = queue_for(sqs, rule_arn)
    events.put_targets(Rule="in", EventBusName=bus, Targets=[{"Id": "q", "Arn": qarn}])
    other = requests.post(server.url + "/_simfra/accounts", json={}, timeout=30).json()
    theirs = make_client(server.url, "events", aws_access_key_id=other["rootAccessKeyId"],
                         aws_secret_access_key=other["rootSecretAccessKey"])
    entry = {"Source": "partner", "DetailType": "t", "Detail": "{}", "EventBusName": bus_arn}
    with pytest.raises(ClientError) as e:
        theirs.put_events(Entries=[entry])
    assert err(e)[:2] == (400, "AccessDeniedException")
    assert receive(sqs, url, wait=1) == []
    events.put_permission(EventBusName=bus, Action="events:PutEvents", Principal=other["accountId"], StatementId="partner")
    out = theirs.put_events(Entries=[entry])
    assert out["FailedEntryCount"] == 0
    body = json.loads(receive(sqs, url)[0]["Body"])
    assert body["account"] == other["accountId"] and body["source"] == "partner"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_persistence_contract(server_factory, tmp_path, sig):
    def scenario(url):
        ev = make_client(url, "events")
        ev.create_event_bus(Name="kept", Description="d", Tags=[{"Key": "a", "Value": "1"}])
        ev.create_event_bus(Name="gone")
        ev.delete_event_bus(Name="gone")
        ev.put_permission(EventBusName="kept", Action="events:PutEvents", Principal="111111111111", StatementId="s")
        ev.put_rule(Name="p", EventBusName="kept", EventPattern=json.dumps({"source": ["a"]}), State="DISABLED",
                    Tags=[{"Key": "r", "Value": "2"}])
        ev.put_targets(Rule="p", EventBusName="kept", Targets=[
            {"Id": "q", "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:q", "InputPath": "$.detail",
             "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 120}}])
        ev.put_rule(Name="tick", ScheduleExpression="rate(1 hour)")
        ev.put_permission(Action="events:PutEvents", Principal="222222222222", StatementId="d")
        ev.create_archive(ArchiveName="arch", EventSourceArn=f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/kept",
                          EventPattern=json.dumps({"source": ["a"]}), Description="kept events")
        ev.put_events(Entries=[{"Source": "a", "DetailType": "t", "Detail": "{}", "EventBusName": "kept"}])
        conn = ev.create_connection(Name="conn", AuthorizationType="API_KEY", AuthParameters={
            "ApiKeyAuthParameters": {"ApiKeyName": "x-key", "ApiKeyValue": "secret"}})["ConnectionArn"]
        ev.create_api_destination(Name="dest", ConnectionArn=conn, InvocationEndpoint="https://example.com",
                                  HttpMethod="GET", InvocationRateLimitPerSecond=5)

    def snapshot(url):
        ev = make_client(url, "events")
        out = {"buses": ev.list_event_buses()["EventBuses"]}
        for b in out["buses"]:
            out[b["Name"]] = ev.describe_event_bus(Name=b["Name"])
            out["tags " + b["Name"]] = ev.list_tags_for_resource(ResourceARN=b["Arn"])["Tags"]
            out["rules " + b["Name"]] = ev.list_rules(EventBusName=b["Name"])["Rules"]
            for r in out["rules " + b["Name"]]:
                out[r["Arn"]] = ev.describe_rule(Name=r["Name"], EventBusName=b["Name"])
                out["targets " + r["Arn"]] = ev.list_targets_by_rule(Rule=r["Name"], EventBusName=b["Name"])["Targets"]
                out["tags " + r["Arn"]] = ev.list_tags_for_resource(ResourceARN=r["Arn"])["Tags"]
        out["archives"] = ev.list_archives()["Archives"]
        out["archive"] = ev.describe_archive(ArchiveName="arch")
        out["connection"] = ev.describe_connection(Name="conn")
        out["destination"] = ev.describe_api_destination(Name="dest")
        out["secret"] = make_client(url, "secretsmanager").get_secret_value(SecretId=out["connection"]["SecretArn"])["SecretString"]
        for v in out.values():
            if isinstance(v, dict):
                v.pop("ResponseMetadata", None)
        return out

    second, before = run_contract(server_factory, tmp_path, scenario, snapshot, sig=sig)
    assert [b["Name"] for b in before["buses"]] == ["default", "kept"]
    assert len(before["rules kept"]) == 1 and len(before["rules default"]) == 1
    assert before["archive"]["EventCount"] == 1


def test_archive_and_replay(events, client):
    sqs = client("sqs")
    bus = unique_name("bus")
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    archive = unique_name("a")
    archive_arn = events.create_archive(ArchiveName=archive, EventSourceArn=bus_arn,
                                        EventPattern=json.dumps({"source": ["app"]}), RetentionDays=1)["ArchiveArn"]
    with pytest.raises(ClientError) as e:
        events.create_archive(ArchiveName=archive, EventSourceArn=bus_arn)
    assert err(e) == (400, "ResourceAlreadyExistsException", f"Archive {archive} already exists.")
    start = time.time() - 1
    events.put_events(Entries=[{"Source": "app", "DetailType": "t", "Detail": json.dumps({"n": i}), "EventBusName": bus}
                               for i in range(3)] + [{"Source": "other", "DetailType": "t", "Detail": "{}", "EventBusName": bus}])
    d = events.describe_archive(ArchiveName=archive)
    assert d["EventCount"] == 3 and d["State"] == "ENABLED" and d["RetentionDays"] == 1 and d["SizeBytes"] > 0
    assert [a["ArchiveName"] for a in events.list_archives(NamePrefix=archive)["Archives"]] == [archive]
    # A rule added afterwards sees the archived events again through a replay.
    rule_arn = events.put_rule(Name="late", EventBusName=bus, EventPattern=json.dumps({"source": ["app"]}))["RuleArn"]
    url, qarn = queue_for(sqs, rule_arn)
    events.put_targets(Rule="late", EventBusName=bus, Targets=[{"Id": "q", "Arn": qarn}])
    replay = unique_name("r")
    out = events.start_replay(ReplayName=replay, EventSourceArn=archive_arn, EventStartTime=start,
                              EventEndTime=time.time() + 1, Destination={"Arn": bus_arn, "FilterArns": [rule_arn]})
    assert out["State"] == "STARTING"
    got = []
    for _ in range(5):
        got += receive(sqs, url, wait=2)
        if len(got) >= 3:
            break
    bodies = sorted((json.loads(m["Body"]) for m in got), key=lambda b: b["detail"]["n"])
    assert [b["detail"]["n"] for b in bodies] == [0, 1, 2]
    assert all(b["replay-name"] == replay for b in bodies)
    for _ in range(50):
        if events.describe_replay(ReplayName=replay)["State"] == "COMPLETED":
            break
        time.sleep(0.1)
    desc = events.describe_replay(ReplayName=replay)
    assert desc["State"] == "COMPLETED" and desc["Destination"]["FilterArns"] == [rule_arn]
    with pytest.raises(ClientError) as e:
        events.start_replay(ReplayName=unique_name("r"), EventSourceArn=archive_arn, EventStartTime=time.time(),
                            EventEndTime=time.time() - 10, Destination={"Arn": bus_arn})
    assert err(e) == (400, "ValidationException",
                      "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.")
    with pytest.raises(ClientError) as e:
        events.start_replay(ReplayName=unique_name("r"), EventSourceArn=archive_arn, EventStartTime=start,
                            EventEndTime=time.time(), Destination={"Arn": f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/default"})
    assert err(e) == (400, "ValidationException",
                      "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.")
    events.delete_archive(ArchiveName=archive)
    with pytest.raises(ClientError) as e:
        events.describe_archive(ArchiveName=archive)
    assert err(e) == (400, "ResourceNotFoundException", f"Archive {archive} does not exist.")


def test_delivery_to_sns_and_fifo_queue(events, client):
    sns, sqs = client("sns"), client("sqs")
    rule = unique_name("r")
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["fan"]}))["RuleArn"]
    topic = sns.create_topic(Name=unique_name("t"))["TopicArn"]
    # The topic policy must allow EventBridge to publish, as in AWS.
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                                               "Action": "sns:Publish", "Resource": topic}]}))
    sub_url, sub_arn = queue_for(sqs)
    sqs.set_queue_attributes(QueueUrl=sub_url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                                               "Action": "sqs:SendMessage", "Resource": sub_arn}]})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=sub_arn, Attributes={"RawMessageDelivery": "true"})
    fifo_url = sqs.create_queue(QueueName=unique_name("f") + ".fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    fifo_arn = sqs.get_queue_attributes(QueueUrl=fifo_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=fifo_url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                                               "Action": "sqs:SendMessage", "Resource": fifo_arn}]})})
    with pytest.raises(ClientError) as e:
        events.put_targets(Rule=rule, Targets=[{"Id": "fifo", "Arn": fifo_arn}])
    assert err(e) == (400, "ValidationException", "Parameter(s) SqsParameters must be specified for target: fifo.")
    events.put_targets(Rule=rule, Targets=[{"Id": "topic", "Arn": topic},
                                           {"Id": "fifo", "Arn": fifo_arn, "SqsParameters": {"MessageGroupId": "g1"}}])
    out = events.put_events(Entries=[{"Source": "fan", "DetailType": "t", "Detail": json.dumps({"k": "v"})}])
    event_id = out["Entries"][0]["EventId"]
    via_sns = receive(sqs, sub_url)
    assert len(via_sns) == 1 and json.loads(via_sns[0]["Body"])["id"] == event_id
    fifo = sqs.receive_message(QueueUrl=fifo_url, WaitTimeSeconds=5, AttributeNames=["MessageGroupId"])["Messages"]
    assert fifo[0]["Attributes"]["MessageGroupId"] == "g1" and json.loads(fifo[0]["Body"])["id"] == event_id


def test_bus_target_in_another_account_through_a_role(events, client, server):
    """A rule forwards to another account's bus as its RoleArn (assumed as
    events.amazonaws.com); the other bus's policy must let the sending account in."""
    iam, sqs = client("iam"), client("sqs")
    other = requests.post(server.url + "/_simfra/accounts", json={}, timeout=30).json()
    theirs = {s: make_client(server.url, s, aws_access_key_id=other["rootAccessKeyId"],
                             aws_secret_access_key=other["rootSecretAccessKey"]) for s in ("events", "sqs")}
    inbox_arn = theirs["events"].create_event_bus(Name="inbox")["EventBusArn"]
    their_rule = theirs["events"].put_rule(Name="all", EventBusName="inbox",
                                           EventPattern=json.dumps({"source": ["fwd"]}))["RuleArn"]
    url, qarn = queue_for(theirs["sqs"], their_rule)
    theirs["events"].put_targets(Rule="all", EventBusName="inbox", Targets=[{"Id": "q", "Arn": qarn}])

    role = unique_name("fwd")
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                                               "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="put", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": inbox_arn}]}))
    rule = unique_name("r")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["fwd"]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "bus", "Arn": inbox_arn, "RoleArn": role_arn}])

    def send(n):
        events.put_events(Entries=[{"Source": "fwd", "DetailType": "t", "Detail": json.dumps({"n": n})}])

    send(1)  # their bus has no policy for us yet: nothing arrives
    assert receive(sqs=theirs["sqs"], url=url, wait=1) == []
    theirs["events"].put_permission(EventBusName="inbox", Action="events:PutEvents", Principal=ACCOUNT_ID,
                                    StatementId="from-us")
    send(2)
    msgs = receive(theirs["sqs"], url)
    assert len(msgs) == 1
    body = json.loads(msgs[0]["Body"])
    assert body["detail"] == {"n": 2} and body["account"] == ACCOUNT_ID
    events.remove_targets(Rule=rule, Ids=["bus"])
    events.delete_rule(Name=rule)


def test_connections_and_api_destinations(events, client):
    sm = client("secretsmanager")
    name = unique_name("c")
    out = events.create_connection(Name=name, AuthorizationType="BASIC", Description="basic",
                                   AuthParameters={"BasicAuthParameters": {"Username": "user", "Password": "pass"}})
    assert out["ConnectionState"] == "AUTHORIZED"
    conn_arn = out["ConnectionArn"]
    assert conn_arn.startswith(f"arn:aws:events:{REGION}:{ACCOUNT_ID}:connection/{name}/")
    d = events.describe_connection(Name=name)
    assert d["AuthParameters"] == {"BasicAuthParameters": {"Username": "user"}} and d["AuthorizationType"] == "BASIC"
    # The password lives in a Secrets Manager secret the connection made, not in EventBridge.
    secret = json.loads(sm.get_secret_value(SecretId=d["SecretArn"])["SecretString"])
    assert secret == {"username": "user", "password": "pass"}
    assert sm.describe_secret(SecretId=d["SecretArn"])["Name"].startswith(f"events!connection/{name}/")
    events.update_connection(Name=name, AuthParameters={"BasicAuthParameters": {"Username": "new_user"}})
    assert json.loads(sm.get_secret_value(SecretId=d["SecretArn"])["SecretString"]) == {"username": "new_user", "password": "pass"}
    assert events.describe_connection(Name=name)["AuthParameters"]["BasicAuthParameters"] == {"Username": "new_user"}
    assert [c["Name"] for c in events.list_connections(NamePrefix=name)["Connections"]] == [name]

    dest = unique_name("d")
    arn = events.create_api_destination(Name=dest, ConnectionArn=conn_arn, InvocationEndpoint="https://example.com/api",
                                        HttpMethod="POST", Description="api")["ApiDestinationArn"]
    got = events.describe_api_destination(Name=dest)
    assert got["ApiDestinationArn"] == arn and got["InvocationRateLimitPerSecond"] == 300 and got["HttpMethod"] == "POST"
    events.update_api_destination(Name=dest, HttpMethod="PUT", InvocationEndpoint="https://example.com/v2")
    assert events.describe_api_destination(Name=dest)["InvocationEndpoint"] == "https://example.com/v2"
    assert [x["Name"] for x in events.list_api_destinations(NamePrefix=dest)["ApiDestinations"]] == [dest]
    events.delete_api_destination(Name=dest)
    with pytest.raises(ClientError) as e:
        events.describe_api_destination(Name=dest)
    assert err(e) == (400, "ResourceNotFoundException",
                      f"Failed to describe the api-destination(s). An api-destination '{dest}' does not exist.")
    assert events.delete_connection(Name=name)["ConnectionState"] == "DELETING"
    with pytest.raises(ClientError) as e:
        events.describe_connection(Name=name)
    assert err(e) == (400, "ResourceNotFoundException",
                      f"Failed to describe the connection(s). Connection '{name}' does not exist.")
    with pytest.raises(ClientError):
        sm.get_secret_value(SecretId=d["SecretArn"])


def test_account_deletion_removes_buses_and_rules(server):
    admin = lambda method, path, **kw: requests.request(method, server.url + path, timeout=30, **kw)
    acct = admin("POST", "/_simfra/accounts", json={}).json()
    ev = make_client(server.url, "events", aws_access_key_id=acct["rootAccessKeyId"],
                     aws_secret_access_key=acct["rootSecretAccessKey"])
    ev.create_event_bus(Name="mine")
    ev.put_rule(Name="r", EventBusName="mine", EventPattern=json.dumps({"source": ["a"]}))
    ev.put_rule(Name="d", EventPattern=json.dumps({"source": ["a"]}))
    assert admin("DELETE", f"/_simfra/accounts/{acct['accountId']}").status_code == 204
    again = admin("POST", "/_simfra/accounts", json={"accountId": acct["accountId"]}).json()
    ev = make_client(server.url, "events", aws_access_key_id=again["rootAccessKeyId"],
                     aws_secret_access_key=again["rootSecretAccessKey"])
    assert [b["Name"] for b in ev.list_event_buses()["EventBuses"]] == ["default"]
    assert ev.list_rules()["Rules"] == []
