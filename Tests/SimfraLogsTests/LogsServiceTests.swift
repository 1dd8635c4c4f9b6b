import SimfraCore
import SimfraTestSupport
import Synchronization
import Testing

@testable import SimfraLogs

final class CollectingSink: MetricSink {
    let points = Mutex<[MetricDatum]>([])
    func publish(accountId: String, region: String, _ data: [MetricDatum]) { points.withLock { $0 += data } }
}

struct Harness {
    let clock = ManualClock(1_700_000_000)
    let records = InMemoryRecords()
    let s: LogsService
    init() { s = LogsService(records: records, clock: clock) }

    static let ctx = RequestContext(requestId: "r", accountId: "000000000000", region: "us-east-1",
                                    principalArn: "arn:aws:iam::000000000000:root", userId: "000000000000", accessKeyId: "k",
                                    service: "logs", operation: "", endpoint: "http://localhost", host: "localhost")

    @discardableResult
    func call(_ op: String, _ input: Value, on svc: LogsService? = nil) async throws -> Value {
        try await (svc ?? s).handle(operation: op, input: input, context: Self.ctx)
    }

    func error(_ op: String, _ input: Value) async -> AWSError? {
        do { _ = try await call(op, input); return nil } catch { return error as? AWSError }
    }

    var nowMs: Int64 { Int64(clock.now() * 1000) }

    func put(_ group: String, _ stream: String, _ events: [(Int64, String)]) async throws -> Value {
        try await call("PutLogEvents", ["logGroupName": .string(group), "logStreamName": .string(stream),
                                        "logEvents": .list(events.map { ["timestamp": .integer($0.0), "message": .string($0.1)] })])
    }

    func setup(_ group: String = "g", _ streams: [String] = ["s"]) async throws {
        try await call("CreateLogGroup", ["logGroupName": .string(group)])
        for st in streams { try await call("CreateLogStream", ["logGroupName": .string(group), "logStreamName": .string(st)]) }
    }
}

@Suite struct EventRulesTests {
    let now: Int64 = 1_700_000_000_000

    @Test func batchShapeErrors() {
        #expect(EventRules.check([(now, "a"), (now - 1, "b")], now: now, retentionDays: nil) == .failure(.init(.unordered)))
        #expect(EventRules.check([(now - 25 * 3_600_000, "a"), (now, "b")], now: now, retentionDays: nil)
            == .failure(.init(.spansOverADay)))
        let big = String(repeating: "x", count: 1_048_576 - 26)
        #expect(EventRules.check([(now, big)], now: now, retentionDays: nil) != .failure(.init(.tooLarge(1_048_576))))
        #expect(EventRules.check([(now, big + "x")], now: now, retentionDays: nil) == .failure(.init(.tooLarge(1_048_577))))
        #expect(EventRules.check(Array(repeating: (now, "a"), count: 10_001), now: now, retentionDays: nil)
            == .failure(.init(.tooMany)))
    }

    @Test func partialRejections() {
        let day: Int64 = 86_400_000
        let r = EventRules.check([(now - 15 * day + 1, "old")], now: now, retentionDays: nil)
        #expect(r == .success(.init(accepted: 1..<1, tooOldEnd: 0)))
        let n = EventRules.check([(now, "a"), (now + 3 * 3_600_000, "new")], now: now, retentionDays: nil)
        #expect(n == .success(.init(accepted: 0..<1, tooNewStart: 1)))
        let e = EventRules.check([(now - 2 * day, "x"), (now - 2 * day + 5, "y")].map { ($0.0 + 3 * 3_600_000, $0.1) }, now: now,
                                 retentionDays: 1)
        #expect(e == .success(.init(accepted: 2..<2, expiredEnd: 1)))
    }
}

@Suite struct LogsServiceTests {
    @Test func groupsAndErrors() async throws {
        let h = Harness()
        try await h.setup("/aws/a", ["s1"])
        try await h.call("CreateLogGroup", ["logGroupName": "/aws/b", "tags": ["k": "v"], "kmsKeyId": "arn:k"])
        #expect(await h.error("CreateLogGroup", ["logGroupName": "/aws/a"])?.code == "ResourceAlreadyExistsException")
        #expect(await h.error("DeleteLogGroup", ["logGroupName": "nope"])?.message == "The specified log group does not exist.")
        #expect(await h.error("CreateLogStream", ["logGroupName": "/aws/a", "logStreamName": "s1"])?.message
            == "The specified log stream already exists")
        let page1 = try await h.call("DescribeLogGroups", ["limit": 1])
        #expect(page1["logGroups"]?.listValue?.first?.string("logGroupName") == "/aws/a")
        let page2 = try await h.call("DescribeLogGroups", ["limit": 1, "nextToken": page1["nextToken"]!])
        #expect(page2["logGroups"]?.listValue?.first?.string("kmsKeyId") == "arn:k")
        #expect(page2["nextToken"] == nil)
        let pat = try await h.call("DescribeLogGroups", ["logGroupNamePattern": "B"])
        #expect(pat["logGroups"]?.listValue?.count == 1)
        #expect(try await h.call("ListTagsLogGroup", ["logGroupName": "/aws/b"])["tags"] == ["k": "v"])
        try await h.call("TagResource", ["resourceArn": "arn:aws:logs:us-east-1:000000000000:log-group:/aws/b", "tags": ["x": "y"]])
        try await h.call("UntagResource", ["resourceArn": "arn:aws:logs:us-east-1:000000000000:log-group:/aws/b:*", "tagKeys": ["k"]])
        #expect(try await h.call("ListTagsForResource", ["resourceArn": "arn:aws:logs:us-east-1:000000000000:log-group:/aws/b"])["tags"]
            == ["x": "y"])
        #expect(await h.error("PutRetentionPolicy", ["logGroupName": "/aws/a", "retentionInDays": 2])?.code == "InvalidParameterException")
    }

    @Test func putAndGetWithTokens() async throws {
        let h = Harness()
        try await h.setup()
        let t = h.nowMs
        let r = try await h.put("g", "s", (0..<5).map { (t + Int64($0), "m\($0)") })
        #expect(r.string("nextSequenceToken") != nil)
        #expect(r["rejectedLogEventsInfo"] == nil)
        // Default: the newest `limit` events.
        let last = try await h.call("GetLogEvents", ["logGroupName": "g", "logStreamName": "s", "limit": 2])
        #expect(last["events"]?.listValue?.map { $0.string("message") } == ["m3", "m4"])
        let back = try await h.call("GetLogEvents", ["logGroupName": "g", "logStreamName": "s", "limit": 2,
                                                     "nextToken": last["nextBackwardToken"]!])
        #expect(back["events"]?.listValue?.map { $0.string("message") } == ["m1", "m2"])
        var token = try await h.call("GetLogEvents", ["logGroupName": "g", "logStreamName": "s", "limit": 3, "startFromHead": true])
        #expect(token["events"]?.listValue?.count == 3)
        token = try await h.call("GetLogEvents", ["logGroupName": "g", "logStreamName": "s", "limit": 3, "nextToken": token["nextForwardToken"]!])
        #expect(token["events"]?.listValue?.map { $0.string("message") } == ["m3", "m4"])
        let end = try await h.call("GetLogEvents", ["logGroupName": "g", "logStreamName": "s", "nextToken": token["nextForwardToken"]!])
        #expect(end["events"]?.listValue?.isEmpty == true)
        #expect(end["nextForwardToken"] == token["nextForwardToken"])
        #expect(await h.error("GetLogEvents", ["logGroupName": "g", "logStreamName": "s", "nextToken": "junk"])?.message
            == "The specified nextToken is invalid.")
        let streams = try await h.call("DescribeLogStreams", ["logGroupName": "g"])
        let s = try #require(streams["logStreams"]?.listValue?.first)
        #expect(s["firstEventTimestamp"] == .integer(t))
        #expect(s["lastEventTimestamp"] == .integer(t + 4))
        #expect(s["storedBytes"] == .integer(10))
        #expect(await h.error("PutLogEvents", ["logGroupName": "g", "logStreamName": "x", "logEvents": [["timestamp": .integer(t), "message": "a"]]])?
            .message == "The specified log stream does not exist.")
        let unordered = await h.error("PutLogEvents", ["logGroupName": "g", "logStreamName": "s",
                                                       "logEvents": [["timestamp": .integer(t), "message": "a"], ["timestamp": .integer(t - 1), "message": "b"]]])
        #expect(unordered?.message == "Log events in a single PutLogEvents request must be in chronological order.")
    }

    @Test func retentionExpiresOnTheClock() async throws {
        let h = Harness()
        try await h.setup()
        _ = try await h.put("g", "s", [(h.nowMs, "old")])
        try await h.call("PutRetentionPolicy", ["logGroupName": "g", "retentionInDays": 1])
        #expect(h.records.count == 3)
        h.clock.advance(2 * 86_400)
        let r = try await h.call("GetLogEvents", ["logGroupName": "g", "logStreamName": "s"])
        #expect(r["events"]?.listValue?.isEmpty == true)
        #expect(h.records.count == 2)  // group + stream; the batch record is gone
    }

    @Test func filterInterleavedAndPaged() async throws {
        let h = Harness()
        try await h.setup("g", ["a", "b"])
        let t = h.nowMs
        _ = try await h.put("g", "a", [(t, "ERROR one"), (t + 2, "INFO two")])
        _ = try await h.put("g", "b", [(t + 1, "ERROR three"), (t + 3, "ERROR four")])
        let all = try await h.call("FilterLogEvents", ["logGroupName": "g", "filterPattern": "ERROR", "limit": 2])
        #expect(all["events"]?.listValue?.map { $0.string("message") } == ["ERROR one", "ERROR three"])
        let more = try await h.call("FilterLogEvents", ["logGroupName": "g", "filterPattern": "ERROR", "nextToken": all["nextToken"]!])
        #expect(more["events"]?.listValue?.map { $0.string("message") } == ["ERROR four"])
        let onlyA = try await h.call("FilterLogEvents", ["logGroupName": "g", "logStreamNames": ["a"]])
        #expect(onlyA["events"]?.listValue?.count == 2)
        #expect(await h.error("FilterLogEvents", ["logGroupName": "g", "filterPattern": "{ $.a = "])?.message == "Invalid filter pattern")
    }

    @Test func metricFiltersPublish() async throws {
        let h = Harness()
        let sink = CollectingSink()
        h.s.metrics.connect(sink)
        try await h.setup()
        try await h.call("PutMetricFilter", [
            "logGroupName": "g", "filterName": "lat", "filterPattern": "{ $.latency > 0 }",
            "metricTransformations": [["metricName": "Latency", "metricNamespace": "App", "metricValue": "$.latency",
                                       "unit": "Milliseconds", "dimensions": ["Op": "$.op"]]],
        ])
        try await h.call("PutMetricFilter", [
            "logGroupName": "g", "filterName": "err", "filterPattern": "ERROR",
            "metricTransformations": [["metricName": "Errors", "metricNamespace": "App", "metricValue": "1", "defaultValue": 0.0]],
        ])
        let t = h.nowMs
        _ = try await h.put("g", "s", [(t, #"{"latency": 42, "op": "get"}"#), (t + 1, "ERROR boom")])
        let pts = sink.points.withLock { $0 }
        let lat = pts.filter { $0.name == "Latency" }
        #expect(lat.count == 1)
        #expect(lat.first?.value == 42)
        #expect(lat.first?.unit == "Milliseconds")
        #expect(lat.first?.dimensions.first?.value == "get")
        #expect(pts.filter { $0.name == "Errors" }.map(\.value).sorted() == [0, 1])
        let d = try await h.call("DescribeMetricFilters", ["logGroupName": "g"])
        #expect(d["metricFilters"]?.listValue?.count == 2)
        let groups = try await h.call("DescribeLogGroups", .empty)
        #expect(groups["logGroups"]?.listValue?.first?["metricFilterCount"] == .integer(2))
        #expect(await h.error("PutMetricFilter", ["logGroupName": "g", "filterName": "x", "filterPattern": "{ bad",
                                                  "metricTransformations": [["metricName": "m", "metricNamespace": "n", "metricValue": "1"]]])?
            .message == "Invalid metric filter pattern")
        let test = try await h.call("TestMetricFilter", ["filterPattern": "[a, b = 2*]", "logEventMessages": ["x 200", "y 500"]])
        #expect(test["matches"]?.listValue?.count == 1)
        #expect(test["matches"]?.listValue?.first?["extractedValues"] == ["$a": "x", "$b": "200"])
    }

    @Test func subscriptionDeliveriesFailWithAReason() async throws {
        let h = Harness()
        try await h.setup()
        try await h.call("PutSubscriptionFilter", ["logGroupName": "g", "filterName": "f", "filterPattern": "",
                                                   "destinationArn": "arn:aws:lambda:us-east-1:000000000000:function:fn"])
        _ = try await h.put("g", "s", [(h.nowMs, "hello")])
        let failures = h.s.pendingFailures.withLock { $0 }
        #expect(failures.count == 1)
        #expect(failures.first?.reason.contains("lambda") == true)
        #expect(await h.error("PutSubscriptionFilter", ["logGroupName": "g", "filterName": "k", "filterPattern": "",
                                                        "destinationArn": "arn:aws:kinesis:us-east-1:000000000000:stream/s"])?
            .message == "destinationArn for vendor kinesis cannot be used without roleArn")
    }

    @Test func restoreRoundTrip() async throws {
        let h = Harness()
        try await h.setup()
        let t = h.nowMs
        _ = try await h.put("g", "s", [(t, "one"), (t + 1, "two")])
        _ = try await h.put("g", "s", [(t + 2, "three")])
        try await h.call("PutMetricFilter", ["logGroupName": "g", "filterName": "m", "filterPattern": "one",
                                             "metricTransformations": [["metricName": "M", "metricNamespace": "N", "metricValue": "1"]]])
        try await h.call("PutResourcePolicy", ["policyName": "p", "policyDocument": #"{"Version":"2012-10-17","Statement":[]}"#])
        try await h.call("PutDestination", ["destinationName": "d", "targetArn": "arn:aws:kinesis:us-east-1:000000000000:stream/x",
                                            "roleArn": "arn:aws:iam::000000000000:role/r"])
        let r = LogsService(records: h.records, clock: h.clock)
        try r.restore()
        let ev = try await h.call("GetLogEvents", ["logGroupName": "g", "logStreamName": "s"], on: r)
        #expect(ev["events"]?.listValue?.map { $0.string("message") } == ["one", "two", "three"])
        _ = try await h.call("PutLogEvents", ["logGroupName": "g", "logStreamName": "s",
                                              "logEvents": [["timestamp": .integer(t + 3), "message": "four"]]], on: r)
        #expect(try await h.call("DescribeMetricFilters", .empty, on: r)["metricFilters"]?.listValue?.count == 1)
        #expect(try await h.call("DescribeResourcePolicies", .empty, on: r)["resourcePolicies"]?.listValue?.count == 1)
        #expect(try await h.call("DescribeDestinations", .empty, on: r)["destinations"]?.listValue?.count == 1)
        try await r.removeAccount("000000000000")
        #expect(h.records.count == 0)
    }
}

@Suite struct RecordedErrorTests {
    @Test func wordingAsRecorded() async throws {
        let h = Harness()
        try await h.setup()
        #expect(await h.error("CreateLogGroup", ["logGroupName": .string(String(repeating: "a", count: 513))])?.message
            == "Invalid LogGroup or LogStream, both must have length less than or equal to 512.")
        let both = await h.error("DescribeLogStreams", ["logGroupName": "g", "logGroupIdentifier": "g"])
        #expect(both?.code == "ValidationException")
        let two = await h.error("PutMetricFilter", [
            "logGroupName": "g", "filterName": "f", "filterPattern": "",
            "metricTransformations": [["metricName": "metric1", "metricNamespace": "namespace1", "metricValue": "1"],
                                      ["metricName": "metric2", "metricNamespace": "namespace2", "metricValue": "1"]],
        ])
        #expect(two?.message == "1 validation error detected: Value '[MetricTransformation(metricName=metric1, metricNamespace=namespace1, metricValue=1, defaultValue=null, unit=null, dimensions=null), MetricTransformation(metricName=metric2, metricNamespace=namespace2, metricValue=1, defaultValue=null, unit=null, dimensions=null)]' at 'metricTransformations' failed to satisfy constraint: Member must have length less than or equal to 1")
        let streams = try await h.call("DescribeLogStreams", ["logGroupName": "g"])
        #expect(streams["logStreams"]?.listValue?.first?["uploadSequenceToken"] == nil)
    }
}
