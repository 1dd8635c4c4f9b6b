import SimfraCore
import Synchronization
import Testing

@testable import SimfraEvents

/// AWS/Events metrics: triggered rules, matched events, invocations and final failures per
/// rule (with EventBusName on a custom bus), request sizes; nothing while not connected.
@Suite struct EventsMetricsTests {
    final class Sink: MetricSink {
        let points = Mutex<[MetricDatum]>([])
        func publish(accountId: String, region: String, _ data: [MetricDatum]) { points.withLock { $0 += data } }
    }

    @Test func rulesAndInvocations() async throws {
        let s = EventBridgeService(firesOnItsOwn: false)
        let invoker = RecordingInvoker { call in
            call.operation == "Publish" ? AWSError(code: "AccessDeniedException", message: "denied", status: 400) : nil
        }
        s.invoker.connect(invoker)
        let sink = Sink()
        s.metrics.connect(sink)
        try await T.call(s, "CreateEventBus", ["Name": "custom"])
        try await T.call(s, "PutRule", ["Name": "r", "EventPattern": #"{"source":["a"]}"#])
        try await T.call(s, "PutTargets", ["Rule": "r", "Targets": [
            ["Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"],
            ["Id": "t", "Arn": "arn:aws:sns:us-east-1:000000000000:t"],
        ]])
        try await T.call(s, "PutRule", ["Name": "c", "EventBusName": "custom", "EventPattern": #"{"source":["a"]}"#])
        try await T.call(s, "PutTargets", ["Rule": "c", "EventBusName": "custom", "Targets": [
            ["Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"]]])
        try await T.call(s, "PutEvents", ["Entries": [
            ["Source": "a", "DetailType": "t", "Detail": "{}"],
            ["Source": "b", "DetailType": "t", "Detail": "{}"],
            ["Source": "a", "DetailType": "t", "Detail": "{}", "EventBusName": "custom"],
        ]])
        for _ in 0..<200 where invoker.recorded.count < 3 { try? await Task.sleep(nanoseconds: 5_000_000) }
        try? await Task.sleep(nanoseconds: 50_000_000)
        s.metrics.flushNow()
        let points = sink.points.withLock { $0 }
        func sum(_ name: String, _ dims: [String]) -> Double? {
            points.first { $0.name == name && $0.dimensions.map { "\($0.name)=\($0.value)" } == dims }?.statistics?.sum
        }
        #expect(sum("TriggeredRules", []) == 2)
        #expect(sum("TriggeredRules", ["RuleName=r"]) == 1)
        #expect(sum("MatchedEvents", ["EventBusName=custom", "RuleName=c"]) == 1)
        #expect(sum("Invocations", []) == 3)
        #expect(sum("Invocations", ["RuleName=r"]) == 2)
        #expect(sum("FailedInvocations", ["RuleName=r"]) == 1)
        #expect(sum("FailedInvocations", ["EventBusName=custom", "RuleName=c"]) == nil)
        let size = points.first { $0.name == "PutEventsRequestSize" }
        #expect(size?.unit == "Bytes" && size?.statistics?.sum == Double(3 * (1 + 1 + 2) - 0))
        #expect(points.allSatisfy { $0.namespace == "AWS/Events" })
    }

    @Test func nothingWithoutCloudWatch() async throws {
        let s = EventBridgeService(firesOnItsOwn: false)
        try await T.call(s, "PutEvents", ["Entries": [["Source": "a", "DetailType": "t", "Detail": "{}"]]])
        let sink = Sink()
        s.metrics.connect(sink)
        s.metrics.flushNow()
        #expect(sink.points.withLock { $0 }.isEmpty)
    }
}
