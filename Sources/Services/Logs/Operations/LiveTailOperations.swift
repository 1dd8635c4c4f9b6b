import Foundation
import SimfraCore

/// StartLiveTail: an event stream (`application/vnd.amazon.eventstream`, sent chunked over
/// HTTP/1.1) of the events put to the named groups from now on. boto3 prefixes the host with
/// `stream-` (the model's host prefix); against a local endpoint pass
/// `Config(inject_host_prefix=False)`.
extension LogsService: StreamingOutputService {
    public func streamsOutput(operation: String) -> Bool { operation == "StartLiveTail" }

    public func handleStreamingOutput(operation: String, input: Value, context: RequestContext) async throws -> StreamedOutput {
        guard operation == "StartLiveTail" else { throw AWSError.notImplemented(service: serviceName, operation: operation) }
        return try startLiveTail(input, context)
    }

    func startLiveTail(_ input: Value, _ ctx: RequestContext) throws -> StreamedOutput {
        let idents = input.stringList("logGroupIdentifiers") ?? []
        if idents.isEmpty {
            throw LogsError.validation("[]", "logGroupIdentifiers", "Member must have length greater than or equal to 1")
        }
        if idents.count > 10 {
            throw LogsError.validation("[\(idents.joined(separator: ", "))]", "logGroupIdentifiers",
                                       "Member must have length less than or equal to 10")
        }
        let names = input.stringList("logStreamNames"), prefixes = input.stringList("logStreamNamePrefixes")
        for (member, list) in [("logStreamNames", names), ("logStreamNamePrefixes", prefixes)] {
            guard let list else { continue }
            if list.isEmpty { throw LogsError.validation("[]", member, "Member must have length greater than or equal to 1") }
            if list.count > 100 {
                throw LogsError.validation("[…]", member, "Member must have length less than or equal to 100")
            }
        }
        if names != nil, prefixes != nil {
            throw LogsError.invalidParameter("logStreamNames and logStreamNamePrefixes are mutually exclusive parameters.")
        }
        if names != nil || prefixes != nil, idents.count != 1 {
            throw LogsError.invalidParameter(
                "logStreamNames and logStreamNamePrefixes can be specified only when logGroupIdentifiers has one log group.")
        }
        let patternText = input.string("logEventFilterPattern")
        let pattern: FilterPattern
        do { pattern = try FilterPattern.parse(patternText ?? "") } catch { throw LogsError.invalidPattern() }
        // Identifiers are ARNs (AWS's documented form) or names; an ARN of another account or
        // region names no group here.
        var groups: [String: String] = [:]
        for ident in idents {
            var name = ident
            if ident.hasPrefix("arn:") {
                let parts = ident.split(separator: ":", maxSplits: 6, omittingEmptySubsequences: false)
                guard parts.count == 7, parts[2] == "logs", parts[3] == Substring(ctx.region),
                      parts[4] == Substring(ctx.accountId), parts[5] == "log-group"
                else { throw LogsError.groupNotFound() }
                name = String(parts[6])
                if name.hasSuffix(":*") { name.removeLast(2) }
            }
            groups[name] = ident
        }
        try state.withLock { st in
            let existing = st.groups[Self.key(ctx)] ?? [:]
            if groups.keys.contains(where: { existing[$0] == nil }) { throw LogsError.groupNotFound() }
        }
        let id = UUID().uuidString.lowercased()
        liveTail.add(id, LiveTailSession(account: ctx.accountId, region: ctx.region, groups: groups,
                                         streamNames: names.map(Set.init), streamPrefixes: prefixes, matcher: pattern.matcher))
        var start = "{\"requestId\":\(JSONText.quoted(ctx.requestId)),\"sessionId\":\(JSONText.quoted(id))"
        start += ",\"logGroupIdentifiers\":[" + idents.map(JSONText.quoted).joined(separator: ",") + "]"
        if let names { start += ",\"logStreamNames\":[" + names.map(JSONText.quoted).joined(separator: ",") + "]" }
        if let prefixes { start += ",\"logStreamNamePrefixes\":[" + prefixes.map(JSONText.quoted).joined(separator: ",") + "]" }
        start += ",\"logEventFilterPattern\":\(JSONText.quoted(patternText ?? ""))}"
        let opening = EventStreamFrame.event("initial-response", json: "{}") + EventStreamFrame.event("sessionStart", json: start)
        return StreamedOutput(output: .empty,
                              body: LiveTailBody(hub: liveTail, id: id, opening: opening, clock: clock, interval: liveTailInterval))
    }
}
