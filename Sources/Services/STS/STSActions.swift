import SimfraCore

/// STS's action table: what each operation needs authorised, computed from the decoded input.
/// GetCallerIdentity is allowed to every signed caller; the web-identity and SAML operations
/// are unsigned and evaluate the role's trust policy themselves (`STSService+Federation`).
extension STSService {
    public func authorization(operation: String, input: Value, context: RequestContext) -> [ActionRequirement]? {
        switch operation {
        case "GetCallerIdentity", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML":
            return nil
        case "AssumeRole":
            let role = input["RoleArn"]?.stringValue ?? ""
            // AWS validates parameters before it authorises: a malformed ARN or session name
            // is the handler's ValidationError, never an AccessDenied.
            guard (try? STSValidation.arn(role)) != nil,
                (try? STSValidation.name(input["RoleSessionName"]?.stringValue ?? "", member: "roleSessionName", min: 2, max: 64)) != nil
            else { return nil }
            var keys = Self.tagConditionKeys(input)
            if let name = input["RoleSessionName"]?.stringValue { keys["sts:rolesessionname"] = [name] }
            if let external = input["ExternalId"]?.stringValue { keys["sts:externalid"] = [external] }
            let source = input["SourceIdentity"]?.stringValue
            if let source { keys["sts:sourceidentity"] = [source] }
            var requirements = [ActionRequirement(action: "sts:AssumeRole", resources: [role], conditionKeys: keys)]
            if Self.hasTags(input) {
                requirements.append(ActionRequirement(action: "sts:TagSession", resources: [role], conditionKeys: keys))
            }
            if source != nil {
                requirements.append(
                    ActionRequirement(action: "sts:SetSourceIdentity", resources: [role], conditionKeys: keys))
            }
            return requirements
        case "GetFederationToken":
            let name = input["Name"]?.stringValue ?? ""
            let arn = "arn:\(Self.partition(of: context.principalArn)):sts::\(context.accountId):federated-user/\(name)"
            let keys = Self.tagConditionKeys(input)
            var requirements = [ActionRequirement(action: "sts:GetFederationToken", resources: [arn], conditionKeys: keys)]
            if Self.hasTags(input) {
                requirements.append(ActionRequirement(action: "sts:TagSession", resources: [arn], conditionKeys: keys))
            }
            return requirements
        case "GetSessionToken":
            return [ActionRequirement(action: "sts:GetSessionToken")]
        case "GetAccessKeyInfo":
            return [ActionRequirement(action: "sts:GetAccessKeyInfo")]
        case "DecodeAuthorizationMessage":
            return [ActionRequirement(action: "sts:DecodeAuthorizationMessage")]
        default:
            return [ActionRequirement(action: "sts:\(operation)")]
        }
    }

    static func hasTags(_ input: Value) -> Bool {
        !(input["Tags"]?.listValue ?? []).isEmpty
    }

    /// `aws:RequestTag/<key>`, `aws:TagKeys` and `sts:TransitiveTagKeys` of a tagging call.
    static func tagConditionKeys(_ input: Value) -> [String: [String]] {
        var keys = ActionRequirement.requestTagKeys(list: input["Tags"]?.listValue)
        let transitive = (input["TransitiveTagKeys"]?.listValue ?? []).compactMap(\.stringValue)
        if !transitive.isEmpty { keys["sts:transitivetagkeys"] = transitive }
        return keys
    }
}
