import Foundation
import SimfraCore
import SimfraEventing

/// One schedule as stored: its definition as the caller gave it (defaults filled in as AWS
/// reports them) and the parsed expression that decides when it fires.
struct Schedule: Sendable {
    var key: ScheduleKey
    var arn: String
    var expression: ScheduleExpression
    var timezone: String
    var startDate: Double?
    var endDate: Double?
    var description: String?
    var enabled: Bool
    var flexibleWindowMinutes: Int?
    var deleteAfterCompletion: Bool
    var kmsKeyArn: String?
    /// The `Target` structure as given, with the default retry policy added.
    var target: Value
    var created: Double
    var modified: Double
    var clientToken: String?

    var name: String { key.name }
    var targetArn: String { target.string("Arn") ?? "" }
    var roleArn: String { target.string("RoleArn") ?? "" }
    /// The ARN of the schedule's group (`aws:SourceArn` when Scheduler assumes the role).
    var groupArn: String {
        let partition = arn.split(separator: ":", maxSplits: 2).dropFirst().first.map(String.init) ?? "aws"
        return ScheduleGroup.arn(partition: partition, region: key.region, account: key.accountId, name: key.group)
    }

    /// GetSchedule's output.
    var output: Value {
        var out: [String: Value] = [
            "Arn": .string(arn), "Name": .string(key.name), "GroupName": .string(key.group),
            "ScheduleExpression": .string(expression.text), "ScheduleExpressionTimezone": .string(timezone),
            "State": enabled ? "ENABLED" : "DISABLED",
            "ActionAfterCompletion": deleteAfterCompletion ? "DELETE" : "NONE",
            "CreationDate": .timestamp(created), "LastModificationDate": .timestamp(modified),
            "Target": target,
        ]
        if let flexibleWindowMinutes {
            out["FlexibleTimeWindow"] = ["Mode": "FLEXIBLE", "MaximumWindowInMinutes": .integer(Int64(flexibleWindowMinutes))]
        } else {
            out["FlexibleTimeWindow"] = ["Mode": "OFF"]
        }
        if let startDate { out["StartDate"] = .timestamp(startDate) }
        if let endDate { out["EndDate"] = .timestamp(endDate) }
        if let description { out["Description"] = .string(description) }
        if let kmsKeyArn { out["KmsKeyArn"] = .string(kmsKeyArn) }
        return .object(out)
    }

    var summary: Value {
        ["Arn": .string(arn), "Name": .string(key.name), "GroupName": .string(key.group),
         "State": enabled ? "ENABLED" : "DISABLED", "CreationDate": .timestamp(created),
         "LastModificationDate": .timestamp(modified), "Target": ["Arn": .string(targetArn)]]
    }

    static func arn(partition: String, key: ScheduleKey) -> String {
        "arn:\(partition):scheduler:\(key.region):\(key.accountId):schedule/\(key.group)/\(key.name)"
    }

    /// The next time (seconds since the epoch) the schedule is due strictly after `after`,
    /// within its start and end dates; nil once it never fires again or while disabled.
    ///
    /// A rate counts from its start date, or from its creation when it has none (AWS: "If you
    /// do not provide a StartDate for a rate-based schedule, your schedule starts invoking the
    /// target immediately").
    func nextOccurrence(after: Double) -> Double? {
        guard enabled else { return nil }
        var from = after
        // Cron and at times before the start date do not count.
        if let startDate, !expression.isRate { from = max(from, startDate - 0.001) }
        let anchor = Date(timeIntervalSince1970: startDate ?? modified)
        guard let next = expression.nextFire(after: Date(timeIntervalSince1970: from), anchor: anchor) else { return nil }
        let t = next.timeIntervalSince1970
        if let endDate, t > endDate { return nil }
        return t
    }
}
