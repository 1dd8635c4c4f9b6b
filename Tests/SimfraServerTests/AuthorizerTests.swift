import SimfraCore
import SimfraPolicy
import SimfraProtocols
import Testing

@testable import SimfraServer

/// The authoriser's wiring around the engine: who the caller is, which policies apply, which
/// resource policy the owning service hands over, and what a denial says.
@Suite struct AuthorizerTests {
    struct Clock: SimfraClock { func now() -> Double { 1_700_000_000 } }

    /// A service with a one-line action table and, optionally, a resource policy per ARN.
    struct FakeService: ResourcePolicyService {
        let serviceName = "fake"
        let implementedOperations: Set<String> = ["Get", "Put", "Free"]
        var policies: [String: ResourcePolicyDocument] = [:]
        var owners: [String: String] = [:]

        func handle(operation: String, input: Value, context: RequestContext) async throws -> Value { [:] }

        func authorization(operation: String, input: Value, context: RequestContext) -> [ActionRequirement]? {
            if operation == "Free" { return nil }
            return [ActionRequirement(action: "fake:" + operation, resources: [input["Arn"]?.stringValue ?? "*"],
                                      conditionKeys: ["fake:color": [input["Color"]?.stringValue ?? "none"]])]
        }

        func resourcePolicy(forResource arn: String, context: RequestContext) -> ResourcePolicyDocument? { policies[arn] }
        func resourceOwner(forResource arn: String, context: RequestContext) -> String? { owners[arn] }
    }

    /// IAM as a dictionary: access key → caller.
    struct FakeDirectory: IdentityDirectory {
        var callers: [String: CallerIdentity]
        func caller(for credential: Credential) -> CallerIdentity? { callers[credential.accessKeyId] }
        func role(arn: String) -> RoleFacts? { nil }
        func managedPolicy(arn: String) -> Policy? { nil }
        func hasOpenIDConnectProvider(account: String, issuer: String) -> Bool { false }
        func hasSAMLProvider(arn: String) -> Bool { false }
    }

    static func policy(_ json: String, _ kind: Policy.Kind = .identity) -> Policy {
        try! Policy(parsing: try! JSONReader.parse(Array(json.utf8)), kind: kind)
    }

    static func allow(_ action: String, _ resource: String = "*", condition: String = "") -> String {
        #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"\#(action)","Resource":"\#(resource)"\#(condition)}]}"#
    }

    static let alice = "arn:aws:iam::111111111111:user/alice"

    static func user(_ policies: [String], boundary: String? = nil, session: [String]? = nil) -> CallerIdentity {
        CallerIdentity(
            principal: .user(arn: alice, account: "111111111111"), userId: "AIDAALICE", userName: "alice",
            identityPolicies: policies.enumerated().map { AttachedPolicy(id: "p\($0.offset)", policy: policy($0.element)) },
            permissionsBoundary: boundary.map { AttachedPolicy(id: "boundary", policy: policy($0)) },
            sessionPolicies: session.map { $0.map { AttachedPolicy(id: "session", policy: policy($0)) } })
    }

    static func credential(_ key: String, account: String = "111111111111", arn: String = alice) -> Credential {
        Credential(accessKeyId: key, secretAccessKey: "s", accountId: account, principalArn: arn, userId: "AIDAALICE")
    }

    static func context(account: String = "111111111111") -> RequestContext {
        RequestContext(requestId: "r", accountId: account, region: "us-east-1", principalArn: alice, userId: "AIDAALICE",
                       accessKeyId: "k", service: "fake", operation: "Get", endpoint: "http://localhost", host: "localhost")
    }

    func decide(_ caller: CallerIdentity?, service: FakeService = FakeService(), op: String = "Get",
                arn: String = "arn:aws:fake:::thing/1", color: String = "red", credential: Credential? = credential("AKIAALICE"))
        -> Authorizer.Denial?
    {
        let dir = FakeDirectory(callers: caller.map { ["AKIAALICE": $0] } ?? [:])
        let a = Authorizer(directory: dir, clock: Clock())
        return a.authorize(service, operation: op, input: ["Arn": .string(arn), "Color": .string(color)],
                           context: Self.context(), credential: credential, sourceIp: "127.0.0.1", secureTransport: false)
    }

    @Test func userAllowedExactlyAsItsPolicySays() {
        let u = Self.user([Self.allow("fake:Get", "arn:aws:fake:::thing/*")])
        #expect(decide(u) == nil)
        let put = decide(u, op: "Put")
        #expect(put?.message == "User: \(Self.alice) is not authorized to perform: fake:Put on resource: arn:aws:fake:::thing/1 because no identity-based policy allows the fake:Put action")
        #expect(decide(u, arn: "arn:aws:fake:::other/1") != nil)
    }

    @Test func operationsWithoutRequirementsAreFree() {
        #expect(decide(Self.user([]), op: "Free") == nil)
    }

    @Test func explicitDenyWins() {
        let u = Self.user([Self.allow("fake:*"), #"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"fake:Get","Resource":"*"}]}"#])
        #expect(decide(u)?.message?.hasSuffix("with an explicit deny in an identity-based policy") == true)
        #expect(decide(u, op: "Put") == nil)
    }

    @Test func serviceConditionKeysReachTheEngine() {
        let u = Self.user([Self.allow("fake:Get", condition: #","Condition":{"StringEquals":{"fake:color":"red"}}"#)])
        #expect(decide(u, color: "red") == nil)
        #expect(decide(u, color: "blue") != nil)
    }

    @Test func boundaryAndSessionPoliciesIntersect() {
        let both = Self.user([Self.allow("fake:*")], boundary: Self.allow("fake:Get"))
        #expect(decide(both) == nil)
        #expect(decide(both, op: "Put")?.message?.contains("because no permissions boundary allows") == true)
        let session = Self.user([Self.allow("fake:*")], session: [Self.allow("fake:Put")])
        #expect(decide(session, op: "Put") == nil)
        #expect(decide(session)?.message?.contains("because no session policy allows") == true)
    }

    @Test func unknownCallerIsDenied() {
        #expect(decide(nil) != nil)
    }

    @Test func rootIsFreeExceptWhereAResourcePolicyBinds() {
        let root = Credential.root(accessKeyId: "AKIAROOT", secretAccessKey: "s", accountId: "111111111111")
        #expect(decide(nil, op: "Put", credential: root) == nil)
        var svc = FakeService()
        svc.policies["arn:aws:fake:::thing/1"] = ResourcePolicyDocument(
            document: #"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"fake:Get","Resource":"*"}]}"#,
            ownerAccount: "111111111111")
        #expect(decide(nil, service: svc, credential: root)?.message?.contains("explicit deny in a resource-based policy") == true)
        #expect(decide(nil, service: svc, op: "Put", credential: root) == nil)
        // Another account's root needs the owner's resource policy to allow.
        svc.owners["arn:aws:fake:::thing/2"] = "222222222222"
        #expect(decide(nil, service: svc, arn: "arn:aws:fake:::thing/2", credential: root) != nil)
    }

    @Test func crossAccountNeedsBothSides() {
        var svc = FakeService()
        let grant = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"fake:Get","Resource":"*"}]}"#
        svc.policies["arn:aws:fake:::theirs"] = ResourcePolicyDocument(document: grant, ownerAccount: "222222222222")
        #expect(decide(Self.user([Self.allow("fake:Get")]), service: svc, arn: "arn:aws:fake:::theirs") == nil)
        // The owner allows, but the caller's own account does not.
        #expect(decide(Self.user([]), service: svc, arn: "arn:aws:fake:::theirs") != nil)
        // The caller's account allows, but the owner does not.
        svc.policies["arn:aws:fake:::theirs"] = nil
        svc.owners["arn:aws:fake:::theirs"] = "222222222222"
        #expect(decide(Self.user([Self.allow("fake:Get")]), service: svc, arn: "arn:aws:fake:::theirs") != nil)
    }

    @Test func anonymousCallersNeedAPublicResourcePolicyAndGetNoSentence() {
        var svc = FakeService()
        #expect(decide(nil, service: svc, credential: nil)?.message == nil)
        #expect(decide(nil, service: svc, credential: nil) != nil)
        svc.policies["arn:aws:fake:::thing/1"] = ResourcePolicyDocument(
            document: "", ownerAccount: "111111111111",
            additionalDocuments: [#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"fake:Get","Resource":"*"}]}"#])
        #expect(decide(nil, service: svc, credential: nil) == nil)
        #expect(decide(nil, service: svc, op: "Put", credential: nil) != nil)
    }

    @Test func sameAccountResourcePolicyNamingTheUserAllowsOnItsOwn() {
        var svc = FakeService()
        svc.policies["arn:aws:fake:::thing/1"] = ResourcePolicyDocument(
            document: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"\#(Self.alice)"},"Action":"fake:Get","Resource":"*"}]}"#,
            ownerAccount: "111111111111")
        #expect(decide(Self.user([]), service: svc) == nil)
        #expect(decide(Self.user([]), service: svc, op: "Put") != nil)
    }

    @Test func trustPoliciesMustAllowEvenWithinTheAccount() {
        var svc = FakeService()
        svc.policies["arn:aws:fake:::role"] = ResourcePolicyDocument(
            document: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/bob"},"Action":"fake:Get"}]}"#,
            ownerAccount: "111111111111", isTrustPolicy: true)
        #expect(decide(Self.user([Self.allow("fake:Get")]), service: svc, arn: "arn:aws:fake:::role") != nil)
    }

    /// KMS: a key policy naming the account only delegates to IAM policies; one naming the
    /// user allows on its own; one that names neither locks IAM policies and the root out.
    @Test func keyPoliciesMustAllowAndTheAccountStatementDelegatesToIAM() {
        func keyPolicy(_ principal: String) -> ResourcePolicyDocument {
            ResourcePolicyDocument(
                document: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"\#(principal)"},"Action":"fake:*","Resource":"*"}]}"#,
                ownerAccount: "111111111111", mustAllow: true)
        }
        var svc = FakeService()
        svc.policies["arn:aws:fake:::thing/1"] = keyPolicy("arn:aws:iam::111111111111:root")
        #expect(decide(Self.user([]), service: svc) != nil)
        #expect(decide(Self.user([Self.allow("fake:Get")]), service: svc) == nil)
        svc.policies["arn:aws:fake:::thing/1"] = keyPolicy(Self.alice)
        #expect(decide(Self.user([]), service: svc) == nil)
        svc.policies["arn:aws:fake:::thing/1"] = keyPolicy("arn:aws:iam::111111111111:user/bob")
        #expect(decide(Self.user([Self.allow("*")]), service: svc) != nil)
        let root = Credential(accessKeyId: "AKIAROOT", secretAccessKey: "s", accountId: "111111111111",
                              principalArn: "arn:aws:iam::111111111111:root", userId: "111111111111")
        #expect(decide(nil, service: svc, credential: root) != nil)
        svc.policies["arn:aws:fake:::thing/1"] = keyPolicy("arn:aws:iam::111111111111:root")
        #expect(decide(nil, service: svc, credential: root) == nil)
    }

    /// Internal calls: keys the invoker adds (kms:ViaService) reach the conditions, and a
    /// service acting as itself needs a resource policy (or grant) naming it.
    @Test func internalCallsCarryViaServiceAndServicePrincipals() {
        let dir = FakeDirectory(callers: ["AKIAALICE": Self.user([Self.allow(
            "fake:Get", condition: #","Condition":{"StringEquals":{"fake:ViaService":"sm.us-east-1.amazonaws.com"}}"#)])])
        let a = Authorizer(directory: dir, clock: Clock())
        let input: Value = ["Arn": .string("arn:aws:fake:::thing/1")]
        #expect(a.authorize(FakeService(), operation: "Get", input: input, context: Self.context(),
                            credential: Self.credential("AKIAALICE"), sourceIp: nil, secureTransport: true) != nil)
        #expect(a.authorize(FakeService(), operation: "Get", input: input, context: Self.context(),
                            credential: Self.credential("AKIAALICE"), sourceIp: nil, secureTransport: true,
                            extraConditions: ["fake:viaservice": ["sm.us-east-1.amazonaws.com"]]) == nil)

        var svc = FakeService()
        #expect(a.authorize(svc, operation: "Get", input: input, context: Self.context(), credential: nil,
                            sourceIp: nil, secureTransport: true, servicePrincipal: "sns.amazonaws.com") != nil)
        svc.policies["arn:aws:fake:::thing/1"] = ResourcePolicyDocument(
            document: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"fake:Get","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"}}}]}"#,
            ownerAccount: "111111111111")
        #expect(a.authorize(svc, operation: "Get", input: input, context: Self.context(), credential: nil,
                            sourceIp: nil, secureTransport: true, extraConditions: ["aws:sourceaccount": ["111111111111"]],
                            servicePrincipal: "sns.amazonaws.com") == nil)
        #expect(a.authorize(svc, operation: "Get", input: input, context: Self.context(), credential: nil,
                            sourceIp: nil, secureTransport: true, extraConditions: ["aws:sourceaccount": ["222222222222"]],
                            servicePrincipal: "sns.amazonaws.com") != nil)
        #expect(a.authorize(svc, operation: "Get", input: input, context: Self.context(), credential: nil,
                            sourceIp: nil, secureTransport: true, extraConditions: ["aws:sourceaccount": ["111111111111"]],
                            servicePrincipal: "sqs.amazonaws.com") != nil)
    }
}
