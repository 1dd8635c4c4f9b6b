/// Why a schedule expression was refused, as a plain reason. Services answer in their own
/// words: EventBridge `ValidationException` "Parameter ScheduleExpression is not valid.",
/// Scheduler `ValidationException` "Invalid Schedule Expression <expression>."; the reason is
/// for logs and tests.
package struct ScheduleExpressionError: Error, Sendable, Equatable, CustomStringConvertible {
    package var reason: String

    package init(_ reason: String) { self.reason = reason }

    package var description: String { reason }
}
