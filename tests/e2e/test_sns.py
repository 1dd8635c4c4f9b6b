"""SNS topics end to end with boto3 and the AWS CLI: standard and FIFO topics, idempotent
CreateTopic, attributes with AWS's default policy, tags, paging, and AWS's error codes.
SQS subscriptions (confirmed at once), Publish delivering AWS's envelope (or the raw message)
to queues whose policy allows the topic. Topics, tags and subscriptions pass the persistence contract.
"""
from __future__ import annotations

import json
import re
import signal

import base64

import pytest
import requests
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from conftest import ACCOUNT_ID, REGION, make_client, run_aws_cli, unique_name
from persistence_contract import run_contract


def err(excinfo):
    r = excinfo.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Code"), r["Error"].get("Message")


@pytest.fixture
def sns(client):
    return client("sns")


def test_topic_crud_and_default_policy(sns):
    name = unique_name("t")
    arn = sns.create_topic(Name=name)["TopicArn"]
    assert arn == f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{name}"
    assert sns.create_topic(Name=name)["TopicArn"] == arn
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["TopicArn"] == arn and attrs["Owner"] == ACCOUNT_ID
    assert attrs["DisplayName"] == "" and attrs["SubscriptionsPending"] == "0"
    policy = json.loads(attrs["Policy"])
    assert policy["Id"] == "__default_policy_ID"
    st = policy["Statement"][0]
    assert st["Resource"] == arn and st["Condition"] == {"StringEquals": {"AWS:SourceOwner": ACCOUNT_ID}}
    assert "SNS:Publish" in st["Action"]
    assert "http" in json.loads(attrs["EffectiveDeliveryPolicy"])
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="Shown")
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"] == "Shown"
    assert arn in [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    sns.delete_topic(TopicArn=arn)
    sns.delete_topic(TopicArn=arn)  # AWS answers success again
    with pytest.raises(ClientError) as e:
        sns.get_topic_attributes(TopicArn=arn)
    assert err(e) == (404, "NotFound", "Topic does not exist")


def test_fifo_topic_and_errors(sns):
    name = unique_name("f") + ".fifo"
    arn = sns.create_topic(Name=name, Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["FifoTopic"] == "true" and attrs["ContentBasedDeduplication"] == "true"
    with pytest.raises(ClientError) as e:
        sns.create_topic(Name=name, Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "false"})
    assert err(e) == (400, "InvalidParameter",
                      "Invalid parameter: Attributes Reason: Topic already exists with different attributes")
    for bad in [dict(Name=unique_name("x") + ".fifo"), dict(Name="a b"),
                dict(Name=unique_name("x"), Attributes={"FifoTopic": "true"})]:
        with pytest.raises(ClientError) as e:
            sns.create_topic(**bad)
        assert err(e) == (400, "InvalidParameter", "Invalid parameter: Topic Name")
    with pytest.raises(ClientError) as e:
        sns.set_topic_attributes(TopicArn=arn, AttributeName="FifoTopic", AttributeValue="false")
    assert err(e) == (400, "InvalidParameter", "Invalid parameter: AttributeName")
    with pytest.raises(ClientError) as e:
        sns.get_topic_attributes(TopicArn="nope")
    assert err(e) == (400, "InvalidParameter",
                      "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1")


def test_effective_delivery_policy_merges_defaults(sns):
    topic = sns.create_topic(Name=unique_name("t"), Attributes={"DeliveryPolicy": json.dumps(
        {"http": {"defaultHealthyRetryPolicy": {"minDelayTarget": 5, "maxDelayTarget": 6, "numRetries": 1},
                  "disableSubscriptionOverrides": False}})})["TopicArn"]
    effective = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["EffectiveDeliveryPolicy"])
    assert effective == {"http": {
        "defaultHealthyRetryPolicy": {"minDelayTarget": 5, "maxDelayTarget": 6, "numRetries": 1, "numMaxDelayRetries": 0,
                                      "numNoDelayRetries": 0, "numMinDelayRetries": 0, "backoffFunction": "linear"},
        "disableSubscriptionOverrides": False, "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"}}}


def test_tags(sns):
    arn = sns.create_topic(Name=unique_name("t"), Tags=[{"Key": "k1", "Value": "v1"}])["TopicArn"]
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "k2", "Value": "v2"}])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": "v2"}]
    sns.untag_resource(ResourceArn=arn, TagKeys=["k1"])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "k2", "Value": "v2"}]
    with pytest.raises(ClientError) as e:
        sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}])
    assert err(e) == (400, "InvalidParameter", "Invalid parameter: Duplicated keys are not allowed.")


def test_list_topics_pages_of_100(server_factory):
    from conftest import make_client
    s = server_factory()
    sns = make_client(s.url, "sns")
    arns = {sns.create_topic(Name=f"p{i}")["TopicArn"] for i in range(120)}
    first = sns.list_topics()
    assert len(first["Topics"]) == 100 and "NextToken" in first
    second = sns.list_topics(NextToken=first["NextToken"])
    assert "NextToken" not in second
    assert {t["TopicArn"] for t in first["Topics"] + second["Topics"]} == arns


def test_sqs_subscription(sns, client):
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=unique_name("q"))["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name=unique_name("t"))["TopicArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                        Attributes={"RawMessageDelivery": "true"}, ReturnSubscriptionArn=True)["SubscriptionArn"]
    assert sub.startswith(topic + ":")
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["PendingConfirmation"] == "false" and attrs["RawMessageDelivery"] == "true"
    assert attrs["Protocol"] == "sqs" and attrs["Endpoint"] == qarn and attrs["Owner"] == ACCOUNT_ID
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsConfirmed"] == "1"
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue='{"a": ["b"]}')
    assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["FilterPolicy"] == '{"a": ["b"]}'
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert listed == [{"SubscriptionArn": sub, "Owner": ACCOUNT_ID, "Protocol": "sqs", "Endpoint": qarn,
                       "TopicArn": topic}]
    assert sub in [x["SubscriptionArn"] for x in sns.list_subscriptions()["Subscriptions"]]
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=url)
    assert err(e) == (400, "InvalidParameter", "Invalid parameter: SQS endpoint ARN")
    with pytest.raises(ClientError) as e:
        sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="x")
    assert err(e) == (400, "InvalidParameter",
                      "Invalid parameter: RawMessageDelivery: Invalid value [x]. Must be true or false.")
    sns.unsubscribe(SubscriptionArn=sub)
    with pytest.raises(ClientError) as e:
        sns.get_subscription_attributes(SubscriptionArn=sub)
    assert err(e) == (404, "NotFound", "Subscription does not exist")


def queue_for(sqs, topic=None, fifo=False):
    """A queue, with a policy letting `topic` send to it when one is given."""
    name = unique_name("q") + (".fifo" if fifo else "")
    attrs = {"FifoQueue": "true"} if fifo else {}
    url = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if topic:
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": qarn, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]}
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    return url, qarn


def receive(sqs, url, wait=5):
    return sqs.receive_message(QueueUrl=url, WaitTimeSeconds=wait, MaxNumberOfMessages=10,
                               MessageAttributeNames=["All"]).get("Messages", [])


SIGNED_NOTIFICATION = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
SIGNED_CONFIRMATION = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]


def verify_signature(env):
    """Verifies `Signature` as AWS's SDK validators do: fetch the PEM at SigningCertURL (no
    credentials), rebuild the canonical string, check SHA1withRSA (v1) or SHA256withRSA (v2)."""
    resp = requests.get(env["SigningCertURL"], timeout=10)
    assert resp.status_code == 200, resp.text
    cert = x509.load_pem_x509_certificate(resp.content)
    names = SIGNED_NOTIFICATION if env["Type"] == "Notification" else SIGNED_CONFIRMATION
    canonical = "".join(f"{k}\n{env[k]}\n" for k in names if k in env)
    digest = hashes.SHA256() if env["SignatureVersion"] == "2" else hashes.SHA1()
    # Raises InvalidSignature when it does not verify.
    cert.public_key().verify(base64.b64decode(env["Signature"]), canonical.encode(), padding.PKCS1v15(), digest)
    return cert


def test_publish_envelope_raw_and_policy(sns, client):
    sqs = client("sqs")
    topic = sns.create_topic(Name=unique_name("t"))["TopicArn"]
    url, qarn = queue_for(sqs, topic)
    raw_url, raw_arn = queue_for(sqs, topic)
    closed_url, closed_arn = queue_for(sqs)
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=raw_arn, Attributes={"RawMessageDelivery": "true"})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=closed_arn)
    out = sns.publish(TopicArn=topic, Message="hello", Subject="greeting",
                      MessageAttributes={"color": {"DataType": "String", "StringValue": "red"}})
    msgs = receive(sqs, url)
    assert len(msgs) == 1
    env = json.loads(msgs[0]["Body"])
    assert env["Type"] == "Notification" and env["MessageId"] == out["MessageId"]
    assert env["TopicArn"] == topic and env["Subject"] == "greeting" and env["Message"] == "hello"
    assert env["SignatureVersion"] == "1"
    assert re.fullmatch(r"http://[^/]+/_simfra/sns/SimpleNotificationService-[0-9a-f]{32}\.pem", env["SigningCertURL"])
    cert = verify_signature(env)
    assert cert.subject.rfc4514_string() == f"CN=sns.{REGION}.amazonaws.com"
    assert sub in env["UnsubscribeURL"]
    assert env["MessageAttributes"] == {"color": {"Type": "String", "Value": "red"}}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", env["Timestamp"])
    raw = receive(sqs, raw_url)
    assert [m["Body"] for m in raw] == ["hello"]
    assert raw[0]["MessageAttributes"]["color"]["StringValue"] == "red"
    # A queue whose policy does not allow the topic receives nothing, as in AWS.
    assert receive(sqs, closed_url, wait=1) == []


def test_signature_version_2_and_tampering(sns, client):
    sqs = client("sqs")
    topic = sns.create_topic(Name=unique_name("t"), Attributes={"SignatureVersion": "2"})["TopicArn"]
    url, qarn = queue_for(sqs, topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    sns.publish(TopicArn=topic, Message="v2 body")
    env = json.loads(receive(sqs, url)[0]["Body"])
    assert env["SignatureVersion"] == "2" and "Subject" not in env
    verify_signature(env)
    env["Message"] = "tampered"
    with pytest.raises(Exception):
        verify_signature(env)
    assert requests.get(env["SigningCertURL"].rsplit("/", 1)[0] + "/SimpleNotificationService-nope.pem",
                        timeout=10).status_code == 404


def test_signing_key_survives_restart(server_factory, tmp_path):
    """A signature made before a restart still verifies against the certificate served after."""
    first = server_factory(data_dir=tmp_path)
    sns, sqs = make_client(first.url, "sns"), make_client(first.url, "sqs")
    topic = sns.create_topic(Name="signed")["TopicArn"]
    url, qarn = queue_for(sqs, topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    sns.publish(TopicArn=topic, Message="before")
    env = json.loads(receive(sqs, url)[0]["Body"])
    pem = requests.get(env["SigningCertURL"], timeout=10).content
    assert first.stop() == 0
    second = server_factory(data_dir=tmp_path)
    env["SigningCertURL"] = env["SigningCertURL"].replace(first.url, second.url)
    assert requests.get(env["SigningCertURL"], timeout=10).content == pem
    verify_signature(env)


def test_publish_fifo_and_errors(sns, client):
    sqs = client("sqs")
    topic = sns.create_topic(Name=unique_name("t") + ".fifo",
                             Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    url, qarn = queue_for(sqs, topic, fifo=True)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    out = sns.publish(TopicArn=topic, Message="m1", MessageGroupId="g")
    assert len(out["SequenceNumber"]) == 20
    msgs = receive(sqs, url)
    assert [m["Body"] for m in msgs] == ["m1"]
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=topic, Message="m2")
    assert err(e) == (400, "InvalidParameter",
                      "Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=topic + "-none", Message="m")
    assert err(e) == (404, "NotFound", "Topic does not exist")
    std = sns.create_topic(Name=unique_name("t"))["TopicArn"]
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=std, Message="m", MessageDeduplicationId="d")
    assert err(e)[1] == "InvalidParameter"
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=std, Message="")
    assert err(e) == (400, "InvalidParameter", "Invalid parameter: Empty message")


def test_fifo_subscription_needs_fifo_dlq(sns, client):
    sqs = client("sqs")
    topic = sns.create_topic(Name=unique_name("t") + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    _, qarn = queue_for(sqs, topic, fifo=True)
    _, std_dlq = queue_for(sqs, topic)
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"]
    with pytest.raises(ClientError) as e:
        sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RedrivePolicy",
                                        AttributeValue=json.dumps({"deadLetterTargetArn": std_dlq}))
    assert err(e) == (400, "InvalidParameter",
                      "Invalid parameter: RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic.")


def test_publish_batch(sns, client):
    sqs = client("sqs")
    topic = sns.create_topic(Name=unique_name("t"))["TopicArn"]
    url, qarn = queue_for(sqs, topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    out = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "a", "Message": "one"}, {"Id": "b", "Message": "two"},
        {"Id": "c", "Message": "x", "MessageDeduplicationId": "d"}])
    assert sorted(x["Id"] for x in out["Successful"]) == ["a", "b"]
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in out["Failed"]] == [("c", "InvalidParameter", True)]
    bodies = []
    for _ in range(5):
        bodies += [m["Body"] for m in receive(sqs, url, wait=1)]
        if len(bodies) >= 2:
            break
    assert sorted(bodies) == ["one", "two"]
    with pytest.raises(ClientError) as e:
        sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[{"Id": "a", "Message": "1"},
                                                                      {"Id": "a", "Message": "2"}])
    assert err(e) == (400, "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.")
    with pytest.raises(ClientError) as e:
        sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
            {"Id": str(i), "Message": "m"} for i in range(11)])
    assert err(e) == (400, "TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible.")
    with pytest.raises(ClientError) as e:
        sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[{"Id": "message.id", "Message": "1"}])
    assert err(e)[1] == "InvalidBatchEntryId"


def test_aws_cli_round_trip(server):
    name = unique_name("cli")
    r = run_aws_cli(server.url, "sns", "create-topic", "--name", name, "--query", "TopicArn")
    assert r.returncode == 0, r.stderr
    arn = r.json
    assert arn.endswith(":" + name)
    r = run_aws_cli(server.url, "sns", "get-topic-attributes", "--topic-arn", arn + "-missing")
    assert r.returncode != 0 and "NotFound" in r.stderr


DATA_PROTECTION = json.dumps({
    "Name": "p", "Description": "d", "Version": "2021-06-01",
    "Statement": [{"Sid": "s", "DataDirection": "Inbound", "Principal": ["*"],
                   "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],
                   "Operation": {"Deny": {}}}]})


def test_permissions_policy_checks_and_data_protection(sns):
    topic = sns.create_topic(Name=unique_name("t"))["TopicArn"]
    sns.add_permission(TopicArn=topic, Label="two", AWSAccountId=["111122223333"], ActionName=["Publish", "Subscribe"])
    policy = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    assert policy["Statement"][1] == {"Action": ["SNS:Publish", "SNS:Subscribe"], "Effect": "Allow",
                                      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                                      "Resource": topic, "Sid": "two"}
    with pytest.raises(ClientError) as e:
        sns.add_permission(TopicArn=topic, Label="two", AWSAccountId=["111122223333"], ActionName=["Publish"])
    assert err(e) == (400, "InvalidParameter", "Invalid parameter: Statement already exists")
    with pytest.raises(ClientError) as e:
        sns.add_permission(TopicArn=topic, Label="x", AWSAccountId=["111122223333"], ActionName=["invalid-action"])
    assert err(e) == (400, "InvalidParameter", "Invalid parameter: Policy statement action out of service scope!")
    with pytest.raises(ClientError) as e:
        sns.add_permission(TopicArn=topic + "x", Label="y", AWSAccountId=["111122223333"], ActionName=["Publish"])
    assert err(e) == (404, "NotFound", "Topic does not exist")
    sns.remove_permission(TopicArn=topic, Label="two")
    policy = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["__default_statement_ID"]
    for bad, message in (("{", "Invalid parameter: Policy Error: null"),
                         (json.dumps({"Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*",
                                                     "Principal": "*"}]}),
                          "Invalid parameter: Policy statement action out of service scope!")):
        with pytest.raises(ClientError) as e:
            sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=bad)
        assert err(e) == (400, "InvalidParameter", message)
    assert "DataProtectionPolicy" not in sns.get_data_protection_policy(ResourceArn=topic) or \
        sns.get_data_protection_policy(ResourceArn=topic)["DataProtectionPolicy"] == ""
    sns.put_data_protection_policy(ResourceArn=topic, DataProtectionPolicy=DATA_PROTECTION)
    assert sns.get_data_protection_policy(ResourceArn=topic)["DataProtectionPolicy"] == DATA_PROTECTION
    assert "DataProtectionPolicy" not in sns.get_topic_attributes(TopicArn=topic)["Attributes"]


def test_redrive_when_the_queue_refuses(sns, client):
    sqs = client("sqs")
    topic = sns.create_topic(Name=unique_name("t"))["TopicArn"]
    closed_url, closed_arn = queue_for(sqs)
    dlq_url, dlq_arn = queue_for(sqs, topic)
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=closed_arn,
                      Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": "nope"})})
    assert err(e) == (400, "InvalidParameter",
                      "Invalid parameter: Attributes Reason: RedrivePolicy: deadLetterTargetArn is an invalid arn")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=closed_arn, Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn}), "RawMessageDelivery": "true"})
    sns.publish(TopicArn=topic, Message="refused",
                MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
    dead = receive(sqs, dlq_url)
    assert [m["Body"] for m in dead] == ["refused"]
    assert dead[0]["MessageAttributes"]["k"]["StringValue"] == "v"
    assert receive(sqs, closed_url, wait=0) == []


def test_publish_to_phone_number(sns, server):
    out = sns.publish(PhoneNumber="+15550001111", Message="your code is 1234")
    assert out["MessageId"]
    r = requests.get(f"{server.url}/_simfra/inbox", params={"type": "sms", "q": "1234"}, timeout=10).json()
    assert any(m["to"] == "+15550001111" and m["body"] == "your code is 1234" for m in r["messages"])
    with pytest.raises(ClientError) as e:
        sns.publish(PhoneNumber="+1a234", Message="x")
    assert err(e) == (400, "InvalidParameter", "Invalid parameter: PhoneNumber Reason: +1a234 is not valid to publish to")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_persistence_contract(server_factory, tmp_path, sig):
    def scenario(url):
        sns, sqs = make_client(url, "sns"), make_client(url, "sqs")
        t = sns.create_topic(Name="kept", Attributes={"DisplayName": "K"}, Tags=[{"Key": "a", "Value": "1"}])["TopicArn"]
        f = sns.create_topic(Name="kept.fifo", Attributes={"FifoTopic": "true",
                                                           "ContentBasedDeduplication": "true"})["TopicArn"]
        gone = sns.create_topic(Name="gone")["TopicArn"]
        sns.delete_topic(TopicArn=gone)
        url_q, qarn = queue_for(sqs, t)
        sub = sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"]
        sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="true")
        sns.tag_resource(ResourceArn=f, Tags=[{"Key": "b", "Value": "2"}])
        sns.publish(TopicArn=f, Message="m", MessageGroupId="g")
        # A pending email subscription (its token must survive) and a permission statement.
        sns.subscribe(TopicArn=t, Protocol="email", Endpoint="kept@example.com")
        sns.add_permission(TopicArn=t, Label="partner", AWSAccountId=["111122223333"], ActionName=["Publish"])
        sns.put_data_protection_policy(ResourceArn=t, DataProtectionPolicy=DATA_PROTECTION)

    def snapshot(url):
        sns = make_client(url, "sns")
        topics = sorted(x["TopicArn"] for x in sns.list_topics()["Topics"])
        out = {"topics": topics, "subs": sns.list_subscriptions()["Subscriptions"]}
        for arn in topics:
            out[arn] = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
            out["tags " + arn] = sns.list_tags_for_resource(ResourceArn=arn)["Tags"]
        out["dpp"] = sns.get_data_protection_policy(ResourceArn=topics[0])
        for s in out["subs"]:
            if s["SubscriptionArn"] == "PendingConfirmation":
                continue
            out[s["SubscriptionArn"]] = sns.get_subscription_attributes(SubscriptionArn=s["SubscriptionArn"])["Attributes"]
        return out

    second, before = run_contract(server_factory, tmp_path, scenario, snapshot, sig=sig)
    assert len(before["topics"]) == 2 and len(before["subs"]) == 2
    assert before["dpp"]["DataProtectionPolicy"] == DATA_PROTECTION
    # The FIFO sequence continues after the restart.
    sns = make_client(second.url, "sns")
    fifo = [a for a in before["topics"] if a.endswith(".fifo")][0]
    assert sns.publish(TopicArn=fifo, Message="m2", MessageGroupId="g")["SequenceNumber"] == "00000000000000000002"
