import Foundation
import SimfraCore
import Synchronization

/// What an object operation needs to notify: the bucket's parsed configuration and the
/// bucket's identity, copied out under the lock only when the bucket has a configuration.
struct NotificationScope: Sendable {
    var config: BucketNotifications
    var bucket: String
    var owner: String
    var region: String
}

/// Delivers S3 events to the destinations of a bucket's notification configuration, after
/// the request answered: SQS SendMessage and SNS Publish as `s3.amazonaws.com` with the
/// bucket as `aws:SourceArn` (the queue or topic policy must allow it, as in AWS), and
/// EventBridge PutEvents on the bucket owner's default bus. Deliveries run one after another
/// on a chain of tasks, so a key's events arrive in the order they happened; a failure is
/// logged and not retried (pending deliveries are transient).
final class S3Notifier: Sendable {
    static let servicePrincipal = "s3.amazonaws.com"

    private let invoker: any ServiceInvoker
    /// The last sequencer handed out (see `sequencer`).
    private let lastSequencer = Mutex<UInt64>(0)
    /// The tail of the delivery chain.
    private let tail = Mutex<Task<Void, Never>?>(nil)
    /// Where failures are reported (stderr; tests capture them).
    private let log: @Sendable (String) -> Void

    init(invoker: any ServiceInvoker, log: @escaping @Sendable (String) -> Void = S3Notifier.logToStderr) {
        self.invoker = invoker
        self.log = log
    }

    static func logToStderr(_ line: String) {
        FileHandle.standardError.write(Data("simfra: \(line)\n".utf8))
    }

    /// An increasing hex sequencer (18 digits, as S3's are): the clock's milliseconds in the
    /// high bits so it keeps increasing across restarts, a counter below so two events of one
    /// millisecond still order.
    func sequencer(now: Double) -> String {
        let n = lastSequencer.withLock { last -> UInt64 in
            let fromClock = UInt64(max(0, now * 1000)) << 16
            last = max(last + 1, fromClock)
            return last
        }
        let hex = String(n, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 18 - hex.count)) + hex
    }

    /// A stable "Amazon customer id" for an account (`ownerIdentity.principalId`, and the
    /// root's `userIdentity.principalId`): S3 shows an opaque uppercase id, not the account.
    static func customerId(_ account: String) -> String {
        "A" + Digests.sha256Hex("simfra-s3-customer:" + account).prefix(13).uppercased()
    }

    /// `userIdentity.principalId` of the requester: `AWS:<unique id>` for an IAM user or
    /// role session, the customer id for an account's root.
    static func principalId(_ context: RequestContext) -> String {
        if context.principalArn.hasSuffix(":root") || context.userId == context.accountId {
            return customerId(context.accountId)
        }
        return "AWS:" + (context.userId.isEmpty ? context.principalArn : context.userId)
    }

    /// The calls one event makes: one per matching target, plus EventBridge when enabled.
    /// A Lambda target yields no call (no Lambda service yet) but a failure reason.
    static func calls(for event: NotificationEvent, scope: NotificationScope, context: RequestContext)
        -> (calls: [InternalCall], failures: [String])
    {
        var calls: [InternalCall] = []
        var failures: [String] = []
        for t in scope.config.targets where t.matches(event: event.name, key: event.key) {
            let message = event.message(configurationId: t.id)
            switch t.kind {
            case .queue, .topic:
                calls.append(deliveryCall(t, message: message, scope: scope, context: context))
            case .lambda:
                failures.append("s3: notification \(event.name) of s3://\(event.bucket)/\(event.key) to \(t.arn) not delivered: "
                    + "Lambda is not available in Simfra yet")
            }
        }
        if scope.config.eventBridge, let type = event.eventBridgeType, let detail = event.eventBridgeDetail() {
            var ctx = context
            ctx.accountId = scope.owner
            ctx.region = scope.region
            let entry: Value = [
                "Source": "aws.s3", "DetailType": .string(type.detailType), "Detail": .string(detail),
                "Resources": [.string(event.bucketArn)],
            ]
            calls.append(InternalCall(service: "events", operation: "PutEvents", input: ["Entries": [entry]], onBehalfOf: ctx,
                                      via: nil, asService: servicePrincipal, sourceArn: event.bucketArn))
        }
        return (calls, failures)
    }

    /// SendMessage to a queue or Publish to a topic, as `s3.amazonaws.com` for the bucket
    /// (`aws:SourceAccount` = the bucket owner), in the destination's region.
    static func deliveryCall(_ t: NotificationTarget, message: String, scope: NotificationScope, context: RequestContext)
        -> InternalCall
    {
        let (region, account, name) = t.arnParts
        var ctx = context
        ctx.accountId = scope.owner
        ctx.region = region
        let bucketArn = "arn:aws:s3:::\(scope.bucket)"
        switch t.kind {
        case .topic:
            return InternalCall(service: "sns", operation: "Publish",
                                input: ["TopicArn": .string(t.arn), "Message": .string(message), "Subject": "Amazon S3 Notification"],
                                onBehalfOf: ctx, via: nil, asService: servicePrincipal, sourceArn: bucketArn)
        default:
            return InternalCall(service: "sqs", operation: "SendMessage",
                                input: ["QueueUrl": .string("\(context.endpoint)/\(account)/\(name)"), "MessageBody": .string(message)],
                                onBehalfOf: ctx, via: nil, asService: servicePrincipal, sourceArn: bucketArn)
        }
    }

    /// Queues the event's deliveries behind the ones before it and returns at once.
    func deliver(_ events: [NotificationEvent], scope: NotificationScope, context: RequestContext) {
        var all: [InternalCall] = []
        for e in events {
            let (calls, failures) = Self.calls(for: e, scope: scope, context: context)
            all += calls
            for f in failures { log(f) }
        }
        guard !all.isEmpty else { return }
        let invoker = self.invoker
        let log = self.log
        tail.withLock { tail in tail = Self.chain(after: tail, all, invoker: invoker, log: log) }
    }

    /// A task that runs `calls` once `previous` finished.
    private static func chain(after previous: Task<Void, Never>?, _ calls: [InternalCall], invoker: any ServiceInvoker,
                              log: @escaping @Sendable (String) -> Void) -> Task<Void, Never>
    {
        Task {
            await previous?.value
            for call in calls {
                do {
                    _ = try await invoker.invoke(call)
                } catch {
                    log("s3: notification from \(call.sourceArn ?? "") to \(call.service) \(call.operation) failed: \(describe(error))")
                }
            }
        }
    }

    /// Waits until every delivery queued so far has run (tests).
    func drain() async {
        let t = tail.withLock { $0 }
        await t?.value
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? AWSError { return "\(e.code): \(e.message)" }
        return "\(error)"
    }
}
