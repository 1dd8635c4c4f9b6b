import SimfraCore
import SimfraPolicy
import Synchronization

@testable import SimfraSTS

/// A clock the tests move by hand.
final class TestClock: SimfraClock {
    private let t: Mutex<Double>
    init(_ start: Double = 1_750_000_000) { t = Mutex(start) }
    func now() -> Double { t.withLock { $0 } }
    func advance(_ s: Double) { t.withLock { $0 += s } }
}

/// IAM as STS sees it, held in memory.
final class FakeDirectory: IdentityDirectory {
    private let roles: Mutex<[String: RoleFacts]> = Mutex([:])
    let oidcProviders: Set<String>
    let samlProviders: Set<String>

    init(oidcProviders: Set<String> = [], samlProviders: Set<String> = []) {
        self.oidcProviders = oidcProviders
        self.samlProviders = samlProviders
    }

    @discardableResult
    func addRole(account: String = "111111111111", name: String, path: String = "/", trust: Value,
                 maxSessionDuration: Int = 3600) throws -> RoleFacts
    {
        let arn = "arn:aws:iam::\(account):role\(path)\(name)"
        let role = RoleFacts(
            arn: arn, roleName: name, roleId: "AROA" + String(repeating: "X", count: 17), accountId: account,
            trustPolicy: try Policy(parsing: trust, kind: .trust), trustPolicyDocument: "{\"trust\":\"\(name)\"}",
            maxSessionDuration: maxSessionDuration, tags: [:])
        roles.withLock { $0[arn] = role }
        return role
    }

    func caller(for credential: Credential) -> CallerIdentity? { nil }
    func role(arn: String) -> RoleFacts? { roles.withLock { $0[arn] } }
    func managedPolicy(arn: String) -> Policy? { nil }
    func hasOpenIDConnectProvider(account: String, issuer: String) -> Bool { oidcProviders.contains("\(account)/\(issuer)") }
    func hasSAMLProvider(arn: String) -> Bool { samlProviders.contains(arn) }
}

enum Fixture {
    static let account = "111111111111"
    static let rootArn = "arn:aws:iam::111111111111:root"
    static let userArn = "arn:aws:iam::111111111111:user/alice"

    static func context(_ principalArn: String = rootArn, userId: String = account, accessKeyId: String = "AKIAROOT",
                        account: String = account, operation: String = "AssumeRole") -> RequestContext
    {
        RequestContext(requestId: "r", accountId: account, region: "us-east-1", principalArn: principalArn, userId: userId,
                       accessKeyId: accessKeyId, service: "sts", operation: operation, endpoint: "http://localhost",
                       host: "localhost")
    }

    /// The context of a request signed with an issued temporary credential.
    static func context(of c: Credential, operation: String = "AssumeRole") -> RequestContext {
        context(c.principalArn, userId: c.userId, accessKeyId: c.accessKeyId, account: c.accountId, operation: operation)
    }

    static func trustAccount(_ account: String = account, actions: [Value] = ["sts:AssumeRole", "sts:TagSession"]) -> Value {
        [
            "Version": "2012-10-17",
            "Statement": [
                ["Effect": "Allow", "Principal": ["AWS": .string(account)], "Action": .list(actions)],
            ],
        ]
    }

    static func base64url(_ s: String) -> String {
        Base64.encode(Array(s.utf8)).replacing("+", with: "-").replacing("/", with: "_").replacing("=", with: "")
    }

    static func jwt(_ payload: String) -> String {
        base64url("{\"alg\":\"RS256\",\"typ\":\"JWT\"}") + "." + base64url(payload) + ".c2lnbmF0dXJl"
    }
}

/// The AWSError an async call throws, or nil.
func awsError(_ body: () async throws -> Value) async -> AWSError? {
    do {
        _ = try await body()
        return nil
    } catch let e as AWSError {
        return e
    } catch {
        return AWSError(code: "unexpected \(error)", message: "")
    }
}
