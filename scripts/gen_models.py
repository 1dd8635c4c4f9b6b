#!/usr/bin/env python3
"""Derive Simfra's compact service models from botocore's published API models.

Keeps structure only (operations, HTTP bindings, shapes, member locations, wire names,
flattening, timestamp formats, required members, enums, limits, error shapes) and no
documentation. Each service becomes one Swift file holding a StaticString in a
line-oriented format the server indexes lazily on first use:

    M<TAB>{metadata json}
    O<TAB>OperationName<TAB>{operation json}
    S<TAB>ShapeName<TAB>{shape json}

Indexing is a single memchr-style pass over the bytes; a shape's JSON is decoded only when
an operation that reaches it is first used, so a 4,000-shape model (EC2) costs little on
first request and nothing for services never called. Run from the repo root:

    python3 scripts/gen_models.py
"""
import json
import os
import sys

import botocore
from botocore.loaders import Loader

PINNED_BOTOCORE = "1.43.11"

# Services Simfra ships models for. Names are botocore's.
SERVICES = [
    "sts", "iam", "s3", "s3control", "sqs", "dynamodb", "dynamodbstreams", "kms",
    "secretsmanager", "sns", "events", "cloudwatch", "logs", "lambda", "ec2", "rds",
    "eks", "elbv2", "route53", "ssm", "cloudformation", "ecr", "ecs", "kinesis",
    "firehose", "stepfunctions", "apigateway", "acm", "organizations", "scheduler",
    "ses", "sesv2", "cognito-idp",
]

# Services that moved from awsQuery to JSON but must still answer awsQuery clients with the
# old wire names (`Attribute.1.Name`, `<Message>` lists). Their query traits come from the
# last botocore release whose model was awsQuery, fetched from PyPI into .cache/ on demand.
LEGACY_QUERY = {"sqs": "1.34.22"}

META_KEYS = {"apiVersion", "endpointPrefix", "protocol", "protocols", "serviceId",
             "signingName", "jsonVersion", "targetPrefix", "xmlNamespace", "globalEndpoint",
             "awsQueryCompatible", "protocolSettings", "checksumFormat"}
OP_KEYS = {"http", "input", "output", "errors", "httpChecksumRequired", "httpChecksum",
           "endpoint", "unsignedPayload", "requestcompression", "authtype", "auth", "deprecated"}
SHAPE_KEYS = {"type", "members", "required", "max", "min", "member", "enum", "exception",
              "error", "key", "value", "union", "payload", "fault", "timestampFormat",
              "document", "flattened", "eventstream", "streaming", "locationName",
              "xmlNamespace", "sparse", "event", "requiresLength", "sensitive"}
MEMBER_KEYS = {"shape", "location", "locationName", "queryName", "xmlAttribute",
               "xmlNamespace", "flattened", "jsonvalue", "timestampFormat", "hostLabel",
               "idempotencyToken", "eventpayload", "streaming", "enum"}


def pick(d, keys):
    return {k: v for k, v in d.items() if k in keys}


def ref(d):
    # A reference (list member, map key/value, op input/output) keeps only wire facts.
    return pick(d, MEMBER_KEYS | {"resultWrapper"})


def legacy_model(name, version):
    import glob
    import gzip
    import subprocess
    import zipfile
    cache = os.path.join(".cache", "botocore-%s" % version)
    wheels = glob.glob(os.path.join(cache, "botocore-%s-*.whl" % version))
    if not wheels:
        os.makedirs(cache, exist_ok=True)
        subprocess.check_call([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                               "botocore==%s" % version, "-d", cache])
        wheels = glob.glob(os.path.join(cache, "botocore-%s-*.whl" % version))
    z = zipfile.ZipFile(wheels[0])
    path = [n for n in z.namelist()
            if n.startswith("botocore/data/%s/" % name) and n.endswith("service-2.json.gz")][0]
    return json.loads(gzip.decompress(z.read(path)))


QUERY_TRAITS = ("locationName", "flattened", "queryName")


def legacy_traits(old, new):
    """Per shape, the awsQuery wire traits of the old model, stored under "q"."""
    out = {}
    for name, o in old["shapes"].items():
        n = new["shapes"].get(name)
        if n is None:
            continue
        t = {k: o[k] for k in QUERY_TRAITS if k in o}
        members = {}
        for mn, mo in o.get("members", {}).items():
            mt = {k: mo[k] for k in QUERY_TRAITS if k in mo}
            if mt and mn in n.get("members", {}):
                members[mn] = mt
        if members:
            t["members"] = members
        for ref in ("member", "key", "value"):
            if ref in o:
                rt = {k: o[ref][k] for k in QUERY_TRAITS if k in o[ref]}
                if rt:
                    t[ref] = rt
        if t:
            out[name] = t
    return out


def compact(name):
    m = Loader().load_service_model(name, "service-2")
    legacy = {}
    if name in LEGACY_QUERY:
        legacy = legacy_traits(legacy_model(name, LEGACY_QUERY[name]), m)
    lines = ["M\t" + dumps(pick(m["metadata"], META_KEYS))]
    for op_name in sorted(m["operations"]):
        op = pick(m["operations"][op_name], OP_KEYS)
        for k in ("input", "output"):
            if k in op:
                op[k] = ref(op[k])
        if "errors" in op:
            op["errors"] = [e["shape"] for e in op["errors"]]
        lines.append("O\t%s\t%s" % (op_name, dumps(op)))
    for shape_name in sorted(m["shapes"]):
        s = pick(m["shapes"][shape_name], SHAPE_KEYS)
        if "members" in s:
            s["members"] = {k: pick(v, MEMBER_KEYS) for k, v in s["members"].items()}
        for k in ("member", "key", "value"):
            if k in s:
                s[k] = ref(s[k])
        # Old awsQuery wire names ride along as "q" on the shape, its members and refs.
        lt = legacy.get(shape_name)
        if lt:
            q = {k: lt[k] for k in QUERY_TRAITS if k in lt}
            if q:
                s["q"] = q
            for mn, mt in lt.get("members", {}).items():
                s["members"][mn]["q"] = mt
            for k in ("member", "key", "value"):
                if k in lt:
                    s[k]["q"] = lt[k]
        lines.append("S\t%s\t%s" % (shape_name, dumps(s)))
    return m["metadata"], "\n".join(lines) + "\n"


def dumps(o):
    return json.dumps(o, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def swift_ident(name):
    return "m_" + name.replace("-", "_")


def main():
    if botocore.__version__ != PINNED_BOTOCORE and "--any-version" not in sys.argv:
        sys.exit("botocore %s installed, %s pinned: pip install botocore==%s (or --any-version)"
                 % (botocore.__version__, PINNED_BOTOCORE, PINNED_BOTOCORE))
    out = os.path.join("Sources", "SimfraModels", "Generated")
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        if f.startswith("Model_") and f.endswith(".swift"):
            os.remove(os.path.join(out, f))
    registry = []
    for name in SERVICES:
        meta, text = compact(name)
        assert '"""##' not in text
        ident = swift_ident(name)
        with open(os.path.join(out, "Model_%s.swift" % name.replace("-", "_")), "w") as f:
            f.write("// Generated by scripts/gen_models.py from botocore %s. Do not edit.\n"
                    % botocore.__version__)
            f.write("extension ModelData {\n    static let %s: StaticString = ##\"\"\"\n%s\"\"\"##\n}\n"
                    % (ident, text))
        registry.append((name, ident, meta))
    with open(os.path.join(out, "ModelRegistry.swift"), "w") as f:
        f.write("// Generated by scripts/gen_models.py from botocore %s. Do not edit.\n"
                % botocore.__version__)
        f.write("extension ModelData {\n")
        f.write("    static let botocoreVersion = \"%s\"\n" % botocore.__version__)
        f.write("    /// botocore service name -> compact model text.\n")
        f.write("    static let all: [(String, StaticString)] = [\n")
        for name, ident, _ in registry:
            f.write("        (\"%s\", %s),\n" % (name, ident))
        f.write("    ]\n")
        # Detection facts, so routing a request never has to index a model it won't use.
        f.write("    /// (service, endpointPrefix, signingName, targetPrefix, protocols)\n")
        f.write("    static let routing: [(String, String, String, String?, [String])] = [\n")
        for name, _, meta in registry:
            protocols = meta.get("protocols") or [meta["protocol"]]
            tp = meta.get("targetPrefix")
            f.write("        (\"%s\", \"%s\", \"%s\", %s, [%s]),\n" % (
                name, meta["endpointPrefix"], meta.get("signingName", meta["endpointPrefix"]),
                ('"%s"' % tp) if tp else "nil", ", ".join('"%s"' % p for p in protocols)))
        f.write("    ]\n}\n")
    print("wrote %d models to %s" % (len(registry), out))


if __name__ == "__main__":
    main()
