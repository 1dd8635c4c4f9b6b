import Foundation
import SimfraCore
import SimfraTestSupport
import Synchronization

@testable import SimfraSecretsManager

/// KMS as the API contract describes it, enough for envelope encryption: GenerateDataKey
/// returns a random key and a blob naming it; Decrypt needs the same encryption context.
/// Keys can be disabled and callers denied. Calls to secretsmanager itself (BatchGetSecretValue
/// reads each secret as its own call) go back to the service.
final class FakeKMS: ServiceInvoker, @unchecked Sendable {
    struct Issued { var key: [UInt8]; var keyId: String; var context: Value }
    let issued = Mutex<[[UInt8]: Issued]>([:])
    let disabled = Mutex<Set<String>>([])
    let deniedPrincipals = Mutex<Set<String>>([])
    let deniedSecrets = Mutex<Set<String>>([])
    let calls = Mutex<[InternalCall]>([])
    weak var service: SecretsManagerService?

    func invoke(_ call: InternalCall) async throws -> Value {
        calls.withLock { $0.append(call) }
        if call.service == "secretsmanager" {
            if deniedSecrets.withLock({ $0.contains(call.input["SecretId"]?.stringValue ?? "") }) {
                throw AWSError(code: "AccessDeniedException", message: "User is not authorized to perform: secretsmanager:GetSecretValue")
            }
            return try await service!.handle(operation: call.operation, input: call.input, context: call.onBehalfOf)
        }
        if deniedPrincipals.withLock({ $0.contains(call.onBehalfOf.principalArn) }) {
            throw AWSError(code: "AccessDeniedException", message: "User: x is not authorized to perform: kms:\(call.operation)")
        }
        switch call.operation {
        case "GenerateDataKey":
            let keyId = call.input["KeyId"]?.stringValue ?? ""
            if disabled.withLock({ $0.contains(keyId) }) { throw AWSError(code: "DisabledException", message: "disabled") }
            if keyId == "missing" { throw AWSError(code: "NotFoundException", message: "not found") }
            let key = (0..<32).map { _ in UInt8.random(in: 0...255) }
            let blob = Array("\(keyId)|".utf8) + (0..<16).map { _ in UInt8.random(in: 0...255) }
            issued.withLock { $0[blob] = Issued(key: key, keyId: keyId, context: call.input["EncryptionContext"] ?? .null) }
            return ["Plaintext": .blob(key), "CiphertextBlob": .blob(blob), "KeyId": .string(keyId)]
        case "Decrypt":
            guard case .blob(let blob)? = call.input["CiphertextBlob"], let i = issued.withLock({ $0[blob] }) else {
                throw AWSError(code: "InvalidCiphertextException", message: "bad")
            }
            if disabled.withLock({ $0.contains(i.keyId) }) { throw AWSError(code: "DisabledException", message: "disabled") }
            guard i.context == call.input["EncryptionContext"] else {
                throw AWSError(code: "InvalidCiphertextException", message: "context")
            }
            return ["Plaintext": .blob(i.key), "KeyId": .string(i.keyId)]
        default:
            throw AWSError.notImplemented(service: call.service, operation: call.operation)
        }
    }
}

enum TestContext {
    static func make(account: String = "000000000000", region: String = "us-east-1", principal: String? = nil)
        -> RequestContext
    {
        RequestContext(
            requestId: "req", accountId: account, region: region, principalArn: principal ?? "arn:aws:iam::\(account):root",
            userId: account, accessKeyId: "AKIAIOSFODNN7EXAMPLE", service: "secretsmanager", operation: "",
            endpoint: "http://localhost:4599", host: "localhost:4599")
    }
}

/// A service wired to a fake KMS, as the server would wire it to the real one.
struct Harness {
    let sm: SecretsManagerService
    let kms: FakeKMS
    let clock: ManualClock
    let records: InMemoryRecords

    init(records: InMemoryRecords = InMemoryRecords(), clock: ManualClock = ManualClock()) {
        self.records = records
        self.clock = clock
        kms = FakeKMS()
        sm = SecretsManagerService(records: records, clock: clock)
        sm.invoker.connect(kms)
        kms.service = sm
    }

    @discardableResult
    func call(_ op: String, _ input: Value, _ ctx: RequestContext = TestContext.make()) async throws -> Value {
        try await sm.handle(operation: op, input: input, context: ctx)
    }

    func error(_ op: String, _ input: Value, _ ctx: RequestContext = TestContext.make()) async -> AWSError? {
        do {
            _ = try await call(op, input, ctx)
            return nil
        } catch let e as AWSError {
            return e
        } catch {
            return AWSError(code: "Unexpected", message: "\(error)")
        }
    }

    static func token() -> String { UUID().uuidString.lowercased() }
}
