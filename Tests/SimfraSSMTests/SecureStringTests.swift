import SimfraCore
import SimfraTestSupport
import Testing

@testable import SimfraSSM

@Suite struct SecureStringTests {
    @Test func encryptsUnderTheDefaultKeyWithTheParameterArnAsContext() async throws {
        let h = Harness()
        try await h.put("/s/pw", "hunter2", type: "SecureString")
        let call = try #require(h.kms.calls.first)
        #expect(call.service == "kms")
        #expect(call.operation == "Encrypt")
        #expect(call.via == "ssm.amazonaws.com")
        #expect(call.input["KeyId"] == "alias/aws/ssm")
        #expect(call.input["EncryptionContext"] == ["PARAMETER_ARN": "arn:aws:ssm:us-east-1:000000000000:parameter/s/pw"])
        #expect(call.onBehalfOf.principalArn == "arn:aws:iam::000000000000:root")

        let raw = try #require(try await h.value("/s/pw"))
        #expect(raw != "hunter2")
        #expect(Base64.decode(raw) != nil)
        #expect(try await h.value("/s/pw", decrypt: true) == "hunter2")
        #expect(h.kms.calls.last?.operation == "Decrypt")

        let meta = try await h.call("DescribeParameters", [:])["Parameters"]?.listValue?.first
        #expect(meta?["KeyId"] == "alias/aws/ssm")
        #expect(meta?["Type"] == "SecureString")
    }

    @Test func givenKeyIsUsedAndKeptOnOverwrite() async throws {
        let h = Harness()
        try await h.put("/s", "a", type: "SecureString", ["KeyId": "alias/mine"])
        try await h.call("PutParameter", ["Name": "/s", "Value": "b", "Overwrite": true])
        #expect(h.kms.calls.map { $0.input["KeyId"] } == ["alias/mine", "alias/mine"])
        #expect(try await h.value("/s", decrypt: true) == "b")
        #expect(try await h.value("/s:1", decrypt: true) == "a")
        let e = await h.error("PutParameter", ["Name": "/plain", "Value": "v", "Type": "String", "KeyId": "alias/mine"])
        #expect(e?.code == "ValidationException")
    }

    @Test func advancedValuesUseAnEnvelopeUnderADataKey() async throws {
        let h = Harness()
        let big = String(repeating: "s3cr3t-", count: 1000)
        let out = try await h.put("/big", big, type: "SecureString", ["Tier": "Advanced"])
        #expect(out["Tier"] == "Advanced")
        #expect(h.kms.calls.first?.operation == "GenerateDataKey")
        #expect(h.kms.calls.first?.input["EncryptionContext"] == ["PARAMETER_ARN": "arn:aws:ssm:us-east-1:000000000000:parameter/big"])
        let raw = try #require(try await h.value("/big"))
        #expect(!raw.contains("s3cr3t"))
        #expect(try await h.value("/big", decrypt: true) == big)
    }

    @Test func kmsRefusalsAreRelayedAsParameterStoreAnswersThem() async throws {
        let h = Harness()
        try await h.put("/s", "v", type: "SecureString", ["KeyId": "alias/k"])
        let reader = TestContext.make(principal: "arn:aws:iam::000000000000:user/reader")
        _ = h.kms.state.withLock { $0.deniedPrincipals.insert(reader.principalArn) }
        // Without decryption no KMS call is made, so the read succeeds.
        #expect(try await h.value("/s", reader) != nil)
        let denied = await h.error("GetParameter", ["Name": "/s", "WithDecryption": true], reader)
        #expect(denied?.code == "AccessDeniedException")
        #expect(denied?.message.contains("kms:Decrypt") == true)
        #expect(denied?.message.hasSuffix("(Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException; Request ID: req-1; Proxy: null)") == true)

        _ = h.kms.state.withLock { $0.disabled.insert("alias/k") }
        let disabled = await h.error("GetParameter", ["Name": "/s", "WithDecryption": true])
        #expect(disabled?.code == "InvalidKeyId")
        #expect(disabled?.message.contains("Error Code: DisabledException") == true)

        _ = h.kms.state.withLock { $0.missing.insert("alias/gone") }
        let missing = await h.error("PutParameter", ["Name": "/t", "Value": "v", "Type": "SecureString", "KeyId": "alias/gone"])
        #expect(missing?.code == "InvalidKeyId")
        // Nothing was stored for the failed put.
        #expect(await h.error("GetParameter", ["Name": "/t"])?.code == "ParameterNotFound")
    }

    @Test func withoutKMSSecureStringsFailInsteadOfPretending() async throws {
        let ssm = SSMService(records: InMemoryRecords())
        let e = await #expect(throws: AWSError.self) {
            _ = try await ssm.handle(operation: "PutParameter", input: ["Name": "/s", "Value": "v", "Type": "SecureString"],
                                     context: TestContext.make())
        }
        #expect(e?.code == "ServiceUnavailable")
    }

    @Test func persistedValuesAreSealedAndRestore() async throws {
        let h = Harness()
        try await h.put("/s", "topsecret", type: "SecureString")
        try await h.put("/plain", "visible", ["Tags": [["Key": "k", "Value": "v"]]])
        try await h.call("LabelParameterVersion", ["Name": "/s", "Labels": ["live"]])
        let stored = try await h.call("GetParameter", ["Name": "/s"])["Parameter"]?["Value"]?.stringValue ?? ""
        let bytes = String(decoding: h.records.allBytes, as: UTF8.self)
        #expect(!bytes.contains(stored))
        #expect(!bytes.contains("topsecret"))

        let link = InvokerLink()
        link.connect(h.kms)
        let again = SSMService(records: h.records, clock: h.clock, invoker: link)
        try again.restore()
        let got = try await again.handle(operation: "GetParameter", input: ["Name": "/s:live", "WithDecryption": true],
                                         context: TestContext.make())
        #expect(got["Parameter"]?["Value"] == "topsecret")
        let tags = try await again.handle(operation: "ListTagsForResource",
                                          input: ["ResourceType": "Parameter", "ResourceId": "/plain"], context: TestContext.make())
        #expect(tags["TagList"] == [["Key": "k", "Value": "v"]])
    }
}
