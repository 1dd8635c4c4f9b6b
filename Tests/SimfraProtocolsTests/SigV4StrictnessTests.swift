import Crypto
import SimfraCore
import Testing

@testable import SimfraProtocols

/// What AWS refuses before or beside the signature itself: the payload-hash header, the
/// credential scope's service, session tokens on long-term keys, and aws-chunked framing.
struct SigV4StrictnessTests {
    static let akid = "AKIAIOSFODNN7EXAMPLE"
    static let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    static let amzDate = "20261130T120000Z"
    static let now = AmzDate.seconds(amzDate)!
    static let root = Credential.root(accessKeyId: akid, secretAccessKey: secret, accountId: "000000000000")

    /// A request signed like an SDK would sign it (header auth) for `service`.
    static func signed(
        method: String = "PUT", uri: String = "/bucket/key", service: String = "s3", headers: [(String, String)] = [],
        body: [UInt8] = [], payloadHash: String?, s3Style: Bool = true
    ) -> AWSRequest {
        var hs: [(name: String, value: String)] = [("host", "localhost:4599"), ("x-amz-date", amzDate)]
        if let payloadHash { hs.append(("x-amz-content-sha256", payloadHash)) }
        hs += headers.map { (name: $0.0, value: $0.1) }
        let signedNames = hs.map(\.name).sorted()
        var req = AWSRequest(method: method, uri: uri, headers: hs, body: body)
        let verifier = SigV4Verifier()
        let parsed = SigV4Parsed(
            accessKeyId: akid, scopeDate: "20261130", region: "us-east-1", service: service, signedHeaders: signedNames,
            signature: "", amzDate: amzDate, presigned: false, expires: nil, securityToken: req.header("x-amz-security-token"))
        let hash = payloadHash ?? Hex.encode(digest: SHA256.hash(data: body))
        let canonical = verifier.canonicalRequest(req, parsed, payloadHash: hash, s3Style: s3Style)
        let sts = "AWS4-HMAC-SHA256\n\(amzDate)\n\(parsed.scope)\n\(Hex.encode(digest: SHA256.hash(data: Array(canonical.utf8))))"
        let key = verifier.signingKey(secret: secret, date: "20261130", region: "us-east-1", service: service)
        let sig = Hex.encode(digest: HMAC<SHA256>.authenticationCode(for: Array(sts.utf8), using: key))
        req.headers.append((
            "authorization",
            "AWS4-HMAC-SHA256 Credential=\(akid)/20261130/us-east-1/\(service)/aws4_request, SignedHeaders=\(signedNames.joined(separator: ";")), Signature=\(sig)"
        ))
        return req
    }

    static func verify(_ req: AWSRequest, s3Style: Bool = true, signingName: String? = "s3", cred: Credential = root)
        throws(SigV4Failure) -> SigV4Verifier.Verified
    {
        let parsed = try SigV4Parsed.parse(req)
        return try SigV4Verifier().verify(req, parsed: parsed, now: now, s3Style: s3Style, signingName: signingName) { _ in cred }
    }

    // MARK: x-amz-content-sha256

    @Test func payloadHashClassification() {
        #expect(PayloadHash.classify("UNSIGNED-PAYLOAD") == .unsigned)
        #expect(PayloadHash.classify("STREAMING-AWS4-HMAC-SHA256-PAYLOAD") == .streamingSigned(trailer: false))
        #expect(PayloadHash.classify("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") == .streamingSigned(trailer: true))
        #expect(PayloadHash.classify("STREAMING-UNSIGNED-PAYLOAD-TRAILER") == .streamingUnsignedTrailer)
        #expect(PayloadHash.classify("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD") == .streamingECDSA)
        #expect(PayloadHash.classify("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER") == .streamingECDSA)
        #expect(PayloadHash.classify(String(repeating: "ab", count: 32)) == .sha256)
        #expect(PayloadHash.classify(String(repeating: "AB", count: 32)) == .sha256)
        for bad in ["", "unsigned-payload", "STREAMING-", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD ", String(repeating: "a", count: 63),
                    String(repeating: "a", count: 65), String(repeating: "g", count: 64), "tjnVEQ5UTP/DL91eAGOmew=="]
        {
            #expect(PayloadHash.classify(bad) == .invalid, "\(bad)")
        }
    }

    @Test func s3RequiresTheContentSHA256Header() throws {
        let req = Self.signed(method: "GET", payloadHash: nil)
        #expect(throws: SigV4Failure.missingContentSHA256) { _ = try Self.verify(req) }
        // Other services compute it from the body.
        let sts = Self.signed(method: "POST", uri: "/", service: "sts", body: Array("Action=GetCallerIdentity".utf8),
                              payloadHash: nil, s3Style: false)
        _ = try Self.verify(sts, s3Style: false, signingName: "sts")
    }

    @Test func s3RefusesAMalformedContentSHA256() throws {
        for bad in ["abc", "UNSIGNED", String(repeating: "z", count: 64)] {
            let req = Self.signed(payloadHash: bad)
            #expect(throws: SigV4Failure.invalidContentSHA256(bad)) { _ = try Self.verify(req) }
        }
        let ecdsa = Self.signed(payloadHash: "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD")
        #expect(throws: SigV4Failure.unsupportedPayload("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD")) { _ = try Self.verify(ecdsa) }
        // A correct hash in upper case is a valid SHA-256 (compared case-insensitively).
        let body = Array("hello".utf8)
        let upper = Hex.encode(digest: SHA256.hash(data: body)).uppercased()
        _ = try Self.verify(Self.signed(body: body, payloadHash: upper))
        // ... and a wrong one is still a mismatch.
        let other = Hex.encode(digest: SHA256.hash(data: Array("bye".utf8)))
        #expect(throws: SigV4Failure.contentHashMismatch) { _ = try Self.verify(Self.signed(body: body, payloadHash: other)) }
        // Non-S3: a garbage value cannot be what the service hashed.
        let sqs = Self.signed(method: "POST", uri: "/", service: "sqs", payloadHash: "garbage", s3Style: false)
        #expect(throws: SigV4Failure.self) { _ = try Self.verify(sqs, s3Style: false, signingName: "sqs") }
    }

    // MARK: credential scope

    @Test func credentialScopeMustNameTheTargetService() throws {
        let req = Self.signed(method: "POST", uri: "/", service: "dynamodb", payloadHash: nil, s3Style: false)
        #expect(throws: SigV4Failure.wrongService(expected: "sqs", got: "dynamodb", presigned: false)) {
            _ = try Self.verify(req, s3Style: false, signingName: "sqs")
        }
        // DynamoDB Streams signs as dynamodb: its model's signing name.
        _ = try Self.verify(req, s3Style: false, signingName: "dynamodb")
        // Checked before the key is looked up.
        #expect(throws: SigV4Failure.wrongService(expected: "sts", got: "dynamodb", presigned: false)) {
            let parsed = try SigV4Parsed.parse(req)
            _ = try SigV4Verifier().verify(req, parsed: parsed, now: Self.now, s3Style: false, signingName: "sts") { _ in nil }
        }
    }

    // MARK: session tokens

    @Test func sessionTokenWithLongTermKeysIsRefused() throws {
        let req = Self.signed(method: "POST", uri: "/", service: "sts", headers: [("x-amz-security-token", "FQoGZXIvYXdzEXAMPLE")],
                              payloadHash: nil, s3Style: false)
        #expect(throws: SigV4Failure.badSessionToken) { _ = try Self.verify(req, s3Style: false, signingName: "sts") }
        // The same token on the temporary credential it belongs to is fine.
        var temp = Self.root
        temp.sessionToken = "FQoGZXIvYXdzEXAMPLE"
        _ = try Self.verify(req, s3Style: false, signingName: "sts", cred: temp)
    }

    // MARK: aws-chunked

    /// An aws-chunked body signed as SDKs sign it, chained from the seed signature.
    static func chunkedBody(_ chunks: [[UInt8]], seed: String, key: SymmetricKey, scope: String, upperSigs: Bool = false) -> [UInt8] {
        var previous = seed
        var out: [UInt8] = []
        let empty = Hex.encode(digest: SHA256.hash(data: [UInt8]()))
        for c in chunks + [[]] {
            let sts = "AWS4-HMAC-SHA256-PAYLOAD\n\(amzDate)\n\(scope)\n\(previous)\n\(empty)\n\(Hex.encode(digest: SHA256.hash(data: c)))"
            previous = Hex.encode(digest: HMAC<SHA256>.authenticationCode(for: Array(sts.utf8), using: key))
            let sig = upperSigs ? previous.uppercased() : previous
            out += Array("\(String(c.count, radix: 16));chunk-signature=\(sig)\r\n".utf8) + c + Array("\r\n".utf8)
        }
        return out
    }

    static func chunkedRequest(_ data: [UInt8], decodedLength: String?, extra: [UInt8] = [], upperSigs: Bool = false)
        throws -> (AWSRequest, SigV4Verifier.Verified)
    {
        var headers: [(String, String)] = [("content-encoding", "aws-chunked")]
        if let decodedLength { headers.append(("x-amz-decoded-content-length", decodedLength)) }
        var req = signed(headers: headers, payloadHash: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        let v = try verify(req)
        let half = data.count / 2
        req.body = chunkedBody([Array(data[..<half]), Array(data[half...])], seed: v.parsed.signature, key: v.signingKey,
                               scope: v.parsed.scope, upperSigs: upperSigs) + extra
        return (req, v)
    }

    @Test func chunkedBodyDecodesWhenEverythingMatches() throws {
        let data = Array("0123456789abcdef".utf8)
        var (req, v) = try Self.chunkedRequest(data, decodedLength: "16")
        try BodyDecoding.decode(&req, verified: v, inflateGzip: false)
        #expect(req.body == data)
    }

    @Test func decodedContentLengthMustBeAPlainNumber() throws {
        func code(_ value: String?) -> (String, Int)? {
            var hs: [(name: String, value: String)] = []
            if let value { hs.append(("x-amz-decoded-content-length", value)) }
            do {
                _ = try BodyDecoding.decodedContentLength(AWSRequest(method: "PUT", uri: "/b/k", headers: hs, body: []))
                return nil
            } catch {
                return (error.code, error.status)
            }
        }
        for bad in [nil, "", "abc", "12a", "-1", "+5", " 5", "0x10", "1e3", "99999999999999999999"] {
            #expect(code(bad).map { $0 == ("MissingContentLength", 411) } == true, "\(bad ?? "nil")")
        }
        #expect(code(String(5 * 1024 * 1024 * 1024 + 1)).map { $0 == ("EntityTooLarge", 400) } == true)
        #expect(code(String(5 * 1024 * 1024 * 1024)) == nil)
        #expect(code("0") == nil)
    }

    @Test func chunkedBodyWithWrongDeclaredLengthFails() throws {
        let data = Array("0123456789abcdef".utf8)
        for declared in ["15", "17", "1000"] {
            var (req, v) = try Self.chunkedRequest(data, decodedLength: declared)
            #expect(throws: AWSError.self, "\(declared)") { try BodyDecoding.decode(&req, verified: v, inflateGzip: false) }
            do {
                try BodyDecoding.decode(&req, verified: v, inflateGzip: false)
            } catch {
                #expect(error.code == "IncompleteBody")
            }
        }
        var (missing, mv) = try Self.chunkedRequest(data, decodedLength: nil)
        do {
            try BodyDecoding.decode(&missing, verified: mv, inflateGzip: false)
            Issue.record("a body without X-Amz-Decoded-Content-Length was accepted")
        } catch {
            #expect(error.code == "MissingContentLength" && error.status == 411)
        }
    }

    @Test func bytesAfterTheFinalChunkAreRefused() throws {
        let data = Array("0123456789abcdef".utf8)
        for extra in ["x", "\r\n", "5;chunk-signature=00\r\nhello\r\n"] {
            var (req, v) = try Self.chunkedRequest(data, decodedLength: "16", extra: Array(extra.utf8))
            #expect(throws: AWSError.self, "\(extra.debugDescription)") { try BodyDecoding.decode(&req, verified: v, inflateGzip: false) }
        }
        // Fed in pieces (as a stream is), the trailing byte arriving alone is still refused.
        let (req, v) = try Self.chunkedRequest(data, decodedLength: "16")
        var decoder = AWSChunkedDecoder(payloadHash: v.payloadHash, seedSignature: v.parsed.signature, signingKey: v.signingKey,
                                        amzDate: v.parsed.amzDate, scope: v.parsed.scope, trailerHeader: nil, expectedLength: 16)
        var out: [UInt8] = []
        try decoder.feed(req.body, into: &out)
        #expect(decoder.finished && out == data)
        #expect(throws: AWSChunkedDecoder.Failure.malformed("data after the final chunk")) { try decoder.feed([0x41], into: &out) }
    }

    @Test func chunkSignaturesAreComparedExactly() throws {
        let data = Array("0123456789abcdef".utf8)
        var (req, v) = try Self.chunkedRequest(data, decodedLength: "16", upperSigs: true)
        do {
            try BodyDecoding.decode(&req, verified: v, inflateGzip: false)
            Issue.record("upper-case chunk signatures were accepted")
        } catch {
            #expect(error.code == "SignatureDoesNotMatch" && error.status == 403)
        }
    }

    @Test func chunkLargerThanTheDeclaredLengthFailsAtOnce() throws {
        let (req, v) = try Self.chunkedRequest(Array("0123456789abcdef".utf8), decodedLength: "16")
        var decoder = AWSChunkedDecoder(payloadHash: v.payloadHash, seedSignature: v.parsed.signature, signingKey: v.signingKey,
                                        amzDate: v.parsed.amzDate, scope: v.parsed.scope, trailerHeader: nil, expectedLength: 4)
        var out: [UInt8] = []
        // The first chunk header (8 bytes of data) already exceeds 4: nothing is emitted.
        let header = Array(req.body.prefix(while: { $0 != 0x0A })) + [0x0A]
        #expect(throws: AWSChunkedDecoder.Failure.lengthMismatch) { try decoder.feed(header, into: &out) }
        #expect(out.isEmpty)
    }

    @Test func chunkSizeIsStrictHex() {
        #expect(AWSChunkedDecoder.chunkSize("10") == 16)
        #expect(AWSChunkedDecoder.chunkSize("Ff") == 255)
        #expect(AWSChunkedDecoder.chunkSize("0") == 0)
        for bad: Substring in ["", "+a", "-0", " a", "a ", "0x1", "g", "fffffffffffffff", "1234567890123456"] {
            #expect(AWSChunkedDecoder.chunkSize(bad) == nil, "\(bad)")
        }
    }
}
