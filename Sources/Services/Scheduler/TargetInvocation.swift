import Foundation
import SimfraCore
import SimfraProtocols

/// How one firing reaches its target, as plain values: the input with its context attributes
/// filled in, and the `InternalCall` a templated or universal target amounts to. The service
/// makes the calls; this decides their shape.
enum TargetInvocation {
    /// What the firing knows about itself, for `<aws.scheduler.…>` context attributes.
    struct Firing: Sendable {
        var scheduleArn: String
        var scheduledTime: Double
        var executionId: String
        var attempt: Int
    }

    private static let timeStyle = Date.ISO8601FormatStyle(timeZone: .gmt)

    /// The target's `Input` (or an empty JSON object) with AWS's context attributes replaced.
    static func input(_ target: Value, _ f: Firing) -> String {
        let raw = target.string("Input") ?? "{}"
        guard raw.contains("<aws.scheduler.") else { return raw }
        return raw
            .replacingOccurrences(of: "<aws.scheduler.schedule-arn>", with: f.scheduleArn)
            .replacingOccurrences(of: "<aws.scheduler.scheduled-time>",
                                  with: timeStyle.format(Date(timeIntervalSince1970: f.scheduledTime)))
            .replacingOccurrences(of: "<aws.scheduler.execution-id>", with: f.executionId)
            .replacingOccurrences(of: "<aws.scheduler.attempt-number>", with: String(f.attempt))
    }

    /// Universal targets name services by their SDK name; these differ from botocore's.
    static let sdkServiceNames = ["eventbridge": "events", "sfn": "stepfunctions", "cloudwatchlogs": "logs"]

    /// The call for `target`, made as `context` (the execution role's session, in the
    /// schedule's account), or why there is none.
    static func call(_ target: Value, input: String, context: RequestContext) throws(AWSError) -> InternalCall {
        let arn = target.string("Arn") ?? ""
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 6 else { throw permanent("InvalidTarget", "The target ARN \(arn) is not valid.") }
        var ctx = context
        if !parts[3].isEmpty { ctx.region = parts[3] }
        func make(_ service: String, _ operation: String, _ input: Value) -> InternalCall {
            InternalCall(service: service, operation: operation, input: input, onBehalfOf: ctx, via: nil)
        }
        switch parts[2] {
        case "sqs":
            var o: [String: Value] = [
                "QueueUrl": .string("\(context.endpoint)/\(parts[4])/\(parts[5])"), "MessageBody": .string(input),
            ]
            if let group = target["SqsParameters"]?.string("MessageGroupId") { o["MessageGroupId"] = .string(group) }
            return make("sqs", "SendMessage", .object(o))
        case "sns":
            return make("sns", "Publish", ["TopicArn": .string(arn), "Message": .string(input)])
        case "events":
            let p = target["EventBridgeParameters"] ?? .empty
            let entry: Value = [
                "EventBusName": .string(arn), "Source": .string(p.string("Source") ?? ""),
                "DetailType": .string(p.string("DetailType") ?? ""), "Detail": .string(input),
            ]
            return make("events", "PutEvents", ["Entries": [entry]])
        case "lambda":
            throw permanent("LambdaUnavailable",
                            "Lambda is not available in Simfra yet: the function \(arn) cannot be invoked.")
        case "scheduler" where parts.count == 8 && parts[5] == "aws-sdk":
            let service = sdkServiceNames[parts[6]] ?? parts[6]
            let action = parts[7].prefix(1).uppercased() + parts[7].dropFirst()
            guard let parsed = try? JSONReader.parse(Array(input.utf8)), case .object = parsed else {
                throw permanent("InvalidInput", "The Input of a universal target must be a JSON object.")
            }
            return make(service, action, parsed)
        default:
            throw permanent("UnsupportedTarget", "Simfra cannot invoke the target \(arn): its service is not available.")
        }
    }

    static func permanent(_ code: String, _ message: String) -> AWSError {
        AWSError(code: code, message: message, status: 400)
    }

    /// Errors worth retrying: throttling and service-side failures (not 501 NotImplemented,
    /// which will not change on its own).
    static func isTransient(_ e: AWSError) -> Bool {
        if e.code == "NotImplemented" { return false }
        if e.status >= 500 { return true }
        return ["ThrottlingException", "Throttling", "ThrottledException", "RequestThrottled", "TooManyRequestsException",
                "ServiceUnavailable", "InternalFailure", "InternalError"].contains(e.code)
    }
}
