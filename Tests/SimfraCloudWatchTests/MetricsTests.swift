import SimfraCore
import Testing

@testable import SimfraCloudWatch

/// PutMetricData's validation and what GetMetricStatistics, ListMetrics and GetMetricData read back.
@Suite struct MetricsTests {
    @Test func putAndGetStatistics() async throws {
        let h = Harness()
        let t0 = 1_700_000_040.0 // a whole minute
        for v in [1.0, 2, 3] { try await h.put("Latency", v, at: t0 + 5) }
        try await h.put("Latency", 10, at: t0 + 65)
        let out = try await h.call("GetMetricStatistics", [
            "Namespace": "App", "MetricName": "Latency", "StartTime": .timestamp(t0), "EndTime": .timestamp(t0 + 120),
            "Period": 60, "Statistics": ["Sum", "SampleCount", "Maximum"],
        ])
        let points = try #require(out["Datapoints"]?.listValue)
        #expect(points.count == 2)
        let first = try #require(points.first { $0["Timestamp"] == .timestamp(t0) })
        #expect(first["Sum"] == .double(6))
        #expect(first["SampleCount"] == .double(3))
        #expect(first["Unit"] == "None")
        #expect(out["Label"] == "Latency")
    }

    /// AWS keeps sub-minute data three hours, then only one-minute rollups: a 30 s query sees
    /// the recent point only, a 60 s query both.
    @Test func subMinutePeriodsSeeTheLastThreeHours() async throws {
        let h = Harness()
        let now = h.clock.now()
        try await h.put("Hits", 1, at: now - 4 * 3600)
        try await h.put("Hits", 2, at: now - 60)
        func sum(period: Int) async throws -> Double {
            let out = try await h.call("GetMetricStatistics", [
                "Namespace": "App", "MetricName": "Hits", "StartTime": .timestamp(now - 5 * 3600), "EndTime": .timestamp(now),
                "Period": .integer(Int64(period)), "Statistics": ["Sum"],
            ])
            return (out["Datapoints"]?.listValue ?? []).compactMap { $0["Sum"]?.doubleValue }.reduce(0, +)
        }
        #expect(try await sum(period: 30) == 2)
        #expect(try await sum(period: 60) == 3)
    }

    @Test func putValidation() async {
        let h = Harness()
        let both = await h.error("PutMetricData", ["Namespace": "A", "MetricData": [["MetricName": "m", "Value": 1, "Values": [1.0]]]])
        #expect(both?.code == "InvalidParameterCombinationException")
        #expect(both?.message == "The parameters MetricData.member.1.Value and MetricData.member.1.Values are mutually exclusive and you have specified both.")
        let sizes = await h.error("PutMetricData", ["Namespace": "A", "MetricData": [["MetricName": "m", "Values": [1.0, 2.0], "Counts": [1.0]]]])
        #expect(sizes?.message == "The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of the same size.")
        #expect(await h.error("PutMetricData", ["Namespace": "AWS/EC2", "MetricData": [["MetricName": "m", "Value": 1]]])?.code
            == "InvalidParameterValueException")
    }

    @Test func statisticsErrors() async {
        let h = Harness()
        let base: Value = ["Namespace": "App", "MetricName": "m", "StartTime": .timestamp(1000), "EndTime": .timestamp(87400),
                           "Period": 1, "Statistics": ["Sum"]]
        let tooMany = await h.error("GetMetricStatistics", base)
        #expect(tooMany?.message == "You have requested up to 86400 datapoints, which exceeds the limit of 1440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.")
        var reversed = base
        reversed["EndTime"] = .timestamp(10)
        #expect(await h.error("GetMetricStatistics", reversed)?.message == "The parameter StartTime must be less than the parameter EndTime.")
    }

    @Test func listMetricsFilters() async throws {
        let h = Harness()
        try await h.put("A", 1, dims: [["Name": "Queue", "Value": "q1"]])
        try await h.put("A", 1, dims: [["Name": "Queue", "Value": "q2"]])
        try await h.put("B", 1)
        #expect(try await h.call("ListMetrics", [:])["Metrics"]?.listValue?.count == 3)
        #expect(try await h.call("ListMetrics", ["MetricName": "A"])["Metrics"]?.listValue?.count == 2)
        #expect(try await h.call("ListMetrics", ["Dimensions": [["Name": "Queue", "Value": "q2"]]])["Metrics"]?.listValue?.count == 1)
        h.clock.advance(4 * 3600)
        #expect(try await h.call("ListMetrics", ["RecentlyActive": "PT3H"])["Metrics"]?.listValue?.count == 0)
    }

    @Test func metricDataWithMath() async throws {
        let h = Harness()
        let t0 = 1_700_000_040.0
        try await h.put("Errors", 2, at: t0 + 1)
        try await h.put("Requests", 8, at: t0 + 1)
        try await h.put("Errors", 1, at: t0 + 61)
        try await h.put("Requests", 4, at: t0 + 61)
        func stat(_ id: String, _ name: String) -> Value {
            ["Id": .string(id), "MetricStat": ["Metric": ["Namespace": "App", "MetricName": .string(name)], "Period": 60, "Stat": "Sum"],
             "ReturnData": false]
        }
        let out = try await h.call("GetMetricData", [
            "StartTime": .timestamp(t0), "EndTime": .timestamp(t0 + 120), "ScanBy": "TimestampAscending",
            "MetricDataQueries": [stat("e", "Errors"), stat("r", "Requests"),
                                  ["Id": "rate", "Expression": "100 * e / r", "Label": "ErrorRate"],
                                  ["Id": "total", "Expression": "SUM(METRICS())"]],
        ])
        let results = try #require(out["MetricDataResults"]?.listValue)
        #expect(results.count == 2)
        #expect(results[0]["Values"] == [25.0, 25.0])
        #expect(results[0]["Label"] == "ErrorRate")
        #expect(results[1]["Values"] == [10.0, 5.0])
        #expect(results[0]["StatusCode"] == "Complete")
    }

    @Test func mathFunctions() throws {
        let ctx = MetricMath.Context(series: ["a": [0: 1, 60: 3], "b": [0: 2]], labels: [:], order: ["a", "b"], grid: [0, 60, 120])
        func eval(_ s: String) throws -> MetricMath.Result { try MetricMath.evaluate(try MetricMath.parse(s), ctx) }
        guard case .series(let filled) = try eval("FILL(b, 7)") else { Issue.record("not a series"); return }
        #expect(filled == [0: 2, 60: 7, 120: 7])
        guard case .series(let rate) = try eval("RATE(a)") else { Issue.record("not a series"); return }
        #expect(rate == [60: 2.0 / 60])
        guard case .scalar(let total) = try eval("SUM(a) + 2 ^ 2") else { Issue.record("not a scalar"); return }
        #expect(total == 8)
        #expect(throws: MetricMath.Failure.self) { try eval("nope + 1") }
        #expect(throws: MetricMath.Failure.self) { try eval("(a") }
    }

    @Test func publishedPointsAreQueryable() async throws {
        let h = Harness()
        h.service.publish(accountId: "000000000000", region: "us-east-1", [
            MetricDatum(namespace: "AWS/SQS", name: "NumberOfMessagesSent", dimensions: [("QueueName", "q")], value: 1,
                        unit: "Count", timestamp: 1_700_000_000),
        ])
        let m = try await h.call("ListMetrics", ["Namespace": "AWS/SQS"])["Metrics"]?.listValue
        #expect(m?.first?["Dimensions"] == [["Name": "QueueName", "Value": "q"]])
    }
}
