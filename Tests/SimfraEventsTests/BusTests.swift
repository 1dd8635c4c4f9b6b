import SimfraCore
import SimfraTestSupport
import Testing

@testable import SimfraEvents

/// Buses: the implicit default bus, custom buses, policies, tags, and their records.
@Suite struct BusTests {
    @Test func defaultBusExistsAndCannotBeDeleted() async throws {
        let s = EventBridgeService()
        let d = try await T.call(s, "DescribeEventBus", [:])
        #expect(d.string("Arn") == "arn:aws:events:us-east-1:000000000000:event-bus/default")
        #expect(await T.error(s, "DeleteEventBus", ["Name": "default"])?.message == "Cannot delete event bus default.")
        #expect(await T.error(s, "CreateEventBus", ["Name": "default"])?.code == "ResourceAlreadyExistsException")
    }

    @Test func customBusCrudAndPaging() async throws {
        let s = EventBridgeService()
        for n in ["b1", "b2", "b3"] { try await T.call(s, "CreateEventBus", ["Name": .string(n), "Description": "d"]) }
        #expect(await T.error(s, "CreateEventBus", ["Name": "b1"])?.message == "Event bus b1 already exists.")
        #expect(await T.error(s, "CreateEventBus", ["Name": "a b"])?.code == "ValidationException")
        let page1 = try await T.call(s, "ListEventBuses", ["Limit": 2])
        #expect(page1["EventBuses"]?.listValue?.compactMap { $0.string("Name") } == ["b1", "b2"])
        let page2 = try await T.call(s, "ListEventBuses", ["Limit": 2, "NextToken": page1["NextToken"] ?? .null])
        #expect(page2["EventBuses"]?.listValue?.compactMap { $0.string("Name") } == ["b3", "default"])
        #expect(page2["NextToken"] == nil)
        let updated = try await T.call(s, "UpdateEventBus", ["Name": "b2", "Description": "new",
                                                              "DeadLetterConfig": ["Arn": "arn:aws:sqs:us-east-1:000000000000:dlq"]])
        #expect(updated.string("Description") == "new")
        #expect(try await T.call(s, "DescribeEventBus", ["Name": "b2"])["DeadLetterConfig"]?.string("Arn")
            == "arn:aws:sqs:us-east-1:000000000000:dlq")
        try await T.call(s, "DeleteEventBus", ["Name": "b2"])
        try await T.call(s, "DeleteEventBus", ["Name": "b2"])
        #expect(await T.error(s, "DescribeEventBus", ["Name": "b2"])?.message == "Event bus b2 does not exist.")
    }

    @Test func permissionsBuildAPolicy() async throws {
        let s = EventBridgeService()
        try await T.call(s, "PutPermission", ["Action": "events:PutEvents", "Principal": "111111111111", "StatementId": "a"])
        try await T.call(s, "PutPermission", ["Action": "events:PutEvents", "Principal": "*", "StatementId": "b",
                                              "Condition": ["Type": "StringEquals", "Key": "aws:PrincipalOrgID", "Value": "o-1"]])
        let policy = try #require(try await T.call(s, "DescribeEventBus", [:]).string("Policy"))
        let statements = EventBridgeService.statements(policy)
        #expect(statements.count == 2)
        #expect(statements[0]["Principal"]?.string("AWS") == "arn:aws:iam::111111111111:root")
        #expect(statements[1]["Condition"]?["StringEquals"]?.string("aws:PrincipalOrgID") == "o-1")
        let doc = try #require(s.resourcePolicy(forResource: "arn:aws:events:us-east-1:000000000000:event-bus/default",
                                                context: T.context()))
        #expect(doc.document == policy && doc.additionalDocuments.isEmpty)
        #expect(await T.error(s, "RemovePermission", ["StatementId": "zz"])?.message
            == "Statement with the provided id does not exist.")
        try await T.call(s, "RemovePermission", ["StatementId": "a"])
        #expect(EventBridgeService.statements(try await T.call(s, "DescribeEventBus", [:]).string("Policy")).count == 1)
        try await T.call(s, "RemovePermission", ["RemoveAllPermissions": true])
        #expect(try await T.call(s, "DescribeEventBus", [:])["Policy"] == nil)
    }

    /// An AWS service putting its own events on a bus of the account it acts for is allowed
    /// by an implicit statement; it is not there for users or for other accounts.
    @Test func implicitServiceStatement() throws {
        let s = EventBridgeService()
        let bus = "arn:aws:events:us-east-1:000000000000:event-bus/default"
        let doc = try #require(s.resourcePolicy(forResource: bus, context: T.context(principal: "s3.amazonaws.com")))
        #expect(doc.additionalDocuments.count == 1 && doc.additionalDocuments[0].contains("s3.amazonaws.com"))
        #expect(s.resourcePolicy(forResource: bus, context: T.context()) == nil)
        #expect(s.resourcePolicy(forResource: bus, context: T.context(account: "111111111111", principal: "s3.amazonaws.com")) == nil)
    }

    @Test func tagsOnBusesAndRulesAndRecords() async throws {
        let records = InMemoryRecords()
        let s = EventBridgeService(records: records)
        try await T.call(s, "CreateEventBus", ["Name": "b", "Tags": [["Key": "k", "Value": "v"]]])
        let arn = "arn:aws:events:us-east-1:000000000000:event-bus/b"
        try await T.call(s, "TagResource", ["ResourceARN": .string(arn), "Tags": [["Key": "k2", "Value": "v2"]]])
        try await T.call(s, "UntagResource", ["ResourceARN": .string(arn), "TagKeys": ["k"]])
        #expect(try await T.call(s, "ListTagsForResource", ["ResourceARN": .string(arn)])["Tags"]
            == [["Key": "k2", "Value": "v2"]])
        #expect(await T.error(s, "ListTagsForResource", ["ResourceARN": "arn:aws:events:us-east-1:000000000000:rule/nope"])?.message
            == "Rule nope does not exist on EventBus default.")
        try await T.call(s, "PutPermission", ["Action": "events:PutEvents", "Principal": "111111111111", "StatementId": "a"])

        let restored = EventBridgeService(records: records)
        try restored.restore()
        #expect(try await T.call(restored, "ListTagsForResource", ["ResourceARN": .string(arn)])["Tags"]
            == [["Key": "k2", "Value": "v2"]])
        #expect(try await T.call(restored, "DescribeEventBus", [:]).string("Policy") != nil)
        try await s.removeAccount("000000000000")
        #expect(records.count == 0)
    }
}
