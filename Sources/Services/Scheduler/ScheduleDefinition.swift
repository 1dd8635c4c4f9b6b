import Foundation
import SimfraCore
import SimfraEventing

/// CreateSchedule's and UpdateSchedule's input checked and turned into a `Schedule`, with the
/// defaults AWS reports (time zone UTC, state ENABLED, ActionAfterCompletion NONE, a retry
/// policy of 185 attempts within 86400 seconds). The codec has checked types, lengths and enums.
enum ScheduleDefinition {
    static let defaultRetryPolicy: Value = ["MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185]

    static func parse(_ input: Value, key: ScheduleKey, partition: String, now: Double) throws(AWSError) -> Schedule {
        let text = input.string("ScheduleExpression") ?? ""
        let timezone = input.string("ScheduleExpressionTimezone") ?? "UTC"
        guard let zone = ScheduleExpression.timeZone(named: timezone) else {
            throw SchedulerError.validation("Invalid ScheduleExpressionTimezone \(timezone).")
        }
        let expression: ScheduleExpression
        do {
            expression = try ScheduleExpression(text, timeZone: zone)
        } catch {
            throw SchedulerError.invalidExpression(text)
        }

        var window: Int?
        let flexible = input["FlexibleTimeWindow"] ?? .empty
        switch flexible.string("Mode") {
        case "FLEXIBLE":
            guard let minutes = flexible.int("MaximumWindowInMinutes") else {
                throw SchedulerError.validation("MaximumWindowInMinutes is required when the FlexibleTimeWindow Mode is FLEXIBLE.")
            }
            window = minutes
        default:
            if flexible["MaximumWindowInMinutes"] != nil {
                throw SchedulerError.validation("MaximumWindowInMinutes must not be set when the FlexibleTimeWindow Mode is OFF.")
            }
        }

        let start = timestamp(input["StartDate"])
        let end = timestamp(input["EndDate"])
        for (member, t) in [("StartDate", start), ("EndDate", end)] {
            if let t, !(0...253_402_300_799).contains(t) { throw SchedulerError.validation("Invalid \(member).") }
        }
        if let start, let end, end <= start {
            throw SchedulerError.validation("The EndDate must be after the StartDate.")
        }
        if let end, end <= now {
            throw SchedulerError.validation("The EndDate must be in the future.")
        }

        var target = input["Target"] ?? .empty
        let targetArn = target.string("Arn") ?? ""
        try checkTarget(target, arn: targetArn)
        if target["RetryPolicy"] == nil {
            target["RetryPolicy"] = defaultRetryPolicy
        } else {
            var policy = target["RetryPolicy"]!
            if policy["MaximumEventAgeInSeconds"] == nil { policy["MaximumEventAgeInSeconds"] = 86400 }
            if policy["MaximumRetryAttempts"] == nil { policy["MaximumRetryAttempts"] = 185 }
            target["RetryPolicy"] = policy
        }

        return Schedule(
            key: key, arn: Schedule.arn(partition: partition, key: key), expression: expression, timezone: timezone,
            startDate: start, endDate: end, description: input.string("Description"),
            enabled: (input.string("State") ?? "ENABLED") == "ENABLED", flexibleWindowMinutes: window,
            deleteAfterCompletion: input.string("ActionAfterCompletion") == "DELETE", kmsKeyArn: input.string("KmsKeyArn"),
            target: target, created: now, modified: now, clientToken: input.string("ClientToken"))
    }

    /// The target's ARN must name something Scheduler can call: a templated target (an SQS
    /// queue, SNS topic, EventBridge bus, Lambda function…) or a universal target
    /// `arn:aws:scheduler:::aws-sdk:<service>:<apiAction>`; its parameters must fit it.
    static func checkTarget(_ target: Value, arn: String) throws(AWSError) {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 6, parts[0] == "arn" else { throw SchedulerError.validation("Invalid target ARN \(arn).") }
        let service = parts[2]
        if service == "scheduler" {
            guard parts.count == 8, parts[5] == "aws-sdk", !parts[6].isEmpty, !parts[7].isEmpty else {
                throw SchedulerError.validation("Invalid target ARN \(arn).")
            }
        }
        if target["SqsParameters"] != nil, service != "sqs" {
            throw SchedulerError.validation("SqsParameters is only valid for an Amazon SQS target.")
        }
        if target["EventBridgeParameters"] != nil, service != "events" {
            throw SchedulerError.validation("EventBridgeParameters is only valid for an EventBridge event bus target.")
        }
        if let dlq = target["DeadLetterConfig"]?.string("Arn") {
            let d = dlq.split(separator: ":", omittingEmptySubsequences: false)
            guard d.count == 6, d[2] == "sqs", !d[5].hasSuffix(".fifo") else {
                throw SchedulerError.validation("The DeadLetterConfig Arn must be an Amazon SQS standard queue.")
            }
        }
    }

    static func timestamp(_ v: Value?) -> Double? {
        switch v {
        case .timestamp(let t)?: return t
        case .double(let d)?: return d
        case .integer(let i)?: return Double(i)
        default: return nil
        }
    }
}
