import SimfraCore
import SimfraTestSupport
import Testing

@testable import SimfraSNS

/// A service restored from the records another wrote sees the same topics, tags and
/// subscriptions; deleted topics and removed accounts leave no record.
@Suite struct PersistenceTests {
    let t = TopicTests()

    @Test func restoreRoundTrip() async throws {
        let records = InMemoryRecords()
        let s = SNSService(records: records)
        let arn = try #require(try await t.call(s, "CreateTopic", ["Name": "t", "Tags": [["Key": "k", "Value": "v"]]])
            .string("TopicArn"))
        let sub = try #require(try await t.call(s, "Subscribe", ["TopicArn": .string(arn), "Protocol": "sqs",
                                                                 "Endpoint": "arn:aws:sqs:us-east-1:000000000000:q"])
            .string("SubscriptionArn"))
        _ = try await t.call(s, "SetTopicAttributes", ["TopicArn": .string(arn), "AttributeName": "DisplayName",
                                                       "AttributeValue": "D"])
        let gone = try #require(try await t.call(s, "CreateTopic", ["Name": "gone"]).string("TopicArn"))
        _ = try await t.call(s, "DeleteTopic", ["TopicArn": .string(gone)])
        let restored = SNSService(records: records)
        try restored.restore()
        let attrs = try await t.call(restored, "GetTopicAttributes", ["TopicArn": .string(arn)]).stringMap("Attributes")
        #expect(attrs?["DisplayName"] == "D")
        #expect(attrs?["SubscriptionsConfirmed"] == "1")
        #expect(try await t.call(restored, "ListTagsForResource", ["ResourceArn": .string(arn)])["Tags"]
            == Value.list([["Key": "k", "Value": "v"]]))
        #expect(try await t.call(restored, "GetSubscriptionAttributes", ["SubscriptionArn": .string(sub)])
            .stringMap("Attributes")?["Endpoint"] == "arn:aws:sqs:us-east-1:000000000000:q")
        #expect(await t.error(restored, "GetTopicAttributes", ["TopicArn": .string(gone)])?.code == "NotFound")
        try await restored.removeAccount("000000000000")
        let empty = SNSService(records: records)
        try empty.restore()
        #expect(try await t.call(empty, "ListTopics", .empty)["Topics"]?.listValue?.isEmpty == true)
    }

    /// The signing key, platform applications (credentials sealed) and SMS settings come back;
    /// the sealed credentials are not in the record in the clear.
    @Test func keysAppsAndSMSRoundTrip() async throws {
        let records = InMemoryRecords()
        let s = SNSService(records: records)
        let key = try await s.signingKey(region: "us-east-1")
        let app = try #require(try await t.call(s, "CreatePlatformApplication", [
            "Name": "a", "Platform": "GCM", "Attributes": ["PlatformCredential": "very-secret"]]).string("PlatformApplicationArn"))
        let ep = try #require(try await t.call(s, "CreatePlatformEndpoint", [
            "PlatformApplicationArn": .string(app), "Token": "tok"]).string("EndpointArn"))
        _ = try await t.call(s, "SetSMSAttributes", ["attributes": ["DefaultSMSType": "Transactional"]])
        let raw = try records.loadAll().first { $0.kind == PlatformApplicationRecord.kind }
        #expect(raw.map { !String(decoding: $0.data, as: UTF8.self).contains("very-secret") } == true)
        let restored = SNSService(records: records)
        try restored.restore()
        #expect(restored.certificatePEM(fileName: key.certificateFileName) == key.certificatePEM)
        #expect(restored.apps.withLock { $0[app]?.attributes["PlatformCredential"] } == "very-secret")
        #expect(try await t.call(restored, "GetEndpointAttributes", ["EndpointArn": .string(ep)])
            .stringMap("Attributes")?["Token"] == "tok")
        #expect(try await t.call(restored, "GetSMSAttributes", .empty).stringMap("attributes")?["DefaultSMSType"]
            == "Transactional")
        try await restored.removeAccount("000000000000")
        let empty = SNSService(records: records)
        try empty.restore()
        #expect(empty.apps.withLock { $0.isEmpty })
        // The signing key is SNS's own, not the account's: it stays.
        #expect(empty.certificatePEM(fileName: key.certificateFileName) != nil)
    }
}
