import Foundation
import SimfraCore
import SimfraTestSupport
import Testing

@testable import SimfraLambda

/// STS as far as Lambda sees it: a role is assumable by Lambda when its name says so.
struct FakeSTS: ServiceInvoker {
    func invoke(_ call: InternalCall) async throws -> Value {
        guard call.service == "sts", call.operation == "AssumeRole", call.asService == "lambda.amazonaws.com" else {
            throw AWSError(code: "AccessDenied", message: "unexpected \(call.service):\(call.operation)")
        }
        if call.input.string("RoleArn")?.hasSuffix("/lambda-role") == true {
            return ["Credentials": ["AccessKeyId": "ASIAFAKE", "SecretAccessKey": "s", "SessionToken": "t"]]
        }
        throw AWSError(code: "AccessDenied", message: "not trusted", status: 403)
    }
}

@Suite struct LambdaControlPlaneTests {
    static let context = RequestContext(
        requestId: "r", accountId: "111111111111", region: "us-east-1", principalArn: "arn:aws:iam::111111111111:root",
        userId: "111111111111", accessKeyId: "AKIA", service: "lambda", operation: "", endpoint: "http://localhost:4599",
        host: "localhost")
    static let role = "arn:aws:iam::111111111111:role/lambda-role"
    /// An empty zip archive: only its end-of-central-directory record.
    static let zip: [UInt8] = [0x50, 0x4B, 0x05, 0x06] + [UInt8](repeating: 0, count: 18)

    func service(_ records: any DurableRecords = InMemoryRecords()) throws -> LambdaService {
        let s = try LambdaService(records: records)
        s.invoker.connect(FakeSTS())
        return s
    }

    func create(_ s: LambdaService, _ name: String, role: String = role) async throws -> Value {
        try await s.handle(operation: "CreateFunction", input: [
            "FunctionName": .string(name), "Runtime": "python3.12", "Handler": "index.handler", "Role": .string(role),
            "Code": ["ZipFile": .blob(Self.zip)], "Environment": ["Variables": ["A": "1"]],
        ], context: Self.context)
    }

    func expectError(_ code: String, _ message: String? = nil, _ body: () async throws -> Value) async {
        do {
            _ = try await body()
            Issue.record("expected \(code)")
        } catch let e as AWSError {
            #expect(e.code == code)
            if let message { #expect(e.message == message) }
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func createGetAndCodeHash() async throws {
        let s = try service()
        let out = try await create(s, "fn")
        #expect(out.string("State") == "Pending")
        #expect(out.string("CodeSha256") == CodeStore.digest(Self.zip).base64)
        #expect(out.int("CodeSize") == Self.zip.count)
        let got = try await s.handle(operation: "GetFunctionConfiguration", input: ["FunctionName": "fn"], context: Self.context)
        #expect(got.string("State") == "Active")
        #expect(got.string("LastUpdateStatus") == "Successful")
        #expect(got.lambdaEnvironment == ["A": "1"])
        await expectError("ResourceConflictException", "Function already exist: fn") { try await create(s, "fn") }
        await expectError("ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:111111111111:function:nope") {
            try await s.handle(operation: "GetFunction", input: ["FunctionName": "nope"], context: Self.context)
        }
    }

    @Test func roleMustBeAssumableAndZipValid() async throws {
        let s = try service()
        await expectError("InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda.") {
            try await create(s, "fn", role: "arn:aws:iam::111111111111:role/other")
        }
        await expectError("InvalidParameterValueException") {
            try await s.handle(operation: "CreateFunction", input: [
                "FunctionName": "bad", "Runtime": "python3.12", "Handler": "h", "Role": .string(Self.role),
                "Code": ["ZipFile": .blob(Array("not a zip".utf8))],
            ], context: Self.context)
        }
        await expectError("InvalidParameterValueException") {
            try await s.handle(operation: "CreateFunction", input: [
                "FunctionName": "env", "Runtime": "python3.12", "Handler": "h", "Role": .string(Self.role),
                "Code": ["ZipFile": .blob(Self.zip)], "Environment": ["Variables": ["AWS_REGION": "x"]],
            ], context: Self.context)
        }
    }

    @Test func versionsAliasesAndNames() async throws {
        let s = try service()
        _ = try await create(s, "fn")
        let v1 = try await s.handle(operation: "PublishVersion", input: ["FunctionName": "fn"], context: Self.context)
        #expect(v1.string("Version") == "1")
        // Nothing changed: the same version again.
        let again = try await s.handle(operation: "PublishVersion", input: ["FunctionName": "fn"], context: Self.context)
        #expect(again.string("Version") == "1")
        _ = try await s.handle(operation: "UpdateFunctionConfiguration", input: ["FunctionName": "fn", "Timeout": 10], context: Self.context)
        let v2 = try await s.handle(operation: "PublishVersion", input: ["FunctionName": "fn"], context: Self.context)
        #expect(v2.string("Version") == "2")
        #expect(v2.int("Timeout") == 10)
        _ = try await s.handle(operation: "CreateAlias", input: [
            "FunctionName": "fn", "Name": "live", "FunctionVersion": "1",
            "RoutingConfig": ["AdditionalVersionWeights": ["2": 0.25]],
        ], context: Self.context)
        let viaAlias = try await s.handle(operation: "GetFunctionConfiguration", input: ["FunctionName": "fn:live"], context: Self.context)
        #expect(viaAlias.int("Timeout") == 3)
        let byArn = try await s.handle(
            operation: "GetFunctionConfiguration",
            input: ["FunctionName": "arn:aws:lambda:us-east-1:111111111111:function:fn", "Qualifier": "2"], context: Self.context)
        #expect(byArn.int("Timeout") == 10)
        await expectError("InvalidParameterValueException") {
            try await s.handle(operation: "GetFunction", input: ["FunctionName": "fn:1", "Qualifier": "2"], context: Self.context)
        }
        await expectError("ResourceConflictException") {
            try await s.handle(operation: "DeleteFunction", input: ["FunctionName": "fn", "Qualifier": "1"], context: Self.context)
        }
        let versions = try await s.handle(operation: "ListVersionsByFunction", input: ["FunctionName": "fn", "MaxItems": 2], context: Self.context)
        #expect(versions["Versions"]?.listValue?.compactMap { $0.string("Version") } == ["$LATEST", "1"])
        let rest = try await s.handle(operation: "ListVersionsByFunction",
                                      input: ["FunctionName": "fn", "Marker": versions["NextMarker"] ?? .null], context: Self.context)
        #expect(rest["Versions"]?.listValue?.compactMap { $0.string("Version") } == ["2"])
    }

    @Test func permissionsBecomeTheResourcePolicy() async throws {
        let s = try service()
        _ = try await create(s, "fn")
        let out = try await s.handle(operation: "AddPermission", input: [
            "FunctionName": "fn", "StatementId": "sns", "Action": "lambda:InvokeFunction", "Principal": "sns.amazonaws.com",
            "SourceArn": "arn:aws:sns:us-east-1:111111111111:t",
        ], context: Self.context)
        #expect(out.string("Statement")?.contains("\"Service\":\"sns.amazonaws.com\"") == true)
        let arn = "arn:aws:lambda:us-east-1:111111111111:function:fn"
        #expect(s.resourcePolicy(forResource: arn, context: Self.context)?.document.contains("AWS:SourceArn") == true)
        await expectError("ResourceConflictException") {
            try await s.handle(operation: "AddPermission", input: [
                "FunctionName": "fn", "StatementId": "sns", "Action": "lambda:InvokeFunction", "Principal": "*",
            ], context: Self.context)
        }
        _ = try await s.handle(operation: "RemovePermission", input: ["FunctionName": "fn", "StatementId": "sns"], context: Self.context)
        #expect(s.resourcePolicy(forResource: arn, context: Self.context) == nil)
        await expectError("ResourceNotFoundException", "The resource you requested does not exist.") {
            try await s.handle(operation: "GetPolicy", input: ["FunctionName": "fn"], context: Self.context)
        }
    }

    @Test func restoresFromRecords() async throws {
        let records = InMemoryRecords()
        let s = try service(records)
        _ = try await create(s, "fn")
        _ = try await s.handle(operation: "PublishVersion", input: ["FunctionName": "fn"], context: Self.context)
        _ = try await s.handle(operation: "TagResource", input: [
            "Resource": "arn:aws:lambda:us-east-1:111111111111:function:fn", "Tags": ["team": "a"],
        ], context: Self.context)
        let again = try LambdaService(records: records)
        try again.restore()
        let got = try await again.handle(operation: "GetFunction", input: ["FunctionName": "fn:1"], context: Self.context)
        #expect(got["Configuration"]?.string("Version") == "1")
        #expect(got["Tags"]?.string("team") == "a")
        try await s.removeAccount("111111111111")
        #expect(records.count == 0)
    }
}
