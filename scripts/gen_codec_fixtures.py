#!/usr/bin/env python3
"""Generate request-decoding fixtures with botocore's own serializers.

Writes Tests/SimfraProtocolsTests/Fixtures/codec_inputs.json: one entry per case, each the
exact HTTP request a boto3 client (botocore 1.43.11) puts on the wire for an operation and
its parameters, plus those parameters typed by the operation's input shape, so Simfra's
model-driven decoders can be checked against what real clients send.

Requests are captured in a `before-send` handler, i.e. after every botocore customization
(checksums, S3 key quoting, EC2 UserData base64, ...) and after signing, and are never sent.

Each fixture is an object:
  name, service (botocore name), protocol ("query"|"ec2"|"json"|"rest-json"|"rest-xml"|
  "smithy-rpc-v2-cbor"), operation,
  method, path (raw, percent-encoded), query (raw, no leading '?', may be empty),
  headers   [[name, value], ...] as sent, less volatile ones (X-Amz-Date, Authorization,
            User-Agent, amz-sdk-invocation-id, amz-sdk-request),
  body_b64  base64 of the body bytes,
  expected  the parameters, typed by walking botocore's input shape:
              structures -> objects keyed by MEMBER name (never wire name), lists -> arrays,
              maps -> objects, strings -> strings, booleans -> true/false,
              integer/long/short/byte -> {"$int": n}, float/double -> {"$double": x}
              (x may be "NaN"/"Infinity"/"-Infinity"), timestamp -> {"$ts": epoch seconds},
              blob -> {"$blob": base64}.
            Members bound to headers, the URI and the query string are included too:
            Simfra decodes every location into one input value.
  auto_members  top-level input members botocore put on the wire that the case did not
            pass (Content-Length, flexible-checksum headers, x-amz-checksum-mode, ...);
            a decoder may report them and the test ignores them,
  note      (optional) why `expected` differs from the raw parameters: where a botocore
            customization rewrites a parameter (S3 CopySource quoting, EC2 UserData
            base64), `expected` holds the value on the wire, which is what a decoder sees.

Protocols: services are serialized with their default protocol, except SQS (also awsQuery)
and CloudWatch (rpcv2Cbor, json 1.0 and awsQuery): those clients are built from a copy of the
model whose metadata names only the wanted protocol, so the whole client (serializer and
handlers) behaves as it would for that protocol.

SQS awsQuery comes in two forms:
  sqs-query-*         the current model (which has lost the awsQuery-era wire names:
                      `Attributes.1.key`, `MessageAttributes.1.value.DataType`, ...);
  sqs-legacy-query-*  the current model overlaid with the awsQuery-era traits of SQS
                      (SQS_LEGACY_QUERY_TRAITS below, from botocore 1.34.22's SQS model,
                      protocol "query"):
                      `Attribute.1.Name`, `MessageAttribute.1.Value.DataType`, `Tag.1.Key`,
                      `MessageAttributeName.1`, `SendMessageBatchRequestEntry.1.Id`, ...,
                      which is what awsQuery-era SDKs (and the AWS docs' examples) send.

Usage: python3 scripts/gen_codec_fixtures.py   (needs boto3/botocore 1.43.11; output is
deterministic)
"""

import base64
import copy
import datetime
import json
import math
import os
import sys
from urllib.parse import parse_qsl, urlsplit

import boto3
import botocore
import botocore.handlers
from botocore.awsrequest import AWSPreparedRequest
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "SimfraProtocolsTests", "Fixtures", "codec_inputs.json")

PINNED_BOTOCORE = "1.43.11"
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ENDPOINT = "http://localhost:4599"
VOLATILE = {"x-amz-date", "authorization", "user-agent", "amz-sdk-invocation-id", "amz-sdk-request"}

UTC = datetime.timezone.utc


def ts(*a, us=0):
    return datetime.datetime(*a, microsecond=us, tzinfo=UTC)


# awsQuery-era wire names of SQS: for each shape, the traits the JSON-era model no longer
# carries, as botocore 1.34.22's SQS model (2012-11-05, protocol "query") has them. Only
# input-side shapes are listed.
SQS_LEGACY_QUERY_TRAITS = {
    "AWSAccountIdList": {"member": {"locationName": "AWSAccountId"}},
    "ActionNameList": {"member": {"locationName": "ActionName"}},
    "AttributeNameList": {"member": {"locationName": "AttributeName"}},
    "BinaryList": {"member": {"locationName": "BinaryListValue"}},
    "ChangeMessageVisibilityBatchRequestEntryList": {
        "member": {"locationName": "ChangeMessageVisibilityBatchRequestEntry"}},
    "CreateQueueRequest": {"members": {"Attributes": {"locationName": "Attribute"},
                                       "tags": {"locationName": "Tag"}}},
    "DeleteMessageBatchRequestEntryList": {"member": {"locationName": "DeleteMessageBatchRequestEntry"}},
    "MessageAttributeNameList": {"member": {"locationName": "MessageAttributeName"}},
    "MessageAttributeValue": {"members": {"BinaryListValues": {"locationName": "BinaryListValue"},
                                          "StringListValues": {"locationName": "StringListValue"}}},
    "MessageBodyAttributeMap": {"key": {"locationName": "Name"}, "value": {"locationName": "Value"}},
    "MessageBodySystemAttributeMap": {"key": {"locationName": "Name"}, "value": {"locationName": "Value"}},
    "MessageSystemAttributeValue": {"members": {"BinaryListValues": {"locationName": "BinaryListValue"},
                                                "StringListValues": {"locationName": "StringListValue"}}},
    "QueueAttributeMap": {"locationName": "Attribute", "key": {"locationName": "Name"},
                          "value": {"locationName": "Value"}},
    "SendMessageBatchRequestEntry": {"members": {"MessageAttributes": {"locationName": "MessageAttribute"},
                                                 "MessageSystemAttributes": {"locationName": "MessageSystemAttribute"}}},
    "SendMessageBatchRequestEntryList": {"member": {"locationName": "SendMessageBatchRequestEntry"}},
    "SendMessageRequest": {"members": {"MessageAttributes": {"locationName": "MessageAttribute"},
                                       "MessageSystemAttributes": {"locationName": "MessageSystemAttribute"}}},
    "SetQueueAttributesRequest": {"members": {"Attributes": {"locationName": "Attribute"}}},
    "StringList": {"member": {"locationName": "StringListValue"}},
    "TagKeyList": {"member": {"locationName": "TagKey"}},
    "TagMap": {"locationName": "Tag", "key": {"locationName": "Key"}, "value": {"locationName": "Value"}},
}


def overlay(dst, src):
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            overlay(dst[k], v)
        else:
            dst[k] = v


# ---------------------------------------------------------------------------------------
# Clients


class Captured(Exception):
    def __init__(self, request):
        super().__init__("captured")
        self.request = request


_clients = {}


def client_for(service, protocol=None, variant=None, s3=False):
    """A boto3 client whose requests stop at before-send. `protocol` forces the protocol by
    rewriting the model's metadata; `variant="legacy"` applies SQS_LEGACY_QUERY_TRAITS."""
    key = (service, protocol, variant)
    if key in _clients:
        return _clients[key]
    session = boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                                    region_name="us-east-1")
    if protocol or variant:
        loader = session._session.get_component("data_loader")
        original = loader.load_service_model

        def patched(service_name, type_name, api_version=None):
            model = original(service_name, type_name, api_version)
            if service_name == service and type_name == "service-2":
                model = copy.deepcopy(model)
                if protocol:
                    model["metadata"]["protocol"] = protocol
                    model["metadata"]["protocols"] = [protocol]
                if variant == "legacy":
                    model["metadata"]["xmlNamespace"] = "http://queue.amazonaws.com/doc/2012-11-05/"
                    for shape, traits in SQS_LEGACY_QUERY_TRAITS.items():
                        overlay(model["shapes"][shape], traits)
            return model

        loader.load_service_model = patched
    config = Config(
        request_checksum_calculation="when_required",
        disable_request_compression=True,
        retries={"max_attempts": 1},
        s3={"addressing_style": "path"} if s3 else None,
    )
    c = session.client(service, endpoint_url=ENDPOINT, config=config)

    def stop(request, **kwargs):
        raise Captured(request)

    c.meta.events.register("before-send", stop)
    _clients[key] = c
    return c


def capture(c, operation, params):
    try:
        c._make_api_call(operation, copy.deepcopy(params))
    except Captured as e:
        return e.request
    raise RuntimeError("request was not captured")


def body_bytes(body):
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        pos = body.tell() if hasattr(body, "tell") else None
        data = body.read()
        if pos is not None:
            body.seek(pos)
        return data if isinstance(data, bytes) else data.encode("utf-8")
    raise TypeError("unexpected body type %r" % type(body))


def header_text(v):
    if isinstance(v, bytes):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            return v.decode("latin-1")
    return str(v)


# ---------------------------------------------------------------------------------------
# Typed expected values, by walking botocore's input shape


def epoch(v):
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=UTC)
        return v.timestamp()
    if isinstance(v, (int, float)):
        return float(v)
    from botocore.utils import parse_timestamp
    return parse_timestamp(v).timestamp()


def typed(value, shape, path="$"):
    t = shape.type_name
    if t == "structure":
        if not isinstance(value, dict):
            raise TypeError("%s: expected dict" % path)
        out = {}
        for k, v in value.items():
            if k not in shape.members:
                raise KeyError("%s: %s is not a member of %s" % (path, k, shape.name))
            out[k] = typed(v, shape.members[k], "%s.%s" % (path, k))
        return out
    if t == "list":
        return [typed(v, shape.member, "%s[%d]" % (path, i)) for i, v in enumerate(value)]
    if t == "map":
        return {k: typed(v, shape.value, "%s.%s" % (path, k)) for k, v in value.items()}
    if t == "string":
        if not isinstance(value, str):
            raise TypeError("%s: expected str" % path)
        return value
    if t == "boolean":
        return bool(value)
    if t in ("integer", "long", "short", "byte"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("%s: expected int" % path)
        return {"$int": value}
    if t in ("float", "double"):
        x = float(value)
        if math.isnan(x):
            return {"$double": "NaN"}
        if math.isinf(x):
            return {"$double": "Infinity" if x > 0 else "-Infinity"}
        return {"$double": x}
    if t == "timestamp":
        return {"$ts": epoch(value)}
    if t == "blob":
        if isinstance(value, str):
            value = value.encode("utf-8")
        return {"$blob": base64.b64encode(bytes(value)).decode("ascii")}
    raise TypeError("%s: unhandled shape type %s" % (path, t))


def check_constraints(value, shape, path="$"):
    """The checks Simfra's ShapeValidator makes and botocore's client-side validation does
    not (enums, max lengths and ranges), so a case never fails for a bad parameter."""
    t = shape.type_name
    meta = shape.metadata
    problems = []

    def length(n):
        if "min" in meta and n < meta["min"]:
            problems.append("%s: length %d < min %s" % (path, n, meta["min"]))
        if "max" in meta and n > meta["max"]:
            problems.append("%s: length %d > max %s" % (path, n, meta["max"]))

    if t == "structure":
        for k, v in value.items():
            problems += check_constraints(v, shape.members[k], "%s.%s" % (path, k))
        for r in shape.required_members:
            if r not in value:
                problems.append("%s: missing required %s" % (path, r))
    elif t == "list":
        length(len(value))
        for i, v in enumerate(value):
            problems += check_constraints(v, shape.member, "%s[%d]" % (path, i))
    elif t == "map":
        length(len(value))
        for k, v in value.items():
            problems += check_constraints(k, shape.key, "%s{key}" % path)
            problems += check_constraints(v, shape.value, "%s.%s" % (path, k))
    elif t == "string":
        if shape.enum and value not in shape.enum:
            problems.append("%s: %r not in enum" % (path, value))
        length(len(value))
    elif t == "blob":
        length(len(value if isinstance(value, (bytes, bytearray)) else value.encode()))
    elif t in ("integer", "long", "short", "byte", "float", "double"):
        if "min" in meta and value < meta["min"]:
            problems.append("%s: %r < min %s" % (path, value, meta["min"]))
        if "max" in meta and value > meta["max"]:
            problems.append("%s: %r > max %s" % (path, value, meta["max"]))
    return problems


def auto_members(shape, params, url, headers):
    """Top-level members botocore put on the wire without being passed."""
    query_keys = {k for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
    header_names = {k.lower() for k, _ in headers}
    auto = []
    for name, m in shape.members.items():
        if name in params:
            continue
        if m.metadata.get("idempotencyToken"):
            # botocore would fill in a random token: cases pass them explicitly.
            raise ValueError("idempotency token %s must be passed explicitly" % name)
        loc = m.serialization.get("location")
        wire = m.serialization.get("name", name)
        if loc == "header" and wire.lower() in header_names:
            auto.append(name)
        elif loc == "headers" and any(h.startswith(wire.lower()) for h in header_names):
            auto.append(name)
        elif loc == "querystring" and m.type_name != "map" and wire in query_keys:
            auto.append(name)
    return sorted(auto)


# ---------------------------------------------------------------------------------------
# Cases

POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "Allow & deny = both + more",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": "arn:aws:s3:::my-bucket/home/${aws:username}/*",
        "Condition": {"StringLike": {"s3:prefix": ["a+b c", "ünïcødé/日本語 ✓"]}},
    }],
}, ensure_ascii=False, indent=1)

ZIP_BYTES = bytes(range(256)) + b"PK\x03\x04 fake zip \x00\xff"
KMS_PLAINTEXT = b"\x00\x01secret \xe2\x9c\x93 data\xff\xfe" + bytes(range(0, 256, 7))

CASES = []


def case(name, service, operation, params, protocol=None, variant=None, expected_patch=None, note=None):
    CASES.append(dict(name=name, service=service, operation=operation, params=params, protocol=protocol,
                      variant=variant, expected_patch=expected_patch, note=note))


# --- awsQuery -------------------------------------------------------------------------

case("query-sts-assume-role", "sts", "AssumeRole", {
    "RoleArn": "arn:aws:iam::123456789012:role/deploy-role",
    "RoleSessionName": "session+name=with@chars",
    "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
                   {"arn": "arn:aws:iam::123456789012:policy/team/custom-policy"}],
    "Policy": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}',
    "DurationSeconds": 3600,
    "Tags": [{"Key": "Project", "Value": "Simfra"}, {"Key": "cost-center", "Value": "R&D = 42 + ü"}],
    "TransitiveTagKeys": ["Project"],
    "ExternalId": "ext-id:1234",
    "SourceIdentity": "alice@example.com",
})
case("query-iam-create-user", "iam", "CreateUser", {
    "Path": "/engineering/",
    "UserName": "alice+ops@example",
    "PermissionsBoundary": "arn:aws:iam::123456789012:policy/boundary",
    "Tags": [{"Key": "team", "Value": "platform"}, {"Key": "email", "Value": "alice@example.com"},
             {"Key": "empty", "Value": ""}],
})
case("query-iam-create-user-empty-tags", "iam", "CreateUser", {"UserName": "bob", "Tags": []})
case("query-iam-put-user-policy", "iam", "PutUserPolicy", {
    "UserName": "alice", "PolicyName": "inline+policy=1", "PolicyDocument": POLICY,
})
case("query-sns-publish", "sns", "Publish", {
    "TopicArn": "arn:aws:sns:us-east-1:123456789012:orders.fifo",
    "Message": "Hello & welcome = 1 + 1\nSecond line: ünïcødé 日本語 😀",
    "Subject": "Order #42 shipped",
    "MessageAttributes": {
        "attr.string": {"DataType": "String", "StringValue": "value with spaces & symbols"},
        "count": {"DataType": "Number", "StringValue": "3.14"},
        "payload": {"DataType": "Binary", "BinaryValue": b"\x00\x01\x02binary\xff"},
        "tags": {"DataType": "String.Array", "StringValue": '["a","b"]'},
    },
    "MessageDeduplicationId": "dedup-1",
    "MessageGroupId": "group-1",
})
case("query-sns-set-subscription-attributes", "sns", "SetSubscriptionAttributes", {
    "SubscriptionArn": "arn:aws:sns:us-east-1:123456789012:topic:3f1e7b3c-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
    "AttributeName": "FilterPolicy",
    "AttributeValue": '{"store":["example_corp"],"price_usd":[{"numeric":[">=",100]}],"note":["a & b"]}',
})
case("query-cloudformation-create-stack", "cloudformation", "CreateStack", {
    "StackName": "my-stack",
    "TemplateBody": "AWSTemplateFormatVersion: '2010-09-09'\nParameters:\n  Env: {Type: String}\n"
                    "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n"
                    "      BucketName: !Sub 'app-${Env}'  # a & b = c + d\n",
    "Parameters": [{"ParameterKey": "Env", "ParameterValue": "prod"},
                   {"ParameterKey": "Empty", "ParameterValue": ""},
                   {"ParameterKey": "Previous", "UsePreviousValue": True}],
    "DisableRollback": False,
    "TimeoutInMinutes": 30,
    "NotificationARNs": ["arn:aws:sns:us-east-1:123456789012:cfn-events"],
    "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    "OnFailure": "ROLLBACK",
    "Tags": [{"Key": "env", "Value": "prod"}, {"Key": "owner", "Value": "Zoë"}],
    "ClientRequestToken": "token-123",
    "EnableTerminationProtection": True,
    "RetainExceptOnCreate": False,
})
case("query-rds-create-db-instance", "rds", "CreateDBInstance", {
    "DBName": "appdb",
    "DBInstanceIdentifier": "app-db-1",
    "AllocatedStorage": 100,
    "DBInstanceClass": "db.t3.micro",
    "Engine": "postgres",
    "MasterUsername": "admin",
    "MasterUserPassword": "p@ss w0rd&+=/%",
    "VpcSecurityGroupIds": ["sg-0123456789abcdef0", "sg-0fedcba9876543210"],
    "AvailabilityZone": "us-east-1a",
    "BackupRetentionPeriod": 7,
    "Port": 5432,
    "MultiAZ": True,
    "EngineVersion": "16.3",
    "AutoMinorVersionUpgrade": False,
    "PubliclyAccessible": False,
    "Tags": [{"Key": "env", "Value": "dev"}],
    "StorageEncrypted": True,
    "EnableCloudwatchLogsExports": ["postgresql", "upgrade"],
    "MaxAllocatedStorage": 1000,
})
case("query-elbv2-create-target-group", "elbv2", "CreateTargetGroup", {
    "Name": "web-tg",
    "Protocol": "HTTP",
    "ProtocolVersion": "HTTP1",
    "Port": 8080,
    "VpcId": "vpc-0123456789abcdef0",
    "HealthCheckProtocol": "HTTP",
    "HealthCheckPort": "traffic-port",
    "HealthCheckEnabled": True,
    "HealthCheckPath": "/health?full=1&x=y",
    "HealthCheckIntervalSeconds": 15,
    "HealthCheckTimeoutSeconds": 5,
    "HealthyThresholdCount": 3,
    "UnhealthyThresholdCount": 2,
    "Matcher": {"HttpCode": "200-299"},
    "TargetType": "ip",
    "Tags": [{"Key": "app", "Value": "web"}],
    "IpAddressType": "ipv4",
})
case("query-cloudwatch-put-metric-data", "cloudwatch", "PutMetricData", {
    "Namespace": "App/Orders",
    "MetricData": [{
        "MetricName": "Latency",
        "Dimensions": [{"Name": "Service", "Value": "checkout"}, {"Name": "Region", "Value": "us-east-1"}],
        "Timestamp": ts(2026, 11, 30, 12, 0, 1, us=250000),
        "Value": 12.5,
        "Unit": "Milliseconds",
        "StorageResolution": 1,
    }, {
        "MetricName": "Sizes",
        "Timestamp": ts(2026, 11, 30, 12, 0, 2),
        "Values": [1.0, 2.5, 1e-05, 1e20],
        "Counts": [3.0, 1.0, 2.0, 1.0],
        "StatisticValues": {"SampleCount": 7.0, "Sum": 100.25, "Minimum": 1e-05, "Maximum": 1e20},
        "Unit": "Bytes",
    }],
    "StrictEntityValidation": False,
}, protocol="query")

SPECIAL_FLOATS = {
    "Namespace": "App/Special",
    "MetricData": [{"MetricName": "Edge", "Values": [float("inf"), float("-inf"), float("nan"), 0.0, -0.0, 5e-324,
                                                      1.7976931348623157e308],
                    "Counts": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
                    "Value": 0.1}],
}
case("query-cloudwatch-put-metric-data-special-floats", "cloudwatch", "PutMetricData", SPECIAL_FLOATS, protocol="query")

# --- SQS awsQuery (current model, and awsQuery-era wire names) -----------------------

SQS_QUEUE_URL = "http://localhost:4599/123456789012/orders"
SQS_CASES = [
    ("create-queue", "CreateQueue", {
        "QueueName": "orders.fifo",
        "Attributes": {"FifoQueue": "true", "VisibilityTimeout": "45",
                       "RedrivePolicy": '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq.fifo","maxReceiveCount":"5"}',
                       "Policy": POLICY},
        "tags": {"team": "payments", "cost-center": "R&D + ops"},
    }),
    ("send-message", "SendMessage", {
        "QueueUrl": SQS_QUEUE_URL,
        "MessageBody": "Hello & welcome = 1 + 1\nünïcødé 日本語 😀",
        "DelaySeconds": 5,
        "MessageAttributes": {
            "Author": {"DataType": "String", "StringValue": "Zoë"},
            "Count": {"DataType": "Number", "StringValue": "42"},
            "Blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01binary\xfe\xff"},
        },
        "MessageSystemAttributes": {
            "AWSTraceHeader": {"DataType": "String",
                               "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"},
        },
    }),
    ("send-message-batch", "SendMessageBatch", {
        "QueueUrl": SQS_QUEUE_URL,
        "Entries": [
            {"Id": "m1", "MessageBody": "first", "DelaySeconds": 0},
            {"Id": "m2", "MessageBody": "second & more",
             "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"},
                                   "b": {"DataType": "Binary", "BinaryValue": b"\xde\xad\xbe\xef"}},
             "MessageDeduplicationId": "d2", "MessageGroupId": "g"},
        ],
    }),
    ("delete-message-batch", "DeleteMessageBatch", {
        "QueueUrl": SQS_QUEUE_URL,
        "Entries": [{"Id": "a", "ReceiptHandle": "AQEB+handle/with=chars&more"},
                    {"Id": "b", "ReceiptHandle": "AQEBsecond"}],
    }),
    ("receive-message", "ReceiveMessage", {
        "QueueUrl": SQS_QUEUE_URL,
        "MessageSystemAttributeNames": ["SenderId", "SentTimestamp"],
        "MessageAttributeNames": ["Author", "Count.*", "All"],
        "MaxNumberOfMessages": 10,
        "VisibilityTimeout": 30,
        "WaitTimeSeconds": 20,
        "ReceiveRequestAttemptId": "attempt-1",
    }),
]
for suffix, op, params in SQS_CASES:
    case("sqs-query-" + suffix, "sqs", op, params, protocol="query")
for suffix, op, params in SQS_CASES:
    case("sqs-legacy-query-" + suffix, "sqs", op, params, protocol="query", variant="legacy")

# --- ec2Query ---------------------------------------------------------------------------

USER_DATA = "#!/bin/bash\necho 'hello & welcome' > /tmp/motd\n"
case("ec2-run-instances", "ec2", "RunInstances", {
    "ImageId": "ami-0123456789abcdef0",
    "InstanceType": "t3.micro",
    "MinCount": 1,
    "MaxCount": 3,
    "KeyName": "my key",
    "SecurityGroupIds": ["sg-0123456789abcdef0", "sg-0fedcba9876543210"],
    "SubnetId": "subnet-0123456789abcdef0",
    "UserData": USER_DATA,
    "ClientToken": "run-token-1",
    "EbsOptimized": True,
    "DisableApiTermination": False,
    "Monitoring": {"Enabled": True},
    "Placement": {"AvailabilityZone": "us-east-1b", "Tenancy": "default"},
    "IamInstanceProfile": {"Name": "web-profile"},
    "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 2, "HttpEndpoint": "enabled"},
    "BlockDeviceMappings": [
        {"DeviceName": "/dev/xvda",
         "Ebs": {"VolumeSize": 30, "VolumeType": "gp3", "DeleteOnTermination": True, "Encrypted": True,
                 "Iops": 3000, "Throughput": 125}},
        {"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"},
    ],
    "TagSpecifications": [
        {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-1"}, {"Key": "env", "Value": ""}]},
        {"ResourceType": "volume", "Tags": [{"Key": "backup", "Value": "daily"}]},
    ],
}, expected_patch={"UserData": base64.b64encode(USER_DATA.encode()).decode()},
    note="botocore base64-encodes UserData (handler base64_encode_user_data); expected holds the wire value")
case("ec2-describe-instances", "ec2", "DescribeInstances", {
    "Filters": [{"Name": "tag:Name", "Values": ["web-*", "api server"]},
                {"Name": "instance-state-name", "Values": ["running"]}],
    "InstanceIds": ["i-0123456789abcdef0", "i-0fedcba9876543210"],
    "DryRun": False,
    "MaxResults": 50,
    "NextToken": "token+/=",
})
case("ec2-authorize-security-group-ingress", "ec2", "AuthorizeSecurityGroupIngress", {
    "GroupId": "sg-0123456789abcdef0",
    "IpPermissions": [
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
         "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "internal & vpn"},
                      {"CidrIp": "203.0.113.0/24", "Description": "office ünïcødé"}],
         "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/32", "Description": "v6"}]},
        {"IpProtocol": "-1",
         "UserIdGroupPairs": [{"GroupId": "sg-0fedcba9876543210", "UserId": "123456789012"}],
         "PrefixListIds": [{"PrefixListId": "pl-12345678"}]},
    ],
    "TagSpecifications": [{"ResourceType": "security-group-rule", "Tags": [{"Key": "k", "Value": "v"}]}],
})
case("ec2-create-tags", "ec2", "CreateTags", {
    "Resources": ["i-0123456789abcdef0", "vol-0123456789abcdef0"],
    "Tags": [{"Key": "Name", "Value": "web server #1"}, {"Key": "empty", "Value": ""},
             {"Key": "unicode", "Value": "ünïcødé 日本語"}],
    "DryRun": False,
})

# --- JSON 1.0 ---------------------------------------------------------------------------

case("json-sqs-send-message", "sqs", "SendMessage", {
    "QueueUrl": SQS_QUEUE_URL,
    "MessageBody": "{\"order\": 42, \"note\": \"ünïcødé 日本語 😀 \\\"quoted\\\"\"}",
    "DelaySeconds": 0,
    "MessageAttributes": {
        "Author": {"DataType": "String", "StringValue": "Zoë"},
        "Count": {"DataType": "Number.int", "StringValue": "-17"},
        "Blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01binary\xfe\xff"},
        "Lists": {"DataType": "String", "StringValue": "x", "StringListValues": ["a", "b"],
                  "BinaryListValues": [b"\x01", b"\x02\x03"]},
    },
    "MessageSystemAttributes": {
        "AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793"},
    },
    "MessageDeduplicationId": "dedup-1",
    "MessageGroupId": "group-1",
})
case("json-sqs-create-queue", "sqs", "CreateQueue", SQS_CASES[0][2])
case("json-sqs-receive-message", "sqs", "ReceiveMessage", SQS_CASES[4][2])
case("json-dynamodb-put-item", "dynamodb", "PutItem", {
    "TableName": "Orders",
    "Item": {
        "pk": {"S": "ORDER#42"},
        "empty": {"S": ""},
        "unicode": {"S": "ünïcødé 日本語 😀"},
        "amount": {"N": "123.4500"},
        "big": {"N": "-1.5E+38"},
        "raw": {"B": b"\x00\x01\x02\xfd\xfe\xff"},
        "tags": {"SS": ["a", "b & c"]},
        "scores": {"NS": ["1", "2.5", "-3"]},
        "blobs": {"BS": [b"\x01", b"\x02\x03"]},
        "address": {"M": {"street": {"S": "1 Main St"}, "zip": {"N": "12345"},
                          "geo": {"M": {"lat": {"N": "1.5"}, "lon": {"N": "-2.25"}}}}},
        "history": {"L": [{"S": "created"}, {"N": "1"}, {"BOOL": True}, {"NULL": True},
                          {"L": [{"S": "nested"}]}, {"M": {}}]},
        "deleted": {"NULL": True},
        "active": {"BOOL": False},
    },
    "ConditionExpression": "attribute_not_exists(#pk) AND #amount <> :zero",
    "ExpressionAttributeNames": {"#pk": "pk", "#amount": "amount"},
    "ExpressionAttributeValues": {":zero": {"N": "0"}},
    "ReturnValues": "NONE",
    "ReturnConsumedCapacity": "TOTAL",
    "ReturnItemCollectionMetrics": "SIZE",
    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
})
case("json-dynamodb-query", "dynamodb", "Query", {
    "TableName": "Orders",
    "IndexName": "gsi1",
    "Select": "SPECIFIC_ATTRIBUTES",
    "Limit": 25,
    "ConsistentRead": False,
    "ScanIndexForward": False,
    "ExclusiveStartKey": {"pk": {"S": "ORDER#41"}, "sk": {"N": "7"}},
    "ReturnConsumedCapacity": "INDEXES",
    "ProjectionExpression": "#pk, amount, address.zip",
    "FilterExpression": "amount > :min",
    "KeyConditionExpression": "#pk = :pk AND begins_with(sk, :prefix)",
    "ExpressionAttributeNames": {"#pk": "pk"},
    "ExpressionAttributeValues": {":pk": {"S": "ORDER#42"}, ":prefix": {"S": "ITEM#"}, ":min": {"N": "10"}},
})
case("json-dynamodb-create-table", "dynamodb", "CreateTable", {
    "TableName": "Orders",
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                             {"AttributeName": "sk", "AttributeType": "N"},
                             {"AttributeName": "gpk", "AttributeType": "B"}],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    "GlobalSecondaryIndexes": [{
        "IndexName": "gsi1",
        "KeySchema": [{"AttributeName": "gpk", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["amount", "status"]},
        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 10000000000},
    }],
    "LocalSecondaryIndexes": [{
        "IndexName": "lsi1",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "gpk", "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    }],
    "BillingMode": "PROVISIONED",
    "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 2},
    "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    "SSESpecification": {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": "alias/ddb"},
    "Tags": [{"Key": "env", "Value": "prod"}],
    "TableClass": "STANDARD_INFREQUENT_ACCESS",
    "DeletionProtectionEnabled": True,
})
case("json-dynamodb-transact-write-items", "dynamodb", "TransactWriteItems", {
    "TransactItems": [
        {"Put": {"TableName": "Orders", "Item": {"pk": {"S": "A"}, "n": {"N": "1"}},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": "Orders", "Key": {"pk": {"S": "B"}},
                    "UpdateExpression": "SET #c = #c + :one, tags = list_append(tags, :t)",
                    "ExpressionAttributeNames": {"#c": "count"},
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":t": {"L": [{"S": "x"}]}},
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        {"Delete": {"TableName": "Orders", "Key": {"pk": {"S": "C"}}}},
        {"ConditionCheck": {"TableName": "Accounts", "Key": {"id": {"S": "acct-1"}},
                            "ConditionExpression": "balance >= :amt",
                            "ExpressionAttributeValues": {":amt": {"N": "100"}}}},
    ],
    "ReturnConsumedCapacity": "TOTAL",
    "ReturnItemCollectionMetrics": "NONE",
    "ClientRequestToken": "txn-token-0001",
})
case("json-cloudwatch-put-metric-data", "cloudwatch", "PutMetricData", {
    "Namespace": "App/Orders",
    "MetricData": [{
        "MetricName": "Latency",
        "Dimensions": [{"Name": "Service", "Value": "checkout"}],
        "Timestamp": ts(2026, 11, 30, 12, 0, 1),
        "Value": 12.5,
        "Unit": "Milliseconds",
        "StorageResolution": 60,
    }, {
        "MetricName": "Sizes",
        "Timestamp": ts(2026, 11, 30, 12, 0, 2),
        "Values": [1.0, 2.5, 1e-05, 1e20, 3],
        "Counts": [3.0, 1.0, 2.0, 1.0, 1.0],
        "StatisticValues": {"SampleCount": 8.0, "Sum": 100.25, "Minimum": 1e-05, "Maximum": 1e20},
        "Unit": "Bytes",
    }],
}, protocol="json")

case("json-cloudwatch-put-metric-data-special-floats", "cloudwatch", "PutMetricData", SPECIAL_FLOATS,
     protocol="json")

# --- JSON 1.1 ---------------------------------------------------------------------------

case("json-kms-encrypt", "kms", "Encrypt", {
    "KeyId": "alias/my-key",
    "Plaintext": KMS_PLAINTEXT,
    "EncryptionContext": {"purpose": "test", "ünïcødé": "日本語 & more", "empty": ""},
    "GrantTokens": ["grant-token-1"],
    "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
    "DryRun": False,
})
case("json-kms-create-key", "kms", "CreateKey", {
    "Policy": POLICY,
    "Description": "Key for ünïcødé data",
    "KeyUsage": "ENCRYPT_DECRYPT",
    "KeySpec": "SYMMETRIC_DEFAULT",
    "Origin": "AWS_KMS",
    "BypassPolicyLockoutSafetyCheck": False,
    "Tags": [{"TagKey": "env", "TagValue": "prod"}, {"TagKey": "empty", "TagValue": ""}],
    "MultiRegion": True,
})
case("json-logs-put-log-events", "logs", "PutLogEvents", {
    "logGroupName": "/aws/lambda/my-function",
    "logStreamName": "2026/11/30/[$LATEST]abcdef0123456789",
    "logEvents": [
        {"timestamp": 1795000000123, "message": "START RequestId: 1 Version: $LATEST"},
        {"timestamp": 1795000000456, "message": "ünïcødé 日本語 😀\ttab\nnewline \"quotes\""},
        {"timestamp": 1795000000789, "message": " "},
    ],
    "sequenceToken": "49590302654829572846",
})
case("json-events-put-events", "events", "PutEvents", {
    "Entries": [
        {"Time": ts(2026, 11, 30, 12, 0, 0), "Source": "com.example.orders",
         "Resources": ["arn:aws:s3:::bucket/key", "arn:aws:ec2:us-east-1:123456789012:instance/i-1"],
         "DetailType": "Order Placed", "Detail": '{"orderId": 42, "note": "a & b"}',
         "EventBusName": "default", "TraceHeader": "Root=1-5759e988-bd862e3fe1be46a994272793"},
        {"Source": "com.example.billing", "DetailType": "Invoice", "Detail": "{}", "Resources": []},
    ],
})
case("json-secretsmanager-create-secret", "secretsmanager", "CreateSecret", {
    "Name": "prod/db/password",
    "ClientRequestToken": "EXAMPLE1-90ab-cdef-fedc-ba987SECRET1",
    "Description": "DB creds ünïcødé",
    "KmsKeyId": "alias/secrets",
    "SecretBinary": b"\x00\x01\x02binary secret\xff",
    "Tags": [{"Key": "env", "Value": "prod"}],
    "AddReplicaRegions": [{"Region": "eu-west-1", "KmsKeyId": "alias/eu"}],
    "ForceOverwriteReplicaSecret": True,
})
case("json-ssm-put-parameter", "ssm", "PutParameter", {
    "Name": "/app/prod/db-password",
    "Description": "Database password",
    "Value": "p@ss w0rd & = + ünïcødé",
    "Type": "SecureString",
    "KeyId": "alias/aws/ssm",
    "Overwrite": True,
    "AllowedPattern": "^[^\\s]+.*$",
    "Tier": "Standard",
    "DataType": "text",
})

# --- restJson1 --------------------------------------------------------------------------

LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:my-function"
case("rest-json-lambda-create-function", "lambda", "CreateFunction", {
    "FunctionName": "my-function",
    "Runtime": "python3.12",
    "Role": "arn:aws:iam::123456789012:role/lambda-role",
    "Handler": "app.handler",
    "Code": {"ZipFile": ZIP_BYTES},
    "Description": "Résumé parser 日本語",
    "Timeout": 30,
    "MemorySize": 512,
    "Publish": True,
    "VpcConfig": {"SubnetIds": ["subnet-1", "subnet-2"], "SecurityGroupIds": ["sg-1"]},
    "PackageType": "Zip",
    "Environment": {"Variables": {"STAGE": "prod", "EMPTY": "", "JSON": '{"a": [1, 2]}'}},
    "TracingConfig": {"Mode": "Active"},
    "Tags": {"team": "core", "cost center": "R&D"},
    "Layers": ["arn:aws:lambda:us-east-1:123456789012:layer:deps:3"],
    "Architectures": ["arm64"],
    "EphemeralStorage": {"Size": 1024},
    "LoggingConfig": {"LogFormat": "JSON", "ApplicationLogLevel": "INFO", "SystemLogLevel": "WARN"},
})
case("rest-json-lambda-invoke", "lambda", "Invoke", {
    "FunctionName": LAMBDA_ARN,
    "InvocationType": "RequestResponse",
    "LogType": "Tail",
    "ClientContext": base64.b64encode(json.dumps({"custom": {"k": "v"}, "env": {"locale": "en-US"}}).encode()).decode(),
    "Payload": b'{"key": "value \xe2\x9c\x93", "n": 1}',
    "Qualifier": "live",
})
case("rest-json-lambda-invoke-qualified-name", "lambda", "Invoke", {
    "FunctionName": "my-function:prod",
    "InvocationType": "Event",
    "Payload": b"",
})
case("rest-json-lambda-list-functions", "lambda", "ListFunctions", {
    "MasterRegion": "ALL",
    "FunctionVersion": "ALL",
    "Marker": "next+page/token==",
    "MaxItems": 50,
})
case("rest-json-lambda-tag-resource", "lambda", "TagResource", {
    "Resource": LAMBDA_ARN + ":prod",
    "Tags": {"team": "core", "ünïcødé": "yes"},
})
case("rest-json-eks-create-cluster", "eks", "CreateCluster", {
    "name": "prod-cluster",
    "version": "1.31",
    "roleArn": "arn:aws:iam::123456789012:role/eks-cluster-role",
    "resourcesVpcConfig": {
        "subnetIds": ["subnet-0a", "subnet-0b", "subnet-0c"],
        "securityGroupIds": ["sg-0a"],
        "endpointPublicAccess": True,
        "endpointPrivateAccess": False,
        "publicAccessCidrs": ["203.0.113.0/24", "198.51.100.7/32"],
    },
    "kubernetesNetworkConfig": {"serviceIpv4Cidr": "172.20.0.0/16", "ipFamily": "ipv4"},
    "logging": {"clusterLogging": [{"types": ["api", "audit"], "enabled": True},
                                   {"types": ["scheduler"], "enabled": False}]},
    "clientRequestToken": "eks-token-1",
    "tags": {"env": "prod"},
    "accessConfig": {"bootstrapClusterCreatorAdminPermissions": True, "authenticationMode": "API_AND_CONFIG_MAP"},
})
case("rest-json-eks-tag-resource", "eks", "TagResource", {
    "resourceArn": "arn:aws:eks:us-east-1:123456789012:cluster/prod-cluster",
    "tags": {"team": "platform"},
})
case("rest-json-apigateway-create-rest-api", "apigateway", "CreateRestApi", {
    "name": "orders-api",
    "description": "Orders & payments API",
    "version": "v1",
    "binaryMediaTypes": ["image/png", "application/octet-stream"],
    "minimumCompressionSize": 1024,
    "apiKeySource": "HEADER",
    "endpointConfiguration": {"types": ["REGIONAL"]},
    "tags": {"env": "prod"},
    "disableExecuteApiEndpoint": False,
})
case("rest-json-apigateway-put-method", "apigateway", "PutMethod", {
    "restApiId": "a1b2c3d4e5",
    "resourceId": "res123",
    "httpMethod": "POST",
    "authorizationType": "COGNITO_USER_POOLS",
    "authorizerId": "auth1",
    "apiKeyRequired": True,
    "operationName": "CreateOrder",
    "requestParameters": {"method.request.header.X-Trace": True, "method.request.querystring.page": False},
    "requestModels": {"application/json": "OrderModel"},
    "requestValidatorId": "val1",
    "authorizationScopes": ["orders/write"],
})
case("rest-json-scheduler-create-schedule", "scheduler", "CreateSchedule", {
    "Name": "nightly-report",
    "GroupName": "reports",
    "ScheduleExpression": "cron(0 2 * * ? *)",
    "ScheduleExpressionTimezone": "Europe/Paris",
    "StartDate": ts(2026, 12, 1, 0, 0, 0),
    "EndDate": ts(2027, 12, 1, 0, 0, 0),
    "Description": "Nightly ünïcødé report",
    "State": "ENABLED",
    "FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
    "Target": {
        "Arn": "arn:aws:lambda:us-east-1:123456789012:function:report",
        "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
        "Input": '{"report": "daily"}',
        "RetryPolicy": {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 3},
        "DeadLetterConfig": {"Arn": "arn:aws:sqs:us-east-1:123456789012:dlq"},
    },
    "ClientToken": "schedule-token-1",
    "ActionAfterCompletion": "NONE",
})
case("rest-json-sesv2-send-email", "sesv2", "SendEmail", {
    "FromEmailAddress": "Zoë Sender <sender@example.com>",
    "Destination": {"ToAddresses": ["a@example.com", "b@example.com"], "CcAddresses": ["c@example.com"],
                    "BccAddresses": []},
    "ReplyToAddresses": ["reply@example.com"],
    "Content": {"Simple": {
        "Subject": {"Data": "Hello ünïcødé", "Charset": "UTF-8"},
        "Body": {"Text": {"Data": "Plain & simple"}, "Html": {"Data": "<p>Hi &amp; bye</p>", "Charset": "UTF-8"}},
        "Headers": [{"Name": "X-Custom", "Value": "1"}],
    }},
    "EmailTags": [{"Name": "campaign", "Value": "launch"}],
    "ConfigurationSetName": "default",
})
case("rest-json-sesv2-send-raw-email", "sesv2", "SendEmail", {
    "Content": {"Raw": {"Data": b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nbody \xe2\x9c\x93\r\n"}},
})

case("rest-json-apigateway-put-rest-api", "apigateway", "PutRestApi", {
    "restApiId": "a1b2c3d4e5",
    "mode": "merge",
    "failOnWarnings": True,
    "parameters": {"ignore": "documentation", "endpointConfigurationTypes": "REGIONAL", "basepath": "/v1 & v2"},
    "body": b'{"openapi": "3.0.1", "info": {"title": "orders \xe2\x9c\x93"}}',
})
case("rest-json-eks-list-clusters", "eks", "ListClusters", {
    "maxResults": 25,
    "nextToken": "next+token/==",
    "include": ["all", "eks-anywhere"],
})
case("rest-json-sesv2-list-suppressed-destinations", "sesv2", "ListSuppressedDestinations", {
    "Reasons": ["BOUNCE", "COMPLAINT"],
    "StartDate": ts(2026, 11, 1, 0, 0, 0, us=250000),
    "EndDate": ts(2026, 11, 30, 23, 59, 59),
    "NextToken": "tok+en/=",
    "PageSize": 100,
})
case("rest-json-sesv2-list-domain-deliverability-campaigns", "sesv2", "ListDomainDeliverabilityCampaigns", {
    "SubscribedDomain": "mail.example.com",
    "StartDate": ts(2026, 10, 1, 8, 30, 0),
    "EndDate": ts(2026, 10, 31, 17, 45, 30, us=125000),
    "PageSize": 50,
})

# --- restXml ----------------------------------------------------------------------------

S3_KEY = "dir//sub dir/ünïcødé+plus%percent?query#hash~tilde&amp=eq/"
case("rest-xml-s3-put-object", "s3", "PutObject", {
    "Bucket": "my-bucket",
    "Key": S3_KEY,
    "Body": b"hello \x00\x01 world \xff",
    "ContentType": "text/plain; charset=utf-8",
    "CacheControl": "max-age=3600, must-revalidate",
    "ContentDisposition": 'attachment; filename="report, final.txt"',
    "ContentLanguage": "en-US",
    "Expires": ts(2026, 12, 31, 23, 59, 59),
    "Metadata": {"owner": "alice", "purpose": "test value with spaces", "empty": ""},
    "Tagging": "project=simfra&team=a%20b",
    "StorageClass": "STANDARD_IA",
    "ServerSideEncryption": "aws:kms",
    "SSEKMSKeyId": "alias/s3",
    "ObjectLockMode": "GOVERNANCE",
    "ObjectLockRetainUntilDate": ts(2027, 1, 1, 0, 0, 0),
    "ObjectLockLegalHoldStatus": "OFF",
    "ACL": "private",
})
case("rest-xml-s3-put-object-leading-slash-key", "s3", "PutObject", {
    "Bucket": "my-bucket",
    "Key": "/leading/ spaces /",
    "Body": b"",
})
case("rest-xml-s3-get-object", "s3", "GetObject", {
    "Bucket": "my-bucket",
    "Key": "reports/2026 Q4/summary+final.pdf",
    "Range": "bytes=0-1023",
    "IfMatch": '"d41d8cd98f00b204e9800998ecf8427e"',
    "IfNoneMatch": '"abc"',
    "IfModifiedSince": ts(2026, 1, 1, 0, 0, 0),
    "IfUnmodifiedSince": ts(2026, 12, 1, 8, 30, 15),
    "ResponseContentType": "application/pdf; charset=binary",
    "ResponseContentDisposition": 'inline; filename="summary final.pdf"',
    "ResponseExpires": ts(2027, 1, 2, 3, 4, 5),
    "VersionId": "3HL4kqtJlcpXroDTDmjVBH40Nrjfkd+/",
    "PartNumber": 2,
})
case("rest-xml-s3-get-object-attributes", "s3", "GetObjectAttributes", {
    "Bucket": "my-bucket",
    "Key": "a/b.txt",
    "MaxParts": 100,
    "PartNumberMarker": 3,
    "ObjectAttributes": ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"],
})
case("rest-xml-s3-list-objects-v2", "s3", "ListObjectsV2", {
    "Bucket": "my-bucket",
    "Prefix": "photos/2026 ünï/",
    "Delimiter": "/",
    "MaxKeys": 250,
    "ContinuationToken": "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=",
    "StartAfter": "photos/2026 ünï/a+b",
    "EncodingType": "url",
    "FetchOwner": True,
    "RequestPayer": "requester",
})
case("rest-xml-s3-delete-objects", "s3", "DeleteObjects", {
    "Bucket": "my-bucket",
    "Delete": {
        "Objects": [{"Key": "a.txt"}, {"Key": "dir/b & c <d>.txt", "VersionId": "v1"},
                    {"Key": "  spaces around  "}, {"Key": "ünïcødé/日本語.txt"}],
        "Quiet": True,
    },
    "BypassGovernanceRetention": True,
})
case("rest-xml-s3-put-bucket-tagging", "s3", "PutBucketTagging", {
    "Bucket": "my-bucket",
    "Tagging": {"TagSet": [{"Key": "env", "Value": "prod"}, {"Key": "owner", "Value": "Zoë & co"},
                           {"Key": "empty", "Value": ""}]},
})
case("rest-xml-s3-create-multipart-upload", "s3", "CreateMultipartUpload", {
    "Bucket": "my-bucket",
    "Key": "big/file name.bin",
    "ContentType": "application/octet-stream",
    "Metadata": {"origin": "unit-test"},
    "StorageClass": "INTELLIGENT_TIERING",
})
case("rest-xml-s3-upload-part", "s3", "UploadPart", {
    "Bucket": "my-bucket",
    "Key": "big/file name.bin",
    "UploadId": "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA+/=",
    "PartNumber": 7,
    "Body": b"part seven bytes",
})
case("rest-xml-s3-complete-multipart-upload", "s3", "CompleteMultipartUpload", {
    "Bucket": "my-bucket",
    "Key": "big/file name.bin",
    "UploadId": "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA+/=",
    "MultipartUpload": {"Parts": [
        {"ETag": '"a54357aff0632cce46d942af68356b38"', "PartNumber": 1},
        {"ETag": '"0c78aef83f66abc1fa1e8477f296d394"', "PartNumber": 2},
        {"ETag": '"acbd18db4cc2f85cedef654fccc4a4d8"', "PartNumber": 3},
    ]},
})
case("rest-xml-s3-put-bucket-versioning", "s3", "PutBucketVersioning", {
    "Bucket": "my-bucket",
    "VersioningConfiguration": {"Status": "Enabled", "MFADelete": "Disabled"},
})
case("rest-xml-s3-put-bucket-acl", "s3", "PutBucketAcl", {
    "Bucket": "my-bucket",
    "AccessControlPolicy": {
        "Grants": [
            {"Grantee": {"Type": "CanonicalUser", "ID": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
                         "DisplayName": "owner"}, "Permission": "FULL_CONTROL"},
            {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
             "Permission": "READ"},
        ],
        "Owner": {"ID": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be", "DisplayName": "owner"},
    },
})
COPY_SOURCE = "src-bucket/path with spaces/ünïcødé+plus&amp=eq#hash.txt?versionId=3HL4kqtJlcpXroDTDmjVBH40Nrjfkd+/"
case("rest-xml-s3-copy-object", "s3", "CopyObject", {
    "Bucket": "dest-bucket",
    "Key": "copy of/ünïcødé+file.txt",
    "CopySource": COPY_SOURCE,
    "MetadataDirective": "REPLACE",
    "Metadata": {"copied": "yes"},
    "ContentType": "text/plain",
    "CopySourceIfMatch": '"etag"',
    "CopySourceIfModifiedSince": ts(2026, 6, 1, 12, 0, 0),
    "TaggingDirective": "COPY",
}, expected_patch={"CopySource": botocore.handlers._quote_source_header(COPY_SOURCE)},
    note="botocore percent-encodes CopySource's bucket/key part (handler handle_copy_source_param); "
         "expected holds the header value")
case("rest-xml-s3-upload-part-copy", "s3", "UploadPartCopy", {
    "Bucket": "dest-bucket",
    "Key": "big/file name.bin",
    "CopySource": {"Bucket": "src-bucket", "Key": "a b/c+d.bin", "VersionId": "v1"},
    "CopySourceRange": "bytes=0-5242879",
    "PartNumber": 2,
    "UploadId": "upload+id/=",
}, expected_patch={"CopySource": botocore.handlers._quote_source_header_from_dict(
    {"Bucket": "src-bucket", "Key": "a b/c+d.bin", "VersionId": "v1"})},
    note="botocore turns a CopySource dict into the quoted header string; expected holds the header value")
case("rest-xml-route53-change-resource-record-sets", "route53", "ChangeResourceRecordSets", {
    "HostedZoneId": "Z0123456789ABCDEFGHIJ",
    "ChangeBatch": {
        "Comment": "Weighted & alias records",
        "Changes": [
            {"Action": "UPSERT", "ResourceRecordSet": {
                "Name": "www.example.com.", "Type": "A", "TTL": 300, "SetIdentifier": "blue", "Weight": 70,
                "ResourceRecords": [{"Value": "192.0.2.1"}, {"Value": "192.0.2.2"}]}},
            {"Action": "CREATE", "ResourceRecordSet": {
                "Name": "api.example.com.", "Type": "A",
                "AliasTarget": {"HostedZoneId": "Z35SXDOTRQ7X7K",
                                "DNSName": "dualstack.my-lb-123.us-east-1.elb.amazonaws.com.",
                                "EvaluateTargetHealth": True}}},
            {"Action": "DELETE", "ResourceRecordSet": {
                "Name": "txt.example.com.", "Type": "TXT", "TTL": 60,
                "ResourceRecords": [{"Value": '"v=spf1 include:_spf.example.com ~all"'}]}},
        ],
    },
})
case("rest-xml-route53-create-hosted-zone", "route53", "CreateHostedZone", {
    "Name": "example.com.",
    "CallerReference": "2026-11-30T12:00:00Z-ref",
    "HostedZoneConfig": {"Comment": "Private zone & test", "PrivateZone": True},
    "VPC": {"VPCRegion": "us-east-1", "VPCId": "vpc-0123456789abcdef0"},
    "DelegationSetId": "N1PA6795SAMPLE",
})

case("rest-xml-s3-delete-object", "s3", "DeleteObject", {
    "Bucket": "my-bucket",
    "Key": "old/file+1 (copy).txt",
    "VersionId": "v2+/=",
    "MFA": "arn:aws:iam::123456789012:mfa/root 123456",
    "BypassGovernanceRetention": True,
    "IfMatch": '"etag"',
})
case("rest-xml-s3-list-parts", "s3", "ListParts", {
    "Bucket": "my-bucket",
    "Key": "big/file name.bin",
    "UploadId": "upload+id/=",
    "MaxParts": 10,
    "PartNumberMarker": 5,
})
case("rest-xml-s3-abort-multipart-upload", "s3", "AbortMultipartUpload", {
    "Bucket": "my-bucket",
    "Key": "big/file name.bin",
    "UploadId": "upload+id/=",
    "IfMatchInitiatedTime": ts(2026, 11, 30, 12, 0, 0),
})
case("rest-xml-s3-put-bucket-lifecycle-configuration", "s3", "PutBucketLifecycleConfiguration", {
    "Bucket": "my-bucket",
    "LifecycleConfiguration": {"Rules": [
        {"ID": "expire logs", "Status": "Enabled",
         "Filter": {"And": {"Prefix": "logs/", "Tags": [{"Key": "tier", "Value": "cold"}, {"Key": "x", "Value": "y & z"}],
                            "ObjectSizeGreaterThan": 1024, "ObjectSizeLessThan": 10737418240}},
         "Expiration": {"Days": 365},
         "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 90, "StorageClass": "GLACIER"}],
         "NoncurrentVersionTransitions": [{"NoncurrentDays": 7, "StorageClass": "GLACIER_IR", "NewerNoncurrentVersions": 2}],
         "NoncurrentVersionExpiration": {"NoncurrentDays": 400},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 3}},
        {"ID": "dated", "Status": "Disabled", "Filter": {"Prefix": ""},
         "Expiration": {"Date": ts(2027, 1, 1, 0, 0, 0)}},
    ]},
    "TransitionDefaultMinimumObjectSize": "all_storage_classes_128K",
})
case("rest-xml-s3-put-bucket-notification-configuration", "s3", "PutBucketNotificationConfiguration", {
    "Bucket": "my-bucket",
    "NotificationConfiguration": {
        "QueueConfigurations": [{
            "Id": "q1", "QueueArn": "arn:aws:sqs:us-east-1:123456789012:events",
            "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "images/"},
                                               {"Name": "suffix", "Value": ".jpg"}]}},
        }],
        "TopicConfigurations": [{"TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Events": ["s3:ObjectRestore:*"]}],
        "LambdaFunctionConfigurations": [{"Id": "l1",
                                          "LambdaFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:f",
                                          "Events": ["s3:ObjectCreated:Put"]}],
        "EventBridgeConfiguration": {},
    },
    "SkipDestinationValidation": True,
})
case("rest-xml-route53-list-resource-record-sets", "route53", "ListResourceRecordSets", {
    "HostedZoneId": "Z0123456789ABCDEFGHIJ",
    "StartRecordName": "www.example.com.",
    "StartRecordType": "CNAME",
    "StartRecordIdentifier": "blue green",
    "MaxItems": "100",
})

# --- rpcv2Cbor --------------------------------------------------------------------------

case("cbor-cloudwatch-put-metric-data", "cloudwatch", "PutMetricData", {
    "Namespace": "App/Orders",
    "MetricData": [{
        "MetricName": "Latency",
        "Dimensions": [{"Name": "Service", "Value": "checkout"}, {"Name": "ünïcødé", "Value": "日本語"}],
        "Timestamp": ts(2026, 11, 30, 12, 0, 1),
        "Value": 12.5,
        "Unit": "Milliseconds",
        "StorageResolution": 1,
    }, {
        "MetricName": "Sizes",
        "Timestamp": ts(2026, 11, 30, 12, 0, 2),
        "Values": [1.0, 2.5, 0.1, 1e20, -7.25],
        "Counts": [3.0, 1.0, 2.0, 1.0, 1.0],
        "StatisticValues": {"SampleCount": 8.0, "Sum": 100.25, "Minimum": -7.25, "Maximum": 1e20},
        "Unit": "Bytes",
    }],
    "StrictEntityValidation": True,
}, protocol="smithy-rpc-v2-cbor")
case("cbor-cloudwatch-get-metric-data", "cloudwatch", "GetMetricData", {
    "MetricDataQueries": [
        {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization",
                                                "Dimensions": [{"Name": "InstanceId", "Value": "i-0123"}]},
                                     "Period": 300, "Stat": "Average", "Unit": "Percent"},
         "ReturnData": False, "Label": "cpu"},
        {"Id": "e1", "Expression": "m1 * 100", "Label": "scaled", "ReturnData": True, "Period": 60},
    ],
    "StartTime": ts(2026, 11, 30, 0, 0, 0),
    "EndTime": ts(2026, 11, 30, 12, 0, 0),
    "NextToken": "next/token+==",
    "ScanBy": "TimestampDescending",
    "MaxDatapoints": 100800,
    "LabelOptions": {"Timezone": "+0130"},
}, protocol="smithy-rpc-v2-cbor")
case("cbor-cloudwatch-put-metric-alarm", "cloudwatch", "PutMetricAlarm", {
    "AlarmName": "high-cpu ünïcødé",
    "AlarmDescription": "CPU > 80% for 3 periods",
    "ActionsEnabled": True,
    "OKActions": ["arn:aws:sns:us-east-1:123456789012:ok"],
    "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:alarm"],
    "InsufficientDataActions": [],
    "MetricName": "CPUUtilization",
    "Namespace": "AWS/EC2",
    "Statistic": "Average",
    "Dimensions": [{"Name": "AutoScalingGroupName", "Value": "web-asg"}],
    "Period": 60,
    "Unit": "Percent",
    "EvaluationPeriods": 3,
    "DatapointsToAlarm": 2,
    "Threshold": 80.5,
    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    "TreatMissingData": "notBreaching",
    "Tags": [{"Key": "team", "Value": "ops"}],
}, protocol="smithy-rpc-v2-cbor")

case("cbor-cloudwatch-put-metric-data-special-floats", "cloudwatch", "PutMetricData", SPECIAL_FLOATS,
     protocol="smithy-rpc-v2-cbor")

# ---------------------------------------------------------------------------------------


def build(c):
    s3 = c["service"] == "s3"
    client = client_for(c["service"], c["protocol"], c["variant"], s3=s3)
    op_model = client.meta.service_model.operation_model(c["operation"])
    protocol = client.meta.service_model.resolved_protocol
    if c["protocol"] and protocol != c["protocol"]:
        raise RuntimeError("%s: wanted protocol %s, client uses %s" % (c["name"], c["protocol"], protocol))
    shape = op_model.input_shape
    problems = check_constraints(c["params"], shape)
    if problems:
        raise ValueError("%s: parameters break model constraints:\n  %s" % (c["name"], "\n  ".join(problems)))
    req = capture(client, c["operation"], c["params"])
    assert isinstance(req, AWSPreparedRequest)
    parts = urlsplit(req.url)
    headers = [[k, header_text(v)] for k, v in req.headers.items() if k.lower() not in VOLATILE]
    body = body_bytes(req.body)
    expected = typed(dict(c["params"], **(c["expected_patch"] or {})), shape)
    out = {
        "name": c["name"],
        "service": c["service"],
        "protocol": protocol,
        "operation": c["operation"],
        "method": req.method,
        "path": parts.path or "/",
        "query": parts.query,
        "headers": headers,
        "body_b64": base64.b64encode(body).decode("ascii"),
        "expected": expected,
        "auto_members": auto_members(shape, c["params"], req.url, headers),
    }
    if c["note"]:
        out["note"] = c["note"]
    return out


def main():
    if botocore.__version__ != PINNED_BOTOCORE and "--any-version" not in sys.argv:
        sys.exit("botocore %s installed, %s pinned (or pass --any-version)" % (botocore.__version__, PINNED_BOTOCORE))
    names = [c["name"] for c in CASES]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        sys.exit("duplicate case names: %s" % sorted(dupes))
    fixtures = [build(c) for c in CASES]
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(fixtures, f, indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False)
        f.write("\n")
    counts = {}
    for fx in fixtures:
        counts[fx["protocol"]] = counts.get(fx["protocol"], 0) + 1
    print("wrote %d fixtures to %s: %s" % (len(fixtures), os.path.relpath(OUT, ROOT),
                                           ", ".join("%s %d" % kv for kv in sorted(counts.items()))))


if __name__ == "__main__":
    main()
