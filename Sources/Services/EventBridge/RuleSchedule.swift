import Foundation
import SimfraCore
import SimfraEventing

/// A scheduled rule's `rate(…)` or `cron(…)` expression (UTC), parsed by the schedule
/// engine Scheduler shares. Rules take no `at(…)`.
struct RuleSchedule: Sendable {
    let expression: ScheduleExpression

    init(_ text: String) throws(AWSError) {
        guard let e = try? ScheduleExpression(text), !e.isOneTime else {
            throw EventsError.validation("Parameter ScheduleExpression is not valid.")
        }
        expression = e
    }

    /// The first firing after `now`. A rate counts its periods from the rule's creation, so a
    /// restart keeps the cadence; a cron follows the calendar.
    func next(after now: Double, created: Double) -> Double? {
        expression.nextFire(after: Date(timeIntervalSince1970: now),
                            anchor: expression.isRate ? Date(timeIntervalSince1970: created) : nil)?
            .timeIntervalSince1970
    }
}

/// Which scheduled rules are due: a plain value the firing loop consults each tick, tested
/// with a hand-moved clock. Firings missed while Simfra was down are not made up; the next
/// one after the restart fires.
struct ScheduleTracker: Sendable {
    struct Entry: Sendable {
        var schedule: RuleSchedule
        var text: String
        var created: Double
        var next: Double?
    }

    private(set) var entries: [String: Entry] = [:]

    /// Brings the tracked set in line with the enabled scheduled rules (`key` → expression and
    /// creation time). A rule new to the tracker (or whose expression changed) gets its next
    /// firing after `now`.
    mutating func sync(_ rules: [String: (text: String, created: Double)], now: Double) {
        for key in entries.keys where rules[key] == nil { entries.removeValue(forKey: key) }
        for (key, rule) in rules where entries[key]?.text != rule.text {
            guard let schedule = try? RuleSchedule(rule.text) else { continue }
            entries[key] = Entry(schedule: schedule, text: rule.text, created: rule.created,
                                 next: schedule.next(after: now, created: rule.created))
        }
    }

    /// The rules due at `now` (each once, however late), advanced to their next firing.
    mutating func due(now: Double) -> [String] {
        var out: [String] = []
        for (key, e) in entries {
            guard let next = e.next, next <= now else { continue }
            out.append(key)
            entries[key]?.next = e.schedule.next(after: now, created: e.created)
        }
        return out.sorted()
    }

    /// When the earliest tracked rule fires next.
    var earliest: Double? { entries.values.compactMap(\.next).min() }
}
