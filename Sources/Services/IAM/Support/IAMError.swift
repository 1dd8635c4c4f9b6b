import SimfraCore

/// IAM's error codes and AWS's wording for them.
enum IAMError {
    static func noSuchEntity(_ message: String) -> AWSError {
        AWSError(code: "NoSuchEntity", message: message, status: 404)
    }

    static func alreadyExists(_ message: String) -> AWSError {
        AWSError(code: "EntityAlreadyExists", message: message, status: 409)
    }

    static func deleteConflict(_ message: String) -> AWSError {
        AWSError(code: "DeleteConflict", message: message, status: 409)
    }

    static func limitExceeded(_ message: String) -> AWSError {
        AWSError(code: "LimitExceeded", message: message, status: 409)
    }

    static func invalidInput(_ message: String) -> AWSError {
        AWSError(code: "InvalidInput", message: message, status: 400)
    }

    static func validation(_ message: String) -> AWSError {
        AWSError(code: "ValidationError", message: message, status: 400)
    }

    static func malformedPolicy(_ message: String) -> AWSError {
        AWSError(code: "MalformedPolicyDocument", message: message, status: 400)
    }

    static func unmodifiable(_ message: String) -> AWSError {
        AWSError(code: "UnmodifiableEntity", message: message, status: 400)
    }

    static func noSuchUser(_ name: String) -> AWSError { noSuchEntity("The user with name \(name) cannot be found.") }
    static func noSuchGroup(_ name: String) -> AWSError { noSuchEntity("The group with name \(name) cannot be found.") }
    static func noSuchRole(_ name: String) -> AWSError { noSuchEntity("The role with name \(name) cannot be found.") }
    static func noSuchPolicy(_ arn: String) -> AWSError { noSuchEntity("Policy \(arn) was not found.") }
    static func notAttachable(_ arn: String) -> AWSError {
        noSuchEntity("Policy \(arn) does not exist or is not attachable.")
    }
    static func noSuchInstanceProfile(_ name: String) -> AWSError {
        noSuchEntity("Instance Profile \(name) cannot be found.")
    }
    static func invalidArn(_ arn: String) -> AWSError { invalidInput("ARN \(arn) is not valid.") }
}
