import SimfraCore

extension STSService {
    /// Temporary credentials of the root user last at most an hour (AWS shortens a longer
    /// request to one hour rather than refusing it).
    static let rootMaxDuration = 3600

    /// The caller's own permissions, temporarily: same ARN and user id, a new `ASIA` key.
    func getSessionToken(_ input: Value, context: RequestContext) throws -> Value {
        if callerSession(context) != nil {
            throw AWSError(code: "AccessDenied", message: "Cannot call GetSessionToken with session credentials", status: 403)
        }
        var duration = try STSValidation.duration(input, default: 43200, min: 900, max: 129_600)
        if Self.isRoot(context) { duration = min(duration, Self.rootMaxDuration) }
        let session = SessionInfo(kind: .sessionToken, parentArn: context.principalArn, sessionName: "")
        let c = issue(account: context.accountId, principalArn: context.principalArn, userId: context.userId,
                      duration: duration, session: session)
        return ["Credentials": Self.credentialsValue(c)]
    }

    /// A federated user: the calling user's permissions intersected with the session policies
    /// passed here (none passed: no permissions, as in AWS).
    func getFederationToken(_ input: Value, context: RequestContext) throws -> Value {
        let name = input["Name"]?.stringValue ?? ""
        try STSValidation.name(name, member: "name", min: 2, max: 32)
        if callerSession(context) != nil {
            throw AWSError(code: "AccessDenied", message: "Cannot call GetFederationToken with session credentials",
                           status: 403)
        }
        var duration = try STSValidation.duration(input, default: 43200, min: 900, max: 129_600)
        if Self.isRoot(context) { duration = min(duration, Self.rootMaxDuration) }
        let params = try SessionParameters(input)
        var tags: [String: String] = [:]
        for (k, v) in params.tags { tags[k] = v }
        let account = context.accountId
        let arn = "arn:\(Self.partition(of: context.principalArn)):sts::\(account):federated-user/\(name)"
        let userId = "\(account):\(name)"
        let session = SessionInfo(
            kind: .federatedUser, parentArn: context.principalArn, sessionName: name,
            policyDocuments: params.policyDocument.map { [$0] } ?? [], policyArns: params.policyArns, tags: tags)
        let c = issue(account: account, principalArn: arn, userId: userId, duration: duration, session: session)
        return [
            "Credentials": Self.credentialsValue(c),
            "FederatedUser": ["Arn": .string(arn), "FederatedUserId": .string(userId)],
            "PackedPolicySize": .integer(Int64(params.packedPolicySize)),
        ]
    }

    /// The account owning any access key id. AWS decodes it from the key id itself, without
    /// looking the key up; Simfra first asks who holds the key (its root keys predate the
    /// encoding), then decodes.
    func getAccessKeyInfo(_ input: Value, context: RequestContext) throws -> Value {
        let id = input["AccessKeyId"]?.stringValue ?? ""
        if let c = accessKeys.credential(forAccessKeyId: id) ?? sessions.credential(forAccessKeyId: id) {
            return ["Account": .string(c.accountId)]
        }
        if let account = AccessKeyID.account(of: id) {
            return ["Account": .string(account)]
        }
        throw STSValidation.invalidParameter("The specified access key ID is not valid.")
    }
}
