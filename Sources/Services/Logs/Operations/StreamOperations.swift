import SimfraCore

extension LogsService {
    static func validateStreamName(_ name: String) throws {
        guard name.count <= 512 else { throw LogsError.nameTooLong() }
        guard !name.isEmpty, !name.contains(":"), !name.contains("*") else {
            throw LogsError.validation(name, "logStreamName", "Member must satisfy regular expression pattern: [^:*]*")
        }
    }

    func createLogStream(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let group = input.string("logGroupName") ?? "", name = input.string("logStreamName") ?? ""
        try Self.validateStreamName(name)
        let now = nowMillis
        let commit = try withGroup(ctx, group) { gs -> Commit in
            if gs.streams[name] != nil { throw LogsError.streamExists() }
            let s = LogStream(name: name, creationTime: now)
            gs.streams[name] = s
            gs.events[name] = []
            return records.apply([streamWrite(gs.group, s)])
        }
        try await commit.wait()
        return .empty
    }

    func deleteLogStream(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let group = input.string("logGroupName") ?? "", name = input.string("logStreamName") ?? ""
        let commit = try withGroup(ctx, group) { gs -> Commit in
            guard gs.streams[name] != nil else { throw LogsError.streamNotFound() }
            var writes = [del(LogsRecord.stream, gs.group, id: "\(group):\(name)")]
            for b in (gs.batchCounts[name] ?? [:]).keys { writes.append(del(LogsRecord.batch, gs.group, id: LogsRecord.batchId(group, name, b))) }
            gs.streams[name] = nil
            gs.events[name] = nil
            gs.batchCounts[name] = nil
            return records.apply(writes)
        }
        try await commit.wait()
        return .empty
    }

    func streamOutput(_ g: LogGroup, _ s: LogStream) -> Value {
        var o: [String: Value] = [
            "logStreamName": .string(s.name), "creationTime": .integer(s.creationTime),
            "arn": .string("\(g.arn):log-stream:\(s.name)"), "storedBytes": .integer(s.storedBytes),
        ]
        // AWS shows a token only once the stream has events.
        if s.nextBatch > 0 { o["uploadSequenceToken"] = .string(Self.sequenceToken(s)) }
        if let t = s.firstEventTimestamp { o["firstEventTimestamp"] = .integer(t) }
        if let t = s.lastEventTimestamp { o["lastEventTimestamp"] = .integer(t) }
        if let t = s.lastIngestionTime { o["lastIngestionTime"] = .integer(t) }
        return .object(o)
    }

    /// AWS's sequence tokens are long decimal strings; they are accepted and ignored now, so
    /// Simfra's only has to look like one and change with every batch.
    static func sequenceToken(_ s: LogStream) -> String {
        let n = String(s.nextBatch + 1)
        return "4960" + String(repeating: "0", count: max(0, 52 - n.count)) + n
    }

    func describeLogStreams(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let group = try Self.groupName(input)
        let prefix = input.string("logStreamNamePrefix")
        let byTime = input.string("orderBy") == "LastEventTime"
        if byTime, prefix != nil {
            throw LogsError.invalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
        }
        let descending = input.bool("descending") ?? false
        let limit = try Self.limit(input, default: 50, max: 50)
        let (streams, commit) = try withGroup(ctx, group) { gs -> ([(String, Value, Int64)], Commit) in
            let writes = expire(&gs)
            let list = gs.streams.values.filter { prefix == nil || $0.name.hasPrefix(prefix!) }
                .map { ($0.name, streamOutput(gs.group, $0), $0.lastEventTimestamp ?? 0) }
            return (list, writes.isEmpty ? .done : records.apply(writes))
        }
        try await commit.wait()
        var sorted = byTime ? streams.sorted { ($0.2, $0.0) < ($1.2, $1.0) } : streams.sorted { $0.0 < $1.0 }
        if descending { sorted.reverse() }
        // Paged by position in the requested order.
        let start: Int
        if let t = try Self.untoken(input.string("nextToken")) {
            guard let n = Int(t), n >= 0, n <= sorted.count else { throw LogsError.invalidToken() }
            start = n
        } else {
            start = 0
        }
        let page = sorted[start..<min(sorted.count, start + limit)]
        var out: [String: Value] = ["logStreams": .list(page.map(\.1))]
        if start + limit < sorted.count { out["nextToken"] = .string(Self.token(String(start + limit))) }
        return .object(out)
    }
}
