extension PolicyContext {
    /// The global condition keys AWS adds to every request from who the caller is and how it
    /// called, so the dispatcher and Simulate* build them the same way. Service keys
    /// (`s3:prefix`, `dynamodb:LeadingKeys` …) and `aws:RequestTag/…`, `aws:ResourceTag/…`,
    /// `aws:TagKeys`, `aws:SourceArn`/`aws:SourceAccount` are added by the caller.
    ///
    /// - `aws:PrincipalArn` is the role's ARN for a role session (not the session ARN), the
    ///   user's for a user and the root ARN for the root user.
    /// - `aws:userid` is the account id for the root user, the unique id (AIDA…) for a user,
    ///   `AROA…:session` for a role session; `aws:username` exists for IAM users only.
    package static func global(
        principal: RequestPrincipal, userId: String? = nil, userName: String? = nil,
        principalTags: [String: String] = [:], sourceIp: String? = nil, secureTransport: Bool,
        now epochSeconds: Double, requestedRegion: String? = nil, multiFactorAuthPresent: Bool? = nil
    ) -> PolicyContext {
        var c = PolicyContext()
        c.facts = GlobalFacts(
            principal: principal, userId: userId, userName: userName, principalTags: principalTags, sourceIp: sourceIp,
            secureTransport: secureTransport, now: epochSeconds, requestedRegion: requestedRegion,
            multiFactorAuthPresent: multiFactorAuthPresent)
        return c
    }
}

/// What the global condition keys are computed from, kept as facts so a key costs nothing
/// until a statement tests it.
struct GlobalFacts: Sendable {
    let principal: RequestPrincipal
    let userId: String?
    let userName: String?
    let principalTags: [String: String]
    let sourceIp: String?
    let secureTransport: Bool
    let now: Double
    let requestedRegion: String?
    let multiFactorAuthPresent: Bool?

    /// The value of one lower-cased global key, or nil when the request does not carry it.
    func value(_ key: String) -> [String]? {
        switch key {
        case "aws:currenttime": return [PolicyDate.iso8601(epochSeconds: now)]
        case "aws:epochtime": return [String(Int64(now.rounded(.down)))]
        case "aws:securetransport": return [secureTransport ? "true" : "false"]
        case "aws:sourceip": return sourceIp.map { [$0] }
        case "aws:requestedregion": return requestedRegion.map { [$0] }
        case "aws:multifactorauthpresent": return multiFactorAuthPresent.map { [$0 ? "true" : "false"] }
        case "aws:principaltype":
            switch principal.kind {
            case .root: return ["Account"]
            case .user: return ["User"]
            case .assumedRole: return ["AssumedRole"]
            case .federatedUser: return ["FederatedUser"]
            case .anonymous: return ["Anonymous"]
            case .service, .federated: return nil
            }
        case "aws:principalaccount":
            return principal.hasIdentitySide ? [principal.accountId] : nil
        case "aws:principalarn":
            guard principal.hasIdentitySide else { return nil }
            return [principal.kind == .assumedRole ? (principal.parentArn ?? principal.arn) : principal.arn]
        case "aws:userid":
            guard principal.hasIdentitySide else { return nil }
            return (principal.kind == .root ? principal.accountId : userId).map { [$0] }
        case "aws:username":
            return principal.kind == .user ? userName.map { [$0] } : nil
        case "aws:principalservicename":
            return principal.kind == .service ? principal.name.map { [$0] } : nil
        default:
            let prefix = "aws:principaltag/"
            guard key.hasPrefix(prefix) else { return nil }
            let tag = key.dropFirst(prefix.count)
            // Tag keys are case-insensitive in conditions; a later key wins, as in the map.
            for (k, v) in principalTags where k.lowercased() == tag { return [v] }
            return nil
        }
    }
}
