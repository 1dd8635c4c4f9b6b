"""Secrets Manager end to end, with boto3 and the AWS CLI: values encrypted through KMS
(the caller's kms:Decrypt on a customer key decides GetSecretValue), version stages,
deletion window, resource policies enforced by IAM, tags, filters and pagination,
replication, rotation records, GetRandomPassword, and the persistence contract with a grep of
the data dir for every plaintext written.
"""
from __future__ import annotations

import base64
import json
import os
import signal
import string
import uuid

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, make_client, run_aws_cli, unique_name
from persistence_contract import run_contract

MARKED = "You can't perform this operation on the secret because it was marked for deletion."


def err(excinfo):
    r = excinfo.value.response
    return r["Error"].get("Code"), r["Error"].get("Message")


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture
def sm(client):
    return client("secretsmanager")


@pytest.fixture
def kms(client):
    return client("kms")


@pytest.fixture
def iam(client):
    return client("iam")


def make_user(server, iam, *policies):
    name = unique_name("smu")
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    for i, p in enumerate(policies):
        iam.put_user_policy(UserName=name, PolicyName=f"p{i}", PolicyDocument=p)
    key = iam.create_access_key(UserName=name)["AccessKey"]

    def as_user(service):
        return make_client(server.url, service, aws_access_key_id=key["AccessKeyId"],
                           aws_secret_access_key=key["SecretAccessKey"])
    return arn, as_user


# --------------------------------------------------------------------------------------
# Values, versions and stages
# --------------------------------------------------------------------------------------

def test_create_get_put_and_versions(sm):
    name = unique_name("app/db")
    c = sm.create_secret(Name=name, SecretString="s3cr3t-v1", Description="database",
                         Tags=[{"Key": "team", "Value": "data"}])
    arn = c["ARN"]
    assert arn.startswith(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:{name}-")
    suffix = arn[len(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:{name}-"):]
    assert len(suffix) == 6 and suffix.isalnum()
    v1 = c["VersionId"]

    # By name, full ARN and partial ARN.
    for sid in (name, arn, arn[:-7]):
        g = sm.get_secret_value(SecretId=sid)
        assert g["SecretString"] == "s3cr3t-v1"
        assert g["VersionId"] == v1 and g["VersionStages"] == ["AWSCURRENT"] and g["ARN"] == arn

    p = sm.put_secret_value(SecretId=name, SecretBinary=b"\x00\x01\x02\xff")
    v2 = p["VersionId"]
    assert p["VersionStages"] == ["AWSCURRENT"]
    assert sm.get_secret_value(SecretId=name)["SecretBinary"] == b"\x00\x01\x02\xff"
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "s3cr3t-v1"
    assert sm.get_secret_value(SecretId=name, VersionId=v1)["SecretString"] == "s3cr3t-v1"

    d = sm.describe_secret(SecretId=name)
    assert d["VersionIdsToStages"] == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}
    assert d["Description"] == "database" and d["Tags"] == [{"Key": "team", "Value": "data"}]
    assert "KmsKeyId" not in d and "RotationEnabled" not in d
    assert d["LastAccessedDate"].hour == 0 and d["LastAccessedDate"].minute == 0

    v3 = sm.update_secret(SecretId=name, SecretString="v3")["VersionId"]
    versions = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert {v["VersionId"]: v.get("VersionStages") for v in versions} == {v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]}
    assert all(v["KmsKeyIds"] == ["DefaultEncryptionKey"] for v in versions)
    deprecated = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    assert {v["VersionId"]: v.get("VersionStages") for v in deprecated}[v1] is None

    # A description-only update makes no version.
    assert "VersionId" not in sm.update_secret(SecretId=name, Description="new")


def test_client_request_token_idempotency(sm):
    name = unique_name("idem")
    token = str(uuid.uuid4())
    first = sm.create_secret(Name=name, SecretString="v", ClientRequestToken=token)
    again = sm.create_secret(Name=name, SecretString="v", ClientRequestToken=token)
    assert (first["ARN"], first["VersionId"]) == (again["ARN"], again["VersionId"])
    with pytest.raises(ClientError) as e:
        sm.create_secret(Name=name, SecretString="v")
    assert err(e) == ("ResourceExistsException", f"The operation failed because the secret {name} already exists.")
    t2 = str(uuid.uuid4())
    sm.put_secret_value(SecretId=name, SecretString="two", ClientRequestToken=t2)
    sm.put_secret_value(SecretId=name, SecretString="two", ClientRequestToken=t2)
    with pytest.raises(ClientError) as e:
        sm.put_secret_value(SecretId=name, SecretString="changed", ClientRequestToken=t2)
    assert err(e)[0] == "ResourceExistsException"
    assert len(sm.list_secret_version_ids(SecretId=name)["Versions"]) == 2


def test_version_stage_moves(sm):
    name = unique_name("stages")
    v1 = sm.create_secret(Name=name, SecretString="one")["VersionId"]
    p = sm.put_secret_value(SecretId=name, SecretString="two", VersionStages=["AWSPENDING"])
    v2 = p["VersionId"]
    assert p["VersionStages"] == ["AWSPENDING"]
    with pytest.raises(ClientError) as e:
        sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=v2)
    assert err(e)[0] == "InvalidParameterException"
    sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=v2,
                                   RemoveFromVersionId=v1)
    assert sm.describe_secret(SecretId=name)["VersionIdsToStages"] == {
        v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT", "AWSPENDING"]}
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "two"
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId=name, VersionId=v1, VersionStage="AWSCURRENT")
    assert err(e) == ("InvalidRequestException",
                      "You provided a VersionStage that is not associated to the provided VersionId.")


def test_lookup_and_parameter_errors(sm):
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId=unique_name("missing"))
    assert err(e) == ("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
    with pytest.raises(ClientError) as e:
        sm.describe_secret(SecretId="bad name?")
    assert err(e)[0] == "ValidationException"
    with pytest.raises(ClientError) as e:
        sm.create_secret(Name=unique_name("both"), SecretString="a", SecretBinary=b"b")
    assert err(e)[0] == "InvalidParameterException"
    empty = unique_name("empty")
    c = sm.create_secret(Name=empty)
    assert "VersionId" not in c
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId=empty)
    assert err(e) == ("ResourceNotFoundException",
                      "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT")


def test_delete_window_restore_and_force(sm):
    name = unique_name("del")
    sm.create_secret(Name=name, SecretString="x")
    for kw in ({"RecoveryWindowInDays": 6}, {"RecoveryWindowInDays": 31},
               {"RecoveryWindowInDays": 7, "ForceDeleteWithoutRecovery": True}):
        with pytest.raises(ClientError) as e:
            sm.delete_secret(SecretId=name, **kw)
        assert err(e)[0] == "InvalidParameterException"
    d = sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    assert "DeletionDate" in d
    for call in (lambda: sm.get_secret_value(SecretId=name),
                 lambda: sm.put_secret_value(SecretId=name, SecretString="y"),
                 lambda: sm.tag_resource(SecretId=name, Tags=[{"Key": "a", "Value": "b"}]),
                 lambda: sm.delete_secret(SecretId=name)):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e) == ("InvalidRequestException", MARKED)
    with pytest.raises(ClientError) as e:
        sm.create_secret(Name=name)
    assert err(e) == ("InvalidRequestException",
                      "You can't create this secret because a secret with this name is already scheduled for deletion.")
    assert "DeletedDate" in sm.describe_secret(SecretId=name)
    listed = [s["Name"] for s in sm.list_secrets(Filters=[{"Key": "name", "Values": [name]}])["SecretList"]]
    assert listed == []
    planned = sm.list_secrets(IncludePlannedDeletion=True, Filters=[{"Key": "name", "Values": [name]}])["SecretList"]
    assert [s["Name"] for s in planned] == [name] and "DeletedDate" in planned[0]

    sm.restore_secret(SecretId=name)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "x"
    sm.delete_secret(SecretId=name)
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    with pytest.raises(ClientError) as e:
        sm.describe_secret(SecretId=name)
    assert err(e)[0] == "ResourceNotFoundException"
    # The name is free again, under a new ARN.
    sm.create_secret(Name=name, SecretString="again")


def test_list_filters_sort_and_pagination(sm):
    prefix = unique_name("lst")
    for i in range(5):
        sm.create_secret(Name=f"{prefix}/s{i}", Description=f"secret number {i}",
                         Tags=[{"Key": "idx", "Value": str(i)}, {"Key": "grp", "Value": "even" if i % 2 == 0 else "odd"}])
    f = [{"Key": "name", "Values": [prefix]}]
    names = [s["Name"] for s in sm.list_secrets(Filters=f)["SecretList"]]
    assert names == [f"{prefix}/s{i}" for i in range(5)]
    desc = [s["Name"] for s in sm.list_secrets(Filters=f, SortOrder="desc")["SecretList"]]
    assert desc == list(reversed(names))
    seen, token = [], None
    while True:
        kw = {"NextToken": token} if token else {}
        page = sm.list_secrets(Filters=f, MaxResults=2, **kw)
        seen += [s["Name"] for s in page["SecretList"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == names
    odd = sm.list_secrets(Filters=f + [{"Key": "tag-value", "Values": ["odd"]}])["SecretList"]
    assert [s["Name"] for s in odd] == [f"{prefix}/s1", f"{prefix}/s3"]
    neg = sm.list_secrets(Filters=f + [{"Key": "tag-value", "Values": ["!odd"]}])["SecretList"]
    assert [s["Name"] for s in neg] == [f"{prefix}/s0", f"{prefix}/s2", f"{prefix}/s4"]
    assert [s["Name"] for s in sm.list_secrets(Filters=f + [{"Key": "description", "Values": ["SECRET number 3"]}])["SecretList"]] \
        == [f"{prefix}/s3"]
    # The paginator walks the same pages.
    pages = sm.get_paginator("list_secrets").paginate(Filters=f, PaginationConfig={"PageSize": 2})
    assert [s["Name"] for p in pages for s in p["SecretList"]] == names


def test_batch_get_secret_value(sm):
    prefix = unique_name("batch")
    arns = [sm.create_secret(Name=f"{prefix}-{i}", SecretString=f"value-{i}")["ARN"] for i in range(3)]
    r = sm.batch_get_secret_value(SecretIdList=[arns[0], f"{prefix}-1", f"{prefix}-missing"])
    assert [v["SecretString"] for v in r["SecretValues"]] == ["value-0", "value-1"]
    assert [(e["SecretId"], e["ErrorCode"]) for e in r["Errors"]] == [(f"{prefix}-missing", "ResourceNotFoundException")]
    f = sm.batch_get_secret_value(Filters=[{"Key": "name", "Values": [prefix]}])
    assert sorted(v["SecretString"] for v in f["SecretValues"]) == ["value-0", "value-1", "value-2"]
    with pytest.raises(ClientError) as e:
        sm.batch_get_secret_value()
    assert err(e)[0] == "InvalidParameterException"


def test_tags(sm):
    name = unique_name("tags")
    sm.create_secret(Name=name)
    assert "Tags" not in sm.describe_secret(SecretId=name)
    sm.tag_resource(SecretId=name, Tags=[{"Key": "tag1", "Value": "value1"}])
    sm.tag_resource(SecretId=name, Tags=[{"Key": "tag2", "Value": "value2"}])
    assert sm.describe_secret(SecretId=name)["Tags"] == [{"Key": "tag1", "Value": "value1"}, {"Key": "tag2", "Value": "value2"}]
    sm.untag_resource(SecretId=name, TagKeys=["tag1", "tag2"])
    assert sm.describe_secret(SecretId=name)["Tags"] == []


def test_random_password(sm):
    p = sm.get_random_password()["RandomPassword"]
    assert len(p) == 32
    assert any(c.islower() for c in p) and any(c.isupper() for c in p) and any(c.isdigit() for c in p)
    assert any(c in string.punctuation for c in p)
    assert p != sm.get_random_password()["RandomPassword"]
    q = sm.get_random_password(PasswordLength=64, ExcludePunctuation=True, ExcludeCharacters="abcABC012",
                               IncludeSpace=True)["RandomPassword"]
    assert len(q) == 64 and not set(q) & set("abcABC012" + string.punctuation) and " " in q
    with pytest.raises(ClientError) as e:
        sm.get_random_password(PasswordLength=4097)
    assert err(e)[0] in ("InvalidParameterException", "ValidationException")


def test_rotation_is_recorded(sm):
    name = unique_name("rot")
    sm.create_secret(Name=name, SecretString="v")
    with pytest.raises(ClientError) as e:
        sm.rotate_secret(SecretId=name)
    assert err(e) == ("InvalidRequestException", "No Lambda rotation function ARN is associated with this secret.")
    fn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:rotator"
    sm.rotate_secret(SecretId=name, RotationLambdaARN=fn, RotationRules={"AutomaticallyAfterDays": 30})
    d = sm.describe_secret(SecretId=name)
    assert d["RotationEnabled"] is True and d["RotationLambdaARN"] == fn
    assert d["RotationRules"] == {"AutomaticallyAfterDays": 30}
    assert "NextRotationDate" in d
    sm.cancel_rotate_secret(SecretId=name)
    d = sm.describe_secret(SecretId=name)
    assert d["RotationEnabled"] is False and "NextRotationDate" not in d


def test_replication_to_another_region(server, sm):
    name = unique_name("repl")
    c = sm.create_secret(Name=name, SecretString="replicated", AddReplicaRegions=[{"Region": "eu-west-1"}])
    assert c["ReplicationStatus"][0]["Region"] == "eu-west-1"
    assert c["ReplicationStatus"][0]["Status"] == "InSync"
    eu = make_client(server.url, "secretsmanager", region_name="eu-west-1")
    g = eu.get_secret_value(SecretId=name)
    assert g["SecretString"] == "replicated"
    assert g["ARN"] == c["ARN"].replace(f":{REGION}:", ":eu-west-1:")
    assert eu.describe_secret(SecretId=name)["PrimaryRegion"] == REGION
    sm.put_secret_value(SecretId=name, SecretString="updated")
    assert eu.get_secret_value(SecretId=name)["SecretString"] == "updated"
    with pytest.raises(ClientError) as e:
        eu.put_secret_value(SecretId=name, SecretString="no")
    assert err(e)[0] == "InvalidRequestException"
    d = sm.describe_secret(SecretId=name)
    assert d["PrimaryRegion"] == REGION and d["ReplicationStatus"][0]["Status"] == "InSync"
    sm.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=["eu-west-1"])
    with pytest.raises(ClientError) as e:
        eu.describe_secret(SecretId=name)
    assert err(e)[0] == "ResourceNotFoundException"


# --------------------------------------------------------------------------------------
# KMS: customer keys, access, key state
# --------------------------------------------------------------------------------------

def test_customer_key_encrypts_and_decrypt_permission_is_checked(server, sm, kms, iam):
    key = kms.create_key(Description="secrets")["KeyMetadata"]
    name = unique_name("cmk")
    arn = sm.create_secret(Name=name, SecretString="under-my-key", KmsKeyId=key["Arn"])["ARN"]
    d = sm.describe_secret(SecretId=name)
    assert d["KmsKeyId"] == key["Arn"]
    assert sm.list_secret_version_ids(SecretId=name)["Versions"][0]["KmsKeyIds"] == [key["Arn"]]

    # The caller may read the secret but may not use the key: KMS denies it, as in AWS.
    read_only = doc({"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                     "Resource": "*"})
    _, user = make_user(server, iam, read_only)
    with pytest.raises(ClientError) as e:
        user("secretsmanager").get_secret_value(SecretId=arn)
    assert err(e) == ("AccessDeniedException", "Access to KMS is not allowed")

    # Writing under the key needs kms:GenerateDataKey on it, as the caller, too.
    _, writer = make_user(server, iam, doc({"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}))
    with pytest.raises(ClientError) as e:
        writer("secretsmanager").create_secret(Name=unique_name("denied"), SecretString="x", KmsKeyId=key["Arn"])
    assert err(e) == ("AccessDeniedException", "Access to KMS is not allowed")
    with pytest.raises(ClientError) as e:
        writer("secretsmanager").put_secret_value(SecretId=arn, SecretString="x")
    assert err(e) == ("AccessDeniedException", "Access to KMS is not allowed")

    # With kms:Decrypt on that key (only through Secrets Manager) it can.
    with_kms = doc({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
                   {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key["Arn"],
                    "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}})
    _, user2 = make_user(server, iam, with_kms)
    assert user2("secretsmanager").get_secret_value(SecretId=arn)["SecretString"] == "under-my-key"

    # A secret under the AWS managed key needs no KMS permission in IAM (its key policy
    # allows the account's principals through Secrets Manager).
    managed = sm.create_secret(Name=unique_name("managed"), SecretString="managed")["ARN"]
    assert user("secretsmanager").get_secret_value(SecretId=managed)["SecretString"] == "managed"

    # A disabled key makes its secrets unreadable and unwritable.
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId=name)
    assert err(e)[0] == "DecryptionFailure"
    with pytest.raises(ClientError) as e:
        sm.put_secret_value(SecretId=name, SecretString="x")
    assert err(e)[0] == "EncryptionFailure"
    kms.enable_key(KeyId=key["KeyId"])
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "under-my-key"


def test_the_value_is_really_kms_encrypted(sm, kms):
    """The managed key exists after first use and is AWS-managed, as in AWS."""
    sm.create_secret(Name=unique_name("mk"), SecretString="x")
    meta = kms.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]
    assert meta["KeyManager"] == "AWS"


# --------------------------------------------------------------------------------------
# Resource policies, enforced by IAM
# --------------------------------------------------------------------------------------

def test_resource_policy_grants_and_blocks_public(server, sm, iam):
    name = unique_name("pol")
    arn = sm.create_secret(Name=name, SecretString="shared")["ARN"]
    user_arn, user = make_user(server, iam)  # no identity policy at all
    with pytest.raises(ClientError) as e:
        user("secretsmanager").get_secret_value(SecretId=arn)
    assert err(e)[0] == "AccessDeniedException"

    policy = doc({"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "secretsmanager:GetSecretValue",
                  "Resource": "*"})
    sm.put_resource_policy(SecretId=name, ResourcePolicy=policy, BlockPublicPolicy=True)
    assert json.loads(sm.get_resource_policy(SecretId=name)["ResourcePolicy"]) == json.loads(policy)
    assert user("secretsmanager").get_secret_value(SecretId=arn)["SecretString"] == "shared"

    public = doc({"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    with pytest.raises(ClientError) as e:
        sm.put_resource_policy(SecretId=name, ResourcePolicy=public, BlockPublicPolicy=True)
    assert err(e)[0] == "PublicPolicyException"
    with pytest.raises(ClientError) as e:
        sm.put_resource_policy(SecretId=name, ResourcePolicy="{not json")
    assert err(e)[0] == "MalformedPolicyDocumentException"
    v = sm.validate_resource_policy(ResourcePolicy=public)
    assert v["PolicyValidationPassed"] is False

    # An explicit deny in the resource policy beats an identity policy allowing everything.
    admin_arn, admin = make_user(server, iam, doc({"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}))
    sm.put_resource_policy(SecretId=name, ResourcePolicy=doc(
        {"Effect": "Deny", "Principal": {"AWS": admin_arn}, "Action": "secretsmanager:*", "Resource": "*"}))
    with pytest.raises(ClientError) as e:
        admin("secretsmanager").describe_secret(SecretId=name)
    assert err(e)[0] == "AccessDeniedException"
    sm.delete_resource_policy(SecretId=name)
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=name)
    assert admin("secretsmanager").describe_secret(SecretId=name)["Name"] == name


@pytest.fixture
def account_b(server):
    r = requests.post(f"{server.url}/_simfra/accounts", json={})
    assert r.status_code == 201
    acct = r.json()
    acct["client"] = lambda service: make_client(server.url, service, aws_access_key_id=acct["rootAccessKeyId"],
                                                 aws_secret_access_key=acct["rootSecretAccessKey"])
    yield acct
    requests.delete(f"{server.url}/_simfra/accounts/{acct['accountId']}")


def test_cross_account_read_needs_secret_policy_and_key_policy(sm, kms, account_b):
    """As in AWS: another account reads a secret by ARN only when the secret's resource
    policy and the customer key's policy both let it (the AWS managed key never does)."""
    b = account_b["accountId"]
    b_root = f"arn:aws:iam::{b}:root"
    key_policy = doc(
        {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "kms:*",
         "Resource": "*"},
        {"Sid": "B", "Effect": "Allow", "Principal": {"AWS": b_root}, "Action": "kms:Decrypt", "Resource": "*"})
    key = kms.create_key(Policy=key_policy)["KeyMetadata"]["Arn"]
    arn = sm.create_secret(Name=unique_name("xacct"), SecretString="shared-across", KmsKeyId=key)["ARN"]
    b_sm = account_b["client"]("secretsmanager")
    with pytest.raises(ClientError) as e:
        b_sm.get_secret_value(SecretId=arn)
    assert err(e)[0] == "AccessDeniedException"
    sm.put_resource_policy(SecretId=arn, ResourcePolicy=doc(
        {"Effect": "Allow", "Principal": {"AWS": b_root}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
    assert b_sm.get_secret_value(SecretId=arn)["SecretString"] == "shared-across"

    # Without the key policy's statement for B, KMS refuses the decrypt.
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "kms:*", "Resource": "*"}))
    with pytest.raises(ClientError) as e:
        b_sm.get_secret_value(SecretId=arn)
    assert err(e) == ("AccessDeniedException", "Access to KMS is not allowed")


def test_condition_keys_resource_tag_and_name(server, sm, iam):
    prefix = unique_name("ck")
    sm.create_secret(Name=f"{prefix}-prod", SecretString="p", Tags=[{"Key": "env", "Value": "prod"}])
    sm.create_secret(Name=f"{prefix}-dev", SecretString="d", Tags=[{"Key": "env", "Value": "dev"}])
    policy = doc(
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
         "Condition": {"StringEquals": {"secretsmanager:ResourceTag/env": "dev"}}},
        {"Effect": "Allow", "Action": "secretsmanager:CreateSecret", "Resource": "*",
         "Condition": {"StringLike": {"secretsmanager:Name": f"{prefix}/team/*"}}})
    _, user = make_user(server, iam, policy)
    u = user("secretsmanager")
    assert u.get_secret_value(SecretId=f"{prefix}-dev")["SecretString"] == "d"
    with pytest.raises(ClientError) as e:
        u.get_secret_value(SecretId=f"{prefix}-prod")
    assert err(e)[0] == "AccessDeniedException"
    u.create_secret(Name=f"{prefix}/team/a")
    with pytest.raises(ClientError) as e:
        u.create_secret(Name=f"{prefix}/other")
    assert err(e)[0] == "AccessDeniedException"


# --------------------------------------------------------------------------------------
# AWS CLI
# --------------------------------------------------------------------------------------

def test_aws_cli_round_trip(server, tmp_path):
    name = unique_name("cli")
    r = run_aws_cli(server.url, "secretsmanager", "create-secret", "--name", name, "--secret-string", '{"user":"u","pw":"p"}')
    assert r.returncode == 0, r.stderr
    r = run_aws_cli(server.url, "secretsmanager", "get-secret-value", "--secret-id", name, "--query", "SecretString")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.json) == {"user": "u", "pw": "p"}
    blob = tmp_path / "blob.bin"
    blob.write_bytes(b"\x00binary\xff")
    r = run_aws_cli(server.url, "secretsmanager", "put-secret-value", "--secret-id", name, "--secret-binary",
                    f"fileb://{blob}")
    assert r.returncode == 0, r.stderr
    r = run_aws_cli(server.url, "secretsmanager", "get-secret-value", "--secret-id", name)
    assert base64.b64decode(r.json["SecretBinary"]) == b"\x00binary\xff"
    r = run_aws_cli(server.url, "secretsmanager", "list-secret-version-ids", "--secret-id", name)
    assert len(r.json["Versions"]) == 2
    r = run_aws_cli(server.url, "secretsmanager", "get-random-password", "--password-length", "20", "--exclude-punctuation")
    assert len(r.json["RandomPassword"]) == 20
    r = run_aws_cli(server.url, "secretsmanager", "delete-secret", "--secret-id", name, "--recovery-window-in-days", "3")
    assert r.returncode != 0 and "InvalidParameterException" in r.stderr
    r = run_aws_cli(server.url, "secretsmanager", "delete-secret", "--secret-id", name, "--force-delete-without-recovery")
    assert r.returncode == 0, r.stderr
    r = run_aws_cli(server.url, "secretsmanager", "describe-secret", "--secret-id", name)
    assert r.returncode != 0 and "ResourceNotFoundException" in r.stderr


# --------------------------------------------------------------------------------------
# Persistence
# --------------------------------------------------------------------------------------

PLAINTEXTS = ["PLAINTEXT-current-7f3a", "PLAINTEXT-previous-91bc", "PLAINTEXT-binary-55e1", "PLAINTEXT-cmk-0d2c",
              "PLAINTEXT-replica-c0de"]


def scenario(url):
    sm = make_client(url, "secretsmanager")
    kms = make_client(url, "kms")
    sm.create_secret(Name="persist/app", SecretString=PLAINTEXTS[1], Description="app secret",
                     Tags=[{"Key": "team", "Value": "core"}])
    sm.put_secret_value(SecretId="persist/app", SecretString=PLAINTEXTS[0])
    sm.put_secret_value(SecretId="persist/app", SecretBinary=PLAINTEXTS[2].encode(), VersionStages=["custom"])
    key = kms.create_key()["KeyMetadata"]["Arn"]
    sm.create_secret(Name="persist/cmk", SecretString=PLAINTEXTS[3], KmsKeyId=key)
    sm.put_resource_policy(SecretId="persist/cmk", ResourcePolicy=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
    sm.create_secret(Name="persist/scheduled", SecretString="bye")
    sm.delete_secret(SecretId="persist/scheduled", RecoveryWindowInDays=10)
    sm.create_secret(Name="persist/gone", SecretString="gone")
    sm.delete_secret(SecretId="persist/gone", ForceDeleteWithoutRecovery=True)
    sm.create_secret(Name="persist/replicated", SecretString=PLAINTEXTS[4], AddReplicaRegions=[{"Region": "eu-west-1"}])
    sm.rotate_secret(SecretId="persist/app", RotationLambdaARN=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:r",
                     RotationRules={"ScheduleExpression": "rate(4 hours)"})


def snapshot(url):
    sm = make_client(url, "secretsmanager")
    eu = make_client(url, "secretsmanager", region_name="eu-west-1")
    names = [s["Name"] for s in sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]]
    out = {"secrets": {}}
    # Values first: reading moves LastAccessedDate (kept to the day), which the describes
    # taken after then show on both sides.
    for name in names:
        d = sm.describe_secret(SecretId=name)
        if "DeletedDate" in d:
            continue
        vals = {}
        for v in sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]:
            g = sm.get_secret_value(SecretId=name, VersionId=v["VersionId"])
            vals[v["VersionId"]] = g.get("SecretString") or g.get("SecretBinary")
        out["secrets"][name] = {"values": vals, "policy": sm.get_resource_policy(SecretId=name)}
    out["replica"] = eu.get_secret_value(SecretId="persist/replicated")["SecretString"]
    out["replica_describe"] = eu.describe_secret(SecretId="persist/replicated")
    out["list"] = sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]
    for name in names:
        entry = out["secrets"].setdefault(name, {})
        entry["describe"] = sm.describe_secret(SecretId=name)
        entry["versions"] = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    return out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_persistence_contract_and_no_plaintext_on_disk(server_factory, tmp_path, sig):
    second, before = run_contract(server_factory, tmp_path, scenario, snapshot, sig=sig)
    assert set(before["secrets"]) == {"persist/app", "persist/cmk", "persist/scheduled", "persist/replicated"}
    assert before["secrets"]["persist/app"]["values"]
    assert before["replica"] == PLAINTEXTS[4]
    sm = make_client(second.url, "secretsmanager")
    assert sm.get_secret_value(SecretId="persist/app")["SecretString"] == PLAINTEXTS[0]
    assert sm.get_secret_value(SecretId="persist/cmk")["SecretString"] == PLAINTEXTS[3]
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId="persist/scheduled")
    assert err(e) == ("InvalidRequestException", MARKED)
    second.stop()

    data = tmp_path / "data"
    for root, _, files in os.walk(data):
        for f in files:
            raw = open(os.path.join(root, f), "rb").read()
            for p in PLAINTEXTS:
                assert p.encode() not in raw, (f, p)
