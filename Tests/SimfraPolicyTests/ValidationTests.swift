import SimfraCore
import Testing
@testable import SimfraPolicy

@Suite struct ValidationTests {
    static let ok = #"{"Version": "2012-10-17", "Statement": [{"Sid": "A1", "Effect": "Allow", "Action": ["s3:GetObject", "s3:List*"], "Resource": "arn:aws:s3:::b/*"}]}"#

    @Test func acceptsTheDocumentedShapes() {
        let p = policy(Self.ok)
        #expect(p.version == "2012-10-17")
        #expect(p.statements.count == 1)
        #expect(p.statements[0].sid == "A1")
        // Statement as a single object, no Version (legacy), an Id, 2008-10-17.
        #expect(policy(#"{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}"#).version == nil)
        #expect(policy(#"{"Version": "2008-10-17", "Id": "x", "Statement": []}"#).id == "x")
        // Trust policy with every principal form.
        let trust = policy(
            #"""
            {"Version": "2012-10-17", "Statement": [
              {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": ["111122223333", "arn:aws:iam::444455556666:root", "arn:aws:iam::444455556666:user/bob", "arn:aws:iam::444455556666:role/r", "*"]}},
              {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": ["lambda.amazonaws.com"]}},
              {"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity", "Principal": {"Federated": "cognito-identity.amazonaws.com"}},
              {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": "*", "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}
            ]}
            """#, kind: .trust)
        #expect(trust.statements.count == 4)
        let bucket = policy(
            #"{"Statement": [{"Sid": "public read", "Effect": "Allow", "Principal": {"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}"#,
            kind: .resource)
        #expect(bucket.statements[0].sid == "public read")
    }

    @Test(arguments: [
        // Document shape.
        (#"[]"#, Policy.Kind.identity, "Syntax errors in policy."),
        (#"{"Version": "2012-10-17"}"#, .identity, "Syntax errors in policy."),
        (#"{"Version": "2012-10-18", "Statement": []}"#, .identity, "Policy document must be version 2012-10-17 or greater."),
        (#"{"Version": "2012-10-17", "Statement": [], "Extra": 1}"#, .identity, "Syntax errors in policy."),
        (#"{"Statement": "nope"}"#, .identity, "Syntax errors in policy."),
        (#"{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Bogus": 1}]}"#, .identity, "Syntax errors in policy."),
        // Effect.
        (#"{"Statement": [{"Action": "s3:*", "Resource": "*"}]}"#, .identity, "Syntax errors in policy."),
        (#"{"Statement": [{"Effect": "allow", "Action": "s3:*", "Resource": "*"}]}"#, .identity, "Syntax errors in policy."),
        // Actions.
        (#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]}"#, .identity, "Policy statement must contain actions."),
        (#"{"Statement": [{"Effect": "Allow", "Action": "s3:*", "NotAction": "s3:x", "Resource": "*"}]}"#, .identity, "Syntax errors in policy."),
        (#"{"Statement": [{"Effect": "Allow", "Action": "GetObject", "Resource": "*"}]}"#, .identity, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        (#"{"Statement": [{"Effect": "Allow", "Action": "s3:Get:Object", "Resource": "*"}]}"#, .identity, "Actions/Condition can contain only one colon."),
        (#"{"Statement": [{"Effect": "Allow", "Action": "s 3:GetObject", "Resource": "*"}]}"#, .identity, "Vendor s 3 is not valid"),
        (#"{"Statement": [{"Effect": "Allow", "Action": "s3:", "Resource": "*"}]}"#, .identity, "Policy has invalid action"),
        (#"{"Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]}"#, .identity, "Syntax errors in policy."),
        (#"{"Statement": [{"Effect": "Allow", "Action": [1], "Resource": "*"}]}"#, .identity, "Syntax errors in policy."),
        // Resources.
        (#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}"#, .identity, "Policy statement must contain resources."),
        (#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "bucket"}]}"#, .identity, "Resource bucket must be in ARN format or \"*\"."),
        (#"{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "bucket"}]}"#, .identity, "The policy failed legacy parsing"),
        (#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3"}]}"#, .identity, "Resource arn:aws:s3 must be in ARN format or \"*\"."),
        (#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:awz:s3:::b"}]}"#, .identity, "Partition \"awz\" is not valid for resource \"arn:awz:s3:::b\"."),
        (#"{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "NotResource": "*"}]}"#, .identity, "Syntax errors in policy."),
        // Principals.
        (#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}"#, .identity, "Policy document should not specify a principal."),
        (#"{"Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": "*"}, "Action": "s3:*", "Resource": "*"}]}"#, .identity, "Policy document should not specify a principal."),
        (#"{"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}"#, .trust, "Missing required field Principal"),
        (#"{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole", "Resource": "*"}]}"#, .trust, "Has prohibited field Resource"),
        (#"{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "bob"}, "Action": "sts:AssumeRole"}]}"#, .trust, "Invalid principal in policy: \"AWS\":\"bob\""),
        (#"{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1111:user/x"}, "Action": "sts:AssumeRole"}]}"#, .trust, "Invalid principal in policy: \"AWS\":\"arn:aws:iam::1111:user/x\""),
        (#"{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/*"}, "Action": "sts:AssumeRole"}]}"#, .trust, "Invalid principal in policy: \"AWS\":\"arn:aws:iam::111122223333:user/*\""),
        (#"{"Statement": [{"Effect": "Allow", "Principal": {"Robot": "x"}, "Action": "sts:AssumeRole"}]}"#, .trust, "Invalid principal in policy: \"Robot\":\"x\""),
        (#"{"Statement": [{"Effect": "Allow", "Principal": "someone", "Action": "sts:AssumeRole"}]}"#, .trust, "Invalid principal in policy: \"AWS\":\"someone\""),
        // Sids.
        (#"{"Statement": [{"Sid": "a-b", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#, .identity, "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"),
        (#"{"Statement": [{"Sid": "A", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}, {"Sid": "A", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}"#, .identity, "Statement IDs (SID) in a single policy must be unique."),
        // Conditions.
        (#"{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEqualz": {"aws:username": "a"}}}]}"#, .identity, "Syntax errors in policy."),
        (#"{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"aws:username": "a"}}]}"#, .identity, "Syntax errors in policy."),
        (#"{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEquals": {"username": "a"}}}]}"#, .identity, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        (#"{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEquals": {"aws:username": []}}}]}"#, .identity, "Syntax errors in policy."),
        (#"{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"ForAllValues:Null": {"aws:username": "true"}}}]}"#, .identity, "Syntax errors in policy."),
        // Resource policies speak S3's dialect.
        (#"{"Version": "2012-10-17"}"#, .resource, "Missing required field Statement"),
        (#"{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#, .resource, "Missing required field Principal"),
        (#"{"Statement": [{"Principal": "*", "Action": "s3:*", "Resource": "*"}]}"#, .resource, "Missing required field Effect"),
        (#"{"Statement": [{"Effect": "Permit", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}"#, .resource, "Invalid effect: Permit"),
        (#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Resource": "*"}]}"#, .resource, "Missing required field Action"),
        (#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*"}]}"#, .resource, "Missing required field Resource"),
        (#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "GetObject", "Resource": "*"}]}"#, .resource, "Policy has invalid action"),
        (#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "bucket"}]}"#, .resource, "Policy has invalid resource"),
        (#"{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "nobody"}, "Action": "s3:GetObject", "Resource": "*"}]}"#, .resource, "Invalid principal in policy"),
    ])
    func refusals(json: String, kind: Policy.Kind, message: String) {
        #expect(throws: PolicyValidationError(message)) {
            _ = try Policy(parsing: TestJSON.parse(json), kind: kind)
        }
    }

    @Test func errorMapsToTheCallersAWSCode() {
        let e = PolicyValidationError("Syntax errors in policy.").awsError()
        #expect(e.code == "MalformedPolicyDocument")
        #expect(e.status == 400)
        #expect(PolicyValidationError.invalidJSON.awsError(code: "MalformedPolicy").message == "This policy contains invalid Json")
    }
}
