"""EventBridge Scheduler end to end with boto3 and the AWS CLI: schedule groups and schedules
(CRUD, defaults, paging, tags, AWS's errors), schedules that really fire into an SQS queue as
their execution role, a role Scheduler may not assume (refused at creation, as AWS does), a target the role
may not reach (the dead-letter queue gets the event), ActionAfterCompletion DELETE, and the
persistence contract.
"""
from __future__ import annotations

import datetime as dt
import json
import signal
import time

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, make_client, run_aws_cli, unique_name
from persistence_contract import run_contract

TRUST_SCHEDULER = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
TRUST_EC2 = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def err(excinfo):
    r = excinfo.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Code"), r["Error"].get("Message")


@pytest.fixture
def scheduler(client):
    return client("scheduler")


def queue(sqs):
    url = sqs.create_queue(QueueName=unique_name("q"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def role(iam, trust=TRUST_SCHEDULER, send_to=("*",)):
    name = unique_name("r")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="send", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": list(send_to)}]}))
    return arn


def receive(sqs, url, wait=10):
    deadline = time.time() + wait
    while time.time() < deadline:
        msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2, MaxNumberOfMessages=10,
                                   MessageAttributeNames=["All"]).get("Messages", [])
        if msgs:
            return msgs
    return []


def at_in(seconds):
    t = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds)
    return "at(" + t.strftime("%Y-%m-%dT%H:%M:%S") + ")"


def test_schedule_crud_defaults_and_errors(scheduler, client):
    name = unique_name("s")
    target = {"Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:q", "RoleArn": role(client("iam"))}
    arn = scheduler.create_schedule(Name=name, ScheduleExpression="cron(0 12 * * ? *)",
                                    FlexibleTimeWindow={"Mode": "OFF"}, Target=target)["ScheduleArn"]
    assert arn == f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule/default/{name}"
    got = scheduler.get_schedule(Name=name)
    assert got["GroupName"] == "default" and got["State"] == "ENABLED"
    assert got["ScheduleExpressionTimezone"] == "UTC" and got["ActionAfterCompletion"] == "NONE"
    assert got["Target"]["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}
    assert got["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert isinstance(got["CreationDate"], dt.datetime)

    with pytest.raises(ClientError) as e:
        scheduler.create_schedule(Name=name, ScheduleExpression="rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"},
                                  Target=target)
    assert err(e) == (409, "ConflictException", f"Schedule {name} already exists.")
    with pytest.raises(ClientError) as e:
        scheduler.get_schedule(Name=name + "-missing")
    assert err(e) == (404, "ResourceNotFoundException", f"Schedule {name}-missing does not exist.")
    for bad in ["cron(0 1 * * * *)", "rate(10 seconds)", "at(2021-12-31)", " rate(10 minutes)"]:
        with pytest.raises(ClientError) as e:
            scheduler.create_schedule(Name=unique_name("b"), ScheduleExpression=bad, FlexibleTimeWindow={"Mode": "OFF"},
                                      Target=target)
        assert err(e) == (400, "ValidationException", f"Invalid Schedule Expression {bad}.")
    with pytest.raises(ClientError) as e:
        scheduler.create_schedule(Name=unique_name("b"), GroupName="nope", ScheduleExpression="rate(1 hour)",
                                  FlexibleTimeWindow={"Mode": "OFF"}, Target=target)
    assert err(e) == (404, "ResourceNotFoundException", "Schedule group nope does not exist.")

    scheduler.update_schedule(Name=name, ScheduleExpression="rate(2 hours)", State="DISABLED",
                              ScheduleExpressionTimezone="Europe/Paris",
                              FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 5}, Target=target)
    got = scheduler.get_schedule(Name=name)
    assert got["ScheduleExpression"] == "rate(2 hours)" and got["State"] == "DISABLED"
    assert got["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 5}
    listed = scheduler.list_schedules(NamePrefix=name, State="DISABLED")["Schedules"]
    assert [s["Name"] for s in listed] == [name] and listed[0]["Target"] == {"Arn": target["Arn"]}
    scheduler.delete_schedule(Name=name)
    with pytest.raises(ClientError) as e:
        scheduler.delete_schedule(Name=name)
    assert err(e)[1] == "ResourceNotFoundException"


def test_groups_tags_paging_and_cascade(scheduler, client):
    group = unique_name("g")
    garn = scheduler.create_schedule_group(Name=group, Tags=[{"Key": "team", "Value": "a"}])["ScheduleGroupArn"]
    assert garn == f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule-group/{group}"
    with pytest.raises(ClientError) as e:
        scheduler.create_schedule_group(Name=group)
    assert err(e)[:2] == (409, "ConflictException")
    g = scheduler.get_schedule_group(Name=group)
    assert g["State"] == "ACTIVE" and g["Arn"] == garn
    assert scheduler.get_schedule_group(Name="default")["Name"] == "default"
    names = [x["Name"] for x in scheduler.list_schedule_groups()["ScheduleGroups"]]
    assert "default" in names and group in names

    scheduler.tag_resource(ResourceArn=garn, Tags=[{"Key": "env", "Value": "dev"}])
    scheduler.untag_resource(ResourceArn=garn, TagKeys=["team"])
    assert scheduler.list_tags_for_resource(ResourceArn=garn)["Tags"] == [{"Key": "env", "Value": "dev"}]

    target = {"Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:q", "RoleArn": role(client("iam"))}
    for i in range(5):
        scheduler.create_schedule(Name=f"s{i}", GroupName=group, ScheduleExpression="rate(1 day)",
                                  FlexibleTimeWindow={"Mode": "OFF"}, Target=target)
    pages = scheduler.get_paginator("list_schedules").paginate(GroupName=group, PaginationConfig={"PageSize": 2})
    assert [s["Name"] for p in pages for s in p["Schedules"]] == ["s0", "s1", "s2", "s3", "s4"]

    scheduler.delete_schedule_group(Name=group)
    with pytest.raises(ClientError) as e:
        scheduler.get_schedule(Name="s0", GroupName=group)
    assert err(e)[1] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        scheduler.get_schedule_group(Name=group)
    assert err(e) == (404, "ResourceNotFoundException", f"Schedule group {group} does not exist.")
    with pytest.raises(ClientError) as e:
        scheduler.delete_schedule_group(Name="default")
    assert err(e)[:2] == (400, "ValidationException")


def test_one_time_schedule_fires_into_sqs_and_deletes_itself(scheduler, client):
    sqs, iam = client("sqs"), client("iam")
    url, qarn = queue(sqs)
    role_arn = role(iam)
    name = unique_name("once")
    scheduler.create_schedule(
        Name=name, ScheduleExpression=at_in(2), FlexibleTimeWindow={"Mode": "OFF"}, ActionAfterCompletion="DELETE",
        Target={"Arn": qarn, "RoleArn": role_arn,
                "Input": json.dumps({"schedule": "<aws.scheduler.schedule-arn>", "n": "<aws.scheduler.attempt-number>"})})
    msgs = receive(sqs, url, wait=15)
    assert len(msgs) == 1
    body = json.loads(msgs[0]["Body"])
    assert body == {"schedule": f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule/default/{name}", "n": "1"}
    with pytest.raises(ClientError) as e:
        scheduler.get_schedule(Name=name)
    assert err(e)[1] == "ResourceNotFoundException"


def test_rate_schedule_fires_at_once(scheduler, client):
    sqs, iam = client("sqs"), client("iam")
    url, qarn = queue(sqs)
    name = unique_name("rate")
    scheduler.create_schedule(Name=name, ScheduleExpression="rate(1 minute)", FlexibleTimeWindow={"Mode": "OFF"},
                              Target={"Arn": qarn, "RoleArn": role(iam), "Input": "tick"})
    msgs = receive(sqs, url, wait=10)
    assert [m["Body"] for m in msgs] == ["tick"]
    scheduler.delete_schedule(Name=name)


def test_universal_target_calls_the_sdk_action_as_the_role(scheduler, client):
    sqs, iam = client("sqs"), client("iam")
    url, qarn = queue(sqs)
    scheduler.create_schedule(
        Name=unique_name("sdk"), ScheduleExpression=at_in(1), FlexibleTimeWindow={"Mode": "OFF"},
        ScheduleExpressionTimezone="UTC",
        Target={"Arn": "arn:aws:scheduler:::aws-sdk:sqs:sendMessage", "RoleArn": role(iam, send_to=(qarn,)),
                "Input": json.dumps({"QueueUrl": url, "MessageBody": "via sdk <aws.scheduler.attempt-number>"})})
    assert [m["Body"] for m in receive(sqs, url, wait=15)] == ["via sdk 1"]


def test_sns_target_publishes_as_the_role(scheduler, client):
    sqs, iam, sns = client("sqs"), client("iam"), client("sns")
    url, qarn = queue(sqs)
    topic = sns.create_topic(Name=unique_name("t"))["TopicArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": qarn, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    name = unique_name("r")
    role_arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_SCHEDULER)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="pub", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Resource": topic}]}))
    scheduler.create_schedule(Name=unique_name("sns"), ScheduleExpression=at_in(1), FlexibleTimeWindow={"Mode": "OFF"},
                              Target={"Arn": topic, "RoleArn": role_arn, "Input": "fanned out"})
    assert [m["Body"] for m in receive(sqs, url, wait=15)] == ["fanned out"]


def test_a_role_scheduler_may_not_assume_is_refused(scheduler, client):
    sqs, iam = client("sqs"), client("iam")
    url, qarn = queue(sqs)
    untrusted = role(iam, trust=TRUST_EC2)
    kw = dict(ScheduleExpression=at_in(1), FlexibleTimeWindow={"Mode": "OFF"})
    message = "The execution role you provide must allow AWS EventBridge Scheduler to assume the role."
    for role_arn in (untrusted, f"arn:aws:iam::{ACCOUNT_ID}:role/{unique_name('missing')}"):
        with pytest.raises(ClientError) as e:
            scheduler.create_schedule(Name=unique_name("x"), Target={"Arn": qarn, "RoleArn": role_arn}, **kw)
        assert err(e) == (400, "ValidationException", message)
    # The trust policy may name the schedule group as the source, as AWS recommends.
    name = unique_name("r")
    scoped = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
                          "ArnEquals": {"aws:SourceArn": f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule-group/default"}}}]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="send", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": qarn}]}))
    scheduler.create_schedule(Name=unique_name("ok"), Target={"Arn": qarn, "RoleArn": scoped, "Input": "scoped"}, **kw)
    assert [m["Body"] for m in receive(sqs, url, wait=15)] == ["scoped"]
    group = unique_name("g")
    scheduler.create_schedule_group(Name=group)
    with pytest.raises(ClientError) as e:
        scheduler.create_schedule(Name=unique_name("x"), GroupName=group, Target={"Arn": qarn, "RoleArn": scoped}, **kw)
    assert err(e) == (400, "ValidationException", message)


def test_target_the_role_cannot_reach_goes_to_the_dead_letter_queue(scheduler, client):
    sqs, iam = client("sqs"), client("iam")
    url, qarn = queue(sqs)
    dlq_url, dlq_arn = queue(sqs)
    name = unique_name("dl")
    scheduler.create_schedule(Name=name, ScheduleExpression=at_in(1), FlexibleTimeWindow={"Mode": "OFF"},
                              Target={"Arn": qarn, "RoleArn": role(iam, send_to=(dlq_arn,)), "Input": "lost",
                                      "DeadLetterConfig": {"Arn": dlq_arn}})
    msgs = receive(sqs, dlq_url, wait=15)
    assert [m["Body"] for m in msgs] == ["lost"]
    attrs = {k: v["StringValue"] for k, v in msgs[0]["MessageAttributes"].items()}
    assert attrs["SCHEDULE_ARN"] == f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule/default/{name}"
    assert attrs["TARGET_ARN"] == qarn and attrs["RETRY_ATTEMPTS"] == "0"
    assert attrs["ERROR_CODE"] and attrs["ERROR_MESSAGE"]
    assert receive(sqs, url, wait=1) == []


def test_aws_cli_round_trip(server):
    name = unique_name("cli")
    role_arn = role(make_client(server.url, "iam"))
    r = run_aws_cli(server.url, "scheduler", "create-schedule", "--name", name,
                    "--schedule-expression", "rate(5 minutes)", "--flexible-time-window", "Mode=OFF",
                    "--target", json.dumps({"Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:q",
                                            "RoleArn": role_arn}),
                    "--state", "DISABLED")
    assert r.returncode == 0, r.stderr
    assert r.json["ScheduleArn"].endswith("/default/" + name)
    r = run_aws_cli(server.url, "scheduler", "get-schedule", "--name", name, "--query", "State")
    assert r.returncode == 0 and r.json == "DISABLED"
    r = run_aws_cli(server.url, "scheduler", "get-schedule", "--name", name + "-missing")
    assert r.returncode != 0 and "ResourceNotFoundException" in r.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_persistence_contract(server_factory, tmp_path, sig):
    target = {"Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:q", "RoleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/sched",
              "Input": "{\"a\": 1}", "RetryPolicy": {"MaximumRetryAttempts": 3},
              "DeadLetterConfig": {"Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:dlq"}}

    def scenario(url):
        s = make_client(url, "scheduler")
        make_client(url, "iam").create_role(RoleName="sched", AssumeRolePolicyDocument=TRUST_SCHEDULER)
        s.create_schedule_group(Name="kept", Tags=[{"Key": "a", "Value": "1"}])
        s.create_schedule_group(Name="gone")
        s.delete_schedule_group(Name="gone")
        s.create_schedule(Name="cron", GroupName="kept", ScheduleExpression="cron(0 9 ? * MON-FRI *)",
                          ScheduleExpressionTimezone="America/New_York", Description="weekdays",
                          FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 10}, Target=target,
                          StartDate=dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc),
                          EndDate=dt.datetime(2031, 1, 1, tzinfo=dt.timezone.utc))
        s.create_schedule(Name="off", ScheduleExpression="rate(3 hours)", State="DISABLED",
                          FlexibleTimeWindow={"Mode": "OFF"}, Target=target,
                          KmsKeyArn=f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/abc")
        s.create_schedule(Name="deleted", ScheduleExpression="rate(3 hours)", FlexibleTimeWindow={"Mode": "OFF"},
                          Target=target)
        s.delete_schedule(Name="deleted")

    def snapshot(url):
        s = make_client(url, "scheduler")
        out = {"groups": [g for g in s.list_schedule_groups()["ScheduleGroups"] if g["Name"] != "default"],
               "schedules": s.list_schedules()["Schedules"]}
        for g in out["groups"]:
            out["tags " + g["Name"]] = s.list_tags_for_resource(ResourceArn=g["Arn"])["Tags"]
        for x in out["schedules"]:
            out[x["Arn"]] = s.get_schedule(Name=x["Name"], GroupName=x["GroupName"])
        return out

    _, before = run_contract(server_factory, tmp_path, scenario, snapshot, sig=sig)
    assert [g["Name"] for g in before["groups"]] == ["kept"]
    assert sorted(x["Name"] for x in before["schedules"]) == ["cron", "off"]


def test_schedules_resume_firing_after_a_restart(server_factory, tmp_path):
    data = tmp_path / "data"
    first = server_factory(data_dir=data)
    sqs, iam, s = (make_client(first.url, x) for x in ("sqs", "iam", "scheduler"))
    url, qarn = queue(sqs)
    s.create_schedule(Name="later", ScheduleExpression=at_in(6), FlexibleTimeWindow={"Mode": "OFF"},
                      Target={"Arn": qarn, "RoleArn": role(iam), "Input": "after restart"})
    assert first.stop(signal.SIGTERM) == 0
    second = server_factory(data_dir=data)
    sqs = make_client(second.url, "sqs")
    url = sqs.get_queue_url(QueueName=qarn.rsplit(":", 1)[1])["QueueUrl"]
    assert [m["Body"] for m in receive(sqs, url, wait=20)] == ["after restart"]


def test_creating_a_schedule_needs_pass_role_on_its_execution_role(server, client):
    iam = client("iam")
    role_arn = role(iam)
    name = unique_name("u")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="sched", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "scheduler:*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    time.sleep(0.2)
    user = make_client(server.url, "scheduler", aws_access_key_id=key["AccessKeyId"],
                       aws_secret_access_key=key["SecretAccessKey"])
    kw = dict(ScheduleExpression="rate(1 day)", State="DISABLED", FlexibleTimeWindow={"Mode": "OFF"},
              Target={"Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:q", "RoleArn": role_arn})
    with pytest.raises(ClientError) as e:
        user.create_schedule(Name=unique_name("s"), **kw)
    assert err(e) == (403, "AccessDeniedException",
                      f"User: arn:aws:iam::{ACCOUNT_ID}:user/{name} is not authorized to perform: iam:PassRole on resource: "
                      f"{role_arn} because no identity-based policy allows the iam:PassRole action")
    iam.put_user_policy(UserName=name, PolicyName="pass", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": role_arn,
                                                "Condition": {"StringEquals": {
                                                    "iam:PassedToService": "scheduler.amazonaws.com"}}}]}))
    assert user.create_schedule(Name=unique_name("s"), **kw)["ScheduleArn"]
    assert user.list_schedules()["Schedules"]
