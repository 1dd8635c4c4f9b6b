import SimfraCore
import Synchronization

@testable import SimfraSQS

/// A clock tests move by hand.
final class FakeClock: SimfraClock {
    private let t: Mutex<Double>
    init(_ start: Double = 1_700_000_000) { t = Mutex(start) }
    func now() -> Double { t.withLock { $0 } }
    func advance(_ s: Double) { t.withLock { $0 += s } }
}

/// Durable records kept in memory, so restore can be tested.
final class RecordingRecords: DurableRecords {
    private let store = Mutex<[String: DurableRecord]>([:])
    var isPersistent: Bool { true }

    private static func key(_ kind: String, _ account: String, _ region: String, _ id: String) -> String {
        "\(kind)|\(account)|\(region)|\(id)"
    }

    func put(kind: String, account: String, region: String, id: String, data: [UInt8]) -> Commit {
        store.withLock { $0[Self.key(kind, account, region, id)] = DurableRecord(kind: kind, account: account, region: region, id: id, data: data) }
        return .done
    }

    func delete(kind: String, account: String, region: String, id: String) -> Commit {
        store.withLock { $0[Self.key(kind, account, region, id)] = nil }
        return .done
    }

    func apply(_ writes: [DurableWrite]) -> Commit {
        for w in writes {
            switch w {
            case .put(let k, let a, let r, let i, let d): _ = put(kind: k, account: a, region: r, id: i, data: d)
            case .delete(let k, let a, let r, let i): _ = delete(kind: k, account: a, region: r, id: i)
            }
        }
        return .done
    }

    func loadAll() throws -> [DurableRecord] {
        store.withLock { Array($0.values) }.sorted { ($0.kind, $0.account, $0.region, $0.id) < ($1.kind, $1.account, $1.region, $1.id) }
    }

    func seal(_ plaintext: [UInt8], aad: String) -> [UInt8] { plaintext }
    func unseal(_ sealed: [UInt8], aad: String) throws -> [UInt8] { sealed }

    var count: Int { store.withLock { $0.count } }
}

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
