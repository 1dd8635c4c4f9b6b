"""S3 server-side encryption end to end: SSE-S3 (AES256), SSE-C and SSE-KMS/DSSE-KMS with
boto3 and the AWS CLI. Bodies in the data dir are ciphertext (a grep of every file for every
plaintext written), SSE-C needs its key again on GET/HEAD/copy, SSE-KMS asks KMS as the
caller (a caller without kms:Decrypt is refused, a disabled key or one pending deletion
answers KMS's error as S3 words it).
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, make_client, run_aws_cli, unique_name


def err(excinfo):
    r = excinfo.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Code"), r["Error"].get("Message")


def marker(n: int = 200_000) -> bytes:
    """A body no other test writes, recognisable anywhere in the data dir."""
    tag = ("PLAINTEXT-" + uuid.uuid4().hex + "-").encode()
    return (tag * (n // len(tag) + 1))[:n]


def data_dir_files(root: Path):
    for dirpath, _, files in os.walk(root):
        for f in files:
            yield Path(dirpath) / f


def assert_nowhere(root: Path, *needles: bytes):
    for p in data_dir_files(root):
        data = p.read_bytes()
        for n in needles:
            assert n not in data, f"plaintext found in {p}"


def sse_c_key():
    key = os.urandom(32)
    return key, {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}


# --------------------------------------------------------------------------------------
# SSE-S3
# --------------------------------------------------------------------------------------

def test_sse_s3_default_and_explicit_with_ranges(s3, bucket):
    body = marker(300_000)
    r = s3.put_object(Bucket=bucket, Key="plain", Body=body)
    assert r["ServerSideEncryption"] == "AES256"
    r = s3.put_object(Bucket=bucket, Key="explicit", Body=body, ServerSideEncryption="AES256")
    assert r["ServerSideEncryption"] == "AES256"
    g = s3.get_object(Bucket=bucket, Key="explicit")
    assert g["ServerSideEncryption"] == "AES256"
    assert g["Body"].read() == body
    part = s3.get_object(Bucket=bucket, Key="plain", Range="bytes=65530-140000")
    assert part["Body"].read() == body[65530:140001]
    assert part["ContentRange"] == "bytes 65530-140000/300000"
    assert s3.head_object(Bucket=bucket, Key="plain")["ServerSideEncryption"] == "AES256"
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="x", Body=b"1", ServerSideEncryption="AES512")
    assert err(e)[:2] == (400, "InvalidArgument")


def test_sse_s3_multipart_and_copy_keep_checksums(s3, bucket):
    p1 = marker(5 * 1024 * 1024 + 3)
    p2 = marker(70_001)
    up = s3.create_multipart_upload(Bucket=bucket, Key="mpu")
    assert up["ServerSideEncryption"] == "AES256"
    parts = []
    for n, data in ((1, p1), (2, p2)):
        r = s3.upload_part(Bucket=bucket, Key="mpu", UploadId=up["UploadId"], PartNumber=n, Body=data)
        assert r["ServerSideEncryption"] == "AES256"
        parts.append({"PartNumber": n, "ETag": r["ETag"]})
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mpu", UploadId=up["UploadId"],
                                        MultipartUpload={"Parts": parts})
    assert done["ServerSideEncryption"] == "AES256"
    whole = p1 + p2
    # The default checksum is combined from the parts; a copy recomputes it from the
    # decrypted body: both are the plaintext's.
    recomputed = s3.copy_object(Bucket=bucket, Key="recomputed", CopySource={"Bucket": bucket, "Key": "mpu"})
    assert done["ChecksumCRC64NVME"] == recomputed["CopyObjectResult"]["ChecksumCRC64NVME"]
    assert s3.get_object(Bucket=bucket, Key="mpu")["Body"].read() == whole
    edge = len(p1) - 10
    assert s3.get_object(Bucket=bucket, Key="mpu", Range=f"bytes={edge}-{edge + 99}")["Body"].read() == whole[edge:edge + 100]
    assert s3.get_object(Bucket=bucket, Key="mpu", PartNumber=2)["Body"].read() == p2
    got = s3.get_object(Bucket=bucket, Key="mpu", ChecksumMode="ENABLED")
    assert got["ChecksumCRC64NVME"] == done["ChecksumCRC64NVME"]
    c = s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "mpu"})
    assert c["ServerSideEncryption"] == "AES256"
    assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == whole
    # UploadPartCopy from an encrypted source, with a range.
    up2 = s3.create_multipart_upload(Bucket=bucket, Key="mpu2")
    pc = s3.upload_part_copy(Bucket=bucket, Key="mpu2", UploadId=up2["UploadId"], PartNumber=1,
                             CopySource={"Bucket": bucket, "Key": "mpu"}, CopySourceRange="bytes=100-199")
    s3.complete_multipart_upload(Bucket=bucket, Key="mpu2", UploadId=up2["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": pc["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="mpu2")["Body"].read() == whole[100:200]


# --------------------------------------------------------------------------------------
# SSE-C
# --------------------------------------------------------------------------------------

def test_sse_c_round_trip_and_aws_errors(s3, bucket):
    key, sse = sse_c_key()
    other, sse_other = sse_c_key()
    body = marker(150_000)
    r = s3.put_object(Bucket=bucket, Key="c", Body=body, **sse)
    md5 = base64.b64encode(hashlib.md5(key).digest()).decode()
    assert r["SSECustomerAlgorithm"] == "AES256"
    assert r["SSECustomerKeyMD5"] == md5
    assert "ServerSideEncryption" not in r

    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c")
    assert err(e) == (400, "InvalidRequest", "The object was stored using a form of Server Side Encryption. "
                      "The correct parameters must be provided to retrieve the object.")
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="c")
    assert err(e)[0] == 400
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c", **sse_other)
    assert err(e) == (403, "AccessDenied",
                      "Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key.")
    g = s3.get_object(Bucket=bucket, Key="c", **sse)
    assert g["Body"].read() == body
    assert g["SSECustomerKeyMD5"] == md5
    assert s3.get_object(Bucket=bucket, Key="c", Range="bytes=-100", **sse)["Body"].read() == body[-100:]
    h = s3.head_object(Bucket=bucket, Key="c", **sse)
    assert h["ContentLength"] == len(body) and h["SSECustomerAlgorithm"] == "AES256"

    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="both", Body=b"x", ServerSideEncryption="AES256", **sse)
    assert err(e) == (400, "InvalidArgument",
                      "Server Side Encryption with Customer provided key is incompatible with the encryption method specified")

    # Copy: the source's key is required; the target may use another key, or none.
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="c2", CopySource={"Bucket": bucket, "Key": "c"})
    assert err(e)[:2] == (400, "InvalidRequest")
    r = s3.copy_object(Bucket=bucket, Key="c2", CopySource={"Bucket": bucket, "Key": "c"},
                       CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=key, **sse_other)
    assert r["SSECustomerKeyMD5"] == base64.b64encode(hashlib.md5(other).digest()).decode()
    assert s3.get_object(Bucket=bucket, Key="c2", **sse_other)["Body"].read() == body
    r = s3.copy_object(Bucket=bucket, Key="c3", CopySource={"Bucket": bucket, "Key": "c"},
                       CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=key)
    assert r["ServerSideEncryption"] == "AES256"
    assert s3.get_object(Bucket=bucket, Key="c3")["Body"].read() == body


def test_sse_c_multipart(s3, bucket):
    key, sse = sse_c_key()
    _, sse_other = sse_c_key()
    up = s3.create_multipart_upload(Bucket=bucket, Key="m", **sse)
    assert up["SSECustomerAlgorithm"] == "AES256"
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="m", UploadId=up["UploadId"], PartNumber=1, Body=b"x")
    assert err(e) == (400, "InvalidRequest", "The multipart upload initiate requested encryption. "
                      "Subsequent part requests must include the appropriate encryption parameters.")
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="m", UploadId=up["UploadId"], PartNumber=1, Body=b"x", **sse_other)
    assert err(e) == (400, "InvalidRequest", "The provided encryption parameters did not match the ones used originally.")
    p1, p2 = marker(5 * 1024 * 1024), marker(1000)
    e1 = s3.upload_part(Bucket=bucket, Key="m", UploadId=up["UploadId"], PartNumber=1, Body=p1, **sse)["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="m", UploadId=up["UploadId"], PartNumber=2, Body=p2, **sse)["ETag"]
    # Completing needs no key.
    s3.complete_multipart_upload(Bucket=bucket, Key="m", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="m")
    assert err(e)[:2] == (400, "InvalidRequest")
    assert s3.get_object(Bucket=bucket, Key="m", **sse)["Body"].read() == p1 + p2


def test_sse_c_with_the_cli(server, bucket, tmp_path):
    key = os.urandom(32)
    src = tmp_path / "in.bin"
    body = marker(10_000)
    src.write_bytes(body)
    # The CLI takes the raw key with fileb:// and computes its MD5 itself.
    (tmp_path / "key.bin").write_bytes(key)
    r = run_aws_cli(server.url, "s3api", "put-object", "--bucket", bucket, "--key", "cli", "--body", str(src),
                    "--sse-customer-algorithm", "AES256", "--sse-customer-key", f"fileb://{tmp_path / 'key.bin'}")
    assert r.returncode == 0, r.stderr
    assert r.json["SSECustomerAlgorithm"] == "AES256"
    r = run_aws_cli(server.url, "s3api", "get-object", "--bucket", bucket, "--key", "cli", str(tmp_path / "out.bin"))
    assert r.returncode != 0 and "InvalidRequest" in r.stderr
    r = run_aws_cli(server.url, "s3api", "get-object", "--bucket", bucket, "--key", "cli", str(tmp_path / "out.bin"),
                    "--sse-customer-algorithm", "AES256", "--sse-customer-key", f"fileb://{tmp_path / 'key.bin'}")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out.bin").read_bytes() == body


# --------------------------------------------------------------------------------------
# At rest: nothing in the data dir is plaintext, and it all survives a restart
# --------------------------------------------------------------------------------------

def test_data_dir_holds_no_plaintext_body_or_customer_key(server_factory, tmp_path):
    data = tmp_path / "data"
    srv = server_factory(data_dir=data)
    s3 = make_client(srv.url, "s3")
    b = unique_name()
    s3.create_bucket(Bucket=b)
    key, sse = sse_c_key()
    small, big = marker(100), marker(400_000)
    p1 = marker(5 * 1024 * 1024)
    s3.put_object(Bucket=b, Key="small", Body=small)
    s3.put_object(Bucket=b, Key="big", Body=big)
    s3.put_object(Bucket=b, Key="ssec", Body=big[:1000] + b"ssec", **sse)
    up = s3.create_multipart_upload(Bucket=b, Key="mpu")
    e1 = s3.upload_part(Bucket=b, Key="mpu", UploadId=up["UploadId"], PartNumber=1, Body=p1)["ETag"]
    s3.complete_multipart_upload(Bucket=b, Key="mpu", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}]})
    s3.copy_object(Bucket=b, Key="copy", CopySource={"Bucket": b, "Key": "big"})
    srv.stop()
    needles = [small, big[:64], big[-64:], p1[:64], p1[-64:], key, base64.b64encode(key)]
    assert_nowhere(data, *needles)
    srv2 = server_factory(data_dir=data)
    s3 = make_client(srv2.url, "s3")
    assert s3.get_object(Bucket=b, Key="small")["Body"].read() == small
    assert s3.get_object(Bucket=b, Key="big")["Body"].read() == big
    assert s3.get_object(Bucket=b, Key="copy")["Body"].read() == big
    assert s3.get_object(Bucket=b, Key="mpu")["Body"].read() == p1
    assert s3.get_object(Bucket=b, Key="ssec", **sse)["Body"].read() == big[:1000] + b"ssec"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=b, Key="ssec", **sse_c_key()[1])
    assert err(e)[:2] == (403, "AccessDenied")


# --------------------------------------------------------------------------------------
# SSE-KMS / DSSE-KMS (KMS through the invoker, as the caller)
# --------------------------------------------------------------------------------------

def make_user(server, iam, policy):
    name = unique_name("u")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return lambda service: make_client(server.url, service, aws_access_key_id=key["AccessKeyId"],
                                       aws_secret_access_key=key["SecretAccessKey"])


def test_sse_kms_with_default_and_customer_keys(s3, client, bucket):
    kms = client("kms")
    body = marker(120_000)
    r = s3.put_object(Bucket=bucket, Key="managed", Body=body, ServerSideEncryption="aws:kms")
    assert r["ServerSideEncryption"] == "aws:kms"
    managed = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert managed["KeyManager"] == "AWS"
    assert r["SSEKMSKeyId"] == managed["Arn"]
    g = s3.get_object(Bucket=bucket, Key="managed")
    assert g["Body"].read() == body and g["SSEKMSKeyId"] == managed["Arn"]

    key = kms.create_key()["KeyMetadata"]
    ctx = base64.b64encode(json.dumps({"team": "blue"}).encode()).decode()
    r = s3.put_object(Bucket=bucket, Key="cmk", Body=body, ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"],
                      SSEKMSEncryptionContext=ctx)
    assert r["SSEKMSKeyId"] == key["Arn"]
    assert s3.get_object(Bucket=bucket, Key="cmk", Range="bytes=70000-70009")["Body"].read() == body[70000:70010]
    h = s3.head_object(Bucket=bucket, Key="cmk")
    assert h["ServerSideEncryption"] == "aws:kms" and h["SSEKMSKeyId"] == key["Arn"]

    r = s3.put_object(Bucket=bucket, Key="dsse", Body=body, ServerSideEncryption="aws:kms:dsse", SSEKMSKeyId=key["Arn"])
    assert r["ServerSideEncryption"] == "aws:kms:dsse"
    assert s3.get_object(Bucket=bucket, Key="dsse")["Body"].read() == body

    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="x", Body=b"1", ServerSideEncryption="aws:kms", SSEKMSKeyId="fake-key-id")
    assert err(e)[:2] == (400, "KMS.NotFoundException")

    # Bucket default with a key and an S3 Bucket Key.
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]},
        "BucketKeyEnabled": True}]})
    r = s3.put_object(Bucket=bucket, Key="default", Body=body)
    assert r["ServerSideEncryption"] == "aws:kms" and r["SSEKMSKeyId"] == key["Arn"] and r["BucketKeyEnabled"] is True
    g = s3.get_object(Bucket=bucket, Key="default")
    assert g["Body"].read() == body and g["BucketKeyEnabled"] is True

    # Multipart and copy under KMS.
    up = s3.create_multipart_upload(Bucket=bucket, Key="mpu", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
    assert up["SSEKMSKeyId"] == key["Arn"]
    p1 = marker(5 * 1024 * 1024)
    e1 = s3.upload_part(Bucket=bucket, Key="mpu", UploadId=up["UploadId"], PartNumber=1, Body=p1)
    assert e1["SSEKMSKeyId"] == key["Arn"]
    e2 = s3.upload_part(Bucket=bucket, Key="mpu", UploadId=up["UploadId"], PartNumber=2, Body=body)
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mpu", UploadId=up["UploadId"], MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": e1["ETag"]}, {"PartNumber": 2, "ETag": e2["ETag"]}]})
    assert done["ServerSideEncryption"] == "aws:kms"
    assert s3.get_object(Bucket=bucket, Key="mpu")["Body"].read() == p1 + body
    c = s3.copy_object(Bucket=bucket, Key="copied", CopySource={"Bucket": bucket, "Key": "cmk"},
                       ServerSideEncryption="AES256")
    assert c["ServerSideEncryption"] == "AES256"
    assert s3.get_object(Bucket=bucket, Key="copied")["Body"].read() == body


def test_sse_kms_key_disabled_pending_deletion_and_no_decrypt(server, s3, client, bucket):
    kms = client("kms")
    key = kms.create_key()["KeyMetadata"]
    arn = key["Arn"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"secret-kms-body", ServerSideEncryption="aws:kms", SSEKMSKeyId=arn)

    # A user with every S3 permission but no KMS permission: the key's default policy leaves
    # it to IAM, so KMS refuses, and S3 answers 403 AccessDenied.
    as_user = make_user(server, client("iam"), {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    user_s3 = as_user("s3")
    with pytest.raises(ClientError) as e:
        user_s3.get_object(Bucket=bucket, Key="k")
    status, code, message = err(e)
    assert (status, code) == (403, "AccessDenied")
    assert "kms:Decrypt" in message
    with pytest.raises(ClientError) as e:
        user_s3.put_object(Bucket=bucket, Key="u", Body=b"1", ServerSideEncryption="aws:kms", SSEKMSKeyId=arn)
    assert err(e)[:2] == (403, "AccessDenied")
    # HEAD needs no KMS permission; SSE-S3 objects need none either.
    assert user_s3.head_object(Bucket=bucket, Key="k")["SSEKMSKeyId"] == arn
    user_s3.put_object(Bucket=bucket, Key="plain", Body=b"1")
    # With kms:Decrypt the same user reads it.
    as_reader = make_user(server, client("iam"), {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": arn}]})
    assert as_reader("s3").get_object(Bucket=bucket, Key="k")["Body"].read() == b"secret-kms-body"

    kms.disable_key(KeyId=arn)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k")
    assert err(e) == (400, "KMS.DisabledException", f"{arn} is disabled.")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k2", Body=b"1", ServerSideEncryption="aws:kms", SSEKMSKeyId=arn)
    assert err(e)[:2] == (400, "KMS.DisabledException")
    kms.enable_key(KeyId=arn)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"secret-kms-body"

    kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=7)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k")
    assert err(e) == (400, "KMS.KMSInvalidStateException", f"{arn} is pending deletion.")


def test_sse_kms_with_the_cli(server, client, bucket, tmp_path):
    key = client("kms").create_key()["KeyMetadata"]
    src = tmp_path / "in.txt"
    src.write_bytes(b"cli kms body")
    r = run_aws_cli(server.url, "s3", "cp", str(src), f"s3://{bucket}/cli.txt", "--sse", "aws:kms",
                    "--sse-kms-key-id", key["KeyId"])
    assert r.returncode == 0, r.stderr
    r = run_aws_cli(server.url, "s3api", "head-object", "--bucket", bucket, "--key", "cli.txt")
    assert r.returncode == 0, r.stderr
    assert r.json["ServerSideEncryption"] == "aws:kms" and r.json["SSEKMSKeyId"] == key["Arn"]
    r = run_aws_cli(server.url, "s3", "cp", f"s3://{bucket}/cli.txt", str(tmp_path / "out.txt"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out.txt").read_bytes() == b"cli kms body"


def test_sse_kms_bodies_in_the_data_dir_are_ciphertext(server_factory, tmp_path):
    data = tmp_path / "data"
    srv = server_factory(data_dir=data)
    s3 = make_client(srv.url, "s3")
    b = unique_name()
    s3.create_bucket(Bucket=b)
    body = marker(100_000)
    s3.put_object(Bucket=b, Key="k", Body=body, ServerSideEncryption="aws:kms")
    srv.stop()
    assert_nowhere(data, body[:64], body[-64:])
    srv2 = server_factory(data_dir=data)
    assert make_client(srv2.url, "s3").get_object(Bucket=b, Key="k")["Body"].read() == body


def test_kms_via_service_condition_allows_s3_only(server, client, bucket):
    """A user may use the key only through S3 (kms:ViaService): S3 PUT/GET work, the same
    call straight to KMS is refused."""
    kms = client("kms")
    key = kms.create_key()["KeyMetadata"]
    as_user = make_user(server, client("iam"), {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": key["Arn"],
         "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}]})
    s3u = as_user("s3")
    s3u.put_object(Bucket=bucket, Key="via", Body=b"through s3", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
    assert s3u.get_object(Bucket=bucket, Key="via")["Body"].read() == b"through s3"
    with pytest.raises(ClientError) as e:
        as_user("kms").generate_data_key(KeyId=key["Arn"], KeySpec="AES_256")
    assert err(e)[1] == "AccessDeniedException"
