"""Parser limits end to end: no request body can crash the server.

Every reproducer of issue #10's "no request can crash the process" (XML with a bad byte,
XML nested 40,000 deep, DynamoDB expressions with thousands of parentheses or NOT terms,
deep JSON) is sent signed, with valid keys, to the built binary. Each must get the
service's own 4xx error, leave state untouched, and leave the server alive.
"""
from __future__ import annotations

import base64
import hashlib
import json

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, signed_request, unique_name

BAD = b"\xff"
MALFORMED_XML_MESSAGE = "The XML you provided was not well-formed or did not validate against our published schema"


def s3_request(server, method, path, body=b"", headers=None):
    """A signed S3 request with the headers S3 wants for XML bodies (Content-MD5 and the
    payload hash), so the only thing wrong is the document."""
    hdrs = {
        "Content-MD5": base64.b64encode(hashlib.md5(body).digest()).decode(),
        "X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest(),
        "Content-Type": "application/xml",
    }
    hdrs.update(headers or {})
    return signed_request(method, server.url + path, "s3", body=body, headers=hdrs)


def assert_malformed_xml(server, r):
    assert r.status_code == 400, r.content
    assert error_code(r) == "MalformedXML", r.content
    assert MALFORMED_XML_MESSAGE.encode() in r.content
    assert b"<RequestId>" in r.content
    assert server.alive


def name():
    return unique_name("pl")





def bad_documents(root: str) -> list[bytes]:
    """The issue's reproducer (a non-UTF-8 byte as an element name) and its cousins: the
    byte in text, in an attribute value, in a name after valid bytes, a truncated UTF-8
    sequence, and a DOCTYPE with an entity."""
    r = root.encode()
    return [
        b"<" + r + b"><" + BAD + b"/></" + r + b">",
        b"<" + r + b"><Key>" + BAD + b"</Key></" + r + b">",
        b"<" + r + b' a="' + BAD + b'"></' + r + b">",
        b"<" + r + b"><Ab" + BAD + b"c>x</Ab" + BAD + b"c></" + r + b">",
        b"<" + r + b"><K>\xe2\x82</K></" + r + b">",
        b'<!DOCTYPE x [<!ENTITY e "boom">]><' + r + b">&e;</" + r + b">",
    ]


def test_create_bucket_with_a_bad_byte_is_malformed_xml_and_creates_nothing(server, s3):
    for doc in bad_documents("CreateBucketConfiguration"):
        b = name()
        assert_malformed_xml(server, s3_request(server, "PUT", f"/{b}", doc))
        with pytest.raises(ClientError):
            s3.head_bucket(Bucket=b)


SUBRESOURCES = [
    ("tagging", "Tagging"),
    ("cors", "CORSConfiguration"),
    ("lifecycle", "LifecycleConfiguration"),
    ("versioning", "VersioningConfiguration"),
    ("acl", "AccessControlPolicy"),
    ("notification", "NotificationConfiguration"),
    ("encryption", "ServerSideEncryptionConfiguration"),
]


@pytest.mark.parametrize("sub,root", SUBRESOURCES)
def test_bucket_configuration_with_a_bad_byte_is_malformed_xml(server, s3, bucket, sub, root):
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "keep", "Value": "me"}]})
    for doc in bad_documents(root):
        assert_malformed_xml(server, s3_request(server, "PUT", f"/{bucket}?{sub}", doc))
    # State untouched.
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "keep", "Value": "me"}]
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)


def test_object_tagging_with_a_bad_byte_is_malformed_xml(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="keep=me")
    for doc in bad_documents("Tagging"):
        assert_malformed_xml(server, s3_request(server, "PUT", f"/{bucket}/k?tagging", doc))
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == [{"Key": "keep", "Value": "me"}]


def test_delete_objects_with_a_bad_byte_deletes_nothing(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")
    for doc in bad_documents("Delete"):
        assert_malformed_xml(server, s3_request(server, "POST", f"/{bucket}?delete", doc))
    doc = b"<Delete><Object><Key>a</Key></Object><Object><Key>" + BAD + b"</Key></Object></Delete>"
    assert_malformed_xml(server, s3_request(server, "POST", f"/{bucket}?delete", doc))
    assert s3.get_object(Bucket=bucket, Key="a")["Body"].read() == b"x"


def test_complete_multipart_upload_with_a_bad_byte_completes_nothing(server, s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up, PartNumber=1, Body=b"p" * 10)["ETag"]
    good = f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>".encode()
    docs = bad_documents("CompleteMultipartUpload") + [good.replace(b"<ETag>", b"<ETag>" + BAD)]
    for doc in docs:
        assert_malformed_xml(server, s3_request(server, "POST", f"/{bucket}/mp?uploadId={up}", doc))
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="mp")
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])] == [up]
    # The same upload still completes with a well-formed document.
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"p" * 10


def test_xml_nested_40000_deep_is_malformed_xml(server, s3, bucket):
    depth = 40_000
    doc = b"<Tagging>" + b"<a>" * depth + b"</a>" * depth + b"</Tagging>"
    assert_malformed_xml(server, s3_request(server, "PUT", f"/{bucket}?tagging", doc))
    unclosed = b"<CreateBucketConfiguration>" + b"<a>" * depth
    b = name()
    assert_malformed_xml(server, s3_request(server, "PUT", f"/{b}", unclosed))
    with pytest.raises(ClientError):
        s3.get_bucket_tagging(Bucket=bucket)


def test_well_formed_documents_still_read_exactly(server, s3, bucket):
    """The reader keeps what S3 clients rely on: whitespace-only keys, CR via &#13;,
    entities, CDATA, namespaces and the XML declaration."""
    keys = ["   ", "\t", "cr\rkey", "a&b<c>", "ünï/😀"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    doc = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
           "<Object><Key>   </Key></Object><Object><Key>\t</Key></Object>"
           "<Object><Key>cr&#13;key</Key></Object><Object><Key>a&amp;b&lt;c&gt;</Key></Object>"
           "<Object><Key><![CDATA[ünï/😀]]></Key></Object><!-- done --></Delete>").encode()
    r = s3_request(server, "POST", f"/{bucket}?delete", doc)
    assert r.status_code == 200, r.content
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


# --------------------------------------------------------------------------------------
# DynamoDB
# --------------------------------------------------------------------------------------

@pytest.fixture
def ddb(client):
    return client("dynamodb")


@pytest.fixture
def table(ddb):
    t = name()
    ddb.create_table(TableName=t, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    ddb.put_item(TableName=t, Item={"pk": {"S": "k"}, "a": {"S": "x"}})
    return t


def validation_message(excinfo):
    e = excinfo.value.response["Error"]
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert e["Code"] == "ValidationException", e
    return e["Message"]


def test_expression_with_6150_nested_parentheses_is_a_validation_error(server, ddb, table):
    expr = "(" * 6150 + "a = :v" + ")" * 6150
    with pytest.raises(ClientError) as ei:
        ddb.put_item(TableName=table, Item={"pk": {"S": "k"}, "a": {"S": "y"}},
                     ConditionExpression=expr, ExpressionAttributeValues={":v": {"S": "x"}})
    assert validation_message(ei) == (
        "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 12306")
    assert server.alive
    # Within 4 KB, deep redundant parentheses are AWS's own error, not a crash.
    expr = "(" * 2000 + "a = :v" + ")" * 2000
    with pytest.raises(ClientError) as ei:
        ddb.scan(TableName=table, FilterExpression=expr, ExpressionAttributeValues={":v": {"S": "x"}})
    assert validation_message(ei) == "Invalid FilterExpression: The expression has redundant parentheses;"
    with pytest.raises(ClientError) as ei:
        ddb.scan(TableName=table, FilterExpression="(" * 4000 + "a = :v", ExpressionAttributeValues={":v": {"S": "x"}})
    assert validation_message(ei).startswith("Invalid FilterExpression: Syntax error;")
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "k"}})["Item"]["a"] == {"S": "x"}
    assert server.alive


def test_expression_with_31000_not_terms_is_a_validation_error(server, ddb, table):
    with pytest.raises(ClientError) as ei:
        ddb.scan(TableName=table, FilterExpression="NOT " * 31_000 + "a = :v",
                 ExpressionAttributeValues={":v": {"S": "x"}})
    assert "Expression size has exceeded the maximum allowed size" in validation_message(ei)
    with pytest.raises(ClientError) as ei:
        ddb.scan(TableName=table, FilterExpression=" AND ".join(["a = :v"] * 151),
                 ExpressionAttributeValues={":v": {"S": "x"}})
    assert validation_message(ei) == "Invalid FilterExpression: The expression contains too many operators; operator count: 301"
    # 300 operators is still fine.
    r = ddb.scan(TableName=table, FilterExpression=" AND ".join(["a = :v"] * 150),
                 ExpressionAttributeValues={":v": {"S": "x"}})
    assert r["Count"] == 1
    assert server.alive


def nested_av(wraps):
    v = {"S": "x"}
    for _ in range(wraps):
        v = {"M": {"a": v}}
    return v


def test_attribute_values_nest_at_most_31_deep(server, ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "ok"}, "d": nested_av(31)})
    with pytest.raises(ClientError) as ei:
        ddb.put_item(TableName=table, Item={"pk": {"S": "deep"}, "d": nested_av(32)})
    assert validation_message(ei) == (
        "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit")
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "deep"}})
    assert server.alive


def ddb_raw(server, target, body: bytes):
    return signed_request("POST", server.url + "/", "dynamodb", body=body, headers={
        "X-Amz-Target": f"DynamoDB_20120810.{target}", "Content-Type": "application/x-amz-json-1.0"})


def test_deep_json_on_dynamodb_is_a_serialization_error(server, ddb, table):
    for depth in (300, 100_000):
        inner = '{"M":{"a":' * depth + '{"S":"x"}' + "}}" * depth
        body = f'{{"TableName":"{table}","Item":{{"pk":{{"S":"deep"}},"d":{inner}}}}}'.encode()
        r = ddb_raw(server, "PutItem", body)
        assert r.status_code == 400, r.content
        assert error_code(r) == "SerializationException", r.content
    r = ddb_raw(server, "PutItem", b"[" * 1_000_000)
    assert r.status_code == 400 and error_code(r) == "SerializationException", r.content
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "deep"}})
    assert server.alive


def test_deep_partiql_literal_is_a_validation_error(server, ddb, table):
    with pytest.raises(ClientError) as ei:
        ddb.execute_statement(Statement=f"INSERT INTO \"{table}\" VALUE {{'pk': 'p', 'd': " + "[" * 8000 + "}")
    assert "Nesting Levels have exceeded supported limits" in validation_message(ei)
    assert server.alive


# --------------------------------------------------------------------------------------
# SQS
# --------------------------------------------------------------------------------------

def test_deep_json_on_sqs_is_refused(server, client):
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=name())["QueueUrl"]
    body = b'{"QueueUrl":' * 1 + b"[" * 200_000
    r = signed_request("POST", server.url + "/", "sqs", body=body, headers={
        "X-Amz-Target": "AmazonSQS.GetQueueAttributes", "Content-Type": "application/x-amz-json-1.0"})
    assert 400 <= r.status_code < 500, r.content
    assert error_code(r), r.content
    # A deeply nested policy document is an invalid attribute value, and changes nothing.
    policy = '{"Version":"2012-10-17","Statement":' + "[" * 50_000 + "]" * 50_000 + "}"
    with pytest.raises(ClientError) as ei:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert ei.value.response["Error"]["Code"] in ("InvalidAttributeValue", "AWS.SimpleQueueService.InvalidAttributeValue")
    assert "Policy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]).get("Attributes", {})
    redrive = '{"deadLetterTargetArn":' + "[" * 50_000 + "}"
    with pytest.raises(ClientError):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": redrive})
    assert server.alive
