"""IAM enforcement with IAM identities, end to end: users with narrow policies on S3, SQS and
DynamoDB, explicit denies, permission boundaries, session policies, condition keys, roles
assumed across accounts and expiring credentials, with boto3 and the AWS CLI.
"""
from __future__ import annotations

import json
import time

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, make_client, run_aws_cli, unique_name


def err(excinfo):
    r = excinfo.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Code"), r["Error"].get("Message")


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra):
    return dict({"Effect": "Allow", "Action": action, "Resource": resource}, **extra)


def deny(action, resource="*", **extra):
    return dict({"Effect": "Deny", "Action": action, "Resource": resource}, **extra)


@pytest.fixture
def iam(client):
    return client("iam")


def make_user(server, iam, *policies, boundary=None, tags=None):
    """A user with the given inline policies (and boundary); returns (name, arn, clients factory)."""
    name = unique_name("u")
    kw = {"Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()]} if tags else {}
    if boundary:
        p = iam.create_policy(PolicyName=unique_name("boundary"), PolicyDocument=boundary)["Policy"]["Arn"]
        kw["PermissionsBoundary"] = p
    arn = iam.create_user(UserName=name, **kw)["User"]["Arn"]
    for i, p in enumerate(policies):
        iam.put_user_policy(UserName=name, PolicyName=f"p{i}", PolicyDocument=p)
    key = iam.create_access_key(UserName=name)["AccessKey"]

    def as_user(service):
        return make_client(server.url, service, aws_access_key_id=key["AccessKeyId"],
                           aws_secret_access_key=key["SecretAccessKey"])
    as_user.key = key
    return name, arn, as_user


def test_user_allowed_and_denied_exactly_as_policy_says_on_s3(server, s3, iam):
    bucket = unique_name()
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="reports/a.csv", Body=b"a")
    s3.put_object(Bucket=bucket, Key="secret/b.csv", Body=b"b")
    _, arn, as_user = make_user(server, iam, doc(
        allow("s3:GetObject", f"arn:aws:s3:::{bucket}/reports/*"),
        allow("s3:ListBucket", f"arn:aws:s3:::{bucket}", Condition={"StringLike": {"s3:prefix": "reports/*"}})))
    u = as_user("s3")
    assert u.get_object(Bucket=bucket, Key="reports/a.csv")["Body"].read() == b"a"
    assert [o["Key"] for o in u.list_objects_v2(Bucket=bucket, Prefix="reports/")["Contents"]] == ["reports/a.csv"]
    with pytest.raises(ClientError) as e:
        u.get_object(Bucket=bucket, Key="secret/b.csv")
    status, code, message = err(e)
    assert (status, code) == (403, "AccessDenied")
    assert message == (f"User: {arn} is not authorized to perform: s3:GetObject on resource: "
                       f"arn:aws:s3:::{bucket}/secret/b.csv because no identity-based policy allows the s3:GetObject action")
    with pytest.raises(ClientError):
        u.list_objects_v2(Bucket=bucket, Prefix="secret/")
    with pytest.raises(ClientError):
        u.put_object(Bucket=bucket, Key="reports/new.csv", Body=b"x")
    with pytest.raises(ClientError):
        u.list_buckets()


def test_user_on_sqs_and_dynamodb(server, client, iam):
    sqs, ddb = client("sqs"), client("dynamodb")
    url = sqs.create_queue(QueueName=unique_name("q"))["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    table = unique_name("t")
    tarn = ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            BillingMode="PAY_PER_REQUEST")["TableDescription"]["TableArn"]
    _, arn, as_user = make_user(server, iam, doc(
        allow("sqs:SendMessage", qarn),
        allow(["dynamodb:GetItem", "dynamodb:PutItem"], tarn,
              Condition={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["${aws:username}-*"]}})))
    uname = arn.split("/")[-1]
    q, d = as_user("sqs"), as_user("dynamodb")
    q.send_message(QueueUrl=url, MessageBody="hi")
    with pytest.raises(ClientError) as e:
        q.receive_message(QueueUrl=url)
    assert err(e)[:2] == (403, "AccessDenied")
    d.put_item(TableName=table, Item={"pk": {"S": f"{uname}-1"}})
    assert d.get_item(TableName=table, Key={"pk": {"S": f"{uname}-1"}})["Item"]["pk"]["S"] == f"{uname}-1"
    with pytest.raises(ClientError) as e:
        d.put_item(TableName=table, Item={"pk": {"S": "someone-else"}})
    status, code, message = err(e)
    assert (status, code) == (400, "AccessDeniedException")
    assert message == (f"User: {arn} is not authorized to perform: dynamodb:PutItem on resource: {tarn} "
                       "because no identity-based policy allows the dynamodb:PutItem action")
    with pytest.raises(ClientError) as e:
        d.delete_item(TableName=table, Key={"pk": {"S": f"{uname}-1"}})
    assert err(e)[1] == "AccessDeniedException"
    # A batch checks each table it touches.
    with pytest.raises(ClientError):
        d.batch_get_item(RequestItems={table: {"Keys": [{"pk": {"S": f"{uname}-1"}}]}})


def test_explicit_deny_beats_allow_and_cli_sees_it(server, iam):
    bucket = unique_name()
    make_client(server.url, "s3").create_bucket(Bucket=bucket)
    _, arn, as_user = make_user(server, iam, doc(allow("s3:*")), doc(deny("s3:DeleteBucket")))
    with pytest.raises(ClientError) as e:
        as_user("s3").delete_bucket(Bucket=bucket)
    assert err(e)[2].endswith("with an explicit deny in an identity-based policy")
    env = {"AWS_ACCESS_KEY_ID": as_user.key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": as_user.key["SecretAccessKey"]}
    r = run_aws_cli(server.url, "s3api", "delete-bucket", "--bucket", bucket, env=env)
    assert r.returncode != 0 and "AccessDenied" in r.stderr
    r = run_aws_cli(server.url, "s3api", "head-bucket", "--bucket", bucket, env=env)
    assert r.returncode == 0


def test_boundary_limits_an_admin_user(server, iam):
    _, _, as_user = make_user(server, iam, doc(allow("*")), boundary=doc(allow("sqs:*")))
    as_user("sqs").list_queues()
    with pytest.raises(ClientError) as e:
        as_user("dynamodb").list_tables()
    assert "because no permissions boundary allows the dynamodb:ListTables action" in err(e)[2]


def test_group_policies_apply_to_members(server, iam):
    group = unique_name("g")
    iam.create_group(GroupName=group)
    iam.attach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess")
    name, _, as_user = make_user(server, iam)
    with pytest.raises(ClientError):
        as_user("sqs").list_queues()
    iam.add_user_to_group(GroupName=group, UserName=name)
    as_user("sqs").list_queues()
    iam.remove_user_from_group(GroupName=group, UserName=name)
    with pytest.raises(ClientError):
        as_user("sqs").list_queues()


def test_principal_tag_condition(server, iam):
    p = doc(allow("sqs:ListQueues", Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}}))
    _, _, blue = make_user(server, iam, p, tags={"team": "blue"})
    _, _, red = make_user(server, iam, p, tags={"team": "red"})
    blue("sqs").list_queues()
    with pytest.raises(ClientError):
        red("sqs").list_queues()


def test_root_always_allowed_and_deleted_user_key_stops(server, client, iam):
    client("sqs").list_queues()
    name, _, as_user = make_user(server, iam, doc(allow("sqs:*")))
    as_user("sqs").list_queues()
    iam.delete_user_policy(UserName=name, PolicyName="p0")
    with pytest.raises(ClientError):
        as_user("sqs").list_queues()


def test_get_caller_identity_needs_no_permission(server, iam):
    _, arn, as_user = make_user(server, iam)
    assert as_user("sts").get_caller_identity()["Arn"] == arn


# --- Roles ----------------------------------------------------------------------------------

@pytest.fixture
def account_b(server):
    r = requests.post(f"{server.url}/_simfra/accounts", json={})
    assert r.status_code == 201
    acct = r.json()
    acct["client"] = lambda service: make_client(server.url, service, aws_access_key_id=acct["rootAccessKeyId"],
                                                 aws_secret_access_key=acct["rootSecretAccessKey"])
    yield acct
    requests.delete(f"{server.url}/_simfra/accounts/{acct['accountId']}")


def test_cross_account_role(server, iam, account_b):
    b_iam = account_b["client"]("iam")
    role = unique_name("r")
    trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole",
                 "Condition": {"StringEquals": {"sts:ExternalId": "xyz"}}})
    role_arn = b_iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    b_iam.put_role_policy(RoleName=role, PolicyName="sqs", PolicyDocument=doc(allow("sqs:ListQueues")))
    account_b["client"]("sqs").create_queue(QueueName="b-queue")

    # A user in A allowed to assume it.
    _, _, allowed = make_user(server, iam, doc(allow("sts:AssumeRole", role_arn)))
    _, _, not_allowed = make_user(server, iam)
    sts = allowed("sts")
    with pytest.raises(ClientError) as e:  # wrong external id: B's trust policy says no
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", ExternalId="nope")
    assert err(e)[:2] == (403, "AccessDenied")
    with pytest.raises(ClientError) as e:  # A's identity policy says no
        not_allowed("sts").assume_role(RoleArn=role_arn, RoleSessionName="s1", ExternalId="xyz")
    assert err(e)[:2] == (403, "AccessDenied")
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="work", ExternalId="xyz", DurationSeconds=900)["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")

    def as_role(service):
        return make_client(server.url, service, aws_access_key_id=creds["AccessKeyId"],
                           aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    who = as_role("sts").get_caller_identity()
    assert who["Account"] == account_b["accountId"]
    assert who["Arn"] == f"arn:aws:sts::{account_b['accountId']}:assumed-role/{role}/work"
    urls = as_role("sqs").list_queues().get("QueueUrls", [])
    assert any(u.endswith(f"/{account_b['accountId']}/b-queue") for u in urls)
    with pytest.raises(ClientError):
        as_role("sqs").create_queue(QueueName="nope")


def test_session_policy_intersects_role_policy(server, client, iam):
    role = unique_name("r")
    trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"})
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="all", PolicyDocument=doc(allow(["sqs:*", "dynamodb:*"])))
    creds = client("sts").assume_role(RoleArn=role_arn, RoleSessionName="narrow",
                                      Policy=doc(allow("sqs:ListQueues")))["Credentials"]
    kw = dict(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
              aws_session_token=creds["SessionToken"])
    make_client(server.url, "sqs", **kw).list_queues()
    with pytest.raises(ClientError) as e:
        make_client(server.url, "dynamodb", **kw).list_tables()
    assert "because no session policy allows the dynamodb:ListTables action" in err(e)[2]


def test_deleting_an_account_ends_its_users_and_sessions(server, account_b):
    b_iam = account_b["client"]("iam")
    b_iam.create_user(UserName="worker")
    key = b_iam.create_access_key(UserName="worker")["AccessKey"]
    session = account_b["client"]("sts").get_session_token(DurationSeconds=900)["Credentials"]
    user_sts = make_client(server.url, "sts", aws_access_key_id=key["AccessKeyId"],
                           aws_secret_access_key=key["SecretAccessKey"])
    session_sts = make_client(server.url, "sts", aws_access_key_id=session["AccessKeyId"],
                              aws_secret_access_key=session["SecretAccessKey"],
                              aws_session_token=session["SessionToken"])
    assert user_sts.get_caller_identity()["Account"] == account_b["accountId"]
    assert session_sts.get_caller_identity()["Account"] == account_b["accountId"]
    assert requests.delete(f"{server.url}/_simfra/accounts/{account_b['accountId']}").status_code == 204
    for c in (user_sts, session_sts):
        with pytest.raises(ClientError) as e:
            c.get_caller_identity()
        assert err(e)[:2] == (403, "InvalidClientTokenId")


def test_resource_tag_conditions_on_queues_and_tables(server, client, iam):
    sqs, ddb = client("sqs"), client("dynamodb")
    blue = sqs.create_queue(QueueName=unique_name("q"), tags={"team": "blue"})["QueueUrl"]
    red = sqs.create_queue(QueueName=unique_name("q"), tags={"team": "red"})["QueueUrl"]
    table = unique_name("t")
    ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST", Tags=[{"Key": "team", "Value": "blue"}])
    _, _, as_user = make_user(server, iam, doc(
        allow(["sqs:SendMessage", "dynamodb:DescribeTable"], Condition={"StringEquals": {"aws:ResourceTag/team": "blue"}})))
    as_user("sqs").send_message(QueueUrl=blue, MessageBody="ok")
    with pytest.raises(ClientError) as e:
        as_user("sqs").send_message(QueueUrl=red, MessageBody="no")
    assert err(e)[:2] == (403, "AccessDenied")
    as_user("dynamodb").describe_table(TableName=table)
    ddb.tag_resource(ResourceArn=ddb.describe_table(TableName=table)["Table"]["TableArn"],
                     Tags=[{"Key": "team", "Value": "red"}])
    with pytest.raises(ClientError):
        as_user("dynamodb").describe_table(TableName=table)


def test_mfa_condition_keys(server, client, iam):
    """Temporary credentials carry aws:MultiFactorAuthPresent=false; long-term keys do not
    carry it, so a BoolIfExists/Null pair tells them apart as in AWS."""
    _, _, as_user = make_user(server, iam, doc(
        allow(["sqs:ListQueues", "sts:GetSessionToken"]),
        deny("sqs:ListQueues", Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}})))
    as_user("sqs").list_queues()  # long-term key: the key is absent, Bool does not match
    c = as_user("sts").get_session_token(DurationSeconds=900)["Credentials"]
    session = make_client(server.url, "sqs", aws_access_key_id=c["AccessKeyId"],
                          aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
    with pytest.raises(ClientError) as e:
        session.list_queues()
    assert "explicit deny" in err(e)[2]
