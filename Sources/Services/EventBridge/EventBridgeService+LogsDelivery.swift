import Foundation
import SimfraCore
import SimfraProtocols

/// A CloudWatch Logs target: each event becomes one log event in a stream named after the
/// event's id, written as events.amazonaws.com. AWS uses no role here: the log groups' resource
/// policy must allow `logs:CreateLogStream` and `logs:PutLogEvents` for events.amazonaws.com,
/// and the authoriser decides exactly that way.
extension EventBridgeService {
    static func logGroup(_ arn: String) -> (account: String, region: String, name: String)? {
        let p = arn.split(separator: ":", maxSplits: 6, omittingEmptySubsequences: false)
        guard p.count >= 7, p[0] == "arn", p[2] == "logs", p[5] == "log-group" else { return nil }
        var name = p[6]
        if name.hasSuffix(":*") { name = name.dropLast(2) }
        return (String(p[4]), String(p[3]), String(name))
    }

    func deliverToLogGroup(_ arn: String, payload: String, event: DeliveredEvent, target: Value, rule: Rule,
                           context: RequestContext) async throws
    {
        guard let group = Self.logGroup(arn) else {
            throw AWSError(code: "InvalidTarget", message: "Target \(arn) is not a log group ARN.")
        }
        var ctx = context
        ctx.region = group.region
        let (timestamp, message) = Self.logEvent(payload, event: event, transformed: target["InputTransformer"] != nil)
        let stream = event.id
        do {
            _ = try await invoker.invoke(InternalCall(
                service: "logs", operation: "CreateLogStream",
                input: ["logGroupName": .string(group.name), "logStreamName": .string(stream)],
                onBehalfOf: ctx, via: nil, asService: "events.amazonaws.com", sourceArn: rule.arn))
        } catch let e as AWSError where e.code == "ResourceAlreadyExistsException" {
            // A retry after a failed PutLogEvents, or a second rule delivering the same event.
        }
        _ = try await invoker.invoke(InternalCall(
            service: "logs", operation: "PutLogEvents",
            input: ["logGroupName": .string(group.name), "logStreamName": .string(stream),
                    "logEvents": [["timestamp": .integer(timestamp), "message": .string(message)]]],
            onBehalfOf: ctx, via: nil, asService: "events.amazonaws.com", sourceArn: rule.arn))
    }

    /// The event's time and the payload, unless an input transformer produced AWS's required
    /// `{"timestamp": …, "message": …}` shape for log targets, whose fields then win.
    static func logEvent(_ payload: String, event: DeliveredEvent, transformed: Bool) -> (Int64, String) {
        func millis(_ text: String) -> Int64? {
            (try? Date(text, strategy: .iso8601)).map { Int64($0.timeIntervalSince1970 * 1000) }
        }
        let eventTime = millis(event.time) ?? Int64(Date().timeIntervalSince1970 * 1000)
        guard transformed, case .object(let object)? = try? JSONReader.parse(Array(payload.utf8)),
              let message = object["message"]
        else { return (eventTime, payload) }
        let text: String
        if case .string(let s) = message { text = s } else { text = InputTransformer.json(message) }
        switch object["timestamp"] {
        case .string(let t)?: return (millis(t) ?? eventTime, text)
        case .integer(let n)?: return (n, text)
        case .double(let d)?: return (Int64(d), text)
        default: return (eventTime, text)
        }
    }
}
