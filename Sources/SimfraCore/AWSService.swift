/// One AWS service's behaviour. The protocol codec has already parsed and validated the
/// input against the model; the handler returns the output shape as a `Value` (or throws an
/// `AWSError`), and the codec serialises it in the request's protocol.
public protocol AWSService: Sendable {
    /// botocore's service name (`sts`, `sqs`, `s3`…), which selects the model.
    var serviceName: String { get }
    /// Operations this handler implements; every other model operation answers 501.
    var implementedOperations: Set<String> { get }
    func handle(operation: String, input: Value, context: RequestContext) async throws -> Value
}
