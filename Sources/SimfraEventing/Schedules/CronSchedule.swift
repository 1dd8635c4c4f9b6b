import Foundation

/// AWS's six-field cron (`minutes hours day-of-month month day-of-week year`), Quartz-flavoured:
/// exactly one of day-of-month and day-of-week is `?`; day-of-month also takes `L`, `LW` and
/// `nW`, day-of-week `L`, `nL` and `n#k`; months JAN–DEC, weekdays SUN–SAT (1 = Sunday);
/// years 1970–2199.
package struct CronSchedule: Sendable, Equatable {
    enum DayOfMonth: Sendable, Equatable {
        case unspecified
        case days(Set<Int>)
        case last
        case lastWeekday
        case nearestWeekday(Int)
    }

    enum DayOfWeek: Sendable, Equatable {
        case unspecified
        case weekdays(Set<Int>)
        /// The last such weekday of the month (`6L`: the last Friday).
        case last(Int)
        /// The k-th such weekday of the month (`SAT#3`).
        case nth(Int, Int)
    }

    var minutes: Set<Int>
    var hours: Set<Int>
    var dayOfMonth: DayOfMonth
    var months: Set<Int>
    var dayOfWeek: DayOfWeek
    var years: Set<Int>

    static let firstYear = 1970
    static let lastYear = 2199

    /// `body` is what sits between `cron(` and `)`.
    init(parsing body: String) throws(ScheduleExpressionError) {
        let fields = body.uppercased().split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 6 else { throw ScheduleExpressionError("a cron expression has six fields, found \(fields.count)") }
        minutes = try CronField.parse(fields[0], min: 0, max: 59, field: "minutes").values
        hours = try CronField.parse(fields[1], min: 0, max: 23, field: "hours").values
        months = try CronField.parse(fields[3], min: 1, max: 12, names: CronField.monthNames, field: "month").values
        years = try CronField.parse(fields[5], min: Self.firstYear, max: Self.lastYear, field: "year").values
        dayOfMonth = try Self.parseDayOfMonth(fields[2])
        dayOfWeek = try Self.parseDayOfWeek(fields[4])
        switch (dayOfMonth, dayOfWeek) {
        case (.unspecified, .unspecified):
            throw ScheduleExpressionError("day-of-month and day-of-week cannot both be '?'")
        case (.unspecified, _), (_, .unspecified):
            break
        default:
            throw ScheduleExpressionError("one of day-of-month and day-of-week must be '?'")
        }
    }

    private static func parseDayOfMonth(_ f: String) throws(ScheduleExpressionError) -> DayOfMonth {
        switch f {
        case "?": return .unspecified
        case "L": return .last
        case "LW": return .lastWeekday
        default: break
        }
        if f.hasSuffix("W") {
            let n = try CronField.value(f.dropLast(), min: 1, max: 31, names: [:], field: "day-of-month")
            return .nearestWeekday(n)
        }
        return .days(try CronField.parse(f, min: 1, max: 31, field: "day-of-month").values)
    }

    private static func parseDayOfWeek(_ f: String) throws(ScheduleExpressionError) -> DayOfWeek {
        let names = CronField.weekdayNames
        if f == "?" { return .unspecified }
        // Quartz: `L` alone in day-of-week is Saturday, the week's last day.
        if f == "L" { return .weekdays([7]) }
        if f.hasSuffix("L") {
            return .last(try CronField.value(f.dropLast(), min: 1, max: 7, names: names, field: "day-of-week"))
        }
        if let hash = f.firstIndex(of: "#") {
            let day = try CronField.value(f[..<hash], min: 1, max: 7, names: names, field: "day-of-week")
            guard let k = CronField.number(f[f.index(after: hash)...]), (1...5).contains(k) else {
                throw ScheduleExpressionError("the week number after '#' must be 1-5")
            }
            return .nth(day, k)
        }
        return .weekdays(try CronField.parse(f, min: 1, max: 7, names: names, field: "day-of-week").values)
    }

    /// Whether the date (days since the epoch, and its civil parts) matches the day fields.
    func matchesDay(days: Int, year: Int, month: Int, day: Int) -> Bool {
        let length = CivilTime.daysInMonth(year: year, month: month)
        switch dayOfMonth {
        case .unspecified: break
        case .days(let set): return set.contains(day)
        case .last: return day == length
        case .lastWeekday:
            var d = length
            while !(2...6).contains(CivilTime.weekday(days: days + d - day)) { d -= 1 }
            return day == d
        case .nearestWeekday(let n):
            guard n <= length else { return false }
            let wd = CivilTime.weekday(days: days + n - day)
            var target = n
            if wd == 7 { target = n == 1 ? 3 : n - 1 }  // Saturday: Friday, unless that leaves the month
            if wd == 1 { target = n == length ? n - 2 : n + 1 }  // Sunday: Monday, likewise
            return day == target
        }
        let wd = CivilTime.weekday(days: days)
        switch dayOfWeek {
        case .unspecified: return true
        case .weekdays(let set): return set.contains(wd)
        case .last(let w): return wd == w && day + 7 > length
        case .nth(let w, let k): return wd == w && (day - 1) / 7 + 1 == k
        }
    }

    /// The first firing strictly after `after` (whole minutes) in `zone`. A wall-clock minute the
    /// zone skips (spring forward) does not fire; one it repeats (fall back) fires once, at its
    /// first occurrence — AWS Scheduler's documented DST behaviour.
    func nextFire(after: Int, in zone: TimeZone) -> Int? {
        // Start a little before the local reading so a repeated hour is not stepped over.
        let startLocal = CivilTime.local(after, in: zone) - 2 * 3600
        let startDay = Int((Double(startLocal) / 86_400).rounded(.down))
        let start = CivilTime.date(days: startDay)
        let sortedMinutes = minutes.sorted()
        let sortedHours = hours.sorted()
        for year in years.sorted() where year >= start.year {
            for month in months.sorted() where year > start.year || month >= start.month {
                let first = CivilTime.days(year: year, month: month, day: 1)
                for day in 1...CivilTime.daysInMonth(year: year, month: month) {
                    let dayNumber = first + day - 1
                    guard dayNumber >= startDay, matchesDay(days: dayNumber, year: year, month: month, day: day) else { continue }
                    for h in sortedHours {
                        for m in sortedMinutes {
                            let local = dayNumber * 86_400 + h * 3600 + m * 60
                            guard local >= startLocal, let t = CivilTime.instants(ofLocal: local, in: zone).first else { continue }
                            if t > after { return t }
                        }
                    }
                }
            }
        }
        return nil
    }
}
