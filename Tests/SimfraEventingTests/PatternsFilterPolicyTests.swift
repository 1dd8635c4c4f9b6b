import SimfraCore
import Testing

@testable import SimfraEventing

/// SNS filter policies on message attributes and on the message body, from AWS's "Amazon SNS
/// message filtering" pages.
@Suite struct PatternsFilterPolicyTests {
    typealias A = FilterPolicy.Attribute

    func attrs(_ pairs: [(String, String, String)]) -> [String: A] {
        var out: [String: A] = [:]
        for (k, t, v) in pairs { out[k] = A(dataType: t, stringValue: v) }
        return out
    }

    func matches(_ policy: String, _ pairs: [(String, String, String)]) throws -> Bool {
        try FilterPolicy(json: policy, scope: .messageAttributes).matches(attributes: attrs(pairs))
    }

    @Test func stringAttributes() throws {
        #expect(try matches(#"{"store":["example_corp"]}"#, [("store", "String", "example_corp")]))
        #expect(try !matches(#"{"store":["example_corp"]}"#, [("store", "String", "other")]))
        #expect(try !matches(#"{"store":["example_corp"]}"#, []))
        #expect(try matches(#"{"store":[{"prefix":"ex"}]}"#, [("store", "String", "example_corp")]))
        #expect(try matches(#"{"store":[{"suffix":"corp"}]}"#, [("store", "String", "example_corp")]))
        #expect(try matches(#"{"store":[{"equals-ignore-case":"EXAMPLE_CORP"}]}"#, [("store", "String", "example_corp")]))
        #expect(try matches(#"{"store":[{"anything-but":"other"}]}"#, [("store", "String", "example_corp")]))
        #expect(try !matches(#"{"store":[{"anything-but":["example_corp"]}]}"#, [("store", "String", "example_corp")]))
        #expect(try !matches(#"{"store":[{"anything-but":{"prefix":"ex"}}]}"#, [("store", "String", "example_corp")]))
        #expect(try !matches(#"{"store":[{"anything-but":"x"}]}"#, []))
        #expect(try matches(#"{"ip":[{"cidr":"10.0.0.0/24"}]}"#, [("ip", "String", "10.0.0.7")]))
        #expect(try !matches(#"{"ip":[{"cidr":"10.0.0.0/24"}]}"#, [("ip", "String", "10.1.0.7")]))
        // A String attribute is never a number.
        #expect(try !matches(#"{"n":[{"numeric":[">",0]}]}"#, [("n", "String", "5")]))
        #expect(try !matches(#"{"n":[5]}"#, [("n", "String", "5")]))
    }

    @Test func numberAttributes() throws {
        #expect(try matches(#"{"price_usd":[{"numeric":["=",301.5]}]}"#, [("price_usd", "Number", "3.015e2")]))
        #expect(try matches(#"{"price_usd":[301.5]}"#, [("price_usd", "Number", "301.5")]))
        #expect(try matches(#"{"price_usd":[{"numeric":[">",0,"<=",150]}]}"#, [("price_usd", "Number", "150")]))
        #expect(try !matches(#"{"price_usd":[{"numeric":[">",0,"<=",150]}]}"#, [("price_usd", "Number", "150.5")]))
        #expect(try !matches(#"{"price":[{"anything-but":[100,500]}]}"#, [("price", "Number", "100")]))
        #expect(try matches(#"{"price":[{"anything-but":[100,500]}]}"#, [("price", "Number", "101")]))
        #expect(try matches(#"{"price":[{"numeric":["<",1]}]}"#, [("price", "Number.float", "0.5")]))
        #expect(try !matches(#"{"price":["100"]}"#, [("price", "Number", "100")]))
        // AWS's example: a Number.Array holding a value other than 100 or 500.
        #expect(try matches(#"{"price":[{"anything-but":[100,500]}]}"#, [("price", "Number.Array", "[100, 50]")]))
        #expect(try !matches(#"{"price":[{"anything-but":[100,500]}]}"#, [("price", "Number.Array", "[100, 500]")]))
        #expect(try matches(#"{"customer_interests":[{"anything-but":["rugby","tennis"]}]}"#,
                            [("customer_interests", "String.Array", #"["rugby", "baseball"]"#)]))
        #expect(try matches(#"{"a":[{"anything-but":["x"]},{"exists":false}]}"#, []))
    }

    @Test func stringArrayAttributes() throws {
        let p = #"{"customer_interests":["rugby","football"]}"#
        #expect(try matches(p, [("customer_interests", "String.Array", #"["soccer","rugby"]"#)]))
        #expect(try !matches(p, [("customer_interests", "String.Array", #"["soccer","hockey"]"#)]))
        #expect(try !matches(p, [("customer_interests", "String.Array", "not json")]))
        #expect(try matches(#"{"a":[5]}"#, [("a", "String.Array", "[1,5]")]))
        #expect(try matches(#"{"a":[{"exists":true}]}"#, [("a", "String.Array", #"["x"]"#)]))
    }

    @Test func binaryAttributesAreNotConsidered() throws {
        #expect(try !matches(#"{"b":["AQID"]}"#, [("b", "Binary", "AQID")]))
        #expect(try !matches(#"{"b":[{"exists":true}]}"#, [("b", "Binary", "AQID")]))
        #expect(try matches(#"{"b":[{"exists":false}]}"#, [("b", "Binary", "AQID")]))
    }

    @Test func existsAndOr() throws {
        #expect(try matches(#"{"store":[{"exists":true}]}"#, [("store", "String", "x")]))
        #expect(try !matches(#"{"store":[{"exists":true}]}"#, []))
        #expect(try matches(#"{"store":[{"exists":false}]}"#, [("other", "String", "x")]))
        let or = #"{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization"]},{"namespace":["AWS/EC2"]}]}"#
        #expect(try matches(or, [("source", "String", "aws.cloudwatch"), ("namespace", "String", "AWS/EC2")]))
        #expect(try !matches(or, [("source", "String", "aws.cloudwatch"), ("namespace", "String", "AWS/S3")]))
    }

    @Test func bodyScope() throws {
        let p = try FilterPolicy(json: #"{"store":["example_corp"],"order":{"total":[{"numeric":[">",100]}]}}"#, scope: .messageBody)
        #expect(p.matches(body: #"{"store":"example_corp","order":{"total":250}}"#))
        #expect(!p.matches(body: #"{"store":"example_corp","order":{"total":50}}"#))
        #expect(!p.matches(body: "not json"))
        #expect(!p.matches(body: #"["store"]"#))
        #expect(!p.matches(body: #""example_corp""#))
        let arr = try FilterPolicy(json: #"{"items":{"id":["b"]}}"#, scope: .messageBody)
        #expect(arr.matches(body: #"{"items":[{"id":"a"},{"id":"b"}]}"#))
    }

    @Test func snsRefusesWhatOnlyEventBridgeSupports() {
        #expect(filterPolicyError(#"{"a":[{"wildcard":"x*"}]}"#)?.reason.hasPrefix("Unrecognized match type wildcard") == true)
        #expect(filterPolicyError(#"{"a":[{"anything-but":{"suffix":"x"}}]}"#)?.reason.hasPrefix("Unsupported anything-but pattern: suffix") == true)
        #expect(filterPolicyError(#"{"a":[{"prefix":{"equals-ignore-case":"x"}}]}"#)?.reason.hasPrefix("prefix match pattern must be a string") == true)
        #expect(filterPolicyError(#"{"a":[{"numeric":["<",6e9]}]}"#)?.reason.hasPrefix("Value must be between -5.0E9 and 5.0E9, inclusive") == true)
    }

    @Test func limits() {
        #expect(filterPolicyError(#"{"a":[1],"b":[1],"c":[1],"d":[1],"e":[1]}"#) == nil)
        #expect(filterPolicyError(#"{"a":[1],"b":[1],"c":[1],"d":[1],"e":[1],"f":[1]}"#)?.reason == "Filter policy can not have more than 5 keys")
        // 10 × 16 = 160 combinations.
        let ten = (1...10).map(String.init).joined(separator: ",")
        let sixteen = (1...16).map(String.init).joined(separator: ",")
        #expect(filterPolicyError("{\"a\":[\(ten)],\"b\":[\(sixteen)]}")?.reason == "Filter policy is too complex")
        #expect(filterPolicyError("{\"a\":[\(ten)],\"b\":[\(ten)]}") == nil)
        // AWS's example: 4 values three levels deep and 3 values two levels deep: 3×4×2×3 = 72.
        let nested = #"{"key_a":{"key_b":{"key_c":["1","2","3","4"]}},"key_d":{"key_e":["1","2","3"]}}"#
        #expect(filterPolicyError(nested, .messageBody) == nil)
        let root = try! PatternCompiler.compile(nested, dialect: .sns)
        #expect(FilterPolicyLimits.combinations(root, depth: 1) == 72)
        #expect(filterPolicyError(nested)?.outsideFilterPolicyNamespace == true)
    }
}

/// Body-scope cases AWS's SNS documentation and blog use.
@Suite struct PatternsFilterPolicyBodyExamples {
    @Test func s3EventsInAnSNSMessage() throws {
        // The "payload-based filtering" blog's example: nested keys through the Records array.
        let p = try FilterPolicy(
            json: #"{"Records":{"s3":{"object":{"key":[{"prefix":"auto-"}]}},"eventName":[{"prefix":"ObjectCreated:"}]}}"#,
            scope: .messageBody)
        let created = #"{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"object":{"key":"auto-insurance-2314.xml","size":17}}}]}"#
        let removed = #"{"Records":[{"eventName":"ObjectRemoved:Delete","s3":{"object":{"key":"auto-insurance-2314.xml"}}}]}"#
        let home = #"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"object":{"key":"home-insurance-2314.xml"}}}]}"#
        let nestedLists = #"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"object":[[{"key":"auto-insurance-2314.xml"}]]}},{"eventName":"ObjectRemoved:Delete","s3":{"object":{"key":"home-insurance-2314.xml"}}}]}"#
        #expect(p.matches(body: created))
        #expect(!p.matches(body: removed))
        #expect(!p.matches(body: home))
        #expect(p.matches(body: nestedLists))
    }

    @Test func emptyArraysAndNullsInTheBody() throws {
        let p = try FilterPolicy(json: #"{"detail":{"eventVersion":[""]}}"#, scope: .messageBody)
        #expect(p.matches(body: #"{"resources":[],"detail":{"eventVersion":"","responseElements":null}}"#))
    }

    @Test func combinationLimitWithOr() {
        // AWS's worked examples: 152 and 160 combinations are too complex.
        let flat = #"{"source":["aws.cloudwatch","aws.events","aws.test","aws.test2"],"$or":[{"metricName":["CPUUtilization","ReadLatency","t1","t2","t3","t4"]},{"metricType":["MetricType","TestType","TestType2","TestType3"],"$or":[{"metricId":[1234,4321,5678,9012]},{"spaceId":[1,2,3,4]}]}]}"#
        #expect(filterPolicyError(flat)?.reason == "Filter policy is too complex")
        let body = #"{"$or":[{"metricName":["CPUUtilization","ReadLatency","TestValue"]},{"namespace":["AWS/EC2","AWS/ES"]}],"detail":{"scope":["Service","Test"],"$or":[{"source":["aws.cloudwatch"]},{"type":["CloudWatch Alarm State Change","TestValue","TestValue2"]}]}}"#
        #expect(filterPolicyError(body, .messageBody)?.reason == "Filter policy is too complex")
        let nested = #"{"key_a":{"key_b":{"key_c":["1","2","3","4"]}},"key_d":{"key_e":["1","2","3"]},"key_f":["1","2","3"]}"#
        #expect(filterPolicyError(nested, .messageBody)?.reason == "Filter policy is too complex")
        let many = "{\"key\":[" + (0..<151).map { "\"value\($0)\"" }.joined(separator: ",") + "]}"
        #expect(filterPolicyError(many)?.reason == "Filter policy is too complex")
    }
}
