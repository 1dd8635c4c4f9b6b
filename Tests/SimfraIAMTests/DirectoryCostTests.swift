import SimfraCore
import SimfraPolicy
import Testing
@testable import SimfraIAM

/// The directory is on the path of every signed non-root request: resolving a key and a
/// caller must cost no parsing. This measures the brief's case (10 attached policies of 10
/// statements) end to end, with a bound loose enough for an unoptimised build.
@Suite struct DirectoryCostTests {
    @Test func resolvingAndEvaluatingIsCheap() async throws {
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
        let n = 2000
        let clock = ContinuousClock()
        var allowed = 0
        let elapsed = clock.measure {
            for _ in 0..<n {
                guard let cred = iam.credential(forAccessKeyId: id), let c = iam.caller(for: cred) else { continue }
                let req = AuthorizationRequest(
                    principal: c.principal, action: "dynamodb:Query", resource: "arn:aws:dynamodb:us-east-1:123456789012:table/t9-9")
                let set = PolicySet(identityPolicies: c.identityPolicies, permissionsBoundary: c.permissionsBoundary)
                if PolicyEvaluator.evaluate(req, set).isAllowed { allowed += 1 }
            }
        }
        #expect(allowed == n)
        let perRequest = Double(elapsed.components.attoseconds) / 1e12 / Double(n) + Double(elapsed.components.seconds) * 1e6 / Double(n)
        print("IAM directory: \(perRequest) µs per request (key + caller + evaluation, 10×10 statements)")
        #expect(perRequest < 500)
        let cred = try #require(iam.credential(forAccessKeyId: id))
        let resolveOnly = clock.measure {
            for _ in 0..<n { _ = iam.credential(forAccessKeyId: id); _ = iam.caller(for: cred) }
        }
        print("IAM directory: resolve only \(Double(resolveOnly.components.attoseconds) / 1e12 / Double(n)) µs")
    }
}
