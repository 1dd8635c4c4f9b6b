"""S3 end to end: buckets, objects, listing, multipart, versioning, bucket configuration,
presigned URLs, virtual hosts, the AWS CLI, hostile keys, persistence and memory bounds.

Everything goes through real clients (boto3, the AWS CLI, requests, raw sockets) against
the built binary.
"""
from __future__ import annotations

import base64
import datetime as dt
import email.utils
import hashlib
import http.client
import io
import os
import signal
import socket
import threading
import time
import unicodedata
import urllib.parse
import uuid
import zlib

import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import (ACCOUNT_ID, RawHTTP, client_error_info, make_client, sign_headers, unique_name)
from persistence_contract import run_contract

MiB = 1024 * 1024


def bucket_name(prefix="b"):
    return unique_name(prefix)





def err(excinfo):
    """(status, code, full error dict) of a ClientError."""
    r = excinfo.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Code"), r["Error"]


def _crc_table(poly, width):
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table, (1 << width) - 1


_CRC = {"CRC32C": _crc_table(0x82F63B78, 32), "CRC64NVME": _crc_table(0x9A6C9329AC4BC9B5, 64)}


def crc(algorithm: str, data: bytes) -> str:
    """Base64 big-endian checksum as S3 sends it (CRC32C / CRC64NVME need awscrt in botocore)."""
    if algorithm == "CRC32":
        return b64(zlib.crc32(data).to_bytes(4, "big"))
    table, mask = _CRC[algorithm]
    c = mask
    for b in data:
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    c ^= mask
    return b64(c.to_bytes(4 if mask == 0xFFFFFFFF else 8, "big"))


def checksum_args(algorithm: str, data: bytes) -> dict:
    """put_object/upload_part arguments asking for `algorithm`: botocore computes CRC32,
    SHA1 and SHA256 itself; the CRT-only ones are precomputed here."""
    if algorithm in ("CRC32C", "CRC64NVME"):
        return {f"Checksum{algorithm}": crc(algorithm, data)}
    return {"ChecksumAlgorithm": algorithm}


def md5_hex(b: bytes) -> str:
    return hashlib.md5(b).hexdigest()


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


# ======================================================================================
# Buckets
# ======================================================================================

def test_bucket_lifecycle(s3):
    name = bucket_name()
    r = s3.create_bucket(Bucket=name)
    assert r["Location"] == f"/{name}"
    head = s3.head_bucket(Bucket=name)
    assert head["BucketRegion"] == "us-east-1"
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert name in names
    owner = s3.list_buckets()["Owner"]
    assert len(owner["ID"]) == 64
    # Re-creating one's own bucket in us-east-1 is a 200 (legacy behaviour).
    assert s3.create_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    s3.delete_bucket(Bucket=name)
    with pytest.raises(ClientError) as ei:
        s3.head_bucket(Bucket=name)
    assert err(ei)[0] == 404
    with pytest.raises(ClientError) as ei:
        s3.delete_bucket(Bucket=name)
    status, code, e = err(ei)
    assert (status, code) == (404, "NoSuchBucket")
    assert e["BucketName"] == name


@pytest.mark.parametrize("name", ["ab", "a" * 64, "Upper-Case", "-leading", "trailing-", "a..b", "192.168.1.1",
                                  "xn--punycode", "under_score", "ends-s3alias"])
def test_invalid_bucket_names(s3, name):
    with pytest.raises(ClientError) as ei:
        s3.create_bucket(Bucket=name)
    status, code, e = err(ei)
    assert (status, code) == (400, "InvalidBucketName")


def test_location_constraint_rules(client):
    eu = client("s3", region_name="eu-west-1")
    name = bucket_name()
    # A regional endpoint needs the matching constraint.
    with pytest.raises(ClientError) as ei:
        eu.create_bucket(Bucket=name)
    assert err(ei)[:2] == (400, "IllegalLocationConstraintException")
    with pytest.raises(ClientError) as ei:
        eu.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    assert err(ei)[:2] == (400, "IllegalLocationConstraintException")
    eu.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert eu.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
    assert eu.head_bucket(Bucket=name)["BucketRegion"] == "eu-west-1"
    # Outside us-east-1 a repeated create is BucketAlreadyOwnedByYou.
    with pytest.raises(ClientError) as ei:
        eu.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    status, code, e = err(ei)
    assert (status, code) == (409, "BucketAlreadyOwnedByYou")
    assert e["BucketName"] == name
    # us-east-1 spelt out is invalid.
    us = client("s3")
    with pytest.raises(ClientError) as ei:
        us.create_bucket(Bucket=bucket_name(), CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
    assert err(ei)[:2] == (400, "InvalidLocationConstraint")
    # The global endpoint may create in another region.
    other = bucket_name()
    us.create_bucket(Bucket=other, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"})
    assert us.get_bucket_location(Bucket=other)["LocationConstraint"] == "ap-southeast-2"
    regions = {b["Name"]: b["BucketRegion"] for b in us.list_buckets()["Buckets"]}
    assert regions[other] == "ap-southeast-2" and regions[name] == "eu-west-1"


def test_list_buckets_prefix_and_pagination(s3):
    tag = uuid.uuid4().hex[:8]
    names = sorted(f"lb-{tag}-{i}" for i in range(5))
    for n in names:
        s3.create_bucket(Bucket=n)
    r = s3.list_buckets(Prefix=f"lb-{tag}-")
    assert [b["Name"] for b in r["Buckets"]] == names
    page1 = s3.list_buckets(Prefix=f"lb-{tag}-", MaxBuckets=2)
    assert [b["Name"] for b in page1["Buckets"]] == names[:2]
    page2 = s3.list_buckets(Prefix=f"lb-{tag}-", MaxBuckets=10, ContinuationToken=page1["ContinuationToken"])
    assert [b["Name"] for b in page2["Buckets"]] == names[2:]
    assert "ContinuationToken" not in page2


def test_delete_bucket_not_empty(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as ei:
        s3.delete_bucket(Bucket=bucket)
    status, code, e = err(ei)
    assert (status, code) == (409, "BucketNotEmpty")
    assert e["BucketName"] == bucket
    s3.delete_object(Bucket=bucket, Key="k")
    s3.delete_bucket(Bucket=bucket)


def test_no_such_bucket_on_object_operations(s3):
    missing = bucket_name("missing")
    for call in (lambda: s3.put_object(Bucket=missing, Key="k", Body=b"x"),
                 lambda: s3.get_object(Bucket=missing, Key="k"),
                 lambda: s3.list_objects_v2(Bucket=missing)):
        with pytest.raises(ClientError) as ei:
            call()
        status, code, e = err(ei)
        assert (status, code) == (404, "NoSuchBucket")
        assert e["BucketName"] == missing


# ======================================================================================
# Objects
# ======================================================================================

def test_put_get_head_roundtrip(s3, bucket):
    body = os.urandom(100_000)
    r = s3.put_object(Bucket=bucket, Key="dir/file.bin", Body=body, ContentType="application/x-test",
                      ContentEncoding="identity", ContentDisposition="attachment; filename=f.bin",
                      ContentLanguage="en", CacheControl="max-age=60", Metadata={"Color": "blue", "n": "1"},
                      StorageClass="STANDARD_IA", Tagging="a=1&b=two%20words")
    assert r["ETag"] == f'"{md5_hex(body)}"'
    assert r["ServerSideEncryption"] == "AES256"
    g = s3.get_object(Bucket=bucket, Key="dir/file.bin")
    assert g["Body"].read() == body
    assert g["ContentLength"] == len(body)
    assert g["ETag"] == r["ETag"]
    assert g["ContentType"] == "application/x-test"
    assert g["ContentEncoding"] == "identity"
    assert g["ContentDisposition"] == "attachment; filename=f.bin"
    assert g["ContentLanguage"] == "en"
    assert g["CacheControl"] == "max-age=60"
    assert g["Metadata"] == {"color": "blue", "n": "1"}
    assert g["StorageClass"] == "STANDARD_IA"
    assert g["TagCount"] == 2
    assert g["AcceptRanges"] == "bytes"
    h = s3.head_object(Bucket=bucket, Key="dir/file.bin")
    assert h["ContentLength"] == len(body) and h["ETag"] == r["ETag"]
    assert h["Metadata"] == {"color": "blue", "n": "1"}
    tags = s3.get_object_tagging(Bucket=bucket, Key="dir/file.bin")["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("a", "1"), ("b", "two words")]
    # Default content type, empty body.
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    g = s3.get_object(Bucket=bucket, Key="empty")
    assert g["Body"].read() == b"" and g["ContentType"] == "binary/octet-stream"
    assert g["ETag"] == f'"{md5_hex(b"")}"'


def test_overwrite_replaces_body(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"first")
    s3.put_object(Bucket=bucket, Key="k", Body=b"second body")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"second body"
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 1


def test_no_such_key(s3, bucket):
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="nope/missing")
    status, code, e = err(ei)
    assert (status, code) == (404, "NoSuchKey")
    assert e["Key"] == "nope/missing"
    with pytest.raises(ClientError) as ei:
        s3.head_object(Bucket=bucket, Key="nope")
    assert err(ei)[0] == 404


def test_key_too_long(s3, bucket):
    with pytest.raises(ClientError) as ei:
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x")
    status, code, e = err(ei)
    assert (status, code) == (400, "KeyTooLongError")
    s3.put_object(Bucket=bucket, Key="k" * 1024, Body=b"x")
    assert s3.get_object(Bucket=bucket, Key="k" * 1024)["Body"].read() == b"x"


def test_entity_too_large(server, bucket):
    """A declared single PUT above 5 GiB is refused before any body is read."""
    size = 5 * 1024 * MiB + 1
    url = f"{server.url}/{bucket}/too-big"
    headers = sign_headers("PUT", url, "s3", headers={"Content-Length": str(size)}, unsigned_payload=True)
    headers["Host"] = f"127.0.0.1:{server.port}"
    with RawHTTP(server) as c:
        c.send((f"PUT /{bucket}/too-big HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode())
        # The server drains what a client had already sent (up to 1 MiB) before it answers and closes.
        try:
            c.send(b"\0" * (2 * MiB))
        except (BrokenPipeError, ConnectionResetError):
            pass
        r = c.read_response()
    assert r.status == 400, r.body
    assert b"<Code>EntityTooLarge</Code>" in r.body and b"<MaxSizeAllowed>5368709120</MaxSizeAllowed>" in r.body


def test_content_md5(s3, bucket):
    body = b"hello md5"
    s3.put_object(Bucket=bucket, Key="ok", Body=body, ContentMD5=b64(hashlib.md5(body).digest()))
    with pytest.raises(ClientError) as ei:
        s3.put_object(Bucket=bucket, Key="bad", Body=body, ContentMD5=b64(hashlib.md5(b"other").digest()))
    assert err(ei)[:2] == (400, "BadDigest")
    with pytest.raises(ClientError) as ei:
        s3.put_object(Bucket=bucket, Key="bad", Body=body, ContentMD5="not-base64!")
    assert err(ei)[:2] == (400, "InvalidDigest")
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="bad")


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"])
def test_flexible_checksums(s3, bucket, algorithm):
    body = os.urandom(30_000)
    r = s3.put_object(Bucket=bucket, Key=f"c-{algorithm}", Body=body, **checksum_args(algorithm, body))
    value = r.get(f"Checksum{algorithm}")
    assert value
    if algorithm == "SHA256":
        assert value == b64(hashlib.sha256(body).digest())
    if algorithm == "SHA1":
        assert value == b64(hashlib.sha1(body).digest())
    if algorithm.startswith("CRC"):
        assert value == crc(algorithm, body)
    g = s3.get_object(Bucket=bucket, Key=f"c-{algorithm}", ChecksumMode="ENABLED")
    assert g["Body"].read() == body
    assert g[f"Checksum{algorithm}"] == value
    assert g["ChecksumType"] == "FULL_OBJECT"
    attrs = s3.get_object_attributes(Bucket=bucket, Key=f"c-{algorithm}", ObjectAttributes=["Checksum"])
    assert attrs["Checksum"][f"Checksum{algorithm}"] == value


def test_default_crc64nvme_when_no_checksum_sent(server, bucket):
    """An upload without a checksum gets S3's default CRC64NVME, returned by PutObject and stored."""
    plain = make_client(server.url, "s3", config=Config(request_checksum_calculation="when_required",
                                                        response_checksum_validation="when_required"))
    body = os.urandom(20_000)
    r = plain.put_object(Bucket=bucket, Key="default-crc", Body=body)
    assert r["ChecksumCRC64NVME"] == crc("CRC64NVME", body)
    assert r["ChecksumType"] == "FULL_OBJECT"
    g = plain.get_object(Bucket=bucket, Key="default-crc", ChecksumMode="ENABLED")
    assert g["Body"].read() == body and g["ChecksumCRC64NVME"] == r["ChecksumCRC64NVME"]
    # A multipart upload created without a checksum gets the full-object CRC64NVME of the whole body.
    up = plain.create_multipart_upload(Bucket=bucket, Key="default-mpu")["UploadId"]
    first, second = b"a" * (5 * 1024 * 1024), b"tail bytes"
    e1 = plain.upload_part(Bucket=bucket, Key="default-mpu", UploadId=up, PartNumber=1, Body=first)["ETag"]
    e2 = plain.upload_part(Bucket=bucket, Key="default-mpu", UploadId=up, PartNumber=2, Body=second)["ETag"]
    done = plain.complete_multipart_upload(Bucket=bucket, Key="default-mpu", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    assert done["ChecksumType"] == "FULL_OBJECT"
    assert done["ChecksumCRC64NVME"] == crc("CRC64NVME", first + second)
    h = plain.head_object(Bucket=bucket, Key="default-mpu", ChecksumMode="ENABLED")
    assert h["ChecksumCRC64NVME"] == done["ChecksumCRC64NVME"] and h["ETag"].endswith('-2"')


def test_checksum_header_mismatch(s3, bucket):
    body = b"checksummed"
    good = b64(hashlib.sha256(body).digest())
    s3.put_object(Bucket=bucket, Key="sha", Body=body, ChecksumSHA256=good)
    with pytest.raises(ClientError) as ei:
        s3.put_object(Bucket=bucket, Key="sha2", Body=body, ChecksumSHA256=b64(hashlib.sha256(b"x").digest()))
    assert err(ei)[:2] == (400, "BadDigest")


@pytest.mark.parametrize("repeat", [40, 1200], ids=["in-memory-10KiB", "file-300KiB"])
def test_ranges(s3, bucket, repeat):
    # 10 KiB stays in memory; 300 KiB is a file, sent with sendfile above 64 KiB (with an
    # offset for ranges) and gathered into the head's write below.
    body = bytes(range(256)) * repeat
    s3.put_object(Bucket=bucket, Key="r", Body=body)
    n = len(body)
    for header, start, end in [("bytes=0-9", 0, 9), ("bytes=100-", 100, n - 1), ("bytes=-10", n - 10, n - 1),
                               (f"bytes={n - 40}-{n + 99999}", n - 40, n - 1), ("bytes=70000-", 70000, n - 1),
                               ("bytes=1-65537", 1, 65537), ("bytes=-65536", n - 65536, n - 1)]:
        if start < 0 or start > end or end >= n:
            continue
        g = s3.get_object(Bucket=bucket, Key="r", Range=header)
        assert g["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert g["ContentRange"] == f"bytes {start}-{end}/{len(body)}"
        assert g["Body"].read() == body[start:end + 1]
        assert g["ContentLength"] == end - start + 1
    # Unparseable ranges are ignored: the whole object, 200.
    g = s3.get_object(Bucket=bucket, Key="r", Range="bytes=5-2")
    assert g["ResponseMetadata"]["HTTPStatusCode"] == 200 and len(g["Body"].read()) == len(body)
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="r", Range=f"bytes={n + 10}-")
    status, code, e = err(ei)
    assert (status, code) == (416, "InvalidRange")
    assert e["ActualObjectSize"] == str(len(body))
    assert ei.value.response["ResponseMetadata"]["HTTPHeaders"]["content-range"] == f"bytes */{len(body)}"
    h = s3.head_object(Bucket=bucket, Key="r", Range="bytes=0-99")
    assert h["ResponseMetadata"]["HTTPStatusCode"] == 206 and h["ContentLength"] == 100


def test_conditional_get(s3, bucket):
    r = s3.put_object(Bucket=bucket, Key="c", Body=b"conditional")
    etag = r["ETag"]
    past = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"conditional"
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"0123"')
    status, code, e = err(ei)
    assert (status, code) == (412, "PreconditionFailed")
    assert e["Condition"] == "If-Match"
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert err(ei)[0] == 304
    assert ei.value.response["ResponseMetadata"]["HTTPHeaders"]["etag"] == etag
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=future)
    assert err(ei)[0] == 304
    assert s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=past)["Body"].read() == b"conditional"
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="c", IfUnmodifiedSince=past)
    assert err(ei)[:2] == (412, "PreconditionFailed")
    # If-Match true wins over a failing If-Unmodified-Since.
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag, IfUnmodifiedSince=past)["Body"].read() == b"conditional"
    with pytest.raises(ClientError) as ei:
        s3.head_object(Bucket=bucket, Key="c", IfNoneMatch="*")
    assert err(ei)[0] == 304
    with pytest.raises(ClientError) as ei:
        s3.head_object(Bucket=bucket, Key="c", IfMatch='"nope"')
    assert err(ei)[0] == 412


def test_conditional_put(s3, bucket):
    s3.put_object(Bucket=bucket, Key="once", Body=b"1", IfNoneMatch="*")
    with pytest.raises(ClientError) as ei:
        s3.put_object(Bucket=bucket, Key="once", Body=b"2", IfNoneMatch="*")
    assert err(ei)[:2] == (412, "PreconditionFailed")
    etag = s3.head_object(Bucket=bucket, Key="once")["ETag"]
    s3.put_object(Bucket=bucket, Key="once", Body=b"3", IfMatch=etag)
    with pytest.raises(ClientError) as ei:
        s3.put_object(Bucket=bucket, Key="once", Body=b"4", IfMatch=etag)
    assert err(ei)[:2] == (412, "PreconditionFailed")
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"3"


def test_response_overrides(s3, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"x", ContentType="text/plain")
    g = s3.get_object(Bucket=bucket, Key="o", ResponseContentType="application/json",
                      ResponseContentDisposition="inline", ResponseCacheControl="no-cache",
                      ResponseContentLanguage="fr", ResponseContentEncoding="gzip",
                      ResponseExpires=dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc))
    assert g["ContentType"] == "application/json"
    assert g["ContentDisposition"] == "inline"
    assert g["CacheControl"] == "no-cache"
    assert g["ContentLanguage"] == "fr"
    assert g["ContentEncoding"] == "gzip"
    assert g["ResponseMetadata"]["HTTPHeaders"]["expires"] == "Tue, 01 Jan 2030 00:00:00 GMT"


def test_delete_object_and_delete_objects(s3, bucket):
    for k in ["a", "b", "c", "d"]:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    r = s3.delete_object(Bucket=bucket, Key="a")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    # Deleting a missing key is not an error.
    assert s3.delete_object(Bucket=bucket, Key="never")["ResponseMetadata"]["HTTPStatusCode"] == 204
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "b"}, {"Key": "missing"}]})
    assert sorted(d["Key"] for d in r["Deleted"]) == ["b", "missing"]
    assert "Errors" not in r
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "c"}, {"Key": "k" * 1100}], "Quiet": True})
    assert "Deleted" not in r
    assert [(e["Key"], e["Code"]) for e in r["Errors"]] == [("k" * 1100, "KeyTooLongError")]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["d"]


def test_copy_object(s3, bucket):
    other = bucket_name()
    s3.create_bucket(Bucket=other)
    body = os.urandom(50_000)
    src = s3.put_object(Bucket=bucket, Key="src key+ü", Body=body, ContentType="text/src", Metadata={"m": "1"},
                        Tagging="t=1")
    r = s3.copy_object(Bucket=other, Key="copy", CopySource={"Bucket": bucket, "Key": "src key+ü"})
    assert r["CopyObjectResult"]["ETag"] == src["ETag"]
    g = s3.get_object(Bucket=other, Key="copy")
    assert g["Body"].read() == body
    assert g["ContentType"] == "text/src" and g["Metadata"] == {"m": "1"} and g["TagCount"] == 1
    # REPLACE takes the request's metadata; tagging REPLACE the request's tags.
    s3.copy_object(Bucket=other, Key="copy2", CopySource=f"{bucket}/src key+ü",
                   MetadataDirective="REPLACE", ContentType="text/new", Metadata={"x": "y"},
                   TaggingDirective="REPLACE", Tagging="n=2")
    g = s3.get_object(Bucket=other, Key="copy2")
    assert g["ContentType"] == "text/new" and g["Metadata"] == {"x": "y"}
    assert s3.get_object_tagging(Bucket=other, Key="copy2")["TagSet"] == [{"Key": "n", "Value": "2"}]
    # Copy to itself without changes is refused; with REPLACE it rewrites the metadata.
    with pytest.raises(ClientError) as ei:
        s3.copy_object(Bucket=bucket, Key="src key+ü", CopySource={"Bucket": bucket, "Key": "src key+ü"})
    status, code, e = err(ei)
    assert (status, code) == (400, "InvalidRequest")
    assert "copy an object to itself" in e["Message"]
    s3.copy_object(Bucket=bucket, Key="src key+ü", CopySource={"Bucket": bucket, "Key": "src key+ü"},
                   MetadataDirective="REPLACE", Metadata={"new": "meta"})
    g = s3.get_object(Bucket=bucket, Key="src key+ü")
    assert g["Metadata"] == {"new": "meta"} and g["Body"].read() == body
    # Conditional copy.
    with pytest.raises(ClientError) as ei:
        s3.copy_object(Bucket=other, Key="c3", CopySource={"Bucket": bucket, "Key": "src key+ü"}, CopySourceIfMatch='"no"')
    assert err(ei)[:2] == (412, "PreconditionFailed")
    with pytest.raises(ClientError) as ei:
        s3.copy_object(Bucket=other, Key="c3", CopySource={"Bucket": bucket, "Key": "src key+ü"},
                       CopySourceIfNoneMatch=src["ETag"])
    assert err(ei)[:2] == (412, "PreconditionFailed")
    with pytest.raises(ClientError) as ei:
        s3.copy_object(Bucket=other, Key="c3", CopySource={"Bucket": bucket, "Key": "missing"})
    assert err(ei)[:2] == (404, "NoSuchKey")


def test_object_tagging_and_acl(s3, bucket):
    s3.put_object(Bucket=bucket, Key="t", Body=b"x")
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == []
    s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [{"Key": "k", "Value": "v"}]
    with pytest.raises(ClientError) as ei:
        s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]})
    assert err(ei)[:2] == (400, "InvalidTag")
    s3.delete_object_tagging(Bucket=bucket, Key="t")
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == []
    acl = s3.get_object_acl(Bucket=bucket, Key="t")
    assert acl["Grants"][0]["Permission"] == "FULL_CONTROL"
    assert acl["Grants"][0]["Grantee"]["Type"] == "CanonicalUser"
    # New buckets enforce bucket ownership: ACLs other than private are refused.
    with pytest.raises(ClientError) as ei:
        s3.put_object(Bucket=bucket, Key="pub", Body=b"x", ACL="public-read")
    assert err(ei)[:2] == (400, "AccessControlListNotSupported")


def test_get_object_attributes(s3, bucket):
    body = b"attributes" * 100
    r = s3.put_object(Bucket=bucket, Key="a", Body=body, ChecksumAlgorithm="SHA256")
    a = s3.get_object_attributes(Bucket=bucket, Key="a",
                                 ObjectAttributes=["ETag", "Checksum", "ObjectSize", "StorageClass", "ObjectParts"])
    assert a["ETag"] == r["ETag"].strip('"')
    assert a["ObjectSize"] == len(body)
    assert a["StorageClass"] == "STANDARD"
    assert a["Checksum"]["ChecksumSHA256"] == b64(hashlib.sha256(body).digest())
    assert "ObjectParts" not in a


# ======================================================================================
# Listing
# ======================================================================================

LIST_KEYS = ["a/b/c.txt", "a/b/d.txt", "a/e.txt", "a/f/g.txt", "b.txt", "c/h.txt", "d"]


@pytest.fixture
def listing_bucket(s3, bucket):
    for k in LIST_KEYS:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    return bucket


def test_list_objects_v2_delimiter_and_prefix(s3, listing_bucket):
    r = s3.list_objects_v2(Bucket=listing_bucket, Delimiter="/")
    assert [o["Key"] for o in r["Contents"]] == ["b.txt", "d"]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/", "c/"]
    assert r["KeyCount"] == 4 and r["IsTruncated"] is False
    r = s3.list_objects_v2(Bucket=listing_bucket, Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in r["Contents"]] == ["a/e.txt"]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/b/", "a/f/"]
    r = s3.list_objects_v2(Bucket=listing_bucket, Prefix="a/b")
    assert [o["Key"] for o in r["Contents"]] == ["a/b/c.txt", "a/b/d.txt"]
    r = s3.list_objects_v2(Bucket=listing_bucket, StartAfter="a/f/g.txt")
    assert [o["Key"] for o in r["Contents"]] == ["b.txt", "c/h.txt", "d"]
    r = s3.list_objects_v2(Bucket=listing_bucket, Prefix="zzz")
    assert r["KeyCount"] == 0 and "Contents" not in r


def test_list_objects_v2_pagination(s3, listing_bucket):
    seen, token, pages = [], None, 0
    while True:
        kw = {"Bucket": listing_bucket, "MaxKeys": 2, "Delimiter": "/"}
        if token:
            kw["ContinuationToken"] = token
        r = s3.list_objects_v2(**kw)
        pages += 1
        seen += [o["Key"] for o in r.get("Contents", [])] + [p["Prefix"] for p in r.get("CommonPrefixes", [])]
        if not r["IsTruncated"]:
            break
        token = r["NextContinuationToken"]
    assert sorted(seen) == ["a/", "b.txt", "c/", "d"] and pages == 2
    paginator = s3.get_paginator("list_objects_v2")
    keys = [o["Key"] for page in paginator.paginate(Bucket=listing_bucket, PaginationConfig={"PageSize": 3})
            for o in page.get("Contents", [])]
    assert keys == sorted(LIST_KEYS)
    with pytest.raises(ClientError) as ei:
        s3.list_objects_v2(Bucket=listing_bucket, ContinuationToken="!!!")
    assert err(ei)[:2] == (400, "InvalidArgument")


def test_list_objects_v1(s3, listing_bucket):
    r = s3.list_objects(Bucket=listing_bucket, MaxKeys=3)
    assert [o["Key"] for o in r["Contents"]] == sorted(LIST_KEYS)[:3]
    assert r["IsTruncated"] is True
    assert "Owner" in r["Contents"][0]
    r2 = s3.list_objects(Bucket=listing_bucket, Marker=r["Contents"][-1]["Key"])
    assert [o["Key"] for o in r2["Contents"]] == sorted(LIST_KEYS)[3:]
    r = s3.list_objects(Bucket=listing_bucket, Delimiter="/", MaxKeys=1)
    assert r["IsTruncated"] is True and [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/"]
    assert r["NextMarker"] == "a/"
    r = s3.list_objects(Bucket=listing_bucket, Delimiter="/", Marker="a/")
    assert [o["Key"] for o in r["Contents"]] == ["b.txt", "d"]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["c/"]
    keys = [o["Key"] for page in s3.get_paginator("list_objects").paginate(Bucket=listing_bucket, PaginationConfig={"PageSize": 2})
            for o in page.get("Contents", [])]
    assert keys == sorted(LIST_KEYS)


def test_list_order_is_utf8_bytes_and_encoding_type_url(s3, bucket):
    nfc = unicodedata.normalize("NFC", "é")
    nfd = unicodedata.normalize("NFD", "é")
    keys = ["Z", "a", "a b", "a+b", "a%b", nfc, nfd, "\u4e2d", "~", "tab\tkey", "\U0001F600"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    expected = sorted(keys, key=lambda k: k.encode())
    r = s3.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in r["Contents"]] == expected
    # NFC and NFD spellings are distinct keys with distinct bodies.
    assert s3.get_object(Bucket=bucket, Key=nfc)["Body"].read() == nfc.encode()
    assert s3.get_object(Bucket=bucket, Key=nfd)["Body"].read() == nfd.encode()
    # boto3 asks for encoding-type=url by default and decodes: keys come back exactly.
    raw = make_client_no_decode(s3)
    r = raw.list_objects_v2(Bucket=bucket, EncodingType="url")
    assert r["EncodingType"] == "url"
    encoded = [o["Key"] for o in r["Contents"]]
    assert "a%20b" in encoded and "a%2Bb" in encoded and "a%25b" in encoded
    assert [urllib.parse.unquote(k) for k in encoded] == expected


def make_client_no_decode(s3):
    """A client that does not URL-decode listing keys (to see the wire form)."""
    from botocore.handlers import decode_list_object_v2
    c = make_client(s3.meta.endpoint_url, "s3")
    c.meta.events.unregister("after-call.s3.ListObjectsV2", decode_list_object_v2)
    return c


# ======================================================================================
# Multipart
# ======================================================================================

def test_multipart_upload(s3, bucket):
    parts_data = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(1234)]
    mpu = s3.create_multipart_upload(Bucket=bucket, Key="big", ContentType="video/mp4", Metadata={"k": "v"})
    uid = mpu["UploadId"]
    etags = []
    for i, data in enumerate(parts_data, start=1):
        r = s3.upload_part(Bucket=bucket, Key="big", UploadId=uid, PartNumber=i, Body=data)
        assert r["ETag"] == f'"{md5_hex(data)}"'
        etags.append(r["ETag"])
    listed = s3.list_parts(Bucket=bucket, Key="big", UploadId=uid)
    assert [(p["PartNumber"], p["Size"]) for p in listed["Parts"]] == [(1, 5 * MiB), (2, 5 * MiB), (3, 1234)]
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("big", uid)]
    page = s3.list_parts(Bucket=bucket, Key="big", UploadId=uid, MaxParts=2)
    assert page["IsTruncated"] is True and page["NextPartNumberMarker"] == 2
    r = s3.complete_multipart_upload(
        Bucket=bucket, Key="big", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": i, "ETag": e} for i, e in enumerate(etags, start=1)]})
    expected = hashlib.md5(b"".join(hashlib.md5(d).digest() for d in parts_data)).hexdigest() + "-3"
    assert r["ETag"] == f'"{expected}"'
    assert r["Key"] == "big" and r["Bucket"] == bucket
    g = s3.get_object(Bucket=bucket, Key="big")
    assert g["Body"].read() == b"".join(parts_data)
    assert g["ContentType"] == "video/mp4" and g["Metadata"] == {"k": "v"}
    # A part of the object by number.
    p2 = s3.get_object(Bucket=bucket, Key="big", PartNumber=2)
    assert p2["ResponseMetadata"]["HTTPStatusCode"] == 206 and p2["PartsCount"] == 3
    assert p2["Body"].read() == parts_data[1]
    attrs = s3.get_object_attributes(Bucket=bucket, Key="big", ObjectAttributes=["ObjectParts", "ETag"])
    assert attrs["ObjectParts"]["TotalPartsCount"] == 3
    assert attrs["ETag"] == expected
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    with pytest.raises(ClientError) as ei:
        s3.list_parts(Bucket=bucket, Key="big", UploadId=uid)
    status, code, e = err(ei)
    assert (status, code) == (404, "NoSuchUpload")
    assert e["UploadId"] == uid


def test_multipart_errors(s3, bucket):
    uid = s3.create_multipart_upload(Bucket=bucket, Key="m")["UploadId"]
    small = s3.upload_part(Bucket=bucket, Key="m", UploadId=uid, PartNumber=1, Body=b"a" * 100)["ETag"]
    second = s3.upload_part(Bucket=bucket, Key="m", UploadId=uid, PartNumber=2, Body=b"b" * 100)["ETag"]
    with pytest.raises(ClientError) as ei:
        s3.complete_multipart_upload(Bucket=bucket, Key="m", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": 2, "ETag": second}, {"PartNumber": 1, "ETag": small}]})
    assert err(ei)[:2] == (400, "InvalidPartOrder")
    with pytest.raises(ClientError) as ei:
        s3.complete_multipart_upload(Bucket=bucket, Key="m", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": '"00000000000000000000000000000000"'}]})
    assert err(ei)[:2] == (400, "InvalidPart")
    with pytest.raises(ClientError) as ei:
        s3.complete_multipart_upload(Bucket=bucket, Key="m", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": small}, {"PartNumber": 2, "ETag": second}]})
    status, code, e = err(ei)
    assert (status, code) == (400, "EntityTooSmall")
    assert e["MinSizeAllowed"] == str(5 * MiB)
    with pytest.raises(ClientError) as ei:
        s3.upload_part(Bucket=bucket, Key="m", UploadId=uid, PartNumber=10001, Body=b"x")
    assert err(ei)[:2] == (400, "InvalidArgument")
    with pytest.raises(ClientError) as ei:
        s3.upload_part(Bucket=bucket, Key="m", UploadId="nonexistent", PartNumber=1, Body=b"x")
    assert err(ei)[:2] == (404, "NoSuchUpload")
    # A single small part is a valid object (the last part may be small).
    r = s3.complete_multipart_upload(Bucket=bucket, Key="m", UploadId=uid,
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": small}]})
    assert r["ETag"].endswith('-1"')
    assert s3.get_object(Bucket=bucket, Key="m")["Body"].read() == b"a" * 100
    uid2 = s3.create_multipart_upload(Bucket=bucket, Key="aborted")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="aborted", UploadId=uid2, PartNumber=1, Body=b"x")
    assert s3.abort_multipart_upload(Bucket=bucket, Key="aborted", UploadId=uid2)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as ei:
        s3.abort_multipart_upload(Bucket=bucket, Key="aborted", UploadId=uid2)
    assert err(ei)[:2] == (404, "NoSuchUpload")


def test_upload_part_copy(s3, bucket):
    src = os.urandom(6 * MiB + 10)
    s3.put_object(Bucket=bucket, Key="src", Body=src)
    uid = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    p1 = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=uid, PartNumber=1,
                             CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange=f"bytes=0-{5 * MiB - 1}")
    p2 = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=uid, PartNumber=2,
                             CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange=f"bytes={5 * MiB}-{len(src) - 1}")
    assert p1["CopyPartResult"]["ETag"] == f'"{md5_hex(src[:5 * MiB])}"'
    with pytest.raises(ClientError) as ei:
        s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=uid, PartNumber=3,
                            CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange=f"bytes=0-{len(src)}")
    assert err(ei)[:2] == (400, "InvalidArgument")
    s3.complete_multipart_upload(Bucket=bucket, Key="dst", UploadId=uid, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": p1["CopyPartResult"]["ETag"]}, {"PartNumber": 2, "ETag": p2["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == src


@pytest.mark.parametrize("algorithm, ctype", [("CRC32", "COMPOSITE"), ("CRC32", "FULL_OBJECT"), ("CRC32C", "FULL_OBJECT"),
                                              ("SHA256", "COMPOSITE"), ("CRC64NVME", "FULL_OBJECT")])
def test_multipart_checksums(s3, bucket, algorithm, ctype):
    # Pure-Python CRCs are slow: a repetitive 5 MiB part keeps this quick for CRC32C/CRC64NVME.
    parts = [bytes([7]) * (5 * MiB), os.urandom(1000)]
    kw = {"ChecksumAlgorithm": algorithm}
    if algorithm != "CRC64NVME":
        kw["ChecksumType"] = ctype
    uid = s3.create_multipart_upload(Bucket=bucket, Key="cs", **kw)["UploadId"]
    done = []
    for i, d in enumerate(parts, start=1):
        r = s3.upload_part(Bucket=bucket, Key="cs", UploadId=uid, PartNumber=i, Body=d, **checksum_args(algorithm, d))
        done.append({"PartNumber": i, "ETag": r["ETag"], f"Checksum{algorithm}": r[f"Checksum{algorithm}"]})
    r = s3.complete_multipart_upload(Bucket=bucket, Key="cs", UploadId=uid, MultipartUpload={"Parts": done})
    assert r["ChecksumType"] == ctype
    value = r[f"Checksum{algorithm}"]
    if ctype == "COMPOSITE":
        assert value.endswith("-2")
        if algorithm == "SHA256":
            inner = hashlib.sha256(b"".join(hashlib.sha256(d).digest() for d in parts)).digest()
            assert value == b64(inner) + "-2"
        if algorithm == "CRC32":
            inner = zlib.crc32(b"".join(zlib.crc32(d).to_bytes(4, "big") for d in parts)).to_bytes(4, "big")
            assert value == b64(inner) + "-2"
    else:
        # FULL_OBJECT: the CRC of the whole body, combined from the parts'.
        assert value == crc(algorithm, b"".join(parts))
    h = s3.head_object(Bucket=bucket, Key="cs", ChecksumMode="ENABLED")
    assert h[f"Checksum{algorithm}"] == value


# ======================================================================================
# Versioning
# ======================================================================================

def test_versioning(s3, bucket):
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"before")  # the null version
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"two")["VersionId"]
    assert v1 != v2 and v1 != "null"
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=v1)["Body"].read() == b"one"
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"before"
    d = s3.delete_object(Bucket=bucket, Key="k")
    assert d["DeleteMarker"] is True
    marker = d["VersionId"]
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="k")
    assert err(ei)[:2] == (404, "NoSuchKey")
    assert ei.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"] == "true"
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="k", VersionId=marker)
    assert err(ei)[:2] == (405, "MethodNotAllowed")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    lv = s3.list_object_versions(Bucket=bucket)
    assert [(v["VersionId"], v["IsLatest"]) for v in lv["Versions"]] == [(v2, False), (v1, False), ("null", False)]
    assert [(m["VersionId"], m["IsLatest"]) for m in lv["DeleteMarkers"]] == [(marker, True)]
    page = s3.list_object_versions(Bucket=bucket, MaxKeys=2)
    assert page["IsTruncated"] is True
    rest = s3.list_object_versions(Bucket=bucket, KeyMarker=page["NextKeyMarker"], VersionIdMarker=page["NextVersionIdMarker"])
    got = [m["VersionId"] for m in page.get("DeleteMarkers", [])] + [v["VersionId"] for v in page.get("Versions", [])]
    got += [m["VersionId"] for m in rest.get("DeleteMarkers", [])] + [v["VersionId"] for v in rest.get("Versions", [])]
    assert sorted(got) == sorted([marker, v2, v1, "null"])
    # Removing the marker brings the object back.
    r = s3.delete_object(Bucket=bucket, Key="k", VersionId=marker)
    assert r["DeleteMarker"] is True and r["VersionId"] == marker
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
    s3.delete_object(Bucket=bucket, Key="k", VersionId=v2)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"one"
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="k", VersionId=v2)
    assert err(ei)[:2] == (404, "NoSuchVersion")
    # Suspended: writes replace the null version.
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    r = s3.put_object(Bucket=bucket, Key="k", Body=b"suspended")
    assert r["VersionId"] == "null"
    ids = [v["VersionId"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]]
    assert ids == ["null", v1]
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"suspended"
    # DeleteObjects with versions.
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "k", "VersionId": v1}, {"Key": "k", "VersionId": "null"}]})
    assert sorted(d["VersionId"] for d in r["Deleted"]) == sorted([v1, "null"])
    assert s3.list_object_versions(Bucket=bucket).get("Versions", []) == []
    with pytest.raises(ClientError) as ei:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Bogus"})
    assert err(ei)[:2] == (400, "MalformedXML")


def test_versioned_delete_objects_marker(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="x", Body=b"x")
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "x"}]})
    d = r["Deleted"][0]
    assert d["Key"] == "x" and d["DeleteMarker"] is True and d["DeleteMarkerVersionId"]
    # A versioned bucket with only versions left is not empty.
    with pytest.raises(ClientError) as ei:
        s3.delete_bucket(Bucket=bucket)
    assert err(ei)[:2] == (409, "BucketNotEmpty")


# ======================================================================================
# Bucket configuration
# ======================================================================================

def test_bucket_tagging(s3, bucket):
    with pytest.raises(ClientError) as ei:
        s3.get_bucket_tagging(Bucket=bucket)
    assert err(ei)[:2] == (404, "NoSuchTagSet")
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "env", "Value": "test"}, {"Key": "team", "Value": ""}]})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "env", "Value": "test"}, {"Key": "team", "Value": ""}]
    s3.delete_bucket_tagging(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_tagging(Bucket=bucket)


def test_bucket_policy(s3, bucket):
    with pytest.raises(ClientError) as ei:
        s3.get_bucket_policy(Bucket=bucket)
    assert err(ei)[:2] == (404, "NoSuchBucketPolicy")
    policy = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",'
              f'"Resource":"arn:aws:s3:::{bucket}/*"}}]}}')
    # New buckets block public policies, as in AWS (see test_access.py); lift that first.
    with pytest.raises(ClientError) as ei:
        s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert err(ei)[:2] == (403, "AccessDenied")
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == policy
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True
    with pytest.raises(ClientError) as ei:
        s3.put_bucket_policy(Bucket=bucket, Policy="not json")
    assert err(ei)[:2] == (400, "MalformedPolicy")
    s3.delete_bucket_policy(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_policy(Bucket=bucket)


def test_bucket_cors_and_preflight(s3, bucket, server):
    with pytest.raises(ClientError) as ei:
        s3.get_bucket_cors(Bucket=bucket)
    assert err(ei)[:2] == (404, "NoSuchCORSConfiguration")
    rules = [{"AllowedMethods": ["GET", "PUT"], "AllowedOrigins": ["https://*.example.com"],
              "AllowedHeaders": ["x-amz-*", "content-type"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 300},
             {"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    got = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert got[0]["AllowedMethods"] == ["GET", "PUT"] and got[0]["MaxAgeSeconds"] == 300
    assert got[1]["AllowedOrigins"] == ["*"]
    url = f"{server.url}/{bucket}/some/key"
    r = requests.options(url, headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT",
                                       "Access-Control-Request-Headers": "Content-Type, X-Amz-Date"})
    assert r.status_code == 200, r.text
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "PUT" in r.headers["Access-Control-Allow-Methods"]
    assert r.headers["Access-Control-Max-Age"] == "300"
    assert r.headers["Access-Control-Expose-Headers"] == "ETag"
    r = requests.options(url, headers={"Origin": "https://evil.test", "Access-Control-Request-Method": "PUT"})
    assert r.status_code == 403 and "AccessForbidden" in r.text
    r = requests.options(url, headers={"Origin": "https://evil.test", "Access-Control-Request-Method": "GET"})
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "*"
    # An actual request with an Origin gets the CORS headers.
    s3.put_object(Bucket=bucket, Key="c", Body=b"x")
    v4 = make_client(server.url, "s3", config=Config(signature_version="s3v4"))
    presigned = v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "c"})
    r = requests.get(presigned, headers={"Origin": "https://app.example.com"})
    assert r.status_code == 200 and r.headers.get("Access-Control-Allow-Origin") == "https://app.example.com"
    s3.delete_bucket_cors(Bucket=bucket)
    r = requests.options(url, headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"})
    assert r.status_code == 403
    r = requests.options(f"{server.url}/{bucket_name('nobucket')}/k",
                         headers={"Origin": "https://a.test", "Access-Control-Request-Method": "GET"})
    assert r.status_code == 404


def test_bucket_acl_and_ownership(s3, bucket):
    acl = s3.get_bucket_acl(Bucket=bucket)
    assert acl["Owner"]["ID"] == acl["Grants"][0]["Grantee"]["ID"]
    assert acl["Grants"][0]["Permission"] == "FULL_CONTROL"
    oc = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]
    assert oc["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced"
    with pytest.raises(ClientError) as ei:
        s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    assert err(ei)[:2] == (400, "AccessControlListNotSupported")
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    # ACLs are on now, but Block Public Access (on for new buckets) still refuses public ones.
    with pytest.raises(ClientError) as ei:
        s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    assert err(ei)[:2] == (403, "AccessDenied")
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    grants = s3.get_bucket_acl(Bucket=bucket)["Grants"]
    assert any(g["Grantee"].get("URI", "").endswith("/AllUsers") and g["Permission"] == "READ" for g in grants)
    s3.put_object(Bucket=bucket, Key="pub", Body=b"x", ACL="public-read")
    assert len(s3.get_object_acl(Bucket=bucket, Key="pub")["Grants"]) == 2
    s3.delete_bucket_ownership_controls(Bucket=bucket)
    with pytest.raises(ClientError) as ei:
        s3.get_bucket_ownership_controls(Bucket=bucket)
    assert err(ei)[:2] == (404, "OwnershipControlsNotFoundError")


def test_public_access_block(s3, bucket):
    pab = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert pab == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicAcls": False})
    pab = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert pab["BlockPublicAcls"] is False and pab["RestrictPublicBuckets"] is False
    s3.delete_public_access_block(Bucket=bucket)
    with pytest.raises(ClientError) as ei:
        s3.get_public_access_block(Bucket=bucket)
    assert err(ei)[:2] == (404, "NoSuchPublicAccessBlockConfiguration")


def test_lifecycle_encryption_notification(s3, bucket, client):
    with pytest.raises(ClientError) as ei:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert err(ei)[:2] == (404, "NoSuchLifecycleConfiguration")
    rules = [{"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 30}}]
    put = s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    # S3's default since 2024, echoed as a header on Put and Get (Terraform waits for it).
    assert put["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert got["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    got = got["Rules"]
    assert got[0]["ID"] == "expire" and got[0]["Expiration"]["Days"] == 30 and got[0]["Filter"]["Prefix"] == "logs/"
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules},
                                          TransitionDefaultMinimumObjectSize="varies_by_storage_class")
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert got["TransitionDefaultMinimumObjectSize"] == "varies_by_storage_class"
    s3.delete_bucket_lifecycle(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)

    enc = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert enc["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    # SSE-KMS is real: the default key must exist in KMS; objects report its ARN.
    kms = client("kms")
    key = kms.create_key()["KeyMetadata"]
    alias = "alias/" + unique_name("mine")
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": alias},
         "BucketKeyEnabled": True}]})
    r = s3.put_object(Bucket=bucket, Key="e", Body=b"x")
    assert r["ServerSideEncryption"] == "aws:kms" and r["SSEKMSKeyId"] == key["Arn"] and r["BucketKeyEnabled"] is True
    h = s3.head_object(Bucket=bucket, Key="e")
    assert h["ServerSideEncryption"] == "aws:kms"
    r = s3.put_object(Bucket=bucket, Key="e2", Body=b"x", ServerSideEncryption="AES256")
    assert r["ServerSideEncryption"] == "AES256"
    s3.delete_bucket_encryption(Bucket=bucket)

    assert {k: v for k, v in s3.get_bucket_notification_configuration(Bucket=bucket).items()
            if k != "ResponseMetadata"} == {}
    conf = {"QueueConfigurations": [{"Id": "q", "QueueArn": f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:q",
                                     "Events": ["s3:ObjectCreated:*"]}]}
    # The queue does not exist: S3 would refuse it as a destination (see test_s3_notifications.py).
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=conf, SkipDestinationValidation=True)
    got = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert got["QueueConfigurations"][0]["QueueArn"] == conf["QueueConfigurations"][0]["QueueArn"]
    assert got["QueueConfigurations"][0]["Events"] == ["s3:ObjectCreated:*"]


# ======================================================================================
# Addressing styles, presigned URLs, raw HTTP
# ======================================================================================

@pytest.fixture
def resolve_localhost(monkeypatch):
    """Resolve *.localhost to 127.0.0.1 (many systems do; this one may not)."""
    real = socket.getaddrinfo

    def fake(host, *args, **kw):
        if isinstance(host, str) and (host == "localhost" or host.endswith(".localhost")):
            host = "127.0.0.1"
        return real(host, *args, **kw)
    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_virtual_host_style(server, resolve_localhost):
    v = make_client(f"http://s3.localhost:{server.port}", "s3", config=Config(s3={"addressing_style": "virtual"}))
    name = bucket_name()
    v.create_bucket(Bucket=name)
    r = v.put_object(Bucket=name, Key="vh/key.txt", Body=b"virtual")
    assert v.get_object(Bucket=name, Key="vh/key.txt")["Body"].read() == b"virtual"
    assert [o["Key"] for o in v.list_objects_v2(Bucket=name)["Contents"]] == ["vh/key.txt"]
    # The same object through path style.
    p = make_client(server.url, "s3", config=Config(s3={"addressing_style": "path"}))
    assert p.get_object(Bucket=name, Key="vh/key.txt")["ETag"] == r["ETag"]
    # Region in the host name.
    vr = make_client(f"http://s3.us-east-1.localhost:{server.port}", "s3", config=Config(s3={"addressing_style": "virtual"}))
    assert vr.head_object(Bucket=name, Key="vh/key.txt")["ContentLength"] == 7
    # A raw request with a Host header and no DNS at all.
    url = f"http://127.0.0.1:{server.port}/vh/key.txt"
    headers = sign_headers("GET", f"http://{name}.s3.localhost:{server.port}/vh/key.txt", "s3",
                           headers={"Host": f"{name}.s3.localhost:{server.port}"}, unsigned_payload=True)
    r = requests.get(url, headers=headers)
    assert r.status_code == 200 and r.content == b"virtual"


def test_presigned_get_and_put(server, bucket):
    # SigV4 query signing (boto3 signs S3 presigned URLs with SigV2 unless told otherwise).
    s3 = make_client(server.url, "s3", config=Config(signature_version="s3v4"))
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "pre/signed.txt"}, ExpiresIn=300)
    r = requests.put(put_url, data=b"presigned body")
    assert r.status_code == 200, r.text
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "pre/signed.txt"}, ExpiresIn=300)
    r = requests.get(get_url)
    assert r.status_code == 200 and r.content == b"presigned body"
    assert r.headers["ETag"] == f'"{md5_hex(b"presigned body")}"'
    # curl, as the issue asks.
    import subprocess
    out = subprocess.run(["curl", "-s", "-f", get_url], capture_output=True, timeout=30)
    if out.returncode != 127:  # curl present
        assert out.stdout == b"presigned body"
    expired = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "pre/signed.txt"}, ExpiresIn=1)
    time.sleep(2.1)
    r = requests.get(expired)
    assert r.status_code == 403
    assert "<Code>AccessDenied</Code>" in r.text and "Request has expired" in r.text


def test_presigned_sigv2_cli_and_curl(server, s3, bucket, aws_cli):
    """`aws s3 presign` signs with SigV2 too; the URL works with curl."""
    import subprocess
    s3.put_object(Bucket=bucket, Key="cli/presigned.txt", Body=b"from the cli")
    r = aws_cli("s3", "presign", f"s3://{bucket}/cli/presigned.txt", "--expires-in", "120")
    assert r.returncode == 0, r.stderr
    url = r.stdout.strip()
    assert "Signature=" in url
    out = subprocess.run(["curl", "-s", "-f", url], capture_output=True, timeout=30)
    if out.returncode != 127:  # curl present
        assert out.returncode == 0 and out.stdout == b"from the cli"
    assert requests.get(url).content == b"from the cli"


def test_presigned_sigv2_default_boto3(server, s3, bucket, resolve_localhost):
    """boto3's default generate_presigned_url for S3 signs with SigV2 (AWSAccessKeyId/Signature/Expires)."""
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "v2/a b+ü.txt"}, ExpiresIn=300)
    assert "AWSAccessKeyId=" in put_url and "Signature=" in put_url
    r = requests.put(put_url, data=b"sigv2 body")
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == f'"{md5_hex(b"sigv2 body")}"'
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v2/a b+ü.txt"}, ExpiresIn=300)
    r = requests.get(get_url)
    assert r.status_code == 200 and r.content == b"sigv2 body"
    # A signed response override is part of the signature.
    typed = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v2/a b+ü.txt",
                                                            "ResponseContentType": "text/x-test"}, ExpiresIn=300)
    r = requests.get(typed)
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/x-test"
    # Virtual-host style: the bucket comes from the Host and is part of the signed resource.
    v = make_client(f"http://s3.localhost:{server.port}", "s3", config=Config(s3={"addressing_style": "virtual"}))
    vurl = v.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v2/a b+ü.txt"}, ExpiresIn=300)
    assert vurl.startswith(f"http://{bucket}.s3.localhost")
    r = requests.get(vurl)
    assert r.status_code == 200 and r.content == b"sigv2 body"
    # Tampering: another key with the same signature, or a wrong secret.
    r = requests.get(get_url.replace("a%20b", "a%20c"))
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text
    bad = make_client(server.url, "s3", aws_secret_access_key="not-the-secret")
    r = requests.get(bad.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v2/a b+ü.txt"}))
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text
    unknown = make_client(server.url, "s3", aws_access_key_id="AKIDUNKNOWN0000000000")
    r = requests.get(unknown.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v2/a b+ü.txt"}))
    assert r.status_code == 403 and "<Code>InvalidAccessKeyId</Code>" in r.text
    # Missing parameters, a header with no signature part, and an expired URL.
    r = requests.get(get_url.split("&Expires=")[0])
    assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text
    r = requests.get(get_url.split("?")[0], headers={"Authorization": "AWS AKIAIOSFODNN7EXAMPLE",
                                                    "Date": email.utils.formatdate(usegmt=True)})
    assert r.status_code == 400 and "<Code>InvalidArgument</Code>" in r.text
    expired = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v2/a b+ü.txt"}, ExpiresIn=1)
    time.sleep(2.1)
    r = requests.get(expired)
    assert r.status_code == 403
    assert "<Code>AccessDenied</Code>" in r.text and "Request has expired" in r.text


def test_put_object_latency_with_expect_continue(s3, bucket):
    """boto3 sends Expect: 100-continue on every PutObject; a server that ignores it costs 1 s."""
    s3.put_object(Bucket=bucket, Key="warm", Body=b"x" * 2048)
    times = []
    for i in range(5):
        t = time.perf_counter()
        s3.put_object(Bucket=bucket, Key=f"fast-{i}", Body=b"x" * 2048)
        times.append(time.perf_counter() - t)
    assert min(times) < 0.1, times


def test_head_and_errors_keep_connection_usable(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"abc")
    with RawHTTP(server) as c:
        for method, key, status in [("HEAD", "missing", 404), ("GET", "k", 200), ("HEAD", "k", 200), ("GET", "missing", 404)]:
            url = f"{server.url}/{bucket}/{key}"
            headers = sign_headers(method, url, "s3", unsigned_payload=True)
            headers["Host"] = f"127.0.0.1:{server.port}"
            head = f"{method} /{bucket}/{key} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
            c.send(head.encode())
            r = c.read_response(head_request=(method == "HEAD"))
            assert r.status == status
            if method == "HEAD" and status == 200:
                assert r.header("Content-Length") == "3"


# ======================================================================================
# Hostile keys
# ======================================================================================

HOSTILE_KEYS = ["../../etc/passwd", "/abs/path", "//double//slash", "./dot", "..", ".", "a/../b",
                "spaces  around  ", " lead", "tab\there", "cr\rlf\n", "percent%2F%2e%2e", "quote\"'<>&",
                "ünïcødé/文件/😀", "back\\slash", "?query=1&x#frag", "k" * 1024,
                unicodedata.normalize("NFD", "café"), unicodedata.normalize("NFC", "café")]


def test_hostile_keys_round_trip(s3, bucket):
    for i, k in enumerate(HOSTILE_KEYS):
        s3.put_object(Bucket=bucket, Key=k, Body=f"body-{i}".encode())
    for i, k in enumerate(HOSTILE_KEYS):
        assert s3.get_object(Bucket=bucket, Key=k)["Body"].read() == f"body-{i}".encode(), repr(k)
    listed = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket) for o in p.get("Contents", [])]
    assert listed == sorted(HOSTILE_KEYS, key=lambda k: k.encode())
    s3.copy_object(Bucket=bucket, Key="copied", CopySource={"Bucket": bucket, "Key": "../../etc/passwd"})
    assert s3.get_object(Bucket=bucket, Key="copied")["Body"].read() == b"body-0"
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in HOSTILE_KEYS]})
    assert len(r["Deleted"]) == len(HOSTILE_KEYS)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["copied"]


def test_hostile_keys_never_escape_data_dir(server_factory, tmp_path):
    data = tmp_path / "data"
    srv = server_factory(data_dir=data)
    c = srv.client("s3")
    name = bucket_name()
    c.create_bucket(Bucket=name)
    for i, k in enumerate(HOSTILE_KEYS):
        c.put_object(Bucket=name, Key=k, Body=f"hostile-{i}".encode())
    # Bodies are encrypted at rest, so they are found by place, not content: one file per
    # key under s3/, none anywhere else, and no plaintext in any file.
    s3_dir = os.path.realpath(data / "s3")
    bodies = []
    for root, _, files in os.walk(tmp_path):
        for f in files:
            p = os.path.join(root, f)
            assert b"hostile-" not in open(p, "rb").read(), p
            real = os.path.realpath(p)
            assert real.startswith(os.path.realpath(data) + os.sep), p
            if real.startswith(s3_dir + os.sep) and os.sep + ".tmp" not in real:
                bodies.append(p)
    assert len(bodies) == len(HOSTILE_KEYS)
    assert not os.path.exists("/etc/passwd-hostile") and not (tmp_path / "etc").exists()


# ======================================================================================
# AWS CLI
# ======================================================================================

def test_cli_s3_commands(server, aws_cli, tmp_path):
    name = bucket_name("cli")
    assert aws_cli("s3", "mb", f"s3://{name}").returncode == 0
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_bytes(b"alpha")
    (src / "sub" / "b.txt").write_bytes(b"bravo")
    (src / "sub" / "c.bin").write_bytes(os.urandom(70_000))
    # S3's LastModified has whole seconds: files written in the second of their upload would
    # look newer than their copies, and the second sync below would upload them again.
    past = time.time() - 60
    for f in (src / "a.txt", src / "sub" / "b.txt", src / "sub" / "c.bin"):
        os.utime(f, (past, past))
    r = aws_cli("s3", "cp", str(src / "a.txt"), f"s3://{name}/single/a.txt")
    assert r.returncode == 0, r.stderr
    r = aws_cli("s3", "sync", str(src), f"s3://{name}/synced")
    assert r.returncode == 0, r.stderr
    r = aws_cli("s3", "ls", f"s3://{name}/synced/", "--recursive")
    assert r.returncode == 0, r.stderr
    listed = sorted(line.split()[-1] for line in r.stdout.splitlines())
    assert listed == ["synced/a.txt", "synced/sub/b.txt", "synced/sub/c.bin"]
    # A second sync uploads nothing.
    r = aws_cli("s3", "sync", str(src), f"s3://{name}/synced")
    assert r.returncode == 0 and "upload:" not in r.stdout
    dst = tmp_path / "dst"
    r = aws_cli("s3", "sync", f"s3://{name}/synced", str(dst))
    assert r.returncode == 0, r.stderr
    assert (dst / "sub" / "c.bin").read_bytes() == (src / "sub" / "c.bin").read_bytes()
    r = aws_cli("s3api", "head-object", "--bucket", name, "--key", "single/a.txt")
    assert r.returncode == 0 and r.json["ContentLength"] == 5
    r = aws_cli("s3api", "put-object", "--bucket", name, "--key", "api.txt", "--body", str(src / "a.txt"))
    assert r.returncode == 0 and r.json["ETag"] == f'"{md5_hex(b"alpha")}"'
    out = tmp_path / "got.txt"
    r = aws_cli("s3api", "get-object", "--bucket", name, "--key", "api.txt", str(out))
    assert r.returncode == 0 and out.read_bytes() == b"alpha"
    r = aws_cli("s3api", "list-objects-v2", "--bucket", name, "--prefix", "synced/sub/")
    assert [o["Key"] for o in r.json["Contents"]] == ["synced/sub/b.txt", "synced/sub/c.bin"]
    r = aws_cli("s3", "rm", f"s3://{name}", "--recursive")
    assert r.returncode == 0, r.stderr
    r = aws_cli("s3", "ls", f"s3://{name}", "--recursive")
    assert r.stdout.strip() == ""
    assert aws_cli("s3", "rb", f"s3://{name}").returncode == 0
    r = aws_cli("s3api", "head-bucket", "--bucket", name)
    assert r.returncode != 0


def test_cli_100mib_multipart(server, aws_cli, tmp_path):
    name = bucket_name("cli-big")
    assert aws_cli("s3", "mb", f"s3://{name}").returncode == 0
    big = tmp_path / "big.bin"
    h = hashlib.md5()
    with open(big, "wb") as f:
        block = os.urandom(MiB)
        for i in range(100):
            chunk = bytes([i]) + block[1:]
            f.write(chunk)
            h.update(chunk)
    r = aws_cli("s3", "cp", str(big), f"s3://{name}/big.bin", timeout=300)
    assert r.returncode == 0, r.stderr
    s3 = make_client(server.url, "s3")
    head = s3.head_object(Bucket=name, Key="big.bin", ChecksumMode="ENABLED")
    assert head["ContentLength"] == 100 * MiB
    assert head["ETag"].strip('"').endswith("-13")  # 8 MiB parts
    back = tmp_path / "back.bin"
    r = aws_cli("s3", "cp", f"s3://{name}/big.bin", str(back), timeout=300)
    assert r.returncode == 0, r.stderr
    g = hashlib.md5()
    with open(back, "rb") as f:
        for chunk in iter(lambda: f.read(MiB), b""):
            g.update(chunk)
    assert g.hexdigest() == h.hexdigest()


# ======================================================================================
# Persistence contract
# ======================================================================================

def _scenario(url):
    s3 = make_client(url, "s3")
    s3.create_bucket(Bucket="persist-plain")
    s3.create_bucket(Bucket="persist-versioned")
    eu = make_client(url, "s3", region_name="eu-west-1")
    eu.create_bucket(Bucket="persist-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    for i, k in enumerate(["a", "dir/b", "dir/sub/c", "../../etc/passwd", "ünï/😀", "k" * 1024]):
        s3.put_object(Bucket="persist-plain", Key=k, Body=f"body {i}".encode() * (i + 1), ContentType="text/x",
                      Metadata={"i": str(i)}, Tagging=f"t={i}")
    s3.put_object(Bucket="persist-plain", Key="a", Body=b"overwritten")
    s3.put_object(Bucket="persist-plain", Key="gone", Body=b"x")
    s3.delete_object(Bucket="persist-plain", Key="gone")
    s3.put_bucket_versioning(Bucket="persist-versioned", VersioningConfiguration={"Status": "Enabled"})
    for body in (b"v1", b"v2", b"v3"):
        s3.put_object(Bucket="persist-versioned", Key="doc", Body=body)
    s3.delete_object(Bucket="persist-versioned", Key="doc")
    s3.put_object(Bucket="persist-versioned", Key="other", Body=b"o", ChecksumAlgorithm="SHA256")
    s3.put_bucket_tagging(Bucket="persist-plain", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    s3.put_bucket_cors(Bucket="persist-plain", CORSConfiguration={"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]})
    s3.put_bucket_policy(Bucket="persist-plain", Policy='{"Version":"2012-10-17","Statement":[]}')
    s3.put_bucket_lifecycle_configuration(Bucket="persist-plain", LifecycleConfiguration={"Rules": [
        {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": "x"}, "Expiration": {"Days": 1}}]})
    # A completed multipart object and one still in progress.
    uid = s3.create_multipart_upload(Bucket="persist-plain", Key="mpu")["UploadId"]
    e1 = s3.upload_part(Bucket="persist-plain", Key="mpu", UploadId=uid, PartNumber=1, Body=b"p" * (5 * MiB))["ETag"]
    e2 = s3.upload_part(Bucket="persist-plain", Key="mpu", UploadId=uid, PartNumber=2, Body=b"q" * 10)["ETag"]
    s3.complete_multipart_upload(Bucket="persist-plain", Key="mpu", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    pending = s3.create_multipart_upload(Bucket="persist-plain", Key="pending")["UploadId"]
    s3.upload_part(Bucket="persist-plain", Key="pending", UploadId=pending, PartNumber=1, Body=b"pending part")


def _snapshot(url):
    s3 = make_client(url, "s3")
    snap = {"buckets": s3.list_buckets()["Buckets"]}
    for b in ["persist-plain", "persist-versioned", "persist-eu"]:
        snap[b] = {"location": s3.get_bucket_location(Bucket=b)["LocationConstraint"],
                   "versioning": s3.get_bucket_versioning(Bucket=b).get("Status"),
                   "list": s3.list_objects_v2(Bucket=b).get("Contents", []),
                   "versions": s3.list_object_versions(Bucket=b)}
        for o in snap[b]["list"]:
            g = s3.get_object(Bucket=b, Key=o["Key"], ChecksumMode="ENABLED")
            body = g.pop("Body").read()
            snap[b]["obj:" + o["Key"]] = {"body": hashlib.sha256(body).hexdigest(), **g,
                                          "tags": s3.get_object_tagging(Bucket=b, Key=o["Key"])["TagSet"]}
    for v in snap["persist-versioned"]["versions"].get("Versions", []):
        g = s3.get_object(Bucket="persist-versioned", Key=v["Key"], VersionId=v["VersionId"])
        snap["persist-versioned"]["v:" + v["VersionId"]] = g.pop("Body").read()
    snap["tagging"] = s3.get_bucket_tagging(Bucket="persist-plain")["TagSet"]
    snap["cors"] = s3.get_bucket_cors(Bucket="persist-plain")["CORSRules"]
    snap["policy"] = s3.get_bucket_policy(Bucket="persist-plain")["Policy"]
    snap["lifecycle"] = s3.get_bucket_lifecycle_configuration(Bucket="persist-plain")["Rules"]
    uploads = s3.list_multipart_uploads(Bucket="persist-plain")["Uploads"]
    snap["uploads"] = uploads
    snap["parts"] = [s3.list_parts(Bucket="persist-plain", Key=u["Key"], UploadId=u["UploadId"])["Parts"] for u in uploads]
    return snap


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_persistence_contract(server_factory, tmp_path, sig):
    second, before = run_contract(server_factory, tmp_path, _scenario, _snapshot, sig=sig)
    # The restored in-progress upload completes.
    s3 = second.client("s3")
    u = before["uploads"][0]
    parts = before["parts"][0]
    r = s3.complete_multipart_upload(Bucket="persist-plain", Key="pending", UploadId=u["UploadId"],
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": parts[0]["ETag"]}]})
    assert s3.get_object(Bucket="persist-plain", Key="pending")["Body"].read() == b"pending part"
    # Nothing but referenced bodies is left on disk.
    files = [os.path.join(r, f) for r, _, fs in os.walk(tmp_path / "data" / "s3") for f in fs]
    assert not any("/.tmp/" in f for f in files)


def test_memory_mode_bodies_live_in_a_private_temp_dir(server_factory, tmp_path):
    """Without a data dir bodies above 16 KiB go to disk (never whole in memory), in
    $TMPDIR/simfra-s3-<pid>, which a clean shutdown removes and the next start sweeps;
    smaller ones stay in memory (a file per small object cost more than its request)."""
    srv = server_factory(env={"TMPDIR": str(tmp_path)})
    c = srv.client("s3")
    c.create_bucket(Bucket="tmpdir-bucket")
    c.put_object(Bucket="tmpdir-bucket", Key="small", Body=b"in memory")
    big = os.urandom(16 * 1024 + 1)
    c.put_object(Bucket="tmpdir-bucket", Key="k", Body=big)
    body_dir = tmp_path / f"simfra-s3-{srv.proc.pid}"
    assert body_dir.is_dir()
    assert oct(body_dir.stat().st_mode & 0o777) == "0o700"
    files = [f for _, _, fs in os.walk(body_dir) for f in fs]
    assert len(files) == 1
    assert c.get_object(Bucket="tmpdir-bucket", Key="k")["Body"].read() == big
    assert c.get_object(Bucket="tmpdir-bucket", Key="small", Range="bytes=3-")["Body"].read() == b"memory"
    assert srv.stop() == 0
    assert not body_dir.exists()
    # A killed server's directory is removed by the next one.
    killed = server_factory(env={"TMPDIR": str(tmp_path)})
    killed.client("s3").create_bucket(Bucket="tmpdir-bucket")
    killed.kill()
    assert (tmp_path / f"simfra-s3-{killed.proc.pid}").exists()
    server_factory(env={"TMPDIR": str(tmp_path)})
    assert not (tmp_path / f"simfra-s3-{killed.proc.pid}").exists()


def test_small_bodies_in_memory_behave_like_files(s3, bucket):
    """Bodies kept in memory (memory-only mode, up to 16 KiB) through every path that reads
    a body: ranges, part numbers, copies (to another key, onto itself, across the size
    limit), UploadPartCopy with a range, versions."""
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=bucket, Key="m", Body=b"first body")["VersionId"]
    s3.put_object(Bucket=bucket, Key="m", Body=b"second body")
    assert s3.get_object(Bucket=bucket, Key="m", VersionId=v1)["Body"].read() == b"first body"
    assert s3.get_object(Bucket=bucket, Key="m", Range="bytes=-4")["Body"].read() == b"body"
    r = s3.get_object(Bucket=bucket, Key="m", PartNumber=1)
    assert r["Body"].read() == b"second body" and r["ContentLength"] == 11
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "m", "VersionId": v1})
    assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == b"first body"
    s3.copy_object(Bucket=bucket, Key="m", CopySource={"Bucket": bucket, "Key": "m"}, MetadataDirective="REPLACE",
                   Metadata={"a": "b"})
    r = s3.get_object(Bucket=bucket, Key="m")
    assert r["Body"].read() == b"second body" and r["Metadata"] == {"a": "b"}
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    p1 = s3.upload_part_copy(Bucket=bucket, Key="mp", UploadId=up, PartNumber=1,
                             CopySource={"Bucket": bucket, "Key": "m"}, CopySourceRange="bytes=0-5")
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": p1["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"second"
    # The same through an unversioned bucket's self-copy (the body is kept, not copied).
    other = bucket_name()
    s3.create_bucket(Bucket=other)
    s3.put_object(Bucket=other, Key="x", Body=b"unversioned")
    s3.copy_object(Bucket=other, Key="x", CopySource={"Bucket": other, "Key": "x"}, MetadataDirective="REPLACE",
                   ContentType="text/plain")
    r = s3.get_object(Bucket=other, Key="x")
    assert r["Body"].read() == b"unversioned" and r["ContentType"] == "text/plain"
    assert r["ETag"] == f'"{md5_hex(b"unversioned")}"'


def test_orphan_bodies_removed_at_startup(server_factory, tmp_path):
    data = tmp_path / "data"
    first = server_factory(data_dir=data)
    c = first.client("s3")
    c.create_bucket(Bucket="orphans")
    c.put_object(Bucket="orphans", Key="keep", Body=b"keep")
    first.kill()
    stray = data / "s3" / "orphans" / "ff"
    stray.mkdir(parents=True, exist_ok=True)
    (stray / ("f" * 64 + "-deadbeef")).write_bytes(b"orphan")
    (data / "s3" / ".tmp").mkdir(exist_ok=True)
    (data / "s3" / ".tmp" / "partial").write_bytes(b"half")
    second = server_factory(data_dir=data)
    assert second.client("s3").get_object(Bucket="orphans", Key="keep")["Body"].read() == b"keep"
    assert not (stray / ("f" * 64 + "-deadbeef")).exists()
    assert not (data / "s3" / ".tmp" / "partial").exists()


@pytest.mark.parametrize("size", [40_000, 300_000], ids=["gathered", "sendfile"])
def test_body_file_shorter_than_metadata_is_never_sent_as_whole(server_factory, tmp_path, size):
    """A body file cut short behind the server's back: the GET fails on the client (the
    connection closes before Content-Length bytes), never a 200 with a short body, and the
    server keeps serving."""
    data = tmp_path / "data"
    srv = server_factory(data_dir=data)
    c = srv.client("s3", config=Config(retries={"max_attempts": 1}, signature_version="s3v4"))
    c.create_bucket(Bucket="cut")
    c.put_object(Bucket="cut", Key="k", Body=os.urandom(size))
    files = [os.path.join(d, f) for d, _, fs in os.walk(data / "s3" / "cut") for f in fs]
    assert len(files) == 1
    os.truncate(files[0], size // 2)
    url = c.generate_presigned_url("get_object", Params={"Bucket": "cut", "Key": "k"})
    started = time.monotonic()
    try:
        r = requests.get(url, timeout=10)
        body = r.content
    except requests.exceptions.Timeout:
        pytest.fail("the GET hung instead of failing")
    except requests.exceptions.RequestException:
        # Connection closed short of Content-Length: the client knows the body is incomplete,
        # and is told at once rather than left waiting for bytes that will not come.
        assert time.monotonic() - started < 3
    else:
        pytest.fail(f"a cut body was answered {r.status_code} with {len(body)} of {size} bytes")
    c.put_object(Bucket="cut", Key="ok", Body=b"still serving")
    assert c.get_object(Bucket="cut", Key="ok")["Body"].read() == b"still serving"


# ======================================================================================
# Memory: 1 GiB up and down with a bounded server RSS
# ======================================================================================

def _rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def test_one_gib_object_keeps_rss_small(server_factory):
    srv = server_factory()
    s3 = srv.client("s3")
    name = bucket_name("rss")
    s3.create_bucket(Bucket=name)
    size = 1024 * MiB
    peak = [0.0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], _rss_mib(srv.proc.pid))
            time.sleep(0.05)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        # Upload: one streamed PUT (UNSIGNED-PAYLOAD, 1 MiB chunks, zero bytes generated on the fly).
        url = f"{srv.url}/{name}/huge.bin"
        headers = sign_headers("PUT", url, "s3", headers={"Content-Length": str(size)}, unsigned_payload=True)
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=600)
        conn.putrequest("PUT", f"/{name}/huge.bin", skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", f"127.0.0.1:{srv.port}")
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.endheaders()
        chunk = b"\0" * MiB
        t0 = time.monotonic()
        for _ in range(size // MiB):
            conn.send(chunk)
        resp = conn.getresponse()
        upload_seconds = time.monotonic() - t0
        body = resp.read()
        assert resp.status == 200, body
        expected_md5 = hashlib.md5()
        for _ in range(size // MiB):
            expected_md5.update(chunk)
        assert resp.getheader("ETag") == f'"{expected_md5.hexdigest()}"'
        # Download, reading and discarding 1 MiB at a time.
        headers = sign_headers("GET", url, "s3", unsigned_payload=True)
        conn.putrequest("GET", f"/{name}/huge.bin", skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", f"127.0.0.1:{srv.port}")
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.endheaders()
        resp = conn.getresponse()
        assert resp.status == 200
        got = 0
        while True:
            data = resp.read(MiB)
            if not data:
                break
            got += len(data)
        assert got == size
        conn.close()
        print(f"1 GiB: upload {upload_seconds:.1f} s, peak RSS {peak[0]:.1f} MiB")
    finally:
        stop.set()
        sampler.join()
    assert peak[0] < 64, f"server RSS peaked at {peak[0]:.1f} MiB"
