import SimfraCore
import Testing

@testable import SimfraServer

/// Internal calls between services take the dispatcher's path minus HTTP: the callee's model
/// validates, the authoriser decides as the original caller (or as a service principal), and
/// the callee's handler runs.
@Suite struct InvokerTests {
    /// Stands in for KMS: echoes what it was called with.
    final class FakeKMS: AuthorizingService, InvokingService {
        let serviceName = "kms"
        let implementedOperations: Set<String> = ["Encrypt"]
        let invoker = InvokerLink()

        func handle(operation: String, input: Value, context: RequestContext) async throws -> Value {
            ["KeyId": .string(input["KeyId"]?.stringValue ?? ""), "CiphertextBlob": .blob([1, 2, 3]),
             "EncryptionAlgorithm": .string(context.principalArn)]
        }

        func authorization(operation: String, input: Value, context: RequestContext) -> [ActionRequirement]? {
            [ActionRequirement(action: "kms:" + operation, resources: ["arn:aws:kms:us-east-1:\(context.accountId):key/k"])]
        }
    }

    func dispatcher(_ kms: FakeKMS) -> Dispatcher {
        Dispatcher(config: Config(), handlers: [kms])
    }

    func call(_ op: String, _ input: Value, asService: String? = nil) -> InternalCall {
        let config = Config()
        let ctx = RequestContext(
            requestId: "r", accountId: config.defaultAccountId, region: "us-east-1",
            principalArn: "arn:aws:iam::\(config.defaultAccountId):root", userId: config.defaultAccountId,
            accessKeyId: config.rootAccessKeyId, service: "secretsmanager", operation: "GetSecretValue",
            endpoint: "http://localhost", host: "localhost")
        return InternalCall(service: "kms", operation: op, input: input, onBehalfOf: ctx,
                            via: "secretsmanager.amazonaws.com", asService: asService)
    }

    @Test func runsTheCalleeAsTheOriginalCaller() async throws {
        let kms = FakeKMS()
        let d = dispatcher(kms)
        let out = try await d.invoke(call("Encrypt", ["KeyId": "alias/x", "Plaintext": .blob([9])]))
        #expect(out["KeyId"]?.stringValue == "alias/x")
        #expect(out["EncryptionAlgorithm"]?.stringValue == "arn:aws:iam::\(Config().defaultAccountId):root")
    }

    @Test func validatesAgainstTheCalleesModel() async {
        let d = dispatcher(FakeKMS())
        await #expect(throws: AWSError.self) { try await d.invoke(call("Encrypt", ["Plaintext": .blob([9])])) }
    }

    @Test func unimplementedOperationsAnswerNotImplemented() async {
        let d = dispatcher(FakeKMS())
        do {
            _ = try await d.invoke(call("Decrypt", ["CiphertextBlob": .blob([1])]))
            Issue.record("expected NotImplemented")
        } catch let e as AWSError {
            #expect(e.code == "NotImplemented")
        } catch { Issue.record("\(error)") }
    }

    @Test func aServiceActingAsItselfNeedsAResourcePolicy() async {
        let d = dispatcher(FakeKMS())
        do {
            _ = try await d.invoke(call("Encrypt", ["KeyId": "k", "Plaintext": .blob([9])], asService: "dynamodb.amazonaws.com"))
            Issue.record("expected AccessDeniedException")
        } catch let e as AWSError {
            #expect(e.code == "AccessDeniedException")
        } catch { Issue.record("\(error)") }
    }

    @Test func theServerConnectsEveryInvokingService() async throws {
        let kms = FakeKMS()
        let simfra = Simfra(config: Config(), handlers: [kms])
        // An unconnected link would answer ServiceUnavailable.
        let out = try await kms.invoker.invoke(call("Encrypt", ["KeyId": "k", "Plaintext": .blob([9])]))
        #expect(out["KeyId"]?.stringValue == "k")
        withExtendedLifetime(simfra) {}
    }
}
