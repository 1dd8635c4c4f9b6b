import SimfraCore
import Synchronization
@testable import SimfraIAM

/// A durable store in memory whose sealing is visible (a fixed prefix and reversed bytes), so
/// tests can check what reaches "disk" and that restore reads it back.
final class TestRecords: DurableRecords, Sendable {
    let rows = Mutex<[String: DurableRecord]>([:])
    var isPersistent: Bool { true }

    func key(_ kind: String, _ account: String, _ id: String) -> String { "\(kind)|\(account)|\(id)" }

    func put(kind: String, account: String, region: String, id: String, data: [UInt8]) -> Commit {
        rows.withLock { $0[key(kind, account, id)] = DurableRecord(kind: kind, account: account, region: region, id: id, data: data) }
        return .done
    }

    func delete(kind: String, account: String, region: String, id: String) -> Commit {
        rows.withLock { _ = $0.removeValue(forKey: key(kind, account, id)) }
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
        rows.withLock { Array($0.values) }.sorted { ($0.kind, $0.account, $0.id) < ($1.kind, $1.account, $1.id) }
    }

    func seal(_ plaintext: [UInt8], aad: String) -> [UInt8] { Array("SEALED".utf8) + plaintext.reversed().map { $0 ^ 0x5A } }

    func unseal(_ sealed: [UInt8], aad: String) throws -> [UInt8] {
        Array(sealed.dropFirst(6)).reversed().map { $0 ^ 0x5A }
    }

    /// Every record's bytes as one string, to search for plaintext.
    var dump: String { rows.withLock { $0.values.map { String(decoding: $0.data, as: UTF8.self) }.joined(separator: "\n") } }
}

struct FixedClock: SimfraClock {
    var t: Double = 1_700_000_000
    func now() -> Double { t }
}

let account = "123456789012"

func ctx(_ op: String, principal: String = "arn:aws:iam::123456789012:root", account acct: String = account) -> RequestContext {
    RequestContext(
        requestId: "r", accountId: acct, region: "us-east-1", principalArn: principal, userId: acct, accessKeyId: "AK",
        service: "iam", operation: op, endpoint: "http://localhost", host: "localhost")
}

extension IAMService {
    @discardableResult
    func call(_ op: String, _ input: Value = .empty, account acct: String = account) async throws -> Value {
        try await handle(operation: op, input: input, context: ctx(op, principal: "arn:aws:iam::\(acct):root", account: acct))
    }
}

func awsError(_ body: () async throws -> Value) async -> AWSError? {
    do {
        _ = try await body()
        return nil
    } catch let e as AWSError {
        return e
    } catch {
        return nil
    }
}

let allowS3Get = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#
let allowAll = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
let trustEC2 = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
