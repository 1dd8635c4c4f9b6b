import SimfraCore

/// A scheduled rule's expression. Until the shared schedule engine lands, no expression is
/// accepted (a scheduled rule that never fired would be a fake).
struct RuleSchedule: Sendable {
    init(_ text: String) throws(AWSError) {
        throw EventsError.validation("Parameter ScheduleExpression is not valid.")
    }
}
