import Synchronization
import Testing

@testable import SimfraCore

private final class Sink: MetricSink {
    let points = Mutex<[(String, String, MetricDatum)]>([])
    func publish(accountId: String, region: String, _ data: [MetricDatum]) {
        points.withLock { p in p += data.map { (accountId, region, $0) } }
    }
}

/// Requests summed per (account, region, metric, dimensions) become one statistic set each.
struct MetricAccumulatorTests {
    @Test func sumsPerScopeAndDimensionsIntoStatisticSets() {
        let acc = MetricAccumulator(namespace: "AWS/DynamoDB")
        let t = MetricAccumulator.Dimensions("TableName", "t", "Operation", "GetItem")
        acc.add(account: "111122223333", region: "us-east-1", "SuccessfulRequestLatency", t, 2, unit: "Milliseconds")
        acc.add(account: "111122223333", region: "us-east-1", "SuccessfulRequestLatency", t, 6, unit: "Milliseconds")
        acc.record(account: "111122223333", region: "eu-west-1") { add in
            add("ConsumedReadCapacityUnits", .init("TableName", "t"), 0.5, "Count")
            add("ConsumedReadCapacityUnits", .init("TableName", "t"), 1.5, "Count")
        }
        let link = MetricLink(), sink = Sink()
        link.connect(sink)
        acc.flush(to: link, now: 1000)
        let got = sink.points.withLock { $0 }
        #expect(got.count == 2)
        let latency = got.first { $0.2.name == "SuccessfulRequestLatency" }
        #expect(latency?.0 == "111122223333" && latency?.1 == "us-east-1")
        #expect(latency?.2.statistics == .init(sampleCount: 2, sum: 8, minimum: 2, maximum: 6))
        #expect(latency?.2.dimensions.map(\.name) == ["TableName", "Operation"])
        let read = got.first { $0.2.name == "ConsumedReadCapacityUnits" }
        #expect(read?.1 == "eu-west-1" && read?.2.statistics?.sum == 2 && read?.2.dimensions.count == 1)
        // Drained: the next window is empty and starts at the last flush.
        #expect(acc.drain(now: 1060).isEmpty)
        acc.add(account: "1", region: "r", "X", t, 1, unit: "Count")
        #expect(acc.drain(now: 1120).first?.data.first?.timestamp == 1060)
    }

    @Test func linkRunsRegisteredFlushesOnlyWhenConnected() {
        let link = MetricLink()
        let runs = Atomic<Int>(0)
        link.onFlush { runs.add(1, ordering: .relaxed) }
        link.flushNow()
        #expect(runs.load(ordering: .relaxed) == 0)
        link.connect(Sink())
        link.flushNow()
        #expect(runs.load(ordering: .relaxed) == 1)
    }
}
