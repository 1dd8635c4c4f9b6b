import SimfraCore
import SimfraProtocols

/// An IAM denial in the service's own error shape, as the SDKs parse it: S3 and the query
/// services answer 403 `AccessDenied`, DynamoDB-style JSON services 400
/// `AccessDeniedException`, REST-JSON services 403 `AccessDeniedException`; SQS (JSON, query
/// compatible) 403 `AccessDenied` through its query code.
enum AccessDenied {
    /// - Parameter message: AWS's sentence naming the caller, action and resource; nil for an
    ///   anonymous caller, who gets the bare "Access Denied".
    static func error(_ message: String?, service: String, wire: WireProtocol, queryCompatible: Bool) -> AWSError {
        let text = message ?? "Access Denied"
        if service == "s3" || service == "s3control" {
            return AWSError(code: "AccessDenied", message: text, status: 403)
        }
        switch wire {
        case .json where queryCompatible:
            return AWSError(code: "AccessDeniedException", message: text, status: 403, queryCode: "AccessDenied")
        case .json, .rpcv2Cbor:
            return AWSError(code: "AccessDeniedException", message: text, status: 400)
        case .restJson:
            return AWSError(code: "AccessDeniedException", message: text, status: 403)
        default:
            return AWSError(code: "AccessDenied", message: text, status: 403)
        }
    }
}
