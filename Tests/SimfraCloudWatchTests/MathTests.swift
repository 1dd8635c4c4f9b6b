import SimfraCore
import Testing

@testable import SimfraCloudWatch

/// Metric math beyond arithmetic: IF with comparisons and logic, the array functions, SEARCH
/// over the store, ANOMALY_DETECTION_BAND.
@Suite struct MathTests {
    let ctx = MetricMath.Context(
        series: ["a": [0: 1, 60: 5, 120: 9], "b": [0: 2, 60: 2, 180: 2]], labels: ["a": "A", "b": "B"],
        order: ["a", "b"], grid: [0, 60, 120, 180], period: 60)

    func eval(_ s: String) throws -> MetricMath.Result { try MetricMath.evaluate(try MetricMath.parse(s), ctx) }

    func series(_ s: String) throws -> [Double: Double] {
        guard case .series(let r) = try eval(s) else { Issue.record("\(s) is not a series"); return [:] }
        return r
    }

    func scalar(_ s: String) throws -> Double? {
        guard case .scalar(let r) = try eval(s) else { Issue.record("\(s) is not a scalar"); return nil }
        return r
    }

    func array(_ s: String) throws -> [MetricMath.Labeled] {
        guard case .array(let r) = try eval(s) else { Issue.record("\(s) is not an array"); return [] }
        return r
    }

    @Test func comparisonsAndLogic() throws {
        #expect(try series("a > 4") == [0: 0, 60: 1, 120: 1])
        #expect(try series("a >= 5 AND a <= 5") == [0: 0, 60: 1, 120: 0])
        #expect(try series("a == 1 OR a == 9") == [0: 1, 60: 0, 120: 1])
        #expect(try series("NOT a > 4") == [0: 1, 60: 0, 120: 0])
        #expect(try series("!(a != 5)") == [0: 0, 60: 1, 120: 0])
        #expect(try series("a > 1 && b < 3 || a == 1") == [0: 1, 60: 1])
        #expect(try scalar("1 + 2 > 2") == 1)
    }

    @Test func ifThenElse() throws {
        #expect(try series("IF(a > 4, a, 0)") == [0: 0, 60: 5, 120: 9])
        #expect(try series("IF(a > 4, a)") == [60: 5, 120: 9])
        // The branch's own series: where it has no point, no point.
        #expect(try series("IF(a > 4, b, a)") == [0: 1, 60: 2])
        #expect(try series("IF(1, b, a)") == [0: 2, 60: 2, 180: 2])
        guard case .array(let arr) = try eval("IF(METRICS() > 2, 1, 0)") else { Issue.record("not an array"); return }
        #expect(arr.map(\.values) == [[0: 0, 60: 1, 120: 1], [0: 0, 60: 0, 180: 0]])
    }

    @Test func scalarFunctions() throws {
        #expect(try series("CEIL(a / 2)") == [0: 1, 60: 3, 120: 5])
        #expect(try series("FLOOR(a / 2)") == [0: 0, 60: 2, 120: 4])
        #expect(try series("SQRT(a)") == [0: 1, 60: 5.0.squareRoot(), 120: 3])
        #expect(try series("LOG10(a * 10)")[0] == 1)
        #expect(try scalar("LOG(1)") == 0)
        #expect(try scalar("STDDEV(b)") == 0)
        #expect(try scalar("DATAPOINT_COUNT(a)") == 3)
        #expect(try series("PERIOD(a)") == [0: 60, 60: 60, 120: 60])
        #expect(try series("RUNNING_SUM(a)") == [0: 1, 60: 6, 120: 15])
        #expect(try series("TIME_SERIES(4)") == [0: 4, 60: 4, 120: 4, 180: 4])
        #expect(try series("DIFF_TIME(b)") == [60: 60, 180: 120])
        #expect(try series("FILL(a, LINEAR)")[180] == nil)
        #expect(try series("FILL(b, LINEAR)")[120] == 2)
        #expect(try series("EPOCH(b)") == [0: 0, 60: 60, 180: 180])
        // 1970-01-01 was a Thursday: AWS's DAY counts Monday as 1.
        #expect(try series("DAY(b)")[0] == 4)
        #expect(try series("HOUR(b)")[0] == 0)
        #expect(try series("YEAR(b)")[0] == 1970)
    }

    @Test func arrayFunctions() throws {
        #expect(try series("STDDEV(METRICS())")[0] == 0.5)
        #expect(try series("MAX(METRICS())") == [0: 2, 60: 5, 120: 9, 180: 2])
        #expect(try series("FIRST(METRICS())") == [0: 1, 60: 5, 120: 9])
        #expect(try series("LAST(METRICS())") == [0: 2, 60: 2, 180: 2])
        #expect(try scalar("METRIC_COUNT(METRICS())") == 2)
        #expect(try array("SORT(METRICS(), SUM, ASC)").map(\.label) == ["B", "A"])
        #expect(try array("SORT(METRICS(), MAX, DESC, 1)").map(\.label) == ["A"])
        #expect(try array("SLICE(METRICS(), 1, 2)").map(\.label) == ["B"])
        #expect(try series("SLICE(METRICS(), 0)") == [0: 1, 60: 5, 120: 9])
        #expect(try array("REMOVE_EMPTY(IF(METRICS() > 4, 1))").map(\.label) == ["A"])
        #expect(try array("METRICS(\"B\")").map(\.label) == ["B"])
    }

    @Test func errors() {
        #expect(throws: MetricMath.Failure.self) { try eval("IF(a)") }
        #expect(throws: MetricMath.Failure.self) { try eval("SORT(METRICS(), FOO, ASC)") }
        #expect(throws: MetricMath.Failure.self) { try eval("a >") }
        #expect(throws: MetricMath.Failure.self) { try eval("NOPE(a)") }
        #expect(throws: MetricMath.Failure.self) { try eval("SEARCH('{App} x', 'Sum')") }
        #expect(throws: MetricMath.Failure.self) { try eval(String(repeating: "NOT ", count: 200) + "a") }
    }

    @Test func searchSyntax() throws {
        func m(_ ns: String, _ name: String, _ dims: [(String, String)] = []) -> MetricSearch.Metric {
            .init(namespace: ns, name: name, dimensions: dims.map { (name: $0.0, value: $0.1) })
        }
        let cpu = m("AWS/EC2", "CPUUtilization", [("InstanceId", "i-123")])
        let net = m("AWS/EC2", "NetworkIn", [("InstanceId", "i-456")])
        let typed = m("AWS/EC2", "CPUUtilization", [("InstanceType", "t2.micro")])
        func q(_ s: String) throws -> MetricSearch { try MetricSearch(s) }
        #expect(try q("{AWS/EC2,InstanceId} MetricName=\"CPUUtilization\"").matches(cpu))
        #expect(try !q("{AWS/EC2,InstanceId} MetricName=\"CPUUtilization\"").matches(typed))
        #expect(try !q("{AWS/EC2,InstanceId} MetricName=\"CPUUtilization\"").matches(net))
        #expect(try q("cpu").matches(cpu))
        #expect(try q("Utilization").matches(typed))
        #expect(try !q("Util").matches(cpu))
        #expect(try q("{AWS/EC2,InstanceType} InstanceType=micro").matches(typed))
        #expect(try !q("InstanceType=\"micro\"").matches(typed))
        #expect(try q("CPUUtilization OR NetworkIn").matches(net))
        #expect(try !q("AWS/EC2 NOT NetworkIn").matches(net))
        #expect(try q("(NetworkIn OR CPUUtilization) AND \"i-456\"").matches(net))
        #expect(try q("{AWS/EC2}").matches(m("AWS/EC2", "X")))
        #expect(try !q("{AWS/EC2}").matches(cpu))
        #expect(throws: MetricMath.Failure.self) { try q("") }
        #expect(throws: MetricMath.Failure.self) { try q("{AWS/EC2") }
        #expect(throws: MetricMath.Failure.self) { try q("(cpu") }
    }

    @Test func searchInGetMetricData() async throws {
        let h = Harness()
        let t0 = 1_700_000_040.0
        try await h.put("Latency", 5, at: t0 + 1, dims: [["Name": "Api", "Value": "get"]])
        try await h.put("Latency", 7, at: t0 + 2, dims: [["Name": "Api", "Value": "put"]])
        try await h.put("Latency", 1, at: t0 + 3)
        try await h.put("Errors", 1, at: t0 + 3, dims: [["Name": "Api", "Value": "get"]])
        let out = try await h.call("GetMetricData", [
            "StartTime": .timestamp(t0), "EndTime": .timestamp(t0 + 60),
            "MetricDataQueries": [["Id": "s", "Expression": "SEARCH('{App,Api} MetricName=\"Latency\"', 'Maximum', 60)"],
                                  ["Id": "top", "Expression": "MAX(SEARCH('{App,Api} Latency', 'Sum'))", "Period": 60]],
        ])
        let results = try #require(out["MetricDataResults"]?.listValue)
        #expect(results.map { $0["Label"] } == ["Latency get", "Latency put", "top"])
        #expect(results.map { $0["Values"] } == [[5.0], [7.0], [7.0]])
        // SEARCH is refused in alarms.
        let err = await h.error("PutMetricAlarm", [
            "AlarmName": "s", "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold",
            "Metrics": [["Id": "s", "Expression": "MAX(SEARCH('{App,Api} Latency', 'Sum', 60))"]],
        ])
        #expect(err?.code == "ValidationError")
    }

    @Test func anomalyModel() {
        let history: [Double: Double] = [0: 10, 60: 12, 120: 8, 180: 10]
        let band = AnomalyModel.band(history: history, at: [120, 240], k: 2)
        // Too little history before 120 (two points): no band there yet.
        #expect(band.lower[120] == nil)
        let sd = (2.0).squareRoot()
        #expect(band.upper[240] == 10 + 2 * sd)
        #expect(band.lower[240] == 10 - 2 * sd)
    }
}
