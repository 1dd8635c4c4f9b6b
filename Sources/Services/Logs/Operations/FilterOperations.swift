import Foundation
import SimfraCore

extension LogsService {
    // MARK: Metric filters

    func putMetricFilter(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let group = input.string("logGroupName") ?? "", name = input.string("filterName") ?? ""
        let pattern = input.string("filterPattern") ?? ""
        try Self.validateFilterInput(name: name, pattern: pattern)
        let ts = input["metricTransformations"]?.listValue ?? []
        for t in ts where (t.string("metricName") ?? "").count > 255 {
            throw LogsError.validation(t.string("metricName") ?? "", "metricName", "Member must have length less than or equal to 255")
        }
        if ts.count != 1 {
            // AWS quotes the list as its Java objects print.
            let shown = ts.map { t -> String in
                func f(_ k: String) -> String { t[k].map { v in v.stringValue ?? v.doubleValue.map { String($0) } ?? "…" } ?? "null" }
                return "MetricTransformation(metricName=\(f("metricName")), metricNamespace=\(f("metricNamespace")), metricValue=\(f("metricValue")), defaultValue=\(f("defaultValue")), unit=\(f("unit")), dimensions=\(t["dimensions"] == nil ? "null" : "{…}"))"
            }
            throw LogsError.validation("[\(shown.joined(separator: ", "))]", "metricTransformations",
                                       "Member must have length \(ts.isEmpty ? "greater than or equal to 1" : "less than or equal to 1")")
        }
        let parsed: FilterPattern
        do { parsed = try FilterPattern.parse(pattern) } catch { throw LogsError.invalidPattern("metric") }
        let transformations = ts.map {
            MetricTransformation(metricName: $0.string("metricName") ?? "", metricNamespace: $0.string("metricNamespace") ?? "",
                                 metricValue: $0.string("metricValue") ?? "", defaultValue: $0["defaultValue"]?.doubleValue,
                                 dimensions: $0.stringMap("dimensions"), unit: $0.string("unit"))
        }
        for t in transformations {
            if t.metricValue.hasPrefix("$") {
                guard Self.refersToField(t.metricValue, parsed) else {
                    throw LogsError.invalidParameter("Invalid metric value: \(t.metricValue)")
                }
            } else if Double(t.metricValue) == nil {
                throw LogsError.invalidParameter("Invalid metric value: \(t.metricValue)")
            }
            if let d = t.dimensions, !d.isEmpty {
                if t.defaultValue != nil {
                    throw LogsError.invalidParameter("Default value is not supported when dimensions are specified.")
                }
                if d.count > 3 { throw LogsError.invalidParameter("A metric filter can have up to 3 dimensions.") }
                for v in d.values where !Self.refersToField(v, parsed) {
                    throw LogsError.invalidParameter("The specified filter pattern does not support dimensions")
                }
            }
        }
        let filter = MetricFilter(name: name, logGroupName: group, pattern: pattern, transformations: transformations,
                                  creationTime: nowMillis)
        let commit = try withGroup(ctx, group) { gs -> Commit in
            if gs.metricFilters[name] == nil, gs.metricFilters.count >= 100 { throw LogsError.limitExceeded() }
            gs.metricFilters[name] = filter
            return records.apply([put(LogsRecord.metricFilter, gs.group, id: "\(group):\(name)", LogsRecord.encode(filter))])
        }
        try await commit.wait()
        return .empty
    }

    /// The model's length limits, reported as AWS words them (the codec does not check lengths).
    static func validateFilterInput(name: String, pattern: String) throws {
        if name.count > 512 { throw LogsError.validation(name, "filterName", "Member must have length less than or equal to 512") }
        if pattern.count > 1024 {
            throw LogsError.validation(pattern, "filterPattern", "Member must have length less than or equal to 1024")
        }
    }

    /// Whether `$.x` / `$name` is something the pattern can supply: JSON selectors for JSON
    /// patterns, named fields for space-delimited ones.
    static func refersToField(_ ref: String, _ p: FilterPattern) -> Bool {
        switch p {
        case .json: return ref.hasPrefix("$.") && (try? JSONSelector.parse(ref)) != nil
        case .delimited(let d):
            return d.fields.contains { if case .named(let n, _) = $0 { return "$" + n == ref } else { return false } }
        default: return false
        }
    }

    static func metricFilterOutput(_ f: MetricFilter) -> Value {
        .object([
            "filterName": .string(f.name), "filterPattern": .string(f.pattern), "logGroupName": .string(f.logGroupName),
            "creationTime": .integer(f.creationTime), "applyOnTransformedLogs": false,
            "metricTransformations": .list(f.transformations.map { t in
                var o: [String: Value] = ["metricName": .string(t.metricName), "metricNamespace": .string(t.metricNamespace),
                                          "metricValue": .string(t.metricValue)]
                if let d = t.defaultValue { o["defaultValue"] = .double(d) }
                if let d = t.dimensions { o["dimensions"] = .object(d.mapValues { .string($0) }) }
                if let u = t.unit { o["unit"] = .string(u) }
                return .object(o)
            }),
        ])
    }

    func describeMetricFilters(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let limit = try Self.limit(input, default: 50, max: 50)
        let group = input.string("logGroupName"), prefix = input.string("filterNamePrefix")
        let mName = input.string("metricName"), mNs = input.string("metricNamespace")
        if let prefix, prefix.count > 512 {
            throw LogsError.validation(prefix, "filterNamePrefix", "Member must have length less than or equal to 512")
        }
        if prefix != nil, group == nil {
            throw LogsError.invalidParameter("logGroupName is required when filterNamePrefix is specified.")
        }
        let items = try state.withLock { st -> [(String, Value)] in
            let groups = st.groups[Self.key(ctx)] ?? [:]
            if let group, groups[group] == nil { throw LogsError.groupNotFound() }
            var out: [(String, Value)] = []
            for gs in groups.values where group == nil || gs.group.name == group {
                for f in gs.metricFilters.values {
                    if let prefix, !f.name.hasPrefix(prefix) { continue }
                    if let mName, !f.transformations.contains(where: { $0.metricName == mName }) { continue }
                    if let mNs, !f.transformations.contains(where: { $0.metricNamespace == mNs }) { continue }
                    out.append(("\(gs.group.name):\(f.name)", Self.metricFilterOutput(f)))
                }
            }
            return out.sorted { $0.0 < $1.0 }
        }
        let (page, next) = try Self.page(items, token: input.string("nextToken"), limit: limit)
        var out: [String: Value] = ["metricFilters": .list(page)]
        if let next { out["nextToken"] = .string(next) }
        return .object(out)
    }

    func deleteMetricFilter(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let group = input.string("logGroupName") ?? "", name = input.string("filterName") ?? ""
        let commit = try withGroup(ctx, group) { gs -> Commit in
            guard gs.metricFilters.removeValue(forKey: name) != nil else { throw LogsError.metricFilterNotFound() }
            return records.apply([del(LogsRecord.metricFilter, gs.group, id: "\(group):\(name)")])
        }
        try await commit.wait()
        return .empty
    }

    /// The points a group's metric filters make of accepted events: the transformation's value
    /// for every matching event, its default value (when set) for every other one.
    func metricData(_ gs: GroupState, _ events: [LogEvent]) -> [MetricDatum] {
        guard !gs.metricFilters.isEmpty, !events.isEmpty else { return [] }
        var out: [MetricDatum] = []
        for f in gs.metricFilters.values.sorted(by: { $0.name < $1.name }) {
            guard let p = try? FilterPattern.parse(f.pattern) else { continue }
            for e in events {
                let at = Double(e.timestamp) / 1000
                for t in f.transformations {
                    if let extracted = p.match(e.message) {
                        let value: Double?
                        if t.metricValue.hasPrefix("$") {
                            value = FilterPattern.extract(t.metricValue, message: e.message, extracted: extracted).flatMap(Double.init)
                        } else {
                            value = Double(t.metricValue)
                        }
                        // A match whose value field is missing or not numeric publishes nothing.
                        guard let value else { continue }
                        var dims: [(name: String, value: String)] = []
                        var complete = true
                        for (k, ref) in (t.dimensions ?? [:]).sorted(by: { $0.key < $1.key }) {
                            guard let v = FilterPattern.extract(ref, message: e.message, extracted: extracted) else {
                                complete = false
                                break
                            }
                            dims.append((name: k, value: v))
                        }
                        guard complete else { continue }
                        out.append(MetricDatum(namespace: t.metricNamespace, name: t.metricName, dimensions: dims, value: value,
                                               unit: t.unit ?? "None", timestamp: at))
                    } else if let d = t.defaultValue {
                        out.append(MetricDatum(namespace: t.metricNamespace, name: t.metricName, value: d,
                                               unit: t.unit ?? "None", timestamp: at))
                    }
                }
            }
        }
        return out
    }

    func testMetricFilter(_ input: Value) throws -> Value {
        let p: FilterPattern
        do { p = try FilterPattern.parse(input.string("filterPattern") ?? "") } catch { throw LogsError.invalidPattern("metric") }
        let messages = input.stringList("logEventMessages") ?? []
        var matches: [Value] = []
        for (i, m) in messages.enumerated() {
            guard let extracted = p.match(m) else { continue }
            matches.append(["eventNumber": .integer(Int64(i + 1)), "eventMessage": .string(m),
                            "extractedValues": .object(extracted.mapValues { .string($0) })])
        }
        return ["matches": .list(matches)]
    }

    // MARK: Subscription filters

    func putSubscriptionFilter(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let group = input.string("logGroupName") ?? "", name = input.string("filterName") ?? ""
        let pattern = input.string("filterPattern") ?? ""
        try Self.validateFilterInput(name: name, pattern: pattern)
        do { _ = try FilterPattern.parse(pattern) } catch { throw LogsError.invalidPattern("subscription") }
        let dest = input.string("destinationArn") ?? ""
        let parts = dest.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 6, parts[0] == "arn" else {
            throw LogsError.invalidParameter("Invalid destinationArn: \(dest)")
        }
        let vendor = String(parts[2])
        if vendor == "kinesis" || vendor == "firehose", input.string("roleArn") == nil {
            throw LogsError.invalidParameter("destinationArn for vendor \(vendor) cannot be used without roleArn")
        }
        if vendor == "lambda", parts[4] != Substring(ctx.accountId) {
            throw AWSError(code: "AccessDeniedException",
                           message: "Cross-account lambda invocation passing is not allowed. You must use DestinationPolicies to create cross account lambda triggers.")
        }
        let filter = SubscriptionFilter(name: name, logGroupName: group, pattern: pattern, destinationArn: dest,
                                        roleArn: input.string("roleArn"), distribution: input.string("distribution") ?? "ByLogStream",
                                        creationTime: nowMillis)
        let commit = try withGroup(ctx, group) { gs -> Commit in
            if gs.subscriptionFilters[name] == nil, gs.subscriptionFilters.count >= 2 { throw LogsError.limitExceeded() }
            gs.subscriptionFilters[name] = filter
            return records.apply([put(LogsRecord.subscriptionFilter, gs.group, id: "\(group):\(name)", LogsRecord.encode(filter))])
        }
        try await commit.wait()
        return .empty
    }

    func describeSubscriptionFilters(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let limit = try Self.limit(input, default: 50, max: 50)
        let group = input.string("logGroupName") ?? "", prefix = input.string("filterNamePrefix")
        let items = try withGroup(ctx, group) { gs in
            gs.subscriptionFilters.values.filter { prefix == nil || $0.name.hasPrefix(prefix!) }.sorted { $0.name < $1.name }
                .map { f -> (String, Value) in
                    var o: [String: Value] = ["filterName": .string(f.name), "logGroupName": .string(f.logGroupName),
                                              "filterPattern": .string(f.pattern), "destinationArn": .string(f.destinationArn),
                                              "distribution": .string(f.distribution), "creationTime": .integer(f.creationTime),
                                              "applyOnTransformedLogs": false]
                    if let r = f.roleArn { o["roleArn"] = .string(r) }
                    return (f.name, .object(o))
                }
        }
        let (page, next) = try Self.page(items, token: input.string("nextToken"), limit: limit)
        var out: [String: Value] = ["subscriptionFilters": .list(page)]
        if let next { out["nextToken"] = .string(next) }
        return .object(out)
    }

    func deleteSubscriptionFilter(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let group = input.string("logGroupName") ?? "", name = input.string("filterName") ?? ""
        let commit = try withGroup(ctx, group) { gs -> Commit in
            guard gs.subscriptionFilters.removeValue(forKey: name) != nil else { throw LogsError.subscriptionFilterNotFound() }
            return records.apply([del(LogsRecord.subscriptionFilter, gs.group, id: "\(group):\(name)")])
        }
        try await commit.wait()
        return .empty
    }

    /// Lambda, Kinesis and Firehose do not exist in Simfra yet, so no subscription delivery
    /// can be made: each matching batch is recorded as failed with the reason (never faked).
    func recordSubscriptionDeliveries(_ gs: inout GroupState, _ events: [LogEvent]) {
        guard !gs.subscriptionFilters.isEmpty, !events.isEmpty else { return }
        var failures: [FailedDelivery] = []
        for f in gs.subscriptionFilters.values {
            guard let p = try? FilterPattern.parse(f.pattern) else { continue }
            let n = events.filter { p.match($0.message) != nil }.count
            guard n > 0 else { continue }
            let service = f.destinationArn.split(separator: ":").dropFirst(2).first.map(String.init) ?? "?"
            failures.append(FailedDelivery(account: gs.group.account, logGroupName: gs.group.name, filterName: f.name, destinationArn: f.destinationArn,
                                           eventCount: n,
                                           reason: "\(service) is not available in Simfra; the events were not delivered"))
        }
        guard !failures.isEmpty else { return }
        let captured = failures
        pendingFailures.withLock { list in
            list.append(contentsOf: captured)
            if list.count > 1000 { list.removeFirst(list.count - 1000) }
        }
    }
}
