"""SSM Parameter Store end to end with boto3 and the AWS CLI: parameters of every type,
versions, selectors, labels, tiers, policies, filters, pagination, tags, the public
/aws/service parameters, SecureString encryption through KMS (decryption denied for a caller
without kms:Decrypt on a customer key, a disabled key), IAM on parameter ARNs, and the
persistence contract with a grep of the data dir for every SecureString plaintext.
"""
from __future__ import annotations

import base64
import json
import os
import re
import signal

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, make_client, run_aws_cli, unique_name
from persistence_contract import run_contract

AL2023 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


def err(excinfo):
    r = excinfo.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Code"), r["Error"].get("Message")


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*"):
    return {"Effect": "Allow", "Action": action, "Resource": resource}


@pytest.fixture
def ssm(client):
    return client("ssm")


def path():
    return "/" + unique_name("e2e")


def test_string_and_stringlist_round_trip_with_versions(ssm):
    p = path()
    first = ssm.put_parameter(Name=f"{p}/host", Value="db1", Type="String", Description="the host")
    assert (first["Version"], first["Tier"]) == (1, "Standard")
    assert ssm.put_parameter(Name=f"{p}/host", Value="db1b", Overwrite=True)["Version"] == 2
    got = ssm.get_parameter(Name=f"{p}/host")["Parameter"]
    assert got["Value"] == "db1b" and got["Version"] == 2 and got["Type"] == "String" and got["DataType"] == "text"
    assert got["ARN"] == f"arn:aws:ssm:{REGION}:{ACCOUNT_ID}:parameter{p}/host"
    ssm.put_parameter(Name=f"{p}/list", Value="a,b,c", Type="StringList")
    assert ssm.get_parameter(Name=f"{p}/list")["Parameter"]["Value"] == "a,b,c"
    v1 = ssm.get_parameter(Name=f"{p}/host:1")["Parameter"]
    assert (v1["Value"], v1["Selector"], v1["Name"]) == ("db1", ":1", f"{p}/host")
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=f"{p}/host", Value="x", Type="String")
    assert err(e)[:2] == (400, "ParameterAlreadyExists")
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=f"{p}/host:9")
    assert err(e) == (400, "ParameterVersionNotFound",
                      f"Systems Manager could not find version 9 of {p}/host. Verify the version and try again.")
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=f"{p}/missing")
    assert err(e) == (400, "ParameterNotFound", "")
    # By ARN, as AWS accepts it.
    arn = f"arn:aws:ssm:{REGION}:{ACCOUNT_ID}:parameter{p}/host"
    assert ssm.get_parameter(Name=arn)["Parameter"]["Value"] == "db1b"


def test_name_rules_and_validation_errors(ssm):
    p = path()
    cases = [
        (dict(Name="awsthing", Value="v", Type="String"), "ValidationException"),
        (dict(Name="/aws/mine/x", Value="v", Type="String"), "AccessDeniedException"),
        (dict(Name="a/b", Value="v", Type="String"), "ValidationException"),
        (dict(Name=p + "/" + "/".join(f"l{i}" for i in range(16)), Value="v", Type="String"),
         "HierarchyLevelLimitExceededException"),
        (dict(Name=p + "/notype", Value="v"), "ValidationException"),
        (dict(Name=p + "/big", Value="x" * 4097, Type="String"), "ValidationException"),
        (dict(Name=p + "/pat", Value="abc", Type="String", AllowedPattern="^\\d+$"), "ParameterPatternMismatchException"),
        (dict(Name=p + "/ami", Value="nope", Type="String", DataType="aws:ec2:image"), "ValidationException"),
        (dict(Name=p + "/dt", Value="1", Type="String", DataType="integer"), "ValidationException"),
        (dict(Name=p + "/tags", Value="1", Type="String", Overwrite=True, Tags=[{"Key": "a", "Value": "b"}]),
         "ValidationException"),
        (dict(Name=p + "/pol", Value="1", Type="String", Tier="Advanced",
              Policies='[{"Type":"Bogus","Version":"1.0","Attributes":{}}]'), "InvalidPolicyTypeException"),
    ]
    for kwargs, code in cases:
        with pytest.raises(ClientError) as e:
            ssm.put_parameter(**kwargs)
        assert err(e)[:2] == (400, code), kwargs
    ok = p + "/" + "/".join(f"l{i}" for i in range(14))
    assert ssm.put_parameter(Name=ok, Value="v", Type="String")["Version"] == 1
    assert ssm.put_parameter(Name=p + "/ami", Value="ami-0123456789abcdef0", Type="String",
                             DataType="aws:ec2:image")["Version"] == 1


def test_tiers_policies_and_intelligent_tiering(ssm):
    p = path()
    assert ssm.put_parameter(Name=f"{p}/a", Value="x" * 5000, Type="String", Tier="Advanced")["Tier"] == "Advanced"
    assert ssm.put_parameter(Name=f"{p}/b", Value="small", Type="String", Tier="Intelligent-Tiering")["Tier"] == "Standard"
    assert ssm.put_parameter(Name=f"{p}/c", Value="x" * 6000, Type="String", Tier="Intelligent-Tiering")["Tier"] == "Advanced"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=f"{p}/a", Value="y", Type="String", Overwrite=True, Tier="Standard")
    assert err(e)[1] == "ValidationException"
    policies = json.dumps([
        {"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "2030-01-01T00:00:00.000Z"}},
        {"Type": "ExpirationNotification", "Version": "1.0", "Attributes": {"Before": "5", "Unit": "Days"}},
    ])
    ssm.put_parameter(Name=f"{p}/d", Value="v", Type="String", Tier="Advanced", Policies=policies)
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [f"{p}/d"]}])["Parameters"][0]
    assert [x["PolicyType"] for x in meta["Policies"]] == ["Expiration", "ExpirationNotification"]
    assert meta["Tier"] == "Advanced"


def test_get_parameters_and_delete_parameters(ssm):
    p = path()
    for n in "abc":
        ssm.put_parameter(Name=f"{p}/{n}", Value=n, Type="String")
    out = ssm.get_parameters(Names=[f"{p}/a", f"{p}/zz", f"{p}/c", f"{p}/a:5"])
    assert sorted(x["Value"] for x in out["Parameters"]) == ["a", "c"]
    assert sorted(out["InvalidParameters"]) == sorted([f"{p}/zz", f"{p}/a:5"])
    d = ssm.delete_parameters(Names=[f"{p}/a", f"{p}/b", f"{p}/nope"])
    assert sorted(d["DeletedParameters"]) == [f"{p}/a", f"{p}/b"] and d["InvalidParameters"] == [f"{p}/nope"]
    ssm.delete_parameter(Name=f"{p}/c")
    with pytest.raises(ClientError) as e:
        ssm.delete_parameter(Name=f"{p}/c")
    assert err(e)[1] == "ParameterNotFound"


def test_by_path_recursive_filters_and_pagination(ssm):
    p = path()
    for i in range(13):
        ssm.put_parameter(Name=f"{p}/flat/p{i:02d}", Value=str(i), Type="String")
    ssm.put_parameter(Name=f"{p}/flat/deep/x", Value="deep", Type="StringList")
    first = ssm.get_parameters_by_path(Path=f"{p}/flat")
    assert len(first["Parameters"]) == 10 and "NextToken" in first
    second = ssm.get_parameters_by_path(Path=f"{p}/flat", NextToken=first["NextToken"])
    assert len(second["Parameters"]) == 3 and "NextToken" not in second
    names = [x["Name"] for x in first["Parameters"] + second["Parameters"]]
    assert f"{p}/flat/deep/x" not in names
    # The paginator walks every page, recursively.
    pages = ssm.get_paginator("get_parameters_by_path").paginate(Path=p, Recursive=True)
    assert len([x for page in pages for x in page["Parameters"]]) == 14
    typed = ssm.get_parameters_by_path(Path=p, Recursive=True,
                                       ParameterFilters=[{"Key": "Type", "Values": ["StringList"]}])
    assert [x["Value"] for x in typed["Parameters"]] == ["deep"]
    with pytest.raises(ClientError) as e:
        ssm.get_parameters_by_path(Path=p, ParameterFilters=[{"Key": "Name", "Values": ["x"]}])
    assert err(e)[1] == "InvalidFilterKey"


def test_describe_parameters_filters(ssm):
    p = path()
    ssm.put_parameter(Name=f"{p}/one", Value="1", Type="String", Tags=[{"Key": "team", "Value": "red"}])
    ssm.put_parameter(Name=f"{p}/two", Value="a,b", Type="StringList")
    ssm.put_parameter(Name=f"{p}/sub/three", Value="3", Type="String", Tier="Advanced")

    def names(**kw):
        pages = ssm.get_paginator("describe_parameters").paginate(**kw)
        return sorted(x["Name"] for page in pages for x in page["Parameters"])

    assert names(ParameterFilters=[{"Key": "Path", "Values": [p]}]) == [f"{p}/one", f"{p}/two"]
    assert names(ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [p]}]) == \
        [f"{p}/one", f"{p}/sub/three", f"{p}/two"]
    assert names(ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": [f"{p}/t"]}]) == [f"{p}/two"]
    assert names(ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [p]},
                                   {"Key": "Tier", "Values": ["Advanced"]}]) == [f"{p}/sub/three"]
    assert names(ParameterFilters=[{"Key": "tag:team", "Values": ["red"]}]) == [f"{p}/one"]
    assert names(Filters=[{"Key": "Name", "Values": [f"{p}/o"]}]) == [f"{p}/one"]
    with pytest.raises(ClientError) as e:
        ssm.describe_parameters(ParameterFilters=[{"Key": "Type", "Values": ["Bogus"]}])
    assert err(e)[1] == "InvalidFilterValue"
    with pytest.raises(ClientError) as e:
        ssm.describe_parameters(ParameterFilters=[{"Key": "Label", "Values": ["x"]}])
    assert err(e)[1] == "InvalidFilterKey"
    # Public parameters are never listed.
    assert not [x for x in names() if x.startswith("/aws/")]


def test_history_and_labels(ssm):
    p = path() + "/v"
    ssm.put_parameter(Name=p, Value="one", Type="String")
    for v in ("two", "three"):
        ssm.put_parameter(Name=p, Value=v, Overwrite=True)
    out = ssm.label_parameter_version(Name=p, ParameterVersion=1, Labels=["prod", "9bad"])
    assert out["InvalidLabels"] == ["9bad"] and out["ParameterVersion"] == 1
    assert ssm.get_parameter(Name=f"{p}:prod")["Parameter"]["Value"] == "one"
    ssm.label_parameter_version(Name=p, Labels=["prod"])
    assert ssm.get_parameter(Name=f"{p}:prod")["Parameter"]["Value"] == "three"
    hist = ssm.get_parameter_history(Name=p)["Parameters"]
    assert [h["Version"] for h in hist] == [1, 2, 3]
    assert [h["Labels"] for h in hist] == [[], [], ["prod"]]
    un = ssm.unlabel_parameter_version(Name=p, ParameterVersion=3, Labels=["prod", "nope"])
    assert un["RemovedLabels"] == ["prod"] and un["InvalidLabels"] == ["nope"]
    ssm.label_parameter_version(Name=p, ParameterVersion=2, Labels=[f"l{i}" for i in range(10)])
    with pytest.raises(ClientError) as e:
        ssm.label_parameter_version(Name=p, ParameterVersion=2, Labels=["eleventh"])
    assert err(e)[1] == "ParameterVersionLabelLimitExceeded"
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=f"{p}:nolabel")
    assert err(e)[1] == "ParameterVersionNotFound"


def test_hundred_versions_then_oldest_dropped_or_refused_when_labelled(ssm):
    p = path() + "/many"
    ssm.put_parameter(Name=p, Value="0", Type="String")
    for i in range(1, 101):
        ssm.put_parameter(Name=p, Value=str(i), Overwrite=True)
    pages = ssm.get_paginator("get_parameter_history").paginate(Name=p)
    versions = [h["Version"] for page in pages for h in page["Parameters"]]
    assert len(versions) == 100 and versions[0] == 2 and versions[-1] == 101
    ssm.label_parameter_version(Name=p, ParameterVersion=2, Labels=["pinned"])
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=p, Value="x", Overwrite=True)
    assert err(e)[1] == "ParameterMaxVersionLimitExceeded"


def test_tags(ssm):
    p = path() + "/t"
    ssm.put_parameter(Name=p, Value="v", Type="String", Tags=[{"Key": "a", "Value": "1"}])
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=p, Tags=[{"Key": "b", "Value": "2"}])
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=p)["TagList"]
    assert tags == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=p, TagKeys=["a"])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=p)["TagList"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(ClientError) as e:
        ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=p + "-missing")
    assert err(e)[1] == "InvalidResourceId"


def test_public_parameters_in_every_account_and_region(server, ssm):
    ami = ssm.get_parameter(Name=AL2023)["Parameter"]
    assert re.fullmatch(r"ami-[0-9a-f]{17}", ami["Value"])
    assert ami["ARN"] == f"arn:aws:ssm:{REGION}::parameter{AL2023}"
    assert ssm.get_parameter(Name=AL2023)["Parameter"]["Value"] == ami["Value"]
    west = make_client(server.url, "ssm", region_name="eu-west-1")
    assert re.fullmatch(r"ami-[0-9a-f]{17}", west.get_parameter(Name=AL2023)["Parameter"]["Value"])
    assert west.get_parameter(Name=AL2023)["Parameter"]["Value"] != ami["Value"]
    pages = ssm.get_paginator("get_parameters_by_path").paginate(Path="/aws/service/ami-amazon-linux-latest")
    names = [x["Name"] for page in pages for x in page["Parameters"]]
    assert AL2023 in names and "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2" in names
    region = ssm.get_parameter(Name="/aws/service/global-infrastructure/regions/us-west-2/longName")["Parameter"]
    assert region["Value"] == "US West (Oregon)"
    regions = ssm.get_paginator("get_parameters_by_path").paginate(Path="/aws/service/global-infrastructure/regions")
    codes = [x["Value"] for page in regions for x in page["Parameters"]]
    assert {"us-east-1", "eu-west-1", "ap-southeast-2"} <= set(codes)
    svc = ssm.get_parameter(Name="/aws/service/global-infrastructure/services/ssm/longName")["Parameter"]
    assert svc["Value"] == "AWS Systems Manager"


def test_aws_cli_round_trip(server):
    p = path() + "/cli"
    r = run_aws_cli(server.url, "ssm", "put-parameter", "--name", p, "--value", "from-cli", "--type", "String")
    assert r.returncode == 0, r.stderr
    assert r.json == {"Version": 1, "Tier": "Standard"}
    r = run_aws_cli(server.url, "ssm", "get-parameter", "--name", p, "--query", "Parameter.Value")
    assert r.json == "from-cli"
    r = run_aws_cli(server.url, "ssm", "get-parameter", "--name", p + "-missing")
    assert r.returncode != 0 and "ParameterNotFound" in r.stderr
    r = run_aws_cli(server.url, "ssm", "get-parameter", "--name", AL2023, "--query", "Parameter.Value")
    assert r.returncode == 0 and r.json.startswith("ami-")
    r = run_aws_cli(server.url, "ssm", "describe-parameters", "--parameter-filters", f"Key=Name,Values={p}")
    assert [x["Name"] for x in r.json["Parameters"]] == [p]
    r = run_aws_cli(server.url, "ssm", "put-parameter", "--name", p + "-sec", "--value", "cli-secret",
                    "--type", "SecureString")
    assert r.returncode == 0, r.stderr
    r = run_aws_cli(server.url, "ssm", "get-parameter", "--name", p + "-sec", "--with-decryption",
                    "--query", "Parameter.Value")
    assert r.json == "cli-secret"
    r = run_aws_cli(server.url, "ssm", "get-parameter", "--name", p + "-sec", "--query", "Parameter.Value")
    assert r.json != "cli-secret"
    r = run_aws_cli(server.url, "ssm", "get-parameters-by-path", "--path", p.rsplit("/", 1)[0], "--with-decryption")
    assert sorted(x["Value"] for x in r.json["Parameters"]) == ["cli-secret", "from-cli"]


def test_unimplemented_ssm_apis_answer_501(ssm):
    with pytest.raises(ClientError) as e:
        ssm.list_documents()
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501


# --------------------------------------------------------------------------------------
# IAM and KMS
# --------------------------------------------------------------------------------------

def make_user(server, iam, policy):
    name = unique_name("u")
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return arn, make_client(server.url, "ssm", aws_access_key_id=key["AccessKeyId"],
                            aws_secret_access_key=key["SecretAccessKey"])


def test_iam_authorises_parameter_arns(server, client, ssm):
    p = path()
    ssm.put_parameter(Name=f"{p}/mine/a", Value="1", Type="String")
    ssm.put_parameter(Name=f"{p}/theirs/b", Value="2", Type="String")
    iam = client("iam")
    prefix = f"arn:aws:ssm:{REGION}:{ACCOUNT_ID}:parameter{p}/mine"
    arn, u = make_user(server, iam, doc(
        allow(["ssm:GetParameter", "ssm:GetParametersByPath"], [prefix, prefix + "/*"]),
        {"Effect": "Deny", "Action": "ssm:PutParameter", "Resource": "*",
         "Condition": {"StringEquals": {"ssm:Overwrite": "true"}}},
        allow("ssm:PutParameter", prefix + "/*")))
    assert u.get_parameter(Name=f"{p}/mine/a")["Parameter"]["Value"] == "1"
    assert [x["Name"] for x in u.get_parameters_by_path(Path=f"{p}/mine")["Parameters"]] == [f"{p}/mine/a"]
    with pytest.raises(ClientError) as e:
        u.get_parameter(Name=f"{p}/theirs/b")
    status, code, message = err(e)
    assert (status, code) == (400, "AccessDeniedException")
    assert f"is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:{REGION}:{ACCOUNT_ID}:parameter{p}/theirs/b" in message
    u.put_parameter(Name=f"{p}/mine/new", Value="n", Type="String")
    with pytest.raises(ClientError) as e:
        u.put_parameter(Name=f"{p}/mine/new", Value="m", Overwrite=True)
    assert err(e)[1] == "AccessDeniedException"
    with pytest.raises(ClientError):
        u.describe_parameters()


def test_secure_string_encrypted_under_aws_ssm_key(ssm, client):
    p = path() + "/secret"
    ssm.put_parameter(Name=p, Value="plain-secret-value", Type="SecureString")
    raw = ssm.get_parameter(Name=p)["Parameter"]
    assert raw["Type"] == "SecureString" and raw["Value"] != "plain-secret-value"
    blob = base64.b64decode(raw["Value"])
    assert b"plain-secret-value" not in blob
    assert ssm.get_parameter(Name=p, WithDecryption=True)["Parameter"]["Value"] == "plain-secret-value"
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [p]}])["Parameters"][0]
    assert meta["KeyId"] == "alias/aws/ssm"
    # KMS created the AWS-managed key on first use.
    kms = client("kms")
    key = kms.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]
    assert key["KeyManager"] == "AWS"
    # The AWS-managed key serves only through Parameter Store (kms:ViaService): even the
    # account root cannot decrypt the ciphertext by calling KMS directly.
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"PARAMETER_ARN": raw["ARN"]})
    assert err(e)[1] == "AccessDeniedException"
    by_path = ssm.get_parameters_by_path(Path=p.rsplit("/", 1)[0], WithDecryption=True)["Parameters"]
    assert [x["Value"] for x in by_path] == ["plain-secret-value"]
    hist = ssm.get_parameter_history(Name=p, WithDecryption=True)["Parameters"]
    assert hist[0]["Value"] == "plain-secret-value" and hist[0]["KeyId"] == "alias/aws/ssm"


def test_secure_string_advanced_envelope(ssm):
    p = path() + "/adv"
    value = "x" * 6000
    assert ssm.put_parameter(Name=p, Value=value, Type="SecureString", Tier="Advanced")["Tier"] == "Advanced"
    assert ssm.get_parameter(Name=p)["Parameter"]["Value"] != value
    assert ssm.get_parameter(Name=p, WithDecryption=True)["Parameter"]["Value"] == value


def test_secure_string_decrypt_denied_without_kms_decrypt_on_customer_key(server, client, ssm):
    kms = client("kms")
    key = kms.create_key(Description="ssm e2e")["KeyMetadata"]
    p = path() + "/cmk"
    ssm.put_parameter(Name=p, Value="cmk-secret", Type="SecureString", KeyId=key["KeyId"])
    iam = client("iam")
    _, reader = make_user(server, iam, doc(allow(["ssm:GetParameter", "ssm:GetParameters"])))
    raw = ssm.get_parameter(Name=p)["Parameter"]
    assert reader.get_parameter(Name=p)["Parameter"]["Value"] == raw["Value"] != "cmk-secret"
    # A real KMS ciphertext under the customer key, bound to the parameter's ARN.
    blob = base64.b64decode(raw["Value"])
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"PARAMETER_ARN": raw["ARN"]})["Plaintext"] == b"cmk-secret"
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=blob)
    assert err(e)[1] == "InvalidCiphertextException"
    assert ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [p]}])["Parameters"][0]["KeyId"] == key["KeyId"]
    with pytest.raises(ClientError) as e:
        reader.get_parameter(Name=p, WithDecryption=True)
    status, code, message = err(e)
    assert (status, code) == (400, "AccessDeniedException")
    assert "kms:Decrypt" in message and key["Arn"] in message and "(Service: AWSKMS;" in message
    _, decrypter = make_user(server, iam, doc(allow("ssm:GetParameter"), allow("kms:Decrypt", key["Arn"])))
    assert decrypter.get_parameter(Name=p, WithDecryption=True)["Parameter"]["Value"] == "cmk-secret"
    # A disabled key: Parameter Store relays KMS's DisabledException as InvalidKeyId.
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=p, WithDecryption=True)
    assert err(e)[1] == "InvalidKeyId" and "DisabledException" in err(e)[2]
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=p, Value="new", Overwrite=True)
    assert err(e)[1] == "InvalidKeyId"
    kms.enable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=path() + "/nokey", Value="v", Type="SecureString",
                          KeyId="11111111-2222-3333-4444-555555555555")
    assert err(e)[1] == "InvalidKeyId"


def test_persistence_contract_and_no_plaintext_in_data_dir(server_factory, tmp_path):
    secrets = ["persisted-secret-one", "persisted-secret-two-" + "z" * 5000]
    p = "/persist"

    def scenario(url):
        s = make_client(url, "ssm")
        s.put_parameter(Name=f"{p}/plain", Value="visible", Type="String", Description="d",
                        Tags=[{"Key": "k", "Value": "v"}])
        s.put_parameter(Name=f"{p}/plain", Value="visible2", Overwrite=True)
        s.label_parameter_version(Name=f"{p}/plain", ParameterVersion=1, Labels=["first"])
        s.put_parameter(Name=f"{p}/list", Value="a,b", Type="StringList", Tier="Advanced",
                        Policies='[{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"3","Unit":"Days"}}]')
        s.put_parameter(Name=f"{p}/sec", Value=secrets[0], Type="SecureString")
        s.put_parameter(Name=f"{p}/sec-adv", Value=secrets[1], Type="SecureString", Tier="Advanced")
        s.put_parameter(Name=f"{p}/gone", Value="x", Type="String")
        s.delete_parameter(Name=f"{p}/gone")

    def snapshot(url):
        s = make_client(url, "ssm")
        out = {
            "describe": s.describe_parameters()["Parameters"],
            "by_path": s.get_parameters_by_path(Path=p, Recursive=True, WithDecryption=True)["Parameters"],
            "raw": s.get_parameters_by_path(Path=p, Recursive=True)["Parameters"],
            "labelled": s.get_parameter(Name=f"{p}/plain:first")["Parameter"],
            "tags": s.list_tags_for_resource(ResourceType="Parameter", ResourceId=f"{p}/plain")["TagList"],
        }
        for n in ("plain", "list", "sec", "sec-adv"):
            out["history-" + n] = s.get_parameter_history(Name=f"{p}/{n}", WithDecryption=True)["Parameters"]
        return out

    second, before = run_contract(server_factory, tmp_path, scenario, snapshot, sig=signal.SIGKILL)
    assert [x["Value"] for x in before["by_path"]][-2:] == secrets
    data = tmp_path / "data"
    for root, _, files in os.walk(data):
        for f in files:
            content = open(os.path.join(root, f), "rb").read()
            for s in secrets:
                assert s.encode() not in content, f"{s[:20]} found in {f}"


def test_accounts_are_isolated_read_the_same_public_parameters_and_are_removed(server, ssm):
    import requests
    r = requests.post(server.url + "/_simfra/accounts", json={}, timeout=30)
    assert r.status_code == 201, r.text
    acct = r.json()
    other = make_client(server.url, "ssm", aws_access_key_id=acct["rootAccessKeyId"],
                        aws_secret_access_key=acct["rootSecretAccessKey"])
    p = path() + "/iso"
    other.put_parameter(Name=p, Value="theirs", Type="String")
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=p)
    assert err(e)[1] == "ParameterNotFound"
    ssm.put_parameter(Name=p, Value="mine", Type="String")
    assert other.get_parameter(Name=p)["Parameter"]["ARN"] == f"arn:aws:ssm:{REGION}:{acct['accountId']}:parameter{p}"
    assert other.get_parameter(Name=AL2023)["Parameter"]["Value"] == ssm.get_parameter(Name=AL2023)["Parameter"]["Value"]
    assert requests.post(server.url + f"/_simfra/accounts/{acct['accountId']}/reset", timeout=30).status_code in (200, 204)
    with pytest.raises(ClientError) as e:
        other.get_parameter(Name=p)
    assert err(e)[1] == "ParameterNotFound"
    assert ssm.get_parameter(Name=p)["Parameter"]["Value"] == "mine"
    requests.delete(server.url + f"/_simfra/accounts/{acct['accountId']}", timeout=30)
