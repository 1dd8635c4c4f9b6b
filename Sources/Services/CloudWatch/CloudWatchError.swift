import SimfraCore

/// CloudWatch's errors, thrown by model shape name (the codec sends the awsQuery code, e.g.
/// `InvalidParameterValue`, to query clients and in `x-amzn-query-error`). Wording from
/// recorded AWS responses (aws-recordings/services/cloudwatch).
enum CloudWatchError {
    static func invalidValue(_ message: String) -> AWSError {
        AWSError(code: "InvalidParameterValueException", message: message)
    }

    static func combination(_ message: String) -> AWSError {
        AWSError(code: "InvalidParameterCombinationException", message: message)
    }

    static func missing(_ member: String) -> AWSError {
        AWSError(code: "MissingRequiredParameterException", message: "The parameter \(member) is required.")
    }

    /// SetAlarmState/DescribeAlarmHistory on an alarm that does not exist: AWS sends no message.
    static let alarmNotFound = AWSError(code: "ResourceNotFound", message: "", status: 404)

    static func resourceNotFound(_ message: String) -> AWSError {
        AWSError(code: "ResourceNotFoundException", message: message, status: 404)
    }

    static let invalidNextToken = AWSError(code: "InvalidNextToken", message: "The service couldn't process the NextToken.")
}
