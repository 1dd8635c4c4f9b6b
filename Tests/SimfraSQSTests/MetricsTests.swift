import SimfraCore
import SimfraTestSupport
import Synchronization
import Testing

@testable import SimfraSQS

/// AWS/SQS metrics reach whatever sink the server connects, per account and region, once
/// per flush, with the names, units and dimension AWS documents.
@Suite struct MetricsTests {
    final class Recorder: MetricSink {
        let got = Mutex<[(String, String, [MetricDatum])]>([])
        func publish(accountId: String, region: String, _ data: [MetricDatum]) {
            got.withLock { $0.append((accountId, region, data)) }
        }

        func take() -> [(String, String, [MetricDatum])] { got.withLock { g in defer { g = [] }; return g } }
    }

    @Test func depthMetrics() async throws {
        let s = SQSService(records: InMemoryRecords(), clock: ManualClock())
        let url = try await s.call("CreateQueue", ["QueueName": "depth"]).string("QueueUrl") ?? ""
        for i in 0..<3 { _ = try await s.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": .string("m\(i)")]) }
        _ = try await s.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "later", "DelaySeconds": 30])
        // Not connected: nothing is built or sent.
        s.flushMetrics()
        let sink = Recorder()
        s.metrics.connect(sink)
        s.flushMetrics()
        let rounds = sink.got.withLock { $0 }
        #expect(rounds.count == 1 && rounds[0].0 == "000000000000" && rounds[0].1 == "us-east-1")
        let byName = Dictionary(uniqueKeysWithValues: rounds[0].2.map { ($0.name, $0) })
        #expect(byName["ApproximateNumberOfMessagesVisible"]?.value == 3)
        #expect(byName["ApproximateNumberOfMessagesDelayed"]?.value == 1)
        #expect(byName["ApproximateNumberOfMessagesNotVisible"]?.value == 0)
        #expect(byName["ApproximateNumberOfMessagesVisible"]?.namespace == "AWS/SQS")
        #expect(byName["ApproximateNumberOfMessagesVisible"]?.dimensions.first?.value == "depth")
    }

    @Test func requestCountsPerFlush() async throws {
        let clock = ManualClock()
        let s = SQSService(records: InMemoryRecords(), clock: clock)
        let sink = Recorder()
        s.metrics.connect(sink)
        s.startMetricsLoop()
        let url = try await s.call("CreateQueue", ["QueueName": "counts"]).string("QueueUrl") ?? ""
        s.metrics.flushNow()
        _ = sink.take()
        clock.advance(5)
        _ = try await s.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "abc"])
        _ = try await s.call("SendMessageBatch", ["QueueUrl": .string(url), "Entries": [
            ["Id": "a", "MessageBody": "12345"], ["Id": "b", "MessageBody": "1234567890"],
        ]])
        let got = try await s.call("ReceiveMessage", ["QueueUrl": .string(url), "MaxNumberOfMessages": 2])
        let handles = (got["Messages"]?.listValue ?? []).compactMap { $0.string("ReceiptHandle") }
        #expect(handles.count == 2)
        _ = try await s.call("DeleteMessage", ["QueueUrl": .string(url), "ReceiptHandle": .string(handles[0])])
        _ = try await s.call("DeleteMessageBatch", ["QueueUrl": .string(url), "Entries": [
            ["Id": "x", "ReceiptHandle": .string(handles[1])],
        ]])
        _ = try await s.call("ReceiveMessage", ["QueueUrl": .string(url)])
        // The last message is in flight: this receive finds nothing.
        _ = try await s.call("ReceiveMessage", ["QueueUrl": .string(url)])
        clock.advance(10)
        s.metrics.flushNow()
        let round = sink.take().flatMap(\.2)
        let byName = Dictionary(uniqueKeysWithValues: round.map { ($0.name, $0) })
        #expect(byName["NumberOfMessagesSent"]?.value == 3)
        #expect(byName["NumberOfMessagesSent"]?.unit == "Count")
        // Counts are stamped with the window they were counted in, gauges with the flush.
        #expect(byName["NumberOfMessagesSent"]?.timestamp == 1_700_000_000)
        #expect(byName["ApproximateNumberOfMessagesVisible"]?.timestamp == 1_700_000_015)
        #expect(byName["NumberOfMessagesReceived"]?.value == 3)
        #expect(byName["NumberOfMessagesDeleted"]?.value == 2)
        #expect(byName["NumberOfEmptyReceives"]?.value == 1)
        #expect(byName["ApproximateAgeOfOldestMessage"]?.value == 10)
        #expect(byName["ApproximateAgeOfOldestMessage"]?.unit == "Seconds")
        let size = byName["SentMessageSize"]
        #expect(size?.unit == "Bytes")
        #expect(size?.statistics == .init(sampleCount: 3, sum: 18, minimum: 3, maximum: 10))
        #expect(round.allSatisfy { $0.namespace == "AWS/SQS" && $0.dimensions.map(\.name) == ["QueueName"] })

        // The next window starts from zero: an active queue publishes zeros.
        s.metrics.flushNow()
        let next = Dictionary(uniqueKeysWithValues: sink.take().flatMap(\.2).map { ($0.name, $0) })
        #expect(next["NumberOfMessagesSent"]?.value == 0)
        #expect(next["SentMessageSize"] == nil)

        // Six hours without activity and no messages: the queue is no longer active.
        clock.advance(31)
        let receipt = try await s.call("ReceiveMessage", ["QueueUrl": .string(url)])
        let h = receipt["Messages"]?.listValue?.first?.string("ReceiptHandle") ?? ""
        _ = try await s.call("DeleteMessage", ["QueueUrl": .string(url), "ReceiptHandle": .string(h)])
        clock.advance(6 * 3600 + 1)
        s.metrics.flushNow()
        #expect(sink.take().isEmpty)
    }

    @Test func nothingCountedReachesAnUnconnectedLink() async throws {
        let s = SQSService(records: InMemoryRecords(), clock: ManualClock())
        s.startMetricsLoop()
        let url = try await s.call("CreateQueue", ["QueueName": "quiet"]).string("QueueUrl") ?? ""
        _ = try await s.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "x"])
        s.metrics.flushNow()
        #expect(!s.metrics.isConnected)
    }
}
