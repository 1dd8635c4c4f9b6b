/// How Lambda retries an asynchronous (`Event`) invocation whose function fails: twice by
/// default, about one minute and then two minutes later (AWS's documented behaviour), never
/// past the event's maximum age. A plain value so the schedule is tested without waiting.
struct AsyncRetryPolicy: Sendable, Equatable {
    var maximumRetryAttempts = 2
    var maximumEventAgeInSeconds = 21_600.0
    /// Seconds before retry n (1-based): AWS waits about a minute, then two.
    var delays: [Double] = [60, 120]

    /// The delay before the next attempt after `attempt` attempts failed (1 = the first
    /// invocation), or nil when the event is given up: retries exhausted, or the event would be
    /// older than its maximum age by the time it runs.
    func delay(afterFailedAttempts attempt: Int, age: Double) -> Double? {
        guard attempt >= 1, attempt <= maximumRetryAttempts else { return nil }
        let d = delays[min(attempt - 1, delays.count - 1)]
        return age + d <= maximumEventAgeInSeconds ? d : nil
    }
}
