import Foundation
import SimfraCore
import SimfraProtocols

/// PutEvents: each entry is checked on its own (AWS answers per entry), accepted entries get
/// an id and the event envelope, and routing to the bus's rules runs after the answer.
extension EventBridgeService {
    /// AWS's limit on the summed entry sizes (Time counts 14 bytes).
    static let maxRequestSize = 262_144

    func putEvents(_ input: Value, _ context: RequestContext) async throws -> Value {
        let entries = input["Entries"]?.listValue ?? []
        if entries.reduce(0, { $0 + Self.entrySize($1) }) > Self.maxRequestSize {
            throw EventsError.validation("Total size of the entries in the request is over the limit.")
        }
        notePutEvents(entries, context)
        let principal = Self.servicePrincipal(context)
        let now = clock.now()
        var results: [Value] = []
        var failed = 0
        var accepted: [(BusRef, DeliveredEvent)] = []
        for entry in entries {
            switch Self.accept(entry, context: context, servicePrincipal: principal, now: now) {
            case .success(let (ref, event)):
                accepted.append((ref, event))
                results.append(["EventId": .string(event.id)])
            case .failure(let e):
                failed += 1
                results.append(["ErrorCode": .string(e.code), "ErrorMessage": .string(e.message)])
            }
        }
        if !accepted.isEmpty {
            // Archived (durably) before the answer; delivered after it.
            try await archive(accepted, now: now)
            Task { await self.route(accepted, context: context) }
        }
        return ["FailedEntryCount": .integer(Int64(failed)), "Entries": .list(results)]
    }

    /// The AWS service a call comes from when a service put the events itself
    /// (`s3.amazonaws.com`), nil for a user.
    static func servicePrincipal(_ context: RequestContext) -> String? {
        let p = context.principalArn
        return !p.hasPrefix("arn:") && p.hasSuffix(".amazonaws.com") ? p : nil
    }

    static func entrySize(_ e: Value) -> Int {
        var n = e["Time"] != nil ? 14 : 0
        for key in ["Source", "DetailType", "Detail"] { n += e.string(key)?.utf8.count ?? 0 }
        for r in e.stringList("Resources") ?? [] { n += r.utf8.count }
        return n
    }

    /// One entry's checks, in AWS's order, or the event it becomes.
    static func accept(_ e: Value, context: RequestContext, servicePrincipal: String?, now: Double)
        -> Result<(BusRef, DeliveredEvent), AWSError>
    {
        func invalid(_ member: String) -> Result<(BusRef, DeliveredEvent), AWSError> {
            .failure(AWSError(code: "InvalidArgument",
                              message: "Parameter \(member) is not valid. Reason: \(member) is a required argument."))
        }
        guard let source = e.string("Source"), !source.isEmpty else { return invalid("Source") }
        guard let detailType = e.string("DetailType"), !detailType.isEmpty else { return invalid("DetailType") }
        guard let detailText = e.string("Detail"), !detailText.isEmpty else { return invalid("Detail") }
        guard let detail = try? JSONReader.parse(Array(detailText.utf8)), case .object = detail else {
            return .failure(AWSError(code: "MalformedDetail", message: "Detail is malformed."))
        }
        // `aws.*` sources belong to AWS: a service may put only its own (s3 → aws.s3); a bus
        // forwarding to another bus (events.amazonaws.com) passes events on unchanged.
        if servicePrincipal != "events.amazonaws.com", source.hasPrefix("aws.") {
            let own = servicePrincipal.map { "aws." + $0.dropLast(".amazonaws.com".count) }
            if own != source {
                return .failure(AWSError(code: "NotAuthorizedForSourceException", message: "Not authorized for the source."))
            }
        }
        guard let ref = BusRef.resolve(e.string("EventBusName"), context) else {
            return .failure(AWSError(code: "InvalidArgument",
                                     message: "Parameter EventBusName is not valid. Reason: Provided Arn is not in correct format."))
        }
        // `account` is the sender's: an event put on another account's bus says who sent it.
        let time: Double
        if case .timestamp(let t)? = e["Time"] { time = t } else { time = now }
        let event = DeliveredEvent(
            id: UUID().uuidString.lowercased(), detailType: detailType, source: source, account: context.accountId,
            time: DeliveredEvent.format(time), region: ref.region, resources: e.stringList("Resources") ?? [],
            detailText: detailText, detail: detail)
        return .success((ref, event))
    }

    /// Matches each event against the enabled rules of its bus and delivers to their targets.
    /// A bus that does not exist takes the event and routes it nowhere, as AWS does.
    /// `only`: a replay's `FilterArns` (nil: every rule of the bus).
    func route(_ events: [(BusRef, DeliveredEvent)], context: RequestContext, only: Set<String>? = nil) async {
        for (ref, event) in events {
            let rules = state.withLock { s in Array((s.rules[ref.arn] ?? [:]).values) }
            let value = event.value  // built once, matched against every rule
            // Each target on its own: one retrying with backoff holds up no other.
            await withTaskGroup(of: Void.self) { group in
                for rule in rules where rule.isEnabled && rule.compiled?.matches(value) == true {
                    if let only, !only.contains(rule.arn) { continue }
                    noteTriggered(rule)
                    for target in rule.targets {
                        group.addTask { await self.deliverCounted(event, to: target, rule: rule, context: context) }
                    }
                }
            }
        }
    }
}

/// One event as EventBridge sends it on: the envelope fields, its JSON text (members in
/// AWS's order, the detail as compact JSON) and the parsed form patterns match.
struct DeliveredEvent: Sendable {
    var id: String
    var detailType: String
    var source: String
    var account: String
    var time: String
    var region: String
    var resources: [String]
    var detailText: String
    var detail: Value
    /// Set on an event a replay sends again (`replay-name` in the envelope).
    var replayName: String? = nil

    /// `2026-12-07T15:30:11Z`: AWS's event time has no fractional seconds.
    private static let timeStyle = Date.ISO8601FormatStyle(timeZone: .gmt)

    static func format(_ t: Double) -> String { timeStyle.format(Date(timeIntervalSince1970: t.rounded(.down))) }

    var value: Value {
        ["version": "0", "id": .string(id), "detail-type": .string(detailType), "source": .string(source),
         "account": .string(account), "time": .string(time), "region": .string(region),
         "resources": .list(resources.map { .string($0) }), "detail": detail]
    }

    var json: String {
        var s = #"{"version":"0","id":"# + JSONText.quoted(id) + #","detail-type":"# + JSONText.quoted(detailType)
        s += #","source":"# + JSONText.quoted(source) + #","account":"# + JSONText.quoted(account)
        s += #","time":"# + JSONText.quoted(time) + #","region":"# + JSONText.quoted(region)
        if let replayName { s += #","replay-name":"# + JSONText.quoted(replayName) }
        s += #","resources":["#
        s += resources.map { JSONText.quoted($0) }.joined(separator: ",") + #"],"detail":"#
        s += InputTransformer.json(detail) + "}"
        return s
    }
}
