import SimfraCore
import Testing

@testable import SimfraCloudWatch

/// AWS's M-out-of-N and missing-data rules, and alarms evaluated on a hand-moved clock.
@Suite struct AlarmTests {
    func decide(_ values: [Double?], m: Int? = nil, missing: String = "missing", state: String = "OK") -> AlarmEvaluation? {
        AlarmEvaluation.decide(points: values.enumerated().map { (1_700_000_000 - Double($0.offset) * 60, $0.element) },
                               comparison: "GreaterThanThreshold", threshold: 10, datapointsToAlarm: m ?? values.count,
                               treatMissingData: missing, currentState: state)
    }

    @Test func mOutOfN() {
        #expect(decide([11, 12, 13])?.state == "ALARM")
        #expect(decide([11, 5, 13])?.state == "OK")
        #expect(decide([11, 5, 13], m: 2)?.state == "ALARM")
        #expect(decide([21.5])?.reason.hasPrefix("Threshold Crossed: 1 datapoint [21.5 (") == true)
        #expect(decide([21.5])?.reason.hasSuffix(")] was greater than the threshold (10.0).") == true)
    }

    @Test func missingData() {
        #expect(decide([nil, nil])?.state == "INSUFFICIENT_DATA")
        #expect(decide([nil, nil])?.reason == "Insufficient Data: 2 datapoints were unknown.")
        #expect(decide([nil, nil], missing: "ignore") == nil)
        #expect(decide([nil, nil], missing: "breaching")?.reason
            == "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [Breaching].")
        #expect(decide([nil, nil], missing: "notBreaching")?.state == "OK")
        #expect(decide([11, nil], missing: "breaching")?.state == "ALARM")
        #expect(decide([11, nil], missing: "notBreaching")?.state == "OK")
        #expect(decide([11, nil], missing: "missing", state: "OK")?.state == "OK")
        #expect(decide([11, nil], m: 1)?.state == "ALARM")
    }

    func putAlarm(_ h: Harness, _ extra: [String: Value] = [:]) async throws {
        var input: [String: Value] = [
            "AlarmName": "high", "Namespace": "App", "MetricName": "Depth", "Statistic": "Maximum", "Period": 60,
            "EvaluationPeriods": 1, "Threshold": 10, "ComparisonOperator": "GreaterThanThreshold",
            "AlarmActions": ["arn:aws:sns:us-east-1:000000000000:t"], "Tags": [["Key": "team", "Value": "ops"]],
        ]
        for (k, v) in extra { input[k] = v }
        try await h.call("PutMetricAlarm", .object(input))
    }

    func described(_ h: Harness) async throws -> Value? {
        try await h.call("DescribeAlarms", ["AlarmNames": ["high"]])["MetricAlarms"]?.listValue?.first
    }

    @Test func evaluatesOnTheClock() async throws {
        let h = Harness()
        try await putAlarm(h)
        #expect(try await described(h)?["StateValue"] == "INSUFFICIENT_DATA")
        #expect(try await described(h)?["StateReason"] == "Unchecked: Initial alarm creation")
        try await h.put("Depth", 11, at: h.clock.now())
        await h.service.evaluateDue()
        #expect(try await described(h)?["StateValue"] == "ALARM")
        // Not due again until 10 s have passed.
        try await h.put("Depth", 1, at: h.clock.now())
        await h.service.evaluateDue()
        #expect(try await described(h)?["StateValue"] == "ALARM")
        h.clock.advance(60)
        try await h.put("Depth", 1, at: h.clock.now())
        await h.service.evaluateDue()
        #expect(try await described(h)?["StateValue"] == "OK")
        let history = try await h.call("DescribeAlarmHistory", ["AlarmName": "high", "HistoryItemType": "StateUpdate"])
        #expect(history["AlarmHistoryItems"]?.listValue?.map { $0["HistorySummary"] } == [
            "Alarm updated from ALARM to OK", "Alarm updated from INSUFFICIENT_DATA to ALARM",
        ])
        // The SNS action was attempted (no invoker connected here: recorded as failed).
        let actions = try await h.call("DescribeAlarmHistory", ["AlarmName": "high", "HistoryItemType": "Action"])
        #expect(actions["AlarmHistoryItems"]?.listValue?.count == 1)
    }

    @Test func setStateTagsAndDelete() async throws {
        let h = Harness()
        try await putAlarm(h)
        try await h.call("SetAlarmState", ["AlarmName": "high", "StateValue": "ALARM", "StateReason": "testing"])
        #expect(try await described(h)?["StateReason"] == "testing")
        #expect(await h.error("SetAlarmState", ["AlarmName": "nope", "StateValue": "OK", "StateReason": "x"])?.code == "ResourceNotFound")
        try await h.call("DisableAlarmActions", ["AlarmNames": ["high"]])
        #expect(try await described(h)?["ActionsEnabled"] == false)
        let arn = "arn:aws:cloudwatch:us-east-1:000000000000:alarm:high"
        try await h.call("TagResource", ["ResourceARN": .string(arn), "Tags": [["Key": "k", "Value": "v"]]])
        try await h.call("UntagResource", ["ResourceARN": .string(arn), "TagKeys": ["team"]])
        #expect(try await h.call("ListTagsForResource", ["ResourceARN": .string(arn)])["Tags"] == [["Key": "k", "Value": "v"]])
        // Restart: the alarm, its state and tags come back.
        let restored = CloudWatchService(records: h.records, clock: h.clock, runsLoop: false)
        try restored.restore()
        let back = try await restored.handle(operation: "DescribeAlarms", input: [:], context: Harness.context)["MetricAlarms"]?
            .listValue?.first
        #expect(back?["StateValue"] == "ALARM")
        #expect(back?["Threshold"] == .double(10) || back?["Threshold"] == .integer(10))
        #expect(back?["ActionsEnabled"] == false)
        try await h.call("DeleteAlarms", ["AlarmNames": ["high"]])
        #expect(try await h.call("DescribeAlarms", [:])["MetricAlarms"] == .list([]))
        #expect(try await h.call("ListTagsForResource", ["ResourceARN": .string(arn)])["Tags"] == .list([]))
    }

    @Test func mathAlarm() async throws {
        let h = Harness()
        try await h.call("PutMetricAlarm", [
            "AlarmName": "ratio", "EvaluationPeriods": 1, "Threshold": 50, "ComparisonOperator": "GreaterThanThreshold",
            "Metrics": [
                ["Id": "e", "MetricStat": ["Metric": ["Namespace": "App", "MetricName": "E"], "Period": 60, "Stat": "Sum"],
                 "ReturnData": false],
                ["Id": "r", "MetricStat": ["Metric": ["Namespace": "App", "MetricName": "R"], "Period": 60, "Stat": "Sum"],
                 "ReturnData": false],
                ["Id": "x", "Expression": "100 * e / r"],
            ],
        ])
        try await h.put("E", 3, at: h.clock.now())
        try await h.put("R", 4, at: h.clock.now())
        await h.service.evaluateDue()
        let a = try await h.call("DescribeAlarms", [:])["MetricAlarms"]?.listValue?.first
        #expect(a?["StateValue"] == "ALARM")
    }

    @Test func notificationMessage() async throws {
        let h = Harness()
        try await putAlarm(h, ["AlarmDescription": "d", "Dimensions": [["Name": "Q", "Value": "q"]]])
        let a = try #require(h.service.state.withLock { $0.alarms.values.first })
        var b = a
        b.state = "ALARM"
        let text = h.service.notification(old: a, new: b)
        #expect(text.contains("\"NewStateValue\":\"ALARM\""))
        #expect(text.contains("\"OldStateValue\":\"INSUFFICIENT_DATA\""))
        #expect(text.contains("\"Region\":\"US East (N. Virginia)\""))
        #expect(text.contains("\"Statistic\":\"MAXIMUM\""))
        #expect(text.contains("{\"name\":\"Q\",\"value\":\"q\"}"))
    }
}

/// EvaluateLowSampleCountPercentile: `ignore` holds the state while a percentile has too few samples.
@Suite struct LowSampleTests {
    @Test func rule() {
        #expect(AlarmEvaluation.tooFewSamples(statistic: "p99", samples: 999))
        #expect(!AlarmEvaluation.tooFewSamples(statistic: "p99", samples: 1000))
        #expect(AlarmEvaluation.tooFewSamples(statistic: "p10", samples: 99))
        #expect(!AlarmEvaluation.tooFewSamples(statistic: "p50", samples: 20))
        #expect(!AlarmEvaluation.tooFewSamples(statistic: "tm90", samples: 1))
    }

    func alarm(_ h: Harness, _ mode: String) async throws {
        try await h.call("PutMetricAlarm", [
            "AlarmName": .string(mode), "Namespace": "App", "MetricName": "Latency", "ExtendedStatistic": "p90",
            "Period": 60, "EvaluationPeriods": 1, "Threshold": 10, "ComparisonOperator": "GreaterThanThreshold",
            "EvaluateLowSampleCountPercentile": .string(mode),
        ])
    }

    func state(_ h: Harness, _ name: String) async throws -> Value? {
        try await h.call("DescribeAlarms", ["AlarmNames": [.string(name)]])["MetricAlarms"]?.listValue?.first?["StateValue"]
    }

    @Test func ignoreHoldsUntilEnoughSamples() async throws {
        let h = Harness()
        try await alarm(h, "ignore")
        try await alarm(h, "evaluate")
        for _ in 0..<5 { try await h.put("Latency", 50, at: h.clock.now()) }
        await h.service.evaluateDue()
        #expect(try await state(h, "evaluate") == "ALARM")
        #expect(try await state(h, "ignore") == "INSUFFICIENT_DATA")
        // p90 needs 100 samples in the evaluated period.
        try await h.call("PutMetricData", ["Namespace": "App", "MetricData": [
            ["MetricName": "Latency", "Values": [50.0], "Counts": [95.0], "Timestamp": .timestamp(h.clock.now())],
        ]])
        h.clock.advance(10)
        await h.service.evaluateDue()
        #expect(try await state(h, "ignore") == "ALARM")
    }
}
