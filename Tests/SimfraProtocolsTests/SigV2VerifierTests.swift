import Testing

@testable import SimfraProtocols

/// S3 Signature Version 2: `Authorization: AWS <AKID>:<sig>` and the presigned
/// `?AWSAccessKeyId=…&Signature=…&Expires=…` that boto3's `generate_presigned_url` produces.
///
/// The vectors were made by a Python script with botocore 1.43.11: requests signed by
/// `HmacV1Auth` / `HmacV1QueryAuth` through a boto3 client (`signature_version='s3'`) with
/// `time.time` frozen at 1800000000 (Fri, 15 Jan 2027 08:00:00 GMT), the string botocore signed
/// captured from `sign_string`; requests hand-signed per AWS's "Signing and authenticating REST
/// requests" page (x-amz-date, repeated headers, other clients' sub-resource conventions); that
/// page's own johnsmith examples; and tampered copies that must fail.
struct SigV2VerifierTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYSIGV2KEY"

    enum Outcome: Equatable, Sendable {
        case ok, notSigV2, incomplete, expired, timeSkewed, signatureMismatch, other
    }

    struct Vector: Sendable {
        var name: String
        var expect: Outcome
        var method: String
        var uri: String
        var headers: [(String, String)]
        var virtualHostBucket: String?
        var now: Double
        var secret: String
        /// What the client signed (the first reading, see `SigV2.candidateResources`).
        var stringToSign: String?

        init(
            _ name: String, _ expect: Outcome, _ method: String, _ uri: String, headers: [(String, String)],
            virtualHostBucket: String?, now: Double, secret: String = SigV2VerifierTests.secret,
            stringToSign: String? = nil
        ) {
            self.name = name
            self.expect = expect
            self.method = method
            self.uri = uri
            self.headers = headers
            self.virtualHostBucket = virtualHostBucket
            self.now = now
            self.secret = secret
            self.stringToSign = stringToSign
        }

        var request: AWSRequest {
            AWSRequest(method: method, uri: uri, headers: headers.map { (name: $0.0, value: $0.1) }, body: [])
        }
    }

    enum Checked: Equatable {
        case notSigV2, verified
        case failed(SigV4Failure)
    }

    static func check(_ v: Vector, now: Double? = nil, secret: String? = nil) -> Checked {
        let req = v.request
        guard let parsed = SigV2Parsed.parse(req) else { return .notSigV2 }
        let r = Result { () throws(SigV4Failure) in
            try SigV2.verify(req, parsed: parsed, secretAccessKey: secret ?? v.secret, now: now ?? v.now,
                             virtualHostBucket: v.virtualHostBucket)
        }
        switch r {
        case .success: return .verified
        case .failure(let e): return .failed(e)
        }
    }

    static func outcome(_ v: Vector) -> Outcome {
        switch check(v) {
        case .notSigV2: return .notSigV2
        case .verified: return .ok
        case .failed(.incomplete): return .incomplete
        case .failed(.expired): return .expired
        case .failed(.timeSkewed): return .timeSkewed
        case .failed(.signatureMismatch): return .signatureMismatch
        case .failed: return .other
        }
    }

    static func vector(_ name: String) throws -> Vector {
        try #require(vectors.first(where: { $0.name == name }), "no vector \(name)")
    }

    @Test func vectorsVerifyOrFailAsExpected() {
        #expect(Self.vectors.count > 60)
        for v in Self.vectors {
            #expect(Self.outcome(v) == v.expect, "\(v.name)")
        }
    }

    @Test func stringToSignIsWhatTheClientSigned() {
        var checked = 0
        for v in Self.vectors {
            guard let expected = v.stringToSign, let parsed = SigV2Parsed.parse(v.request) else { continue }
            let got = SigV2.stringToSign(
                v.request, presigned: parsed.presigned, expires: parsed.expires, virtualHostBucket: v.virtualHostBucket)
            #expect(got == expected, "\(v.name)")
            checked += 1
        }
        #expect(checked > 30)
    }

    @Test func parsesTheQueryForm() throws {
        let req = AWSRequest(
            method: "GET",
            uri: "/bucket/k?versionId=1&AWSAccessKeyId=AKID&Signature=a%2Bb%2F%3D&Expires=1800003600&x-amz-security-token=t%2B",
            headers: [], body: [])
        let p = try #require(SigV2Parsed.parse(req))
        #expect(p == SigV2Parsed(accessKeyId: "AKID", signature: "a+b/=", expires: 1_800_003_600, presigned: true,
                                 securityToken: "t+", rawExpires: "1800003600"))
        try p.validate()
    }

    @Test func parsesTheHeaderForm() throws {
        let req = AWSRequest(
            method: "GET", uri: "/bucket/k",
            headers: [("authorization", "AWS AKID:c2ln+/9="), ("x-amz-security-token", "tok")], body: [])
        let p = try #require(SigV2Parsed.parse(req))
        #expect(p == SigV2Parsed(accessKeyId: "AKID", signature: "c2ln+/9=", expires: nil, presigned: false,
                                 securityToken: "tok"))
    }

    @Test func otherSchemesAreNotSigV2() {
        let v4 = AWSRequest(
            method: "GET", uri: "/",
            headers: [("authorization", "AWS4-HMAC-SHA256 Credential=AKID/20270115/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=ab")],
            body: [])
        #expect(SigV2Parsed.parse(v4) == nil)
        let v4q = AWSRequest(
            method: "GET", uri: "/b/k?X-Amz-Credential=AKID%2F20270115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=ab",
            headers: [], body: [])
        #expect(SigV2Parsed.parse(v4q) == nil)
        #expect(SigV2Parsed.parse(AWSRequest(method: "GET", uri: "/b/k?acl", headers: [], body: [])) == nil)
    }

    @Test func failuresUseS3Wording() throws {
        let get = try Self.vector("presignedGet")
        #expect(Self.check(get) == .verified)
        #expect(Self.check(get, now: 1_800_003_600) == .verified)
        #expect(Self.check(get, now: 1_800_003_601) == .failed(.expired("Request has expired")))
        #expect(Self.check(get, secret: "wrong") == .failed(.signatureMismatch(
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.")))

        let header = try Self.vector("headerGet")
        #expect(Self.check(header, now: 1_800_000_960) == .failed(.timeSkewed(
            "The difference between the request time and the current time is too large.")))
        let noColon = try Self.vector("headerMalformedNoColon")
        #expect(Self.check(noColon) == .failed(.incomplete(
            "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature")))
        let noDate = try Self.vector("headerMissingDate")
        #expect(Self.check(noDate) == .failed(.incomplete(
            "AWS authentication requires a valid Date or x-amz-date header")))
        let noExpires = try Self.vector("presignedMissingExpires")
        #expect(Self.check(noExpires) == .failed(.incomplete(
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")))
        let badExpires = try Self.vector("presignedNonNumericExpires")
        #expect(Self.check(badExpires) == .failed(.incomplete(
            "Invalid date (should be seconds since epoch): tomorrow")))
    }

    @Test func canonicalPath() {
        #expect(SigV2.canonicalPath("/k", virtualHostBucket: "b") == "/b/k")
        #expect(SigV2.canonicalPath("/", virtualHostBucket: "b") == "/b/")
        #expect(SigV2.canonicalPath("", virtualHostBucket: "b") == "/b/")
        #expect(SigV2.canonicalPath("/b", virtualHostBucket: nil) == "/b/")
        #expect(SigV2.canonicalPath("/b/", virtualHostBucket: nil) == "/b/")
        #expect(SigV2.canonicalPath("/", virtualHostBucket: nil) == "/")
        #expect(SigV2.canonicalPath("", virtualHostBucket: nil) == "/")
        #expect(SigV2.canonicalPath("/b/a%20b", virtualHostBucket: nil) == "/b/a%20b")
    }

    @Test func requestTimeFormats() {
        #expect(SigV2.requestTime("Fri, 15 Jan 2027 08:00:00 GMT") == 1_800_000_000)
        #expect(SigV2.requestTime("Fri, 15 Jan 2027 08:00:00 +0000") == 1_800_000_000)
        #expect(SigV2.requestTime("Fri, 15 Jan 2027 10:00:00 +0200") == 1_800_000_000)
        #expect(SigV2.requestTime("Fri, 15 Jan 2027 03:00:00 -0500") == 1_800_000_000)
        #expect(SigV2.requestTime("20270115T080000Z") == 1_800_000_000)
        #expect(SigV2.requestTime("2027-01-15T08:00:00Z") == 1_800_000_000)
        #expect(SigV2.requestTime("yesterday") == nil)
    }

    // Generated by gen.py with botocore 1.43.11.
    static let vectors: [Vector] = [
        Vector(
            "presignedGet", .ok, "GET", "/bucket/photos/puppy.jpg?AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=l5fYt2lDQSbeCXi1WZcTyw%2BiInI%3D&Expires=1800003600",
            headers: [],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "GET\n\n\n1800003600\n/bucket/photos/puppy.jpg"),
        Vector(
            "presignedPutContentTypeAclMeta", .ok, "PUT", "/bucket/a%20b/%C3%BC%2B%26%3D%3F~%2A.txt?AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=oOf1E3p56eEJ8W3IXWdmwwcO02M%3D&content-type=text%2Fplain&x-amz-acl=public-read&x-amz-meta-owner=Jane%20Doe&Expires=1800003600",
            headers: [("content-type", "text/plain")],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "PUT\n\ntext/plain\n1800003600\nx-amz-acl:public-read\nx-amz-meta-owner:Jane Doe\n/bucket/a%20b/%C3%BC%2B%26%3D%3F~%2A.txt"),
        Vector(
            "presignedGetVersionId", .ok, "GET", "/bucket/k?versionId=3%2FL4kqtJl40Nr8X8gdRQBpUMLUo%2Bx&AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=2it83S5MXXX5ErHeRNknWlf6kxQ%3D&Expires=1800003600",
            headers: [],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "GET\n\n\n1800003600\n/bucket/k?versionId=3/L4kqtJl40Nr8X8gdRQBpUMLUo+x"),
        Vector(
            "presignedCreateMultipartUploads", .ok, "POST", "/bucket/big.bin?uploads&AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=5RJiHU3td9c9rzJUZ8t1V3tXobA%3D&Expires=1800003600",
            headers: [],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "POST\n\n\n1800003600\n/bucket/big.bin?uploads"),
        Vector(
            "presignedUploadPart", .ok, "PUT", "/bucket/big.bin?partNumber=3&uploadId=VXBsb2FkIElE%2B%2F%3D&AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=YngOVUkDHP910qyRwc5%2Ft0PghtE%3D&Expires=1800003600",
            headers: [],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "PUT\n\n\n1800003600\n/bucket/big.bin?partNumber=3&uploadId=VXBsb2FkIElE+/="),
        Vector(
            "presignedResponseOverrides", .ok, "GET", "/bucket/report.csv?response-content-type=text%2Fcsv%3B%20charset%3Dutf-8&response-content-disposition=attachment%3B%20filename%3D%22a%20b.csv%22&response-cache-control=no-cache&AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=zBh%2B6%2Bx8hs80%2BmutaBS6k%2FdZWWk%3D&Expires=1800003600",
            headers: [],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "GET\n\n\n1800003600\n/bucket/report.csv?response-cache-control=no-cache&response-content-disposition=attachment; filename=\"a b.csv\"&response-content-type=text/csv; charset=utf-8"),
        Vector(
            "presignedListObjectsEncodingTypeUnsigned", .ok, "GET", "/bucket?prefix=p%2F&encoding-type=url&AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=12nZc6agpHLwMkYYX6AKVY6iBq8%3D&Expires=1800003600",
            headers: [],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "GET\n\n\n1800003600\n/bucket/"),
        Vector(
            "presignedVirtualHostGet", .ok, "GET", "/dir/file.txt?AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=5jYXq2vCJXFwyT%2BexNzhE2JBP9c%3D&Expires=1800003600",
            headers: [],
            virtualHostBucket: "my-bucket", now: 1800000000,
            stringToSign: "GET\n\n\n1800003600\n/my-bucket/dir/file.txt"),
        Vector(
            "presignedVirtualHostList", .ok, "GET", "/?encoding-type=url&AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=7B7UtEEHSzDbCrhykYnsn2CbKBo%3D&Expires=1800003600",
            headers: [],
            virtualHostBucket: "my-bucket", now: 1800000000,
            stringToSign: "GET\n\n\n1800003600\n/my-bucket/"),
        Vector(
            "presignedSessionToken", .ok, "GET", "/bucket/k?AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=cHsJbPpOpfE%2FsRdtPQyeuh7Q9ag%3D&x-amz-security-token=FQoGZXIvYXdzEXAMPLETOKEN%2F%2F%2B%3D%3D&Expires=1800003600",
            headers: [],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "GET\n\n\n1800003600\nx-amz-security-token:FQoGZXIvYXdzEXAMPLETOKEN//+==\n/bucket/k"),
        Vector(
            "presignedGetObjectAcl", .ok, "GET", "/bucket/k?acl&AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=hLabTvEIuDhB0OPnq6f7IWVFbNo%3D&Expires=1800003600",
            headers: [],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "GET\n\n\n1800003600\n/bucket/k?acl"),
        Vector(
            "headerPutMeta", .ok, "PUT", "/bucket/notes/%C3%BC%201.txt",
            headers: [("content-type", "text/plain"), ("x-amz-meta-reviewed-by", "joe"), ("x-amz-meta-color", " blue "), ("x-amz-acl", "private"), ("x-amz-checksum-crc32", "NhCmhg=="), ("x-amz-sdk-checksum-algorithm", "CRC32"), ("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:VwHvYy3e9AH2EcwE0o0MjzCxZTU=")],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "PUT\n\ntext/plain\nFri, 15 Jan 2027 08:00:00 GMT\nx-amz-acl:private\nx-amz-checksum-crc32:NhCmhg==\nx-amz-meta-color:blue\nx-amz-meta-reviewed-by:joe\nx-amz-sdk-checksum-algorithm:CRC32\n/bucket/notes/%C3%BC%201.txt"),
        Vector(
            "headerGet", .ok, "GET", "/bucket/k",
            headers: [("x-amz-checksum-mode", "ENABLED"), ("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:WzduBxTnSiUaI/UZwpT9142wUO0=")],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "GET\n\n\nFri, 15 Jan 2027 08:00:00 GMT\nx-amz-checksum-mode:ENABLED\n/bucket/k"),
        Vector(
            "headerVirtualHostGet", .ok, "GET", "/k",
            headers: [("x-amz-checksum-mode", "ENABLED"), ("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:ozcJamjIVR+KV/v0e8inpzUYP/4=")],
            virtualHostBucket: "my-bucket", now: 1800000000,
            stringToSign: "GET\n\n\nFri, 15 Jan 2027 08:00:00 GMT\nx-amz-checksum-mode:ENABLED\n/my-bucket/k"),
        Vector(
            "headerListObjectVersions", .ok, "GET", "/bucket?versions&encoding-type=url",
            headers: [("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:ILNbpYrmln1J+AevPsksoyn05jE=")],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "GET\n\n\nFri, 15 Jan 2027 08:00:00 GMT\n/bucket/?versions"),
        Vector(
            "headerDeleteObjects", .ok, "POST", "/bucket?delete",
            headers: [("x-amz-checksum-crc32", "Ufrckg=="), ("x-amz-sdk-checksum-algorithm", "CRC32"), ("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:gEIDRzWmO7hOucRejNMhJTfFzmE=")],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "POST\n\n\nFri, 15 Jan 2027 08:00:00 GMT\nx-amz-checksum-crc32:Ufrckg==\nx-amz-sdk-checksum-algorithm:CRC32\n/bucket/?delete"),
        Vector(
            "headerSessionToken", .ok, "HEAD", "/bucket/k",
            headers: [("x-amz-security-token", "FQoGZXIvYXdzEXAMPLETOKEN//+=="), ("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:nZofN0ZsuYeyKmdgDtsq3kGjs4A=")],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "HEAD\n\n\nFri, 15 Jan 2027 08:00:00 GMT\nx-amz-security-token:FQoGZXIvYXdzEXAMPLETOKEN//+==\n/bucket/k"),
        Vector(
            "headerListBuckets", .ok, "GET", "/",
            headers: [("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:J6Aes5gbWdO+oWD/yqLsMcqOyjk=")],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "GET\n\n\nFri, 15 Jan 2027 08:00:00 GMT\n/"),
        Vector(
            "headerPutObjectRetention", .ok, "PUT", "/bucket/k?retention",
            headers: [("x-amz-checksum-crc32", "fKO38A=="), ("x-amz-sdk-checksum-algorithm", "CRC32"), ("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:EnGDiNuseIPJl0r7iHL1WjwmyUM=")],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "PUT\n\n\nFri, 15 Jan 2027 08:00:00 GMT\nx-amz-checksum-crc32:fKO38A==\nx-amz-sdk-checksum-algorithm:CRC32\n/bucket/k"),
        Vector(
            "manualXAmzDateEmptiesDateLine", .ok, "DELETE", "/bucket/photos/puppy.jpg",
            headers: [("date", "Thu, 01 Jan 1970 00:00:00 GMT"), ("x-amz-date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:0ekDZnsM1m4MUoI8cV4c6bnAgx0=")],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "DELETE\n\n\n\nx-amz-date:Fri, 15 Jan 2027 08:00:00 GMT\n/bucket/photos/puppy.jpg"),
        Vector(
            "manualRepeatedAmzHeadersJoined", .ok, "PUT", "/bucket/db-backup.dat.gz",
            headers: [("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("content-md5", "4gJE4saaMU4BqNR0kLY+lw=="), ("content-type", "application/x-download"), ("x-amz-meta-reviewedby", "joe@example.com"), ("x-amz-acl", "public-read"), ("x-amz-meta-reviewedby", "jane@example.com"), ("x-amz-meta-checksum", " crc32 "), ("authorization", "AWS AKIDSIGV2EXAMPLE:UDfbVIQmIw5NCQ+FuHMGaKsFLtE=")],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nFri, 15 Jan 2027 08:00:00 GMT\nx-amz-acl:public-read\nx-amz-meta-checksum:crc32\nx-amz-meta-reviewedby:joe@example.com,jane@example.com\n/bucket/db-backup.dat.gz"),
        Vector(
            "manualEmptyValueSignedBare", .ok, "POST", "/bucket/big.bin?uploads=",
            headers: [("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:VxnbGzikZrBCBYAOj2WTPZKDWqk=")],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "POST\n\n\nFri, 15 Jan 2027 08:00:00 GMT\n/bucket/big.bin?uploads"),
        Vector(
            "manualEmptyValueSignedLiteral", .ok, "POST", "/bucket/big.bin?uploads=",
            headers: [("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:MwF8NfhXYM/wqaGA2z2sYlO66Es=")],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "POST\n\n\nFri, 15 Jan 2027 08:00:00 GMT\n/bucket/big.bin?uploads"),
        Vector(
            "manualRetentionSigned", .ok, "PUT", "/bucket/k?retention=",
            headers: [("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:4qbiYOyEkAjgGbpDFF7lm2nB51M=")],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "PUT\n\n\nFri, 15 Jan 2027 08:00:00 GMT\n/bucket/k"),
        Vector(
            "manualSubresourcesSorted", .ok, "GET", "/bucket/k?versionId=v%2F1&response-content-type=a%2Fb&acl&max-keys=5&partNumber=2",
            headers: [("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:5NbsO98wvlNeMzkDQKYLUV7Nbd4=")],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "GET\n\n\nFri, 15 Jan 2027 08:00:00 GMT\n/bucket/k?acl&partNumber=2&response-content-type=a/b&versionId=v/1"),
        Vector(
            "manualUnknownParameterUnsigned", .ok, "GET", "/bucket/k?foo=bar",
            headers: [("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:INe+q68Rfy1p3KyPRm87nSygKNE=")],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "GET\n\n\nFri, 15 Jan 2027 08:00:00 GMT\n/bucket/k"),
        Vector(
            "manualUnknownParameterSigned", .signatureMismatch, "GET", "/bucket/k?foo=bar",
            headers: [("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:f+v36AJotupY8faTlgWkb0HdG0I=")],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "GET\n\n\nFri, 15 Jan 2027 08:00:00 GMT\n/bucket/k"),
        Vector(
            "manualBucketOnlyPathSignedWithoutSlash", .signatureMismatch, "GET", "/bucket?acl",
            headers: [("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:Pi/2bHDvJeGom+B9SAE554RwN4o=")],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "GET\n\n\nFri, 15 Jan 2027 08:00:00 GMT\n/bucket/?acl"),
        Vector(
            "manualBucketOnlyPathSentWithSlash", .ok, "GET", "/bucket/?acl",
            headers: [("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:4z0q1MQiWPMF4GyZ1dCmfNfZkS0=")],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "GET\n\n\nFri, 15 Jan 2027 08:00:00 GMT\n/bucket/?acl"),
        Vector(
            "manualDateWithOffset", .ok, "GET", "/bucket/k",
            headers: [("date", "Fri, 15 Jan 2027 10:00:00 +0200"), ("authorization", "AWS AKIDSIGV2EXAMPLE:FMlTb6RLuKMHJX4BCpc2Kj+RVCg=")],
            virtualHostBucket: nil, now: 1800000000,
            stringToSign: "GET\n\n\nFri, 15 Jan 2027 10:00:00 +0200\n/bucket/k"),
        Vector(
            "awsDocGet", .ok, "GET", "/photos/puppy.jpg",
            headers: [("date", "Tue, 27 Mar 2007 19:36:42 +0000"), ("authorization", "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=")],
            virtualHostBucket: "johnsmith", now: 1175024202, secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg"),
        Vector(
            "awsDocPut", .ok, "PUT", "/photos/puppy.jpg",
            headers: [("content-type", "image/jpeg"), ("date", "Tue, 27 Mar 2007 21:15:45 +0000"), ("authorization", "AWS AKIAIOSFODNN7EXAMPLE:MyyxeRY7whkBe+bq8fHCL/2kKUg=")],
            virtualHostBucket: "johnsmith", now: 1175030145, secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            stringToSign: "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/johnsmith/photos/puppy.jpg"),
        Vector(
            "awsDocList", .ok, "GET", "/?prefix=photos&max-keys=50&marker=puppy",
            headers: [("date", "Tue, 27 Mar 2007 19:42:41 +0000"), ("authorization", "AWS AKIAIOSFODNN7EXAMPLE:htDYFYduRNen8P9ZfE/s9SuKy0U=")],
            virtualHostBucket: "johnsmith", now: 1175024561, secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/"),
        Vector(
            "awsDocAcl", .ok, "GET", "/?acl",
            headers: [("date", "Tue, 27 Mar 2007 19:44:46 +0000"), ("authorization", "AWS AKIAIOSFODNN7EXAMPLE:c2WLPFtWHVgbEmeEG93a4cG37dM=")],
            virtualHostBucket: "johnsmith", now: 1175024686, secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/johnsmith/?acl"),
        Vector(
            "awsDocUpload", .ok, "PUT", "/db-backup.dat.gz",
            headers: [("date", "Tue, 27 Mar 2007 21:06:08 +0000"), ("x-amz-acl", "public-read"), ("content-type", "application/x-download"), ("content-md5", "4gJE4saaMU4BqNR0kLY+lw=="), ("x-amz-meta-reviewedby", "joe@johnsmith.net"), ("x-amz-meta-reviewedby", "jane@johnsmith.net"), ("x-amz-meta-filechecksum", "0x02661779"), ("x-amz-meta-checksumalgorithm", "crc32"), ("authorization", "AWS AKIAIOSFODNN7EXAMPLE:ilyl83RwaSoYIEdixDQcA4OnAnc=")],
            virtualHostBucket: "static.johnsmith.net", now: 1175029568, secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            stringToSign: "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\nx-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\nx-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n/static.johnsmith.net/db-backup.dat.gz"),
        Vector(
            "awsDocQueryString", .ok, "GET", "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620",
            headers: [],
            virtualHostBucket: "johnsmith", now: 1175139000, secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            stringToSign: "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg"),
        Vector(
            "presignedTamperedSignature", .signatureMismatch, "GET", "/bucket/photos/puppy.jpg?AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=m5fYt2lDQSbeCXi1WZcTyw%2BiInI%3D&Expires=1800003600",
            headers: [],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "presignedWrongSecret", .signatureMismatch, "GET", "/bucket/photos/puppy.jpg?AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=l5fYt2lDQSbeCXi1WZcTyw%2BiInI%3D&Expires=1800003600",
            headers: [],
            virtualHostBucket: nil, now: 1800000000, secret: "not-the-secret"),
        Vector(
            "presignedExpired", .expired, "GET", "/bucket/photos/puppy.jpg?AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=l5fYt2lDQSbeCXi1WZcTyw%2BiInI%3D&Expires=1800003600",
            headers: [],
            virtualHostBucket: nil, now: 1800003601),
        Vector(
            "presignedAtExpiryStillValid", .ok, "GET", "/bucket/photos/puppy.jpg?AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=l5fYt2lDQSbeCXi1WZcTyw%2BiInI%3D&Expires=1800003600",
            headers: [],
            virtualHostBucket: nil, now: 1800003600),
        Vector(
            "presignedExpiresExtended", .signatureMismatch, "GET", "/bucket/photos/puppy.jpg?AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=l5fYt2lDQSbeCXi1WZcTyw%2BiInI%3D&Expires=1800007200",
            headers: [],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "presignedOtherKey", .signatureMismatch, "GET", "/bucket/photos/kitten.jpg?AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=l5fYt2lDQSbeCXi1WZcTyw%2BiInI%3D&Expires=1800003600",
            headers: [],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "presignedUnknownParameterAdded", .ok, "GET", "/bucket/photos/puppy.jpg?AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=l5fYt2lDQSbeCXi1WZcTyw%2BiInI%3D&Expires=1800003600&foo=bar&x-id=GetObject",
            headers: [],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "presignedSubresourceAdded", .signatureMismatch, "GET", "/bucket/photos/puppy.jpg?AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=l5fYt2lDQSbeCXi1WZcTyw%2BiInI%3D&Expires=1800003600&versionId=1",
            headers: [],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "presignedAsVirtualHost", .signatureMismatch, "GET", "/bucket/photos/puppy.jpg?AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=l5fYt2lDQSbeCXi1WZcTyw%2BiInI%3D&Expires=1800003600",
            headers: [],
            virtualHostBucket: "bucket", now: 1800000000),
        Vector(
            "presignedMissingExpires", .incomplete, "GET", "/bucket/photos/puppy.jpg?AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=l5fYt2lDQSbeCXi1WZcTyw%2BiInI%3D",
            headers: [],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "presignedNonNumericExpires", .incomplete, "GET", "/bucket/photos/puppy.jpg?AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=l5fYt2lDQSbeCXi1WZcTyw%2BiInI%3D&Expires=tomorrow",
            headers: [],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "presignedMissingSignature", .incomplete, "GET", "/bucket/photos/puppy.jpg?AWSAccessKeyId=AKIDSIGV2EXAMPLE&Expires=1800003600",
            headers: [],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "presignedPutWithoutSignedContentType", .signatureMismatch, "PUT", "/bucket/a%20b/%C3%BC%2B%26%3D%3F~%2A.txt?AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=oOf1E3p56eEJ8W3IXWdmwwcO02M%3D&content-type=text%2Fplain&x-amz-acl=public-read&x-amz-meta-owner=Jane%20Doe&Expires=1800003600",
            headers: [],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "presignedPutOtherContentType", .signatureMismatch, "PUT", "/bucket/a%20b/%C3%BC%2B%26%3D%3F~%2A.txt?AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=oOf1E3p56eEJ8W3IXWdmwwcO02M%3D&content-type=text%2Fplain&x-amz-acl=public-read&x-amz-meta-owner=Jane%20Doe&Expires=1800003600",
            headers: [("content-type", "image/png")],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "presignedPutAmzHeaderAlsoSentAsHeader", .ok, "PUT", "/bucket/a%20b/%C3%BC%2B%26%3D%3F~%2A.txt?AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=oOf1E3p56eEJ8W3IXWdmwwcO02M%3D&content-type=text%2Fplain&x-amz-acl=public-read&x-amz-meta-owner=Jane%20Doe&Expires=1800003600",
            headers: [("content-type", "text/plain"), ("x-amz-acl", "public-read")],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "presignedPutAclChangedInQuery", .signatureMismatch, "PUT", "/bucket/a%20b/%C3%BC%2B%26%3D%3F~%2A.txt?AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=oOf1E3p56eEJ8W3IXWdmwwcO02M%3D&content-type=text%2Fplain&x-amz-acl=public-read-write&x-amz-meta-owner=Jane%20Doe&Expires=1800003600",
            headers: [("content-type", "text/plain")],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "presignedSessionTokenChanged", .signatureMismatch, "GET", "/bucket/k?AWSAccessKeyId=AKIDSIGV2EXAMPLE&Signature=cHsJbPpOpfE%2FsRdtPQyeuh7Q9ag%3D&x-amz-security-token=XQoGZXIvYXdzEXAMPLETOKEN%2F%2F%2B%3D%3D&Expires=1800003600",
            headers: [],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "headerTamperedSignature", .signatureMismatch, "GET", "/bucket/k",
            headers: [("x-amz-checksum-mode", "ENABLED"), ("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:XzduBxTnSiUaI/UZwpT9142wUO0=")],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "headerWrongSecret", .signatureMismatch, "GET", "/bucket/k",
            headers: [("x-amz-checksum-mode", "ENABLED"), ("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:WzduBxTnSiUaI/UZwpT9142wUO0=")],
            virtualHostBucket: nil, now: 1800000000, secret: "not-the-secret"),
        Vector(
            "headerSkewedLate", .timeSkewed, "GET", "/bucket/k",
            headers: [("x-amz-checksum-mode", "ENABLED"), ("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:WzduBxTnSiUaI/UZwpT9142wUO0=")],
            virtualHostBucket: nil, now: 1800000901),
        Vector(
            "headerSkewedEarly", .timeSkewed, "GET", "/bucket/k",
            headers: [("x-amz-checksum-mode", "ENABLED"), ("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:WzduBxTnSiUaI/UZwpT9142wUO0=")],
            virtualHostBucket: nil, now: 1799999099),
        Vector(
            "headerWithinSkew", .ok, "GET", "/bucket/k",
            headers: [("x-amz-checksum-mode", "ENABLED"), ("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:WzduBxTnSiUaI/UZwpT9142wUO0=")],
            virtualHostBucket: nil, now: 1800000899),
        Vector(
            "headerMissingDate", .incomplete, "GET", "/bucket/k",
            headers: [("x-amz-checksum-mode", "ENABLED"), ("authorization", "AWS AKIDSIGV2EXAMPLE:WzduBxTnSiUaI/UZwpT9142wUO0=")],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "headerDateChanged", .signatureMismatch, "GET", "/bucket/k",
            headers: [("x-amz-checksum-mode", "ENABLED"), ("authorization", "AWS AKIDSIGV2EXAMPLE:WzduBxTnSiUaI/UZwpT9142wUO0="), ("date", "Fri, 15 Jan 2027 08:01:00 GMT")],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "headerOtherMethod", .signatureMismatch, "DELETE", "/bucket/k",
            headers: [("x-amz-checksum-mode", "ENABLED"), ("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:WzduBxTnSiUaI/UZwpT9142wUO0=")],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "headerUnsignedNonAmzHeaderAdded", .ok, "GET", "/bucket/k",
            headers: [("x-amz-checksum-mode", "ENABLED"), ("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:WzduBxTnSiUaI/UZwpT9142wUO0="), ("x-forwarded-for", "10.0.0.1")],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "headerAmzHeaderAdded", .signatureMismatch, "GET", "/bucket/k",
            headers: [("x-amz-checksum-mode", "ENABLED"), ("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:WzduBxTnSiUaI/UZwpT9142wUO0="), ("x-amz-meta-extra", "1")],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "headerContentTypeAdded", .signatureMismatch, "GET", "/bucket/k",
            headers: [("x-amz-checksum-mode", "ENABLED"), ("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:WzduBxTnSiUaI/UZwpT9142wUO0="), ("content-type", "text/plain")],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "headerMalformedNoColon", .incomplete, "GET", "/bucket/k",
            headers: [("x-amz-checksum-mode", "ENABLED"), ("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE")],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "headerVirtualHostWithoutBucket", .signatureMismatch, "GET", "/k",
            headers: [("x-amz-checksum-mode", "ENABLED"), ("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:ozcJamjIVR+KV/v0e8inpzUYP/4=")],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "headerSessionTokenChanged", .signatureMismatch, "HEAD", "/bucket/k",
            headers: [("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:nZofN0ZsuYeyKmdgDtsq3kGjs4A="), ("x-amz-security-token", "other-token")],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "headerListObjectVersionsSubresourceDropped", .signatureMismatch, "GET", "/bucket?encoding-type=url",
            headers: [("date", "Fri, 15 Jan 2027 08:00:00 GMT"), ("authorization", "AWS AKIDSIGV2EXAMPLE:ILNbpYrmln1J+AevPsksoyn05jE=")],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "sigV4HeaderIsNotSigV2", .notSigV2, "GET", "/bucket/k",
            headers: [("authorization", "AWS4-HMAC-SHA256 Credential=AKID/20270115/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc"), ("x-amz-date", "20270115T080000Z")],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "sigV4PresignedIsNotSigV2", .notSigV2, "GET", "/bucket/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20270115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20270115T080000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=abc",
            headers: [],
            virtualHostBucket: nil, now: 1800000000),
        Vector(
            "unsignedIsNotSigV2", .notSigV2, "GET", "/bucket/k?versionId=1",
            headers: [],
            virtualHostBucket: nil, now: 1800000000),
    ]
}
