import SimfraCore
import SimfraProtocols

/// Internal AWS calls between services (`InternalCall`), served by the same validation,
/// authoriser and handler as an HTTP request, minus the wire.
extension Dispatcher: ServiceInvoker {
    func invoke(_ call: InternalCall) async throws -> Value {
        guard let entry = registry.entries[call.service], let handler = entry.handler,
            handler.implementedOperations.contains(call.operation),
            let op = entry.model.operation(call.operation)
        else {
            throw AWSError.notImplemented(service: call.service, operation: call.operation)
        }
        let wire = WireProtocol.supported(by: entry.model)[0]
        try entry.codec(wire).validate(call.input, op)

        var context = call.onBehalfOf
        context.service = call.service
        context.operation = call.operation
        // The caller's own credentials, looked up again: a key deactivated or a session
        // expired since the outer request was signed no longer carries the inner call.
        let credential = call.asService != nil || context.accessKeyId.isEmpty ? nil : credential(context.accessKeyId)
        var conditions: [String: [String]] = [:]
        if let service = call.asService {
            context.principalArn = service
            context.userId = ""
            context.accessKeyId = ""
            conditions["aws:sourceaccount"] = [call.onBehalfOf.accountId]
            if let arn = call.sourceArn { conditions["aws:sourcearn"] = [arn] }
            // CloudWatch alarms also send the legacy `aws:SourceOwner`, which SNS's default
            // topic policy (`"AWS": "*"` if SourceOwner is the account) matches: an alarm
            // publishes to a topic of its own account without a policy change. S3 does not,
            // so S3 notifications still need a statement naming s3.amazonaws.com.
            if Self.servicesSendingSourceOwner.contains(service) {
                conditions["aws:sourceowner"] = [call.onBehalfOf.accountId]
            }
        }
        if let via = call.via {
            // `secretsmanager.amazonaws.com` → kms:ViaService `secretsmanager.<region>.amazonaws.com`.
            let prefix = via.hasSuffix(".amazonaws.com") ? String(via.dropLast(".amazonaws.com".count)) : via
            conditions["\(call.service):viaservice"] = ["\(prefix).\(context.region).amazonaws.com"]
            conditions["aws:calledvia"] = [via]
            conditions["aws:calledviafirst"] = [via]
            conditions["aws:calledvialast"] = [via]
            conditions["aws:viaawsservice"] = ["true"]
        }
        if let denial = authorizer.authorize(
            handler, operation: call.operation, input: call.input, context: context, credential: credential,
            sourceIp: nil, secureTransport: true, extraConditions: conditions, servicePrincipal: call.asService)
        {
            throw AWSError(
                code: "AccessDeniedException",
                message: denial.message ?? "Access to \(call.service) is not allowed", status: 400)
        }
        return try await handler.handle(operation: call.operation, input: call.input, context: context)
    }
}

extension Dispatcher {
    /// Service principals whose calls carry `aws:SourceOwner` (SNS developer guide,
    /// "aws:SourceAccount versus aws:SourceOwner").
    static let servicesSendingSourceOwner: Set<String> = ["cloudwatch.amazonaws.com"]
}

/// What services hold: the dispatcher owns them, so they must not own it back.
struct WeakInvoker: ServiceInvoker, @unchecked Sendable {
    weak var dispatcher: Dispatcher?

    func invoke(_ call: InternalCall) async throws -> Value {
        guard let dispatcher else { throw AWSError.serviceUnavailable("Simfra is stopping") }
        return try await dispatcher.invoke(call)
    }
}
