"""Accounts through the admin API: create, list, get, delete, reset, the admin token, and
persistence of accounts and their root keys. Resources of one account are invisible to
another, and deleting or resetting an account wipes them in S3, SQS and DynamoDB."""

from __future__ import annotations

import re
import time
from pathlib import Path

import botocore.exceptions
import pytest
import requests

from conftest import ACCESS_KEY, ACCOUNT_ID, make_client, run_aws_cli, unique_name


def admin(server, method, path, token=None, **kw):
    headers = kw.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, server.url + path, headers=headers, timeout=30, **kw)


def create(server, body=None, **kw):
    return admin(server, "POST", "/_simfra/accounts", json=body, **kw) if body is not None \
        else admin(server, "POST", "/_simfra/accounts", **kw)


def clients_for(server, account, *services):
    return [make_client(server.url, s, aws_access_key_id=account["rootAccessKeyId"],
                        aws_secret_access_key=account["rootSecretAccessKey"]) for s in services]


def new_account(server, **body):
    r = create(server, body)
    assert r.status_code == 201, r.text
    return r.json()


def error_of(r):
    body = r.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"], str) and body["error"]
    return body["error"]


# ---------------------------------------------------------------------------------------
# Create, list, get
# ---------------------------------------------------------------------------------------

def test_create_without_id_generates_one(server):
    r = create(server)
    assert r.status_code == 201, r.text
    assert r.headers["Content-Type"] == "application/json"
    a = r.json()
    assert set(a) >= {"accountId", "rootAccessKeyId", "rootSecretAccessKey", "createdAt"}
    assert re.fullmatch(r"[0-9]{12}", a["accountId"])
    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", a["rootAccessKeyId"])
    assert len(a["rootSecretAccessKey"]) == 40
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", a["createdAt"])
    assert a["default"] is False
    # An empty JSON object works the same.
    b = new_account(server)
    assert b["accountId"] != a["accountId"] and b["rootAccessKeyId"] != a["rootAccessKeyId"]


def test_create_with_id_and_duplicate(server):
    wanted = "5" + str(time.time_ns())[-11:]
    a = new_account(server, accountId=wanted)
    assert a["accountId"] == wanted
    r = create(server, {"accountId": wanted})
    assert r.status_code == 409
    assert wanted in error_of(r)
    # The default account exists too.
    r = create(server, {"accountId": ACCOUNT_ID})
    assert r.status_code == 409


@pytest.mark.parametrize("body", [
    {"accountId": "12345"}, {"accountId": "1234567890123"}, {"accountId": "12345678901x"},
    {"accountId": 123456789012}, {"accountID": "123456789012"}, [], "x",
])
def test_create_bad_id_or_body(server, body):
    r = create(server, body)
    assert r.status_code == 400, r.text
    error_of(r)


def test_create_malformed_json(server):
    r = admin(server, "POST", "/_simfra/accounts", data=b"{not json",
              headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    error_of(r)


def test_list_and_get(server):
    a = new_account(server)
    r = admin(server, "GET", "/_simfra/accounts")
    assert r.status_code == 200
    listed = r.json()["accounts"]
    assert listed[0]["accountId"] == ACCOUNT_ID and listed[0]["default"] is True
    assert listed[0]["rootAccessKeyId"] == ACCESS_KEY
    mine = [x for x in listed if x["accountId"] == a["accountId"]]
    assert mine == [{"accountId": a["accountId"], "rootAccessKeyId": a["rootAccessKeyId"],
                     "createdAt": a["createdAt"], "default": False}]
    # Secrets are only shown one account at a time.
    assert all("rootSecretAccessKey" not in x for x in listed)

    r = admin(server, "GET", f"/_simfra/accounts/{a['accountId']}")
    assert r.status_code == 200
    assert r.json() == a

    r = admin(server, "GET", "/_simfra/accounts/999999999998")
    assert r.status_code == 404
    assert "999999999998" in error_of(r)
    r = admin(server, "GET", "/_simfra/accounts/nope")
    assert r.status_code == 400
    error_of(r)


def test_unknown_routes_and_methods(server):
    r = admin(server, "PUT", "/_simfra/accounts")
    assert r.status_code == 405 and "GET" in r.headers["Allow"]
    error_of(r)
    r = admin(server, "GET", "/_simfra/nothing-here")
    assert r.status_code == 404
    error_of(r)
    r = admin(server, "GET", f"/_simfra/accounts/{ACCOUNT_ID}/other")
    assert r.status_code == 404


def test_service_names(server):
    r = admin(server, "GET", "/_simfra/services?names")
    assert r.status_code == 200
    names = r.json()["services"]
    assert all(isinstance(n, str) for n in names)
    assert {"s3", "sqs", "dynamodb", "sts"} <= set(names)
    assert names == sorted(names)
    full = admin(server, "GET", "/_simfra/services").json()["services"]
    assert names == [s["name"] for s in full]


# ---------------------------------------------------------------------------------------
# The keys work, and accounts are isolated
# ---------------------------------------------------------------------------------------

def test_new_keys_sign_as_the_new_account(server):
    a = new_account(server)
    (sts,) = clients_for(server, a, "sts")
    ident = sts.get_caller_identity()
    assert ident["Account"] == a["accountId"]
    assert ident["Arn"] == f"arn:aws:iam::{a['accountId']}:root"
    assert ident["UserId"] == a["accountId"]

    cli = run_aws_cli(server.url, "sts", "get-caller-identity",
                      access_key=a["rootAccessKeyId"], secret_key=a["rootSecretAccessKey"])
    assert cli.returncode == 0, cli.stderr
    assert cli.json["Account"] == a["accountId"]

    # A wrong secret for the new key is refused as AWS refuses it.
    bad = make_client(server.url, "sts", aws_access_key_id=a["rootAccessKeyId"],
                      aws_secret_access_key="x" * 40)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        bad.get_caller_identity()
    assert e.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_resources_are_isolated_between_accounts(server):
    a, b = new_account(server), new_account(server)
    s3a, sqsa, ddba = clients_for(server, a, "s3", "sqs", "dynamodb")
    s3b, sqsb, ddbb = clients_for(server, b, "s3", "sqs", "dynamodb")
    bucket, queue, table = unique_name("acct"), unique_name("acct"), unique_name("acct")
    s3a.create_bucket(Bucket=bucket)
    url = sqsa.create_queue(QueueName=queue)["QueueUrl"]
    assert f"/{a['accountId']}/{queue}" in url
    ddba.create_table(TableName=table, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                      AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                      BillingMode="PAY_PER_REQUEST")

    assert bucket in [x["Name"] for x in s3a.list_buckets()["Buckets"]]
    assert bucket not in [x["Name"] for x in s3b.list_buckets()["Buckets"]]
    assert s3b.list_buckets()["Owner"]["ID"] != s3a.list_buckets()["Owner"]["ID"]
    assert queue not in " ".join(sqsb.list_queues().get("QueueUrls", []))
    assert table not in ddbb.list_tables()["TableNames"]
    assert table in ddba.list_tables()["TableNames"]
    # Global bucket names: B cannot take A's name, and cannot read A's bucket.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3b.create_bucket(Bucket=bucket)
    assert e.value.response["Error"]["Code"] == "BucketAlreadyExists"
    # B has its own table namespace: the same name is a different table.
    ddbb.create_table(TableName=table, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                      AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                      BillingMode="PAY_PER_REQUEST")
    ddba.put_item(TableName=table, Item={"k": {"S": "in-a"}})
    assert ddbb.scan(TableName=table)["Count"] == 0
    # The AWS CLI sees the same with B's keys.
    cli = run_aws_cli(server.url, "s3api", "list-buckets",
                      access_key=b["rootAccessKeyId"], secret_key=b["rootSecretAccessKey"])
    assert cli.returncode == 0, cli.stderr
    assert bucket not in [x["Name"] for x in cli.json.get("Buckets", [])]


# ---------------------------------------------------------------------------------------
# Delete and reset
# ---------------------------------------------------------------------------------------

def populate(server, account, tag):
    s3, sqs, ddb = clients_for(server, account, "s3", "sqs", "dynamodb")
    bucket, queue, table = unique_name(tag), unique_name(tag), unique_name(tag)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="small.txt", Body=b"hello")
    s3.put_object(Bucket=bucket, Key="big.bin", Body=b"x" * 200_000)
    s3.create_multipart_upload(Bucket=bucket, Key="pending")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="big.bin", Body=b"y" * 100_000)
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="m")
    ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST",
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    ddb.put_item(TableName=table, Item={"k": {"S": "1"}})
    return (s3, sqs, ddb), (bucket, queue, url, table)


def test_delete_account_removes_everything(server):
    a, keep = new_account(server), new_account(server)
    (s3, sqs, ddb), (bucket, queue, url, table) = populate(server, a, "del")
    (ks3, ksqs, kddb), (kbucket, kqueue, kurl, ktable) = populate(server, keep, "keep")

    r = admin(server, "DELETE", f"/_simfra/accounts/{a['accountId']}")
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert admin(server, "GET", f"/_simfra/accounts/{a['accountId']}").status_code == 404
    assert a["accountId"] not in [x["accountId"] for x in admin(server, "GET", "/_simfra/accounts").json()["accounts"]]
    assert admin(server, "DELETE", f"/_simfra/accounts/{a['accountId']}").status_code == 404

    # Its keys no longer sign.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.list_buckets()
    assert e.value.response["Error"]["Code"] == "InvalidAccessKeyId"

    # The bucket name is free again, for any account.
    ks3_default = make_client(server.url, "s3")
    ks3_default.create_bucket(Bucket=bucket)
    assert ks3_default.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert ks3_default.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    ks3_default.delete_bucket(Bucket=bucket)

    # The same account id can be made again and starts empty.
    again = new_account(server, accountId=a["accountId"])
    assert again["rootAccessKeyId"] != a["rootAccessKeyId"]
    s3n, sqsn, ddbn = clients_for(server, again, "s3", "sqs", "dynamodb")
    assert s3n.list_buckets()["Buckets"] == []
    assert sqsn.list_queues().get("QueueUrls", []) == []
    assert ddbn.list_tables()["TableNames"] == []
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqsn.get_queue_url(QueueName=queue)
    assert "NonExistentQueue" in e.value.response["Error"]["Code"]
    streams = make_client(server.url, "dynamodbstreams", aws_access_key_id=again["rootAccessKeyId"],
                          aws_secret_access_key=again["rootSecretAccessKey"])
    assert streams.list_streams()["Streams"] == []

    # The other account is untouched.
    assert ks3.get_object(Bucket=kbucket, Key="small.txt")["Body"].read() == b"hello"
    assert ksqs.receive_message(QueueUrl=kurl)["Messages"][0]["Body"] == "m"
    assert kddb.get_item(TableName=ktable, Key={"k": {"S": "1"}})["Item"]
    admin(server, "DELETE", f"/_simfra/accounts/{keep['accountId']}")
    admin(server, "DELETE", f"/_simfra/accounts/{again['accountId']}")


def test_default_account_cannot_be_deleted(server):
    r = admin(server, "DELETE", f"/_simfra/accounts/{ACCOUNT_ID}")
    assert r.status_code == 400
    assert "reset" in error_of(r)
    assert make_client(server.url, "sts").get_caller_identity()["Account"] == ACCOUNT_ID


def test_reset_wipes_resources_but_keeps_keys(server):
    a = new_account(server)
    (s3, sqs, ddb), (bucket, queue, url, table) = populate(server, a, "rst")
    r = admin(server, "POST", f"/_simfra/accounts/{a['accountId']}/reset")
    assert r.status_code == 204, r.text
    assert admin(server, "GET", f"/_simfra/accounts/{a['accountId']}").json() == a
    assert s3.list_buckets()["Buckets"] == []
    assert sqs.list_queues().get("QueueUrls", []) == []
    assert ddb.list_tables()["TableNames"] == []
    # Keys still work, and the names can be reused.
    s3.create_bucket(Bucket=bucket)
    sqs.create_queue(QueueName=queue)
    assert admin(server, "POST", "/_simfra/accounts/999999999997/reset").status_code == 404
    assert admin(server, "GET", f"/_simfra/accounts/{a['accountId']}/reset").status_code == 405
    admin(server, "DELETE", f"/_simfra/accounts/{a['accountId']}")


def test_reset_default_account(server_factory):
    s = server_factory()
    s3 = s.client("s3")
    s3.create_bucket(Bucket="default-reset")
    r = admin(s, "POST", f"/_simfra/accounts/{ACCOUNT_ID}/reset")
    assert r.status_code == 204
    assert s3.list_buckets()["Buckets"] == []


# ---------------------------------------------------------------------------------------
# Admin token
# ---------------------------------------------------------------------------------------

def test_admin_token_required_except_health(server_factory):
    token = "t0ken-" + unique_name("x")
    s = server_factory(env={"SIMFRA_ADMIN_TOKEN": token})
    assert s.health().status_code == 200
    for method, path in [("GET", "/_simfra/accounts"), ("POST", "/_simfra/accounts"),
                         ("GET", f"/_simfra/accounts/{ACCOUNT_ID}"),
                         ("DELETE", "/_simfra/accounts/123456789012"),
                         ("POST", f"/_simfra/accounts/{ACCOUNT_ID}/reset"),
                         ("GET", "/_simfra/services"), ("GET", "/_simfra/services?names"),
                         ("GET", "/_simfra/storage/summary"), ("GET", "/_simfra/unknown")]:
        for auth in [None, "Bearer wrong", f"Basic {token}", f"Bearer {token}x"]:
            r = admin(s, method, path, headers={"Authorization": auth} if auth else {})
            assert r.status_code == 401, (method, path, auth, r.status_code)
            error_of(r)
    r = admin(s, "GET", "/_simfra/accounts", token=token)
    assert r.status_code == 200
    a = create(s, token=token).json()
    assert admin(s, "GET", f"/_simfra/accounts/{a['accountId']}", token=token).json() == a
    # AWS requests are not affected by the admin token.
    (sts,) = clients_for(s, a, "sts")
    assert sts.get_caller_identity()["Account"] == a["accountId"]


# ---------------------------------------------------------------------------------------
# Persistence
# ---------------------------------------------------------------------------------------

def body_files(data_dir: Path):
    root = data_dir / "s3"
    if not root.exists():
        return set()
    return {p for p in root.rglob("*") if p.is_file() and ".tmp" not in p.parts}


def test_accounts_persist_and_deletion_removes_bodies(server_factory, tmp_path):
    data = tmp_path / "data"
    s = server_factory(data_dir=data)
    a = new_account(s, accountId="424242424242")
    b = new_account(s)
    (s3a, sqsa, ddba), (bucket_a, queue_a, _, table_a) = populate(s, a, "pa")
    a_bodies = body_files(data)
    assert a_bodies, "bodies should be files under s3/"
    (s3b, _, _), (bucket_b, _, _, _) = populate(s, b, "pb")
    b_bodies = body_files(data) - a_bodies
    assert b_bodies

    # Neither the database nor its WAL holds a secret in plaintext.
    for name in ("simfra.db", "simfra.db-wal"):
        f = data / name
        if f.exists():
            raw = f.read_bytes()
            for acct in (a, b):
                assert acct["rootSecretAccessKey"].encode() not in raw, name

    r = admin(s, "DELETE", f"/_simfra/accounts/{b['accountId']}")
    assert r.status_code == 204
    s.stop()

    s2 = server_factory(data_dir=data)
    # A's keys still work after the restart and its resources are back.
    assert admin(s2, "GET", f"/_simfra/accounts/{a['accountId']}").json() == a
    s3a, sqsa, ddba, sts = clients_for(s2, a, "s3", "sqs", "dynamodb", "sts")
    assert sts.get_caller_identity()["Account"] == a["accountId"]
    assert [x["Name"] for x in s3a.list_buckets()["Buckets"]] == [bucket_a]
    assert s3a.get_object(Bucket=bucket_a, Key="small.txt")["Body"].read() == b"hello"
    assert table_a in ddba.list_tables()["TableNames"]
    assert any(queue_a in u for u in sqsa.list_queues().get("QueueUrls", []))
    # B is gone for good, keys included, and so are its bodies on disk (the deletion's
    # grace period ends at the latest with the process; the next start sweeps them).
    assert admin(s2, "GET", f"/_simfra/accounts/{b['accountId']}").status_code == 404
    (stsb,) = clients_for(s2, b, "sts")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        stsb.get_caller_identity()
    assert e.value.response["Error"]["Code"] == "InvalidClientTokenId"
    assert body_files(data) == a_bodies
    s3d = s2.client("s3")
    s3d.create_bucket(Bucket=bucket_b)  # B's bucket name is free
    assert s3d.list_objects_v2(Bucket=bucket_b)["KeyCount"] == 0

    # Reset A, restart: the account and keys stay, its resources and bodies do not.
    assert admin(s2, "POST", f"/_simfra/accounts/{a['accountId']}/reset").status_code == 204
    s2.stop()
    s3_ = server_factory(data_dir=data)
    s3a, ddba, sts = clients_for(s3_, a, "s3", "dynamodb", "sts")
    assert sts.get_caller_identity()["Account"] == a["accountId"]
    assert s3a.list_buckets()["Buckets"] == []
    assert ddba.list_tables()["TableNames"] == []
    # Only the default account's bucket (empty) is left: no body files at all.
    assert body_files(data) == set()
