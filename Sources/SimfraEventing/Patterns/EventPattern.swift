import SimfraCore

/// An EventBridge event pattern, compiled once (when a rule or archive is saved) and matched
/// against every event put on the bus.
public struct EventPattern: Sendable {
    let root: ObjectMatcher

    /// Parses and validates `json`; a rejected pattern throws AWS's reason
    /// (the service answers InvalidEventPatternException "Event pattern is not valid. Reason: …").
    public init(json: String) throws(PatternError) {
        root = try PatternCompiler.compile(json, dialect: .eventBridge)
        try WildcardComplexity.check(root)
    }

    /// Whether the event (its JSON, parsed) matches.
    public func matches(_ event: Value) -> Bool {
        root.matches(event)
    }
}
