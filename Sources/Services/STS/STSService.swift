import SimfraCore

/// AWS Security Token Service. GetCallerIdentity proves the whole request pipeline; the
/// credential-issuing operations come with the IAM issue.
public struct STSService: AWSService {
    public let serviceName = "sts"
    public let implementedOperations: Set<String> = ["GetCallerIdentity"]

    public init() {}

    public func handle(operation: String, input: Value, context: RequestContext) async throws -> Value {
        switch operation {
        case "GetCallerIdentity":
            return [
                "UserId": .string(context.userId),
                "Account": .string(context.accountId),
                "Arn": .string(context.principalArn),
            ]
        default:
            throw AWSError.notImplemented(service: serviceName, operation: operation)
        }
    }
}
