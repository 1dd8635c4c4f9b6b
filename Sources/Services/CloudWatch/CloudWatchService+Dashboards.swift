import Foundation
import SimfraCore

/// A dashboard: its body as sent (AWS answers it back byte for byte). Dashboards belong to
/// the account, not a region (their ARN has none: `arn:aws:cloudwatch::<acct>:dashboard/<name>`).
struct Dashboard: Sendable {
    var account: String
    var name: String
    var body: String
    var lastModified: Double
}

/// PutDashboard (with AWS's body checks), GetDashboard, ListDashboards, DeleteDashboards.
extension CloudWatchService {
    static let widgetTypes: Set<String> = ["metric", "text", "log", "alarm", "explorer", "custom"]

    static func dashboardArn(_ name: String, _ context: RequestContext) -> String {
        "arn:\(partition(context)):cloudwatch::\(context.accountId):dashboard/\(name)"
    }

    static func dashboardNotFound(_ name: String) -> AWSError {
        AWSError(code: "DashboardNotFoundError", message: "Dashboard \(name) does not exist", status: 404)
    }

    /// AWS's checks of a dashboard body, as DashboardValidationMessages (empty: valid).
    static func validate(body: String) -> [(path: String, message: String)] {
        guard let doc = try? JSONSerialization.jsonObject(with: Data(body.utf8)), let root = doc as? [String: Any] else {
            return [("", "The field DashboardBody must be a valid JSON object")]
        }
        var out: [(String, String)] = []
        if let widgets = root["widgets"] {
            guard let list = widgets as? [Any] else { return [("/widgets", "Should be array")] }
            for (i, w) in list.enumerated() {
                guard let widget = w as? [String: Any] else {
                    out.append(("/widgets/\(i)", "Should be object"))
                    continue
                }
                guard let type = widget["type"] as? String else {
                    out.append(("/widgets/\(i)", "Should have required property 'type'"))
                    continue
                }
                if !widgetTypes.contains(type) {
                    out.append(("/widgets/\(i)/type", "Should be equal to one of the allowed values"))
                }
                if type != "text" && type != "custom", widget["properties"] == nil {
                    out.append(("/widgets/\(i)", "Should have required property 'properties'"))
                }
                for key in ["x", "y", "width", "height"] {
                    if let v = widget[key], !(v is NSNumber) { out.append(("/widgets/\(i)/\(key)", "Should be integer")) }
                }
            }
        }
        return out
    }

    func putDashboard(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.string("DashboardName") ?? ""
        guard !name.isEmpty, name.count <= 255,
            name.unicodeScalars.allSatisfy({ ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" || $0 == "_" })
        else {
            throw CloudWatchError.invalidValue(
                "The value for field DashboardName contains invalid characters. It can only contain alphanumerics, dash (-) and underscore (_).\n")
        }
        let body = input.string("DashboardBody") ?? ""
        let problems = Self.validate(body: body)
        if !problems.isEmpty {
            throw AWSError(code: "DashboardInvalidInputError", message: "The field DashboardBody must be a valid JSON object",
                           extra: ["dashboardValidationMessages": .list(problems.map {
                               ["DataPath": .string($0.path), "Message": .string($0.message)]
                           })])
        }
        let now = (clock.now() * 1000).rounded() / 1000
        let d = Dashboard(account: context.accountId, name: name, body: body, lastModified: now)
        let commit = state.withLock { s -> Commit in
            s.dashboards["\(d.account)/\(name)"] = d
            return records.put(kind: DashboardRecord.kind, account: d.account, region: "", id: name,
                               data: DashboardRecord.encode(d))
        }
        try await commit.wait()
        return ["DashboardValidationMessages": .list([])]
    }

    func getDashboard(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let name = input.string("DashboardName") ?? ""
        guard let d = state.withLock({ $0.dashboards["\(context.accountId)/\(name)"] }) else {
            throw Self.dashboardNotFound(name)
        }
        return ["DashboardName": .string(name), "DashboardArn": .string(Self.dashboardArn(name, context)),
                "DashboardBody": .string(d.body)]
    }

    func listDashboards(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let prefix = input.string("DashboardNamePrefix") ?? ""
        let all = state.withLock { s in
            s.dashboards.values.filter { $0.account == context.accountId && $0.name.hasPrefix(prefix) }
        }.sorted { $0.name < $1.name }
        var offset = 0
        if let token = input.string("NextToken") {
            guard let n = Int(token), n >= 0, n <= all.count else { throw CloudWatchError.invalidNextToken }
            offset = n
        }
        let page = all[offset..<min(all.count, offset + 1000)]
        var out: [String: Value] = ["DashboardEntries": .list(page.map { d in
            ["DashboardName": .string(d.name), "DashboardArn": .string(Self.dashboardArn(d.name, context)),
             "LastModified": .timestamp(d.lastModified), "Size": .integer(Int64(d.body.utf8.count))]
        })]
        if offset + 1000 < all.count { out["NextToken"] = .string(String(offset + 1000)) }
        return .object(out)
    }

    func deleteDashboards(_ input: Value, _ context: RequestContext) async throws -> Value {
        let names = input.stringList("DashboardNames") ?? []
        let commit = try state.withLock { s throws(AWSError) -> Commit in
            // All or nothing: one unknown name deletes none.
            for name in names where s.dashboards["\(context.accountId)/\(name)"] == nil { throw Self.dashboardNotFound(name) }
            for name in names { s.dashboards.removeValue(forKey: "\(context.accountId)/\(name)") }
            return names.isEmpty ? .done : records.apply(names.map {
                .delete(kind: DashboardRecord.kind, account: context.accountId, region: "", id: $0)
            })
        }
        try await commit.wait()
        return .empty
    }
}

/// A dashboard's durable record: `{"v":1,"body":"…","lastModified":<ms>}`.
enum DashboardRecord {
    static let kind = "dashboard"

    static func encode(_ d: Dashboard) -> [UInt8] {
        let doc: [String: Any] = ["v": 1, "body": d.body, "lastModified": AlarmRecord.millis(d.lastModified)]
        return Array((try? JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys])) ?? Data())
    }

    static func decode(_ r: DurableRecord) throws -> Dashboard {
        guard let doc = (try? JSONSerialization.jsonObject(with: Data(r.data))) as? [String: Any],
            let body = doc["body"] as? String
        else {
            throw AlarmRecord.DecodeError(description: "CloudWatch dashboard record \(r.account)/\(r.id) is unreadable")
        }
        let ms = (doc["lastModified"] as? NSNumber)?.int64Value ?? 0
        return Dashboard(account: r.account, name: r.id, body: body, lastModified: Double(ms) / 1000)
    }
}
