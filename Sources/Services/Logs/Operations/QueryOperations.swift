import Foundation
import SimfraCore

/// A Logs Insights query and its results. Queries run to completion when started (the data
/// is local), so GetQueryResults answers `Complete` at once. Kept in memory only: AWS keeps
/// results for a week and never promises them across its own restarts either.
struct StoredQuery: Sendable {
    var id: String
    var account: String
    var region: String
    var groups: [String]
    var queryString: String
    var createTime: Int64
    var status: String
    var results: [[(String, String)]]
    var scanned: Int
    var matched: Int
    var bytes: Int
}

extension LogsService {
    func startQuery(_ input: Value, _ ctx: RequestContext) throws -> Value {
        var names: [String] = []
        if let n = input.string("logGroupName") { names.append(n) }
        names += input.stringList("logGroupNames") ?? []
        for id in input.stringList("logGroupIdentifiers") ?? [] {
            if id.hasPrefix("arn:"), let r = id.range(of: ":log-group:") {
                var n = String(id[r.upperBound...])
                if n.hasSuffix(":*") { n.removeLast(2) }
                names.append(n)
            } else {
                names.append(id)
            }
        }
        guard !names.isEmpty else {
            throw LogsError.invalidParameter("Log group name or log group identifiers must be specified.")
        }
        let start = input["startTime"]?.intValue ?? 0, end = input["endTime"]?.intValue ?? 0
        if end < start { throw LogsError.invalidParameter("End time should not be before the start time") }
        let text = input.string("queryString") ?? ""
        let query: InsightsQuery
        do { query = try InsightsQuery.parse(text) } catch {
            throw AWSError(code: "MalformedQueryException", message: "Invalid query: \(error.reason)")
        }
        let limit = input.int("limit") ?? 10_000
        // Events from startTime's second through the end of endTime's second.
        let lo = start.multipliedReportingOverflow(by: 1000).partialValue
        let hi = end.multipliedReportingOverflow(by: 1000).partialValue &+ 999
        let rows = try state.withLock { st -> [InsightsQuery.Row] in
            var rows: [InsightsQuery.Row] = []
            for name in names {
                guard let gs = st.groups[Self.key(ctx)]?[name] else {
                    throw AWSError(code: "ResourceNotFoundException",
                                   message: "Log group '\(name)' does not exist for account ID '\(ctx.accountId)' (Service: AWSLogs; Status Code: 400; Error Code: ResourceNotFoundException; Request ID: \(ctx.requestId); Proxy: null)")
                }
                let cutoff = gs.group.retentionInDays.map { nowMillis - Int64($0) * 86_400_000 } ?? Int64.min
                for (stream, events) in gs.events {
                    for e in events where e.timestamp >= lo && e.timestamp <= hi && e.timestamp >= cutoff {
                        rows.append(InsightsQuery.row(group: name, account: ctx.accountId, stream: stream, event: e,
                                                     ptr: Base64.encode(Array("\(name):\(stream):\(e.sequence)".utf8))))
                    }
                }
            }
            return rows
        }
        let (results, matched) = query.runCounting(rows, defaultLimit: limit)
        let q = StoredQuery(id: UUID().uuidString.lowercased(), account: ctx.accountId, region: ctx.region, groups: names,
                            queryString: "SOURCE \(names.map { "\"\($0)\"" }.joined(separator: ", ")) START=\(start)000 END=\(end)999 | \(text)",
                            createTime: nowMillis, status: "Complete", results: results, scanned: rows.count, matched: matched,
                            bytes: rows.reduce(0) { $0 + ($1["@message"]?.utf8.count ?? 0) })
        queries.withLock { all in
            all[q.id] = q
            // Bounded: the oldest results go first.
            if all.count > 1000, let oldest = all.values.min(by: { $0.createTime < $1.createTime }) { all[oldest.id] = nil }
        }
        return ["queryId": .string(q.id)]
    }

    func storedQuery(_ id: String, _ ctx: RequestContext) throws -> StoredQuery {
        guard let q = queries.withLock({ $0[id] }), q.account == ctx.accountId, q.region == ctx.region else {
            throw AWSError(code: "ResourceNotFoundException", message: "Query does not exist.")
        }
        return q
    }

    func getQueryResults(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let q = try storedQuery(input.string("queryId") ?? "", ctx)
        let rows = q.results.map { row in Value.list(row.map { ["field": .string($0.0), "value": .string($0.1)] }) }
        return ["queryLanguage": "CWLI", "status": .string(q.status), "results": .list(rows),
                "statistics": ["recordsMatched": .double(Double(q.matched)), "recordsScanned": .double(Double(q.scanned)),
                               "bytesScanned": .double(Double(q.bytes)), "estimatedRecordsSkipped": 0.0, "estimatedBytesSkipped": 0.0,
                               "logGroupsScanned": .double(Double(q.groups.count))]]
    }

    /// Queries complete when started, so there is never a running one to stop.
    func stopQuery(_ input: Value, _ ctx: RequestContext) throws -> Value {
        _ = try storedQuery(input.string("queryId") ?? "", ctx)
        return ["success": false]
    }

    func describeQueries(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let group = input.string("logGroupName"), status = input.string("status")
        let list = queries.withLock { all in
            all.values.filter { q in
                q.account == ctx.accountId && q.region == ctx.region && (group == nil || q.groups.contains(group!))
                    && (status == nil || q.status == status)
            }.sorted { $0.createTime > $1.createTime }
        }
        let max = input.int("maxResults") ?? 1000
        return ["queries": .list(list.prefix(max).map { q in
            ["queryId": .string(q.id), "queryString": .string(q.queryString), "status": .string(q.status),
             "createTime": .integer(q.createTime), "logGroupName": .string(q.groups.first ?? ""), "queryLanguage": "CWLI"]
        })]
    }
}
