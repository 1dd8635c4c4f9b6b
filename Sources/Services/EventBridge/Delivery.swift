import Foundation
import SimfraCore

/// A target's retry policy: transient failures (the target's service unavailable or
/// throttling) are retried with backoff until `MaximumRetryAttempts` or
/// `MaximumEventAgeInSeconds` runs out (AWS's defaults: 185 attempts, 24 hours). A plain
/// value: tests ask it what happens at a given attempt and time.
public struct RetryPolicy: Sendable, Equatable {
    public var maximumRetryAttempts: Int
    public var maximumEventAgeInSeconds: Double

    public init(maximumRetryAttempts: Int = 185, maximumEventAgeInSeconds: Double = 86_400) {
        self.maximumRetryAttempts = maximumRetryAttempts
        self.maximumEventAgeInSeconds = maximumEventAgeInSeconds
    }

    init(_ target: Value) {
        let p = target["RetryPolicy"]
        self.init(maximumRetryAttempts: p?.int("MaximumRetryAttempts") ?? 185,
                  maximumEventAgeInSeconds: Double(p?.int("MaximumEventAgeInSeconds") ?? 86_400))
    }

    public enum Decision: Sendable, Equatable {
        case retry(after: Double)
        /// Given up; the reason is DLQ's `EXHAUSTED_RETRY_CONDITION` (nil: not retriable).
        case giveUp(exhausted: String?)
    }

    /// What to do after `retries` retries have failed, the event having arrived at `arrived`.
    public func decide(error: AWSError, retries: Int, arrived: Double, now: Double,
                       delay: (Int) -> Double = RetryPolicy.backoff) -> Decision
    {
        guard Self.isTransient(error) else { return .giveUp(exhausted: nil) }
        if retries >= maximumRetryAttempts { return .giveUp(exhausted: "MaximumRetryAttemptsExhausted") }
        let wait = delay(retries + 1)
        if now + wait - arrived > maximumEventAgeInSeconds { return .giveUp(exhausted: "MaximumEventAgeExhausted") }
        return .retry(after: wait)
    }

    /// Exponential from 1 s, capped at 5 minutes.
    public static let backoff: @Sendable (Int) -> Double = { attempt in min(300, Double(1 << min(attempt - 1, 9))) }

    static func isTransient(_ e: AWSError) -> Bool {
        e.status >= 500 || e.code == "ThrottlingException" || e.code == "Throttling" || e.code == "RequestThrottled"
    }
}

/// A delivery that failed for good, kept so the reason can be read.
public struct DeliveryFailure: Sendable, Equatable {
    public var ruleArn: String
    public var targetId: String
    public var targetArn: String
    public var eventId: String
    public var errorCode: String
    public var errorMessage: String
}

extension EventBridgeService {
    static let failureLogLimit = 1000

    /// Failed deliveries, oldest first (at most the last thousand).
    public var deliveryFailures: [DeliveryFailure] { failures.withLock { $0 } }

    /// Sends one event to one target, retrying transient failures; a final failure goes to
    /// the target's DLQ when it has one, and is recorded either way.
    func deliver(_ event: DeliveredEvent, to target: Value, rule: Rule, context: RequestContext) async {
        var ctx = context
        ctx.accountId = rule.bus.accountId
        ctx.region = rule.bus.region
        let targetArn = target.string("Arn") ?? ""
        let payload = Self.payload(event, target: target, rule: rule)
        let policy = RetryPolicy(target)
        let arrived = clock.now()
        var retries = 0
        var lastError: AWSError
        var exhausted: String?
        while true {
            do {
                if Self.isApiDestination(targetArn) {
                    try await invokeApiDestination(targetArn, payload: payload, target: target, rule: rule, context: ctx)
                    return
                }
                if Self.logGroup(targetArn) != nil {
                    try await deliverToLogGroup(targetArn, payload: payload, event: event, target: target, rule: rule, context: ctx)
                    return
                }
                var call = try Self.call(to: targetArn, payload: payload, event: event, target: target, rule: rule, context: ctx)
                // A bus target with a role is called as that role (AWS's way across accounts):
                // assumed through STS as events.amazonaws.com, so its trust policy decides.
                if call.service == "events", let role = target.string("RoleArn") {
                    call.onBehalfOf = try await assumeRole(role, rule: rule, context: call.onBehalfOf)
                    call.asService = nil
                    call.sourceArn = nil
                }
                let out = try await invoker.invoke(call)
                // A bus target answers per entry rather than throwing.
                if let n = out.int("FailedEntryCount"), n > 0, let e = out["Entries"]?.listValue?.first {
                    throw AWSError(code: e.string("ErrorCode") ?? "InternalFailure", message: e.string("ErrorMessage") ?? "")
                }
                return
            } catch {
                lastError = (error as? AWSError) ?? AWSError.internalFailure("\(error)")
            }
            switch policy.decide(error: lastError, retries: retries, arrived: arrived, now: clock.now(), delay: retryDelay) {
            case .retry(let wait):
                retries += 1
                try? await Task.sleep(nanoseconds: UInt64(wait * 1_000_000_000))
                continue
            case .giveUp(let why):
                exhausted = why
            }
            break
        }
        noteInvocationFailed()
        failures.withLock {
            $0.append(DeliveryFailure(ruleArn: rule.arn, targetId: target.string("Id") ?? "", targetArn: targetArn,
                                      eventId: event.id, errorCode: lastError.code, errorMessage: lastError.message))
            if $0.count > Self.failureLogLimit { $0.removeFirst($0.count - Self.failureLogLimit) }
        }
        if let dlq = target["DeadLetterConfig"]?.string("Arn") {
            var attributes: [String: Value] = [
                "RULE_ARN": Self.stringAttribute(rule.arn), "TARGET_ARN": Self.stringAttribute(targetArn),
                "ERROR_CODE": Self.stringAttribute(lastError.code),
                "ERROR_MESSAGE": Self.stringAttribute(String(lastError.message.prefix(256))),
                "RETRY_ATTEMPTS": Self.stringAttribute(String(retries)),
            ]
            if let exhausted { attributes["EXHAUSTED_RETRY_CONDITION"] = Self.stringAttribute(exhausted) }
            if let (account, region, name) = Self.queue(dlq) {
                var dctx = ctx
                dctx.region = region
                let call = InternalCall(
                    service: "sqs", operation: "SendMessage",
                    input: ["QueueUrl": .string(Self.queueUrl(dctx, account, name)), "MessageBody": .string(event.json),
                            "MessageAttributes": .object(attributes)],
                    onBehalfOf: dctx, via: nil, asService: "events.amazonaws.com", sourceArn: rule.arn)
                _ = try? await invoker.invoke(call)
            }
        }
    }

    /// The role's session as a request context in the role's account.
    func assumeRole(_ roleArn: String, rule: Rule, context: RequestContext) async throws -> RequestContext {
        let out = try await invoker.invoke(InternalCall(
            service: "sts", operation: "AssumeRole",
            input: ["RoleArn": .string(roleArn), "RoleSessionName": .string(String(UUID().uuidString.filter { $0 != "-" }.prefix(32)))],
            onBehalfOf: context, via: nil, asService: "events.amazonaws.com", sourceArn: rule.arn))
        guard let key = out["Credentials"]?.string("AccessKeyId"), let user = out["AssumedRoleUser"], let arn = user.string("Arn")
        else { throw AWSError.internalFailure("AssumeRole answered without credentials") }
        var ctx = context
        let parts = roleArn.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count >= 5, !parts[4].isEmpty { ctx.accountId = String(parts[4]) }
        ctx.principalArn = arn
        ctx.userId = user.string("AssumedRoleId") ?? ""
        ctx.accessKeyId = key
        return ctx
    }

    static func stringAttribute(_ s: String) -> Value { ["DataType": "String", "StringValue": .string(s)] }

    /// What the target receives: `Input` as given, the `InputPath` selection, the filled
    /// `InputTransformer` template, or the whole event.
    static func payload(_ event: DeliveredEvent, target: Value, rule: Rule) -> String {
        if let input = target.string("Input") { return input }
        if let path = target.string("InputPath") {
            guard let steps = JSONPathLite.parse(path), !steps.isEmpty else { return event.json }
            return JSONPathLite.select(steps, in: event.value).map(InputTransformer.json) ?? "null"
        }
        if let t = target["InputTransformer"] {
            return InputTransformer(t, targetId: target.string("Id") ?? "").render(event, ruleArn: rule.arn, ruleName: rule.name)
        }
        return event.json
    }

    static func isApiDestination(_ arn: String) -> Bool {
        let p = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        return p.count == 6 && p[2] == "events" && p[5].hasPrefix("api-destination/")
    }

    static func queue(_ arn: String) -> (String, String, String)? {
        let p = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard p.count == 6, p[2] == "sqs" else { return nil }
        return (String(p[4]), String(p[3]), String(p[5]))
    }

    static func queueUrl(_ ctx: RequestContext, _ account: String, _ name: String) -> String {
        let endpoint = ctx.endpoint.isEmpty ? "http://localhost" : ctx.endpoint
        return "\(endpoint)/\(account)/\(name)"
    }

    /// The internal call that delivers to a target, or the reason no call can.
    static func call(to arn: String, payload: String, event: DeliveredEvent, target: Value, rule: Rule,
                     context: RequestContext) throws(AWSError) -> InternalCall
    {
        let p = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard p.count == 6, p[0] == "arn" else {
            throw AWSError(code: "InvalidTarget", message: "Target \(arn) is not a valid ARN.")
        }
        var ctx = context
        ctx.region = String(p[3])
        switch p[2] {
        case "sqs":
            var input: [String: Value] = [
                "QueueUrl": .string(queueUrl(ctx, String(p[4]), String(p[5]))), "MessageBody": .string(payload),
            ]
            if p[5].hasSuffix(".fifo") {
                if let group = target["SqsParameters"]?.string("MessageGroupId") { input["MessageGroupId"] = .string(group) }
                input["MessageDeduplicationId"] = .string(event.id)
            }
            return InternalCall(service: "sqs", operation: "SendMessage", input: .object(input), onBehalfOf: ctx,
                                via: nil, asService: "events.amazonaws.com", sourceArn: rule.arn)
        case "sns":
            return InternalCall(service: "sns", operation: "Publish",
                                input: ["TopicArn": .string(arn), "Message": .string(payload)], onBehalfOf: ctx,
                                via: nil, asService: "events.amazonaws.com", sourceArn: rule.arn)
        case "events" where p[5].hasPrefix("event-bus/"):
            var entry: [String: Value] = [
                "Source": .string(event.source), "DetailType": .string(event.detailType),
                "Detail": .string(InputTransformer.json(event.detail)), "EventBusName": .string(arn),
                "Resources": .list(event.resources.map { .string($0) }),
            ]
            if target["Input"] != nil || target["InputPath"] != nil || target["InputTransformer"] != nil {
                entry["Detail"] = .string(payload)
            }
            return InternalCall(service: "events", operation: "PutEvents", input: ["Entries": [.object(entry)]],
                                onBehalfOf: ctx, via: nil, asService: "events.amazonaws.com", sourceArn: rule.arn)
        case "lambda":
            throw AWSError(code: "ServiceNotAvailable",
                           message: "Lambda is not available in Simfra yet (issue #15); the event was not delivered to \(arn).")
        default:
            throw AWSError(code: "UnsupportedTarget",
                           message: "Simfra does not deliver to \(p[2]) targets yet; the event was not delivered to \(arn).")
        }
    }
}
