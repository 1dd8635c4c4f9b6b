"""End-to-end tests of KMS with boto3 and the AWS CLI, cross-checked with the `cryptography`
package: symmetric encryption with encryption context, the CLI round trip through files,
signatures and public keys both ways, RSA OAEP encryption made outside decrypting here,
HMACs, rotation, imported key material, multi-Region replicas, grants and key policies
enforced for IAM users, error paths with AWS's codes, and persistence (material sealed on
disk, nothing in the clear).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
from cryptography.exceptions import InvalidSignature

from conftest import ACCOUNT_ID, REGION, make_client, run_aws_cli, unique_name
from persistence_contract import run_contract


@pytest.fixture
def kms(client):
    return client("kms")


def code_of(excinfo):
    e = excinfo.value.response["Error"]
    return e["Code"], e.get("Message", "")


def new_key(kms, **kw):
    return kms.create_key(**kw)["KeyMetadata"]


# ---------------------------------------------------------------------------------------
# Keys, metadata, state machine

def test_create_and_describe_key_metadata(kms):
    m = new_key(kms, Description="test key 123")
    assert m["KeyState"] == "Enabled" and m["Enabled"] is True
    assert m["Arn"] == f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{m['KeyId']}"
    assert m["KeySpec"] == m["CustomerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert m["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert m["KeyManager"] == "CUSTOMER" and m["Origin"] == "AWS_KMS" and m["MultiRegion"] is False
    d = kms.describe_key(KeyId=m["Arn"])["KeyMetadata"]
    assert d == m
    ids = []
    for page in kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 2}):
        ids += [k["KeyId"] for k in page["Keys"]]
    assert m["KeyId"] in ids


def test_key_id_errors_use_aws_wording(kms):
    with pytest.raises(ClientError) as e:
        kms.describe_key(KeyId="fake-key-id")
    assert code_of(e) == ("NotFoundException", "Invalid keyId 'fake-key-id'")
    missing = "134f2428-cec1-4b25-a1ae-9048164dba47"
    with pytest.raises(ClientError) as e:
        kms.describe_key(KeyId=missing)
    assert code_of(e) == ("NotFoundException", f"Key 'arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{missing}' does not exist")
    with pytest.raises(ClientError) as e:
        kms.describe_key(KeyId="alias/does-not-exist")
    assert code_of(e)[0] == "NotFoundException"


def test_disable_enable_and_deletion_states(kms):
    m = new_key(kms)
    kid, arn = m["KeyId"], m["Arn"]
    kms.disable_key(KeyId=kid)
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=kid, Plaintext=b"x")
    assert code_of(e) == ("DisabledException", f"{arn} is disabled.")
    kms.enable_key(KeyId=kid)
    blob = kms.encrypt(KeyId=kid, Plaintext=b"x")["CiphertextBlob"]
    r = kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
    assert r["KeyState"] == "PendingDeletion" and r["PendingWindowInDays"] == 7 and r["KeyId"] == arn
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=blob)
    assert code_of(e) == ("KMSInvalidStateException", f"{arn} is pending deletion.")
    d = kms.describe_key(KeyId=kid)["KeyMetadata"]
    assert d["KeyState"] == "PendingDeletion" and "DeletionDate" in d and d["PendingDeletionWindowInDays"] == 7
    with pytest.raises(ClientError) as e:
        kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=3)
    assert code_of(e)[0] == "ValidationException"
    assert kms.cancel_key_deletion(KeyId=kid)["KeyId"] == arn
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "Disabled"
    kms.update_key_description(KeyId=kid, Description="new words")
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["Description"] == "new words"


# ---------------------------------------------------------------------------------------
# Symmetric crypto

def test_encrypt_decrypt_with_encryption_context(kms):
    m = new_key(kms)
    ctx = {"tenant": "t1", "purpose": "test"}
    enc = kms.encrypt(KeyId=m["KeyId"], Plaintext=b"secret data", EncryptionContext=ctx)
    assert enc["KeyId"] == m["Arn"] and enc["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    dec = kms.decrypt(CiphertextBlob=enc["CiphertextBlob"], EncryptionContext=dict(reversed(list(ctx.items()))))
    assert dec["Plaintext"] == b"secret data" and dec["KeyId"] == m["Arn"]
    for wrong in ({}, {"tenant": "t2", "purpose": "test"}, {"tenant": "t1"}):
        with pytest.raises(ClientError) as e:
            kms.decrypt(CiphertextBlob=enc["CiphertextBlob"], EncryptionContext=wrong)
        assert code_of(e)[0] == "InvalidCiphertextException"
    tampered = bytearray(enc["CiphertextBlob"])
    tampered[-1] ^= 1
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=bytes(tampered), EncryptionContext=ctx)
    assert code_of(e)[0] == "InvalidCiphertextException"
    other = new_key(kms)
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=enc["CiphertextBlob"], EncryptionContext=ctx, KeyId=other["KeyId"])
    assert code_of(e) == ("IncorrectKeyException",
                          "The key ID in the request does not identify a CMK that can perform this operation.")
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=m["KeyId"], Plaintext=b"x" * 4097)
    assert code_of(e)[0] == "ValidationException"


def test_data_keys_reencrypt_and_random(kms):
    a, b = new_key(kms), new_key(kms)
    dk = kms.generate_data_key(KeyId=a["KeyId"], KeySpec="AES_256", EncryptionContext={"k": "v"})
    assert len(dk["Plaintext"]) == 32
    assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext={"k": "v"})["Plaintext"] == dk["Plaintext"]
    assert len(kms.generate_data_key(KeyId=a["KeyId"], NumberOfBytes=100)["Plaintext"]) == 100
    wp = kms.generate_data_key_without_plaintext(KeyId=a["KeyId"], KeySpec="AES_128")
    assert "Plaintext" not in wp
    assert len(kms.decrypt(CiphertextBlob=wp["CiphertextBlob"])["Plaintext"]) == 16
    re = kms.re_encrypt(CiphertextBlob=dk["CiphertextBlob"], SourceEncryptionContext={"k": "v"},
                        DestinationKeyId=b["Arn"], DestinationEncryptionContext={"x": "y"})
    assert re["SourceKeyId"] == a["Arn"] and re["KeyId"] == b["Arn"]
    assert kms.decrypt(CiphertextBlob=re["CiphertextBlob"], EncryptionContext={"x": "y"})["Plaintext"] == dk["Plaintext"]
    assert len(kms.generate_random(NumberOfBytes=91)["Plaintext"]) == 91
    with pytest.raises(ClientError) as e:
        kms.generate_random()
    assert code_of(e) == ("ValidationException", "NumberOfBytes is required.")
    with pytest.raises(ClientError) as e:
        kms.generate_data_key(KeyId=a["KeyId"])
    assert code_of(e)[0] == "ValidationException"


def test_cli_encrypt_decrypt_round_trip_through_files(server, kms, tmp_path):
    m = new_key(kms)
    kms.create_alias(AliasName="alias/" + unique_name("cli"), TargetKeyId=m["KeyId"])
    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"round trip through files\n")
    r = run_aws_cli(server.url, "kms", "encrypt", "--key-id", m["KeyId"], "--plaintext", f"fileb://{plain}",
                    "--encryption-context", "app=cli", "--query", "CiphertextBlob", "--output", "text")
    assert r.returncode == 0, r.stderr
    enc = tmp_path / "enc.bin"
    enc.write_bytes(base64.b64decode(r.stdout.strip()))
    r = run_aws_cli(server.url, "kms", "decrypt", "--ciphertext-blob", f"fileb://{enc}",
                    "--encryption-context", "app=cli", "--query", "Plaintext", "--output", "text")
    assert r.returncode == 0, r.stderr
    assert base64.b64decode(r.stdout.strip()) == plain.read_bytes()
    r = run_aws_cli(server.url, "kms", "decrypt", "--ciphertext-blob", f"fileb://{enc}")
    assert r.returncode != 0 and "InvalidCiphertextException" in r.stderr


# ---------------------------------------------------------------------------------------
# Aliases, AWS-managed keys, tags, policies

def test_aliases_and_aws_managed_keys(kms):
    m = new_key(kms)
    name = "alias/" + unique_name("app")
    kms.create_alias(AliasName=name, TargetKeyId=m["KeyId"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == m["KeyId"]
    assert kms.describe_key(KeyId=f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:{name}")["KeyMetadata"]["KeyId"] == m["KeyId"]
    with pytest.raises(ClientError) as e:
        kms.create_alias(AliasName=name, TargetKeyId=m["KeyId"])
    assert code_of(e)[0] == "AlreadyExistsException"
    with pytest.raises(ClientError) as e:
        kms.create_alias(AliasName="no-prefix", TargetKeyId=m["KeyId"])
    assert code_of(e)[0] == "ValidationException"
    with pytest.raises(ClientError) as e:
        kms.create_alias(AliasName="alias/aws/mine", TargetKeyId=m["KeyId"])
    assert code_of(e)[0] == "NotAuthorizedException"
    listed = kms.list_aliases(KeyId=m["KeyId"])["Aliases"]
    assert [a["AliasName"] for a in listed] == [name]
    b = new_key(kms)
    kms.update_alias(AliasName=name, TargetKeyId=b["KeyId"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == b["KeyId"]
    kms.delete_alias(AliasName=name)
    with pytest.raises(ClientError) as e:
        kms.describe_key(KeyId=name)
    assert code_of(e)[0] == "NotFoundException"

    managed = kms.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]
    assert managed["KeyManager"] == "AWS"
    assert managed["Description"] == "Default key that protects my Secrets Manager data when no other key is defined"
    assert kms.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]["KeyId"] == managed["KeyId"]
    policy = json.loads(kms.get_key_policy(KeyId=managed["KeyId"], PolicyName="default")["Policy"])
    cond = policy["Statement"][0]["Condition"]["StringEquals"]
    assert cond["kms:ViaService"] == f"secretsmanager.{REGION}.amazonaws.com" and cond["kms:CallerAccount"] == ACCOUNT_ID
    names = [a["AliasName"] for a in kms.list_aliases()["Aliases"]]
    assert "alias/aws/secretsmanager" in names


def test_tags_and_key_policies(kms):
    m = new_key(kms, Tags=[{"TagKey": "team", "TagValue": "a"}])
    kms.tag_resource(KeyId=m["KeyId"], Tags=[{"TagKey": "env", "TagValue": "dev"}])
    assert kms.list_resource_tags(KeyId=m["KeyId"])["Tags"] == [
        {"TagKey": "env", "TagValue": "dev"}, {"TagKey": "team", "TagValue": "a"}]
    kms.untag_resource(KeyId=m["KeyId"], TagKeys=["team"])
    assert kms.list_resource_tags(KeyId=m["KeyId"])["Tags"] == [{"TagKey": "env", "TagValue": "dev"}]
    with pytest.raises(ClientError) as e:
        kms.tag_resource(KeyId=m["KeyId"], Tags=[{"TagKey": "aws:x", "TagValue": "1"}])
    assert code_of(e) == ("TagException", "Tags beginning with aws: are reserved")

    policy = json.loads(kms.get_key_policy(KeyId=m["KeyId"], PolicyName="default")["Policy"])
    assert policy["Statement"][0]["Sid"] == "Enable IAM User Permissions"
    assert policy["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    assert kms.list_key_policies(KeyId=m["KeyId"])["PolicyNames"] == ["default"]
    with pytest.raises(ClientError) as e:
        kms.put_key_policy(KeyId=m["KeyId"], PolicyName="default", Policy="{not json")
    assert code_of(e)[0] == "MalformedPolicyDocumentException"


# ---------------------------------------------------------------------------------------
# Authorisation: key policies and grants with IAM users

@pytest.fixture
def iam(client):
    return client("iam")


def make_user(server, iam, policy=None):
    name = unique_name("u")
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return arn, make_client(server.url, "kms", aws_access_key_id=key["AccessKeyId"],
                            aws_secret_access_key=key["SecretAccessKey"])


ALLOW_KMS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}


def test_key_policy_that_does_not_trust_the_account_locks_iam_out(server, kms, iam):
    user_arn, as_user = make_user(server, iam, ALLOW_KMS)
    trusting = new_key(kms)
    as_user.encrypt(KeyId=trusting["KeyId"], Plaintext=b"ok")
    other_arn, _ = make_user(server, iam)
    locked_policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "only-other", "Effect": "Allow", "Principal": {"AWS": other_arn}, "Action": "kms:*", "Resource": "*"}]})
    with pytest.raises(ClientError) as e:
        new_key(kms, Policy=locked_policy)
    assert code_of(e) == ("MalformedPolicyDocumentException",
                          "The new key policy will not allow you to update the key policy in the future.")
    locked = new_key(kms, Policy=locked_policy, BypassPolicyLockoutSafetyCheck=True)
    with pytest.raises(ClientError) as e:
        as_user.encrypt(KeyId=locked["KeyId"], Plaintext=b"no")
    assert code_of(e)[0] == "AccessDeniedException"
    assert "kms:Encrypt" in code_of(e)[1]
    # Not even the root may use it: the policy does not name the account.
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=locked["KeyId"], Plaintext=b"no")
    assert code_of(e)[0] == "AccessDeniedException"
    # A user with no IAM policy, named by the key policy, may.
    named_arn, named = make_user(server, iam)
    kms.put_key_policy(KeyId=trusting["KeyId"], PolicyName="default", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Sid": "root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "named", "Effect": "Allow", "Principal": {"AWS": named_arn}, "Action": "kms:Encrypt", "Resource": "*"}]}))
    named.encrypt(KeyId=trusting["KeyId"], Plaintext=b"ok")
    with pytest.raises(ClientError) as e:
        named.decrypt(CiphertextBlob=kms.encrypt(KeyId=trusting["KeyId"], Plaintext=b"x")["CiphertextBlob"])
    assert code_of(e)[0] == "AccessDeniedException"


def test_grants_allow_the_grantee_with_constraints(server, kms, iam):
    grantee_arn, grantee = make_user(server, iam)
    m = new_key(kms)
    with pytest.raises(ClientError):
        grantee.encrypt(KeyId=m["KeyId"], Plaintext=b"x")
    g = kms.create_grant(KeyId=m["KeyId"], GranteePrincipal=grantee_arn, Operations=["Encrypt", "Decrypt"],
                         RetiringPrincipal=f"arn:aws:iam::{ACCOUNT_ID}:root",
                         Constraints={"EncryptionContextSubset": {"tenant": "t1"}}, Name="app")
    blob = grantee.encrypt(KeyId=m["KeyId"], Plaintext=b"x", EncryptionContext={"tenant": "t1", "more": "1"},
                           GrantTokens=[g["GrantToken"]])["CiphertextBlob"]
    assert grantee.decrypt(CiphertextBlob=blob, EncryptionContext={"tenant": "t1", "more": "1"})["Plaintext"] == b"x"
    with pytest.raises(ClientError) as e:
        grantee.encrypt(KeyId=m["KeyId"], Plaintext=b"x", EncryptionContext={"tenant": "t2"})
    assert code_of(e)[0] == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        grantee.generate_data_key(KeyId=m["KeyId"], KeySpec="AES_256", EncryptionContext={"tenant": "t1"})
    assert code_of(e)[0] == "AccessDeniedException"
    grants = kms.list_grants(KeyId=m["KeyId"])["Grants"]
    assert [x["GrantId"] for x in grants] == [g["GrantId"]]
    assert grants[0]["Constraints"] == {"EncryptionContextSubset": {"tenant": "t1"}}
    again = kms.create_grant(KeyId=m["KeyId"], GranteePrincipal=grantee_arn, Operations=["Decrypt", "Encrypt"],
                             RetiringPrincipal=f"arn:aws:iam::{ACCOUNT_ID}:root",
                             Constraints={"EncryptionContextSubset": {"tenant": "t1"}}, Name="app")
    assert again["GrantId"] == g["GrantId"]
    assert [x["GrantId"] for x in kms.list_retirable_grants(RetiringPrincipal=f"arn:aws:iam::{ACCOUNT_ID}:root")["Grants"]].count(g["GrantId"]) == 1
    kms.retire_grant(GrantToken=g["GrantToken"])
    with pytest.raises(ClientError):
        grantee.encrypt(KeyId=m["KeyId"], Plaintext=b"x", EncryptionContext={"tenant": "t1"})
    g2 = kms.create_grant(KeyId=m["KeyId"], GranteePrincipal=grantee_arn, Operations=["DescribeKey"])
    grantee.describe_key(KeyId=m["KeyId"])
    kms.revoke_grant(KeyId=m["KeyId"], GrantId=g2["GrantId"])
    with pytest.raises(ClientError):
        grantee.describe_key(KeyId=m["KeyId"])


# ---------------------------------------------------------------------------------------
# Asymmetric keys and HMAC, cross-checked with `cryptography`

HASHES = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}


@pytest.mark.parametrize("spec,alg", [
    ("RSA_2048", "RSASSA_PSS_SHA_256"), ("RSA_2048", "RSASSA_PSS_SHA_512"), ("RSA_3072", "RSASSA_PKCS1_V1_5_SHA_384"),
    ("RSA_4096", "RSASSA_PKCS1_V1_5_SHA_256"), ("ECC_NIST_P256", "ECDSA_SHA_256"), ("ECC_NIST_P384", "ECDSA_SHA_384"),
    ("ECC_NIST_P521", "ECDSA_SHA_512"),
])
def test_signatures_verify_both_ways(kms, spec, alg):
    m = new_key(kms, KeySpec=spec, KeyUsage="SIGN_VERIFY")
    assert alg in m["SigningAlgorithms"]
    pub = kms.get_public_key(KeyId=m["KeyId"])
    assert pub["KeySpec"] == spec and pub["KeyUsage"] == "SIGN_VERIFY"
    public_key = serialization.load_der_public_key(pub["PublicKey"])
    h = HASHES[alg[-3:]]
    msg = b"message to sign " + spec.encode()

    def check(sig, data, prehashed=False):
        algo = utils.Prehashed(h) if prehashed else h
        if alg.startswith("ECDSA"):
            public_key.verify(sig, data, ec.ECDSA(algo))
        elif "PSS" in alg:
            public_key.verify(sig, data, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), algo)
        else:
            public_key.verify(sig, data, padding.PKCS1v15(), algo)

    sig = kms.sign(KeyId=m["KeyId"], Message=msg, SigningAlgorithm=alg)["Signature"]
    check(sig, msg)
    digest = hashlib.new(h.name, msg).digest()
    sig2 = kms.sign(KeyId=m["KeyId"], Message=digest, MessageType="DIGEST", SigningAlgorithm=alg)["Signature"]
    check(sig2, digest, prehashed=True)
    assert kms.verify(KeyId=m["KeyId"], Message=msg, Signature=sig, SigningAlgorithm=alg)["SignatureValid"] is True
    assert kms.verify(KeyId=m["KeyId"], Message=digest, MessageType="DIGEST", Signature=sig,
                      SigningAlgorithm=alg)["SignatureValid"] is True
    with pytest.raises(ClientError) as e:
        kms.verify(KeyId=m["KeyId"], Message=msg + b"!", Signature=sig, SigningAlgorithm=alg)
    assert code_of(e)[0] == "KMSInvalidSignatureException"
    with pytest.raises(ClientError) as e:
        kms.sign(KeyId=m["KeyId"], Message=b"short", MessageType="DIGEST", SigningAlgorithm=alg)
    assert code_of(e) == ("ValidationException", f"Digest is invalid length for algorithm {alg}.")
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=m["KeyId"], Plaintext=b"x")
    assert code_of(e) == ("InvalidKeyUsageException", f"{m['Arn']} key usage is SIGN_VERIFY which is not valid for Encrypt.")


def test_signature_made_outside_verifies_here(kms):
    # A signature by the private key only KMS holds cannot be made outside; instead check
    # that KMS rejects one made by another key and accepts its own after a round trip.
    m = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    other = ec.generate_private_key(ec.SECP256R1())
    forged = other.sign(b"m", ec.ECDSA(hashes.SHA256()))
    with pytest.raises(ClientError) as e:
        kms.verify(KeyId=m["KeyId"], Message=b"m", Signature=forged, SigningAlgorithm="ECDSA_SHA_256")
    assert code_of(e)[0] == "KMSInvalidSignatureException"


@pytest.mark.parametrize("spec,alg", [("RSA_2048", "RSAES_OAEP_SHA_1"), ("RSA_3072", "RSAES_OAEP_SHA_256")])
def test_rsa_encryption_both_ways(kms, spec, alg):
    m = new_key(kms, KeySpec=spec, KeyUsage="ENCRYPT_DECRYPT")
    public_key = serialization.load_der_public_key(kms.get_public_key(KeyId=m["KeyId"])["PublicKey"])
    h = hashes.SHA1() if alg.endswith("_1") else hashes.SHA256()
    outside = public_key.encrypt(b"made by cryptography", padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None))
    dec = kms.decrypt(KeyId=m["KeyId"], CiphertextBlob=outside, EncryptionAlgorithm=alg)
    assert dec["Plaintext"] == b"made by cryptography"
    inside = kms.encrypt(KeyId=m["KeyId"], Plaintext=b"made by kms", EncryptionAlgorithm=alg)["CiphertextBlob"]
    assert kms.decrypt(KeyId=m["KeyId"], CiphertextBlob=inside, EncryptionAlgorithm=alg)["Plaintext"] == b"made by kms"
    limit = 214 if (spec, alg) == ("RSA_2048", "RSAES_OAEP_SHA_1") else 318
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=m["KeyId"], Plaintext=b"x" * (limit + 1), EncryptionAlgorithm=alg)
    assert code_of(e) == ("ValidationException",
                          f"Algorithm {alg} and key spec {spec} cannot encrypt data larger than {limit} bytes.")


@pytest.mark.parametrize("spec,alg,fn", [
    ("HMAC_224", "HMAC_SHA_224", hashlib.sha224), ("HMAC_256", "HMAC_SHA_256", hashlib.sha256),
    ("HMAC_384", "HMAC_SHA_384", hashlib.sha384), ("HMAC_512", "HMAC_SHA_512", hashlib.sha512),
])
def test_hmac_generate_and_verify(kms, spec, alg, fn):
    m = new_key(kms, KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC")
    assert m["MacAlgorithms"] == [alg]
    mac = kms.generate_mac(KeyId=m["KeyId"], Message=b"some important message", MacAlgorithm=alg)["Mac"]
    assert len(mac) == fn().digest_size
    assert kms.verify_mac(KeyId=m["KeyId"], Message=b"some important message", Mac=mac, MacAlgorithm=alg)["MacValid"]
    with pytest.raises(ClientError) as e:
        kms.verify_mac(KeyId=m["KeyId"], Message=b"some different important message", Mac=mac, MacAlgorithm=alg)
    assert code_of(e)[0] == "KMSInvalidMacException"
    other = "HMAC_SHA_512" if alg != "HMAC_SHA_512" else "HMAC_SHA_256"
    with pytest.raises(ClientError) as e:
        kms.generate_mac(KeyId=m["KeyId"], Message=b"m", MacAlgorithm=other)
    assert code_of(e) == ("InvalidKeyUsageException", f"Algorithm {other} is incompatible with key spec {spec}.")


def test_hmac_matches_python_hmac_with_imported_key(kms):
    m = new_key(kms, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC", Origin="EXTERNAL")
    assert m["KeyState"] == "PendingImport"
    params = kms.get_parameters_for_import(KeyId=m["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                           WrappingKeySpec="RSA_2048")
    wrapping = serialization.load_der_public_key(params["PublicKey"])
    secret = os.urandom(32)
    wrapped = wrapping.encrypt(secret, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
    kms.import_key_material(KeyId=m["KeyId"], ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert kms.describe_key(KeyId=m["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
    mac = kms.generate_mac(KeyId=m["KeyId"], Message=b"hello", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert mac == hmac.new(secret, b"hello", hashlib.sha256).digest()


def test_imported_symmetric_material_and_deletion(kms):
    m = new_key(kms, Origin="EXTERNAL")
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=m["KeyId"], Plaintext=b"x")
    assert code_of(e) == ("KMSInvalidStateException", f"{m['Arn']} is pending import.")
    params = kms.get_parameters_for_import(KeyId=m["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_1", WrappingKeySpec="RSA_2048")
    wrapping = serialization.load_der_public_key(params["PublicKey"])
    material = os.urandom(32)
    wrapped = wrapping.encrypt(material, padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None))
    kms.import_key_material(KeyId=m["KeyId"], ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    blob = kms.encrypt(KeyId=m["KeyId"], Plaintext=b"imported")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"imported"
    kms.delete_imported_key_material(KeyId=m["KeyId"])
    assert kms.describe_key(KeyId=m["KeyId"])["KeyMetadata"]["KeyState"] == "PendingImport"
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=blob)
    assert code_of(e)[0] == "KMSInvalidStateException"
    aws_key = new_key(kms)
    with pytest.raises(ClientError) as e:
        kms.get_parameters_for_import(KeyId=aws_key["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_1", WrappingKeySpec="RSA_2048")
    assert code_of(e) == ("UnsupportedOperationException", f"{aws_key['Arn']} origin is AWS_KMS which is not valid for this operation.")


def test_data_key_pairs_load_in_cryptography(kms):
    m = new_key(kms)
    for spec in ("RSA_2048", "ECC_NIST_P256"):
        p = kms.generate_data_key_pair(KeyId=m["KeyId"], KeyPairSpec=spec, EncryptionContext={"a": "b"})
        priv = serialization.load_der_private_key(p["PrivateKeyPlaintext"], password=None)
        pub = serialization.load_der_public_key(p["PublicKey"])
        assert priv.public_key().public_numbers() == pub.public_numbers()
        again = kms.decrypt(CiphertextBlob=p["PrivateKeyCiphertextBlob"], EncryptionContext={"a": "b"})["Plaintext"]
        assert again == p["PrivateKeyPlaintext"]
    w = kms.generate_data_key_pair_without_plaintext(KeyId=m["KeyId"], KeyPairSpec="ECC_NIST_P384")
    assert "PrivateKeyPlaintext" not in w


def test_ecc_secg_p256k1_is_refused(kms):
    with pytest.raises(ClientError) as e:
        kms.create_key(KeySpec="ECC_SECG_P256K1", KeyUsage="SIGN_VERIFY")
    assert code_of(e)[0] == "UnsupportedOperationException"


# ---------------------------------------------------------------------------------------
# Rotation, multi-Region

def test_rotation_keeps_old_ciphertexts_decryptable(kms):
    m = new_key(kms)
    old = kms.encrypt(KeyId=m["KeyId"], Plaintext=b"before")["CiphertextBlob"]
    kms.enable_key_rotation(KeyId=m["KeyId"], RotationPeriodInDays=90)
    st = kms.get_key_rotation_status(KeyId=m["KeyId"])
    assert st["KeyRotationEnabled"] is True and st["RotationPeriodInDays"] == 90 and "NextRotationDate" in st
    first = kms.describe_key(KeyId=m["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"]
    assert kms.rotate_key_on_demand(KeyId=m["KeyId"])["KeyId"] == m["Arn"]
    second = kms.describe_key(KeyId=m["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"]
    assert second != first
    rotations = kms.list_key_rotations(KeyId=m["KeyId"])["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"]
    new = kms.encrypt(KeyId=m["KeyId"], Plaintext=b"after")["CiphertextBlob"]
    d_old = kms.decrypt(CiphertextBlob=old)
    assert d_old["Plaintext"] == b"before" and d_old["KeyMaterialId"] == first
    assert kms.decrypt(CiphertextBlob=new)["KeyMaterialId"] == second
    kms.disable_key_rotation(KeyId=m["KeyId"])
    assert kms.get_key_rotation_status(KeyId=m["KeyId"])["KeyRotationEnabled"] is False
    rsa = new_key(kms, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    with pytest.raises(ClientError) as e:
        kms.rotate_key_on_demand(KeyId=rsa["KeyId"])
    assert code_of(e)[0] == "UnsupportedOperationException"


def test_multi_region_replica_decrypts_primary_ciphertext(server, kms):
    m = new_key(kms, MultiRegion=True, Description="mrk")
    assert m["KeyId"].startswith("mrk-") and m["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
    r = kms.replicate_key(KeyId=m["KeyId"], ReplicaRegion="eu-west-1")
    assert r["ReplicaKeyMetadata"]["Arn"] == f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/{m['KeyId']}"
    assert r["ReplicaKeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    blob = kms.encrypt(KeyId=m["KeyId"], Plaintext=b"everywhere", EncryptionContext={"r": "1"})["CiphertextBlob"]
    eu = make_client(server.url, "kms", region_name="eu-west-1")
    dec = eu.decrypt(CiphertextBlob=blob, EncryptionContext={"r": "1"})
    assert dec["Plaintext"] == b"everywhere" and dec["KeyId"] == r["ReplicaKeyMetadata"]["Arn"]
    primary = kms.describe_key(KeyId=m["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
    assert [x["Region"] for x in primary["ReplicaKeys"]] == ["eu-west-1"]
    with pytest.raises(ClientError) as e:
        eu.replicate_key(KeyId=m["KeyId"], ReplicaRegion="ap-southeast-1")
    assert code_of(e)[0] == "UnsupportedOperationException"
    # The replica becomes the primary; the old primary a replica.
    kms.update_primary_region(KeyId=m["KeyId"], PrimaryRegion="eu-west-1")
    cfg = eu.describe_key(KeyId=m["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
    assert cfg["MultiRegionKeyType"] == "PRIMARY" and cfg["PrimaryKey"]["Region"] == "eu-west-1"
    assert [x["Region"] for x in cfg["ReplicaKeys"]] == [REGION]
    assert kms.describe_key(KeyId=m["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    eu.rotate_key_on_demand(KeyId=m["KeyId"])
    assert kms.decrypt(CiphertextBlob=eu.encrypt(KeyId=m["KeyId"], Plaintext=b"z")["CiphertextBlob"])["Plaintext"] == b"z"
    plain = new_key(kms)
    assert "MultiRegionConfiguration" not in plain


# ---------------------------------------------------------------------------------------
# Persistence

def _scenario(url):
    kms = make_client(url, "kms")
    m = kms.create_key(Description="persisted", Tags=[{"TagKey": "t", "TagValue": "v"}])["KeyMetadata"]
    kms.create_alias(AliasName="alias/persisted", TargetKeyId=m["KeyId"])
    kms.create_grant(KeyId=m["KeyId"], GranteePrincipal=f"arn:aws:iam::{ACCOUNT_ID}:role/r", Operations=["Decrypt"], Name="g")
    kms.enable_key_rotation(KeyId=m["KeyId"])
    kms.rotate_key_on_demand(KeyId=m["KeyId"])
    s = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    kms.schedule_key_deletion(KeyId=kms.create_key()["KeyMetadata"]["KeyId"], PendingWindowInDays=7)
    kms.describe_key(KeyId="alias/aws/ssm")
    blob = kms.encrypt(KeyId="alias/persisted", Plaintext=b"PLAINTEXT-MARKER-1234", EncryptionContext={"a": "b"})["CiphertextBlob"]
    sig = kms.sign(KeyId=s["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    # Known key material (imported), to look for on disk afterwards.
    h = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC", Origin="EXTERNAL")["KeyMetadata"]
    params = kms.get_parameters_for_import(KeyId=h["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
    material = os.urandom(32)
    wrapped = serialization.load_der_public_key(params["PublicKey"]).encrypt(
        material, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
    kms.import_key_material(KeyId=h["KeyId"], ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    _scenario.state = (blob, s["KeyId"], sig, h["KeyId"], material)


def _snapshot(url):
    kms = make_client(url, "kms")
    out = {"keys": sorted(k["KeyId"] for k in kms.list_keys()["Keys"])}
    for kid in out["keys"]:
        out[kid] = kms.describe_key(KeyId=kid)["KeyMetadata"]
        out[kid + "/policy"] = kms.get_key_policy(KeyId=kid, PolicyName="default")["Policy"]
        out[kid + "/tags"] = kms.list_resource_tags(KeyId=kid)["Tags"]
        out[kid + "/grants"] = kms.list_grants(KeyId=kid)["Grants"]
        if out[kid]["KeyState"] != "PendingDeletion" and out[kid]["KeySpec"] == "SYMMETRIC_DEFAULT":
            out[kid + "/rotation"] = kms.get_key_rotation_status(KeyId=kid)
            out[kid + "/rotations"] = kms.list_key_rotations(KeyId=kid)["Rotations"]
        if out[kid]["KeySpec"].startswith(("RSA", "ECC")):
            out[kid + "/public"] = kms.get_public_key(KeyId=kid)["PublicKey"]
    out["aliases"] = kms.list_aliases()["Aliases"]
    return out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_persistence_contract_and_no_plaintext_on_disk(server_factory, tmp_path, sig):
    second, _ = run_contract(server_factory, tmp_path, _scenario, _snapshot, sig=sig)
    kms = make_client(second.url, "kms")
    blob, sign_key, signature, hmac_key, material = _scenario.state
    mac = kms.generate_mac(KeyId=hmac_key, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert mac == hmac.new(material, b"m", hashlib.sha256).digest()
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"})["Plaintext"] == b"PLAINTEXT-MARKER-1234"
    assert kms.verify(KeyId=sign_key, Message=b"m", Signature=signature, SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"]
    second.stop()
    data = tmp_path / "data"
    blobs = b"".join(p.read_bytes() for p in data.rglob("*") if p.is_file())
    assert b"PLAINTEXT-MARKER-1234" not in blobs
    assert b"PRIVATE KEY" not in blobs
    for form in (material, base64.b64encode(material), material.hex().encode()):
        assert form not in blobs


# ---------------------------------------------------------------------------------------
# OpenSSL, the AWS CLI, accounts

def test_cli_sign_verifies_with_openssl(server, kms, tmp_path):
    for spec, alg, pss in (("ECC_NIST_P256", "ECDSA_SHA_256", False), ("RSA_2048", "RSASSA_PSS_SHA_256", True),
                           ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", False)):
        m = new_key(kms, KeySpec=spec, KeyUsage="SIGN_VERIFY")
        msg = tmp_path / "msg.txt"
        msg.write_bytes(b"signed by simfra, checked by openssl\n")
        r = run_aws_cli(server.url, "kms", "sign", "--key-id", m["KeyId"], "--message", f"fileb://{msg}",
                        "--message-type", "RAW", "--signing-algorithm", alg, "--query", "Signature", "--output", "text")
        assert r.returncode == 0, r.stderr
        sig = tmp_path / "sig.bin"
        sig.write_bytes(base64.b64decode(r.stdout.strip()))
        r = run_aws_cli(server.url, "kms", "get-public-key", "--key-id", m["KeyId"], "--query", "PublicKey",
                        "--output", "text")
        assert r.returncode == 0, r.stderr
        der = tmp_path / "pub.der"
        der.write_bytes(base64.b64decode(r.stdout.strip()))
        pem = tmp_path / "pub.pem"
        subprocess.run(["openssl", "pkey", "-pubin", "-inform", "DER", "-in", str(der), "-out", str(pem)], check=True)
        cmd = ["openssl", "dgst", "-sha256", "-verify", str(pem), "-signature", str(sig)]
        if pss:
            cmd += ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"]
        v = subprocess.run(cmd + [str(msg)], capture_output=True, text=True)
        assert v.returncode == 0 and "Verified OK" in v.stdout, (spec, alg, v.stdout, v.stderr)
        # And a signature OpenSSL makes with another key does not verify here.
        other = tmp_path / "other.pem"
        if spec.startswith("ECC"):
            subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(other)], check=True)
        else:
            subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(other)],
                           check=True, capture_output=True)
        forged = tmp_path / "forged.bin"
        sign_cmd = ["openssl", "dgst", "-sha256", "-sign", str(other), "-out", str(forged)]
        if pss:
            sign_cmd += ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"]
        subprocess.run(sign_cmd + [str(msg)], check=True)
        with pytest.raises(ClientError) as e:
            kms.verify(KeyId=m["KeyId"], Message=msg.read_bytes(), Signature=forged.read_bytes(), SigningAlgorithm=alg)
        assert code_of(e)[0] == "KMSInvalidSignatureException"


def test_deleting_an_account_removes_its_keys(server):
    import requests
    acct = requests.post(server.url + "/_simfra/accounts", timeout=30).json()
    kms = make_client(server.url, "kms", aws_access_key_id=acct["rootAccessKeyId"],
                      aws_secret_access_key=acct["rootSecretAccessKey"])
    m = new_key(kms)
    kms.create_alias(AliasName="alias/gone", TargetKeyId=m["KeyId"])
    kms.describe_key(KeyId="alias/aws/s3")
    assert requests.delete(server.url + f"/_simfra/accounts/{acct['accountId']}", timeout=30).status_code == 204
    again = requests.post(server.url + "/_simfra/accounts", json={"accountId": acct["accountId"]}, timeout=30).json()
    kms2 = make_client(server.url, "kms", aws_access_key_id=again["rootAccessKeyId"],
                       aws_secret_access_key=again["rootSecretAccessKey"])
    assert kms2.list_keys()["Keys"] == []
    assert kms2.list_aliases()["Aliases"] == []
    with pytest.raises(ClientError) as e:
        kms2.describe_key(KeyId=m["Arn"])
    assert code_of(e)[0] == "NotFoundException"


def test_ed25519_signatures_verify_with_cryptography(kms):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    m = new_key(kms, KeySpec="ECC_NIST_EDWARDS25519", KeyUsage="SIGN_VERIFY")
    assert m["SigningAlgorithms"] == ["ED25519_SHA_512", "ED25519_PH_SHA_512"]
    pub = serialization.load_der_public_key(kms.get_public_key(KeyId=m["KeyId"])["PublicKey"])
    assert isinstance(pub, Ed25519PublicKey)
    sig = kms.sign(KeyId=m["KeyId"], Message=b"edwards", MessageType="RAW", SigningAlgorithm="ED25519_SHA_512")["Signature"]
    pub.verify(sig, b"edwards")
    assert kms.verify(KeyId=m["KeyId"], Message=b"edwards", Signature=sig, SigningAlgorithm="ED25519_SHA_512")["SignatureValid"]
    with pytest.raises(ClientError) as e:
        kms.verify(KeyId=m["KeyId"], Message=b"edward", Signature=sig, SigningAlgorithm="ED25519_SHA_512")
    assert code_of(e)[0] == "KMSInvalidSignatureException"
    with pytest.raises(ClientError) as e:
        kms.sign(KeyId=m["KeyId"], Message=b"x", SigningAlgorithm="ECDSA_SHA_256")
    assert code_of(e)[0] == "InvalidKeyUsageException"


@pytest.mark.parametrize("spec,curve", [("ECC_NIST_P256", ec.SECP256R1()), ("ECC_NIST_P384", ec.SECP384R1()),
                                        ("ECC_NIST_P521", ec.SECP521R1())])
def test_derive_shared_secret_matches_cryptography(kms, spec, curve):
    m = new_key(kms, KeySpec=spec, KeyUsage="KEY_AGREEMENT")
    assert m["KeyAgreementAlgorithms"] == ["ECDH"]
    kms_pub = serialization.load_der_public_key(kms.get_public_key(KeyId=m["KeyId"])["PublicKey"])
    peer = ec.generate_private_key(curve)
    peer_der = peer.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    r = kms.derive_shared_secret(KeyId=m["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=peer_der)
    assert r["KeyAgreementAlgorithm"] == "ECDH" and r["KeyOrigin"] == "AWS_KMS" and r["KeyId"] == m["Arn"]
    assert r["SharedSecret"] == peer.exchange(ec.ECDH(), kms_pub)
    with pytest.raises(ClientError) as e:
        kms.derive_shared_secret(KeyId=m["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=b"not a key")
    assert code_of(e) == ("ValidationException", "")
    signing = new_key(kms, KeySpec=spec, KeyUsage="SIGN_VERIFY")
    with pytest.raises(ClientError) as e:
        kms.derive_shared_secret(KeyId=signing["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=peer_der)
    assert code_of(e) == ("InvalidKeyUsageException",
                          f"{signing['Arn']} key usage is SIGN_VERIFY which is not valid for DeriveSharedSecret.")
    with pytest.raises(ClientError) as e:
        kms.create_key(KeySpec="RSA_2048", KeyUsage="KEY_AGREEMENT")
    assert code_of(e) == ("ValidationException", "KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048")


def test_grant_with_encryption_context_equals(server, kms, iam):
    grantee_arn, grantee = make_user(server, iam)
    m = new_key(kms)
    kms.create_grant(KeyId=m["KeyId"], GranteePrincipal=grantee_arn, Operations=["Encrypt", "GenerateDataKey"],
                     Constraints={"EncryptionContextEquals": {"tenant": "t1", "env": "prod"}})
    grantee.encrypt(KeyId=m["KeyId"], Plaintext=b"x", EncryptionContext={"env": "prod", "tenant": "t1"})
    grantee.generate_data_key(KeyId=m["KeyId"], KeySpec="AES_256", EncryptionContext={"env": "prod", "tenant": "t1"})
    for ctx in ({"tenant": "t1"}, {"tenant": "t1", "env": "prod", "extra": "1"}, {"tenant": "t1", "env": "dev"}, {}):
        with pytest.raises(ClientError) as e:
            grantee.encrypt(KeyId=m["KeyId"], Plaintext=b"x", EncryptionContext=ctx)
        assert code_of(e)[0] == "AccessDeniedException", ctx


def test_iam_condition_keys_on_kms(server, kms, iam):
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*",
         "Condition": {"StringEquals": {"aws:ResourceTag/team": "blue"}}},
        {"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": "*",
         "Condition": {"StringEquals": {"kms:RequestAlias": "alias/abac-ok"}}},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringEquals": {"kms:EncryptionContext:app": "billing"}}},
    ]}
    _, user = make_user(server, iam, policy)
    blue = new_key(kms, Tags=[{"TagKey": "team", "TagValue": "blue"}])
    red = new_key(kms, Tags=[{"TagKey": "team", "TagValue": "red"}])
    user.encrypt(KeyId=blue["KeyId"], Plaintext=b"x")
    with pytest.raises(ClientError) as e:
        user.encrypt(KeyId=red["KeyId"], Plaintext=b"x")
    assert code_of(e)[0] == "AccessDeniedException"
    alias_ok, alias_other = "alias/abac-ok", "alias/" + unique_name("abac")
    try:
        kms.delete_alias(AliasName=alias_ok)
    except ClientError:
        pass
    kms.create_alias(AliasName=alias_ok, TargetKeyId=red["KeyId"])
    kms.create_alias(AliasName=alias_other, TargetKeyId=red["KeyId"])
    user.generate_data_key(KeyId=alias_ok, KeySpec="AES_256")
    with pytest.raises(ClientError) as e:
        user.generate_data_key(KeyId=alias_other, KeySpec="AES_256")
    assert code_of(e)[0] == "AccessDeniedException"
    blob = kms.encrypt(KeyId=red["KeyId"], Plaintext=b"x", EncryptionContext={"app": "billing"})["CiphertextBlob"]
    assert user.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "billing"})["Plaintext"] == b"x"
    other = kms.encrypt(KeyId=red["KeyId"], Plaintext=b"x", EncryptionContext={"app": "other"})["CiphertextBlob"]
    with pytest.raises(ClientError) as e:
        user.decrypt(CiphertextBlob=other, EncryptionContext={"app": "other"})
    assert code_of(e)[0] == "AccessDeniedException"
