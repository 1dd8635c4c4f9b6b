import Foundation
import Testing

@testable import SimfraEventing

/// Schedule expressions with fixed dates: AWS's recorded valid and invalid expressions, the
/// Quartz specials (L, W, #), year limits, time zones and both DST transitions.
@Suite struct ScheduleExpressionTests {
    static let utc = TimeZone(identifier: "UTC")!
    static let newYork = TimeZone(identifier: "America/New_York")!

    func date(_ s: String) -> Date { try! Date(s, strategy: .iso8601) }

    func next(_ expr: String, after: String, zone: TimeZone = utc) throws -> Date? {
        try ScheduleExpression(expr, timeZone: zone).nextFire(after: date(after))
    }

    // Recorded as refused by Scheduler ("Invalid Schedule Expression …") and EventBridge.
    @Test(arguments: [
        "cron(0 1 * * * *)", "cron(7 20 * * NOT *)", "cron(INVALID)", "cron(0 dummy ? * MON-FRI *)",
        "cron(71 8 1 * ? *)", "cron()", "rate(10 seconds)", "rate(10 years)", "rate()", "rate(10)",
        "rate(10 minutess)", "rate(foo minutes)", "rate(-10 minutes)", "rate( 10 minutes )", " rate(10 minutes)",
        "at(2021-12-31T23:59:59Z)", "at(2021-12-31)", "rate(0 minutes)", "rate(1 hours)", "rate(5 hour)",
        "cron(0 0 ? * ? *)", "cron(0 0 1 1 ? 2200)", "cron(0 0 1 1 ? 1969)", "cron(0 24 * * ? *)",
        "cron(0 0 32 * ? *)", "cron(0 0 ? * 8 *)", "cron(0 0 ? * MON#6 *)", "cron(0/0 * * * ? *)",
        "cron(0 0 * 13 ? *)", "cron(0 0 * * ?)", "at(2026-02-30T00:00:00)", "at(2026-01-01T24:00:00)", "every(5)",
    ])
    func refused(_ expr: String) {
        #expect(throws: ScheduleExpressionError.self) { try ScheduleExpression(expr) }
    }

    @Test(arguments: [
        "cron(0-15/1 8-8 ? * 2,3,4,5,6,7 *)", "cron(30-30 13-13 ? * 2,4,6 *)", "cron(1-31/30 1-1 ? * 1,7 *)",
        "cron(0 18 ? * MON-FRI *)", "cron(*/15 * * * ? *)", "cron(0-59/10 0-23/2 ? * * *)", "cron(0 10 * * ? *)",
        "cron(15 10 ? * 6L 2002-2005)", "cron(0 2 ? * SAT#3 *)", "cron(* * ? * SAT#3 *)", "cron(0/5 5 ? JAN 1-5 2022)",
        "cron(5,35 14 * * ? *)", "cron(0 0 LW * ? *)", "cron(0 0 15W * ? *)", "cron(0 0 L * ? *)",
        "rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(2 days)", "at(2030-01-01T00:00:00)",
    ])
    func accepted(_ expr: String) throws {
        _ = try ScheduleExpression(expr)
    }

    @Test func rates() throws {
        #expect(try ScheduleExpression("rate(1 minute)").kind == .rate(seconds: 60))
        #expect(try ScheduleExpression("rate(3 hours)").kind == .rate(seconds: 10_800))
        #expect(try ScheduleExpression("rate(2 days)").kind == .rate(seconds: 172_800))
        let e = try ScheduleExpression("rate(5 minutes)")
        let anchor = date("2026-01-01T00:00:00Z")
        #expect(e.nextFire(after: anchor.addingTimeInterval(-1), anchor: anchor) == anchor)
        #expect(e.nextFire(after: anchor, anchor: anchor) == anchor.addingTimeInterval(300))
        #expect(e.nextFire(after: anchor.addingTimeInterval(301), anchor: anchor) == anchor.addingTimeInterval(600))
        #expect(e.nextFire(after: anchor) == anchor.addingTimeInterval(300))
    }

    @Test func plainCron() throws {
        #expect(try next("cron(0 10 * * ? *)", after: "2026-01-01T10:00:00Z") == date("2026-01-02T10:00:00Z"))
        #expect(try next("cron(0 10 * * ? *)", after: "2026-01-01T09:59:59Z") == date("2026-01-01T10:00:00Z"))
        #expect(try next("cron(0/15 * * * ? *)", after: "2026-01-01T10:07:30Z") == date("2026-01-01T10:15:00Z"))
        #expect(try next("cron(5,35 14 * * ? *)", after: "2026-01-01T14:05:00Z") == date("2026-01-01T14:35:00Z"))
        // 2026-01-02 is a Friday: the next weekday evening is Monday the 5th.
        #expect(try next("cron(0 18 ? * MON-FRI *)", after: "2026-01-02T18:00:00Z") == date("2026-01-05T18:00:00Z"))
        #expect(try next("cron(0 0 1 JAN ? *)", after: "2026-06-01T00:00:00Z") == date("2027-01-01T00:00:00Z"))
        #expect(try next("cron(0 0 29 2 ? *)", after: "2026-01-01T00:00:00Z") == date("2028-02-29T00:00:00Z"))
        #expect(try next("cron(0 0 30 2 ? *)", after: "2026-01-01T00:00:00Z") == nil)
    }

    @Test func wrappingRange() throws {
        guard case .cron(let c) = try ScheduleExpression("cron(0 22-2 * * ? *)").kind else { Issue.record(); return }
        #expect(c.hours == [22, 23, 0, 1, 2])
        guard case .cron(let d) = try ScheduleExpression("cron(0 0 ? * FRI-MON *)").kind else { Issue.record(); return }
        #expect(d.dayOfWeek == .weekdays([6, 7, 1, 2]))
    }

    @Test func lastAndWeekdaySpecials() throws {
        #expect(try next("cron(0 0 L * ? *)", after: "2024-02-01T00:00:00Z") == date("2024-02-29T00:00:00Z"))
        // 2026-05-31 is a Sunday: the last weekday is Friday the 29th.
        #expect(try next("cron(0 0 LW * ? *)", after: "2026-05-01T00:00:00Z") == date("2026-05-29T00:00:00Z"))
        // 2026-08-15 is a Saturday: the nearest weekday is Friday the 14th.
        #expect(try next("cron(0 0 15W * ? *)", after: "2026-08-01T00:00:00Z") == date("2026-08-14T00:00:00Z"))
        // 2026-08-01 is a Saturday: W never leaves the month, so Monday the 3rd.
        #expect(try next("cron(0 0 1W * ? *)", after: "2026-07-31T00:00:00Z") == date("2026-08-03T00:00:00Z"))
        // The last Friday of January 2026 is the 30th; the third Saturday the 17th.
        #expect(try next("cron(0 12 ? * 6L *)", after: "2026-01-01T00:00:00Z") == date("2026-01-30T12:00:00Z"))
        #expect(try next("cron(0 12 ? * FRIL *)", after: "2026-01-01T00:00:00Z") == date("2026-01-30T12:00:00Z"))
        #expect(try next("cron(0 2 ? * SAT#3 *)", after: "2026-01-01T00:00:00Z") == date("2026-01-17T02:00:00Z"))
    }

    @Test func yearLimits() throws {
        #expect(try next("cron(15 10 ? * 6L 2002-2005)", after: "2026-01-01T00:00:00Z") == nil)
        #expect(try next("cron(0 0 1 1 ? 2199)", after: "2026-01-01T00:00:00Z") == date("2199-01-01T00:00:00Z"))
        #expect(try next("cron(0 0 1 1 ? *)", after: "2199-01-01T00:00:00Z") == nil)
    }

    @Test func timeZones() throws {
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        #expect(try next("cron(0 9 * * ? *)", after: "2026-01-10T00:00:00Z", zone: berlin) == date("2026-01-10T08:00:00Z"))
        #expect(try next("cron(0 9 * * ? *)", after: "2026-07-10T00:00:00Z", zone: berlin) == date("2026-07-10T07:00:00Z"))
        let at = try ScheduleExpression("at(2026-03-01T10:00:00)", timeZone: berlin)
        #expect(at.nextFire(after: date("2026-01-01T00:00:00Z")) == date("2026-03-01T09:00:00Z"))
        #expect(at.nextFire(after: date("2026-03-01T09:00:00Z")) == nil)
        #expect(ScheduleExpression.timeZone(named: "America/New_York") != nil)
        #expect(ScheduleExpression.timeZone(named: "Mars/Olympus") == nil)
    }

    @Test func springForwardSkipsTheMissingTime() throws {
        // 2026-03-08 02:30 does not exist in New York: the next 02:30 is on the 9th (EDT).
        #expect(try next("cron(30 2 * * ? *)", after: "2026-03-08T00:00:00Z", zone: Self.newYork) == date("2026-03-09T06:30:00Z"))
        // A one-time schedule in the gap fires just after it.
        let at = try ScheduleExpression("at(2026-03-08T02:30:00)", timeZone: Self.newYork)
        #expect(at.oneTimeInstant == date("2026-03-08T07:30:00Z"))
    }

    @Test func fallBackFiresOnce() throws {
        // 01:30 happens twice on 2026-11-01 in New York; the schedule fires at the first only.
        #expect(try next("cron(30 1 * * ? *)", after: "2026-11-01T04:00:00Z", zone: Self.newYork) == date("2026-11-01T05:30:00Z"))
        #expect(try next("cron(30 1 * * ? *)", after: "2026-11-01T05:30:00Z", zone: Self.newYork) == date("2026-11-02T06:30:00Z"))
        // Hourly: 01:00 EDT, then 02:00 EST; the repeated 01:00 EST does not fire again.
        #expect(try next("cron(0 * * * ? *)", after: "2026-11-01T05:00:00Z", zone: Self.newYork) == date("2026-11-01T07:00:00Z"))
    }
}

@Suite struct ScheduleExpressionLimitTests {
    @Test func farInstantsNeverFireAndNeverTrap() throws {
        let far = Date(timeIntervalSince1970: 1e300)
        #expect(try ScheduleExpression("cron(0 0 * * ? *)").nextFire(after: far) == nil)
        #expect(try ScheduleExpression("rate(1 minute)").nextFire(after: .now, anchor: far) == nil)
        #expect(try ScheduleExpression("at(2030-01-01T00:00:00)").nextFire(after: Date(timeIntervalSince1970: -.infinity)) == nil)
    }
}
