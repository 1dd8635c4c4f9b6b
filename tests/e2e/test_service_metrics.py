"""Services publish their own AWS/ metrics to CloudWatch (issue #14): AWS/SQS request counts
and depth, the issue's alarm on ApproximateNumberOfMessagesVisible > 10 notifying SNS -> SQS
after 11 sends, a Logs metric filter feeding an alarm, and AWS/SNS, AWS/Events,
AWS/DynamoDB and AWS/Logs points. The server flushes services' metrics every second
(SIMFRA_METRICS_FLUSH_SECONDS) instead of AWS's minute, so each test takes seconds."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from conftest import ACCOUNT_ID, make_client, unique_name


@pytest.fixture(scope="module")
def metrics_server(simfra_bin):
    from conftest import SimfraServer
    s = SimfraServer.start(binary=simfra_bin, env={"SIMFRA_METRICS_FLUSH_SECONDS": "1"})
    yield s
    s.stop()


@pytest.fixture
def c(metrics_server):
    return lambda service: make_client(metrics_server.url, service)


def stat(cw, ns, name, dims, statistic="Sum"):
    now = dt.datetime.now(dt.timezone.utc)
    points = cw.get_metric_statistics(
        Namespace=ns, MetricName=name, Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
        StartTime=now - dt.timedelta(minutes=10), EndTime=now + dt.timedelta(minutes=1), Period=600,
        Statistics=[statistic])["Datapoints"]
    return points[0][statistic] if points else None


def wait_for(fn, expected, timeout=10.0):
    deadline = time.time() + timeout
    got = fn()
    while got != expected and time.time() < deadline:
        time.sleep(0.25)
        got = fn()
    return got


def test_sqs_request_metrics(c):
    sqs, cw = c("sqs"), c("cloudwatch")
    name = unique_name("m")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody="x" * (10 * (i + 1)))
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "yy"}, {"Id": "b", "MessageBody": "zz"}])
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3)["Messages"]
    for m in got[:2]:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    dims = {"QueueName": name}
    assert wait_for(lambda: stat(cw, "AWS/SQS", "NumberOfMessagesSent", dims), 5.0) == 5.0
    assert wait_for(lambda: stat(cw, "AWS/SQS", "NumberOfMessagesReceived", dims), float(len(got))) == len(got)
    assert wait_for(lambda: stat(cw, "AWS/SQS", "NumberOfMessagesDeleted", dims), 2.0) == 2.0
    assert stat(cw, "AWS/SQS", "SentMessageSize", dims, "Maximum") == 30.0
    assert stat(cw, "AWS/SQS", "SentMessageSize", dims, "Minimum") == 2.0
    # Depth is sampled at each flush: 2 visible after the receive (5 if a flush came first).
    assert wait_for(lambda: (stat(cw, "AWS/SQS", "ApproximateNumberOfMessagesVisible", dims, "Maximum") or 0) >= 2, True)
    assert wait_for(lambda: stat(cw, "AWS/SQS", "ApproximateNumberOfMessagesNotVisible", dims, "Minimum"), 1.0) == 1.0
    listed = cw.list_metrics(Namespace="AWS/SQS", Dimensions=[{"Name": "QueueName", "Value": name}])["Metrics"]
    names = {m["MetricName"] for m in listed}
    assert {"NumberOfMessagesSent", "NumberOfMessagesReceived", "NumberOfMessagesDeleted", "NumberOfEmptyReceives",
            "SentMessageSize", "ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed", "ApproximateAgeOfOldestMessage"} <= names
    # PutMetricData still refuses the AWS/ namespaces: only the services write there.
    with pytest.raises(cw.exceptions.ClientError):
        cw.put_metric_data(Namespace="AWS/SQS", MetricData=[{"MetricName": "NumberOfMessagesSent", "Value": 1}])


def subscribed_queue(sns, sqs, topic):
    url = sqs.create_queue(QueueName=unique_name("n"))["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": qarn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    return url


def alarm_message(sqs, url, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for m in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []):
            body = json.loads(m["Body"])
            if body.get("NewStateValue") == "ALARM":
                return body
    return None


def test_alarm_on_queue_depth_notifies_topic(c):
    """The issue's example: ApproximateNumberOfMessagesVisible > 10 goes to ALARM after 11
    sends and notifies its topic."""
    sqs, sns, cw = c("sqs"), c("sns"), c("cloudwatch")
    topic = sns.create_topic(Name=unique_name("depth"))["TopicArn"]
    inbox = subscribed_queue(sns, sqs, topic)
    name = unique_name("work")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    alarm = unique_name("deep")
    cw.put_metric_alarm(AlarmName=alarm, Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible",
                        Dimensions=[{"Name": "QueueName", "Value": name}], Statistic="Maximum", Period=60,
                        EvaluationPeriods=1, Threshold=10, ComparisonOperator="GreaterThanThreshold",
                        AlarmActions=[topic])
    for i in range(11):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    m = alarm_message(sqs, inbox)
    assert m, cw.describe_alarm_history(AlarmName=alarm)
    assert m["AlarmName"] == alarm and m["Trigger"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert m["Trigger"]["Namespace"] == "AWS/SQS" and m["AWSAccountId"] == ACCOUNT_ID
    assert cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["StateValue"] == "ALARM"


def test_logs_metric_filter_feeds_an_alarm(c):
    logs, cw = c("logs"), c("cloudwatch")
    group, ns = unique_name("/app"), unique_name("App")
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_metric_filter(logGroupName=group, filterName="errors", filterPattern="ERROR", metricTransformations=[
        {"metricName": "Errors", "metricNamespace": ns, "metricValue": "1"}])
    alarm = unique_name("errors")
    cw.put_metric_alarm(AlarmName=alarm, Namespace=ns, MetricName="Errors", Statistic="Sum", Period=10,
                        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
                        TreatMissingData="notBreaching")
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": now, "message": "ERROR disk full"}, {"timestamp": now + 1, "message": "INFO ok"}])
    state = wait_for(lambda: cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["StateValue"], "ALARM", 25)
    assert state == "ALARM"
    dims = {"LogGroupName": group}
    assert wait_for(lambda: stat(cw, "AWS/Logs", "IncomingLogEvents", dims), 2.0) == 2.0
    assert stat(cw, "AWS/Logs", "IncomingBytes", dims) == float(len("ERROR disk full") + len("INFO ok") + 2 * 26)


def test_sns_events_and_dynamodb_publish_their_metrics(c):
    sns, sqs, events, ddb, cw = c("sns"), c("sqs"), c("events"), c("dynamodb"), c("cloudwatch")
    topic_name = unique_name("t")
    topic = sns.create_topic(Name=topic_name)["TopicArn"]
    subscribed_queue(sns, sqs, topic)
    sns.publish(TopicArn=topic, Message="hello")
    dims = {"TopicName": topic_name}
    assert wait_for(lambda: stat(cw, "AWS/SNS", "NumberOfMessagesPublished", dims), 1.0) == 1.0
    assert wait_for(lambda: stat(cw, "AWS/SNS", "NumberOfNotificationsDelivered", dims), 1.0) == 1.0
    assert stat(cw, "AWS/SNS", "PublishSize", dims, "Average") == 5.0

    rule = unique_name("r")
    qurl = sqs.create_queue(QueueName=unique_name("ev"))["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=qurl, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["metrics.test"]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": qarn}])
    events.put_events(Entries=[{"Source": "metrics.test", "DetailType": "t", "Detail": "{}"}])
    rdims = {"RuleName": rule}
    assert wait_for(lambda: stat(cw, "AWS/Events", "TriggeredRules", rdims), 1.0) == 1.0
    assert wait_for(lambda: stat(cw, "AWS/Events", "Invocations", rdims), 1.0) == 1.0

    table = unique_name("tbl")
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}})
    out = ddb.get_item(TableName=table, Key={"pk": {"S": "a"}})
    assert "ConsumedCapacity" not in out
    tdims = {"TableName": table}
    assert wait_for(lambda: stat(cw, "AWS/DynamoDB", "ConsumedWriteCapacityUnits", tdims), 1.0) == 1.0
    assert wait_for(lambda: stat(cw, "AWS/DynamoDB", "SuccessfulRequestLatency", {**tdims, "Operation": "GetItem"},
                                 "SampleCount"), 1.0) == 1.0


def test_s3_daily_storage_metrics_after_restart(server_factory, tmp_path):
    """Storage metrics go out once a UTC day, the first flush after startup included: a
    restarted server publishes its restored buckets' sizes at once."""
    env = {"SIMFRA_METRICS_FLUSH_SECONDS": "1"}
    first = server_factory(data_dir=tmp_path, env=env)
    s3 = make_client(first.url, "s3")
    bucket = unique_name("sizes")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a", Body=b"12345")
    s3.put_object(Bucket=bucket, Key="b", Body=b"678")
    first.stop()
    second = server_factory(data_dir=tmp_path, env=env)
    cw = make_client(second.url, "cloudwatch")
    now = dt.datetime.now(dt.timezone.utc)

    def daily(name, storage_type):
        points = cw.get_metric_statistics(
            Namespace="AWS/S3", MetricName=name, StartTime=now - dt.timedelta(days=2), EndTime=now + dt.timedelta(days=1),
            Period=86400, Statistics=["Average"],
            Dimensions=[{"Name": "BucketName", "Value": bucket}, {"Name": "StorageType", "Value": storage_type}])["Datapoints"]
        return points[0]["Average"] if points else None

    assert wait_for(lambda: daily("NumberOfObjects", "AllStorageTypes"), 2.0) == 2.0
    assert daily("BucketSizeBytes", "StandardStorage") == 8.0
