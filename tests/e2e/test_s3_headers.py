"""S3 details AWS clients notice: PutBucketPolicy answers 204 No Content; Expires is stored and
answered back; aws-chunked (how a streamed body was framed) is dropped from the stored
Content-Encoding; tag rules answer S3's recorded messages (naming the tag); and a DynamoDB host's
unsigned GET / answers DynamoDB's health line.
"""
from __future__ import annotations

import datetime
import json

import requests

from conftest import unique_name
from test_signature_strictness import chunked_put


def test_put_bucket_policy_answers_204(s3):
    bucket = unique_name("b")
    s3.create_bucket(Bucket=bucket)
    out = s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
                                                "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_expires_is_stored_and_answered(s3):
    bucket = unique_name("b")
    s3.create_bucket(Bucket=bucket)
    when = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Expires=when)
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ResponseMetadata"]["HTTPHeaders"]["expires"] == "Wed, 02 Jan 2030 03:04:05 GMT"
    assert s3.get_object(Bucket=bucket, Key="k")["ResponseMetadata"]["HTTPHeaders"]["expires"] == "Wed, 02 Jan 2030 03:04:05 GMT"


def test_aws_chunked_is_not_stored_as_content_encoding(server, s3):
    bucket = unique_name("b")
    s3.create_bucket(Bucket=bucket)
    data = b"hello" * 10
    for key, encoding in (("gz", "aws-chunked,gzip"), ("plain", "aws-chunked")):
        r = chunked_put(server, bucket, key, data, len(data), content_encoding=encoding)
        assert r.status == 200, r.body
    assert s3.head_object(Bucket=bucket, Key="gz")["ContentEncoding"] == "gzip"
    assert "ContentEncoding" not in s3.head_object(Bucket=bucket, Key="plain")
    assert s3.get_object(Bucket=bucket, Key="plain")["Body"].read() == data


def test_dynamodb_host_health(server):
    r = requests.get(server.url + "/", headers={"Host": "dynamodb.eu-west-1.amazonaws.com"}, timeout=5)
    assert r.status_code == 200 and r.text == "healthy: dynamodb.eu-west-1.amazonaws.com"
    # Anything else at / is still S3's.
    assert requests.get(server.url + "/", timeout=5).status_code == 403


def _s3_error(e):
    err = e.value.response["Error"]
    return err["Code"], err["Message"], err.get("TagKey"), err.get("TagValue")


def test_tag_rules_with_s3s_messages(s3):
    import pytest
    from botocore.exceptions import ClientError
    bucket = unique_name("b")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    cases = [
        ([{"Key": "Key1", "Value": "a"}, {"Key": "Key1", "Value": "b"}],
         ("InvalidTag", "Cannot provide multiple Tags with the same key", "Key1", None),
         ("InvalidTag", "Cannot provide multiple Tags with the same key", "Key1", None)),
        ([{"Key": "aws:prefixed", "Value": "a"}],
         ("InvalidTag", "System tags cannot be added/updated by requester", "aws:prefixed", None),
         ("InvalidTag", "Your TagKey cannot be prefixed with aws:", "aws:prefixed", None)),
        ([{"Key": "Key1", "Value": "v" * 257}],
         ("InvalidTag", "The TagValue you have provided is invalid", "Key1", "v" * 257),
         ("InvalidTag", "The TagValue you have provided is invalid", "Key1", "v" * 257)),
    ]
    for tags, bucket_error, object_error in cases:
        with pytest.raises(ClientError) as e:
            s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
        assert _s3_error(e) == bucket_error
        with pytest.raises(ClientError) as e:
            s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": tags})
        assert _s3_error(e) == object_error
    eleven = [{"Key": f"k{i}", "Value": "v"} for i in range(11)]
    with pytest.raises(ClientError) as e:
        s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": eleven})
    assert _s3_error(e)[:2] == ("BadRequest", "Object tags cannot be greater than 10")
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": eleven})  # buckets take up to 50
    with pytest.raises(ClientError) as e:
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": f"k{i}", "Value": "v"} for i in range(51)]})
    assert _s3_error(e)[0] == "InvalidTag"
