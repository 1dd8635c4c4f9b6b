import Foundation
import SimfraCore
import Synchronization

@testable import SimfraSSM

/// A clock tests move by hand.
final class FakeClock: SimfraClock {
    private let t: Mutex<Double>
    init(_ start: Double = 1_700_000_000) { t = Mutex(start) }
    func now() -> Double { t.withLock { $0 } }
    func advance(_ s: Double) { t.withLock { $0 += s } }
}

/// Durable records kept in memory; sealing XORs and tags, so a test can see that sealed
/// fields never reach a record as they were.
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

    func seal(_ plaintext: [UInt8], aad: String) -> [UInt8] { Array(aad.utf8.prefix(4)) + plaintext.map { $0 ^ 0x5A } }
    func unseal(_ sealed: [UInt8], aad: String) throws -> [UInt8] {
        guard sealed.starts(with: Array(aad.utf8.prefix(4))) else { throw AWSError.internalFailure("wrong aad") }
        return sealed.dropFirst(min(4, aad.utf8.count)).map { $0 ^ 0x5A }
    }

    var count: Int { store.withLock { $0.count } }
    var allBytes: [UInt8] { store.withLock { $0.values.flatMap(\.data) } }
}

/// KMS as far as SSM uses it: Encrypt, Decrypt and GenerateDataKey with the encryption
/// context bound into the "ciphertext", keys that can be missing or disabled, and callers
/// that can be denied. It records every call.
final class FakeKMS: ServiceInvoker {
    struct State {
        var calls: [InternalCall] = []
        var disabled: Set<String> = []
        var missing: Set<String> = []
        var deniedPrincipals: Set<String> = []
    }
    let state = Mutex(State())

    var calls: [InternalCall] { state.withLock { $0.calls } }

    static func contextText(_ v: Value?) -> String {
        (v?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.stringValue ?? "")" }.joined(separator: ";")
    }

    func invoke(_ call: InternalCall) async throws -> Value {
        let s = state.withLock { st -> State in
            st.calls.append(call)
            return st
        }
        if s.deniedPrincipals.contains(call.onBehalfOf.principalArn) {
            throw AWSError(code: "AccessDeniedException",
                           message: "User: \(call.onBehalfOf.principalArn) is not authorized to perform: kms:\(call.operation)")
        }
        let ctx = Self.contextText(call.input["EncryptionContext"])
        func checkKey(_ key: String) throws {
            if s.missing.contains(key) { throw AWSError(code: "NotFoundException", message: "Key '\(key)' does not exist") }
            if s.disabled.contains(key) { throw AWSError(code: "DisabledException", message: "\(key) is disabled.") }
        }
        func wrap(_ key: String, _ bytes: [UInt8]) -> [UInt8] {
            let header = Array("\(key)|\(ctx)|".utf8)
            return [UInt8(header.count)] + header + bytes.map { $0 ^ 0xA5 }
        }
        switch call.operation {
        case "Encrypt":
            let key = call.input["KeyId"]?.stringValue ?? ""
            try checkKey(key)
            guard case .blob(let plain)? = call.input["Plaintext"] else { throw AWSError.internalFailure("no plaintext") }
            return ["CiphertextBlob": .blob(wrap(key, plain)), "KeyId": .string(key)]
        case "GenerateDataKey":
            let key = call.input["KeyId"]?.stringValue ?? ""
            try checkKey(key)
            let dataKey = (0..<32).map { UInt8($0 &* 7 &+ 3) }
            return ["CiphertextBlob": .blob(wrap(key, dataKey)), "Plaintext": .blob(dataKey), "KeyId": .string(key)]
        case "Decrypt":
            guard case .blob(let blob)? = call.input["CiphertextBlob"], let n = blob.first.map(Int.init), blob.count > n else {
                throw AWSError(code: "InvalidCiphertextException", message: "")
            }
            let header = String(decoding: blob[1...n], as: UTF8.self)
            let parts = header.split(separator: "|", omittingEmptySubsequences: false)
            let key = String(parts[0])
            try checkKey(key)
            guard parts.count >= 2, String(parts[1]) == ctx else { throw AWSError(code: "InvalidCiphertextException", message: "") }
            return ["Plaintext": .blob(blob[(n + 1)...].map { $0 ^ 0xA5 }), "KeyId": .string(key)]
        default:
            throw AWSError.notImplemented(service: "kms", operation: call.operation)
        }
    }
}

enum TestContext {
    static func make(account: String = "000000000000", region: String = "us-east-1", principal: String? = nil) -> RequestContext {
        RequestContext(
            requestId: "req-1", accountId: account, region: region,
            principalArn: principal ?? "arn:aws:iam::\(account):root",
            userId: account, accessKeyId: "AKIAIOSFODNN7EXAMPLE", service: "ssm", operation: "",
            endpoint: "http://localhost:4599", host: "localhost:4599")
    }
}

/// A service wired to a fake KMS and in-memory records.
struct Harness {
    let records = RecordingRecords()
    let kms = FakeKMS()
    let clock = FakeClock()
    let ssm: SSMService

    init(limits: SSMService.Limits = SSMService.Limits()) {
        let link = InvokerLink()
        link.connect(kms)
        ssm = SSMService(records: records, clock: clock, invoker: link, limits: limits)
    }

    @discardableResult
    func call(_ op: String, _ input: Value, _ ctx: RequestContext = TestContext.make()) async throws -> Value {
        try await ssm.handle(operation: op, input: input, context: ctx)
    }

    func error(_ op: String, _ input: Value, _ ctx: RequestContext = TestContext.make()) async -> AWSError? {
        do {
            _ = try await call(op, input, ctx)
            return nil
        } catch let e as AWSError {
            return e
        } catch {
            return AWSError.internalFailure("\(error)")
        }
    }

    @discardableResult
    func put(_ name: String, _ value: String, type: String = "String", _ extra: [String: Value] = [:]) async throws -> Value {
        var input: [String: Value] = ["Name": .string(name), "Value": .string(value), "Type": .string(type)]
        for (k, v) in extra { input[k] = v }
        return try await call("PutParameter", .object(input))
    }

    func value(_ name: String, decrypt: Bool = false, _ ctx: RequestContext = TestContext.make()) async throws -> String? {
        try await call("GetParameter", ["Name": .string(name), "WithDecryption": .bool(decrypt)], ctx)["Parameter"]?["Value"]?.stringValue
    }
}
