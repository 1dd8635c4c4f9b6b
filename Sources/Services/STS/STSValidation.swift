import SimfraCore

/// STS's own input checks, in AWS's words. The codec has already checked the model's lengths
/// and ranges on the wire; the handler repeats the ones it depends on (so a direct call is as
/// strict) and adds the regular-expression patterns the model validator does not check.
enum STSValidation {
    /// `[\w+=,.@-]*`: role session names, federated user names, source identities.
    static let namePattern = "[\\w+=,.@-]*"

    static func validationError(_ message: String) -> AWSError {
        AWSError(code: "ValidationError", message: message, status: 400)
    }

    static func invalidParameter(_ message: String) -> AWSError {
        AWSError(code: "InvalidParameterValue", message: message, status: 400)
    }

    /// A name of `min`…`max` characters matching `[\w+=,.@-]*` (`\w` is ASCII, as in Java).
    static func name(_ value: String, member: String, min: Int, max: Int) throws(AWSError) {
        let n = value.count
        if n < min {
            throw validationError(
                "1 validation error detected: Value '\(value)' at '\(member)' failed to satisfy constraint: Member must have length greater than or equal to \(min)")
        }
        if n > max {
            throw validationError(
                "1 validation error detected: Value '\(value)' at '\(member)' failed to satisfy constraint: Member must have length less than or equal to \(max)")
        }
        for b in value.utf8 where !isNameByte(b) {
            throw validationError(
                "1 validation error detected: Value '\(value)' at '\(member)' failed to satisfy constraint: Member must satisfy regular expression pattern: \(namePattern)")
        }
    }

    static func isNameByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "_+=,.@-".utf8.contains(b)
        }
    }

    /// An ARN as STS checks a RoleArn: `arn:<partition>:<service>:<region>:<account>:<resource>`
    /// with partition, service and resource present ("<arn> is invalid" otherwise).
    static func arn(_ value: String) throws(AWSError) -> (partition: String, account: String, resource: String) {
        let parts = value.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", !parts[1].isEmpty, !parts[2].isEmpty, !parts[5].isEmpty else {
            throw validationError("\(value) is invalid")
        }
        return (String(parts[1]), String(parts[4]), String(parts[5]))
    }

    /// DurationSeconds within the model's range for the operation.
    static func duration(_ input: Value, member: String = "durationSeconds", default def: Int, min: Int, max: Int)
        throws(AWSError) -> Int
    {
        guard let v = input["DurationSeconds"]?.intValue else { return def }
        if v < Int64(min) {
            throw validationError(
                "1 validation error detected: Value '\(v)' at '\(member)' failed to satisfy constraint: Member must have value greater than or equal to \(min)")
        }
        if v > Int64(max) {
            throw validationError(
                "1 validation error detected: Value '\(v)' at '\(member)' failed to satisfy constraint: Member must have value less than or equal to \(max)")
        }
        return Int(v)
    }
}
