import SimfraCore
import SimfraPolicy

extension STSService {
    /// Role sessions made from another temporary credential last at most an hour.
    static let chainedMaxDuration = 3600

    func assumeRole(_ input: Value, context: RequestContext) throws -> Value {
        let roleArn = input["RoleArn"]?.stringValue ?? ""
        _ = try STSValidation.arn(roleArn)
        let sessionName = input["RoleSessionName"]?.stringValue ?? ""
        try STSValidation.name(sessionName, member: "roleSessionName", min: 2, max: 64)
        let params = try SessionParameters(input)
        let requestedSource = input["SourceIdentity"]?.stringValue
        if let requestedSource { try STSValidation.name(requestedSource, member: "sourceIdentity", min: 2, max: 64) }

        // The dispatcher's authoriser has evaluated the trust policy; a role that does not
        // exist answers as AWS does, as a denial naming it.
        guard let role = directory?.role(arn: roleArn) else {
            throw AWSError(
                code: "AccessDenied",
                message: "User: \(context.principalArn) is not authorized to perform: sts:AssumeRole on resource: \(roleArn)",
                status: 403)
        }
        let caller = callerSession(context)
        let chained = caller != nil
        let duration = try roleDuration(input, role: role, chained: chained)
        let (tags, transitive) = try params.merged(inheriting: caller?.session)

        // A source identity, once set on a session, follows every session chained from it.
        var sourceIdentity = requestedSource
        if let inherited = caller?.session?.sourceIdentity {
            if let requestedSource, requestedSource != inherited {
                throw STSValidation.validationError(
                    "The source identity of the calling session cannot be changed: \(inherited)")
            }
            sourceIdentity = inherited
        }

        let session = SessionInfo(
            kind: .assumedRole, parentArn: role.arn, sessionName: sessionName,
            policyDocuments: params.policyDocument.map { [$0] } ?? [], policyArns: params.policyArns, tags: tags,
            transitiveTagKeys: transitive, sourceIdentity: sourceIdentity, isChained: chained)
        let issued = issueRoleSession(role: role, sessionName: sessionName, duration: duration, session: session)
        var out: Value = [
            "Credentials": Self.credentialsValue(issued.credential),
            "AssumedRoleUser": issued.user,
        ]
        if params.hasSessionData { out["PackedPolicySize"] = .integer(Int64(params.packedPolicySize)) }
        if let sourceIdentity { out["SourceIdentity"] = .string(sourceIdentity) }
        return out
    }

    /// DurationSeconds: 900 up to the role's MaxSessionDuration (default 3600), and at most an
    /// hour when chained.
    func roleDuration(_ input: Value, role: RoleFacts, chained: Bool) throws(AWSError) -> Int {
        let duration = try STSValidation.duration(input, default: 3600, min: 900, max: 43200)
        if chained && duration > Self.chainedMaxDuration {
            throw STSValidation.validationError(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
        }
        if duration > role.maxSessionDuration {
            throw STSValidation.validationError(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        }
        return duration
    }

    /// The credential of a role session: `arn:aws:sts::<acct>:assumed-role/<role>/<session>`
    /// (the role's path is not part of it) and user id `AROA…:<session>`.
    func issueRoleSession(role: RoleFacts, sessionName: String, duration: Int, session: SessionInfo)
        -> (credential: Credential, user: Value)
    {
        let arn = "arn:\(Self.partition(of: role.arn)):sts::\(role.accountId):assumed-role/\(role.roleName)/\(sessionName)"
        let userId = "\(role.roleId):\(sessionName)"
        let credential = issue(account: role.accountId, principalArn: arn, userId: userId, duration: duration,
                               session: session)
        return (credential, ["Arn": .string(arn), "AssumedRoleId": .string(userId)])
    }
}
