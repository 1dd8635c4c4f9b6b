import SimfraCore
import SimfraPolicy
import Testing
@testable import SimfraIAM

/// The directory is on the path of every signed non-root request: resolving a key and a
/// caller must cost no parsing (the brief's case: 10 attached policies of 10 statements).
@Suite struct DirectoryCostTests {
    @Test func resolvingReusesCompiledPolicies() async throws {
        let iam = IAMService(records: MemoryOnlyRecords(), clock: FixedClock())
        try await iam.call("CreateUser", ["UserName": "busy"])
        for p in 0..<10 {
            let statements = (0..<10).map { s in
                #"{"Effect":"Allow","Action":["svc\#(p)x\#(s):Get*","dynamodb:Query"],"Resource":"arn:aws:dynamodb:us-east-1:123456789012:table/t\#(p)-\#(s)"}"#
            }
            let doc = #"{"Version":"2012-10-17","Statement":[\#(statements.joined(separator: ","))]}"#
            let arn = try await iam.call("CreatePolicy", ["PolicyName": .string("p\(p)"), "PolicyDocument": .string(doc)])["Policy"]!["Arn"]!
            try await iam.call("AttachUserPolicy", ["UserName": "busy", "PolicyArn": arn])
        }
        let id = try await iam.call("CreateAccessKey", ["UserName": "busy"])["AccessKey"]!["AccessKeyId"]!.stringValue!
        // No parsing per request: two resolutions hand out the very same compiled policies
        // (the cost itself is measured by bench/authz.py, not by a timed test).
        let cred = try #require(iam.credential(forAccessKeyId: id))
        let first = try #require(iam.caller(for: cred))
        let second = try #require(iam.caller(for: cred))
        #expect(first.identityPolicies.count == 10)
        for (a, b) in zip(first.identityPolicies, second.identityPolicies) { #expect(a.policy === b.policy) }
        let req = AuthorizationRequest(
            principal: second.principal, action: "dynamodb:Query", resource: "arn:aws:dynamodb:us-east-1:123456789012:table/t9-9")
        #expect(PolicyEvaluator.evaluate(req, PolicySet(identityPolicies: second.identityPolicies)).isAllowed)
    }
}
