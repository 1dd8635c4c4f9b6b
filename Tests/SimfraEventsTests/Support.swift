import SimfraCore
import SimfraTestSupport
import Synchronization

@testable import SimfraEvents

/// What the tests share: a request context, calls that return the output or the error, and
/// an invoker that records the calls a delivery makes (and fails them when told to).
enum T {
    static func context(account: String = "000000000000", principal: String? = nil) -> RequestContext {
        RequestContext(requestId: "r", accountId: account, region: "us-east-1",
                       principalArn: principal ?? "arn:aws:iam::\(account):root", userId: account,
                       accessKeyId: "AKIA", service: "events", operation: "", endpoint: "http://localhost:4599",
                       host: "localhost")
    }

    @discardableResult
    static func call(_ s: EventBridgeService, _ op: String, _ input: Value, _ ctx: RequestContext = context())
        async throws -> Value
    {
        try await s.handle(operation: op, input: input, context: ctx)
    }

    static func error(_ s: EventBridgeService, _ op: String, _ input: Value, _ ctx: RequestContext = context())
        async -> AWSError?
    {
        do {
            _ = try await s.handle(operation: op, input: input, context: ctx)
            return nil
        } catch {
            return error as? AWSError
        }
    }
}

/// Records every internal call; `fail` decides which to refuse, and with what.
final class RecordingInvoker: ServiceInvoker {
    let calls = Mutex([InternalCall]())
    let fail: @Sendable (InternalCall) -> AWSError?

    init(fail: @escaping @Sendable (InternalCall) -> AWSError? = { _ in nil }) { self.fail = fail }

    func invoke(_ call: InternalCall) async throws -> Value {
        calls.withLock { $0.append(call) }
        if let e = fail(call) { throw e }
        return .empty
    }

    var recorded: [InternalCall] { calls.withLock { $0 } }
}
