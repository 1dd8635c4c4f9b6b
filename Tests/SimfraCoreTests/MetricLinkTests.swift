import Synchronization
import Testing

@testable import SimfraCore

private final class Collecting: MetricSink {
    let points = Mutex<[(String, String, MetricDatum)]>([])
    func publish(accountId: String, region: String, _ data: [MetricDatum]) {
        points.withLock { p in p += data.map { (accountId, region, $0) } }
    }
}

struct MetricLinkTests {
    @Test func pointsAreDroppedUntilConnectedThenDelivered() {
        let link = MetricLink()
        let sink = Collecting()
        let point = MetricDatum(namespace: "AWS/SQS", name: "NumberOfMessagesSent",
                                dimensions: [("QueueName", "q")], value: 1, unit: "Count", timestamp: 1_700_000_000)
        #expect(!link.isConnected)
        link.publish(accountId: "111122223333", region: "us-east-1", [point])
        link.connect(sink)
        #expect(link.isConnected)
        link.publish(accountId: "111122223333", region: "eu-west-1", [point, point])
        let got = sink.points.withLock { $0 }
        #expect(got.count == 2)
        #expect(got.allSatisfy { $0.0 == "111122223333" && $0.1 == "eu-west-1" && $0.2.dimensions[0].value == "q" })
    }
}
