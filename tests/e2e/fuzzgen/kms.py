"""KMS inputs: ciphertext blobs (Simfra's self-describing format: version, account, key id,
material version, nonce, ciphertext, tag — truncated, lengths lying, random), KeyId strings
(ids, ARNs, aliases, reserved and odd names), encryption contexts, and key policies given to
CreateKey. Every answer must be a well-formed awsJson error or a success, never a crash."""

from __future__ import annotations

import base64
import json
import random
import uuid
from typing import Iterator

from . import mutate as m
from .engine import Case, Ctx
from .iam import _doc_mutation

ODD_KEY_IDS = ["", "alias/", "alias/aws/", "alias/aws/s3", "alias/aws/unknown", "arn:", "arn:aws:kms", "arn:aws:kms:::",
               "arn:aws:kms:us-east-1:000000000000:key/", "arn:aws:kms:us-east-1:000000000000:alias/",
               "arn:aws:kms:eu-west-1:000000000000:key/" + str(uuid.UUID(int=1)), "mrk-", "mrk-" + "g" * 32,
               "mrk-" + "a" * 32, str(uuid.UUID(int=0)), str(uuid.UUID(int=0)).upper(), "\u0000", "é" * 300,
               "alias/" + "x" * 5000, "key/" + str(uuid.UUID(int=2)), "arn:aws:kms:us-east-1:000000000000:key/../../x",
               "alias/../../etc", "1234abcd-12ab-34cd-56ef-1234567890ab\n"]


def _blob(rng: random.Random) -> tuple[bytes, str]:
    account = rng.choice([b"000000000000", b"", b"1" * 255, "é".encode() * 3, b"\x00" * 12])
    key_id = rng.choice([str(uuid.uuid4()).encode(), b"", b"x" * 255, b"mrk-" + b"a" * 32, b"\xff\xfe"])
    k = rng.randrange(8)
    if k == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 200))), "random bytes"
    header = bytes([1, len(account) % 256]) + account + bytes([len(key_id) % 256]) + key_id
    header += rng.randrange(2 ** 32).to_bytes(4, "big") + bytes(12)
    body = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 15, 16, 17, 100, 4200])))
    raw = header + body
    if k == 1:
        return raw[: rng.randrange(len(raw) + 1)], "truncated blob"
    if k == 2:
        lie = bytearray(raw)
        if len(lie) > 1:
            lie[1] = rng.choice([0, 255, len(lie) % 256])
        return bytes(lie), "lying account length"
    if k == 3:
        return bytes([rng.choice([0, 2, 255])]) + raw[1:], "bad version"
    return raw, "well-framed blob"


def _context(rng: random.Random):
    return rng.choice([{}, {"a": "b"}, {"": ""}, {"k" * 3000: "v"}, {"\u0000": "\ud7ff"}, {str(i): str(i) for i in range(300)},
                       {"aws:x": "1"}, {"é": "ü" * 1000}])


def gen_kms(rng: random.Random, ctx: Ctx) -> Iterator[Case]:
    def call(op: str, doc) -> bytes:
        body = (doc if isinstance(doc, (bytes, bytearray)) else json.dumps(doc).encode("utf-8", "surrogateescape"))
        return ctx.json10("TrentService", op, bytes(body), "kms", ct="application/x-amz-json-1.1")

    while True:
        r = rng.random()
        if r < 0.35:
            blob, desc = _blob(rng)
            doc = {"CiphertextBlob": base64.b64encode(blob).decode()}
            if rng.random() < 0.3:
                doc["KeyId"] = rng.choice(ODD_KEY_IDS)
            if rng.random() < 0.3:
                doc["EncryptionContext"] = _context(rng)
            op = rng.choice(["Decrypt", "Decrypt", "ReEncrypt"])
            if op == "ReEncrypt":
                doc["DestinationKeyId"] = rng.choice(ODD_KEY_IDS)
            yield Case(call(op, doc), "json", f"kms:{op}:{m.klass(desc, 24)}", f"{op} {desc}")
        elif r < 0.65:
            key = rng.choice(ODD_KEY_IDS)
            op = rng.choice(["DescribeKey", "Encrypt", "GenerateDataKey", "Sign", "GenerateMac", "GetPublicKey",
                             "ListAliases", "CreateAlias", "ScheduleKeyDeletion", "ListGrants", "GetKeyPolicy"])
            doc = {"KeyId": key}
            if op == "Encrypt":
                doc.update(Plaintext=base64.b64encode(b"x").decode(), EncryptionContext=_context(rng))
            elif op == "GenerateDataKey":
                doc.update(NumberOfBytes=rng.choice([0, 1, 1024, 1025, -1, 2 ** 40]))
            elif op == "Sign":
                doc.update(Message=base64.b64encode(b"m").decode(), SigningAlgorithm="ECDSA_SHA_256",
                           MessageType=rng.choice(["RAW", "DIGEST"]))
            elif op == "GenerateMac":
                doc.update(Message=base64.b64encode(b"m").decode(), MacAlgorithm="HMAC_SHA_256")
            elif op == "CreateAlias":
                doc = {"AliasName": rng.choice(ODD_KEY_IDS + ["alias/ok-" + ctx.unique("a")]), "TargetKeyId": key}
            elif op == "ScheduleKeyDeletion":
                doc.update(PendingWindowInDays=rng.choice([0, 6, 7, 30, 31, 366]))
            yield Case(call(op, doc), "json", f"kms:keyid:{op}", f"{op} KeyId={key[:40]!r}")
        else:
            policy, desc = _doc_mutation(rng, resource=True)
            doc = {"Policy": policy, "BypassPolicyLockoutSafetyCheck": True,
                   "KeySpec": rng.choice(["SYMMETRIC_DEFAULT", "HMAC_256", "ECC_SECG_P256K1", "SM2"]),
                   "KeyUsage": rng.choice(["ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "SIGN_VERIFY", "KEY_AGREEMENT"])}
            if rng.random() < 0.3:
                doc["Tags"] = [{"TagKey": rng.choice(["aws:x", "", "k" * 200, "ok"]), "TagValue": "v"}] * rng.choice([1, 2, 51])
            yield Case(call("CreateKey", doc), "json", f"kms:policy:{m.klass(desc, 24)}", f"CreateKey policy: {desc}")
