import Testing
@testable import SimfraPolicy

func attached(_ p: Policy, _ id: String = "p") -> AttachedPolicy { AttachedPolicy(id: id, policy: p) }

let alice = RequestPrincipal.user(arn: "arn:aws:iam::111122223333:user/alice", account: "111122223333")
let bob = RequestPrincipal.user(arn: "arn:aws:iam::444455556666:user/bob", account: "444455556666")
let roleSession = RequestPrincipal.assumedRole(
    sessionArn: "arn:aws:sts::111122223333:assumed-role/app/s1",
    roleArn: "arn:aws:iam::111122223333:role/team/app", account: "111122223333")

@Suite struct EvaluationTests {
    static let bucket = "arn:aws:s3:::shared-bucket/data.txt"

    func request(_ p: RequestPrincipal, _ action: String, _ resource: String? = bucket, _ ctx: [String: [String]] = [:])
        -> AuthorizationRequest
    {
        AuthorizationRequest(principal: p, action: action, resource: resource, context: PolicyContext(ctx))
    }

    func bucketPolicy(_ statements: String, account: String = "111122223333") -> PolicySet {
        PolicySet(
            resourcePolicy: attached(policy(#"{"Version": "2012-10-17", "Statement": \#(statements)}"#, kind: .resource), "bucket"),
            resourceAccount: account)
    }

    // MARK: identity policies

    @Test func identityPolicyAllowsAndNothingElseDoes() {
        let set = PolicySet(identityPolicies: [attached(allow("s3:Get*", "arn:aws:s3:::shared-bucket/*"))])
        #expect(PolicyEvaluator.evaluate(request(alice, "s3:GetObject"), set).decision == .allowed)
        #expect(PolicyEvaluator.evaluate(request(alice, "S3:getobject"), set).decision == .allowed)
        let put = request(alice, "s3:PutObject")
        let denied = PolicyEvaluator.evaluate(put, set)
        #expect(denied.decision == .implicitDeny)
        #expect(denied.accessDeniedMessage(for: put) ==
            "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::shared-bucket/data.txt because no identity-based policy allows the s3:PutObject action")
        #expect(PolicyEvaluator.evaluate(request(alice, "s3:GetObject"), PolicySet()).decision == .implicitDeny)
    }

    @Test func explicitDenyWinsOverAnyAllow() {
        let set = PolicySet(identityPolicies: [
            attached(allow("s3:*"), "arn:aws:iam::aws:policy/AmazonS3FullAccess"),
            attached(allow("s3:DeleteObject", "arn:aws:s3:::shared-bucket/*", effect: "Deny"), "user/alice/nodelete"),
        ])
        let r = request(alice, "s3:DeleteObject")
        let result = PolicyEvaluator.evaluate(r, set)
        #expect(result.decision == .explicitDeny)
        #expect(result.decidedBy == .identity)
        #expect(result.matchedStatements == [
            MatchedStatement(policyId: "user/alice/nodelete", role: .identity, statementIndex: 0, sid: nil, effect: .deny)
        ])
        #expect(result.accessDeniedMessage(for: r) ==
            "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:DeleteObject on resource: arn:aws:s3:::shared-bucket/data.txt with an explicit deny in an identity-based policy")
        let ok = PolicyEvaluator.evaluate(request(alice, "s3:GetObject"), set)
        #expect(ok.decision == .allowed)
        #expect(ok.matchedStatements.map(\.policyId) == ["arn:aws:iam::aws:policy/AmazonS3FullAccess"])
    }

    @Test func notActionAndNotResource() {
        // "Allow everything except IAM" and "deny outside one bucket".
        let everythingButIAM = policy(#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}}"#)
        let onlyOneBucket = policy(#"{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::shared-bucket", "arn:aws:s3:::shared-bucket/*"]}}"#)
        let set = PolicySet(identityPolicies: [attached(everythingButIAM), attached(onlyOneBucket)])
        #expect(PolicyEvaluator.evaluate(request(alice, "s3:GetObject"), set).decision == .allowed)
        #expect(PolicyEvaluator.evaluate(request(alice, "iam:CreateUser", "arn:aws:iam::111122223333:user/x"), set).decision == .implicitDeny)
        #expect(PolicyEvaluator.evaluate(request(alice, "s3:GetObject", "arn:aws:s3:::other/k"), set).decision == .explicitDeny)
        #expect(PolicyEvaluator.evaluate(request(alice, "sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q"), set).decision == .allowed)
    }

    @Test func operationWithoutResourceMatchesOnlyStar() {
        let set = PolicySet(identityPolicies: [attached(allow("s3:ListAllMyBuckets", "arn:aws:s3:::*"))])
        let r = request(alice, "s3:ListAllMyBuckets", nil)
        let result = PolicyEvaluator.evaluate(r, set)
        #expect(result.decision == .implicitDeny)
        #expect(result.accessDeniedMessage(for: r) ==
            "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:ListAllMyBuckets because no identity-based policy allows the s3:ListAllMyBuckets action")
        let star = PolicySet(identityPolicies: [attached(allow("s3:ListAllMyBuckets"))])
        #expect(PolicyEvaluator.evaluate(r, star).isAllowed)
    }

    /// AWS's home-directory example: each user lists and uses only their own prefix.
    @Test func homeDirectoryExampleWithVariables() {
        let home = policy(#"""
            {"Version": "2012-10-17", "Statement": [
              {"Sid": "List", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::home-bucket",
               "Condition": {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}}},
              {"Sid": "Use", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::home-bucket/home/${aws:username}/*"}
            ]}
            """#)
        let set = PolicySet(identityPolicies: [attached(home)])
        let me = ["aws:username": ["alice"]]
        #expect(PolicyEvaluator.evaluate(request(alice, "s3:PutObject", "arn:aws:s3:::home-bucket/home/alice/a.txt", me), set).isAllowed)
        #expect(!PolicyEvaluator.evaluate(request(alice, "s3:PutObject", "arn:aws:s3:::home-bucket/home/bob/a.txt", me), set).isAllowed)
        #expect(!PolicyEvaluator.evaluate(request(alice, "s3:PutObject", "arn:aws:s3:::home-bucket/home/alice/a.txt"), set).isAllowed)
        var list = me
        list["s3:prefix"] = ["home/alice/docs"]
        #expect(PolicyEvaluator.evaluate(request(alice, "s3:ListBucket", "arn:aws:s3:::home-bucket", list), set).isAllowed)
        list["s3:prefix"] = ["home/bob/"]
        #expect(!PolicyEvaluator.evaluate(request(alice, "s3:ListBucket", "arn:aws:s3:::home-bucket", list), set).isAllowed)
        list["s3:prefix"] = [""]
        #expect(PolicyEvaluator.evaluate(request(alice, "s3:ListBucket", "arn:aws:s3:::home-bucket", list), set).isAllowed)
    }

    // MARK: boundaries and session policies

    @Test func permissionsBoundaryIntersects() {
        let set = PolicySet(
            identityPolicies: [attached(allow("s3:*")), attached(allow("iam:*"))],
            permissionsBoundary: attached(
                policy(#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["s3:*", "sqs:*"], "Resource": "*"}}"#),
                "arn:aws:iam::111122223333:policy/boundary"))
        #expect(PolicyEvaluator.evaluate(request(alice, "s3:GetObject"), set).isAllowed)
        let r = request(alice, "iam:CreateUser", "arn:aws:iam::111122223333:user/x")
        let result = PolicyEvaluator.evaluate(r, set)
        #expect(result.decision == .implicitDeny)
        #expect(result.decidedBy == .permissionsBoundary)
        #expect(result.accessDeniedMessage(for: r)!.hasSuffix("because no permissions boundary allows the iam:CreateUser action"))
        // The boundary alone grants nothing.
        let sqs = request(alice, "sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q")
        #expect(PolicyEvaluator.evaluate(sqs, set).decidedBy == .identity)
        // A Deny in the boundary is an explicit deny.
        var denying = set
        denying.permissionsBoundary = attached(allow("s3:GetObject", effect: "Deny"), "b")
        let d = PolicyEvaluator.evaluate(request(alice, "s3:GetObject"), denying)
        #expect(d.decision == .explicitDeny)
        #expect(d.accessDeniedMessage(for: request(alice, "s3:GetObject"))!.hasSuffix("with an explicit deny in a permissions boundary"))
    }

    @Test func sessionPoliciesIntersect() {
        let set = PolicySet(
            identityPolicies: [attached(allow("dynamodb:*"))],
            sessionPolicies: [attached(allow("dynamodb:GetItem"), "inline"), attached(allow("dynamodb:Query"), "arn:aws:iam::aws:policy/x")])
        let table = "arn:aws:dynamodb:us-east-1:111122223333:table/T"
        #expect(PolicyEvaluator.evaluate(request(roleSession, "dynamodb:GetItem", table), set).isAllowed)
        #expect(PolicyEvaluator.evaluate(request(roleSession, "dynamodb:Query", table), set).isAllowed)
        let put = request(roleSession, "dynamodb:PutItem", table)
        let result = PolicyEvaluator.evaluate(put, set)
        #expect(result.decidedBy == .session)
        #expect(result.accessDeniedMessage(for: put) ==
            "User: arn:aws:sts::111122223333:assumed-role/app/s1 is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:111122223333:table/T because no session policy allows the dynamodb:PutItem action")
        // An empty list of session policies (a session created with policies that allow nothing) denies.
        var none = set
        none.sessionPolicies = []
        #expect(PolicyEvaluator.evaluate(request(roleSession, "dynamodb:GetItem", table), none).decidedBy == .session)
    }

    // MARK: resource policies within one account

    @Test func sameAccountResourcePolicyNamingTheUserAllowsOnItsOwn() {
        let set = bucketPolicy(#"[{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared-bucket/*"}]"#)
        let result = PolicyEvaluator.evaluate(request(alice, "s3:GetObject"), set)
        #expect(result.isAllowed)
        #expect(result.matchedStatements.map(\.role) == [.resource])
        // Even past a boundary that does not allow it (AWS: an implicit deny in the boundary
        // does not limit a resource policy that names the user).
        var bounded = set
        bounded.permissionsBoundary = attached(allow("sqs:*"))
        #expect(PolicyEvaluator.evaluate(request(alice, "s3:GetObject"), bounded).isAllowed)
        #expect(!PolicyEvaluator.evaluate(request(alice, "s3:PutObject"), set).isAllowed)
    }

    @Test func sameAccountResourcePolicyNamingTheAccountDelegatesToIdentityPolicies() {
        let set = bucketPolicy(#"[{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:*", "Resource": "arn:aws:s3:::shared-bucket/*"}]"#)
        let r = PolicyEvaluator.evaluate(request(alice, "s3:GetObject"), set)
        #expect(r.decision == .implicitDeny)
        #expect(r.decidedBy == .identity)
        var withIdentity = set
        withIdentity.identityPolicies = [attached(allow("s3:GetObject"))]
        #expect(PolicyEvaluator.evaluate(request(alice, "s3:GetObject"), withIdentity).isAllowed)
        // The root user of that account is the account itself.
        #expect(PolicyEvaluator.evaluate(request(.root(account: "111122223333"), "s3:GetObject"), set).isAllowed)
    }

    @Test func roleArnVersusSessionArnInAResourcePolicy() {
        let roleNamed = bucketPolicy(#"[{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/team/app"}, "Action": "s3:GetObject", "Resource": "*"}]"#)
        // Naming the role allows without identity policies ...
        #expect(PolicyEvaluator.evaluate(request(roleSession, "s3:GetObject"), roleNamed).isAllowed)
        // ... but a boundary or session policy that does not allow still limits it.
        var bounded = roleNamed
        bounded.permissionsBoundary = attached(allow("sqs:*"))
        #expect(PolicyEvaluator.evaluate(request(roleSession, "s3:GetObject"), bounded).decidedBy == .permissionsBoundary)
        var scoped = roleNamed
        scoped.sessionPolicies = [attached(allow("sqs:*"))]
        #expect(PolicyEvaluator.evaluate(request(roleSession, "s3:GetObject"), scoped).decidedBy == .session)
        // Naming the session itself is not limited by them.
        var sessionNamed = bucketPolicy(#"[{"Effect": "Allow", "Principal": {"AWS": "arn:aws:sts::111122223333:assumed-role/app/s1"}, "Action": "s3:GetObject", "Resource": "*"}]"#)
        sessionNamed.permissionsBoundary = attached(allow("sqs:*"))
        sessionNamed.sessionPolicies = [attached(allow("sqs:*"))]
        #expect(PolicyEvaluator.evaluate(request(roleSession, "s3:GetObject"), sessionNamed).isAllowed)
    }

    @Test func resourcePolicyDenyBindsTheOwnerAccountRoot() {
        let set = bucketPolicy(#"[{"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::shared-bucket/*"}]"#)
        let root = RequestPrincipal.root(account: "111122223333")
        let r = request(root, "s3:DeleteObject")
        let result = PolicyEvaluator.evaluate(r, set)
        #expect(result.decision == .explicitDeny)
        #expect(result.accessDeniedMessage(for: r) ==
            "User: arn:aws:iam::111122223333:root is not authorized to perform: s3:DeleteObject on resource: arn:aws:s3:::shared-bucket/data.txt with an explicit deny in a resource-based policy")
        #expect(PolicyEvaluator.evaluate(request(root, "s3:GetObject"), set).isAllowed)
        // Identity policies never limit the root user.
        #expect(PolicyEvaluator.evaluate(request(root, "iam:CreateUser", nil), PolicySet(identityPolicies: [attached(allow("*", effect: "Deny"))])).isAllowed)
    }

    @Test func conditionsInResourcePolicies() {
        // "Deny non-TLS access" and "allow only from one network", as bucket policies use them.
        let set = bucketPolicy(#"""
            [{"Sid": "TLS", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
             {"Sid": "Net", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"}, "Action": "s3:GetObject", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]
            """#)
        #expect(PolicyEvaluator.evaluate(request(alice, "s3:GetObject", Self.bucket, ["aws:SecureTransport": ["true"], "aws:SourceIp": ["10.1.2.3"]]), set).isAllowed)
        #expect(PolicyEvaluator.evaluate(request(alice, "s3:GetObject", Self.bucket, ["aws:SecureTransport": ["true"], "aws:SourceIp": ["192.168.1.1"]]), set).decision == .implicitDeny)
        let insecure = PolicyEvaluator.evaluate(request(alice, "s3:GetObject", Self.bucket, ["aws:SecureTransport": ["false"], "aws:SourceIp": ["10.1.2.3"]]), set)
        #expect(insecure.decision == .explicitDeny)
        #expect(insecure.matchedStatements.map(\.sid) == ["TLS"])
    }

    @Test func notPrincipalExcludesOnlyWhenEveryIdentityIsListed() {
        let userOnly = bucketPolicy(#"[{"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:user/alice"}, "Action": "s3:*", "Resource": "*"}]"#)
        var identity = userOnly
        identity.identityPolicies = [attached(allow("s3:*"))]
        // Listing only the user: the account is still evaluated, so the deny applies (AWS's documented pitfall).
        #expect(PolicyEvaluator.evaluate(request(alice, "s3:GetObject"), identity).decision == .explicitDeny)
        var both = bucketPolicy(#"[{"Effect": "Deny", "NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:root"]}, "Action": "s3:*", "Resource": "*"}]"#)
        both.identityPolicies = [attached(allow("s3:*"))]
        #expect(PolicyEvaluator.evaluate(request(alice, "s3:GetObject"), both).isAllowed)
        // Everyone else is denied.
        let carol = RequestPrincipal.user(arn: "arn:aws:iam::111122223333:user/carol", account: "111122223333")
        #expect(PolicyEvaluator.evaluate(request(carol, "s3:GetObject"), both).decision == .explicitDeny)
        // A role session needs its session ARN, role ARN and account listed.
        var role = bucketPolicy(#"[{"Effect": "Deny", "NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:role/team/app", "111122223333"]}, "Action": "s3:*", "Resource": "*"}]"#)
        role.identityPolicies = [attached(allow("s3:*"))]
        #expect(PolicyEvaluator.evaluate(request(roleSession, "s3:GetObject"), role).decision == .explicitDeny)
        var full = bucketPolicy(#"[{"Effect": "Deny", "NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:role/team/app", "arn:aws:sts::111122223333:assumed-role/app/s1", "111122223333"]}, "Action": "s3:*", "Resource": "*"}]"#)
        full.identityPolicies = [attached(allow("s3:*"))]
        #expect(PolicyEvaluator.evaluate(request(roleSession, "s3:GetObject"), full).isAllowed)
    }

    // MARK: callers without identity policies

    @Test func anonymousCallersNeedAPublicGrant() {
        let publicRead = bucketPolicy(#"[{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared-bucket/*"}]"#)
        #expect(PolicyEvaluator.evaluate(request(.anonymous, "s3:GetObject"), publicRead).isAllowed)
        let r = request(.anonymous, "s3:PutObject")
        let denied = PolicyEvaluator.evaluate(r, publicRead)
        #expect(denied.decidedBy == .resource)
        #expect(denied.accessDeniedMessage(for: r) ==
            "User: anonymous is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::shared-bucket/data.txt because no resource-based policy allows the s3:PutObject action")
        let awsStar = bucketPolicy(#"[{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*"}]"#)
        #expect(PolicyEvaluator.evaluate(request(.anonymous, "s3:GetObject"), awsStar).isAllowed)
        let accountOnly = bucketPolicy(#"[{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:GetObject", "Resource": "*"}]"#)
        #expect(!PolicyEvaluator.evaluate(request(.anonymous, "s3:GetObject"), accountOnly).isAllowed)
        #expect(!PolicyEvaluator.evaluate(request(.anonymous, "s3:GetObject"), PolicySet()).isAllowed)
    }

    @Test func servicePrincipalWithSourceArn() {
        let queue = "arn:aws:sqs:us-east-1:111122223333:orders"
        let set = PolicySet(
            resourcePolicy: attached(policy(#"""
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:111122223333:orders",
                  "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:events"}}}]}
                """#, kind: .resource)),
            resourceAccount: "111122223333")
        let sns = RequestPrincipal.service("sns.amazonaws.com")
        #expect(PolicyEvaluator.evaluate(request(sns, "sqs:SendMessage", queue, ["aws:SourceArn": ["arn:aws:sns:us-east-1:111122223333:events"]]), set).isAllowed)
        #expect(!PolicyEvaluator.evaluate(request(sns, "sqs:SendMessage", queue, ["aws:SourceArn": ["arn:aws:sns:us-east-1:111122223333:other"]]), set).isAllowed)
        #expect(!PolicyEvaluator.evaluate(request(.service("events.amazonaws.com"), "sqs:SendMessage", queue, ["aws:SourceArn": ["arn:aws:sns:us-east-1:111122223333:events"]]), set).isAllowed)
    }

    // MARK: cross-account

    @Test func crossAccountNeedsBothSides() {
        let grant = #"[{"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared-bucket/*"}]"#
        var set = bucketPolicy(grant)
        // Bob (account 4444…) with no identity policy: his account has not delegated.
        let r = request(bob, "s3:GetObject")
        #expect(PolicyEvaluator.evaluate(r, set).decidedBy == .identity)
        set.identityPolicies = [attached(allow("s3:GetObject", "arn:aws:s3:::shared-bucket/*"))]
        #expect(PolicyEvaluator.evaluate(r, set).isAllowed)
        // Identity side allows but the bucket does not grant this action.
        set.identityPolicies = [attached(allow("s3:*"))]
        let put = request(bob, "s3:PutObject")
        let result = PolicyEvaluator.evaluate(put, set)
        #expect(result.decidedBy == .resource)
        #expect(result.accessDeniedMessage(for: put)!.hasSuffix("because no resource-based policy allows the s3:PutObject action"))
        // No resource policy at all.
        var none = PolicySet(identityPolicies: [attached(allow("s3:*"))], resourceAccount: "111122223333")
        #expect(PolicyEvaluator.evaluate(r, none).decidedBy == .resource)
        // Naming bob directly still needs bob's own account to allow (unlike within one account).
        none = bucketPolicy(#"[{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:user/bob"}, "Action": "s3:GetObject", "Resource": "*"}]"#)
        #expect(PolicyEvaluator.evaluate(r, none).decidedBy == .identity)
        // Another account's root also needs the grant.
        #expect(!PolicyEvaluator.evaluate(request(.root(account: "444455556666"), "s3:GetObject"), PolicySet(resourceAccount: "111122223333")).isAllowed)
        #expect(PolicyEvaluator.evaluate(request(.root(account: "444455556666"), "s3:GetObject"), bucketPolicy(grant)).isAllowed)
    }

    // MARK: role trust policies

    @Test func trustPolicyMustAllowEvenWithinTheAccount() {
        let roleArn = "arn:aws:iam::111122223333:role/deployer"
        func trust(_ principal: String) -> AttachedPolicy {
            attached(policy(#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": \#(principal), "Action": "sts:AssumeRole"}]}"#, kind: .trust), roleArn)
        }
        let assume = request(alice, "sts:AssumeRole", roleArn)
        let identity = [attached(allow("sts:AssumeRole", roleArn))]
        // The identity policy alone is not enough.
        let other = PolicySet(identityPolicies: identity, resourcePolicy: trust(#"{"Service": "ec2.amazonaws.com"}"#))
        #expect(other.resourcePolicyRequired)
        #expect(PolicyEvaluator.evaluate(assume, other).decidedBy == .resource)
        // Naming the account delegates to the identity policy.
        let account = PolicySet(identityPolicies: identity, resourcePolicy: trust(#"{"AWS": "arn:aws:iam::111122223333:root"}"#))
        #expect(PolicyEvaluator.evaluate(assume, account).isAllowed)
        #expect(PolicyEvaluator.evaluate(assume, PolicySet(resourcePolicy: trust(#"{"AWS": "111122223333"}"#))).decidedBy == .identity)
        // Naming the user is enough on its own.
        #expect(PolicyEvaluator.evaluate(assume, PolicySet(resourcePolicy: trust(#"{"AWS": "arn:aws:iam::111122223333:user/alice"}"#))).isAllowed)
        // Cross-account assume: bob's account must allow and the trust policy must name it.
        let cross = PolicySet(identityPolicies: [attached(allow("sts:AssumeRole"))], resourcePolicy: trust(#"{"AWS": "444455556666"}"#), resourceAccount: "111122223333")
        #expect(PolicyEvaluator.evaluate(request(bob, "sts:AssumeRole", roleArn), cross).isAllowed)
        // A web identity caller is judged by the trust policy alone.
        let web = PolicySet(resourcePolicy: trust(#"{"Federated": "cognito-identity.amazonaws.com"}"#))
        let caller = RequestPrincipal.federated(provider: "cognito-identity.amazonaws.com", subject: "us-east-1:abc")
        #expect(PolicyEvaluator.evaluate(request(caller, "sts:AssumeRole", roleArn), web).isAllowed)
        #expect(!PolicyEvaluator.evaluate(request(.federated(provider: "accounts.google.com", subject: "x"), "sts:AssumeRole", roleArn), web).isAllowed)
    }

    /// The per-service statement index must not lose statements that can match any service,
    /// and Simulate* sees matched statements in document order.
    @Test func statementsForAnyServiceAreNeverSkipped() {
        let mixed = policy(#"""
            {"Version": "2012-10-17", "Statement": [
              {"Sid": "S3", "Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
              {"Sid": "Wild", "Effect": "Allow", "Action": "*:GetObject", "Resource": "*"},
              {"Sid": "NotIam", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
              {"Sid": "Sqs", "Effect": "Allow", "Action": "sqs:*", "Resource": "*"},
              {"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"},
              {"Sid": "Mixed", "Effect": "Allow", "Action": ["sqs:SendMessage", "S3:GetObject"], "Resource": "*"}
            ]}
            """#)
        let set = PolicySet(identityPolicies: [attached(mixed, "mixed")])
        let s3 = PolicyEvaluator.evaluate(request(alice, "s3:GetObject"), set)
        #expect(s3.matchedStatements.map(\.sid) == ["S3", "Wild", "NotIam", "All", "Mixed"])
        let iam = PolicyEvaluator.evaluate(request(alice, "iam:GetUser", "arn:aws:iam::111122223333:user/alice"), set)
        #expect(iam.matchedStatements.map(\.sid) == ["All"])
        let kms = PolicyEvaluator.evaluate(request(alice, "kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/k"), set)
        #expect(kms.matchedStatements.map(\.sid) == ["NotIam", "All"])
    }

    // MARK: several resources

    @Test func batchRequestsCheckEveryResource() {
        let set = PolicySet(identityPolicies: [attached(allow("dynamodb:BatchGetItem", "arn:aws:dynamodb:us-east-1:111122223333:table/A"))])
        let r = request(alice, "dynamodb:BatchGetItem", nil)
        let a = "arn:aws:dynamodb:us-east-1:111122223333:table/A"
        let b = "arn:aws:dynamodb:us-east-1:111122223333:table/B"
        #expect(PolicyEvaluator.evaluate(r, resources: [a], { _ in set }).result.isAllowed)
        let (result, resource) = PolicyEvaluator.evaluate(r, resources: [a, b], { _ in set })
        #expect(!result.isAllowed)
        #expect(resource == b)
    }
}

@Suite struct SimulationTests {
    @Test func missingContextKeysAreThoseTheApplicableStatementsTest() {
        let p = policy(#"""
            {"Version": "2012-10-17", "Statement": [
              {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}, "Bool": {"aws:MultiFactorAuthPresent": "true"}}},
              {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringNotEquals": {"aws:SourceIP": "10.0.0.1"}}},
              {"Effect": "Allow", "Action": "sqs:*", "Resource": "*", "Condition": {"StringEquals": {"sqs:QueueTag": "x"}}}
            ]}
            """#)
        let set = PolicySet(identityPolicies: [attached(p)])
        let r = AuthorizationRequest(principal: alice, action: "s3:GetObject", resource: "arn:aws:s3:::b/k",
            context: PolicyContext(["aws:MultiFactorAuthPresent": ["true"]]))
        // aws:SourceIp once (keys are case-insensitive); the sqs statement does not apply.
        #expect(PolicyEvaluator.missingContextKeys(r, set) == ["aws:SourceIp"])
        // Missing aws:SourceIp: the allow fails and the negated deny holds.
        #expect(PolicyEvaluator.evaluate(r, set).decision == .explicitDeny)
    }
}
