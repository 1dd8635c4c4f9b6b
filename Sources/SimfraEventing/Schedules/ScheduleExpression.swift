import Foundation

/// A schedule expression as EventBridge rules and Scheduler schedules accept it:
/// `rate(value unit)`, `cron(minutes hours day-of-month month day-of-week year)` and (Scheduler
/// only) `at(yyyy-mm-ddThh:mm:ss)`, evaluated in a time zone (UTC unless the service says
/// otherwise). AWS fires with one-minute precision, so cron and at times are whole minutes or
/// seconds as written.
package struct ScheduleExpression: Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        /// A fixed period (days are 24-hour durations, not calendar days, as AWS documents).
        case rate(seconds: Int)
        case cron(CronSchedule)
        /// The wall-clock reading (seconds since the epoch as if UTC) of a one-time schedule.
        case at(local: Int)
    }

    package let text: String
    package let kind: Kind
    /// Seconds since the epoch past which no schedule is evaluated (year 9999).
    static let horizon: Double = 253_402_300_799
    package let timeZone: TimeZone

    /// Parses `text` exactly as written: AWS refuses surrounding or inner extra spaces.
    package init(_ text: String, timeZone: TimeZone = TimeZone(identifier: "UTC")!) throws(ScheduleExpressionError) {
        self.text = text
        self.timeZone = timeZone
        if let body = Self.body(of: text, prefix: "rate(") {
            kind = .rate(seconds: try Self.parseRate(body))
        } else if let body = Self.body(of: text, prefix: "cron(") {
            kind = .cron(try CronSchedule(parsing: body))
        } else if let body = Self.body(of: text, prefix: "at(") {
            kind = .at(local: try Self.parseAt(body))
        } else {
            throw ScheduleExpressionError("an expression is rate(…), cron(…) or at(…)")
        }
    }

    /// A time zone by IANA name (`America/New_York`, `UTC`), or nil when Foundation knows none.
    package static func timeZone(named name: String) -> TimeZone? {
        guard !name.isEmpty, let zone = TimeZone(identifier: name) else { return nil }
        return zone
    }

    package var isRate: Bool { if case .rate = kind { true } else { false } }
    package var isCron: Bool { if case .cron = kind { true } else { false } }
    package var isOneTime: Bool { if case .at = kind { true } else { false } }

    /// The first firing strictly after `after`, or nil when the expression never fires again
    /// (an `at` in the past, a cron whose years have passed).
    ///
    /// A rate has no calendar: with an `anchor` it fires at `anchor + k × period` (k ≥ 0; the
    /// anchor itself is the first firing, as a Scheduler rate schedule without a start date fires
    /// as soon as it is created), without one a period after `after`.
    package func nextFire(after: Date, anchor: Date? = nil) -> Date? {
        // Beyond the years a cron may name (and far enough to never overflow an Int), nothing fires.
        let t = after.timeIntervalSince1970
        guard t.isFinite, abs(t) < Self.horizon, abs(anchor?.timeIntervalSince1970 ?? 0) < Self.horizon else { return nil }
        let afterSeconds = Int(t.rounded(.down))
        switch kind {
        case .rate(let period):
            guard let anchor else { return after.addingTimeInterval(Double(period)) }
            let a = anchor.timeIntervalSince1970
            let t = after.timeIntervalSince1970
            if a > t { return anchor }
            let k = ((t - a) / Double(period)).rounded(.down) + 1
            return Date(timeIntervalSince1970: a + k * Double(period))
        case .cron(let cron):
            return cron.nextFire(after: afterSeconds, in: timeZone).map { Date(timeIntervalSince1970: Double($0)) }
        case .at(let local):
            let instant = Double(Self.instant(ofLocal: local, in: timeZone))
            return instant > after.timeIntervalSince1970 ? Date(timeIntervalSince1970: instant) : nil
        }
    }

    /// The instant of a one-time schedule (whether or not it has passed).
    package var oneTimeInstant: Date? {
        guard case .at(let local) = kind else { return nil }
        return Date(timeIntervalSince1970: Double(Self.instant(ofLocal: local, in: timeZone)))
    }

    /// A wall-clock time the zone skips is read with the offset in force before the gap, which
    /// lands it just after the gap (02:30 on a spring-forward night fires at 03:30).
    private static func instant(ofLocal local: Int, in zone: TimeZone) -> Int {
        if let t = CivilTime.instants(ofLocal: local, in: zone).first { return t }
        return local - zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(local - 86_400)))
    }

    private static func body(of text: String, prefix: String) -> String? {
        guard text.hasPrefix(prefix), text.hasSuffix(")"), text.count > prefix.count else { return nil }
        return String(text.dropFirst(prefix.count).dropLast())
    }

    /// `value unit`: a positive integer and minute(s)/hour(s)/day(s), singular exactly when the
    /// value is 1 (AWS refuses `rate(1 hours)` and `rate(5 hour)`).
    private static func parseRate(_ body: String) throws(ScheduleExpressionError) -> Int {
        let parts = body.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...9).contains(parts[0].count), parts[0].allSatisfy({ $0.isASCII && $0.isNumber }),
            let value = Int(parts[0]), value > 0
        else { throw ScheduleExpressionError("a rate is a positive whole number and a unit") }
        let unit = String(parts[1])
        let seconds: Int
        switch unit {
        case "minute", "minutes": seconds = 60
        case "hour", "hours": seconds = 3600
        case "day", "days": seconds = 86_400
        default: throw ScheduleExpressionError("the unit of a rate is minute(s), hour(s) or day(s)")
        }
        guard (value == 1) == !unit.hasSuffix("s") else {
            throw ScheduleExpressionError("the unit is singular for 1 and plural otherwise")
        }
        return value * seconds
    }

    /// `yyyy-mm-ddThh:mm:ss`, nothing more (no zone suffix, no fractions).
    private static func parseAt(_ body: String) throws(ScheduleExpressionError) -> Int {
        let c = Array(body.utf8)
        let digitPositions = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
        guard c.count == 19, c[4] == UInt8(ascii: "-"), c[7] == UInt8(ascii: "-"), c[10] == UInt8(ascii: "T"),
            c[13] == UInt8(ascii: ":"), c[16] == UInt8(ascii: ":"),
            digitPositions.allSatisfy({ (48...57).contains(c[$0]) })
        else { throw ScheduleExpressionError("a one-time expression is at(yyyy-mm-ddThh:mm:ss)") }
        func num(_ from: Int, _ len: Int) -> Int { c[from..<(from + len)].reduce(0) { $0 * 10 + Int($1 - 48) } }
        let (y, mo, d, h, mi, s) = (num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2))
        guard (1...12).contains(mo), (1...CivilTime.daysInMonth(year: y, month: mo)).contains(d), h < 24, mi < 60, s < 60 else {
            throw ScheduleExpressionError("at(\(body)) is not a real date and time")
        }
        return CivilTime.days(year: y, month: mo, day: d) * 86_400 + h * 3600 + mi * 60 + s
    }
}
