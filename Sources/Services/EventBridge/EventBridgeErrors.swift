import SimfraCore

/// EventBridge's errors with AWS's codes and wording (recorded responses:
/// aws-recordings/services/events).
enum EventsError {
    static func validation(_ message: String) -> AWSError {
        AWSError(code: "ValidationException", message: message, status: 400)
    }

    static func notFound(_ message: String) -> AWSError {
        AWSError(code: "ResourceNotFoundException", message: message, status: 400)
    }

    static func busNotFound(_ name: String) -> AWSError { notFound("Event bus \(name) does not exist.") }

    static func ruleNotFound(_ name: String, bus: String) -> AWSError {
        notFound("Rule \(name) does not exist on EventBus \(bus).")
    }

    static func alreadyExists(_ message: String) -> AWSError {
        AWSError(code: "ResourceAlreadyExistsException", message: message, status: 400)
    }

    static func invalidPattern(_ reason: String) -> AWSError {
        AWSError(code: "InvalidEventPatternException", message: "Event pattern is not valid. Reason: \(reason)",
                 status: 400)
    }

    static let limitExceeded = AWSError(
        code: "LimitExceededException", message: "The requested resource exceeds the maximum number allowed.",
        status: 400)

    /// The model carries no patterns for names, so the handler checks them with AWS's
    /// validation sentence (`[\.\-_A-Za-z0-9]+`).
    static func checkName(_ value: String, member: String) throws(AWSError) {
        let ok = !value.isEmpty && value.unicodeScalars.allSatisfy {
            ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9")
                || $0 == "." || $0 == "-" || $0 == "_"
        }
        if !ok {
            throw validation(
                "1 validation error detected: Value '\(value)' at '\(member)' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+")
        }
    }
}
