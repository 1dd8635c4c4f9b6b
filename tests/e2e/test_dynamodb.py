"""DynamoDB end to end: boto3 client and resource APIs, the AWS CLI, AWS's error strings,
and the persistence contract (SIGTERM and SIGKILL)."""
import decimal
import json
import signal
import uuid

import boto3
import pytest
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, REGION, SECRET_KEY, make_client
from persistence_contract import run_contract


def name(prefix="t"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def error(exc):
    e = exc.value.response["Error"]
    return e["Code"], e["Message"]


def resource(url):
    return boto3.resource("dynamodb", endpoint_url=url, region_name=REGION,
                          aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)


def make_table(ddb, table=None, sort="N", **kw):
    table = table or name()
    ks = [{"AttributeName": "pk", "KeyType": "HASH"}]
    ad = [{"AttributeName": "pk", "AttributeType": "S"}]
    if sort:
        ks.append({"AttributeName": "sk", "KeyType": "RANGE"})
        ad.append({"AttributeName": "sk", "AttributeType": sort})
    ad += kw.pop("extra_defs", [])
    ddb.create_table(TableName=table, KeySchema=ks, AttributeDefinitions=ad,
                     BillingMode="PAY_PER_REQUEST", **kw)
    return table


# ---------------------------------------------------------------------------- tables

def test_create_describe_list_delete(client):
    ddb = client("dynamodb")
    t = make_table(ddb, Tags=[{"Key": "env", "Value": "test"}])
    d = ddb.describe_table(TableName=t)["Table"]
    assert d["TableStatus"] == "ACTIVE"
    assert d["TableArn"] == f"arn:aws:dynamodb:{REGION}:000000000000:table/{t}" or d["TableArn"].endswith(f":table/{t}")
    assert d["ItemCount"] == 0 and d["TableSizeBytes"] == 0
    assert d["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert t in ddb.list_tables()["TableNames"]
    tags = ddb.list_tags_of_resource(ResourceArn=d["TableArn"])["Tags"]
    assert tags == [{"Key": "env", "Value": "test"}]
    with pytest.raises(ClientError) as e:
        make_table(ddb, t)
    assert error(e) == ("ResourceInUseException", f"Table already exists: {t}")
    ddb.delete_table(TableName=t)
    with pytest.raises(ClientError) as e:
        ddb.describe_table(TableName=t)
    assert error(e) == ("ResourceNotFoundException", f"Requested resource not found: Table: {t} not found")


def test_create_table_validation(client):
    ddb = client("dynamodb")
    with pytest.raises(ClientError) as e:
        ddb.create_table(TableName=name(), KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                               {"AttributeName": "x", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
    assert error(e) == ("ValidationException", "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
    with pytest.raises(ClientError) as e:
        ddb.create_table(TableName=name(), KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    assert error(e) == ("ValidationException", "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
    with pytest.raises(ClientError) as e:
        ddb.create_table(TableName=name(), KeySchema=[{"AttributeName": "pk", "KeyType": "RANGE"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
    assert error(e) == ("ValidationException", "Invalid KeySchema: The first KeySchemaElement is not a HASH key type")


def test_list_tables_pagination(client):
    ddb = client("dynamodb")
    names = sorted(make_table(ddb, f"page-{i}-{uuid.uuid4().hex[:6]}", sort=None) for i in range(3))
    seen, kw = [], {"Limit": 1}
    while True:
        r = ddb.list_tables(**kw)
        assert len(r["TableNames"]) <= 1
        seen += r["TableNames"]
        if "LastEvaluatedTableName" not in r:
            break
        kw["ExclusiveStartTableName"] = r["LastEvaluatedTableName"]
    assert all(n in seen for n in names)
    paginated = [n for p in ddb.get_paginator("list_tables").paginate() for n in p["TableNames"]]
    assert all(n in paginated for n in names)


def test_update_table_gsi_backfill_and_settings(client):
    ddb = client("dynamodb")
    t = make_table(ddb)
    for i in range(5):
        ddb.put_item(TableName=t, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "g": {"S": f"g{i % 2}"}})
    ddb.update_table(TableName=t, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                     GlobalSecondaryIndexUpdates=[{"Create": {
                         "IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                         "Projection": {"ProjectionType": "ALL"}}}])
    d = ddb.describe_table(TableName=t)["Table"]
    assert d["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE"
    assert d["GlobalSecondaryIndexes"][0]["ItemCount"] == 5
    r = ddb.query(TableName=t, IndexName="by-g", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": {"S": "g0"}})
    assert r["Count"] == 3
    ddb.update_table(TableName=t, DeletionProtectionEnabled=True)
    with pytest.raises(ClientError) as e:
        ddb.delete_table(TableName=t)
    assert error(e)[0] == "ValidationException"
    ddb.update_table(TableName=t, DeletionProtectionEnabled=False,
                     GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-g"}}])
    assert "GlobalSecondaryIndexes" not in ddb.describe_table(TableName=t)["Table"]

    assert ddb.describe_time_to_live(TableName=t)["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"
    ddb.update_time_to_live(TableName=t, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    assert ddb.describe_time_to_live(TableName=t)["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}
    with pytest.raises(ClientError) as e:
        ddb.update_time_to_live(TableName=t, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    assert error(e) == ("ValidationException", "TimeToLive is already enabled")
    ddb.update_continuous_backups(TableName=t, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    pitr = ddb.describe_continuous_backups(TableName=t)["ContinuousBackupsDescription"]
    assert pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    assert ddb.describe_limits()["TableMaxReadCapacityUnits"] == 40000
    assert ddb.describe_endpoints()["Endpoints"][0]["CachePeriodInMinutes"] == 1440
    arn = ddb.describe_table(TableName=t)["Table"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    ddb.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]


# ---------------------------------------------------------------------------- items

def test_put_get_update_delete(client):
    ddb = client("dynamodb")
    t = make_table(ddb)
    key = {"pk": {"S": "a"}, "sk": {"N": "1"}}
    ddb.put_item(TableName=t, Item={**key, "n": {"N": "1.50"}, "tags": {"SS": ["x", "y"]},
                                    "doc": {"M": {"list": {"L": [{"S": "q"}]}}}, "status": {"S": "new"}})
    got = ddb.get_item(TableName=t, Key=key)["Item"]
    assert got["n"] == {"N": "1.5"}
    got = ddb.get_item(TableName=t, Key=key, ProjectionExpression="doc.#l[0], #s",
                       ExpressionAttributeNames={"#s": "status", "#l": "list"})["Item"]
    assert got == {"doc": {"M": {"list": {"L": [{"S": "q"}]}}}, "status": {"S": "new"}}

    r = ddb.update_item(TableName=t, Key=key,
                        UpdateExpression="SET n = n + :inc, doc.#l = list_append(doc.#l, :more), c = if_not_exists(c, :zero) ADD tags :t REMOVE #s",
                        ExpressionAttributeNames={"#s": "status", "#l": "list"},
                        ExpressionAttributeValues={":inc": {"N": "0.25"}, ":more": {"L": [{"S": "r"}]},
                                                   ":zero": {"N": "0"}, ":t": {"SS": ["z"]}},
                        ReturnValues="UPDATED_NEW")
    attrs = r["Attributes"]
    assert attrs["n"] == {"N": "1.75"}
    assert attrs["doc"] == {"M": {"list": {"L": [{"S": "q"}, {"S": "r"}]}}}
    assert sorted(attrs["tags"]["SS"]) == ["x", "y", "z"]
    r = ddb.update_item(TableName=t, Key=key, UpdateExpression="DELETE tags :t",
                        ExpressionAttributeValues={":t": {"SS": ["x"]}}, ReturnValues="ALL_OLD")
    assert "status" not in r["Attributes"]
    r = ddb.delete_item(TableName=t, Key=key, ReturnValues="ALL_OLD")
    assert sorted(r["Attributes"]["tags"]["SS"]) == ["y", "z"]
    assert "Item" not in ddb.get_item(TableName=t, Key=key)


def test_conditions_and_errors(client):
    ddb = client("dynamodb")
    t = make_table(ddb)
    item = {"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"N": "5"}}
    ddb.put_item(TableName=t, Item=item, ConditionExpression="attribute_not_exists(pk)")
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=t, Item=item, ConditionExpression="attribute_not_exists(pk)",
                     ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert error(e) == ("ConditionalCheckFailedException", "The conditional request failed")
    assert e.value.response["Item"] == item
    ddb.put_item(TableName=t, Item=item, ConditionExpression="v BETWEEN :a AND :b AND NOT contains(v, :a)",
                 ExpressionAttributeValues={":a": {"N": "1"}, ":b": {"N": "9"}})

    cases = [
        (dict(ConditionExpression="status = :v", ExpressionAttributeValues={":v": {"S": "x"}}),
         "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status"),
        (dict(ConditionExpression="v = :v"),
         "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :v"),
        (dict(ConditionExpression="v = :v", ExpressionAttributeValues={":v": {"S": "x"}, ":w": {"S": "y"}}),
         "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"),
        (dict(ConditionExpression="#n = :v", ExpressionAttributeValues={":v": {"S": "x"}}),
         "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #n"),
        (dict(ConditionExpression="v = ", ExpressionAttributeValues={":v": {"S": "x"}}),
         'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "= "'),
    ]
    for kw, msg in cases:
        with pytest.raises(ClientError) as e:
            ddb.put_item(TableName=t, Item=item, **kw)
        assert error(e) == ("ValidationException", msg), kw

    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=t, Item={"pk": {"N": "1"}, "sk": {"N": "1"}})
    assert error(e) == ("ValidationException", "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N")
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=t, Item={"pk": {"S": "a"}})
    assert error(e) == ("ValidationException", "One or more parameter values were invalid: Missing the key sk in the item")
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName=t, Key={"pk": {"S": "a"}})
    assert error(e) == ("ValidationException", "The provided key element does not match the schema")
    with pytest.raises(ClientError) as e:
        ddb.update_item(TableName=t, Key={"pk": {"S": "a"}, "sk": {"N": "1"}}, UpdateExpression="SET pk = :v",
                        ExpressionAttributeValues={":v": {"S": "b"}})
    assert error(e) == ("ValidationException", "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key")
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=t, Item={**item, "big": {"S": "x" * 400 * 1024}})
    assert error(e) == ("ValidationException", "Item size has exceeded the maximum allowed size")
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=t, Item={**item, "s": {"SS": ["a", "a"]}})
    assert error(e) == ("ValidationException", "One or more parameter values were invalid: Input collection [a, a] contains duplicates.")
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=t, Item={**item, "n": {"N": "1" * 39}})
    assert error(e) == ("ValidationException", "Attempting to store more than 38 significant digits in a Number")
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName="nope-" + uuid.uuid4().hex, Item=item)
    assert error(e) == ("ResourceNotFoundException", "Requested resource not found")


def test_number_precision(client):
    ddb = client("dynamodb")
    t = make_table(ddb)
    key = {"pk": {"S": "n"}, "sk": {"N": "0"}}
    ddb.put_item(TableName=t, Item={**key, "v": {"N": "0.1"}})
    r = ddb.update_item(TableName=t, Key=key, UpdateExpression="ADD v :x",
                        ExpressionAttributeValues={":x": {"N": "0.2"}}, ReturnValues="UPDATED_NEW")
    assert r["Attributes"]["v"] == {"N": "0.3"}
    big = "9" * 38
    ddb.put_item(TableName=t, Item={**key, "v": {"N": big}})
    r = ddb.update_item(TableName=t, Key=key, UpdateExpression="SET v = v - :one",
                        ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="ALL_NEW")
    assert r["Attributes"]["v"] == {"N": "9" * 37 + "8"}


# ---------------------------------------------------------------------------- query / scan

def test_query_and_scan(client):
    ddb = client("dynamodb")
    t = make_table(ddb, extra_defs=[{"AttributeName": "lsk", "AttributeType": "S"}],
                   LocalSecondaryIndexes=[{"IndexName": "lsi", "KeySchema": [
                       {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "lsk", "KeyType": "RANGE"}],
                       "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    for i in range(30):
        ddb.put_item(TableName=t, Item={"pk": {"S": "p" if i < 20 else "q"}, "sk": {"N": str(i)},
                                        "lsk": {"S": f"k{i:02d}"}, "odd": {"BOOL": i % 2 == 1}})
    r = ddb.query(TableName=t, KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                  ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "5"}, ":b": {"N": "9"}},
                  ScanIndexForward=False)
    assert [i["sk"]["N"] for i in r["Items"]] == ["9", "8", "7", "6", "5"]
    # pagination with Limit and a filter: Limit counts evaluated items
    items, kw = [], {}
    while True:
        r = ddb.query(TableName=t, KeyConditionExpression="pk = :p", FilterExpression="odd = :t",
                      ExpressionAttributeValues={":p": {"S": "p"}, ":t": {"BOOL": True}}, Limit=4, **kw)
        assert r["ScannedCount"] <= 4
        items += r["Items"]
        if "LastEvaluatedKey" not in r:
            break
        kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]
    assert [int(i["sk"]["N"]) for i in items] == list(range(1, 20, 2))
    r = ddb.query(TableName=t, IndexName="lsi", KeyConditionExpression="pk = :p AND begins_with(lsk, :k)",
                  ExpressionAttributeValues={":p": {"S": "p"}, ":k": {"S": "k1"}})
    assert r["Count"] == 10 and set(r["Items"][0]) == {"pk", "sk", "lsk"}
    r = ddb.query(TableName=t, KeyConditionExpression="pk = :p", Select="COUNT",
                  ExpressionAttributeValues={":p": {"S": "q"}})
    assert r["Count"] == 10 and "Items" not in r
    with pytest.raises(ClientError) as e:
        ddb.query(TableName=t, KeyConditionExpression="sk = :p", ExpressionAttributeValues={":p": {"N": "1"}})
    assert error(e) == ("ValidationException", "Query condition missed key schema element: pk")

    total = sum(ddb.scan(TableName=t, Segment=s, TotalSegments=3)["Count"] for s in range(3))
    assert total == 30
    pages = list(ddb.get_paginator("scan").paginate(TableName=t, PaginationConfig={"PageSize": 7}))
    assert sum(p["Count"] for p in pages) == 30 and len(pages) >= 5
    r = ddb.scan(TableName=t, FilterExpression="sk >= :n", ExpressionAttributeValues={":n": {"N": "25"}},
                 ProjectionExpression="sk")
    assert sorted(int(i["sk"]["N"]) for i in r["Items"]) == [25, 26, 27, 28, 29]


def test_one_megabyte_pages(client):
    ddb = client("dynamodb")
    t = make_table(ddb)
    blob = "x" * (300 * 1024)
    for i in range(8):
        ddb.put_item(TableName=t, Item={"pk": {"S": "big"}, "sk": {"N": str(i)}, "d": {"S": blob}})
    r = ddb.query(TableName=t, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "big"}})
    assert r["Count"] == 4 and "LastEvaluatedKey" in r
    r = ddb.scan(TableName=t)
    assert r["Count"] == 4 and "LastEvaluatedKey" in r


# ---------------------------------------------------------------------------- batch / transactions

def test_batch_operations(client):
    ddb = client("dynamodb")
    t = make_table(ddb)
    r = ddb.batch_write_item(RequestItems={t: [{"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": str(i)}}}}
                                              for i in range(25)]})
    assert r["UnprocessedItems"] == {}
    r = ddb.batch_get_item(RequestItems={t: {"Keys": [{"pk": {"S": "b"}, "sk": {"N": str(i)}} for i in range(0, 30, 3)]}})
    assert len(r["Responses"][t]) == 9 and r["UnprocessedKeys"] == {}
    with pytest.raises(ClientError) as e:
        ddb.batch_get_item(RequestItems={t: {"Keys": [{"pk": {"S": "b"}, "sk": {"N": "1"}}] * 2}})
    assert error(e) == ("ValidationException", "Provided list of item keys contains duplicates")
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={t: [{"DeleteRequest": {"Key": {"pk": {"S": "b"}, "sk": {"N": "1"}}}}] * 2})
    assert error(e) == ("ValidationException", "Provided list of item keys contains duplicates")
    ddb.batch_write_item(RequestItems={t: [{"DeleteRequest": {"Key": {"pk": {"S": "b"}, "sk": {"N": str(i)}}}} for i in range(10)]})
    assert ddb.scan(TableName=t, Select="COUNT")["Count"] == 15


def test_transactions(client):
    ddb = client("dynamodb")
    t = make_table(ddb)
    k1, k2 = {"pk": {"S": "x"}, "sk": {"N": "1"}}, {"pk": {"S": "x"}, "sk": {"N": "2"}}
    ddb.put_item(TableName=t, Item={**k1, "bal": {"N": "10"}})
    ddb.transact_write_items(TransactItems=[
        {"Update": {"TableName": t, "Key": k1, "UpdateExpression": "SET bal = bal - :a",
                    "ConditionExpression": "bal >= :a", "ExpressionAttributeValues": {":a": {"N": "4"}}}},
        {"Put": {"TableName": t, "Item": {**k2, "bal": {"N": "4"}}}},
    ], ClientRequestToken="tok-1")
    assert ddb.get_item(TableName=t, Key=k1)["Item"]["bal"] == {"N": "6"}
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"ConditionCheck": {"TableName": t, "Key": k2, "ConditionExpression": "attribute_not_exists(pk)",
                                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
            {"Delete": {"TableName": t, "Key": k1}},
        ])
    code, msg = error(e)
    assert code == "TransactionCanceledException"
    assert msg == "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]"
    reasons = e.value.response["CancellationReasons"]
    assert reasons[0]["Code"] == "ConditionalCheckFailed" and reasons[0]["Item"]["bal"] == {"N": "4"}
    assert reasons[1] == {"Code": "None"}
    assert "Item" in ddb.get_item(TableName=t, Key=k1)
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[{"Delete": {"TableName": t, "Key": k1}},
                                                {"Put": {"TableName": t, "Item": k1}}])
    assert error(e) == ("ValidationException", "Transaction request cannot include multiple operations on one item")
    r = ddb.transact_get_items(TransactItems=[{"Get": {"TableName": t, "Key": k1}},
                                              {"Get": {"TableName": t, "Key": {"pk": {"S": "none"}, "sk": {"N": "0"}}}}])
    assert r["Responses"][0]["Item"]["bal"] == {"N": "6"} and r["Responses"][1] == {}


# ---------------------------------------------------------------------------- resource API and CLI

def test_resource_table_api(server):
    ddb = resource(server.url)
    t = ddb.create_table(TableName=name("res"), KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                                           {"AttributeName": "sk", "KeyType": "RANGE"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                               {"AttributeName": "sk", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
    t.wait_until_exists()
    with t.batch_writer() as bw:
        for i in range(40):
            bw.put_item(Item={"pk": "user", "sk": f"order#{i:03d}", "amount": decimal.Decimal(i) / 4})
    r = t.query(KeyConditionExpression=Key("pk").eq("user") & Key("sk").begins_with("order#01"))
    assert r["Count"] == 10 and r["Items"][0]["amount"] == decimal.Decimal("2.5")
    r = t.scan(FilterExpression=Attr("amount").gt(9))
    assert r["Count"] == 3
    t.update_item(Key={"pk": "user", "sk": "order#000"}, UpdateExpression="SET note = :n",
                  ExpressionAttributeValues={":n": "first"})
    assert t.get_item(Key={"pk": "user", "sk": "order#000"})["Item"]["note"] == "first"
    t.delete_item(Key={"pk": "user", "sk": "order#000"})
    assert t.item_count == 39


def test_cli(server, aws_cli):
    t = name("cli")
    r = aws_cli("dynamodb", "create-table", "--table-name", t,
                "--attribute-definitions", "AttributeName=id,AttributeType=S",
                "--key-schema", "AttributeName=id,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST")
    assert r.returncode == 0, r.stderr
    assert r.json["TableDescription"]["TableName"] == t
    r = aws_cli("dynamodb", "put-item", "--table-name", t, "--item", '{"id": {"S": "1"}, "v": {"N": "42"}}')
    assert r.returncode == 0, r.stderr
    r = aws_cli("dynamodb", "get-item", "--table-name", t, "--key", '{"id": {"S": "1"}}')
    assert r.json["Item"]["v"] == {"N": "42"}
    r = aws_cli("dynamodb", "scan", "--table-name", t)
    assert r.json["Count"] == 1
    r = aws_cli("dynamodb", "list-tables")
    assert t in r.json["TableNames"]
    r = aws_cli("dynamodb", "get-item", "--table-name", t, "--key", '{"id": {"N": "1"}}')
    assert r.returncode != 0 and "The provided key element does not match the schema" in r.stderr


# ---------------------------------------------------------------------------- persistence

def _scenario(url):
    ddb = make_client(url, "dynamodb")
    make_table(ddb, "persist-a", extra_defs=[{"AttributeName": "g", "AttributeType": "S"}],
               GlobalSecondaryIndexes=[{"IndexName": "gsi-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                        "Projection": {"ProjectionType": "ALL"}}],
               Tags=[{"Key": "k", "Value": "v"}])
    make_table(ddb, "persist-b", sort=None)
    for i in range(50):
        ddb.put_item(TableName="persist-a", Item={"pk": {"S": f"p{i % 5}"}, "sk": {"N": str(i)},
                                                  "g": {"S": f"g{i % 3}"}, "b": {"B": bytes([i])},
                                                  "m": {"M": {"n": {"N": f"{i}.5"}, "l": {"L": [{"NULL": True}]}}}})
    ddb.update_item(TableName="persist-a", Key={"pk": {"S": "p0"}, "sk": {"N": "0"}},
                    UpdateExpression="SET x = :x", ExpressionAttributeValues={":x": {"SS": ["a", "b"]}})
    ddb.delete_item(TableName="persist-a", Key={"pk": {"S": "p1"}, "sk": {"N": "1"}})
    ddb.batch_write_item(RequestItems={"persist-b": [{"PutRequest": {"Item": {"pk": {"S": str(i)}}}} for i in range(20)]})
    ddb.transact_write_items(TransactItems=[{"Delete": {"TableName": "persist-b", "Key": {"pk": {"S": "3"}}}}])
    ddb.update_time_to_live(TableName="persist-b", TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"})
    make_table(ddb, "persist-gone", sort=None)
    ddb.put_item(TableName="persist-gone", Item={"pk": {"S": "x"}})
    ddb.delete_table(TableName="persist-gone")


def _stable(item):
    """A sort key independent of attribute order in the decoded dict."""
    return json.dumps(item, sort_keys=True, default=repr)


def _snapshot(url):
    ddb = make_client(url, "dynamodb")
    snap = {"tables": ddb.list_tables()["TableNames"]}
    for t in snap["tables"]:
        snap[t] = {
            "describe": ddb.describe_table(TableName=t)["Table"],
            "items": sorted(ddb.scan(TableName=t)["Items"], key=_stable),
            "ttl": ddb.describe_time_to_live(TableName=t),
            "tags": ddb.list_tags_of_resource(ResourceArn=ddb.describe_table(TableName=t)["Table"]["TableArn"]),
        }
    # Items sharing a GSI hash key (no GSI sort key) come back in no defined order.
    snap["gsi"] = sorted(ddb.query(TableName="persist-a", IndexName="gsi-g", KeyConditionExpression="g = :g",
                                   ExpressionAttributeValues={":g": {"S": "g1"}})["Items"], key=_stable)
    return snap


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_persistence_contract(server_factory, tmp_path, sig):
    second, before = run_contract(server_factory, tmp_path, _scenario, _snapshot, sig=sig)
    assert before["persist-a"]["describe"]["ItemCount"] == 49
    assert before["persist-b"]["describe"]["ItemCount"] == 19
    assert "persist-gone" not in before["tables"]


# ---------------------------------------------------------------------------- streams / TTL

def test_streams(client):
    ddb = client("dynamodb")
    t = make_table(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    d = ddb.describe_table(TableName=t)["Table"]
    assert d["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    key = {"pk": {"S": "s"}, "sk": {"N": "1"}}
    ddb.put_item(TableName=t, Item={**key, "v": {"N": "1"}})
    ddb.update_item(TableName=t, Key=key, UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"N": "2"}})
    ddb.delete_item(TableName=t, Key=key)
    streams = client("dynamodbstreams")
    listed = streams.list_streams(TableName=t)["Streams"]
    assert [s["StreamArn"] for s in listed] == [d["LatestStreamArn"]]
    desc = streams.describe_stream(StreamArn=d["LatestStreamArn"])["StreamDescription"]
    assert desc["StreamStatus"] == "ENABLED" and desc["TableName"] == t
    shard = desc["Shards"][0]["ShardId"]
    assert "LastEvaluatedShardId" not in desc
    # Paging past the last shard lists none (stream readers page until the list runs out).
    after = streams.describe_stream(StreamArn=d["LatestStreamArn"], ExclusiveStartShardId=shard)["StreamDescription"]
    assert after["Shards"] == [] and "LastEvaluatedShardId" not in after
    before = streams.describe_stream(StreamArn=d["LatestStreamArn"], ExclusiveStartShardId="shardId-" + "0" * 20 + "-" + "0" * 8)["StreamDescription"]
    assert [s["ShardId"] for s in before["Shards"]] == [shard]
    it = streams.get_shard_iterator(StreamArn=d["LatestStreamArn"], ShardId=shard,
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    r = streams.get_records(ShardIterator=it)
    recs = r["Records"]
    assert [x["eventName"] for x in recs] == ["INSERT", "MODIFY", "REMOVE"]
    assert recs[1]["dynamodb"]["OldImage"]["v"] == {"N": "1"} and recs[1]["dynamodb"]["NewImage"]["v"] == {"N": "2"}
    assert recs[0]["dynamodb"]["Keys"] == key
    assert streams.get_records(ShardIterator=r["NextShardIterator"])["Records"] == []


def test_ttl_expiry(client):
    import time
    ddb = client("dynamodb")
    t = make_table(ddb, sort=None)
    ddb.update_time_to_live(TableName=t, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    ddb.put_item(TableName=t, Item={"pk": {"S": "old"}, "exp": {"N": str(int(time.time()) - 10)}})
    ddb.put_item(TableName=t, Item={"pk": {"S": "new"}, "exp": {"N": str(int(time.time()) + 3600)}})
    deadline = time.time() + 15
    while time.time() < deadline and "Item" in ddb.get_item(TableName=t, Key={"pk": {"S": "old"}}):
        time.sleep(0.5)
    assert "Item" not in ddb.get_item(TableName=t, Key={"pk": {"S": "old"}})
    assert "Item" in ddb.get_item(TableName=t, Key={"pk": {"S": "new"}})


def test_partiql(client):
    ddb = client("dynamodb")
    t = make_table(ddb)
    ddb.execute_statement(Statement=f"INSERT INTO \"{t}\" VALUE {{'pk': 'a', 'sk': 1, 'v': 'x'}}")
    ddb.execute_statement(Statement=f"INSERT INTO \"{t}\" VALUE {{'pk': ?, 'sk': ?}}",
                          Parameters=[{"S": "b"}, {"N": "2"}])
    with pytest.raises(ClientError) as e:
        ddb.execute_statement(Statement=f"INSERT INTO \"{t}\" VALUE {{'pk': 'a', 'sk': 1}}")
    assert error(e)[0] == "DuplicateItemException"
    ddb.execute_statement(Statement=f"UPDATE \"{t}\" SET v = 'y' WHERE pk = 'a' AND sk = 1")
    r = ddb.execute_statement(Statement=f"SELECT v FROM \"{t}\" WHERE pk = ? AND sk = ?",
                              Parameters=[{"S": "a"}, {"N": "1"}])
    assert r["Items"] == [{"v": {"S": "y"}}]
    ddb.execute_statement(Statement=f"DELETE FROM \"{t}\" WHERE pk = 'b' AND sk = 2")
    assert len(ddb.execute_statement(Statement=f"SELECT * FROM \"{t}\"")["Items"]) == 1
    r = ddb.batch_execute_statement(Statements=[
        {"Statement": f"SELECT * FROM \"{t}\" WHERE pk = 'a' AND sk = 1"},
        {"Statement": f"INSERT INTO \"{t}\" VALUE {{'pk': 'a', 'sk': 1}}"},
    ])["Responses"]
    assert r[0]["Item"]["v"] == {"S": "y"}
    assert r[1]["Error"]["Code"] == "DuplicateItem"
