import SimfraCore

/// Undoes the body encodings a verified request may carry, in the order the client applied
/// them: aws-chunked framing (signed chunks verified) and then gzip.
package enum BodyDecoding {
    /// Largest body a gzip request may inflate to.
    package static let inflateLimit = 64 * 1024 * 1024

    package static func decode(_ r: inout AWSRequest, verified: SigV4Verifier.Verified, inflateGzip: Bool) throws(AWSError) {
        if AWSChunkedDecoder.isChunked(payloadHash: verified.payloadHash) {
            var decoder = AWSChunkedDecoder(
                payloadHash: verified.payloadHash, seedSignature: verified.parsed.signature,
                signingKey: verified.signingKey, amzDate: verified.parsed.amzDate, scope: verified.parsed.scope,
                trailerHeader: r.header("x-amz-trailer"))
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
            if let declared = r.header("x-amz-decoded-content-length"), Int(declared) != out.count {
                throw AWSError(code: "IncompleteBody",
                               message: "You did not provide the number of bytes specified by the Content-Length HTTP header", status: 400)
            }
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
            return AWSError(code: "IncompleteBody", message: "The request body terminated unexpectedly", status: 400)
        }
    }
}
