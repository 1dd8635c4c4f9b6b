import SimfraCore

/// Scheduler's errors with AWS's codes, statuses and wording.
enum SchedulerError {
    static func validation(_ message: String) -> AWSError {
        AWSError(code: "ValidationException", message: message, status: 400)
    }

    static func invalidExpression(_ expression: String) -> AWSError {
        validation("Invalid Schedule Expression \(expression).")
    }

    static func scheduleNotFound(_ name: String) -> AWSError {
        AWSError(code: "ResourceNotFoundException", message: "Schedule \(name) does not exist.", status: 404)
    }

    static func groupNotFound(_ name: String) -> AWSError {
        AWSError(code: "ResourceNotFoundException", message: "Schedule group \(name) does not exist.", status: 404)
    }

    static func scheduleExists(_ name: String) -> AWSError {
        AWSError(code: "ConflictException", message: "Schedule \(name) already exists.", status: 409)
    }

    static func groupExists(_ name: String) -> AWSError {
        AWSError(code: "ConflictException", message: "Schedule group \(name) already exists.", status: 409)
    }
}
