import SimfraCore

/// Lambda's action table (Service Authorization Reference, AWS Lambda): function operations
/// act on the function ARN (qualified when a qualifier is named, as AWS authorises
/// `function:name:alias`); ListFunctions and GetAccountSettings have no resource. Creating a
/// function or changing its role passes the role to Lambda, so the caller also needs
/// `iam:PassRole` (`iam:PassedToService` = lambda.amazonaws.com).
extension LambdaService {
    static let actionNames: [String: String] = [
        "ListVersionsByFunction": "ListVersionsByFunction", "GetFunctionConfiguration": "GetFunctionConfiguration",
        "Invoke": "InvokeFunction", "ListTags": "ListTags",
    ]

    public func authorization(operation: String, input: Value, context: RequestContext) -> [ActionRequirement]? {
        let action = "lambda:" + (Self.actionNames[operation] ?? operation)
        let partition = Self.partition(context)
        switch operation {
        case "ListFunctions", "GetAccountSettings":
            return [ActionRequirement(action: action)]
        case "TagResource", "UntagResource", "ListTags":
            let arn = input.string("Resource") ?? ""
            var keys: [String: [String]] = [:]
            if operation == "TagResource" {
                keys = ActionRequirement.requestTagKeys((input.stringMap("Tags") ?? [:]).sorted { $0.key < $1.key })
            } else if operation == "UntagResource", let k = input.stringList("TagKeys"), !k.isEmpty {
                keys = ["aws:tagkeys": k]
            }
            return [ActionRequirement(action: action, resources: Self.reference(arn: arn) == nil ? [] : [arn], conditionKeys: keys)]
        default:
            // A malformed name is the handler's validation error, not an authorisation question.
            guard let ref = try? FunctionReference.parse(input.string("FunctionName") ?? "", qualifier: input.string("Qualifier"), context: context)
            else { return [ActionRequirement(action: action)] }
            let qualified = ["GetFunction", "GetFunctionConfiguration", "DeleteFunction", "AddPermission", "RemovePermission",
                             "GetPolicy", "Invoke"].contains(operation)
            let arn = ref.key.arn(partition: partition, qualifier: qualified ? ref.qualifier : nil)
            var keys: [String: [String]] = [:]
            if operation == "CreateFunction" {
                keys = ActionRequirement.requestTagKeys((input.stringMap("Tags") ?? [:]).sorted { $0.key < $1.key })
            }
            var requirements = [ActionRequirement(action: action, resources: [arn], conditionKeys: keys,
                                                  createsResource: operation == "CreateFunction")]
            if operation == "CreateFunction" || operation == "UpdateFunctionConfiguration", let role = input.string("Role") {
                requirements.append(ActionRequirement(action: "iam:PassRole", resources: [role],
                                                      conditionKeys: ["iam:passedtoservice": [Self.servicePrincipal]]))
            }
            return requirements
        }
    }
}
