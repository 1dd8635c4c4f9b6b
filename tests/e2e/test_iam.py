"""End-to-end tests of IAM: boto3 (awsQuery) and the AWS CLI against a running server.
Users, groups, roles, managed and inline policies, access keys (a created key signs
requests; an Inactive one is refused), instance profiles, identity providers, aliases,
the account summary, the simulator, and persistence across a restart (secrets sealed)."""

from __future__ import annotations

import json
import signal
import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, client_error_info, make_client

ALLOW_S3 = json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
ALLOW_ALL = json.dumps({"Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
TRUST_EC2 = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def err(exc_info) -> tuple[int, str, str]:
    return client_error_info(exc_info.value)


@pytest.fixture
def iam(server):
    return server.client("iam")


def test_user_crud_and_errors(iam):
    name = uniq("user")
    u = iam.create_user(UserName=name, Path="/team/", Tags=[{"Key": "k", "Value": "v"}])["User"]
    assert u["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/team/{name}"
    assert u["UserId"].startswith("AIDA") and len(u["UserId"]) == 21
    got = iam.get_user(UserName=name)["User"]
    assert got["Tags"] == [{"Key": "k", "Value": "v"}] and got["CreateDate"] == u["CreateDate"]
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName=name)
    assert err(e) == (409, "EntityAlreadyExists", f"User with name {name} already exists.")
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName=name + "-missing")
    assert err(e) == (404, "NoSuchEntity", f"The user with name {name}-missing cannot be found.")
    iam.tag_user(UserName=name, Tags=[{"Key": "k2", "Value": "v2"}])
    iam.untag_user(UserName=name, TagKeys=["k"])
    assert iam.list_user_tags(UserName=name)["Tags"] == [{"Key": "k2", "Value": "v2"}]
    iam.update_user(UserName=name, NewUserName=name + "-r")
    iam.delete_user(UserName=name + "-r")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_user(UserName=name + "-r")


def test_get_user_without_name_is_the_root_caller(iam):
    u = iam.get_user()["User"]
    assert u["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root" and u["UserId"] == ACCOUNT_ID


def test_list_users_pagination(iam):
    prefix = "/" + uniq("page") + "/"
    names = sorted(uniq("p") for _ in range(5))
    for n in names:
        iam.create_user(UserName=n, Path=prefix)
    first = iam.list_users(PathPrefix=prefix, MaxItems=2)
    assert first["IsTruncated"] and len(first["Users"]) == 2
    pages = iam.get_paginator("list_users").paginate(PathPrefix=prefix, PaginationConfig={"PageSize": 2})
    seen = [u["UserName"] for p in pages for u in p["Users"]]
    assert seen == names


def test_groups_and_membership(iam):
    g, u = uniq("grp"), uniq("member")
    iam.create_group(GroupName=g)
    iam.create_user(UserName=u)
    iam.add_user_to_group(GroupName=g, UserName=u)
    out = iam.get_group(GroupName=g)
    assert [x["UserName"] for x in out["Users"]] == [u]
    assert [x["GroupName"] for x in iam.list_groups_for_user(UserName=u)["Groups"]] == [g]
    with pytest.raises(ClientError) as e:
        iam.delete_group(GroupName=g)
    assert err(e)[:2] == (409, "DeleteConflict")
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=u)
    assert err(e)[:2] == (409, "DeleteConflict")
    iam.remove_user_from_group(GroupName=g, UserName=u)
    iam.delete_group(GroupName=g)
    iam.delete_user(UserName=u)


def test_roles_policies_attach_and_inline(server, iam):
    r = uniq("role")
    role = iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_EC2, MaxSessionDuration=7200,
                           Description="d")["Role"]
    assert role["RoleId"].startswith("AROA")
    # The SDK decodes the percent-encoded document into a dict.
    assert role["AssumeRolePolicyDocument"] == json.loads(TRUST_EC2)
    assert iam.get_role(RoleName=r)["Role"]["MaxSessionDuration"] == 7200
    raw = server.client("iam", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as e:
        raw.update_role(RoleName=r, MaxSessionDuration=100)
    assert err(e)[:2] == (400, "ValidationError")

    p = iam.create_policy(PolicyName=uniq("pol"), PolicyDocument=ALLOW_S3)["Policy"]
    arn = p["Arn"]
    iam.attach_role_policy(RoleName=r, PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    assert [a["PolicyArn"] for a in iam.list_attached_role_policies(RoleName=r)["AttachedPolicies"]] == [arn]
    ents = iam.list_entities_for_policy(PolicyArn=arn)
    assert [x["RoleName"] for x in ents["PolicyRoles"]] == [r]
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert err(e) == (409, "DeleteConflict", "Cannot delete a policy attached to entities.")

    iam.put_role_policy(RoleName=r, PolicyName="inline", PolicyDocument=ALLOW_ALL)
    got = iam.get_role_policy(RoleName=r, PolicyName="inline")
    assert got["PolicyDocument"] == json.loads(ALLOW_ALL)
    assert iam.list_role_policies(RoleName=r)["PolicyNames"] == ["inline"]
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName=r)
    assert err(e)[:2] == (409, "DeleteConflict")
    iam.delete_role_policy(RoleName=r, PolicyName="inline")
    iam.detach_role_policy(RoleName=r, PolicyArn=arn)
    iam.delete_role(RoleName=r)
    iam.delete_policy(PolicyArn=arn)


def test_policy_versions_limit_and_malformed(iam):
    arn = iam.create_policy(PolicyName=uniq("ver"), PolicyDocument=ALLOW_S3)["Policy"]["Arn"]
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=ALLOW_ALL)
    with pytest.raises(ClientError) as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=ALLOW_ALL)
    assert err(e)[:2] == (409, "LimitExceeded")
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v3")
    v = iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]
    assert v["IsDefaultVersion"] and v["Document"] == json.loads(ALLOW_ALL)
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=uniq("bad"), PolicyDocument="{nope")
    assert err(e) == (400, "MalformedPolicyDocument", "This policy contains invalid Json")
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=uniq("bad"), PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]}))
    assert err(e)[:2] == (400, "MalformedPolicyDocument")


def test_aws_managed_policy(iam):
    arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    p = iam.get_policy(PolicyArn=arn)["Policy"]
    assert p["PolicyName"] == "AdministratorAccess"
    doc = iam.get_policy_version(PolicyArn=arn, VersionId=p["DefaultVersionId"])["PolicyVersion"]["Document"]
    assert doc["Statement"][0]["Action"] == "*"
    names = [x["PolicyName"] for x in iam.list_policies(Scope="AWS")["Policies"]]
    assert "AdministratorAccess" in names
    with pytest.raises(ClientError):
        iam.delete_policy(PolicyArn=arn)


def test_access_key_signs_and_inactive_key_is_refused(server, iam):
    name = uniq("keyuser")
    user_arn = iam.create_user(UserName=name)["User"]["Arn"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["SecretAccessKey"]) == 40
    sts = make_client(server.url, "sts", aws_access_key_id=key["AccessKeyId"],
                      aws_secret_access_key=key["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"] == user_arn
    last = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert last["UserName"] == name and "LastUsedDate" in last["AccessKeyLastUsed"]
    iam.create_access_key(UserName=name)
    with pytest.raises(ClientError) as e:
        iam.create_access_key(UserName=name)
    assert err(e) == (409, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    meta = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]}
    assert meta[key["AccessKeyId"]] == "Inactive"
    with pytest.raises(ClientError) as e:
        sts.get_caller_identity()
    assert err(e)[0] == 403
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=name)
    assert err(e) == (409, "DeleteConflict", "Cannot delete entity, must delete access keys first.")


def test_login_profile(iam):
    name = uniq("login")
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password="Very-Secret-1!", PasswordResetRequired=True)
    lp = iam.get_login_profile(UserName=name)["LoginProfile"]
    assert lp["PasswordResetRequired"] is True and "Password" not in lp
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName=name, Password="x")
    assert err(e)[:2] == (409, "EntityAlreadyExists")
    iam.delete_login_profile(UserName=name)
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_login_profile(UserName=name)


def test_instance_profiles(iam):
    ip, r1, r2 = uniq("ip"), uniq("r"), uniq("r")
    for r in (r1, r2):
        iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_EC2)
    iam.create_instance_profile(InstanceProfileName=ip)
    iam.add_role_to_instance_profile(InstanceProfileName=ip, RoleName=r1)
    with pytest.raises(ClientError) as e:
        iam.add_role_to_instance_profile(InstanceProfileName=ip, RoleName=r2)
    assert err(e)[:2] == (409, "LimitExceeded")
    got = iam.get_instance_profile(InstanceProfileName=ip)["InstanceProfile"]
    assert [r["RoleName"] for r in got["Roles"]] == [r1]
    assert [p["InstanceProfileName"] for p in iam.list_instance_profiles_for_role(RoleName=r1)["InstanceProfiles"]] == [ip]
    iam.remove_role_from_instance_profile(InstanceProfileName=ip, RoleName=r1)
    iam.delete_instance_profile(InstanceProfileName=ip)


def test_oidc_and_saml_providers(iam):
    host = uniq("issuer") + ".example.com"
    arn = iam.create_open_id_connect_provider(Url=f"https://{host}", ClientIDList=["sts.amazonaws.com"],
                                              ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{host}"
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app")
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == host and got["ClientIDList"] == ["sts.amazonaws.com", "app"]
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(Url=f"https://{host}", ThumbprintList=["a" * 40])
    assert err(e)[:2] == (409, "EntityAlreadyExists")
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)

    # SAML metadata must be at least 1000 characters (the model's minimum): a signing cert.
    meta = ('<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp">'
            '<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            '<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data>'
            f'<X509Certificate>{"MIIC" + "A" * 1200}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>'
            '</IDPSSODescriptor></EntityDescriptor>')
    name = uniq("saml")
    sarn = iam.create_saml_provider(Name=name, SAMLMetadataDocument=meta)["SAMLProviderArn"]
    assert iam.get_saml_provider(SAMLProviderArn=sarn)["SAMLMetadataDocument"] == meta
    assert sarn in [p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]]
    iam.tag_saml_provider(SAMLProviderArn=sarn, Tags=[{"Key": "a", "Value": "b"}])
    assert iam.list_saml_provider_tags(SAMLProviderArn=sarn)["Tags"] == [{"Key": "a", "Value": "b"}]
    iam.delete_saml_provider(SAMLProviderArn=sarn)


def test_alias_summary_and_authorization_details(iam):
    alias = uniq("corp")
    iam.create_account_alias(AccountAlias=alias)
    assert iam.list_account_aliases()["AccountAliases"] == [alias]
    summary = iam.get_account_summary()["SummaryMap"]
    for key in ("Users", "Groups", "Roles", "Policies", "UsersQuota", "AccountMFAEnabled", "AccessKeysPerUserQuota"):
        assert key in summary
    iam.delete_account_alias(AccountAlias=alias)
    r = uniq("detail")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_EC2)
    iam.put_role_policy(RoleName=r, PolicyName="x", PolicyDocument=ALLOW_S3)
    details = iam.get_account_authorization_details(Filter=["Role"])
    mine = [d for d in details["RoleDetailList"] if d["RoleName"] == r]
    assert mine and mine[0]["RolePolicyList"][0]["PolicyDocument"] == json.loads(ALLOW_S3)
    assert details["UserDetailList"] == []


def test_simulate(iam):
    name = uniq("sim")
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    iam.put_user_policy(UserName=name, PolicyName="s3", PolicyDocument=ALLOW_S3)
    out = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["s3:GetObject", "s3:PutObject"])
    decisions = [r["EvalDecision"] for r in out["EvaluationResults"]]
    assert decisions == ["allowed", "implicitDeny"]
    assert out["EvaluationResults"][0]["MatchedStatements"][0]["SourcePolicyId"] == "s3"
    deny = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "sqs:*", "Resource": "*"}]})
    out = iam.simulate_custom_policy(PolicyInputList=[deny], ActionNames=["sqs:SendMessage", "sns:Publish"])
    assert [r["EvalDecision"] for r in out["EvaluationResults"]] == ["explicitDeny", "allowed"]


def test_aws_cli(server):
    name = uniq("cli")
    res = server.aws_cli("iam", "create-user", "--user-name", name)
    assert res.returncode == 0, res.stderr
    assert res.json["User"]["UserName"] == name
    res = server.aws_cli("iam", "put-user-policy", "--user-name", name, "--policy-name", "p",
                         "--policy-document", ALLOW_S3)
    assert res.returncode == 0, res.stderr
    res = server.aws_cli("iam", "get-user-policy", "--user-name", name, "--policy-name", "p")
    assert res.json["PolicyDocument"] == json.loads(ALLOW_S3)
    res = server.aws_cli("iam", "list-users")
    assert name in [u["UserName"] for u in res.json["Users"]]
    res = server.aws_cli("iam", "get-user", "--user-name", name + "-nope")
    assert res.returncode != 0 and "NoSuchEntity" in res.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_persistence_across_restart(server_factory, tmp_path, sig):
    data = tmp_path / "data"
    first = server_factory(data_dir=data)
    iam = first.client("iam")
    iam.create_user(UserName="persist", Tags=[{"Key": "t", "Value": "1"}])
    key = iam.create_access_key(UserName="persist")["AccessKey"]
    iam.create_login_profile(UserName="persist", Password="Pl41ntext-Passw0rd!")
    arn = iam.create_policy(PolicyName="persist-pol", PolicyDocument=ALLOW_S3)["Policy"]["Arn"]
    iam.attach_user_policy(UserName="persist", PolicyArn=arn)
    iam.create_group(GroupName="persist-g")
    iam.add_user_to_group(GroupName="persist-g", UserName="persist")
    iam.create_role(RoleName="persist-r", AssumeRolePolicyDocument=TRUST_EC2)
    before = iam.get_account_authorization_details()
    if sig == signal.SIGKILL:
        first.kill()
    else:
        assert first.stop(sig) == 0

    raw = b""
    for f in data.iterdir():
        if f.name.startswith("simfra.db"):
            raw += f.read_bytes()
    assert raw, "no database files"
    assert key["SecretAccessKey"].encode() not in raw
    assert b"Pl41ntext-Passw0rd!" not in raw

    second = server_factory(data_dir=data)
    iam = second.client("iam")
    after = iam.get_account_authorization_details()
    for k in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"):
        assert after[k] == before[k]
    sts = make_client(second.url, "sts", aws_access_key_id=key["AccessKeyId"],
                      aws_secret_access_key=key["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"].endswith(":user/persist")
    assert iam.get_login_profile(UserName="persist")["LoginProfile"]["UserName"] == "persist"


def test_unissued_credentials_are_empty_lists(iam):
    name = uniq("bare")
    iam.create_user(UserName=name)
    assert iam.list_mfa_devices(UserName=name)["MFADevices"] == []
    assert iam.list_signing_certificates(UserName=name)["Certificates"] == []
    assert iam.list_ssh_public_keys(UserName=name)["SSHPublicKeys"] == []
    with pytest.raises(ClientError) as e:
        iam.list_mfa_devices(UserName=name + "-nope")
    assert err(e)[:2] == (404, "NoSuchEntity")
    with pytest.raises(ClientError) as e:
        iam.get_account_password_policy()
    assert err(e) == (404, "NoSuchEntity", f"The Password Policy with domain name {ACCOUNT_ID} cannot be found.")
    with pytest.raises(ClientError) as e:
        iam.create_virtual_mfa_device(VirtualMFADeviceName="x")
    assert err(e)[:2] == (501, "NotImplemented")


def test_service_linked_role_and_boundaries(iam):
    role = iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForElasticBeanstalk"
    assert role["Path"] == "/aws-service-role/elasticbeanstalk.amazonaws.com/"
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": ["elasticbeanstalk.amazonaws.com"]}
    with pytest.raises(ClientError) as e:
        iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com")
    assert err(e) == (400, "InvalidInput", "Service role name AWSServiceRoleForElasticBeanstalk has been taken in "
                      "this account, please try a different suffix.")
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName=role["RoleName"])
    assert err(e)[:2] == (400, "UnmodifiableEntity")
    task = iam.delete_service_linked_role(RoleName=role["RoleName"])["DeletionTaskId"]
    assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"

    pol = iam.create_policy(PolicyName=uniq("boundary"), PolicyDocument=ALLOW_S3)["Policy"]["Arn"]
    r = uniq("bounded")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_EC2, PermissionsBoundary=pol)
    got = iam.get_role(RoleName=r)["Role"]
    assert got["PermissionsBoundary"] == {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                          "PermissionsBoundaryArn": pol}
    assert iam.get_policy(PolicyArn=pol)["Policy"]["PermissionsBoundaryUsageCount"] == 1
    ents = iam.list_entities_for_policy(PolicyArn=pol, PolicyUsageFilter="PermissionsBoundary")
    assert [x["RoleName"] for x in ents["PolicyRoles"]] == [r]
    iam.update_role_description(RoleName=r, Description="new")
    assert iam.get_role(RoleName=r)["Role"]["Description"] == "new"
    iam.delete_role_permissions_boundary(RoleName=r)
    assert "PermissionsBoundary" not in iam.get_role(RoleName=r)["Role"]
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName=uniq("u"), PermissionsBoundary=f"arn:aws:iam::{ACCOUNT_ID}:policy/missing")
    assert err(e) == (404, "NoSuchEntity",
                      f"Scope ARN: arn:aws:iam::{ACCOUNT_ID}:policy/missing does not exist or is not attachable.")
