/// When each schedule next fires: a plain value, decided with an injected time, that the
/// service's loop consults. It holds the nominal time (what `<aws.scheduler.scheduled-time>`
/// reports) and the moment of invocation (within the flexible window, when there is one).
struct FiringPlan: Sendable {
    struct Entry: Sendable, Equatable {
        var scheduled: Double
        var invokeAt: Double
    }

    private(set) var entries: [ScheduleKey: Entry] = [:]

    /// Plans the schedule's first firing strictly after `after`, or removes it when it never fires.
    mutating func plan(_ s: Schedule, after: Double, flexibleDelay: (Double) -> Double) {
        guard let t = s.nextOccurrence(after: after) else {
            entries.removeValue(forKey: s.key)
            return
        }
        let delay = s.flexibleWindowMinutes.map { flexibleDelay(Double($0) * 60) } ?? 0
        entries[s.key] = Entry(scheduled: t, invokeAt: t + delay)
    }

    mutating func cancel(_ key: ScheduleKey) { entries.removeValue(forKey: key) }

    /// The firings due at `now`, earliest first, taken out of the plan (the caller plans each
    /// schedule's next one after firing it).
    mutating func takeDue(now: Double) -> [(key: ScheduleKey, scheduled: Double)] {
        let due = entries.filter { $0.value.invokeAt <= now }.sorted { ($0.value.invokeAt, $0.key) < ($1.value.invokeAt, $1.key) }
        for (k, _) in due { entries.removeValue(forKey: k) }
        return due.map { ($0.key, $0.value.scheduled) }
    }

    /// The earliest pending invocation, for the loop to sleep until.
    var nextInvocation: Double? { entries.values.map(\.invokeAt).min() }
}
