/// Why a signature check failed, independent of any service's error vocabulary; the server
/// maps it to the service's own code (`SignatureDoesNotMatch`, `InvalidSignatureException`…).
package enum SigV4Failure: Error, Sendable, Equatable {
    /// No Authorization header and no presigned query.
    case missing
    /// Authorization present but malformed (missing Credential/SignedHeaders/Signature…).
    case incomplete(String)
    case unknownAccessKey(String)
    case signatureMismatch(String)
    /// Outside the 15-minute skew window.
    case timeSkewed(String)
    /// A presigned URL past its X-Amz-Expires.
    case expired(String)
    /// x-amz-content-sha256 does not match the body.
    case contentHashMismatch
    /// The session token presented does not match the temporary credential, or a session
    /// token came with long-term keys (which have none).
    case badSessionToken
    /// Temporary credentials past their expiration (the session token matched).
    case expiredToken
    /// The credential scope names another service than the one the request is for:
    /// `expected` is the target's signing name, `got` the scope's.
    case wrongService(expected: String, got: String, presigned: Bool)
    /// S3 with header auth and no x-amz-content-sha256.
    case missingContentSHA256
    /// S3: x-amz-content-sha256 neither a SHA-256 in hex nor one of AWS's literal values.
    case invalidContentSHA256(String)
    /// A literal AWS defines that Simfra does not verify (SigV4a's ECDSA streaming).
    case unsupportedPayload(String)
}
