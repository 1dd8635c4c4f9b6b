"""S3 event notifications end to end with boto3 and the AWS CLI: the configuration is
validated with AWS's errors, each SQS/SNS destination receives AWS's s3:TestEvent when it is
saved (sent as s3.amazonaws.com, so the queue or topic policy must allow the bucket), and
object events (Put, Copy, CompleteMultipartUpload, Delete, DeleteMarkerCreated, tagging, ACL)
arrive with AWS's record JSON, filtered by prefix and suffix, directly and through SNS.
"""
from __future__ import annotations

import json
import re
import time
import urllib.parse

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, make_client, run_aws_cli, unique_name


@pytest.fixture
def sqs(client):
    return client("sqs")


@pytest.fixture
def sns(client):
    return client("sns")


def allowing_queue(sqs, bucket=None, principal="s3.amazonaws.com", source_arn=None):
    """A queue whose policy lets `principal` send for `source_arn` (the bucket by default);
    no policy when neither is given."""
    url = sqs.create_queue(QueueName=unique_name("q"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    source = source_arn or (f"arn:aws:s3:::{bucket}" if bucket else None)
    if source:
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": principal}, "Action": "sqs:SendMessage", "Resource": arn,
            "Condition": {"ArnLike": {"aws:SourceArn": source}, "StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}}]}
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    return url, arn


def bodies(sqs, url, count, wait=5.0):
    """The bodies of `count` messages (parsed JSON), waiting up to `wait` seconds."""
    out = []
    deadline = time.time() + wait
    while len(out) < count and time.time() < deadline:
        msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, MaxNumberOfMessages=10).get("Messages", [])
        for m in msgs:
            out.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return out


def records(sqs, url, count, wait=5.0):
    return [b["Records"][0] for b in bodies(sqs, url, count, wait)]


def configure_queue(s3, bucket, queue_arn, events, id_="cfg", rules=None):
    c = {"Id": id_, "QueueArn": queue_arn, "Events": events}
    if rules:
        c["Filter"] = {"Key": {"FilterRules": [{"Name": n, "Value": v} for n, v in rules]}}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [c]})


def error(excinfo):
    r = excinfo.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]


def test_test_event_on_configuration(s3, sqs, bucket):
    url, arn = allowing_queue(sqs, bucket)
    configure_queue(s3, bucket, arn, ["s3:ObjectCreated:*"])
    [test] = bodies(sqs, url, 1)
    assert set(test) == {"Service", "Event", "Time", "Bucket", "RequestId", "HostId"}
    assert test["Service"] == "Amazon S3" and test["Event"] == "s3:TestEvent" and test["Bucket"] == bucket
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", test["Time"])
    got = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert got["QueueConfigurations"] == [{"Id": "cfg", "QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]


def test_object_events_to_sqs(s3, sqs, bucket):
    url, arn = allowing_queue(sqs, bucket)
    configure_queue(s3, bucket, arn, ["s3:ObjectCreated:*", "s3:ObjectRemoved:*", "s3:ObjectTagging:*", "s3:ObjectAcl:Put"])
    bodies(sqs, url, 1)  # the test event
    put = s3.put_object(Bucket=bucket, Key="dir/a b@c.txt", Body=b"hello")
    [r] = records(sqs, url, 1)
    assert r["eventVersion"] == "2.1" and r["eventSource"] == "aws:s3" and r["awsRegion"] == REGION
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["eventTime"])
    assert r["eventName"] == "ObjectCreated:Put"
    assert r["userIdentity"]["principalId"]
    assert r["requestParameters"]["sourceIPAddress"]
    request_id = put["ResponseMetadata"]["RequestId"]
    assert r["responseElements"]["x-amz-request-id"] == request_id
    assert r["responseElements"]["x-amz-id-2"] == put["ResponseMetadata"]["HTTPHeaders"]["x-amz-id-2"]
    s3part = r["s3"]
    assert s3part["s3SchemaVersion"] == "1.0" and s3part["configurationId"] == "cfg"
    assert s3part["bucket"]["name"] == bucket and s3part["bucket"]["arn"] == f"arn:aws:s3:::{bucket}"
    assert s3part["bucket"]["ownerIdentity"]["principalId"]
    obj = s3part["object"]
    assert obj["key"] == "dir/a+b%40c.txt"
    assert urllib.parse.unquote_plus(obj["key"]) == "dir/a b@c.txt"
    assert obj["size"] == 5 and obj["eTag"] == put["ETag"].strip('"')
    assert "versionId" not in obj
    assert re.fullmatch(r"[0-9A-F]{18}", obj["sequencer"])
    # AWS's member order.
    assert list(r) == ["eventVersion", "eventSource", "awsRegion", "eventTime", "eventName", "userIdentity",
                       "requestParameters", "responseElements", "s3"]

    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "dir/a b@c.txt"})
    s3.put_object_tagging(Bucket=bucket, Key="copy", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    s3.delete_object_tagging(Bucket=bucket, Key="copy")
    s3.put_object_acl(Bucket=bucket, Key="copy", ACL="private")
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up, PartNumber=1, Body=b"x" * 6144)
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    s3.delete_object(Bucket=bucket, Key="copy")
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "mp"}, {"Key": "dir/a b@c.txt"}]})
    rs = records(sqs, url, 8)
    assert [x["eventName"] for x in rs] == [
        "ObjectCreated:Copy", "ObjectTagging:Put", "ObjectTagging:Delete", "ObjectAcl:Put",
        "ObjectCreated:CompleteMultipartUpload", "ObjectRemoved:Delete", "ObjectRemoved:Delete", "ObjectRemoved:Delete"]
    copy, tag = rs[0]["s3"]["object"], rs[1]["s3"]["object"]
    assert copy["key"] == "copy" and copy["size"] == 5 and copy["sequencer"] > obj["sequencer"]
    assert rs[1]["eventVersion"] == "2.3" and set(tag) == {"key", "eTag"}
    mp = rs[4]["s3"]["object"]
    assert mp["size"] == 6144 and mp["eTag"].endswith("-1")
    deleted = rs[5]["s3"]["object"]
    assert set(deleted) == {"key", "sequencer"} and deleted["sequencer"] > copy["sequencer"]


def test_versioned_bucket_events(s3, sqs, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    url, arn = allowing_queue(sqs, bucket)
    configure_queue(s3, bucket, arn, ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"])
    bodies(sqs, url, 1)
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    s3.delete_object(Bucket=bucket, Key="k", VersionId=v1)
    rs = records(sqs, url, 3)
    assert [r["eventName"] for r in rs] == ["ObjectCreated:Put", "ObjectRemoved:DeleteMarkerCreated", "ObjectRemoved:Delete"]
    assert rs[0]["s3"]["object"]["versionId"] == v1
    assert rs[1]["s3"]["object"]["versionId"] == marker
    assert rs[1]["s3"]["object"]["eTag"] == "d41d8cd98f00b204e9800998ecf8427e"
    assert rs[2]["s3"]["object"]["versionId"] == v1


def test_prefix_suffix_filters(s3, sqs, bucket):
    url, arn = allowing_queue(sqs, bucket)
    # S3 takes the rule names in any case and answers them capitalised.
    configure_queue(s3, bucket, arn, ["s3:ObjectCreated:Put"], rules=[("prefix", "in/"), ("SUFFIX", ".txt")])
    got = s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"][0]
    assert got["Filter"] == {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "in/"}, {"Name": "Suffix", "Value": ".txt"}]}}
    bodies(sqs, url, 1)
    for key in ["in/a.txt", "in/a.csv", "out/a.txt", "in/deep/b.txt"]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"1")
    s3.copy_object(Bucket=bucket, Key="in/copy.txt", CopySource={"Bucket": bucket, "Key": "in/a.txt"})  # Put only
    rs = records(sqs, url, 3, wait=3)
    assert [r["s3"]["object"]["key"] for r in rs] == ["in/a.txt", "in/deep/b.txt"]


def test_s3_to_sns_to_sqs(s3, sqs, sns, bucket):
    topic = sns.create_topic(Name=unique_name("t"))["TopicArn"]
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "SNS:Publish", "Resource": topic,
            "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"}}}]}))
    url, qarn = allowing_queue(sqs, principal="sns.amazonaws.com", source_arn=topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"TopicConfigurations": [
        {"Id": "to-sns", "TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}]})
    [test] = bodies(sqs, url, 1)
    assert test["Type"] == "Notification" and test["Subject"] == "Amazon S3 Notification"
    assert json.loads(test["Message"])["Event"] == "s3:TestEvent"
    s3.put_object(Bucket=bucket, Key="bucket-key", Body=b"hello world")
    [env] = bodies(sqs, url, 1)
    assert env["TopicArn"] == topic and env["Subject"] == "Amazon S3 Notification"
    r = json.loads(env["Message"])["Records"][0]
    assert r["eventName"] == "ObjectCreated:Put" and r["s3"]["configurationId"] == "to-sns"
    assert r["s3"]["object"]["key"] == "bucket-key" and r["s3"]["object"]["size"] == 11


def test_destination_errors(s3, sqs, sns, bucket):
    closed_url, closed_arn = allowing_queue(sqs)  # no policy: S3 may not send
    with pytest.raises(ClientError) as e:
        configure_queue(s3, bucket, closed_arn, ["s3:ObjectCreated:*"])
    status, err = error(e)
    assert status == 400 and err["Code"] == "InvalidArgument"
    assert err["Message"] == "Unable to validate the following destination configurations"
    assert err["ArgumentName1"] == closed_arn
    assert err["ArgumentValue1"] == "Permissions on the destination queue do not allow S3 to publish notifications from this bucket"
    assert s3.get_bucket_notification_configuration(Bucket=bucket).get("QueueConfigurations") is None
    assert bodies(sqs, closed_url, 1, wait=1) == []

    missing = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{unique_name('gone')}"
    missing2 = missing + "-2"
    with pytest.raises(ClientError) as e:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [
            {"QueueArn": missing, "Events": ["s3:ObjectCreated:*"]},
            {"QueueArn": missing2, "Events": ["s3:ObjectRemoved:*"]}]})
    _, err = error(e)
    assert (err["ArgumentName1"], err["ArgumentValue1"]) == (missing, "The destination queue does not exist")
    assert (err["ArgumentName2"], err["ArgumentValue2"]) == (missing2, "The destination queue does not exist")

    with pytest.raises(ClientError) as e:
        configure_queue(s3, bucket, "invalid-queue", ["s3:ObjectCreated:*"])
    assert error(e) == (400, {"Code": "InvalidArgument", "Message": "The ARN could not be parsed",
                              "ArgumentName": "Queue", "ArgumentValue": "invalid-queue"})
    # SkipDestinationValidation stores a configuration whose destination is not there yet.
    s3.put_bucket_notification_configuration(
        Bucket=bucket, SkipDestinationValidation=True,
        NotificationConfiguration={"QueueConfigurations": [{"Id": "id123", "QueueArn": missing, "Events": ["s3:ObjectCreated:*"]}]})
    assert s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"][0]["QueueArn"] == missing
    # An object event to a queue that does not exist fails in the background; the put succeeds.
    s3.put_object(Bucket=bucket, Key="k", Body=b"1")

    # Topics as well: one that does not exist, one whose (default) policy does not name S3.
    gone_topic = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{unique_name('gone')}"
    default_topic = sns.create_topic(Name=unique_name("t"))["TopicArn"]
    with pytest.raises(ClientError) as e:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"TopicConfigurations": [
            {"TopicArn": gone_topic, "Events": ["s3:ObjectCreated:*"]},
            {"TopicArn": default_topic, "Events": ["s3:ObjectRemoved:*"]}]})
    _, err = error(e)
    assert (err["ArgumentName1"], err["ArgumentValue1"]) == (gone_topic, "The destination topic does not exist")
    assert (err["ArgumentName2"], err["ArgumentValue2"]) == (
        default_topic, "Permissions on the destination topic do not allow S3 to publish notifications from this bucket")

    fn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:my-lambda"
    with pytest.raises(ClientError) as e:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"LambdaFunctionConfigurations": [
            {"LambdaFunctionArn": fn, "Events": ["s3:ObjectCreated:*"]}]})
    _, err = error(e)
    assert err["ArgumentName1"] == f"{fn}, null" and err["ArgumentValue1"] == f"Not authorized to invoke function [{fn}]"

    with pytest.raises(ClientError) as e:
        s3.put_bucket_notification_configuration(Bucket=unique_name("nobucket"), NotificationConfiguration={})
    assert error(e)[1]["Code"] == "NoSuchBucket"


def test_configuration_validation(s3, sqs, bucket):
    url, arn = allowing_queue(sqs, bucket)
    cases = [
        ([{"QueueArn": arn, "Events": ["s3:ObjectCreated:Nope"]}], "The event is not supported for notifications"),
        ([{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {"FilterRules": [{"Name": "middle", "Value": "x"}]}}}],
         "filter rule name must be either prefix or suffix"),
        ([{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}, {"QueueArn": arn, "Events": ["s3:ObjectCreated:Put"]}],
         "Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes are "
         "overlapping for the same event type."),
    ]
    for configs, message in cases:
        with pytest.raises(ClientError) as e:
            s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": configs})
        status, err = error(e)
        assert (status, err["Code"], err["Message"]) == (400, "InvalidArgument", message)
    # Distinct prefixes do not overlap; an id is generated when none is given.
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [
        {"QueueArn": arn, "Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "a/"}]}}},
        {"QueueArn": arn, "Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "b/"}]}}},
    ]})
    got = s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]
    assert len(got) == 2 and all(c["Id"] for c in got)
    # An empty configuration turns notifications off.
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(Bucket=bucket)
    bodies(sqs, url, 5, wait=1.5)  # the test event(s)
    s3.put_object(Bucket=bucket, Key="a/k", Body=b"1")
    assert bodies(sqs, url, 1, wait=1.5) == []


def test_cli_configuration(server, s3, sqs, bucket):
    url, arn = allowing_queue(sqs, bucket)
    config = {"QueueConfigurations": [{"Id": "cli", "QueueArn": arn, "Events": ["s3:ObjectRemoved:*"]}],
              "EventBridgeConfiguration": {}}
    r = run_aws_cli(server.url, "s3api", "put-bucket-notification-configuration", "--bucket", bucket,
                    "--notification-configuration", json.dumps(config))
    assert r.returncode == 0, r.stderr
    r = run_aws_cli(server.url, "s3api", "get-bucket-notification-configuration", "--bucket", bucket)
    assert r.returncode == 0, r.stderr
    assert r.json["QueueConfigurations"] == config["QueueConfigurations"]
    assert r.json["EventBridgeConfiguration"] == {}
    bodies(sqs, url, 1)
    s3.put_object(Bucket=bucket, Key="gone", Body=b"1")
    s3.delete_object(Bucket=bucket, Key="gone")
    [r] = records(sqs, url, 1)
    assert r["eventName"] == "ObjectRemoved:Delete" and r["s3"]["configurationId"] == "cli"


def test_configuration_survives_restart_and_failures_are_logged(server_factory, tmp_path):
    srv = server_factory(data_dir=tmp_path / "data")
    s3, sqs = srv.client("s3"), srv.client("sqs")
    bucket = unique_name()
    s3.create_bucket(Bucket=bucket)
    url, arn = allowing_queue(sqs, bucket)
    missing = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{unique_name('gone')}"
    s3.put_bucket_notification_configuration(Bucket=bucket, SkipDestinationValidation=True, NotificationConfiguration={
        "QueueConfigurations": [
            {"Id": "live", "QueueArn": arn, "Events": ["s3:ObjectCreated:*"]},
            {"Id": "dead", "QueueArn": missing, "Events": ["s3:ObjectRemoved:*"]}]})
    srv = srv.restart()
    try:
        s3, sqs = srv.client("s3"), srv.client("sqs")
        url = sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[1])["QueueUrl"]
        ids = {c["Id"] for c in s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]}
        assert ids == {"live", "dead"}
        s3.put_object(Bucket=bucket, Key="after-restart", Body=b"1")
        [r] = records(sqs, url, 1)
        assert r["eventName"] == "ObjectCreated:Put" and r["s3"]["configurationId"] == "live"
        # A delivery that fails is logged (and not retried); the request itself succeeded.
        s3.delete_object(Bucket=bucket, Key="after-restart")
        deadline = time.time() + 5
        while "notification from arn:aws:s3:::" + bucket not in srv.stderr_text() and time.time() < deadline:
            time.sleep(0.1)
        assert "notification from arn:aws:s3:::" + bucket in srv.stderr_text()
    finally:
        srv.stop()
        srv.cleanup()


def test_destination_in_another_region(s3, sqs, bucket):
    with pytest.raises(ClientError) as e:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [
            {"QueueArn": f"arn:aws:sqs:eu-west-1:{ACCOUNT_ID}:elsewhere", "Events": ["s3:ObjectCreated:*"]}]})
    status, err = error(e)
    assert (status, err["Code"], err["Message"]) == (
        400, "InvalidArgument", "The notification destination service region is not valid for the bucket location constraint")


def test_iam_user_as_requester(client, server, s3, sqs, bucket):
    """An IAM user's events name the user (`AWS:<user id>`), the root's the account's customer
    id; the bucket's owner identity is the same whoever writes."""
    iam = client("iam")
    user = unique_name("u")
    user_id = iam.create_user(UserName=user)["User"]["UserId"]
    iam.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    as_user = make_client(server.url, "s3", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    url, arn = allowing_queue(sqs, bucket)
    configure_queue(s3, bucket, arn, ["s3:ObjectCreated:*"])
    bodies(sqs, url, 1)
    s3.put_object(Bucket=bucket, Key="by-root", Body=b"1")
    as_user.put_object(Bucket=bucket, Key="by-user", Body=b"1")
    rs = records(sqs, url, 2)
    by_key = {r["s3"]["object"]["key"]: r for r in rs}
    assert by_key["by-user"]["userIdentity"]["principalId"] == f"AWS:{user_id}"
    root_id = by_key["by-root"]["userIdentity"]["principalId"]
    assert not root_id.startswith("AWS:") and root_id == by_key["by-root"]["s3"]["bucket"]["ownerIdentity"]["principalId"]
    assert by_key["by-user"]["s3"]["bucket"]["ownerIdentity"]["principalId"] == root_id
