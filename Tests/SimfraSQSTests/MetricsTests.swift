import SimfraCore
import SimfraTestSupport
import Synchronization
import Testing

@testable import SimfraSQS

/// AWS/SQS depth metrics reach whatever sink the server connects, per account and region.
@Suite struct MetricsTests {
    final class Recorder: MetricSink {
        let got = Mutex<[(String, String, [MetricDatum])]>([])
        func publish(accountId: String, region: String, _ data: [MetricDatum]) {
            got.withLock { $0.append((accountId, region, data)) }
        }
    }

    @Test func depthMetrics() async throws {
        let s = SQSService(records: InMemoryRecords(), clock: ManualClock())
        let url = try await s.call("CreateQueue", ["QueueName": "depth"]).string("QueueUrl") ?? ""
        for i in 0..<3 { _ = try await s.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": .string("m\(i)")]) }
        _ = try await s.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "later", "DelaySeconds": 30])
        // Not connected: nothing is built or sent.
        s.publishDepthMetrics()
        let sink = Recorder()
        s.metrics.connect(sink)
        s.publishDepthMetrics()
        let rounds = sink.got.withLock { $0 }
        #expect(rounds.count == 1 && rounds[0].0 == "000000000000" && rounds[0].1 == "us-east-1")
        let byName = Dictionary(uniqueKeysWithValues: rounds[0].2.map { ($0.name, $0) })
        #expect(byName["ApproximateNumberOfMessagesVisible"]?.value == 3)
        #expect(byName["ApproximateNumberOfMessagesDelayed"]?.value == 1)
        #expect(byName["ApproximateNumberOfMessagesNotVisible"]?.value == 0)
        #expect(byName["ApproximateNumberOfMessagesVisible"]?.namespace == "AWS/SQS")
        #expect(byName["ApproximateNumberOfMessagesVisible"]?.dimensions.first?.value == "depth")
    }
}
