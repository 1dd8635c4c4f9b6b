"""AWS Lambda's control plane end to end with boto3 and the AWS CLI: functions from an inline
zip (defaults, configuration, code hash, State/LastUpdateStatus), an execution role Lambda may
not assume (refused as AWS refuses it), versions and aliases with routing weights, paging,
resource policies (AddPermission/GetPolicy/RemovePermission), tags, AWS's errors for missing
functions, and the persistence contract.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import signal
import zipfile

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, make_client, run_aws_cli, unique_name
from persistence_contract import run_contract

TRUST_LAMBDA = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
TRUST_EC2 = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})

HANDLER = "def handler(event, context):\n    return {'echo': event}\n"


def make_zip(source: str = HANDLER, name: str = "index.py") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, source)
    return buf.getvalue()


def err(excinfo):
    r = excinfo.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Code"), r["Error"].get("Message")


def role(iam, trust=TRUST_LAMBDA):
    return iam.create_role(RoleName=unique_name("r"), AssumeRolePolicyDocument=trust)["Role"]["Arn"]


def create(lam, iam, name=None, **kw):
    name = name or unique_name("f")
    args = dict(FunctionName=name, Runtime="python3.12", Handler="index.handler", Role=role(iam),
                Code={"ZipFile": make_zip()})
    args.update(kw)
    return lam.create_function(**args)


@pytest.fixture
def lam(client):
    return client("lambda")


def test_create_get_update_delete(lam, client):
    iam = client("iam")
    name = unique_name("f")
    code = make_zip()
    out = create(lam, iam, name, Environment={"Variables": {"A": "1"}}, Tags={"team": "a"},
                 MemorySize=256, Timeout=10, Description="d")
    assert out["FunctionArn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"
    assert out["State"] == "Pending" and out["StateReasonCode"] == "Creating"
    assert out["CodeSha256"] == base64.b64encode(hashlib.sha256(code).digest()).decode()
    assert out["CodeSize"] == len(code) and out["Version"] == "$LATEST"
    assert out["PackageType"] == "Zip" and out["Architectures"] == ["x86_64"]
    assert out["EphemeralStorage"] == {"Size": 512} and out["TracingConfig"] == {"Mode": "PassThrough"}
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    got = lam.get_function(FunctionName=name)
    conf = got["Configuration"]
    assert conf["State"] == "Active" and conf["LastUpdateStatus"] == "Successful"
    assert conf["MemorySize"] == 256 and conf["Timeout"] == 10 and conf["Description"] == "d"
    assert conf["Environment"] == {"Variables": {"A": "1"}}
    assert got["Tags"] == {"team": "a"} and got["Code"]["RepositoryType"] == "S3"

    upd = lam.update_function_configuration(FunctionName=name, Timeout=20, Environment={"Variables": {"B": "2"}})
    assert upd["LastUpdateStatus"] == "InProgress"
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    conf = lam.get_function_configuration(FunctionName=name)
    assert conf["Timeout"] == 20 and conf["Environment"] == {"Variables": {"B": "2"}}
    with pytest.raises(ClientError) as e:
        lam.update_function_configuration(FunctionName=name, Timeout=5, RevisionId="nope")
    assert err(e)[:2] == (412, "PreconditionFailedException")

    new_code = make_zip("def handler(e, c):\n    return 2\n")
    upd = lam.update_function_code(FunctionName=name, ZipFile=new_code)
    assert upd["CodeSha256"] == base64.b64encode(hashlib.sha256(new_code).digest()).decode()

    with pytest.raises(ClientError) as e:
        create(lam, iam, name)
    assert err(e) == (409, "ResourceConflictException", f"Function already exist: {name}")
    lam.delete_function(FunctionName=name)
    with pytest.raises(ClientError) as e:
        lam.get_function(FunctionName=name)
    assert err(e) == (404, "ResourceNotFoundException",
                      f"Function not found: arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}")


def test_role_and_code_are_checked(lam, client):
    iam = client("iam")
    with pytest.raises(ClientError) as e:
        create(lam, iam, Role=role(iam, TRUST_EC2))
    assert err(e) == (400, "InvalidParameterValueException",
                      "The role defined for the function cannot be assumed by Lambda.")
    with pytest.raises(ClientError) as e:
        create(lam, iam, Role=f"arn:aws:iam::{ACCOUNT_ID}:role/does-not-exist")
    assert err(e)[1] == "InvalidParameterValueException"
    with pytest.raises(ClientError) as e:
        create(lam, iam, Code={"ZipFile": b"not a zip at all, really not"})
    assert err(e) == (400, "InvalidParameterValueException",
                      "Could not unzip uploaded file. Please check your file, then try to upload again.")
    with pytest.raises(ClientError) as e:
        create(lam, iam, Environment={"Variables": {"AWS_REGION": "x"}})
    assert err(e)[1] == "InvalidParameterValueException" and "AWS_REGION" in err(e)[2]
    with pytest.raises(ClientError) as e:
        create(lam, iam, Runtime="python9.9")
    assert err(e)[1] in ("ValidationException", "InvalidParameterValueException")


def test_versions_aliases_and_paging(lam, client):
    iam = client("iam")
    name = unique_name("f")
    create(lam, iam, name)
    v1 = lam.publish_version(FunctionName=name, Description="first")
    assert v1["Version"] == "1" and v1["FunctionArn"].endswith(f":{name}:1") and v1["Description"] == "first"
    assert lam.publish_version(FunctionName=name)["Version"] == "1"  # nothing changed
    lam.update_function_configuration(FunctionName=name, Timeout=30)
    v2 = lam.publish_version(FunctionName=name)
    assert v2["Version"] == "2" and v2["Timeout"] == 30
    with pytest.raises(ClientError) as e:
        lam.publish_version(FunctionName=name, CodeSha256="wrong")
    assert err(e)[1] == "InvalidParameterValueException"
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName=name)["Versions"]]
    assert versions == ["$LATEST", "1", "2"]
    page = lam.list_versions_by_function(FunctionName=name, MaxItems=2)
    assert [v["Version"] for v in page["Versions"]] == ["$LATEST", "1"]
    rest = lam.list_versions_by_function(FunctionName=name, Marker=page["NextMarker"])
    assert [v["Version"] for v in rest["Versions"]] == ["2"] and "NextMarker" not in rest

    alias = lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1",
                             RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}})
    assert alias["AliasArn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}:live"
    assert alias["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.1}}
    with pytest.raises(ClientError) as e:
        lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    assert err(e) == (409, "ResourceConflictException", f"Alias already exists: {alias['AliasArn']}")
    assert lam.get_function_configuration(FunctionName=name, Qualifier="live")["Version"] == "1"
    assert lam.get_function(FunctionName=f"{name}:2")["Configuration"]["Timeout"] == 30
    lam.update_alias(FunctionName=name, Name="live", FunctionVersion="2", RoutingConfig={"AdditionalVersionWeights": {}})
    got = lam.get_alias(FunctionName=name, Name="live")
    assert got["FunctionVersion"] == "2" and "RoutingConfig" not in got
    assert [a["Name"] for a in lam.list_aliases(FunctionName=name)["Aliases"]] == ["live"]
    with pytest.raises(ClientError) as e:
        lam.delete_function(FunctionName=name, Qualifier="2")
    assert err(e)[:2] == (409, "ResourceConflictException")
    lam.delete_function(FunctionName=name, Qualifier="1")
    with pytest.raises(ClientError) as e:
        lam.get_function(FunctionName=name, Qualifier="1")
    assert err(e)[2] == f"Function not found: arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}:1"
    lam.delete_alias(FunctionName=name, Name="live")
    with pytest.raises(ClientError) as e:
        lam.get_alias(FunctionName=name, Name="live")
    assert err(e) == (404, "ResourceNotFoundException", f"Cannot find alias arn: {alias['AliasArn']}")

    names = {unique_name("p") for _ in range(3)}
    for n in names:
        create(lam, iam, n)
    seen, marker = [], None
    while True:
        kw = {"MaxItems": 2} | ({"Marker": marker} if marker else {})
        out = lam.list_functions(**kw)
        seen += [f["FunctionName"] for f in out["Functions"]]
        marker = out.get("NextMarker")
        if not marker:
            break
    assert names <= set(seen) and len(seen) == len(set(seen))
    assert lam.get_function_code_signing_config(FunctionName=name)["CodeSigningConfigArn"] == ""
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)
    assert lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=5)["ReservedConcurrentExecutions"] == 5
    assert lam.get_function(FunctionName=name)["Concurrency"] == {"ReservedConcurrentExecutions": 5}
    lam.delete_function_concurrency(FunctionName=name)
    assert "Concurrency" not in lam.get_function(FunctionName=name)
    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountUsage"]["FunctionCount"] >= 4


def test_permissions_and_tags(lam, client):
    iam = client("iam")
    name = unique_name("f")
    arn = create(lam, iam, name)["FunctionArn"]
    st = json.loads(lam.add_permission(FunctionName=name, StatementId="sns", Action="lambda:InvokeFunction",
                                       Principal="sns.amazonaws.com",
                                       SourceArn=f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:t")["Statement"])
    assert st == {"Sid": "sns", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                  "Action": "lambda:InvokeFunction", "Resource": arn,
                  "Condition": {"ArnLike": {"AWS:SourceArn": f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:t"}}}
    lam.add_permission(FunctionName=name, StatementId="acct", Action="lambda:GetFunction", Principal="222222222222")
    with pytest.raises(ClientError) as e:
        lam.add_permission(FunctionName=name, StatementId="sns", Action="lambda:InvokeFunction", Principal="*")
    assert err(e)[:2] == (409, "ResourceConflictException")
    policy = json.loads(lam.get_policy(FunctionName=name)["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["sns", "acct"]
    assert policy["Statement"][1]["Principal"] == {"AWS": "arn:aws:iam::222222222222:root"}
    lam.remove_permission(FunctionName=name, StatementId="sns")
    with pytest.raises(ClientError) as e:
        lam.remove_permission(FunctionName=name, StatementId="sns")
    assert err(e) == (404, "ResourceNotFoundException", "Statement sns is not found in resource policy.")
    lam.remove_permission(FunctionName=name, StatementId="acct")
    with pytest.raises(ClientError) as e:
        lam.get_policy(FunctionName=name)
    assert err(e)[:2] == (404, "ResourceNotFoundException")

    lam.tag_resource(Resource=arn, Tags={"a": "1", "b": "2"})
    lam.untag_resource(Resource=arn, TagKeys=["a"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"b": "2"}
    with pytest.raises(ClientError) as e:
        lam.tag_resource(Resource=arn + ":1", Tags={"a": "1"})
    assert err(e)[1] == "InvalidParameterValueException"


def test_cli(server, client):
    iam = client("iam")
    name = unique_name("f")
    path = f"/tmp/{name}.zip"
    with open(path, "wb") as f:
        f.write(make_zip())
    r = run_aws_cli(server.url, "lambda", "create-function", "--function-name", name, "--runtime", "python3.12",
                    "--handler", "index.handler", "--role", role(iam), "--zip-file", f"fileb://{path}")
    assert r.returncode == 0, r.stderr
    r = run_aws_cli(server.url, "lambda", "get-function-configuration", "--function-name", name,
                    "--query", "State")
    assert r.returncode == 0 and r.json == "Active"
    r = run_aws_cli(server.url, "lambda", "get-function", "--function-name", name + "-missing")
    assert r.returncode != 0 and "ResourceNotFoundException" in r.stderr


def test_persistence_contract(server_factory, tmp_path):
    names = {}

    def scenario(url):
        lam, iam = make_client(url, "lambda"), make_client(url, "iam")
        names["f"] = name = unique_name("f")
        create(lam, iam, name, Environment={"Variables": {"SECRET": "s3cr3t"}}, Tags={"k": "v"})
        lam.publish_version(FunctionName=name)
        lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
        lam.add_permission(FunctionName=name, StatementId="s", Action="lambda:InvokeFunction",
                           Principal="events.amazonaws.com")

    def snapshot(url):
        lam = make_client(url, "lambda")
        name = names["f"]
        return {
            "functions": lam.list_functions(FunctionVersion="ALL")["Functions"],
            "get": lam.get_function(FunctionName=name),
            "versions": lam.list_versions_by_function(FunctionName=name)["Versions"],
            "aliases": lam.list_aliases(FunctionName=name)["Aliases"],
            "policy": lam.get_policy(FunctionName=name)["Policy"],
            "tags": lam.list_tags(Resource=lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]),
        }

    second, before = run_contract(server_factory, tmp_path, scenario, snapshot, sig=signal.SIGKILL)
    assert before["get"]["Configuration"]["Environment"] == {"Variables": {"SECRET": "s3cr3t"}}
    # The environment is sealed at rest, not written in the clear.
    db = (tmp_path / "data" / "simfra.db").read_bytes()
    assert b"s3cr3t" not in db
