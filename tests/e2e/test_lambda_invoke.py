"""Lambda functions really run: Python code unpacked from the zip, run by Simfra's runtime client
over the Lambda Runtime API with AWS's environment and the execution role's credentials (the
handler calls SQS through boto3 against Simfra), warm reuse, handler errors and timeouts in
AWS's shapes, Event and DryRun invocations, LogType=Tail and the logs in CloudWatch Logs, and a
`provided.al2023` shell bootstrap.
"""
from __future__ import annotations

import base64
import io
import json
import time
import zipfile

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, make_client, run_aws_cli, unique_name

TRUST_LAMBDA = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})

HANDLER = '''
import json, os, time
import boto3

COLD = {"n": 0}

def handler(event, context):
    COLD["n"] += 1
    if event.get("fail"):
        raise ValueError("asked to fail")
    if event.get("sleep"):
        time.sleep(event["sleep"])
    print("hello from the function")
    out = {"event": event, "count": COLD["n"], "request_id": context.aws_request_id,
           "arn": context.invoked_function_arn, "remaining": context.get_remaining_time_in_millis(),
           "env": {k: os.environ.get(k) for k in ["_HANDLER", "AWS_REGION", "AWS_DEFAULT_REGION",
                   "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                   "MY_VAR"]},
           "has_creds": bool(os.environ.get("AWS_SESSION_TOKEN"))}
    if event.get("sqs"):
        sqs = boto3.client("sqs")
        out["queues"] = sqs.list_queues(QueueNamePrefix=event["sqs"]).get("QueueUrls", [])
        out["caller"] = boto3.client("sts").get_caller_identity()["Arn"]
    return out
'''


def make_zip(files: dict[str, str], modes: dict[str, int] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (modes or {}).get(name, 0o644) << 16
            z.writestr(info, text)
    return buf.getvalue()


def err(excinfo):
    r = excinfo.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Code"), r["Error"].get("Message")


def execution_role(iam, actions=("sqs:ListQueues", "sts:GetCallerIdentity", "logs:*")):
    name = unique_name("r")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_LAMBDA)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}))
    return arn


@pytest.fixture
def lam(client):
    return client("lambda")


@pytest.fixture
def fn(lam, client):
    name = unique_name("f")
    lam.create_function(FunctionName=name, Runtime="python3.12", Handler="index.handler",
                        Role=execution_role(client("iam")), Timeout=3,
                        Environment={"Variables": {"MY_VAR": "mine"}},
                        Code={"ZipFile": make_zip({"index.py": HANDLER})})
    return name


def invoke(lam, name, event, **kw):
    r = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode(), **kw)
    return r, json.loads(r["Payload"].read() or b"null")


def test_python_function_runs_with_aws_environment_and_role(lam, client, fn):
    sqs = client("sqs")
    prefix = unique_name("q")
    url = sqs.create_queue(QueueName=prefix + "-a")["QueueUrl"]
    r, out = invoke(lam, fn, {"sqs": prefix, "k": 1})
    assert r["StatusCode"] == 200 and "FunctionError" not in r and r["ExecutedVersion"] == "$LATEST"
    assert out["event"] == {"sqs": prefix, "k": 1}
    assert out["queues"] == [url]
    assert out["caller"].startswith(f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/")
    assert out["env"] == {"_HANDLER": "index.handler", "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
                          "AWS_LAMBDA_FUNCTION_NAME": fn, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                          "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "MY_VAR": "mine"}
    assert out["arn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{fn}"
    assert 0 < out["remaining"] <= 3000 and out["has_creds"]
    # Warm: the same environment serves the next invocation.
    _, again = invoke(lam, fn, {})
    assert again["count"] == 2 and again["request_id"] != out["request_id"]


def test_errors_timeouts_and_invocation_types(lam, fn):
    r, out = invoke(lam, fn, {"fail": True})
    assert r["StatusCode"] == 200 and r["FunctionError"] == "Unhandled"
    assert out["errorType"] == "ValueError" and out["errorMessage"] == "asked to fail"
    assert isinstance(out["stackTrace"], list) and any("index.py" in line for line in out["stackTrace"])

    r, out = invoke(lam, fn, {"sleep": 5})
    assert r["FunctionError"] == "Unhandled"
    assert out["errorMessage"].endswith("Task timed out after 3.00 seconds")
    # The timed-out environment is gone; a new one answers.
    r, out = invoke(lam, fn, {})
    assert "FunctionError" not in r and out["count"] == 1

    r = lam.invoke(FunctionName=fn, InvocationType="DryRun")
    assert r["StatusCode"] == 204
    r = lam.invoke(FunctionName=fn, InvocationType="Event", Payload=b"{}")
    assert r["StatusCode"] == 202

    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName=fn + "-missing", Payload=b"{}")
    assert err(e) == (404, "ResourceNotFoundException",
                      f"Function not found: arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{fn}-missing")


def test_log_tail_and_cloudwatch_logs(lam, client, fn):
    r = lam.invoke(FunctionName=fn, Payload=b"{}", LogType="Tail")
    tail = base64.b64decode(r["LogResult"]).decode()
    assert "START RequestId:" in tail and "hello from the function" in tail
    assert "END RequestId:" in tail and "REPORT RequestId:" in tail and "Billed Duration:" in tail
    logs = client("logs")
    deadline = time.time() + 10
    messages = []
    while time.time() < deadline:
        streams = logs.describe_log_streams(logGroupName=f"/aws/lambda/{fn}").get("logStreams", []) \
            if logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{fn}")["logGroups"] else []
        messages = [e["message"] for s in streams
                    for e in logs.get_log_events(logGroupName=f"/aws/lambda/{fn}",
                                                 logStreamName=s["logStreamName"])["events"]]
        if any("REPORT" in m for m in messages):
            break
        time.sleep(0.3)
    assert any(m.startswith("START RequestId:") for m in messages)
    assert any("hello from the function" in m for m in messages)


def test_versions_and_aliases_invoke_their_code(lam, fn):
    lam.publish_version(FunctionName=fn)
    lam.update_function_code(FunctionName=fn, ZipFile=make_zip({"index.py": "def handler(e, c):\n    return 'v2'\n"}))
    lam.create_alias(FunctionName=fn, Name="old", FunctionVersion="1")
    r, out = invoke(lam, fn, {})
    assert out == "v2"
    r, out = invoke(lam, fn, {}, Qualifier="old")
    assert r["ExecutedVersion"] == "1" and out["count"] >= 1


def test_import_error_and_provided_bootstrap(lam, client):
    iam = client("iam")
    name = unique_name("f")
    lam.create_function(FunctionName=name, Runtime="python3.12", Handler="missing.handler",
                        Role=execution_role(iam), Code={"ZipFile": make_zip({"index.py": HANDLER})})
    r, out = invoke(lam, name, {})
    assert r["FunctionError"] == "Unhandled" and out["errorType"] == "Runtime.ImportModuleError"
    assert out["errorMessage"].startswith("Unable to import module 'missing'")

    bootstrap = """#!/bin/sh
set -e
while true; do
  HEADERS=$(mktemp)
  EVENT=$(curl -sS -LD "$HEADERS" "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next")
  ID=$(grep -i Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  curl -sS -X POST "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$ID/response" -d "{\\"shell\\": $EVENT}" >/dev/null
done
"""
    name = unique_name("sh")
    lam.create_function(FunctionName=name, Runtime="provided.al2023", Handler="any",
                        Role=execution_role(iam), Code={"ZipFile": make_zip({"bootstrap": bootstrap}, {"bootstrap": 0o755})})
    r, out = invoke(lam, name, {"x": 1})
    assert "FunctionError" not in r and out == {"shell": {"x": 1}}


def test_cli_invoke(server, lam, fn, tmp_path):
    out = tmp_path / "out.json"
    r = run_aws_cli(server.url, "lambda", "invoke", "--function-name", fn,
                    "--payload", '{"a": 1}', str(out))
    assert r.returncode == 0, r.stderr
    assert json.loads(out.read_text())["event"] == {"a": 1}


NODE_HANDLER = '''
exports.handler = async (event, context) => {
  if (event.fail) throw new TypeError("node failed");
  console.log("node says hi");
  return { echo: event, fn: context.functionName, left: context.getRemainingTimeInMillis() > 0 };
};
exports.cb = (event, context, callback) => callback(null, { cb: true });
'''


def test_node_function(lam, client):
    iam = client("iam")
    name = unique_name("node")
    lam.create_function(FunctionName=name, Runtime="nodejs20.x", Handler="index.handler",
                        Role=execution_role(iam), Code={"ZipFile": make_zip({"index.js": NODE_HANDLER})})
    r, out = invoke(lam, name, {"n": 1}, LogType="Tail")
    assert "FunctionError" not in r and out == {"echo": {"n": 1}, "fn": name, "left": True}
    assert "node says hi" in base64.b64decode(r["LogResult"]).decode()
    r, out = invoke(lam, name, {"fail": True})
    assert r["FunctionError"] == "Unhandled"
    assert out["errorType"] == "TypeError" and out["errorMessage"] == "node failed" and isinstance(out["trace"], list)
    lam.update_function_configuration(FunctionName=name, Handler="index.cb")
    r, out = invoke(lam, name, {})
    assert out == {"cb": True}
    lam.update_function_configuration(FunctionName=name, Handler="index.nope")
    r, out = invoke(lam, name, {})
    assert r["FunctionError"] == "Unhandled" and out["errorType"] == "Runtime.HandlerNotFound"


def test_image_functions_are_stored_but_need_a_container_engine(lam, client):
    name = unique_name("img")
    lam.create_function(FunctionName=name, PackageType="Image", Role=execution_role(client("iam")),
                        Code={"ImageUri": f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/repo:latest"})
    assert lam.get_function(FunctionName=name)["Code"]["RepositoryType"] == "ECR"
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName=name, Payload=b"{}")
    assert err(e)[1] == "InvalidRuntimeException" and "container engine" in err(e)[2]


def test_resource_policy_governs_other_accounts_and_users(server, lam, client, fn):
    import requests
    acct = requests.post(f"{server.url}/_simfra/accounts", json={}).json()
    try:
        other = make_client(server.url, "lambda", aws_access_key_id=acct["rootAccessKeyId"],
                            aws_secret_access_key=acct["rootSecretAccessKey"])
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{fn}"
        with pytest.raises(ClientError) as e:
            other.invoke(FunctionName=arn, Payload=b"{}")
        assert err(e)[1] == "AccessDeniedException"
        lam.add_permission(FunctionName=fn, StatementId="other", Action="lambda:InvokeFunction",
                           Principal=acct["accountId"])
        r = other.invoke(FunctionName=arn, Payload=b'{"from": "other"}')
        assert r["StatusCode"] == 200 and json.loads(r["Payload"].read())["event"] == {"from": "other"}
        # The permission names InvokeFunction only.
        with pytest.raises(ClientError) as e:
            other.get_function(FunctionName=arn)
        assert err(e)[1] == "AccessDeniedException"
    finally:
        requests.delete(f"{server.url}/_simfra/accounts/{acct['accountId']}")

    # A user of the function's own account needs an identity policy.
    iam = client("iam")
    user = unique_name("u")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    as_user = make_client(server.url, "lambda", aws_access_key_id=key["AccessKeyId"],
                          aws_secret_access_key=key["SecretAccessKey"])
    with pytest.raises(ClientError) as e:
        as_user.invoke(FunctionName=fn, Payload=b"{}")
    assert err(e)[1] == "AccessDeniedException"
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction",
                                                "Resource": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{fn}"}]}))
    deadline = time.time() + 5
    while True:
        try:
            assert as_user.invoke(FunctionName=fn, Payload=b"{}")["StatusCode"] == 200
            break
        except ClientError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


RETRY_HANDLER = '''
def handler(event, context):
    with open(event["file"], "a") as f:
        f.write(context.aws_request_id + "\\n")
    with open(event["file"]) as f:
        if len(f.read().splitlines()) < 2:
            raise RuntimeError("first attempt fails")
    return "ok"
'''


def test_event_invocation_is_retried_after_a_failure(lam, client, tmp_path):
    name = unique_name("retry")
    lam.create_function(FunctionName=name, Runtime="python3.12", Handler="index.handler",
                        Role=execution_role(client("iam")), Code={"ZipFile": make_zip({"index.py": RETRY_HANDLER})})
    marker = tmp_path / "attempts"
    assert lam.invoke(FunctionName=name, InvocationType="Event",
                      Payload=json.dumps({"file": str(marker)}).encode())["StatusCode"] == 202
    deadline = time.time() + 90
    attempts = []
    while time.time() < deadline:
        attempts = marker.read_text().splitlines() if marker.exists() else []
        if len(attempts) >= 2:
            break
        time.sleep(1)
    # AWS retries about a minute later under the same request id; the retry succeeds.
    assert len(attempts) == 2 and attempts[0] == attempts[1]


def test_reserved_concurrency_throttles(lam, fn):
    import threading
    lam.put_function_concurrency(FunctionName=fn, ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName=fn, Payload=b"{}")
    assert err(e) == (429, "TooManyRequestsException", "Rate Exceeded.")
    assert e.value.response.get("Reason") == "ReservedFunctionConcurrentInvocationLimitExceeded"
    lam.put_function_concurrency(FunctionName=fn, ReservedConcurrentExecutions=1)
    slow = threading.Thread(target=lambda: invoke(lam, fn, {"sleep": 1.5}))
    slow.start()
    time.sleep(0.7)
    try:
        with pytest.raises(ClientError) as e:
            lam.invoke(FunctionName=fn, Payload=b"{}")
        assert err(e)[:2] == (429, "TooManyRequestsException")
    finally:
        slow.join()
    lam.delete_function_concurrency(FunctionName=fn)
    assert invoke(lam, fn, {})[0]["StatusCode"] == 200
