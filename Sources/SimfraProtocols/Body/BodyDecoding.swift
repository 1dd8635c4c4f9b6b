import SimfraCore

/// Undoes the body encodings a verified request may carry, in the order the client applied
/// them: aws-chunked framing (signed chunks verified) and then gzip.
package enum BodyDecoding {
    /// Largest body a gzip request may inflate to.
    package static let inflateLimit = 64 * 1024 * 1024

    /// Largest decoded aws-chunked body: S3's 5 GiB for a single PUT or a part.
    package static let maxDecodedLength = 5 * 1024 * 1024 * 1024

    /// X-Amz-Decoded-Content-Length of an aws-chunked request, as S3 demands it: present and
    /// a plain decimal (else 411 MissingContentLength, as S3 answers), and no larger than
    /// an object may be.
    package static func decodedContentLength(_ r: AWSRequest) throws(AWSError) -> Int {
        guard let raw = r.header("x-amz-decoded-content-length"), let n = parseDecimal(raw) else {
            throw AWSError(code: "MissingContentLength", message: "You must provide the Content-Length HTTP header.",
                           status: 411)
        }
        if n > maxDecodedLength {
            throw AWSError(code: "EntityTooLarge", message: "Your proposed upload exceeds the maximum allowed size", status: 400,
                           extra: ["ProposedSize": .integer(Int64(n)), "MaxSizeAllowed": .integer(Int64(maxDecodedLength))])
        }
        return n
    }

    /// 1 to 18 ASCII digits (fits an Int), nothing else: no sign, spaces or hex.
    static func parseDecimal(_ s: String) -> Int? {
        let u = s.utf8
        guard !u.isEmpty, u.count <= 18 else { return nil }
        var v = 0
        for c in u {
            guard c >= 0x30 && c <= 0x39 else { return nil }
            v = v * 10 + Int(c - 0x30)
        }
        return v
    }

    package static func decode(_ r: inout AWSRequest, verified: SigV4Verifier.Verified, inflateGzip: Bool) throws(AWSError) {
        if AWSChunkedDecoder.isChunked(payloadHash: verified.payloadHash) {
            let declared = try decodedContentLength(r)
            var decoder = AWSChunkedDecoder(
                payloadHash: verified.payloadHash, seedSignature: verified.parsed.signature,
                signingKey: verified.signingKey, amzDate: verified.parsed.amzDate, scope: verified.parsed.scope,
                trailerHeader: r.header("x-amz-trailer"), expectedLength: declared)
            var out: [UInt8] = []
            out.reserveCapacity(r.body.count)
            do {
                try decoder.feed(r.body, into: &out)
            } catch {
                throw chunkedError(error)
            }
            guard decoder.finished else {
                throw AWSError(code: "IncompleteBody", message: "The request body terminated unexpectedly", status: 400)
            }
            if declared != out.count { throw chunkedError(.lengthMismatch) }
            r.body = out
            // The trailing checksum becomes an ordinary header for the handler.
            for (k, v) in decoder.trailers where k.hasPrefix("x-amz-checksum-") { r.headers.append((k, v)) }
            r.headers.removeAll { $0.name == "content-encoding" && $0.value.lowercased() == "aws-chunked" }
            r.headers = r.headers.map { h in
                if h.name == "content-encoding" {
                    let rest = h.value.split(separator: ",").map { $0.trimmingCharacters(in: " ") }.filter { $0 != "aws-chunked" }
                    return (h.name, rest.joined(separator: ","))
                }
                return h
            }
        }
        if inflateGzip, let enc = r.header("content-encoding")?.lowercased(), enc.contains("gzip") {
            do {
                r.body = try Gzip.inflate(r.body, limit: inflateLimit)
            } catch {
                switch error {
                case .tooLarge:
                    throw AWSError(code: "RequestEntityTooLarge", message: "The decompressed request body is too large", status: 413)
                case .corrupt:
                    throw AWSError(code: "InvalidRequest", message: "The request body is not valid gzip data", status: 400)
                }
            }
            r.headers.removeAll { $0.name == "content-encoding" }
        }
    }

    package static func chunkedError(_ f: AWSChunkedDecoder.Failure) -> AWSError {
        switch f {
        case .malformed(let m): return AWSError(code: "InvalidRequest", message: "Invalid aws-chunked body: \(m)", status: 400)
        case .badChunkSignature:
            return AWSError(code: "SignatureDoesNotMatch",
                            message: "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
                            status: 403)
        case .badChecksum(let a):
            return AWSError(code: "BadDigest", message: "The \(a.uppercased()) you specified did not match the calculated checksum.", status: 400)
        case .lengthMismatch:
            return AWSError(code: "IncompleteBody",
                            message: "You did not provide the number of bytes specified by the Content-Length HTTP header", status: 400)
        }
    }
}
