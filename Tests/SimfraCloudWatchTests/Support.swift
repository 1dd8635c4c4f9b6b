import SimfraCore
import SimfraTestSupport

@testable import SimfraCloudWatch

/// A service on a hand-moved clock, with no evaluation loop: tests call `evaluateDue()`.
struct Harness {
    let clock = ManualClock(1_700_000_000)
    let records = InMemoryRecords()
    let service: CloudWatchService

    init() {
        service = CloudWatchService(records: records, clock: clock, runsLoop: false)
    }

    static let context = RequestContext(
        requestId: "r", accountId: "000000000000", region: "us-east-1", principalArn: "arn:aws:iam::000000000000:root",
        userId: "000000000000", accessKeyId: "AKIA", service: "cloudwatch", operation: "", endpoint: "", host: "")

    @discardableResult
    func call(_ op: String, _ input: Value) async throws -> Value {
        try await service.handle(operation: op, input: input, context: Self.context)
    }

    func error(_ op: String, _ input: Value) async -> AWSError? {
        do {
            _ = try await call(op, input)
            return nil
        } catch let e as AWSError {
            return e
        } catch {
            return nil
        }
    }

    func put(_ name: String, _ value: Double, at t: Double? = nil, dims: Value = []) async throws {
        var datum: Value = ["MetricName": .string(name), "Value": .double(value), "Dimensions": dims]
        if let t { datum["Timestamp"] = .timestamp(t) }
        try await call("PutMetricData", ["Namespace": "App", "MetricData": [datum]])
    }
}
