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
    /// The session token presented does not match the temporary credential.
    case badSessionToken
}
