import SimfraCore
import SimfraProtocols

/// Each service family reports signature failures with its own codes and statuses; SDKs
/// match on them (DynamoDB's `UnrecognizedClientException` 400, S3's `InvalidAccessKeyId`).
enum AuthErrors {
    static func error(_ f: SigV4Failure, service: String, wire: WireProtocol, queryCompatible: Bool) -> AWSError {
        let family: Family
        if service == "s3" || service == "s3control" {
            family = .s3
        } else if wire == .json && !queryCompatible {
            family = .json
        } else if wire == .restJson {
            family = .restJson
        } else {
            family = .query
        }
        switch f {
        case .missing:
            switch family {
            case .s3: return AWSError(code: "AccessDenied", message: "Access Denied", status: 403)
            case .json: return AWSError(code: "MissingAuthenticationTokenException", message: "Request is missing Authentication Token", status: 400)
            case .restJson: return AWSError(code: "MissingAuthenticationTokenException", message: "Missing Authentication Token", status: 403)
            case .query: return AWSError(code: "MissingAuthenticationToken", message: "Request is missing Authentication Token", status: 403)
            }
        case .incomplete(let m):
            switch family {
            case .s3:
                // SigV2's malformed requests: S3 answers them as AccessDenied / InvalidArgument.
                if m.hasPrefix("Query-string authentication") || m.hasPrefix("Invalid date (should be seconds")
                    || m.hasPrefix("AWS authentication requires a valid Date")
                {
                    return AWSError(code: "AccessDenied", message: m, status: 403)
                }
                if m.hasPrefix("AWS authorization header is invalid") {
                    return AWSError(code: "InvalidArgument", message: m, status: 400,
                                    extra: ["ArgumentName": "Authorization"])
                }
                return AWSError(code: "AuthorizationHeaderMalformed", message: m, status: 400)
            case .json: return AWSError(code: "IncompleteSignatureException", message: m, status: 400)
            case .restJson: return AWSError(code: "IncompleteSignatureException", message: m, status: 403)
            case .query: return AWSError(code: "IncompleteSignature", message: m, status: 403)
            }
        case .unknownAccessKey:
            switch family {
            case .s3: return AWSError(code: "InvalidAccessKeyId", message: "The AWS Access Key Id you provided does not exist in our records.", status: 403)
            case .json: return AWSError(code: "UnrecognizedClientException", message: "The security token included in the request is invalid.", status: 400)
            case .restJson: return AWSError(code: "UnrecognizedClientException", message: "The security token included in the request is invalid.", status: 403)
            case .query: return AWSError(code: "InvalidClientTokenId", message: "The security token included in the request is invalid.", status: 403)
            }
        case .badSessionToken:
            switch family {
            case .s3: return AWSError(code: "InvalidToken", message: "The provided token is malformed or otherwise invalid.", status: 400)
            case .json: return AWSError(code: "UnrecognizedClientException", message: "The security token included in the request is invalid.", status: 400)
            default: return AWSError(code: "InvalidClientTokenId", message: "The security token included in the request is invalid.", status: 403)
            }
        case .expiredToken:
            switch family {
            case .s3: return AWSError(code: "ExpiredToken", message: "The provided token has expired.", status: 400)
            case .json: return AWSError(code: "ExpiredTokenException", message: "The security token included in the request is expired", status: 400)
            case .restJson: return AWSError(code: "ExpiredTokenException", message: "The security token included in the request is expired", status: 403)
            case .query: return AWSError(code: "ExpiredToken", message: "The security token included in the request is expired", status: 403)
            }
        case .signatureMismatch(let m):
            switch family {
            case .s3: return AWSError(code: "SignatureDoesNotMatch", message: "The request signature we calculated does not match the signature you provided. Check your key and signing method.", status: 403)
            case .json: return AWSError(code: "InvalidSignatureException", message: m, status: 400)
            case .restJson: return AWSError(code: "InvalidSignatureException", message: m, status: 403)
            case .query: return AWSError(code: "SignatureDoesNotMatch", message: m, status: 403)
            }
        case .timeSkewed(let m):
            switch family {
            case .s3: return AWSError(code: "RequestTimeTooSkewed", message: "The difference between the request time and the current time is too large.", status: 403)
            case .json: return AWSError(code: "InvalidSignatureException", message: m, status: 400)
            case .restJson: return AWSError(code: "InvalidSignatureException", message: m, status: 403)
            case .query: return AWSError(code: "SignatureDoesNotMatch", message: m, status: 403)
            }
        case .expired(let m):
            switch family {
            case .s3: return AWSError(code: "AccessDenied", message: "Request has expired", status: 403)
            default: return AWSError(code: family == .query ? "SignatureDoesNotMatch" : "InvalidSignatureException",
                                     message: m, status: family == .json ? 400 : 403)
            }
        case .wrongService(let expected, let got, let presigned):
            // S3 names the scope's service; the others name their own (with AWS's trailing
            // ". ", as real AWS sends it).
            let m = "Credential should be scoped to correct service: '\(expected)'. "
            switch family {
            case .s3:
                if presigned {
                    return AWSError(code: "AuthorizationQueryParametersError",
                                    message: "Error parsing the X-Amz-Credential parameter; incorrect service \"\(got)\". This endpoint belongs to \"s3\".",
                                    status: 400)
                }
                return AWSError(code: "AuthorizationHeaderMalformed",
                                message: "The authorization header is malformed; incorrect service \"\(got)\". This endpoint belongs to \"s3\".",
                                status: 400)
            case .json: return AWSError(code: "InvalidSignatureException", message: m, status: 400)
            case .restJson: return AWSError(code: "InvalidSignatureException", message: m, status: 403)
            case .query: return AWSError(code: "SignatureDoesNotMatch", message: m, status: 403)
            }
        case .missingContentSHA256:
            return AWSError(code: "InvalidRequest", message: "Missing required header for this request: x-amz-content-sha256",
                            status: 400)
        case .invalidContentSHA256(let v):
            return AWSError(
                code: "InvalidArgument",
                message: "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
                status: 400, extra: ["ArgumentName": "x-amz-content-sha256", "ArgumentValue": .string(v)])
        case .unsupportedPayload:
            return AWSError(code: "NotImplemented",
                            message: "A header you provided implies functionality that is not implemented",
                            status: 501, extra: ["Header": "x-amz-content-sha256"])
        case .contentHashMismatch:
            return AWSError(code: "XAmzContentSHA256Mismatch",
                            message: "The provided 'x-amz-content-sha256' header does not match what was computed.", status: 400)
        }
    }

    private enum Family { case s3, json, restJson, query }
}
