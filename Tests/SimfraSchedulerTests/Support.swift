import Foundation
import SimfraCore
import SimfraTestSupport
import Synchronization

@testable import SimfraScheduler

/// Stands in for the dispatcher: records every internal call and answers AssumeRole with a
/// session, everything else with what the test arranged.
final class FakeInvoker: ServiceInvoker {
    let calls = Mutex<[InternalCall]>([])
    /// Errors to throw, by "service:Operation", one per call until used up.
    let failures = Mutex<[String: [AWSError]]>([:])

    func fail(_ op: String, with errors: AWSError...) { failures.withLock { $0[op, default: []] += errors } }

    func invoke(_ call: InternalCall) async throws -> Value {
        calls.withLock { $0.append(call) }
        let key = "\(call.service):\(call.operation)"
        if let e = failures.withLock({ f -> AWSError? in f[key]?.isEmpty == false ? f[key]!.removeFirst() : nil }) { throw e }
        switch key {
        case "sts:AssumeRole":
            let role = call.input.string("RoleArn") ?? ""
            return ["Credentials": ["AccessKeyId": "ASIAFAKE", "SecretAccessKey": "s", "SessionToken": "t"],
                    "AssumedRoleUser": ["Arn": .string(role.replacingOccurrences(of: ":role/", with: ":assumed-role/") + "/x"),
                                        "AssumedRoleId": "AROAFAKE:x"]]
        case "sqs:SendMessage": return ["MessageId": "m"]
        case "events:PutEvents": return ["FailedEntryCount": 0, "Entries": [["EventId": "e"]]]
        default: return .empty
        }
    }

    func made(_ op: String) -> [InternalCall] {
        calls.withLock { $0.filter { "\($0.service):\($0.operation)" == op } }
    }
}

struct Harness {
    let clock = ManualClock(1_767_225_600)  // 2026-01-01T00:00:00Z
    let records = InMemoryRecords()
    let fake = FakeInvoker()
    let service: SchedulerService

    init(flexibleDelay: @escaping @Sendable (Double) -> Double = { _ in 0 }) {
        service = SchedulerService(records: records, clock: clock, flexibleDelay: flexibleDelay, runsLoop: false)
        service.invoker.connect(fake)
    }

    static func context(_ account: String = "111111111111", region: String = "us-east-1") -> RequestContext {
        RequestContext(
            requestId: "req", accountId: account, region: region, principalArn: "arn:aws:iam::\(account):root",
            userId: account, accessKeyId: "AKIAIOSFODNN7EXAMPLE", service: "scheduler", operation: "",
            endpoint: "http://localhost:4599", host: "localhost:4599")
    }

    @discardableResult
    func call(_ op: String, _ input: Value, account: String = "111111111111") async throws -> Value {
        try await service.handle(operation: op, input: input, context: Self.context(account))
    }

    func error(_ op: String, _ input: Value) async -> AWSError? {
        do {
            _ = try await call(op, input)
            return nil
        } catch let e as AWSError { return e } catch { return nil }
    }

    static let role = "arn:aws:iam::111111111111:role/sched"
    static let queue = "arn:aws:sqs:us-east-1:111111111111:q"

    static func schedule(_ name: String, _ expression: String, target: Value? = nil, extra: [String: Value] = [:]) -> Value {
        var o: [String: Value] = [
            "Name": .string(name), "ScheduleExpression": .string(expression), "FlexibleTimeWindow": ["Mode": "OFF"],
            "Target": target ?? ["Arn": .string(queue), "RoleArn": .string(role), "Input": "hello"],
        ]
        for (k, v) in extra { o[k] = v }
        return .object(o)
    }
}
