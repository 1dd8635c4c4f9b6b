import SimfraCore
import Testing

@testable import SimfraCloudWatch

/// Metric streams are stored with their configuration, started and stopped, tagged, and
/// survive a restart; a point costs 16 bytes in the store.
@Suite struct StreamTests {
    @Test func lifecycle() async throws {
        let h = Harness()
        let arn = try await h.call("PutMetricStream", [
            "Name": "s", "FirehoseArn": "arn:aws:firehose:us-east-1:000000000000:deliverystream/d",
            "RoleArn": "arn:aws:iam::000000000000:role/r", "OutputFormat": "json",
            "IncludeFilters": [["Namespace": "AWS/SQS"]], "Tags": [["Key": "k", "Value": "v"]],
        ]).string("Arn")
        #expect(arn == "arn:aws:cloudwatch:us-east-1:000000000000:metric-stream/s")
        try await h.call("StopMetricStreams", ["Names": ["s"]])
        let got = try await h.call("GetMetricStream", ["Name": "s"])
        #expect(got["State"] == "stopped" && got["OutputFormat"] == "json")
        #expect(got["IncludeFilters"] == [["Namespace": "AWS/SQS"]])
        #expect(try await h.call("ListTagsForResource", ["ResourceARN": .string(arn ?? "")])["Tags"] == [["Key": "k", "Value": "v"]])
        let restored = CloudWatchService(records: h.records, clock: h.clock, runsLoop: false)
        try restored.restore()
        let entries = try await restored.handle(operation: "ListMetricStreams", input: [:], context: Harness.context)["Entries"]
        #expect(entries?.listValue?.first?["State"] == "stopped")
        #expect(await h.error("PutMetricStream", [
            "Name": "x", "FirehoseArn": "f", "RoleArn": "r", "OutputFormat": "json",
            "IncludeFilters": [["Namespace": "A"]], "ExcludeFilters": [["Namespace": "B"]],
        ])?.code == "InvalidParameterCombinationException")
        try await h.call("DeleteMetricStream", ["Name": "s"])
        #expect(await h.error("GetMetricStream", ["Name": "s"])?.code == "ResourceNotFoundException")
    }

    @Test func pointSize() {
        #expect(MemoryLayout<MetricStore.Sample>.stride == 16)
    }
}
