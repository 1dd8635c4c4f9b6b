import SimfraCore
import Testing

@testable import SimfraLogs

/// AWS/Logs IncomingLogEvents / IncomingBytes per LogGroupName and for the account.
@Suite struct LogsMetricsTests {
    @Test func incomingEventsAndBytes() async throws {
        let h = Harness()
        let sink = CollectingSink()
        try await h.setup()
        _ = try await h.put("g", "s", [(h.nowMs, "before")])
        h.s.metrics.connect(sink)
        h.s.metrics.flushNow()
        #expect(sink.points.withLock { $0 }.isEmpty)
        let t = h.nowMs
        _ = try await h.put("g", "s", [(t, "abc"), (t + 1, "de")])
        h.s.metrics.flushNow()
        let pts = sink.points.withLock { $0 }
        let events = pts.first { $0.name == "IncomingLogEvents" && $0.dimensions.first?.value == "g" }
        #expect(events?.statistics?.sum == 2 && events?.unit == "Count" && events?.namespace == "AWS/Logs")
        #expect(events?.dimensions.map(\.name) == ["LogGroupName"])
        let bytes = pts.first { $0.name == "IncomingBytes" && $0.dimensions.isEmpty }
        #expect(bytes?.statistics?.sum == Double(3 + 2 + 2 * 26) && bytes?.unit == "Bytes")
    }
}
