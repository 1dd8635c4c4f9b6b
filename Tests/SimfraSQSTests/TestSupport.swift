import SimfraCore
import SimfraTestSupport
import Synchronization

@testable import SimfraSQS

enum TestContext {
    static func make(account: String = "000000000000", region: String = "us-east-1", operation: String = "")
        -> RequestContext
    {
        RequestContext(
            requestId: "req", accountId: account, region: region, principalArn: "arn:aws:iam::\(account):root",
            userId: account, accessKeyId: "AKIAIOSFODNN7EXAMPLE", service: "sqs", operation: operation,
            endpoint: "http://localhost:4599", host: "localhost:4599")
    }
}

extension SQSService {
    /// Runs an operation as the server would: prepareInput, then the handler.
    func call(_ op: String, _ input: Value, context: RequestContext = TestContext.make(), path: String = "/")
        async throws -> Value
    {
        var i = input
        prepareInput(operation: op, input: &i, path: path, context: context)
        return try await handle(operation: op, input: i, context: context)
    }

    /// The AWSError an operation answers.
    func callError(_ op: String, _ input: Value, context: RequestContext = TestContext.make()) async -> AWSError? {
        do {
            _ = try await call(op, input, context: context)
            return nil
        } catch let e as AWSError {
            return e
        } catch {
            return nil
        }
    }
}
