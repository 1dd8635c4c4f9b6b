import Crypto
import SimfraCore
import Synchronization

/// Verifies AWS Signature Version 4 on requests (header and presigned forms).
///
/// Signing keys are cached per (secret, date, region, service): deriving one costs four
/// HMACs, and a client signs with the same scope all day (3.1 µs vs 11.5 µs per verify).
package final class SigV4Verifier: Sendable {
    package static let maxSkew: Double = 15 * 60
    private let keyCache = Mutex<[String: Keyed]>([:])

    /// A signing key and an HMAC already keyed with it: keying hashes the padded key twice,
    /// which was a quarter of a verification; a copy of the keyed state costs nothing.
    private struct Keyed: @unchecked Sendable {
        let key: SymmetricKey
        let mac: HMAC<SHA256>
    }

    package init() {}

    package struct Verified: Sendable {
        package var credential: Credential
        package var parsed: SigV4Parsed
        /// The body hash the client declared (x-amz-content-sha256) or computed.
        package var payloadHash: String
        /// The signing key, kept for verifying aws-chunked chunk signatures.
        package var signingKey: SymmetricKey
    }

    /// - Parameters:
    ///   - s3Style: S3 canonicalises the path without double-encoding and always uses
    ///     `x-amz-content-sha256`; every other service double-encodes.
    ///   - bodyHashKnown: false when the body is streamed and not yet read: a literal
    ///     x-amz-content-sha256 is then checked by whoever reads the stream.
    ///   - signingName: the target service's SigV4 signing name (the model's, e.g. `dynamodb`
    ///     for DynamoDB Streams); a scope naming another service is refused. nil: unchecked.
    package func verify(
        _ request: AWSRequest, parsed: SigV4Parsed, now: Double, s3Style: Bool, bodyHashKnown: Bool = true,
        signingName: String? = nil, lookup: (String) -> Credential?
    ) throws(SigV4Failure) -> Verified {
        // The scope is checked before the key, as AWS reads the credential before looking it up.
        if let signingName, parsed.service != signingName {
            throw .wrongService(expected: signingName, got: parsed.service, presigned: parsed.presigned)
        }
        // S3 demands x-amz-content-sha256 on header-signed requests and accepts only a hex
        // SHA-256 or its literal values (AWS's own order: before the signature is computed).
        let declared = request.header("x-amz-content-sha256")
        let declaredKind = declared.map(PayloadHash.classify)
        if s3Style {
            if declared == nil && !parsed.presigned { throw .missingContentSHA256 }
            if let declared, declaredKind == .invalid { throw .invalidContentSHA256(declared) }
            if let declared, declaredKind == .streamingECDSA { throw .unsupportedPayload(declared) }
        }
        guard let cred = lookup(parsed.accessKeyId) else { throw .unknownAccessKey(parsed.accessKeyId) }
        if let token = cred.sessionToken {
            if parsed.securityToken != token { throw .badSessionToken }
        } else if parsed.securityToken != nil {
            // Long-term keys have no session: AWS refuses a token sent with them.
            throw .badSessionToken
        }
        // The token is checked first: only the holder of the session learns that it expired.
        if let exp = cred.expiration, now > exp { throw .expiredToken }
        guard let t = AmzDate.seconds(parsed.amzDate) else { throw .incomplete("Invalid X-Amz-Date") }
        if parsed.presigned {
            let expires = Double(parsed.expires ?? 604_800)
            if now > t + expires {
                throw .expired(
                    "Request has expired. X-Amz-Date \(parsed.amzDate), X-Amz-Expires \(Int(expires)), now \(AmzDate.format(now))")
            }
            if t - now > Self.maxSkew { throw .timeSkewed(skewMessage(parsed.amzDate, now, late: false)) }
        } else if abs(now - t) > Self.maxSkew {
            throw .timeSkewed(skewMessage(parsed.amzDate, now, late: t < now))
        }
        guard parsed.signedHeaders.contains("host") else {
            throw .signatureMismatch("'Host' must be a 'SignedHeader' in the AWS Authorization.")
        }

        // Payload hash: declared, or computed from the (already read) body.
        let payloadHash: String
        if let declared, let declaredKind {
            switch declaredKind {
            case .invalid, .streamingECDSA:
                // Not S3 (refused above): the service hashes the body itself, so a client that
                // signed this value cannot match.
                throw .signatureMismatch(Self.mismatchMessage)
            case .sha256:
                if bodyHashKnown && Hex.encode(digest: SHA256.hash(data: request.body)) != declared.lowercased() {
                    throw .contentHashMismatch
                }
            case .unsigned, .streamingSigned, .streamingUnsignedTrailer: break
            }
            payloadHash = declared
        } else if parsed.presigned && s3Style {
            payloadHash = "UNSIGNED-PAYLOAD"
        } else {
            payloadHash = Hex.encode(digest: SHA256.hash(data: request.body))
        }

        let canonical = canonicalRequestBytes(request, parsed, payloadHash: payloadHash, s3Style: s3Style)
        var stringToSign = ByteWriter(capacity: 160)
        stringToSign.append("AWS4-HMAC-SHA256\n")
        stringToSign.append(parsed.amzDate)
        stringToSign.append(byte: 0x0A)
        stringToSign.append(parsed.scope)
        stringToSign.append(byte: 0x0A)
        stringToSign.append(Hex.encode(digest: SHA256.hash(data: canonical)))
        let keyed = keyed(secret: cred.secretAccessKey, date: parsed.scopeDate, region: parsed.region,
                          service: parsed.service)
        var hmac = keyed.mac
        hmac.update(data: stringToSign.bytes)
        let mac = hmac.finalize()
        let key = keyed.key
        guard constantTimeEquals(Hex.encode(digest: mac), parsed.signature.lowercased()) else {
            throw .signatureMismatch(Self.mismatchMessage)
        }
        return Verified(credential: cred, parsed: parsed, payloadHash: payloadHash, signingKey: key)
    }

    static let mismatchMessage =
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

    private func skewMessage(_ amzDate: String, _ now: Double, late: Bool) -> String {
        if late {
            return "Signature expired: \(amzDate) is now earlier than \(AmzDate.format(now - Self.maxSkew)) (\(AmzDate.format(now)) - 15 min.)"
        }
        return "Signature not yet current: \(amzDate) is still later than \(AmzDate.format(now + Self.maxSkew)) (\(AmzDate.format(now)) + 15 min.)"
    }

    package func canonicalRequest(_ r: AWSRequest, _ p: SigV4Parsed, payloadHash: String, s3Style: Bool) -> String {
        String(decoding: canonicalRequestBytes(r, p, payloadHash: payloadHash, s3Style: s3Style), as: UTF8.self)
    }

    /// The canonical request as bytes, built without intermediate Strings (hot path).
    func canonicalRequestBytes(_ r: AWSRequest, _ p: SigV4Parsed, payloadHash: String, s3Style: Bool) -> [UInt8] {
        var out = ByteWriter(capacity: 512)
        out.append(r.method)
        out.append(byte: 0x0A)
        out.append(canonicalURI(r.rawPath, s3Style: s3Style))
        out.append(byte: 0x0A)
        out.append(canonicalQuery(r.rawQuery, dropSignature: p.presigned))
        out.append(byte: 0x0A)
        for name in p.signedHeaders {
            out.append(name)
            out.append(byte: 0x3A)
            var first = true
            for h in r.headers where h.name == name {
                if !first { out.append(byte: 0x2C) }
                Self.appendTrimmed(h.value, into: &out.bytes)
                first = false
            }
            out.append(byte: 0x0A)
        }
        out.append(byte: 0x0A)
        for (i, name) in p.signedHeaders.enumerated() {
            if i > 0 { out.append(byte: 0x3B) }
            out.append(name)
        }
        out.append(byte: 0x0A)
        out.append(payloadHash)
        return out.bytes
    }

    func canonicalURI(_ rawPath: String, s3Style: Bool) -> String {
        if rawPath.isEmpty { return "/" }
        if rawPath == "/" { return rawPath }
        // A path of unreserved characters and slashes encodes to itself in both schemes.
        if rawPath.utf8.allSatisfy(Self.isUnreservedOrSlash) { return rawPath }
        if s3Style {
            // S3: the path is encoded once; decode what the client sent and encode it our way.
            let decoded = URLEncoding.decode(rawPath, plusIsSpace: false) ?? rawPath
            return URLEncoding.encode(decoded, keepSlash: true)
        }
        // Other services: the already-encoded path is encoded again (`%` becomes `%25`).
        return URLEncoding.encode(rawPath, keepSlash: true)
    }

    func canonicalQuery(_ rawQuery: String, dropSignature: Bool) -> String {
        if rawQuery.isEmpty { return "" }
        var pairs: [(String, String)] = []
        for (k, v) in URLEncoding.parsePairs(rawQuery, plusIsSpace: false) {
            if dropSignature && k == "X-Amz-Signature" { continue }
            pairs.append((URLEncoding.encode(k), URLEncoding.encode(v)))
        }
        pairs.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        var out = ""
        for (i, (k, v)) in pairs.enumerated() {
            if i > 0 { out += "&" }
            out += k
            out += "="
            out += v
        }
        return out
    }

    @inline(__always)
    static func isUnreservedOrSlash(_ c: UInt8) -> Bool {
        switch c {
        case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x2E, 0x5F, 0x7E, 0x2F: return true
        default: return false
        }
    }

    /// Trim and collapse runs of spaces, as SigV4's canonical header values require.
    static func trimAll(_ v: String) -> String {
        var out: [UInt8] = []
        appendTrimmed(v, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func appendTrimmed(_ v: String, into out: inout [UInt8]) {
        let start = out.count
        var pendingSpace = false
        for c in v.utf8 {
            if c == 0x20 || c == 0x09 {
                pendingSpace = out.count > start
            } else {
                if pendingSpace { out.append(0x20) }
                pendingSpace = false
                out.append(c)
            }
        }
    }

    package func signingKey(secret: String, date: String, region: String, service: String) -> SymmetricKey {
        keyed(secret: secret, date: date, region: region, service: service).key
    }

    private func keyed(secret: String, date: String, region: String, service: String) -> Keyed {
        let cacheKey = "\(secret)/\(date)/\(region)/\(service)"
        if let k = keyCache.withLock({ $0[cacheKey] }) { return k }
        var k = SymmetricKey(data: Array(("AWS4" + secret).utf8))
        for part in [date, region, service, "aws4_request"] {
            k = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: k)))
        }
        let entry = Keyed(key: k, mac: HMAC<SHA256>(key: k))
        keyCache.withLock { cache in
            if cache.count > 4096 { cache.removeAll() }
            cache[cacheKey] = entry
        }
        return entry
    }
}

@inline(__always)
func constantTimeEquals(_ a: String, _ b: String) -> Bool {
    let x = a.utf8, y = b.utf8
    guard x.count == y.count else { return false }
    var diff: UInt8 = 0
    for (p, q) in zip(x, y) { diff |= p ^ q }
    return diff == 0
}
