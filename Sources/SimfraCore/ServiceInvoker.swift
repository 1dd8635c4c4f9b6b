import Synchronization

/// An AWS call one Simfra service makes to another: Secrets Manager and SSM asking KMS to
/// encrypt and decrypt, S3 asking KMS for a data key, later SNS delivering to SQS. It takes
/// the dispatcher's path minus HTTP: the callee's model validates the input, the IAM
/// authoriser decides as AWS decides, then the callee's handler runs. One code path per
/// operation, whoever calls it.
public struct InternalCall: Sendable {
    /// botocore's name of the callee (`kms`).
    public var service: String
    /// The callee's operation (`Decrypt`).
    public var operation: String
    /// The operation's input, shaped as its codec would decode it (blobs as `.blob`).
    public var input: Value
    /// The request that caused the call. Its caller's credentials authorise the internal call
    /// (AWS's forward access sessions: Secrets Manager decrypts *as the user*), and its
    /// account and region are the call's.
    public var onBehalfOf: RequestContext
    /// The calling service's principal (`secretsmanager.amazonaws.com`). The callee sees
    /// `kms:ViaService` = `secretsmanager.<region>.amazonaws.com` and `aws:CalledVia`.
    public var via: String?
    /// Set when the calling service acts as itself rather than for the caller (DynamoDB using
    /// the grant it made on a table's key, SNS delivering to a queue): the service principal
    /// (`dynamodb.amazonaws.com`), which only resource policies and grants can allow. The
    /// call still belongs to `onBehalfOf`'s account and region.
    public var asService: String?
    /// `aws:SourceArn` of a service-principal call (the topic, table or bucket acting);
    /// `aws:SourceAccount` is `onBehalfOf.accountId`.
    public var sourceArn: String?

    public init(service: String, operation: String, input: Value, onBehalfOf: RequestContext, via: String?,
                asService: String? = nil, sourceArn: String? = nil)
    {
        self.service = service
        self.operation = operation
        self.input = input
        self.onBehalfOf = onBehalfOf
        self.via = via
        self.asService = asService
        self.sourceArn = sourceArn
    }
}

/// Runs `InternalCall`s. Errors are the callee's own `AWSError`s (`DisabledException`,
/// `NotFoundException`…); a denial by IAM is `AccessDeniedException` (status 400) with AWS's
/// "User: … is not authorized to perform: kms:Decrypt …" sentence. The calling service maps
/// them to what it answers (Secrets Manager: `DecryptionFailure`, `AccessDeniedException`).
public protocol ServiceInvoker: Sendable {
    func invoke(_ call: InternalCall) async throws -> Value
}

/// The invoker a service is built with. Services exist before the dispatcher that serves
/// their calls, so the server connects it afterwards; until then (and in unit tests that
/// connect nothing) calls fail with `ServiceUnavailable`.
public final class InvokerLink: ServiceInvoker {
    private let target = Mutex<(any ServiceInvoker)?>(nil)

    public init() {}

    public func connect(_ invoker: any ServiceInvoker) {
        target.withLock { $0 = invoker }
    }

    public func invoke(_ call: InternalCall) async throws -> Value {
        guard let t = target.withLock({ $0 }) else {
            throw AWSError(code: "ServiceUnavailable", message: "\(call.service) is not available to other services", status: 503)
        }
        return try await t.invoke(call)
    }
}

/// Services that call others through an `InvokerLink` expose it, so the server finds and
/// connects every one without knowing the service.
public protocol InvokingService: AWSService {
    var invoker: InvokerLink { get }
}
