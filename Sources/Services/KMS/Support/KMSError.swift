import SimfraCore

/// Every error KMS answers, with AWS's wording where AWS's recorded responses show it
/// (/work/shared/aws-recordings/services/kms). KMS errors are all client faults with status 400.
enum KMSError {
    static func make(_ code: String, _ message: String, status: Int = 400) -> AWSError {
        AWSError(code: code, message: message, status: status)
    }

    static func keyNotFound(_ arn: String) -> AWSError {
        make("NotFoundException", "Key '\(arn)' does not exist")
    }

    /// A KeyId that is neither a key id, an ARN nor an alias.
    static func invalidKeyId(_ id: String) -> AWSError {
        make("NotFoundException", "Invalid keyId '\(id)'")
    }

    /// A key ARN naming another region than the request's.
    static func invalidArnRegion(_ region: String) -> AWSError {
        make("NotFoundException", "Invalid arn \(region)")
    }

    static func aliasNotFound(_ aliasArn: String) -> AWSError {
        make("NotFoundException", "Alias \(aliasArn) is not found.")
    }

    static func disabled(_ arn: String) -> AWSError {
        make("DisabledException", "\(arn) is disabled.")
    }

    static func pendingDeletion(_ arn: String) -> AWSError {
        make("KMSInvalidStateException", "\(arn) is pending deletion.")
    }

    static func pendingImport(_ arn: String) -> AWSError {
        make("KMSInvalidStateException", "\(arn) is pending import.")
    }

    static func invalidState(_ message: String) -> AWSError {
        make("KMSInvalidStateException", message)
    }

    /// KMS leaves the message of InvalidCiphertextException empty.
    static func invalidCiphertext() -> AWSError {
        make("InvalidCiphertextException", "")
    }

    static func incorrectKey() -> AWSError {
        make("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.")
    }

    static func invalidKeyUsage(_ arn: String, usage: String, operation: String) -> AWSError {
        make("InvalidKeyUsageException", "\(arn) key usage is \(usage) which is not valid for \(operation).")
    }

    static func invalidKeyUsage(_ message: String) -> AWSError {
        make("InvalidKeyUsageException", message)
    }

    static func validation(_ message: String) -> AWSError {
        make("ValidationException", message)
    }

    /// The awsJson "1 validation error detected" sentence for a member constraint.
    static func constraint(_ value: String, at member: String, _ constraint: String) -> AWSError {
        validation("1 validation error detected: Value '\(value)' at '\(member)' failed to satisfy constraint: \(constraint)")
    }

    static func alreadyExists(_ message: String) -> AWSError {
        make("AlreadyExistsException", message)
    }

    static func malformedPolicy(_ message: String = "The new key policy will not allow you to update the key policy in the future.") -> AWSError {
        make("MalformedPolicyDocumentException", message)
    }

    static func tag(_ message: String) -> AWSError {
        make("TagException", message)
    }

    static func unsupported(_ message: String) -> AWSError {
        make("UnsupportedOperationException", message)
    }

    static func invalidGrantId() -> AWSError {
        make("InvalidGrantIdException", "Grant ID not found.")
    }

    static func invalidGrantToken() -> AWSError {
        make("InvalidGrantTokenException", "Invalid grant token.")
    }

    static func invalidArn(_ message: String) -> AWSError {
        make("InvalidArnException", message)
    }

    static func invalidMarker() -> AWSError {
        make("InvalidMarkerException", "Invalid marker.")
    }

    static func dryRun() -> AWSError {
        make("DryRunOperationException", "The request would have succeeded, but the DryRun option is set.")
    }

    static func invalidSignature() -> AWSError {
        make("KMSInvalidSignatureException", "")
    }

    static func invalidMac() -> AWSError {
        make("KMSInvalidMacException", "")
    }

    static func limitExceeded(_ message: String) -> AWSError {
        make("LimitExceededException", message)
    }

    static func notAuthorized(_ message: String) -> AWSError {
        make("NotAuthorizedException", message)
    }

    static func invalidImportToken() -> AWSError {
        make("InvalidImportTokenException", "Import token is invalid or expired.")
    }
}
