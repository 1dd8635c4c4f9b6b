import Foundation
import SimfraCore
import SimfraTestSupport
import Synchronization

@testable import SimfraSSM

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
    let records = InMemoryRecords()
    let kms = FakeKMS()
    let clock = ManualClock()
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
