import Crypto
import SimfraCore
import Testing

@testable import SimfraS3

@Suite struct ByteRangeTests {
    @Test(arguments: [
        ("bytes=0-9", ByteRange.satisfiable(start: 0, end: 9)),
        ("bytes=90-", .satisfiable(start: 90, end: 99)),
        ("bytes=-10", .satisfiable(start: 90, end: 99)),
        ("bytes=-500", .satisfiable(start: 0, end: 99)),
        ("bytes=50-1000", .satisfiable(start: 50, end: 99)),
        ("bytes=100-", .unsatisfiable),
        ("bytes=-0", .unsatisfiable),
        ("bytes=9-2", .ignore),
        ("bytes=0-1,5-6", .ignore),
        ("items=0-1", .ignore),
        ("bytes=a-b", .ignore),
        ("bytes=", .ignore),
    ])
    func parse(_ header: String, _ expected: ByteRange) {
        #expect(ByteRange.parse(header, size: 100) == expected)
    }

    @Test func absentAndEmptyObject() {
        #expect(ByteRange.parse(nil, size: 10) == .ignore)
        #expect(ByteRange.parse("bytes=0-", size: 0) == .unsatisfiable)
    }

    @Test func copyRange() {
        #expect(ByteRange.parseCopyRange("bytes=0-9", size: 10) == (true, 0, 9, true))
        #expect(ByteRange.parseCopyRange("bytes=0-10", size: 10).inBounds == false)
        #expect(ByteRange.parseCopyRange("bytes=5-", size: 10).valid == false)
        #expect(ByteRange.parseCopyRange("bytes=5-4", size: 10).valid == false)
    }
}

@Suite struct ConditionTests {
    let etag = "\"abc\""
    let modified = 1_000_000.0

    @Test func ifMatchAndIfUnmodifiedSince() {
        #expect(Conditions(ifMatch: "\"abc\"").evaluate(etag: etag, lastModified: modified) == .proceed)
        #expect(Conditions(ifMatch: "abc").evaluate(etag: etag, lastModified: modified) == .proceed)
        #expect(Conditions(ifMatch: "\"x\", W/\"abc\"").evaluate(etag: etag, lastModified: modified) == .proceed)
        #expect(Conditions(ifMatch: "*").evaluate(etag: etag, lastModified: modified) == .proceed)
        #expect(Conditions(ifMatch: "\"x\"").evaluate(etag: etag, lastModified: modified) == .preconditionFailed("If-Match"))
        #expect(Conditions(ifUnmodifiedSince: modified - 1).evaluate(etag: etag, lastModified: modified)
            == .preconditionFailed("If-Unmodified-Since"))
        #expect(Conditions(ifUnmodifiedSince: modified).evaluate(etag: etag, lastModified: modified + 0.5) == .proceed)
        // If-Match true wins over a failing If-Unmodified-Since.
        #expect(Conditions(ifMatch: etag, ifUnmodifiedSince: 0).evaluate(etag: etag, lastModified: modified) == .proceed)
    }

    @Test func ifNoneMatchAndIfModifiedSince() {
        #expect(Conditions(ifNoneMatch: etag).evaluate(etag: etag, lastModified: modified) == .notModified)
        #expect(Conditions(ifNoneMatch: "*").evaluate(etag: etag, lastModified: modified) == .notModified)
        #expect(Conditions(ifNoneMatch: "\"x\"").evaluate(etag: etag, lastModified: modified) == .proceed)
        #expect(Conditions(ifModifiedSince: modified).evaluate(etag: etag, lastModified: modified) == .notModified)
        #expect(Conditions(ifModifiedSince: modified - 1).evaluate(etag: etag, lastModified: modified) == .proceed)
        // If-None-Match failing (no match) makes If-Modified-Since irrelevant.
        #expect(Conditions(ifNoneMatch: "\"x\"", ifModifiedSince: modified + 10).evaluate(etag: etag, lastModified: modified) == .proceed)
        // 412 is checked before 304.
        #expect(Conditions(ifMatch: "\"x\"", ifNoneMatch: etag).evaluate(etag: etag, lastModified: modified)
            == .preconditionFailed("If-Match"))
    }

    @Test func copySourceConditionsAreAll412() {
        #expect(Conditions(ifNoneMatch: etag).evaluateForCopy(etag: etag, lastModified: modified)
            == .preconditionFailed("x-amz-copy-source-If-None-Match"))
        #expect(Conditions(ifMatch: "\"x\"").evaluateForCopy(etag: etag, lastModified: modified)
            == .preconditionFailed("x-amz-copy-source-If-Match"))
    }
}

@Suite struct BucketRuleTests {
    @Test(arguments: ["abc", "my-bucket", "my.bucket.1", "a" + String(repeating: "b", count: 61) + "c", "123"])
    func validNames(_ name: String) { #expect(BucketRules.isValidName(name)) }

    @Test(arguments: ["ab", String(repeating: "a", count: 64), "Abc", "-abc", "abc-", "a..b", "a.-b", "a-.b", "a_b",
                      "192.168.0.1", "xn--abc", "sthree-abc", "amzn-s3-demo-x", "abc-s3alias", "abc--ol-s3", "abc.mrap",
                      "abc--x-s3", "abc--table-s3", "ab c", ""])
    func invalidNames(_ name: String) { #expect(!BucketRules.isValidName(name)) }

    @Test func regions() throws {
        #expect(try BucketRules.resolveRegion(constraint: nil, requestRegion: "us-east-1") == ("us-east-1", nil))
        #expect(try BucketRules.resolveRegion(constraint: "eu-west-1", requestRegion: "eu-west-1") == ("eu-west-1", "eu-west-1"))
        #expect(try BucketRules.resolveRegion(constraint: "EU", requestRegion: "us-east-1") == ("eu-west-1", "EU"))
        #expect(try BucketRules.resolveRegion(constraint: "ap-south-2", requestRegion: "us-east-1").region == "ap-south-2")
        #expect(throws: AWSError.self) { try BucketRules.resolveRegion(constraint: nil, requestRegion: "eu-west-1") }
        #expect(throws: AWSError.self) { try BucketRules.resolveRegion(constraint: "us-east-1", requestRegion: "us-east-1") }
        #expect(throws: AWSError.self) { try BucketRules.resolveRegion(constraint: "mars-1", requestRegion: "us-east-1") }
        do {
            _ = try BucketRules.resolveRegion(constraint: "eu-west-2", requestRegion: "eu-west-1")
            Issue.record("expected IllegalLocationConstraintException")
        } catch {
            #expect(error.code == "IllegalLocationConstraintException")
        }
    }
}

@Suite struct MultipartRuleTests {
    static let mib: Int64 = 1024 * 1024

    func part(_ n: Int, _ size: Int64, _ etag: String) -> Part {
        Part(number: n, size: size, etag: "\"\(etag)\"", lastModified: 0, blobPath: nil, checksum: nil)
    }

    @Test func etagIsMD5OfPartMD5s() {
        let bodies: [[UInt8]] = [Array(repeating: 1, count: 10), Array(repeating: 2, count: 20)]
        let etags = bodies.map { Digests.quotedETag(Array(Insecure.MD5.hash(data: $0))) }
        var outer = Insecure.MD5()
        for b in bodies { outer.update(data: Array(Insecure.MD5.hash(data: b))) }
        let expected = "\"" + Hex.encode(Array(outer.finalize())) + "-2\""
        #expect(Digests.multipartETag(etags) == expected)
    }

    @Test func selectsInOrderAndEnforcesRules() throws {
        let parts = [1: part(1, 5 * Self.mib, "a"), 2: part(2, 5 * Self.mib, "b"), 3: part(3, 10, "c"), 5: part(5, 10, "e")]
        let ok = try MultipartRules.select([.init(number: 1, etag: "a"), .init(number: 2, etag: "\"b\""), .init(number: 3, etag: "c")],
                                           from: parts, uploadId: "u")
        #expect(ok.map(\.number) == [1, 2, 3])
        // Skipping parts is allowed.
        #expect(try MultipartRules.select([.init(number: 1, etag: "a"), .init(number: 3, etag: "c")], from: parts,
                                          uploadId: "u").count == 2)
        func code(_ req: [MultipartRules.Requested]) -> String? {
            do {
                _ = try MultipartRules.select(req, from: parts, uploadId: "u")
                return nil
            } catch { return error.code }
        }
        #expect(code([.init(number: 2, etag: "b"), .init(number: 1, etag: "a")]) == "InvalidPartOrder")
        #expect(code([.init(number: 1, etag: "a"), .init(number: 1, etag: "a")]) == "InvalidPartOrder")
        #expect(code([.init(number: 4, etag: "d")]) == "InvalidPart")
        #expect(code([.init(number: 1, etag: "wrong")]) == "InvalidPart")
        #expect(code([.init(number: 3, etag: "c"), .init(number: 5, etag: "e")]) == "EntityTooSmall")
        #expect(code([]) == "MalformedXML")
        #expect(code([.init(number: 5, etag: "e")]) == nil)  // a lone small part is fine
    }

    @Test func checksumMismatchIsInvalidPart() {
        var p = part(1, 10, "a")
        p.checksum = "AAAAAA=="
        do {
            _ = try MultipartRules.select([.init(number: 1, etag: "a", checksum: "BBBBBB==")], from: [1: p], uploadId: "u")
            Issue.record("expected InvalidPart")
        } catch {
            #expect(error.code == "InvalidPart")
        }
    }

    @Test func fullObjectCRCCombinesParts() {
        let a: [UInt8] = Array("hello, ".utf8)
        let b: [UInt8] = Array("multipart world".utf8)
        for alg in ["CRC32", "CRC32C", "CRC64NVME"] {
            var whole = BodyDigest(algorithm: alg)
            whole.update(a + b)
            let expected = whole.finish().checksum!
            var da = BodyDigest(algorithm: alg)
            da.update(a)
            var db = BodyDigest(algorithm: alg)
            db.update(b)
            let combined = Digests.multipartChecksum(
                algorithm: alg, type: "FULL_OBJECT",
                parts: [(da.finish().checksum!, Int64(a.count)), (db.finish().checksum!, Int64(b.count))])
            #expect(combined == expected, "\(alg)")
        }
    }

    @Test func compositeChecksumHasPartCount() {
        var d = BodyDigest(algorithm: "SHA256")
        d.update([1, 2, 3])
        let part = d.finish().checksum!
        let composite = Digests.multipartChecksum(algorithm: "SHA256", type: "COMPOSITE", parts: [(part, 3), (part, 3)])!
        #expect(composite.hasSuffix("-2"))
        let raw = Array(SHA256.hash(data: [1, 2, 3]))
        let expected = Array(SHA256.hash(data: raw + raw))
        #expect(composite == Base64Test.encode(expected) + "-2")
    }
}

enum Base64Test {
    static func encode(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var out = ""
        var i = 0
        while i < bytes.count {
            let b0 = Int(bytes[i]), b1 = i + 1 < bytes.count ? Int(bytes[i + 1]) : 0, b2 = i + 2 < bytes.count ? Int(bytes[i + 2]) : 0
            out.append(table[b0 >> 2])
            out.append(table[((b0 & 3) << 4) | (b1 >> 4)])
            out.append(i + 1 < bytes.count ? table[((b1 & 15) << 2) | (b2 >> 6)] : "=")
            out.append(i + 2 < bytes.count ? table[b2 & 63] : "=")
            i += 3
        }
        return out
    }
}
