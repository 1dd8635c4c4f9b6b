import SimfraCore
import Testing

@testable import SimfraCloudWatch

/// Anomaly detectors (stored, persisted) and anomaly detection bands in GetMetricData and alarms.
@Suite struct AnomalyTests {
    let single: Value = ["Namespace": "App", "MetricName": "Latency", "Stat": "Average",
                         "Dimensions": [["Name": "Api", "Value": "get"]]]

    @Test func lifecycleAndPersistence() async throws {
        let h = Harness()
        try await h.call("PutAnomalyDetector", ["SingleMetricAnomalyDetector": single])
        try await h.call("PutAnomalyDetector", ["MetricMathAnomalyDetector": ["MetricDataQueries": [
            ["Id": "m", "MetricStat": ["Metric": ["Namespace": "App", "MetricName": "Errors"], "Period": 60, "Stat": "Sum"],
             "ReturnData": false],
            ["Id": "e", "Expression": "m * 2"],
        ]]])
        // Putting the same one again replaces it.
        try await h.call("PutAnomalyDetector", ["Namespace": "App", "MetricName": "Latency", "Stat": "Average",
                                                "Dimensions": [["Name": "Api", "Value": "get"]],
                                                "Configuration": ["MetricTimezone": "UTC"]])
        let all = try #require(try await h.call("DescribeAnomalyDetectors", [:])["AnomalyDetectors"]?.listValue)
        #expect(all.count == 2)
        let s = try #require(all.first { $0["SingleMetricAnomalyDetector"] != nil })
        #expect(s["SingleMetricAnomalyDetector"]?["AccountId"] == "000000000000")
        #expect(s["MetricName"] == "Latency")
        #expect(s["StateValue"] == "PENDING_TRAINING")
        #expect(s["Configuration"] == ["ExcludedTimeRanges": [], "MetricTimezone": "UTC"])
        let math = try await h.call("DescribeAnomalyDetectors", ["AnomalyDetectorTypes": ["METRIC_MATH"]])["AnomalyDetectors"]
        #expect(math?.listValue?.count == 1)
        let byName = try await h.call("DescribeAnomalyDetectors", ["MetricName": "Latency"])["AnomalyDetectors"]
        #expect(byName?.listValue?.count == 1)
        let page = try await h.call("DescribeAnomalyDetectors", ["MaxResults": 1])
        #expect(page["NextToken"] == "1")

        // A restart brings them back.
        let again = CloudWatchService(records: h.records, clock: h.clock, runsLoop: false)
        try again.restore()
        let restored = try await again.handle(operation: "DescribeAnomalyDetectors", input: [:], context: Harness.context)
        #expect(restored["AnomalyDetectors"]?.listValue?.count == 2)

        try await h.call("DeleteAnomalyDetector", ["SingleMetricAnomalyDetector": single])
        let gone = await h.error("DeleteAnomalyDetector", ["SingleMetricAnomalyDetector": single])
        #expect(gone?.code == "ResourceNotFoundException")
        let both = await h.error("PutAnomalyDetector", ["SingleMetricAnomalyDetector": single, "Namespace": "App"])
        #expect(both?.code == "InvalidParameterCombinationException")
        let badStat = await h.error("PutAnomalyDetector", ["Namespace": "App", "MetricName": "x", "Stat": "Median"])
        #expect(badStat?.code == "InvalidParameterValueException")
    }

    /// Ten minutes of values alternating 9 and 11 (mean 10, stddev 1), then `now`'s value.
    func history(_ h: Harness, now value: Double) async throws {
        let current = (h.clock.now() / 60).rounded(.down) * 60
        for k in 1...10 { try await h.put("Latency", k % 2 == 0 ? 9 : 11, at: current - Double(k) * 60 + 1) }
        try await h.put("Latency", value, at: current + 1)
    }

    let queries: Value = [
        ["Id": "m1", "MetricStat": ["Metric": ["Namespace": "App", "MetricName": "Latency"], "Period": 60, "Stat": "Average"]],
        ["Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)"],
    ]

    @Test func bandInGetMetricData() async throws {
        let h = Harness()
        try await history(h, now: 50)
        let current = (h.clock.now() / 60).rounded(.down) * 60
        let out = try await h.call("GetMetricData", [
            "StartTime": .timestamp(current), "EndTime": .timestamp(current + 60), "MetricDataQueries": queries,
        ])
        let results = try #require(out["MetricDataResults"]?.listValue)
        #expect(results.map { $0["Label"] } == ["Latency", "Latency Lower", "Latency Upper"])
        #expect(results[1]["Values"] == [8.0])
        #expect(results[2]["Values"] == [12.0])
    }

    @Test func bandAlarm() async throws {
        let h = Harness()
        try await history(h, now: 50)
        let put: Value = [
            "AlarmName": "odd", "EvaluationPeriods": 1, "ThresholdMetricId": "ad1",
            "ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold", "Metrics": queries,
        ]
        try await h.call("PutMetricAlarm", put)
        await h.service.evaluateDue()
        let alarm = try await h.call("DescribeAlarms", ["AlarmNames": ["odd"]])["MetricAlarms"]?.listValue?.first
        #expect(alarm?["StateValue"] == "ALARM")
        #expect(alarm?["StateReason"]?.stringValue?.contains("outside the band of the threshold (8.0, 12.0)") == true)

        var wrong = put.objectValue ?? [:]
        wrong["ComparisonOperator"] = "GreaterThanThreshold"
        #expect(await h.error("PutMetricAlarm", .object(wrong))?.code == "InvalidParameterValueException")
        wrong["ComparisonOperator"] = "GreaterThanUpperThreshold"
        wrong["Threshold"] = 1
        #expect(await h.error("PutMetricAlarm", .object(wrong))?.code == "InvalidParameterCombinationException")
    }

    @Test func withinTheBandIsOK() async throws {
        let h = Harness()
        try await history(h, now: 10.5)
        try await h.call("PutMetricAlarm", [
            "AlarmName": "calm", "EvaluationPeriods": 1, "ThresholdMetricId": "ad1",
            "ComparisonOperator": "GreaterThanUpperThreshold", "Metrics": queries,
        ])
        await h.service.evaluateDue()
        let alarm = try await h.call("DescribeAlarms", ["AlarmNames": ["calm"]])["MetricAlarms"]?.listValue?.first
        #expect(alarm?["StateValue"] == "OK")
    }
}

extension AnomalyTests {
    /// A detector's ExcludedTimeRanges leave those points out of the band's training.
    @Test func excludedRangesAreNotTrainedOn() async throws {
        let h = Harness()
        try await history(h, now: 50)
        let current = (h.clock.now() / 60).rounded(.down) * 60
        // A spike of 1,000 three minutes ago, inside an excluded range.
        try await h.put("Latency", 1000, at: current - 180 + 2)
        try await h.call("PutAnomalyDetector", [
            "SingleMetricAnomalyDetector": ["Namespace": "App", "MetricName": "Latency", "Stat": "Average"],
            "Configuration": ["ExcludedTimeRanges": [["StartTime": .timestamp(current - 180), "EndTime": .timestamp(current - 120)]]],
        ])
        let out = try await h.call("GetMetricData", [
            "StartTime": .timestamp(current), "EndTime": .timestamp(current + 60), "MetricDataQueries": queries,
        ])
        let results = try #require(out["MetricDataResults"]?.listValue)
        // Nine points of 9/11 remain (the excluded minute held an 11 and the spike): mean 89/9.
        let upper = try #require(results[2]["Values"]?.listValue?.first?.doubleValue)
        #expect(upper < 13)
    }
}
