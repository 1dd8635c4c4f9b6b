import SimfraCore
import Testing

@testable import SimfraSSM

@Suite struct ParameterNameTests {
    @Test func references() {
        #expect(ParameterName.reference("/a/b") == .init(name: "/a/b", selector: nil))
        #expect(ParameterName.reference("/a/b:3") == .init(name: "/a/b", selector: "3"))
        #expect(ParameterName.reference("/a/b:3")?.version == 3)
        #expect(ParameterName.reference("/a/b:prod")?.version == nil)
        #expect(ParameterName.reference("/a:b:c") == nil)
        #expect(ParameterName.reference("arn:aws:ssm:us-east-1:000000000000:parameter/a/b:prod")
            == .init(name: "/a/b", selector: "prod"))
        #expect(ParameterName.reference("arn:aws:ssm:us-east-1:000000000000:parameter/flat") == .init(name: "flat", selector: nil))
        #expect(ParameterName.reference("arn:aws:ssm:us-east-1::parameter/aws/service/x")?.name == "/aws/service/x")
        #expect(ParameterName.reference("arn:aws:s3:::bucket") == nil)
    }

    @Test func keysAndArns() {
        #expect(ParameterName.key("/flat") == "flat")
        #expect(ParameterName.key("flat") == "flat")
        #expect(ParameterName.key("/a/b") == "/a/b")
        #expect(ParameterName.arn(region: "eu-west-1", account: "1", name: "/a/b") == "arn:aws:ssm:eu-west-1:1:parameter/a/b")
        #expect(ParameterName.arn(region: "eu-west-1", account: "1", name: "flat") == "arn:aws:ssm:eu-west-1:1:parameter/flat")
    }

    @Test func createRulesWithAWSWording() throws {
        func message(_ n: String) -> String? {
            do {
                _ = try ParameterName.validateForCreate(n, region: "us-east-1", account: "000000000000")
                return nil
            } catch {
                return error.code + ": " + error.message
            }
        }
        #expect(message("AWS-x") == "ValidationException: Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).")
        #expect(message("/aws/x/y") == "AccessDeniedException: No access to reserved parameter name: /aws/x/y.")
        #expect(message("x/y") == "ValidationException: Parameter name must be a fully qualified name.")
        #expect(message("/x/") != nil)
        #expect(message("/x$y") != nil)
        #expect(message("/ok/name-1_2.3") == nil)
        #expect(try ParameterName.validateForCreate(" /sp ", region: "r", account: "a") == "/sp")
    }

    @Test func labels() {
        #expect(SSMService.isValidLabel("prod-1.x_y"))
        #expect(!SSMService.isValidLabel("1prod"))
        #expect(!SSMService.isValidLabel("AWSlabel"))
        #expect(!SSMService.isValidLabel("ssm"))
        #expect(!SSMService.isValidLabel("a/b"))
        #expect(!SSMService.isValidLabel(String(repeating: "a", count: 101)))
    }

    @Test func envelopeIsSelfDescribingAndBoundToTheArn() async throws {
        let kms = FakeKMS()
        let values = SecureValues(invoker: kms)
        let ctx = TestContext.make()
        let arn = "arn:aws:ssm:us-east-1:000000000000:parameter/x"
        let sealed = try await values.encrypt("hello", keyId: "k", arn: arn, envelope: true, ctx: ctx)
        #expect(Base64.decode(sealed)?.first == SecureValues.envelopeMagic)
        #expect(try await values.decrypt(sealed, arn: arn, envelope: true, ctx: ctx) == "hello")
        // Another parameter's ARN does not open it (KMS refuses the data key's context).
        await #expect(throws: AWSError.self) {
            _ = try await values.decrypt(sealed, arn: arn + "y", envelope: true, ctx: ctx)
        }
    }

    @Test func kmsErrorsMapToParameterStoreCodes() {
        let denied = SecureValues.map(AWSError(code: "AccessDeniedException", message: "User: u is not authorized"), requestId: "r")
        #expect(denied.code == "AccessDeniedException")
        #expect(denied.message == "User: u is not authorized (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException; Request ID: r; Proxy: null)")
        for code in ["NotFoundException", "DisabledException", "KMSInvalidStateException", "InvalidKeyUsageException"] {
            #expect(SecureValues.map(AWSError(code: code, message: "m"), requestId: "r").code == "InvalidKeyId")
        }
        #expect(SecureValues.map(AWSError.serviceUnavailable(), requestId: "r").code == "ServiceUnavailable")
    }
}
