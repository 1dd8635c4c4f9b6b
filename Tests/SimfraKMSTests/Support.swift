import Testing
import Foundation
import SimfraCore
import Synchronization
@testable import SimfraKMS

final class TestClock: SimfraClock {
    private let t = Mutex<Double>(1_700_000_000)
    func now() -> Double { t.withLock { $0 } }
    func advance(_ s: Double) { t.withLock { $0 += s } }
}

/// Records kept in memory, sealed by a reversible scramble so tests can see that what is
/// stored is not the plaintext and that the aad binds it.
final class RecordingStore: DurableRecords {
    let rows = Mutex<[String: DurableRecord]>([:])
    var isPersistent: Bool { true }

    private func key(_ kind: String, _ a: String, _ r: String, _ id: String) -> String { "\(kind)|\(a)|\(r)|\(id)" }

    func put(kind: String, account: String, region: String, id: String, data: [UInt8]) -> Commit {
        rows.withLock { $0[key(kind, account, region, id)] = DurableRecord(kind: kind, account: account, region: region, id: id, data: data) }
        return .done
    }

    func delete(kind: String, account: String, region: String, id: String) -> Commit {
        rows.withLock { $0[key(kind, account, region, id)] = nil }
        return .done
    }

    func apply(_ writes: [DurableWrite]) -> Commit {
        for w in writes {
            switch w {
            case .put(let k, let a, let r, let id, let d): _ = put(kind: k, account: a, region: r, id: id, data: d)
            case .delete(let k, let a, let r, let id): _ = delete(kind: k, account: a, region: r, id: id)
            }
        }
        return .done
    }

    func loadAll() throws -> [DurableRecord] {
        rows.withLock { Array($0.values) }.sorted { ($0.kind, $0.account, $0.region, $0.id) < ($1.kind, $1.account, $1.region, $1.id) }
    }

    func seal(_ plaintext: [UInt8], aad: String) -> [UInt8] {
        let pad = Array(aad.utf8)
        return [0xA5] + plaintext.enumerated().map { $0.element ^ pad[$0.offset % pad.count] ^ 0x5A }
    }

    func unseal(_ sealed: [UInt8], aad: String) throws -> [UInt8] {
        guard sealed.first == 0xA5 else { throw AWSError(code: "Unseal", message: "not sealed") }
        let pad = Array(aad.utf8)
        return sealed.dropFirst().enumerated().map { $0.element ^ pad[$0.offset % pad.count] ^ 0x5A }
    }
}

func context(account: String = "111111111111", region: String = "us-east-1",
             principal: String? = nil) -> RequestContext
{
    RequestContext(requestId: "r", accountId: account, region: region, principalArn: principal ?? "arn:aws:iam::\(account):root",
                   userId: account, accessKeyId: "AKIA", service: "kms", operation: "", endpoint: "http://localhost", host: "localhost")
}

func expectError(_ code: String, _ body: () async throws -> Value) async -> AWSError? {
    do {
        _ = try await body()
        Issue.record("expected \(code)")
        return nil
    } catch let e as AWSError {
        if e.code != code { Issue.record("expected \(code), got \(e.code): \(e.message)") }
        return e
    } catch {
        Issue.record("unexpected \(error)")
        return nil
    }
}

