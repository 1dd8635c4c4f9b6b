import SimfraCore
import Testing

@testable import SimfraEvents

/// Every implemented operation names its own IAM action, with the resource ARNs AWS uses.
@Suite struct ActionTableTests {
    @Test func everyOperationHasItsAction() {
        let s = EventBridgeService(firesOnItsOwn: false)
        for op in s.implementedOperations {
            let reqs = s.authorization(operation: op, input: [:], context: T.context())
            #expect(reqs?.first?.action == "events:" + op, "\(op)")
        }
    }

    @Test func resourcesAndConditionKeys() {
        let s = EventBridgeService(firesOnItsOwn: false)
        let rule = s.authorization(operation: "PutRule", input: [
            "Name": "r", "EventBusName": "b", "EventPattern": #"{"source":["shop"],"detail-type":["Order"]}"#,
        ], context: T.context())?.first
        #expect(rule?.resources == ["arn:aws:events:us-east-1:000000000000:rule/b/r"])
        #expect(rule?.conditionKeys["events:source"] == ["shop"] && rule?.conditionKeys["events:detail-type"] == ["Order"])
        let put = s.authorization(operation: "PutEvents", input: ["Entries": [
            ["Source": "a", "DetailType": "t", "Detail": "{}"],
            ["Source": "b", "DetailType": "t", "Detail": "{}", "EventBusName": "arn:aws:events:eu-west-1:111111111111:event-bus/x"],
        ]], context: T.context())?.first
        #expect(put?.resources == ["arn:aws:events:us-east-1:000000000000:event-bus/default",
                                   "arn:aws:events:eu-west-1:111111111111:event-bus/x"])
        #expect(put?.conditionKeys["events:source"] == ["a", "b"])
        let target = s.authorization(operation: "PutTargets", input: [
            "Rule": "r", "Targets": [["Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"]],
        ], context: T.context())?.first
        #expect(target?.resources == ["arn:aws:events:us-east-1:000000000000:rule/r"])
        #expect(target?.conditionKeys["events:targetarn"] == ["arn:aws:sqs:us-east-1:000000000000:q"])
    }
}
