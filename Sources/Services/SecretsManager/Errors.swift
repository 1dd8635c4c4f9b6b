import SimfraCore

/// Secrets Manager's errors, with AWS's wording where it was recorded
/// (/work/shared/aws-recordings/services/secretsmanager) or documented.
enum SMError {
    static func notFound() -> AWSError {
        AWSError(code: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret.")
    }

    static func markedForDeletion() -> AWSError {
        AWSError(code: "InvalidRequestException",
                 message: "You can't perform this operation on the secret because it was marked for deletion.")
    }

    static func invalidName() -> AWSError {
        AWSError(code: "ValidationException",
                 message: "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")
    }

    static func invalidParameter(_ m: String) -> AWSError { AWSError(code: "InvalidParameterException", message: m) }
    static func invalidRequest(_ m: String) -> AWSError { AWSError(code: "InvalidRequestException", message: m) }

    static func exists(_ name: String) -> AWSError {
        AWSError(code: "ResourceExistsException", message: "The operation failed because the secret \(name) already exists.")
    }

    static func versionExists() -> AWSError {
        AWSError(code: "ResourceExistsException",
                 message: "You can't modify an existing version, you can only create new versions.")
    }

    static func noValueForStage(_ stage: String) -> AWSError {
        AWSError(code: "ResourceNotFoundException",
                 message: "Secrets Manager can't find the specified secret value for staging label: \(stage)")
    }

    static func noValueForVersion(_ id: String) -> AWSError {
        AWSError(code: "ResourceNotFoundException",
                 message: "Secrets Manager can't find the specified secret value for VersionId: \(id)")
    }

    static func replicaReadOnly() -> AWSError {
        invalidRequest("Operation not permitted on a replica secret. Call must be made in primary secret's region.")
    }

    static func tokenRequired() -> AWSError {
        invalidRequest("You must provide a ClientRequestToken value. We recommend a UUID-type value.")
    }

    /// What a KMS failure becomes. AWS answers `AccessDeniedException` "Access to KMS is not
    /// allowed" when the caller may not use the key, `DecryptionFailure`/`EncryptionFailure`
    /// when the key cannot be used (disabled, pending deletion, not found, wrong key).
    static func kms(_ error: any Error, decrypting: Bool) -> AWSError {
        guard let e = error as? AWSError else { return .internalFailure("KMS call failed: \(error)") }
        switch e.code {
        case "AccessDeniedException":
            return AWSError(code: "AccessDeniedException", message: "Access to KMS is not allowed")
        case "NotImplemented", "ServiceUnavailable":
            return AWSError(code: "InternalServiceError", message: "KMS is not available: \(e.message)", status: 500)
        default:
            if decrypting {
                return AWSError(code: "DecryptionFailure",
                                message: "Secrets Manager can't decrypt the protected secret text using the provided KMS key.")
            }
            // AWS passes KMS's reason on ("Secrets Manager can't encrypt the secret value: Key
            // 'arn:aws:kms:…' does not exist (Service: AWSKMS; …; Error Code: NotFoundException…").
            return AWSError(
                code: "EncryptionFailure",
                message: "Secrets Manager can't encrypt the secret value: \(e.message) (Service: AWSKMS; Status Code: \(e.status); Error Code: \(e.code))")
        }
    }
}
