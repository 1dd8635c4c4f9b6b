import Foundation
import SimfraCore
import SimfraTestSupport
import Testing

@testable import SimfraEvents

/// Scheduled rules: which are due when (a plain value), and what a firing sends.
@Suite struct ScheduleTests {
    let t0 = 1_700_000_000.0  // 2023-11-14T22:13:20Z

    @Test func rateCountsFromCreation() {
        var t = ScheduleTracker()
        t.sync(["r": (text: "rate(1 minute)", created: t0)], now: t0)
        #expect(t.due(now: t0 + 59) == [])
        #expect(t.due(now: t0 + 60) == ["r"])
        #expect(t.due(now: t0 + 61) == [])
        // Late by several periods: fires once, then keeps the cadence from creation.
        #expect(t.due(now: t0 + 250) == ["r"])
        #expect(t.earliest == t0 + 300)
        // A tracker rebuilt after a restart resumes the same cadence.
        var after = ScheduleTracker()
        after.sync(["r": (text: "rate(1 minute)", created: t0)], now: t0 + 1000)
        #expect(after.earliest == t0 + 1020)
    }

    @Test func cronFollowsTheCalendar() {
        var t = ScheduleTracker()
        t.sync(["c": (text: "cron(0 12 * * ? *)", created: t0)], now: t0)
        // Next noon UTC after 2023-11-14T22:13:20Z is 2023-11-15T12:00:00Z.
        #expect(t.earliest == 1_700_049_600)
        #expect(t.due(now: 1_700_049_599) == [])
        #expect(t.due(now: 1_700_049_600) == ["c"])
        t.sync([:], now: 1_700_049_600)
        #expect(t.earliest == nil)
    }

    @Test func invalidExpressions() async {
        let s = EventBridgeService(firesOnItsOwn: false)
        for bad in ["rate(1 minutes)", "rate(0 minutes)", "cron(0 12 * * * *)", "at(2030-01-01T00:00:00)", "every minute"] {
            #expect(await T.error(s, "PutRule", ["Name": "r", "ScheduleExpression": .string(bad)])?.message
                == "Parameter ScheduleExpression is not valid.")
        }
        _ = try? await T.call(s, "CreateEventBus", ["Name": "b"])
        #expect(await T.error(s, "PutRule", ["Name": "r", "EventBusName": "b", "ScheduleExpression": "rate(5 minutes)"])?.message
            == "ScheduleExpression is supported only on the default event bus.")
    }

    @Test func firingSendsTheScheduledEvent() async throws {
        let clock = ManualClock(t0)
        let s = EventBridgeService(clock: clock, firesOnItsOwn: false)
        let invoker = RecordingInvoker()
        s.invoker.connect(invoker)
        try await T.call(s, "PutRule", ["Name": "tick", "ScheduleExpression": "rate(1 minute)"])
        try await T.call(s, "PutTargets", ["Rule": "tick", "Targets": [["Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"]]])
        await s.fireDue(now: t0 + 30)
        #expect(invoker.recorded.isEmpty)
        await s.fireDue(now: t0 + 60)
        let calls = invoker.recorded
        #expect(calls.count == 1)
        let call = try #require(calls.first)
        #expect(call.operation == "SendMessage" && call.asService == "events.amazonaws.com")
        #expect(call.sourceArn == "arn:aws:events:us-east-1:000000000000:rule/tick")
        let body = try #require(call.input.string("MessageBody"))
        let event = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect(event["detail-type"] as? String == "Scheduled Event" && event["source"] as? String == "aws.events")
        #expect(event["resources"] as? [String] == ["arn:aws:events:us-east-1:000000000000:rule/tick"])
        #expect(event["time"] as? String == "2023-11-14T22:14:20Z")
        // A disabled rule does not fire.
        try await T.call(s, "DisableRule", ["Name": "tick"])
        await s.fireDue(now: t0 + 120)
        #expect(invoker.recorded.count == 1)
    }
}
