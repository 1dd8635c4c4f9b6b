"""S3 (restXml): every XML request document S3 parses, plus S3 headers, query strings and
keys. Valid documents are mutated; the issue's crash reproducers come first."""

from __future__ import annotations

import base64
import hashlib
import random
from typing import Iterator

from . import mutate as m
from .engine import Case, Ctx, quote_bytes

NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'

# (operation, method, target template, valid document)
DOCS = [
    ("CreateBucket", "PUT", "/{new}",
     b'<CreateBucketConfiguration ' + NS.encode() + b'><LocationConstraint>eu-west-1</LocationConstraint>'
     b'</CreateBucketConfiguration>'),
    ("PutBucketTagging", "PUT", "/{bucket}?tagging",
     b"<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag><Tag><Key>k2</Key><Value></Value></Tag>"
     b"</TagSet></Tagging>"),
    ("DeleteObjects", "POST", "/{bucket}?delete",
     b"<Delete><Object><Key>a</Key></Object><Object><Key>b</Key><VersionId>null</VersionId></Object>"
     b"<Quiet>false</Quiet></Delete>"),
    ("PutBucketCors", "PUT", "/{bucket}?cors",
     b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
     b"<AllowedHeader>*</AllowedHeader><MaxAgeSeconds>30</MaxAgeSeconds><ExposeHeader>ETag</ExposeHeader>"
     b"</CORSRule></CORSConfiguration>"),
    ("PutBucketLifecycleConfiguration", "PUT", "/{bucket}?lifecycle",
     b"<LifecycleConfiguration><Rule><ID>r</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status>"
     b"<Expiration><Days>3</Days></Expiration></Rule></LifecycleConfiguration>"),
    ("PutBucketVersioning", "PUT", "/{bucket}?versioning",
     b"<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>"),
    ("PutBucketAcl", "PUT", "/{bucket}?acl",
     b'<AccessControlPolicy><Owner><ID>abc</ID></Owner><AccessControlList><Grant>'
     b'<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>abc</ID>'
     b'</Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>'),
    ("PutBucketNotificationConfiguration", "PUT", "/{bucket}?notification",
     b"<NotificationConfiguration><QueueConfiguration><Id>q</Id><Queue>arn:aws:sqs:us-east-1:000000000000:fuzz-queue"
     b"</Queue><Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>a</Value>"
     b"</FilterRule></S3Key></Filter></QueueConfiguration></NotificationConfiguration>"),
    # Saved without a destination test.
    ("PutBucketNotificationConfiguration", "PUT", "/{bucket}?notification",
     b"<NotificationConfiguration><EventBridgeConfiguration></EventBridgeConfiguration></NotificationConfiguration>"),
    ("PutBucketEncryption", "PUT", "/{bucket}?encryption",
     b"<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256"
     b"</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule>"
     b"</ServerSideEncryptionConfiguration>"),
    ("PutBucketOwnershipControls", "PUT", "/{bucket}?ownershipControls",
     b"<OwnershipControls><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>"),
    ("PutPublicAccessBlock", "PUT", "/{bucket}?publicAccessBlock",
     b"<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>false"
     b"</IgnorePublicAcls></PublicAccessBlockConfiguration>"),
    ("PutObjectTagging", "PUT", "/{bucket}/{obj}?tagging",
     b"<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>"),
    ("PutObjectAcl", "PUT", "/{bucket}/{obj}?acl",
     b"<AccessControlPolicy><Owner><ID>abc</ID></Owner><AccessControlList></AccessControlList>"
     b"</AccessControlPolicy>"),
    # The ETag is that of the one part Ctx.setup uploads (16 bytes of "x").
    ("CompleteMultipartUpload", "POST", "/{bucket}/{mpu}?uploadId={upload}",
     b'<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"45ed9cc2f92b77cd8b2f5bd59ff635f8"'
     b'</ETag></Part></CompleteMultipartUpload>'),
]


# restXml documents of other services (decoded by the same reader, then 501 until implemented):
# (operation, method, target, document, signing service, error family, extra headers)
OTHER_DOCS = [
    ("CreateHostedZone", "POST", "/2013-04-01/hostedzone",
     b'<CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Name>example.com</Name>'
     b'<CallerReference>r1</CallerReference></CreateHostedZoneRequest>', "route53", "query", {}),
    ("ChangeResourceRecordSets", "POST", "/2013-04-01/hostedzone/Z1/rrset/",
     b'<ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch><Changes>'
     b'<Change><Action>CREATE</Action><ResourceRecordSet><Name>a.example.com</Name><Type>A</Type><TTL>60</TTL>'
     b'<ResourceRecords><ResourceRecord><Value>1.2.3.4</Value></ResourceRecord></ResourceRecords>'
     b'</ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>', "route53", "query", {}),
    ("PutPublicAccessBlock", "PUT", "/v20180820/configuration/publicAccessBlock",
     b'<PublicAccessBlockConfiguration xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/">'
     b'<BlockPublicAcls>true</BlockPublicAcls></PublicAccessBlockConfiguration>', "s3", "query",
     {"x-amz-account-id": "000000000000"}),
]


def other_case(ctx: Ctx, entry, body: bytes, name: str, desc: str) -> Case:
    from .engine import serialize, sign
    op, method, target, _doc, service, expect, extra = entry
    h = sign(method, ctx.netloc, target, service, body, dict(extra, **{"Content-Type": "application/xml"}),
             s3=service == "s3")
    return Case(serialize(method, target, h, body), expect, f"xml:{name}", f"{service} {op}: {desc}")


def _root(doc: bytes) -> tuple[bytes, bytes]:
    """(opening tag incl. '>', closing tag) of a document's root element."""
    end = doc.index(b">") + 1
    name = doc[1:end - 1].split(b" ")[0]
    return doc[:end], b"</" + name + b">"


def _inner(doc: bytes) -> bytes:
    open_, close = _root(doc)
    return doc[len(open_):len(doc) - len(close)]


def _wrap(doc: bytes, inner: bytes) -> bytes:
    open_, close = _root(doc)
    return open_ + inner + close


def xml_mutation(rng: random.Random, doc: bytes) -> tuple[bytes, str]:
    """A structure-aware or byte-level mutation of an XML document."""
    k = rng.randrange(22)
    if k == 0:
        return _wrap(doc, b"<\xff/>" + _inner(doc)), "non-UTF-8 byte as an element name"
    if k == 1:
        return m.insert_after(rng, doc, b"<")
    if k == 2:
        return m.insert_after(rng, doc, b">")
    if k == 3:
        d = m.pick_depth(rng)
        return _wrap(doc, b"<a>" * d + b"</a>" * d), f"nested <a> depth {d}"
    if k == 4:
        d = m.pick_depth(rng)
        return _wrap(doc, b"<a>" * d), f"unclosed <a> depth {d}"
    if k == 5:
        d = m.pick_depth(rng)
        open_, close = _root(doc)
        return open_ * d + close * d, f"root element nested depth {d}"
    if k == 6:
        return (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;'
                b'&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;'
                b'&c;&c;">]>' + _wrap(doc, b"<x>&d;&d;&d;</x>" + _inner(doc))), "entity expansion (DTD)"
    if k == 7:
        return (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                + _wrap(doc, b"<Key>&x;</Key>" + _inner(doc))), "external entity"
    if k == 8:
        ref = rng.choice([b"&undefined;", b"&#0;", b"&#xD800;", b"&#99999999999;", b"&#x;", b"&;", b"&amp",
                          b"&#-1;", b"&#x110000;", b"&lt"])
        return _wrap(doc, b"<Key>" + ref + b"</Key>" + _inner(doc)), f"bad reference {ref!r}"
    if k == 9:
        attr = rng.choice([b' a="1" a="2"', b" a=1", b' a="<"', b' xmlns:x=""', b' x:y="1"', b' a="\xff"',
                           b' \xff="1"', b" a", b' a="' + b"x" * 100000 + b'"'])
        open_, close = _root(doc)
        return open_[:-1] + attr + b">" + _inner(doc) + close, f"attribute {attr[:40]!r}"
    if k == 10:
        return _wrap(doc, b"<x:Tag><Key>a</Key></x:Tag>" + _inner(doc)), "undeclared namespace prefix"
    if k == 11:
        n = rng.choice([1000, 10000, 100000])
        return _wrap(doc, _inner(doc) * n), f"children repeated {n}x ({len(_inner(doc)) * n} bytes)"
    if k == 12:
        n = rng.choice([10 ** 5, 10 ** 6, 4 * 10 ** 6])
        return _wrap(doc, b"<Key>" + b"k" * n + b"</Key>" + _inner(doc)), f"{n}-byte text"
    if k == 13:
        junk = rng.choice([b"<![CDATA[\xff]]>", b"<![CDATA[", b"<!-- -- -->", b"<!--", b"<?pi \xff?>",
                           b"<?xml version='1.0'?>", b"]]>", b"<!ELEMENT a ANY>", b"</>", b"< a>", b"<a/ >",
                           b"<1a/>", b"<a></b>", b"\x00", b"<a>\x00</a>"])
        return _wrap(doc, junk + _inner(doc)), f"markup {junk!r}"
    if k == 14:
        pre = rng.choice([b"\xef\xbb\xbf", b"\xfe\xff", b"\xff\xfe", b'<?xml version="1.0" encoding="UTF-16"?>',
                          b'<?xml version="9.9"?>', b"   \r\n", b'<?xml version="1.0"?><?xml version="1.0"?>',
                          b"garbage"])
        return pre + doc, f"prefix {pre!r}"
    if k == 15:
        return doc + rng.choice([b"<x/>", b"trailing", b"\xff", doc]), "content after the root element"
    if k == 16:
        return b"", "empty body"
    if k == 17:
        return m.random_bytes(rng)
    return m.generic(rng, doc)


def _target(ctx: Ctx, tmpl: str) -> str:
    return tmpl.format(new=ctx.unique("fuzz-new-"), bucket=ctx.BUCKET, obj=ctx.OBJECT, mpu=ctx.MPU_KEY,
                       upload=ctx.upload_id)


def _md5(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body).digest()).decode()


def xml_case(ctx: Ctx, op: str, method: str, tmpl: str, body: bytes, name: str, desc: str) -> Case:
    target = _target(ctx, tmpl)
    raw = ctx.s3(method, target, body, {"Content-MD5": _md5(body), "Content-Type": "application/xml"})
    return Case(raw, "s3", f"xml:{name}", f"{method} {target.split('?')[-1] or op} ({op}): {desc}")


def gen_xml(rng: random.Random, ctx: Ctx) -> Iterator[Case]:
    # The reproducers, once per document, first.
    for op, method, tmpl, doc in DOCS:
        yield xml_case(ctx, op, method, tmpl, _wrap(doc, b"<\xff/>"), "repro-ff-name",
                       f"<\\xff/> inside <{_root(doc)[0][1:20]!r}>")
    for op, method, tmpl, doc in DOCS:
        yield xml_case(ctx, op, method, tmpl, _wrap(doc, b"<a>" * 37500 + b"</a>" * 37500),
                       "repro-deep", "nested 37,500 deep")
    # Over the 20 MiB cap once.
    op, method, tmpl, doc = DOCS[1]
    big = _wrap(doc, b"<Key>" + b"k" * (20 * 1024 * 1024 + 10) + b"</Key>")
    yield xml_case(ctx, op, method, tmpl, big, "oversized", f"{len(big)}-byte document")
    for entry in OTHER_DOCS:
        yield other_case(ctx, entry, _wrap(entry[3], b"<\xff/>"), "repro-ff-name", "<\\xff/> inside the root")
    while True:
        if rng.random() < 0.15:
            entry = rng.choice(OTHER_DOCS)
            body, desc = xml_mutation(rng, entry[3])
            yield other_case(ctx, entry, body, m.klass(desc), desc)
            continue
        op, method, tmpl, doc = rng.choice(DOCS)
        body, desc = xml_mutation(rng, doc)
        yield xml_case(ctx, op, method, tmpl, body, m.klass(desc), desc)


# --------------------------------------------------------------------------------------
# Headers, query strings, keys
# --------------------------------------------------------------------------------------

def _bad_value(rng: random.Random) -> bytes:
    return rng.choice([
        b"", b" ", b"\xff\xfe", "caf\u00e9".encode(), b"\x00", b"\x01\x02", b"a" * 9000, b"-1", b"0",
        b"99999999999999999999999", b"1e400", b"abc", b"%ZZ", b"%", b"=", b"&&&", b",,,", b"\"", b"'",
        b"<x>", b"${jndi}", b"..", b"/", b"//", b"\\", b"*", b"\t", b"NaN", b"true", b"bytes=", b";",
    ])


S3_HEADERS = [
    "x-amz-meta-a", "Content-MD5", "x-amz-checksum-crc32", "x-amz-checksum-sha256", "x-amz-checksum-algorithm",
    "x-amz-sdk-checksum-algorithm", "x-amz-tagging", "Expires", "Cache-Control", "Content-Type",
    "Content-Encoding", "Content-Disposition", "x-amz-storage-class", "x-amz-acl", "x-amz-grant-read",
    "x-amz-grant-full-control", "x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-website-redirect-location", "x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date",
    "x-amz-expected-bucket-owner", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since",
    "Range", "x-amz-copy-source", "x-amz-copy-source-range", "x-amz-metadata-directive",
    "x-amz-tagging-directive", "x-amz-checksum-mode", "x-amz-request-payer", "x-amz-bucket-object-lock-enabled",
    "x-amz-object-ownership", "x-amz-mfa", "x-amz-bypass-governance-retention", "x-amz-write-offset-bytes",
    "x-amz-object-attributes", "x-amz-max-parts", "x-amz-part-number-marker", "x-amz-confirm-remove-self-bucket-access",
    # Server-side encryption (SSE-C key parsing, the KMS encryption context's base64 JSON).
    "x-amz-server-side-encryption-customer-algorithm", "x-amz-server-side-encryption-customer-key",
    "x-amz-server-side-encryption-customer-key-MD5", "x-amz-server-side-encryption-context",
    "x-amz-server-side-encryption-bucket-key-enabled", "x-amz-copy-source-server-side-encryption-customer-key",
]

RANGES = [b"bytes=", b"bytes=9-1", b"bytes=-0", b"bytes=99999999999999999999-", b"bytes=0-1,2-3",
          b"chars=0-1", b"bytes=--1", b"bytes=0-0", b"bytes=-99999999999999999999", b"bytes=a-b",
          b"bytes=0-\xff"]

COPY_SOURCES = [b"/", b"%ff", b"/../../etc/passwd", b"fuzz-bucket", b"fuzz-bucket/", b"fuzz-bucket/obj?versionId=",
                b"fuzz-bucket/obj?versionId=\xff", b"/fuzz-bucket/obj%", b"/fuzz-bucket/" + b"k" * 2000,
                b"/nosuch/obj", b"?", b"fuzz-bucket/obj?x=y"]

QUERY_PARAMS = ["list-type", "max-keys", "prefix", "delimiter", "continuation-token", "start-after",
                "encoding-type", "fetch-owner", "marker", "key-marker", "version-id-marker", "upload-id-marker",
                "max-uploads", "max-parts", "part-number-marker", "versionId", "partNumber", "uploadId",
                "response-content-type", "response-expires", "response-content-disposition", "x-id", "tagging",
                "acl", "uploads", "versions", "attributes", "location", "cors", "policy", "garbage\xff"]


def _key(rng: random.Random) -> bytes:
    return rng.choice([b"k" * 1025, b"k" * 5000, b"%00", b"a%FFb", b"..", b"a/../../b", b"%2e%2e/x", b"./.",
                       b"a%", b"a%zz", b"%C0%AF", b"%ED%A0%80", b" ", b"%0D%0A", b"~", b"a//b", b"\xc3\xa9",
                       b"a?b", b"%3F", b"\xff"])


def gen_headers(rng: random.Random, ctx: Ctx) -> Iterator[Case]:
    b, o = ctx.BUCKET, ctx.OBJECT
    yield Case(ctx.s3("PUT", f"/{b}/meta", b"x", {"x-amz-meta-big": "v" * 3000}), "s3", "hdr:metadata-2k",
               "PUT object with 3 KB of user metadata (MetadataTooLarge)", must_fail=True)
    many = {f"x-amz-meta-m{i}": "v" for i in range(3000)}
    yield Case(ctx.s3("PUT", f"/{b}/meta", b"x", many), "s3", "hdr:many-meta", "3,000 metadata headers",
               must_fail=True)
    while True:
        k = rng.randrange(6)
        if k == 0:  # PUT object with a hostile header value
            h = rng.choice(S3_HEADERS)
            v = rng.choice(RANGES) if h == "Range" else rng.choice(COPY_SOURCES) if "copy-source" in h \
                else _bad_value(rng)
            target = f"/{b}/{ctx.unique('h')}"
            # Non-ASCII header values cannot be signed by botocore; add them after signing.
            raw = _signed_with_extra(ctx, "PUT", target, b"body", {h: v})
            yield Case(raw, "s3", f"hdr:put:{h}", f"PUT {target} with {h}: {v[:60]!r}")
        elif k == 1:  # GET / HEAD with hostile conditional or range headers
            h = rng.choice(["Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since",
                            "x-amz-checksum-mode", "x-amz-expected-bucket-owner", "x-amz-request-payer",
                            "x-amz-server-side-encryption-customer-algorithm", "x-amz-server-side-encryption-customer-key",
                            "x-amz-server-side-encryption-customer-key-MD5"])
            v = rng.choice(RANGES) if h == "Range" else _bad_value(rng)
            method = rng.choice(["GET", "HEAD"])
            raw = _signed_with_extra(ctx, method, f"/{b}/{o}", b"", {h: v})
            yield Case(raw, "s3", f"hdr:{method.lower()}:{h}", f"{method} /{b}/{o} with {h}: {v[:60]!r}",
                       head=method == "HEAD")
        elif k == 2:  # copy (object and part) with hostile sources
            src = rng.choice(COPY_SOURCES)
            if rng.random() < 0.5:
                target = f"/{b}/{ctx.unique('c')}"
                extra = {"x-amz-copy-source": src}
            else:
                target = f"/{b}/{ctx.MPU_KEY}?partNumber=2&uploadId={ctx.upload_id}"
                extra = {"x-amz-copy-source": f"/{b}/{o}", "x-amz-copy-source-range": rng.choice(RANGES)}
            raw = _signed_with_extra(ctx, "PUT", target, b"", extra)
            yield Case(raw, "s3", "hdr:copy-source", f"PUT {target} {extra!r}")
        elif k == 3:  # query strings
            n = rng.randint(1, 4)
            pairs = []
            for _ in range(n):
                p = rng.choice(QUERY_PARAMS)
                v = _bad_value(rng)
                pairs.append(quote_bytes(p.encode("utf-8")) + ("" if rng.random() < 0.2 else
                                                                "=" + quote_bytes(v)))
            target = rng.choice([f"/{b}", f"/{b}/{o}", "/", f"/{b}/{ctx.MPU_KEY}"]) + "?" + "&".join(pairs)
            method = rng.choice(["GET", "GET", "HEAD", "DELETE", "PUT", "POST"])
            raw = ctx.s3(method, target, b"")
            yield Case(raw, "s3", "query", f"{method} {target[:200]}", head=method == "HEAD")
        elif k == 4:  # raw (unencodable) query bytes, signed as sent
            junk = rng.choice([b"%", b"%zz", b"%FF%FE", b"a=%", b"==", b"&=&", b"x=\xff", b"\x00", b"a b",
                               b"max-keys=1&max-keys=2", b"list-type=2&list-type=1", b"uploadId", b"uploadId="])
            target = f"/{b}?".encode() + junk
            raw = _raw_target(ctx, "GET", target)
            yield Case(raw, "s3", "query-raw", f"GET {target!r}")
        else:  # hostile keys
            key = _key(rng)
            method = rng.choice(["GET", "PUT", "HEAD", "DELETE"])
            target = f"/{b}/".encode() + key
            raw = _raw_target(ctx, method, target, b"x" if method == "PUT" else b"")
            yield Case(raw, "s3", f"key:{method.lower()}", f"{method} {target[:80]!r}", head=method == "HEAD")


def _signed_with_extra(ctx: Ctx, method: str, target: str, body: bytes, extra: dict) -> bytes:
    """Sign what botocore can sign; byte-valued headers that are not ASCII go in unsigned
    (the server must still answer in S3's shape: SignatureDoesNotMatch or the header's error)."""
    from .engine import serialize, sign
    signable = {k: v.decode() if isinstance(v, bytes) else v for k, v in extra.items()
                if not isinstance(v, bytes) or v.isascii()}
    h = sign(method, ctx.netloc, target, "s3", body, signable, s3=True)
    for k, v in extra.items():
        if isinstance(v, bytes) and not v.isascii():
            h[k] = v
    return serialize(method, target, h, body)


def _raw_target(ctx: Ctx, method: str, target: bytes, body: bytes = b"") -> bytes:
    """Signed over the target bytes as latin-1 text (botocore signs the path and query as sent)."""
    from .engine import serialize, sign
    t = target.decode("latin-1")
    try:
        h = sign(method, ctx.netloc, t, "s3", body, None, s3=True)
    except Exception:
        h = sign(method, ctx.netloc, "/", "s3", body, None, s3=True)
    return serialize(method, target, h, body)
