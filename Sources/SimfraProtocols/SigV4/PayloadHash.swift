/// What an `x-amz-content-sha256` value declares, as S3 reads it: the body's SHA-256 in
/// hex, or one of the literal values AWS defines; anything else is refused.
package enum PayloadHash: Equatable, Sendable {
    case sha256
    case unsigned
    /// aws-chunked with HMAC chunk signatures (optionally with signed trailers).
    case streamingSigned(trailer: Bool)
    case streamingUnsignedTrailer
    /// SigV4a (ECDSA) streaming: valid to AWS, not verified by Simfra.
    case streamingECDSA
    case invalid

    package static func classify(_ v: String) -> PayloadHash {
        switch v {
        case "UNSIGNED-PAYLOAD": return .unsigned
        case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD": return .streamingSigned(trailer: false)
        case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER": return .streamingSigned(trailer: true)
        case "STREAMING-UNSIGNED-PAYLOAD-TRAILER": return .streamingUnsignedTrailer
        case "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER":
            return .streamingECDSA
        default:
            // Hex of either case, as S3 decodes it; the comparison with the body lower-cases.
            let u = v.utf8
            guard u.count == 64, u.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) })
            else { return .invalid }
            return .sha256
        }
    }
}
