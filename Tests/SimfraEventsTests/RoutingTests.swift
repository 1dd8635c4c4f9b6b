import Foundation
import SimfraCore
import Testing

@testable import SimfraEvents

/// PutEvents routing: patterns through the shared matcher, enabled rules only, each target's
/// call, failures to Lambda recorded, DLQ with AWS's attributes, TestEventPattern.
@Suite struct RoutingTests {
    /// Waits for the delivery task started after PutEvents answered.
    func settle(_ invoker: RecordingInvoker, count: Int) async {
        for _ in 0..<200 where invoker.recorded.count < count { try? await Task.sleep(nanoseconds: 5_000_000) }
    }

    @Test func matchedRulesDeliverToTheirTargets() async throws {
        let s = EventBridgeService(firesOnItsOwn: false)
        let invoker = RecordingInvoker()
        s.invoker.connect(invoker)
        try await T.call(s, "PutRule", ["Name": "orders", "EventPattern": #"{"source":["shop"],"detail":{"n":[{"numeric":[">",5]}]}}"#])
        try await T.call(s, "PutRule", ["Name": "off", "EventPattern": #"{"source":["shop"]}"#, "State": "DISABLED"])
        try await T.call(s, "PutTargets", ["Rule": "orders", "Targets": [
            ["Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:q.fifo", "SqsParameters": ["MessageGroupId": "g"]],
            ["Id": "t", "Arn": "arn:aws:sns:us-east-1:000000000000:topic", "Input": "{\"fixed\":true}"],
            ["Id": "b", "Arn": "arn:aws:events:us-east-1:000000000000:event-bus/other"],
        ]])
        try await T.call(s, "PutTargets", ["Rule": "off", "Targets": [["Id": "x", "Arn": "arn:aws:sqs:us-east-1:000000000000:x"]]])
        let out = try await T.call(s, "PutEvents", ["Entries": [
            ["Source": "shop", "DetailType": "order", "Detail": #"{"n": 3}"#],
            ["Source": "shop", "DetailType": "order", "Detail": #"{"n": 9}"#],
        ]])
        #expect(out.int("FailedEntryCount") == 0)
        await settle(invoker, count: 3)
        let calls = invoker.recorded
        #expect(calls.map(\.operation).sorted() == ["Publish", "PutEvents", "SendMessage"])
        let send = try #require(calls.first { $0.operation == "SendMessage" })
        #expect(send.input.string("QueueUrl") == "http://localhost:4599/000000000000/q.fifo")
        #expect(send.input.string("MessageGroupId") == "g" && send.input.string("MessageDeduplicationId") != nil)
        #expect(send.asService == "events.amazonaws.com" && send.sourceArn == "arn:aws:events:us-east-1:000000000000:rule/orders")
        let event = try #require(try JSONSerialization.jsonObject(with: Data((send.input.string("MessageBody") ?? "").utf8)) as? [String: Any])
        #expect((event["detail"] as? [String: Int])?["n"] == 9)
        #expect(calls.first { $0.operation == "Publish" }?.input.string("Message") == "{\"fixed\":true}")
        #expect(calls.first { $0.operation == "PutEvents" }?.input["Entries"]?.listValue?.first?.string("EventBusName") == "arn:aws:events:us-east-1:000000000000:event-bus/other")
    }

    @Test func failuresAreRecordedAndSentToTheDLQ() async throws {
        let s = EventBridgeService(firesOnItsOwn: false)
        let invoker = RecordingInvoker { call in
            call.input.string("QueueUrl")?.hasSuffix("/closed") == true
                ? AWSError(code: "AccessDeniedException", message: "denied", status: 400) : nil
        }
        s.invoker.connect(invoker)
        try await T.call(s, "PutRule", ["Name": "r", "EventPattern": #"{"source":["a"]}"#])
        try await T.call(s, "PutTargets", ["Rule": "r", "Targets": [
            ["Id": "fn", "Arn": "arn:aws:lambda:us-east-1:000000000000:function:f"],
            ["Id": "closed", "Arn": "arn:aws:sqs:us-east-1:000000000000:closed",
             "DeadLetterConfig": ["Arn": "arn:aws:sqs:us-east-1:000000000000:dlq"]],
        ]])
        try await T.call(s, "PutEvents", ["Entries": [["Source": "a", "DetailType": "t", "Detail": "{}"]]])
        await settle(invoker, count: 2)
        for _ in 0..<200 where s.deliveryFailures.count < 2 { try? await Task.sleep(nanoseconds: 5_000_000) }
        let failures = s.deliveryFailures
        #expect(failures.map(\.targetId).sorted() == ["closed", "fn"])
        #expect(failures.first { $0.targetId == "fn" }?.errorMessage.contains("issue #15") == true)
        let dlq = try #require(invoker.recorded.first { $0.input.string("QueueUrl")?.hasSuffix("/dlq") == true })
        #expect(dlq.input["MessageAttributes"]?["ERROR_CODE"]?.string("StringValue") == "AccessDeniedException")
        #expect(dlq.input["MessageAttributes"]?["RULE_ARN"]?.string("StringValue") == "arn:aws:events:us-east-1:000000000000:rule/r")
    }

    @Test func transientFailuresAreRetried() async throws {
        let attempts = RecordingInvoker { call in
            AWSError(code: "ServiceUnavailable", message: "busy", status: 503)
        }
        let s = EventBridgeService(retryDelay: { _ in 0.001 }, firesOnItsOwn: false)
        s.invoker.connect(attempts)
        try await T.call(s, "PutRule", ["Name": "r", "EventPattern": #"{"source":["a"]}"#])
        try await T.call(s, "PutTargets", ["Rule": "r", "Targets": [
            ["Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:q", "RetryPolicy": ["MaximumRetryAttempts": 3]],
        ]])
        try await T.call(s, "PutEvents", ["Entries": [["Source": "a", "DetailType": "t", "Detail": "{}"]]])
        for _ in 0..<200 where s.deliveryFailures.isEmpty { try? await Task.sleep(nanoseconds: 5_000_000) }
        #expect(attempts.recorded.count == 4)
    }

    /// A target retrying with backoff holds up no other target.
    @Test func aRetryingTargetDoesNotBlockOthers() async throws {
        let invoker = RecordingInvoker { call in
            call.input.string("QueueUrl")?.hasSuffix("/slow") == true
                ? AWSError(code: "ServiceUnavailable", message: "busy", status: 503) : nil
        }
        let s = EventBridgeService(retryDelay: { _ in 60 }, firesOnItsOwn: false)
        s.invoker.connect(invoker)
        try await T.call(s, "PutRule", ["Name": "r", "EventPattern": #"{"source":["a"]}"#])
        try await T.call(s, "PutTargets", ["Rule": "r", "Targets": [
            ["Id": "slow", "Arn": "arn:aws:sqs:us-east-1:000000000000:slow"],
            ["Id": "fast", "Arn": "arn:aws:sqs:us-east-1:000000000000:fast"],
        ]])
        try await T.call(s, "PutEvents", ["Entries": [["Source": "a", "DetailType": "t", "Detail": "{}"]]])
        await settle(invoker, count: 2)
        #expect(invoker.recorded.contains { $0.input.string("QueueUrl")?.hasSuffix("/fast") == true })
    }

    @Test func ruleAndTargetChecks() async throws {
        let s = EventBridgeService(firesOnItsOwn: false)
        #expect(await T.error(s, "PutRule", ["Name": "r", "EventPattern": "[1]"])?.code == "InvalidEventPatternException")
        #expect(await T.error(s, "PutRule", ["Name": "r"])?.code == "ValidationException")
        try await T.call(s, "PutRule", ["Name": "r", "EventPattern": #"{"source":["a"]}"#, "Description": "d"])
        let described = try await T.call(s, "DescribeRule", ["Name": "r"])
        #expect(described.string("EventPattern") == #"{"source":["a"]}"# && described.string("CreatedBy") == "000000000000")
        #expect(await T.error(s, "DescribeRule", ["Name": "nope"])?.message == "Rule nope does not exist on EventBus default.")
        let six: [Value] = (1...6).map { ["Id": .string("t\($0)"), "Arn": .string("arn:aws:sqs:us-east-1:000000000000:q\($0)")] }
        #expect(await T.error(s, "PutTargets", ["Rule": "r", "Targets": .list(six)])?.code == "LimitExceededException")
        #expect(await T.error(s, "PutTargets", ["Rule": "r", "Targets": [["Id": "a b", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"]]])?.message
            == "1 validation error detected: Value 'a b' at 'targets.1.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+")
        #expect(await T.error(s, "PutTargets", ["Rule": "r", "Targets": [["Id": "x", "Arn": "arn:aws:sqs:us-east-1:000000000000:q",
                                                                          "Input": "{}", "InputPath": "$.detail"]]])?.message
            == "Only one of Input, InputPath, or InputTransformer must be provided for target x.")
        try await T.call(s, "PutTargets", ["Rule": "r", "Targets": .list(Array(six.prefix(3)))])
        #expect(try await T.call(s, "ListTargetsByRule", ["Rule": "r", "Limit": 2])["Targets"]?.listValue?.count == 2)
        #expect(try await T.call(s, "ListRuleNamesByTarget", ["TargetArn": "arn:aws:sqs:us-east-1:000000000000:q2"])["RuleNames"] == ["r"])
        #expect(await T.error(s, "DeleteRule", ["Name": "r"])?.message == "Rule can't be deleted since it has targets.")
        try await T.call(s, "RemoveTargets", ["Rule": "r", "Ids": ["t1", "t2", "t3"]])
        try await T.call(s, "DeleteRule", ["Name": "r"])
        #expect(try await T.call(s, "ListRules", [:])["Rules"] == [])
    }

    @Test func testEventPattern() async throws {
        let s = EventBridgeService(firesOnItsOwn: false)
        let event = #"{"id":"1","account":"000000000000","source":"a","time":"2026-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail-type":"t","detail":{"x":1}}"#
        #expect(try await T.call(s, "TestEventPattern", ["EventPattern": #"{"detail":{"x":[1]}}"#, "Event": .string(event)])["Result"] == true)
        #expect(try await T.call(s, "TestEventPattern", ["EventPattern": #"{"source":["b"]}"#, "Event": .string(event)])["Result"] == false)
        #expect(await T.error(s, "TestEventPattern", ["EventPattern": #"{"source":["b"]}"#, "Event": #"{"source":"a"}"#])?.message
            == "Parameter Event is not valid.")
    }
}
