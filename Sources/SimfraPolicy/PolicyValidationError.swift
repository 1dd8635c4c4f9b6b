import SimfraCore

/// Why a policy document was refused, in AWS's own wording. IAM answers these as
/// `MalformedPolicyDocument`; S3 (`MalformedPolicy`) and SQS pick their own code.
package struct PolicyValidationError: Error, Sendable, Equatable {
    package var message: String

    package init(_ message: String) { self.message = message }

    package func awsError(code: String = "MalformedPolicyDocument") -> AWSError {
        AWSError(code: code, message: message, status: 400)
    }

    // IAM's wordings (identity and trust policies).
    static let syntax = PolicyValidationError("Syntax errors in policy.")
    static let invalidJSON = PolicyValidationError("This policy contains invalid Json")
    static let version = PolicyValidationError("Policy document must be version 2012-10-17 or greater.")
    static let noActions = PolicyValidationError("Policy statement must contain actions.")
    static let noResources = PolicyValidationError("Policy statement must contain resources.")
    static let principalInIdentityPolicy = PolicyValidationError("Policy document should not specify a principal.")
    static let legacyParsing = PolicyValidationError("The policy failed legacy parsing")
    static let vendorPrefix = PolicyValidationError(
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
    static let oneColon = PolicyValidationError("Actions/Condition can contain only one colon.")
    static let duplicateSid = PolicyValidationError("Statement IDs (SID) in a single policy must be unique.")
    static let sidCharacters = PolicyValidationError(
        "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
    )
    static let invalidAction = PolicyValidationError("Policy has invalid action")
    static let invalidResource = PolicyValidationError("Policy has invalid resource")
    static func missingField(_ name: String) -> PolicyValidationError {
        PolicyValidationError("Missing required field \(name)")
    }
    static func prohibitedField(_ name: String) -> PolicyValidationError {
        PolicyValidationError("Has prohibited field \(name)")
    }
    static func vendor(_ v: String) -> PolicyValidationError { PolicyValidationError("Vendor \(v) is not valid") }
    static func resourceFormat(_ r: String) -> PolicyValidationError {
        PolicyValidationError("Resource \(r) must be in ARN format or \"*\".")
    }
    static func partition(_ p: String, _ r: String) -> PolicyValidationError {
        PolicyValidationError("Partition \"\(p)\" is not valid for resource \"\(r)\".")
    }
    static func invalidPrincipal(_ key: String, _ value: String) -> PolicyValidationError {
        PolicyValidationError("Invalid principal in policy: \"\(key)\":\"\(value)\"")
    }
    static let invalidPrincipalPlain = PolicyValidationError("Invalid principal in policy")
    static func invalidEffect(_ e: String) -> PolicyValidationError { PolicyValidationError("Invalid effect: \(e)") }
}
