/// Why a pattern or filter policy was rejected, in AWS's words.
///
/// `reason` is the text AWS puts after its service prefix: EventBridge answers
/// `InvalidEventPatternException` "Event pattern is not valid. Reason: <reason>", SNS answers
/// `InvalidParameter` "Invalid parameter: FilterPolicy: <reason>". AWS validates patterns with a
/// streaming JSON parser and most reasons end with that parser's location
/// ("\n at [Source: (String)\"…\"; line: 1, column: 11]"), so the reason carries it too.
public struct PatternError: Error, Sendable, Equatable {
    public var reason: String
    /// SNS reports a few constraints outside the "FilterPolicy: " namespace
    /// ("Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy").
    public var outsideFilterPolicyNamespace: Bool

    public init(reason: String, outsideFilterPolicyNamespace: Bool = false) {
        self.reason = reason
        self.outsideFilterPolicyNamespace = outsideFilterPolicyNamespace
    }

    /// EventBridge's InvalidEventPatternException message.
    public var eventBridgeMessage: String { "Event pattern is not valid. Reason: \(reason)" }

    /// SNS's InvalidParameter message. `inAttributes` is the wording of calls that take the policy
    /// inside an Attributes map (Subscribe), "Invalid parameter: Attributes Reason: FilterPolicy: …".
    public func snsMessage(inAttributes: Bool = false) -> String {
        if outsideFilterPolicyNamespace {
            return inAttributes ? "Invalid parameter: Attributes Reason: \(reason)" : "Invalid parameter: \(reason)"
        }
        return inAttributes
            ? "Invalid parameter: Attributes Reason: FilterPolicy: \(reason)"
            : "Invalid parameter: FilterPolicy: \(reason)"
    }
}
