import SimfraCore
import Testing

@testable import SimfraCloudWatch

/// The alarm rule language and composite alarms following their children.
@Suite struct CompositeTests {
    @Test func parsesRules() throws {
        let r = try AlarmRule.parse(#"ALARM("a") OR (OK(b) AND NOT INSUFFICIENT_DATA("arn:aws:cloudwatch:us-east-1:1:alarm:c"))"#)
        #expect(r.references == ["a", "b", "arn:aws:cloudwatch:us-east-1:1:alarm:c"])
        let states = ["a": "OK", "b": "OK", "arn:aws:cloudwatch:us-east-1:1:alarm:c": "ALARM"]
        #expect(r.evaluate { states[$0] ?? "INSUFFICIENT_DATA" })
        #expect(try AlarmRule.parse("TRUE AND FALSE").evaluate { _ in "" } == false)
        // AND binds tighter than OR.
        #expect(try AlarmRule.parse("TRUE OR TRUE AND FALSE").evaluate { _ in "" })
        for bad in ["", "ALARM()", "ALARM(a", "MAYBE(a)", "ALARM(a) XOR OK(b)", String(repeating: "(", count: 200) + "TRUE"] {
            #expect(throws: AlarmRule.Failure.self) { try AlarmRule.parse(bad) }
        }
    }

    @Test func compositeFollowsChildren() async throws {
        let h = Harness()
        for name in ["c1", "c2"] {
            try await h.call("PutMetricAlarm", ["AlarmName": .string(name), "Namespace": "App", "MetricName": "m",
                                                "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1, "Threshold": 1,
                                                "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "ignore"])
        }
        try await h.call("PutCompositeAlarm", ["AlarmName": "both", "AlarmRule": #"ALARM("c1") OR ALARM(c2)"#])
        func composite() async throws -> Value? {
            try await h.call("DescribeAlarms", ["AlarmTypes": ["CompositeAlarm"]])["CompositeAlarms"]?.listValue?.first
        }
        #expect(try await composite()?["StateValue"] == "OK")
        try await h.call("SetAlarmState", ["AlarmName": "c2", "StateValue": "ALARM", "StateReason": "test"])
        #expect(try await composite()?["StateValue"] == "ALARM")
        #expect(try await composite()?["StateReason"]?.stringValue?.hasPrefix("arn:aws:cloudwatch:us-east-1:000000000000:alarm:c2 transitioned to ALARM at ") == true)
        try await h.call("SetAlarmState", ["AlarmName": "c2", "StateValue": "OK", "StateReason": "test"])
        #expect(try await composite()?["StateValue"] == "OK")
        let parents = try await h.call("DescribeAlarms", ["ParentsOfAlarmName": "c1", "AlarmTypes": ["CompositeAlarm", "MetricAlarm"]])
        #expect(parents["CompositeAlarms"]?.listValue?.count == 1 && parents["MetricAlarms"] == .list([]))
        let children = try await h.call("DescribeAlarms", ["ChildrenOfAlarmName": "both", "AlarmTypes": ["CompositeAlarm", "MetricAlarm"]])
        #expect(children["MetricAlarms"]?.listValue?.count == 2)
        #expect(try await h.call("DescribeAlarms", [:])["CompositeAlarms"] == .list([]))
        #expect(await h.error("PutCompositeAlarm", ["AlarmName": "x", "AlarmRule": "ALARM(("])?.code == "InvalidParameterValueException")
    }
}
