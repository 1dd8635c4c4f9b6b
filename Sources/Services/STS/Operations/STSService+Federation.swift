import SimfraCore
import SimfraPolicy

/// AssumeRoleWithWebIdentity and AssumeRoleWithSAML: unsigned, so no caller exists for the
/// dispatcher's authoriser; the token's issuer is the principal and STS evaluates the role's
/// trust policy itself (nothing else applies: there is no identity side).
extension STSService {
    func assumeRoleWithWebIdentity(_ input: Value, context: RequestContext) throws -> Value {
        let action = "sts:AssumeRoleWithWebIdentity"
        let roleArn = input["RoleArn"]?.stringValue ?? ""
        let (partition, _, _) = try STSValidation.arn(roleArn)
        let sessionName = input["RoleSessionName"]?.stringValue ?? ""
        try STSValidation.name(sessionName, member: "roleSessionName", min: 2, max: 64)
        let params = try SessionParameters(input)
        let token = try WebIdentityToken(parsing: input["WebIdentityToken"]?.stringValue ?? "")
        let now = clock.now()
        if let exp = token.expiration, now >= exp {
            throw AWSError(
                code: "ExpiredTokenException",
                message: "Token expired: current date/time \(Int64(now)) must be before the expiration date/time \(Int64(exp))",
                status: 400)
        }
        guard let role = directory?.role(arn: roleArn) else { throw Self.notAuthorized(action) }
        let key = token.providerKey
        let provider: String
        if WebIdentityToken.wellKnownProviders.contains(key) {
            provider = key
        } else {
            guard directory?.hasOpenIDConnectProvider(account: role.accountId, issuer: key) == true else {
                throw WebIdentityToken.invalid("No OpenIDConnect provider found in your account for \(token.issuer)")
            }
            provider = "arn:\(partition):iam::\(role.accountId):oidc-provider/\(key)"
        }
        var keys: [String: [String]] = [
            "\(key):sub": [token.subject],
            "\(key):aud": token.audiences,
            "sts:rolesessionname": [sessionName],
            "aws:federatedprovider": [provider],
        ]
        if !token.amr.isEmpty { keys["\(key):amr"] = token.amr }
        try requireTrust(role: role, action: action, provider: provider, subject: token.subject, keys: keys)

        let duration = try federatedDuration(input, role: role, requested: nil)
        let session = SessionInfo(
            kind: .assumedRole, parentArn: role.arn, sessionName: sessionName,
            policyDocuments: params.policyDocument.map { [$0] } ?? [], policyArns: params.policyArns)
        let issued = issueRoleSession(role: role, sessionName: sessionName, duration: duration, session: session)
        var out: Value = [
            "Credentials": Self.credentialsValue(issued.credential),
            "SubjectFromWebIdentityToken": .string(token.subject),
            "AssumedRoleUser": issued.user,
            "Provider": .string(token.issuer),
        ]
        if let aud = token.audiences.first { out["Audience"] = .string(aud) }
        if params.hasSessionData { out["PackedPolicySize"] = .integer(Int64(params.packedPolicySize)) }
        return out
    }

    func assumeRoleWithSAML(_ input: Value, context: RequestContext) throws -> Value {
        let action = "sts:AssumeRoleWithSAML"
        let roleArn = input["RoleArn"]?.stringValue ?? ""
        _ = try STSValidation.arn(roleArn)
        let providerArn = input["PrincipalArn"]?.stringValue ?? ""
        _ = try STSValidation.arn(providerArn)
        let params = try SessionParameters(input)
        let saml = try SAMLAssertion(base64: input["SAMLAssertion"]?.stringValue ?? "")
        let now = clock.now()
        if let end = saml.notOnOrAfter, now >= end {
            throw AWSError(code: "ExpiredTokenException", message: "Response is expired", status: 400)
        }
        guard directory?.hasSAMLProvider(arn: providerArn) == true else {
            throw AWSError(code: "InvalidIdentityToken", message: "SAML provider \(providerArn) does not exist", status: 400)
        }
        guard let sessionName = saml.sessionName, !sessionName.isEmpty else {
            throw AWSError(code: "InvalidIdentityToken",
                           message: "RoleSessionName is required in AuthnResponse", status: 400)
        }
        guard sessionName.count >= 2, sessionName.count <= 64, sessionName.utf8.allSatisfy(STSValidation.isNameByte) else {
            throw AWSError(code: "InvalidIdentityToken",
                           message: "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}", status: 400)
        }
        // The IdP must have offered this role with this provider.
        guard saml.roles.contains(where: { $0.role == roleArn && $0.provider == providerArn }),
            let role = directory?.role(arn: roleArn)
        else { throw Self.notAuthorized(action) }

        let qualifier = SAMLAssertion.nameQualifier(issuer: saml.issuer, account: role.accountId, providerArn: providerArn)
        var keys: [String: [String]] = [
            "saml:aud": saml.audiences,
            "saml:iss": [saml.issuer],
            "saml:sub": [saml.subject],
            "saml:sub_type": [saml.subjectType],
            "saml:namequalifier": [qualifier],
            "sts:rolesessionname": [sessionName],
            "aws:federatedprovider": [providerArn],
        ]
        if let s = saml.sourceIdentity { keys["sts:sourceidentity"] = [s] }
        keys.merge(ActionRequirement.requestTagKeys(saml.principalTags.map { (key: $0.key, value: $0.value) })) { _, b in b }
        try requireTrust(role: role, action: action, provider: providerArn, subject: saml.subject, keys: keys)
        if !saml.principalTags.isEmpty {
            try requireTrust(role: role, action: "sts:TagSession", provider: providerArn, subject: saml.subject, keys: keys)
        }
        if saml.sourceIdentity != nil {
            try requireTrust(role: role, action: "sts:SetSourceIdentity", provider: providerArn, subject: saml.subject,
                             keys: keys)
        }

        let duration = try federatedDuration(input, role: role, requested: saml.sessionDuration)
        let transitive = saml.transitiveTagKeys.filter { saml.principalTags[$0] != nil }
        let session = SessionInfo(
            kind: .assumedRole, parentArn: role.arn, sessionName: sessionName,
            policyDocuments: params.policyDocument.map { [$0] } ?? [], policyArns: params.policyArns,
            tags: saml.principalTags, transitiveTagKeys: transitive, sourceIdentity: saml.sourceIdentity)
        let issued = issueRoleSession(role: role, sessionName: sessionName, duration: duration, session: session)
        var out: Value = [
            "Credentials": Self.credentialsValue(issued.credential),
            "AssumedRoleUser": issued.user,
            "Subject": .string(saml.subject),
            "SubjectType": .string(saml.subjectType),
            "Issuer": .string(saml.issuer),
            "NameQualifier": .string(qualifier),
        ]
        if let aud = saml.audiences.first { out["Audience"] = .string(aud) }
        if params.hasSessionData || !saml.principalTags.isEmpty {
            out["PackedPolicySize"] = .integer(Int64(params.packedPolicySize))
        }
        if let s = saml.sourceIdentity { out["SourceIdentity"] = .string(s) }
        return out
    }

    static func notAuthorized(_ action: String) -> AWSError {
        AWSError(code: "AccessDenied", message: "Not authorized to perform \(action)", status: 403)
    }

    /// The role's trust policy must allow `action` for the federated principal.
    func requireTrust(role: RoleFacts, action: String, provider: String, subject: String, keys: [String: [String]])
        throws(AWSError)
    {
        let principal = RequestPrincipal.federated(provider: provider, subject: subject)
        var context = PolicyContext.global(principal: principal, secureTransport: false, now: clock.now())
        for (k, v) in keys { context.set(k, v) }
        let request = AuthorizationRequest(principal: principal, action: action, resource: role.arn, context: context)
        let policies = PolicySet(
            resourcePolicy: AttachedPolicy(id: role.arn, policy: role.trustPolicy), resourceAccount: role.accountId,
            resourcePolicyRequired: true)
        guard PolicyEvaluator.evaluate(request, policies).isAllowed else { throw Self.notAuthorized(action) }
    }

    /// DurationSeconds (or the IdP's SessionDuration, the shorter when both are given): 900 up
    /// to the role's MaxSessionDuration, 3600 by default.
    func federatedDuration(_ input: Value, role: RoleFacts, requested: Int?) throws(AWSError) -> Int {
        var duration = try STSValidation.duration(input, default: 3600, min: 900, max: 43200)
        if let requested, requested >= 900 {
            duration = input["DurationSeconds"] == nil ? min(requested, role.maxSessionDuration) : min(duration, requested)
        }
        if duration > role.maxSessionDuration {
            throw STSValidation.validationError(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        }
        return duration
    }
}
