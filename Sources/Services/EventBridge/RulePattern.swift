import SimfraCore
import SimfraEventing

/// A rule's event pattern, compiled once when the rule is put and matched per event, by the
/// shared matcher in SimfraEventing (the one SNS filter policies and TestEventPattern use).
struct RulePattern: Sendable {
    let pattern: EventPattern

    /// AWS's `InvalidEventPatternException` with the matcher's reason.
    init(_ json: String) throws(AWSError) {
        do {
            pattern = try EventPattern(json: json)
        } catch {
            throw AWSError(code: "InvalidEventPatternException", message: error.eventBridgeMessage, status: 400)
        }
    }

    func matches(_ event: Value) -> Bool { pattern.matches(event) }
}
