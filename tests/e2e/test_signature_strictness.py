"""Signatures and framing as strict as AWS: x-amz-content-sha256, the credential scope's
service, session tokens on long-term keys, aws-chunked framing and S3's metadata limit.

Every refusal is checked for AWS's exact code, status and message, and for leaving state
untouched (nothing stored, created or changed); real clients are checked to still work.
"""
from __future__ import annotations

import hashlib
import hmac
import json

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import (ACCESS_KEY, FORM_CT, REGION, SECRET_KEY, RawHTTP, client_error_info, error_code,
                      make_client, raw_request_bytes, sign_headers, unique_name, xml_find_text)

SCOPE_MSG = "Credential should be scoped to correct service: '{}'. "
TOKEN_MSG = "The security token included in the request is invalid."
SHA_MSG = ("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
           "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
           "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER "
           "or a valid sha256 value.")
EMPTY_SHA = hashlib.sha256(b"").hexdigest()


def name(prefix="sig"):
    return unique_name(prefix)





def xml_error(r):
    return r.status_code, xml_find_text(r.content, "Code"), xml_find_text(r.content, "Message")


def json_error(r):
    doc = json.loads(r.content)
    return r.status_code, error_code(r), doc.get("message") or doc.get("Message")


def assert_absent(s3, bucket, key):
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key=key)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0


def send(method, url, service, body=b"", headers=None, **kw):
    hdrs = sign_headers(method, url, service, body=body, headers=headers, **kw)
    return requests.request(method, url, data=body if body else None, headers=hdrs, timeout=30)


# --------------------------------------------------------------------------------------
# x-amz-content-sha256
# --------------------------------------------------------------------------------------

def test_s3_missing_content_sha256_is_refused(server, s3, bucket):
    # botocore's plain SigV4Auth (not the S3 signer) never adds the header.
    r = send("PUT", f"{server.url}/{bucket}/k", "s3", body=b"data")
    assert xml_error(r) == (400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
    assert xml_find_text(r.content, "RequestId")
    assert_absent(s3, bucket, "k")
    r = send("GET", f"{server.url}/{bucket}", "s3")
    assert r.status_code == 400 and xml_find_text(r.content, "Code") == "InvalidRequest"


@pytest.mark.parametrize("value", ["abc", "unsigned-payload", "STREAMING-AWS4-HMAC-SHA256",
                                   "z" * 64, "tjnVEQ5UTP/DL91eAGOmew=="])
def test_s3_invalid_content_sha256_is_refused(server, s3, bucket, value):
    r = send("PUT", f"{server.url}/{bucket}/k", "s3", body=b"data", headers={"X-Amz-Content-SHA256": value})
    assert xml_error(r) == (400, "InvalidArgument", SHA_MSG)
    assert xml_find_text(r.content, "ArgumentName") == "x-amz-content-sha256"
    assert xml_find_text(r.content, "ArgumentValue") == value
    assert_absent(s3, bucket, "k")


def test_s3_content_sha256_valid_forms(server, s3, bucket):
    body = b"hello"
    upper = hashlib.sha256(body).hexdigest().upper()
    r = send("PUT", f"{server.url}/{bucket}/upper", "s3", body=body, headers={"X-Amz-Content-SHA256": upper})
    assert r.status_code == 200, r.text
    r = send("PUT", f"{server.url}/{bucket}/unsigned", "s3", body=body, unsigned_payload=True)
    assert r.status_code == 200, r.text
    # A well-formed hash of other bytes: AWS's mismatch error, nothing stored.
    r = send("PUT", f"{server.url}/{bucket}/wrong", "s3", body=body,
             headers={"X-Amz-Content-SHA256": hashlib.sha256(b"other").hexdigest()})
    assert xml_error(r)[:2] == (400, "XAmzContentSHA256Mismatch")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == ["unsigned", "upper"]


def test_s3_sigv4a_streaming_payload_is_not_implemented(server, s3, bucket):
    r = send("PUT", f"{server.url}/{bucket}/k", "s3", body=b"data",
             headers={"X-Amz-Content-SHA256": "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"})
    assert xml_error(r) == (501, "NotImplemented", "A header you provided implies functionality that is not implemented")
    assert_absent(s3, bucket, "k")


def test_s3_presigned_url_needs_no_content_sha256(server, bucket):
    from botocore.config import Config
    s3v4 = make_client(server.url, "s3", config=Config(signature_version="s3v4"))
    url = s3v4.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "pre"}, ExpiresIn=60)
    assert requests.put(url, data=b"x", timeout=30).status_code == 200
    assert s3v4.get_object(Bucket=bucket, Key="pre")["Body"].read() == b"x"


def test_non_s3_garbage_content_sha256_is_a_signature_mismatch(server, client):
    ddb = client("dynamodb")
    table = name("t")
    body = json.dumps({"TableName": table, "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
                       "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
                       "BillingMode": "PAY_PER_REQUEST"}).encode()
    r = send("POST", server.url + "/", "dynamodb", body=body,
             headers={"X-Amz-Target": "DynamoDB_20120810.CreateTable", "Content-Type": "application/x-amz-json-1.0",
                      "X-Amz-Content-SHA256": "garbage"})
    status, code, _ = json_error(r)
    assert (status, code) == (400, "InvalidSignatureException")
    assert table not in ddb.list_tables()["TableNames"]


# --------------------------------------------------------------------------------------
# Credential scope names another service
# --------------------------------------------------------------------------------------

def test_scope_service_mismatch_s3(server, s3, bucket):
    host = f"s3.localhost:{server.port}"
    url = f"http://127.0.0.1:{server.port}/{bucket}/k"
    hdrs = sign_headers("PUT", f"http://{host}/{bucket}/k", "sqs", body=b"data",
                        headers={"Host": host}, unsigned_payload=True)
    r = requests.put(url, data=b"data", headers=hdrs, timeout=30)
    assert xml_error(r) == (400, "AuthorizationHeaderMalformed",
                            'The authorization header is malformed; incorrect service "sqs". This endpoint belongs to "s3".')
    assert_absent(s3, bucket, "k")


def test_scope_service_mismatch_s3_presigned(server, s3, bucket):
    from botocore.auth import S3SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    host = f"s3.localhost:{server.port}"
    req = AWSRequest(method="GET", url=f"http://{host}/{bucket}", headers={"Host": host})
    S3SigV4QueryAuth(Credentials(ACCESS_KEY, SECRET_KEY), "sqs", REGION, expires=60).add_auth(req)
    url = req.url.replace(host, f"127.0.0.1:{server.port}", 1)
    r = requests.get(url, headers={"Host": host}, timeout=30)
    assert xml_error(r) == (400, "AuthorizationQueryParametersError",
                            'Error parsing the X-Amz-Credential parameter; incorrect service "sqs". '
                            'This endpoint belongs to "s3".')


def test_scope_service_mismatch_dynamodb(server, client):
    table = name("t")
    body = json.dumps({"TableName": table, "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
                       "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
                       "BillingMode": "PAY_PER_REQUEST"}).encode()
    r = send("POST", server.url + "/", "sqs", body=body,
             headers={"X-Amz-Target": "DynamoDB_20120810.CreateTable", "Content-Type": "application/x-amz-json-1.0"})
    assert json_error(r) == (400, "InvalidSignatureException", SCOPE_MSG.format("dynamodb"))
    assert r.headers.get("x-amzn-RequestId")
    assert table not in client("dynamodb").list_tables()["TableNames"]


def test_dynamodb_streams_signs_as_dynamodb(server, client):
    # The model's signing name, not the endpoint prefix (streams.dynamodb): not refused.
    r = send("POST", server.url + "/", "dynamodb", body=b"{}",
             headers={"X-Amz-Target": "DynamoDBStreams_20120810.ListStreams",
                      "Content-Type": "application/x-amz-json-1.0"})
    assert r.status_code == 200, r.text
    assert "Streams" in r.json()
    # boto3's own streams client, for good measure.
    assert "Streams" in client("dynamodbstreams").list_streams()


def test_scope_service_mismatch_sqs_json(server, client):
    q = name("q")
    r = send("POST", server.url + "/", "dynamodb", body=json.dumps({"QueueName": q}).encode(),
             headers={"X-Amz-Target": "AmazonSQS.CreateQueue", "Content-Type": "application/x-amz-json-1.0"})
    status, code, msg = json_error(r)
    assert (status, code, msg) == (403, "SignatureDoesNotMatch", SCOPE_MSG.format("sqs"))
    assert not any(u.endswith("/" + q) for u in client("sqs").list_queues().get("QueueUrls", []))


def test_scope_service_mismatch_sqs_query(server, client):
    q = name("q")
    host = f"sqs.{REGION}.localhost:{server.port}"
    body = f"Action=CreateQueue&QueueName={q}&Version=2012-11-05".encode()
    hdrs = sign_headers("POST", f"http://{host}/", "sts", body=body, headers={"Host": host, "Content-Type": FORM_CT})
    r = requests.post(f"http://127.0.0.1:{server.port}/", data=body, headers=hdrs, timeout=30)
    assert xml_error(r) == (403, "SignatureDoesNotMatch", SCOPE_MSG.format("sqs"))
    assert xml_find_text(r.content, "RequestId")
    assert not any(u.endswith("/" + q) for u in client("sqs").list_queues().get("QueueUrls", []))


def test_scope_service_mismatch_sts(server):
    host = f"sts.localhost:{server.port}"
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    hdrs = sign_headers("POST", f"http://{host}/", "iam", body=body, headers={"Host": host, "Content-Type": FORM_CT})
    r = requests.post(f"http://127.0.0.1:{server.port}/", data=body, headers=hdrs, timeout=30)
    assert xml_error(r) == (403, "SignatureDoesNotMatch", SCOPE_MSG.format("sts"))


# --------------------------------------------------------------------------------------
# Session token sent with long-term keys
# --------------------------------------------------------------------------------------

def test_session_token_with_root_keys_sts(server):
    sts = make_client(server.url, "sts", aws_session_token="FQoGZXIvYXdzEXAMPLETOKEN")
    with pytest.raises(ClientError) as e:
        sts.get_caller_identity()
    assert client_error_info(e.value) == (403, "InvalidClientTokenId", TOKEN_MSG)


def test_session_token_with_root_keys_dynamodb(server, client):
    ddb = make_client(server.url, "dynamodb", aws_session_token="FQoGZXIvYXdzEXAMPLETOKEN")
    table = name("t")
    with pytest.raises(ClientError) as e:
        ddb.create_table(TableName=table, AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    assert client_error_info(e.value) == (400, "UnrecognizedClientException", TOKEN_MSG)
    assert table not in client("dynamodb").list_tables()["TableNames"]


@pytest.mark.parametrize("protocol", ["json", "query"])
def test_session_token_with_root_keys_sqs(server, client, protocol):
    q = name("q")
    if protocol == "json":
        sqs = make_client(server.url, "sqs", aws_session_token="FQoGZXIvYXdzEXAMPLETOKEN")
        with pytest.raises(ClientError) as e:
            sqs.create_queue(QueueName=q)
        assert client_error_info(e.value) == (403, "InvalidClientTokenId", TOKEN_MSG)
    else:
        body = f"Action=CreateQueue&QueueName={q}&Version=2012-11-05".encode()
        r = send("POST", server.url + "/", "sqs", body=body,
                 headers={"Content-Type": FORM_CT, "X-Amz-Security-Token": "FQoGZXIvYXdzEXAMPLETOKEN"})
        assert xml_error(r) == (403, "InvalidClientTokenId", TOKEN_MSG)
    assert not any(u.endswith("/" + q) for u in client("sqs").list_queues().get("QueueUrls", []))


def test_session_token_with_root_keys_s3(server, s3, bucket):
    bad = make_client(server.url, "s3", aws_session_token="FQoGZXIvYXdzEXAMPLETOKEN")
    with pytest.raises(ClientError) as e:
        bad.put_object(Bucket=bucket, Key="k", Body=b"data")
    assert client_error_info(e.value) == (400, "InvalidToken", "The provided token is malformed or otherwise invalid.")
    assert_absent(s3, bucket, "k")


def test_session_token_with_root_keys_s3_sigv2_presigned(server, s3, bucket):
    """boto3's default presigned URL for S3 is SigV2; a token in it is refused just the same."""
    s3.put_object(Bucket=bucket, Key="presigned-k", Body=b"data")
    bad = make_client(server.url, "s3", aws_session_token="FQoGZXIvYXdzEXAMPLETOKEN")
    url = bad.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "presigned-k"})
    assert "AWSAccessKeyId=" in url and "x-amz-security-token=" in url
    r = requests.get(url, timeout=10)
    assert r.status_code == 400 and "<Code>InvalidToken</Code>" in r.text, r.text
    good = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "presigned-k"})
    assert requests.get(good, timeout=10).content == b"data"


# --------------------------------------------------------------------------------------
# aws-chunked framing
# --------------------------------------------------------------------------------------

def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(date):
    k = _hmac(("AWS4" + SECRET_KEY).encode(), date)
    for part in (REGION, "s3", "aws4_request"):
        k = _hmac(k, part)
    return k


def chunked_put(server, bucket, key, data, decoded_length, extra=b"", chunk=8, upper_sigs=False,
                payload="STREAMING-AWS4-HMAC-SHA256-PAYLOAD", content_length=None, query="", content_encoding="aws-chunked"):
    """A raw aws-chunked PUT signed as SDKs sign it; returns the RawResponse."""
    url = f"{server.url}/{bucket}/{key}" + (f"?{query}" if query else "")
    headers = {"Host": f"127.0.0.1:{server.port}", "Content-Encoding": content_encoding, "X-Amz-Content-SHA256": payload}
    if decoded_length is not None:
        headers["X-Amz-Decoded-Content-Length"] = str(decoded_length)
    # Sign the head first (the seed signature), then frame the body with chained signatures.
    hdrs = sign_headers("PUT", url, "s3", headers=headers)
    auth = hdrs["Authorization"]
    seed = auth.rsplit("Signature=", 1)[1]
    amz_date = hdrs["X-Amz-Date"]
    scope = f"{amz_date[:8]}/{REGION}/s3/aws4_request"
    key_bytes = signing_key(amz_date[:8])
    body, prev = b"", seed
    pieces = [data[i:i + chunk] for i in range(0, len(data), chunk)] + [b""]
    for p in pieces:
        if payload.startswith("STREAMING-AWS4-HMAC"):
            sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev, EMPTY_SHA, hashlib.sha256(p).hexdigest()])
            prev = hmac.new(key_bytes, sts.encode(), hashlib.sha256).hexdigest()
            sig = prev.upper() if upper_sigs else prev
            body += f"{len(p):x};chunk-signature={sig}\r\n".encode() + p + b"\r\n"
        else:
            body += f"{len(p):x}\r\n".encode() + p + (b"\r\n" if p else b"")
    if not payload.startswith("STREAMING-AWS4-HMAC"):
        crc = __import__("base64").b64encode(__import__("zlib").crc32(data).to_bytes(4, "big")).decode()
        body += f"x-amz-checksum-crc32:{crc}\r\n\r\n".encode()
    body += extra
    hdrs["Content-Length"] = str(content_length if content_length is not None else len(body))
    target = f"/{bucket}/{key}" + (f"?{query}" if query else "")
    head = f"PUT {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
    with RawHTTP(server) as c:
        c.send(head.encode() + body)
        return c.read_response()


def raw_xml_error(resp):
    return resp.status, xml_find_text(resp.body, "Code"), xml_find_text(resp.body, "Message")


DATA = b"0123456789abcdefghij"  # 20 bytes, three chunks of at most 8


def test_chunked_put_that_matches_is_stored(server, s3, bucket):
    r = chunked_put(server, bucket, "ok", DATA, len(DATA))
    assert r.status == 200, r.body
    assert s3.get_object(Bucket=bucket, Key="ok")["Body"].read() == DATA


def test_chunked_unsigned_trailer_put_is_stored(server, s3, bucket):
    r = chunked_put(server, bucket, "ok", DATA, len(DATA), payload="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    # (x-amz-trailer is not sent: the trailing checksum is then only carried, not demanded.)
    assert r.status == 200, r.body
    assert s3.get_object(Bucket=bucket, Key="ok")["Body"].read() == DATA


@pytest.mark.parametrize("declared", [None, "", "abc", "20x", "-20", "+20", "0x14"])
def test_chunked_put_without_a_numeric_decoded_length_is_refused(server, s3, bucket, declared):
    r = chunked_put(server, bucket, "k", DATA, declared)
    assert raw_xml_error(r) == (411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
    assert_absent(s3, bucket, "k")


def test_chunked_put_with_a_huge_decoded_length_is_refused(server, s3, bucket):
    huge = 5 * 1024 ** 3 + 1
    r = chunked_put(server, bucket, "k", DATA, huge)
    assert raw_xml_error(r) == (400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
    assert xml_find_text(r.body, "ProposedSize") == str(huge)
    assert xml_find_text(r.body, "MaxSizeAllowed") == str(5 * 1024 ** 3)
    assert_absent(s3, bucket, "k")


@pytest.mark.parametrize("declared", [len(DATA) - 1, len(DATA) + 1, 1000])
def test_chunked_put_with_a_wrong_decoded_length_stores_nothing(server, s3, bucket, declared):
    r = chunked_put(server, bucket, "k", DATA, declared)
    assert raw_xml_error(r) == (400, "IncompleteBody",
                                "You did not provide the number of bytes specified by the Content-Length HTTP header")
    assert_absent(s3, bucket, "k")


@pytest.mark.parametrize("extra", [b"X", b"\r\n", b"5;chunk-signature=" + b"0" * 64 + b"\r\nhello\r\n"])
def test_chunked_put_with_bytes_after_the_final_chunk_stores_nothing(server, s3, bucket, extra):
    r = chunked_put(server, bucket, "k", DATA, len(DATA), extra=extra)
    assert r.status == 400 and xml_find_text(r.body, "Code") == "InvalidRequest", r.body
    assert xml_find_text(r.body, "RequestId")
    assert_absent(s3, bucket, "k")


def test_chunked_put_with_upper_case_chunk_signatures_is_refused(server, s3, bucket):
    r = chunked_put(server, bucket, "k", DATA, len(DATA), upper_sigs=True)
    assert r.status == 403 and xml_find_text(r.body, "Code") == "SignatureDoesNotMatch", r.body
    assert_absent(s3, bucket, "k")


def test_chunked_put_over_an_existing_object_keeps_it(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="keep", Body=b"original")
    r = chunked_put(server, bucket, "keep", DATA, len(DATA) + 5)
    assert r.status == 400
    assert s3.get_object(Bucket=bucket, Key="keep")["Body"].read() == b"original"


def test_chunked_upload_part_with_bad_framing_stores_no_part(server, s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mpu")["UploadId"]
    query = f"partNumber=1&uploadId={upload}"
    for declared, extra in [(len(DATA) + 1, b""), (len(DATA), b"junk"), (None, b"")]:
        r = chunked_put(server, bucket, "mpu", DATA, declared, extra=extra, query=query)
        assert r.status in (400, 411), r.body
        assert s3.list_parts(Bucket=bucket, Key="mpu", UploadId=upload).get("Parts", []) == []
    r = chunked_put(server, bucket, "mpu", DATA, len(DATA), query=query)
    assert r.status == 200, r.body
    assert [p["Size"] for p in s3.list_parts(Bucket=bucket, Key="mpu", UploadId=upload)["Parts"]] == [len(DATA)]


# --------------------------------------------------------------------------------------
# S3 user metadata limit (2 KB)
# --------------------------------------------------------------------------------------

META_MSG = "Your metadata headers exceed the maximum allowed metadata size"


def test_metadata_too_large_put_object(server, s3, bucket):
    # Names (without x-amz-meta-) plus values: 3 + 2045 = 2048 is the most allowed.
    s3.put_object(Bucket=bucket, Key="max", Body=b"x", Metadata={"abc": "v" * 2045})
    assert s3.head_object(Bucket=bucket, Key="max")["Metadata"] == {"abc": "v" * 2045}
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="over", Body=b"x", Metadata={"abc": "v" * 2046})
    r = e.value.response
    assert client_error_info(e.value) == (400, "MetadataTooLarge", META_MSG)
    assert r["Error"].get("Size") == "2049" and r["Error"].get("MaxSizeAllowed") == "2048"
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="over")


def test_metadata_too_large_multipart_and_copy(server, s3, bucket):
    big = {"a": "1" * 1000, "b": "2" * 1000, "c": "3" * 100}
    with pytest.raises(ClientError) as e:
        s3.create_multipart_upload(Bucket=bucket, Key="mpu", Metadata=big)
    assert client_error_info(e.value)[:2] == (400, "MetadataTooLarge")
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    s3.put_object(Bucket=bucket, Key="src", Body=b"x", Metadata={"small": "1"})
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"},
                       MetadataDirective="REPLACE", Metadata=big)
    assert client_error_info(e.value)[:2] == (400, "MetadataTooLarge")
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="dst")


# --------------------------------------------------------------------------------------
# Real clients keep working
# --------------------------------------------------------------------------------------

def test_real_clients_still_work(server, s3, bucket, aws_cli, tmp_path):
    # boto3's default: flexible checksums, aws-chunked with a trailing CRC for streams.
    import io
    s3.upload_fileobj(io.BytesIO(b"z" * 70_000), bucket, "boto3-stream")
    s3.put_object(Bucket=bucket, Key="boto3-bytes", Body=b"bytes")
    f = tmp_path / "cli.txt"
    f.write_bytes(b"cli body")
    r = aws_cli("s3", "cp", str(f), f"s3://{bucket}/cli.txt")
    assert r.returncode == 0, r.stderr
    assert s3.get_object(Bucket=bucket, Key="cli.txt")["Body"].read() == b"cli body"
    assert s3.get_object(Bucket=bucket, Key="boto3-stream")["ContentLength"] == 70_000
    # SQS over both protocols; STS; DynamoDB.
    sqs = make_client(server.url, "sqs")
    url = sqs.create_queue(QueueName=name("q"))["QueueUrl"]
    body = f"Action=GetQueueAttributes&QueueUrl={url}&AttributeName.1=All&Version=2012-11-05".encode()
    r = send("POST", server.url + "/", "sqs", body=body, headers={"Content-Type": FORM_CT})
    assert r.status_code == 200, r.text
    assert make_client(server.url, "sts").get_caller_identity()["Account"]
    assert "TableNames" in make_client(server.url, "dynamodb").list_tables()
