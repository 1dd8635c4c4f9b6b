import Foundation
import SimfraCore
import Testing

@testable import SimfraScheduler

/// Groups and schedules through `handle`, with inputs as the restJson1 codec decodes them.
@Suite struct ScheduleCRUDTests {
    @Test func createGetWithAWSDefaults() async throws {
        let h = Harness()
        let arn = try await h.call("CreateSchedule", Harness.schedule("s1", "cron(0 12 * * ? *)")).string("ScheduleArn")
        #expect(arn == "arn:aws:scheduler:us-east-1:111111111111:schedule/default/s1")
        let got = try await h.call("GetSchedule", ["Name": "s1"])
        #expect(got.string("GroupName") == "default")
        #expect(got.string("ScheduleExpressionTimezone") == "UTC")
        #expect(got.string("State") == "ENABLED")
        #expect(got.string("ActionAfterCompletion") == "NONE")
        #expect(got["FlexibleTimeWindow"] == ["Mode": "OFF"])
        #expect(got["Target"]?["RetryPolicy"] == ["MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185])
        #expect(got["CreationDate"] == .timestamp(h.clock.now()))
    }

    @Test func errorsWithAWSWording() async throws {
        let h = Harness()
        try await h.call("CreateSchedule", Harness.schedule("s1", "rate(5 minutes)"))
        let dup = await h.error("CreateSchedule", Harness.schedule("s1", "rate(5 minutes)"))
        #expect(dup == AWSError(code: "ConflictException", message: "Schedule s1 already exists.", status: 409))
        #expect(await h.error("GetSchedule", ["Name": "nope"])
            == AWSError(code: "ResourceNotFoundException", message: "Schedule nope does not exist.", status: 404))
        #expect(await h.error("CreateSchedule", Harness.schedule("s2", "rate(10 seconds)"))
            == AWSError(code: "ValidationException", message: "Invalid Schedule Expression rate(10 seconds).", status: 400))
        #expect(await h.error("CreateSchedule", Harness.schedule("s2", "rate(1 hour)", extra: ["GroupName": "g"]))
            == AWSError(code: "ResourceNotFoundException", message: "Schedule group g does not exist.", status: 404))
        #expect(await h.error("UpdateSchedule", Harness.schedule("s9", "rate(1 hour)"))?.code == "ResourceNotFoundException")
        #expect(await h.error("CreateSchedule", Harness.schedule("s3", "rate(1 hour)",
                                                                extra: ["ScheduleExpressionTimezone": "Mars/Base"]))?.code
            == "ValidationException")
        #expect(await h.error("CreateSchedule", Harness.schedule("s3", "rate(1 hour)",
                                                                extra: ["FlexibleTimeWindow": ["Mode": "FLEXIBLE"]]))?.code
            == "ValidationException")
        #expect(await h.error("DeleteScheduleGroup", ["Name": "default"])?.code == "ValidationException")
    }

    @Test func aRoleSchedulerMayNotAssumeIsRefused() async throws {
        let h = Harness()
        h.fake.fail("sts:AssumeRole", with: AWSError(code: "AccessDenied", message: "no", status: 403))
        #expect(await h.error("CreateSchedule", Harness.schedule("s", "rate(1 hour)"))
            == AWSError(code: "ValidationException",
                        message: "The execution role you provide must allow AWS EventBridge Scheduler to assume the role.",
                        status: 400))
        #expect(await h.error("GetSchedule", ["Name": "s"])?.code == "ResourceNotFoundException")
    }

    @Test func clientTokenMakesCreateIdempotent() async throws {
        let h = Harness()
        let first = try await h.call("CreateSchedule", Harness.schedule("s", "rate(1 hour)", extra: ["ClientToken": "tok"]))
        let again = try await h.call("CreateSchedule", Harness.schedule("s", "rate(1 hour)", extra: ["ClientToken": "tok"]))
        #expect(first == again)
        #expect(await h.error("CreateSchedule", Harness.schedule("s", "rate(1 hour)", extra: ["ClientToken": "other"]))?.code
            == "ConflictException")
    }

    @Test func updateReplacesTheDefinition() async throws {
        let h = Harness()
        try await h.call("CreateSchedule", Harness.schedule("s", "rate(1 hour)", extra: ["Description": "d"]))
        h.clock.advance(10)
        try await h.call("UpdateSchedule", Harness.schedule("s", "cron(0 1 * * ? *)", extra: ["State": "DISABLED"]))
        let got = try await h.call("GetSchedule", ["Name": "s"])
        #expect(got.string("ScheduleExpression") == "cron(0 1 * * ? *)")
        #expect(got.string("State") == "DISABLED")
        #expect(got["Description"] == nil)
        #expect(got["LastModificationDate"] == .timestamp(h.clock.now()))
        #expect(got["CreationDate"] == .timestamp(h.clock.now() - 10))
    }

    @Test func groupsListsAndPagination() async throws {
        let h = Harness()
        let arn = try await h.call("CreateScheduleGroup", ["Name": "g", "Tags": [["Key": "team", "Value": "a"]]])
            .string("ScheduleGroupArn")
        #expect(arn == "arn:aws:scheduler:us-east-1:111111111111:schedule-group/g")
        #expect(await h.error("CreateScheduleGroup", ["Name": "g"])?.code == "ConflictException")
        for i in 0..<5 {
            try await h.call("CreateSchedule", Harness.schedule("s\(i)", "rate(1 hour)", extra: ["GroupName": "g"]))
        }
        try await h.call("CreateSchedule", Harness.schedule("other", "rate(1 hour)", extra: ["State": "DISABLED"]))
        let groups = try await h.call("ListScheduleGroups", .empty)["ScheduleGroups"]?.listValue?.compactMap { $0.string("Name") }
        #expect(groups == ["default", "g"])
        #expect(try await h.call("GetScheduleGroup", ["Name": "default"]).string("State") == "ACTIVE")

        var names: [String] = []
        var token: Value?
        repeat {
            var input: [String: Value] = ["GroupName": "g", "MaxResults": 2]
            if let token { input["NextToken"] = token }
            let page = try await h.call("ListSchedules", .object(input))
            names += page["Schedules"]?.listValue?.compactMap { $0.string("Name") } ?? []
            token = page["NextToken"]
        } while token != nil
        #expect(names == ["s0", "s1", "s2", "s3", "s4"])
        let disabled = try await h.call("ListSchedules", ["State": "DISABLED"])["Schedules"]?.listValue
        #expect(disabled?.count == 1 && disabled?.first?.string("Name") == "other")
        #expect(try await h.call("ListSchedules", ["NamePrefix": "s"])["Schedules"]?.listValue?.count == 5)
        #expect(await h.error("ListSchedules", ["GroupName": "missing"])?.code == "ResourceNotFoundException")

        // Tags live on groups.
        try await h.call("TagResource", ["ResourceArn": .string(arn!), "Tags": [["Key": "env", "Value": "dev"]]])
        try await h.call("UntagResource", ["ResourceArn": .string(arn!), "TagKeys": ["team"]])
        #expect(try await h.call("ListTagsForResource", ["ResourceArn": .string(arn!)])["Tags"]
            == [["Key": "env", "Value": "dev"]])

        // Deleting a group deletes its schedules.
        try await h.call("DeleteScheduleGroup", ["Name": "g"])
        #expect(await h.error("GetScheduleGroup", ["Name": "g"])?.message == "Schedule group g does not exist.")
        #expect(try await h.call("ListSchedules", .empty)["Schedules"]?.listValue?.count == 1)
    }

    @Test func persistenceRoundTripAndAccountRemoval() async throws {
        let h = Harness()
        try await h.call("CreateScheduleGroup", ["Name": "g", "Tags": [["Key": "k", "Value": "v"]]])
        try await h.call("CreateSchedule", Harness.schedule("s", "cron(0 12 * * ? *)", extra: [
            "GroupName": "g", "ScheduleExpressionTimezone": "Europe/Berlin", "Description": "d",
            "FlexibleTimeWindow": ["Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15],
            "EndDate": .timestamp(h.clock.now() + 86400 * 30), "KmsKeyArn": "arn:aws:kms:us-east-1:111111111111:key/abc",
        ]))
        try await h.call("CreateSchedule", Harness.schedule("gone", "rate(1 hour)"))
        try await h.call("DeleteSchedule", ["Name": "gone"])
        let before = try await h.call("GetSchedule", ["Name": "s", "GroupName": "g"])

        let restored = SchedulerService(records: h.records, clock: h.clock, flexibleDelay: { _ in 0 }, runsLoop: false)
        try restored.restore()
        let ctx = Harness.context()
        #expect(try await restored.handle(operation: "GetSchedule", input: ["Name": "s", "GroupName": "g"], context: ctx) == before)
        #expect(try await restored.handle(operation: "ListTagsForResource",
                                          input: ["ResourceArn": "arn:aws:scheduler:us-east-1:111111111111:schedule-group/g"],
                                          context: ctx)["Tags"] == [["Key": "k", "Value": "v"]])
        #expect(restored.state.withLock { $0.plan.entries.count } == 1)
        try await restored.removeAccount("111111111111")
        let empty = SchedulerService(records: h.records, clock: h.clock, flexibleDelay: { _ in 0 }, runsLoop: false)
        try empty.restore()
        #expect(empty.state.withLock { $0.schedules.isEmpty && $0.groups.isEmpty })
    }
}
