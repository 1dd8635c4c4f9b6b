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
        now epochSeconds: Double, requestedRegion: String? = nil
    ) -> PolicyContext {
        var keys: [String: [String]] = [
            "aws:currenttime": [PolicyDate.iso8601(epochSeconds: epochSeconds)],
            "aws:epochtime": [String(Int64(epochSeconds.rounded(.down)))],
            "aws:securetransport": [secureTransport ? "true" : "false"],
        ]
        if let sourceIp { keys["aws:sourceip"] = [sourceIp] }
        if let requestedRegion { keys["aws:requestedregion"] = [requestedRegion] }
        let type: String?
        switch principal.kind {
        case .root: type = "Account"
        case .user: type = "User"
        case .assumedRole: type = "AssumedRole"
        case .federatedUser: type = "FederatedUser"
        case .anonymous: type = "Anonymous"
        case .service, .federated: type = nil
        }
        if let type { keys["aws:principaltype"] = [type] }
        if principal.hasIdentitySide {
            keys["aws:principalaccount"] = [principal.accountId]
            keys["aws:principalarn"] = [principal.kind == .assumedRole ? (principal.parentArn ?? principal.arn) : principal.arn]
            if let id = principal.kind == .root ? principal.accountId : userId { keys["aws:userid"] = [id] }
        }
        if principal.kind == .user, let userName { keys["aws:username"] = [userName] }
        if principal.kind == .service, let name = principal.name { keys["aws:principalservicename"] = [name] }
        for (k, v) in principalTags { keys["aws:principaltag/" + k.lowercased()] = [v] }
        return PolicyContext(keys)
    }
}
