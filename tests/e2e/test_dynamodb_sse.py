"""DynamoDB encryption at rest with KMS keys end to end: SSESpecification on CreateTable and
UpdateTable, SSEDescription in DescribeTable with the key's ARN (the AWS-managed
alias/aws/dynamodb made on first use), a disabled key or one pending deletion making the
table inaccessible and re-enabling it making it usable again.
"""
from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, make_client, run_aws_cli, unique_name


def err(excinfo):
    r = excinfo.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Code"), r["Error"].get("Message")


def create(ddb, name, **kw):
    return ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], **kw)


def test_managed_and_customer_keys_in_sse_description(client):
    ddb, kms = client("dynamodb"), client("kms")
    name = unique_name("t")
    d = create(ddb, name, SSESpecification={"Enabled": True})["TableDescription"]
    managed = kms.describe_key(KeyId="alias/aws/dynamodb")["KeyMetadata"]
    assert managed["KeyManager"] == "AWS"
    assert d["SSEDescription"] == {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": managed["Arn"]}

    key = kms.create_key()["KeyMetadata"]
    name2 = unique_name("t")
    d = create(ddb, name2, SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key["KeyId"]})
    assert d["TableDescription"]["SSEDescription"]["KMSMasterKeyArn"] == key["Arn"]
    ddb.put_item(TableName=name2, Item={"pk": {"S": "a"}, "v": {"S": "secret"}})
    assert ddb.get_item(TableName=name2, Key={"pk": {"S": "a"}})["Item"]["v"]["S"] == "secret"

    # UpdateTable switches keys, or back to an AWS owned key.
    ddb.update_table(TableName=name, SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key["Arn"]})
    assert ddb.describe_table(TableName=name)["Table"]["SSEDescription"]["KMSMasterKeyArn"] == key["Arn"]
    ddb.update_table(TableName=name, SSESpecification={"Enabled": False})
    assert "SSEDescription" not in ddb.describe_table(TableName=name)["Table"]

    # A table without SSESpecification has none.
    name3 = unique_name("t")
    assert "SSEDescription" not in create(ddb, name3)["TableDescription"]

    # A key that does not exist is refused.
    with pytest.raises(ClientError) as e:
        create(ddb, unique_name("t"), SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": "alias/nope"})
    assert err(e)[0] == 400


def test_disabled_or_pending_deletion_key_makes_the_table_inaccessible(client):
    ddb, kms = client("dynamodb"), client("kms")
    key = kms.create_key()["KeyMetadata"]
    name = unique_name("t")
    create(ddb, name, SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key["Arn"]})
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}})

    kms.disable_key(KeyId=key["Arn"])
    time.sleep(1.2)  # DynamoDB's key check stands for a second
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName=name, Key={"pk": {"S": "a"}})
    status, code, message = err(e)
    assert (status, code) == (400, "AccessDeniedException")
    assert message.startswith("KMS key access denied error")
    t = ddb.describe_table(TableName=name)["Table"]
    assert t["TableStatus"] == "INACCESSIBLE_ENCRYPTION_CREDENTIALS"
    assert "InaccessibleEncryptionDateTime" in t["SSEDescription"]

    kms.enable_key(KeyId=key["Arn"])
    t = ddb.describe_table(TableName=name)["Table"]
    assert t["TableStatus"] == "ACTIVE"
    assert "InaccessibleEncryptionDateTime" not in t["SSEDescription"]
    assert ddb.get_item(TableName=name, Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}

    kms.schedule_key_deletion(KeyId=key["Arn"], PendingWindowInDays=7)
    time.sleep(1.2)
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=name, Item={"pk": {"S": "b"}})
    assert err(e)[:2] == (400, "AccessDeniedException")
    assert ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "INACCESSIBLE_ENCRYPTION_CREDENTIALS"
    kms.cancel_key_deletion(KeyId=key["Arn"])
    kms.enable_key(KeyId=key["Arn"])
    assert ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
    ddb.put_item(TableName=name, Item={"pk": {"S": "b"}})


def test_dynamodb_holds_a_grant_while_it_uses_the_key(client):
    ddb, kms = client("dynamodb"), client("kms")
    key = kms.create_key()["KeyMetadata"]
    name = unique_name("t")
    create(ddb, name, SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key["Arn"]})
    grants = kms.list_grants(KeyId=key["Arn"])["Grants"]
    assert len(grants) == 1
    g = grants[0]
    assert g["GranteePrincipal"] == "dynamodb.amazonaws.com"
    assert g["Constraints"]["EncryptionContextSubset"] == {"aws:dynamodb:tableName": name,
                                                           "aws:dynamodb:subscriberId": ACCOUNT_ID}
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}})
    # Without its grant DynamoDB cannot use the key: the table is inaccessible.
    kms.revoke_grant(KeyId=key["Arn"], GrantId=g["GrantId"])
    time.sleep(1.2)
    assert ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "INACCESSIBLE_ENCRYPTION_CREDENTIALS"
    # A table that goes gives its grant up.
    name2 = unique_name("t")
    create(ddb, name2, SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key["Arn"]})
    assert len(kms.list_grants(KeyId=key["Arn"])["Grants"]) == 1
    ddb.delete_table(TableName=name2)
    assert kms.list_grants(KeyId=key["Arn"])["Grants"] == []


def test_caller_without_kms_decrypt_is_refused(server, client):
    ddb, kms, iam = client("dynamodb"), client("kms"), client("iam")
    key = kms.create_key()["KeyMetadata"]
    name = unique_name("t")
    create(ddb, name, SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key["Arn"]})
    user = unique_name("u")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]}))
    ak = iam.create_access_key(UserName=user)["AccessKey"]
    as_user = make_client(server.url, "dynamodb", aws_access_key_id=ak["AccessKeyId"],
                          aws_secret_access_key=ak["SecretAccessKey"])
    with pytest.raises(ClientError) as e:
        as_user.put_item(TableName=name, Item={"pk": {"S": "x"}})
    assert err(e)[:2] == (400, "AccessDeniedException")
    # The table stays accessible for callers who may use the key.
    assert ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
    ddb.put_item(TableName=name, Item={"pk": {"S": "x"}})


def test_sse_with_the_cli_and_persistence(server_factory, tmp_path):
    data = tmp_path / "data"
    srv = server_factory(data_dir=data)
    key = make_client(srv.url, "kms").create_key()["KeyMetadata"]
    name = unique_name("t")
    r = run_aws_cli(srv.url, "dynamodb", "create-table", "--table-name", name, "--billing-mode", "PAY_PER_REQUEST",
                    "--key-schema", "AttributeName=pk,KeyType=HASH", "--attribute-definitions", "AttributeName=pk,AttributeType=S",
                    "--sse-specification", f"Enabled=true,SSEType=KMS,KMSMasterKeyId={key['Arn']}")
    assert r.returncode == 0, r.stderr
    assert r.json["TableDescription"]["SSEDescription"]["KMSMasterKeyArn"] == key["Arn"]
    srv.stop()
    srv2 = server_factory(data_dir=data)
    d = make_client(srv2.url, "dynamodb").describe_table(TableName=name)["Table"]
    assert d["SSEDescription"] == {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": key["Arn"]}
