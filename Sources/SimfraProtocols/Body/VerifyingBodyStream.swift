import Crypto
import SimfraCore

/// Pulls raw body parts from the connection and hands the service decoded bytes, checking
/// what the signature promised on the way: aws-chunked framing and chunk signatures,
/// trailing checksums, or a literal `x-amz-content-sha256` of the whole body.
package final class VerifyingBodyStream: BodyStream {
    private let pull: () async throws -> [UInt8]?
    private var chunked: AWSChunkedDecoder?
    private var hasher: SHA256?
    private let expectedSHA256: String?
    private var done = false
    package private(set) var rawBytesRead = 0
    package let declaredLength: Int?
    package var trailers: [String: String] { chunked?.trailers ?? [:] }

    package init(verified: SigV4Verifier.Verified, request: AWSRequest, pull: @escaping () async throws -> [UInt8]?) {
        self.pull = pull
        let hash = verified.payloadHash
        if AWSChunkedDecoder.isChunked(payloadHash: hash) {
            // The dispatcher refused a missing or malformed decoded length before the body
            // was read; a nil here cannot happen and would still fail the length check below.
            let declared = try? BodyDecoding.decodedContentLength(request)
            chunked = AWSChunkedDecoder(
                payloadHash: hash, seedSignature: verified.parsed.signature, signingKey: verified.signingKey,
                amzDate: verified.parsed.amzDate, scope: verified.parsed.scope, trailerHeader: request.header("x-amz-trailer"),
                expectedLength: declared ?? 0)
            declaredLength = declared
            expectedSHA256 = nil
        } else {
            declaredLength = request.header("content-length").flatMap { Int($0) }
            if hash.utf8.count == 64 {
                hasher = SHA256()
                expectedSHA256 = hash.lowercased()
            } else {
                expectedSHA256 = nil
            }
        }
    }

    package func next() async throws -> [UInt8]? {
        while !done {
            guard let raw = try await pull() else {
                try finish()
                return nil
            }
            rawBytesRead += raw.count
            if var c = chunked {
                var out: [UInt8] = []
                out.reserveCapacity(raw.count)
                do { try c.feed(raw, into: &out) } catch { throw BodyDecoding.chunkedError(error) }
                chunked = c
                if out.isEmpty { continue }
                return out
            }
            hasher?.update(data: raw)
            return raw
        }
        return nil
    }

    private func finish() throws {
        done = true
        if let c = chunked {
            guard c.finished else {
                throw AWSError(code: "IncompleteBody", message: "The request body terminated unexpectedly", status: 400)
            }
            if declaredLength != c.decodedLength { throw BodyDecoding.chunkedError(.lengthMismatch) }
        }
        if let h = hasher, let expected = expectedSHA256, Hex.encode(digest: h.finalize()) != expected {
            throw AWSError(code: "XAmzContentSHA256Mismatch",
                           message: "The provided 'x-amz-content-sha256' header does not match what was computed.", status: 400)
        }
    }
}
