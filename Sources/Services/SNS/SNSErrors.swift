import SimfraCore

/// SNS's errors with AWS's codes and wording (recorded responses: aws-recordings/services/sns).
enum SNSError {
    static func invalidParameter(_ detail: String) -> AWSError {
        AWSError(code: "InvalidParameter", message: "Invalid parameter: \(detail)", status: 400)
    }

    static let topicNotFound = AWSError(code: "NotFound", message: "Topic does not exist", status: 404)
    static let resourceNotFound = AWSError(code: "ResourceNotFound", message: "Resource does not exist", status: 404)

    /// AWS splits an ARN on `:` and reports how many parts it found when fewer than six.
    static func checkArn(_ arn: String, member: String) throws(AWSError) {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false).count
        if parts < 6 {
            throw invalidParameter("\(member) Reason: An ARN must have at least 6 elements, not \(parts)")
        }
    }
}
