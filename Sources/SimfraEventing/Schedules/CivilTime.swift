import Foundation

/// Calendar arithmetic on proleptic Gregorian dates without Foundation's `Calendar`: cron
/// evaluation walks many candidate days, and exact integer day numbers make the DST handling
/// (which wall-clock minutes exist, which repeat) explicit instead of left to a calendar's
/// nudging of nonexistent times.
enum CivilTime {
    /// Days since 1970-01-01 of a (year, month 1–12, day 1–31) date.
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The (year, month, day) of a day number since 1970-01-01.
    static func date(days z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Cron's day of week: 1 = Sunday … 7 = Saturday.
    static func weekday(days: Int) -> Int {
        // 1970-01-01 was a Thursday (5).
        ((days % 7 + 7 + 4) % 7) + 1
    }

    /// The instants at which the wall clock of `zone` reads `local` (seconds since the epoch as
    /// if the wall clock were UTC): none inside a spring-forward gap, two inside a fall-back
    /// overlap, otherwise one. Earliest first.
    static func instants(ofLocal local: Int, in zone: TimeZone) -> [Int] {
        // Offsets in force up to a day either side cover every real transition.
        var offsets: [Int] = []
        for probe in [local - 86_400, local, local + 86_400] {
            let off = zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(probe)))
            if !offsets.contains(off) { offsets.append(off) }
        }
        var out: [Int] = []
        for off in offsets {
            let t = local - off
            if zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t))) == off, !out.contains(t) { out.append(t) }
        }
        return out.sorted()
    }

    /// The wall-clock reading of `zone` at `instant` (whole seconds, as if UTC).
    static func local(_ instant: Int, in zone: TimeZone) -> Int {
        instant + zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant)))
    }
}
