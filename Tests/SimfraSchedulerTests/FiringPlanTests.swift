import Foundation
import SimfraCore
import SimfraEventing
import Testing

@testable import SimfraScheduler

/// The firing decision on its own: what is due at a given time, in order, and what comes next.
@Suite struct FiringPlanTests {
    func schedule(_ name: String, _ expression: String, created: Double, window: Int? = nil,
                  start: Double? = nil, end: Double? = nil, enabled: Bool = true) throws -> Schedule {
        let key = ScheduleKey(accountId: "111111111111", region: "us-east-1", group: "default", name: name)
        return Schedule(key: key, arn: Schedule.arn(partition: "aws", key: key),
                        expression: try ScheduleExpression(expression), timezone: "UTC", startDate: start, endDate: end,
                        description: nil, enabled: enabled, flexibleWindowMinutes: window, deleteAfterCompletion: false,
                        kmsKeyArn: nil, target: .empty, created: created, modified: created, clientToken: nil)
    }

    @Test func dueInOrderAndTakenOnce() throws {
        let t0 = 1_767_225_600.0  // 2026-01-01T00:00:00Z
        var plan = FiringPlan()
        plan.plan(try schedule("a", "cron(2 0 * * ? *)", created: t0), after: t0, flexibleDelay: { _ in 0 })
        plan.plan(try schedule("b", "cron(1 0 * * ? *)", created: t0), after: t0, flexibleDelay: { _ in 0 })
        plan.plan(try schedule("off", "cron(1 0 * * ? *)", created: t0, enabled: false), after: t0, flexibleDelay: { _ in 0 })
        #expect(plan.nextInvocation == t0 + 60)
        #expect(plan.takeDue(now: t0 + 59).isEmpty)
        #expect(plan.takeDue(now: t0 + 120).map(\.key.name) == ["b", "a"])
        #expect(plan.takeDue(now: t0 + 120).isEmpty)
        #expect(plan.nextInvocation == nil)
    }

    @Test func startEndAndFlexibleWindow() throws {
        let t0 = 1_767_225_600.0
        var plan = FiringPlan()
        // A rate with a start date counts from it; the end date stops it.
        let r = try schedule("r", "rate(1 hour)", created: t0, start: t0 + 7200, end: t0 + 3 * 3600)
        plan.plan(r, after: t0, flexibleDelay: { _ in 0 })
        #expect(plan.entries[r.key] == .init(scheduled: t0 + 7200, invokeAt: t0 + 7200))
        plan.plan(r, after: t0 + 7200, flexibleDelay: { _ in 0 })
        #expect(plan.entries[r.key]?.scheduled == t0 + 3 * 3600)
        plan.plan(r, after: t0 + 3 * 3600, flexibleDelay: { _ in 0 })
        #expect(plan.entries[r.key] == nil)
        // A flexible window delays the invocation by what the delay function picks within it.
        let f = try schedule("f", "cron(0 1 * * ? *)", created: t0, window: 15)
        plan.plan(f, after: t0, flexibleDelay: { window in window - 1 })
        #expect(plan.entries[f.key] == .init(scheduled: t0 + 3600, invokeAt: t0 + 3600 + 899))
    }
}
