import SimfraCore
import Testing

@testable import SimfraEvents

/// InputPath and InputTransformer against AWS's recorded outputs (test_events_inputs).
@Suite struct InputTransformerTests {
    let event = DeliveredEvent(
        id: "id-1", detailType: "core.update-account-command", source: "core.update-account-command",
        account: "111111111111", time: "2026-01-01T00:00:00Z", region: "us-east-1", resources: [],
        detailText: "", detail: ["command": "update-account", "payload": ["acc_id": "0a787ecb-4015", "sf_id": "baz"],
                                 "listsingle": ["HIGH"], "listmulti": ["ACTIVE", "INACTIVE"], "valid": true])

    func render(_ template: String, _ paths: [String: String]) -> String {
        let t: Value = ["InputTemplate": .string(template), "InputPathsMap": .object(paths.mapValues { .string($0) })]
        return InputTransformer(t, targetId: "t").render(event, ruleArn: "arn:aws:events:us-east-1:111111111111:rule/r", ruleName: "r")
    }

    @Test func jsonTemplates() {
        #expect(render(#"{"id" : <userId>}"#, ["userId": "$.detail.payload.acc_id"]) == #"{"id" : "0a787ecb-4015"}"#)
        #expect(render(#"{"id" : "<userId>"}"#, ["userId": "$.detail.payload.acc_id"]) == #"{"id" : "0a787ecb-4015"}"#)
        #expect(render(#"{"bod": <payload>}"#, ["payload": "$.detail.payload"]) == #"{"bod": {"acc_id":"0a787ecb-4015","sf_id":"baz"}}"#)
        #expect(render(#"{"singlelistitem": <l>}"#, ["l": "$.detail.listsingle"]) == #"{"singlelistitem": ["HIGH"]}"#)
        #expect(render(#"{"m": "users/<u>/second/<u>"}"#, ["u": "$.detail.payload.acc_id"]) == #"{"m": "users/0a787ecb-4015/second/0a787ecb-4015"}"#)
    }

    @Test func stringTemplates() {
        #expect(render(#""Command is <valid>!""#, ["valid": "$.detail.valid"]) == #""Command is true!""#)
        #expect(render(#""<l> single list item""#, ["l": "$.detail.listsingle"]) == #""[HIGH] single list item""#)
        #expect(render(#""<l> multiple list items""#, ["l": "$.detail.listmulti"]) == #""[ACTIVE,INACTIVE] multiple list items""#)
        #expect(render(#""Payload of <p>""#, ["p": "$.detail.payload"]) == #""Payload of {acc_id:0a787ecb-4015,sf_id:baz}""#)
        #expect(render(#""missing <m>.""#, ["m": "$.detail.nothing"]) == #""missing .""#)
        #expect(render("\"<aws.events.rule-arn> <aws.events.rule-name>\"", [:])
            == #""arn:aws:events:us-east-1:111111111111:rule/r r""#)
    }

    @Test func validation() {
        let bad: Value = ["InputTemplate": "\"<notdefinedkey>\"", "InputPathsMap": ["a": "$.detail"]]
        #expect(throws: AWSError.self) { try InputTransformer(bad, targetId: "t1").validate() }
        do {
            try InputTransformer(bad, targetId: "t1").validate()
        } catch {
            #expect(error.message == "InputTemplate for target t1 contains invalid placeholder notdefinedkey.")
        }
        #expect(JSONPathLite.parse("$.detail.list[0]") == [.key("detail"), .key("list"), .index(0)])
        #expect(JSONPathLite.parse("detail") == nil)
    }

    @Test func inputPath() {
        let rule = Rule(name: "r", bus: BusRef(accountId: "1", region: "r", name: "default"), state: "ENABLED",
                        createdBy: "1", created: 0)
        #expect(EventBridgeService.payload(event, target: ["InputPath": "$.detail.payload.sf_id"], rule: rule) == "\"baz\"")
        #expect(EventBridgeService.payload(event, target: ["Input": "{\"x\":1}"], rule: rule) == "{\"x\":1}")
        #expect(EventBridgeService.payload(event, target: [:], rule: rule) == event.json)
    }
}
