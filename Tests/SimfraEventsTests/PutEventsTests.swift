import SimfraCore
import Testing

@testable import SimfraEvents

/// PutEvents' per-entry checks, the size limit, sources reserved to AWS, and the envelope.
@Suite struct PutEventsTests {
    @Test func perEntryErrors() async throws {
        let s = EventBridgeService()
        let out = try await T.call(s, "PutEvents", ["Entries": [
            ["Source": "a", "DetailType": "t", "Detail": "{\"k\":1}"],
            ["DetailType": "t", "Detail": "{}"],
            ["Source": "a", "Detail": "{}"],
            ["Source": "a", "DetailType": "t"],
            ["Source": "a", "DetailType": "t", "Detail": "[1]"],
            ["Source": "a", "DetailType": "t", "Detail": "\"s\""],
            ["Source": "a", "DetailType": "t", "Detail": "{bad"],
            ["Source": "aws.s3", "DetailType": "t", "Detail": "{}"],
        ]])
        #expect(out.int("FailedEntryCount") == 7)
        let entries = try #require(out["Entries"]?.listValue)
        #expect(entries[0].string("EventId")?.count == 36)
        #expect(entries[1].string("ErrorMessage") == "Parameter Source is not valid. Reason: Source is a required argument.")
        #expect(entries[2].string("ErrorMessage") == "Parameter DetailType is not valid. Reason: DetailType is a required argument.")
        #expect(entries[3].string("ErrorMessage") == "Parameter Detail is not valid. Reason: Detail is a required argument.")
        for i in 4...6 { #expect(entries[i].string("ErrorCode") == "MalformedDetail") }
        #expect(entries[7].string("ErrorCode") == "NotAuthorizedForSourceException")
    }

    @Test func sizeLimit() async {
        let s = EventBridgeService()
        let big = "{\"a\":\"" + String(repeating: "x", count: 262_144) + "\"}"
        let e = await T.error(s, "PutEvents", ["Entries": [["Source": "a", "DetailType": "t", "Detail": .string(big)]]])
        #expect(e?.message == "Total size of the entries in the request is over the limit.")
    }

    /// A service may put its own `aws.<service>` events, and no other service's.
    @Test func servicesPutTheirOwnSource() async throws {
        let s = EventBridgeService()
        let ctx = T.context(principal: "s3.amazonaws.com")
        let out = try await T.call(s, "PutEvents", ["Entries": [
            ["Source": "aws.s3", "DetailType": "Object Created", "Detail": "{}"],
            ["Source": "aws.ec2", "DetailType": "x", "Detail": "{}"],
        ]], ctx)
        #expect(out.int("FailedEntryCount") == 1)
        #expect(out["Entries"]?.listValue?[1].string("ErrorCode") == "NotAuthorizedForSourceException")
    }

    @Test func envelope() throws {
        let r = EventBridgeService.accept(
            ["Source": "src", "DetailType": "dt", "Detail": "{\"b\": [1, 2]}", "Resources": ["r1"],
             "Time": .timestamp(1_700_000_000.75)],
            context: T.context(), servicePrincipal: nil, now: 0)
        guard case .success(let (ref, event)) = r else { Issue.record("refused"); return }
        #expect(ref.name == "default")
        #expect(event.time == "2023-11-14T22:13:20Z")
        #expect(event.json.hasPrefix(#"{"version":"0","id":""# + event.id + #"","detail-type":"dt","source":"src","account":"000000000000","time":"2023-11-14T22:13:20Z","region":"us-east-1","resources":["r1"],"detail":{"b":[1,2]}}"#))
        #expect(event.value["detail"]?["b"] == [1, 2])
    }

    @Test func busByArnIsAnotherAccountsBus() {
        let ref = BusRef.resolve("arn:aws:events:eu-west-1:111111111111:event-bus/x", T.context())
        #expect(ref == BusRef(accountId: "111111111111", region: "eu-west-1", name: "x"))
        #expect(BusRef.resolve("arn:aws:sqs:eu-west-1:111111111111:x", T.context()) == nil)
    }

    @Test func retryDecisions() {
        let p = RetryPolicy(maximumRetryAttempts: 2, maximumEventAgeInSeconds: 60)
        let transient = AWSError(code: "ServiceUnavailable", message: "", status: 503)
        let permanent = AWSError(code: "AccessDeniedException", message: "", status: 400)
        #expect(p.decide(error: permanent, retries: 0, arrived: 0, now: 0) == .giveUp(exhausted: nil))
        #expect(p.decide(error: transient, retries: 0, arrived: 0, now: 0) == .retry(after: 1))
        #expect(p.decide(error: transient, retries: 1, arrived: 0, now: 1) == .retry(after: 2))
        #expect(p.decide(error: transient, retries: 2, arrived: 0, now: 3) == .giveUp(exhausted: "MaximumRetryAttemptsExhausted"))
        #expect(p.decide(error: transient, retries: 0, arrived: 0, now: 59.5) == .giveUp(exhausted: "MaximumEventAgeExhausted"))
    }
}
