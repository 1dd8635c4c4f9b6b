"""IAM enforcement end to end: what S3 bucket policies, ACLs and Block Public Access allow and
deny (anonymous callers, the owner's root bound by an explicit Deny), and SQS queue policies.

Tests that need IAM users, roles or a second account live beside the services that create
them; these drive only what exists in every build: root keys and unsigned requests.
"""
from __future__ import annotations

import json

import pytest
import requests
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, make_client, unique_name


def err(excinfo):
    r = excinfo.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Code"), r["Error"].get("Message")


@pytest.fixture
def bucket(s3):
    """A bucket that may be made public: new buckets block public access and disable ACLs
    by default, as in AWS, so these tests opt out the way users do."""
    b = unique_name()
    s3.create_bucket(Bucket=b, ObjectOwnership="ObjectWriter")
    s3.delete_public_access_block(Bucket=b)
    return b


@pytest.fixture
def anon(server):
    return make_client(server.url, "s3", config=Config(signature_version=UNSIGNED))


def test_private_object_refuses_anonymous(server, s3, bucket, anon):
    s3.put_object(Bucket=bucket, Key="secret.txt", Body=b"x")
    with pytest.raises(ClientError) as e:
        anon.get_object(Bucket=bucket, Key="secret.txt")
    assert err(e)[:2] == (403, "AccessDenied")
    r = requests.get(f"{server.url}/{bucket}/secret.txt")
    assert r.status_code == 403 and b"<Code>AccessDenied</Code>" in r.content


def test_public_read_object_is_readable_unsigned(server, s3, bucket, anon):
    s3.put_object(Bucket=bucket, Key="pub.txt", Body=b"hello", ACL="public-read")
    s3.put_object(Bucket=bucket, Key="priv.txt", Body=b"no")
    assert anon.get_object(Bucket=bucket, Key="pub.txt")["Body"].read() == b"hello"
    assert requests.get(f"{server.url}/{bucket}/pub.txt").content == b"hello"
    assert requests.head(f"{server.url}/{bucket}/pub.txt").status_code == 200
    assert requests.get(f"{server.url}/{bucket}/priv.txt").status_code == 403
    # Reading is all the ACL grants: no anonymous writes, deletes or listing.
    with pytest.raises(ClientError) as e:
        anon.put_object(Bucket=bucket, Key="pub.txt", Body=b"overwrite")
    assert err(e)[:2] == (403, "AccessDenied")
    with pytest.raises(ClientError) as e:
        anon.delete_object(Bucket=bucket, Key="pub.txt")
    assert err(e)[:2] == (403, "AccessDenied")
    with pytest.raises(ClientError) as e:
        anon.list_objects_v2(Bucket=bucket)
    assert err(e)[:2] == (403, "AccessDenied")
    assert s3.get_object(Bucket=bucket, Key="pub.txt")["Body"].read() == b"hello"


def test_put_object_acl_makes_an_object_public_and_private_again(s3, bucket, anon):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    s3.put_object_acl(Bucket=bucket, Key="k", ACL="public-read")
    assert anon.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    s3.put_object_acl(Bucket=bucket, Key="k", ACL="private")
    with pytest.raises(ClientError):
        anon.get_object(Bucket=bucket, Key="k")


def test_public_read_bucket_acl_allows_anonymous_listing_only(s3, bucket, anon):
    s3.put_object(Bucket=bucket, Key="a", Body=b"1")
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    assert [o["Key"] for o in anon.list_objects_v2(Bucket=bucket)["Contents"]] == ["a"]
    with pytest.raises(ClientError) as e:
        anon.get_object(Bucket=bucket, Key="a")
    assert err(e)[:2] == (403, "AccessDenied")


def test_bucket_policy_public_prefix(s3, bucket, anon):
    s3.put_object(Bucket=bucket, Key="public/a.txt", Body=b"A")
    s3.put_object(Bucket=bucket, Key="private/b.txt", Body=b"B")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                       "Resource": f"arn:aws:s3:::{bucket}/public/*"}],
    }))
    assert anon.get_object(Bucket=bucket, Key="public/a.txt")["Body"].read() == b"A"
    with pytest.raises(ClientError) as e:
        anon.get_object(Bucket=bucket, Key="private/b.txt")
    assert err(e)[:2] == (403, "AccessDenied")
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True


def test_condition_pins_a_public_policy(s3, bucket, anon):
    """A policy restricted by aws:SourceIp to one address is not public, and binds by IP."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"IpAddress": {"aws:SourceIp": "10.1.2.3/32"}}}]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False
    with pytest.raises(ClientError):
        anon.get_object(Bucket=bucket, Key="k")
    policy["Statement"][0]["Condition"]["IpAddress"]["aws:SourceIp"] = "127.0.0.0/8"
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    assert anon.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"


def test_new_buckets_block_public_access_by_default(s3):
    b = unique_name()
    s3.create_bucket(Bucket=b)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=b, Key="k", Body=b"v", ACL="public-read")
    assert err(e)[:2] == (400, "AccessControlListNotSupported")
    with pytest.raises(ClientError) as e:
        s3.put_bucket_policy(Bucket=b, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/*"}]}))
    assert err(e)[:2] == (403, "AccessDenied")


def test_explicit_deny_in_bucket_policy_binds_the_owner_root(s3, bucket):
    s3.put_object(Bucket=bucket, Key="locked/x", Body=b"1")
    s3.put_object(Bucket=bucket, Key="open/y", Body=b"2")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "NoLocked", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                       "Resource": f"arn:aws:s3:::{bucket}/locked/*"}],
    }))
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="locked/x")
    status, code, message = err(e)
    assert (status, code) == (403, "AccessDenied")
    assert message == (f"User: arn:aws:iam::{ACCOUNT_ID}:root is not authorized to perform: s3:GetObject "
                       f"on resource: arn:aws:s3:::{bucket}/locked/x with an explicit deny in a resource-based policy")
    assert s3.get_object(Bucket=bucket, Key="open/y")["Body"].read() == b"2"
    # The root can always manage (and so remove) the policy that locks it out.
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}))
    with pytest.raises(ClientError):
        s3.list_objects_v2(Bucket=bucket)
    assert "Deny" in s3.get_bucket_policy(Bucket=bucket)["Policy"]
    s3.delete_bucket_policy(Bucket=bucket)
    assert s3.get_object(Bucket=bucket, Key="locked/x")["Body"].read() == b"1"


def test_secure_transport_is_true(s3, bucket):
    """Simfra stands in for AWS's HTTPS endpoints: the common "deny if aws:SecureTransport is
    false" statement of production stacks lets callers through, and its opposite binds."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    def policy(value):
        return json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*",
            "Condition": {"Bool": {"aws:SecureTransport": value}}}]})
    s3.put_bucket_policy(Bucket=bucket, Policy=policy("false"))
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    s3.put_bucket_policy(Bucket=bucket, Policy=policy("true"))
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k")
    assert err(e)[:2] == (403, "AccessDenied")


def test_block_public_policy_refuses_public_policies(s3, bucket):
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": True, "RestrictPublicBuckets": False})
    public = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                       "Resource": f"arn:aws:s3:::{bucket}/*"}]}
    with pytest.raises(ClientError) as e:
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public))
    status, code, message = err(e)
    assert (status, code) == (403, "AccessDenied")
    assert "because public policies are blocked by the BlockPublicPolicy block public access setting" in message
    with pytest.raises(ClientError) as e:
        s3.get_bucket_policy(Bucket=bucket)
    assert err(e)[1] == "NoSuchBucketPolicy"
    # A policy naming the account is not public and goes through.
    private = dict(public, Statement=[dict(public["Statement"][0], Principal={"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"})])
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(private))


def test_block_public_acls_and_ignore_public_acls(s3, bucket, anon):
    s3.put_object(Bucket=bucket, Key="was-public", Body=b"v", ACL="public-read")
    assert anon.get_object(Bucket=bucket, Key="was-public")["Body"].read() == b"v"
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": False})
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="new", Body=b"v", ACL="public-read")
    assert err(e)[:2] == (403, "AccessDenied")
    with pytest.raises(ClientError) as e:
        s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    assert err(e)[:2] == (403, "AccessDenied")
    # The existing public ACL is ignored now.
    with pytest.raises(ClientError):
        anon.get_object(Bucket=bucket, Key="was-public")
    s3.delete_public_access_block(Bucket=bucket)
    assert anon.get_object(Bucket=bucket, Key="was-public")["Body"].read() == b"v"


def test_restrict_public_buckets_cuts_anonymous_access(s3, bucket, anon):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    assert anon.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False, "RestrictPublicBuckets": True})
    with pytest.raises(ClientError):
        anon.get_object(Bucket=bucket, Key="k")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"


def test_unsigned_requests_to_other_services_still_need_a_signature(server):
    r = requests.post(server.url, data={"Action": "ListQueues"},
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code in (400, 403)
    assert b"MissingAuthenticationToken" in r.content or b"MissingAuthenticationToken" in r.content


def test_sqs_queue_policy_explicit_deny_binds_root(client):
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=unique_name("q"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.send_message(QueueUrl=url, MessageBody="before")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sqs:SendMessage", "Resource": arn}]})})
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="after")
    status, code, message = err(e)
    assert status == 403 and code == "AccessDenied"
    assert "sqs:SendMessage" in message and "explicit deny" in message
    # Other actions are untouched.
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "before"


# --- Across accounts (a second account from the admin API) ---------------------------------

@pytest.fixture
def other(server):
    r = requests.post(f"{server.url}/_simfra/accounts", json={})
    assert r.status_code == 201, r.text
    acct = r.json()
    yield acct
    requests.delete(f"{server.url}/_simfra/accounts/{acct['accountId']}")


def other_client(server, acct, service):
    return make_client(server.url, service, aws_access_key_id=acct["rootAccessKeyId"],
                       aws_secret_access_key=acct["rootSecretAccessKey"])


def test_other_account_reaches_a_bucket_only_through_its_policy(server, s3, bucket, other):
    s3.put_object(Bucket=bucket, Key="k", Body=b"shared")
    b3 = other_client(server, other, "s3")
    with pytest.raises(ClientError) as e:
        b3.get_object(Bucket=bucket, Key="k")
    status, code, message = err(e)
    assert (status, code) == (403, "AccessDenied")
    assert message.startswith(f"User: arn:aws:iam::{other['accountId']}:root is not authorized to perform: s3:GetObject")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{other['accountId']}:root"},
        "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    assert b3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"shared"
    with pytest.raises(ClientError) as e:
        b3.put_object(Bucket=bucket, Key="k", Body=b"mine now")
    assert err(e)[:2] == (403, "AccessDenied")


def test_other_account_needs_the_queue_policy(server, client, other):
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=unique_name("q"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    theirs = other_client(server, other, "sqs")
    with pytest.raises(ClientError) as e:
        theirs.send_message(QueueUrl=url, MessageBody="x")
    assert err(e)[:2] == (403, "AccessDenied")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": other["accountId"]}, "Action": "sqs:SendMessage", "Resource": arn}]})})
    theirs.send_message(QueueUrl=url, MessageBody="from B")
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "from B"
    with pytest.raises(ClientError) as e:
        theirs.receive_message(QueueUrl=url)
    assert err(e)[:2] == (403, "AccessDenied")


def test_other_account_cannot_reach_a_table_by_arn(server, client, other):
    ddb = client("dynamodb")
    name = unique_name("t")
    arn = ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                           BillingMode="PAY_PER_REQUEST")["TableDescription"]["TableArn"]
    theirs = other_client(server, other, "dynamodb")
    with pytest.raises(ClientError) as e:
        theirs.describe_table(TableName=arn)
    status, code, message = err(e)
    assert (status, code) == (400, "AccessDeniedException")
    assert f"dynamodb:DescribeTable on resource: {arn}" in message
