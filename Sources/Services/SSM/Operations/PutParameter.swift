import SimfraCore

extension SSMService {
    static let standardMaxValue = 4096
    static let advancedMaxValue = 8192
    static let dataTypes: Set<String> = ["text", "aws:ec2:image"]

    /// What PutParameter will write, decided from the request and the current version.
    private struct Plan {
        var name: String
        var type: String
        var keyId: String?
        var tier: String
        var description: String?
        var allowedPattern: String?
        var policiesText: String?
        var policies: [ParameterPolicy]
        var dataType: String
        var existed: Bool
    }

    func putParameter(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let name = try ParameterName.validateForCreate(input.string("Name") ?? "", region: ctx.region, account: ctx.accountId)
        let value = input.string("Value") ?? ""
        if value.isEmpty {
            throw SSMError.validation(
                "1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1.")
        }
        let overwrite = input.flag("Overwrite")
        let tags = input.tagList("Tags")
        if overwrite && !tags.isEmpty {
            throw SSMError.validation(
                "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.")
        }
        if tags.count > 50 { throw SSMError.tooManyTags }
        if let dt = input.string("DataType"), !Self.dataTypes.contains(dt) {
            throw SSMError.validation("The following data type is not supported: \(dt) (Data type names are all lowercase.)")
        }
        let requestedPolicies = try input.string("Policies").map { try ParameterPolicies.parse($0) }
        let scope = Self.scope(ctx)
        let key = ParameterName.key(name)

        let planned = clock.now()
        let plan = try state.withLock { st throws(AWSError) -> Plan in
            try self.plan(name: name, value: value, input: input, overwrite: overwrite, policies: requestedPolicies,
                          existing: st.parameter(scope, key, now: planned), st: st, scope: scope)
        }

        let arn = Self.arn(ctx, name)
        var stored = value
        let envelope = plan.type == "SecureString" && plan.tier == "Advanced"
        if plan.type == "SecureString" {
            stored = try await secure.encrypt(value, keyId: plan.keyId ?? SecureValues.defaultKey, arn: arn,
                                              envelope: envelope, ctx: ctx)
        }
        let now = clock.now()
        let (version, commit) = try state.withLock { st throws(AWSError) -> (Int64, Commit) in
            // An expired parameter is gone: this put starts it again at version 1.
            var p = st.parameter(scope, key, now: now)
            if p != nil && !overwrite { throw SSMError.alreadyExists }
            if p == nil {
                // A create racing another create or a delete: the quota is checked again.
                let limit = plan.tier == "Advanced" ? limits.advancedParameters : limits.standardParameters
                if st.count(scope, tier: plan.tier) >= limit { throw SSMError.limitExceeded }
            }
            var versions = p?.versions ?? []
            if versions.count >= limits.versions {
                if !versions[0].labels.isEmpty { throw SSMError.maxVersions(name, oldest: versions[0].version) }
                versions.removeFirst()
            }
            let number = (p?.latest.version ?? 0) + 1
            versions.append(ParameterVersion(
                version: number, type: plan.type, value: stored, description: plan.description,
                allowedPattern: plan.allowedPattern, keyId: plan.keyId, tier: plan.tier, policiesText: plan.policiesText,
                policies: plan.policies, dataType: plan.dataType, labels: [], lastModified: now,
                lastModifiedUser: ctx.principalArn, envelope: envelope,
                expiresAt: ParameterPolicies.expiration(plan.policies)))
            if p == nil {
                p = SSMParameter(name: name, versions: versions, tags: [])
                for t in tags { p!.setTag(t.key, t.value) }
            } else {
                p!.versions = versions
            }
            st.scopes[scope, default: [:]][key] = p!
            return (number, persist(p!, scope))
        }
        try await commit.wait()
        return ["Version": .integer(version), "Tier": .string(plan.tier)]
    }

    private func plan(name: String, value: String, input: Value, overwrite: Bool, policies: [ParameterPolicy]?,
                      existing: SSMParameter?, st: SSMState, scope: ScopeKey) throws(AWSError) -> Plan
    {
        let prior = existing?.latest
        if existing != nil && !overwrite { throw SSMError.alreadyExists }
        guard let type = input.string("Type") ?? prior?.type else {
            throw SSMError.validation("A parameter type is required when you create a parameter.")
        }
        var keyId = input.string("KeyId")
        if type != "SecureString" {
            if keyId != nil { throw SSMError.validation("KeyId is required for SecureString type parameter only.") }
        } else if keyId == nil {
            keyId = prior?.type == "SecureString" ? prior?.keyId : SecureValues.defaultKey
        }
        let dataType = input.string("DataType") ?? prior?.dataType ?? "text"
        if dataType == "aws:ec2:image" {
            if type != "String" {
                throw SSMError.validation("Parameters of the aws:ec2:image data type must be of type String.")
            }
            if !Self.isImageId(value) {
                throw SSMError.validation(
                    "Parameter value, \(value), is not a valid format for the aws:ec2:image data type. The value must be an AMI ID such as ami-12345abcdeEXAMPLE.")
            }
        }
        let policiesText = input.string("Policies") ?? prior?.policiesText
        let parsedPolicies = policies ?? prior?.policies ?? []

        // Tier: an advanced parameter never returns to standard; Intelligent-Tiering picks
        // advanced only when the value, the policies or the standard quota need it.
        let size = value.utf8.count
        let requested = input.string("Tier")
        var tier: String
        switch requested {
        case "Advanced":
            tier = "Advanced"
        case "Standard":
            if prior?.tier == "Advanced" {
                throw SSMError.validation(
                    "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.")
            }
            tier = "Standard"
        case "Intelligent-Tiering":
            let standardFull = existing == nil && st.count(scope, tier: "Standard") >= limits.standardParameters
            tier = prior?.tier == "Advanced" || size > Self.standardMaxValue || !parsedPolicies.isEmpty || standardFull
                ? "Advanced" : "Standard"
        default:
            tier = prior?.tier ?? "Standard"
        }
        if tier == "Standard" && size > Self.standardMaxValue {
            throw SSMError.validation(
                "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html")
        }
        if size > Self.advancedMaxValue {
            throw SSMError.validation(
                "Advanced tier parameters support a maximum parameter value of 8192 characters. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html")
        }
        if tier == "Standard" && !parsedPolicies.isEmpty {
            throw SSMError.validation(
                "Parameter policies are supported only for the advanced-parameter tier. Upgrade the parameter to the advanced-parameter tier and try again.")
        }
        let allowedPattern = input.string("AllowedPattern") ?? prior?.allowedPattern
        if let pattern = allowedPattern, !pattern.isEmpty {
            let regex: Regex<AnyRegexOutput>
            do { regex = try Regex(pattern) } catch { throw SSMError.invalidAllowedPattern(pattern) }
            // The whole value must match, as Java's `Pattern.matches` (and CloudFormation's
            // AllowedPattern) decide; anchors in the pattern change nothing.
            if (try? regex.wholeMatch(in: value)) == nil { throw SSMError.patternMismatch(pattern) }
        }
        if existing == nil {
            let limit = tier == "Advanced" ? limits.advancedParameters : limits.standardParameters
            if st.count(scope, tier: tier) >= limit { throw SSMError.limitExceeded }
        }
        return Plan(name: name, type: type, keyId: type == "SecureString" ? keyId : nil, tier: tier,
                    description: input.string("Description") ?? prior?.description, allowedPattern: allowedPattern,
                    policiesText: policiesText, policies: parsedPolicies, dataType: dataType, existed: existing != nil)
    }

    /// `ami-` followed by 8 or 17 hex digits.
    static func isImageId(_ s: String) -> Bool {
        guard s.hasPrefix("ami-") else { return false }
        let hex = s.dropFirst(4)
        return (hex.count == 8 || hex.count == 17) && hex.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }
}
