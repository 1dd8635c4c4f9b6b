import Testing
import Foundation
import SimfraCore
import SimfraTestSupport
import Synchronization
@testable import SimfraKMS

func context(account: String = "111111111111", region: String = "us-east-1",
             principal: String? = nil) -> RequestContext
{
    RequestContext(requestId: "r", accountId: account, region: region, principalArn: principal ?? "arn:aws:iam::\(account):root",
                   userId: account, accessKeyId: "AKIA", service: "kms", operation: "", endpoint: "http://localhost", host: "localhost")
}

func expectError(_ code: String, _ body: () async throws -> Value) async -> AWSError? {
    do {
        _ = try await body()
        Issue.record("expected \(code)")
        return nil
    } catch let e as AWSError {
        if e.code != code { Issue.record("expected \(code), got \(e.code): \(e.message)") }
        return e
    } catch {
        Issue.record("unexpected \(error)")
        return nil
    }
}

