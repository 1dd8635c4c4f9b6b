import SimfraCore

/// CloudWatch Logs' errors, worded as recorded in /work/shared/aws-recordings/services/logs.
enum LogsError {
    static func groupNotFound() -> AWSError {
        AWSError(code: "ResourceNotFoundException", message: "The specified log group does not exist.")
    }
    static func streamNotFound() -> AWSError {
        AWSError(code: "ResourceNotFoundException", message: "The specified log stream does not exist.")
    }
    static func groupExists() -> AWSError {
        AWSError(code: "ResourceAlreadyExistsException", message: "The specified log group already exists")
    }
    static func streamExists() -> AWSError {
        AWSError(code: "ResourceAlreadyExistsException", message: "The specified log stream already exists")
    }
    static func nameTooLong() -> AWSError {
        invalidParameter("Invalid LogGroup or LogStream, both must have length less than or equal to 512.")
    }
    static func invalidParameter(_ m: String) -> AWSError { AWSError(code: "InvalidParameterException", message: m) }
    static func invalidToken() -> AWSError { invalidParameter("The specified nextToken is invalid.") }
    /// FilterLogEvents says "Invalid filter pattern"; metric and subscription filters name themselves.
    static func invalidPattern(_ kind: String = "") -> AWSError {
        invalidParameter(kind.isEmpty ? "Invalid filter pattern" : "Invalid \(kind) filter pattern")
    }
    static func metricFilterNotFound() -> AWSError {
        AWSError(code: "ResourceNotFoundException", message: "The specified metric filter does not exist.")
    }
    static func subscriptionFilterNotFound() -> AWSError {
        AWSError(code: "ResourceNotFoundException", message: "The specified subscription filter does not exist.")
    }
    static func destinationNotFound() -> AWSError {
        AWSError(code: "ResourceNotFoundException", message: "The specified destination does not exist.")
    }
    static func policyNotFound(_ name: String) -> AWSError {
        AWSError(code: "ResourceNotFoundException", message: "Policy with name [\(name)] does not exist.")
    }
    static func limitExceeded() -> AWSError { AWSError(code: "LimitExceededException", message: "Resource limit exceeded.") }
    static func validation(_ value: String, _ member: String, _ constraint: String) -> AWSError {
        invalidParameter("1 validation error detected: Value '\(value)' at '\(member)' failed to satisfy constraint: \(constraint)")
    }
}
