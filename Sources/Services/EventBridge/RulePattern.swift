import SimfraCore

/// A rule's event pattern. Until the shared matcher lands, no pattern is accepted.
struct RulePattern: Sendable {
    init(_ json: String) throws(AWSError) {
        throw EventsError.invalidPattern("the event pattern engine is not available yet")
    }

    func matches(_ event: Value) -> Bool { false }
}
