import SimfraCore

/// Lambda's errors with AWS's codes, statuses and sentences (as recorded against AWS). Lambda
/// adds `Type: User` to client faults.
enum LambdaError {
    static func user(_ code: String, _ message: String, status: Int) -> AWSError {
        AWSError(code: code, message: message, status: status, extra: ["Type": "User"])
    }

    static func functionNotFound(_ arn: String) -> AWSError {
        user("ResourceNotFoundException", "Function not found: \(arn)", status: 404)
    }

    static func aliasNotFound(_ arn: String) -> AWSError {
        user("ResourceNotFoundException", "Cannot find alias arn: \(arn)", status: 404)
    }

    static func notFound(_ message: String) -> AWSError { user("ResourceNotFoundException", message, status: 404) }

    static func conflict(_ message: String) -> AWSError { user("ResourceConflictException", message, status: 409) }

    static func invalid(_ message: String) -> AWSError { user("InvalidParameterValueException", message, status: 400) }

    static func validation(_ message: String) -> AWSError {
        AWSError(code: "ValidationException", message: message, status: 400)
    }

    static func revisionMismatch(_ api: String = "GetFunction/GetAlias") -> AWSError {
        user("PreconditionFailedException",
             "The Revision Id provided does not match the latest Revision Id. Call the \(api) API to retrieve the latest Revision Id",
             status: 412)
    }

    static let roleNotAssumable = invalid("The role defined for the function cannot be assumed by Lambda.")
    static let badZip = invalid("Could not unzip uploaded file. Please check your file, then try to upload again.")
}
