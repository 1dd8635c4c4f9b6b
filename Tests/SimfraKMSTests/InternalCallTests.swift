import SimfraCore
import SimfraIAM
import Testing
@testable import SimfraKMS
@testable import SimfraServer

/// What the services that encrypt with KMS rely on, through the real dispatcher: an IAM user
/// may use an AWS-managed key only through its service (`kms:ViaService`), a customer key
/// needs the user's own permission, and a service acting as itself needs a grant.
@Suite struct InternalCallTests {
    let config = Config()
    let iam = IAMService(records: MemoryOnlyRecords())
    let kms = KMSService(records: MemoryOnlyRecords(), sweepInterval: nil)

    func rootContext() -> RequestContext {
        RequestContext(requestId: "r", accountId: config.defaultAccountId, region: "us-east-1",
                       principalArn: "arn:aws:iam::\(config.defaultAccountId):root", userId: config.defaultAccountId,
                       accessKeyId: config.rootAccessKeyId, service: "kms", operation: "", endpoint: "http://localhost",
                       host: "localhost")
    }

    /// A user with the given inline policy; its request context as a service would pass it on.
    func user(_ policy: String?) async throws -> RequestContext {
        let root = rootContext()
        let name = "u" + KMSIdentifiers.hex(8)
        let u = try await iam.handle(operation: "CreateUser", input: ["UserName": .string(name)], context: root)
        if let policy {
            _ = try await iam.handle(operation: "PutUserPolicy", input: [
                "UserName": .string(name), "PolicyName": "p", "PolicyDocument": .string(policy),
            ], context: root)
        }
        let key = try await iam.handle(operation: "CreateAccessKey", input: ["UserName": .string(name)], context: root)
        var ctx = root
        ctx.principalArn = u["User"]!["Arn"]!.stringValue!
        ctx.userId = u["User"]!["UserId"]!.stringValue!
        ctx.accessKeyId = key["AccessKey"]!["AccessKeyId"]!.stringValue!
        ctx.service = "secretsmanager"
        return ctx
    }

    func call(_ op: String, _ input: Value, _ ctx: RequestContext, via: String? = "secretsmanager.amazonaws.com",
              asService: String? = nil) -> InternalCall
    {
        InternalCall(service: "kms", operation: op, input: input, onBehalfOf: ctx, via: via, asService: asService)
    }

    func denied(_ simfra: Simfra, _ c: InternalCall) async -> Bool {
        do {
            _ = try await simfra.dispatcher.invoke(c)
            return false
        } catch let e as AWSError {
            return e.code == "AccessDeniedException"
        } catch {
            return false
        }
    }

    @Test func awsManagedKeysServeTheirServiceOnly() async throws {
        let simfra = Simfra(config: config, handlers: [iam, kms])
        let alice = try await user(nil)
        let dk = try await simfra.dispatcher.invoke(call("GenerateDataKey", ["KeyId": "alias/aws/secretsmanager", "KeySpec": "AES_256"], alice))
        let blob = try #require(dk["CiphertextBlob"])
        let plain = try await simfra.dispatcher.invoke(call("Decrypt", ["CiphertextBlob": blob], alice))
        #expect(plain["Plaintext"] == dk["Plaintext"])
        // Directly, or through another service, the managed key refuses.
        #expect(await denied(simfra, call("Decrypt", ["CiphertextBlob": blob], alice, via: nil)))
        #expect(await denied(simfra, call("Decrypt", ["CiphertextBlob": blob], alice, via: "sqs.amazonaws.com")))
        withExtendedLifetime(simfra) {}
    }

    @Test func customerKeysNeedTheCallersPermission() async throws {
        let simfra = Simfra(config: config, handlers: [iam, kms])
        let key = try await kms.handle(operation: "CreateKey", input: [:], context: rootContext())["KeyMetadata"]!["Arn"]!
        let nobody = try await user(nil)
        #expect(await denied(simfra, call("GenerateDataKey", ["KeyId": key, "KeySpec": "AES_256"], nobody)))
        let viaOnly = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:GenerateDataKey","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"}}}]}"#
        let bob = try await user(viaOnly)
        _ = try await simfra.dispatcher.invoke(call("GenerateDataKey", ["KeyId": key, "KeySpec": "AES_256"], bob))
        #expect(await denied(simfra, call("GenerateDataKey", ["KeyId": key, "KeySpec": "AES_256"], bob, via: nil)))
        withExtendedLifetime(simfra) {}
    }

    @Test func aServiceActingAsItselfUsesItsGrant() async throws {
        let simfra = Simfra(config: config, handlers: [iam, kms])
        let root = rootContext()
        let key = try await kms.handle(operation: "CreateKey", input: [:], context: root)["KeyMetadata"]!["Arn"]!
        let asDynamo = call("Encrypt", ["KeyId": key, "Plaintext": .blob([1])], root, via: nil, asService: "dynamodb.amazonaws.com")
        #expect(await denied(simfra, asDynamo))
        _ = try await kms.handle(operation: "CreateGrant", input: [
            "KeyId": key, "GranteePrincipal": "dynamodb.amazonaws.com", "Operations": ["Encrypt", "Decrypt"],
        ], context: root)
        let out = try await simfra.dispatcher.invoke(asDynamo)
        #expect(out["KeyId"] == key)
        withExtendedLifetime(simfra) {}
    }
}
