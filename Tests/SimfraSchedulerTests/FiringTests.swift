import Foundation
import SimfraCore
import Testing

@testable import SimfraScheduler

/// Firing with a hand-moved clock and a fake invoker: when schedules are due, the calls their
/// targets receive, retries and the dead-letter queue.
@Suite struct FiringTests {
    @Test func rateFiresAtOnceThenEveryPeriodAsTheRole() async throws {
        let h = Harness()
        try await h.call("CreateSchedule", Harness.schedule("r", "rate(5 minutes)", target: [
            "Arn": .string(Harness.queue), "RoleArn": .string(Harness.role),
            "Input": "{\"at\":\"<aws.scheduler.scheduled-time>\",\"arn\":\"<aws.scheduler.schedule-arn>\",\"n\":<aws.scheduler.attempt-number>}",
        ]))
        let first = await h.service.fireDue()
        #expect(first.map(\.result) == [.delivered])

        // The first AssumeRole is CreateSchedule's check, the second the firing's.
        #expect(h.fake.made("sts:AssumeRole").count == 2)
        let assume = try #require(h.fake.made("sts:AssumeRole").last)
        #expect(assume.asService == "scheduler.amazonaws.com")
        #expect(assume.sourceArn == "arn:aws:scheduler:us-east-1:111111111111:schedule-group/default")
        #expect(assume.input.string("RoleArn") == Harness.role)
        let send = try #require(h.fake.made("sqs:SendMessage").first)
        #expect(send.asService == nil)
        #expect(send.onBehalfOf.accessKeyId == "ASIAFAKE")
        #expect(send.onBehalfOf.principalArn == "arn:aws:sts::111111111111:assumed-role/sched/x"
            || send.onBehalfOf.principalArn.hasPrefix("arn:aws:iam::111111111111:assumed-role/sched"))
        #expect(send.input.string("QueueUrl") == "http://localhost:4599/111111111111/q")
        #expect(send.input.string("MessageBody")
            == "{\"at\":\"2026-01-01T00:00:00Z\",\"arn\":\"arn:aws:scheduler:us-east-1:111111111111:schedule/default/r\",\"n\":1}")

        h.clock.advance(299)
        #expect(await h.service.fireDue().isEmpty)
        h.clock.advance(1)
        #expect(await h.service.fireDue().count == 1)
        #expect(h.fake.made("sqs:SendMessage").count == 2)
    }

    @Test func cronHonoursTimeZoneStartAndDisabled() async throws {
        let h = Harness()
        // 09:00 in New York on 2026-01-01 is 14:00 UTC.
        try await h.call("CreateSchedule", Harness.schedule("c", "cron(0 9 * * ? *)",
                                                           extra: ["ScheduleExpressionTimezone": "America/New_York"]))
        try await h.call("CreateSchedule", Harness.schedule("off", "cron(0 9 * * ? *)", extra: ["State": "DISABLED"]))
        #expect(h.service.state.withLock { $0.plan.entries.values.map(\.scheduled) } == [1_767_225_600 + 14 * 3600])
        h.clock.advance(14 * 3600 - 1)
        #expect(await h.service.fireDue().isEmpty)
        h.clock.advance(1)
        #expect(await h.service.fireDue().map(\.scheduleArn) == ["arn:aws:scheduler:us-east-1:111111111111:schedule/default/c"])
    }

    @Test func oneTimeWithDeleteRemovesTheScheduleAfterFiring() async throws {
        let h = Harness()
        try await h.call("CreateSchedule", Harness.schedule("once", "at(2026-01-01T00:01:00)",
                                                           extra: ["ActionAfterCompletion": "DELETE"]))
        try await h.call("CreateSchedule", Harness.schedule("keep", "at(2026-01-01T00:01:00)"))
        h.clock.advance(60)
        #expect(await h.service.fireDue().count == 2)
        #expect(await h.error("GetSchedule", ["Name": "once"])?.code == "ResourceNotFoundException")
        #expect(try await h.call("GetSchedule", ["Name": "keep"]).string("Name") == "keep")
        h.clock.advance(3600)
        #expect(await h.service.fireDue().isEmpty)
    }

    @Test func flexibleWindowDelaysTheInvocationNotTheScheduledTime() async throws {
        let h = Harness(flexibleDelay: { window in window / 2 })
        try await h.call("CreateSchedule", Harness.schedule("f", "at(2026-01-01T00:10:00)", extra: [
            "FlexibleTimeWindow": ["Mode": "FLEXIBLE", "MaximumWindowInMinutes": 10],
            "Target": ["Arn": .string(Harness.queue), "RoleArn": .string(Harness.role), "Input": "<aws.scheduler.scheduled-time>"],
        ]))
        h.clock.advance(600)
        #expect(await h.service.fireDue().isEmpty)
        h.clock.advance(300)
        #expect(await h.service.fireDue().count == 1)
        #expect(h.fake.made("sqs:SendMessage").first?.input.string("MessageBody") == "2026-01-01T00:10:00Z")
    }

    @Test func transientFailuresRetryThenDeadLetter() async throws {
        let h = Harness()
        let throttled = AWSError(code: "ThrottlingException", message: "slow down", status: 400)
        h.fake.fail("sqs:SendMessage", with: throttled, throttled)
        try await h.call("CreateSchedule", Harness.schedule("t", "at(2026-01-01T00:00:30)", target: [
            "Arn": .string(Harness.queue), "RoleArn": .string(Harness.role), "Input": "payload",
            "RetryPolicy": ["MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 60],
            "DeadLetterConfig": ["Arn": "arn:aws:sqs:us-east-1:111111111111:dlq"],
        ]))
        h.clock.advance(30)
        #expect(await h.service.fireDue().map(\.result) == [.retrying])
        h.clock.advance(1)
        let last = await h.service.fireDue()
        #expect(last.map(\.result) == [.failed(code: "ThrottlingException", message: "slow down", deadLettered: true)])
        #expect(last.first?.attempt == 2)
        let dlq = try #require(h.fake.made("sqs:SendMessage").last)
        #expect(dlq.input.string("QueueUrl") == "http://localhost:4599/111111111111/dlq")
        #expect(dlq.input.string("MessageBody") == "payload")
        let attrs = dlq.input["MessageAttributes"]
        #expect(attrs?["ERROR_CODE"]?.string("StringValue") == "ThrottlingException")
        #expect(attrs?["EXHAUSTED_RETRY_CONDITION"]?.string("StringValue") == "MaximumRetryAttempts")
        #expect(attrs?["RETRY_ATTEMPTS"]?.string("StringValue") == "1")
        #expect(attrs?["SCHEDULE_ARN"]?.string("StringValue") == "arn:aws:scheduler:us-east-1:111111111111:schedule/default/t")
        #expect(attrs?["TARGET_ARN"]?.string("StringValue") == Harness.queue)
    }

    @Test func removingTheAccountDropsItsPendingRetries() async throws {
        let h = Harness()
        h.fake.fail("sqs:SendMessage", with: AWSError(code: "ThrottlingException", message: "slow down", status: 400))
        try await h.call("CreateSchedule", Harness.schedule("t", "at(2026-01-01T00:00:30)"))
        h.clock.advance(30)
        #expect(await h.service.fireDue().map(\.result) == [.retrying])
        try await h.service.removeAccount("111111111111")
        h.clock.advance(60)
        #expect(await h.service.fireDue().isEmpty)
    }

    @Test func permanentFailureGoesStraightToTheDeadLetterQueue() async throws {
        let h = Harness()
        h.fake.fail("sqs:SendMessage", with: AWSError(code: "AccessDeniedException", message: "no", status: 400))
        try await h.call("CreateSchedule", Harness.schedule("p", "at(2026-01-01T00:00:30)", target: [
            "Arn": .string(Harness.queue), "RoleArn": .string(Harness.role),
            "DeadLetterConfig": ["Arn": "arn:aws:sqs:us-east-1:111111111111:dlq"],
        ]))
        h.clock.advance(30)
        #expect(await h.service.fireDue().map(\.result) == [.failed(code: "AccessDeniedException", message: "no", deadLettered: true)])
        #expect(h.fake.made("sqs:SendMessage").last?.input["MessageAttributes"]?["EXHAUSTED_RETRY_CONDITION"] == nil)
    }

    @Test func roleThatCannotBeAssumedDeliversNothing() async throws {
        let h = Harness()
        try await h.call("CreateSchedule", Harness.schedule("x", "at(2026-01-01T00:00:30)", target: [
            "Arn": .string(Harness.queue), "RoleArn": .string(Harness.role),
            "DeadLetterConfig": ["Arn": "arn:aws:sqs:us-east-1:111111111111:dlq"],
        ]))
        // The trust policy changed after the schedule was created.
        h.fake.fail("sts:AssumeRole", with: AWSError(code: "AccessDenied", message: "not trusted", status: 403))
        h.clock.advance(30)
        #expect(await h.service.fireDue().map(\.result) == [.failed(code: "AccessDenied", message: "not trusted", deadLettered: false)])
        #expect(h.fake.made("sqs:SendMessage").isEmpty)
    }

    @Test func templatedAndUniversalTargetShapes() throws {
        let ctx = Harness.context()
        let fifo = try TargetInvocation.call(["Arn": "arn:aws:sqs:eu-west-1:222222222222:q.fifo", "SqsParameters": ["MessageGroupId": "g"]],
                                             input: "b", context: ctx)
        #expect(fifo.input == ["QueueUrl": "http://localhost:4599/222222222222/q.fifo", "MessageBody": "b", "MessageGroupId": "g"])
        #expect(fifo.onBehalfOf.region == "eu-west-1")

        let sns = try TargetInvocation.call(["Arn": "arn:aws:sns:us-east-1:111111111111:t"], input: "m", context: ctx)
        #expect(sns.service == "sns" && sns.operation == "Publish")
        #expect(sns.input == ["TopicArn": "arn:aws:sns:us-east-1:111111111111:t", "Message": "m"])

        let bus = "arn:aws:events:us-east-1:111111111111:event-bus/default"
        let events = try TargetInvocation.call(["Arn": .string(bus), "EventBridgeParameters": ["DetailType": "tick", "Source": "my.app"]],
                                               input: "{\"a\":1}", context: ctx)
        #expect(events.service == "events" && events.operation == "PutEvents")
        #expect(events.input == ["Entries": [["EventBusName": .string(bus), "Source": "my.app", "DetailType": "tick", "Detail": "{\"a\":1}"]]])

        let sdk = try TargetInvocation.call(["Arn": "arn:aws:scheduler:::aws-sdk:sqs:createQueue"],
                                            input: "{\"QueueName\":\"made\",\"Attributes\":{\"DelaySeconds\":\"1\"}}", context: ctx)
        #expect(sdk.service == "sqs" && sdk.operation == "CreateQueue")
        #expect(sdk.input == ["QueueName": "made", "Attributes": ["DelaySeconds": "1"]])
        #expect(sdk.onBehalfOf.region == "us-east-1")

        #expect(throws: AWSError.self) {
            try TargetInvocation.call(["Arn": "arn:aws:lambda:us-east-1:111111111111:function:f"], input: "{}", context: ctx)
        }
        #expect(throws: AWSError.self) {
            try TargetInvocation.call(["Arn": "arn:aws:scheduler:::aws-sdk:sqs:sendMessage"], input: "not json", context: ctx)
        }
    }

    @Test func lambdaTargetIsRecordedAsFailedWithAReason() async throws {
        let h = Harness()
        try await h.call("CreateSchedule", Harness.schedule("l", "at(2026-01-01T00:00:30)", target: [
            "Arn": "arn:aws:lambda:us-east-1:111111111111:function:f", "RoleArn": .string(Harness.role),
        ]))
        h.clock.advance(30)
        let out = await h.service.fireDue()
        guard case .failed(let code, let message, _)? = out.first?.result else { Issue.record("not failed"); return }
        #expect(code == "LambdaUnavailable")
        #expect(message.contains("Lambda is not available in Simfra yet"))
        #expect(h.service.outcomes().count == 1)
    }
}
